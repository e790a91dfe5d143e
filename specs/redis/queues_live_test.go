package redis_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/ingest/store"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/redis"
	"github.com/wat-project/wat/specs/redis/redistest"
)

// Ground truth from real programs: TestQueuesLive runs four job-queue
// libraries (RQ, Celery, BullMQ with ioredis, Bee-Queue with node-redis;
// the workloads are under testdata/clients) against a real redis-server with MONITOR attached and
// a recording proxy (redistest.Proxy) between the clients and the server,
// pairs every MONITOR line with the reply its client got
// (redistest.Pair), replays the capture with redis.Model and compares
// each reply (redis.CompareReply), and explains the lines through a real
// store: an explanation labelled exact must replay the real reply.
//
// With -update-queues it rewrites testdata/queues/LIB.monitor.log.gz (the
// capture) and LIB.replies.jsonl.gz (one JSON object per MONITOR line
// with the reply its client got); TestQueueCaptures checks those without
// running the libraries.

var updateQueues = flag.Bool("update-queues", false, "rewrite testdata/queues/ from the live job-queue workloads")

// queueMinExact is, per library, the share of compared replies the model
// must replay exactly (Agree); measured: RQ 99.0-99.1%, Celery 99.9-100%,
// BullMQ 92.5-93.1% (its job hashes are hash tables, whose order scripts
// return), Bee-Queue 99.7% (INFO and SSCAN are labelled). The rest must
// be labelled; an exact label on a wrong reply always fails.
var queueMinExact = map[string]float64{"rq": 0.98, "celery": 0.99, "bullmq": 0.90, "beequeue": 0.98}

// queueExplainMax bounds the explains per capture and queueExplainBudget
// their time; neither is a pass condition.
const (
	queueExplainMax    = 3000
	queueExplainBudget = 10 * time.Second
)

// queueSizes is how many jobs each workload's producer sends.
var queueSizes = map[string]int{"rq": 240, "celery": 240, "bullmq": 240, "beequeue": 240, "tokens": 400, "counters": 800}

// A queueWorkload is one library's workload.
type queueWorkload struct {
	name string
	// require fails the test (WAT_REQUIRE_LIVE) or skips it when the
	// library is not installed.
	require func(t *testing.T, dir string)
	run     func(t *testing.T, w *workloadRun)
}

var queueWorkloads = []queueWorkload{
	{"rq", requireRQ, runRQ},
	{"celery", requireCelery, runCelery},
	{"bullmq", requireNodeQueues, runBullMQ},
	{"beequeue", requireNodeQueues, runBeeQueue},
	{"tokens", requireRedisPy, runTokens},
	{"counters", requireRedisPy, runCounters},
}

// systemPython is Debian's Python, the one python3-rq and python3-celery
// install into.
const systemPython = "/usr/bin/python3"

func clientsDir(t *testing.T) string {
	dir, err := filepath.Abs(filepath.Join("testdata", "clients"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func requireLive(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv(redistest.RequireLiveEnv) != "" {
		t.Fatalf("%s (%s is set)", msg, redistest.RequireLiveEnv)
	}
	t.Skip(msg)
}

func requirePython(t *testing.T, pkg string, modules ...string) {
	t.Helper()
	code := "import " + strings.Join(modules, ", ")
	if out, err := exec.Command(systemPython, "-c", code).CombinedOutput(); err != nil {
		requireLive(t, "%s: %s -c %q: %v %s (apt-get install %s)", pkg, systemPython, code, err, out, pkg)
	}
}

func requireRedisPy(t *testing.T, _ string) { requirePython(t, "python3-redis", "redis") }

func requireRQ(t *testing.T, _ string) { requirePython(t, "python3-rq", "rq", "redis") }

func requireCelery(t *testing.T, _ string) {
	requirePython(t, "python3-celery", "celery", "kombu", "redis")
}

func requireNodeQueues(t *testing.T, dir string) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		requireLive(t, "node is not installed")
	}
	_, err := os.Stat(filepath.Join(dir, "node_modules", "bullmq", "package.json"))
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "node_modules", "bee-queue", "package.json"))
	}
	if err != nil {
		if _, err := exec.LookPath("npm"); err != nil {
			requireLive(t, "bullmq or bee-queue is not installed and there is no npm to install them (npm ci in %s)", dir)
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			requireLive(t, "npm ci in %s: %v\n%s", dir, err, out)
		}
		for _, m := range []string{"bullmq", "bee-queue"} {
			if _, err := os.Stat(filepath.Join(dir, "node_modules", m, "package.json")); err != nil {
				requireLive(t, "%s not installed after npm ci: %v", m, err)
			}
		}
	}
}

// A proc is a workload process, in its own process group.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// workloadRun is one workload's environment: the proxy's address, the
// clients directory, and the processes it started.
type workloadRun struct {
	t     *testing.T
	proxy *redistest.Proxy
	dir   string
	logs  string
	procs []*proc
	notes []string
}

func (w *workloadRun) note(format string, args ...any) {
	w.notes = append(w.notes, fmt.Sprintf(format, args...))
}

// start starts a process whose output goes to a log file; a cleanup
// kills its process group (by its pid) if it is still running.
func (w *workloadRun) start(name string, env []string, args ...string) *proc {
	t := w.t
	t.Helper()
	logPath := filepath.Join(w.logs, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = w.dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
		// Whatever it forked and left in its group goes too.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	})
	w.procs = append(w.procs, p)
	return p
}

func (p *proc) output() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

func (p *proc) tail() string {
	s := p.output()
	if len(s) > 3000 {
		s = "..." + s[len(s)-3000:]
	}
	return s
}

// wait waits for the process to exit and fails the test unless it exits 0.
func (p *proc) wait(t *testing.T, timeout time.Duration) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		t.Fatalf("%s did not finish in %v; output:\n%s", p.name, timeout, p.tail())
	}
	if p.err != nil {
		t.Fatalf("%s: %v; output:\n%s", p.name, p.err, p.tail())
	}
}

