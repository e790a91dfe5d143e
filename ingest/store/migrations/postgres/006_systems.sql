-- Schema version 6: the systems (and link kinds) the postings index
-- holds, so that "has this store any calls logged by services?" is one
-- lookup of a small table, not a scan of the index (on Citus, a query of
-- every shard; systems is a reference table there). Ingest adds a system
-- when it first writes postings of it; a system whose files were all
-- removed may stay listed, which only costs a lookup that finds nothing.

CREATE TABLE systems (
	system bytea NOT NULL PRIMARY KEY
);

INSERT INTO systems SELECT DISTINCT system FROM postings;
