package provenance

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/wat-project/wat/formats"
)

// TestCachedHistory: a CachedHistory answers every lookup as its History
// does, whatever the order of the lookups' bounds and limits, with the
// answers it keeps merged and replaced, and a caller appending to an
// answer changes no later one.
func TestCachedHistory(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	keys := []string{"a", "b", "c"}
	for trial := range 300 {
		var evs []*formats.Event
		for i := range 1 + rng.IntN(60) {
			evs = append(evs, &formats.Event{ID: int64(2*i + 1), System: "s", Op: "w", Args: [][]byte{[]byte(keys[rng.IntN(len(keys))])}})
			if rng.IntN(12) == 0 {
				evs[i].Op = "flush" // every key's
			}
		}
		h := &MemHistory{Events: evs, Refs: func(e *formats.Event) []formats.Ref {
			if e.Op == "flush" {
				return []formats.Ref{{NS: "", Key: nil, Kind: formats.KindReset}}
			}
			return []formats.Ref{{NS: "", Key: e.Args[0], Kind: formats.KindWrite}}
		}}
		c := &CachedHistory{History: h, Ask: rng.IntN(8)}
		for q := range 40 {
			key := []byte(keys[rng.IntN(len(keys))])
			before := rng.Int64N(int64(2*len(evs) + 3))
			if rng.IntN(4) == 0 {
				before = 1 << 62
			}
			limit := 1 + rng.IntN(6)
			got, err := c.Touching(ctx, "s", "", key, before, limit)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := h.Touching(ctx, "s", "", key, before, limit)
			if fmt.Sprint(idList(got)) != fmt.Sprint(idList(want)) {
				t.Fatalf("trial %d, lookup %d (Ask %d): %s before %d, limit %d: %v, want %v", trial, q, c.Ask, key, before, limit, idList(got), idList(want))
			}
			_ = append(got, &formats.Event{ID: -1}) // a caller's own use of its answer
		}
	}
}

func idList(evs []*formats.Event) []int64 {
	var out []int64
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}
