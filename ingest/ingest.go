// Package ingest reads log files into a trace store: each line becomes
// an event, a rejected line (with the reason) or a counted skipped line,
// in one transaction per file (see store.Load).
package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/ingest/store"
)

// MaxLine is the longest line ingest reads; a longer one is rejected
// (and skipped without being held in memory).
const MaxLine = 16 << 20

// ErrAllRejected is the error of an ingest whose every line was
// rejected: most likely the wrong format, so nothing of it is stored.
var ErrAllRejected = errors.New("every line was rejected")

// Options configure one ingest.
type Options struct {
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
	// DeferOrder leaves the files of the instance in the order stored;
	// the caller puts them in time order after a batch (store.Order).
	DeferOrder bool
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
	Mapping      string // the shipped configuration chosen for the file, if any
	Instance     string // of its system; "" joins every instance
	Bytes        int64  // read from the file
	Lines        int64
	Events       int64
	Rejected     int64
	Skipped      int64
	Rejects      []store.Reject // the first few
	// Unmapped counts the skipped lines that were well formed but mapped
	// to no request; Unmaps lists the first few, with the reason.
	Unmapped int64
	Unmaps   []store.Reject
	// Dropped counts parts of event lines that were not events (spans no
	// rule maps), DroppedWhy says what they were.
	Dropped    int64
	DroppedWhy string
	// Rules are the events each rule of the file's mapping made.
	Rules []formats.RuleCount
	// eventLines counts the lines that held events (a line may hold
	// several): eventLines + Rejected + Skipped = Lines.
	eventLines int64
	Elapsed    time.Duration
	// Duplicate is set when the content was already stored and nothing
	// was ingested.
	Duplicate   bool
	DuplicateOf string
	// Replaced are the earlier ingests this one replaced, and why: the
	// file grew since, changed, or is read another way.
	Replaced []Replaced
	// Placed are the runs of files of its instance stored again to keep
	// the trace in time order: merged by time (clocks that overlap), or
	// moved after it.
	Placed []store.Placed
	// Continued is the earlier ingest of the file that this one went on
	// from (the file grew since, and it was the newest stored): only the
	// Read lines after its lines were read. The counts are of the whole
	// file.
	Continued *store.Source
	Read      int64
	// Shared counts the events the file begins with that were stored
	// already, as lines SharedFrom to SharedTo of SharedWith (a capture
	// cut into two files that share lines): they are skipped.
	Shared               int64
	SharedWith           *store.Source
	SharedFrom, SharedTo int64
	// SharedEnd counts the events the file ends with that a stored file
	// of its instance begins with, as its lines SharedEndFrom to
	// SharedEndTo (the later part of a cut capture stored first): they
	// are skipped.
	SharedEnd                  int64
	SharedEndWith              *store.Source
	SharedEndFrom, SharedEndTo int64
	// held are the last rows, kept from the load until the end.
	held holdback
	// stdinSuffix is what tells this standard input from the first one
	// ("#2"): its instance is the first one's.
	stdinSuffix string
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
func Ingest(ctx context.Context, s *store.Store, path string, r io.Reader, size int64, opt Options) (*Summary, error) {
	start := time.Now()
	if opt.MaxRejects == 0 {
		opt.MaxRejects = 5
	}
	sum := &Summary{Path: path}
	if !opt.Force {
		same, err := s.StoredAs(ctx, r, size)
		if err != nil {
			return nil, err
		}
		for _, o := range same {
			if opt.reading(o.Format).Same(o.Reading) {
				sum.Duplicate, sum.DuplicateOf = true, o.Path
				return sum, nil
			}
		}
	}
	if path == "-" {
		// Standard input, again: a name of its own, for --at.
		name, err := stdinName(ctx, s)
		if err != nil {
			return nil, err
		}
		path, sum.Path, sum.stdinSuffix = name, name, strings.TrimPrefix(name, "-")
	}
	replace, wholeLines, err := s.GrownFrom(ctx, path, opt.Instance, r, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var linesDone atomic.Int64
	src, err := openInput(r, size, opt.Progress, &linesDone)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer src.close()
	in, compressed := src.in, src.compressed
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
		instance = formats.DefaultInstance(f, strings.TrimSuffix(path, sum.stdinSuffix))
	}
	sum.Instance = instance
	if replace != nil && (replace.Instance != instance || f == nil || replace.Format != f.Name) {
		replace = nil // another log's: both are kept
	}
	var config []byte
	if f != nil {
		sum.Format = f.Name
		if f.NewConfigured != nil {
			config = opt.Config[f.Name]
		}
		if config == nil && f.Configure != nil {
			// None given: a shipped one, when one reads the file.
			head, _ := in.Peek(1 << 20)
			config, sum.Mapping = f.Configure(formats.HeadLines(head, len(head) < 1<<20))
		}
	}
	refs := opt.NewIndex()
	load, shared, skip, replaces, err := sum.begin(ctx, s, opt, f, config, instance, in, replace, wholeLines && !compressed, refs)
	if errors.Is(err, store.ErrFileName) {
		return nil, err // it names the file
	} else if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer load.Rollback()

	var report readerReport
	batches := make(chan []row, 4)
	readErr := make(chan error, 1)
	go func() {
		readErr <- readLines(ctx, path, in, compressed, f, config, refs, skip, batches, &report)
		close(batches)
	}()
	for b := range batches {
		err := sum.store(load, shared, b, opt.MaxRejects)
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
	if err := sum.end(ctx, load); err != nil {
		return nil, fmt.Errorf("%s: store: %w", path, err)
	}
	sum.Dropped, sum.DroppedWhy, sum.Rules = report.n, report.why, report.rules
	if c := sum.Continued; c != nil {
		sum.Read = sum.Lines
		sum.Lines, sum.Events, sum.Rejected, sum.Skipped = sum.Lines+c.Lines, sum.Events+c.Events, sum.Rejected+c.Rejected, sum.Skipped+c.Skipped
		sum.eventLines += c.Lines - c.Rejected - c.Skipped
	}
	if n := shared.Matched(); n > 0 {
		sum.Shared, sum.SharedWith, sum.SharedFrom, sum.SharedTo = int64(n), shared.Source, shared.Lines[0], shared.Lines[n-1]
	}
	if err := sum.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	digest, err := src.digest()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sum.Bytes = src.cr.n
	c, err := load.Commit(ctx, store.Finish{Size: src.cr.n, Hash: digest,
		Lines: sum.Lines, Events: sum.Events, Rejected: sum.Rejected, Skipped: sum.Skipped,
		Force: opt.Force, Replace: replaces, DeferOrder: opt.DeferOrder, InstanceNamed: opt.Instance != ""})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if c.DuplicateOf != "" {
		*sum = Summary{Path: path, Format: sum.Format, Bytes: sum.Bytes, Duplicate: true, DuplicateOf: c.DuplicateOf}
		return sum, nil
	}
	sum.Placed = c.Placed
	for i, r := range sum.Replaced {
		if r.Why == "changed" && r.Hash == digest {
			sum.Replaced[i].Why = "read another way" // the same path and content
		}
	}
	for _, o := range c.Reread {
		sum.Replaced = append(sum.Replaced, Replaced{o, "read another way"})
	}
	if opt.Progress != nil {
		opt.Progress(src.cr.n, size, sum.Lines)
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

// An input is a file being read: its bytes counted and hashed as they
// pass, decompressed when it is gzip (detected by its first bytes).
type input struct {
	cr         *countingReader
	br, in     *bufio.Reader // the file's bytes; its content
	compressed bool
	content    hash.Hash // of the decompressed bytes
	zr         *gzip.Reader
}

// openInput reads r (size bytes, 0 when unknown), reporting progress with
// the lines stored so far.
func openInput(r io.Reader, size int64, progress func(read, total, lines int64), lines *atomic.Int64) (*input, error) {
	src := &input{cr: &countingReader{r: r, h: sha256.New(), total: size}}
	if progress != nil {
		src.cr.progress = func(read, total int64) { progress(read, total, lines.Load()) }
	}
	src.br = bufio.NewReaderSize(src.cr, 1<<20)
	src.in = src.br
	// The content's hash is of the decompressed bytes, so that a capture
	// stored plain is the same capture gzipped.
	src.content = src.cr.h
	if magic, _ := src.br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		var err error
		if src.zr, err = gzip.NewReader(src.br); err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		src.content = sha256.New()
		src.in = bufio.NewReaderSize(io.TeeReader(src.zr, src.content), 1<<20)
		src.compressed = true
	}
	return src, nil
}

func (src *input) close() {
	if src.zr != nil {
		src.zr.Close()
	}
}

// digest reads the rest of the input so the hash covers the whole file,
// and returns the content's hash. A damaged gzip stream (its damage a
// rejected line) is known by its raw bytes.
func (src *input) digest() (string, error) {
	if src.compressed {
		if _, err := io.Copy(io.Discard, src.in); err != nil {
			src.content = src.cr.h
		}
	}
	if _, err := io.Copy(io.Discard, src.br); err != nil {
		return "", err
	}
	return hex.EncodeToString(src.content.Sum(nil)), nil
}

// begin decides how the file is stored, and begins the load: continuing
// grown (a stored file it began with, the newest stored; whole tells it
// ended at a line's end and the input is not compressed) when it can,
// else as a new file replacing grown and any stored file of its path;
// with the shared run of a stored file it begins with. It returns the
// load, the shared run, the bytes to skip (a continued file's) and the
// files replaced.
func (sum *Summary) begin(ctx context.Context, s *store.Store, opt Options, f *formats.Format, config []byte, instance string, in *bufio.Reader, grown *store.Source, whole bool, refs map[string]func(*formats.Event) []formats.Ref) (load *store.Load, shared *store.SharedRun, skip int64, replaces []*store.Source, err error) {
	path := sum.Path
	var probe formats.Parser // to ask how the format's lines parse
	if f != nil {
		if probe, err = f.Parser(config, path); err != nil {
			return nil, nil, 0, nil, err
		}
	}
	if !opt.Force {
		head, _ := in.Peek(1 << 20)
		var except []*store.Source
		if grown != nil {
			except = append(except, grown)
		}
		if shared, err = s.SharedTail(ctx, f, config, path, instance, head, except); err != nil {
			return nil, nil, 0, nil, err
		}
	}
	// A file that grew since it was stored, the newest of the store, is
	// continued: only its new lines are read (the lines before them just
	// counted), the index functions having seen the stored ones first.
	if grown != nil && whole && formats.ParsesAlone(probe) {
		newest, err := s.IsNewest(ctx, grown)
		if err != nil {
			return nil, nil, 0, nil, err
		}
		if newest {
			if err := warmIndexes(ctx, s, grown, refs, opt.Indexes); err != nil {
				return nil, nil, 0, nil, err
			}
			sum.Continued, skip, grown, shared = grown, grown.Size, nil, nil
		}
	}
	if grown != nil {
		replaces = append(replaces, grown)
		sum.Replaced = append(sum.Replaced, Replaced{grown, "grew"})
	}
	if !opt.Force && path != "-" && !strings.HasPrefix(path, "-#") {
		// The same path, other content: the file changed since.
		srcs, err := s.Sources(ctx)
		if err != nil {
			return nil, nil, 0, nil, err
		}
		for _, o := range srcs {
			if o.Path == path && (grown == nil || o.ID != grown.ID) && (sum.Continued == nil || o.ID != sum.Continued.ID) {
				replaces = append(replaces, o)
				sum.Replaced = append(sum.Replaced, Replaced{o, "changed"})
			}
		}
	}
	if sum.Continued != nil {
		load, err = s.BeginAppend(ctx, sum.Continued, path)
	} else {
		load, err = s.BeginLoad(ctx, path, sum.Format, config, instance)
	}
	if err != nil {
		return nil, nil, 0, nil, err
	}
	// Rows are held back unless there is nothing to read, the file is
	// stored again on purpose, or a line holds several events.
	sum.held.off = f == nil || opt.Force || isMulti(probe)
	return load, shared, skip, replaces, nil
}

// check fails an ingest whose every line was rejected, and one whose
// counts do not add up.
func (sum *Summary) check() error {
	if sum.Lines > 0 && sum.Rejected == sum.Lines {
		first := ""
		if len(sum.Rejects) > 0 {
			first = fmt.Sprintf(" (line %d: %s)", sum.Rejects[0].Line, sum.Rejects[0].Reason)
		}
		return fmt.Errorf("%w as %s, %d of %d%s: nothing of it is stored", ErrAllRejected, sum.Format, sum.Rejected, sum.Lines, first)
	}
	if sum.eventLines+sum.Rejected+sum.Skipped != sum.Lines {
		return fmt.Errorf("internal error: %d lines of events + %d rejected + %d skipped != %d lines",
			sum.eventLines, sum.Rejected, sum.Skipped, sum.Lines)
	}
	return nil
}

// store counts a batch of rows into the summary and stores them: events,
// but those of the shared run the file begins with, and rejected lines.
func (sum *Summary) store(load *store.Load, shared *store.SharedRun, rows []row, maxRejects int) error {
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
					sum.Unmaps = append(sum.Unmaps, store.Reject{Path: sum.Path, Line: int(r.line), Reason: r.unmapped, Raw: r.ev.Raw})
				}
			}
		case r.reason != "":
			sum.Rejected++
			if len(sum.Rejects) < maxRejects {
				sum.Rejects = append(sum.Rejects, store.Reject{Path: sum.Path, Line: int(r.line), Reason: r.reason, Raw: r.ev.Raw})
			}
			if err := sum.held.push(load, r); err != nil {
				return err
			}
		case shared.Matches(r.ev.Raw):
			sum.Skipped++ // stored already, from another file
		default:
			sum.Events++
			if !r.extra {
				sum.eventLines++
			}
			if err := sum.held.push(load, r); err != nil {
				return err
			}
		}
	}
	return nil
}

