-- Schema version 8: every statement of events names the bucket of the
-- ids it reads (id >> 16, bucketOf in sql.go), the column a PostgreSQL
-- store's events are distributed by on Citus, so that the statements are
-- the same on both. Here it is computed, and stored nowhere.

ALTER TABLE events ADD COLUMN bucket INTEGER GENERATED ALWAYS AS (id >> 16) VIRTUAL;
