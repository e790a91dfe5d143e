-- wat trace store, schema version 1.
--
-- Times are Unix nanoseconds. Event ids are the trace order. An event row
-- keeps what lookups need and the raw line; the rest of the event (system,
-- namespace, client, op, arguments, reply) is parsed from the raw line on
-- demand. The views below spell it out (through the wat_event SQL
-- function) and are the documented schema for `wat sql`.

CREATE TABLE sources (
	id          INTEGER PRIMARY KEY,
	path        TEXT NOT NULL,    -- as given to ingest; "-" for stdin
	format      TEXT NOT NULL,
	size        INTEGER NOT NULL, -- bytes read from the file (compressed, if it was)
	hash        TEXT NOT NULL,    -- sha256 of those bytes
	lines       INTEGER NOT NULL,
	events      INTEGER NOT NULL,
	rejected    INTEGER NOT NULL,
	skipped     INTEGER NOT NULL,
	first_event INTEGER,          -- the source's events are ids first_event..last_event
	last_event  INTEGER,
	ingested_at INTEGER NOT NULL
);
CREATE INDEX sources_hash ON sources(hash);

CREATE TABLE events (
	id     INTEGER PRIMARY KEY,
	source INTEGER NOT NULL,
	line   INTEGER NOT NULL, -- 1-based
	offset INTEGER NOT NULL, -- byte offset of the line (after decompression)
	time   INTEGER NOT NULL,
	raw    BLOB NOT NULL     -- the line, parsed again on demand
);

-- postings index the keys events touch. One row holds a block of the ids
-- of events that write (w = 1) or only read (w = 0) one key, in increasing
-- order: the first id, then each next id as an unsigned varint of its
-- distance from the one before. Blocks of one key never overlap, so the
-- history of a key before an event is a backward walk over its blocks.
CREATE TABLE postings (
	system TEXT NOT NULL,
	ns     TEXT NOT NULL,
	key    BLOB NOT NULL,
	w      INTEGER NOT NULL,
	last   INTEGER NOT NULL, -- the block's newest id
	first  INTEGER NOT NULL, -- the block's oldest id
	n      INTEGER NOT NULL, -- ids in the block
	ids    BLOB NOT NULL,    -- the ids after the first, as varint deltas
	PRIMARY KEY (system, ns, key, w, last)
) WITHOUT ROWID;

-- wide_refs index events that touch a whole namespace (FLUSHDB, SWAPDB) or,
-- with ns '*', every namespace (FLUSHALL).
CREATE TABLE wide_refs (
	system TEXT NOT NULL,
	ns     TEXT NOT NULL,
	w      INTEGER NOT NULL,
	event  INTEGER NOT NULL,
	PRIMARY KEY (system, ns, w, event)
) WITHOUT ROWID;

CREATE TABLE rejects (
	source INTEGER NOT NULL,
	line   INTEGER NOT NULL,
	reason TEXT NOT NULL,
	raw    BLOB NOT NULL
);
CREATE INDEX rejects_source ON rejects(source, line);

CREATE VIEW event_view AS
	SELECT e.id, s.path AS file, e.line, e.offset, e.time,
	       wat_event(s.format, e.raw, 'system') AS system,
	       wat_event(s.format, e.raw, 'ns') AS ns,
	       wat_event(s.format, e.raw, 'client') AS client,
	       wat_event(s.format, e.raw, 'op') AS op,
	       wat_event(s.format, e.raw, 'args') AS args,
	       wat_event(s.format, e.raw, 'reply') AS reply,
	       e.raw
	FROM events e JOIN sources s ON s.id = e.source;

CREATE VIEW reject_view AS
	SELECT s.path AS file, r.line, r.reason, r.raw
	FROM rejects r JOIN sources s ON s.id = r.source;
