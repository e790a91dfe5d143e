-- Schema version 10: how many of a file's events have a time earlier
-- than one before them in the file (or none), so that a spec can tell
-- when the trace's times only go forward (Scoped.TimeOrdered): a model
-- that reads the server's clock from the events' times (XADD's automatic
-- ids) can then find the events of a millisecond without reading the
-- history. NULL for a file ingested by an older wat: not known.

ALTER TABLE sources ADD COLUMN backwards INTEGER;
