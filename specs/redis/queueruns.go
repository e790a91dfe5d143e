package redis

import (
	"slices"
	"sort"
	"strconv"
	"sync/atomic"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// A queue's answer from its writes' shapes: a list that is only pushed
// to (one element a push) and popped (no count) is, in the store's
// index, a list of pops (one request, "RPOP queue") and alike pushes
// (LPUSHes of one element each, whatever its value: shapeOf), each
// write's shape one of a few (provenance.ShapeList). The queue rules
// (lengthClosure for a length, queueClosure for a pop) read of a
// history only which events push and which pop, and, for a pop, the
// values of the pushes around the element it takes. So they run here
// over the list of shapes, with only those pushes read whole: an answer
// costs the key's index and a few reads, not its 500,000 requests. The
// answer holds what every witness holds as runs, and its choices of pops
// as stubs (formats.Event.Stub) that the caller reads as far as it shows
// them.

// maxQueueReads bounds the pushes of the taken element's value a pop's
// answer reads whole (its run of equal values): past it, the walk
// answers.
const maxQueueReads = 4096

// queueAnswers counts the rule's answers, for tests.
var queueAnswers atomic.Int64

// queueAnswer answers a list's length (LLEN, a push's reply) or a pop
// without a count (one that finds the list empty as a length of 0) from
// its key's writes' shapes, or returns nil when the rule does not apply
// and the walk answers: a store without shapes, a history with other
// writes than pushes of one element and pops without a count (a DEL,
// LTRIM, LMOVE, an expiry, a script's call, a client waiting on the
// key), a pop whose element's value was pushed more than maxQueueReads
// times in a row, or a history the queue rules decline.
func (w *walk) queueAnswer() (*provenance.Explanation, error) {
	t := w.target
	sh, ok := w.h.(provenance.ShapeHistory)
	if !ok || !plainCall(t) || argsDoubt(t) != "" {
		return nil, nil
	}
	isPop := t.Op == "LPOP" || t.Op == "RPOP"
	switch {
	case (isPop || t.Op == "LLEN") && len(t.Args) == 1:
	case (t.Op == "LPUSH" || t.Op == "RPUSH") && len(t.Args) >= 2:
	default:
		return nil, nil
	}
	if ok, err := w.runsAllowed(); err != nil || !ok {
		return nil, err
	}
	l, ok, err := sh.Shapes(w.ctx, "redis", t.NS, t.Args[0], t.ID)
	if err != nil || !ok {
		return nil, err
	}
	// The request of each shape (its first), read and checked against
	// its shape.
	q := &queueRuns{ids: l.IDs, of: l.Of, likes: make([]*formats.Event, len(l.Shapes)), read: map[int]*formats.Event{}, shown: make([]bool, len(l.IDs))}
	isPush := make([]bool, len(l.Shapes))
	for i, k := range l.Of {
		if q.likes[k] != nil {
			continue
		}
		e, err := w.likeOfID(sh, l.Shapes[k], l.IDs[i])
		if err != nil || e == nil {
			return nil, err
		}
		switch {
		case (e.Op == "LPUSH" || e.Op == "RPUSH") && len(e.Args) == 2:
			isPush[k] = true
		case (e.Op == "LPOP" || e.Op == "RPOP") && len(e.Args) == 1:
		default:
			return nil, nil
		}
		q.likes[k] = e
	}
	q.push = make([]bool, len(l.Of))
	for i, k := range l.Of {
		q.push[i] = isPush[k]
	}
	var out provenance.Output
	var cl provenance.Closure
	if isPop && queueLength(q.push) == 0 {
		// The pop finds the list empty. Its nil is the list's length
		// of 0 before it, in every supertrace of a witness as in the
		// trace: its witnesses are those of an LLEN there (a worker
		// polling an empty queue asks this again and again).
		llen := *t
		llen.Op = "LLEN"
		out = provenance.Output(rNil)
		cl, ok = lengthClosure(q.push, &llen, ":0\r\n")
	} else if isPop {
		pushOp := "LPUSH"
		if t.Op == "LPOP" {
			pushOp = "RPUSH"
		}
		for _, e := range q.likes {
			if e.Op != pushOp && e.Op != t.Op {
				return nil, nil // pushes at both ends, or pops: not a queue
			}
		}
		v := queueTaken(q.push, nil, false)
		if v < 0 {
			return nil, nil // the pop finds the list empty: the walk's
		}
		if ok, err := q.readValueRun(w, sh, v); err != nil || !ok {
			return nil, err
		}
		out = provenance.Output(bulk(q.value(v)))
		cl, ok = queueClosure(q.push, q.value, out)
	} else {
		length := queueLength(q.push)
		if t.Op != "LLEN" {
			length += len(t.Args) - 1
		}
		out = provenance.Output(":" + strconv.Itoa(length) + "\r\n")
		cl, ok = lengthClosure(q.push, t, out)
	}
	if !ok {
		return nil, nil
	}
	x, err := q.explanation(w, sh, cl, out)
	if err != nil || x == nil {
		return nil, err
	}
	return w.runsAnswered(x, &queueAnswers)
}

// queueLength is the length of a list at the end of a history of
// single-element pushes (push marks them) and pops without a count.
func queueLength(push []bool) int {
	// Without a branch on an event's kind (see extremeLengths): a pop of
	// an empty list leaves it empty.
	length := 0
	for _, p := range push {
		length = max(length+2*b2i(p)-1, 0)
	}
	return length
}

// popped tells whether the target asks a list's length (LLEN, a push's
// reply) of a key whose index lists pops among its writes' shapes: the
// queue rule's, which the counter rule would decline only once it had
// read the key's runs (a hot queue's are a run for every two writes).
func (w *walk) popped() bool {
	t := w.target
	sh, ok := w.h.(provenance.ShapeHistory)
	if !ok || len(t.Args) == 0 || t.Op != "LLEN" && t.Op != "LPUSH" && t.Op != "RPUSH" {
		return false
	}
	shapes, err := sh.ShapeSet(w.ctx, "redis", t.NS, t.Args[0], t.ID)
	if err != nil {
		return false // the rules meet it again
	}
	for _, op := range []string{"LPOP", "RPOP"} {
		pop := &formats.Event{System: "redis", NS: t.NS, Client: t.Client, Op: op, Args: t.Args[:1]}
		if slices.Contains(shapes, shapeOf(pop, false)) {
			return true
		}
	}
	return false
}

// queueRuns is a queue's history as the list of its writes' shapes: the
// write at place i has id ids[i], pushes when push[i], and is a request
// like likes[of[i]] (the first of its shape), or read[i] where it was
// read whole. An answer shows as events those whose values it reads
// (shown: the element a pop takes and the pushes of its value next to
// it); the others, as runs.
type queueRuns struct {
	ids   []int64
	of    []uint8
	push  []bool
	likes []*formats.Event
	read  map[int]*formats.Event
	shown []bool
}

// likeAt returns the request of the shape of the event at i.
func (q *queueRuns) likeAt(i int) *formats.Event { return q.likes[q.of[i]] }

// at returns the event at i: as read whole, or its shape's request.
func (q *queueRuns) at(i int) *formats.Event {
	if e, ok := q.read[i]; ok {
		return e
	}
	return q.likeAt(i)
}

// value returns the value the push at i pushes, which must have been
// read whole.
func (q *queueRuns) value(i int) []byte { return q.read[i].Args[1] }

// readValueRun reads whole the push at v and the pushes of its value
// around it, up to the first of another value on each side: all that
// queueClosure reads of the pushes' values. It returns false when they
// are more than maxQueueReads.
func (q *queueRuns) readValueRun(w *walk, rh provenance.RunHistory, v int) (bool, error) {
	if err := q.readAt(w, rh, []int{v}); err != nil {
		return false, err
	}
	q.shown[v] = true
	val := string(q.value(v))
	for _, step := range []int{-1, 1} {
		// Batches of 1, 4, 16 and then 64 pushes, found walking out from
		// v: most runs of one value end at the next push.
		size := 1
		for j := v + step; j >= 0 && j < len(q.push); size = min(size*4, 64) {
			var batch []int
			for ; j >= 0 && j < len(q.push) && len(batch) < size; j += step {
				if q.push[j] {
					batch = append(batch, j)
				}
			}
			if len(batch) == 0 {
				break
			}
			if len(q.read)+len(batch) > maxQueueReads {
				return false, nil
			}
			if err := q.readAt(w, rh, batch); err != nil {
				return false, err
			}
			differs := false
			for _, i := range batch {
				differs = differs || string(q.value(i)) != val
				q.shown[i] = !differs
			}
			if differs {
				break
			}
		}
	}
	return true, nil
}

// readAt reads the events at places whole.
func (q *queueRuns) readAt(w *walk, rh provenance.RunHistory, places []int) error {
	ids := make([]int64, len(places))
	for j, i := range places {
		ids[j] = q.ids[i]
	}
	evs, err := rh.ByID(w.ctx, ids)
	if err != nil {
		return err
	}
	for j, i := range places {
		q.read[i] = evs[j]
	}
	return nil
}

// A runPack is the ids of one of a queue answer's runs, read from the
// key's list as they are asked for (provenance.IDSeeker): those of the
// writes held of one shape.
type runPack struct {
	ids   []int64
	of    []uint8
	held  []bool
	shape uint8
	// pos is the place of the write Seek found last, and at its place in
	// the run (-1: none yet).
	pos, at int
}

// has tells whether the run holds the write at place i.
func (p *runPack) has(i int) bool { return p.held[i] && p.of[i] == p.shape }

// Unpack implements provenance.IDPack.
func (p *runPack) Unpack(dst []int64) []int64 {
	for i, id := range p.ids {
		if p.has(i) {
			dst = append(dst, id)
		}
	}
	return dst
}

// Seek implements provenance.IDSeeker: it walks on from the last id it
// found, or from the start for an earlier one.
func (p *runPack) Seek(n int) int64 {
	if n < p.at {
		p.pos, p.at = -1, -1
	}
	for p.at < n {
		p.pos++
		if p.has(p.pos) {
			p.at++
		}
	}
	return p.ids[p.pos]
}

// explanation makes the Explanation of a closure of q's history, as
// provenance.Explain makes one of a Walk's: what every witness holds (the
// fixed events, and those every way of making a choice holds) as runs of
// one request each, or as events where the answer reads their values
// (shown); a choice of one event from a few as a factor of events read
// whole; other choices as choices of stubs.
func (q *queueRuns) explanation(w *walk, rh provenance.RunHistory, cl provenance.Closure, out provenance.Output) (*provenance.Explanation, error) {
	x := &provenance.Explanation{Target: w.target, Exact: true, Output: out}
	every := make([]bool, len(q.push))
	copy(every, cl.Fixed)
	// A choice's events as stubs of their requests (Stubs), but for
	// those whose values the answer reads, which it holds whole. A
	// shape's request is held as a stub of itself, so that its own event
	// is a stub like the others of its run.
	stubs := make([]*formats.Event, len(q.likes)) // by shape
	at := func(places []int) provenance.Choice {
		s := &provenance.Stubs{IDs: make([]int64, len(places)), Of: make([]int32, len(places))}
		add := func(e *formats.Event, keyOnly bool) int32 {
			s.Likes, s.KeyOnly = append(s.Likes, e), append(s.KeyOnly, keyOnly)
			return int32(len(s.Likes) - 1)
		}
		// Each shape's stub's place in s.Likes, plus one (0: none yet):
		// a hot queue's choice holds 240,000 pops of one or two shapes.
		byShape := make([]int32, len(q.likes))
		for j, i := range places {
			var k int32
			if q.shown[i] {
				k = add(q.at(i), false) // read whole: its own
			} else {
				sh := q.of[i]
				if byShape[sh] == 0 {
					like := q.likes[sh]
					if stubs[sh] == nil {
						st := like.StubAt(like.ID, false)
						stubs[sh] = &st
					}
					// A push's value is another's.
					byShape[sh] = add(stubs[sh], like.Op == "LPUSH" || like.Op == "RPUSH") + 1
				}
				k = byShape[sh] - 1
			}
			s.IDs[j], s.Of[j] = q.ids[i], k
		}
		return provenance.Choice{Stubs: s}
	}
	place := func(id int64) int { return sort.Search(len(q.ids), func(i int) bool { return q.ids[i] >= id }) }
	// Each choice settled over places, and only what is left of it made
	// stubs of.
	type pick struct {
		places []int
		k      int
		caps   []int
		rule   string
	}
	var picks []pick
	if len(cl.Choose) > 0 {
		picks = append(picks, pick{cl.Choose, cl.K, cl.Caps, cl.Rule})
	}
	for _, g := range cl.OneOf {
		picks = append(picks, pick{places: g, k: 1})
	}
	for _, p := range cl.More {
		picks = append(picks, pick{places: p.Choose, k: p.K})
	}
	var ones []provenance.Factor
	for _, p := range picks {
		rest, err := provenance.SettlePlaces(p.places, p.k, p.caps, p.rule, func(i int) { every[i] = true }, at)
		if err != nil {
			return nil, err
		}
		switch {
		case rest.K == 0:
		case rest.K == 1 && rest.Caps == nil && rest.Len() <= maxQueueReads:
			// One of a few: a factor like any other, read whole.
			var places []int
			for i := range rest.Len() {
				places = append(places, place(rest.ID(i)))
			}
			if err := q.readAt(w, rh, places); err != nil {
				return nil, err
			}
			for _, i := range places {
				q.shown[i] = true
			}
			var f provenance.Factor
			for _, i := range places {
				f = append(f, []*formats.Event{q.at(i)})
			}
			ones = append(ones, f)
		default:
			x.Choices = append(x.Choices, rest)
		}
	}
	// Every witness's events: those whose values it reads as they are,
	// the others as runs of their requests, one a shape, each shown from
	// its first. A run's ids are read from q's as they are asked for
	// (runPack): a hot queue's two runs hold 290,000 ids, which as lists
	// made 2.3 MB, where a default answer lists a thousand.
	var wit []*formats.Event
	type stretch struct {
		n           int
		first, last int64
	}
	runs := make([]stretch, len(q.likes)) // by shape
	for i, in := range every {
		switch {
		case !in:
		case q.shown[i]:
			wit = append(wit, q.at(i))
			every[i] = false // every now marks what the runs hold
		default:
			r := &runs[q.of[i]]
			if r.n == 0 {
				r.first = q.ids[i]
			}
			r.last, r.n = q.ids[i], r.n+1
		}
	}
	for sh, r := range runs {
		if r.n == 0 {
			continue
		}
		run := provenance.Run{Like: q.likes[sh], IDs: provenance.PackedIDs(r.first, r.last, r.n,
			&runPack{ids: q.ids, of: q.of, held: every, shape: uint8(sh), pos: -1, at: -1})}
		if run.Like.Op == "LPUSH" || run.Like.Op == "RPUSH" {
			run.Alike = alikePushes(1)
		}
		x.Held = append(x.Held, run)
	}
	// The runs in the order of their first events.
	sort.Slice(x.Held, func(a, b int) bool { return x.Held[a].IDs.First() < x.Held[b].IDs.First() })
	var firsts []int64
	for _, r := range x.Held {
		firsts = append(firsts, r.IDs.First())
	}
	if len(firsts) > 0 {
		evs, err := rh.ByID(w.ctx, firsts)
		if err != nil {
			return nil, err
		}
		for k := range x.Held {
			x.Held[k].Like = evs[k]
		}
	}
	if err := x.SetWitnesses([][]*formats.Event{wit}); err != nil {
		return nil, err
	}
	x.Factors = append(x.Factors, ones...)
	x.Notes = append(x.Notes, noteCaptureStart)
	return x, nil
}
