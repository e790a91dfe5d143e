package provenance_test

import (
	"context"
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
