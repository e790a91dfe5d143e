package redis_test

import (
	"bufio"
	"bytes"
	"math/rand"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/formats/redismonitor"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/redis"
	"github.com/wat-project/wat/specs/redis/redistest"
)

// liveConn is one client connection of a session: commands are written
// without waiting, and a goroutine reads every value the server sends.
type liveConn struct {
	nc   net.Conn
	addr string
	mu   sync.Mutex
	got  [][]byte // every value received, in order
	done chan struct{}
	// what the generator knows of it
	multi   bool
	subs    map[string]bool
	psubs   map[string]bool
	blocked int64 // the event id of the command it waits in, or 0
	sent    []sentCmd
}

type sentCmd struct {
	args [][]byte
	id   int64
}

func dialLive(t *testing.T, addr string) *liveConn {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := &liveConn{nc: nc, addr: nc.LocalAddr().String(), done: make(chan struct{}), subs: map[string]bool{}, psubs: map[string]bool{}}
	go func() {
		defer close(c.done)
		r := bufio.NewReader(nc)
		for {
			v, err := redistest.ReadReply(r)
			if err != nil {
				return
			}
			c.mu.Lock()
			c.got = append(c.got, v)
			c.mu.Unlock()
		}
	}()
	return c
}

// push reports whether a value is a message pushed to a subscriber, not
// the reply to a command.
func push(v []byte) bool {
	return bytes.HasPrefix(v, []byte("*3\r\n$7\r\nmessage\r\n")) || bytes.HasPrefix(v, []byte("*4\r\n$8\r\npmessage\r\n")) ||
		bytes.HasPrefix(v, []byte("*3\r\n$8\r\nsmessage\r\n"))
}

// replies is how many values a command gets back.
func replies(c *liveConn, args [][]byte, subs, psubs int) int {
	op := strings.ToUpper(string(args[0]))
	switch op {
	case "SUBSCRIBE", "PSUBSCRIBE":
		return len(args) - 1
	case "UNSUBSCRIBE", "PUNSUBSCRIBE":
		if len(args) > 1 {
			return len(args) - 1
		}
		n := subs
		if op == "PUNSUBSCRIBE" {
			n = psubs
		}
		return max(n, 1)
	}
	return 1
}

// TestLiveConnections drives a real server from three connections at
// once with what only connections have: transactions with WATCH, blocking
// pops served by other clients' pushes (or timing out), and pub/sub; it
// records every reply and checks that the model replays each one.
func TestLiveConnections(t *testing.T) {
	srv := redistest.Start(t)
	admin := srv.MustDial(t)
	sessions := scaled(24, 8)
	table := liveVerdicts{}
	compared := 0
	for seed := 0; seed < sessions; seed++ {
		if _, err := admin.DoStrings("FLUSHALL"); err != nil {
			t.Fatal(err)
		}
		compared += liveSession(t, srv, int64(seed), table)
	}
	t.Logf("%d replies compared over %d sessions:\n%s", compared, sessions, table.table())
	if compared < sessions*60 {
		t.Errorf("compared %d replies, want at least %d", compared, sessions*60)
	}
}

