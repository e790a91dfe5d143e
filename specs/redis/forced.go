package redis

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

var _ provenance.Forcer = Model{}

// families of writes whose every event changes what a reader of the key
// sees, so that long runs of them (hot counters, logs, queues) need no
// replay per event: the reads whose output tells every state of the
// family apart.
var families = map[string]struct {
	ops   map[string]bool
	reads map[string]bool
}{
	"counter": {map[string]bool{"INCR": true, "DECR": true, "INCRBY": true, "DECRBY": true},
		map[string]bool{"GET": true, "INCR": true, "DECR": true, "INCRBY": true, "DECRBY": true}},
	"append": {map[string]bool{"APPEND": true}, map[string]bool{"GET": true, "APPEND": true, "STRLEN": true}},
	"push":   {map[string]bool{"LPUSH": true, "RPUSH": true}, map[string]bool{"LLEN": true, "LPUSH": true, "RPUSH": true, "LRANGE": true}},
}

// Forced implements provenance.Forcer for a run of one family's writes to
// the key the target reads: a counter's INCRs with a non-zero increment,
// an APPEND of a non-empty string, any LPUSH or RPUSH. Leaving one of
// them out changes the value, the length or the list, which the target
// shows. It declines (false) whenever that is not certain: other keys or
// commands in the run, a start state of another type or with a deadline,
// a possible overflow, fewer than two writes.
func (Model) Forced(start provenance.State, stretch []*formats.Event, target *formats.Event, _ provenance.Output) ([]bool, bool) {
	if len(stretch) < 2 || len(target.Args) == 0 || len(start.(*State).blocked) > 0 {
		return nil, false
	}
	fam := ""
	for name, f := range families {
		if f.ops[stretch[0].Op] {
			fam = name
		}
	}
	if fam == "" || !families[fam].reads[target.Op] {
		return nil, false
	}
	if target.Op == "LRANGE" && (len(target.Args) != 3 || string(target.Args[1]) != "0" || string(target.Args[2]) != "-1") {
		return nil, false
	}
	key := string(target.Args[0])
	for _, e := range stretch {
		if !families[fam].ops[e.Op] || e.NS != target.NS || len(e.Args) == 0 || string(e.Args[0]) != key {
			return nil, false
		}
	}
	d, ok := dbIndex(target.NS)
	if !ok {
		return nil, false
	}
	var v *value
	if db := start.(*State).dbs[d]; db != nil {
		v = db[key]
	}
	if v != nil && v.expire != 0 {
		return nil, false
	}
	marks := make([]bool, len(stretch))
	switch fam {
	case "counter":
		// The target's own increment counts in the bound: a value it
		// would overflow is an error whatever the value was.
		var total uint64
		switch target.Op {
		case "INCRBY", "DECRBY":
			n, ok := parseInt(target.Args[len(target.Args)-1])
			if len(target.Args) != 2 || !ok || n == math.MinInt64 {
				return nil, false // a reply that does not read the value
			}
			total = absInt(n)
		case "INCR", "DECR":
			if len(target.Args) != 1 {
				return nil, false
			}
			total = 1
		}
		if v != nil {
			n, ok := parseInt(v.str)
			if v.typ != tString || !ok {
				return nil, false
			}
			total += absInt(n)
		}
		for i, e := range stretch {
			var n int64 = 1
			switch e.Op {
			case "INCRBY", "DECRBY":
				if len(e.Args) != 2 {
					return nil, false
				}
				if n, ok = parseInt(e.Args[1]); !ok || n == math.MinInt64 {
					return nil, false
				}
			case "INCR", "DECR":
				if len(e.Args) != 1 {
					return nil, false
				}
			}
			total += absInt(n)
			if total > 1<<62 {
				return nil, false
			}
			marks[i] = n != 0
		}
	case "append":
		if v != nil && v.typ != tString {
			return nil, false
		}
		for i, e := range stretch {
			if len(e.Args) != 2 {
				return nil, false
			}
			marks[i] = len(e.Args[1]) > 0
		}
	case "push":
		if v != nil && v.typ != tList {
			return nil, false
		}
		for i, e := range stretch {
			if len(e.Args) < 2 {
				return nil, false
			}
			marks[i] = true
		}
	}
	return marks, true
}

func absInt(n int64) uint64 {
	if n < 0 {
		return uint64(-n)
	}
	return uint64(n)
}

var _ provenance.Closer = Model{}

