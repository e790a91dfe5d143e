package redis_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/formats/redismonitor"
	"github.com/wat-project/wat/ingest"
	"github.com/wat-project/wat/ingest/storetest"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/redis"
	"github.com/wat-project/wat/specs/redis/redistest"
)

// store ingests a capture into a real store on backend (a SQLite file, or
// a PostgreSQL schema) and returns it with
// every stored event, in trace order.
func store(t *testing.T, backend string, capture []byte) (*ingest.Store, []*formats.Event) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "monitor.log")
	if err := os.WriteFile(path, capture, 0o644); err != nil {
		t.Fatal(err)
	}
	fs := []*formats.Format{redismonitor.Format}
	s, err := ingest.Open(ctx, storetest.New(t, backend), ingest.Options{Formats: fs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	sum, err := s.Ingest(ctx, path, bytes.NewReader(capture), 0, ingest.IngestOptions{
		Formats: fs, Indexes: map[string]func() func(*formats.Event) []formats.Ref{"redis": redis.Spec.(provenance.Indexer).NewIndex}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rejected > 0 {
		t.Fatalf("%d rejected lines in a real capture: %+v", sum.Rejected, sum.Rejects)
	}
	evs, err := s.Events(ctx, ingest.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return s, evs
}

// pairReplies matches each stored event with the reply the server sent
// for it: per client in order, with MULTI's queued commands given their
// share of EXEC's array. Lua lines have no reply of their own.
func pairReplies(t *testing.T, evs []*formats.Event, replies []redistest.Reply) map[*formats.Event][]byte {
	t.Helper()
	queues := map[string][]redistest.Reply{}
	for _, r := range replies {
		queues[r.Client] = append(queues[r.Client], r)
	}
	out := map[*formats.Event][]byte{}
	queued := map[string][]*formats.Event{}
	inMulti := map[string]bool{}
	for _, e := range evs {
		if e.Client == "lua" {
			continue
		}
		q := queues[e.Client]
		if len(q) == 0 {
			t.Fatalf("%s: no reply left for client %s", e.Where(), e.Client)
		}
		r := q[0]
		queues[e.Client] = q[1:]
		if !strings.EqualFold(string(r.Args[0]), e.Op) || !reflect.DeepEqual(r.Args[1:], e.Args) && !(len(r.Args) == 1 && len(e.Args) == 0) {
			t.Fatalf("%s: event %s %q paired with command %q", e.Where(), e.Op, e.Args, r.Args)
		}
		switch {
		case e.Op == "MULTI":
			inMulti[e.Client] = true
		case e.Op == "EXEC" && inMulti[e.Client]:
			v, _, err := redistest.Parse(r.RESP)
			if err != nil {
				t.Fatal(err)
			}
			if v.Type == '*' && !v.Null && len(v.Elems) == len(queued[e.Client]) {
				for i, qe := range queued[e.Client] {
					out[qe] = v.Elems[i].Encode()
				}
			}
			inMulti[e.Client], queued[e.Client] = false, nil
		case inMulti[e.Client]:
			queued[e.Client] = append(queued[e.Client], e)
		default:
			out[e] = r.RESP
		}
	}
	return out
}

// notCompared are the commands whose replies the model does not produce.
var notCompared = map[string]bool{"MULTI": true, "EXEC": true, "EVAL": true, "EVALSHA": true, "ECHO": true, "PING": true}

// TestLiveReplies drives a real redis-server from four concurrent
// connections, records every reply and the MONITOR capture, ingests the
// capture, and checks that the model replays every reply exactly and that
// the spec, through the SQLite store, explains every read with the real
// reply as its output.
func TestLiveReplies(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) { liveReplies(t, backend) })
	}
}

func liveReplies(t *testing.T, backend string) {
	storetest.Require(t, backend)
	srv := redistest.Start(t)
	cmds := redistest.Workload(7, 2500)
	capture, replies := redistest.RunConcurrent(t, srv, cmds)
	s, evs := store(t, backend, capture)
	real := pairReplies(t, evs, replies)

	m := redis.Spec.Model()
	st := m.Init()
	compared, bad := 0, 0
	verdicts := map[redis.Verdict]int{}
	for _, e := range evs {
		out := m.Apply(st, e)
		r, ok := real[e]
		if !ok || notCompared[e.Op] {
			continue
		}
		compared++
		v := redis.CompareReply(e, out, r)
		verdicts[v]++
		if v == redis.Differs || v == redis.NotModelled {
			bad++
			if bad <= 10 {
				t.Errorf("%s: %s %q: model replies %q, redis replied %q (%s)", e.Where(), e.Op, e.Args, out, r, v)
			}
		}
	}
	if compared < 2000 {
		t.Errorf("compared %d replies, want at least 2000", compared)
	}
	t.Logf("%d events, %d replies compared: %v", len(evs), compared, verdicts)

	// Every read, explained through the store, has the real reply as its
	// replayed output.
	ctx := context.Background()
	explained, inexact := 0, 0
	inexactOps := map[string]int{}
	whys := map[string]int{}
	var slowest time.Duration
	var slowestAt string
	for _, e := range evs {
		r, ok := real[e]
		if !ok || notCompared[e.Op] || !isRead(e.Op) {
			continue
		}
		t0 := time.Now()
		x, err := redis.Spec.Explain(ctx, s, e)
		if err != nil {
			t.Fatalf("%s: %v", e.Where(), err)
		}
		if d := time.Since(t0); d > slowest {
			slowest, slowestAt = d, e.Where()+" "+e.Op
		}
		explained++
		if !x.Exact {
			inexact++
			inexactOps[e.Op]++
			whys[notExactReason(x.Notes)]++
		}
		if v := redis.CompareReply(e, x.Output, r); v == redis.Differs {
			t.Errorf("%s: %s: explained output %q, redis replied %q", e.Where(), e.Op, x.Output, r)
		} else if x.Exact && v != redis.Agree {
			t.Errorf("%s: %s: labelled exact, yet the reply %q is %s", e.Where(), e.Op, r, v)
		}
	}
	t.Logf("%d reads explained through the store, %d not exact %v; slowest %s (%s); why not exact: %v", explained, inexact, inexactOps, slowest, slowestAt, whys)
}

var readOps = map[string]bool{"GET": true, "MGET": true, "STRLEN": true, "GETRANGE": true, "EXISTS": true,
	"TYPE": true, "HGET": true, "HMGET": true, "HGETALL": true, "HLEN": true, "HEXISTS": true, "LRANGE": true,
	"LLEN": true, "LINDEX": true, "SMEMBERS": true, "SISMEMBER": true, "SCARD": true}

func isRead(op string) bool { return readOps[op] }

// TestLiveWitnesses runs many short sessions against a real server, each
// captured from an empty server, and checks for every request of every
// session that the spec's witnesses, through the SQLite store, are
// exactly the brute-force definition's over the whole capture, and that
// the replayed output is the real reply.
func TestLiveWitnesses(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) { liveWitnesses(t, backend) })
	}
}

