package redis_test

import (
	"context"
	"fmt"
	"math/big"
	"math/rand"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/redis"
)

// queueEvent makes the event after n others of a queue's history: a
// request to the key "queue" in database 0, a millisecond after the last.
func queueEvent(n int, op string, args ...string) *formats.Event {
	e := &formats.Event{ID: int64(n + 1), Source: "gen", Line: n + 1, System: "redis", NS: "0",
		Time: 1795535140000000000 + int64(n)*1e6, Op: op, Client: "10.0.0.1:4000"}
	for _, a := range append([]string{"queue"}, args...) {
		e.Args = append(e.Args, []byte(a))
	}
	return e
}

// explainLast explains target, the request after trace, with the Redis
// spec over trace.
func explainLast(t *testing.T, trace []*formats.Event, target *formats.Event) *provenance.Explanation {
	t.Helper()
	h := &provenance.MemHistory{Events: append(append([]*formats.Event(nil), trace...), target), Refs: redis.TraceRefs(trace)}
	x, err := redis.Spec.Explain(context.Background(), h, target)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// TestSameValueQueue is the example of witnesses too many to
// list: 100,000 pushes of one value, 50,000 pops, and a pop that takes
// the value. Any 50,001 of the pushes are a witness (the pops are in
// none: with all of them added, 50,001 pushes still leave one element),
// C(100000, 50001) of them, counted exactly.
func TestSameValueQueue(t *testing.T) {
	var trace []*formats.Event
	add := func(op string, args ...string) *formats.Event { return queueEvent(len(trace), op, args...) }
	for range 100000 {
		trace = append(trace, add("LPUSH", "x"))
	}
	for range 50000 {
		trace = append(trace, add("RPOP"))
	}
	pop := add("RPOP")
	x := explainLast(t, trace, pop)
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
	in := map[int64]bool{} // by ID: the answer's events may be the store's copies
	for _, f := range x.Factors {
		for _, e := range f[0] {
			in[e.ID] = true
		}
	}
	for _, c := range x.Choices {
		for _, e := range c.Expand(1)[0] {
			in[e.ID] = true
		}
	}
	for _, id := range x.HeldIDs(-1) {
		in[id] = true
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
			case e.Op == "RPOP" && len(queue) > 0:
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
		if target.Op == "RPOP" && k1 >= 0 && k2 >= 0 {
			for i := k1; i <= k2; i++ {
				if e := trace[i]; e.Op == "LPUSH" && string(e.Args[1]) != string(trace[k1].Args[1]) {
					return false
				}
			}
		}
		return true
	}
	if !closed(func(e *formats.Event) bool { return in[e.ID] }) {
		t.Fatal("a witness of the answer is not closed")
	}
	var held []*formats.Event
	for _, e := range trace {
		if in[e.ID] {
			held = append(held, e)
		}
	}
	for i := 0; i < 40 && len(held) > 0; i++ {
		out := held[r.Intn(len(held))]
		if closed(func(e *formats.Event) bool { return in[e.ID] && e != out }) {
			t.Fatalf("the witness without line %d (%s) is still closed: it was not minimal", out.Line, out.Op)
		}
	}
	return len(held)
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
	add := func(op string, args ...string) *formats.Event { return queueEvent(len(trace), op, args...) }
	for len(trace) < n {
		// Pops a little more often in the first half, so that the
		// queue is often empty then (and many pops take nothing).
		if r.Intn(100) < 50-2*(n-len(trace))/n*3 {
			trace = append(trace, add("LPUSH", fmt.Sprint("job", r.Intn(1000))))
		} else {
			trace = append(trace, add("RPOP"))
		}
	}
	target := add("LPUSH", "last")
	x := explainLast(t, trace, target)
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
	x = explainLast(t, trace, pop)
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
		trace = append(trace, add("LPUSH", fmt.Sprint("job", len(trace))))
	}
	trace = append(trace, add("LPUSH", "twice"))
	trace = append(trace, add("LPUSH", "twice"))
	for range 400 {
		trace = append(trace, add("RPOP"))
	}
	pop = add("RPOP")
	x = explainLast(t, trace, pop)
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
	x = explainLast(t, trace, pop)
	if x.Exact || !hasNote(x, "can be as few as") {
		t.Fatalf("a queue of one value: exact %v, output %s, notes %q", x.Exact, x.Output, x.Notes)
	}
}
