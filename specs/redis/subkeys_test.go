package redis_test

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/redis"
)

// A partGroup is a data type whose keys have parts (a hash's fields, a
// set's members, a string's bits), with templates over tiny domains: k a
// key, p a part, v a value, n a number; K and P are a given key and part.
type partGroup struct {
	name   string
	parts  []string
	state  []string // commands that build a key of the type
	set    string   // gives part P a value
	unset  string   // removes part P (or clears it)
	probe  string   // reads part P
	calls  []string // the commands whose declarations are checked
	values []string
}

var partGroups = []partGroup{
	{name: "hash", parts: []string{"a", "b", "c"}, values: []string{"1", "2", "x"},
		state: []string{"HSET k p v", "HSET k p v p v", "HDEL k p", "HINCRBY k p n"},
		set:   "HSET K P v", unset: "HDEL K P", probe: "HGET K P",
		calls: []string{"HDEL k p", "HDEL k p p", "HEXISTS k p", "HGET k p", "HINCRBY k p n", "HINCRBYFLOAT k p n",
			"HMGET k p p", "HMSET k p v", "HMSET k p v p v", "HSET k p v", "HSET k p v p v", "HSET k p v p",
			"HSETNX k p v", "HSTRLEN k p"}},
	{name: "set", parts: []string{"a", "b", "1"}, values: []string{"1"},
		state: []string{"SADD k p", "SADD k p p", "SREM k p"},
		set:   "SADD K P", unset: "SREM K P", probe: "SISMEMBER K P",
		calls: []string{"SADD k p", "SADD k p p", "SREM k p", "SREM k p p", "SISMEMBER k p", "SMISMEMBER k p p",
			"SMOVE k k p"}},
	{name: "sorted set", parts: []string{"a", "b", "c"}, values: []string{"1"},
		state: []string{"ZADD k n p", "ZADD k n p n p", "ZREM k p", "ZINCRBY k n p"},
		set:   "ZADD K 5 P", unset: "ZREM K P", probe: "ZSCORE K P",
		calls: []string{"ZADD k n p", "ZADD k n p n p", "ZADD k NX n p", "ZADD k xx CH n p n p", "ZADD k GT n p",
			"ZADD k LT CH n p", "ZADD k INCR n p", "ZADD k NX INCR n p", "ZADD k n p n", "ZADD k CH",
			"ZINCRBY k n p", "ZREM k p", "ZREM k p p", "ZSCORE k p", "ZMSCORE k p p"}},
	{name: "geo", parts: []string{"a", "b", "c"}, values: []string{"1", "2", "-3.5", "181"},
		state: []string{"GEOADD k v v p", "GEOADD k v v p v v p", "ZREM k p"},
		set:   "GEOADD K 10 20 P", unset: "ZREM K P", probe: "ZSCORE K P",
		calls: []string{"GEOADD k v v p", "GEOADD k NX v v p", "GEOADD k XX CH v v p v v p", "GEOADD k ch v v p",
			"GEOADD k v v", "GEOPOS k p p", "GEOHASH k p", "GEODIST k p p", "GEODIST k p p km"}},
	{name: "stream", parts: []string{"1-0", "2-0", "2-1", "3-0"}, values: []string{"1"},
		state: []string{"XADD k p f v", "XDEL k p", "XTRIM k MAXLEN 2"},
		set:   "XADD K P f v", unset: "XDEL K P", probe: "XRANGE K P P",
		calls: []string{"XDEL k p", "XDEL k p p", "XDEL k 2", "XDEL k x"}},
	{name: "bits", parts: []string{"0", "1", "7", "8", "17"}, values: []string{"0", "1"},
		state: []string{"SETBIT k p v"},
		set:   "SETBIT K P 1", unset: "SETBIT K P 0", probe: "GETBIT K P",
		calls: []string{"SETBIT k p v", "SETBIT k p 2", "GETBIT k p", "SETBIT k -1 1"}},
}

