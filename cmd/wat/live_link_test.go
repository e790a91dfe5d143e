package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wat-project/wat/ingest/store/storetest"
	"github.com/wat-project/wat/specs/redis/redistest"
)

// TestLiveHeuristicLinks joins a real MONITOR capture with the JSON log of
// the service that sent the commands, which share no ids: a small
// "service" in the test handles requests on two connections to a real
// redis-server and logs each call with its own clock and its connection's
// local address, as a real service would. For a read in the capture, each
// witness must be linked to the request that sent it - by content, time
// and client address - including two identical SETs sent from different
// connections a few milliseconds apart.
func TestLiveHeuristicLinks(t *testing.T) {
	srv := redistest.Start(t)
	var capture bytes.Buffer
	stop, err := redistest.Monitor(srv.Addr, &capture)
	if err != nil {
		t.Fatal(err)
	}
	conns := make([]*redistest.Conn, 2)
	for i := range conns {
		if conns[i], err = srv.Dial(); err != nil {
			t.Fatal(err)
		}
		defer conns[i].Close()
	}
	var app bytes.Buffer
	logLine := func(at time.Time, m map[string]any) {
		m["ts"] = at.UTC().Format(time.RFC3339Nano)
		m["service"] = "api"
		b, _ := json.Marshal(m)
		app.Write(append(b, '\n'))
	}
	n := 0
	call := func(conn int, parent string, args ...string) {
		n++
		c := conns[conn]
		sent := time.Now() // the service's clock when it sent the call
		resp, err := c.DoStrings(args...)
		if err != nil {
			t.Fatal(err)
		}
		v, _, err := redistest.Parse(resp)
		if err != nil {
			t.Fatal(err)
		}
		var reply any = string(v.Str)
		switch {
		case v.Null:
			reply = nil
		case v.Type == ':':
			reply = v.Int
		}
		logLine(sent, map[string]any{"kind": "redis.call", "id": "c" + strconv.Itoa(n), "parent_id": parent,
			"cmd": args[0], "args": args[1:], "conn": c.LocalAddr(), "reply": reply})
	}
	request := func(id, method, path string) {
		logLine(time.Now(), map[string]any{"kind": "http.request", "id": id, "method": method, "path": path})
	}
	request("h1", "PUT", "/users/u42")
	call(0, "h1", "SET", "profile:u42", "alice")
	request("h2", "PUT", "/users/u7")
	call(1, "h2", "SET", "profile:u7", "bob")
	request("h3", "PUT", "/users/u42") // a retry, on the other connection
	call(1, "h3", "SET", "profile:u42", "alice")
	time.Sleep(5 * time.Millisecond)
	request("h4", "GET", "/users/u42")
	call(0, "h4", "GET", "profile:u42")
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	mon, appLog, mapping := filepath.Join(dir, "monitor.log"), filepath.Join(dir, "app.log"), filepath.Join(dir, "client.json")
	os.WriteFile(mon, capture.Bytes(), 0o644)
	os.WriteFile(appLog, app.Bytes(), 0o644)
	os.WriteFile(mapping, []byte(`{"rules": [
		{"name": "redis calls, as the client saw them", "match": {"kind": "redis.call"}, "system": "redis", "role": "client",
		 "defaults": {"ns": "0"},
		 "fields": {"op": "cmd", "args": "args", "reply": "reply", "client": "conn", "time": "ts", "service": "service", "id": "id", "parent": "parent_id"}},
		{"name": "requests", "match": {"kind": "http.request"}, "fields": {"system": "service", "op": "method", "time": "ts", "service": "service", "id": "id"}, "args_from": ["path"]}]}`), 0o644)
	// The same checks through each store backend.
	storetest.Each(t, func(t *testing.T, db string) {
		if _, stderr, code := wat(t, "--db", db, "ingest", mon); code != 0 {
			t.Fatalf("ingest monitor: %s", stderr)
		}
		if _, stderr, code := wat(t, "--db", db, "ingest", "--mapping", mapping, appLog); code != 0 {
			t.Fatalf("ingest app: %s", stderr)
		}
		lines := strings.Split(strings.TrimSpace(capture.String()), "\n")
		getLine := 0
		for i, l := range lines {
			if strings.Contains(l, `"GET" "profile:u42"`) {
				getLine = i + 1
			}
		}
		out, stderr, code := wat(t, "--db", db, "explain", "--json", "--at", mon+":"+itoa(getLine))
		if code != 0 {
			t.Fatalf("explain: %d %s", code, stderr)
		}
		var j struct {
			Count     string
			Witnesses []struct {
				Events []struct {
					Line   int
					Client string
					SentBy *struct {
						Heuristic bool
						Rule      string
						Via       *struct {
							Line   int
							Client string
						}
						Witnesses []struct {
							Events []struct {
								ReqID string `json:"req_id"`
							}
						}
					} `json:"sent_by"`
				}
			}
		}
		if err := json.Unmarshal([]byte(out), &j); err != nil {
			t.Fatal(err)
		}
		if j.Count != "2" {
			t.Fatalf("count %s, want 2 (two identical SETs): %s", j.Count, out)
		}
		want := map[string]string{conns[0].LocalAddr(): "h1", conns[1].LocalAddr(): "h3"}
		for _, w := range j.Witnesses {
			e := w.Events[0]
			if e.SentBy == nil || !e.SentBy.Heuristic || e.SentBy.Via == nil {
				t.Fatalf("witness at line %d has no heuristic sender: %s", e.Line, out)
			}
			if e.SentBy.Via.Client != e.Client || len(e.SentBy.Witnesses[0].Events) == 0 ||
				e.SentBy.Witnesses[0].Events[0].ReqID != want[e.Client] {
				t.Errorf("witness at line %d (client %s) linked to %+v via %+v, want request %s", e.Line, e.Client, e.SentBy, e.SentBy.Via, want[e.Client])
			}
			if !strings.Contains(e.SentBy.Rule, "same client address") {
				t.Errorf("rule %q does not say the client address matched", e.SentBy.Rule)
			}
		}
		// The client's record of the read is explained through the capture.
		appLines := strings.Split(strings.TrimSpace(app.String()), "\n")
		out, _, code = wat(t, "--db", db, "explain", "--at", appLog+":"+itoa(len(appLines)))
		if code != 0 || !strings.Contains(out, "HEURISTIC link") || !strings.Contains(out, "2 witnesses") {
			t.Errorf("explain the client's record: code %d\n%s", code, out)
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestGoSlogService runs a small HTTP service written the way Go services
// are (net/http, github.com/redis/go-redis/v9 with a logging hook,
// log/slog's JSON handler: testdata/services/goslog); see serviceStory.
func TestGoSlogService(t *testing.T) {
	bin := buildGoService(t)
	serviceStory(t, "slog", func(redisAddr, logPath string) *exec.Cmd {
		return exec.Command(bin, "-redis", redisAddr, "-log", logPath)
	})
}

// TestGoZapService runs it logging with go.uber.org/zap's production
// logger instead; see serviceStory.
func TestGoZapService(t *testing.T) {
	bin := buildGoService(t)
	serviceStory(t, "zap", func(redisAddr, logPath string) *exec.Cmd {
		return exec.Command(bin, "-zap", "-redis", redisAddr, "-log", logPath)
	})
}

// buildGoService builds testdata/services/goslog.
func buildGoService(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatal("go is not on PATH")
	}
	bin := filepath.Join(t.TempDir(), "goslog")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = "../../testdata/services/goslog"
	build.Env = append(os.Environ(), "GOFLAGS=-mod=readonly")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the service: %v\n%s", err, out)
	}
	return bin
}

// TestPyStructlogService runs the same service written the way Python
// services are (http.server, redis-py, structlog's JSON renderer, which
// writes redis-py's bytes as their repr: testdata/services/pystructlog,
// with Debian's python3-redis and python3-structlog); see serviceStory.
func TestPyStructlogService(t *testing.T) {
	pythonService(t, "structlog", "redis, structlog", "python3-redis and python3-structlog")
}

// pythonService runs testdata/services/pystructlog/app.py (with extra
// arguments) in a serviceStory, if Debian's Python has the modules its
// packages install (as .ci/run does); see serviceStory.
func pythonService(t *testing.T, mapping, modules, packages string, extra ...string) {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import "+modules).Run(); err != nil {
		if os.Getenv("WAT_REQUIRE_LIVE") != "" {
			t.Fatalf("Debian's %s are not all installed and WAT_REQUIRE_LIVE is set", packages)
		}
		t.Skipf("%s are not all installed", packages)
	}
	serviceStory(t, mapping, func(redisAddr, logPath string) *exec.Cmd {
		_, port, _ := strings.Cut(redisAddr, ":")
		return exec.Command("/usr/bin/python3", append([]string{"../../testdata/services/pystructlog/app.py", port, logPath}, extra...)...)
	})
}

// TestPyLoggingService runs the Python service logging through the
// standard logging module and python-json-logger's JsonFormatter
// (Debian's python3-pythonjsonlogger); see serviceStory.
func TestPyLoggingService(t *testing.T) {
	pythonService(t, "pylogging", "redis, structlog, pythonjsonlogger", "python3-redis, python3-structlog and python3-pythonjsonlogger", "--stdlib")
}

// TestNodePinoService runs the same service written the way Node services
// are (express, ioredis and pino-http, from npm:
// testdata/services/nodepino/package-lock.json), whose request records
// nest the request (its id a number) and whose Buffer arguments pino
// writes as JSON.stringify does; see serviceStory.
func TestNodePinoService(t *testing.T) {
	dir := "../../testdata/services/nodepino"
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil {
		install := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
		install.Dir = dir
		if out, err := install.CombinedOutput(); err != nil {
			if os.Getenv("WAT_REQUIRE_LIVE") != "" {
				t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
			}
			t.Skipf("npm ci in %s: %v", dir, err)
		}
	}
	serviceStory(t, "pino", func(redisAddr, logPath string) *exec.Cmd {
		_, port, _ := strings.Cut(redisAddr, ":")
		return exec.Command("node", filepath.Join(dir, "app.js"), port, logPath)
	})
}

// driveService runs a service (start makes its command, given the Redis
// server's address and the log to write; it prints the address it serves
// on and stops when its standard input closes) against a real
// redis-server with MONITOR, and drives it: reads of users, two updates,
// and a read the planted stale cache serves. It returns the service's
// log and the server's MONITOR capture.
func driveService(t *testing.T, start func(redisAddr, logPath string) *exec.Cmd) (appLog, monLog string) {
	t.Helper()
	srv := redistest.Start(t)
	dir := t.TempDir()
	var mon bytes.Buffer
	stopMon, err := redistest.Monitor(srv.Addr, &mon)
	if err != nil {
		t.Fatal(err)
	}
	appLog = filepath.Join(dir, "app.log")
	svc := start(srv.Addr, appLog)
	stdin, _ := svc.StdinPipe()
	stdout, _ := svc.StdoutPipe()
	svc.Stderr = os.Stderr
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Process.Kill(); svc.Wait() })
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("the service did not say where it listens: %v", err)
	}
	base := "http://" + strings.TrimSpace(addr)
	do := func(method, path string) string {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.TrimSpace(string(b))
	}
	for i := 0; i < 3; i++ {
		for _, id := range []string{"1", "2", "3", "9"} {
			do("GET", "/users/"+id)
		}
	}
	// Concurrent requests: their calls to the same keys (the rate
	// limiter's counter) may be logged in another order than they ran.
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 6; i++ {
				req, _ := http.NewRequest("GET", base+"/users/"+strconv.Itoa(1+(g+i)%3), nil)
				if resp, err := http.DefaultClient.Do(req); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
	do("PUT", "/users/1?name=alicia")
	do("PUT", "/users/2?name=bruno")
	if got := do("GET", "/users/1"); got != "alice" {
		t.Fatalf("the planted bug did not show: GET /users/1 = %q", got)
	}
	stdin.Close() // the service stops
	if err := svc.Wait(); err != nil {
		t.Fatalf("the service: %v", err)
	}
	if err := stopMon(); err != nil {
		t.Fatal(err)
	}
	monLog = filepath.Join(dir, "mon.log")
	writeFile(t, monLog, mon.String())
	return appLog, monLog
}

