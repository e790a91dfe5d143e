package provenance

import (
	"context"
	"slices"
	"sort"

	"github.com/wat-project/wat/formats"
)

// A ShapeRun is a stretch of a key's writes with one shape (formats.Ref's
// Shape): the same request over and over, when Shape is not 0.
type ShapeRun struct {
	Shape uint64 // 0: the writes' shapes are not known; each may differ
	IDs   IDs
}

// A RunHistory can also read a key's history as runs of like writes
// from its index alone, without reading each write: what makes a hot
// key's answer cost its runs, not its requests.
type RunHistory interface {
	History
	// Runs returns the writes Touching would return for key before an
	// id (the key's, its namespace's and every namespace's), oldest first,
	// as runs of one shape, and true; false when the index does not hold
	// every write's shape (a store made by an older wat, or writes that
	// vary too much).
	Runs(ctx context.Context, system, ns string, key []byte, before int64) ([]ShapeRun, bool, error)
	// ByID returns the events with the given ids, in that order.
	ByID(ctx context.Context, ids []int64) ([]*formats.Event, error)
}

// A Run is events every witness holds, kept compactly: the request Like
// (its op and arguments, as its first event sent it) at each of IDs,
// increasing. A spec answers with runs when the events are too many to
// read (a hot counter's 500,000 INCRs); Stub gives one as a
// formats.Event, and a store's Fill reads it whole.
//
// When Alike is not "", the events are not one request but requests that
// are alike in what the answer reads (pushes of one element each, with
// other values), as Alike says: Like is the first of them, and a stub of
// another has only its op and key.
type Run struct {
	Like  *formats.Event
	IDs   IDs
	Alike string
}

// Stub returns the run's event with the i-th id, as a stub
// (formats.Event.Stub): its system, namespace, op and arguments (only
// the key of a run of alike requests).
func (r Run) Stub(i int) *formats.Event {
	id := r.IDs.At(i)
	if id == r.Like.ID && !r.Like.Stub {
		return r.Like
	}
	s := r.Like.StubAt(id, r.Alike != "")
	return &s
}

// Holds tells whether the run holds the event with an id.
func (r Run) Holds(id int64) bool {
	_, ok := r.IDs.Index(id)
	return ok
}

// HeldIDs returns the first n ids of x's held runs (all when n < 0), in
// order, merging the runs without sorting them all.
func (x *Explanation) HeldIDs(n int) []int64 {
	total := x.HeldCount()
	if n < 0 || n > total {
		n = total
	}
	out := make([]int64, 0, n)
	if len(x.Held) == 1 {
		return x.Held[0].IDs.Head(out, n)
	}
	return newHeldMerge(x.Held).next(out, n)
}

// EachRunID calls fn with the ids of runs in increasing order, at most n
// at a time (in a slice it reuses), until they run out or fn returns an
// error, which it returns: an answer that lists a hot counter's 500,000
// INCRs reads and prints them a chunk at a time.
func EachRunID(runs []Run, n int, fn func(ids []int64) error) error {
	m, buf := newHeldMerge(runs), make([]int64, 0, max(n, 1))
	for {
		buf = m.next(buf[:0], cap(buf))
		if len(buf) == 0 {
			return nil
		}
		if err := fn(buf); err != nil {
			return err
		}
	}
}

// A heldMerge walks the ids of runs in increasing order: at[k] is the
// place of run k's next id.
type heldMerge struct {
	runs []Run
	at   []int
}

func newHeldMerge(runs []Run) *heldMerge {
	return &heldMerge{runs: runs, at: make([]int, len(runs))}
}

// next appends to dst the next n ids, fewer where the runs end.
func (m *heldMerge) next(dst []int64, n int) []int64 {
	for ; n > 0; n-- {
		best, id := -1, int64(0)
		for k, r := range m.runs {
			if m.at[k] < r.IDs.Len() {
				if v := r.IDs.At(m.at[k]); best < 0 || v < id {
					best, id = k, v
				}
			}
		}
		if best < 0 {
			break
		}
		dst = append(dst, id)
		m.at[best]++
	}
	return dst
}

// HeldCount returns how many events x's held runs hold.
func (x *Explanation) HeldCount() int {
	n := 0
	for _, r := range x.Held {
		n += r.IDs.Len()
	}
	return n
}

// HeldStubs returns the events of x's runs as stubs, in id order: as
// many as the runs hold, so only for an answer small enough to list.
func (x *Explanation) HeldStubs() []*formats.Event {
	out := make([]*formats.Event, 0, x.HeldCount())
	for _, r := range x.Held {
		for i := range r.IDs.Len() {
			out = append(out, r.Stub(i))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// A ShapeList is a key's writes as one list, oldest first: the write
// with id IDs[i] has shape Shapes[Of[i]]. It is what a key's runs hold,
// made for a key whose writes of a few shapes interleave (a queue's
// pushes and pops, runs of two), where a run apiece would cost far more
// than its ids.
type ShapeList struct {
	IDs    []int64
	Of     []uint8
	Shapes []uint64
}

// A ShapeHistory can also read a key's history as a ShapeList.
type ShapeHistory interface {
	RunHistory
	// Shapes returns the writes Runs would, as a ShapeList, and true;
	// false when Runs would, or the writes have more than 256 shapes.
	Shapes(ctx context.Context, system, ns string, key []byte, before int64) (ShapeList, bool, error)
	// ShapeSet returns, without reading ids, the shapes of the key's
	// writes before an id and perhaps of some after it (those its index
	// keeps beside them): a cheap guess of which rule of runs a key's
	// history suits. A write with no shape is not in it.
	ShapeSet(ctx context.Context, system, ns string, key []byte, before int64) ([]uint64, error)
}

// AddShape records n more writes of a shape, whose ids the caller
// appends to IDs, and returns false when that makes more than 256
// shapes (and records nothing).
func (l *ShapeList) AddShape(shape uint64, n int) bool {
	k := slices.Index(l.Shapes, shape)
	if k < 0 {
		if len(l.Shapes) == 256 {
			return false
		}
		k = len(l.Shapes)
		l.Shapes = append(l.Shapes, shape)
	}
	for range n {
		l.Of = append(l.Of, uint8(k))
	}
	return true
}

// listOf makes the ShapeList of runs, false when they have more than
// 256 shapes.
func listOf(runs []ShapeRun) (ShapeList, bool) {
	n := 0
	for _, r := range runs {
		n += r.IDs.Len()
	}
	l := ShapeList{IDs: make([]int64, 0, n), Of: make([]uint8, 0, n)}
	for _, r := range runs {
		if !l.AddShape(r.Shape, r.IDs.Len()) {
			return ShapeList{}, false
		}
		l.IDs = r.IDs.Head(l.IDs, r.IDs.Len())
	}
	return l, true
}