func liveWitnesses(t *testing.T, backend string) {
	storetest.Require(t, backend)
	srv := redistest.Start(t)
	admin, err := srv.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx := context.Background()
	m := redis.Spec.Model()
	sessions, targets, skipped := 0, 0, 0
	for seed := int64(100); sessions < 150; seed++ {
		if _, err := admin.DoStrings("FLUSHALL"); err != nil {
			t.Fatal(err)
		}
		cmds := redistest.Workload(seed, 14)
		capture, replies := redistest.Run(t, srv, cmds)
		s, evs := store(t, backend, capture)
		real := pairReplies(t, evs, replies)
		sessions++
		for i, target := range evs {
			r, ok := real[target]
			if !ok || notCompared[target.Op] {
				continue
			}
			// The referee sees the whole capture before the target, less
			// the commands that cannot change data.
			var trace []*formats.Event
			for _, e := range evs[:i] {
				if !isRead(e.Op) && !notCompared[e.Op] && e.Op != "SELECT" {
					trace = append(trace, e)
				}
			}
			if len(trace) > 16 {
				skipped++
				continue
			}
			want, wantOut, err := provenance.BruteForce(m, trace, target)
			if err != nil {
				t.Fatal(err)
			}
			if v := redis.CompareReply(target, wantOut, r); v != redis.Agree && v != redis.AgreeAsSet {
				t.Errorf("seed %d %s: %s %q: model %q, redis %q", seed, target.Where(), target.Op, target.Args, wantOut, r)
				continue
			}
			x, err := redis.Spec.Explain(ctx, s, target)
			if err != nil {
				t.Fatalf("seed %d %s: %v", seed, target.Where(), err)
			}
			targets++
			if !x.Exact && fellBack(x) {
				t.Errorf("seed %d %s: not exact: %v", seed, target.Where(), x.Notes)
				continue
			}
			ws, _ := x.Witnesses(1 << 16)
			got := [][]int{}
			pos := map[int64]int{}
			for j, e := range trace {
				pos[e.ID] = j
			}
			for _, w := range ws {
				p := []int{}
				for _, e := range w {
					p = append(p, pos[e.ID])
				}
				got = append(got, p)
			}
			provenance.SortWitnesses(got)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("seed %d %s: %s %q: spec %v, brute force %v\n%s", seed, target.Where(), target.Op, target.Args, got, want, capture)
			}
		}
		s.Close() // now, not at the end: a PostgreSQL server allows 100 connections
	}
	if targets < 1000 {
		t.Errorf("checked %d targets, want at least 1000", targets)
	}
	t.Logf("%d sessions, %d requests checked against brute force, %d skipped (history over 16 writes)", sessions, targets, skipped)

}
