package provenance

import (
	"errors"
	"math/rand"
	"slices"
	"testing"
)

// countingPack is an IDPack of a slice that counts its unpackings.
type countingPack struct {
	ids []int64
	n   *int
}

func (p countingPack) Unpack(dst []int64) []int64 {
	*p.n++
	return append(dst, p.ids...)
}

// seekingPack is a countingPack that is an IDSeeker too.
type seekingPack struct{ countingPack }

func (p seekingPack) Seek(i int) int64 { return p.ids[i] }

// TestIDs checks IDs made of random slices and packs, joined, against
// the plain list: its length, ends, every id, heads and searches; and
// that a pack is unpacked only when an id inside it is read, once, and
// a pack that seeks not even then (only to search it, or to slice it).
func TestIDs(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for trial := range 500 {
		var want []int64
		var lists []IDs
		unpacked := 0
		id := int64(0)
		for range r.Intn(6) {
			var seg []int64
			for range 1 + r.Intn(8) {
				id += 1 + int64(r.Intn(3))
				seg = append(seg, id)
			}
			want = append(want, seg...)
			switch r.Intn(3) {
			case 0:
				lists = append(lists, IDsOf(seg))
			case 1:
				lists = append(lists, PackedIDs(seg[0], seg[len(seg)-1], len(seg), countingPack{seg, &unpacked}))
			default:
				lists = append(lists, PackedIDs(seg[0], seg[len(seg)-1], len(seg), seekingPack{countingPack{seg, &unpacked}}))
			}
		}
		l := JoinIDs(lists...)
		if l.Len() != len(want) {
			t.Fatalf("trial %d: %d ids, want %d", trial, l.Len(), len(want))
		}
		if len(want) == 0 {
			continue
		}
		if l.First() != want[0] || l.Last() != want[len(want)-1] || unpacked != 0 {
			t.Fatalf("trial %d: ends %d %d, unpacked %d", trial, l.First(), l.Last(), unpacked)
		}
		for i, w := range want {
			if got := l.At(i); got != w {
				t.Fatalf("trial %d: id %d is %d, want %d", trial, i, got, w)
			}
		}
		packs, all := 0, 0 // packs that do not seek: with inner ids, and all
		for _, m := range lists {
			if m.many == nil || m.many.segs[0].pack == nil {
				continue
			}
			if _, seeks := m.many.segs[0].pack.p.(IDSeeker); !seeks {
				all++
				if m.Len() > 2 {
					packs++
				}
			}
		}
		if unpacked != packs {
			t.Fatalf("trial %d: %d unpackings of %d packs with inner ids that do not seek", trial, unpacked, packs)
		}
		for n := range len(want) + 2 {
			if got := l.Head(nil, n); !slices.Equal(got, want[:min(n, len(want))]) {
				t.Fatalf("trial %d: head %d %v, want %v", trial, n, got, want[:min(n, len(want))])
			}
		}
		if unpacked != all {
			t.Fatalf("trial %d: heads made %d unpackings of %d packs that do not seek", trial, unpacked, all)
		}
		if !slices.Equal(l.Slice(), want) {
			t.Fatalf("trial %d: slice %v, want %v", trial, l.Slice(), want)
		}
		for q := int64(0); q <= id+1; q++ {
			i, ok := l.Index(q)
			wi, wok := slices.BinarySearch(want, q)
			if i != wi || ok != wok {
				t.Fatalf("trial %d: index of %d: %d %v, want %d %v", trial, q, i, ok, wi, wok)
			}
		}
	}
}

// TestIDsJoinOutOfOrder checks that joining lists whose ids do not
// increase is refused, not a list that searches wrongly.
func TestIDsJoinOutOfOrder(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("ids 5.. joined after ..7")
		}
	}()
	JoinIDs(IDsOf([]int64{1, 7}), IDsOf([]int64{5, 9}))
}

// TestHeldMerge: HeldIDs and EachRunID give the ids of several runs (of
// slices and packs) merged in increasing order: HeldIDs the first n,
// EachRunID every one, in chunks of at most its n.
func TestHeldMerge(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for trial := range 300 {
		var runs []Run
		var want []int64
		taken := map[int64]bool{}
		unpacked := 0
		for range r.Intn(4) {
			var ids []int64
			for id := int64(r.Intn(5)); id < 200; id += 1 + int64(r.Intn(12)) {
				if !taken[id] {
					taken[id] = true
					ids = append(ids, id)
				}
			}
			if len(ids) == 0 {
				continue
			}
			want = append(want, ids...)
			l := IDsOf(ids)
			if r.Intn(2) == 0 {
				l = PackedIDs(ids[0], ids[len(ids)-1], len(ids), countingPack{ids, &unpacked})
			}
			runs = append(runs, Run{IDs: l})
		}
		slices.Sort(want)
		x := &Explanation{Held: runs}
		for _, n := range []int{-1, 0, 1, 7, len(want), len(want) + 3} {
			w := want
			if n >= 0 && n < len(want) {
				w = want[:n]
			}
			if got := x.HeldIDs(n); !slices.Equal(got, w) {
				t.Fatalf("trial %d: HeldIDs(%d) %v, want %v", trial, n, got, w)
			}
		}
		for _, chunk := range []int{1, 3, 64, 1000} {
			var got []int64
			err := EachRunID(runs, chunk, func(ids []int64) error {
				if len(ids) == 0 || len(ids) > chunk {
					t.Fatalf("trial %d: a chunk of %d ids, at most %d", trial, len(ids), chunk)
				}
				got = append(got, ids...)
				return nil
			})
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("trial %d: EachRunID(%d) %v %v, want %v", trial, chunk, got, err, want)
			}
		}
	}
	// An error from fn stops the walk and is returned.
	stop := errors.New("stop")
	calls := 0
	err := EachRunID([]Run{{IDs: IDsOf([]int64{1, 2, 3})}}, 1, func([]int64) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Errorf("EachRunID with an error: %v after %d calls", err, calls)
	}
}
