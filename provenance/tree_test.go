package provenance_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// fakeLinks indexes a slice of events by their ids.
type fakeLinks []*formats.Event

func (l fakeLinks) WithID(_ context.Context, id string) ([]*formats.Event, error) {
	var out []*formats.Event
	for _, e := range l {
		if e.ReqID == id {
			out = append(out, e)
		}
	}
	return out, nil
}

func (l fakeLinks) WithParent(_ context.Context, id string) ([]*formats.Event, error) {
	var out []*formats.Event
	for _, e := range l {
		if e.Parent == id {
			out = append(out, e)
		}
	}
	return out, nil
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
