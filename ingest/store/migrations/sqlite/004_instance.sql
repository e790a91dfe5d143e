-- Schema version 4: a source belongs to an instance of its system (one
-- Redis server, one machine's file system): given by wat ingest --instance,
-- or the file's name without rotation suffixes. NULL in stores made before
-- this version: read as that name.

ALTER TABLE sources ADD COLUMN instance TEXT;
