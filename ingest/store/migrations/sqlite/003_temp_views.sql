-- Schema version 3: the views leave the store's schema. They call
-- wat_event, and wat opens every store with trusted_schema off, so that
-- nothing a store file holds (a view, a trigger) can call a function with
-- effects outside SQLite's own; wat sql creates the same views as TEMP
-- views of its connection instead (ingest.Query).

DROP VIEW IF EXISTS event_view;
DROP VIEW IF EXISTS reject_view;