// Closed implements provenance.Closer for lists used as queues
// (closedQueue) and streams that only grow (closedStream).
func (Model) Closed(history []*formats.Event, target *formats.Event, out provenance.Output) (provenance.Closure, bool) {
	if len(target.Args) == 0 {
		return provenance.Closure{}, false
	}
	switch target.Op {
	case "UNSUBSCRIBE", "PUNSUBSCRIBE":
		return closedUnsubscribe(history, target, out)
	case "HSET", "HSETNX", "HEXISTS", "HDEL", "SADD", "SREM", "SISMEMBER", "SMISMEMBER":
		return closedPart(history, target, out)
	case "RPOP", "LPOP", "LPUSH", "RPUSH", "LLEN", "XADD", "XLEN":
	case "EXISTS", "DEL", "UNLINK", "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT":
	default:
		return provenance.Closure{}, false // no rule: nothing to decline
	}
	if kept, places := withoutInert(history, out); len(kept) < len(history) {
		cl, ok := Model{}.Closed(kept, target, out)
		return spread(cl, places, len(history)), ok
	}
	key := string(target.Args[0])
	for _, e := range history {
		if e.NS != target.NS || len(e.Args) == 0 || string(e.Args[0]) != key {
			return provenance.Closure{Declined: "the history holds " + e.Op + " at " + e.Where() + ", which is not a call on this key alone"}, false
		}
	}
	switch target.Op {
	case "RPOP", "LPOP":
		return closedQueue(history, target, out)
	case "LPUSH", "RPUSH", "LLEN":
		return closedLength(history, target, out)
	case "XADD", "XLEN":
		marks, ok := closedStream(history, target, out)
		return provenance.Closure{Fixed: marks}, ok
	}
	return closedExists(history, target, out)
}

// existsTargets are the calls whose reply, with these numbers of
// arguments, tells only whether their one key exists: EXPIRE without
// NX, XX, GT or LT sets the time to live of any key that does.
var existsTargets = map[string]int{"EXISTS": 1, "DEL": 1, "UNLINK": 1, "EXPIRE": 2, "PEXPIRE": 2, "EXPIREAT": 2, "PEXPIREAT": 2}

// asksExistence tells whether target's reply tells only whether its one
// key exists (existsTargets).
func asksExistence(target *formats.Event) bool {
	n, ok := existsTargets[target.Op]
	return ok && len(target.Args) == n
}

// partOps are the calls that make parts of a key exist (creators: a
// key made by one exists until its last part is gone) or remove them
// (HDEL, SREM), by the key's type. Each of them leaves a part it names
// as set or removed whatever the key held (a key of another type is
// refused and stays as it was), and none deletes the key otherwise than
// by removing its last part: no waiting client takes a hash's field or a
// set's member. A stream is made by XADD, whatever id it takes, and
// stays when XDEL or XTRIM empties it: they neither make nor remove.
var partOps = map[string]partOp{
	"XADD": {"stream", false}, "XDEL": {"stream", false}, "XTRIM": {"stream", false},
	"HSET": {"hash", false}, "HMSET": {"hash", false}, "HSETNX": {"hash", false}, "HINCRBY": {"hash", false},
	"HINCRBYFLOAT": {"hash", false}, "HDEL": {"hash", true}, "SADD": {"set", false}, "SREM": {"set", true},
}

// A partOp is what a call of partOps does: the type of key it writes,
// and whether it removes the parts it names.
type partOp struct {
	typ    string
	remove bool
}

// existenceOnly tells whether e, a call on a key whose existence a
// target in existsTargets asks, is one closedExists knows: one of
// partOps, a deletion of the key alone, or a call that never deletes it
// (an expiry that ends after the target, lateExpiry; PERSIST). A
// script's call (a [lua] line) counts like any other: the model replays
// it as a request of its own.
func existenceOnly(e, target *formats.Event) bool {
	if _, ok := partOps[e.Op]; ok {
		return len(e.Args) >= 2
	}
	switch {
	case len(e.Args) == 0:
		return false
	case e.Op == "DEL" || e.Op == "UNLINK" || e.Op == "PERSIST":
		return len(e.Args) == 1
	}
	return lateExpiry(e, target) && len(e.Args) == 2
}

