package provenance_test

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// TestFollowBudget: a write to a key read 100 times later, every read
// explained by it. With no budget Follow finds all 100; with a budget of
// 10 it explains 10 reads and says it stopped.
func TestFollowBudget(t *testing.T) {
	w := &formats.Event{ID: 1, System: "kv", Op: "SET"}
	var reads []*formats.Event
	for i := int64(2); i <= 101; i++ {
		reads = append(reads, &formats.Event{ID: i, System: "kv", Op: "GET"})
	}
	for _, budget := range []int{0, 10} {
		explained := 0
		opt := provenance.FollowOptions{
			Depth: 5, Limit: 1000, Budget: budget,
			Written: func(e *formats.Event) []formats.Ref {
				if e == w {
					return []formats.Ref{{Key: []byte("k")}}
				}
				return nil
			},
			Later: func(_ context.Context, _ string, _ formats.Ref, after int64, limit int) ([]*formats.Event, error) {
				return reads[:min(limit, len(reads))], nil
			},
			Explain: func(_ context.Context, e *formats.Event) (*provenance.Explanation, error) {
				explained++
				return &provenance.Explanation{Target: e, Exact: true, Factors: []provenance.Factor{{{w}}}}, nil
			},
		}
		effects, truncated, err := provenance.Follow(context.Background(), w, opt)
		if err != nil {
			t.Fatal(err)
		}
		want, wantTrunc := 100, false
		if budget > 0 {
			want, wantTrunc = budget, true
		}
		if len(effects) != want || explained != want || truncated != wantTrunc {
			t.Errorf("budget %d: %d effects, %d explained, truncated %v; want %d, %d, %v", budget, len(effects), explained, truncated, want, want, wantTrunc)
		}
	}
}

// TestFollowRoundsBatched follows random writes twice, asking for each
// written key's later events one key at a time and once per round for
// all keys: the effects are the same, in the same order.
func TestFollowRoundsBatched(t *testing.T) {
	for seed := int64(0); seed < 1000; seed++ {
		r := rand.New(rand.NewSource(seed))
		n := 5 + r.Intn(40)
		var evs []*formats.Event
		for i := 1; i <= n; i++ {
			e := &formats.Event{ID: int64(i), System: "kv", Op: "SET", Args: [][]byte{[]byte(fmt.Sprint("k", r.Intn(4)))}}
			if r.Intn(2) == 0 {
				e.Op = "GET"
			}
			evs = append(evs, e)
		}
		written := func(e *formats.Event) []formats.Ref {
			if e.Op != "SET" && r.Intn(4) != 0 {
				return nil
			}
			return []formats.Ref{{NS: "0", Key: e.Args[0]}}
		}
		writes := map[int64][]formats.Ref{}
		for _, e := range evs {
			writes[e.ID] = written(e)
		}
		later := func(_ context.Context, _ string, ref formats.Ref, after int64, limit int) ([]*formats.Event, error) {
			var out []*formats.Event
			for _, e := range evs {
				if e.ID > after && string(e.Args[0]) == string(ref.Key) && len(out) < limit {
					out = append(out, e)
				}
			}
			return out, nil
		}
		// An event is explained by the writes to its key before it that
		// a per-seed coin allows.
		coin := map[[2]int64]bool{}
		for _, a := range evs {
			for _, b := range evs {
				coin[[2]int64{a.ID, b.ID}] = r.Intn(3) > 0
			}
		}
		explain := func(_ context.Context, e *formats.Event) (*provenance.Explanation, error) {
			var w []*formats.Event
			for _, c := range evs {
				if c.ID < e.ID && string(c.Args[0]) == string(e.Args[0]) && coin[[2]int64{e.ID, c.ID}] {
					w = append(w, c)
				}
			}
			return &provenance.Explanation{Target: e, Exact: true, Factors: []provenance.Factor{{w}}}, nil
		}
		opt := provenance.FollowOptions{Depth: 1 + r.Intn(4), Limit: 1 + r.Intn(6), Budget: r.Intn(30),
			Written: func(e *formats.Event) []formats.Ref { return writes[e.ID] }, Later: later, Explain: explain}
		w := evs[r.Intn(n)]
		one, trunc1, err := provenance.Follow(context.Background(), w, opt)
		if err != nil {
			t.Fatal(err)
		}
		calls := 0
		opt.LaterMany = func(ctx context.Context, qs []provenance.LaterQuery, limit int) ([][]*formats.Event, error) {
			calls++
			out := make([][]*formats.Event, len(qs))
			for i, q := range qs {
				out[i], _ = later(ctx, q.System, q.Ref, q.After, limit)
			}
			return out, nil
		}
		opt.Later = func(context.Context, string, formats.Ref, int64, int) ([]*formats.Event, error) {
			t.Fatal("Later asked although LaterMany is set")
			return nil, nil
		}
		two, trunc2, err := provenance.Follow(context.Background(), w, opt)
		if err != nil {
			t.Fatal(err)
		}
		str := func(es []provenance.Effect) string {
			var b strings.Builder
			for _, e := range es {
				fmt.Fprintf(&b, "%d<-%d %s %d; ", e.Event.ID, e.Because.ID, e.Rule, e.Depth)
			}
			return b.String()
		}
		if str(one) != str(two) || trunc1 != trunc2 {
			t.Fatalf("seed %d: one key at a time %s (%v); batched %s (%v)", seed, str(one), trunc1, str(two), trunc2)
		}
		if calls > opt.Depth+1 {
			t.Fatalf("seed %d: %d batched lookups for depth %d", seed, calls, opt.Depth)
		}
	}
}
