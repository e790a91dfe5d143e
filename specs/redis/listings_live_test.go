package redis_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/redis"
	"github.com/wat-project/wat/specs/redis/redistest"
)

// TestListingsInsideReplies: a reply that holds a hash table's listing
// (HGETALL of a hash past its listpack encoding, SMEMBERS of a big set)
// inside it — a script returning what HGETALL gave it, a transaction —
// replays with the listing in the model's sorted order, marked; against
// a real redis-server it agrees as a set, a listing changed by one value
// differs, and a script that looks inside the listing has an unknown
// reply. The explanations say the order is not known.
func TestListingsInsideReplies(t *testing.T) {
	srv := redistest.Start(t)
	// Redis 7.0 keeps a hash of up to 512 fields a listpack (insertion
	// order: known), and a set of strings a hash table.
	hset := [][]byte{[]byte("HSET"), []byte("job")}
	mid := [][]byte{[]byte("HSET"), []byte("mid")}
	sadd := [][]byte{[]byte("SADD"), []byte("members")}
	for i := 0; i < 600; i++ {
		hset = append(hset, []byte(fmt.Sprintf("field%03d", (i*37)%600)), []byte(fmt.Sprintf("value %d", i*7)))
		if i < 300 {
			mid = append(mid, []byte(fmt.Sprintf("field%03d", (i*37)%600)), []byte("v"))
		}
		if i < 200 {
			sadd = append(sadd, []byte(fmt.Sprintf("member%03d", i)))
		}
	}
	b := redistest.Args
	passThrough := `return {redis.call('HGETALL', KEYS[1]), 'x', {redis.call('SMEMBERS', KEYS[2]), redis.call('HLEN', KEYS[1])}}`
	lookInside := `local t = redis.call('HGETALL', KEYS[1]); return t[1]`
	cmds := []redistest.Cmd{
		{Args: hset}, {Args: sadd},
		{Args: b("EVAL", passThrough, "2", "job", "members")},
		{Args: b("EVAL", lookInside, "1", "job")},
		{Args: b("MULTI")}, {Args: b("HGETALL", "job")}, {Args: b("GET", "nosuch")}, {Args: b("SMEMBERS", "members")},
		{Args: b("EXEC")},
		{Args: mid}, {Args: b("HKEYS", "mid")},
	}
	capture, replies := redistest.Run(t, srv, cmds)
	s, evs := ingestCapture(t, "sqlite", capture)
	real := pairReplies(t, evs, replies)
	m := redis.Model{}
	st := m.Init()
	outs := map[string]provenance.Output{}
	hsets := 0
	for _, e := range evs {
		out := m.Apply(st, e)
		if e.Client == "lua" {
			continue
		}
		key := e.Op
		if e.Op == "EVAL" {
			key = "EVAL " + map[bool]string{true: "pass", false: "look"}[strings.HasPrefix(string(e.Args[0]), "return")]
			real[e] = replies[map[string]int{"EVAL pass": 2, "EVAL look": 3}[key]].RESP
		}
		if e.Op == "EXEC" {
			real[e] = replies[8].RESP
		}
		if e.Op == "HSET" {
			hsets++
			key = fmt.Sprintf("HSET %d", hsets)
		}
		outs[key] = out
		r, ok := real[e]
		if !ok {
			continue
		}
		v := redis.CompareReply(e, out, r)
		want := redis.Agree
		switch key {
		case "EVAL pass", "EXEC", "HGETALL", "SMEMBERS":
			want = redis.AgreeAsSet
		case "EVAL look":
			want = redis.Labelled
		}
		if v != want {
			t.Errorf("%s %s: %s, want %s: replays %.200q, redis %.200q", e.Where(), key, v, want, out, r)
		}
		if want != redis.AgreeAsSet {
			continue
		}
		// One value changed inside the listing: it differs.
		bad := strings.Replace(string(r), "value 7\r\n", "value 8\r\n", 1)
		if bad == string(r) {
			bad = strings.Replace(string(r), "member007\r\n", "member008\r\n", 1)
		}
		if v := redis.CompareReply(e, out, []byte(bad)); v != redis.Differs {
			t.Errorf("%s %s: a listing with a value changed: %s, want differs", e.Where(), key, v)
		}
		x, err := redis.Spec.Explain(context.Background(), s, e)
		if err != nil {
			t.Fatal(err)
		}
		if x.Exact || !hasNote(x, "hash table") {
			t.Errorf("%s %s: exact %v, notes %q: want not exact, naming the hash table's order", e.Where(), key, x.Exact, x.Notes)
		}
	}
	if len(outs) != 11 {
		t.Errorf("replayed %d kinds of request, want 11: %v", len(outs), outs)
	}
}

// TestOneEntryListings: a hash table of one entry has one order, so its
// listing (HGETALL and HVALS of a hash past its listpack encoding,
// SMEMBERS of a set of strings, KEYS, SORT of such a set) replays byte for byte against a real redis-server and its
// explanation is exact, while the same listings of two entries are
// compared as sets and labelled.
func TestOneEntryListings(t *testing.T) {
	srv := redistest.Start(t)
	long := strings.Repeat("v", 100) // past hash-max-listpack-value
	b := redistest.Args
	listings := func(n, pattern string) []redistest.Cmd {
		return []redistest.Cmd{
			{Args: b("HGETALL", "h"+n)}, {Args: b("HVALS", "h"+n)}, {Args: b("HKEYS", "h"+n)},
			{Args: b("SMEMBERS", "s"+n)}, {Args: b("KEYS", pattern)},
			{Args: b("SORT", "s"+n, "ALPHA", "BY", "nosort")},
		}
	}
	cmds := []redistest.Cmd{{Args: b("FLUSHALL")}, {Args: b("HSET", "h1", "f", long)}, {Args: b("SADD", "s1", "alpha")}}
	cmds = append(cmds, listings("1", "h1")...)
	cmds = append(cmds, redistest.Cmd{Args: b("HSET", "h2", "f", long, "g", "w")}, redistest.Cmd{Args: b("SADD", "s2", "alpha", "beta", "gamma")})
	cmds = append(cmds, listings("2", "?2")...)
	s, evs, real := runStored(t, srv, cmds)
	m := redis.Model{}
	st := m.Init()
	checked := 0
	for _, e := range evs {
		out := m.Apply(st, e)
		r, ok := real[e]
		if !ok || e.Op == "FLUSHALL" || e.Op == "HSET" || e.Op == "SADD" {
			continue
		}
		one := strings.HasSuffix(string(e.Args[0]), "1")
		v := redis.CompareReply(e, out, r)
		x, err := redis.Spec.Explain(context.Background(), s, e)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case one && (v != redis.Agree || !x.Exact):
			t.Errorf("%s %s %s: %s, exact %v %q: want agree and exact (one entry)", e.Where(), e.Op, e.Args[0], v, x.Exact, x.Notes)
		case !one && (v != redis.Agree && v != redis.AgreeAsSet || x.Exact):
			t.Errorf("%s %s %s: %s, exact %v: want agree (as a set) and not exact", e.Where(), e.Op, e.Args[0], v, x.Exact)
		}
		checked++
	}
	if checked != 12 {
		t.Errorf("checked %d listings, want 12", checked)
	}
}
