// Package store is wat's trace store: a SQLite file (or a PostgreSQL
// schema) holding every ingested request, the keys each one touches, and
// every line that could not be read, by source file and instance.
//
// The store answers the lookups specs make (the history of one key before
// one event, within one instance: scope.go) from indexes, so an
// explanation never scans the trace. Files are stored by loads
// (load.go), which keep each instance's files in time order (reorder.go)
// and store a line shared by two files once (overlap.go). All SQL is in
// this package, most of it in sql.go, so a second backend needs a second
// dialect, not a second copy of the logic.
package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

//go:embed migrations
var migrations embed.FS

// appID marks a SQLite file as a wat store (PRAGMA application_id).
const appID = 0x77617431 // "wat1"

// ErrNotStore is returned when a file is a database but not a wat store.
var ErrNotStore = errors.New("not a wat store")

// ErrNewerStore is returned when a store was written by a newer wat.
var ErrNewerStore = errors.New("store written by a newer wat")

// ErrReadOnly is returned when a store must be written and this user may
// not write it.
var ErrReadOnly = errors.New("the store is read-only to this user")

// ErrOlderStore is returned when a store opened read-only was made by an
// older wat: its schema must be migrated by an open that may write.
var ErrOlderStore = errors.New("store made by an older wat")

// ErrNotFound is returned when an event or source does not exist.
var ErrNotFound = errors.New("not found")

// A Store is an open trace store.
type Store struct {
	db       *sqlDB
	path     string
	url      string // PostgreSQL: the URL as given, password included
	reader   string // PostgreSQL: Options.Reader
	formats  []*formats.Format
	index    func() map[string]func(*formats.Event) []formats.Ref
	readOnly bool
	frozen   bool // opened immutable: read-only to this user, no WAL
	parsers  map[string]formats.Parser
	hasCalls *bool                 // whether any service's call records are stored
	hasPairs *bool                 // whether any reply records are paired with calls
	hasLinks *bool                 // whether any links between requests are stored (HasLinks)
	runs     map[[2]int64][2]int64 // (source, line): first and last event ids
	srcInfo  map[int64]srcInfo
	srcMu    sync.Mutex
	srcList  []*Source // a read-only store's sources, once read
	spans    sync.Map  // source id -> [2]int64, until the sources change
	scopesMu sync.Mutex
	scopes   map[int64]*Scoped // by source id; cleared when the sources change
	eventsMu sync.Mutex
	events   map[int64]*formats.Event // read by id, kept; cleared when the sources change
	wideMu   sync.Mutex
	wide     map[[2]string]wideIDs // by system and namespace; cleared when the sources change
}

// wideIDs are the events that write a whole namespace, newest first,
// when there are at most maxCachedWide of them (all).
type wideIDs struct {
	ids []int64
	all bool
}

// maxCachedWide bounds the ids of whole-namespace writes a store keeps
// in memory for each namespace.
const maxCachedWide = 4096

var _ provenance.History = (*Store)(nil)

// Options configure Open.
type Options struct {
	// ReadOnly opens the store without write access; it must exist.
	ReadOnly bool
	// Formats are the formats the store may hold: the store re-parses an
	// event's raw line with its source's format to get its arguments.
	Formats []*formats.Format
	// Index returns fresh index functions, by system, for one file: the
	// refs Load.Event is given, computed again when the store stores a
	// file's events again (to keep an instance's files in time order, or
	// to remove a file merged by time with others). Without it, files
	// stay where they were stored.
	Index func() map[string]func(*formats.Event) []formats.Ref
	// Reader is, on PostgreSQL, the URL of a role that may only read the
	// store, for Query to run as instead of the reader role wat made
	// (see ensureReader); it must not be a superuser.
	Reader string
	// TraceSQL, when not nil, is written every statement the store
	// sends, a line each (WAT_TRACE_SQL): for whoever checks what a
	// distributed database is asked. Close closes it when it is an
	// io.Closer.
	TraceSQL io.Writer
}

func dsn(path string, ro bool) string { return dsnMode(path, ro, false) }

// dsnMode is dsn, and with immutable the file is read as one that cannot
// change: no locks and no shared-memory file, which a user who may not
// write next to the store cannot create.
func dsnMode(path string, ro, immutable bool) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	q := url.Values{}
	q.Set("_busy_timeout", "10000")
	if ro {
		q.Set("mode", "ro")
		if immutable {
			q.Set("immutable", "1")
		}
	} else {
		q.Set("_synchronous", "NORMAL")
		q.Set("_txlock", "immediate")
	}
	return "file:" + esc + "?" + q.Encode()
}

// IsPostgres tells whether a store location names a PostgreSQL database
// (a postgres:// or postgresql:// URL) rather than a SQLite file.
func IsPostgres(location string) bool {
	return strings.HasPrefix(location, "postgres://") || strings.HasPrefix(location, "postgresql://")
}

// newStore makes a Store of an open database shown as path: one
// connection, as an ingest's transaction and the lookups around it take
// turns, and empty caches.
func newStore(db *sql.DB, d *dialect, path string, opt Options) *Store {
	db.SetMaxOpenConns(1)
	var trace *sqlTrace
	if opt.TraceSQL != nil {
		trace = &sqlTrace{w: opt.TraceSQL}
	}
	return &Store{db: &sqlDB{db, d, trace}, path: path, formats: opt.Formats, index: opt.Index, readOnly: opt.ReadOnly, reader: opt.Reader,
		parsers: map[string]formats.Parser{},
		srcInfo: map[int64]srcInfo{}, runs: map[[2]int64][2]int64{}, scopes: map[int64]*Scoped{}}
}

// Open opens (and, unless read-only, creates or migrates) the store at
// path: a SQLite file, or a PostgreSQL database named by a postgres://
// URL.
func Open(ctx context.Context, path string, opt Options) (*Store, error) {
	registerFormats(opt.Formats)
	if IsPostgres(path) {
		return openPostgres(ctx, path, opt)
	}
	drv := driverName
	if opt.ReadOnly {
		drv += "_ro"
		hugePageCache() // before SQLite's first connection initializes it
	}
	db, err := sql.Open(drv, dsn(path, opt.ReadOnly))
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := newStore(db, sqliteDialect, path, opt)
	err = s.migrate(ctx)
	if err != nil && opt.ReadOnly && cannotShare(err) {
		// A store the user may read but not write beside (another
		// user's, on read-only media): SQLite cannot create the WAL's
		// shared-memory file. It is read as immutable, which is safe
		// only when no WAL holds newer pages.
		db.Close()
		if fi, werr := os.Stat(path + "-wal"); werr == nil && fi.Size() > 0 {
			return nil, fmt.Errorf("open store %s: read-only to this user, and its write-ahead log %s-wal is not yet merged: run any wat command on it as its owner, or copy the store with its -wal file", path, path)
		}
		if db, err = sql.Open(drv, dsnMode(path, true, true)); err != nil {
			return nil, fmt.Errorf("open store %s: %w", path, err)
		}
		db.SetMaxOpenConns(1)
		s.db, s.frozen = &sqlDB{db, sqliteDialect, s.db.trace}, true
		err = s.migrate(ctx)
	}
	if err != nil {
		db.Close()
		var se sqlite3.Error
		if errors.As(err, &se) && se.Code == sqlite3.ErrReadonly {
			return nil, fmt.Errorf("open store %s: %w (%v)", path, ErrReadOnly, err)
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// cannotShare tells whether opening a store failed because SQLite may
// not create or write its shared-memory or lock files.
func cannotShare(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrReadonly || se.Code == sqlite3.ErrCantOpen || se.Code == sqlite3.ErrPerm)
}

// IsCorrupt tells whether err is SQLite finding the store damaged.
func IsCorrupt(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.Code == sqlite3.ErrCorrupt
}

// IsFull tells whether err is SQLite failing to grow the store: a full
// disk (SQLITE_FULL) or a write refused for the file's size (EFBIG, a
// file size limit).
func IsFull(err error) bool {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code == sqlite3.ErrFull || (se.Code == sqlite3.ErrIoErr && (se.SystemErrno == syscall.EFBIG || se.SystemErrno == syscall.ENOSPC))
}

// Immutable tells whether the store was opened as a file that cannot
// change, because this user may not create the files SQLite shares
// between readers and writers; an ingest running meanwhile is not seen.
func (s *Store) Immutable() bool { return s.frozen }

// Close closes the store.
func (s *Store) Close() error {
	err := s.db.Close()
	if t := s.db.trace; t != nil {
		if c, ok := t.w.(io.Closer); ok {
			if cerr := c.Close(); err == nil {
				err = cerr
			}
		}
	}
	return err
}

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
	files, err := migrationFiles("sqlite")
	if err != nil {
		return err
	}
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
	tx, err := s.beginMigration(ctx, version, len(files))
	if tx == nil {
		return err
	}
	defer tx.Rollback()
	if err := applyMigrations(ctx, tx, files, version, func(v int) error {
		_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v))
		return err
	}); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", appID)); err != nil {
		return err
	}
	return tx.Commit()
}

