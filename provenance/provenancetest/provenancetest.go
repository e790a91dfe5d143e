// Package provenancetest checks a spec against the definition: on
// thousands of seeded random traces, a spec's Explain must give exactly
// what provenance.BruteForce gives (the strings.Index / simpleIndex
// pattern), so that any cause the spec's index misses shows up as a
// failing seed with its trace.
package provenancetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// ShortSeeds is how many seeds Check runs at most under go test -short.
const ShortSeeds = 500

// Options says what Check draws and what it tolerates.
type Options struct {
	// Seeds is how many random traces to check (at most ShortSeeds with
	// -short); seed i draws from rand.NewSource(i).
	Seeds int
	// Trace draws one trace and the request to explain after it.
	Trace func(r *rand.Rand) (trace []*formats.Event, target *formats.Event)
	// Refusable lets Explain refuse a target with an error wrapping
	// provenance.ErrNotExplainable; refusals are counted, not failures.
	Refusable bool
}

// Check runs spec on opt.Seeds random traces. Over a MemHistory of each
// trace, Explain must return the output BruteForce replays, say that it
// is exact, and list exactly the witnesses BruteForce finds. A failure
// names the seed and prints the trace.
func Check(t *testing.T, spec provenance.Spec, opt Options) {
	t.Helper()
	seeds := opt.Seeds
	if testing.Short() {
		seeds = min(seeds, ShortSeeds)
	}
	ctx := context.Background()
	several, refused := 0, 0
	for seed := 0; seed < seeds; seed++ {
		trace, target := opt.Trace(rand.New(rand.NewSource(int64(seed))))
		want, wantOut, err := provenance.BruteForce(spec.Model(), trace, target)
		if err != nil {
			t.Fatal(err)
		}
		h := &provenance.MemHistory{Events: trace, Refs: spec.Refs}
		x, err := spec.Explain(ctx, h, target)
		if opt.Refusable && errors.Is(err, provenance.ErrNotExplainable) {
			refused++
			continue
		}
		if err != nil {
			t.Fatalf("seed %d: %v\n%s", seed, err, Dump(trace, target))
		}
		if x.Output != wantOut {
			t.Fatalf("seed %d: output %q, want %q\n%s", seed, x.Output, wantOut, Dump(trace, target))
		}
		if !x.Exact {
			t.Fatalf("seed %d: not exact: %v\n%s", seed, x.Notes, Dump(trace, target))
		}
		ws, _ := x.Witnesses(1 << 16)
		if got := provenance.WitnessPositions(ws, trace); !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d:\n%s\nspec = %v\nbrute force = %v", seed, Dump(trace, target), got, want)
		}
		if len(want) > 1 {
			several++
		}
	}
	t.Logf("%d traces; %d answers with several witnesses; %d targets refused", seeds, several, refused)
}

// RandomTrace draws a trace of r.Intn(maxLen) events, event(r, id, false)
// for ids 1, 2, ..., and then its target, event(r, n+1, true).
func RandomTrace(r *rand.Rand, maxLen int, event func(r *rand.Rand, id int, target bool) *formats.Event) ([]*formats.Event, *formats.Event) {
	n := r.Intn(maxLen)
	var trace []*formats.Event
	for i := 1; i <= n; i++ {
		trace = append(trace, event(r, i, false))
	}
	return trace, event(r, n+1, true)
}

// Dump renders a trace and its target, one event a line, numbered by
// position (as WitnessPositions numbers them): the logged line when the
// event has one, else its op, namespace, client, arguments and reply.
func Dump(trace []*formats.Event, target *formats.Event) string {
	var b strings.Builder
	for i, e := range append(append([]*formats.Event(nil), trace...), target) {
		if e.Raw != nil {
			fmt.Fprintf(&b, "%d: %s", i, e.Raw)
		} else {
			fmt.Fprintf(&b, "%d: %s ns=%s client=%s %q -> %q", i, e.Op, e.NS, e.Client, e.Args, e.Reply)
		}
		if e == target {
			b.WriteString("   <- target")
		}
		b.WriteString("\n")
	}
	return b.String()
}