// closedExists answers for a target in existsTargets whose key's history
// holds only calls existenceOnly knows, on one type of key, each creator
// of which makes the key exist from nothing with no time to live (an
// XADD creates a stream, which stays when XDEL or XTRIM empties it). In a
// subtrace the key exists at the target exactly when it holds a creator
// after its last deletion of the key, one of whose parts no later call
// removes. When the whole history has such creators ("lasting" ones),
// the minimal closed witnesses are those creators, one by one: a
// subtrace with one has the key; one with none, to which every deletion
// and removal is added, has not. When it has none and nothing removes a
// part, they are the deletions after the last creator, one by one (none
// when nothing made the key). It declines otherwise.
func closedExists(history []*formats.Event, target *formats.Event, out provenance.Output) (provenance.Closure, bool) {
	if !asksExistence(target) {
		return provenance.Closure{}, false
	}
	m := Model{}
	typ := ""
	lastMade, lastGone, removals := -1, -1, 0
	for i, e := range history {
		if !existenceOnly(e, target) {
			return provenance.Closure{Declined: "the history holds " + e.Op + " at " + e.Where() + ", which may change whether the key exists otherwise than by its parts or its deletion"}, false
		}
		op, ok := partOps[e.Op]
		switch {
		case ok && typ != "" && op.typ != typ:
			return provenance.Closure{Declined: "the history writes the key as a " + typ + " and a " + op.typ}, false
		case ok && e.Op != "XADD" && op.typ == "stream":
			typ = op.typ // XDEL, XTRIM: the stream stays
		case ok && op.remove:
			typ = op.typ
			removals++
		case ok:
			typ = op.typ
			st := m.Init()
			m.Apply(st, e)
			d, _ := dbIndex(e.NS)
			if v := st.(*State).dbs[d][string(e.Args[0])]; v == nil || v.expire != 0 {
				return provenance.Closure{Declined: e.Op + " at " + e.Where() + " makes no key from nothing"}, false
			}
			lastMade = i
		case e.Op == "DEL" || e.Op == "UNLINK":
			lastGone = i
		}
	}
	// The creators after the last deletion that some part outlasts,
	// newest first: a part is removed after a creator when a later call
	// removes it.
	var lasting []int
	removed := map[string]bool{}
	for i := len(history) - 1; i > lastGone; i-- {
		e := history[i]
		if e.Op == "XADD" {
			lasting = append(lasting, i) // nothing but a deletion undoes it
			continue
		}
		op, ok := partOps[e.Op]
		if !ok || op.typ == "stream" {
			continue // XDEL, XTRIM: neither make nor remove
		}
		subs, _ := SubKeysOf(e)
		outlasts := false
		for _, sub := range subs {
			if sub.Arg != 1 {
				continue
			}
			if op.remove {
				removed[string(sub.Sub)] = true
			} else if !removed[string(sub.Sub)] {
				outlasts = true
			}
		}
		if !op.remove && outlasts {
			lasting = append(lasting, i)
		}
	}
	slices.Reverse(lasting)
	exists := len(lasting) > 0
	var group []int
	switch {
	case exists:
		group = lasting
	case removals > 0:
		return provenance.Closure{Declined: "a part of the key was removed, and the key does not exist at the target"}, false
	default:
		for i := lastMade + 1; i <= lastGone; i++ {
			if e := history[i]; e.Op == "DEL" || e.Op == "UNLINK" {
				group = append(group, i)
			}
		}
	}
	// The target's reply with the key (one lasting creator) or without.
	var with []*formats.Event
	if exists {
		with = history[lasting[0] : lasting[0]+1]
	}
	if provenance.Replay(m, with, target) != out {
		return provenance.Closure{}, false
	}
	if lastMade < 0 {
		group = nil // never made: nothing to keep
	}
	return oneByOne(len(history), group), true
}

// oneByOne is the Closure, over a history of n events, whose minimal
// witnesses are the events at the places of group, one by one (none
// when group is empty).
func oneByOne(n int, group []int) provenance.Closure {
	cl := provenance.Closure{Fixed: make([]bool, n)}
	switch len(group) {
	case 0:
	case 1:
		cl.Fixed[group[0]] = true
	default:
		cl.OneOf = [][]int{group}
	}
	return cl
}

// withoutInert returns history without the calls that touch only the
// state of their client's connection in a way no output of the rules of
// Closed can show (PING, which changes nothing, and HELLO, which sets
// the protocol and the name), when out is a bulk string or an integer,
// which both protocols write alike; and the places of those it keeps.
// Such calls are in no witness and change no superset's output.
func withoutInert(history []*formats.Event, out provenance.Output) ([]*formats.Event, []int) {
	if len(out) == 0 || out[0] != ':' && (out[0] != '$' || strings.HasPrefix(string(out), "$-1")) {
		return history, nil
	}
	var kept []*formats.Event
	var places []int
	for i, e := range history {
		if e.Op == "PING" || e.Op == "HELLO" {
			continue
		}
		kept = append(kept, e)
		places = append(places, i)
	}
	return kept, places
}

// spread returns cl, a Closure of the events of a history of n at
// places, as one of the whole history: the events left out are in no
// witness.
func spread(cl provenance.Closure, places []int, n int) provenance.Closure {
	move := func(ps []int) []int {
		out := make([]int, len(ps))
		for i, p := range ps {
			out[i] = places[p]
		}
		return out
	}
	fixed := make([]bool, n)
	for i, f := range cl.Fixed {
		fixed[places[i]] = f
	}
	cl.Fixed = fixed
	cl.Choose = move(cl.Choose)
	for i := range cl.OneOf {
		cl.OneOf[i] = move(cl.OneOf[i])
	}
	for i := range cl.More {
		cl.More[i].Choose = move(cl.More[i].Choose)
	}
	return cl
}