// migrationFiles lists the migrations of a dialect ("sqlite",
// "postgres"), in the order they run.
func migrationFiles(dialect string) ([]string, error) {
	files, err := fs.Glob(migrations, "migrations/"+dialect+"/*.sql")
	sort.Strings(files)
	return files, err
}

// beginMigration compares a store's schema version with the n migrations
// this wat has and, when some are due, begins the transaction that runs
// them. The transaction is nil when there is nothing to do, or an error:
// the store is newer than this wat or, opened read-only, older.
func (s *Store) beginMigration(ctx context.Context, version, n int) (*sqlTx, error) {
	switch {
	case version > n:
		return nil, fmt.Errorf("%w (schema %d; this wat knows %d)", ErrNewerStore, version, n)
	case version == n:
		return nil, nil
	case s.readOnly:
		return nil, fmt.Errorf("%w: schema %d needs migrating to %d, which a read-only open does not do", ErrOlderStore, version, n)
	}
	return s.db.beginTx(ctx, nil)
}

// applyMigrations runs in tx the migration files past the first version
// ones, recording with setVersion the version each one reaches.
func applyMigrations(ctx context.Context, tx *sqlTx, files []string, version int, setVersion func(v int) error) error {
	for i, f := range files[version:] {
		b, err := migrations.ReadFile(f)
		if err != nil {
			return err
		}
		stmts, err := splitStatements(string(b))
		if err == nil && len(stmts) == 0 {
			err = errNoStatement
		}
		if err != nil {
			return fmt.Errorf("migration %s: %w", f, err)
		}
		for _, q := range stmts {
			if err := tx.execOne(ctx, q); err != nil {
				return fmt.Errorf("migration %s: %w", f, err)
			}
		}
		if err := setVersion(version + i + 1); err != nil {
			return err
		}
	}
	return nil
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
	// Instance is the instance of its system the file belongs to: one
	// server's files are one instance (see IngestOptions.Instance). ""
	// is none: the file joins the history of every instance.
	Instance string
	// StandsIn names the black boxes (systems, space-separated) that the
	// file holds a service's records of calls to (formats.Event's
	// ClientRecord). Those records stand in for a box's own log: they are
	// the history of requests explained from them, and are left out of
	// the history of a box's own log (see Store.ScopeOf).
	StandsIn string
	// Parts is the version of the index its events were indexed with
	// (see provenance.IndexVersion); 0 for a file ingested before there
	// was one.
	Parts int
	// Backwards counts its events with no time, or a time earlier than
	// one before them in the file; -1 when not known (a file ingested by
	// an older wat). See Scoped.TimeOrdered.
	Backwards int64
}

const sourceCols = "id, path, format, hash, size, lines, events, rejected, skipped, coalesce(first_event, 0), coalesce(last_event, -1), ingested_at, instance, stands_in, parts, coalesce(backwards, -1)"

// Sources lists the ingested files in ingest order.
func (s *Store) Sources(ctx context.Context) ([]*Source, error) {
	if !s.readOnly {
		return s.sources(ctx, s.db)
	}
	// A command that only reads asks for the list many times (an
	// explanation, five): read it once, as the other per-source caches
	// are (an ingest running meanwhile is not seen).
	s.srcMu.Lock()
	defer s.srcMu.Unlock()
	if s.srcList == nil {
		srcs, err := s.sources(ctx, s.db)
		if err != nil {
			return nil, err
		}
		s.srcList = srcs
	}
	return slices.Clone(s.srcList), nil
}

// sources is Sources read through db or a transaction.
func (s *Store) sources(ctx context.Context, db querier) ([]*Source, error) {
	return queryAll(ctx, db, sqlSources, nil, func(rows *sql.Rows) (*Source, error) {
		var src Source
		var instance sql.NullString
		err := rows.Scan(&src.ID, &src.Path, &src.Format, &src.Hash, &src.Size, &src.Lines, &src.Events,
			&src.Rejected, &src.Skipped, &src.FirstEvent, &src.LastEvent, &src.IngestedAt, &instance, &src.StandsIn, &src.Parts, &src.Backwards)
		src.Instance = instance.String
		if !instance.Valid { // a store made before instances
			src.Instance = formats.DefaultInstance(s.format(src.Format), src.Path)
		}
		return &src, err
	})
}

// format returns the format named name among the store's, or nil.
func (s *Store) format(name string) *formats.Format {
	for _, f := range s.formats {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// A querier is the store's database or a transaction of it.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// queryAll runs q and returns every row, in order, as scan reads it.
func queryAll[T any](ctx context.Context, db querier, q string, args []any, scan func(*sql.Rows) (T, error)) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// SourceSpan returns the times of a source's first and last events
// (0, 0 when it has none): its span, when its lines are in time order.
func (s *Store) SourceSpan(ctx context.Context, src *Source) (first, last int64, err error) {
	if src.FirstEvent > src.LastEvent {
		return 0, 0, nil
	}
	if v, ok := s.spans.Load(src.ID); ok {
		span := v.([2]int64)
		return span[0], span[1], nil
	}
	defer func() {
		if err == nil {
			s.spans.Store(src.ID, [2]int64{first, last})
		}
	}()
	if err := s.db.QueryRowContext(ctx, sqlEventTime, byID(src.FirstEvent)...).Scan(&first); err != nil {
		return 0, 0, fmt.Errorf("span of %s: %w", src.Path, err)
	}
	if err := s.db.QueryRowContext(ctx, sqlEventTime, byID(src.LastEvent)...).Scan(&last); err != nil {
		return 0, 0, fmt.Errorf("span of %s: %w", src.Path, err)
	}
	return first, last, nil
}

// RemoveSource deletes a source and everything ingested from it (its
// events, their postings and wide references, its rejected lines) in one
// transaction: the store is as if the file had never been ingested.
func (s *Store) RemoveSource(ctx context.Context, src *Source) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return fmt.Errorf("remove %s: %w", src.Path, err)
	}
	defer tx.Rollback()
	w := newWriter(ctx, tx)
	defer w.post.stop()
	if err := tx.QueryRowContext(ctx, sqlNextEventID).Scan(&w.nextID); err != nil {
		return err
	}
	if err := s.removeSourceTx(ctx, tx, w, src); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("remove %s: commit: %w", src.Path, err)
	}
	s.sourcesChanged()
	return nil
}

// beginWrite begins a transaction that changes the trace (an ingest, a
// removal). Writers run one at a time: SQLite's write lock makes them,
// and on PostgreSQL an advisory lock, since event ids are the trace
// order, taken from max(id).
func (s *Store) beginWrite(ctx context.Context) (*sqlTx, error) {
	tx, err := s.db.beginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	if s.db.d == postgresDialect {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", int64(appID)); err != nil {
			tx.Rollback()
			return nil, fmt.Errorf("lock: %w", err)
		}
	}
	return tx, nil
}

// removeSourceTx deletes, in tx, a source and all it stored. A source
// merged by time with others has its events among theirs: they are
// stored again without it (with w).
func (s *Store) removeSourceTx(ctx context.Context, tx *sqlTx, w *writer, src *Source) error {
	srcs, err := s.sources(ctx, tx)
	if err != nil {
		return err
	}
	for _, g := range groupsOf(srcs) {
		if len(g) < 2 || !slices.ContainsFunc(g, func(o *Source) bool { return o.ID == src.ID }) {
			continue
		}
		if s.index == nil {
			return fmt.Errorf("remove %s: it is merged by time with %s, and this store was opened without index functions to store them again", src.Path, g[0].Path)
		}
		var keep []*Source
		var drop *Source
		for _, o := range g {
			if o.ID == src.ID {
				drop = o
			} else {
				keep = append(keep, o)
			}
		}
		if err := s.resequence(ctx, tx, w, keep, []*Source{drop}); err != nil {
			return fmt.Errorf("remove %s: %w", src.Path, err)
		}
		for _, q := range []string{sqlRemoveRejects, sqlRemoveSource} {
			if _, err := tx.ExecContext(ctx, q, src.ID); err != nil {
				return fmt.Errorf("remove %s: %w", src.Path, err)
			}
		}
		return nil
	}
	// Its ids as stored now (another removal may have moved them).
	if i := slices.IndexFunc(srcs, func(o *Source) bool { return o.ID == src.ID }); i >= 0 {
		src = srcs[i]
	}
	return removeRun(ctx, tx, src)
}