// Holding back is bounded: a shared run longer than this is not looked
// for (answers over both files then say they were merged by time, and
// count the shared requests twice: see the closing check in end).
const (
	maxHeldRows  = 10000
	maxHeldBytes = 16 << 20
)

// A holdback keeps a file's last event and rejected rows from the load
// until the file ends, so that those a stored file of its instance
// begins with can be skipped: a capture cut into two files that share
// lines, the later file stored first. It is a ring of the rows (which
// stay in their batches), oldest first from start.
type holdback struct {
	ring  []*row
	start int
	n     int
	bytes int
	off   bool // rows go straight to the load
}

// push holds r back, writing the rows held longest when there are too
// many.
func (h *holdback) push(load *store.Load, r *row) error {
	if h.off {
		return write(load, r)
	}
	if h.ring == nil {
		h.ring = make([]*row, maxHeldRows)
	}
	for h.n > 0 && (h.n == len(h.ring) || h.bytes+len(r.ev.Raw) > maxHeldBytes) {
		old := h.ring[h.start]
		if err := write(load, old); err != nil {
			return err
		}
		h.bytes -= len(old.ev.Raw)
		h.ring[h.start] = nil
		h.start = (h.start + 1) % len(h.ring)
		h.n--
	}
	h.ring[(h.start+h.n)%len(h.ring)] = r
	h.n++
	h.bytes += len(r.ev.Raw)
	return nil
}

