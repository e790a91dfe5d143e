package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/wat-project/wat/ingest/store"
	"github.com/wat-project/wat/ingest/store/storetest"
)

// wat runs the CLI in-process and returns stdout, stderr and the exit code.
func wat(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), append([]string{"wat"}, args...), strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

func TestREADMESession(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db string) {
		log := "../../testdata/monitor.log"
		_, stderr, code := wat(t, "--db", db, "ingest", log)
		if code != 0 || !strings.Contains(stderr, "57 lines: 56 events, 0 rejected, 1 skipped") {
			t.Fatalf("ingest: code %d, stderr %q", code, stderr)
		}
		// Same content again: skipped.
		if _, stderr, code = wat(t, "--db", db, "ingest", log); code != 0 || !strings.Contains(stderr, "already stored") {
			t.Errorf("second ingest: code %d, stderr %q", code, stderr)
		}
		out, _, code := wat(t, "--db", db, "explain", "--at", log+":57", "--output", "alice")
		if code != 0 {
			t.Fatalf("explain: code %d", code)
		}
		for _, want := range []string{
			`monitor.log:57: output "alice" (replayed); matches --output`,
			"monitor.log:57: 1 witness (exact)",
			`monitor.log:6: witness 1: SET "user:42:name" "alice" "EX" "3600"`,
			"note: depends on time",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("explain output lacks %q:\n%s", want, out)
			}
		}
		// Flags after arguments, "--at line N", global flags after the command.
		out2, _, code := wat(t, "explain", "--output", "alice", "--at", "line", "57", "--db", db)
		if code != 0 || out2 != out {
			t.Errorf("reordered explain: code %d\n%s", code, out2)
		}
		// A mismatch is stated and exits 3.
		out, stderr, code = wat(t, "--db", db, "explain", "--at", "monitor.log:56", "--output", "16")
		if code != exitMismatch || !strings.Contains(out, `DIFFERS from --output "16"`) ||
			!strings.Contains(stderr, `wat: error: ../../testdata/monitor.log:56: wat replays "15", but --output is "16"`) {
			t.Errorf("mismatch: code %d\n%s%s", code, out, stderr)
		}
		// No answer within --timeout exits 5.
		if _, stderr, code = wat(t, "--db", db, "explain", "--at", "56", "--timeout", "1ns"); code != exitTimeout ||
			!strings.Contains(stderr, "no answer within --timeout 1ns") {
			t.Errorf("timeout: code %d\n%s", code, stderr)
		}
		// JSON contract.
		out, _, code = wat(t, "--db", db, "explain", "--json", "--at", "56")
		var j struct {
			Target struct {
				File, Op string
				Line     int
			}
			Output    string
			Exact     bool
			Count     string
			Witnesses []struct{ Events []struct{ Line int } }
		}
		if err := json.Unmarshal([]byte(out), &j); err != nil || code != 0 {
			t.Fatalf("json: %v (code %d): %s", err, code, out)
		}
		var lines []int
		for _, e := range j.Witnesses[0].Events {
			lines = append(lines, e.Line)
		}
		if j.Target.Line != 56 || j.Output != `"15"` || !j.Exact || j.Count != "1" || len(lines) != 6 || lines[0] != 9 {
			t.Errorf("json = %+v, lines %v", j, lines)
		}
		// events and sql.
		out, _, _ = wat(t, "--db", db, "events", "--key", "user:42:name")
		if !strings.Contains(out, `monitor.log:29: DEL "user:42:name"  [redis 1`) {
			t.Errorf("events:\n%s", out)
		}
		out, _, code = wat(t, "--db", db, "sql", "SELECT count(*) AS n FROM event_view")
		if code != 0 || out != "n\n56\n" {
			t.Errorf("sql: code %d %q", code, out)
		}
		if _, stderr, code = wat(t, "--db", db, "sql", "DELETE FROM events"); code != 1 || !strings.Contains(stderr, "wat: error: sql:") {
			t.Errorf("sql write: code %d %q", code, stderr)
		}
	})
}

func TestErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db string) {
		if store.IsPostgres(db) {
			db = storetest.EmptyPostgres(t) // no store yet, whatever the layout
		}
		cases := []struct {
			args []string
			code int
			msg  string
		}{
			{[]string{"--db", db, "ingest", "no-such.log"}, 1, "wat: error: open no-such.log: no such file or directory"},
			{[]string{"--db", db, "ingest"}, 2, "ingest needs at least one file"},
			{[]string{"--db", db, "explain", "--at", "x:1"}, 1, map[bool]string{false: "no trace store at", true: "not a wat store: no wat tables"}[store.IsPostgres(db)]},
			{[]string{"--db", db, "explain", "--bogus"}, 2, "wat: error:"},
			{[]string{"--db", db, "ingest", "--format", "nope", "x"}, 2, "unknown log format"},
			{[]string{"--db", db, "ingest", "."}, 2, "is a directory"},
		}
		for _, c := range cases {
			_, stderr, code := wat(t, c.args...)
			if code != c.code || !strings.Contains(stderr, c.msg) {
				t.Errorf("wat %q: code %d, stderr %q; want %d, %q", c.args, code, stderr, c.code, c.msg)
			}
		}
		// A line that is not a request, and a line past the end.
		wat(t, "--db", db, "ingest", "../../testdata/monitor.log")
		for at, msg := range map[string]string{"1": "not a request", "999": "the file has 57 lines", "other.log:3": "never ingested"} {
			if _, stderr, code := wat(t, "--db", db, "explain", "--at", at); code != 1 || !strings.Contains(stderr, msg) {
				t.Errorf("--at %s: code %d, %q", at, code, stderr)
			}
		}
	})
}

// TestStoreFromEnvironment: WAT_STORE names the store, before WAT_DB.
func TestStoreFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("WAT_STORE", dir+"/store.db")
	t.Setenv("WAT_DB", dir+"/db.db")
	if _, stderr, code := wat(t, "ingest", "../../testdata/monitor.log"); code != 0 {
		t.Fatal(stderr)
	}
	if _, err := os.Stat(dir + "/store.db"); err != nil {
		t.Errorf("WAT_STORE not used: %v", err)
	}
	if _, err := os.Stat(dir + "/db.db"); err == nil {
		t.Error("WAT_DB used although WAT_STORE is set")
	}
}

// failingWriter fails every write, as a full disk does.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// TestOutputWriteError: output that cannot be written (wat writes it in
// blocks into a pipe or a file) is an error, said on stderr, not a
// silent success.
func TestOutputWriteError(t *testing.T) {
	var errb bytes.Buffer
	code := Main(context.Background(), []string{"wat", "formats"}, strings.NewReader(""), failingWriter{}, &errb)
	if code == exitOK || !strings.Contains(errb.String(), "writing the output: no space left on device") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}
