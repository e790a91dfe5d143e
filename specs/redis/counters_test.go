package redis_test

import (
	"context"
	"math/rand"
	"sync/atomic"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/redis"
)

// hotCounters are counters written by the commands the counter rule
// answers from runs, with resets of equal and other values, a few other
// families' writes, transactions and scripts' calls mixed in: the rule
// must agree with the brute force whenever it answers.
var hotCounters = family{name: "hot counters", words: map[string][]string{"n": {"0", "1", "-1", "2", "007", "-0", "x"}},
	writes: []string{"INCR k", "INCR k", "INCR k", "DECR k", "INCRBY k n", "DECRBY k n", "SET k n", "DEL k",
		"INCR lua k", "MULTI c", "EXEC c", "DISCARD c", "INCR c k", "EXPIRE k 1", "GET k", "SUBSCRIBE c k", "BLPOP c k 1"},
	targets: []string{"INCR k", "DECR k", "INCRBY k n", "DECRBY k n", "INCR c k", "GET k", "GET k"}}

// one puts a request on one key of one database ("a" in 0), so that a
// random trace's runs are long.
func one(e *formats.Event) *formats.Event {
	e.NS = "0"
	if len(e.Args) > 0 && e.Op != "MULTI" && e.Op != "EXEC" {
		e.Args[0] = []byte("a")
	}
	return e
}

// TestCounterRuleEqualsBruteForce runs the hot counters through the
// referee, over traces of one key in one database (so that the runs are
// long), and checks that the rule answered a good share of them.
func TestCounterRuleEqualsBruteForce(t *testing.T) {
	seeds := scaled(4000, 600)
	refereeRule(t, redis.CounterAnswers, seeds, int64(seeds)/5, func(r *rand.Rand) ([]*formats.Event, *formats.Event) {
		return drawTrace(r, hotCounters, r.Intn(12), 10, one)
	})
}

// refereeRule runs seeds traces that draw makes through the referee, and
// checks that a rule of runs, which counts its answers in answers,
// answered at least least of them.
func refereeRule(t *testing.T, answers *atomic.Int64, seeds int, least int64, draw func(r *rand.Rand) ([]*formats.Event, *formats.Event)) {
	t.Helper()
	before := answers.Load()
	referee(t, seeds, draw)
	answered := (answers.Load() - before) / 2 // by the spec and by its low-limit variant
	t.Logf("the rule answered %d of %d targets", answered, seeds)
	if answered < least {
		t.Errorf("the rule answered %d of %d targets: the test does not reach it", answered, seeds)
	}
}

// logLists and logStreams are lists and streams used as logs (pushed
// to, added to, deleted now and then), with pops, trims, other types'
// writes and waiting clients mixed in: the rule answers their lengths.
var (
	logLists = family{name: "log lists", words: map[string][]string{"j": {"j1", "j2", "j3"}},
		writes: []string{"LPUSH k j", "LPUSH k j", "RPUSH k j j", "LPUSH k j j j", "DEL k", "RPOP k", "LTRIM k 0 0",
			"SET k v", "INCR k", "LPUSH lua k j", "MULTI c", "EXEC c", "BLPOP c k 1", "EXPIRE k 1"},
		targets: []string{"LLEN k", "LPUSH k j", "RPUSH k j j", "LLEN k"}}
	logStreams = family{name: "log streams", words: map[string][]string{"j": {"j1", "j2"}},
		writes: []string{"XADD k * f j", "XADD k * f j", "XADD k * f j g j", "DEL k", "XDEL k 1-1", "XTRIM k MAXLEN 1",
			"XADD k 5-1 f j", "XADD k MAXLEN 2 * f j", "SET k v", "LPUSH k j"},
		targets: []string{"XLEN k", "XLEN k"}}
)

// TestLengthRuleEqualsBruteForce runs lists and streams used as logs
// through the referee, as TestCounterRuleEqualsBruteForce does counters.
func TestLengthRuleEqualsBruteForce(t *testing.T) {
	for _, fam := range []family{logLists, logStreams} {
		t.Run(fam.name, func(t *testing.T) {
			seeds := scaled(3000, 500)
			refereeRule(t, redis.CounterAnswers, seeds, int64(seeds)/10, func(r *rand.Rand) ([]*formats.Event, *formats.Event) {
				return drawTrace(r, fam, r.Intn(12), 0, one)
			})
		})
	}
}

// pureQueues are lists used as queues: pushes of one element at either
// end and pops without a count at either end, from a few values (so that
// a popped element's value recurs next to it). hotQueues has deletions,
// trims, pushes of several elements, pops with a count, other types'
// writes, scripts, transactions and waiting clients mixed in. The queue
// rule answers their pops and lengths from runs, and must agree with the
// brute force whenever it does.
var (
	pureQueues = family{name: "pure queues", words: map[string][]string{"j": {"j1", "j2", "j2", "j3"}},
		writes:  []string{"LPUSH k j", "LPUSH k j", "LPUSH k j", "RPOP k", "RPOP k", "RPUSH k j", "LPOP k"},
		targets: []string{"RPOP k", "RPOP k", "LPOP k", "LLEN k", "LPUSH k j", "RPUSH k j", "RPOP c k"}}
	hotQueues = family{name: "hot queues", words: pureQueues.words,
		writes: append([]string{"DEL k", "LTRIM k 0 0", "LPUSH k j j", "RPOP k 2", "SET k v", "LPUSH lua k j", "MULTI c", "EXEC c",
			"BLPOP c k 1", "EXPIRE k 1"}, pureQueues.writes...),
		targets: pureQueues.targets}
)

