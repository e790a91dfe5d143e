// Package ingest owns wat's trace store: one SQLite file holding every
// ingested request, the keys each one touches, and every line that could
// not be read.
//
// The store answers the lookups specs make (the history of one key before
// one event) from indexes, so an explanation never scans the trace. All SQL
// is in this package, most of it in sql.go, so a second backend needs a
// second dialect, not a second copy of the logic.
package ingest

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/mattn/go-sqlite3"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

//go:embed migrations/*.sql
var migrations embed.FS

// appID marks a SQLite file as a wat store (PRAGMA application_id).
const appID = 0x77617431 // "wat1"

// ErrNotStore is returned when a file is a database but not a wat store.
var ErrNotStore = errors.New("not a wat store")

// ErrNewerStore is returned when a store was written by a newer wat.
var ErrNewerStore = errors.New("store written by a newer wat")

// ErrNotFound is returned when an event or source does not exist.
var ErrNotFound = errors.New("not found")

// A Store is an open trace store.
type Store struct {
	db       *sql.DB
	path     string
	formats  []*formats.Format
	readOnly bool
	names    map[string]int64
	nameOf   map[int64]string
	parsers  map[string]formats.Parser
	srcInfo  map[int64][2]string // source id: path, format
}

var _ provenance.History = (*Store)(nil)

// Options configure Open.
type Options struct {
	// ReadOnly opens the store without write access; it must exist.
	ReadOnly bool
	// Formats are the formats the store may hold: the store re-parses an
	// event's raw line with its source's format to get its arguments.
	Formats []*formats.Format
}

func dsn(path string, ro bool) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	q := url.Values{}
	q.Set("_busy_timeout", "10000")
	if ro {
		q.Set("mode", "ro")
	} else {
		q.Set("_journal_mode", "WAL")
		q.Set("_synchronous", "NORMAL")
		q.Set("_txlock", "immediate")
	}
	q.Set("_cache_size", "-65536") // 64 MiB of page cache
	return "file:" + esc + "?" + q.Encode()
}

// Open opens (and, unless read-only, creates or migrates) the store at path.
func Open(ctx context.Context, path string, opt Options) (*Store, error) {
	db, err := sql.Open("sqlite3", dsn(path, opt.ReadOnly))
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	s := &Store{db: db, path: path, formats: opt.Formats, readOnly: opt.ReadOnly,
		names: map[string]int64{}, nameOf: map[int64]string{}, parsers: map[string]formats.Parser{},
		srcInfo: map[int64][2]string{}}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// Path returns the store's file name.
func (s *Store) Path() string { return s.path }

func (s *Store) migrate(ctx context.Context) error {
	var app, version int
	if err := s.db.QueryRowContext(ctx, "PRAGMA application_id").Scan(&app); err != nil {
		var se sqlite3.Error
		if errors.As(err, &se) && (se.Code == sqlite3.ErrNotADB || se.Code == sqlite3.ErrCorrupt) {
			return fmt.Errorf("%w (%v)", ErrNotStore, err)
		}
		return err
	}
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	if app != appID {
		var n int
		if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&n); err != nil {
			return err
		}
		if n > 0 || app != 0 {
			return ErrNotStore
		}
		if s.readOnly {
			return fmt.Errorf("%w: empty file", ErrNotStore)
		}
	}
	if version > len(files) {
		return fmt.Errorf("%w (schema %d; this wat knows %d)", ErrNewerStore, version, len(files))
	}
	if version == len(files) {
		return nil
	}
	if s.readOnly {
		return fmt.Errorf("store schema %d needs migrating to %d: run any wat command without read-only access first", version, len(files))
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for i, f := range files[version:] {
		b, err := migrations.ReadFile(f)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(b)); err != nil {
			return fmt.Errorf("migration %s: %w", f, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version+i+1)); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", appID)); err != nil {
		return err
	}
	return tx.Commit()
}