// removeRun deletes, in tx, a source whose events are a run of their own,
// and all it stored.
func removeRun(ctx context.Context, tx *sqlTx, src *Source) error {
	steps := []struct {
		q    string
		args []any
	}{
		{sqlRemovePostings, []any{src.FirstEvent, src.LastEvent}},
		{sqlRemoveWideRefs, []any{src.FirstEvent, src.LastEvent}},
		{sqlRemoveEvents, idRange(src.FirstEvent, src.LastEvent)},
		{sqlRemoveRejects, []any{src.ID}},
		{sqlRemoveSource, []any{src.ID}},
	}
	for _, st := range steps {
		if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
			return fmt.Errorf("remove %s: %w", src.Path, err)
		}
	}
	return nil
}

// GrownFrom returns the stored source of the named instance (or, with
// none named, of the same LogName) whose whole content the file r begins
// with: the log grew since it was ingested (mon.log again, or rotated to
// mon.log.1), and ingesting it replaces that source rather than storing
// its lines twice. Nil when there is none, or r cannot be read twice
// (standard input) or is compressed (a compressed source's offsets and
// hash are of its decompressed bytes). wholeLines tells whether the
// stored content ended at a line's end (so the file's later lines are all
// new).
func (s *Store) GrownFrom(ctx context.Context, path, instance string, r io.Reader, size int64) (grown *Source, wholeLines bool, err error) {
	rs, ok := r.(io.ReadSeeker)
	if !ok || path == "-" || size <= 0 {
		return nil, false, nil
	}
	srcs, err := s.Sources(ctx)
	if err != nil {
		return nil, false, err
	}
	for i := len(srcs) - 1; i >= 0; i-- {
		src := srcs[i]
		if (instance != "" && src.Instance != instance) || (instance == "" && formats.LogName(src.Path) != formats.LogName(path)) || src.Path == "-" || src.Size <= 0 || src.Size >= size || src.FirstEvent > src.LastEvent {
			continue
		}
		// Its first event's line where it stood, before hashing as much
		// of the file as it held.
		var at int64
		var raw []byte
		if err := s.db.QueryRowContext(ctx, sqlEventAt, byID(src.FirstEvent)...).Scan(&at, &raw); err != nil {
			return nil, false, err
		}
		line := make([]byte, len(raw))
		_, err = rs.Seek(at, io.SeekStart)
		if err == nil {
			_, err = io.ReadFull(rs, line)
		}
		if _, serr := rs.Seek(0, io.SeekStart); serr != nil {
			return nil, false, serr
		}
		if err != nil || !bytes.Equal(line, raw) {
			continue
		}
		h := sha256.New()
		var magic [2]byte
		n, _ := io.ReadFull(rs, magic[:])
		h.Write(magic[:n])
		if n == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
			_, err = rs.Seek(0, io.SeekStart)
			return nil, false, err // compressed: its stored hash is of other bytes
		}
		_, err = io.CopyN(h, rs, src.Size-int64(n))
		if _, serr := rs.Seek(0, io.SeekStart); serr != nil {
			return nil, false, serr
		}
		if err == nil && hex.EncodeToString(h.Sum(nil)) == src.Hash {
			// Whether it ended at a line's end: else its last line went
			// on in the file.
			var last [1]byte
			if _, err := rs.Seek(src.Size-1, io.SeekStart); err != nil {
				return nil, false, err
			}
			_, err := io.ReadFull(rs, last[:])
			if _, serr := rs.Seek(0, io.SeekStart); serr != nil {
				return nil, false, serr
			}
			return src, err == nil && last[0] == '\n', nil
		}
	}
	return nil, false, nil
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
	return s.EventAtPart(ctx, src, line, 0)
}

// ErrSeveral is returned by EventAtPart when a line holds several events
// and no part was given.
var ErrSeveral = errors.New("the line holds several events")

// EventAtPart returns the part-th event of a line that holds several (an
// OTLP export line holds many spans); part 0 asks for the line's only
// event.
func (s *Store) EventAtPart(ctx context.Context, src *Source, line, part int) (*formats.Event, error) {
	if line < 1 || int64(line) > src.Lines {
		return nil, fmt.Errorf("%s:%d: %w: the file has %d lines", src.Path, line, ErrNotFound, src.Lines)
	}
	merged, err := s.mergedWith(ctx, src)
	if err != nil {
		return nil, err
	}
	var first, last int64
	if len(merged) > 0 {
		// Its events are among others': read them from its run.
		var lo, hi sql.NullInt64
		err = s.db.QueryRowContext(ctx, sqlLineInRun, append(idRange(src.FirstEvent, src.LastEvent), src.ID, line)...).Scan(&lo, &hi)
		first, last = lo.Int64, hi.Int64
		if !lo.Valid {
			first, last = 1, 0
		}
	} else {
		// Where the line's events are if lines and events advance
		// together.
		near := src.FirstEvent + int64(line-1)*(src.LastEvent-src.FirstEvent+1)/max(src.Lines, 1)
		first, last, err = s.lineRun(ctx, src.ID, src.FirstEvent, src.LastEvent, line, near)
	}
	if err != nil {
		return nil, fmt.Errorf("find %s:%d: %w", src.Path, line, err)
	}
	n := int(last - first + 1)
	switch {
	case n > 0 && part == 0 && n > 1:
		return nil, fmt.Errorf("%s:%d: %w (%d): give %s:%d.K, K from 1 to %d", src.Path, line, ErrSeveral, n, src.Path, line, n)
	case n > 0 && part == 0:
		return s.Event(ctx, first)
	case n > 0 && part <= n:
		return s.Event(ctx, first+int64(part)-1)
	case n > 0:
		return nil, fmt.Errorf("%s:%d.%d: %w: the line holds %d events", src.Path, line, part, ErrNotFound, n)
	}
	var reason string
	err = s.db.QueryRowContext(ctx, sqlRejectAt, src.ID, line).Scan(&reason)
	if err == nil {
		return nil, fmt.Errorf("%s:%d: %w: the line was rejected at ingest: %s", src.Path, line, ErrNotFound, reason)
	}
	return nil, fmt.Errorf("%s:%d: %w: the line is not a request (a banner or blank line), or the first half of a call the log split in two "+
		"(strace's <unfinished ...>: the call is at the line that resumes it; a call its process exited in resumes nowhere), or another file of its instance holds it too and it is "+
		"stored once, from there (the ingest summary said which lines)", src.Path, line, ErrNotFound)
}

// Around returns, for a line of src, the last event of src before it
// (nil when there is none) and at most limit events of src after it, in
// order, not the line's own: what a caller needs to find, from the
// file's text, the call a line began that the log split in two
// (strace's "<unfinished ...>" line; the call is stored at the line that
// resumes it, and the line holds no event, or one of the call's start).
func (s *Store) Around(ctx context.Context, src *Source, line, limit int) (before *formats.Event, after []*formats.Event, err error) {
	if line < 1 || int64(line) > src.Lines || src.FirstEvent > src.LastEvent {
		return nil, nil, fmt.Errorf("%s:%d: %w", src.Path, line, ErrNotFound)
	}
	// The first event after the line: in a file of its own, its events'
	// ids and lines advance together (lineRun); merged with others, the
	// events of the file after the line, by id, from its first.
	from := src.FirstEvent - 1
	merged, err := s.mergedWith(ctx, src)
	if err != nil {
		return nil, nil, err
	}
	if len(merged) == 0 {
		near := src.FirstEvent + int64(line-1)*(src.LastEvent-src.FirstEvent+1)/max(src.Lines, 1)
		first, _, err := s.lineRun(ctx, src.ID, src.FirstEvent, src.LastEvent, line, near)
		if err != nil {
			return nil, nil, fmt.Errorf("find %s:%d: %w", src.Path, line, err)
		}
		from = max(first-2, src.FirstEvent-1) // from the event before it
	}
	for read := 0; read < maxAroundScan; {
		evs, err := s.eventsAfter(ctx, src.ID, from, limit+1)
		read += len(evs)
		if err != nil {
			return nil, nil, err
		}
		for _, e := range evs {
			switch {
			case e.Line < line:
				before = e
			case e.Line > line && len(after) < limit:
				after = append(after, e)
			}
		}
		if len(evs) == 0 || len(after) > 0 || len(evs) <= limit {
			return before, after, nil
		}
		from = evs[len(evs)-1].ID
	}
	return nil, nil, fmt.Errorf("%s:%d: %w: more than %d events of the file come before it, among other files' (a file merged by time)", src.Path, line, ErrNotFound, maxAroundScan)
}

