package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/wat-project/wat/formats"
)

// MaxLine is the longest line ingest reads; a longer one is rejected
// (and skipped without being held in memory).
const MaxLine = 16 << 20

// batchRows is how many rows one multi-row INSERT carries.
const batchRows = 100

// IngestOptions configure one ingest.
type IngestOptions struct {
	// Format is the log's format; nil detects it from the first lines
	// among Formats.
	Format  *formats.Format
	Formats []*formats.Format
	// Refs returns the keys an event touches, for the index, by system;
	// systems without an entry are stored unindexed.
	Refs map[string]func(*formats.Event) []formats.Ref
	// Indexes, by system, make a fresh index function for each file,
	// called on its events in order (provenance.Indexer); a system here
	// is indexed by it rather than by Refs.
	Indexes map[string]func() func(*formats.Event) []formats.Ref
	// Config is the configuration of formats that take one (the merged
	// JSON-lines mappings), keyed by format name; it is stored with the
	// source.
	Config map[string][]byte
	// Force ingests a file again even when the same content is stored.
	Force bool
	// Instance names the instance of its system the file belongs to (one
	// Redis server, one machine); "" is its DefaultInstance.
	Instance string
	// Progress, when set, is called as input is read (about once a MiB,
	// from another goroutine) with the bytes read so far, the total (0
	// when unknown) and the lines stored so far; and once at the end.
	Progress func(read, total, lines int64)
	// MaxRejects is how many rejected lines the summary lists; default 5.
	MaxRejects int
}

// A Summary says what one ingest did.
type Summary struct {
	Path, Format string
	Bytes        int64 // read from the file
	Lines        int64
	Events       int64
	Rejected     int64
	Skipped      int64
	Rejects      []Reject // the first few
	// Unmapped counts the skipped lines that were well formed but mapped
	// to no request; Unmaps lists the first few, with the reason.
	Unmapped int64
	Unmaps   []Reject
	// Dropped counts parts of event lines that were not events (spans no
	// rule maps), DroppedWhy says what they were.
	Dropped    int64
	DroppedWhy string
	// eventLines counts the lines that held events (a line may hold
	// several): eventLines + Rejected + Skipped = Lines.
	eventLines int64
	Elapsed    time.Duration
	// Duplicate is set when the content was already stored and nothing
	// was ingested.
	Duplicate   bool
	DuplicateOf string
	// Replaced is the earlier ingest of the same path that this one
	// replaced: the file had grown since, and began with all of it.
	Replaced *Source
	// Moved are the files of its instance, ingested before, that begin
	// after it ends: the history puts them after it.
	Moved []*Source
	// Shared counts the events the file begins with that were stored
	// already, as lines SharedFrom to SharedTo of SharedWith (a capture
	// cut into two files that share lines): they are skipped.
	Shared               int64
	SharedWith           *Source
	SharedFrom, SharedTo int64
}

// countingReader hashes and counts what passes through it.
type countingReader struct {
	r        io.Reader
	h        hash.Hash
	n        int64
	total    int64
	progress func(read, total int64)
	next     int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	if c.progress != nil && c.n >= c.next {
		c.progress(c.n, c.total)
		c.next = c.n + 1<<20
	}
	return n, err
}