func liveSession(t *testing.T, srv *redistest.Server, seed int64, table liveVerdicts) int {
	r := rand.New(rand.NewSource(seed))
	stop := monitor(t, srv.Addr)
	conns := []*liveConn{dialLive(t, srv.Addr), dialLive(t, srv.Addr), dialLive(t, srv.Addr)}
	m := redis.Model{}
	st := m.Init()
	pick := func(xs ...string) string { return xs[r.Intn(len(xs))] }
	key := func() string { return pick("a", "b") }
	for id := int64(1); id <= 150; id++ {
		var c *liveConn
		for _, i := range r.Perm(len(conns)) {
			if conns[i].blocked == 0 {
				c = conns[i]
				break
			}
		}
		if c == nil {
			break // every client waits
		}
		var cmd string
		switch {
		case len(c.subs)+len(c.psubs) > 0:
			cmd = pick("SUBSCRIBE "+pick("x", "y"), "UNSUBSCRIBE "+pick("x", "y"), "UNSUBSCRIBE", "PSUBSCRIBE "+pick("x*", "*"),
				"PUNSUBSCRIBE", "PING")
		case c.multi:
			cmd = pick("EXEC", "EXEC", "DISCARD", "SET "+key()+" v", "INCR "+key(), "LPUSH "+key()+" "+pick("1", "2"),
				"RPOP "+key(), "GET "+key(), "BLPOP "+key()+" 0", "LLEN "+key(), "PUBLISH x m", "SUBSCRIBE x")
		default:
			cmd = pick("SET "+key()+" "+pick("1", "2"), "INCR "+key(), "DEL "+key(), "GET "+key(),
				"LPUSH "+key()+" "+pick("1", "2"), "RPUSH "+key()+" 3 4", "LPOP "+key(), "LLEN "+key(), "LRANGE "+key()+" 0 -1",
				"BLPOP "+key()+" "+key()+" "+pick("0", "0.2"), "BRPOP "+key()+" 0", "BLMOVE "+key()+" "+key()+" LEFT RIGHT "+pick("0", "0.3"),
				"BLMPOP 0.2 2 a b LEFT COUNT 2", "BRPOPLPUSH "+key()+" "+key()+" 0",
				"MULTI", "MULTI", "WATCH "+key(), "UNWATCH", "PUBLISH "+pick("x", "y")+" m", "PUBSUB NUMSUB x y",
				"SUBSCRIBE "+pick("x", "y"), "PSUBSCRIBE "+pick("x*", "*"), "PING", "PUBSUB NUMPAT")
		}
		args := redistest.Args(strings.Fields(cmd)...)
		now := time.Now()
		if _, err := c.nc.Write(redistest.EncodeCommand(args...)); err != nil {
			t.Fatal(err)
		}
		c.sent = append(c.sent, sentCmd{args: args, id: id})
		time.Sleep(3 * time.Millisecond)
		// Predict with the model, so as never to send a command to a
		// client that waits (the server would hold it).
		ev := &formats.Event{ID: id, Time: now.UnixNano(), System: "redis", NS: "0", Client: c.addr, Op: strings.ToUpper(string(args[0])), Args: args[1:]}
		out := m.Apply(st, ev)
		switch ev.Op {
		case "MULTI":
			c.multi = true
		case "EXEC", "DISCARD":
			c.multi = false
		case "SUBSCRIBE":
			c.subs[string(args[1])] = true
		case "PSUBSCRIBE":
			c.psubs[string(args[1])] = true
		case "UNSUBSCRIBE":
			if len(args) == 1 {
				c.subs = map[string]bool{}
			}
			for _, a := range args[1:] {
				delete(c.subs, string(a))
			}
		case "PUNSUBSCRIBE":
			c.psubs = map[string]bool{}
		}
		if out == "\x00blocked\r\n" {
			c.blocked = id
		}
		for _, x := range conns {
			if x.blocked == 0 {
				continue
			}
			d := &formats.Event{ID: id, Time: time.Now().UnixNano(), System: "redis", NS: "0", Client: x.addr,
				Op: "\x00DELIVER", Args: [][]byte{[]byte(strconv.FormatInt(x.blocked, 10))}}
			if o := m.Apply(m.Clone(st), d); o != "\x00blocked\r\n" {
				x.blocked = 0
				time.Sleep(2 * time.Millisecond)
			}
		}
	}
	time.Sleep(50 * time.Millisecond)
	capture := string(stop())
	for _, c := range conns {
		c.nc.Close()
		<-c.done
	}
	// The capture, parsed; each line paired with the command that
	// caused it (per client, in order) and that command's reply.
	p := redismonitor.Format.NewParser()
	var evs []*formats.Event
	for i, line := range strings.Split(strings.TrimSuffix(capture, "\n"), "\n") {
		e := &formats.Event{Source: "live", Line: i + 1}
		res, err := p.Parse([]byte(line), e)
		if err != nil {
			t.Fatalf("line %d %q: %v", i+1, line, err)
		}
		if res == formats.IsEvent {
			e.ID = int64(len(evs) + 1)
			evs = append(evs, e)
		}
	}
	real := pairLive(t, conns, evs)
	n := 0
	outs := replayCapture(evs)
	for i, e := range evs {
		out := outs[i]
		reply, ok := real[e]
		if !ok {
			continue
		}
		v := redis.CompareReply(e, out, reply)
		table.add(e.Op, v)
		n++
		if v == redis.Differs || v == redis.NotModelled {
			t.Errorf("seed %d line %d: %s %q: model %q, redis %q\n%s", seed, e.Line, e.Op, e.Args, out, reply, capture)
			return n
		}
	}
	// Every reply, explained (a blocking call's: the reply it got later):
	// an answer labelled exact must have the real reply as its output.
	h := &provenance.MemHistory{Events: evs, Refs: redis.TraceRefs(evs)}
	for _, e := range evs {
		reply, ok := real[e]
		if !ok {
			continue
		}
		x, err := redis.Spec.Explain(t.Context(), h, e)
		if err != nil {
			t.Fatalf("seed %d line %d: %v", seed, e.Line, err)
		}
		if v := redis.CompareReply(e, x.Output, reply); v != redis.Agree && x.Exact {
			t.Errorf("seed %d line %d: %s: explained as exact with output %q, redis replied %q (%v)\n%s", seed, e.Line, e.Op, x.Output, reply, x.Notes, capture)
		}
	}
	return n
}

