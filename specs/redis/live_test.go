package redis_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
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
	return pairCapture(t, evs, replies, false, nil)
}

// pairCapture matches each event of a capture with the reply the server
// sent for it: per client in order, with MULTI's queued commands given
// their share of EXEC's array, and EXEC its own reply too with execOwn.
// Lua lines have no reply of their own. skip, when not nil, drops from
// the front of a client's queue q the replies that event e passes over
// (those of commands MONITOR never showed); inMulti tells whether e's
// client is in a transaction.
func pairCapture(t *testing.T, evs []*formats.Event, replies []redistest.Reply, execOwn bool,
	skip func(e *formats.Event, q []redistest.Reply, inMulti bool) []redistest.Reply) map[*formats.Event][]byte {
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
		if skip != nil {
			q = skip(e, q, inMulti[e.Client])
		}
		if len(q) == 0 {
			t.Fatalf("%s: no reply left for client %s", e.Where(), e.Client)
		}
		r := q[0]
		queues[e.Client] = q[1:]
		if !sameCommand(e, r) {
			t.Fatalf("%s: event %s %q paired with command %q", e.Where(), e.Op, e.Args, r.Args)
		}
		switch {
		case e.Op == "MULTI":
			inMulti[e.Client] = true
		case e.Op == "EXEC" && inMulti[e.Client]:
			if execOwn {
				out[e] = r.RESP
			}
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

// sameCommand reports whether a reply answers an event's command: the
// same name (in any case) and arguments.
func sameCommand(e *formats.Event, r redistest.Reply) bool {
	return strings.EqualFold(string(r.Args[0]), e.Op) && slices.EqualFunc(e.Args, r.Args[1:], bytes.Equal)
}

// replayCapture replays a capture's events on the model and returns
// their outputs, in order. A command that waited got its reply later: its
// output is the reply the final state gives it.
func replayCapture(evs []*formats.Event) []provenance.Output {
	m := redis.Model{}
	st := m.Init()
	outs := make([]provenance.Output, len(evs))
	for i, e := range evs {
		outs[i] = m.Apply(st, e)
	}
	for i, e := range evs {
		if redis.Blocked(outs[i]) {
			outs[i] = redis.WaitReply(st, e, evs[len(evs)-1].Time)
		}
	}
	return outs
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

// checkLiveTarget checks one request of a live session against the
// brute-force definition over trace, the writes before it: the
// definition must give the server's reply r, and the spec, explaining
// through the store s, the same witnesses, exactly. With listings, a
// reply listing a hash table may agree as a set, and be labelled not
// exact for its order (but not be the fallback). It reports whether the
// spec was asked; its errors name the session (label) and show its
// capture.
func checkLiveTarget(t *testing.T, s *ingest.Store, label string, capture []byte, trace []*formats.Event, target *formats.Event, r []byte, listings bool) bool {
	t.Helper()
	want, wantOut, err := provenance.BruteForce(redis.Spec.Model(), trace, target)
	if err != nil {
		t.Fatal(err)
	}
	if v := redis.CompareReply(target, wantOut, r); v != redis.Agree && !(listings && v == redis.AgreeAsSet) {
		t.Errorf("%s %s: %s %q: model %q, redis %q", label, target.Where(), target.Op, target.Args, wantOut, r)
		return false
	}
	x, err := redis.Spec.Explain(context.Background(), s, target)
	if err != nil {
		t.Fatalf("%s %s: %v", label, target.Where(), err)
	}
	if !x.Exact && (!listings || fellBack(x)) {
		t.Errorf("%s %s: not exact: %v", label, target.Where(), x.Notes)
		return true
	}
	ws, _ := x.Witnesses(1 << 16)
	if got := provenance.WitnessPositions(ws, trace); !reflect.DeepEqual(got, want) {
		t.Errorf("%s %s: %s %q: spec %v, brute force %v\n%s", label, target.Where(), target.Op, target.Args, got, want, capture)
	}
	return true
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
	admin := srv.MustDial(t)
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
			if checkLiveTarget(t, s, fmt.Sprintf("seed %d", seed), capture, trace, target, r, true) {
				targets++
			}
		}
		s.Close() // now, not at the end: a PostgreSQL server allows 100 connections
	}
	if targets < 1000 {
		t.Errorf("checked %d targets, want at least 1000", targets)
	}
	t.Logf("%d sessions, %d requests checked against brute force, %d skipped (history over 16 writes)", sessions, targets, skipped)

}