// guards is the Closure of a queue's history (push marks its pushes)
// whose witnesses hold the events fixed marks and, of its pops, any k
// such that no more of them come before a point than the pushes before
// both it and place upto: each pop chosen takes one of those pushes'
// elements in every superset. (provenance.Explain moves the pops every
// way of choosing holds to the fixed events.)
func guards(push, fixed []bool, upto, k int) (provenance.Closure, bool) {
	cl := provenance.Closure{Fixed: fixed, K: k,
		Rule: "no more of them before a request than there are pushes before it, so that each takes an element pushed before it"}
	if k == 0 {
		return cl, true
	}
	// Sized once: a hot queue's choice holds 200,000 pops.
	n := 0
	for _, p := range push {
		if !p {
			n++
		}
	}
	// Written without a branch on an event's kind: each pop is written
	// at the next place, which moves on when it is one to choose.
	cl.Choose, cl.Caps = make([]int, n+1), make([]int, n+1)
	pushes, j := 0, 0
	for i, p := range push {
		pi := b2i(p)
		pushes += pi & b2i(i < upto)
		cl.Choose[j], cl.Caps[j] = i, min(pushes, k)
		j += (1 - pi) & b2i(pushes > 0)
	}
	cl.Choose, cl.Caps = cl.Choose[:j], cl.Caps[:j]
	if k > len(cl.Choose) {
		return provenance.Closure{}, false
	}
	return cl, true
}

// closedQueue answers for a list used as a queue: a history of
// single-element pushes at one end (LPUSH, or RPUSH) and pops without a
// count at the other (RPOP, or LPOP) of one key, whose target is one
// more such pop, taking an element whose value differs from that of the
// push just after it. Other pushes may have its value, even the ones
// just before it (see below).
//
// In a queue, the element a pop takes is decided by how many pops before
// it took one (a pop of an empty list takes none). Let v be the target's
// element. Leaving out a push older than v changes what the target takes
// unless a later pop emptied the list before it (the pop that took the
// last element then finds it empty, and the count is even again);
// leaving out a pop that took an element changes it unless a later pop
// found the list empty (it now takes one); a pop of an empty list and a
// push after v change nothing. Those marks are the forced events F.
//
// F is closed when every superset S takes v: adding a push before v
// moves v back by one and lets at most one more pop take an element,
// and adding a pop lets at most one more pop take an element, so the
// number of elements taken before the target, less v's place, is
// smallest with every push added and largest with every pop added. When
// both of those supersets take v, all do; and whenever the target takes
// v it replies v's value. Leaving one event out moves what it takes by
// one push at most, so an event that moves it changes the reply when
// v's neighbours hold other values (when the push before v has v's
// value, the general answer below is given instead).
func closedQueue(history []*formats.Event, target *formats.Event, out provenance.Output) (provenance.Closure, bool) {
	pushOp := "LPUSH"
	if target.Op == "LPOP" {
		pushOp = "RPUSH"
	}
	if len(target.Args) != 1 {
		return provenance.Closure{}, false
	}
	push := make([]bool, len(history)) // the pushes, marked once
	for i, e := range history {
		switch {
		case e.Op == pushOp && len(e.Args) == 2:
			push[i] = true
		case e.Op == target.Op && len(e.Args) == 1:
		default:
			return notQueue(e, pushOp+" of one element or "+target.Op+" without a count")
		}
	}
	return queueClosure(push, func(i int) []byte { return history[i].Args[1] }, out)
}

// queueClosure is closedQueue of a history that push tells apart: its
// pushes (of one element each, whose value value gives) and its pops.
// It reads the values of the push the target takes and of the pushes of
// its value next to it, up to the first of another value on each side.
func queueClosure(push []bool, value func(int) []byte, out provenance.Output) (provenance.Closure, bool) {
	v := queueTaken(push, nil, false)
	if v < 0 || out != provenance.Output(bulk(value(v))) {
		return provenance.Closure{}, false
	}
	// The pushes just before and after v, and a, the first push of the
	// run of pushes with v's value that ends at v.
	prev, next := v-1, v+1
	for prev >= 0 && !push[prev] {
		prev--
	}
	for next < len(push) && !push[next] {
		next++
	}
	if next == len(push) {
		next = -1
	}
	val := string(value(v))
	a, b := v, v // the run of pushes of v's value around v
	for i := next; i >= 0 && i < len(push); i++ {
		if push[i] {
			if string(value(i)) != val {
				break
			}
			b = i
		}
	}
	for i := prev; i >= 0; i-- {
		if push[i] {
			if string(value(i)) != val {
				break
			}
			a = i
		}
	}
	if b > v {
		return closedRun(push, val, a, b)
	}
	q := replayQueue(push)
	if a == v {
		forced := make([]bool, len(push))
		for i, p := range push {
			// v, a push before it since the queue was last emptied, a pop
			// that took an element since it was last found empty.
			forced[i] = b2i(p)&(b2i(i == v)|b2i(i < v)&b2i(i > q.lastEmptied))|b2i(q.took[i])&b2i(i > q.lastMissed) == 1
		}
		if queueTaken(push, forced, true) == v && queueTaken(push, forced, false) == v {
			return provenance.Closure{Fixed: forced}, true
		}
	}
	// Several minimal witnesses. Over the supersets S of a subtrace W,
	// the push the target takes moves back (or stays) as pushes are
	// added and forward as pops are, one push at a time, so the pushes
	// it takes are every push between the one it takes with every push
	// added (S+) and the one it takes with every pop added (S-). W is
	// closed exactly when those are all of v's value: the run of such
	// pushes from a to v (the push after v has another value). With
	// every pop added, the target takes v or a later push, so it must
	// take v: W must hold every push since the queue was last empty
	// before v, and v (no push after it can help). With every push
	// added, it takes the push after as many pops of W as took an
	// element, so W must hold, for each push before a, one pop that
	// takes an element: any pops, as long as no more of them come before
	// a point than pushes before it. Other pushes of v's value, apart
	// from the run, change nothing: they are never taken by a superset
	// of a closed W.
	fixed := make([]bool, len(push))
	before, last := 0, q.lastEmpty()
	for i, p := range push[:v] {
		// The queue is not empty from v's push to the target.
		fixed[i] = b2i(p)&b2i(i > last) == 1
		before += b2i(p) & b2i(i < a)
	}
	fixed[v] = true
	return guards(push, fixed, a, before)
}