// name returns the text of an interned name.
func (s *Store) name(ctx context.Context, id int64) (string, error) {
	if n, ok := s.nameOf[id]; ok {
		return n, nil
	}
	var n string
	if err := s.db.QueryRowContext(ctx, "SELECT name FROM names WHERE id = ?", id).Scan(&n); err != nil {
		return "", fmt.Errorf("name %d: %w", id, err)
	}
	s.nameOf[id], s.names[n] = n, id
	return n, nil
}

// nameID returns the id of an interned name, or -1 when it was never
// stored.
func (s *Store) nameID(ctx context.Context, n string) (int64, error) {
	if id, ok := s.names[n]; ok {
		return id, nil
	}
	var id int64
	err := s.db.QueryRowContext(ctx, "SELECT id FROM names WHERE name = ?", n).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return -1, nil
	}
	if err != nil {
		return 0, err
	}
	s.nameOf[id], s.names[n] = n, id
	return id, nil
}

// A Source is one ingested file.
type Source struct {
	ID                    int64
	Path, Format, Hash    string
	Size                  int64
	Lines, Events         int64
	Rejected, Skipped     int64
	FirstEvent, LastEvent int64
	IngestedAt            int64
}

const sourceCols = "id, path, format, hash, size, lines, events, rejected, skipped, coalesce(first_event, 0), coalesce(last_event, -1), ingested_at"

func scanSource(sc interface{ Scan(...any) error }) (*Source, error) {
	var src Source
	err := sc.Scan(&src.ID, &src.Path, &src.Format, &src.Hash, &src.Size, &src.Lines, &src.Events,
		&src.Rejected, &src.Skipped, &src.FirstEvent, &src.LastEvent, &src.IngestedAt)
	return &src, err
}

// Sources lists the ingested files in ingest order.
func (s *Store) Sources(ctx context.Context) ([]*Source, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+sourceCols+" FROM sources ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Source
	for rows.Next() {
		src, err := scanSource(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, src)
	}
	return out, rows.Err()
}

// SourceByPath returns the source ingested under path, trying the path as
// given, then a unique source whose path ends in /path.
func (s *Store) SourceByPath(ctx context.Context, path string) (*Source, error) {
	srcs, err := s.Sources(ctx)
	if err != nil {
		return nil, err
	}
	var match []*Source
	for _, src := range srcs {
		if src.Path == path {
			return src, nil
		}
		if strings.HasSuffix(src.Path, "/"+path) || strings.HasSuffix(path, "/"+src.Path) {
			match = append(match, src)
		}
	}
	if len(match) == 1 {
		return match[0], nil
	}
	if len(match) > 1 {
		return nil, fmt.Errorf("%q names %d ingested files: give the path as ingested", path, len(match))
	}
	return nil, fmt.Errorf("file %q was never ingested: %w", path, ErrNotFound)
}

// EventAt returns the event logged at a source's line; when the line is
// not an event it returns ErrNotFound and says what the line was.
func (s *Store) EventAt(ctx context.Context, src *Source, line int) (*formats.Event, error) {
	if line < 1 || int64(line) > src.Lines {
		return nil, fmt.Errorf("%s:%d: %w: the file has %d lines", src.Path, line, ErrNotFound, src.Lines)
	}
	// A source's events have consecutive ids and increasing lines: search.
	lo, hi := src.FirstEvent, src.LastEvent
	for lo <= hi {
		mid := (lo + hi) / 2
		var l int
		if err := s.db.QueryRowContext(ctx, "SELECT line FROM events WHERE id = ?", mid).Scan(&l); err != nil {
			return nil, fmt.Errorf("find %s:%d: %w", src.Path, line, err)
		}
		switch {
		case l == line:
			return s.Event(ctx, mid)
		case l < line:
			lo = mid + 1
		default:
			hi = mid - 1
		}
	}
	var reason string
	err := s.db.QueryRowContext(ctx, "SELECT reason FROM rejects WHERE source = ? AND line = ?", src.ID, line).Scan(&reason)
	if err == nil {
		return nil, fmt.Errorf("%s:%d: %w: the line was rejected at ingest: %s", src.Path, line, ErrNotFound, reason)
	}
	return nil, fmt.Errorf("%s:%d: %w: the line is not a request (a banner or blank line)", src.Path, line, ErrNotFound)
}

