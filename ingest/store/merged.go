package store

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// The files of one instance are put in order by their clocks: those
// whose clocks overlap (strace -ff's file per thread) are merged by time,
// their events interleaved by the times logged, and the others placed
// one after another (reorder.go). A time orders two calls of two threads
// only loosely: a call logged at t began after t (strace stamps a call when
// it stops the thread on its way in) and ended before its thread's next
// call began, but when it ended is not logged (-T's durations are
// strace's view, not the kernel's). MergeDoubt says when that leaves the
// order of an answer's calls open.

var _ provenance.MergedHistory = (*Store)(nil)

// maxLaterScan bounds the calls after a target MergeDoubt reads to find
// those that may have run before it; past it, the order is doubted.
const maxLaterScan = 4096

// MergeDoubt implements provenance.MergedHistory. Of two events of two
// files of one instance and format (merged by time or placed one after
// the other), x before y in the trace, x surely ran first when
// x's thread logs a call after x begun before y's time (x had ended when
// that call began, and y began after its time). Every two events of hist
// and target whose order matters (il.Refs gives them a key in common
// that one of them writes, they do not commute, and y's thread is not
// one x made) are checked so, and so are target and the calls
// logged after it, up to one that surely began after it ended, that
// share a key with target or hist that one of them writes. A file's
// thread is its events' Client (a process id). It is for logs whose
// times are when a call began (strace's), not a server's clock of when
// it ran a request (formats.Format's ServerClock): of those, only two
// requests at the same microsecond are out of order, which Gaps notes.
func (s *Store) MergeDoubt(ctx context.Context, target *formats.Event, hist []*formats.Event, il provenance.Interleaving) (string, error) {
	own, srcs, err := s.sourceOf(ctx, target.ID)
	if err != nil {
		return "", err
	}
	// The files of the target's instance and format, merged with its
	// file or not: one that does not overlap it in time was put before
	// or after it whole, by the same clocks, and its last call may still
	// have been running when the next file's first began.
	var group []*Source
	for _, o := range srcs {
		if o.Instance == own.Instance && o.Format == own.Format && o.FirstEvent <= o.LastEvent {
			group = append(group, o)
		}
	}
	if len(group) < 2 || target.Time == 0 {
		return "", nil
	}
	lo, hi := group[0].FirstEvent, group[0].LastEvent
	for _, o := range group {
		lo, hi = min(lo, o.FirstEvent), max(hi, o.LastEvent)
	}
	evs := []*formats.Event{target}
	for _, e := range hist {
		if e.ID >= lo && e.ID <= hi && e.ID != target.ID {
			evs = append(evs, e)
		}
	}
	slices.SortFunc(evs, func(a, b *formats.Event) int { return cmp.Compare(a.ID, b.ID) })
	evs = slices.CompactFunc(evs, func(a, b *formats.Event) bool { return a.ID == b.ID })
	src, err := s.sourcesOf(ctx, evs)
	if err != nil {
		return "", err
	}
	keys := make([]map[string]bool, len(evs)) // key -> written, by evs' index
	for i, e := range evs {
		keys[i] = keysOf(e, il.Refs)
	}
	last := map[int64]int64{} // a file's last event
	for _, o := range group {
		last[o.ID] = o.LastEvent
	}
	for i, x := range evs {
		// next bounds when x's thread began its next call: from the
		// events of evs, then, when that leaves a y in doubt, from the
		// store.
		next, asked := int64(math.MaxInt64), false
		others := 0
		for j := i + 1; j < len(evs); j++ {
			y := evs[j]
			// A call of x's file, or of x's thread in a file after x's (a
			// capture cut in pieces goes on there, and a process that
			// reused its id began after it had ended).
			if src[y.ID] == src[x.ID] || y.Client == x.Client && y.ID > last[src[x.ID]] {
				if y.Client == x.Client {
					next = min(next, y.Time)
				}
				continue
			}
			if il.Made != nil && il.Made(x, y) {
				continue
			}
			if next < y.Time {
				break // x ended before y, and every later one, began
			}
			others++
			clash := conflict(keys[i], keys[j]) && (il.Commute == nil || !il.Commute(x, y))
			if !clash && (asked || others < 64) {
				continue
			}
			if !asked {
				asked = true
				t, err := s.nextCall(ctx, group, src[x.ID], x, hi)
				if err != nil {
					return "", err
				}
				if next = min(next, t); next < y.Time {
					break
				}
			}
			if !clash {
				continue
			}
			return fmt.Sprintf("%s (%s) and %s (%s), calls of two files put in order by their clocks, may have run in the other order or at once: "+
				"a call begins after the time logged for it and ends before its thread's next call, and %s's thread logs none between them",
				x.Where(), showNS(x.Time), y.Where(), showNS(y.Time), x.Where()), nil
		}
	}
	touched := map[string]bool{} // the keys of target and hist, with whether one writes it
	for _, k := range keys {
		for key, w := range k {
			touched[key] = touched[key] || w
		}
	}
	return s.laterDoubt(ctx, target, src[target.ID], group, hi, touched, il)
}

// keysOf returns the keys refs gives e, each with whether e writes it.
func keysOf(e *formats.Event, refs func(*formats.Event) []formats.Ref) map[string]bool {
	out := map[string]bool{}
	for _, r := range refs(e) {
		k := r.NS + "\x00" + string(r.Key)
		out[k] = out[k] || r.Kind != formats.KindRead
	}
	return out
}

