package store

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/formats/redismonitor"
)

// TestWideBefore: the writes to a whole namespace before an id, in a
// scope, are the same whether the store keeps a namespace's list in
// memory (up to maxCachedWide of them) or reads them a page at a time
// (more), and an ingest's new ones are seen.
func TestWideBefore(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "s.db"), Options{Formats: []*formats.Format{redismonitor.Format}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rng := rand.New(rand.NewPCG(7, 8))
	wide := map[string][]int64{} // by namespace, newest first
	add := func(ns string, n int) {
		next := int64(1)
		if l := wide[ns]; len(l) > 0 {
			next = l[0] + 1
		}
		for range n {
			next += 1 + rng.Int64N(3)
			if _, err := s.db.ExecContext(ctx, `INSERT INTO wide_refs(system, ns, w, event) VALUES ('redis', ?, 1, ?)`, ns, next); err != nil {
				t.Fatal(err)
			}
			wide[ns] = append([]int64{next}, wide[ns]...)
		}
	}
	add("few", 40)
	add("many", maxCachedWide+10)
	in := &idSet{}
	for lo := int64(0); lo < 4*maxCachedWide; lo += 100 {
		in.ranges = append(in.ranges, [2]int64{lo, lo + 60})
	}
	check := func() {
		t.Helper()
		for _, ns := range []string{"few", "many", "none"} {
			for range 200 {
				before := rng.Int64N(4*maxCachedWide + 10)
				if l := wide[ns]; len(l) > 0 && rng.IntN(2) == 0 {
					before = l[rng.IntN(len(l))] + rng.Int64N(2) // at a write and just after
				}
				limit := 1 + rng.IntN(50)
				scope := in
				if rng.IntN(2) == 0 {
					scope = nil
				}
				got, err := s.wideBefore(ctx, scope, "redis", ns, before, limit)
				if err != nil {
					t.Fatal(err)
				}
				var want []int64
				for _, id := range wide[ns] {
					if id < before && scope.has(id) && len(want) < limit {
						want = append(want, id)
					}
				}
				if len(got) != len(want) {
					t.Fatalf("%s before %d, limit %d: %v, want %v", ns, before, limit, got, want)
				}
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("%s before %d, limit %d: %v, want %v", ns, before, limit, got, want)
					}
				}
			}
		}
		if w := s.wide[[2]string{"redis", "many"}]; w.all {
			t.Errorf("%d writes to a namespace kept in memory", len(wide["many"]))
		}
	}
	check()
	add("few", 5)
	s.sourcesChanged() // as an ingest does
	check()
}
