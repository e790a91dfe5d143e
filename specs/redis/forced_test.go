package redis_test

import (
	"context"
	"math/big"
	"math/rand"
	"reflect"
	"strconv"
	"strings"
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
	answered, several, chosen, more := 0, 0, 0, 0
	byOp := map[string]int{}
	for seed := 0; seed < seeds; seed++ {
		r := rand.New(rand.NewSource(int64(seed)))
		shape := shapes[r.Intn(len(shapes))]
		fam := family{words: words}
		n := 2 + r.Intn(12)
		var trace []*formats.Event
		for i := 1; i <= n; i++ {
			e := event(r, fam, i, shape.writes[r.Intn(len(shape.writes))], 1795535140000000000)
			e.NS, e.Args[0] = "0", []byte("k")
			trace = append(trace, e)
		}
		target := event(r, fam, n+1, shape.targets[r.Intn(len(shape.targets))], 1795535140000000000)
		target.NS, target.Args[0] = "0", []byte("k")
		want, out, err := provenance.BruteForce(m, trace, target)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) > 1 {
			several++
		}
		cl, ok := m.Closed(trace, target, out)
		if !ok {
			continue
		}
		answered++
		byOp[target.Op]++
		x := &provenance.Explanation{Target: target}
		var fixed []*formats.Event
		for i, f := range cl.Fixed {
			if f {
				fixed = append(fixed, trace[i])
			}
		}
		if len(cl.Choose) > 0 {
			chosen++
			ch := provenance.Choice{K: cl.K, Caps: cl.Caps}
			for _, i := range cl.Choose {
				ch.Events = append(ch.Events, trace[i])
			}
			x.Choices = []provenance.Choice{ch}
		}
		for _, p := range cl.More {
			more++
			ch := provenance.Choice{K: p.K}
			for _, i := range p.Choose {
				ch.Events = append(ch.Events, trace[i])
			}
			x.Choices = append(x.Choices, ch)
		}
		if err := x.SetWitnesses([][]*formats.Event{fixed}); err != nil {
			t.Fatal(err)
		}
		ws, _ := x.Witnesses(1 << 16)
		if got := provenance.WitnessPositions(ws, trace); !reflect.DeepEqual(got, want) || x.Count().Int64() != int64(len(want)) {
			t.Fatalf("seed %d: Closed says %v (%v witnesses); brute force finds %v\n%s", seed, got, x.Count(), want, dump(trace, target))
		}
	}
	t.Logf("Closed answered %d of %d histories (%d had several witnesses; %d answers were a choice, %d had another); by target: %v", answered, seeds, several, chosen, more, byOp)
	if chosen == 0 || more == 0 {
		t.Errorf("Closed never answered with a choice, or never with two")
	}
	if byOp["RPOP"] == 0 || byOp["LPOP"] == 0 || byOp["LLEN"] == 0 || byOp["LPUSH"] == 0 || byOp["RPUSH"] == 0 || byOp["XLEN"] == 0 || byOp["XADD"] == 0 {
		t.Errorf("Closed never answered for some target: %v", byOp)
	}
	if answered < seeds/4 {
		t.Errorf("Closed answered only %d of %d histories", answered, seeds)
	}
}

// TestSameValueQueue is the example of witnesses too many to
// list: 100,000 pushes of one value, 50,000 pops, and a pop that takes
// the value. Any 50,001 of the pushes are a witness (the pops are in
// none: with all of them added, 50,001 pushes still leave one element),
// C(100000, 50001) of them, counted exactly.
func TestSameValueQueue(t *testing.T) {
	var trace []*formats.Event
	add := func(op string, args ...string) *formats.Event {
		e := &formats.Event{ID: int64(len(trace) + 1), Source: "gen", Line: len(trace) + 1, System: "redis", NS: "0",
			Time: 1795535140000000000 + int64(len(trace))*1e6, Op: op, Client: "10.0.0.1:4000"}
		for _, a := range append([]string{"queue"}, args...) {
			e.Args = append(e.Args, []byte(a))
		}
		return e
	}
	for range 100000 {
		trace = append(trace, add("LPUSH", "x"))
	}
	for range 50000 {
		trace = append(trace, add("RPOP"))
	}
	pop := add("RPOP")
	h := &provenance.MemHistory{Events: append(append([]*formats.Event(nil), trace...), pop), Refs: redis.TraceRefs(trace)}
	x, err := redis.Spec.Explain(context.Background(), h, pop)
	if err != nil {
		t.Fatal(err)
	}
	n, counted := x.Counted()
	if !x.Exact || len(x.Factors) != 0 || len(x.Choices) != 1 || x.Choices[0].K != 50001 || len(x.Choices[0].Events) != 100000 ||
		!counted || n.Cmp(new(big.Int).Binomial(100000, 50001)) != 0 {
		t.Fatalf("exact %v, %d factors, %d choices, %v witnesses (counted %v): %q", x.Exact, len(x.Factors), len(x.Choices), n, counted, x.Notes)
	}
	checkQueueWitness(t, rand.New(rand.NewSource(1)), trace, pop, x)
}

