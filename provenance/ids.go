package provenance

import (
	"fmt"
	"sort"
)

// IDs is an increasing list of event ids: slices, and blocks of a
// store's index (IDPack) unpacked only where they are read. A hot
// counter's answer holds its 500,000 INCRs so: it reads their count,
// first and last, and lists a thousand, and the rest stay packed (4 MB
// unpacked, which a process touching it for the first time pays in page
// faults). A list of one slice is that slice and nothing more, as small
// as a slice: a queue's history is hundreds of thousands of short runs.
// The zero IDs is empty.
type IDs struct {
	one  []int64   // the list, when it is one slice (many nil)
	many *segments // the list, when it is not
}

// segments is a list of stretches: ends[k] is how many ids segs[:k+1]
// hold.
type segments struct {
	segs []idSeg
	ends []int
}

// An IDPack holds increasing event ids packed as a store keeps them.
type IDPack interface {
	// Unpack appends the ids to dst.
	Unpack(dst []int64) []int64
}

// An IDSeeker is an IDPack that gives its i-th id without unpacking
// them all, cheaply when i is the one asked for before or just past it:
// a list that is walked in order (HeldIDs, EachRunID, Head) is then
// never made. A hot queue's answer holds 290,000 ids, of which a default
// answer lists a thousand.
type IDSeeker interface {
	IDPack
	// Seek returns the i-th id.
	Seek(i int) int64
}

// An idSeg is a stretch of a list: its ids, or a pack of them (whose
// unpacked ids, once read, it keeps in pack.ids).
type idSeg struct {
	n           int
	first, last int64
	ids         []int64
	pack        *pack
}

type pack struct {
	p   IDPack
	ids []int64
}

// IDsOf returns the list of ids, which must be increasing; it holds the
// slice itself.
func IDsOf(ids []int64) IDs {
	if len(ids) == 0 {
		return IDs{}
	}
	return IDs{one: ids}
}

// PackedIDs returns the list of n ids from first to last that p holds,
// unpacked when one of the others is read.
func PackedIDs(first, last int64, n int, p IDPack) IDs {
	if n <= 0 {
		return IDs{}
	}
	return IDs{many: &segments{segs: []idSeg{{n: n, first: first, last: last, pack: &pack{p: p}}}, ends: []int{n}}}
}

// Len returns how many ids the list holds.
func (l IDs) Len() int {
	if l.many == nil {
		return len(l.one)
	}
	return l.many.ends[len(l.many.ends)-1]
}

// First returns the list's first id; the list must not be empty.
func (l IDs) First() int64 {
	if l.many == nil {
		return l.one[0]
	}
	return l.many.segs[0].first
}

// Last returns the list's last id; the list must not be empty.
func (l IDs) Last() int64 {
	if l.many == nil {
		return l.one[len(l.one)-1]
	}
	return l.many.segs[len(l.many.segs)-1].last
}

// JoinIDs returns the list of the lists' ids, one after the other: each
// list's ids must be greater than those before it.
func JoinIDs(lists ...IDs) IDs {
	var out segments
	n := 0
	for _, m := range lists {
		if m.Len() == 0 {
			continue
		}
		if n > 0 && m.First() <= out.segs[len(out.segs)-1].last {
			panic(fmt.Sprintf("provenance: ids %d.. after ..%d", m.First(), out.segs[len(out.segs)-1].last))
		}
		if m.many == nil {
			out.segs = append(out.segs, idSeg{n: len(m.one), first: m.one[0], last: m.one[len(m.one)-1], ids: m.one})
			n += len(m.one)
			out.ends = append(out.ends, n)
			continue
		}
		out.segs = append(out.segs, m.many.segs...)
		for _, e := range m.many.ends {
			out.ends = append(out.ends, n+e)
		}
		n += m.Len()
	}
	switch {
	case n == 0:
		return IDs{}
	case len(out.segs) == 1 && out.segs[0].pack == nil:
		return IDs{one: out.segs[0].ids}
	}
	return IDs{many: &out}
}

// ids returns segment k's ids, unpacking them the first time.
func (s *segments) ids(k int) []int64 {
	g := &s.segs[k]
	if g.pack == nil {
		return g.ids
	}
	if g.pack.ids == nil {
		g.pack.ids = g.pack.p.Unpack(make([]int64, 0, g.n))
		if len(g.pack.ids) != g.n || g.pack.ids[0] != g.first || g.pack.ids[g.n-1] != g.last {
			panic(fmt.Sprintf("provenance: a pack of %d ids %d..%d unpacked %d", g.n, g.first, g.last, len(g.pack.ids)))
		}
	}
	return g.pack.ids
}

// seeker returns the segment's pack as an IDSeeker while it is not
// unpacked, or nil.
func (g *idSeg) seeker() IDSeeker {
	if g.pack == nil || g.pack.ids != nil {
		return nil
	}
	sk, _ := g.pack.p.(IDSeeker)
	return sk
}

// start returns the index of segment k's first id.
func (s *segments) start(k int) int {
	if k == 0 {
		return 0
	}
	return s.ends[k-1]
}

// At returns the i-th id.
func (l IDs) At(i int) int64 {
	if i < 0 || i >= l.Len() {
		panic(fmt.Sprintf("provenance: id %d of a list of %d", i, l.Len()))
	}
	if l.many == nil {
		return l.one[i]
	}
	s := l.many
	k := sort.SearchInts(s.ends, i+1)
	g, j := &s.segs[k], i-s.start(k)
	switch j {
	case 0:
		return g.first
	case g.n - 1:
		return g.last
	}
	if sk := g.seeker(); sk != nil {
		return sk.Seek(j)
	}
	return s.ids(k)[j]
}

// Head appends to dst the list's first n ids (all when n is more).
func (l IDs) Head(dst []int64, n int) []int64 {
	if l.many == nil {
		return append(dst, l.one[:min(max(n, 0), len(l.one))]...)
	}
	for k := range l.many.segs {
		if n <= 0 {
			break
		}
		if g := &l.many.segs[k]; g.seeker() != nil {
			m := min(n, g.n)
			for j := range m {
				dst = append(dst, g.pack.p.(IDSeeker).Seek(j))
			}
			n -= m
			continue
		}
		ids := l.many.ids(k)
		m := min(n, len(ids))
		dst, n = append(dst, ids[:m]...), n-m
	}
	return dst
}

// Slice returns every id, unpacked: the list's own slice when it is one.
func (l IDs) Slice() []int64 {
	switch {
	case l.many == nil:
		return l.one
	case len(l.many.segs) == 1:
		return l.many.ids(0)
	}
	return l.Head(make([]int64, 0, l.Len()), l.Len())
}

// Index returns the place of the first id at least id, and whether it
// is id.
func (l IDs) Index(id int64) (int, bool) {
	if l.many == nil {
		i := sort.Search(len(l.one), func(i int) bool { return l.one[i] >= id })
		return i, i < len(l.one) && l.one[i] == id
	}
	s := l.many
	k := sort.Search(len(s.segs), func(k int) bool { return s.segs[k].last >= id })
	if k == len(s.segs) {
		return l.Len(), false
	}
	at := s.start(k)
	if g := &s.segs[k]; id <= g.first {
		return at, id == g.first
	}
	ids := s.ids(k)
	i := sort.Search(len(ids), func(i int) bool { return ids[i] >= id })
	return at + i, ids[i] == id
}