// maxAroundScan bounds the events Around reads of a file merged with
// others to reach a line.
const maxAroundScan = 1 << 20

// mergedWith returns the sources merged by time with src (their events
// share a run of ids).
func (s *Store) mergedWith(ctx context.Context, src *Source) ([]*Source, error) {
	srcs, err := s.Sources(ctx)
	if err != nil {
		return nil, err
	}
	for _, g := range groupsOf(srcs) {
		if slices.ContainsFunc(g, func(o *Source) bool { return o.ID == src.ID }) {
			return slices.DeleteFunc(g, func(o *Source) bool { return o.ID == src.ID }), nil
		}
	}
	return nil, nil
}

// lineRun returns the ids of the first and last events of a source's line
// (last < first when it has none). A source's events are the ids lo..hi
// and their lines do not decrease. One read of the events around near (a
// guess) usually settles it (lineNear); else two searches (searchLine),
// each lookup one indexed read of one event. Each statement names one
// bucket: on Citus, one shard.
func (s *Store) lineRun(ctx context.Context, source, lo, hi int64, line int, near int64) (int64, int64, error) {
	key := [2]int64{source, int64(line)}
	if r, ok := s.runs[key]; ok {
		return r[0], r[1], nil
	}
	seen := map[int64]int{}
	first, last, ok, err := s.lineNear(ctx, lo, hi, line, near, seen)
	if err != nil {
		return 0, 0, err
	}
	if ok {
		s.keepRun(key, first, last)
		return first, last, nil
	}
	lineOf := func(id int64) (int, error) {
		if l, ok := seen[id]; ok {
			return l, nil
		}
		var l int
		err := s.db.QueryRowContext(ctx, sqlLineOf, byID(id)...).Scan(&l)
		seen[id] = l
		return l, err
	}
	if first, err = searchLine(lo, hi, line, lineOf); err != nil {
		return 0, 0, err
	}
	after, err := searchLine(first, hi, line+1, lineOf)
	if err != nil {
		return 0, 0, err
	}
	last = after - 1
	s.keepRun(key, first, last)
	return first, last, nil
}

// keepRun remembers a line's run of ids (lineRun), at most 100,000.
func (s *Store) keepRun(key [2]int64, first, last int64) {
	if len(s.runs) > 100000 {
		clear(s.runs)
	}
	s.runs[key] = [2]int64{first, last}
}

// lineWindow is how many events either side of its guess lineNear reads.
const lineWindow = 32

// lineNear reads the lines of the events lo..hi within lineWindow of
// near, in near's bucket (one statement), into seen, and says whether
// they settle line's run of ids: a line below it in the window, or the
// window starts at lo; a line above it, or the window ends at hi.
func (s *Store) lineNear(ctx context.Context, lo, hi int64, line int, near int64, seen map[int64]int) (first, last int64, ok bool, err error) {
	b := bucketOf(near)
	a := max(lo, near-lineWindow, b<<bucketBits)
	z := min(hi, near+lineWindow, (b+1)<<bucketBits-1)
	if a > z {
		return 0, 0, false, nil
	}
	type idLine struct {
		id   int64
		line int
	}
	rows, err := queryAll(ctx, s.db, sqlLinesNear, []any{b, a, z}, func(rows *sql.Rows) (idLine, error) {
		var r idLine
		err := rows.Scan(&r.id, &r.line)
		return r, err
	})
	if err != nil || int64(len(rows)) != z-a+1 { // not the source's run of ids: search
		return 0, 0, false, err
	}
	ge, gt := z+1, z+1 // the first ids with a line at least, and above, line
	for _, r := range rows {
		seen[r.id] = r.line
		if r.line >= line && ge > z {
			ge = r.id
		}
		if r.line > line && gt > z {
			gt = r.id
		}
	}
	if (ge > a || a == lo) && (gt <= z || z == hi) {
		return ge, gt - 1, true, nil
	}
	return 0, 0, false, nil
}

// Event returns one event by id.
func (s *Store) Event(ctx context.Context, id int64) (*formats.Event, error) {
	evs, err := s.queryEvents(ctx, sqlEventByID, byID(id)...)
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 {
		return nil, fmt.Errorf("event %d: %w", id, ErrNotFound)
	}
	return evs[0], nil
}

