package redis

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// An EXEC's reply is its transaction's replies. When the transaction
// began cleanly, each reply depends on its own keys' history only, and
// the witnesses are made of the MULTI, the queued commands, what kept
// the client out of a transaction before the MULTI, and a witness of
// each queued reply.
//
// Why, for a subtrace W: let M be the MULTI, Q the queued commands, M' the
// client's MULTI before M and S its EXEC, DISCARD, QUIT and RESET between
// M' and M (each leaves it out of MULTI whatever it was, multiFlagSetters).
// Every superset of W replies as the EXEC does exactly when W holds M, Q
// and (if there is an M') one of S, and each queued command replies in
// every superset as it does: without M the EXEC is refused (add S's last);
// without one of S, adding M' and the client's commands between M' and M
// queues those too (so this needs such a command); without a queued
// command the reply is shorter. With M and one of S in W, no superset has
// the client in MULTI before M, so the queue is Q's replies, and a queued
// command's reply depends only on the events of its own keys' history.
// (A watched key does not matter: MONITOR shows queued commands only when
// EXEC ran them, so the model replies with them whatever was watched.)
// So the minimal witnesses are the minimal sets among the unions of one
// minimal witness of each part with the frame's. When no witness of one
// part holds an event of another's history, every such union is
// minimal: the factors of the parts side by side; otherwise they are
// listed one by one (unionWitnesses).

// execProduct explains an EXEC as that product, or returns nil when the
// transaction is not one it can (then the whole history is searched).
func (w *walk) execProduct(exec *formats.Event) (*provenance.Explanation, error) {
	if exec.Client == "" || exec.Client == "lua" || len(exec.Args) != 0 {
		return nil, nil
	}
	multi, queued, err := w.transactionOf(exec) // none when the history cannot list the client's calls
	if err != nil || multi == nil || len(queued) == 0 {
		return nil, err
	}
	// The client's transaction calls before the MULTI, newest first, up to
	// and with its MULTI before (M').
	var setters []*formats.Event
	var before *formats.Event
	for b := multi.ID; ; {
		evs, err := w.h.Touching(w.ctx, "redis", connNS, []byte(exec.Client), b, 256)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			switch {
			case e.Op == "MULTI":
				before = e
			case multiFlagSetters[e.Op]:
				setters = append(setters, e)
			}
			if before != nil {
				break
			}
		}
		if len(evs) < 256 || before != nil {
			break
		}
		b = evs[len(evs)-1].ID
	}
	if before != nil {
		// A command of the client between M' and M that would be queued
		// without S.
		between, err := w.h.Touching(w.ctx, "redis", clientNS, []byte(exec.Client), multi.ID, 4096)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(between, func(e *formats.Event) bool {
			return e.ID > before.ID && e.Client == exec.Client && !transactionControl[e.Op]
		}) || len(setters) == 0 {
			return nil, nil
		}
	}
	// Each queued command, explained alone: exact, on keys of its own.
	parts := make([]*provenance.Explanation, len(queued))
	tracked := make([]map[nsKey]bool, len(queued))
	for i, q := range queued {
		if !plainQueued(q) {
			return nil, nil
		}
		sub := &walk{ctx: w.ctx, h: w.h, spec: w.spec, target: q}
		x, err := sub.explain(q, outKeys(q))
		if err != nil {
			return nil, err
		}
		if !x.Exact || x.FellBack {
			return nil, nil
		}
		tracked[i] = map[nsKey]bool{}
		var keys []nsKey // none when the reply depends on nothing
		if sub.cursor != nil {
			keys = sub.cursor.keys
		}
		for _, k := range keys {
			if !partNS(k.ns) {
				return nil, nil
			}
			tracked[i][k] = true
		}
		parts[i] = x
	}
	// No event of one part's witnesses, nor the MULTI, S or a queued
	// command, touches another part's keys.
	touches := func(e *formats.Event, keys map[nsKey]bool) bool {
		for k := range keys {
			if kindFor(e, k) >= 0 {
				return true
			}
		}
		return false
	}
	frame := append(append([]*formats.Event{multi}, setters...), queued...)
	disjoint := true
	for i, x := range parts {
		for j := range parts {
			for _, e := range x.Mentioned() {
				disjoint = disjoint && (j == i || !touches(e, tracked[j]))
			}
		}
		for _, e := range frame {
			disjoint = disjoint && (e == queued[i] || !touches(e, tracked[i]))
		}
	}
	x := &provenance.Explanation{Target: exec, Exact: true}
	framing := []provenance.Factor{{append([]*formats.Event{multi}, queued...)}}
	if before != nil {
		var alts [][]*formats.Event
		for k := len(setters) - 1; k >= 0; k-- {
			alts = append(alts, []*formats.Event{setters[k]})
		}
		framing = append(framing, alts)
	}
	if disjoint {
		x.Factors = framing
		for _, p := range parts {
			x.Factors = append(x.Factors, p.Factors...)
			x.Choices = append(x.Choices, p.Choices...)
		}
	} else {
		ws, ok := unionWitnesses(framing, parts)
		if !ok {
			return nil, nil
		}
		if err := x.SetWitnesses(ws); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	for i, p := range parts {
		x.TimeDependent = x.TimeDependent || p.TimeDependent
		for _, n := range p.Notes {
			if strings.Contains(n, queued[i].Op) {
				// A note on the queued command's own reply.
				n = fmt.Sprintf("%s at %s: %s", queued[i].Op, queued[i].Where(), n)
			}
			if !seen[n] {
				seen[n] = true
				x.Notes = append(x.Notes, n)
			}
		}
	}
	// The reply: one witness replayed, which must be what the product's
	// largest superset (every event it mentions) replays too; when it is
	// not, the whole history is searched instead.
	ws, _ := x.Witnesses(1)
	x.Output = replayed(ws[0], exec)
	if replayed(x.Mentioned(), exec) != x.Output {
		return nil, nil
	}
	var keys []nsKey
	for _, t := range tracked {
		for k := range t {
			keys = append(keys, k)
		}
	}
	if err := w.lossNotes(x, exec, keys); err != nil {
		return nil, err
	}
	if err := provenance.DoubtOrder(w.ctx, w.h, x); err != nil {
		return nil, err
	}
	return x, nil
}