// serviceStory runs a service (see driveService) and ingests its log
// with no mapping. Every Redis command it logged is read (the shipped
// mapping is chosen by itself), linked to the server's own line of it,
// replayed to the reply it logged, and tied to the request it was made
// in, although that request's record is written after it; the planted
// stale cache is explained in one tree by the SET that filled it, the
// request that sent it and its read of the users database. With the service's
// log alone, its records of its calls stand in for the server's log: no
// replay that differs from the logged reply is labelled exact.
func serviceStory(t *testing.T, mapping string, start func(redisAddr, logPath string) *exec.Cmd) {
	appLog, monLog := driveService(t, start)
	lines := strings.Split(strings.TrimSpace(readCapture(t, appLog)), "\n")
	type record struct {
		Cmd, Command, Method string
		RequestID            string `json:"request_id"`
		Args, Arguments      []any
		Req                  struct { // pino-http's
			ID     any
			Method string
		}
		Res any
	}
	recs := make([]record, len(lines))
	requests := map[string]int{} // request id -> its record's line
	lastGet := 0                 // the last read of the cached user 1
	for i, l := range lines {
		r := &recs[i]
		json.Unmarshal([]byte(l), r)
		r.Cmd = strings.ToLower(r.Cmd + r.Command)
		if r.Args == nil {
			r.Args = r.Arguments // python-json-logger's: a record cannot have "args"
		}
		if r.Req.ID != nil {
			r.RequestID = fmt.Sprint(r.Req.ID)
		}
		if r.Method != "" || r.Res != nil {
			requests[r.RequestID] = i + 1
		}
		if r.Cmd == "get" && fmt.Sprint(r.Args[len(r.Args)-1]) == "user:1" {
			lastGet = i + 1
		}
	}

	storetest.Each(t, func(t *testing.T, db string) {
		_, stderr := mustWat(t, db, "ingest", appLog, monLog)
		if !strings.Contains(stderr, "read with the shipped mapping "+mapping) || !strings.Contains(stderr, fmt.Sprintf("%d lines: %d events, 0 rejected, 0 skipped", len(lines), len(lines))) {
			t.Fatalf("ingest of the service's log, no mapping:\n%s", stderr)
		}
		checked, tied := 0, 0
		for i, r := range recs {
			at := fmt.Sprintf("%s:%d", appLog, i+1)
			x, ok := explainCall(t, db, at, lines[i], r.Cmd)
			if !ok {
				continue
			}
			if x.Matches == nil || !*x.Matches || x.code != 0 {
				t.Errorf("%s: %s: exit %d, the replay does not match the logged reply:\n%s", at, lines[i], x.code, x.out)
				continue
			}
			checked++
			if n, ok := requests[r.RequestID]; ok {
				text, _, _ := wat(t, "--db", db, "explain", "--depth", "1", "--at", at)
				if !strings.Contains(text, fmt.Sprintf("%s:%d:   sent within", appLog, n)) {
					t.Errorf("%s: not tied to its request at line %d:\n%s", at, n, text)
					continue
				}
				tied++
			}
		}
		if checked < 30 || tied < 20 {
			t.Errorf("only %d logged replies checked, %d calls tied to their requests", checked, tied)
		}
		t.Logf("%s: %d logged replies replayed right, %d calls tied to their requests", mapping, checked, tied)
		out, _ := mustWat(t, db, "explain", "--depth", "4", "--at", fmt.Sprintf("%s:%d", appLog, lastGet))
		if !strings.Contains(out, `output "alice" (replayed); matches the logged reply`) || !staleTree(out) {
			t.Errorf("the stale read:\n%s", out)
		}
	})

	// The service's log alone: its records stand in for the server's.
	db := filepath.Join(t.TempDir(), "alone.db")
	mustWat(t, db, "ingest", appLog)
	right, labelled := 0, 0
	for i, r := range recs {
		at := fmt.Sprintf("%s:%d", appLog, i+1)
		x, ok := explainCall(t, db, at, lines[i], r.Cmd)
		switch {
		case !ok:
		case x.Matches == nil || (x.code != 0 && x.code != 3): // 3: the replay differs
			t.Errorf("%s alone: exit %d:\n%s", at, x.code, x.out)
		case !x.Exact:
			labelled++
		case *x.Matches:
			right++
		default:
			t.Errorf("%s alone: %s: a replay that differs from the logged reply is labelled exact:\n%s", at, lines[i], x.out)
		}
	}
	t.Logf("%s, its log alone: %d logged replies replayed right and exact, %d labelled not exact", mapping, right, labelled)
}

