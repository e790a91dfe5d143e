package store

import (
	"fmt"
	"strings"
)

// The SQL wat runs, in one place: a second backend supplies its own
// dialect of these statements and of migrations/.

const (
	sqlInsertSource = `INSERT INTO sources(path, format, config, size, hash, lines, events, rejected, skipped, ingested_at, instance, parts)
		VALUES (?, ?, ?, 0, '', 0, 0, 0, 0, ?, ?, ?) RETURNING id`
	sqlFinishSource = `UPDATE sources SET size = ?, hash = ?, lines = ?, events = ?, rejected = ?,
		skipped = ?, first_event = ?, last_event = ? WHERE id = ?`
	// sqlNextEventID: a source's events are ids first_event..last_event,
	// set in the transaction that stores them; on Citus, max over the
	// events table would ask every shard.
	sqlNextEventID = "SELECT coalesce(max(last_event), 0) + 1 FROM sources"
	sqlStandsIn    = "UPDATE sources SET stands_in = ? WHERE id = ?"
	sqlBackwards   = "UPDATE sources SET backwards = ? WHERE id = ?"
	// sqlRenameSource gives a continued source the path it grew under.
	sqlRenameSource = "UPDATE sources SET path = ? WHERE id = ?"

	// Every statement of events names the bucket of the ids it reads
	// (bucket, then id: see bucketOf), the column events are distributed
	// by on Citus; a range of ids, the range of their buckets too.

	// sqlEventTime reads one event's time (a source's span ends).
	sqlEventTime = "SELECT time FROM events WHERE bucket = ? AND id = ?"
	// sqlEventAt reads where one event's line is in its file, and the line.
	sqlEventAt = `SELECT "offset", raw FROM events WHERE bucket = ? AND id = ?`
	// sqlRemoveSource deletes a source and all it stored, each statement
	// taking the source's first and last event ids or its id: postings
	// blocks are written by one ingest, so a block lies inside one
	// source's id range.
	sqlRemovePostings  = "DELETE FROM postings WHERE first >= ? AND last <= ?"
	sqlRemoveWideRefs  = "DELETE FROM wide_refs WHERE event >= ? AND event <= ?"
	sqlRemoveEvents    = "DELETE FROM events WHERE bucket >= ? AND bucket <= ? AND id >= ? AND id <= ?"
	sqlRemoveRejects   = "DELETE FROM rejects WHERE source = ?"
	sqlRemoveSource    = "DELETE FROM sources WHERE id = ?"
	sqlSourcesByHash   = "SELECT id, config FROM sources WHERE hash = ? AND id <> ? ORDER BY id"
	sqlCountSourceSize = "SELECT count(*) FROM sources WHERE size = ?"

	sqlSources    = "SELECT " + sourceCols + " FROM sources ORDER BY id"
	sqlSourceInfo = "SELECT path, format, config, coalesce(first_event, 0), coalesce(last_event, -1), instance FROM sources WHERE id = ?"
	sqlLineOf     = "SELECT line FROM events WHERE bucket = ? AND id = ?"
	// sqlLinesNear reads the lines of a bucket's events from id to id.
	sqlLinesNear = "SELECT id, line FROM events WHERE bucket = ? AND id >= ? AND id <= ? ORDER BY id"
	sqlRejectAt  = "SELECT reason FROM rejects WHERE source = ? AND line = ?"

	eventCols    = "e.id, e.source, e.line, e.\"offset\", e.time, e.raw"
	sqlEventByID = "SELECT " + eventCols + " FROM events e WHERE e.bucket = ? AND e.id = ?"
	// sqlEventsIn reads events of one bucket by id; an IN list follows.
	sqlEventsIn = "SELECT " + eventCols + " FROM events e WHERE e.bucket = ? AND e.id IN "
	// sqlEventsAnyIn reads events by id whatever their buckets (a
	// dialect that is not bucketed); an IN list follows.
	sqlEventsAnyIn = "SELECT " + eventCols + " FROM events e WHERE e.id IN "
	// sqlEventsAfter and sqlEventsOfSrc read a bucket's events after an
	// id, in order (of one source).
	sqlEventsAfter = "SELECT " + eventCols + " FROM events e WHERE e.bucket = ? AND e.id > ? ORDER BY e.id LIMIT ?"
	sqlEventsOfSrc = "SELECT " + eventCols + " FROM events e WHERE e.bucket = ? AND e.source = ? AND e.id > ? ORDER BY e.id LIMIT ?"
	// sqlCallsAfter reads a source's first events after an id, up to
	// another (MergeDoubt).
	sqlCallsAfter = "SELECT " + eventCols + " FROM events e WHERE e.bucket >= ? AND e.bucket <= ? AND e.id > ? AND e.id <= ? AND e.source = ? ORDER BY e.id LIMIT 16"
	// sqlSourcesIn reads the sources of events of one bucket by id; an
	// IN list follows.
	sqlSourcesIn = "SELECT id, source FROM events WHERE bucket = ? AND id IN "
	// sqlSourcesAnyIn reads the sources of events by id whatever their
	// buckets; an IN list follows.
	sqlSourcesAnyIn = "SELECT id, source FROM events WHERE id IN "
	// sqlStoredLines reads a source's stored lines from an id.
	sqlStoredLines = "SELECT line, raw FROM events WHERE bucket >= ? AND bucket <= ? AND id >= ? AND id <= ? AND source = ? ORDER BY id LIMIT ?"
	// sqlStoredTimes reads a source's stored lines and times from an id.
	sqlStoredTimes = "SELECT line, time, raw FROM events WHERE bucket >= ? AND bucket <= ? AND id >= ? AND id <= ? AND source = ? ORDER BY id"
	// sqlMovedEvents reads a page of a source's events to store again.
	sqlMovedEvents = `SELECT id, line, "offset", time, raw FROM events
		WHERE bucket >= ? AND bucket <= ? AND id > ? AND id <= ? AND source = ? ORDER BY id LIMIT 1000`
	// sqlSourceOf finds the source of an event.
	sqlSourceOf = "SELECT source FROM events WHERE bucket = ? AND id = ?"
	// sqlLineInRun finds the events of one line of a source merged by
	// time with others, within its run of ids.
	sqlLineInRun = "SELECT min(id), max(id) FROM events WHERE bucket >= ? AND bucket <= ? AND id >= ? AND id <= ? AND source = ? AND line = ?"

	// sqlBlocksBefore reads a key's postings blocks that hold ids below
	// a bound, newest first.
	sqlBlocksBefore = `SELECT first, n, ids FROM postings
		WHERE system = ? AND ns = ? AND key = ? AND w = ? AND first < ? ORDER BY last DESC`
	// sqlRunSizes sizes what sqlRunBlocks reads: its blocks, their ids
	// and their shapes' bytes.
	sqlRunSizes = `SELECT count(*), CAST(coalesce(sum(n), 0) AS BIGINT), CAST(coalesce(sum(length(shapes)), 0) AS BIGINT) FROM postings
		WHERE system = ? AND ns = ? AND key = ? AND w = 1 AND first < ?`
	// sqlRunBlocks reads a key's write blocks that hold ids below a
	// bound, with their shapes, oldest first.
	sqlRunBlocks = `SELECT first, last, n, ids, shapes FROM postings
		WHERE system = ? AND ns = ? AND key = ? AND w = 1 AND first < ? ORDER BY last`
	// sqlBlockShapes reads the shapes of a key's write blocks that hold
	// ids below a bound.
	sqlBlockShapes = `SELECT shapes FROM postings
		WHERE system = ? AND ns = ? AND key = ? AND w = 1 AND first < ?`
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

	// sqlNextNS finds the next namespace of a system the postings index
	// may hold (see sqlAnyPosting)
	// index: repeated, it lists them with one index seek each.
	sqlNextNS  = "SELECT ns FROM namespaces WHERE system = ? AND ns > ? ORDER BY system, ns LIMIT 1"
	sqlFirstNS = "SELECT ns FROM namespaces WHERE system = ? AND ns >= ? ORDER BY system, ns LIMIT 1"
	// sqlNextSystem finds the next system the postings index may hold
	// (see sqlAnyPosting).
	sqlNextSystem = "SELECT system FROM namespaces WHERE system > ? ORDER BY system LIMIT 1"
	// sqlKeysOfNS lists the keys of a system's namespace (for a glob).
	sqlKeysOfNS = "SELECT DISTINCT key FROM postings WHERE system = ? AND ns = ? AND w >= 0"

	// sqlAnyPosting tells whether a system may have postings (an ingest
	// wrote some; see migration namespaces).
	sqlAnyPosting = "SELECT 1 FROM namespaces WHERE system = ? LIMIT 1"
	// sqlAddNS lists a namespace whose postings an ingest writes.
	sqlAddNS = "INSERT INTO namespaces(system, ns) VALUES (?, ?) ON CONFLICT DO NOTHING"

	sqlRejects = "SELECT s.path, r.line, r.reason, r.raw FROM rejects r JOIN sources s ON s.id = r.source"
	// sqlLostOf lists a source's rejected lines before a line.
	sqlLostOf = "SELECT line, raw FROM rejects WHERE source = ? AND line < ? ORDER BY line LIMIT ?"
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

// insertSQL returns the INSERT of n rows into tb. With counted, it takes
// the first row's first two values as ?1 and ?2 and the other values of
// each row after them: row i's first column is ?1+i, its second ?2.
func insertSQL(tb *table, n int, counted bool) string {
	prefix := "INSERT INTO " + tb.name + "(\"" + strings.Join(tb.cols, "\", \"") + "\") VALUES "
	if !counted {
		return multiInsert(prefix, len(tb.cols), n)
	}
	var b strings.Builder
	b.WriteString(prefix)
	p := 3
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "(?1+%d,?2", i)
		for range len(tb.cols) - 2 {
			fmt.Fprintf(&b, ",?%d", p)
			p++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// countedRows reports whether rows (of nc values each) count up by one in
// their first value and share their second, as an int64 each.
func countedRows(rows []any, nc int) bool {
	first, ok := rows[0].(int64)
	if !ok {
		return false
	}
	for i := 0; i < len(rows); i += nc {
		if id, ok := rows[i].(int64); !ok || id != first+int64(i/nc) || rows[i+1] != rows[1] {
			return false
		}
	}
	return true
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

// bucketBits: the events of 65,536 consecutive ids share a bucket.
const bucketBits = 16

// bucketOf returns the bucket of an event id: a bucket's events are one
// shard's on Citus (README, "PostgreSQL and Citus"), so that a batch of
// ids read bucket by bucket asks one shard a statement.
func bucketOf(id int64) int64 { return id >> bucketBits }

// byID returns the arguments that name one event: its bucket and id.
func byID(id int64) []any { return []any{bucketOf(id), id} }

// idRange returns the arguments that name the ids lo..hi: their buckets'
// range, then theirs.
func idRange(lo, hi int64) []any { return []any{bucketOf(lo), bucketOf(max(lo, hi)), lo, hi} }
