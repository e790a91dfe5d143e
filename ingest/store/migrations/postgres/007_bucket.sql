-- Schema version 7: an event's bucket (id >> 16, bucketOf in sql.go), the
-- column events are distributed by on Citus: 65,536 consecutive ids
-- share one, so a batch of ids read bucket by bucket asks one shard a
-- statement, and every lookup of an event names its bucket. Citus does
-- not distribute by a generated column: ingest writes it. The primary
-- key includes it, as Citus requires.

ALTER TABLE events ADD COLUMN bucket bigint;

UPDATE events SET bucket = id >> 16;

ALTER TABLE events ALTER COLUMN bucket SET NOT NULL;

ALTER TABLE events DROP CONSTRAINT events_pkey;

ALTER TABLE events ADD PRIMARY KEY (bucket, id);
