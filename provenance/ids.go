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
// faults). The zero IDs is empty.
type IDs struct {
	segs []idSeg
	ends []int // ends[k]: the ids in segs[:k+1]
}

// An IDPack holds increasing event ids packed as a store keeps them.
type IDPack interface {
	// Unpack appends the ids to dst.
	Unpack(dst []int64) []int64
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
	return IDs{segs: []idSeg{{n: len(ids), first: ids[0], last: ids[len(ids)-1], ids: ids}}, ends: []int{len(ids)}}
}

// PackedIDs returns the list of n ids from first to last that p holds,
// unpacked when one of the others is read.
func PackedIDs(first, last int64, n int, p IDPack) IDs {
	if n <= 0 {
		return IDs{}
	}
	return IDs{segs: []idSeg{{n: n, first: first, last: last, pack: &pack{p: p}}}, ends: []int{n}}
}

// Len returns how many ids the list holds.
func (l IDs) Len() int {
	if len(l.ends) == 0 {
		return 0
	}
	return l.ends[len(l.ends)-1]
}

// First returns the list's first id; the list must not be empty.
func (l IDs) First() int64 { return l.segs[0].first }

// Last returns the list's last id; the list must not be empty.
func (l IDs) Last() int64 { return l.segs[len(l.segs)-1].last }

// JoinIDs returns the list of the lists' ids, one after the other: each
// list's ids must be greater than those before it.
func JoinIDs(lists ...IDs) IDs {
	var out IDs
	for _, m := range lists {
		if m.Len() == 0 {
			continue
		}
		n := out.Len()
		if n > 0 && m.First() <= out.Last() {
			panic(fmt.Sprintf("provenance: ids %d.. after ..%d", m.First(), out.Last()))
		}
		out.segs = append(out.segs, m.segs...)
		for _, e := range m.ends {
			out.ends = append(out.ends, n+e)
		}
	}
	return out
}

// ids returns segment k's ids, unpacking them the first time.
func (l IDs) ids(k int) []int64 {
	s := &l.segs[k]
	if s.pack == nil {
		return s.ids
	}
	if s.pack.ids == nil {
		s.pack.ids = s.pack.p.Unpack(make([]int64, 0, s.n))
		if len(s.pack.ids) != s.n || s.pack.ids[0] != s.first || s.pack.ids[s.n-1] != s.last {
			panic(fmt.Sprintf("provenance: a pack of %d ids %d..%d unpacked %d", s.n, s.first, s.last, len(s.pack.ids)))
		}
	}
	return s.pack.ids
}

// seg returns the segment holding the i-th id, and its first id's index.
func (l IDs) seg(i int) (int, int) {
	k := sort.SearchInts(l.ends, i+1)
	if k == 0 {
		return 0, 0
	}
	return k, l.ends[k-1]
}

// At returns the i-th id.
func (l IDs) At(i int) int64 {
	if i < 0 || i >= l.Len() {
		panic(fmt.Sprintf("provenance: id %d of a list of %d", i, l.Len()))
	}
	k, at := l.seg(i)
	s := &l.segs[k]
	switch i - at {
	case 0:
		return s.first
	case s.n - 1:
		return s.last
	}
	return l.ids(k)[i-at]
}

// Head appends to dst the list's first n ids (all when n is more).
func (l IDs) Head(dst []int64, n int) []int64 {
	for k := range l.segs {
		if n <= 0 {
			break
		}
		ids := l.ids(k)
		m := min(n, len(ids))
		dst, n = append(dst, ids[:m]...), n-m
	}
	return dst
}

// Slice returns every id, unpacked: the list's own slice when it is one.
func (l IDs) Slice() []int64 {
	if len(l.segs) == 1 {
		return l.ids(0)
	}
	return l.Head(make([]int64, 0, l.Len()), l.Len())
}

// Index returns the place of the first id at least id, and whether it
// is id.
func (l IDs) Index(id int64) (int, bool) {
	k := sort.Search(len(l.segs), func(k int) bool { return l.segs[k].last >= id })
	if k == len(l.segs) {
		return l.Len(), false
	}
	at := 0
	if k > 0 {
		at = l.ends[k-1]
	}
	if s := &l.segs[k]; id <= s.first {
		return at, id == s.first
	}
	ids := l.ids(k)
	i := sort.Search(len(ids), func(i int) bool { return ids[i] >= id })
	return at + i, ids[i] == id
}