// queueTaken replays a queue's history, pushes (push marks them) at one
// end and pops at the other, and returns the place of the push whose
// element one more pop takes, or -1 when the queue is then empty. With
// keep nil it replays every event; otherwise those keep marks and every
// push (with true) or every pop (with false) besides: the two extremes
// of a subtrace's supersets.
func queueTaken(push, keep []bool, with bool) int {
	w := b2i(with)
	kept := func(i, pi int) int {
		if keep == nil {
			return 1
		}
		return b2i(keep[i]) | (1 - (pi ^ w)) // kept, or of the kind added
	}
	// The queue holds the kept pushes in order from its head: a pop
	// moves the head when it is not empty. Counting is enough, and a
	// second pass finds the push at the head. Both are written without a
	// branch on an event's kind (see extremeLengths).
	pushes, head := 0, 0
	for i, p := range push {
		pi := b2i(p)
		k := kept(i, pi)
		pushes += pi & k
		head += (1 - pi) & k & b2i(head < pushes)
	}
	if head == pushes {
		return -1
	}
	seen := 0
	for i, p := range push {
		pi := b2i(p)
		seen += pi & kept(i, pi)
		if seen > head {
			return i
		}
	}
	return -1
}

// closedRun answers for a queue's pop (see closedQueue) whose element is
// one of a run of pushes of its value that goes on after it: the pushes
// a to b. A subtrace W is closed exactly when, with every push added, the
// target takes a push from a on, and with every pop added, a push up to
// b. The first asks W for one pop that takes an element for each push
// before a (guards). The second asks it for enough pushes up to b that
// the queue is not empty at the target with every pop added (a push
// after b cannot help). Let P(w) be the number of pops after a push w.
// A set of pushes X, latest first w_1, ..., w_j, leaves the queue not
// empty exactly when some w_i has P(w_i) < i (the i pushes from it on
// outlast the pops); it is minimal exactly when that holds only for the
// last, with P(w_j) = j-1. So the minimal sets of a size j are the sets
// of j pushes with P at most j-1, at most p of them with P at most p
// for each p < j-1. When minimal sets of several sizes exist, it
// declines (the witnesses are then a union of choices, which an
// explanation does not hold).
func closedRun(push []bool, val string, a, b int) (provenance.Closure, bool) {
	pops := make([]int, len(push)+1) // pops[i]: pops from i on
	for i := len(push) - 1; i >= 0; i-- {
		pops[i] = pops[i+1]
		if !push[i] {
			pops[i]++
		}
	}
	var cand []int // the pushes up to b
	for i := 0; i <= b; i++ {
		if push[i] {
			cand = append(cand, i)
		}
	}
	maxP := pops[cand[0]]
	n := make([]int, maxP+1) // pushes by P
	for _, i := range cand {
		n[pops[i]]++
	}
	// g is the most pushes with P at most p a set can hold within the
	// caps; sizes j with g(j-2) + n(j-1) >= j have minimal sets.
	var sizes []int
	g := 0 // g(j-2)
	for j := 1; j <= maxP+1; j++ {
		if g+n[j-1] >= j {
			sizes = append(sizes, j)
		}
		g = min(g+n[j-1], j-1)
	}
	if len(sizes) == 0 {
		// The pushes up to b, with every pop, leave the element the
		// target takes: some size always has minimal sets.
		return provenance.Closure{}, false
	}
	if len(sizes) > 1 {
		return provenance.Closure{Declined: fmt.Sprintf("the value it takes, %s, is the next push's too, and the pushes that keep the queue from being empty "+
			"can be as few as %d or as many as %d: the witnesses are not one rule's", strconv.Quote(val), sizes[0], sizes[len(sizes)-1])}, false
	}
	// With one size j, the caps hold for any j of the pushes with P at
	// most j-1: were there more than p < j-1 pushes with P at most p, the
	// least such p would make p+1 a size too. So the minimal sets are any
	// j of those pushes.
	j := sizes[0]
	pick := provenance.Pick{K: j}
	for _, i := range cand {
		if pops[i] <= j-1 {
			pick.Choose = append(pick.Choose, i)
		}
	}
	before := 0
	for _, i := range cand {
		if i < a {
			before++
		}
	}
	cl, ok := guards(push, make([]bool, len(push)), a, before)
	if !ok {
		return cl, false
	}
	cl.More = append(cl.More, pick)
	return cl, true
}