// staleTree tells whether an explanation of the stale read is the
// planted bug's whole story in one tree: the cached name was set by a
// request that read it from the users database (HGET), whose value is
// explained by the write that filled the database when the service
// started.
func staleTree(out string) bool {
	set := strings.Index(out, `witness 1: SET "user:1" "alice"`)
	within := strings.Index(out, `sent within GET "/users/1"`)
	hget := strings.Index(out, `after receiving HGET "users" "1"`)
	seed := strings.Index(out, `witness 1: HSET "users"`)
	return set >= 0 && within > set && hget > within && seed > hget
}

// A callAnswer is wat explain --json's answer about a logged call.
type callAnswer struct {
	Matches *bool  `json:"matches"`
	Exact   bool   `json:"exact"`
	code    int    // wat's exit status
	out     string // what it printed
}

// explainCall explains the call a service logged at line at (its text
// line, its command cmd, lowercase), unless it is not one whose reply
// can be checked: no command, the handshake (whose reply is logged as
// the library prints it), or a command the service canceled as it
// stopped (it may never have reached the server).
func explainCall(t *testing.T, db, at, line, cmd string) (callAnswer, bool) {
	t.Helper()
	if cmd == "" || cmd == "hello" || strings.Contains(line, "context canceled") {
		return callAnswer{}, false
	}
	out, stderr, code := wat(t, "--db", db, "explain", "--json", "--depth", "0", "--at", at)
	x := callAnswer{code: code, out: out + stderr}
	if err := json.Unmarshal([]byte(out), &x); err != nil {
		x.Matches = nil
	}
	return x, true
}

