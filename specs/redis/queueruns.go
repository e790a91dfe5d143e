package redis

import (
	"sort"
	"strconv"
	"sync/atomic"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// A queue's answer from its runs: a list that is only pushed to (one
// element a push) and popped (no count) is, in the store's index, runs
// of pops (one request, "RPOP queue") and of alike pushes (LPUSHes of one
// element each, whatever its value: shapeOf). The queue rules
// (closedLength for a length, closedQueue for a pop) read of a history
// only which events push at which end and which pop, and, for a pop, the
// values of the pushes around the element it takes. So they run here
// over a history made of one event per shape, with only those pushes
// read whole: an answer costs the key's index and a few reads, not its
// 500,000 requests. The answer holds what every witness holds as runs,
// and its choices of pops as stubs (formats.Event.Stub) that the caller
// reads as far as it shows them.

// maxQueueReads bounds the pushes of the taken element's value a pop's
// answer reads whole (its run of equal values): past it, the walk
// answers.
const maxQueueReads = 4096

// queueAnswers counts the rule's answers, for tests.
var queueAnswers atomic.Int64

// queueAnswer answers a list's length (LLEN, a push's reply) or a pop
// without a count from its key's runs, or returns nil when the rule does
// not apply and the walk answers: a store without shapes, a history with
// other writes than pushes of one element and pops without a count (a
// DEL, LTRIM, LMOVE, an expiry, a script's call, a client waiting on the
// key), a pop of an empty list, a pop whose element's value was pushed
// more than maxQueueReads times in a row, or a history the queue rules
// decline.
func (w *walk) queueAnswer() (*provenance.Explanation, error) {
	t := w.target
	rh, ok := w.h.(provenance.RunHistory)
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
	runs, ok, err := w.keyRuns(rh)
	if err != nil || !ok {
		return nil, err
	}
	// One request of each shape, read and checked against its shape.
	likes := map[uint64]*formats.Event{}
	n := 0
	for _, r := range runs {
		n += r.IDs.Len()
		if _, ok := likes[r.Shape]; ok {
			continue
		}
		e, err := w.likeOf(rh, r)
		if err != nil || e == nil {
			return nil, err
		}
		switch {
		case (e.Op == "LPUSH" || e.Op == "RPUSH") && len(e.Args) == 2:
		case (e.Op == "LPOP" || e.Op == "RPOP") && len(e.Args) == 1:
		default:
			return nil, nil
		}
		likes[r.Shape] = e
	}
	q := &queueRuns{hist: make([]*formats.Event, 0, n), ids: make([]int64, 0, n), like: map[int]*formats.Event{}, shown: map[int]bool{}}
	for _, r := range runs {
		e := likes[r.Shape]
		for _, id := range r.IDs.Slice() {
			q.hist = append(q.hist, e)
			q.ids = append(q.ids, id)
		}
	}
	var out provenance.Output
	var cl provenance.Closure
	if isPop {
		pushOp := "LPUSH"
		if t.Op == "LPOP" {
			pushOp = "RPUSH"
		}
		for _, e := range likes {
			if e.Op != pushOp && e.Op != t.Op {
				return nil, nil // pushes at both ends, or pops: not a queue
			}
		}
		v := queueTaken(pushMask(q.hist, pushOp), nil, false)
		if v < 0 {
			return nil, nil // the pop finds the list empty: the walk's
		}
		if ok, err := q.readValueRun(w, rh, v, pushOp); err != nil || !ok {
			return nil, err
		}
		out = provenance.Output(bulk(q.hist[v].Args[1]))
		cl, ok = closedQueue(q.hist, t, out)
	} else {
		length := 0
		for _, e := range q.hist {
			switch {
			case e.Op == "LPUSH" || e.Op == "RPUSH":
				length++
			case length > 0:
				length--
			}
		}
		if t.Op != "LLEN" {
			length += len(t.Args) - 1
		}
		out = provenance.Output(":" + strconv.Itoa(length) + "\r\n")
		cl, ok = closedLength(q.hist, t, out)
	}
	if !ok {
		return nil, nil
	}
	x, err := q.explanation(w, rh, cl, out)
	if err != nil || x == nil {
		return nil, err
	}
	return w.runsAnswered(x, &queueAnswers)
}

// queueRuns is a queue's history made from its runs: hist[i] is the
// request of ids[i]'s shape (its first), or the event itself where it
// was read whole (like then keeps its shape's request). An answer shows
// as events those whose values it reads (shown: the element a pop takes
// and the pushes of its value next to it); the others, as runs.
type queueRuns struct {
	hist  []*formats.Event
	ids   []int64
	like  map[int]*formats.Event
	shown map[int]bool
}

// likeAt returns the request of the shape of the event at i.
func (q *queueRuns) likeAt(i int) *formats.Event {
	if e, ok := q.like[i]; ok {
		return e
	}
	return q.hist[i]
}

// readValueRun reads whole the push at v and the pushes of its value
// around it, up to the first of another value on each side: all that
// closedQueue reads of the pushes' values. It returns false when they are
// more than maxQueueReads.
func (q *queueRuns) readValueRun(w *walk, rh provenance.RunHistory, v int, pushOp string) (bool, error) {
	if err := q.read(w, rh, []int{v}); err != nil {
		return false, err
	}
	q.shown[v] = true
	val := string(q.hist[v].Args[1])
	for _, step := range []int{-1, 1} {
		// Batches of 1, 4, 16 and then 64 pushes, found walking out from
		// v: most runs of one value end at the next push.
		size := 1
		for j := v + step; j >= 0 && j < len(q.hist); size = min(size*4, 64) {
			var batch []int
			for ; j >= 0 && j < len(q.hist) && len(batch) < size; j += step {
				if q.hist[j].Op == pushOp {
					batch = append(batch, j)
				}
			}
			if len(batch) == 0 {
				break
			}
			if len(q.like)+len(batch) > maxQueueReads {
				return false, nil
			}
			if err := q.read(w, rh, batch); err != nil {
				return false, err
			}
			differs := false
			for _, i := range batch {
				differs = differs || string(q.hist[i].Args[1]) != val
				q.shown[i] = !differs
			}
			if differs {
				break
			}
		}
	}
	return true, nil
}

// read reads the events at places whole.
func (q *queueRuns) read(w *walk, rh provenance.RunHistory, places []int) error {
	ids := make([]int64, len(places))
	for j, i := range places {
		ids[j] = q.ids[i]
	}
	evs, err := rh.ByID(w.ctx, ids)
	if err != nil {
		return err
	}
	for j, i := range places {
		if _, ok := q.like[i]; !ok {
			q.like[i] = q.hist[i]
		}
		q.hist[i] = evs[j]
	}
	return nil
}

// explanation makes the Explanation of a closure of q's history, as
// provenance.Explain makes one of a Walk's: what every witness holds (the
// fixed events, and those every way of making a choice holds) as runs of
// one request each, or as events where the answer reads their values
// (shown); a choice of one event from a few as a factor of events read
// whole; other choices as choices of stubs.
func (q *queueRuns) explanation(w *walk, rh provenance.RunHistory, cl provenance.Closure, out provenance.Output) (*provenance.Explanation, error) {
	x := &provenance.Explanation{Target: w.target, Exact: true, Output: out}
	every := make([]bool, len(q.hist))
	copy(every, cl.Fixed)
	// A choice's events as stubs of their requests (Stubs), but for
	// those whose values the answer reads, which it holds whole. A
	// shape's request is held as a stub of itself, so that its own event
	// is a stub like the others of its run.
	stubs := map[*formats.Event]*formats.Event{}
	at := func(places []int) provenance.Choice {
		s := &provenance.Stubs{IDs: make([]int64, len(places)), Of: make([]int32, len(places))}
		likes := map[*formats.Event]int32{}
		for j, i := range places {
			e := q.hist[i]
			keyOnly := false
			if !q.shown[i] {
				like := q.likeAt(i)
				keyOnly = like.Op == "LPUSH" || like.Op == "RPUSH" // its value is another's
				if e = stubs[like]; e == nil {
					st := like.StubAt(like.ID, false)
					e = &st
					stubs[like] = e
				}
			}
			k, ok := likes[e]
			if !ok {
				k = int32(len(s.Likes))
				likes[e] = k
				s.Likes, s.KeyOnly = append(s.Likes, e), append(s.KeyOnly, keyOnly)
			}
			s.IDs[j], s.Of[j] = q.ids[i], k
		}
		return provenance.Choice{Stubs: s}
	}
	place := func(id int64) int { return sort.Search(len(q.ids), func(i int) bool { return q.ids[i] >= id }) }
	var choices []provenance.Choice
	if len(cl.Choose) > 0 {
		c := at(cl.Choose)
		c.K, c.Caps, c.Rule = cl.K, cl.Caps, cl.Rule
		choices = append(choices, c)
	}
	for _, g := range cl.OneOf {
		c := at(g)
		c.K = 1
		choices = append(choices, c)
	}
	for _, p := range cl.More {
		c := at(p.Choose)
		c.K = p.K
		choices = append(choices, c)
	}
	var ones []provenance.Factor
	for _, c := range choices {
		always, rest, err := c.Settle()
		if err != nil {
			return nil, err
		}
		// always is increasing, and so are its ids: one walk finds
		// their places.
		j := 0
		for _, i := range always {
			id := c.ID(i)
			for j < len(q.ids) && q.ids[j] < id {
				j++
			}
			every[j] = true
		}
		switch {
		case rest.K == 0:
		case rest.K == 1 && rest.Caps == nil && rest.Len() <= maxQueueReads:
			// One of a few: a factor like any other, read whole.
			var places []int
			for i := range rest.Len() {
				places = append(places, place(rest.ID(i)))
			}
			if err := q.read(w, rh, places); err != nil {
				return nil, err
			}
			for _, i := range places {
				q.shown[i] = true
			}
			var f provenance.Factor
			for _, i := range places {
				f = append(f, []*formats.Event{q.hist[i]})
			}
			ones = append(ones, f)
		default:
			x.Choices = append(x.Choices, rest)
		}
	}
	// Every witness's events: those whose values it reads as they are,
	// the others as runs of their requests, each shown from its first.
	var wit []*formats.Event
	byLike := map[*formats.Event]int{}
	var held [][]int64 // each run's ids
	for i, in := range every {
		switch {
		case !in:
		case q.shown[i]:
			wit = append(wit, q.hist[i])
		default:
			like := q.likeAt(i)
			k, ok := byLike[like]
			if !ok {
				k = len(x.Held)
				byLike[like] = k
				r := provenance.Run{Like: like}
				if r.Like.Op == "LPUSH" || r.Like.Op == "RPUSH" {
					r.Alike = alikePushes(1)
				}
				x.Held, held = append(x.Held, r), append(held, nil)
			}
			held[k] = append(held[k], q.ids[i])
		}
	}
	var firsts []int64
	for k := range x.Held {
		x.Held[k].IDs = provenance.IDsOf(held[k])
		firsts = append(firsts, held[k][0])
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