// checkQueueWitness checks one witness of x, an answer for target, a
// push or pop of the queue whose history is trace: the events every
// witness holds and the first way of making each choice. The extremes
// bound every superset of it (see closedLength and closedQueue): with
// every push added and with every pop added, the output must be the
// same, and a pop must take a push of a run of pushes of its value
// (every push between the two it takes then has that value). Leaving
// out any one of its events must break that, for a sample of them. It
// returns how many events the witness holds.
func checkQueueWitness(t *testing.T, r *rand.Rand, trace []*formats.Event, target *formats.Event, x *provenance.Explanation) int {
	t.Helper()
	in := map[*formats.Event]bool{}
	for _, f := range x.Factors {
		for _, e := range f[0] {
			in[e] = true
		}
	}
	for _, c := range x.Choices {
		for _, e := range c.Expand(1)[0] {
			in[e] = true
		}
	}
	m := redis.Model{}
	// replay returns the output and, for a pop, the place of the push
	// whose element it takes (-1: none).
	replay := func(keep func(e *formats.Event) bool) (provenance.Output, int) {
		var sub []*formats.Event
		var queue []int
		for i, e := range trace {
			if !keep(e) {
				continue
			}
			sub = append(sub, e)
			switch {
			case e.Op == "LPUSH":
				queue = append(queue, i)
			case len(queue) > 0:
				queue = queue[1:]
			}
		}
		took := -1
		if len(queue) > 0 {
			took = queue[0]
		}
		return provenance.Replay(m, sub, target), took
	}
	closed := func(in func(e *formats.Event) bool) bool {
		o1, k1 := replay(func(e *formats.Event) bool { return in(e) || e.Op == "LPUSH" })
		o2, k2 := replay(func(e *formats.Event) bool { return in(e) || e.Op == "RPOP" })
		if o1 != x.Output || o2 != x.Output {
			return false
		}
		if target.Op == "RPOP" {
			for i := k1; i <= k2; i++ {
				if e := trace[i]; e.Op == "LPUSH" && string(e.Args[1]) != string(trace[k1].Args[1]) {
					return false
				}
			}
		}
		return true
	}
	if !closed(func(e *formats.Event) bool { return in[e] }) {
		t.Fatal("a witness of the answer is not closed")
	}
	var held []*formats.Event
	for _, e := range trace {
		if in[e] {
			held = append(held, e)
		}
	}
	for i := 0; i < 40 && len(held) > 0; i++ {
		out := held[r.Intn(len(held))]
		if closed(func(e *formats.Event) bool { return in[e] && e != out }) {
			t.Fatalf("the witness without line %d (%s) is still closed: it was not minimal", out.Line, out.Op)
		}
	}
	return len(held)
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
		x := &provenance.Explanation{Target: target}
		var fixed []*formats.Event
		for i, f := range cl.Fixed {
			if f {
				fixed = append(fixed, trace[i])
			}
		}
		for _, g := range cl.OneOf {
			ch := provenance.Choice{K: 1}
			for _, i := range g {
				ch.Events = append(ch.Events, trace[i])
			}
			x.Choices = append(x.Choices, ch)
		}
		if err := x.SetWitnesses([][]*formats.Event{fixed}); err != nil {
			t.Fatal(err)
		}
		ws, _ := x.Witnesses(1 << 16)
		if got := provenance.WitnessPositions(ws, trace); !reflect.DeepEqual(got, want) || x.Count().Int64() != int64(len(want)) {
			t.Fatalf("seed %d: Closed says %v (%v witnesses); brute force finds %v\n%s", seed, got, x.Count(), want, dump(trace, target))
		}
	}
	t.Logf("Closed answered %d of %d histories (%d with several witnesses)", answered, seeds, several)
	if answered < seeds/10 || several == 0 {
		t.Errorf("Closed answered %d of %d histories, %d with several witnesses", answered, seeds, several)
	}
}

