package redis

import (
	"math/rand"
	"testing"
)

// TestExtremeLengths checks extremeLengths, which replays without
// branches, against the plain replay of each extreme: the kept events
// and every push besides, the kept events and every pop besides.
func TestExtremeLengths(t *testing.T) {
	replay := func(push, keep []bool, with bool) int {
		n := 0
		for i, p := range push {
			switch {
			case !keep[i] && p != with:
			case p:
				n++
			case n > 0:
				n--
			}
		}
		return n
	}
	r := rand.New(rand.NewSource(1))
	for trial := range 3000 {
		n := r.Intn(40)
		push, keep := make([]bool, n), make([]bool, n)
		bias := r.Float64()
		for i := range n {
			push[i], keep[i] = r.Float64() < bias, r.Intn(3) > 0
		}
		a, b := extremeLengths(push, keep)
		if wa, wb := replay(push, keep, true), replay(push, keep, false); a != wa || b != wb {
			t.Fatalf("trial %d: push %v keep %v: extremeLengths = %d, %d; the replays give %d, %d", trial, push, keep, a, b, wa, wb)
		}
	}
}
