package redis_test

import (
	"math/rand"
	"reflect"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
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

// TestClosedContract checks Model.Closed against the definition on random
// queue and stream histories of up to 13 requests: where it answers, the
// witnesses its Closure stands for (the fixed events and each way of
// making its choice) must be exactly the minimal closed witnesses
// BruteForce finds, and their count exact.
func TestClosedContract(t *testing.T) {
	m := redis.Model{}
	words := map[string][]string{"j": {"j1", "j2", "j3", "j4", "j5", "j6", "j7", "j8", "j9", "j1", "j2"},
		"i": {"*", "*", "*", "1-1", "9999999999999-1"},
		"d": {"j1", "j1", "j2"}} // few values: runs of equal ones
	shapes := []struct{ writes, targets []string }{
		{[]string{"LPUSH k j", "RPOP k"}, []string{"RPOP k", "LPOP k"}},
		{[]string{"LPUSH k d", "RPOP k"}, []string{"RPOP k"}},
		{[]string{"LPUSH k d", "RPOP k", "PING", "HELLO 3", "HELLO 2"}, []string{"RPOP k", "LLEN k", "LPUSH k j"}},
		{[]string{"RPUSH k d", "RPUSH k d", "LPOP k"}, []string{"LPOP k"}},
		{[]string{"LPUSH k j", "LPUSH k j", "RPOP k"}, []string{"RPOP k"}},
		{[]string{"LPUSH k j", "RPOP k", "RPOP k"}, []string{"RPOP k"}},
		{[]string{"RPUSH k j", "LPOP k"}, []string{"LPOP k", "RPOP k 1"}},
		{[]string{"LPUSH k j", "RPOP k", "RPUSH k j"}, []string{"RPOP k"}},
		{[]string{"LPUSH k j", "RPOP k", "RPUSH k j", "LPOP k"}, []string{"LLEN k", "LPUSH k v", "RPUSH k v v"}},
		{[]string{"LPUSH k j", "RPOP k", "RPOP k"}, []string{"LLEN k", "LPUSH k v"}},
		{[]string{"XADD k * f j"}, []string{"XLEN k", "XADD k * f v"}},
		{[]string{"XADD k i f j", "XADD k * f j", "XADD k MAXLEN 1 * f j"}, []string{"XLEN k", "XADD k * f v", "XADD k NOMKSTREAM * f v", "XADD k 5-* f v"}},
	}
	seeds := scaled(4000, 800)
	answered, several, chosen, more, inert := 0, 0, 0, 0, 0
	byOp := map[string]int{}
	for seed := 0; seed < seeds; seed++ {
		r := rand.New(rand.NewSource(int64(seed)))
		shape := shapes[r.Intn(len(shapes))]
		fam := family{words: words}
		trace, target, want, out := keyHistory(t, r, fam, shape.writes, shape.targets)
		if len(want) > 1 {
			several++
		}
		cl, ok := m.Closed(trace, target, out)
		if !ok {
			continue
		}
		answered++
		byOp[target.Op]++
		for _, e := range trace {
			if e.Op == "PING" || e.Op == "HELLO" {
				inert++
				break
			}
		}
		if len(cl.Choose) > 0 {
			chosen++
		}
		more += len(cl.More)
		checkClosure(t, seed, cl, trace, target, want)
	}
	t.Logf("Closed answered %d of %d histories (%d had several witnesses; %d answers were a choice, %d had another; %d held a PING or HELLO); by target: %v", answered, seeds, several, chosen, more, inert, byOp)
	if chosen == 0 || more == 0 || inert == 0 {
		t.Errorf("Closed never answered with a choice, with two, or over a history with a PING or HELLO (%d, %d, %d)", chosen, more, inert)
	}
	if byOp["RPOP"] == 0 || byOp["LPOP"] == 0 || byOp["LLEN"] == 0 || byOp["LPUSH"] == 0 || byOp["RPUSH"] == 0 || byOp["XLEN"] == 0 || byOp["XADD"] == 0 {
		t.Errorf("Closed never answered for some target: %v", byOp)
	}
	if answered < seeds/4 {
		t.Errorf("Closed answered only %d of %d histories", answered, seeds)
	}
}

// TestClosedPart checks Model.Closed's answers for whether one member of
// a set or field of a hash exists (closedPart: SADD, SREM, SISMEMBER,
// SMISMEMBER, HSET, HSETNX, HEXISTS, HDEL) against the definition on
// random histories of up to 13 calls on the key: the part's sets and
// removals, other parts', deletions of the key and of its database.
func TestClosedPart(t *testing.T) {
	m := redis.Model{}
	fam := family{words: map[string][]string{"m": {"a", "a", "b"}, "u": {"a", "b", "c"}, "w": {"1", "2"}}}
	shapes := []struct{ writes, targets []string }{
		{[]string{"SADD k m", "SADD k m", "SREM k m", "SADD k m u", "SREM k u", "DEL k", "FLUSHDB", "SADD k u", "SPOP k"},
			[]string{"SADD k m", "SREM k m", "SISMEMBER k m", "SMISMEMBER k m"}},
		{[]string{"HSET k m w", "HSET k m w", "HDEL k m", "HSET k u w", "HSETNX k m w", "HDEL k u", "DEL k", "HSET k m w u w", "UNLINK k"},
			[]string{"HSET k m w", "HSETNX k m w", "HEXISTS k m", "HDEL k m"}},
	}
	seeds := scaled(2500, 600)
	answered, several := 0, 0
	byOp := map[string]int{}
	for seed := 0; seed < seeds; seed++ {
		r := rand.New(rand.NewSource(int64(seed)))
		shape := shapes[r.Intn(len(shapes))]
		trace, target, want, out := keyHistory(t, r, fam, shape.writes, shape.targets)
		cl, ok := m.Closed(trace, target, out)
		if !ok {
			continue
		}
		answered++
		byOp[target.Op]++
		if len(want) > 1 {
			several++
		}
		checkClosure(t, seed, cl, trace, target, want)
	}
	t.Logf("Closed answered %d of %d histories (%d with several witnesses); by target: %v", answered, seeds, several, byOp)
	if answered < seeds/4 || several == 0 || len(byOp) < 8 {
		t.Errorf("Closed answered %d of %d histories, %d with several witnesses, for %d targets", answered, seeds, several, len(byOp))
	}
}

// TestClosedUnsubscribe checks Model.Closed's answers for UNSUBSCRIBE and
// PUNSUBSCRIBE of one name against the definition on random histories
// of two clients' subscriptions.
func TestClosedUnsubscribe(t *testing.T) {
	m := redis.Model{}
	fam := family{words: map[string][]string{"h": {"a", "b", "c"}, "p": {"a*", "*", "b"}}}
	writes := []string{"SUBSCRIBE c h", "SUBSCRIBE c h", "UNSUBSCRIBE c h", "PSUBSCRIBE c p", "PUNSUBSCRIBE c p", "PING c",
		"SSUBSCRIBE c h", "SUBSCRIBE c h h", "UNSUBSCRIBE c", "GET h"}
	targets := []string{"UNSUBSCRIBE c h", "PUNSUBSCRIBE c p", "UNSUBSCRIBE c h h"}
	seeds := scaled(3000, 600)
	answered, several := 0, 0
	for seed := 0; seed < seeds; seed++ {
		r := rand.New(rand.NewSource(int64(seed)))
		n := 2 + r.Intn(12)
		var trace []*formats.Event
		for i := 1; i <= n; i++ {
			w := writes[r.Intn(len(writes))]
			if r.Intn(4) > 0 {
				w = writes[r.Intn(6)] // mostly calls Closed answers for
			}
			e := event(r, fam, i, w, 1795535140000000000)
			e.NS = "0"
			trace = append(trace, e)
		}
		target := event(r, fam, n+1, targets[r.Intn(len(targets))], 1795535140000000000)
		target.NS = "0"
		want, out, err := provenance.BruteForce(m, trace, target)
		if err != nil {
			t.Fatal(err)
		}
		cl, ok := m.Closed(trace, target, out)
		if !ok {
			continue
		}
		answered++
		if len(want) > 1 {
			several++
		}
		checkClosure(t, seed, cl, trace, target, want)
	}
	t.Logf("Closed answered %d of %d histories (%d with several witnesses)", answered, seeds, several)
	if answered < seeds/10 || several == 0 {
		t.Errorf("Closed answered %d of %d histories, %d with several witnesses", answered, seeds, several)
	}
}

// keyHistory makes a random history of 2 to 13 of writes, each on key k
// of database 0 (PING, HELLO and calls without arguments keep theirs),
// and a target of targets after it, with the minimal closed witnesses
// (by places in the history) and the output BruteForce finds.
func keyHistory(t *testing.T, r *rand.Rand, fam family, writes, targets []string) ([]*formats.Event, *formats.Event, [][]int, provenance.Output) {
	t.Helper()
	n := 2 + r.Intn(12)
	var trace []*formats.Event
	for i := 1; i <= n; i++ {
		e := event(r, fam, i, writes[r.Intn(len(writes))], 1795535140000000000)
		e.NS = "0"
		if e.Op != "PING" && e.Op != "HELLO" && len(e.Args) > 0 {
			e.Args[0] = []byte("k")
		}
		trace = append(trace, e)
	}
	target := event(r, fam, n+1, targets[r.Intn(len(targets))], 1795535140000000000)
	target.NS, target.Args[0] = "0", []byte("k")
	want, out, err := provenance.BruteForce(redis.Model{}, trace, target)
	if err != nil {
		t.Fatal(err)
	}
	return trace, target, want, out
}

// checkClosure checks a Closure against the witnesses the brute force
// found (want, by places in trace): the fixed events, the first choice,
// the groups of one and the further choices.
func checkClosure(t *testing.T, seed int, cl provenance.Closure, trace []*formats.Event, target *formats.Event, want [][]int) {
	t.Helper()
	at := func(places []int) []*formats.Event {
		var evs []*formats.Event
		for _, i := range places {
			evs = append(evs, trace[i])
		}
		return evs
	}
	x := &provenance.Explanation{Target: target}
	var fixed []*formats.Event
	for i, f := range cl.Fixed {
		if f {
			fixed = append(fixed, trace[i])
		}
	}
	if len(cl.Choose) > 0 {
		x.Choices = append(x.Choices, provenance.Choice{Events: at(cl.Choose), K: cl.K, Caps: cl.Caps})
	}
	for _, g := range cl.OneOf {
		x.Choices = append(x.Choices, provenance.Choice{Events: at(g), K: 1})
	}
	for _, p := range cl.More {
		x.Choices = append(x.Choices, provenance.Choice{Events: at(p.Choose), K: p.K})
	}
	if err := x.SetWitnesses([][]*formats.Event{fixed}); err != nil {
		t.Fatal(err)
	}
	ws, _ := x.Witnesses(1 << 16)
	if got := provenance.WitnessPositions(ws, trace); !reflect.DeepEqual(got, want) || x.Count().Int64() != int64(len(want)) {
		t.Fatalf("seed %d: Closed says %v (%v witnesses); brute force finds %v\n%s", seed, got, x.Count(), want, dump(trace, target))
	}
}
