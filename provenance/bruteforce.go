package provenance

import (
	"fmt"
	"hash/maphash"
	"math/bits"
	"sort"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance/hugepages"
)

// Replay runs trace, oldest first, on m's start state and returns the
// output of target after it.
func Replay(m Model, trace []*formats.Event, target *formats.Event) Output {
	s := m.Init()
	for _, e := range trace {
		m.Apply(s, e)
	}
	return m.Apply(s, target)
}

// MaxBruteForce is the longest trace BruteForce accepts.
const MaxBruteForce = 22

// BruteForce computes Wat(m, trace, target) by the definition, literally:
// it replays every subtrace, keeps the witnesses, keeps those closed under
// supertrace, and returns the minimal ones, as sorted lists of positions
// in trace, together with the output. Its cost is about 2^len(trace)
// replays; it is the referee for specs, not an engine.
func BruteForce(m Model, trace []*formats.Event, target *formats.Event) ([][]int, Output, error) {
	if len(trace) > MaxBruteForce {
		return nil, "", fmt.Errorf("brute force over %d events (at most %d): %w", len(trace), MaxBruteForce, ErrTooLarge)
	}
	o := Replay(m, trace, target)
	pred := func(st State) bool { return m.Apply(m.Clone(st), target) == o }
	closed := closedMasks(m, m.Init(), trace, pred)
	var ws [][]int
	for _, mask := range minimalMasks(closed) {
		ws = append(ws, maskPositions(mask))
	}
	SortWitnesses(ws)
	return ws, o, nil
}

// SortWitnesses sorts a list of position lists into a canonical order.
func SortWitnesses(ws [][]int) {
	for _, w := range ws {
		sort.Ints(w)
	}
	sort.Slice(ws, func(i, j int) bool {
		a, b := ws[i], ws[j]
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] < b[k]
			}
		}
		return len(a) < len(b)
	})
}

// WitnessPositions puts witnesses (an explanation's or Solve's) in
// BruteForce's form, to compare with it: each event by its position in
// trace (found by ID; -1 when not there), the lists in SortWitnesses's
// order.
func WitnessPositions(ws [][]*formats.Event, trace []*formats.Event) [][]int {
	pos := make(map[int64]int, len(trace))
	for i, e := range trace {
		pos[e.ID] = i
	}
	out := [][]int{}
	for _, w := range ws {
		p := []int{}
		for _, e := range w {
			i, ok := pos[e.ID]
			if !ok {
				i = -1
			}
			p = append(p, i)
		}
		out = append(out, p)
	}
	SortWitnesses(out)
	return out
}

// closedMasks replays every subset of evs (a bit per event, in order) from
// start and returns, for each subset, whether it and all its supersets end
// in a state satisfying pred.
func closedMasks(m Model, start State, evs []*formats.Event, pred func(State) bool) []bool {
	// The referee runs Apply, the definition, never a model's Step.
	return closedMasksFixed(m, func(s State, e *formats.Event) { m.Apply(s, e) }, start, evs, nil, pred, nil, false)
}

// closeUp turns "is a witness" into "is closed": a subset is closed when
// it is a witness and so is every subset with one more event; visiting
// supersets first makes that one pass.
func closeUp(ok []bool, n int) {
	for mask := len(ok) - 1; mask >= 0; mask-- {
		if !ok[mask] {
			continue
		}
		for j := 0; j < n; j++ {
			if mask&(1<<j) == 0 && !ok[mask|1<<j] {
				ok[mask] = false
				break
			}
		}
	}
}

