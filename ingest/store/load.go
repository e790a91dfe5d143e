package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// ErrFileName is the error of BeginLoad for a file name a PostgreSQL
// store cannot keep.
var ErrFileName = errors.New("the file name is not UTF-8 text, which a PostgreSQL store keeps file names as: rename the file (or use a SQLite store)")

// batchRows is how many rows one multi-row INSERT carries.
const batchRows = 100

// A Load stores one file: its events and rejected lines, written in bulk
// in one transaction, which Commit ends. Until then the store is as
// before it began; Rollback (or an error) leaves it so.
type Load struct {
	s        *Store
	tx       *sqlTx
	w        *writer
	path     string
	format   string
	instance string
	firstID  int64
	appendTo *Source // the stored file this load continues, if any
	reading  Reading
}

// BeginLoad begins storing the file at path, read as format (its
// configuration config, stored with it), of an instance ("": it joins
// every instance). Loads run one at a time: a second waits for the first.
func (s *Store) BeginLoad(ctx context.Context, path, format string, config []byte, instance string) (*Load, error) {
	if s.db.d == postgresDialect && (!utf8.ValidString(path) || strings.ContainsRune(path, 0)) {
		return nil, fmt.Errorf("%s: %w", formats.Quote([]byte(path)), ErrFileName)
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	l := &Load{s: s, tx: tx, w: newWriter(ctx, tx), path: path, format: format, instance: instance,
		reading: Reading{Format: format, Config: config}}
	l.w.async = true
	if err := tx.QueryRowContext(ctx, sqlInsertSource, path, format, config, time.Now().UnixNano(), instance, provenance.IndexVersion).Scan(&l.w.source); err != nil {
		tx.Rollback()
		return nil, err
	}
	if err := tx.QueryRowContext(ctx, sqlNextEventID).Scan(&l.w.nextID); err != nil {
		tx.Rollback()
		return nil, err
	}
	l.firstID = l.w.nextID
	return l, nil
}

// ErrNotNewest is the error of BeginAppend when files were stored after
// the one to continue: its events would not be one run of ids.
var ErrNotNewest = errors.New("files were stored after it")

// IsNewest tells whether src's events are the last of the trace (nothing
// was stored after it) and a run of their own (not merged by time with
// another file's), so that a load can continue it (BeginAppend).
func (s *Store) IsNewest(ctx context.Context, src *Source) (bool, error) {
	var next int64
	if err := s.db.QueryRowContext(ctx, sqlNextEventID).Scan(&next); err != nil {
		return false, err
	}
	if src.FirstEvent > src.LastEvent || src.LastEvent != next-1 {
		return false, nil
	}
	merged, err := s.mergedWith(ctx, src)
	return len(merged) == 0, err
}

// BeginAppend begins storing the lines a file has after those of src,
// the newest stored file, which it began with (it grew: see GrownFrom),
// as more of src, now named path. The caller gives line numbers and
// offsets that go on from src's, and Commit's counts of the whole file.
func (s *Store) BeginAppend(ctx context.Context, src *Source, path string) (*Load, error) {
	if s.db.d == postgresDialect && (!utf8.ValidString(path) || strings.ContainsRune(path, 0)) {
		return nil, fmt.Errorf("%s: %w", formats.Quote([]byte(path)), ErrFileName)
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	l := &Load{s: s, tx: tx, w: newWriter(ctx, tx), path: path, format: src.Format, instance: src.Instance, appendTo: src,
		reading: Reading{Format: src.Format}}
	l.w.async = true
	l.w.source = src.ID
	if err := tx.QueryRowContext(ctx, "SELECT config FROM sources WHERE id = ?", src.ID).Scan(&l.reading.Config); err != nil {
		tx.Rollback()
		return nil, err
	}
	if err := tx.QueryRowContext(ctx, sqlNextEventID).Scan(&l.w.nextID); err != nil {
		tx.Rollback()
		return nil, err
	}
	if src.FirstEvent > src.LastEvent || src.LastEvent != l.w.nextID-1 {
		tx.Rollback()
		return nil, fmt.Errorf("continue %s: %w", src.Path, ErrNotNewest)
	}
	if _, err := tx.ExecContext(ctx, sqlRenameSource, path, src.ID); err != nil {
		tx.Rollback()
		return nil, err
	}
	// The file's times go on from its last event's.
	l.w.backwards = src.Backwards
	if err := tx.QueryRowContext(ctx, sqlEventTime, byID(src.LastEvent)...).Scan(&l.w.tmax); err != nil {
		tx.Rollback()
		return nil, err
	}
	l.firstID = src.FirstEvent
	return l, nil
}

// Event stores an event of the file's line line, which begins at byte
// offset (of the decompressed file), indexed under refs (the keys it
// touches: see provenance.Spec's Refs). Events go in trace order.
func (l *Load) Event(line, offset int64, ev *formats.Event, refs []formats.Ref) error {
	if err := l.w.event(line, offset, ev, refs); err != nil {
		return err
	}
	if l.w.post.full() {
		return l.w.writePostings()
	}
	return nil
}

// Reject stores a line that could not be read, with the reason.
func (l *Load) Reject(line int64, reason string, raw []byte) error {
	return l.w.buffer(rejectsTable, &l.w.rejBuf, l.w.source, line, reason, raw)
}

// A Head is the first events of a stored file: their lines and raw
// lines.
type Head struct {
	Source *Source
	Lines  []int64
	Raws   [][]byte
}

// Heads returns the first n events of each stored file of the load's
// instance and format whose first event's time is between from and to
// (the file being loaded ends with them, maybe).
func (l *Load) Heads(ctx context.Context, from, to int64, n int) ([]Head, error) {
	if err := l.w.settle(); err != nil {
		return nil, err
	}
	srcs, err := l.s.sources(ctx, l.tx)
	if err != nil {
		return nil, err
	}
	var out []Head
	for _, src := range srcs {
		if src.ID == l.w.source || src.Instance != l.instance || src.Format != l.format || src.FirstEvent > src.LastEvent {
			continue
		}
		var t int64
		if err := l.tx.QueryRowContext(ctx, sqlEventTime, byID(src.FirstEvent)...).Scan(&t); err != nil {
			return nil, err
		}
		if t < from || t > to {
			continue
		}
		h := Head{Source: src}
		rows, err := l.tx.QueryContext(ctx, sqlStoredLines, append(idRange(src.FirstEvent, src.LastEvent), src.ID, n)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var line int64
			var raw []byte
			if err := rows.Scan(&line, &raw); err != nil {
				rows.Close()
				return nil, err
			}
			h.Lines, h.Raws = append(h.Lines, line), append(h.Raws, raw)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

// Rollback abandons the load: nothing of the file is stored.
func (l *Load) Rollback() {
	l.w.settle()
	l.w.post.stop()
	l.tx.Rollback()
}

// A Finish is what Commit records of the file, and how it ends the load.
type Finish struct {
	Size     int64  // bytes read from the file (compressed, if it was)
	Hash     string // hex SHA-256 of its content, decompressed
	Lines    int64
	Events   int64
	Rejected int64
	Skipped  int64
	// Force stores the file even when a stored one has the same hash.
	Force bool
	// Replace are stored sources the file replaces (it grew since, or
	// changed: see GrownFrom), removed in the same transaction. Counts
	// and Hash are of the whole file, also when the load continues a
	// stored one.
	Replace []*Source
	// InstanceNamed says the load's instance was named (wat ingest
	// --instance): the same content stored under another instance is
	// then read another way, and replaced.
	InstanceNamed bool
	// DeferOrder leaves the files of its instance as they are: the
	// caller puts them in time order later (Store.Order), once for many
	// files, rather than once for each.
	DeferOrder bool
}

// A Committed says what Commit did besides storing the file.
type Committed struct {
	// DuplicateOf is the path of a stored file with the same content,
	// read the same way: then nothing was stored.
	DuplicateOf string
	// Reread are the stored files with the same content read another way
	// (another format, mapping or instance): the new reading replaced
	// them.
	Reread []*Source
	// Placed are the runs of files of its instance and format stored
	// again to keep the trace in time order (see Store.Order).
	Placed []Placed
}

// Commit ends the load: it writes what is buffered and, unless the same
// content is stored already (and f.Force is not set), removes f.Replace,
// puts the files of its instance in time order (unless f.DeferOrder),
// and commits.
func (l *Load) Commit(ctx context.Context, f Finish) (*Committed, error) {
	defer l.tx.Rollback()
	defer l.w.post.stop()
	w, tx := l.w, l.tx
	if err := w.flush(); err != nil {
		return nil, err
	}
	// Its run of ids, before a removal below stores other files again.
	var first, last any
	if w.nextID > l.firstID {
		first, last = l.firstID, w.nextID-1
	}
	c := &Committed{}
	if !f.Force {
		same, err := l.s.withHash(ctx, tx, f.Hash, w.source)
		if err != nil {
			return nil, err
		}
		if f.InstanceNamed {
			l.reading.Instance = l.instance
		}
		for _, o := range same {
			if l.reading.Same(o.Reading) {
				c.DuplicateOf = o.Path
				return c, nil // rolled back
			}
		}
		for _, o := range same {
			if !slices.ContainsFunc(f.Replace, func(r *Source) bool { return r.ID == o.ID }) {
				f.Replace = append(f.Replace, o.Source)
				c.Reread = append(c.Reread, o.Source)
			}
		}
	}
	for _, r := range f.Replace {
		if err := l.s.removeSourceTx(ctx, tx, w, r); err != nil {
			return nil, fmt.Errorf("replace: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, sqlFinishSource, f.Size, f.Hash, f.Lines, f.Events,
		f.Rejected, f.Skipped, first, last, w.source); err != nil {
		return nil, err
	}
	var backwards any // NULL: not known
	if w.backwards >= 0 {
		backwards = w.backwards
	}
	if _, err := tx.ExecContext(ctx, sqlBackwards, backwards, w.source); err != nil {
		return nil, err
	}
	if l.appendTo != nil {
		for _, sys := range strings.Fields(l.appendTo.StandsIn) {
			if !slices.Contains(w.standsIn, sys) {
				w.standsIn = append(w.standsIn, sys)
			}
		}
	}
	if len(w.standsIn) > 0 {
		slices.Sort(w.standsIn)
		if _, err := tx.ExecContext(ctx, sqlStandsIn, strings.Join(w.standsIn, " "), w.source); err != nil {
			return nil, err
		}
	}
	if !f.DeferOrder {
		var err error
		if c.Placed, err = l.s.order(ctx, tx, w, l.instance, l.format); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	l.s.sourcesChanged()
	return c, nil
}

// A writer loads rows in bulk (see sqlTx.load), and collects the keys
// events touch into postings blocks.
type writer struct {
	ctx     context.Context
	tx      *sqlTx
	source  int64
	nextID  int64
	evBuf   []any
	wideBuf []any
	rejBuf  []any
	post    *poster
	pairs   *pairing // of the file whose events it is writing
	// tmin and tmax are the earliest and latest times of the events
	// written; 0 when none has a time.
	tmin, tmax int64
	// backwards counts the events with no time or one earlier than
	// tmax (Source.Backwards); -1: not known.
	backwards int64
	// standsIn are the systems of the client records written (see
	// Source.StandsIn).
	standsIn []string
	// namespaces are the (system, ns) pairs it listed in the namespaces
	// table.
	namespaces map[[2]string]bool
	// async makes buffer hand a full buffer to a goroutine of its own
	// that loads it while the next rows are gathered: SQLite's inserts
	// were half of ingest's critical path (a plain file's load sets it;
	// flush clears it, so what follows, a reorder with its reads, runs
	// in order). At most one load is under way; settle waits for it, and
	// every other use of tx comes after a settle.
	async    bool
	loading  chan error // the load under way, nil when none
	inflight []any      // its rows
	free     []any      // a loaded buffer to gather rows in again
}

// maxPending is how many key touches the writer holds before it writes
// them as postings blocks: it bounds ingest memory whatever the log size.
const maxPending = 2 << 20

// maxLists is how many keys' (and parts') lists the writer holds before
// it writes them: a log of 3M distinct keys held 2.2 GB before there was
// this bound, 240 MB with it.
const maxLists = 1 << 16

// bufRows is how many rows of a table the writer holds before loading
// them.
const bufRows = 2000

func newWriter(ctx context.Context, tx *sqlTx) *writer {
	return &writer{ctx: ctx, tx: tx, post: newPoster(), pairs: newPairing()}
}

// buffer appends a row to buf, and loads buf into tb when it is full.
func (w *writer) buffer(tb *table, buf *[]any, vals ...any) error {
	*buf = append(*buf, vals...)
	if len(*buf) < bufRows*len(tb.cols) {
		return nil
	}
	if !w.async {
		err := w.tx.load(w.ctx, tb, *buf)
		clear(*buf)
		*buf = (*buf)[:0]
		return err
	}
	if err := w.settle(); err != nil {
		return err
	}
	rows, done := *buf, make(chan error, 1)
	*buf, w.free = w.free[:0], nil
	w.loading, w.inflight = done, rows
	go func() {
		err := w.tx.load(w.ctx, tb, rows)
		clear(rows)
		done <- err
	}()
	return nil
}

// settle waits for the load under way, if any, and returns its error.
func (w *writer) settle() error {
	if w.loading == nil {
		return nil
	}
	err := <-w.loading
	w.loading, w.free, w.inflight = nil, w.inflight[:0], nil
	return err
}

// event stores an event of line line (at byte offset in its file),
// indexed under refs.
func (w *writer) event(line, offset int64, ev *formats.Event, refs []formats.Ref) error {
	id := w.nextID
	w.nextID++
	if ev.ClientRecord && !slices.Contains(w.standsIn, ev.System) {
		w.standsIn = append(w.standsIn, ev.System)
	}
	if t := ev.Time; t != 0 {
		if w.tmin == 0 || t < w.tmin {
			w.tmin = t
		}
		if t < w.tmax && w.backwards >= 0 {
			w.backwards++
		}
		w.tmax = max(w.tmax, t)
	} else if w.backwards >= 0 {
		w.backwards++
	}
	if err := w.buffer(eventsTable, &w.evBuf, id, w.source, line, offset, ev.Time, ev.Raw); err != nil {
		return err
	}
	for i, ref := range refs {
		if dupRef(refs[:i], ref) {
			continue
		}
		wr := strongest(refs, ref)
		if ref.Key == nil {
			if err := w.buffer(wideTable, &w.wideBuf, ev.System, ref.NS, wr, id); err != nil {
				return err
			}
			continue
		}
		if c := classOf(refs, ref); wr == 1 && c > 0 {
			w.post.addClass(ev.System, ref.NS, ref.Key, c, ref.Parts, id)
			continue
		}
		shape := uint64(0)
		if wr == 1 && ref.Shape != 0 && shapeOK(refs, ref) {
			shape = ref.Shape
		}
		w.post.add(ev.System, ref.NS, ref.Key, wr, id, shape)
	}
	// The log's own ids, to link a request to the one that caused it.
	if ev.ReqID != "" {
		w.post.add(linkID, "", []byte(ev.ReqID), 1, id, 0)
	}
	if ev.Parent != "" {
		w.post.add(linkParent, "", []byte(ev.Parent), 1, id, 0)
	}
	w.pair(ev, id)
	// A call a service logged, to be found from the receiver's own log
	// (a MONITOR line) by its content.
	if ev.Service != "" {
		w.post.add(linkCall, "", callKeyOf(ev.CallKey()), 1, id, 0)
		if k := ev.DecodedCallKey(); k != nil { // as the receiver logged it
			w.post.add(linkCall, "", callKeyOf(k), 1, id, 0)
		}
	}
	return nil
}

// writePostings writes the pending key touches as postings blocks.
func (w *writer) writePostings() error {
	if err := w.settle(); err != nil {
		return err
	}
	bs := w.post.blocks()
	for _, b := range bs {
		sn := [2]string{b.k.system, b.k.ns}
		if w.namespaces[sn] {
			continue
		}
		if _, err := w.tx.ExecContext(w.ctx, sqlAddNS, sn[0], sn[1]); err != nil {
			return err
		}
		if w.namespaces == nil {
			w.namespaces = map[[2]string]bool{}
		}
		w.namespaces[sn] = true
	}
	args := make([]any, 0, len(postingsTable.cols)*bufRows)
	for len(bs) > 0 {
		n := min(len(bs), bufRows)
		args = args[:0]
		for _, b := range bs[:n] {
			args = append(args, b.k.system, b.k.ns, b.k.key, b.w, b.last, b.first, b.n, b.ids, b.shapes)
		}
		if err := w.tx.load(w.ctx, postingsTable, args); err != nil {
			return err
		}
		bs = bs[n:]
	}
	return nil
}

func sameRef(a, b formats.Ref) bool {
	return a.NS == b.NS && (a.Key == nil) == (b.Key == nil) && bytes.Equal(a.Key, b.Key)
}

// shapeOK tells whether a write's shape may be kept: the event names the
// key once (a second ref of it could say something else).
func shapeOK(refs []formats.Ref, ref formats.Ref) bool {
	n := 0
	for _, r := range refs {
		if sameRef(r, ref) {
			n++
		}
	}
	return n == 1
}

// dupRef reports whether ref's key was listed already.
func dupRef(before []formats.Ref, ref formats.Ref) bool {
	for _, b := range before {
		if sameRef(b, ref) {
			return true
		}
	}
	return false
}

// strongest returns the w column for a key listed several times: written
// if any listing writes it.
func strongest(all []formats.Ref, ref formats.Ref) int {
	for _, a := range all {
		if sameRef(a, ref) && a.Kind >= formats.KindWrite {
			return 1
		}
	}
	return 0
}

// classOf returns the Class of a key listed in refs: that of its only
// listing, when that is a write of a class within formats.MaxClass; 0
// otherwise (the write may change the key whole).
func classOf(all []formats.Ref, ref formats.Ref) int {
	if ref.Class == 0 {
		return 0
	}
	n := 0
	for _, a := range all {
		if sameRef(a, ref) {
			n++
		}
	}
	if n != 1 || ref.Kind < formats.KindWrite || ref.Class < 1 || ref.Class > formats.MaxClass {
		return 0
	}
	return ref.Class
}

// flush writes what is buffered.
func (w *writer) flush() error {
	if err := w.settle(); err != nil {
		return err
	}
	w.async = false
	for _, b := range []struct {
		tb  *table
		buf *[]any
	}{{eventsTable, &w.evBuf}, {wideTable, &w.wideBuf}, {rejectsTable, &w.rejBuf}} {
		if err := w.tx.load(w.ctx, b.tb, *b.buf); err != nil {
			return err
		}
		*b.buf = (*b.buf)[:0]
	}
	return w.writePostings()
}

// maxWaiting bounds the calls kept waiting for a reply line.
const maxWaiting = 1 << 20

// A pairing is a file's calls waiting for a reply logged on a later
// line, by request id and by connection (oldest first).
type pairing struct {
	byID    map[string]int64
	byConn  map[string][]int64
	waiting int
}

func newPairing() *pairing {
	return &pairing{byID: map[string]int64{}, byConn: map[string][]int64{}}
}

// pair links a reply record to the call it answers: the call with its
// request id, or else the oldest call waiting on its connection. The link
// is a posting from the call's event id to the reply's.
func (w *writer) pair(e *formats.Event, id int64) {
	p := w.pairs
	if !e.ReplyRecord {
		if e.Reply == nil && e.System != "" && (e.ReqID != "" || e.Client != "") && e.Service != "" {
			if p.waiting >= maxWaiting {
				clear(p.byID)
				clear(p.byConn)
				p.waiting = 0
			}
			if e.ReqID != "" {
				p.byID[e.ReqID] = id
			}
			if e.Client != "" {
				p.byConn[e.Client] = append(p.byConn[e.Client], id)
			}
			p.waiting++
		}
		return
	}
	call, ok := p.byID[e.ReqID]
	if ok {
		delete(p.byID, e.ReqID)
		q := p.byConn[e.Client]
		for i, c := range q {
			if c == call {
				p.byConn[e.Client] = append(q[:i:i], q[i+1:]...)
				break
			}
		}
	} else if q := p.byConn[e.Client]; e.ReqID == "" && e.Client != "" && len(q) > 0 {
		call, ok = q[0], true
		p.byConn[e.Client] = q[1:]
	}
	if ok {
		w.post.add(linkPair, "", []byte(strconv.FormatInt(call, 10)), 1, id, 0)
	}
}