// queryEvents runs a query selecting eventCols and decodes the events,
// re-parsing each raw line for the rest of the event. The events are
// made as one block and parsed through one scratch event: an answer that
// lists a hot key's first thousand requests reads a thousand events, and
// an allocation each (twice, with the scratch) was memory the process
// touched for the first time.
func (s *Store) queryEvents(ctx context.Context, q string, args ...any) ([]*formats.Event, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var out []*formats.Event
	var sources []int64
	var block []formats.Event // made in blocks growing to 256 events
	for rows.Next() {
		if len(block) == 0 {
			block = make([]formats.Event, min(256, max(8, len(out))))
		}
		e := &block[0]
		block = block[1:]
		var source int64
		if err := rows.Scan(&e.ID, &source, &e.Line, &e.Offset, &e.Time, &e.Raw); err != nil {
			rows.Close()
			return nil, err
		}
		out, sources = append(out, e), append(sources, source)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var scratch formats.Event
	for i, e := range out {
		if err := s.fill(ctx, e, sources[i], &scratch); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// fill completes an event read from the store: its source path, and the
// rest of the event, parsed again from the raw line into scratch.
func (s *Store) fill(ctx context.Context, e *formats.Event, source int64, scratch *formats.Event) error {
	si, err := s.sourceInfo(ctx, source)
	if err != nil {
		return err
	}
	src := si.path
	e.Source = src
	p, f, err := s.parser(si.format, si.config, si.path)
	if err != nil {
		return err
	}
	*scratch = formats.Event{}
	fresh := scratch
	if res, err := p.Parse(e.Raw, fresh); err != nil || res != formats.IsEvent {
		if err == nil {
			err = errors.New("not an event")
		}
		return fmt.Errorf("%s:%d: stored line no longer parses: %w", src, e.Line, err)
	}
	e.System, e.NS, e.Client, e.Op, e.Args = fresh.System, fresh.NS, fresh.Client, fresh.Op, fresh.Args
	e.Service, e.ReqID, e.Parent, e.Trace, e.Instance = fresh.Service, fresh.ReqID, fresh.Parent, fresh.Trace, fresh.Instance
	e.Partial, e.Doubt, e.DoubtArgs = fresh.Partial, fresh.Doubt, fresh.DoubtArgs
	if e.Instance == "" && !e.ClientRecord {
		e.Instance = si.instance // the instance whose log it is
	}
	e.ClientRecord, e.ReplyRecord = fresh.ClientRecord, fresh.ReplyRecord
	if _, multi := p.(formats.MultiParser); multi {
		first, last, err := s.lineRun(ctx, source, si.first, si.last, e.Line, e.ID)
		if err != nil {
			return err
		}
		if last > first {
			e.Part = int(e.ID - first + 1)
		}
	}
	if e.Reply == nil && !e.ReplyRecord {
		if err := s.pairedReply(ctx, e); err != nil {
			return err
		}
	}
	if e.System == "" {
		e.System = f.System
	}
	if fresh.Reply != nil {
		e.Reply = append([]byte(nil), fresh.Reply...)
	}
	return nil
}

func (s *Store) parser(format string, config []byte, path string) (formats.Parser, *formats.Format, error) {
	f, err := formats.Lookup(format, s.formats)
	if err != nil {
		return nil, nil, fmt.Errorf("store holds events in format %q, which this wat cannot read: %w", format, err)
	}
	key := format + "\x00" + string(config)
	p, ok := s.parsers[key]
	if !ok {
		if p, err = f.Parser(config, path); err != nil {
			return nil, nil, fmt.Errorf("stored configuration of format %s: %w", format, err)
		}
	}
	if pp, ok := p.(formats.PathParser); ok {
		pp.SetPath(path)
	}
	s.parsers[key] = p
	return p, f, nil
}

// srcInfo is what loading a source's events needs.
type srcInfo struct {
	path, format string
	config       []byte
	first, last  int64
	instance     string
}

func (s *Store) sourceInfo(ctx context.Context, id int64) (srcInfo, error) {
	if v, ok := s.srcInfo[id]; ok {
		return v, nil
	}
	var v srcInfo
	var instance sql.NullString
	if err := s.db.QueryRowContext(ctx, sqlSourceInfo, id).Scan(&v.path, &v.format, &v.config, &v.first, &v.last, &instance); err != nil {
		return v, fmt.Errorf("source %d: %w", id, err)
	}
	v.instance = instance.String
	if !instance.Valid { // a store made before instances
		v.instance = formats.DefaultInstance(s.format(v.format), v.path)
	}
	s.srcInfo[id] = v
	return v, nil
}

// Touching implements provenance.History: the writes to one key (and to
// its whole namespace, and to every namespace) before an event, newest
// first, from the key's postings blocks and the namespace index.
func (s *Store) Touching(ctx context.Context, system, ns string, key []byte, before int64, limit int) ([]*formats.Event, error) {
	return s.touching(ctx, nil, system, ns, key, before, limit)
}

// touching is Touching of the events in in.
func (s *Store) touching(ctx context.Context, in *idSet, system, ns string, key []byte, before int64, limit int) ([]*formats.Event, error) {
	if key == nil {
		key = []byte{}
	}
	ids, err := s.writeIDs(ctx, in, system, ns, key, before, limit, true)
	if err != nil {
		return nil, err
	}
	return s.newestWithWide(ctx, in, system, ns, ids, before, limit)
}

// newestWithWide adds to ids the writes to the whole namespace ns, and to
// every namespace, before an id, and returns the newest limit events of
// them all, newest first: what Touching and InNamespace answer.
func (s *Store) newestWithWide(ctx context.Context, in *idSet, system, ns string, ids []int64, before int64, limit int) ([]*formats.Event, error) {
	for _, wns := range []string{ns, formats.AllNS} {
		more, err := s.wideBefore(ctx, in, system, wns, before, limit)
		if err != nil {
			return nil, err
		}
		ids = append(ids, more...)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	slices.Reverse(ids)
	if len(ids) > limit {
		ids = ids[:limit]
	}
	return s.eventsByID(ctx, ids)
}

// keyIDsBefore returns the ids in in of the events in list w of a key
// (see postingKey) before an id, newest first, at most limit.
func (s *Store) keyIDsBefore(ctx context.Context, in *idSet, system, ns string, key []byte, w int, before int64, limit int) ([]int64, error) {
	return s.keyIDs(ctx, sqlBlocksBefore, system, ns, key, w, before, limit, func(out, blk []int64) []int64 {
		for i := len(blk) - 1; i >= 0 && len(out) < limit; i-- {
			if blk[i] < before && in.has(blk[i]) {
				out = append(out, blk[i])
			}
		}
		return out
	})
}

// keyIDsAfter returns the ids in in of the events in list w of a key
// after an id, oldest first, at most limit.
func (s *Store) keyIDsAfter(ctx context.Context, in *idSet, system, ns string, key []byte, w int, after int64, limit int) ([]int64, error) {
	return s.keyIDs(ctx, sqlBlocksAfter, system, ns, key, w, after, limit, func(out, blk []int64) []int64 {
		for _, id := range blk {
			if id > after && len(out) < limit && in.has(id) {
				out = append(out, id)
			}
		}
		return out
	})
}

// keyIDs decodes, in the order query (sqlBlocksBefore or sqlBlocksAfter,
// with bound its id) returns them, a key's postings blocks, each handed
// to take to add its ids to out, until limit ids are out.
func (s *Store) keyIDs(ctx context.Context, query, system, ns string, key []byte, w int, bound int64, limit int, take func(out, blk []int64) []int64) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, query, system, ns, key, w, bound)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out, blk []int64
	for len(out) < limit && rows.Next() {
		var first int64
		var n int
		var blob []byte
		if err := rows.Scan(&first, &n, &blob); err != nil {
			return nil, err
		}
		if blk, err = decodeIDs(blk[:0], first, n, blob); err != nil {
			return nil, fmt.Errorf("key %s of %s %s: %w", formats.Quote(key), system, ns, err)
		}
		out = take(out, blk)
	}
	return out, rows.Err()
}

// wideBefore returns the ids in in of the events that write the whole
// namespace ns before an id, newest first, at most limit.
func (s *Store) wideBefore(ctx context.Context, in *idSet, system, ns string, before int64, limit int) ([]int64, error) {
	var out []int64
	if w, err := s.wideOf(ctx, system, ns); err != nil {
		return nil, err
	} else if w.all {
		i := sort.Search(len(w.ids), func(i int) bool { return w.ids[i] < before })
		for _, id := range w.ids[i:] {
			if len(out) == limit {
				break
			}
			if in.has(id) {
				out = append(out, id)
			}
		}
		return out, nil
	}
	for {
		ids, err := queryAll(ctx, s.db, sqlWideBefore, []any{system, ns, before, limit}, scanID)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if in.has(id) && len(out) < limit {
				out = append(out, id)
			}
		}
		if len(ids) < limit || len(out) == limit {
			return out, nil
		}
		before = ids[len(ids)-1]
	}
}

// wideOf returns the writes to the whole namespace ns of system: read
// once (most stores have none, and every history lookup asks), or not
// all of them when there are more than maxCachedWide.
func (s *Store) wideOf(ctx context.Context, system, ns string) (wideIDs, error) {
	k := [2]string{system, ns}
	s.wideMu.Lock()
	w, ok := s.wide[k]
	s.wideMu.Unlock()
	if ok {
		return w, nil
	}
	ids, err := queryAll(ctx, s.db, sqlWideBefore, []any{system, ns, int64(math.MaxInt64), maxCachedWide + 1}, scanID)
	if err != nil {
		return wideIDs{}, err
	}
	w = wideIDs{all: len(ids) <= maxCachedWide}
	if w.all {
		w.ids = ids
	}
	s.wideMu.Lock()
	if s.wide == nil {
		s.wide = map[[2]string]wideIDs{}
	}
	s.wide[k] = w
	s.wideMu.Unlock()
	return w, nil
}

// scanID scans a row of one id (queryAll).
func scanID(rows *sql.Rows) (id int64, err error) {
	err = rows.Scan(&id)
	return id, err
}

// KeysMatching lists the keys of system (of every system when it is "")
// in namespace ns (in all when ns is "") for which match is true, each
// once.
func (s *Store) KeysMatching(ctx context.Context, system, ns string, match func(key []byte) bool) ([][]byte, error) {
	pairs, err := s.systemNamespaces(ctx, system, ns)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out [][]byte
	for _, p := range pairs {
		keys, err := queryAll(ctx, s.db, sqlKeysOfNS, []any{p[0], p[1]}, func(rows *sql.Rows) ([]byte, error) {
			var k []byte
			return k, rows.Scan(&k)
		})
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if !seen[string(k)] && match(k) {
				seen[string(k)] = true
				out = append(out, k)
			}
		}
	}
	return out, nil
}

// systemNamespaces lists the (system, namespace) pairs of the index
// that a filter names: "" for either is all of them.
func (s *Store) systemNamespaces(ctx context.Context, system, ns string) ([][2]string, error) {
	systems := []string{system}
	if system == "" {
		var err error
		if systems, err = s.systems(ctx); err != nil {
			return nil, err
		}
	}
	var out [][2]string
	for _, sys := range systems {
		nss := []string{ns}
		if ns == "" {
			var err error
			if nss, err = s.namespaces(ctx, sys); err != nil {
				return nil, err
			}
		}
		for _, n := range nss {
			out = append(out, [2]string{sys, n})
		}
	}
	return out, nil
}

// systems lists the black boxes whose keys are indexed.
func (s *Store) systems(ctx context.Context) ([]string, error) {
	var out []string
	sys := ""
	for {
		err := s.db.QueryRowContext(ctx, sqlNextSystem, sys).Scan(&sys)
		if errors.Is(err, sql.ErrNoRows) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(sys, "#") { // the logs' own ids
			out = append(out, sys)
		}
	}
}

// namespaces lists the namespaces of a system's indexed keys.
func (s *Store) namespaces(ctx context.Context, system string) ([]string, error) {
	var out []string
	ns, q := "", sqlFirstNS
	for {
		err := s.db.QueryRowContext(ctx, q, system, ns).Scan(&ns)
		q = sqlNextNS
		if errors.Is(err, sql.ErrNoRows) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ns)
	}
}

// eventsByID returns the events with the given ids, in that order.
func (s *Store) eventsByID(ctx context.Context, ids []int64) ([]*formats.Event, error) {
	return s.readByID(ctx, ids, true)
}

