package store

import (
	"cmp"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/wat-project/wat/formats"
)

// Event ids are the trace order, and an instance's history is ordered by
// time across its files. A file ingested after files of its instance
// that begin after it ends goes before them: those files are moved, their
// events stored again after the new file's with new ids. A file whose
// clock overlaps other files of its instance (strace -ff's per-process
// files, a capture cut at the same time on two hosts' logs of one
// server) is merged with them by time: the events of all of them are
// stored again, interleaved by time (ingest order breaking ties), so
// their ids interleave too. Either way each file's lines are parsed again
// in their own order, as ingest parsed them, and indexed again, in the
// ingest's transaction.
//
// A group of merged files shares one run of ids; any other file's events
// are one run of their own. Files whose runs overlap are merged (see
// groupsOf).

// sqlMoveSource gives a stored-again source its ids.
const sqlMoveSource = "UPDATE sources SET first_event = ?, last_event = ? WHERE id = ?"

// errNotMovable is the error of resequence for files whose lines cannot
// be parsed again as ingest parsed them (several events on one line).
var errNotMovable = errors.New("its lines hold several events each")

// A Placed is a run of files an ingest stored again to keep the trace in
// time order: merged by time when there are several (their clocks
// overlap), else moved after the files before it.
type Placed []*Source

// order puts the files of an instance and format in time order: it
// groups them by overlapping clocks, and stores again, with ids from
// w.nextID on, every group from the first one out of place (not merged
// as one, or after a group it should come before). It returns the groups
// it stored again. Without index functions (see Options.Index), or for
// files without times, nothing is done.
func (s *Store) order(ctx context.Context, tx *sqlTx, w *writer, instance, format string) ([]Placed, error) {
	if s.index == nil {
		return nil, nil
	}
	srcs, err := s.sources(ctx, tx)
	if err != nil {
		return nil, err
	}
	type timed struct {
		src         *Source
		first, last int64
	}
	var files []timed
	for _, o := range srcs {
		if o.Instance != instance || o.Format != format || o.FirstEvent > o.LastEvent {
			continue
		}
		t := timed{src: o}
		if err := tx.QueryRowContext(ctx, sqlEventTime, byID(o.FirstEvent)...).Scan(&t.first); err != nil {
			return nil, err
		}
		if err := tx.QueryRowContext(ctx, sqlEventTime, byID(o.LastEvent)...).Scan(&t.last); err != nil {
			return nil, err
		}
		if t.first == 0 || t.last == 0 {
			return nil, nil // no times: no order to keep
		}
		files = append(files, t)
	}
	// The groups by time: files whose clocks overlap, ingest order
	// breaking ties.
	slices.SortStableFunc(files, func(a, b timed) int {
		return cmp.Or(cmp.Compare(a.first, b.first), cmp.Compare(a.src.ID, b.src.ID))
	})
	var want []Placed
	var end int64
	for _, t := range files {
		if len(want) > 0 && t.first < end {
			want[len(want)-1] = append(want[len(want)-1], t.src)
		} else {
			want = append(want, Placed{t.src})
		}
		end = max(end, t.last)
	}
	// The groups in the trace now: by shared runs of ids.
	var all []*Source
	for _, t := range files {
		all = append(all, t.src)
	}
	have := groupsOf(all)
	from := len(want)
	var prevEnd int64
	for i, g := range want {
		// In place: stored as one group of exactly its files (one run of
		// ids), after the group before it.
		inPlace := slices.ContainsFunc(have, func(h []*Source) bool { return len(h) == len(g) && containsAll(h, g) })
		run := runsOf(g)
		if !inPlace || run[0][0] < prevEnd {
			from = i
			break
		}
		prevEnd = run[0][1]
	}
	var placed []Placed
	for _, g := range want[from:] {
		if err := s.resequence(ctx, tx, w, g, nil); errors.Is(err, errNotMovable) {
			return placed, nil // answers over them say their order is in doubt
		} else if err != nil {
			return nil, fmt.Errorf("order %s: %w", g[0].Path, err)
		}
		placed = append(placed, g)
	}
	return placed, nil
}

