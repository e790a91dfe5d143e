package provenance_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// fakeLinks indexes a slice of events by their ids.
type fakeLinks []*formats.Event

func (l fakeLinks) WithID(_ context.Context, id string) ([]*formats.Event, error) {
	return l.where(func(e *formats.Event) bool { return e.ReqID == id }), nil
}

func (l fakeLinks) WithParent(_ context.Context, id string) ([]*formats.Event, error) {
	return l.where(func(e *formats.Event) bool { return e.Parent == id }), nil
}

// where returns the events keep accepts, in order.
func (l fakeLinks) where(keep func(*formats.Event) bool) []*formats.Event {
	var out []*formats.Event
	for _, e := range l {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}

// TestTreeCycle builds a tree whose explanations point back at the
// target (a call whose witness was sent after receiving the target's own
// reply): the tree terminates and records each node once.
func TestTreeCycle(t *testing.T) {
	ev := func(id int64, sys, reqID, parent string, reply bool) *formats.Event {
		e := &formats.Event{ID: id, Line: int(id), Source: "a.log", System: sys, Op: "OP", ReqID: reqID, Parent: parent}
		if reply {
			e.Reply = []byte("r")
		}
		return e
	}
	req := ev(1, "api", "h", "", false)
	a := ev(2, "kv", "c1", "h", true) // received within h
	b := ev(3, "kv", "c2", "h", true) // received within h, after a
	links := fakeLinks{req, a, b}
	explains := 0
	explain := func(_ context.Context, e *formats.Event) (*provenance.Explanation, error) {
		explains++
		if e.System != "kv" {
			return nil, fmt.Errorf("no spec for %s: %w", e.System, provenance.ErrNotExplainable)
		}
		// Each kv read is explained by the other: a cycle through h.
		other := a
		if e == a {
			other = b
		}
		return &provenance.Explanation{Target: e, Exact: true, Factors: []provenance.Factor{{{other}}}}, nil
	}
	tree, err := provenance.BuildTree(context.Background(), b, 10, explain, links)
	if err != nil {
		t.Fatal(err)
	}
	if tree.Explained[b.ID] == nil || tree.Explained[a.ID] == nil || tree.Sent[a.ID] == nil || tree.Sent[b.ID] == nil {
		t.Fatalf("tree misses nodes: %+v", tree)
	}
	if s := tree.Sent[b.ID]; s.Request != req || len(s.Received) != 1 || s.Received[0] != a || s.Rule != "parent id h" {
		t.Errorf("sending of b = %+v", s)
	}
	if explains != 2 { // b, then a; the api request is never an output
		t.Errorf("explained %d times, want 2: each output once", explains)
	}
	// Depth 0: the target's explanation only.
	tree, _ = provenance.BuildTree(context.Background(), b, 0, explain, links)
	if len(tree.Sent) != 0 || !tree.Truncated {
		t.Errorf("depth 0: %d sendings, truncated %v", len(tree.Sent), tree.Truncated)
	}
}

// batchLinks is fakeLinks that also answers in batches, and counts the
// lookups of each kind.
type batchLinks struct {
	fakeLinks
	single, batch *int
}

func (b batchLinks) WithID(ctx context.Context, id string) ([]*formats.Event, error) {
	*b.single++
	return b.fakeLinks.WithID(ctx, id)
}

func (b batchLinks) WithParent(ctx context.Context, id string) ([]*formats.Event, error) {
	*b.single++
	return b.fakeLinks.WithParent(ctx, id)
}

func (b batchLinks) WithIDs(ctx context.Context, ids []string) (map[string][]*formats.Event, error) {
	*b.batch++
	return eachID(ctx, ids, b.fakeLinks.WithID), nil
}

func (b batchLinks) WithParents(ctx context.Context, ids []string) (map[string][]*formats.Event, error) {
	*b.batch++
	return eachID(ctx, ids, b.fakeLinks.WithParent), nil
}

// eachID answers a batch of ids one at a time with one, leaving out the
// ids with no events.
func eachID(ctx context.Context, ids []string, one func(context.Context, string) ([]*formats.Event, error)) map[string][]*formats.Event {
	out := map[string][]*formats.Event{}
	for _, id := range ids {
		if evs, _ := one(ctx, id); len(evs) > 0 {
			out[id] = evs
		}
	}
	return out
}

// treeString prints a tree canonically.
func treeString(t *provenance.Tree) string {
	var b strings.Builder
	ids := slices.Collect(maps.Keys(t.Explained))
	ids = slices.AppendSeq(ids, maps.Keys(t.Unexplained))
	ids = slices.AppendSeq(ids, maps.Keys(t.Sent))
	slices.Sort(ids)
	for _, id := range slices.Compact(ids) {
		fmt.Fprintf(&b, "%d:", id)
		if x := t.Explained[id]; x != nil {
			fmt.Fprintf(&b, " explained %d factors;", len(x.Factors))
		}
		if u, ok := t.Unexplained[id]; ok {
			fmt.Fprintf(&b, " unexplained %s;", u)
		}
		if s := t.Sent[id]; s != nil {
			fmt.Fprintf(&b, " sent %q part=%v", s.Rule, s.Part)
			if s.Request != nil {
				fmt.Fprintf(&b, " request %d", s.Request.ID)
			}
			for _, r := range s.Received {
				fmt.Fprintf(&b, " received %d", r.ID)
			}
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "truncated %v cut %v\n", t.Truncated, t.CutAtNodes)
	return b.String()
}

// TestTreeRoundsBatched builds random trees across services twice, with
// links that answer one id at a time and with links that answer a round's
// ids in one batch: the trees are the same, and the batched build asks
// for no id of a round one at a time.
func TestTreeRoundsBatched(t *testing.T) {
	ctx := context.Background()
	systems := []string{"api", "kv", "db"}
	for seed := int64(0); seed < 2000; seed++ {
		r := rand.New(rand.NewSource(seed))
		n := 5 + r.Intn(25)
		var evs []*formats.Event
		for i := 1; i <= n; i++ {
			e := &formats.Event{ID: int64(i), Line: i, Source: "a.log", System: systems[r.Intn(3)], Op: "OP"}
			if r.Intn(3) > 0 {
				e.ReqID = fmt.Sprintf("r%d", r.Intn(6))
			}
			if r.Intn(2) > 0 {
				e.Parent = fmt.Sprintf("r%d", r.Intn(6))
			}
			if e.System != "api" {
				e.Service = "app"
				if r.Intn(2) > 0 {
					e.Reply = []byte("x")
				}
			}
			evs = append(evs, e)
		}
		factors := map[int64][]provenance.Factor{}
		for _, e := range evs {
			var f []provenance.Factor
			for k := 0; k < r.Intn(3); k++ {
				var alt provenance.Factor
				for a := 0; a < 1+r.Intn(2); a++ {
					var w []*formats.Event
					for _, c := range evs {
						if c.ID < e.ID && c.System == e.System && r.Intn(3) == 0 {
							w = append(w, c)
						}
					}
					alt = append(alt, w)
				}
				f = append(f, alt)
			}
			factors[e.ID] = f
		}
		explain := func(_ context.Context, e *formats.Event) (*provenance.Explanation, error) {
			if e.System == "api" {
				return nil, fmt.Errorf("no spec for api: %w", provenance.ErrNotExplainable)
			}
			return &provenance.Explanation{Target: e, Exact: true, Factors: factors[e.ID]}, nil
		}
		target := evs[r.Intn(n)]
		depth := r.Intn(5)
		one, err := provenance.BuildTree(ctx, target, depth, explain, fakeLinks(evs))
		if err != nil {
			t.Fatal(err)
		}
		single, batch := 0, 0
		two, err := provenance.BuildTree(ctx, target, depth, explain, batchLinks{fakeLinks(evs), &single, &batch})
		if err != nil {
			t.Fatal(err)
		}
		if a, b := treeString(one), treeString(two); a != b {
			t.Fatalf("seed %d: one at a time:\n%s\nbatched:\n%s", seed, a, b)
		}
		if single > 0 {
			t.Fatalf("seed %d: %d lookups of one id outside the batches", seed, single)
		}
		if batch > 2*(depth+1) {
			t.Fatalf("seed %d: %d batched lookups for %d rounds", seed, batch, depth+1)
		}
	}
}