// readByID is eventsByID, keeping the events it reads when keep.
func (s *Store) readByID(ctx context.Context, ids []int64, keep bool) ([]*formats.Event, error) {
	byID, err := s.eventsMap(ctx, ids, keep)
	if err != nil {
		return nil, err
	}
	out := make([]*formats.Event, len(ids))
	for i, id := range ids {
		out[i] = byID[id]
	}
	return out, nil
}

// eventsMap returns the events with the given ids, by id. An id that is
// indexed but not stored is an error wrapping ErrNotFound.
//
// The events are kept (up to maxCachedEvents of them, until the sources
// change) and handed out again to later calls: an explanation's lookups
// of the keys an event touches (a file by its path and by its base
// name) ask for it again and again, and each read costs a query and a
// parse of its line; unless keep is false (events read to be listed
// once). Callers share the events and must not change them.
func (s *Store) eventsMap(ctx context.Context, ids []int64, keep bool) (map[int64]*formats.Event, error) {
	byID := make(map[int64]*formats.Event, len(ids))
	sorted := make([]int64, 0, len(ids)) // the ids not kept, to read
	s.eventsMu.Lock()
	for _, id := range ids {
		if e, ok := s.events[id]; ok {
			byID[id] = e
		} else {
			sorted = append(sorted, id)
		}
	}
	s.eventsMu.Unlock()
	slices.Sort(sorted)
	err := s.inChunks(sorted, sqlEventsIn, sqlEventsAnyIn, func(q string, args []any) error {
		evs, err := s.queryEvents(ctx, q, args...)
		if err != nil {
			return err
		}
		s.eventsMu.Lock()
		defer s.eventsMu.Unlock()
		if s.events == nil {
			s.events = map[int64]*formats.Event{}
		}
		for _, e := range evs {
			byID[e.ID] = e
			if keep && len(s.events) < maxCachedEvents {
				s.events[e.ID] = e
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if _, ok := byID[id]; !ok {
			return nil, fmt.Errorf("event %d is indexed but not stored: %w", id, ErrNotFound)
		}
	}
	return byID, nil
}

// inChunks reads ids (sorted) a statement at a time: it calls read
// with a statement and its arguments, the ids of an IN list. Each has at
// most 500 ids. Where the dialect keys events by bucket, the ids are of
// one bucket, and the statement is inBucket (whose first argument is the
// bucket): on Citus, each asks the one shard that holds them. Elsewhere
// (SQLite) it is anyBucket, and 478 ids in 125 buckets are one
// statement, not 125. Both statements end where the IN list goes.
func (s *Store) inChunks(ids []int64, inBucket, anyBucket string, read func(q string, args []any) error) error {
	const chunk = 500
	for i := 0; i < len(ids); {
		b, j := bucketOf(ids[i]), i
		for j < len(ids) && j-i < chunk && (!s.db.d.bucketed || bucketOf(ids[j]) == b) {
			j++
		}
		args, q := make([]any, 0, j-i+1), anyBucket
		if s.db.d.bucketed {
			args, q = append(args, b), inBucket
		}
		for _, id := range ids[i:j] {
			args = append(args, id)
		}
		if err := read(q+inList(j-i), args); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// maxCachedEvents bounds the events a store keeps once read (eventsMap).
const maxCachedEvents = 1 << 16

var _ provenance.NamespaceHistory = (*Store)(nil)

// maxNamespaceIDs bounds the write ids InNamespace gathers.
const maxNamespaceIDs = 1 << 22

// InNamespace implements provenance.NamespaceHistory: the writes to every
// key of a namespace, merged from the keys' postings blocks.
func (s *Store) InNamespace(ctx context.Context, system, ns string, before int64, limit int) ([]*formats.Event, error) {
	return s.inNamespace(ctx, nil, system, ns, before, limit)
}

// inNamespace is InNamespace of the events in in.
func (s *Store) inNamespace(ctx context.Context, in *idSet, system, ns string, before int64, limit int) ([]*formats.Event, error) {
	rows, err := s.db.QueryContext(ctx, sqlNSBlocks, system, ns, before)
	if err != nil {
		return nil, err
	}
	var ids, blk []int64
	for rows.Next() {
		var first int64
		var n int
		var blob []byte
		if err := rows.Scan(&first, &n, &blob); err != nil {
			rows.Close()
			return nil, err
		}
		if blk, err = decodeIDs(blk[:0], first, n, blob); err != nil {
			rows.Close()
			return nil, fmt.Errorf("namespace %s of %s: %w", ns, system, err)
		}
		for _, id := range blk {
			if id < before && in.has(id) {
				ids = append(ids, id)
			}
		}
		if len(ids) > maxNamespaceIDs {
			rows.Close()
			return nil, fmt.Errorf("namespace %s of %s has more than %d writes: %w", ns, system, maxNamespaceIDs, provenance.ErrTooLarge)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return s.newestWithWide(ctx, in, system, ns, ids, before, limit)
}

// A Filter selects events for Events.
type Filter struct {
	System, NS string
	Key        []byte   // nil: any
	Keys       [][]byte // with Key: events touching any of them
	Writes     bool     // with Key or Keys: only events that write them
	Ops        []string // nil: any; else any of them (case-insensitive)
	// Since and Until bound the events' times (Unix nanoseconds,
	// inclusive); 0: no bound. An event without a time is outside any
	// bound.
	Since, Until int64
	Source       *Source
	// Instance, when set, keeps the events of the files of that
	// instance (see IngestOptions.Instance).
	Instance string
	After    int64 // id
	Limit    int
	// Once says the events are read to be listed once (wat events): the
	// store does not keep those it reads by id for later reads (ByIDOnce).
	Once bool
	in   *idSet // the events kept; nil: all
}

// Events lists events matching f in trace order, at most f.Limit (0: all)
// at a time, starting after id f.After. A key is found through its
// postings; the other conditions are checked on the parsed events.
func (s *Store) Events(ctx context.Context, f Filter) ([]*formats.Event, error) {
	const page = 1000
	if f.Instance != "" {
		srcs, err := s.Sources(ctx)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(srcs, func(src *Source) bool { return src.Instance == f.Instance }) {
			return nil, fmt.Errorf("instance %s: no file of it is ingested: %w", formats.Quote([]byte(f.Instance)), ErrNotFound)
		}
		f.in = instanceSet(srcs, f.Instance, false) // nil: every file is of it
	}
	var out []*formats.Event
	var pairs [][2]string // with a key: the system and namespace pairs to look in
	after := f.After
	for f.Limit == 0 || len(out) < f.Limit {
		var evs []*formats.Event
		var err error
		switch {
		case f.Key != nil || f.Keys != nil:
			if pairs == nil {
				if pairs, err = s.systemNamespaces(ctx, f.System, f.NS); err != nil {
					return nil, err
				}
			}
			keys := f.Keys
			if f.Key != nil {
				keys = append(keys, f.Key)
			}
			var ids []int64
			for _, p := range pairs {
				for _, key := range keys {
					for w := 0; w < 2; w++ {
						if f.Writes && w == 0 {
							continue
						}
						more, err := s.keyIDsAfter(ctx, f.in, p[0], p[1], key, w, after, page)
						if w == 1 {
							more, err = s.writeIDs(ctx, f.in, p[0], p[1], key, after, page, false)
						}
						if err != nil {
							return nil, err
						}
						ids = append(ids, more...)
					}
				}
			}
			slices.Sort(ids)
			ids = slices.Compact(ids) // an event may touch several of the keys
			if len(ids) > page {
				ids = ids[:page]
			}
			evs, err = s.readByID(ctx, ids, !f.Once)
		case f.Source != nil:
			evs, err = s.eventsAfter(ctx, f.Source.ID, after, page)
		default:
			evs, err = s.eventsAfter(ctx, 0, after, page)
		}
		if err != nil {
			return nil, err
		}
		if len(evs) == 0 {
			break
		}
		after = evs[len(evs)-1].ID
		for _, e := range evs {
			if f.Limit > 0 && len(out) == f.Limit {
				break
			}
			if (f.Key == nil && f.Keys == nil && f.NS != "" && e.NS != f.NS) || (f.Ops != nil && !slices.ContainsFunc(f.Ops, func(op string) bool { return strings.EqualFold(e.Op, op) })) ||
				(f.Source != nil && e.Source != f.Source.Path) || (f.System != "" && e.System != f.System) ||
				(f.Since != 0 && (e.Time == 0 || e.Time < f.Since)) || (f.Until != 0 && (e.Time == 0 || e.Time > f.Until)) || !f.in.has(e.ID) {
				continue
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// Following implements provenance.Sequence: the events of e's source
// after it, in order, at most limit.
func (s *Store) Following(ctx context.Context, e *formats.Event, limit int) ([]*formats.Event, error) {
	source, err := s.sourceID(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	return s.eventsAfter(ctx, source, e.ID, limit)
}

// eventsAfter returns up to limit events after an id, in order: of one
// source, or of all when source is 0. It reads them bucket by bucket
// (on Citus, a shard a statement), up to the last event stored.
func (s *Store) eventsAfter(ctx context.Context, source, after int64, limit int) ([]*formats.Event, error) {
	srcs, err := s.Sources(ctx)
	if err != nil {
		return nil, err
	}
	from, last := after+1, int64(-1)
	for _, src := range srcs {
		if source == 0 || src.ID == source {
			last = max(last, src.LastEvent)
			if source != 0 {
				from = max(from, src.FirstEvent)
			}
		}
	}
	var out []*formats.Event
	for b := bucketOf(from); b <= bucketOf(last) && len(out) < limit; b++ {
		var evs []*formats.Event
		if source == 0 {
			evs, err = s.queryEvents(ctx, sqlEventsAfter, b, after, limit-len(out))
		} else {
			evs, err = s.queryEvents(ctx, sqlEventsOfSrc, b, source, after, limit-len(out))
		}
		if err != nil {
			return nil, err
		}
		out = append(out, evs...)
		if len(evs) > 0 {
			after = evs[len(evs)-1].ID
		}
	}
	return out, nil
}

// Later implements provenance.Sequence: the events that touch a key (read
// or write it) after an id, oldest first, at most limit.
func (s *Store) Later(ctx context.Context, system, ns string, key []byte, after int64, limit int) ([]*formats.Event, error) {
	return s.Events(ctx, Filter{System: system, NS: ns, Key: key, After: after, Limit: limit})
}

var _ provenance.Sequence = (*Store)(nil)

// LostBefore implements provenance.LossHistory.
func (s *Store) LostBefore(ctx context.Context, system string, e *formats.Event, limit int) ([]provenance.LostLine, error) {
	return s.lostBefore(ctx, nil, system, e, limit)
}

// lostBefore is LostBefore in the sources of in: the rejected lines of
// sources of the system's formats before e, earlier in e's source or in
// a source whose events the trace puts before it (or that has none),
// ordered by where the trace puts their source, then by line. The
// sources come from the sources table; each one's lines from a lookup
// by source (on Citus, of one shard of rejects).
func (s *Store) lostBefore(ctx context.Context, in *idSet, system string, e *formats.Event, limit int) ([]provenance.LostLine, error) {
	names := map[string]bool{}
	for _, f := range s.formats {
		if f.System == system {
			names[f.Name] = true
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	source, err := s.sourceID(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	srcs, err := s.Sources(ctx)
	if err != nil {
		return nil, err
	}
	first := int64(0)
	for _, src := range srcs {
		if src.ID == source {
			first = src.FirstEvent
		}
	}
	var from []*Source
	for _, src := range srcs {
		if src.Rejected > 0 && names[src.Format] && (src.FirstEvent < first || src.ID == source) &&
			(in == nil || slices.Contains(in.sources, any(src.ID))) {
			from = append(from, src)
		}
	}
	sort.SliceStable(from, func(i, j int) bool { return from[i].FirstEvent < from[j].FirstEvent })
	var lost []provenance.LostLine
	for _, src := range from {
		if len(lost) >= limit {
			break
		}
		before := int64(math.MaxInt64)
		if src.ID == source {
			before = int64(e.Line)
		}
		ls, err := queryAll(ctx, s.db, sqlLostOf, []any{src.ID, before, limit - len(lost)}, func(rows *sql.Rows) (provenance.LostLine, error) {
			var line int
			var l provenance.LostLine
			err := rows.Scan(&line, &l.Raw)
			l.Where = fmt.Sprintf("%s:%d", src.Path, line)
			return l, err
		})
		if err != nil {
			return nil, err
		}
		lost = append(lost, ls...)
	}
	return lost, nil
}

// OrderDoubt implements provenance.OrderHistory. The trace holds each
// file's requests as one run, the files of an instance in time order
// when their clocks do not overlap: it is the real order before e only
// when, of the files of e's format in its history, none before e's file
// has events after that file's first and none after it has events before
// e. Files without times cannot be ordered: two of them in a history
// raise a doubt.
func (s *Store) OrderDoubt(ctx context.Context, e *formats.Event) (string, error) {
	return s.orderDoubt(ctx, nil, e)
}

// orderDoubt is OrderDoubt of the history made of the sources of in.
func (s *Store) orderDoubt(ctx context.Context, in *idSet, e *formats.Event) (string, error) {
	own, srcs, err := s.sourceOf(ctx, e.ID)
	if err != nil {
		return "", err
	}
	ownFirst, _, err := s.SourceSpan(ctx, own)
	if err != nil {
		return "", err
	}
	if ownFirst == 0 || e.Time == 0 {
		// No times: another file of the log before it in the trace may
		// have run after it, or interleaved with it.
		for _, src := range srcs {
			if src != own && src.Format == own.Format && src.FirstEvent <= src.LastEvent && src.FirstEvent < own.FirstEvent &&
				(in == nil || slices.Contains(in.sources, any(src.ID))) {
				return fmt.Sprintf("%s and %s, files of its history, have no times: the trace puts them in ingest order, which may not be the order their requests ran in (strace: -tt or -ttt gives times)", src.Path, own.Path), nil
			}
		}
		return "", nil
	}
	for _, src := range srcs {
		if src == own || src.Format != own.Format || (in != nil && !slices.Contains(in.sources, any(src.ID))) ||
			(src.FirstEvent <= own.LastEvent && own.FirstEvent <= src.LastEvent) { // merged by time with it
			continue
		}
		first, last, err := s.SourceSpan(ctx, src)
		if err != nil || first == 0 {
			if err != nil {
				return "", err
			}
			continue
		}
		switch {
		case src.FirstEvent < own.FirstEvent && last > ownFirst:
			return fmt.Sprintf("%s, whose requests the trace puts before %s's, has requests up to %s, after %s begins (%s): their clocks overlap, and their lines could not be merged by time (see wat ingest --help)", src.Path, own.Path, showNS(last), own.Path, showNS(ownFirst)), nil
		case src.FirstEvent > own.FirstEvent && first < e.Time:
			return fmt.Sprintf("%s, whose requests the trace puts after %s's, begins at %s, before this request (%s): their clocks overlap, and their lines could not be merged by time (see wat ingest --help), so its earlier requests are not in the trace before it", src.Path, own.Path, showNS(first), showNS(e.Time)), nil
		}
	}
	return "", nil
}

// showNS is a time for a note.
func showNS(ns int64) string {
	if ns < int64(24*time.Hour) { // a time of day, without its date (strace -t)
		return time.Unix(0, ns).UTC().Format("15:04:05.000000")
	}
	return time.Unix(0, ns).UTC().Format("2006-01-02T15:04:05.000000Z")
}

var _ provenance.OrderHistory = (*Store)(nil)

// A KeyQuery asks for the events touching one key after an id.
type KeyQuery struct {
	System, NS string
	Key        []byte
	After      int64
	// Within, when set, keeps the events of one instance's history.
	Within *Scoped
}

// EventsOfKeys answers, for each query, what Events answers for the
// filter {System, NS, Key, After, Limit: limit}, reading the postings of
// all the keys with one statement (per 200 keys) and their events with
// another, instead of a lookup per key. A query with no namespace, or
// whose events do not all pass Events' check, is answered by Events.
func (s *Store) EventsOfKeys(ctx context.Context, qs []KeyQuery, limit int) ([][]*formats.Event, error) {
	out := make([][]*formats.Event, len(qs))
	byKey := map[string][]int{} // system, ns, key -> the queries asking for it
	var keyed []int
	for i, q := range qs {
		if q.NS == "" || q.Key == nil {
			evs, err := s.Events(ctx, Filter{System: q.System, NS: q.NS, Key: q.Key, After: q.After, Limit: limit, in: q.Within.set()})
			if err != nil {
				return nil, err
			}
			out[i] = evs
			continue
		}
		k := q.System + "\x00" + q.NS + "\x00" + string(q.Key)
		if _, ok := byKey[k]; !ok {
			keyed = append(keyed, i)
		}
		byKey[k] = append(byKey[k], i)
	}
	ids := make([][]int64, len(qs))
	const chunk = 200
	for c := 0; c < len(keyed); c += chunk {
		part := keyed[c:min(c+chunk, len(keyed))]
		var where []string
		var args []any
		for _, i := range part {
			q := qs[i]
			after := q.After
			for _, j := range byKey[q.System+"\x00"+q.NS+"\x00"+string(q.Key)] {
				after = min(after, qs[j].After)
			}
			where = append(where, "(system = ? AND ns = ? AND key = ? AND w >= 0 AND last > ?)")
			args = append(args, q.System, q.NS, q.Key, after)
		}
		rows, err := s.db.QueryContext(ctx, sqlBlocksOfMany+strings.Join(where, " OR "), args...)
		if err != nil {
			return nil, err
		}
		var blk []int64
		for rows.Next() {
			var system, ns string
			var key, blob []byte
			var first int64
			var n int
			if err := rows.Scan(&system, &ns, &key, &first, &n, &blob); err != nil {
				rows.Close()
				return nil, err
			}
			if blk, err = decodeIDs(blk[:0], first, n, blob); err != nil {
				rows.Close()
				return nil, fmt.Errorf("key %s of %s %s: %w", formats.Quote(key), system, ns, err)
			}
			for _, j := range byKey[system+"\x00"+ns+"\x00"+string(key)] {
				in := qs[j].Within.set()
				for _, id := range blk {
					if id > qs[j].After && in.has(id) {
						ids[j] = append(ids[j], id)
					}
				}
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	var all []int64
	for i := range qs {
		if qs[i].NS == "" || qs[i].Key == nil {
			continue
		}
		slices.Sort(ids[i])
		if limit > 0 && len(ids[i]) > limit {
			ids[i] = ids[i][:limit]
		}
		all = append(all, ids[i]...)
	}
	byID, err := s.eventsMap(ctx, all, true)
	if err != nil {
		return nil, err
	}
	for i, q := range qs {
		if q.NS == "" || q.Key == nil {
			continue
		}
		for _, id := range ids[i] {
			e := byID[id]
			if e.System != q.System { // as Events checks; it pages past such events
				if out[i], err = s.Events(ctx, Filter{System: q.System, NS: q.NS, Key: q.Key, After: q.After, Limit: limit, in: q.Within.set()}); err != nil {
					return nil, err
				}
				break
			}
			out[i] = append(out[i], e)
		}
	}
	return out, nil
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
	q := sqlRejects
	var args []any
	if src != nil {
		q += " WHERE r.source = ?"
		args = append(args, src.ID)
	}
	q += " ORDER BY r.source, r.line LIMIT ?"
	args = append(args, limit)
	return queryAll(ctx, s.db, q, args, func(rows *sql.Rows) (r Reject, err error) {
		err = rows.Scan(&r.Path, &r.Line, &r.Reason, &r.Raw)
		return r, err
	})
}

// Query runs one read-only SQL statement and calls each for every row,
// with the column names. Writes are refused (PRAGMA query_only, and a
// read-only connection when the store was opened read-only).
func (s *Store) Query(ctx context.Context, q string, each func(cols []string, vals []any) error) error {
	if s.db.d == postgresDialect {
		return s.queryPostgres(ctx, q, each)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, sqlTempViews); err != nil {
		return fmt.Errorf("sql: views: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA query_only = ON"); err != nil {
		return err
	}
	defer conn.ExecContext(context.Background(), "PRAGMA query_only = OFF")
	// Only reading is authorized: no ATTACH (it would create files
	// outside the store), no pragma that sets anything, no writes.
	setAuth := func(f func(int, string, string, string) int) error {
		return conn.Raw(func(dc any) error {
			c, ok := dc.(*sqlite3.SQLiteConn)
			if !ok {
				return fmt.Errorf("sql: unexpected driver connection %T", dc)
			}
			c.RegisterAuthorizer(f)
			return nil
		})
	}
	if err := setAuth(readOnlyAuthorizer); err != nil {
		return err
	}
	defer setAuth(nil)
	return eachRow(conn.QueryContext(ctx, q))(each)
}

// eachRow calls each for every row of a query's result.
func eachRow(rows *sql.Rows, err error) func(each func(cols []string, vals []any) error) error {
	return func(each func(cols []string, vals []any) error) error {
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
}

// sqliteRecursive is SQLITE_RECURSIVE, which the driver does not export.
const sqliteRecursive = 33

// readOnlyAuthorizer allows what a read-only query needs and denies the
// rest: writes, ATTACH and DETACH, transactions, pragmas that set a
// value, and loading extensions.
func readOnlyAuthorizer(action int, arg1, arg2, _ string) int {
	switch action {
	case sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqliteRecursive:
		return sqlite3.SQLITE_OK
	case sqlite3.SQLITE_FUNCTION:
		if strings.EqualFold(arg2, "load_extension") {
			return sqlite3.SQLITE_DENY
		}
		return sqlite3.SQLITE_OK
	case sqlite3.SQLITE_PRAGMA:
		if arg2 == "" { // reading a pragma's value
			return sqlite3.SQLITE_OK
		}
	}
	return sqlite3.SQLITE_DENY
}

// A Reading is how a file's lines were read: its format, the format's
// configuration (a JSON-lines mapping) and the instance it was given.
// The same content read again the same way is a duplicate; read another
// way, it replaces the earlier reading.
type Reading struct {
	Format   string
	Config   []byte
	Instance string
}

// Same tells whether o reads a file as r does; r's empty Instance (none
// named) is any instance.
func (r Reading) Same(o Reading) bool {
	return r.Format == o.Format && bytes.Equal(r.Config, o.Config) && (r.Instance == "" || r.Instance == o.Instance)
}

// A Stored is a stored file and the reading it was stored with.
type Stored struct {
	*Source
	Reading Reading
}

// StoredAs hashes a seekable file whose size matches a stored source,
// and returns the stored files with the same content; none when r cannot
// be read twice.
func (s *Store) StoredAs(ctx context.Context, r io.Reader, size int64) ([]Stored, error) {
	rs, ok := r.(io.ReadSeeker)
	if !ok || size <= 0 {
		return nil, nil
	}
	var n int
	if err := s.db.QueryRowContext(ctx, sqlCountSourceSize, size).Scan(&n); err != nil || n == 0 {
		return nil, err
	}
	h := sha256.New()
	if _, err := io.Copy(h, rs); err != nil {
		return nil, err
	}
	if _, err := rs.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return s.withHash(ctx, s.db, hex.EncodeToString(h.Sum(nil)), 0)
}

// withHash returns the stored files whose content has a hash, but the
// source except.
func (s *Store) withHash(ctx context.Context, db querier, hash string, except int64) ([]Stored, error) {
	type idConfig struct {
		id     int64
		config []byte
	}
	ids, err := queryAll(ctx, db, sqlSourcesByHash, []any{hash, except}, func(rows *sql.Rows) (idConfig, error) {
		var x idConfig
		return x, rows.Scan(&x.id, &x.config)
	})
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	srcs, err := s.sources(ctx, db)
	if err != nil {
		return nil, err
	}
	var out []Stored
	for _, x := range ids {
		for _, src := range srcs {
			if src.ID == x.id {
				out = append(out, Stored{src, Reading{Format: src.Format, Config: x.config, Instance: src.Instance}})
			}
		}
	}
	return out, nil
}

// searchLine returns the first id in lo..hi whose line is at least want
// (hi+1 when none is), reading lines with lineOf, which is called with
// ids in lo..hi only. Lines advance with ids in most logs (one event a
// line), so it guesses the id by interpolating between the lines known
// on either side (after hi, guessed as if lines advanced with ids); when a guess does not halve the range, the next probe
// does, so it never takes more than about twice a binary search's
// probes. A line and its id usually take two or three.
func searchLine(lo, hi int64, want int, lineOf func(int64) (int, error)) (int64, error) {
	if lo > hi {
		return lo, nil
	}
	l, err := lineOf(lo)
	if err != nil || l >= want {
		return lo, err
	}
	// line(a-1) = la < want; line(b) = lb, guessed for b = hi+1 as if
	// lines advanced with ids from lo.
	a, b := lo+1, hi+1
	la := int64(l)
	lb := max(la+(b-lo), int64(want))
	halve := false
	for a < b {
		m := a + (b-a)/2
		if !halve && lb > la {
			// line(a-1) = la < want <= lb = line(b): interpolate.
			m = a - 1 + (int64(want)-la)*(b-a+1)/(lb-la)
			m = max(a, min(b-1, m))
		}
		l, err := lineOf(m)
		if err != nil {
			return 0, err
		}
		width := b - a
		if l < want {
			a, la = m+1, int64(l)
		} else {
			b, lb = m, int64(l)
		}
		halve = !halve && 2*(b-a) > width
	}
	return a, nil
}
