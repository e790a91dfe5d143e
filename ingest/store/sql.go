package store

import "strings"

// The SQL wat runs, in one place: a second backend supplies its own
// dialect of these statements and of migrations/.

const (
	sqlInsertSource = `INSERT INTO sources(path, format, config, size, hash, lines, events, rejected, skipped, ingested_at, instance, parts)
		VALUES (?, ?, ?, 0, '', 0, 0, 0, 0, ?, ?, ?) RETURNING id`
	sqlFinishSource = `UPDATE sources SET size = ?, hash = ?, lines = ?, events = ?, rejected = ?,
		skipped = ?, first_event = ?, last_event = ? WHERE id = ?`
	sqlNextEventID = "SELECT coalesce(max(id), 0) + 1 FROM events"
	sqlStandsIn    = "UPDATE sources SET stands_in = ? WHERE id = ?"
	// sqlRenameSource gives a continued source the path it grew under.
	sqlRenameSource = "UPDATE sources SET path = ? WHERE id = ?"

	// sqlEventTime reads one event's time (a source's span ends).
	sqlEventTime = "SELECT time FROM events WHERE id = ?"
	// sqlEventAt reads where one event's line is in its file, and the line.
	sqlEventAt = `SELECT "offset", raw FROM events WHERE id = ?`
	// sqlRemoveSource deletes a source and all it stored, each statement
	// taking the source's first and last event ids or its id: postings
	// blocks are written by one ingest, so a block lies inside one
	// source's id range.
	sqlRemovePostings  = "DELETE FROM postings WHERE first >= ? AND last <= ?"
	sqlRemoveWideRefs  = "DELETE FROM wide_refs WHERE event >= ? AND event <= ?"
	sqlRemoveEvents    = "DELETE FROM events WHERE id >= ? AND id <= ?"
	sqlRemoveRejects   = "DELETE FROM rejects WHERE source = ?"
	sqlRemoveSource    = "DELETE FROM sources WHERE id = ?"
	sqlSourcesByHash   = "SELECT id, config FROM sources WHERE hash = ? AND id <> ? ORDER BY id"
	sqlCountSourceSize = "SELECT count(*) FROM sources WHERE size = ?"

	sqlSources    = "SELECT " + sourceCols + " FROM sources ORDER BY id"
	sqlSourceInfo = "SELECT path, format, config, coalesce(first_event, 0), coalesce(last_event, -1), instance FROM sources WHERE id = ?"
	sqlLineOf     = "SELECT line FROM events WHERE id = ?"
	sqlRejectAt   = "SELECT reason FROM rejects WHERE source = ? AND line = ?"

	eventCols      = "e.id, e.source, e.line, e.\"offset\", e.time, e.raw"
	sqlEventByID   = "SELECT " + eventCols + " FROM events e WHERE e.id = ?"
	sqlEventsAfter = "SELECT " + eventCols + " FROM events e WHERE e.id > ? ORDER BY e.id LIMIT ?"
	sqlEventsOfSrc = "SELECT " + eventCols + " FROM events e WHERE e.source = ? AND e.id > ? ORDER BY e.id LIMIT ?"
	// sqlSourceOf finds the source of an event.
	sqlSourceOf = "SELECT source FROM events WHERE id = ?"
	// sqlLineInRun finds the events of one line of a source merged by
	// time with others, within its run of ids.
	sqlLineInRun = "SELECT min(id), max(id) FROM events WHERE id >= ? AND id <= ? AND source = ? AND line = ?"
	// sqlSourceFirst finds the source of an event and its first event.
	sqlSourceFirst = "SELECT s.id, s.first_event FROM events e JOIN sources s ON s.id = e.source WHERE e.id = ?"

	// sqlBlocksBefore reads a key's postings blocks that hold ids below
	// a bound, newest first.
	sqlBlocksBefore = `SELECT first, n, ids FROM postings
		WHERE system = ? AND ns = ? AND key = ? AND w = ? AND first < ? ORDER BY last DESC`
	// sqlBlocksAfter reads a key's postings blocks that hold ids above a
	// bound, oldest first.
	sqlBlocksAfter = `SELECT first, n, ids FROM postings
		WHERE system = ? AND ns = ? AND key = ? AND w = ? AND last > ? ORDER BY last`
	// sqlNextList finds the next list of a key after list w that has a
	// block beginning before an id (see postingKey).
	sqlNextList = `SELECT w FROM postings
		WHERE system = ? AND ns = ? AND key = ? AND w > ? AND first < ? ORDER BY w LIMIT 1`
	// sqlBlocksOfKeys reads the postings blocks of several keys of one
	// kind; an IN list and an ORDER BY follow.
	sqlBlocksOfKeys = `SELECT key, first, n, ids FROM postings WHERE system = ? AND ns = ? AND w = ? AND key IN `
	// sqlBlocksOfMany reads the postings blocks of several keys, each
	// above a bound; the OR of "(system, ns, key, last >)" groups follows.
	sqlBlocksOfMany = `SELECT system, ns, key, first, n, ids FROM postings WHERE `
	// sqlNSBlocks reads the write blocks of every key of a namespace.
	sqlNSBlocks = `SELECT first, n, ids FROM postings WHERE system = ? AND ns = ? AND w >= 1 AND first < ?`
	// sqlWideBefore reads the events writing a whole namespace before a
	// bound, newest first.
	sqlWideBefore = `SELECT event FROM wide_refs
		WHERE system = ? AND ns = ? AND w = 1 AND event < ? ORDER BY event DESC LIMIT ?`

	// sqlNextNS finds the next namespace of a system in the postings
	// index: repeated, it lists them with one index seek each.
	sqlNextNS  = "SELECT ns FROM postings WHERE system = ? AND ns > ? ORDER BY system, ns LIMIT 1"
	sqlFirstNS = "SELECT ns FROM postings WHERE system = ? AND ns >= ? ORDER BY system, ns LIMIT 1"
	// sqlNextSystem finds the next system of the postings index that is
	// not a link kind (those begin with '#').
	sqlNextSystem = "SELECT system FROM postings WHERE system > ? ORDER BY system LIMIT 1"
	// sqlKeysOfNS lists the keys of a system's namespace (for a glob).
	sqlKeysOfNS = "SELECT DISTINCT key FROM postings WHERE system = ? AND ns = ? AND w >= 0"

	// sqlAnyPosting tells whether a system has any postings.
	sqlAnyPosting = "SELECT 1 FROM postings WHERE system = ? LIMIT 1"

	sqlRejects = "SELECT s.path, r.line, r.reason, r.raw FROM rejects r JOIN sources s ON s.id = r.source"
	// sqlLostBefore lists the rejected lines of sources of the given
	// formats before an event: earlier in its source, or in a source
	// whose events the trace puts before it (or that has none); the IN
	// list of formats follows.
	sqlLostBefore = `SELECT s.path, r.line, r.raw FROM rejects r JOIN sources s ON s.id = r.source
		WHERE (coalesce(s.first_event, 0) < ? OR (r.source = ? AND r.line < ?)) AND s.format IN `
)

// multiInsert returns an INSERT of n rows of cols values each.
func multiInsert(prefix string, cols, n int) string {
	var b strings.Builder
	b.WriteString(prefix)
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(one)
	}
	return b.String()
}

// inList returns "(?,?,...)" with n placeholders.
func inList(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?,", n), ",") + ")"
}

// sqlTempViews creates the views `wat sql` offers as TEMP views of its
// connection: they call wat_event, which the store's own schema may not
// (trusted_schema is off), and a TEMP view is wat's, not the file's.
var sqlTempViews = `
CREATE TEMP VIEW IF NOT EXISTS event_view AS
	SELECT e.id, s.path AS file, e.line, e."offset", e.time,` + eventViewColumns() + `
	       e.raw
	FROM main.events e JOIN main.sources s ON s.id = e.source;
CREATE TEMP VIEW IF NOT EXISTS reject_view AS
	SELECT s.path AS file, r.line, r.reason, r.raw
	FROM main.rejects r JOIN main.sources s ON s.id = r.source;`