// Ingest reads one log into the store in a single transaction: either
// every line of it ends up stored (as an event, a rejected line or a
// counted skipped line) or, on error, nothing does. size is the file's
// size (0 when unknown, as for stdin). A file whose content is already
// stored is not ingested again unless opt.Force is set.
func (s *Store) Ingest(ctx context.Context, path string, r io.Reader, size int64, opt IngestOptions) (*Summary, error) {
	start := time.Now()
	if opt.MaxRejects == 0 {
		opt.MaxRejects = 5
	}
	sum := &Summary{Path: path}
	if s.db.d == postgresDialect && (!utf8.ValidString(path) || strings.ContainsRune(path, 0)) {
		return nil, fmt.Errorf("%s: the file name is not UTF-8 text, which a PostgreSQL store keeps file names as: rename the file (or use a SQLite store)", formats.Quote([]byte(path)))
	}
	if !opt.Force {
		if dup, err := s.preCheckDuplicate(ctx, r, size); err != nil {
			return nil, err
		} else if dup != "" {
			sum.Duplicate, sum.DuplicateOf = true, dup
			return sum, nil
		}
	}
	replace, err := s.grownFrom(ctx, path, opt.Instance, r, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var linesDone atomic.Int64
	cr := &countingReader{r: r, h: sha256.New(), total: size}
	if opt.Progress != nil {
		cr.progress = func(read, total int64) { opt.Progress(read, total, linesDone.Load()) }
	}
	br := bufio.NewReaderSize(cr, 1<<20)
	var in *bufio.Reader = br
	compressed := false
	// The content's hash is of the decompressed bytes, so that a capture
	// stored plain is the same capture gzipped.
	contentHash := cr.h
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: gzip: %w", path, err)
		}
		defer zr.Close()
		contentHash = sha256.New()
		in = bufio.NewReaderSize(io.TeeReader(zr, contentHash), 1<<20)
		compressed = true
	}
	f := opt.Format
	if f == nil {
		head, _ := in.Peek(1 << 20)
		var err error
		f, err = formats.DetectHead(head, len(head) < 1<<20, opt.Formats)
		switch {
		case errors.Is(err, formats.ErrLongFirstLine):
			return nil, fmt.Errorf("%s: the first line is longer than 1 MiB, too long to tell the format from: name it with --format", path)
		case err != nil:
			return nil, fmt.Errorf("%s: %w (wat reads %s; name one with --format)", path, err, formatNames(opt.Formats))
		}
	}
	instance := opt.Instance
	if instance == "" {
		instance = formats.DefaultInstance(f, path)
	}
	if replace != nil && (replace.Instance != instance || f == nil || replace.Format != f.Name) {
		replace = nil // another log's: both are kept
	}
	var config []byte
	if f != nil {
		sum.Format = f.Name
		if f.NewConfigured != nil {
			config = opt.Config[f.Name]
		}
	}
	var shared *sharedRun
	if !opt.Force {
		head, _ := in.Peek(1 << 20)
		if shared, err = s.sharedTail(ctx, f, config, path, instance, head, replace); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}

	tx, err := s.beginWrite(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer tx.Rollback()
	w := newWriter(ctx, tx)
	w.shared = shared
	if err := tx.QueryRowContext(ctx, sqlInsertSource, path, sum.Format, config, time.Now().UnixNano(), instance).Scan(&w.source); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := tx.QueryRowContext(ctx, sqlNextEventID).Scan(&w.nextID); err != nil {
		return nil, err
	}
	firstID := w.nextID

	var drop droppedParts
	batches := make(chan []row, 4)
	readErr := make(chan error, 1)
	go func() {
		readErr <- readLines(ctx, path, in, compressed, f, config, refsOf(opt), batches, &drop)
		close(batches)
	}()
	for b := range batches {
		err := w.write(b, sum, opt.MaxRejects)
		linesDone.Store(sum.Lines)
		if err != nil {
			for range batches { // let the reader finish
			}
			<-readErr
			return nil, fmt.Errorf("%s: store: %w", path, err)
		}
	}
	if err := <-readErr; err != nil {
		return nil, fmt.Errorf("%s: line %d: %w", path, sum.Lines+1, err)
	}
	sum.Dropped, sum.DroppedWhy = drop.n, drop.why
	if n := shared.matched(); n > 0 {
		sum.Shared, sum.SharedWith, sum.SharedFrom, sum.SharedTo = int64(n), shared.src, shared.lines[0], shared.lines[n-1]
	}
	if sum.Lines > 0 && sum.Rejected == sum.Lines {
		first := ""
		if len(sum.Rejects) > 0 {
			first = fmt.Sprintf(" (line %d: %s)", sum.Rejects[0].Line, sum.Rejects[0].Reason)
		}
		return nil, fmt.Errorf("%s: %w as %s, %d of %d%s: nothing of it is stored", path, ErrAllRejected, sum.Format, sum.Rejected, sum.Lines, first)
	}
	if err := w.flush(); err != nil {
		return nil, fmt.Errorf("%s: store: %w", path, err)
	}
	// Drain the rest of the input so the hash covers the whole file. A
	// damaged gzip stream (its damage a rejected line) is known by its
	// raw bytes.
	if compressed {
		if _, err := io.Copy(io.Discard, in); err != nil {
			contentHash = cr.h
		}
	}
	if _, err := io.Copy(io.Discard, br); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sum.Bytes = cr.n
	digest := hex.EncodeToString(contentHash.Sum(nil))
	if !opt.Force {
		var prev string
		err := tx.QueryRowContext(ctx, sqlOtherByHash, digest, w.source).Scan(&prev)
		if err == nil {
			sum.Duplicate, sum.DuplicateOf = true, prev
			sum.Lines, sum.Events, sum.Rejected, sum.Skipped, sum.Rejects = 0, 0, 0, 0, nil
			sum.Unmapped, sum.Unmaps = 0, nil
			return sum, nil // rolled back
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
	}
	if replace != nil {
		if err := removeSourceTx(ctx, tx, replace); err != nil {
			return nil, fmt.Errorf("%s: replace: %w", path, err)
		}
		sum.Replaced = replace
	}
	var first, last any
	if w.nextID > firstID {
		first, last = firstID, w.nextID-1
	}
	if sum.Moved, err = s.moveLater(ctx, tx, w, instance, sum.Format, w.tmin, w.tmax, opt); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if _, err := tx.ExecContext(ctx, sqlFinishSource, cr.n, digest, sum.Lines, sum.Events,
		sum.Rejected, sum.Skipped, first, last, w.source); err != nil {
		return nil, err
	}
	if sum.eventLines+sum.Rejected+sum.Skipped != sum.Lines {
		return nil, fmt.Errorf("%s: internal error: %d lines of events + %d rejected + %d skipped != %d lines",
			path, sum.eventLines, sum.Rejected, sum.Skipped, sum.Lines)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("%s: commit: %w", path, err)
	}
	s.sourcesChanged()
	if opt.Progress != nil {
		opt.Progress(cr.n, size, sum.Lines)
	}
	sum.Elapsed = time.Since(start)
	return sum, nil
}

func formatNames(fs []*formats.Format) string {
	var n []string
	for _, f := range fs {
		n = append(n, f.Name)
	}
	return strings.Join(n, ", ")
}

// preCheckDuplicate hashes a seekable file whose size matches a stored
// source, and returns that source's path when the content is the same.
func (s *Store) preCheckDuplicate(ctx context.Context, r io.Reader, size int64) (string, error) {
	rs, ok := r.(io.ReadSeeker)
	if !ok || size <= 0 {
		return "", nil
	}
	var n int
	if err := s.db.QueryRowContext(ctx, sqlCountSourceSize, size).Scan(&n); err != nil || n == 0 {
		return "", err
	}
	h := sha256.New()
	if _, err := io.Copy(h, rs); err != nil {
		return "", err
	}
	if _, err := rs.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	var prev string
	err := s.db.QueryRowContext(ctx, sqlSourceByHash, hex.EncodeToString(h.Sum(nil))).Scan(&prev)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return prev, err
}

// A row is what one line became.
type row struct {
	line     int64
	offset   int64
	skip     bool
	extra    bool   // a second or later event of a line that holds several
	unmapped string // why a skipped line was not a request
	reason   string // rejected when not empty
	ev       formats.Event
	refs     []formats.Ref
}

// unparsed records a line that the parser's result res and error perr
// say maps to no event: unmapped (skipped, with the parser's reason when
// it gives one), or else rejected with perr. The raw line is kept.
func (r *row) unparsed(line []byte, res formats.Result, perr error) {
	if res == formats.IsUnmapped {
		r.skip, r.unmapped = true, "unmapped"
		if perr != nil {
			r.unmapped = perr.Error()
		}
	} else {
		r.reason = perr.Error()
	}
	r.ev = formats.Event{Raw: append([]byte(nil), line...)}
}

// refsOf returns the index functions for one file: Refs, and a fresh
// function from each of Indexes.
func refsOf(opt IngestOptions) map[string]func(*formats.Event) []formats.Ref {
	if len(opt.Indexes) == 0 {
		return opt.Refs
	}
	m := make(map[string]func(*formats.Event) []formats.Ref, len(opt.Refs)+len(opt.Indexes))
	for sys, fn := range opt.Refs {
		m[sys] = fn
	}
	for sys, mk := range opt.Indexes {
		m[sys] = mk()
	}
	return m
}

// readLines reads, splits and parses lines, sending them in batches.
func readLines(ctx context.Context, path string, in *bufio.Reader, compressed bool, f *formats.Format, config []byte, refs map[string]func(*formats.Event) []formats.Ref, out chan<- []row, dropped *droppedParts) error {
	var p formats.Parser
	if f != nil {
		if len(config) > 0 && f.NewConfigured != nil {
			var err error
			if p, err = f.NewConfigured(config); err != nil {
				return err
			}
		} else {
			p = f.NewParser()
		}
		if pp, ok := p.(formats.PathParser); ok {
			pp.SetPath(path)
		}
	}
	batch := make([]row, 0, 1024)
	var lineNo, offset, lineStart int64
	var long []byte
	inLong := false
	for {
		chunk, err := in.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if !inLong {
				inLong, lineStart, long = true, offset, long[:0]
				if cap(long) < MaxLine+1 {
					long = make([]byte, 0, MaxLine+1) // once: a long line never grows it
				}
			}
			if room := MaxLine + 1 - len(long); room > 0 { // enough to tell it is too long
				long = append(long, chunk[:min(room, len(chunk))]...)
			}
			offset += int64(len(chunk))
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			if !compressed {
				return err
			}
			// A damaged or cut gzip stream: keep everything before the
			// damage, and report it as the line where it happened.
			lineNo++
			r := row{line: lineNo, offset: offset, reason: fmt.Sprintf(
				"the gzip stream is damaged here (%v): the lines before it are kept, nothing after it can be read", err)}
			r.ev.Raw = append(append([]byte(nil), long...), chunk...)
			batch = append(batch, r)
			break
		}
		if len(chunk) == 0 && !inLong {
			break
		}
		line := chunk
		if inLong {
			if room := MaxLine + 1 - len(long); room > 0 {
				long = append(long, chunk[:min(room, len(chunk))]...)
			}
			line, inLong = long, false
		} else {
			lineStart = offset
		}
		offset += int64(len(chunk))
		line = bytes.TrimSuffix(line, []byte("\n"))
		lineNo++
		r := row{line: lineNo, offset: lineStart}
		switch {
		case len(line) > MaxLine:
			r.reason = fmt.Sprintf("line longer than %d MiB", MaxLine>>20)
			r.ev.Raw = append([]byte(nil), line[:256]...)
		case p == nil:
			r.reason = "no format" // unreachable: empty input has no lines
		case isMulti(p):
			var evs []formats.Event
			res, perr := p.(formats.MultiParser).ParseMulti(line, func(e *formats.Event) { evs = append(evs, *e) })
			switch {
			case len(evs) > 0:
				for i := range evs {
					x := row{line: lineNo, offset: lineStart, ev: evs[i], extra: i > 0}
					if x.ev.System == "" {
						x.ev.System = f.System
					}
					if fn := refs[x.ev.System]; fn != nil && !x.ev.ClientRecord && !x.ev.ReplyRecord {
						x.refs = fn(&x.ev)
					}
					if i < len(evs)-1 {
						batch = append(batch, x)
					} else {
						r = x
					}
				}
			case res == formats.IsUnmapped || perr != nil:
				r.unparsed(line, res, perr)
			default:
				r.skip = true
			}
		default:
			res, perr := p.Parse(line, &r.ev)
			switch {
			case res == formats.IsUnmapped || perr != nil:
				r.unparsed(line, res, perr)
			case res == formats.IsSkipped:
				r.skip = true
			default:
				if r.ev.System == "" {
					r.ev.System = f.System
				}
				if a, ok := p.(formats.Annotator); ok {
					a.Annotate(&r.ev)
				}
				if fn := refs[r.ev.System]; fn != nil && !r.ev.ClientRecord && !r.ev.ReplyRecord {
					r.refs = fn(&r.ev)
				}
			}
		}
		batch = append(batch, r)
		if len(batch) == cap(batch) {
			select {
			case out <- batch:
			case <-ctx.Done():
				return ctx.Err()
			}
			batch = make([]row, 0, 1024)
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	if len(batch) > 0 {
		out <- batch
	}
	if d, ok := p.(formats.Dropper); ok {
		if n, why := d.Dropped(); n > 0 {
			dropped.n, dropped.why = n, why
		}
	}
	return nil
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
	post    *pending
	// Calls waiting for a reply logged on a later line, by request id and
	// by connection (oldest first).
	waitByID   map[string]int64
	waitByConn map[string][]int64
	waiting    int
	// tmin and tmax are the earliest and latest times of the events
	// written; 0 when none has a time.
	tmin, tmax int64
	// shared are the stored events the file may begin with (skipped).
	shared *sharedRun
}

// maxPending is how many key touches the writer holds before it writes
// them as postings blocks: it bounds ingest memory whatever the log size.
const maxPending = 2 << 20

// bufRows is how many rows of a table the writer holds before loading
// them.
const bufRows = 2000

func newWriter(ctx context.Context, tx *sqlTx) *writer {
	return &writer{ctx: ctx, tx: tx, post: newPending(), waitByID: map[string]int64{}, waitByConn: map[string][]int64{}}
}

// buffer appends a row to buf, and loads buf into tb when it is full.
func (w *writer) buffer(tb *table, buf *[]any, vals ...any) error {
	*buf = append(*buf, vals...)
	if len(*buf) < bufRows*len(tb.cols) {
		return nil
	}
	err := w.tx.load(w.ctx, tb, *buf)
	clear(*buf)
	*buf = (*buf)[:0]
	return err
}

func (w *writer) write(rows []row, sum *Summary, maxRejects int) error {
	for i := range rows {
		r := &rows[i]
		if !r.extra {
			sum.Lines++
		}
		switch {
		case r.skip:
			sum.Skipped++
			if r.unmapped != "" {
				sum.Unmapped++
				if len(sum.Unmaps) < maxRejects {
					sum.Unmaps = append(sum.Unmaps, Reject{Path: sum.Path, Line: int(r.line), Reason: r.unmapped, Raw: r.ev.Raw})
				}
			}
		case r.reason != "":
			sum.Rejected++
			if len(sum.Rejects) < maxRejects {
				sum.Rejects = append(sum.Rejects, Reject{Path: sum.Path, Line: int(r.line), Reason: r.reason, Raw: r.ev.Raw})
			}
			if err := w.buffer(rejectsTable, &w.rejBuf, w.source, r.line, r.reason, r.ev.Raw); err != nil {
				return err
			}
		case w.shared.matches(r.ev.Raw):
			sum.Skipped++ // stored already, from another file
		default:
			sum.Events++
			if !r.extra {
				sum.eventLines++
			}
			if err := w.event(r); err != nil {
				return err
			}
		}
	}
	if w.post.n >= maxPending {
		return w.writePostings()
	}
	return nil
}

func (w *writer) event(r *row) error {
	id := w.nextID
	w.nextID++
	if t := r.ev.Time; t != 0 {
		if w.tmin == 0 || t < w.tmin {
			w.tmin = t
		}
		w.tmax = max(w.tmax, t)
	}
	if err := w.buffer(eventsTable, &w.evBuf, id, w.source, r.line, r.offset, r.ev.Time, r.ev.Raw); err != nil {
		return err
	}
	for i, ref := range r.refs {
		if dupRef(r.refs[:i], ref) {
			continue
		}
		wr := strongest(r.refs, ref)
		if ref.Key == nil {
			if err := w.buffer(wideTable, &w.wideBuf, r.ev.System, ref.NS, wr, id); err != nil {
				return err
			}
			continue
		}
		w.post.add(r.ev.System, ref.NS, ref.Key, wr == 1, id)
	}
	// The log's own ids, to link a request to the one that caused it.
	if r.ev.ReqID != "" {
		w.post.add(linkID, "", []byte(r.ev.ReqID), true, id)
	}
	if r.ev.Parent != "" {
		w.post.add(linkParent, "", []byte(r.ev.Parent), true, id)
	}
	w.pair(&r.ev, id)
	// A call a service logged, to be found from the receiver's own log
	// (a MONITOR line) by its content.
	if r.ev.Service != "" {
		w.post.add(linkCall, "", callKey(&r.ev), true, id)
	}
	return nil
}

// writePostings writes the pending key touches as postings blocks.
func (w *writer) writePostings() error {
	bs := w.post.blocks()
	args := make([]any, 0, len(postingsTable.cols)*bufRows)
	for len(bs) > 0 {
		n := min(len(bs), bufRows)
		args = args[:0]
		for _, b := range bs[:n] {
			args = append(args, b.k.system, b.k.ns, b.k.key, b.w, b.last, b.first, b.n, b.ids)
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

// flush writes what is buffered.
func (w *writer) flush() error {
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

// pair links a reply record to the call it answers: the call with its
// request id, or else the oldest call waiting on its connection. The link
// is a posting from the call's event id to the reply's.
func (w *writer) pair(e *formats.Event, id int64) {
	if !e.ReplyRecord {
		if e.Reply == nil && e.System != "" && (e.ReqID != "" || e.Client != "") && e.Service != "" {
			if w.waiting >= maxWaiting {
				clear(w.waitByID)
				clear(w.waitByConn)
				w.waiting = 0
			}
			if e.ReqID != "" {
				w.waitByID[e.ReqID] = id
			}
			if e.Client != "" {
				w.waitByConn[e.Client] = append(w.waitByConn[e.Client], id)
			}
			w.waiting++
		}
		return
	}
	call, ok := w.waitByID[e.ReqID]
	if ok {
		delete(w.waitByID, e.ReqID)
		q := w.waitByConn[e.Client]
		for i, c := range q {
			if c == call {
				w.waitByConn[e.Client] = append(q[:i:i], q[i+1:]...)
				break
			}
		}
	} else if q := w.waitByConn[e.Client]; e.ReqID == "" && e.Client != "" && len(q) > 0 {
		call, ok = q[0], true
		w.waitByConn[e.Client] = q[1:]
	}
	if ok {
		w.post.add(linkPair, "", []byte(strconv.FormatInt(call, 10)), true, id)
	}
}

func isMulti(p formats.Parser) bool {
	_, ok := p.(formats.MultiParser)
	return ok
}

// droppedParts is what the reader reports of parts of lines dropped.
type droppedParts struct {
	n   int64
	why string
}
