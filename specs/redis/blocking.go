package redis

import (
	"math"
	"strconv"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// Blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
// BZPOPMAX, BZMPOP, XREAD and XREADGROUP with BLOCK) find nothing and
// wait. MONITOR logs such a call once, when it is made; the pop that
// serves it later is not logged. The model keeps the waiting clients in
// the order they blocked and serves them as Redis 7.0 does: after the
// command (or EXEC, or script) that wrote a key they wait on finishes,
// key by key in the order the keys became ready, each key's clients first
// come, first served, while the key has something for them. A client
// whose timeout passes by the log's clock gets a nil reply.

// A block is a client waiting in a blocking command.
type block struct {
	id     int64 // the command's event ID
	client string
	db     int
	keys   []string
	// deadline is the log time (Unix ns) of the timeout; 0 waits forever.
	deadline int64
	// serve tries to serve the client from a key that became ready; it
	// returns the reply and whether the client was served.
	serve func(r *run, key []byte) (string, bool)
	// timeout is the reply on timeout.
	timeout string
}

// on reports whether the client waits on a key.
func (b *block) on(k dbKey) bool {
	if b.db != k.db {
		return false
	}
	for _, x := range b.keys {
		if x == k.key {
			return true
		}
	}
	return false
}

// A readyKey is a key clients wait on that was written at a log time
// (Unix ns): Redis serves them then, and a client whose timeout passed
// before is not served.
type readyKey struct {
	k  dbKey
	at int64
}

// markReady notes that a key clients wait on was written. A command in a
// transaction leaves it to EXEC.
func (r *run) markReady(k dbKey) {
	if r.queued {
		c := r.mutConn()
		for _, x := range c.pending {
			if x == k {
				return
			}
		}
		c.pending = append(c.pending, k)
		return
	}
	r.s.markReady(k, r.e.Time)
}

func (s *State) markReady(k dbKey, at int64) {
	for _, x := range s.ready {
		if x.k == k {
			return
		}
	}
	s.ready = append(s.ready, readyKey{k, at})
}

// blockClient makes the running client wait: serve is tried whenever one
// of keys is written, until timeout (ms; 0 is forever) passes.
func (r *run) blockClient(keys [][]byte, timeout int64, onTimeout string, serve func(r *run, key []byte) (string, bool)) string {
	b := &block{id: r.e.ID, client: r.client, db: r.d, timeout: onTimeout, serve: serve}
	for _, k := range keys {
		b.keys = append(b.keys, string(k))
	}
	if timeout > 0 {
		b.deadline = r.e.Time + timeout*1e6
	}
	r.s.blocked = append(r.s.blocked, b)
	return rBlocked
}

// popFirst ends every pop over several keys (BLPOP, BRPOP, LMPOP, BLMPOP,
// BZPOPMIN, BZPOPMAX, ZMPOP, BZMPOP): the first of keys that holds a
// value of type typ is popped with pop (a WRONGTYPE key before it is the
// reply); with none, the reply is a null array, unless block and the
// client may block, which then waits up to timeout for a key pop can
// serve (a sorted set that is empty and not lost cannot).
func (r *run) popFirst(keys [][]byte, typ byte, block bool, timeout int64, pop func(r *run, k []byte, v *value) string) string {
	for _, k := range keys {
		v, e := r.container(k, typ, false)
		if e != "" {
			return e
		}
		if v != nil {
			return pop(r, k, v)
		}
	}
	if !block || !r.canBlock() {
		return rNilArray
	}
	return r.blockClient(keys, timeout, rNilArray, func(r *run, k []byte) (string, bool) {
		v := r.get(k)
		if v == nil || v.typ != typ || typ == tZSet && v.zset.len() == 0 && !v.zset.lost {
			return "", false
		}
		return pop(r, k, v), true
	})
}

// bpopFirst is popFirst for BLPOP, BRPOP, BZPOPMIN and BZPOPMAX, whose
// arguments are the keys, then the timeout.
func (r *run) bpopFirst(typ byte, pop func(r *run, k []byte, v *value) string) string {
	a := r.args
	timeout, e := parseTimeout(a[len(a)-1])
	if e != "" {
		return e
	}
	return r.popFirst(a[:len(a)-1], typ, true, timeout, pop)
}

// eCountNotPositive is the reply to a COUNT of LMPOP or ZMPOP below 1.
const eCountNotPositive = "-ERR count should be greater than 0\r\n"

// mpopCount reads what follows the keys and the side of LMPOP, BLMPOP,
// ZMPOP and BZMPOP: an optional COUNT, once. It returns the count (1
// without one), or the reply to give instead: notInt for a count that is
// not an integer.
func mpopCount(opts [][]byte, notInt string) (int64, string) {
	count := int64(-1)
	for j := 0; j < len(opts); j++ {
		if count == -1 && cEqual(opts[j], "count") && j+1 < len(opts) {
			j++
			c, ok := parseInt(opts[j])
			if !ok {
				return 0, notInt
			}
			if c < 1 {
				return 0, eCountNotPositive
			}
			count = c
			continue
		}
		return 0, eSyntax
	}
	if count == -1 {
		count = 1
	}
	return count, ""
}

// canBlock reports whether the running command may block: not in a
// transaction or a script, where a blocking command that finds nothing
// returns at once.
func (r *run) canBlock() bool { return !r.queued && !r.inScript }

// serve serves the clients waiting on the keys written since the last
// call, as Redis does after a command, EXEC or script, each at the time
// its key became ready: so the outcome does not depend on when the model
// gets to it.
func (s *State) serve() {
	for len(s.ready) > 0 {
		rk := s.ready[0]
		s.ready = s.ready[1:]
		s.timeouts(rk.at)
		for i := 0; i < len(s.blocked); i++ {
			b := s.blocked[i]
			if !b.on(rk.k) {
				continue
			}
			r := &run{s: s, d: rk.k.db, now: rk.at / 1e6, client: b.client, e: &formats.Event{ID: b.id, Time: rk.at}}
			reply, ok := b.serve(r, []byte(rk.k.key))
			if !ok {
				continue
			}
			s.blocked = append(s.blocked[:i:i], s.blocked[i+1:]...)
			i--
			s.setResult(b.id, reply)
		}
	}
	s.ready = nil
}

// timeouts gives a nil reply to the clients whose timeout has passed at
// log time t (Unix ns).
func (s *State) timeouts(t int64) {
	var kept []*block
	for _, b := range s.blocked {
		if b.deadline != 0 && t >= b.deadline {
			s.setResult(b.id, b.timeout)
			continue
		}
		kept = append(kept, b)
	}
	if len(kept) != len(s.blocked) {
		s.blocked = kept
	}
}

// unblock ends a client's wait without a known reply: it sent another
// command, so something the log does not show ended the wait.
func (s *State) unblock(client string) {
	for i, b := range s.blocked {
		if b.client == client {
			s.blocked = append(s.blocked[:i:i], s.blocked[i+1:]...)
			s.setResult(b.id, rUnknownEnd)
			return
		}
	}
}

// rUnknownEnd is the output of a blocking command whose wait ended in a
// way the model did not see.
const rUnknownEnd = "\x00wait ended unseen\r\n"

// deliverOp is the operation of a synthetic event that asks for the reply
// a blocking command got: Args[0] is the command's event ID. Explain puts
// it where the wait ended, so that the reply is explained by the history
// up to there.
const deliverOp = "\x00DELIVER"

// deliverEvent returns the synthetic event for the reply of blocking
// command e, placed after event at (its ID and time).
func deliverEvent(e *formats.Event, at *formats.Event) *formats.Event {
	d := *e
	d.ID, d.Time = at.ID+1, at.Time
	d.Op = deliverOp
	d.Args = [][]byte{[]byte(strconv.FormatInt(e.ID, 10))}
	return &d
}

func deliver(s *State, e *formats.Event) string {
	s.serve()
	s.timeouts(e.Time)
	id, _ := strconv.ParseInt(string(e.Args[0]), 10, 64)
	if r, ok := s.results[id]; ok {
		return r
	}
	for _, b := range s.blocked {
		if b.id == id {
			return rBlocked
		}
	}
	return rNotBlocked
}

// rNotBlocked is a deliver event's output when its command never blocked
// in this history.
const rNotBlocked = "\x00not blocked\r\n"

// parseTimeout reads a blocking command's timeout in seconds (a float
// since Redis 6.0) as getTimeoutFromObjectOrReply does, in whole
// milliseconds rounded up.
func parseTimeout(b []byte) (ms int64, errReply string) {
	f, ok := parseLongDouble(b)
	if !ok {
		return 0, eTimeout
	}
	v, _ := f.Float64()
	if f.IsInf() || v > 9e15 || v < -9e15 {
		return 0, eTimeout
	}
	ms = int64(math.Ceil(v * 1000))
	if ms < 0 {
		return 0, eTimeNeg
	}
	return ms, ""
}

// isBlockingCall reports whether a call can block: a blocking command,
// or XREAD/XREADGROUP with BLOCK.
func isBlockingCall(op string, args [][]byte) bool {
	switch op {
	case "BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP":
		return true
	case "XREAD", "XREADGROUP":
		for _, a := range args {
			if cEqual(a, "BLOCK") {
				return true
			}
		}
	}
	return false
}

// Blocked reports whether an output is a blocking command's at the
// moment it starts to wait (its reply comes later: WaitReply).
func Blocked(o provenance.Output) bool { return string(o) == rBlocked }

// WaitReply returns the reply blocking command e got in a replay whose
// state s has reached log time t (Unix ns): what served it, or its
// timeout reply; an output that Blocked reports while it still waits. It
// serves what is ready and times out what has expired in s.
func WaitReply(s provenance.State, e *formats.Event, t int64) provenance.Output {
	return provenance.Output(deliver(s.(*State), deliverEvent(e, &formats.Event{ID: e.ID, Time: t})))
}
