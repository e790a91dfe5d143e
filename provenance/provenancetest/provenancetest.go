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
	"slices"
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
	// History returns the history Explain reads for a trace; nil means a
	// MemHistory indexed by the spec's Refs.
	History func(trace []*formats.Event) provenance.History
	// Refusable lets Explain refuse a target with an error wrapping
	// provenance.ErrNotExplainable; refusals are counted, not failures.
	Refusable bool
	// Skip leaves out the targets whose output (as BruteForce replays
	// it) another test checks: a Redis command that waits.
	Skip func(provenance.Output) bool
	// Labelled lets an answer be labelled not exact for a reason other
	// than falling back (a reply in a hash table's order, which the
	// model fixes): its witnesses must still be the definition's.
	Labelled bool
	// Variants are the spec built with other settings (a limit so low
	// that long stretches take the forced-event path): each must give
	// the same witnesses, or fall back (Explanation.FellBack) to one
	// closed witness, which must hold a minimal one.
	Variants []provenance.Spec
}

// A TraceModeler is a spec whose model holds facts of the whole trace,
// which a call has in any subtrace (the directory a relative path was
// resolved in, where a call strace split resumed): the brute force
// replays every subtrace with the model TraceModel returns for the
// trace, its target included.
type TraceModeler interface {
	TraceModel(trace []*formats.Event) provenance.Model
}

// historyOf returns opt.History, or else a function making a MemHistory
// indexed by spec's Refs.
func (opt Options) historyOf(spec provenance.Spec) func(trace []*formats.Event) provenance.History {
	if opt.History != nil {
		return opt.History
	}
	return func(trace []*formats.Event) provenance.History {
		return &provenance.MemHistory{Events: trace, Refs: spec.Refs}
	}
}

// Check runs spec on opt.Seeds random traces. Over the history of each
// trace, Explain must return the output BruteForce replays, never fall
// back, say that it is exact (unless opt.Labelled) and list exactly the
// witnesses BruteForce finds. A failure names the seed and prints the
// trace.
func Check(t *testing.T, spec provenance.Spec, opt Options) {
	t.Helper()
	seeds := opt.Seeds
	if testing.Short() {
		seeds = min(seeds, ShortSeeds)
	}
	opt.History = opt.historyOf(spec)
	ctx := context.Background()
	several, refused, skipped, agreed := 0, 0, 0, 0
	for seed := 0; seed < seeds; seed++ {
		trace, target := opt.Trace(rand.New(rand.NewSource(int64(seed))))
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("seed %d: %s\n%s", seed, fmt.Sprintf(format, args...), Dump(trace, target))
		}
		model := spec.Model()
		if tm, ok := spec.(TraceModeler); ok {
			model = tm.TraceModel(append(slices.Clip(trace), target))
		}
		want, wantOut, err := provenance.BruteForce(model, trace, target)
		if err != nil {
			t.Fatal(err)
		}
		if opt.Skip != nil && opt.Skip(wantOut) {
			skipped++
			continue
		}
		h := opt.History(trace)
		x, err := spec.Explain(ctx, h, target)
		if opt.Refusable && errors.Is(err, provenance.ErrNotExplainable) {
			refused++
			continue
		}
		if err != nil {
			fail("Explain: %v", err)
		}
		if x.Output != wantOut {
			fail("output %q, want %q", x.Output, wantOut)
		}
		if x.FellBack {
			fail("fell back to one closed witness: %v", x.Notes)
		}
		if !x.Exact && !opt.Labelled {
			fail("not exact: %v", x.Notes)
		}
		got := Positions(x, trace)
		if !reflect.DeepEqual(got, want) {
			fail("spec = %v\nbrute force = %v", got, want)
		}
		if len(want) > 1 {
			several++
		}
		for _, v := range opt.Variants {
			y, err := v.Explain(ctx, h, target)
			switch {
			case err != nil:
				fail("Explain (variant): %v", err)
			case y.FellBack:
				if fb := Positions(y, trace); len(fb) != 1 || !holdsOne(fb[0], want) {
					// Closed subtraces are closed upwards: the fallback,
					// closed, holds a minimal closed witness.
					fail("the variant's fallback %v is not closed (minimal closed witnesses: %v)", fb, want)
				}
			case !reflect.DeepEqual(Positions(y, trace), want):
				fail("variant = %v\nbrute force = %v", Positions(y, trace), want)
			default:
				agreed++
			}
		}
	}
	t.Logf("%d traces; %d answers with several witnesses; %d targets refused, %d skipped", seeds, several, refused, skipped)
	if len(opt.Variants) > 0 {
		t.Logf("the variants agreed %d times without falling back", agreed)
	}
}

// Positions lists x's witnesses as positions in trace (see
// provenance.WitnessPositions). It fails on more than 1<<16 witnesses,
// more than a test compares.
func Positions(x *provenance.Explanation, trace []*formats.Event) [][]int {
	ws, complete := x.Witnesses(1 << 16)
	if !complete {
		panic("provenancetest: more than 65536 witnesses")
	}
	return provenance.WitnessPositions(ws, trace)
}

// holdsOne reports whether w holds every element of one of ws.
func holdsOne(w []int, ws [][]int) bool {
	in := map[int]bool{}
	for _, p := range w {
		in[p] = true
	}
	for _, c := range ws {
		all := true
		for _, p := range c {
			all = all && in[p]
		}
		if all {
			return true
		}
	}
	return false
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