// held returns the rows held, oldest first.
func (h *holdback) held() []*row {
	out := make([]*row, h.n)
	for i := range out {
		out[i] = h.ring[(h.start+i)%len(h.ring)]
	}
	return out
}

// write stores a row: an event, or a rejected line.
func write(load *store.Load, r *row) error {
	if r.reason != "" {
		return load.Reject(r.line, r.reason, r.ev.Raw)
	}
	return load.Event(r.line, r.offset, &r.ev, r.refs)
}

// end skips the held rows from the first event that a stored file of the
// instance begins with (the longest such run that ends the file), and
// writes the others.
func (sum *Summary) end(ctx context.Context, load *store.Load) error {
	rows := sum.held.held()
	var evs []int // the held event rows
	for i, r := range rows {
		if r.reason == "" {
			evs = append(evs, i)
		}
	}
	keep := len(rows)
	if len(evs) > 0 {
		heads, err := load.Heads(ctx, rows[evs[0]].ev.Time, rows[evs[len(evs)-1]].ev.Time, len(evs))
		if err != nil {
			return err
		}
		best := 0
		for _, hd := range heads {
			for k := min(len(hd.Raws), len(evs)); k > best; k-- {
				if sameRaws(rows, evs[len(evs)-k:], hd.Raws[:k]) {
					best = k
					sum.SharedEnd, sum.SharedEndWith = int64(k), hd.Source
					sum.SharedEndFrom, sum.SharedEndTo = hd.Lines[0], hd.Lines[k-1]
					break
				}
			}
		}
		if best > 0 {
			keep = evs[len(evs)-best]
		}
	}
	for i, r := range rows {
		if i < keep {
			if err := write(load, r); err != nil {
				return err
			}
			continue
		}
		sum.Skipped++ // stored already, from another file
		if r.reason != "" {
			sum.Rejected--
		} else {
			sum.Events--
			if !r.extra {
				sum.eventLines--
			}
		}
	}
	sum.held = holdback{off: sum.held.off}
	return nil
}

