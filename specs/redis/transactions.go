package redis

import (
	"strconv"
	"strings"

	"github.com/wat-project/wat/formats"
)

// The transaction commands. MONITOR logs MULTI when it runs, and each
// queued command when EXEC runs it, right before the EXEC line; a
// transaction that EXEC did not run (a watched key changed, or DISCARD)
// shows no queued command. So the model runs a client's commands where
// they are logged, collects their replies while the client is in MULTI,
// and EXEC replies with them: nil when it has none and a watched key
// changed since WATCH. A transaction whose command Redis rejected while
// queueing (EXECABORT) looks like an empty one: MONITOR never shows the
// rejected command.
var transactionCommands = inGroup("transactions", []*Command{
	{Name: "DISCARD", Arity: 1, Flags: "noscript loading stale fast allow_busy", Run: discard, Refs: connRefs},
	{Name: "EXEC", Arity: 1, Flags: "noscript loading stale skip_slowlog", Run: exec, Refs: connRefs},
	{Name: "MULTI", Arity: 1, Flags: "noscript loading stale fast allow_busy", Run: multi, Refs: connRefs},
	{Name: "UNWATCH", Arity: 1, Flags: "noscript loading stale fast allow_busy", Run: unwatch, Refs: connRefs},
	{Name: "WATCH", Arity: -2, Flags: "noscript loading stale fast allow_busy",
		Keys: []KeySpec{keysFrom(1, "RO")}, Run: watch,
		Refs: func(e *formats.Event) []formats.Ref {
			out := connRefs(e)
			for _, k := range e.Args {
				out = append(out, formats.Ref{NS: e.NS, Key: k, Kind: formats.KindRead})
			}
			return out
		}},
})

// transactionControl are the commands a client in MULTI runs at once
// instead of queueing them.
var transactionControl = map[string]bool{"EXEC": true, "DISCARD": true, "MULTI": true, "WATCH": true, "QUIT": true, "RESET": true}

// connNS is the namespace of the index under which a connection's own
// state changes are found, keyed by the client's address.
const connNS = "@conn"

// connRefs indexes a command that changes its connection's state.
func connRefs(e *formats.Event) []formats.Ref {
	if e.Client == "" || e.Client == "lua" {
		return nil
	}
	return []formats.Ref{{NS: connNS, Key: []byte(e.Client), Kind: formats.KindWrite}}
}

func multi(r *run) string {
	if c := r.s.conns[r.client]; c != nil && c.multi {
		return "-ERR MULTI calls can not be nested\r\n"
	}
	c := r.mutConn()
	c.multi, c.queued = true, nil
	return rOK
}

// endTransaction leaves MULTI and forgets the watched keys.
func (r *run) endTransaction() {
	c := r.mutConn()
	c.multi, c.queued, c.watched, c.dirty, c.pending = false, nil, nil, false, nil
	c.dirtyUnknown = false
}

func exec(r *run) string {
	c := r.s.conns[r.client]
	if c == nil || !c.multi {
		return "-ERR EXEC without MULTI\r\n"
	}
	dirty := c.dirty
	for _, w := range c.watched {
		if w.expires != 0 && r.now > w.expires {
			dirty = true
		}
	}
	queued, pending, dirtyUnknown := c.queued, c.pending, c.dirtyUnknown
	r.endTransaction()
	// The clients waiting on keys the transaction wrote are served when
	// EXEC ends.
	for _, k := range pending {
		r.s.markReady(k, r.e.Time)
	}
	if len(queued) == 0 && dirty {
		return rNilArray
	}
	if len(queued) == 0 && dirtyUnknown {
		// Nil or empty: MONITOR shows no queued command either way.
		return rExecUnknown
	}
	// A queued reply listing a hash table keeps its mark, at its place.
	items := make([]string, len(queued))
	var paths []string
	for k, q := range queued {
		resp, _ := splitOutput(q)
		if strings.HasPrefix(resp, "\x00") {
			return rExecUnknown
		}
		items[k] = resp
		for _, p := range unorderedPaths(q) {
			paths = append(paths, "/"+strconv.Itoa(k)+p)
		}
	}
	return unorderedAt(array(items), paths)
}

// rExecUnknown is EXEC's output when a command of the transaction has a
// reply the model does not know.
const rExecUnknown = "\x00a queued reply is not known\r\n"

func discard(r *run) string {
	c := r.s.conns[r.client]
	if c == nil || !c.multi {
		return "-ERR DISCARD without MULTI\r\n"
	}
	r.endTransaction()
	return rOK
}

func watch(r *run) string {
	if c := r.s.conns[r.client]; c != nil && c.multi {
		return "-ERR WATCH inside MULTI is not allowed\r\n"
	}
	c := r.mutConn()
	for _, k := range r.args {
		w := watched{k: dbKey{r.d, string(k)}}
		dup := false
		for _, x := range c.watched {
			dup = dup || x.k == w.k
		}
		if dup {
			continue
		}
		if v := r.get(k); v != nil {
			w.expires = v.expire
		}
		c.watched = append(c.watched, w)
	}
	return rOK
}

func unwatch(r *run) string {
	if c := r.s.conns[r.client]; c != nil && (len(c.watched) > 0 || c.dirty) {
		c = r.mutConn()
		c.watched, c.dirty, c.dirtyUnknown = nil, false, false
	}
	return rOK
}

// multiFlagReaders are the commands whose reply depends on nothing but
// whether their client is in MULTI: a nested MULTI is refused, and so is
// a DISCARD outside one.
var multiFlagReaders = map[string]bool{"MULTI": true, "DISCARD": true}

// multiFlagSetters are the commands that leave their client in MULTI or
// out of it whatever it was before: MULTI sets it (a nested one is
// refused and leaves it set), EXEC and DISCARD clear it (outside a
// transaction they are refused, and it stays clear), QUIT and RESET drop
// the connection's state. Nothing else changes it.
var multiFlagSetters = map[string]bool{"MULTI": true, "EXEC": true, "DISCARD": true, "QUIT": true, "RESET": true}

// multiFlagSlice returns, for a target whose reply reads only its
// client's MULTI flag and whose only key is that connection, the test of
// the calls that leave the flag as it was in every state (skip: all but
// its own client's multiFlagSetters), and of those that set it whatever
// it was (reset: the setters; one Redis refuses for its number of
// arguments is in no history, keyRefs). The witnesses are then the
// client's last MULTI when nothing cleared the flag after it, or else any
// one of the calls that cleared it after its last MULTI (none when there
// is no MULTI): without this a connection that ran many transactions, or
// watched keys, is beyond the enumeration.
func multiFlagSlice(target *formats.Event, keys []nsKey) (skip, reset func(*formats.Event) bool) {
	conn := nsKey{ns: connNS, key: target.Client}
	if !multiFlagReaders[target.Op] || target.Client == "" || target.Client == "lua" || len(keys) != 1 || keys[0] != conn {
		return nil, nil
	}
	reset = func(e *formats.Event) bool { return e.Client == target.Client && multiFlagSetters[e.Op] }
	return func(e *formats.Event) bool { return !reset(e) }, reset
}