// Order puts the files of an instance and format in time order, in one
// transaction (see order): after loads that deferred it
// (Finish.DeferOrder).
func (s *Store) Order(ctx context.Context, instance, format string) ([]Placed, error) {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	w := newWriter(ctx, tx)
	defer w.post.stop()
	if err := tx.QueryRowContext(ctx, sqlNextEventID).Scan(&w.nextID); err != nil {
		return nil, err
	}
	placed, err := s.order(ctx, tx, w, instance, format)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	s.sourcesChanged()
	return placed, nil
}

// containsAll tells whether h holds every source of g.
func containsAll(h, g []*Source) bool {
	for _, o := range g {
		if !slices.ContainsFunc(h, func(x *Source) bool { return x.ID == o.ID }) {
			return false
		}
	}
	return true
}

// groupsOf splits the sources that have events into the groups merged
// by time (their runs of ids overlap), in trace order, each in ingest
// order.
func groupsOf(srcs []*Source) [][]*Source {
	srcs = slices.DeleteFunc(slices.Clone(srcs), func(o *Source) bool { return o.FirstEvent > o.LastEvent })
	slices.SortFunc(srcs, func(a, b *Source) int { return cmp.Compare(a.FirstEvent, b.FirstEvent) })
	var out [][]*Source
	var end int64
	for _, o := range srcs {
		if len(out) > 0 && o.FirstEvent <= end {
			out[len(out)-1] = append(out[len(out)-1], o)
		} else {
			out = append(out, []*Source{o})
		}
		end = max(end, o.LastEvent)
	}
	for _, g := range out {
		slices.SortFunc(g, func(a, b *Source) int { return cmp.Compare(a.ID, b.ID) })
	}
	return out
}

// A member is a file being stored again: its events, read a page at a
// time in id order, parsed in that order as ingest parsed them.
type member struct {
	src   *Source
	f     *formats.Format
	p     formats.Parser
	refs  map[string]func(*formats.Event) []formats.Ref
	pairs *pairing
	page  []movedEvent
	after int64 // the last old id read
	done  bool
	first int64 // its new ids
	last  int64
	rank  int // its place in ingest order among the members
}

// A memberHeap orders members by the time of their next event, then by
// ingest order.
type memberHeap []*member

func (h memberHeap) Len() int { return len(h) }
func (h memberHeap) Less(i, j int) bool {
	a, b := h[i].page[0].ev.Time, h[j].page[0].ev.Time
	return a < b || (a == b && h[i].rank < h[j].rank)
}
func (h memberHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *memberHeap) Push(x any)   { *h = append(*h, x.(*member)) }
func (h *memberHeap) Pop() any {
	old := *h
	m := old[len(old)-1]
	*h = old[:len(old)-1]
	return m
}

// A movedEvent is an event of a file being stored again.
type movedEvent struct {
	line, offset int64
	ev           formats.Event
	refs         []formats.Ref
}

