package redis_test

import (
	"context"
	"math/rand"
	"slices"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/ingest/store"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/redis"
)

// checkCounterWitnesses explains the counters workload's INCR, DECR,
// INCRBY, DECRBY and GET lines, its logs' XLEN, LLEN and LPUSH, and its
// work queue's RPOP, LPUSH and LLEN, through the store, and checks each
// answer the counter rule or the queue rule gave against the real
// capture: it is exact, its output is the reply the client got, and
// (every fifth) its witness (the first, when a queue's answer chooses
// among pops) is closed (replayed alone, with every other request before
// the target added, and with random halves of them added, it gives the
// reply) and minimal (leaving out any of up to 12 of its requests, alone
// or with every other request added, gives another). The rules must
// answer at least half of those lines, and none of a key an EXPIRE named
// before (the rate limiter's windows).
func checkCounterWitnesses(t *testing.T, s *store.Store, evs []*formats.Event, replies []queueReply) {
	t.Helper()
	ctx := context.Background()
	r := rand.New(rand.NewSource(1))
	m := redis.Model{}
	asked, answered, checked := 0, map[string]int{}, 0
	askedKey := map[string]int{}
	expired := map[string]bool{} // the keys an EXPIRE named so far
	for i, e := range evs {
		switch e.Op {
		case "INCR", "DECR", "INCRBY", "DECRBY", "GET", "XLEN", "LLEN", "LPUSH", "RPOP":
		case "EXPIRE":
			expired[string(e.Args[0])] = true
			continue
		default:
			continue
		}
		asked++
		askedKey[string(e.Args[0])]++
		before := redis.CounterAnswers.Load() + redis.QueueAnswers.Load()
		x, err := redis.Spec.Explain(ctx, s, e)
		if err != nil {
			t.Fatalf("counters: line %d %s: %v", e.Line, e.Op, err)
		}
		if redis.CounterAnswers.Load()+redis.QueueAnswers.Load() == before {
			continue
		}
		key := string(e.Args[0])
		answered[key]++
		if expired[key] {
			t.Errorf("counters: line %d %s %s: the rule answered a call of a key an EXPIRE named before", e.Line, e.Op, key)
		}
		if !x.Exact {
			t.Errorf("counters: line %d %s %s: the rule's answer is not exact: %v", e.Line, e.Op, key, x.Notes)
		}
		if q := &replies[i]; q.replied() && redis.CompareReply(e, x.Output, q.bytes) != redis.Agree {
			t.Errorf("counters: line %d %s %s: the rule replays %q, the client got %q", e.Line, e.Op, key, x.Output, q.bytes)
		}
		if answered[key]%5 != 1 {
			continue
		}
		// A counter's answer has one witness; a queue's may choose among
		// its pops (the first way is checked: every way is minimal).
		ws, complete := x.Witnesses(2)
		if len(ws) == 0 || len(x.Choices) == 0 && (len(ws) != 1 || !complete) {
			t.Fatalf("counters: line %d: %d witnesses", e.Line, len(ws))
		}
		in := map[int64]bool{}
		for _, w := range ws[0] {
			in[w.ID] = true
		}
		trace := evs[:i]
		replay := func(keep func(h *formats.Event) bool) provenance.Output {
			var sub []*formats.Event
			for _, h := range trace {
				if keep(h) {
					sub = append(sub, h)
				}
			}
			return provenance.Replay(m, sub, e)
		}
		witness := func(h *formats.Event) bool { return in[h.ID] }
		if replay(witness) != x.Output || replay(func(*formats.Event) bool { return true }) != x.Output {
			t.Fatalf("counters: line %d %s %s: the witness, or the whole trace, replays another output", e.Line, e.Op, key)
		}
		for k := 0; k < 5; k++ {
			half := map[int64]bool{}
			for _, h := range trace {
				half[h.ID] = r.Intn(2) == 0
			}
			if replay(func(h *formats.Event) bool { return in[h.ID] || half[h.ID] }) != x.Output {
				t.Fatalf("counters: line %d %s %s: the witness is not closed", e.Line, e.Op, key)
			}
		}
		// Leaving out w must leave a subtrace that is not closed: some
		// superset of it (alone, with every other request, with every
		// request of one command added: a queue's pushes or pops, or
		// random halves) replays another output.
		var ops []string
		for _, h := range trace {
			if !slices.Contains(ops, h.Op) {
				ops = append(ops, h.Op)
			}
		}
		for k := 0; k < min(12, len(ws[0])); k++ {
			w := ws[0][r.Intn(len(ws[0]))]
			open := replay(func(h *formats.Event) bool { return in[h.ID] && h.ID != w.ID }) != x.Output ||
				replay(func(h *formats.Event) bool { return h.ID != w.ID }) != x.Output
			for _, op := range ops {
				open = open || replay(func(h *formats.Event) bool { return h.ID != w.ID && (in[h.ID] || h.Op == op) }) != x.Output
			}
			for j := 0; j < 20 && !open; j++ {
				half := map[int64]bool{}
				for _, h := range trace {
					half[h.ID] = r.Intn(2) == 0
				}
				open = replay(func(h *formats.Event) bool { return h.ID != w.ID && (in[h.ID] || half[h.ID]) }) != x.Output
			}
			if !open {
				t.Fatalf("counters: line %d %s %s: the witness holds %s (event %d), which it does not need", e.Line, e.Op, key, w.Op, w.ID)
			}
		}
		checked++
	}
	total := 0
	for _, n := range answered {
		total += n
	}
	t.Logf("counters: the rules of runs answered %d of %d calls %v (asked %v); %d witnesses checked closed and minimal", total, asked, answered, askedKey, checked)
	for _, k := range []string{"audit", "activity", "views:home", "stock:42", "jobs"} {
		if answered[k] == 0 {
			t.Errorf("counters: the rule answered no call of %s", k)
		}
	}
	if total*2 < asked || checked == 0 {
		t.Errorf("counters: the rule answered %d of %d", total, asked)
	}
}
