package redis

import (
	"fmt"
	"math"
	"strconv"
	"sync/atomic"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// A hot counter's answer from its runs of like writes: an INCR's reply
// is the key's last SET or DEL and the sum of the increments since, so
// its witness is that reset (when it matters) and every increment that
// is not 0. A store's index keeps each such write's shape (Ref.Shape),
// so the answer reads the key's runs (provenance.RunHistory) and one
// request of each, not its 500,000 INCRs.

// shaped are the commands whose writes get a shape: those the rules of
// runs understand (the counter rule's, and a queue's pops: queueAnswer),
// each with the one argument count it takes.
var shaped = map[string]int{"INCR": 1, "DECR": 1, "INCRBY": 2, "DECRBY": 2, "SET": 2, "DEL": 1, "LPOP": 1, "RPOP": 1}

// shapeOf returns the shape of e's write to its one key, or 0 when e gets
// none: a command the rule does not know, one whose arguments the log
// may have changed, a call of a script or of a client that waited or
// listened (listened). A counter's write's shape is its request (its
// namespace, op and arguments, hashed); a push's or a plain XADD's is
// only what a length or a queue reads of it (its op, and lengthStep: its
// family and how many elements it adds), so that a list or stream used
// as a log is runs of alike writes whatever their values.
func shapeOf(e *formats.Event, listened bool) uint64 {
	if listened || !plainCall(e) {
		return 0
	}
	h := fnvOffset
	if fam, d, ok := lengthStep(e); ok {
		h = fnvAdd(h, "\x00alike")
		h = fnvAdd(h, e.NS)
		h = fnvAdd(h, fam)
		h = fnvAdd(h, e.Op)
		h = fnvAdd(h, string(e.Args[0]))
		return fnvAdd(h, strconv.FormatInt(d, 10)) | 1
	}
	// A SET gets one only when a counter's rule can read it: of an
	// integer as Redis writes one (most SETs store other values).
	if n, ok := shaped[e.Op]; !ok || n != len(e.Args) || e.Op == "SET" && !isCanonical(e.Args[1]) {
		return 0
	}
	h = fnvAdd(h, e.NS)
	h = fnvAdd(h, e.Op)
	for _, a := range e.Args {
		h = fnvAdd(h, string(a))
	}
	return h | 1
}

// FNV-1a, 64 bits, over length-prefixed strings (no allocation: ingest
// hashes every counter's write).
const (
	fnvOffset uint64 = 14695981039346656037
	fnvPrime         = 1099511628211
)

// fnvAdd hashes s's length (as 8 bytes) and bytes into h.
func fnvAdd(h uint64, s string) uint64 {
	n := uint64(len(s))
	for i := 0; i < 8; i++ {
		h = (h ^ (n & 0xff)) * fnvPrime
		n >>= 8
	}
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

// isCanonical tells whether b is an integer as Redis writes one.
func isCanonical(b []byte) bool {
	_, ok := canonical(b)
	return ok
}

// lengthStep returns what a push or a plain XADD (a new id, no options)
// does to its key's length: its family ("list" or "stream") and how many
// elements it adds.
func lengthStep(e *formats.Event) (fam string, d int64, ok bool) {
	switch n := len(e.Args); {
	case (e.Op == "LPUSH" || e.Op == "RPUSH") && n >= 2:
		return "list", int64(n - 1), true
	case e.Op == "XADD" && n >= 4 && n%2 == 0 && string(e.Args[1]) == "*":
		return "stream", 1, true
	}
	return "", 0, false
}

// plainCall tells whether e is a client's own call, logged as sent: not
// a script's, not one whose arguments the log may have changed or cut,
// not a service's record of a call or of a reply.
func plainCall(e *formats.Event) bool {
	return e.Client != "" && e.Client != "lua" && e.Doubt == "" && len(e.Partial) == 0 && !e.ClientRecord && !e.ReplyRecord
}

// withShapes gives the refs of e's one key e's shape.
func withShapes(e *formats.Event, out []formats.Ref, listened bool) {
	if len(out) != 1 || out[0].Key == nil || out[0].Kind < formats.KindWrite || out[0].Class != 0 {
		return
	}
	out[0].Shape = shapeOf(e, listened)
}

// A counterStep is what one shape does to a counter or a length: adds d,
// or sets it (set: to v; del: deletes the key, which INCR and a length
// read as 0). fam is the family of values it belongs to ("counter",
// "list", "stream"; "" for DEL, which belongs to all).
type counterStep struct {
	d        int64
	set, del bool
	v        int64
	fam      string
}

// canonical parses an integer written as Redis writes it, and only so.
func canonical(b []byte) (int64, bool) {
	if !decimal(b) { // most values are no integer: spare ParseInt's error
		return 0, false
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	return v, err == nil && strconv.FormatInt(v, 10) == string(b)
}

// decimal reports whether b is digits, after a minus sign if any.
func decimal(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// stepOf returns what e does to the counter, and false for a write the
// rule does not understand (a SET of a value INCR would not read back
// as written, a DECRBY of the smallest integer).
func stepOf(e *formats.Event) (counterStep, bool) {
	if fam, d, ok := lengthStep(e); ok {
		return counterStep{d: d, fam: fam}, true
	}
	switch e.Op {
	case "INCR":
		return counterStep{d: 1, fam: "counter"}, len(e.Args) == 1
	case "DECR":
		return counterStep{d: -1, fam: "counter"}, len(e.Args) == 1
	case "INCRBY", "DECRBY":
		if len(e.Args) != 2 {
			return counterStep{}, false
		}
		d, ok := canonical(e.Args[1])
		if !ok || d == math.MinInt64 {
			return counterStep{}, false
		}
		if e.Op == "DECRBY" {
			d = -d
		}
		return counterStep{d: d, fam: "counter"}, true
	case "SET":
		v, ok := canonical(e.Args[1])
		return counterStep{set: true, v: v, fam: "counter"}, ok && len(e.Args) == 2
	case "DEL":
		return counterStep{del: true}, len(e.Args) == 1
	case "LLEN":
		return counterStep{fam: "list"}, len(e.Args) == 1
	case "XLEN":
		return counterStep{fam: "stream"}, len(e.Args) == 1
	}
	return counterStep{}, false
}

// counterAnswer answers an INCR, DECR, INCRBY, DECRBY or GET from its
// key's runs, and so a length (LLEN, XLEN, a push's reply) of a list or
// stream that is only pushed to or added to: or returns nil when the
// rule does not apply (the walk answers): a history that is not only
// those writes since the last SET or DEL of an integer (or the last DEL),
// a store without shapes, a sum that could overflow, a GET of a key only
// INCRBY 0 made.
func (w *walk) counterAnswer() (*provenance.Explanation, error) {
	t := w.target
	rh, ok := w.h.(provenance.RunHistory)
	isGet := t.Op == "GET" && len(t.Args) == 1
	if !ok || !isGet && !counterTargets[t.Op] {
		return nil, nil
	}
	step, ok := stepOf(t)
	if isGet {
		step.fam = "counter"
	}
	if !ok && !isGet || !plainCall(t) || argsDoubt(t) != "" || step.set || step.del {
		return nil, nil
	}
	key := t.Args[0]
	runs, ok, err := w.keyRuns(rh)
	if err != nil || !ok {
		return nil, err
	}
	steps := map[uint64]counterStep{}
	likes := map[uint64]*formats.Event{}
	stepAt := func(r provenance.ShapeRun) (counterStep, bool, error) {
		if s, ok := steps[r.Shape]; ok {
			return s, true, nil
		}
		e, err := w.likeOf(rh, r)
		if err != nil || e == nil {
			return counterStep{}, false, err
		}
		// A write of another family (a push to a counter) is the walk's.
		s, ok := stepOf(e)
		if !ok || s.fam != step.fam && !s.del {
			return counterStep{}, false, nil
		}
		steps[r.Shape], likes[r.Shape] = s, e
		return s, true, nil
	}
	x := &provenance.Explanation{Target: t, Exact: true}
	var held []provenance.ShapeRun // newest first
	var sum, bound, zeros int64
	bound = abs64(step.d)
	reset := -1
	for i := len(runs) - 1; i >= 0 && reset < 0; i-- {
		s, ok, err := stepAt(runs[i])
		if err != nil || !ok {
			return nil, err
		}
		switch {
		case s.set || s.del:
			reset = i
		case s.d != 0:
			n := int64(runs[i].IDs.Len())
			if abs64(s.d) > (math.MaxInt64/2-bound)/n {
				return nil, nil // might overflow: the walk replays it
			}
			bound += abs64(s.d) * n
			sum += s.d * n
			held = append(held, runs[i])
		default:
			zeros += int64(runs[i].IDs.Len()) // INCRBY 0: makes the key if it is missing
		}
	}
	// The writes since the reset (or the start) make the key exist
	// whatever it held, so an INCR reads no key as 0; a GET reads it as
	// no key when there are none.
	since := len(held) > 0 || zeros > 0
	var base int64
	exists := since
	if isGet && len(held) == 0 && zeros > 0 && (reset < 0 || !steps[runs[reset].Shape].set) {
		return nil, nil // any of the INCRBY 0s makes the key: a choice, the walk's
	}
	if reset >= 0 {
		r := runs[reset]
		s := steps[r.Shape]
		base, exists = s.v, exists || s.set
		if abs64(base) > math.MaxInt64/2-bound {
			return nil, nil
		}
		// The reset is in every witness when the requests before it,
		// all replayed, leave another value: a witness without it holds
		// a subtrace of them, and adding all the others must not change
		// the value. When they leave the same value, a witness may take
		// some of them in its place: the walk answers that. With none
		// before it, a reset that leaves 0 (or no key) does not matter.
		if r.IDs.Len() > 1 {
			return nil, nil // the same reset before it: either will do
		}
		before, had, ok, err := w.counterValue(runs[:reset], stepAt)
		if err != nil || !ok {
			return nil, err
		}
		same := before == base
		if isGet && !since {
			same = same && had == s.set // no key and "0" differ to GET
		}
		if same && reset > 0 {
			return nil, nil
		}
		needed := !same
		if needed {
			evs, err := rh.ByID(w.ctx, []int64{r.IDs.Last()})
			if err != nil {
				return nil, err
			}
			x.Factors = append(x.Factors, provenance.Factor{evs})
		}
	} else {
		x.Notes = append(x.Notes, noteCaptureStart)
	}
	// Oldest first, as the runs came.
	x.Held = heldRuns(held, likes, step.fam)
	// Each run shown from its first request.
	var firsts []int64
	for _, r := range x.Held {
		if r.Like.ID != r.IDs.First() {
			firsts = append(firsts, r.IDs.First())
		}
	}
	if len(firsts) > 0 {
		evs, err := rh.ByID(w.ctx, firsts)
		if err != nil {
			return nil, err
		}
		for i, j := 0, 0; i < len(x.Held); i++ {
			if r := &x.Held[i]; r.Like.ID != r.IDs.First() {
				r.Like, j = evs[j], j+1
			}
		}
	}
	// The reply, by the model: the counter's value before the target,
	// then the target. A length is the integer.
	if step.fam != "counter" {
		x.Output = provenance.Output(":" + strconv.FormatInt(base+sum+step.d, 10) + "\r\n")
	} else {
		st := Model{}.Init()
		if exists {
			Model{}.Apply(st, &formats.Event{System: "redis", NS: t.NS, Op: "SET", Args: [][]byte{key, []byte(strconv.FormatInt(base+sum, 10))}})
		}
		x.Output = Model{}.Apply(st, t)
	}
	return w.runsAnswered(x, &counterAnswers)
}

// runsAnswered ends an answer of a rule of runs: the notes any answer of
// its target gets (annotate), those of lines lost before it that may
// have changed its key, and those of its log's order; and it counts the
// answer in n.
func (w *walk) runsAnswered(x *provenance.Explanation, n *atomic.Int64) (*provenance.Explanation, error) {
	t := w.target
	w.annotate(x, nil, "")
	if err := w.lossNotes(x, t, []nsKey{{ns: t.NS, key: string(t.Args[0])}}); err != nil {
		return nil, err
	}
	if err := provenance.DoubtOrder(w.ctx, w.h, x); err != nil {
		return nil, err
	}
	n.Add(1)
	return x, nil
}

// keyRuns returns the runs of the target's key (its first argument),
// and false when a rule of runs may not read them (runsAllowed), or the
// index does not hold every write's shape. A call in a transaction runs,
// and MONITOR shows it, when EXEC runs: it is like any other. The walk
// reads them once, for all the rules that ask.
func (w *walk) keyRuns(rh provenance.RunHistory) ([]provenance.ShapeRun, bool, error) {
	if w.runs != nil {
		return w.runs.runs, w.runs.ok, nil
	}
	t := w.target
	w.runs = &keyRuns{}
	if ok, err := w.runsAllowed(); err != nil || !ok {
		return nil, false, err
	}
	runs, ok, err := rh.Runs(w.ctx, "redis", t.NS, t.Args[0], t.ID)
	if err != nil {
		return nil, false, err
	}
	w.runs.runs, w.runs.ok = runs, ok
	return runs, ok, nil
}

// runsAllowed tells whether a rule of runs may read the writes of the
// target's key (its first argument) by their shapes: not when the
// target is a call of a client that waited or listened before (NewIndex
// lists those calls under its address), or a client waits on the key (a
// blocking call on it, which takes what is pushed).
func (w *walk) runsAllowed() (bool, error) {
	t := w.target
	if listened, err := w.h.Touching(w.ctx, "redis", listenNS, []byte(t.Client), t.ID, 1); err != nil || len(listened) > 0 {
		return false, err
	}
	if waited, err := w.h.Touching(w.ctx, "redis", blockNS(t.NS), t.Args[0], t.ID, 1); err != nil || len(waited) > 0 {
		return false, err
	}
	return true, nil
}

// likeOf reads the first request of a run of the target's key
// (likeOfID).
func (w *walk) likeOf(rh provenance.RunHistory, r provenance.ShapeRun) (*formats.Event, error) {
	return w.likeOfID(rh, r.Shape, r.IDs.First())
}

// likeOfID reads the write of the target's key with an id and returns
// it, or nil when it is not of the shape it is listed with (a hash that
// two requests share is not trusted), or that shape is 0 (none).
func (w *walk) likeOfID(rh provenance.RunHistory, shape uint64, id int64) (*formats.Event, error) {
	if shape == 0 {
		return nil, nil
	}
	evs, err := rh.ByID(w.ctx, []int64{id})
	if err != nil {
		return nil, err
	}
	e, t := evs[0], w.target
	if shapeOf(e, false) != shape || e.NS != t.NS || len(e.Args) == 0 || string(e.Args[0]) != string(t.Args[0]) {
		return nil, nil
	}
	return e, nil
}

// alikePushes says what a run of alike pushes (or XADDs) shares: how
// many elements each adds.
func alikePushes(d int64) string {
	if d == 1 {
		return "each adds 1 element, whatever its values"
	}
	return fmt.Sprintf("each adds %d elements, whatever their values", d)
}

// keyRuns is what walk.keyRuns read.
type keyRuns struct {
	runs []provenance.ShapeRun
	ok   bool
}

// counterTargets are the requests the counter rule explains, besides GET.
var counterTargets = map[string]bool{"INCR": true, "DECR": true, "INCRBY": true, "DECRBY": true,
	"LLEN": true, "XLEN": true, "LPUSH": true, "RPUSH": true}

// counterAnswers counts the rule's answers, for tests.
var counterAnswers atomic.Int64

// counterValue replays runs from the start of the capture: the
// counter's value after them (0 for no key) and whether the key exists,
// and false when a run is not one the rule understands or the value
// could overflow.
func (w *walk) counterValue(runs []provenance.ShapeRun, stepAt func(provenance.ShapeRun) (counterStep, bool, error)) (v int64, exists, ok bool, err error) {
	for _, r := range runs {
		s, ok, err := stepAt(r)
		if err != nil || !ok {
			return 0, false, false, err
		}
		switch n := int64(r.IDs.Len()); {
		case s.set || s.del:
			v, exists = s.v, s.set
		default:
			if s.d != 0 && abs64(s.d) > (math.MaxInt64/2-abs64(v))/n {
				return 0, false, false, nil
			}
			v, exists = v+s.d*n, true
		}
	}
	return v, exists, true, nil
}

// heldRuns gathers runs (newest first) by shape: one provenance.Run of
// each request (of each kind of push, for a list or stream: fam), its
// ids in order (as the index gave them: a counter's 500,000 INCRs stay
// packed), the runs in the order of their first ids.
func heldRuns(runs []provenance.ShapeRun, likes map[uint64]*formats.Event, fam string) []provenance.Run {
	var out []provenance.Run
	var ids [][]provenance.IDs // each run's, to be joined
	at := map[uint64]int{}
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		k, ok := at[r.Shape]
		if !ok {
			k = len(out)
			at[r.Shape] = k
			run := provenance.Run{Like: likes[r.Shape]}
			if _, d, ok := lengthStep(run.Like); ok && fam != "counter" {
				run.Alike = alikePushes(d)
			}
			out, ids = append(out, run), append(ids, nil)
		}
		ids[k] = append(ids[k], r.IDs)
	}
	for k := range out {
		out[k].IDs = provenance.JoinIDs(ids[k]...)
	}
	return out
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