// TestSubKeysDeclared checks the table's declarations of the parts of keys
// that commands touch, against the model, on random states: a part a
// call does not declare does not change its reply, and the call does not
// change it; a part it declares as set or removed ends the same whatever
// it held (when the call succeeds). Whether the key exists is the key's
// own, not a part: states that differ in it are not compared.
func TestSubKeysDeclared(t *testing.T) {
	per := scaled(3000, 500)
	m := redis.Model{}
	apply := func(st provenance.State, evs ...*formats.Event) provenance.State {
		st = m.Clone(st)
		for _, e := range evs {
			m.Apply(st, e)
		}
		return st
	}
	reply := func(st provenance.State, e *formats.Event) provenance.Output { return m.Apply(m.Clone(st), e) }
	for _, g := range partGroups {
		t.Run(g.name, func(t *testing.T) {
			checked := map[string]int{}
			for seed := 0; seed < per; seed++ {
				r := rand.New(rand.NewSource(int64(seed)))
				id := 0
				ev := func(tmpl, key, part string) *formats.Event {
					id++
					return partEvent(r, g, id, tmpl, key, part)
				}
				var base []*formats.Event
				for i := r.Intn(7); i > 0; i-- {
					base = append(base, ev(g.state[r.Intn(len(g.state))], "", ""))
				}
				st := apply(m.Init(), base...)
				call := ev(g.calls[r.Intn(len(g.calls))], "", "")
				subs, ok := redis.SubKeysOf(call)
				if !ok {
					t.Fatalf("%s %q: no declaration", call.Op, call.Args)
				}
				checked[call.Op]++
				declared := map[string]formats.Ref{}
				for _, s := range subs {
					declared[string(call.Args[s.Arg-1])+"\x00"+string(s.Sub)] = formats.Ref{Kind: s.Kind}
				}
				got := reply(st, call)
				after := apply(st, call)
				for _, k := range []string{"k", "k2"} {
					for _, p := range g.parts {
						if _, ok := declared[k+"\x00"+p]; ok {
							continue
						}
						// An undeclared part does not change the reply...
						tmpl := g.set
						if r.Intn(2) == 0 {
							tmpl = g.unset
						}
						other := apply(st, ev(tmpl, k, p))
						exists := ev("EXISTS K", k, "")
						if reply(other, exists) != reply(st, exists) {
							// The key's existence is the key's own, not a part.
							continue
						}
						if o := reply(other, call); o != got {
							t.Errorf("seed %d: %s %q replies %q, but %q after %s %s (an undeclared part)", seed, call.Op, call.Args, got, o, tmpl, p)
						}
						// ...and the call does not change it.
						probe := ev(g.probe, k, p)
						if b, a := reply(st, probe), reply(after, probe); b != a {
							t.Errorf("seed %d: %s %q changed %s %s (undeclared): %q, then %q", seed, call.Op, call.Args, k, p, b, a)
						}
					}
				}
				if strings.HasPrefix(string(got), "-") {
					continue
				}
				for _, s := range subs {
					if s.Kind != formats.KindReset {
						continue
					}
					k := string(call.Args[s.Arg-1])
					set := apply(st, ev(g.set, k, string(s.Sub)), call)
					unset := apply(st, ev(g.unset, k, string(s.Sub)), call)
					probe := ev(g.probe, k, string(s.Sub))
					if a, b := reply(set, probe), reply(unset, probe); a != b {
						t.Errorf("seed %d: %s %q declares %s %s set or removed, yet it ends %q or %q by what it held", seed, call.Op, call.Args, k, s.Sub, a, b)
					}
				}
			}
			t.Logf("%d calls checked: %v", per, checked)
		})
	}
}

// partEvent builds a request of group g from a template, with key and
// part for K and P.
func partEvent(r *rand.Rand, g partGroup, id int, tmpl, key, part string) *formats.Event {
	ws := strings.Fields(tmpl)
	e := &formats.Event{ID: int64(id), Source: "gen", Line: id, System: "redis", NS: "0",
		Time: 1795535140000000000 + int64(id)*1e6, Op: ws[0], Client: "127.0.0.1:1"}
	for _, w := range ws[1:] {
		switch w {
		case "k":
			w = []string{"k", "k2"}[r.Intn(2)]
		case "p":
			w = g.parts[r.Intn(len(g.parts))]
		case "K":
			w = key
		case "P":
			w = part
		case "v":
			w = g.values[r.Intn(len(g.values))]
		case "n":
			w = []string{"1", "2", "-1", "x"}[r.Intn(4)]
		}
		e.Args = append(e.Args, []byte(w))
	}
	return e
}