const eventCols = "e.id, e.source, e.line, e.offset, e.time, e.system, e.ns, e.client, e.op, e.reply, e.raw"

// Event returns one event by id.
func (s *Store) Event(ctx context.Context, id int64) (*formats.Event, error) {
	evs, err := s.queryEvents(ctx, "SELECT "+eventCols+" FROM events e WHERE e.id = ?", id)
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 {
		return nil, fmt.Errorf("event %d: %w", id, ErrNotFound)
	}
	return evs[0], nil
}

// queryEvents runs a query selecting eventCols and decodes the events,
// re-parsing each raw line for its arguments.
func (s *Store) queryEvents(ctx context.Context, q string, args ...any) ([]*formats.Event, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	type rowT struct {
		e              *formats.Event
		source, system int64
		client         int64
	}
	var rs []rowT
	for rows.Next() {
		var r rowT
		r.e = &formats.Event{}
		if err := rows.Scan(&r.e.ID, &r.source, &r.e.Line, &r.e.Offset, &r.e.Time, &r.system, &r.e.NS,
			&r.client, &r.e.Op, &r.e.Reply, &r.e.Raw); err != nil {
			rows.Close()
			return nil, err
		}
		rs = append(rs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]*formats.Event, len(rs))
	for i, r := range rs {
		if err := s.fill(ctx, r.e, r.source, r.system, r.client); err != nil {
			return nil, err
		}
		out[i] = r.e
	}
	return out, nil
}

// fill completes an event read from the store: names, source path, and
// the arguments, parsed again from the raw line.
func (s *Store) fill(ctx context.Context, e *formats.Event, source, system, client int64) error {
	var err error
	if e.System, err = s.name(ctx, system); err != nil {
		return err
	}
	if e.Client, err = s.name(ctx, client); err != nil {
		return err
	}
	src, format, err := s.sourceInfo(ctx, source)
	if err != nil {
		return err
	}
	e.Source = src
	p, err := s.parser(format)
	if err != nil {
		return err
	}
	var fresh formats.Event
	if _, err := p.Parse(e.Raw, &fresh); err != nil {
		return fmt.Errorf("%s:%d: stored line no longer parses: %w", src, e.Line, err)
	}
	e.Args = fresh.Args
	return nil
}

func (s *Store) parser(format string) (formats.Parser, error) {
	if p, ok := s.parsers[format]; ok {
		return p, nil
	}
	f, err := formats.Lookup(format, s.formats)
	if err != nil {
		return nil, fmt.Errorf("store holds events in format %q, which this wat cannot read: %w", format, err)
	}
	p := f.NewParser()
	s.parsers[format] = p
	return p, nil
}

func (s *Store) sourceInfo(ctx context.Context, id int64) (path, format string, err error) {
	if v, ok := s.srcInfo[id]; ok {
		return v[0], v[1], nil
	}
	if err := s.db.QueryRowContext(ctx, "SELECT path, format FROM sources WHERE id = ?", id).Scan(&path, &format); err != nil {
		return "", "", fmt.Errorf("source %d: %w", id, err)
	}
	s.srcInfo[id] = [2]string{path, format}
	return path, format, nil
}