// notQueue declines a list's history that holds e, which is not a queue's
// (the rule is for histories of nothing but what): the labelled answer
// says so.
func notQueue(e *formats.Event, what string) (provenance.Closure, bool) {
	return provenance.Closure{Declined: fmt.Sprintf("the key's history holds %s at %s, not a %s", e.Op, e.Where(), what)}, false
}

// closedLength answers for a list's length (LLEN, or the reply of a push)
// over a history of single-element pushes and pops without a count, at
// either end: the length does not depend on which end.
//
// Leaving out a push changes the length unless a later pop emptied the
// list (it now finds it empty); leaving out a pop that took an element
// changes it unless a later pop found the list empty (it now takes one);
// a pop of an empty list changes nothing. Adding a push to any subtrace
// adds one element or nothing, and adding a pop removes one or nothing,
// so the length is largest with every push added and smallest with every
// pop added: when both give the same length, every superset of the
// forced events does.
func closedLength(history []*formats.Event, target *formats.Event, out provenance.Output) (provenance.Closure, bool) {
	isPush := func(e *formats.Event) bool { return e.Op == "LPUSH" || e.Op == "RPUSH" }
	pushed := make([]bool, len(history)) // isPush, once for each
	for i, e := range history {
		pushed[i] = isPush(e)
		switch {
		case pushed[i] && len(e.Args) == 2:
		case (e.Op == "LPOP" || e.Op == "RPOP") && len(e.Args) == 1:
		default:
			return notQueue(e, "push of one element or pop without a count")
		}
	}
	return lengthClosure(pushed, target, out)
}

// lengthClosure is closedLength of a history that pushed tells apart:
// its pushes of one element each and its pops without a count.
func lengthClosure(pushed []bool, target *formats.Event, out provenance.Output) (provenance.Closure, bool) {
	isPush := target.Op == "LPUSH" || target.Op == "RPUSH"
	if isPush && len(target.Args) < 2 || target.Op == "LLEN" && len(target.Args) != 1 {
		return provenance.Closure{}, false
	}
	q := replayQueue(pushed)
	want := q.length
	if isPush {
		want += len(target.Args) - 1
	}
	if out != provenance.Output(":"+strconv.Itoa(want)+"\r\n") {
		return provenance.Closure{}, false
	}
	n := q.length
	forced := make([]bool, len(pushed))
	for i, p := range pushed {
		// A push since the list was last emptied, a pop that took an
		// element since it was last found empty.
		forced[i] = b2i(p)&b2i(i > q.lastEmptied)|b2i(q.took[i])&b2i(i > q.lastMissed) == 1
	}
	if withPushes, withPops := extremeLengths(pushed, forced); withPushes == n && withPops == n {
		return provenance.Closure{Fixed: forced}, true
	}
	// Several minimal witnesses. A witness W is closed exactly when both
	// extremes have the length: with every pop added, W must hold every
	// push since the list was last empty (no earlier one can survive);
	// with every push added, W must hold one pop for each push beyond the
	// length: any pops, as long as no more of them come before a point
	// than pushes before it.
	fixed := make([]bool, len(pushed))
	pushes, last := 0, q.lastEmpty()
	for i, p := range pushed {
		fixed[i] = b2i(p)&b2i(i > last) == 1
		pushes += b2i(p)
	}
	return guards(pushed, fixed, len(pushed), pushes-n)
}

