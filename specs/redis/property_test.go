package redis_test

import (
	"context"
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/redis"
)

// A family generates random commands over tiny domains: two keys, a few
// values, two databases, so that values coincide as often as possible.
type family struct {
	name    string
	writes  []string
	targets []string
}

var (
	keys = []string{"a", "b"}
	vals = []string{"0", "1", "x", "", "10"}
)

var families = []family{
	{"strings", []string{
		"SET k v", "SET k v NX", "SET k v XX", "SET k v GET", "SET k v KEEPTTL", "SET k v EX 2", "SET k v PX 1500",
		"SETNX k v", "GETSET k v", "GETDEL k", "APPEND k v", "SETRANGE k 1 v", "INCR k", "INCRBY k n", "DECR k",
		"DECRBY k n", "INCRBYFLOAT k f", "DEL k", "SETEX k 2 v", "GETEX k EX 1", "GETEX k PERSIST", "MSET k v k v",
	}, []string{"GET k", "STRLEN k", "GETRANGE k 0 0", "EXISTS k", "TYPE k", "INCR k", "APPEND k v", "SET k v GET", "SETNX k v", "GETDEL k"}},
	{"counters", []string{"SET k n", "INCR k", "DECR k", "INCRBY k n", "DECRBY k n", "DEL k", "INCRBYFLOAT k f"},
		[]string{"GET k", "INCR k", "STRLEN k"}},
	{"keys", []string{
		"SET k v", "DEL k k", "UNLINK k", "RENAME k k", "RENAMENX k k", "COPY k k", "COPY k k DB d REPLACE", "MOVE k d",
		"EXPIRE k 1", "PEXPIRE k 2500", "EXPIRE k 3 NX", "EXPIRE k 1 GT", "PERSIST k", "FLUSHDB", "FLUSHALL", "SWAPDB 0 1",
		"MSET k v k v", "MSETNX k v k v", "APPEND k v",
	}, []string{"GET k", "MGET k k", "EXISTS k k", "TYPE k", "RENAME k k", "MOVE k d", "DEL k"}},
	{"hashes", []string{"HSET k f v", "HSET k f v f v", "HSETNX k f v", "HDEL k f", "HINCRBY k f n", "DEL k", "SET k v"},
		[]string{"HGET k f", "HMGET k f f", "HGETALL k", "HLEN k", "HEXISTS k f", "HINCRBY k f n"}},
	// Hash fields alone: the histories where HSET and HDEL cut a field's
	// history (other families' writes, mixed in, turn that off).
	{"hash fields", []string{"HSET k f v", "HSET k f v f v", "HDEL k f", "HDEL k f f", "HSETNX k f v", "HINCRBY k f n",
		"DEL k", "PERSIST k", "FLUSHDB"},
		[]string{"HGET k f", "HEXISTS k f", "HMGET k f f"}},
	{"lists", []string{"LPUSH k v", "RPUSH k v v", "LPOP k", "RPOP k", "RPOP k 2", "LSET k 0 v", "DEL k", "SET k v"},
		[]string{"LRANGE k 0 -1", "LLEN k", "LINDEX k 0", "LINDEX k -1", "LPOP k"}},
	{"sets", []string{"SADD k v", "SADD k v v", "SREM k v", "DEL k", "SET k v", "RENAME k k"},
		[]string{"SMEMBERS k", "SISMEMBER k v", "SCARD k", "SADD k v"}},
}

func fill(r *rand.Rand, tmpl string) [][]byte {
	var out [][]byte
	for _, w := range strings.Fields(tmpl)[1:] {
		switch w {
		case "k":
			w = keys[r.Intn(len(keys))]
		case "v":
			w = vals[r.Intn(len(vals))]
		case "n":
			w = []string{"0", "1", "-1", "2"}[r.Intn(4)]
		case "f":
			if strings.HasPrefix(tmpl, "INCRBYFLOAT") {
				w = []string{"0.5", "1", "-1.5", "1e1"}[r.Intn(4)]
			} else {
				w = []string{"f", "g"}[r.Intn(2)]
			}
		case "d":
			w = []string{"0", "1"}[r.Intn(2)]
		}
		out = append(out, []byte(w))
	}
	return out
}

func event(r *rand.Rand, id int, tmpl string, t0 int64) *formats.Event {
	return &formats.Event{
		ID: int64(id), Source: "gen", Line: id, System: "redis",
		NS:   []string{"0", "0", "1"}[r.Intn(3)],
		Time: t0 + int64(id)*700e6, // 0.7 s apart: TTLs of 1-3 s expire inside a trace
		Op:   strings.Fields(tmpl)[0], Args: fill(r, tmpl),
	}
}