// conflict tells whether two events' keys (keysOf) share one that one
// of them writes: run in the other order, they may act or answer
// otherwise.
func conflict(a, b map[string]bool) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	for k, wa := range a {
		if wb, ok := b[k]; ok && (wa || wb) {
			return true
		}
	}
	return false
}

// nextCall returns the time of the first call of x's thread logged after
// x, up to id hi: among the next 16 events of its file (source), else
// among the first 16 of the first of the files of group placed after it
// whole that has one, of the next 64 such files (a capture cut in pieces
// goes on there; and a process that reused the thread's id began after
// the thread had ended); math.MaxInt64 when there is none.
func (s *Store) nextCall(ctx context.Context, group []*Source, source int64, x *formats.Event, hi int64) (int64, error) {
	t, err := s.nextCallIn(ctx, source, x.ID, x, hi)
	if err != nil || t != math.MaxInt64 {
		return t, err
	}
	i := slices.IndexFunc(group, func(o *Source) bool { return o.ID == source })
	if i < 0 {
		return t, nil
	}
	var later []*Source
	for _, o := range group {
		if o.FirstEvent > group[i].LastEvent {
			later = append(later, o)
		}
	}
	slices.SortFunc(later, func(a, b *Source) int { return cmp.Compare(a.FirstEvent, b.FirstEvent) })
	for _, o := range later[:min(len(later), 64)] {
		if t, err := s.nextCallIn(ctx, o.ID, o.FirstEvent-1, x, hi); err != nil || t != math.MaxInt64 {
			return t, err
		}
	}
	return math.MaxInt64, nil
}

// nextCallIn returns the time of the first call of x's thread among the
// first 16 events of a file (source) after id after, up to id hi;
// math.MaxInt64 when there is none.
func (s *Store) nextCallIn(ctx context.Context, source, after int64, x *formats.Event, hi int64) (int64, error) {
	evs, err := s.queryEvents(ctx, sqlCallsAfter, bucketOf(after+1), bucketOf(hi), after, hi, source)
	if err != nil {
		return 0, fmt.Errorf("calls after %s: %w", x.Where(), err)
	}
	for _, e := range evs {
		if e.Client == x.Client {
			return e.Time, nil
		}
	}
	return math.MaxInt64, nil
}

// laterDoubt finds the calls of other files of group (whose ids end at
// hi) logged after target that may have run before it ended (those
// logged before its thread's next call) and share a key with target or
// its history (touched) that one of them writes, but for those of a
// thread target made.
func (s *Store) laterDoubt(ctx context.Context, target *formats.Event, own int64, group []*Source, hi int64, touched map[string]bool, il provenance.Interleaving) (string, error) {
	inGroup := map[int64]bool{}
	var ownLast int64
	for _, o := range group {
		if o.ID != own {
			inGroup[o.ID] = true
		} else {
			ownLast = o.LastEvent
		}
	}
	// thread tells whether e is a call of target's thread: in its file,
	// or in one placed after it whole (see nextCall).
	thread := func(e *formats.Event, src int64) bool {
		return e.Client == target.Client && (src == own || inGroup[src] && e.ID > ownLast)
	}
	end := int64(-1) // the time target surely ended by; -1 until known
	after := target.ID
	for read := 0; read < maxLaterScan; {
		evs, err := s.eventsAfter(ctx, 0, after, 256)
		if err != nil {
			return "", fmt.Errorf("calls after %s: %w", target.Where(), err)
		}
		if len(evs) == 0 {
			return "", nil
		}
		read += len(evs)
		src, err := s.sourcesOf(ctx, evs)
		if err != nil {
			return "", err
		}
		for _, e := range evs {
			switch {
			case e.ID > hi || end >= 0 && e.Time > end:
				return "", nil
			case thread(e, src[e.ID]):
				if end < 0 {
					end = e.Time // what is logged at its time may have begun first
				}
			case inGroup[src[e.ID]] && !(il.Made != nil && il.Made(target, e)) && conflict(keysOf(e, il.Refs), touched):
				return fmt.Sprintf("%s (%s), a call of another file put in order with this one by their clocks, is logged after it but before "+
					"its thread's next call, so it may have run first: a call begins after the time logged for it and ends before its "+
					"thread's next call", e.Where(), showNS(e.Time)), nil
			}
		}
		after = evs[len(evs)-1].ID
	}
	return fmt.Sprintf("more than %d calls are logged after %s before one that surely began after it ended, and the files are put in order by their "+
		"clocks: those that may have run before it were not all checked", maxLaterScan, target.Where()), nil
}

// sourcesOf returns the source of each event of evs (in id order), by
// id.
func (s *Store) sourcesOf(ctx context.Context, evs []*formats.Event) (map[int64]int64, error) {
	ids := make([]int64, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
	}
	out := make(map[int64]int64, len(ids))
	err := s.inChunks(ids, sqlSourcesIn, sqlSourcesAnyIn, func(q string, args []any) error {
		rows, err := s.db.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, src int64
			if err := rows.Scan(&id, &src); err != nil {
				return err
			}
			out[id] = src
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("sources of events: %w", err)
	}
	for _, id := range ids {
		if _, ok := out[id]; !ok {
			return nil, fmt.Errorf("event %d: %w", id, ErrNotFound)
		}
	}
	return out, nil
}