// TestGoOTelService runs the Go service traced with OpenTelemetry
// (otelhttp's server spans, redisotel's client spans) and exported as
// the SDK's stdouttrace writes spans, and as OTLP JSON lines, the
// Collector's file exporter's form; see tracedStory.
func TestGoOTelService(t *testing.T) {
	bin := buildGoService(t)
	for _, c := range []struct{ exporter, format string }{{"stdout", "otel-stdouttrace"}, {"otlp", "otlp-json"}} {
		t.Run(c.exporter, func(t *testing.T) {
			tracedStory(t, c.format, func(redisAddr, logPath string) *exec.Cmd {
				return exec.Command(bin, "-otel", c.exporter, "-redis", redisAddr, "-log", logPath)
			})
		})
	}
}

// tracedStory runs a traced service (see driveService) and ingests its
// spans with no mapping. Spans record no replies: every Redis call span
// is checked to be linked to the server's own line of it and tied to the
// server span of the request it was made in (exported after it); the
// planted stale cache is explained by the SET that filled it. With the
// spans alone, the stale read is explained from them, labelled not exact
// because db.statement joins the SET's arguments with spaces.
func tracedStory(t *testing.T, format string, start func(redisAddr, logPath string) *exec.Cmd) {
	appLog, monLog := driveService(t, start)
	type event struct {
		File, Op, System, Service string
		Line, Part                int
		Args                      []string
		ReqID                     string `json:"req_id"`
		Parent                    string `json:"parent_id"`
		Raw                       string
	}
	where := func(e event) string {
		if e.Part > 0 {
			return fmt.Sprintf("%s:%d.%d", e.File, e.Line, e.Part)
		}
		return fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	storetest.Each(t, func(t *testing.T, db string) {
		_, stderr := mustWat(t, db, "ingest", appLog, monLog)
		if !strings.Contains(stderr, "app.log: "+format) || !strings.Contains(stderr, `events by the rule "database client spans`) {
			t.Fatalf("ingest of the service's spans, no mapping:\n%s", stderr)
		}
		out, _ := mustWat(t, db, "events", "--json", "--file", appLog)
		var evs []event
		requests := map[string]string{} // span id -> where the server span is
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var e event
			if err := json.Unmarshal([]byte(l), &e); err != nil {
				t.Fatal(err)
			}
			evs = append(evs, e)
			if e.System == "goslog" {
				requests[e.ReqID] = where(e)
			}
		}
		calls, linked, tied, lastGet := 0, 0, 0, ""
		for _, e := range evs {
			if e.System != "redis" || e.Op == "HELLO" || strings.Contains(e.Raw, "context canceled") {
				// The handshake is sent within the call that dialed; a call
				// the service canceled as it stopped may never have
				// reached the server.
				continue
			}
			calls++
			at := where(e)
			if e.Op == "GET" && e.Args[0] == "user:1" {
				lastGet = at
			}
			text, stderr, code := wat(t, "--db", db, "explain", "--depth", "1", "--at", at)
			if code != 0 || !strings.Contains(text, "is goslog's record of this call; explained is the line of redis's own log that matches it") {
				t.Errorf("%s: %s %q: not linked to the server's line:\n%s%s", at, e.Op, e.Args, text, stderr)
				continue
			}
			linked++
			if req, ok := requests[e.Parent]; ok {
				if !strings.Contains(text, req+":   sent within") {
					t.Errorf("%s: not tied to its request at %s:\n%s", at, req, text)
					continue
				}
				tied++
			}
		}
		if calls < 30 || linked != calls || tied < 25 {
			t.Errorf("%d calls: %d linked to the server's lines, %d tied to their requests", calls, linked, tied)
		}
		t.Logf("%s: %d calls, %d linked to the server's lines, %d tied to their requests", format, calls, linked, tied)
		out, _ = mustWat(t, db, "explain", "--depth", "4", "--at", lastGet)
		if !strings.Contains(out, `output "alice" (replayed)`) || !staleTree(out) || !strings.Contains(out, "1 witness (exact)") {
			t.Errorf("the stale read %s:\n%s", lastGet, out)
		}
		if strings.HasSuffix(db, ".db") { // once, on SQLite
			alone := filepath.Join(t.TempDir(), "alone.db")
			mustWat(t, alone, "ingest", appLog)
			out, _ = mustWat(t, alone, "explain", "--at", lastGet)
			if !strings.Contains(out, `output "alice" (replayed)`) || !strings.Contains(out, "(NOT exact)") || !strings.Contains(out, "may not be the ones sent") {
				t.Errorf("the stale read %s from the spans alone:\n%s", lastGet, out)
			}
		}
	})
}