// pairLive gives each MONITOR line the reply its command got: per client,
// lines and sent commands are in the same order; a command queued in
// MULTI got +QUEUED, and its reply is its element of EXEC's array.
func pairLive(t *testing.T, conns []*liveConn, evs []*formats.Event) map[*formats.Event][]byte {
	out := map[*formats.Event][]byte{}
	for _, c := range conns {
		var mine []*formats.Event
		for _, e := range evs {
			if e.Client == c.addr {
				mine = append(mine, e)
			}
		}
		var vals [][]byte
		for _, v := range c.got {
			if !push(v) {
				vals = append(vals, v)
			}
		}
		subs, psubs := map[string]bool{}, map[string]bool{}
		type q struct {
			e *formats.Event
			n int // values in EXEC's reply
		}
		var queued []q
		multi := false
		i, k := 0, 0
		for _, s := range c.sent {
			n := replies(c, s.args, len(subs), len(psubs))
			inExec := n
			if op := strings.ToUpper(string(s.args[0])); multi && op != "EXEC" && op != "DISCARD" {
				n = 1 // +QUEUED
			} else if multi && op == "EXEC" && i < len(vals) && !bytes.Equal(vals[i], []byte("*-1\r\n")) {
				// The queued commands that write several values write them
				// all, past the count of EXEC's array.
				for _, x := range queued {
					n += x.n - 1
				}
			}
			if i+n > len(vals) {
				break // no reply: the client still waited at the end
			}
			reply := bytes.Join(vals[i:i+n], nil)
			i += n
			op := strings.ToUpper(string(s.args[0]))
			switch {
			case op == "SUBSCRIBE":
				subs[string(s.args[1])] = true
			case op == "PSUBSCRIBE":
				psubs[string(s.args[1])] = true
			case op == "UNSUBSCRIBE" && len(s.args) == 1:
				subs = map[string]bool{}
			case op == "UNSUBSCRIBE":
				delete(subs, string(s.args[1]))
			case op == "PUNSUBSCRIBE":
				psubs = map[string]bool{}
			}
			// A command queued in a transaction EXEC did not run (DISCARD,
			// or a watched key changed) has no line.
			var e *formats.Event
			if k < len(mine) && strings.EqualFold(mine[k].Op, string(s.args[0])) && slices.EqualFunc(mine[k].Args, s.args[1:], bytes.Equal) {
				e = mine[k]
				k++
			}
			switch op {
			case "MULTI":
				multi, queued = true, nil
			case "EXEC", "DISCARD":
				// EXEC's array has one element per queued command, but a
				// command that replies several values (SUBSCRIBE x y)
				// writes them all: read them as the wire has them.
				if op == "EXEC" && !bytes.Equal(reply, []byte("*-1\r\n")) {
					_, body, _ := bytes.Cut(reply, []byte("\r\n"))
					for _, x := range queued {
						var vals []byte
						for j := 0; j < x.n; j++ {
							v, used, err := redistest.Parse(body)
							if err != nil {
								t.Fatalf("%s: EXEC reply %q: %v", c.addr, reply, err)
							}
							vals = append(vals, v.Encode()...)
							body = body[used:]
						}
						if x.e != nil {
							out[x.e] = vals
						}
					}
				}
				multi = false
			default:
				if multi {
					queued = append(queued, q{e, inExec})
					continue
				}
			}
			if e != nil {
				out[e] = reply
			} else if !multi && op != "DISCARD" && op != "EXEC" {
				t.Fatalf("%s: sent %q has no MONITOR line (next line %d)", c.addr, s.args, lineOf(mine, k))
			}
		}
	}
	return out
}

func lineOf(evs []*formats.Event, k int) int {
	if k < len(evs) {
		return evs[k].Line
	}
	return -1
}