// sameRaws tells whether the rows at idx have the raw lines raws.
func sameRaws(rows []*row, idx []int, raws [][]byte) bool {
	for j, i := range idx {
		if !bytes.Equal(rows[i].ev.Raw, raws[j]) {
			return false
		}
	}
	return true
}

// warmIndexes gives the index functions of refs whose system indexes by
// what came before (indexes) the stored events of src, in order, so that
// they index the lines that continue it as a whole-file ingest would.
func warmIndexes(ctx context.Context, s *store.Store, src *store.Source, refs map[string]func(*formats.Event) []formats.Ref, indexes map[string]func() func(*formats.Event) []formats.Ref) error {
	if len(indexes) == 0 {
		return nil
	}
	f := store.Filter{Source: src, Limit: 10000}
	for {
		evs, err := s.Events(ctx, f)
		if err != nil {
			return err
		}
		for _, e := range evs {
			if fn := refs[e.System]; fn != nil && indexes[e.System] != nil && !e.ReplyRecord {
				fn(e)
			}
		}
		if len(evs) < f.Limit {
			return nil
		}
		f.After = evs[len(evs)-1].ID
	}
}

// A Replaced is an earlier ingest an ingest replaced, and why: the file
// "grew" since (and began with all of it), "changed", or is "read
// another way" (the same content, another format, mapping or instance).
type Replaced struct {
	*store.Source
	Why string
}