// TestSpecEqualsBruteForce is the referee: for thousands of random traces
// per family, the spec's witnesses must be exactly the definition's.
func TestSpecEqualsBruteForce(t *testing.T) {
	per := 2000
	if testing.Short() {
		per = 300
	}
	ctx := context.Background()
	const t0 = 1795535140000000000
	for _, fam := range families {
		t.Run(fam.name, func(t *testing.T) {
			inexact, reduced := 0, 0
			for seed := 0; seed < per; seed++ {
				r := rand.New(rand.NewSource(int64(seed)))
				n := r.Intn(11)
				var trace []*formats.Event
				for i := 1; i <= n; i++ {
					var tmpl string
					if r.Intn(8) == 0 {
						other := families[r.Intn(len(families))]
						tmpl = other.writes[r.Intn(len(other.writes))]
					} else {
						tmpl = fam.writes[r.Intn(len(fam.writes))]
					}
					trace = append(trace, event(r, i, tmpl, t0))
				}
				target := event(r, n+1, fam.targets[r.Intn(len(fam.targets))], t0)
				check(t, ctx, trace, target, &inexact, &reduced)
			}
			if inexact > 0 {
				t.Errorf("%d of %d answers were not exact", inexact, per)
			}
			t.Logf("%d of %d answers also exact with limit 1", reduced, per)
		})
	}
}

func check(t *testing.T, ctx context.Context, trace []*formats.Event, target *formats.Event, inexact, reduced *int) {
	t.Helper()
	m := redis.Spec.Model()
	want, wantOut, err := provenance.BruteForce(m, trace, target)
	if err != nil {
		t.Fatal(err)
	}
	h := &provenance.MemHistory{Events: trace, Refs: redis.Spec.Refs}
	x, err := redis.Spec.Explain(ctx, h, target)
	if err != nil {
		t.Fatalf("%s\nExplain: %v", dump(trace, target), err)
	}
	// The same answer with a limit so low that long stretches go through
	// the forced-event reduction (or, when that is not enough, the
	// labelled fallback).
	if y, err := lowLimit.Explain(ctx, h, target); err != nil {
		t.Fatalf("%s\nExplain (limit 1): %v", dump(trace, target), err)
	} else if y.Exact {
		*reduced++
		if !reflect.DeepEqual(positionsOf(y), positionsOf(x)) && x.Exact {
			t.Fatalf("%s\nlimit 1: %v, limit 16: %v", dump(trace, target), positionsOf(y), positionsOf(x))
		}
	} else if fb := positionsOf(y); len(fb) != 1 || !containsSome(fb[0], want) {
		// The fallback must still be one closed witness: closed subtraces
		// are closed upwards, so it holds some minimal one.
		t.Fatalf("%s\nfallback %v is not closed (minimal closed witnesses: %v)", dump(trace, target), fb, want)
	}
	if x.Output != wantOut {
		t.Fatalf("%s\noutput = %q, want %q", dump(trace, target), x.Output, wantOut)
	}
	if !x.Exact {
		*inexact++
		return
	}
	if got := positionsOf(x); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s\nspec = %v\nbrute force = %v", dump(trace, target), got, want)
	}
}

// containsSome reports whether w holds every element of one of ws.
func containsSome(w []int, ws [][]int) bool {
	in := map[int]bool{}
	for _, p := range w {
		in[p] = true
	}
	for _, c := range ws {
		all := true
		for _, p := range c {
			all = all && in[p]
		}
		if all {
			return true
		}
	}
	return false
}

var lowLimit = redis.New(redis.Options{Limit: 1})

// positionsOf lists an explanation's witnesses as sorted positions (event
// IDs count from 1).
func positionsOf(x *provenance.Explanation) [][]int {
	ws, complete := x.Witnesses(1 << 16)
	if !complete {
		panic("too many witnesses")
	}
	got := [][]int{}
	for _, w := range ws {
		p := []int{}
		for _, e := range w {
			p = append(p, int(e.ID-1))
		}
		got = append(got, p)
	}
	provenance.SortWitnesses(got)
	return got
}

// dump prints a trace as MONITOR lines, ready to paste into testdata.
func dump(trace []*formats.Event, target *formats.Event) string {
	var b strings.Builder
	for i, e := range append(append([]*formats.Event(nil), trace...), target) {
		fmt.Fprintf(&b, "%d.%06d [%s 127.0.0.1:1] %q", e.Time/1e9, e.Time%1e9/1e3, e.NS, e.Op)
		for _, a := range e.Args {
			fmt.Fprintf(&b, " %q", a)
		}
		if i == len(trace) {
			b.WriteString("   <- target")
		}
		b.WriteByte('\n')
	}
	return b.String()
}
