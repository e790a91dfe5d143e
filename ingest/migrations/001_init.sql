-- wat trace store, schema version 1.
--
-- Times are Unix nanoseconds. Event ids are the trace order. Names
-- (systems, clients) are interned in names; the views below spell them out
-- and are the documented schema for `wat sql`.

CREATE TABLE names (
	id   INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE
);

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
	line   INTEGER NOT NULL,  -- 1-based
	offset INTEGER NOT NULL,  -- byte offset of the line (after decompression)
	time   INTEGER NOT NULL,
	system INTEGER NOT NULL,  -- names.id
	ns     TEXT NOT NULL,     -- namespace: the Redis database
	client INTEGER NOT NULL,  -- names.id
	op     TEXT NOT NULL,
	reply  BLOB,              -- the logged reply; NULL when the log has none
	raw    BLOB NOT NULL      -- the line; arguments are parsed from it on demand
);

-- refs index the keys each event touches: w is 1 when the event may change
-- the key, reset 1 when it leaves the key in a state independent of the past.
CREATE TABLE refs (
	system INTEGER NOT NULL,
	ns     TEXT NOT NULL,
	key    BLOB NOT NULL,
	w      INTEGER NOT NULL,
	event  INTEGER NOT NULL,
	reset  INTEGER NOT NULL,
	PRIMARY KEY (system, ns, key, w, event)
) WITHOUT ROWID;

-- wide_refs index events that touch a whole namespace (FLUSHDB, SWAPDB) or,
-- with ns '*', every namespace (FLUSHALL).
CREATE TABLE wide_refs (
	system INTEGER NOT NULL,
	ns     TEXT NOT NULL,
	w      INTEGER NOT NULL,
	event  INTEGER NOT NULL,
	reset  INTEGER NOT NULL,
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
	SELECT e.id, s.path AS file, e.line, e.offset, e.time, sy.name AS system, e.ns,
	       c.name AS client, e.op, e.reply, e.raw
	FROM events e JOIN sources s ON s.id = e.source
	JOIN names sy ON sy.id = e.system JOIN names c ON c.id = e.client;

CREATE VIEW ref_view AS
	SELECT sy.name AS system, r.ns, r.key, r.w, r.reset, r.event
	FROM refs r JOIN names sy ON sy.id = r.system;

CREATE VIEW reject_view AS
	SELECT s.path AS file, r.line, r.reason, r.raw
	FROM rejects r JOIN sources s ON s.id = r.source;