// TestQueueLengthAtScale explains a push's reply on a queue as long as
// a hot one in production (200,000 pushes and pops in a random walk,
// so that most pops are interchangeable) and checks that the answer is
// exact, and that a random witness of it is one: the output is the
// same with every push added and with every pop added (which bounds
// every superset, see closedLength), and leaving out any one event of
// it breaks that, for a sample of the events.
func TestQueueLengthAtScale(t *testing.T) {
	const n = 200000
	r := rand.New(rand.NewSource(1))
	var trace []*formats.Event
	add := func(op string, args ...string) *formats.Event {
		e := &formats.Event{ID: int64(len(trace) + 1), Source: "gen", Line: len(trace) + 1, System: "redis", NS: "0",
			Time: 1795535140000000000 + int64(len(trace))*1e6, Op: op, Client: "10.0.0.1:4000"}
		for _, a := range append([]string{"queue"}, args...) {
			e.Args = append(e.Args, []byte(a))
		}
		return e
	}
	for len(trace) < n {
		// Pops a little more often in the first half, so that the
		// queue is often empty then (and many pops take nothing).
		if r.Intn(100) < 50-2*(n-len(trace))/n*3 {
			trace = append(trace, add("LPUSH", "job"+strconv.Itoa(r.Intn(1000))))
		} else {
			trace = append(trace, add("RPOP"))
		}
	}
	target := add("LPUSH", "last")
	h := &provenance.MemHistory{Events: append(append([]*formats.Event(nil), trace...), target), Refs: redis.TraceRefs(trace)}
	x, err := redis.Spec.Explain(context.Background(), h, target)
	if err != nil {
		t.Fatal(err)
	}
	if !x.Exact || x.FellBack || len(x.Choices) != 1 {
		t.Fatalf("exact %v, fell back %v, %d choices: %v", x.Exact, x.FellBack, len(x.Choices), x.Notes)
	}
	count, counted := x.Counted()
	if count.Sign() <= 0 {
		t.Fatalf("%v witnesses", count)
	}
	held := checkQueueWitness(t, r, trace, target, x)
	t.Logf("%d events held of %d; %d-digit count, counted exactly: %v", held, n, len(count.String()), counted)

	// A pop of the same queue takes a value pushed hundreds of times,
	// but not by the push after it: exact.
	pop := add("RPOP")
	h = &provenance.MemHistory{Events: append(append([]*formats.Event(nil), trace...), pop), Refs: redis.TraceRefs(trace)}
	if x, err = redis.Spec.Explain(context.Background(), h, pop); err != nil {
		t.Fatal(err)
	}
	if !x.Exact || x.FellBack {
		t.Fatalf("a pop of a value pushed before: exact %v, notes %q", x.Exact, x.Notes)
	}
	held = checkQueueWitness(t, r, trace, pop, x)
	t.Logf("a pop of %s: %d events held", x.Output, held)

	// One whose element's value the next push repeats: 400 pushes, two of
	// one value, 400 pops; any 401 of the 402 pushes keep one element for
	// the target.
	trace = nil
	for range 400 {
		trace = append(trace, add("LPUSH", "job"+strconv.Itoa(len(trace))))
	}
	trace = append(trace, add("LPUSH", "twice"))
	trace = append(trace, add("LPUSH", "twice"))
	for range 400 {
		trace = append(trace, add("RPOP"))
	}
	pop = add("RPOP")
	h = &provenance.MemHistory{Events: append(append([]*formats.Event(nil), trace...), pop), Refs: redis.TraceRefs(trace)}
	if x, err = redis.Spec.Explain(context.Background(), h, pop); err != nil {
		t.Fatal(err)
	}
	if n, _ := x.Counted(); !x.Exact || n.Int64() != 402 {
		t.Fatalf("a pop of a value the next push repeats: exact %v, %v witnesses, notes %q", x.Exact, n, x.Notes)
	}
	checkQueueWitness(t, r, trace, pop, x)
	// A queue of one value, two pushes and a pop at a time: the pushes
	// that keep it from being empty can be few (the last two) or many,
	// which one rule does not hold; the labelled answer says so.
	trace = nil
	for range 300 {
		trace = append(trace, add("LPUSH", "x"))
		trace = append(trace, add("LPUSH", "x"))
		trace = append(trace, add("RPOP"))
	}
	pop = add("RPOP")
	h = &provenance.MemHistory{Events: append(append([]*formats.Event(nil), trace...), pop), Refs: redis.TraceRefs(trace)}
	if x, err = redis.Spec.Explain(context.Background(), h, pop); err != nil {
		t.Fatal(err)
	}
	if x.Exact || !strings.Contains(strings.Join(x.Notes, "\n"), "can be as few as") {
		t.Fatalf("a queue of one value: exact %v, output %s, notes %q", x.Exact, x.Output, x.Notes)
	}
}