// resequence stores the events of keep again with ids from w.nextID on,
// interleaved by time (each file's own order kept, ingest order breaking
// ties), indexed as ingest indexes them; and removes the old rows of keep
// and of drop, which must together be whole merged groups.
func (s *Store) resequence(ctx context.Context, tx *sqlTx, w *writer, keep, drop []*Source) error {
	ms := make([]*member, 0, len(keep))
	for _, src := range keep {
		m := &member{src: src, after: src.FirstEvent - 1, pairs: newPairing()}
		var config []byte
		if err := tx.QueryRowContext(ctx, "SELECT config FROM sources WHERE id = ?", src.ID).Scan(&config); err != nil {
			return err
		}
		var err error
		if m.f, err = formats.Lookup(src.Format, s.formats); err != nil {
			return err
		}
		if m.p, err = m.f.Parser(config, src.Path); err != nil {
			return err
		}
		if _, multi := m.p.(formats.MultiParser); multi {
			return errNotMovable
		}
		if s.index != nil {
			m.refs = s.index()
		}
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b *member) int { return cmp.Compare(a.src.ID, b.src.ID) })
	source, pairs := w.source, w.pairs
	defer func() { w.source, w.pairs = source, pairs }()
	// The members with events left, the one whose next event is earliest
	// (ingest order breaking ties) first.
	h := &memberHeap{}
	for i, m := range ms {
		m.rank = i
		if err := m.fill(ctx, tx); err != nil {
			return err
		}
		if len(m.page) > 0 {
			heap.Push(h, m)
		}
	}
	for h.Len() > 0 {
		next := (*h)[0]
		e := &next.page[0]
		id := w.nextID
		w.source, w.pairs = next.src.ID, next.pairs
		if err := w.event(e.line, e.offset, &e.ev, e.refs); err != nil {
			return err
		}
		if next.first == 0 {
			next.first = id
		}
		next.last = id
		next.page = next.page[1:]
		if err := next.fill(ctx, tx); err != nil {
			return err
		}
		if len(next.page) == 0 {
			heap.Pop(h)
		} else {
			heap.Fix(h, 0)
		}
	}
	if err := w.flush(); err != nil {
		return err
	}
	for _, run := range runsOf(append(slices.Clone(keep), drop...)) {
		for _, q := range []string{sqlRemovePostings, sqlRemoveWideRefs} {
			if _, err := tx.ExecContext(ctx, q, run[0], run[1]); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, sqlRemoveEvents, idRange(run[0], run[1])...); err != nil {
			return err
		}
	}
	for _, m := range ms {
		if m.first == 0 {
			m.first, m.last = 0, -1
		}
		if _, err := tx.ExecContext(ctx, sqlMoveSource, m.first, m.last, m.src.ID); err != nil {
			return err
		}
		m.src.FirstEvent, m.src.LastEvent = m.first, m.last
	}
	return nil
}

// runsOf returns the runs of ids the sources' events take, overlapping
// ones joined.
func runsOf(srcs []*Source) [][2]int64 {
	var out [][2]int64
	for _, g := range groupsOf(srcs) { // groups of files with events
		run := [2]int64{g[0].FirstEvent, g[0].LastEvent}
		for _, o := range g[1:] {
			run[0], run[1] = min(run[0], o.FirstEvent), max(run[1], o.LastEvent)
		}
		out = append(out, run)
	}
	return out
}

// fill reads the member's next page of events when it has none left.
func (m *member) fill(ctx context.Context, tx *sqlTx) error {
	if len(m.page) > 0 || m.done {
		return nil
	}
	rows, err := tx.QueryContext(ctx, sqlMovedEvents, append(idRange(m.after, m.src.LastEvent), m.src.ID)...)
	if err != nil {
		return fmt.Errorf("%s: %w", m.src.Path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var r movedEvent
		var raw []byte
		if err := rows.Scan(&m.after, &r.line, &r.offset, &r.ev.Time, &raw); err != nil {
			return err
		}
		t := r.ev.Time
		if res, err := m.p.Parse(raw, &r.ev); err != nil || res != formats.IsEvent {
			return fmt.Errorf("%s:%d: the stored line no longer parses as an event (%v)", m.src.Path, r.line, err)
		}
		r.ev.Raw, r.ev.Time = raw, t
		if r.ev.System == "" {
			r.ev.System = m.f.System
		}
		if a, ok := m.p.(formats.Annotator); ok {
			a.Annotate(&r.ev)
		}
		if fn := m.refs[r.ev.System]; fn != nil && !r.ev.ReplyRecord {
			r.refs = fn(&r.ev)
		}
		m.page = append(m.page, r)
	}
	m.done = len(m.page) == 0
	return rows.Err()
}