// maxUnion bounds the witnesses unionWitnesses lists one by one.
const maxUnion = 1 << 12

// unionWitnesses returns the minimal sets among the unions of one
// alternative of each framing factor and one witness of each part, for
// parts whose histories share events (then a union of minimal ones may
// hold another: an RQ heartbeat's EXPIRE and HSET of one hash are both
// answered by the HSET that sets the field), or false when there are
// more than maxUnion of them to list, or a part holds a choice.
func unionWitnesses(framing []provenance.Factor, parts []*provenance.Explanation) ([][]*formats.Event, bool) {
	combos := [][]*formats.Event{nil}
	grow := func(alts [][]*formats.Event) bool {
		if len(combos)*len(alts) > maxUnion {
			return false
		}
		var next [][]*formats.Event
		for _, c := range combos {
			for _, a := range alts {
				next = append(next, append(slices.Clip(c), a...))
			}
		}
		combos = next
		return true
	}
	for _, f := range framing {
		if !grow(f) {
			return nil, false
		}
	}
	for _, p := range parts {
		ws, complete := p.Witnesses(maxUnion + 1)
		if !complete || len(p.Choices) > 0 || !grow(ws) {
			return nil, false
		}
	}
	// One event for each ID (the parts read their histories apart), each
	// set sorted by ID, and only the sets that hold no other.
	one := map[int64]*formats.Event{}
	for i, c := range combos {
		for k, e := range c {
			if o, ok := one[e.ID]; ok {
				c[k] = o
			} else {
				one[e.ID] = e
			}
		}
		slices.SortFunc(c, func(a, b *formats.Event) int { return int(a.ID - b.ID) })
		combos[i] = slices.CompactFunc(c, func(a, b *formats.Event) bool { return a.ID == b.ID })
	}
	slices.SortStableFunc(combos, func(a, b []*formats.Event) int { return len(a) - len(b) })
	var out [][]*formats.Event
	holds := func(big, small []*formats.Event) bool {
		for _, e := range small {
			if _, ok := slices.BinarySearchFunc(big, e.ID, func(x *formats.Event, id int64) int { return int(x.ID - id) }); !ok {
				return false
			}
		}
		return true
	}
	for _, c := range combos {
		if !slices.ContainsFunc(out, func(o []*formats.Event) bool { return holds(c, o) }) {
			out = append(out, c)
		}
	}
	return out, true
}

// plainQueued tells whether a queued command's reply depends only on its
// keys, which are keys of a database or channels: not a call on its
// connection (its own state, or its subscriptions), not one that waits,
// not a script's, not one on a whole database.
func plainQueued(q *formats.Event) bool {
	if isBlockingCall(q.Op, q.Args) || isScriptCall(q.Op) || transactionControl[q.Op] {
		return false
	}
	for _, r := range keyRefs(q) {
		if r.Key == nil || !partNS(r.NS) || r.NS == formats.AllNS {
			return false
		}
	}
	for _, k := range outKeys(q) {
		if k.whole || !partNS(k.ns) {
			return false
		}
	}
	return true
}

// partNS tells whether a part of execProduct may track keys of a
// namespace: a database's, or the channels' and patterns' that count a
// PUBLISH's subscribers; not a connection's or a client's own.
func partNS(ns string) bool {
	return !pseudoNS(ns) || ns == channelNS || ns == shardNS || ns == patternNS
}

// replayed returns target's output after evs, replayed from Init in ID
// order.
func replayed(evs []*formats.Event, target *formats.Event) provenance.Output {
	evs = slices.Clone(evs)
	slices.SortFunc(evs, func(a, b *formats.Event) int { return int(a.ID - b.ID) })
	evs = slices.CompactFunc(evs, func(a, b *formats.Event) bool { return a.ID == b.ID })
	return provenance.Replay(Model{}, evs, target)
}