// closedMasksFixed is closedMasks over the events not marked fixed (a bit
// per such event, in order); fixed events are applied in every subset.
// It runs the events with step (stepOf, or Apply for the referee), and
// hands pred each subset's state as its last use, so pred may change it.
// With fixed nil it is closedMasks. It asks stop (when not nil) every
// 1024 subsets whether to give up, and then returns nil. With merge, and
// m a Merger, it takes two subsets whose states have one fingerprint at
// the same place to have the same subsets from there on, and walks them
// once.
func closedMasksFixed(m Model, step func(State, *formats.Event), start State, evs []*formats.Event, fixed []bool, pred func(State) bool, stop func() bool, merge bool) []bool {
	if fixed == nil {
		fixed = make([]bool, len(evs))
	}
	n := 0
	for _, f := range fixed {
		if !f {
			n++
		}
	}
	if n >= hugeSearchBits {
		hugepages.Heap()
	}
	ok := make([]bool, 1<<n)
	// seen[bit] maps the digest of the fingerprint of a state reached
	// before the event of that bit to the first prefix (a mask of the
	// bits below) that reached it, whose subsets are walked by the time
	// another prefix reaches it: the walk is depth first.
	var seen []map[digest]int
	merger, _ := m.(Merger)
	if merge && merger != nil {
		seen = make([]map[digest]int, n)
	}
	var buf []byte
	kept := 0
	leaves, stopped := 0, false
	var walk func(i, bit int, st State, mask int)
	walk = func(i, bit int, st State, mask int) {
		if stopped {
			return
		}
		for i < len(evs) && fixed[i] {
			step(st, evs[i])
			i++
		}
		if i == len(evs) {
			ok[mask] = pred(st)
			if leaves++; stop != nil && leaves%1024 == 0 && stop() {
				stopped = true
			}
			return
		}
		if seen != nil && n-bit >= minMergeBits {
			buf = merger.AppendFingerprint(buf[:0], st)
			fp := digestOf(buf)
			if first, met := seen[bit][fp]; met {
				for rest := 0; rest < 1<<(n-bit); rest++ {
					ok[mask|rest<<bit] = ok[first|rest<<bit]
				}
				return
			}
			if kept < maxSeen {
				if seen[bit] == nil {
					seen[bit] = map[digest]int{}
				}
				seen[bit][fp] = mask
				kept++
			}
		}
		with := m.Clone(st)
		step(with, evs[i])
		walk(i+1, bit+1, with, mask|1<<bit)
		walk(i+1, bit+1, st, mask)
	}
	walk(0, 0, m.Clone(start), 0)
	if stopped {
		return nil
	}
	closeUp(ok, n)
	return ok
}

// A digest is a state's fingerprint hashed twice, with two seeds, into
// 128 bits: two states merged by mistake would make a wrong answer, and
// among the maxSeen states a search keeps, two digests are alike with
// odds of about 2^-89. It was SHA-256, whose hashing of the files'
// contents took a quarter of a long search (a read of GNU sort's temporary
// file, 95 ms); maphash reads the bytes several times faster.
type digest [2]uint64

// digestSeeds are digestOf's seeds, one set a process.
var digestSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

// digestOf returns the digest of a fingerprint.
func digestOf(b []byte) digest {
	return digest{maphash.Bytes(digestSeeds[0], b), maphash.Bytes(digestSeeds[1], b)}
}

// hugeSearchBits is the fewest events to choose from at which a search
// has its heap in huge pages (hugepages.Heap): it clones a state for
// every subset it tries, and 2^12 clones of a file system with its
// files' bytes grew the heap by 20 MB, page by page (5,000 faults: a
// read in a git repository 113 -> 80 ms, whole process). Below, the
// collection that prepares them costs more than the faults it saves
// (a search of 2^10 subsets, 27 -> 32 ms).
const hugeSearchBits = 12

// minMergeBits is the fewest events left to choose from at which a merging
// search compares states: below it, a Fingerprint costs more than the
// subsets it may save.
const minMergeBits = 2

// maxSeen bounds the states a merging search keeps: past it, it still
// finds the states it has kept, and keeps no more.
const maxSeen = 1 << 20

// minimalMasks returns the closed subsets none of whose proper subsets is
// closed. Closed subsets form an up-set, so checking the subsets with one
// event fewer is enough.
func minimalMasks(closed []bool) []int {
	var out []int
	for mask, c := range closed {
		if !c {
			continue
		}
		min := true
		for rest := mask; rest != 0; rest &= rest - 1 {
			j := bits.TrailingZeros(uint(rest))
			if closed[mask&^(1<<j)] {
				min = false
				break
			}
		}
		if min {
			out = append(out, mask)
		}
	}
	return out
}

func maskPositions(mask int) []int {
	p := []int{}
	for rest := mask; rest != 0; rest &= rest - 1 {
		p = append(p, bits.TrailingZeros(uint(rest)))
	}
	return p
}
