package provenance_test

import (
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// TestSolveRandom checks the engine against the definition on thousands
// of random KVS traces with tiny domains, so that values coincide.
func TestSolveRandom(t *testing.T) {
	m := kvs("null", false)
	reduced := 0
	defer func() {
		// Most traces must go through the forced-event reduction too.
		if reduced < 2000 {
			t.Errorf("only %d answers found with a low limit", reduced)
		}
	}()
	for seed := int64(0); seed < 3000; seed++ {
		r := rand.New(rand.NewSource(seed))
		trace, target := randomKVS(r, r.Intn(11))
		want, _, err := provenance.BruteForce(m, trace, target)
		if err != nil {
			t.Fatal(err)
		}
		// set x is a reset only while no freeze or trunc is around: the
		// engine is told so per trace, as a spec would decide.
		hasTrunc := false
		for _, e := range trace {
			hasTrunc = hasTrunc || e.Op == "trunc" || e.Op == "freeze"
		}
		reset := func(e *formats.Event) bool {
			return !hasTrunc && e.Op == "set" && string(e.Args[0]) == `"x"`
		}
		// Limit 16 enumerates every stretch; lower limits make Solve find
		// the forced events first and enumerate only the rest.
		for _, limit := range []int{16, 3, 1} {
			ws, _, err := provenance.Solve(provenance.Problem{Model: m, Target: target, Reset: reset, Older: backwards(trace), Limit: limit})
			if errors.Is(err, provenance.ErrTooLarge) && limit < 16 {
				continue
			}
			if limit < 16 {
				reduced++
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := provenance.WitnessPositions(ws, trace); !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d, limit %d: trace %s: Solve = %v, BruteForce = %v", seed, limit, show(trace), got, want)
			}
		}
	}
}

// randomKVS returns a random trace of n KVS writes over tiny domains, so
// that values coincide, and a get of x after it.
func randomKVS(r *rand.Rand, n int) ([]*formats.Event, *formats.Event) {
	ops := []string{"set", "set", "add", "sub", "freeze", "trunc"}
	var trace []*formats.Event
	for i := 0; i < n; i++ {
		op := ops[r.Intn(len(ops))]
		e := &formats.Event{ID: int64(i + 1), Op: op}
		if op != "freeze" && op != "trunc" {
			e.Args = [][]byte{[]byte(fmt.Sprintf("%q", "xy"[r.Intn(2):][:1])), []byte(fmt.Sprint(r.Intn(3)))}
		}
		trace = append(trace, e)
	}
	return trace, &formats.Event{ID: int64(n + 1), Op: "get", Args: [][]byte{[]byte(`"x"`)}}
}

func show(trace []*formats.Event) string {
	s := ""
	for _, e := range trace {
		s += e.Op
		for _, a := range e.Args {
			s += " " + string(a)
		}
		s += "; "
	}
	return s
}

// TestBackwards: a history in memory is handed out in order, in batches
// of at most the size asked for, and says what it has handed out.
func TestBackwards(t *testing.T) {
	var evs []*formats.Event
	for i := 5; i >= 1; i-- {
		evs = append(evs, &formats.Event{ID: int64(i)})
	}
	b := &provenance.Backwards{Events: evs}
	ids := func(evs []*formats.Event) []int64 {
		var out []int64
		for _, e := range evs {
			out = append(out, e.ID)
		}
		return out
	}
	for _, want := range [][]int64{{5, 4}, {3, 2}, {1}, nil} {
		if b.Done() && want != nil {
			t.Fatalf("Done() before %v was handed out", want)
		}
		if got, err := b.Older(2); err != nil || !reflect.DeepEqual(ids(got), want) {
			t.Fatalf("Older(2) = %v, %v, want %v", ids(got), err, want)
		}
	}
	if got := ids(b.Seen()); !b.Done() || !reflect.DeepEqual(got, []int64{5, 4, 3, 2, 1}) {
		t.Errorf("Done() = %v, Seen() = %v, want true, [5 4 3 2 1]", b.Done(), got)
	}
}

// merging is a toy whose searches merge subsets that reach one state
// (provenance.Merger), counting the fingerprints asked; with blind, every
// state has one fingerprint, which merges what must not be merged.
type merging struct {
	toy
	asked *int
	blind bool
}

func (m merging) AppendFingerprint(b []byte, s provenance.State) []byte {
	*m.asked++
	if m.blind {
		return b
	}
	return append(b, m.toy.Fingerprint(s)...)
}

// TestSolveMerging checks the merging search against the definition on
// random KVS traces, whose tiny domains make subsets meet in one state
// often; and that a model whose Fingerprint tells too little gets wrong
// answers from it, so that the merging is what is tested.
func TestSolveMerging(t *testing.T) {
	asked, wrong := 0, 0
	for seed := int64(0); seed < 2000; seed++ {
		r := rand.New(rand.NewSource(seed))
		trace, target := randomKVS(r, 4+r.Intn(9))
		want, _, err := provenance.BruteForce(kvs("null", false), trace, target)
		if err != nil {
			t.Fatal(err)
		}
		never := func(*formats.Event) bool { return false }
		for _, blind := range []bool{false, true} {
			m := merging{toy: kvs("null", false), asked: &asked, blind: blind}
			ws, _, err := provenance.Solve(provenance.Problem{Model: m, Target: target, Reset: never, Older: backwards(trace), Limit: 16})
			if err != nil {
				t.Fatal(err)
			}
			got := provenance.WitnessPositions(ws, trace)
			switch {
			case blind && !reflect.DeepEqual(got, want):
				wrong++
			case !blind && !reflect.DeepEqual(got, want):
				t.Fatalf("seed %d: trace %s: merging Solve = %v, BruteForce = %v", seed, show(trace), got, want)
			}
		}
	}
	if asked == 0 || wrong == 0 {
		t.Errorf("fingerprints asked %d times, %d wrong answers with a blind one: the search did not merge", asked, wrong)
	}
}