// waitFor waits until the process's output contains s.
func (p *proc) waitFor(t *testing.T, s string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(p.output(), s) {
		select {
		case <-p.done:
			t.Fatalf("%s exited before printing %q: %v\n%s", p.name, s, p.err, p.tail())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not print %q in %v:\n%s", p.name, s, timeout, p.tail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends sig to the process (as a user stopping it would: to its pid
// only) and waits for it to exit; a process still running after timeout
// is killed with its group, and the test fails.
func (w *workloadRun) stop(p *proc, sig syscall.Signal, timeout time.Duration) {
	t := w.t
	t.Helper()
	t0 := time.Now()
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
		w.note("%s stopped by %v in %v (%v)", p.name, sig, time.Since(t0).Round(time.Millisecond), p.cmd.ProcessState)
	case <-time.After(timeout):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		t.Errorf("%s did not stop on %v in %v; killed. Output:\n%s", p.name, sig, timeout, p.tail())
		return
	}
	// What it forked (pool processes, job processes, a scheduler) should
	// be gone with it.
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(-p.cmd.Process.Pid, 0) == nil {
		if time.Now().After(deadline) {
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			w.note("%s left processes in its group 5s after it exited; killed them", p.name)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func pythonEnv(w *workloadRun) []string {
	return []string{"PYTHONPATH=" + w.dir, "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1"}
}

// runRQ: two RQ workers (normal mode, with the scheduler) wait with BLPOP
// on three queues; a producer enqueues jobs and reads the results; the
// workers are stopped with SIGTERM (warm shutdown).
func runRQ(t *testing.T, w *workloadRun) {
	url := "redis://" + w.proxy.Addr + "/0"
	env := pythonEnv(w)
	var workers []*proc
	for _, name := range []string{"w1", "w2"} {
		workers = append(workers, w.start("rq-worker-"+name, env, systemPython, "-m", "rq.cli", "worker",
			"--url", url, "--with-scheduler", "--name", name, "high", "default", "low"))
	}
	for _, p := range workers {
		p.waitFor(t, "Listening on", 30*time.Second)
	}
	prod := w.start("rq-producer", env, systemPython, "rq_producer.py", url, fmt.Sprint(queueSizes["rq"]))
	prod.wait(t, 3*time.Minute)
	w.note("producer: %s", lastLine(prod.output()))
	for _, p := range workers {
		w.stop(p, syscall.SIGTERM, 30*time.Second)
	}
}

// runTokens: redis-py pushing a semaphore's tokens (one value) and jobs
// whose ids recur, and two consumers popping them
// (testdata/clients/tokens_workload.py). Its pops are the queue rule's
// hard cases: values pushed again and again, runs of equal values.
func runTokens(t *testing.T, w *workloadRun) {
	prod := w.start("tokens", pythonEnv(w), systemPython, "tokens_workload.py", "redis://"+w.proxy.Addr+"/0", fmt.Sprint(queueSizes["tokens"]))
	prod.wait(t, 3*time.Minute)
	w.note("workload: %s", lastLine(prod.output()))
}

// runCounters: redis-py keeping counters from four clients at once
// (testdata/clients/counters_workload.py): hot counters, resets, a rate
// limiter's expiring windows, transactions and a script's increments.
// Its counters are the counter rule's (counterAnswer).
func runCounters(t *testing.T, w *workloadRun) {
	prod := w.start("counters", pythonEnv(w), systemPython, "counters_workload.py", "redis://"+w.proxy.Addr+"/0", fmt.Sprint(queueSizes["counters"]))
	prod.wait(t, 3*time.Minute)
	w.note("workload: %s", lastLine(prod.output()))
}

// runCelery: a prefork Celery worker (2 processes) on two queues; a
// producer sends tasks and reads their results; the worker is stopped
// with SIGTERM (warm shutdown).
func runCelery(t *testing.T, w *workloadRun) {
	env := append(pythonEnv(w), "WORKLOAD_REDIS_URL=redis://"+w.proxy.Addr+"/0")
	worker := w.start("celery-worker", env, systemPython, "-m", "celery", "-A", "celery_app", "worker",
		"-P", "prefork", "-c", "2", "-Q", "celery,low", "-n", "w1@localhost", "--loglevel=INFO")
	worker.waitFor(t, "ready.", 60*time.Second)
	prod := w.start("celery-producer", env, systemPython, "celery_producer.py", fmt.Sprint(queueSizes["celery"]))
	prod.wait(t, 3*time.Minute)
	w.note("producer: %s", lastLine(prod.output()))
	w.stop(worker, syscall.SIGTERM, 30*time.Second)
}

// runBullMQ: two BullMQ Worker processes; a producer with a Queue,
// QueueEvents and a FlowProducer adds jobs and waits for each; the
// workers are stopped with SIGTERM (worker.close()).
func runBullMQ(t *testing.T, w *workloadRun) { runNodeQueue(t, w, "bullmq") }

// runBeeQueue: two Bee-Queue worker processes (concurrency 2, with the
// node-redis 3 client); a producer creates jobs (delayed, retried,
// failing, slow ones reporting progress), waits for their events,
// checks the queue's health and reads jobs back; the workers are
// stopped with SIGTERM (queue.close()).
func runBeeQueue(t *testing.T, w *workloadRun) { runNodeQueue(t, w, "beequeue") }

// runNodeQueue runs a Node workload, LIB_workload.js: two worker
// processes, each ready when it prints "ready", and a producer of
// queueSizes[LIB] jobs; the workers are stopped with SIGTERM.
func runNodeQueue(t *testing.T, w *workloadRun, lib string) {
	env := []string{"REDIS_HOST=127.0.0.1", fmt.Sprintf("REDIS_PORT=%d", w.proxy.Port())}
	script := lib + "_workload.js"
	var workers []*proc
	for _, name := range []string{"w1", "w2"} {
		workers = append(workers, w.start(lib+"-worker-"+name, env, "node", script, "worker", name))
	}
	for _, p := range workers {
		p.waitFor(t, "ready", 30*time.Second)
	}
	prod := w.start(lib+"-producer", env, "node", script, "producer", fmt.Sprint(queueSizes[lib]))
	prod.wait(t, 3*time.Minute)
	w.note("producer: %s", lastLine(prod.output()))
	for _, p := range workers {
		w.stop(p, syscall.SIGTERM, 30*time.Second)
	}
}

// A queueReply is what the client of one MONITOR line got.
type queueReply struct {
	Line     int    `json:"line"` // the line in the capture (the first line is redis-cli's "OK")
	Client   string `json:"client"`
	Op       string `json:"op"`
	Status   string `json:"status"`              // a redistest.PairStatus
	Reply    string `json:"reply,omitempty"`     // the reply, when it is valid UTF-8
	ReplyB64 string `json:"reply_b64,omitempty"` // else the reply in base64
	Queued   bool   `json:"queued,omitempty"`    // ran in EXEC; the reply is its element of EXEC's array
	Proto    int    `json:"proto,omitempty"`     // 3 when the connection spoke RESP3
	bytes    []byte
}

func (q *queueReply) replied() bool { return q.Status == redistest.Replied.String() }

func TestQueuesLive(t *testing.T) {
	for _, wl := range queueWorkloads {
		t.Run(wl.name, func(t *testing.T) { queueLive(t, wl) })
	}
}

func queueLive(t *testing.T, wl queueWorkload) {
	dir := clientsDir(t)
	wl.require(t, dir)
	srv := redistest.Start(t)
	stopMonitor := monitor(t, srv.Addr)
	proxy := redistest.StartProxy(t, srv.Addr)
	w := &workloadRun{t: t, proxy: proxy, dir: dir, logs: t.TempDir()}
	t0 := time.Now()
	wl.run(t, w)
	took := time.Since(t0)
	capture := stopMonitor()
	if err := proxy.Close(); err != nil {
		t.Fatal(err)
	}
	recs := proxy.Recordings()
	s, evs := ingestCapture(t, "sqlite", capture)
	pr := redistest.Pair(evs, recs)

	cmds, pushes, conns := 0, 0, len(recs)
	for _, r := range recs {
		cmds += len(r.Commands)
		pushes += len(r.Pushes)
		if r.Err != "" {
			t.Errorf("proxy connection %d (%s): %s", r.ID, r.Client, r.Err)
		}
	}
	t.Logf("%s: workload took %v: %d connections, %d commands sent, %d values pushed, %d MONITOR lines",
		wl.name, took.Round(time.Millisecond), conns, cmds, pushes, len(evs))
	for _, n := range w.notes {
		t.Logf("%s: %s", wl.name, n)
	}
	logPairing(t, wl.name, evs, pr, recs)
	if len(evs) < 1000 {
		t.Errorf("%s: only %d MONITOR lines", wl.name, len(evs))
	}

	replies := make([]queueReply, len(evs))
	for i, e := range evs {
		p := pr.Events[i]
		replies[i] = queueReply{Line: e.Line, Client: e.Client, Op: e.Op, Status: p.Status.String(), Queued: p.Queued, bytes: p.Reply}
		if p.Proto == 3 {
			replies[i].Proto = 3
		}
	}
	checkQueueCapture(t, wl.name, s, evs, replies, queueExplainMax, queueExplainBudget)
	switch wl.name {
	case "tokens":
		checkTokenWitnesses(t, s, evs)
	case "counters":
		checkCounterWitnesses(t, s, evs, replies)
	}
	if *updateQueues {
		writeQueueCapture(t, wl.name, capture, replies)
	}
}

// checkTokenWitnesses checks a witness of every exact answer for a pop
// or push of the tokens workload's lists, whose histories hold nothing
// but single pushes and pops, as checkQueueWitness does: too long for
// the brute force, it checks that the witness is closed (the two
// extreme supersets) and that leaving out any of a sample of its events
// breaks that.
func checkTokenWitnesses(t *testing.T, s *store.Store, evs []*formats.Event) {
	t.Helper()
	r := rand.New(rand.NewSource(1))
	checked := map[string]int{}
	for i, e := range evs {
		if e.Op != "RPOP" && e.Op != "LPUSH" || i%5 != 0 {
			continue
		}
		x, err := redis.Spec.Explain(context.Background(), s, e)
		if err != nil {
			t.Fatalf("tokens: line %d %s: %v", e.Line, e.Op, err)
		}
		if !x.Exact {
			continue
		}
		var history []*formats.Event
		for _, h := range evs[:i] {
			if len(h.Args) > 0 && string(h.Args[0]) == string(e.Args[0]) {
				history = append(history, h)
			}
		}
		checkQueueWitness(t, r, history, e, x)
		checked[string(e.Args[0])+" "+e.Op]++
	}
	t.Logf("tokens: exact witnesses checked: %v", checked)
	if checked["sem:tokens RPOP"] == 0 || checked["jobs RPOP"] == 0 {
		t.Errorf("tokens: no exact answer for a pop of each list: %v", checked)
	}
}

// logPairing reports what did not pair, and fails on what nothing
// explains.
func logPairing(t *testing.T, lib string, evs []*formats.Event, pr *redistest.Pairing, recs []redistest.Recording) {
	t.Helper()
	status := map[redistest.PairStatus]int{}
	for _, p := range pr.Events {
		status[p.Status]++
	}
	reasons := map[string]int{}
	examples := map[string]string{}
	for _, u := range pr.Unlogged {
		reasons[u.Reason]++
		if examples[u.Reason] == "" {
			examples[u.Reason] = fmt.Sprintf("%.60q -> %.80q", u.Args, u.Reply)
		}
	}
	t.Logf("%s: MONITOR lines by pairing: %v", lib, status)
	for r, n := range reasons {
		t.Logf("%s: %d recorded commands without a MONITOR line (%s), e.g. %s", lib, n, r, examples[r])
	}
	// RESP3, pushes, blocking commands and how long they waited; the lines
	// whose command never got its reply are blocked clients that left
	// (MONITOR cannot show that they left).
	resp3 := 0
	for _, p := range pr.Events {
		if p.Proto == 3 {
			resp3++
		}
	}
	kinds := map[string]int{}
	for _, r := range recs {
		for _, p := range r.Pushes {
			kinds[pushKind(string(p.RESP))]++
		}
	}
	t.Logf("%s: %d replies in RESP3; values pushed by kind: %v", lib, resp3, kinds)
	type wait struct {
		n, nils int
		max     time.Duration
	}
	waits := map[string]*wait{}
	for i, p := range pr.Events {
		e := evs[i]
		if !blockingOp(e) || p.Status != redistest.Replied || p.Queued {
			continue
		}
		w := waits[e.Op]
		if w == nil {
			w = &wait{}
			waits[e.Op] = w
		}
		w.n++
		if r := string(p.Reply); r == "*-1\r\n" || r == "$-1\r\n" || r == "_\r\n" {
			w.nils++
		}
		if d := p.Got.Sub(p.Sent); d > w.max {
			w.max = d
		}
	}
	for op, w := range waits {
		t.Logf("%s: %s: %d replied, %d of them nil (timed out), longest wait %v", lib, op, w.n, w.nils, w.max.Round(time.Millisecond))
	}
	for i, p := range pr.Events {
		if p.Status == redistest.NoReply {
			e := evs[i]
			r := recs[p.Conn]
			t.Logf("%s: no reply: line %d %s %.80q from %s (sent %s before its connection closed)", lib, e.Line, e.Op, e.Args,
				e.Client, r.Closed.Sub(p.Sent).Round(time.Millisecond))
		}
	}
	for _, u := range pr.Unexplained(evs) {
		t.Errorf("%s: %s", lib, u)
	}
}

// blockingOp reports whether a command may wait.
func blockingOp(e *formats.Event) bool {
	switch e.Op {
	case "BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "WAIT":
		return true
	case "XREAD", "XREADGROUP":
		for _, a := range e.Args {
			if strings.EqualFold(string(a), "BLOCK") {
				return true
			}
		}
	}
	return false
}

// pushKind is the first element of a pushed value (RESP3 ">" or RESP2
// "*"): "message", "pmessage", "subscribe", ...; "other" when it has none.
func pushKind(resp string) string {
	lines := strings.SplitN(resp, "\r\n", 4)
	if len(lines) < 3 || !strings.HasPrefix(lines[1], "$") {
		return "other"
	}
	return lines[2]
}

// queueRow is one line of the verdict table.
type queueRow struct {
	lines, compared int
	verdicts        [5]int // by redis.Verdict
	explained       int
	errors          int // Explain failed
	exact           int // labelled exact
	exactAgree      int
}

// checkQueueCapture replays a capture with redis.Model, compares each
// reply, explains lines through the store, fails on an explanation
// labelled exact that does not replay the real reply, and logs the table.
//
// What it explains: for each command, its lines whose replay differs
// first (an exact label there is wrong), then lines spread over the
// capture; the commands take turns, none may use more than a quarter of
// budget, and all stop at explainMax lines or budget. Not the lines of
// commands the model does not run (Explain refuses them).
func checkQueueCapture(t *testing.T, lib string, s *store.Store, evs []*formats.Event, replies []queueReply, explainMax int, budget time.Duration) {
	t.Helper()
	rows := map[string]*queueRow{}
	row := func(op string) *queueRow {
		if rows[op] == nil {
			rows[op] = &queueRow{}
		}
		return rows[op]
	}
	verdict := make([]redis.Verdict, len(evs))
	outs := replayCapture(evs)
	differs := map[string]int{}
	for i, e := range evs {
		out := outs[i]
		r := row(e.Op)
		r.lines++
		q := &replies[i]
		verdict[i] = -1
		if !q.replied() {
			continue
		}
		r.compared++
		v := redis.CompareReply(e, out, q.bytes)
		verdict[i] = v
		r.verdicts[v]++
		if v == redis.Differs {
			if differs[e.Op]++; differs[e.Op] <= 3 {
				t.Logf("%s: differs: line %d %s %.120q: replays %.300q, the client got %.300q", lib, e.Line, e.Op, e.Args, out, q.bytes)
			}
		}
	}

	byOp := map[string][]int{}
	var opOrder []string
	explainable := 0
	for pass := 0; pass < 2; pass++ {
		for i, v := range verdict {
			if v < 0 || v == redis.NotModelled || (pass == 0) != (v == redis.Differs) {
				continue
			}
			explainable++
			op := evs[i].Op
			if byOp[op] == nil {
				opOrder = append(opOrder, op)
			}
			byOp[op] = append(byOp[op], i)
		}
	}
	var pick []int
	for k := 0; len(pick) < explainMax; k++ {
		more := false
		for _, op := range opOrder {
			if is := byOp[op]; k < len(is) && len(pick) < explainMax {
				// The differing lines in order, then the rest spread out.
				pick = append(pick, is[spreadIndex(k, len(is))])
				more = true
			}
		}
		if !more {
			break
		}
	}

	ctx := context.Background()
	type timing struct {
		d  time.Duration
		at int
	}
	var times []timing
	opTime := map[string]time.Duration{}
	bad, left := 0, 0
	t0 := time.Now()
	// Why the replies that differ are not exact, by reason.
	reasons := map[string]int{}
	for _, i := range pick {
		e := evs[i]
		q := &replies[i]
		// A reply that differs is always explained: its answer must say
		// it is not exact, and why.
		differ := verdict[i] == redis.Differs
		if !differ && (time.Since(t0) > budget || opTime[e.Op] > budget/4) {
			left++
			continue
		}
		t1 := time.Now()
		limit := budget / 4
		if differ {
			limit = differsExplainLimit
		}
		ectx, cancel := context.WithTimeout(ctx, limit)
		x, err := redis.Spec.Explain(ectx, s, e)
		cancel()
		d := time.Since(t1)
		if !differ {
			opTime[e.Op] += d
		}
		times = append(times, timing{d, i})
		r := row(e.Op)
		if err != nil {
			if differ {
				t.Errorf("%s: line %d %s: its replay differs from the reply, and explaining it failed: %v", lib, e.Line, e.Op, err)
			}
			if r.errors++; r.errors <= 2 {
				t.Logf("%s: line %d %s: explain: %v", lib, e.Line, e.Op, err)
			}
			continue
		}
		r.explained++
		if differ && !x.Exact {
			reasons[notExactReason(x.Notes)]++
		}
		if !x.Exact {
			continue
		}
		r.exact++
		if v := redis.CompareReply(e, x.Output, q.bytes); v != redis.Agree {
			bad++
			if bad <= 20 {
				t.Errorf("%s: line %d %s %.100q: labelled exact, replays %.200q, the client got %.200q (%s)",
					lib, e.Line, e.Op, e.Args, x.Output, q.bytes, v)
			}
		}
	}
	if bad > 20 {
		t.Errorf("%s: %d explanations labelled exact are wrong in all", lib, bad)
	}
	var rs []string
	for why, n := range reasons {
		rs = append(rs, fmt.Sprintf("%6d  %s", n, why))
	}
	sort.Sort(sort.Reverse(sort.StringSlice(rs)))
	if len(rs) > 0 {
		t.Logf("%s: why the replies that differ are labelled not exact:\n%s", lib, strings.Join(rs, "\n"))
	}
	if len(times) > 0 {
		elapsed := time.Since(t0)
		sort.Slice(times, func(i, j int) bool { return times[i].d < times[j].d })
		pct := func(p float64) time.Duration { return times[int(p*float64(len(times)-1))].d }
		note := ""
		if left > 0 {
			note = fmt.Sprintf(" (%d more chosen, left out by the time budget)", left)
		}
		var slow []string
		for k := len(times) - 1; k >= 0 && k >= len(times)-3; k-- {
			e := evs[times[k].at]
			slow = append(slow, fmt.Sprintf("%s line %d %v", e.Op, e.Line, times[k].d.Round(time.Millisecond)))
		}
		t.Logf("%s: %d of %d explainable lines explained in %v%s: p50 %v, p99 %v, max %v; slowest: %s", lib, len(times),
			explainable, elapsed.Round(time.Millisecond), note, pct(0.5), pct(0.99), times[len(times)-1].d,
			strings.Join(slow, ", "))
	}

	var ops []string
	for op := range rows {
		ops = append(ops, op)
	}
	sort.Slice(ops, func(i, j int) bool {
		a, b := rows[ops[i]], rows[ops[j]]
		return a.lines > b.lines || a.lines == b.lines && ops[i] < ops[j]
	})
	var tab strings.Builder
	line := func(name string, r *queueRow) {
		fmt.Fprintf(&tab, "%-18s %6d %8d %6d %6d %8d %8d %7d %9d %6d %6d\n", name, r.lines, r.compared, r.verdicts[redis.Agree],
			r.verdicts[redis.AgreeAsSet], r.verdicts[redis.Labelled], r.verdicts[redis.NotModelled], r.verdicts[redis.Differs],
			r.explained, r.exact, r.errors)
	}
	fmt.Fprintf(&tab, "%-18s %6s %8s %6s %6s %8s %8s %7s %9s %6s %6s\n", "command", "lines", "compared", "agree", "as set",
		"labelled", "not mod.", "differs", "explained", "exact", "errors")
	var total queueRow
	for _, op := range ops {
		r := rows[op]
		line(op, r)
		total.lines += r.lines
		total.compared += r.compared
		for v := range r.verdicts {
			total.verdicts[v] += r.verdicts[v]
		}
		total.explained += r.explained
		total.exact += r.exact
		total.errors += r.errors
	}
	line("total", &total)
	share := 0.0
	if total.compared > 0 {
		share = float64(total.verdicts[redis.Agree]) / float64(total.compared)
	}
	t.Logf("%s: replies replayed exactly: %d of %d (%.1f%%)\n%s", lib, total.verdicts[redis.Agree], total.compared, 100*share, tab.String())
	if min := queueMinExact[lib]; share < min {
		t.Errorf("%s: %.1f%% of replies replayed exactly, want at least %.1f%%", lib, 100*share, 100*min)
	}
}

// differsExplainLimit bounds the explanation of a reply whose replay
// differs (it must be explained, and labelled not exact).
const differsExplainLimit = 60 * time.Second

// notExactReason is the "not exact" note of an answer that says why its
// replay may differ (a history too large to search says only that the
// witness may not be minimal), with the places it names (FILE:LINE) cut
// so that equal reasons group.
func notExactReason(notes []string) string {
	why := ""
	for _, n := range notes {
		if strings.HasPrefix(n, "not exact") && (why == "" || strings.Contains(why, "history too large")) {
			why = n
		}
	}
	if why == "" {
		return "(no note says why)"
	}
	why = placeRE.ReplaceAllString(why, "LINE")
	why = countRE.ReplaceAllString(why, "N writes")
	if len(why) > 160 {
		why = why[:160] + "..."
	}
	return why
}

var countRE = regexp.MustCompile(`\d+ writes`)

var placeRE = regexp.MustCompile(`[\w./-]+:\d+`)

// spreadIndex is the k-th of n indexes visited so that the first ones
// are in order (a prefix: the differing lines come first) and, past the
// first 20, the rest spread evenly: k-th of a bit-reversal-like order.
func spreadIndex(k, n int) int {
	if k < 20 || n <= 40 {
		return k
	}
	// Visit 20..n-1 by a stride coprime with the count.
	m := n - 20
	stride := m/7 + 1
	for gcd(stride, m) != 1 {
		stride++
	}
	return 20 + (k-20)*stride%m
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func queueCapturePaths(lib string) (capture, replies string) {
	dir := filepath.Join("testdata", "queues")
	return filepath.Join(dir, lib+".monitor.log.gz"), filepath.Join(dir, lib+".replies.jsonl.gz")
}

func gzipBytes(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeQueueCapture(t *testing.T, lib string, capture []byte, replies []queueReply) {
	t.Helper()
	cpath, rpath := queueCapturePaths(lib)
	if err := os.MkdirAll(filepath.Dir(cpath), 0o755); err != nil {
		t.Fatal(err)
	}
	var jl bytes.Buffer
	enc := json.NewEncoder(&jl)
	enc.SetEscapeHTML(false)
	for _, q := range replies {
		if q.bytes != nil {
			if utf8.Valid(q.bytes) {
				q.Reply = string(q.bytes)
			} else {
				q.ReplyB64 = base64.StdEncoding.EncodeToString(q.bytes)
			}
		}
		if err := enc.Encode(q); err != nil {
			t.Fatal(err)
		}
	}
	for path, data := range map[string][]byte{cpath: gzipBytes(t, capture), rpath: gzipBytes(t, jl.Bytes())} {
		if len(data) > 2<<20 {
			t.Errorf("%s would be %d bytes: too large to commit", path, len(data))
			continue
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", path, len(data))
	}
}

func readGzip(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

// readQueueReplies reads a LIB.replies.jsonl.gz file.
func readQueueReplies(t *testing.T, path string) []queueReply {
	t.Helper()
	var out []queueReply
	sc := bufio.NewScanner(bytes.NewReader(readGzip(t, path)))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var q queueReply
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		switch {
		case q.ReplyB64 != "":
			b, err := base64.StdEncoding.DecodeString(q.ReplyB64)
			if err != nil {
				t.Fatalf("%s line %d: %v", path, q.Line, err)
			}
			q.bytes = b
		case q.replied():
			q.bytes = []byte(q.Reply)
		}
		out = append(out, q)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// queueCapture stores the committed capture of a job-queue workload
// (testdata/queues) and reads its reply records, one for each line: it
// skips the test when there is no capture.
func queueCapture(t *testing.T, name string) (*store.Store, []*formats.Event, []queueReply) {
	t.Helper()
	cpath, rpath := queueCapturePaths(name)
	if _, err := os.Stat(cpath); err != nil {
		t.Skipf("no capture: %v (run TestQueuesLive with -update-queues)", err)
	}
	s, evs := ingestCapture(t, "sqlite", readGzip(t, cpath))
	replies := readQueueReplies(t, rpath)
	if len(replies) != len(evs) {
		t.Fatalf("%d MONITOR lines, %d reply records", len(evs), len(replies))
	}
	for i, e := range evs {
		if q := replies[i]; q.Line != e.Line || q.Op != e.Op || q.Client != e.Client {
			t.Fatalf("line %d %s %s: reply record for line %d %s %s", e.Line, e.Client, e.Op, q.Line, q.Client, q.Op)
		}
	}
	return s, evs, replies
}

// TestQueueCaptures replays the committed job-queue captures
// (testdata/queues, written by TestQueuesLive -update-queues): every line
// has its reply record, and an explanation labelled exact replays the
// reply the client got.
func TestQueueCaptures(t *testing.T) {
	for _, wl := range queueWorkloads {
		t.Run(wl.name, func(t *testing.T) {
			s, evs, replies := queueCapture(t, wl.name)
			max, budget := 500, 3*time.Second
			if testing.Short() {
				max, budget = 100, time.Second
			}
			checkQueueCapture(t, wl.name, s, evs, replies, max, budget)
		})
	}
}

// ghostsHandled turns TestQueueGhostBlockedClient's findings from logs
// into failures. Set it once the spec no longer labels exact what a
// blocked client that left would change.
const ghostsHandled = true

// TestQueueGhostBlockedClient is what the job-queue workloads do when a
// worker stops while it waits (RQ's BLPOP, BullMQ's BZPOPMIN and XREAD
// BLOCK): its connection closes, redis-server forgets it, and MONITOR
// shows nothing of it. A push that follows goes to the list, not to the
// client that left; a replay that still counts the client as waiting
// hands it the element. The explanations of the lines after it must not
// be labelled exact unless they replay the real reply.
func TestQueueGhostBlockedClient(t *testing.T) {
	srv := redistest.Start(t)
	stop := monitor(t, srv.Addr)
	proxy := redistest.StartProxy(t, srv.Addr)
	dial := func() *redistest.Conn {
		c, err := redistest.Dial(proxy.Addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	do := func(c *redistest.Conn, args ...string) {
		if _, err := c.DoStrings(args...); err != nil {
			t.Fatal(err)
		}
	}
	ghost, live, producer := dial(), dial(), dial()
	do(producer, "PING")
	// The worker that leaves: it waits, then its connection closes.
	gone := make(chan struct{})
	go func() {
		_, _ = ghost.DoStrings("BLPOP", "queue", "0")
		close(gone)
	}()
	waitBlocked := func(n int) {
		deadline := time.Now().Add(redistest.Timeout)
		for {
			info, err := producer.DoStrings("INFO", "clients")
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(info, []byte(fmt.Sprintf("blocked_clients:%d\r\n", n))) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("not %d blocked clients: %s", n, info)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitBlocked(1)
	ghost.Close()
	<-gone
	waitBlocked(0)
	// A worker that stays, on another queue, served as usual.
	served := make(chan error, 1)
	go func() {
		_, err := live.DoStrings("BLPOP", "other", "0")
		served <- err
	}()
	waitBlocked(1)
	do(producer, "RPUSH", "other", "job-1")
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	do(producer, "RPUSH", "queue", "job-2")
	do(producer, "LLEN", "queue")
	do(producer, "LRANGE", "queue", "0", "-1")
	do(producer, "LLEN", "other")
	capture := stop()
	if err := proxy.Close(); err != nil {
		t.Fatal(err)
	}
	s, evs := ingestCapture(t, "sqlite", capture)
	pr := redistest.Pair(evs, proxy.Recordings())
	for _, u := range pr.Unexplained(evs) {
		t.Error(u)
	}
	m := redis.Model{}
	st := m.Init()
	ctx := context.Background()
	for i, e := range evs {
		out := m.Apply(st, e)
		p := pr.Events[i]
		if p.Status != redistest.Replied {
			t.Logf("line %d %s %q: %s; replays %q", e.Line, e.Op, e.Args, p.Status, out)
			continue
		}
		v := redis.CompareReply(e, out, p.Reply)
		x, err := redis.Spec.Explain(ctx, s, e)
		if err != nil {
			t.Logf("line %d %s %q: replays %q (%s); explain: %v", e.Line, e.Op, e.Args, out, v, err)
			continue
		}
		msg := fmt.Sprintf("line %d %s %q: the client got %q; replays %q (%s); explained %q, exact %v",
			e.Line, e.Op, e.Args, p.Reply, out, v, x.Output, x.Exact)
		if x.Exact && redis.CompareReply(e, x.Output, p.Reply) != redis.Agree {
			if ghostsHandled {
				t.Error("labelled exact, wrong: " + msg)
			} else {
				t.Log("KNOWN GAP, labelled exact, wrong: " + msg)
			}
			continue
		}
		t.Log(msg)
	}
}

// TestQueueCaptureMulti checks the answers for MULTI and DISCARD on the
// committed captures of Celery and RQ, whose connections run thousands of
// transactions (multiFlagSlice), against the definition on the real
// trace (checkCaptureWitnesses); the superset most likely to break a
// witness adds every earlier MULTI of the client.
func TestQueueCaptureMulti(t *testing.T) {
	for _, name := range []string{"celery", "rq"} {
		t.Run(name, func(t *testing.T) {
			checkCaptureWitnesses(t, name, 1, 0, func(e *formats.Event) bool { return e.Op == "MULTI" || e.Op == "DISCARD" },
				func(_ []*formats.Event, e, o *formats.Event) bool { return o.Client == e.Client && o.Op == "MULTI" })
		})
	}
}

// TestQueueCaptureExec checks the answers for EXEC on the committed
// captures of Celery and RQ (execProduct) against the definition on the
// real trace (checkCaptureWitnesses); the superset most likely to break
// a witness adds every earlier command of the client and every earlier
// call that names a key or channel its transaction names.
func TestQueueCaptureExec(t *testing.T) {
	// The shares of exact answers among the 40 asked, measured when the
	// product was written: Celery 30 (the others queue LLENs of lists
	// clients wait on; 72 of 100 when 100 were asked, 1 before the
	// product); RQ 12 (9 before its parts could share keys: a heartbeat's
	// EXPIRE and HSET of one hash; 7 of 100 before the product).
	for _, c := range []struct {
		name  string
		share float64
	}{{"celery", 0.6}, {"rq", 0.2}} {
		t.Run(c.name, func(t *testing.T) {
			names := map[int64]map[string]bool{} // by EXEC: what its transaction names
			adversary := func(evs []*formats.Event, e, o *formats.Event) bool {
				if names[e.ID] == nil {
					names[e.ID] = map[string]bool{}
					for k := len(evs) - 1; k >= 0; k-- {
						q := evs[k]
						if q.ID >= e.ID || q.Client != e.Client {
							continue
						}
						if q.Op == "MULTI" {
							break
						}
						for _, a := range q.Args {
							names[e.ID][string(a)] = true
						}
					}
				}
				if o.Client == e.Client {
					return true
				}
				return slices.ContainsFunc(o.Args, func(a []byte) bool { return names[e.ID][string(a)] })
			}
			checkCaptureWitnesses(t, c.name, c.share, 40, func(e *formats.Event) bool { return e.Op == "EXEC" }, adversary)
		})
	}
}

// TestQueueCaptureExistence checks the answers for EXPIRE, EXISTS and DEL
// of one key on the committed captures of RQ and Celery, whose job and
// worker hashes are written hundreds of times (closedExists), against the
// definition on the real trace (checkCaptureWitnesses); the superset
// most likely to break a witness adds every deletion of the key and
// removal of a part of it.
func TestQueueCaptureExistence(t *testing.T) {
	asks := func(e *formats.Event) bool {
		switch e.Op {
		case "EXISTS", "DEL", "UNLINK":
			return len(e.Args) == 1
		case "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT":
			return len(e.Args) == 2
		}
		return false
	}
	// The shares of exact answers measured when the rule was written: RQ
	// 2,552 of 2,772 (1,154 without it), and 600 of the 600 asked once an
	// XADD's clock-made id no longer labelled an EXPIRE of its stream;
	// Celery 38 of 45 (the others wait on timeouts that race with
	// requests, labelled).
	for _, c := range []struct {
		name  string
		share float64
	}{{"rq", 0.97}, {"celery", 0.8}} {
		t.Run(c.name, func(t *testing.T) {
			checkCaptureWitnesses(t, c.name, c.share, 600, asks, func(_ []*formats.Event, e, o *formats.Event) bool {
				switch o.Op {
				case "DEL", "UNLINK", "HDEL", "SREM":
					return o.NS == e.NS && len(o.Args) > 0 && bytes.Equal(o.Args[0], e.Args[0])
				}
				return false
			})
		})
	}
}

// TestQueueCaptureParts checks the answers for HSET, HSETNX, HDEL,
// HEXISTS, SADD, SREM, SISMEMBER and SMISMEMBER of one field or member
// (closedPart), and ZADD, ZSCORE and ZREM of one member (memberSlice), on
// the committed captures of RQ and Celery, whose worker and job hashes
// set the same fields hundreds of times, and BullMQ, against the
// definition on the real trace (checkCaptureWitnesses); the superset most
// likely to break a witness adds every earlier call that removes a part
// of the key or deletes it.
func TestQueueCaptureParts(t *testing.T) {
	asks := func(e *formats.Event) bool {
		switch e.Op {
		case "HSET", "HSETNX", "ZADD":
			return len(e.Args) == 3
		case "HDEL", "HEXISTS", "SADD", "SREM", "SISMEMBER", "SMISMEMBER", "ZSCORE", "ZREM":
			return len(e.Args) == 2
		}
		return false
	}
	// The shares of exact answers, measured when the rule was written: RQ
	// 584 of 600 (551 before it, asking no sorted-set calls), Celery 600
	// of 600; BullMQ, whose calls are its scripts' [lua] lines, 61 of 100
	// (131 of 200 when 200 were asked; 79 of 200 before a script's call
	// was sliced like any other).
	for _, c := range []struct {
		name  string
		share float64
		most  int
	}{{"rq", 0.95, 600}, {"celery", 0.97, 600}, {"bullmq", 0.6, 100}} {
		t.Run(c.name, func(t *testing.T) {
			checkCaptureWitnesses(t, c.name, c.share, c.most, asks, func(_ []*formats.Event, e, o *formats.Event) bool {
				switch o.Op {
				case "DEL", "UNLINK", "HDEL", "SREM", "SPOP", "ZREM", "ZPOPMIN", "ZPOPMAX", "ZREMRANGEBYSCORE", "ZREMRANGEBYRANK",
					"FLUSHDB", "FLUSHALL":
					return o.NS == e.NS && (len(o.Args) == 0 || bytes.Equal(o.Args[0], e.Args[0]))
				}
				return false
			})
		})
	}
}

// checkCaptureWitnesses explains every line of a committed job-queue
// capture that asks selects and the client got a reply for (or a
// script's call, a [lua] line, which has none of its own), and checks
// each exact answer against the definition on the real trace: it
// replays the reply the client got (a script's call, the whole
// history's); it has witnesses; the first of them,
// replayed with the target, gives the reply, and so does it with every
// earlier event adversary picks added (a superset most likely to break
// it); and, for a witness of one event, those events, or the whole
// history before the target, without it give another reply (it is
// minimal). It asks at most most lines (0: all),
// spread over the capture; at least the share given of the answers must
// be exact.
func checkCaptureWitnesses(t *testing.T, name string, share float64, most int, asks func(*formats.Event) bool, adversary func(evs []*formats.Event, e, o *formats.Event) bool) {
	t.Helper()
	s, evs, replies := queueCapture(t, name)
	ctx := context.Background()
	replay := func(sub []*formats.Event, target *formats.Event) string {
		return string(provenance.Replay(redis.Model{}, sub, target))
	}
	var pick []int
	for i, e := range evs {
		if asks(e) && (replies[i].replied() || e.Client == "lua") {
			pick = append(pick, i)
		}
	}
	if most > 0 && len(pick) > most {
		// Spread over the capture.
		spread := make([]int, most)
		for k := range spread {
			spread[k] = pick[k*len(pick)/most]
		}
		pick = spread
	}
	asked, exact, checked := 0, 0, 0
	for _, i := range pick {
		e := evs[i]
		asked++
		x, err := redis.Spec.Explain(ctx, s, e)
		if err != nil {
			t.Fatalf("line %d %s: %v", e.Line, e.Op, err)
		}
		if !x.Exact {
			if asked-exact <= 3 {
				t.Logf("line %d %s %q: not exact: %s", e.Line, e.Op, e.Args, notExactReason(x.Notes))
			}
			continue
		}
		exact++
		if e.Client == "lua" {
			// A script's call has no reply of its own in the record: its
			// output must be the whole history's.
			if got := replay(evs[:i], e); got != string(x.Output) {
				t.Fatalf("line %d %s: labelled exact, the answer's output is %q, the whole history's %q", e.Line, e.Op, x.Output, got)
			}
		} else if v := redis.CompareReply(e, x.Output, replies[i].bytes); v != redis.Agree {
			t.Fatalf("line %d %s: labelled exact, replays %q, the client got %q", e.Line, e.Op, x.Output, replies[i].bytes)
		}
		ws, _ := x.Witnesses(1)
		if len(ws) == 0 {
			t.Fatalf("line %d %s: no witness", e.Line, e.Op)
		}
		w := ws[0]
		in := map[int64]bool{}
		for _, we := range w {
			in[we.ID] = true
		}
		var others, super []*formats.Event
		for _, o := range evs[:i] {
			picked := adversary(evs, e, o) && !in[o.ID]
			if picked {
				others = append(others, o)
			}
			if picked || in[o.ID] {
				super = append(super, o)
			}
		}
		if got := replay(w, e); got != string(x.Output) {
			t.Fatalf("line %d %s: the witness replays %q, not %q", e.Line, e.Op, got, x.Output)
		}
		if got := replay(super, e); got != string(x.Output) {
			t.Fatalf("line %d %s: the witness with %d more events replays %q, not %q: not closed", e.Line, e.Op, len(others), got, x.Output)
		}
		if len(w) == 1 {
			// The empty set is not closed: the added events, or the whole
			// history before the target, without the witness's one event,
			// replay another reply.
			var rest []*formats.Event
			for _, o := range evs[:i] {
				if !in[o.ID] {
					rest = append(rest, o)
				}
			}
			if replay(others, e) == string(x.Output) && replay(rest, e) == string(x.Output) {
				t.Fatalf("line %d %s: without its witness, neither the added events nor the rest of the history replay another reply than %q: the witness may not be minimal", e.Line, e.Op, x.Output)
			}
		}
		checked++
	}
	t.Logf("%s: %d lines asked with replies, %d exact, %d witnesses checked", name, asked, exact, checked)
	if asked == 0 || float64(exact) < share*float64(asked) {
		t.Errorf("%s: %d of %d answers exact, fewer than %.0f%%", name, exact, asked, 100*share)
	}
}