// closedUnsubscribe answers for the reply of an UNSUBSCRIBE or
// PUNSUBSCRIBE of one channel or pattern: how many channels and patterns
// its client is still subscribed to. Each name (other than the one it
// drops) counts when the client's last call on it subscribed; a witness
// must keep every name as it is in every superset, so it holds, for a
// name that counts, one SUBSCRIBE after its last UNSUBSCRIBE, and for one
// that does not, one UNSUBSCRIBE after its last SUBSCRIBE: any one of
// them, name by name. It declines when the client's calls are not all
// (un)subscriptions of one name each and PINGs (an UNSUBSCRIBE of all, a
// RESET or a transaction ties names together), or another client's are
// not pub/sub calls (which cannot change this client's).
func closedUnsubscribe(history []*formats.Event, target *formats.Event, out provenance.Output) (provenance.Closure, bool) {
	if len(target.Args) != 1 {
		return provenance.Closure{}, false
	}
	type name struct {
		pattern bool
		s       string
	}
	dropped := name{target.Op == "PUNSUBSCRIBE", string(target.Args[0])}
	calls := map[name][]int{} // the client's calls on each name, in order
	var order []name
	for i, e := range history {
		if e.Client != target.Client {
			if !pubsubSafeOps[e.Op] {
				return provenance.Closure{}, false // say, a call that could close the client's connection
			}
			continue // another client's subscriptions are not counted
		}
		switch e.Op {
		case "PING", "SSUBSCRIBE", "SUNSUBSCRIBE": // shard channels are counted apart
		case "SUBSCRIBE", "UNSUBSCRIBE", "PSUBSCRIBE", "PUNSUBSCRIBE":
			if len(e.Args) != 1 {
				return provenance.Closure{}, false
			}
			n := name{e.Op[0] == 'P', string(e.Args[0])}
			if calls[n] == nil {
				order = append(order, n)
			}
			calls[n] = append(calls[n], i)
		default:
			return provenance.Closure{}, false
		}
	}
	cl := provenance.Closure{Fixed: make([]bool, len(history))}
	count := 0
	for _, n := range order {
		if n == dropped {
			continue
		}
		is := calls[n]
		subscribes := func(i int) bool {
			return strings.HasSuffix(history[i].Op, "SUBSCRIBE") && !strings.Contains(history[i].Op, "UNSUB")
		}
		last := is[len(is)-1]
		var group []int
		for j := len(is) - 1; j >= 0 && subscribes(is[j]) == subscribes(last); j-- {
			group = append(group, is[j])
		}
		if subscribes(last) {
			count++
		} else if len(group) == len(is) {
			continue // never subscribed: nothing to keep
		}
		slices.Reverse(group)
		cl.OneOf = append(cl.OneOf, group)
	}
	kind := "unsubscribe"
	if dropped.pattern {
		kind = "punsubscribe"
	}
	if out != provenance.Output(pubsubReply(kind, target.Args[0], int64(count))) {
		return provenance.Closure{}, false
	}
	return cl, true
}

// A queueReplay is what replaying a history of single-element pushes and
// pops without a count shows of the list's length.
type queueReplay struct {
	took        []bool // the pops that took an element
	length      int    // the list's length at the end
	lastEmptied int    // the last pop that took the last element, or -1
	lastMissed  int    // the last pop that found the list empty, or -1
}

// replayQueue replays a list's history, push marking its pushes (the
// other events are pops).
func replayQueue(push []bool) queueReplay {
	q := queueReplay{took: make([]bool, len(push)), lastEmptied: -1, lastMissed: -1}
	// Without a branch on an event's kind, as extremeLengths.
	n := 0
	for i, p := range push {
		pi, some := b2i(p), b2i(n > 0)
		took := (1 - pi) & some
		n += pi - took
		q.took[i] = took == 1
		q.lastEmptied += (i - q.lastEmptied) * (took & b2i(n == 0))
		q.lastMissed += (i - q.lastMissed) * ((1 - pi) & (1 - some))
	}
	q.length = n
	return q
}

// extremeLengths replays the events keep marks of a list's history
// (push marking its pushes, the others being pops) twice at once: with
// every push besides, and with every pop besides, and returns the
// lengths the two leave. It replays without a branch on an event's kind
// (a hot queue's 500,000 pushes and pops come in no order a branch
// predicts).
func extremeLengths(push, keep []bool) (withPushes, withPops int) {
	for i, p := range push {
		pi, k := b2i(p), b2i(keep[i])
		step := 2*pi - 1
		// A pop of an empty list leaves it empty.
		a, b := max(withPushes+step, 0), max(withPops+step, 0)
		// An event not kept counts in the replay that adds its kind.
		withPushes += (a - withPushes) * (k | pi)
		withPops += (b - withPops) * (k | (1 - pi))
	}
	return withPushes, withPops
}

// lastEmpty is the last event after which the list was empty (a pop
// that emptied it or found it so), or -1: the pushes after it are what
// the list holds at the end.
func (q queueReplay) lastEmpty() int { return max(q.lastEmptied, q.lastMissed) }

