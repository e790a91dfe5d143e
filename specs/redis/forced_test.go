package redis_test

import (
	"math/rand"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/specs/redis"
)

// TestForcedContract checks Model.Forced against its contract on random
// runs: where it answers, each mark must say exactly whether leaving only
// that event out changes the target's output.
func TestForcedContract(t *testing.T) {
	m := redis.Model{}
	runs := [][]string{
		{"INCR k", "DECR k", "INCRBY k n", "DECRBY k n"},
		{"APPEND k v"},
		{"LPUSH k v", "RPUSH k v v"},
	}
	reads := []string{"GET k", "STRLEN k", "INCR k", "INCRBY k n", "APPEND k v", "LLEN k", "LRANGE k 0 -1", "LRANGE k 0 1", "LPUSH k v"}
	starts := []string{"SET k 5", "SET k x", "SET k 7 EX 100", "RPUSH k a", "SET k 9223372036854775806", "DEL k"}
	answered := 0
	for seed := 0; seed < 3000; seed++ {
		r := rand.New(rand.NewSource(int64(seed)))
		st := m.Init()
		if r.Intn(3) > 0 {
			m.Apply(st, event(r, family{}, 1, starts[r.Intn(len(starts))], 1795535140000000000))
		}
		run := runs[r.Intn(len(runs))]
		n := 2 + r.Intn(40)
		var stretch []*formats.Event
		for i := 0; i < n; i++ {
			e := event(r, family{}, i+2, run[r.Intn(len(run))], 1795535140000000000)
			e.NS, e.Args[0] = "0", []byte("k")
			stretch = append(stretch, e)
		}
		target := event(r, family{}, n+2, reads[r.Intn(len(reads))], 1795535140000000000)
		target.NS, target.Args[0] = "0", []byte("k")
		replay := func(skip int) string {
			s := m.Clone(st)
			for i, e := range stretch {
				if i != skip {
					m.Apply(s, e)
				}
			}
			return string(m.Apply(s, target))
		}
		out := replay(-1)
		marks, ok := m.Forced(st, stretch, target, "")
		if !ok {
			continue
		}
		answered++
		for i := range stretch {
			if changed := replay(i) != out; changed != marks[i] {
				t.Fatalf("seed %d: event %d %s %q: Forced says %v, replay says %v", seed, i, stretch[i].Op, stretch[i].Args, marks[i], changed)
			}
		}
	}
	if answered < 500 {
		t.Errorf("Forced answered only %d of 3000 runs", answered)
	}
}