// reading is how opt reads a file of a stored format (or opt.Format).
func (opt Options) reading(format string) store.Reading {
	if opt.Format != nil {
		format = opt.Format.Name
	}
	return store.Reading{Format: format, Config: opt.Config[format], Instance: opt.Instance}
}

// stdinName is the name of a standard input ingested: "-", and "-#2",
// "-#3"... for later ones.
func stdinName(ctx context.Context, s *store.Store) (string, error) {
	srcs, err := s.Sources(ctx)
	if err != nil {
		return "", err
	}
	n := 0
	for _, o := range srcs {
		if o.Path == "-" || strings.HasPrefix(o.Path, "-#") {
			n++
		}
	}
	if n == 0 {
		return "-", nil
	}
	return fmt.Sprintf("-#%d", n+1), nil
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

// NewIndex returns the index functions for one file: Refs, and a fresh
// function from each of Indexes (for store.Options.Index too).
func (opt Options) NewIndex() map[string]func(*formats.Event) []formats.Ref {
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
func readLines(ctx context.Context, path string, in *bufio.Reader, compressed bool, f *formats.Format, config []byte, refs map[string]func(*formats.Event) []formats.Ref, skip int64, out chan<- []row, report *readerReport) error {
	var p formats.Parser
	if f != nil {
		var err error
		if p, err = f.Parser(config, path); err != nil {
			return err
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
		if lineStart < skip { // stored already: counted, not read
			if errors.Is(err, io.EOF) {
				break
			}
			continue
		}
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
					if fn := refs[x.ev.System]; fn != nil && !x.ev.ReplyRecord {
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
				if fn := refs[r.ev.System]; fn != nil && !r.ev.ReplyRecord {
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
			report.n, report.why = n, why
		}
	}
	if rc, ok := p.(formats.RuleCounter); ok {
		report.rules = rc.RuleCounts()
	}
	return nil
}

func isMulti(p formats.Parser) bool {
	_, ok := p.(formats.MultiParser)
	return ok
}

// A readerReport is what the reader reports when it is done: parts of
// lines dropped, and the events each rule of the configuration made.
type readerReport struct {
	n     int64
	why   string
	rules []formats.RuleCount
}
