-- Schema version 6: the namespaces of each system (and link kind) the
-- postings index holds, so that "has this store any calls logged by
-- services?" and "which namespaces has this system?" are lookups of a
-- small table, not scans of the index (on Citus, queries of every shard;
-- namespaces is a reference table there). Ingest adds a pair when it
-- first writes postings of it; a pair whose files were all removed may
-- stay listed, which only costs a lookup that finds nothing.

CREATE TABLE namespaces (
	system bytea NOT NULL,
	ns     bytea NOT NULL,
	PRIMARY KEY (system, ns)
);

INSERT INTO namespaces SELECT DISTINCT system, ns FROM postings;