// b2i is 1 for true and 0 for false.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// closedStream answers for a stream that only grows: a history of XADDs
// of one key without trimming or NOMKSTREAM. XLEN, when every XADD takes
// the id "*" (each adds an entry in every subtrace), counts them all: all
// are forced, and all of them are closed. An XADD with the id "*" whose
// time is later than every id the history can have made replies its own
// time: nothing before it changes that, and the empty witness is closed.
func closedStream(history []*formats.Event, target *formats.Event, out provenance.Output) ([]bool, bool) {
	plain := func(e *formats.Event) (trimArgs, bool) {
		a := argv(e)
		t, idpos, bad := parseAddTrim(a, true)
		n := len(a) - idpos - 1
		return t, bad == "" && t.strategy == trimNone && !t.noMkStream && n >= 2 && n%2 == 0
	}
	var most uint64 // the largest id time an XADD of the history can make
	for _, e := range history {
		t, ok := plain(e)
		if e.Op != "XADD" || !ok || target.Op == "XLEN" && t.idGiven {
			return nil, false
		}
		ms := uint64(max(e.Time/1e6, 0))
		if t.idGiven {
			ms = t.id.ms
		}
		most = max(most, ms)
	}
	marks := make([]bool, len(history))
	if target.Op == "XLEN" {
		if len(target.Args) != 1 || out != provenance.Output(":"+strconv.Itoa(len(history))+"\r\n") {
			return nil, false
		}
		for i := range marks {
			marks[i] = true
		}
		return marks, true
	}
	t, ok := plain(target)
	now := target.Time / 1e6
	if !ok || t.idGiven || now <= 0 || uint64(now) <= most || out != provenance.Output(idReply(streamID{uint64(now), 0})) {
		return nil, false
	}
	return marks, true
}

// onePart returns the one part of its key a target names, when its reply
// tells only whether that part exists (partExistenceTargets), and its
// key's type.
func onePart(target *formats.Event) (part, typ string, ok bool) {
	cmd := lookup(target.Op, target.Args)
	if cmd == nil || !partExistenceTargets[target.Op] {
		return "", "", false
	}
	subs, _ := SubKeysOf(target)
	for _, sub := range subs {
		if sub.Arg != 1 || part != "" && string(sub.Sub) != part {
			return "", "", false
		}
		part = string(sub.Sub)
	}
	return part, cmd.Group, part != ""
}

// partExistenceTargets are the calls whose reply, for one field of a hash
// or member of a set, tells only whether it exists (a count of one, or
// an array of one such answer).
var partExistenceTargets = map[string]bool{"HSET": true, "HSETNX": true, "HEXISTS": true, "HDEL": true,
	"SADD": true, "SREM": true, "SISMEMBER": true, "SMISMEMBER": true}

// closedPart answers for a target that asks whether one part p of its key
// exists (onePart), over a history of its key's type's partOps, deletions
// of the key (DEL, UNLINK) and of its database (FLUSHDB, FLUSHALL): p exists in a subtrace exactly when the last of the calls
// that set p (each makes it exist whatever it held: checked by replaying
// it from nothing), remove it or delete the key is one that sets it. So
// the minimal closed witnesses are, when p exists, the calls that set it
// after the last that removed it, one by one; when it does not and was
// set, the calls that removed it after the last that set it; when it was
// never set, none. Calls on the key's other parts change neither.
func closedPart(history []*formats.Event, target *formats.Event, out provenance.Output) (provenance.Closure, bool) {
	p, typ, ok := onePart(target)
	if !ok {
		return provenance.Closure{}, false
	}
	key := string(target.Args[0])
	m := Model{}
	absent := provenance.Replay(m, nil, target)
	var present provenance.Output
	const (
		other = iota
		sets
		removes
	)
	kinds := make([]int, len(history))
	lastSet, lastGone := -1, -1
	for i, e := range history {
		op, isPart := partOps[e.Op]
		switch {
		case e.Op == "FLUSHALL" || e.Op == "FLUSHDB" && e.NS == target.NS:
			kinds[i] = removes
		case (e.Op == "DEL" || e.Op == "UNLINK") && e.NS == target.NS:
			if slices.ContainsFunc(e.Args, func(a []byte) bool { return string(a) == key }) {
				kinds[i] = removes
			}
		case isPart && op.typ == typ && e.NS == target.NS && len(e.Args) > 0 && string(e.Args[0]) == key:
			subs, _ := SubKeysOf(e)
			if !slices.ContainsFunc(subs, func(s SubRef) bool { return s.Arg == 1 && string(s.Sub) == p }) {
				continue // another part
			}
			if op.remove {
				kinds[i] = removes
				break
			}
			made := provenance.Replay(m, []*formats.Event{e}, target)
			if made == absent || present != "" && made != present {
				return provenance.Closure{Declined: e.Op + " at " + e.Where() + " does not make " + formats.Quote([]byte(p)) + " exist from nothing"}, false
			}
			present, kinds[i] = made, sets
		default:
			return provenance.Closure{Declined: "the history holds " + e.Op + " at " + e.Where() + ", which is not a call on " + formats.Quote([]byte(p)) + " or a deletion of the key"}, false
		}
		switch kinds[i] {
		case sets:
			lastSet = i
		case removes:
			lastGone = i
		}
	}
	exists := lastSet > lastGone
	if exists && out != present || !exists && out != absent {
		return provenance.Closure{}, false
	}
	var group []int
	if lastSet >= 0 {
		want := sets
		if !exists {
			want = removes
		}
		for i := min(lastSet, lastGone) + 1; i < len(history); i++ {
			if kinds[i] == want {
				group = append(group, i)
			}
		}
	}
	return oneByOne(len(history), group), true
}