// Touching implements provenance.History: the writes to one key (and to
// its whole namespace, and to every namespace) before an event, newest
// first, each from its index.
func (s *Store) Touching(ctx context.Context, system, ns string, key []byte, before int64, limit int) ([]*formats.Event, error) {
	sys, err := s.nameID(ctx, system)
	if err != nil || sys < 0 {
		return nil, err
	}
	if key == nil {
		key = []byte{}
	}
	return s.queryEvents(ctx, "SELECT "+eventCols+" FROM ("+
		"SELECT event FROM (SELECT event FROM refs WHERE system = ?1 AND ns = ?2 AND key = ?3 AND w = 1 AND event < ?4 ORDER BY event DESC LIMIT ?5) "+
		"UNION SELECT event FROM (SELECT event FROM wide_refs WHERE system = ?1 AND ns = ?2 AND w = 1 AND event < ?4 ORDER BY event DESC LIMIT ?5) "+
		"UNION SELECT event FROM (SELECT event FROM wide_refs WHERE system = ?1 AND ns = '*' AND w = 1 AND event < ?4 ORDER BY event DESC LIMIT ?5) "+
		"ORDER BY event DESC LIMIT ?5) r JOIN events e ON e.id = r.event ORDER BY e.id DESC",
		sys, ns, key, before, limit)
}

// A Filter selects events for Events.
type Filter struct {
	System, NS string
	Key        []byte // nil: any
	Op         string // "": any
	Source     *Source
	After      int64 // id
	Limit      int
}

// Events lists events matching f in trace order, at most f.Limit (0: all)
// at a time, starting after id f.After.
func (s *Store) Events(ctx context.Context, f Filter) ([]*formats.Event, error) {
	var where []string
	var args []any
	from := "events e"
	if f.Key != nil {
		sys, err := s.nameID(ctx, f.System)
		if err != nil || sys < 0 {
			return nil, err
		}
		from = "refs r JOIN events e ON e.id = r.event"
		where = append(where, "r.system = ? AND r.key = ?")
		args = append(args, sys, f.Key)
		if f.NS != "" {
			where = append(where, "r.ns = ?")
			args = append(args, f.NS)
		}
	} else if f.NS != "" {
		where = append(where, "e.ns = ?")
		args = append(args, f.NS)
	}
	if f.Op != "" {
		where = append(where, "e.op = ?")
		args = append(args, strings.ToUpper(f.Op))
	}
	if f.Source != nil {
		where = append(where, "e.source = ?")
		args = append(args, f.Source.ID)
	}
	where = append(where, "e.id > ?")
	args = append(args, f.After)
	q := "SELECT DISTINCT " + eventCols + " FROM " + from + " WHERE " + strings.Join(where, " AND ") + " ORDER BY e.id"
	if f.Limit > 0 {
		q += " LIMIT " + strconv.Itoa(f.Limit)
	}
	return s.queryEvents(ctx, q, args...)
}

// A Reject is a line that could not be read.
type Reject struct {
	Path   string
	Line   int
	Reason string
	Raw    []byte
}

// Rejects lists the rejected lines of a source (all sources when nil).
func (s *Store) Rejects(ctx context.Context, src *Source, limit int) ([]Reject, error) {
	q := "SELECT s.path, r.line, r.reason, r.raw FROM rejects r JOIN sources s ON s.id = r.source"
	var args []any
	if src != nil {
		q += " WHERE r.source = ?"
		args = append(args, src.ID)
	}
	q += " ORDER BY r.source, r.line LIMIT ?"
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Reject
	for rows.Next() {
		var r Reject
		if err := rows.Scan(&r.Path, &r.Line, &r.Reason, &r.Raw); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Query runs one read-only SQL statement and calls each for every row,
// with the column names. Writes are refused (PRAGMA query_only, and a
// read-only connection when the store was opened read-only).
func (s *Store) Query(ctx context.Context, q string, each func(cols []string, vals []any) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA query_only = ON"); err != nil {
		return err
	}
	defer conn.ExecContext(context.Background(), "PRAGMA query_only = OFF")
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if err := each(cols, vals); err != nil {
			return err
		}
	}
	return rows.Err()
}