// TestQueueRuleEqualsBruteForce runs the queues through the referee, as
// TestCounterRuleEqualsBruteForce does counters.
func TestQueueRuleEqualsBruteForce(t *testing.T) {
	for _, fam := range []family{pureQueues, hotQueues} {
		t.Run(fam.name, func(t *testing.T) {
			seeds := scaled(3000, 500)
			hot := fam.name == "hot queues"
			least := int64(seeds) / 5
			if hot {
				least = int64(seeds) / 100 // the mixed-in writes make most hot queues the walk's
			}
			refereeRule(t, redis.QueueAnswers, seeds, least, func(r *rand.Rand) ([]*formats.Event, *formats.Event) {
				if hot {
					return drawTrace(r, fam, r.Intn(13), 12, one)
				}
				return drawTrace(r, fam, r.Intn(13), 0, one)
			})
		})
	}
}

// pureStreams are streams used as logs, only ever added to with new
// ids, three requests a millisecond (so that an XADD's sequence number
// counts the ones before it); hotStreams mix in XADDs with ids or
// options, deletions, trims, other types' writes and scripts' calls, and
// put every seventh request a few milliseconds back (times that go back
// in the trace). The XADD rule answers their XADDs from runs, labelled
// not exact (the server's clock), and its witnesses must be the brute
// force's for the model, which takes the clock from the times.
var (
	pureStreams = family{name: "pure streams", words: map[string][]string{"j": {"j1", "j2"}},
		writes:  []string{"XADD k * f j", "XADD k * f j g j"},
		targets: []string{"XADD k * f j"}}
	hotStreams = family{name: "hot streams", words: pureStreams.words,
		writes: []string{"XADD k * f j", "XADD k * f j", "XADD k * f j", "XADD k * f j g j", "XADD k 5-1 f j", "XDEL k 1-1",
			"XTRIM k MAXLEN 1", "XADD k MAXLEN 2 * f j", "DEL k", "SET k v", "XADD lua k * f j", "BLPOP c k 1"},
		targets: []string{"XADD k * f j", "XADD c k * f j"}}
)

// millis gives a request of one key (one) the time of a third of its id
// in milliseconds from the start; back puts every seventh a few
// milliseconds back.
func millis(back bool) func(e *formats.Event) *formats.Event {
	return func(e *formats.Event) *formats.Event {
		e = one(e)
		e.Time = 1795535140000000000 + e.ID/3*1e6
		if back && e.ID%7 == 0 {
			e.Time -= 3e6
		}
		return e
	}
}

// TestStreamRuleEqualsBruteForce runs the streams through the referee.
func TestStreamRuleEqualsBruteForce(t *testing.T) {
	backStreams := pureStreams
	backStreams.name = "pure streams, times going back"
	for _, fam := range []family{pureStreams, backStreams, hotStreams} {
		t.Run(fam.name, func(t *testing.T) {
			seeds := scaled(1000, 300)
			back := fam.name != "pure streams"
			least := int64(seeds) / 2
			if back {
				least = int64(seeds) / 100 // only histories before the first time going back
			}
			refereeRule(t, redis.StreamAnswers, seeds, least, func(r *rand.Rand) ([]*formats.Event, *formats.Event) {
				return drawTrace(r, fam, r.Intn(13), 0, millis(back))
			})
		})
	}
}

// TestCounterRuleAtScale explains the last of 200,000 INCRs of one key
// after a SET: one witness, the SET and every INCR, held as one run, and
// the reply the model gives.
func TestCounterRuleAtScale(t *testing.T) {
	var trace []*formats.Event
	add := func(op string, args ...string) *formats.Event {
		e := &formats.Event{ID: int64(len(trace) + 1), Source: "gen", Line: len(trace) + 1, System: "redis", NS: "0", Client: "10.0.0.1:1", Op: op}
		for _, a := range args {
			e.Args = append(e.Args, []byte(a))
		}
		trace = append(trace, e)
		return e
	}
	add("INCR", "c")
	set := add("SET", "c", "100")
	for i := 0; i < 200000; i++ {
		add("INCR", "c")
	}
	add("INCRBY", "c", "0")
	for i := 0; i < 30; i++ {
		add("INCRBY", "c", "2")
		add("INCR", "c")
	}
	target := add("INCR", "c")
	h := &provenance.MemHistory{Events: trace[:len(trace)-1], Refs: redis.TraceRefs(trace)}
	before := redis.CounterAnswers.Load()
	x, err := redis.Spec.Explain(context.Background(), h, target)
	if err != nil {
		t.Fatal(err)
	}
	if redis.CounterAnswers.Load() != before+1 {
		t.Fatal("the counter rule did not answer")
	}
	if x.Output != ":200191\r\n" || !x.Exact || x.Count().Int64() != 1 {
		t.Fatalf("output %q exact %v count %v", x.Output, x.Exact, x.Count())
	}
	if len(x.Factors) != 1 || len(x.Factors[0]) != 1 || len(x.Factors[0][0]) != 1 || x.Factors[0][0][0] != set {
		t.Fatalf("factors %v: want the SET alone", x.Factors)
	}
	// Two requests, each held as one run from its first: the INCRs and
	// the INCRBY 2s (INCRBY 0 is in no witness).
	if len(x.Held) != 2 || x.Held[0].IDs.Len() != 200030 || x.Held[0].IDs.First() != 3 || x.Held[0].Like != trace[2] ||
		x.Held[1].IDs.Len() != 30 || x.Held[1].Like != trace[200003] {
		t.Fatalf("held %d runs", len(x.Held))
	}
	for _, r := range x.Held {
		for i, id := range r.IDs.Slice() {
			if e := trace[id-1]; r.Stub(i).Op != e.Op || string(r.Stub(i).Args[1%len(e.Args)]) != string(e.Args[1%len(e.Args)]) {
				t.Fatalf("event %d held as %s", id, r.Stub(i).Op)
			}
		}
	}
}
