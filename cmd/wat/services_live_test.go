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
	"strings"
	"testing"

	"github.com/wat-project/wat/ingest/store/storetest"
	"github.com/wat-project/wat/specs/redis/redistest"
)

// TestGoSlogService runs a small HTTP service written the way Go services
// are (net/http, github.com/redis/go-redis/v9 with a logging hook,
// log/slog's JSON handler: testdata/services/goslog) against a real
// redis-server with MONITOR, drives it, and ingests its log with no
// mapping. Every Redis command it logged is read (the shipped slog
// mapping is chosen by itself), linked to the server's own line of it,
// replayed to the reply it logged, and tied to the request it was made
// in, although that request's record is written after it; the planted
// stale cache is explained by the SET that filled it.
func TestGoSlogService(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatal("go is not on PATH")
	}
	srv := redistest.Start(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "goslog")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = "../../testdata/services/goslog"
	build.Env = append(os.Environ(), "GOFLAGS=-mod=readonly")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the service: %v\n%s", err, out)
	}
	var mon bytes.Buffer
	stopMon, err := redistest.Monitor(srv.Addr, &mon)
	if err != nil {
		t.Fatal(err)
	}
	appLog := filepath.Join(dir, "app.log")
	svc := exec.Command(bin, "-redis", srv.Addr, "-log", appLog)
	stdin, _ := svc.StdinPipe()
	stdout, _ := svc.StdoutPipe()
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
	monLog := filepath.Join(dir, "mon.log")
	writeFile(t, monLog, mon.String())
	lines := strings.Split(strings.TrimSpace(readCapture(t, appLog)), "\n")

	storetest.Each(t, func(t *testing.T, db string) {
		_, stderr := mustWat(t, db, "ingest", appLog, monLog)
		if !strings.Contains(stderr, "read with the shipped mapping slog") || !strings.Contains(stderr, fmt.Sprintf("%d lines: %d events, 0 rejected, 0 skipped", len(lines), len(lines))) {
			t.Fatalf("ingest of the service's log, no mapping:\n%s", stderr)
		}
		requests := map[string]int{} // request id -> its record's line
		for i, l := range lines {
			var rec struct {
				Msg       string `json:"msg"`
				RequestID string `json:"request_id"`
			}
			json.Unmarshal([]byte(l), &rec)
			if rec.Msg == "request" {
				requests[rec.RequestID] = i + 1
			}
		}
		checked, tied := 0, 0
		for i, l := range lines {
			var rec struct {
				Cmd       string `json:"cmd"`
				RequestID string `json:"request_id"`
			}
			json.Unmarshal([]byte(l), &rec)
			if rec.Cmd == "" || rec.Cmd == "hello" { // the handshake's reply is logged as go-redis prints it
				continue
			}
			at := fmt.Sprintf("%s:%d", appLog, i+1)
			out, stderr, code := wat(t, "--db", db, "explain", "--json", "--depth", "0", "--at", at)
			var x struct {
				Matches *bool `json:"matches"`
				Exact   bool  `json:"exact"`
			}
			if err := json.Unmarshal([]byte(out), &x); err != nil || code != 0 || x.Matches == nil || !*x.Matches {
				t.Errorf("%s: %s: exit %d, the replay does not match the logged reply:\n%s%s", at, l, code, out, stderr)
				continue
			}
			checked++
			if n, ok := requests[rec.RequestID]; ok {
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
		t.Logf("%d logged replies replayed right, %d calls tied to their requests", checked, tied)
		// The stale read: the last GET of user:1 is explained by the SET
		// that cached "alice", not by the update.
		last := 0
		for i, l := range lines {
			if strings.Contains(l, `"args":["get","user:1"]`) {
				last = i + 1
			}
		}
		out, _ := mustWat(t, db, "explain", "--at", fmt.Sprintf("%s:%d", appLog, last))
		if !strings.Contains(out, `output "alice" (replayed); matches the logged reply`) || !strings.Contains(out, `witness 1: SET "user:1" "alice"`) {
			t.Errorf("the stale read:\n%s", out)
		}
	})
}
