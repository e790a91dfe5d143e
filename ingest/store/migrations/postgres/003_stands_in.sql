-- Schema version 3: a source that holds a service's records of the calls
-- it sent to a black box (a mapping rule's "role": "client") names that
-- box's system: its records stand in for the box's own log where no file
-- of the box's own log is in a history (see Source.StandsIn).

ALTER TABLE sources ADD COLUMN stands_in TEXT NOT NULL DEFAULT '';
