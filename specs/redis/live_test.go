package redis_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/formats/redismonitor"
	"github.com/wat-project/wat/ingest"
	"github.com/wat-project/wat/ingest/store"
	"github.com/wat-project/wat/ingest/store/storetest"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/redis"
	"github.com/wat-project/wat/specs/redis/redistest"
)

// monitor starts capturing the MONITOR feed of the server at addr,
// failing t if it cannot, and stops it when the test ends if it still
// runs. The function it returns stops the capture, failing t if that
// fails, and returns what it captured.
func monitor(t *testing.T, addr string) (stop func() []byte) {
	t.Helper()
	var capture bytes.Buffer
	stopMonitor, err := redistest.Monitor(addr, &capture)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = stopMonitor()
		}
	})
	return func() []byte {
		t.Helper()
		stopped = true
		if err := stopMonitor(); err != nil {
			t.Fatal(err)
		}
		return capture.Bytes()
	}
}

// ingestCapture ingests a capture into a real store on backend (a SQLite file, or
// a PostgreSQL schema) and returns it with
// every stored event, in trace order.
func ingestCapture(t *testing.T, backend string, capture []byte) (*store.Store, []*formats.Event) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "monitor.log")
	if err := os.WriteFile(path, capture, 0o644); err != nil {
		t.Fatal(err)
	}
	fs := []*formats.Format{redismonitor.Format}
	s, err := store.Open(ctx, storetest.New(t, backend), store.Options{Formats: fs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	sum, err := ingest.Ingest(ctx, s, path, bytes.NewReader(capture), 0, ingest.Options{
		Formats: fs, Indexes: map[string]func() func(*formats.Event) []formats.Ref{"redis": redis.Spec.(provenance.Indexer).NewIndex}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rejected > 0 {
		t.Fatalf("%d rejected lines in a real capture: %+v", sum.Rejected, sum.Rejects)
	}
	evs, err := s.Events(ctx, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return s, evs
}

// runStored runs cmds on srv and returns the capture's SQLite store, its
// events and the reply the server sent each of them (pairReplies).
func runStored(t *testing.T, srv *redistest.Server, cmds []redistest.Cmd) (*store.Store, []*formats.Event, map[*formats.Event][]byte) {
	t.Helper()
	capture, replies := redistest.Run(t, srv, cmds)
	s, evs := ingestCapture(t, "sqlite", capture)
	return s, evs, pairReplies(t, evs, replies)
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
func TestLiveReplies(t *testing.T) { eachBackend(t, liveReplies) }

// eachBackend runs f as a subtest for each store backend, skipped (or
// failed) where the backend cannot run (storetest.Require).
func eachBackend(t *testing.T, f func(t *testing.T, backend string)) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			storetest.Require(t, backend)
			f(t, backend)
		})
	}
}

func liveReplies(t *testing.T, backend string) {
	srv := redistest.Start(t)
	cmds := redistest.Workload(7, 2500)
	capture, replies := redistest.RunConcurrent(t, srv, cmds)
	s, evs := ingestCapture(t, backend, capture)
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
func checkLiveTarget(t *testing.T, s *store.Store, label string, capture []byte, trace []*formats.Event, target *formats.Event, r []byte, listings bool) bool {
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
	if !x.Exact && (!listings || x.FellBack) {
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
func TestLiveWitnesses(t *testing.T) { eachBackend(t, liveWitnesses) }

func liveWitnesses(t *testing.T, backend string) {
	checkWitnessSessions(t, witnessSessions{backend: backend, sessions: 150, firstSeed: 100,
		workload: func(seed int64) []redistest.Cmd { return redistest.Workload(seed, 14) },
		target:   func(op string) bool { return !notCompared[op] },
		// The referee sees the whole capture before the target, less
		// the commands that cannot change data.
		write:    func(op string) bool { return !isRead(op) && !notCompared[op] && op != "SELECT" },
		maxTrace: 16, listings: true, minTargets: 1000})
}

// witnessSessions are short live sessions whose every request
// checkWitnessSessions checks against the brute-force definition.
type witnessSessions struct {
	backend       string                           // the store's
	sessions      int                              // how many
	firstSeed     int64                            // the first session's seed, the next one's the next
	workload      func(seed int64) []redistest.Cmd // a session's commands
	target, write func(op string) bool             // the requests checked; those the definition sees before them
	maxTrace      int                              // a request with more writes before it is passed over
	listings      bool                             // as for checkLiveTarget
	minTargets    int                              // the fewest requests checked
}

// checkWitnessSessions runs w's sessions on a real server, each from an
// empty server, and checks every request of each session (that w.target
// keeps, with a reply) with checkLiveTarget against the definition over
// the writes before it.
func checkWitnessSessions(t *testing.T, w witnessSessions) {
	t.Helper()
	srv := redistest.Start(t)
	admin := srv.MustDial(t)
	sessions, targets, skipped := 0, 0, 0
	for seed := w.firstSeed; sessions < w.sessions; seed++ {
		if _, err := admin.DoStrings("FLUSHALL"); err != nil {
			t.Fatal(err)
		}
		capture, replies := redistest.Run(t, srv, w.workload(seed))
		s, evs := ingestCapture(t, w.backend, capture)
		real := pairReplies(t, evs, replies)
		sessions++
		for i, target := range evs {
			r, ok := real[target]
			if !ok || !w.target(target.Op) {
				continue
			}
			var trace []*formats.Event
			for _, e := range evs[:i] {
				if w.write(e.Op) {
					trace = append(trace, e)
				}
			}
			if len(trace) > w.maxTrace {
				skipped++
				continue
			}
			if checkLiveTarget(t, s, fmt.Sprintf("seed %d", seed), capture, trace, target, r, w.listings) {
				targets++
			}
		}
		s.Close() // now, not at the end: a PostgreSQL server allows 100 connections
	}
	if targets < w.minTargets {
		t.Errorf("checked %d targets, want at least %d", targets, w.minTargets)
	}
	t.Logf("%d sessions, %d requests checked against brute force, %d skipped (history over %d writes)", sessions, targets, skipped, w.maxTrace)
}

// A liveRun compares the model with a real redis-server over sessions of
// commands, each from an empty server (FLUSHALL before it): it replays
// each session's MONITOR capture with the model, checks that every EXEC
// ran or aborted as Redis's did, and hands every other compared reply to
// judge. It tallies what it compared and explained, and in the end
// requires at least minTotal compared replies (unless -short).
type liveRun struct {
	session     func(i int) []redistest.Cmd // session i's commands
	compareEval bool                        // EVAL's replies are compared too (notCompared passes them over)
	countExec   bool                        // each EXEC counts as a compared reply
	minTotal    int
	judge       func(c liveReply)

	verdicts                       liveVerdicts
	sessions, total, bad           int
	explained, inexact, laterLabel int            // explanations through the store; not exact; replays differing but labelled
	notes                          map[string]int // the "not exact" notes, digits spelled N
}

// A liveReply is a compared reply: the j-th event e of session i, the
// model's output out for it, Redis's reply r and their verdict v; s is
// the session's store.
type liveReply struct {
	i, j int
	e    *formats.Event
	out  provenance.Output
	r    []byte
	v    redis.Verdict
	s    *store.Store
}

// run runs lr's sessions on srv: 40 of them, 8 with -short.
func (lr *liveRun) run(t *testing.T, srv *redistest.Server) {
	t.Helper()
	lr.verdicts, lr.notes = liveVerdicts{}, map[string]int{}
	lr.sessions = scaled(40, 8)
	admin := srv.MustDial(t)
	for i := 0; i < lr.sessions; i++ {
		if _, err := admin.DoStrings("FLUSHALL"); err != nil {
			t.Fatal(err)
		}
		capture, replies := redistest.Run(t, srv, lr.session(i))
		s, evs := ingestCapture(t, "sqlite", capture)
		replies, execs := dropAborted(replies)
		real := pairReplies(t, evs, replies)
		m := redis.Spec.Model()
		st := m.Init()
		for j, e := range evs {
			out := m.Apply(st, e)
			if e.Op == "EXEC" {
				// Whether a transaction ran: a WATCHed key changed or not.
				r := execs[e.Client][0]
				execs[e.Client] = execs[e.Client][1:]
				v := redis.Agree
				if (string(out) == "*-1\r\n") != (string(r) == "*-1\r\n") {
					v = redis.Differs
					lr.fail(t, "session %d %s: EXEC: model replies %q, redis replied %q", i, e.Where(), out, r)
				}
				if lr.countExec {
					lr.total++
					lr.verdicts.add(e.Op, v)
				}
				continue
			}
			r, ok := real[e]
			if !ok || notCompared[e.Op] && !(lr.compareEval && e.Op == "EVAL") {
				continue
			}
			lr.total++
			v := redis.CompareReply(e, out, r)
			lr.verdicts.add(e.Op, v)
			lr.judge(liveReply{i: i, j: j, e: e, out: out, r: r, v: v, s: s})
		}
		s.Close()
	}
	if !testing.Short() && lr.total < lr.minTotal {
		t.Errorf("compared %d replies, want at least %d", lr.total, lr.minTotal)
	}
}

// fail counts a wrong reply and reports it (the first 20 of them).
func (lr *liveRun) fail(t *testing.T, format string, args ...any) {
	t.Helper()
	lr.bad++
	if lr.bad <= 20 {
		t.Errorf(format, args...)
	}
}

// wrong fails c, naming its session, place and command before what
// format says.
func (lr *liveRun) wrong(t *testing.T, c liveReply, format string, args ...any) {
	t.Helper()
	lr.fail(t, "session %d %s: %s %q: "+format, append([]any{c.i, c.e.Where(), c.e.Op, c.e.Args}, args...)...)
}

// explain explains c through its session's store.
func (lr *liveRun) explain(t *testing.T, c liveReply) *provenance.Explanation {
	t.Helper()
	x, err := redis.Spec.Explain(context.Background(), c.s, c.e)
	if err != nil {
		t.Fatalf("session %d %s: %s %q: %v", c.i, c.e.Where(), c.e.Op, c.e.Args, err)
	}
	return x
}

// count tallies an explanation, and when it is not exact its "not
// exact" notes.
func (lr *liveRun) count(x *provenance.Explanation) {
	lr.explained++
	if x.Exact {
		return
	}
	lr.inexact++
	for _, n := range x.Notes {
		if strings.HasPrefix(n, "not exact") {
			lr.notes[digits.ReplaceAllString(n[:min(len(n), 100)], "N")]++
		}
	}
}

// checkExplained requires x, c's explanation, to have Redis's reply as
// its output, and to be exact only when it agrees exactly.
func (lr *liveRun) checkExplained(t *testing.T, c liveReply, x *provenance.Explanation) {
	t.Helper()
	switch xv := redis.CompareReply(c.e, x.Output, c.r); {
	case xv == redis.Differs:
		lr.wrong(t, c, "explained output %q, redis replied %q", x.Output, c.r)
	case x.Exact && xv != redis.Agree:
		lr.wrong(t, c, "labelled exact, yet the reply %q is %s", c.r, xv)
	}
}

// log logs the tally, with extra after the counts, the verdicts by
// command and the "not exact" notes.
func (lr *liveRun) log(t *testing.T, extra string) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%d sessions, %d replies compared, %d wrong, %d replays differing but labelled, %d explained through the store (%d not exact)%s:\n",
		lr.sessions, lr.total, lr.bad, lr.laterLabel, lr.explained, lr.inexact, extra)
	b.WriteString(lr.verdicts.table())
	b.WriteString(countLines(lr.notes))
	t.Log(b.String())
}

// countLines lists counts: a "count name" line for each name (cut at
// 200 bytes), sorted.
func countLines(counts map[string]int) string {
	lines := make([]string, 0, len(counts))
	for name, c := range counts {
		lines = append(lines, fmt.Sprintf("%6d %.200s", c, name))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// withEdges makes the sessions of a liveRun: per random commands of
// gen each, but for the first, edges (chosen cases). gen makes the first
// session's commands too, so that the later ones are the seed's.
func withEdges(gen func(n int) []redistest.Cmd, per int, edges func() []redistest.Cmd) func(i int) []redistest.Cmd {
	return func(i int) []redistest.Cmd {
		cmds := gen(per)
		if i == 0 {
			cmds = edges()
		}
		return cmds
	}
}

// cmdsOf makes commands of lines, all on connection conn.
func cmdsOf(conn int, lines ...[]string) []redistest.Cmd {
	var out []redistest.Cmd
	for _, l := range lines {
		out = append(out, redistest.Cmd{Conn: conn, Args: redistest.Args(l...)})
	}
	return out
}

// A liveGen is what the random workloads of the live tests are made
// with: a random source, and the commands made so far.
type liveGen struct {
	r   *rand.Rand
	out []redistest.Cmd
}

// newLiveGen starts a liveGen from seed.
func newLiveGen(seed int64) liveGen { return liveGen{r: rand.New(rand.NewSource(seed))} }

func (g *liveGen) pick(xs []string) string { return xs[g.r.Intn(len(xs))] }

func (g *liveGen) chance(n int) bool { return g.r.Intn(n) == 0 }

func (g *liveGen) emit(conn int, args ...string) {
	g.out = append(g.out, redistest.Cmd{Conn: conn, Args: redistest.Args(args...)})
}

// inAnyOrder returns the groups of words in a random order, one after
// another.
func (g *liveGen) inAnyOrder(groups [][]string) []string {
	g.r.Shuffle(len(groups), func(i, j int) { groups[i], groups[j] = groups[j], groups[i] })
	var out []string
	for _, w := range groups {
		out = append(out, w...)
	}
	return out
}

// mostly picks one of usual, but one time in n one of odd.
func (g *liveGen) mostly(usual, odd []string, n int) string {
	if g.chance(n) {
		return g.pick(odd)
	}
	return g.pick(usual)
}

// memberOf picks one of names, but one time in n one of m000 to m139.
func (g *liveGen) memberOf(names []string, n int) string {
	if g.chance(n) {
		return fmt.Sprintf("m%03d", g.r.Intn(140))
	}
	return g.pick(names)
}

// pcallScript is an EVAL of a script that runs cmd with redis.pcall and
// returns its reply (cmd's words quoted as Go quotes them, which Lua
// reads alike for the workloads' words).
func pcallScript(cmd []string) []string {
	quoted := make([]string, len(cmd))
	for i, a := range cmd {
		quoted[i] = strconv.Quote(a)
	}
	return []string{"EVAL", "return redis.pcall(" + strings.Join(quoted, ", ") + ")", "0"}
}

// envSeed is the seed that the environment variable name gives (to
// explore other sessions), else def.
func envSeed(name string, def int64) int64 {
	if env := os.Getenv(name); env != "" {
		seed, _ := strconv.ParseInt(env, 10, 64)
		return seed
	}
	return def
}

// dropAborted removes the replies of the commands queued in a
// transaction that EXEC aborted (a WATCHed key changed): they never ran,
// so MONITOR does not show them. It also returns each client's EXEC
// replies in order.
func dropAborted(replies []redistest.Reply) ([]redistest.Reply, map[string][][]byte) {
	var kept []redistest.Reply
	execs := map[string][][]byte{}
	queued := map[string][]redistest.Reply{}
	inMulti := map[string]bool{}
	for _, r := range replies {
		op := strings.ToUpper(string(r.Args[0]))
		switch {
		case op == "MULTI":
			inMulti[r.Client] = true
			kept = append(kept, r)
		case op == "EXEC" && inMulti[r.Client]:
			if string(r.RESP) != "*-1\r\n" {
				kept = append(kept, queued[r.Client]...)
			}
			kept = append(kept, r)
			execs[r.Client] = append(execs[r.Client], r.RESP)
			inMulti[r.Client], queued[r.Client] = false, nil
		case inMulti[r.Client]:
			queued[r.Client] = append(queued[r.Client], r)
		default:
			kept = append(kept, r)
		}
	}
	return kept, execs
}

var digits = regexp.MustCompile(`[0-9]+`)

// liveVerdicts tallies replies by command.
type liveVerdicts map[string]map[redis.Verdict]int

func (v liveVerdicts) add(op string, x redis.Verdict) {
	if v[op] == nil {
		v[op] = map[redis.Verdict]int{}
	}
	v[op][x]++
}

func (v liveVerdicts) table() string {
	ops := make([]string, 0, len(v))
	for op := range v {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	var b strings.Builder
	fmt.Fprintf(&b, "%-22s %6s %6s %9s %8s %6s\n", "command", "agree", "as set", "labelled", "not run", "differ")
	for _, op := range ops {
		x := v[op]
		fmt.Fprintf(&b, "%-22s %6d %6d %9d %8d %6d\n", op, x[redis.Agree], x[redis.AgreeAsSet], x[redis.Labelled], x[redis.NotModelled], x[redis.Differs])
	}
	return b.String()
}
