package posix_test

import (
	"math/rand"
	"slices"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/posix"
)

// TestCommuteSwaps checks the claim that answers over files merged by
// their clocks rest on when they take two calls' order not to matter
// (provenance.Interleaving's Commute): two calls of two processes that
// commute, swapped where they are next to each other in a random trace,
// leave every call's output and the state at the end as they were.
func TestCommuteSwaps(t *testing.T) {
	m := posix.Model{}
	replay := func(evs []*formats.Event) ([]provenance.Output, string) {
		s := m.Init()
		var outs []provenance.Output
		for _, e := range evs {
			outs = append(outs, m.Apply(s, e))
		}
		return outs, m.Fingerprint(s)
	}
	swaps := 0
	for seed := range 20000 {
		r := rand.New(rand.NewSource(int64(seed)))
		s := &sim{names: map[string]string{}, fds: map[string]map[int]string{}, last: map[string]string{}, gone: map[string]bool{}}
		var lines []string
		for range 14 {
			lines = append(lines, s.line(r, false))
		}
		evs, _ := traceOf(t, lines)
		want, wantEnd := replay(evs)
		for i := 0; i+1 < len(evs); i++ {
			x, y := evs[i], evs[i+1]
			if x.Client == y.Client || !posix.Commute(x, y) {
				continue
			}
			swaps++
			swapped := slices.Clone(evs)
			swapped[i], swapped[i+1] = y, x
			got, end := replay(swapped)
			got[i], got[i+1] = got[i+1], got[i]
			if !slices.Equal(got, want) || end != wantEnd {
				t.Fatalf("seed %d: %s and %s commute, but swapped the trace replays otherwise:\n%s", seed, x.Raw, y.Raw, lines)
			}
		}
	}
	if swaps < 500 {
		t.Fatalf("only %d pairs of calls that commute in 20,000 traces", swaps)
	}
	t.Logf("%d pairs of calls that commute swapped", swaps)
}
