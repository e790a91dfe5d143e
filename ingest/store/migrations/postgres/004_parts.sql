-- Schema version 4: writes confined to parts of a key (a set's members,
-- a hash's fields: formats.Ref's Class) have their own postings lists
-- (w = 1 + class) and are listed under each part as well (w = -class,
-- under the part's key; see postingKey). A source records the version of
-- that index its events were indexed with; those ingested before have 0,
-- and a store that holds one does not answer from parts.

ALTER TABLE sources ADD COLUMN parts INTEGER NOT NULL DEFAULT 0;
