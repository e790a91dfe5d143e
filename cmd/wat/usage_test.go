package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wat-project/wat/ingest/store/storetest"
)

// TestUsageErrors: a mistyped flag, value or command is one error and
// one hint on stderr (the closest flag when there is one), exit 2, and
// nothing on stdout, so that '| jq' sees no help text.
func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args        []string
		error, hint string
	}{
		{[]string{"explain", "--outptu", "17", "--at", "x:1"}, "unknown flag --outptu", "did you mean --output? (run 'wat explain --help')"},
		{[]string{"--stroe", "x.db", "events"}, "unknown flag --stroe", "did you mean --store? (run 'wat --help')"},
		{[]string{"events", "--lmit", "3"}, "unknown flag --lmit", "did you mean --limit? (run 'wat events --help')"},
		{[]string{"events", "--js"}, "unknown flag --js", "did you mean --json? (run 'wat events --help')"},
		{[]string{"follow", "--zzzzzz"}, "unknown flag --zzzzzz", "run 'wat follow --help'"},
		{[]string{"events", "--limit", "many"}, `invalid value "many" for flag -limit: parse error`, "run 'wat events --help'"},
		{[]string{"--color", "bogus", "specs"}, `--color "bogus": want auto, always or never`, "run 'wat --help'"},
		{[]string{"rm"}, "rm needs a file or --id", "run 'wat sources' for the stored files"},
	}
	for _, c := range cases {
		stdout, stderr, code := wat(t, c.args...)
		want := "wat: error: " + c.error + "\nwat: hint: " + c.hint + "\n"
		if code != exitUsage || stdout != "" || stderr != want {
			t.Errorf("wat %q: exit %d, stdout %d bytes, stderr %q; want exit 2, no stdout, %q", c.args, code, len(stdout), stderr, want)
		}
	}
}

// TestRepeatedOp: 'wat events --op' takes several operations, repeated
// or separated by commas, and lists the events of any of them.
func TestRepeatedOp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db string) {
		if _, stderr, code := wat(t, "--db", db, "ingest", "../../testdata/monitor.log"); code != 0 {
			t.Fatal(stderr)
		}
		count := func(args ...string) map[string]int {
			out, stderr, code := wat(t, append([]string{"--db", db, "events"}, args...)...)
			if code != 0 {
				t.Fatalf("events %q: %s", args, stderr)
			}
			ops := map[string]int{}
			for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
				if f := strings.Fields(l); len(f) > 1 {
					ops[f[1]]++
				}
			}
			return ops
		}
		get, set := count("--op", "GET")["GET"], count("--op", "set")["SET"]
		if get == 0 || set == 0 {
			t.Fatalf("the sample log has %d GETs and %d SETs", get, set)
		}
		for _, args := range [][]string{{"--op", "GET", "--op", "SET"}, {"--op", "get,SET"}} {
			if got := count(args...); len(got) != 2 || got["GET"] != get || got["SET"] != set {
				t.Errorf("events %q: %v, want %d GET and %d SET", args, got, get, set)
			}
		}
	})
}

// TestInterrupt: Ctrl-C (SIGINT) during an ingest exits 130 saying it
// was interrupted, and leaves the store as it was before the file it
// was reading: whole, without a half-loaded source; the ingest then
// completes with exact counts.
func TestInterrupt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db string) {
		logPath := bigLog(t, 600000)
		ctx := context.Background()
		interrupted := 0
		for _, wait := range []time.Duration{100 * time.Millisecond, 300 * time.Millisecond} {
			cmd := selfWat(t, "--db", db, "ingest", "--force", logPath)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(wait)
			cmd.Process.Signal(syscall.SIGINT)
			cmd.Wait()
			code := cmd.ProcessState.ExitCode()
			if code == exitSignal {
				interrupted++
			}
			if code == 0 {
				t.Logf("after %v the ingest had finished", wait)
			} else if code != exitSignal || !strings.Contains(stderr.String(), "wat: interrupted") || strings.Contains(stderr.String(), "context canceled") {
				t.Errorf("interrupted after %v: exit %d, stderr %q; want 130 and 'wat: interrupted'", wait, code, stderr.String())
			}
			checkStore(t, ctx, db).Close()
		}
		if interrupted == 0 {
			t.Fatal("no ingest was interrupted: the log is too small for this machine")
		}
		if out, err := selfWat(t, "--db", db, "ingest", "--force", logPath).CombinedOutput(); err != nil {
			t.Fatalf("ingest after the interrupts: %v: %s", err, out)
		}
		checkStore(t, ctx, db).Close()
	})
}

// TestSQLHelpSchema: every view and table 'wat sql --help' documents
// exists with the columns it lists (on PostgreSQL, event_view's stored
// columns, as the help says).
func TestSQLHelpSchema(t *testing.T) {
	help, _, code := wat(t, "sql", "--help")
	if code != 0 {
		t.Fatalf("sql --help: exit %d", code)
	}
	_, doc, ok := strings.Cut(help, "The documented schema:")
	doc, _, _ = strings.Cut(doc, "Times are")
	if !ok {
		t.Fatalf("sql --help documents no schema:\n%s", help)
	}
	tables := map[string][]string{}
	for _, m := range regexp.MustCompile(`(\w+) \(([^)]*)\)`).FindAllStringSubmatch(doc, -1) {
		tables[m[1]] = strings.Fields(strings.ReplaceAll(m[2], ",", " "))
	}
	if len(tables) != 3 {
		t.Fatalf("sql --help documents %d tables, want 3: %v", len(tables), tables)
	}
	storetest.Each(t, func(t *testing.T, db string) {
		if _, stderr, code := wat(t, "--db", db, "ingest", "../../testdata/monitor.log"); code != 0 {
			t.Fatal(stderr)
		}
		for name, cols := range tables {
			if name == "event_view" && strings.HasPrefix(db, "postgres") {
				cols = []string{"id", "file", "line", `"offset"`, "time", "raw"}
			}
			for i, c := range cols {
				if c == "offset" {
					cols[i] = `"offset"`
				}
			}
			q := "SELECT " + strings.Join(cols, ", ") + " FROM " + name + " LIMIT 1"
			if _, stderr, code := wat(t, "--db", db, "sql", q); code != 0 {
				t.Errorf("%s: %s", q, stderr)
			}
		}
	})
}

// TestEventsTimeBounds: events --since and --until keep the events whose
// times lie within them, bounds included, as the full listing shows them.
func TestEventsTimeBounds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db string) {
		if _, stderr, code := wat(t, "--db", db, "ingest", "../../testdata/monitor.log"); code != 0 {
			t.Fatal(stderr)
		}
		times := func(args ...string) []int64 {
			out, stderr, code := wat(t, append([]string{"--db", db, "events", "--json"}, args...)...)
			if code != 0 {
				t.Fatalf("events %q: %s", args, stderr)
			}
			var ts []int64
			for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
				var e struct {
					TimeNS int64 `json:"time_ns"`
				}
				if err := json.Unmarshal([]byte(l), &e); err != nil {
					t.Fatal(err)
				}
				ts = append(ts, e.TimeNS)
			}
			return ts
		}
		all := times()
		if len(all) < 20 {
			t.Fatalf("%d events", len(all))
		}
		since, until := all[5], all[len(all)-6]
		var want []int64
		for _, ts := range all {
			if ts >= since && ts <= until {
				want = append(want, ts)
			}
		}
		if _, stderr, code := wat(t, "--db", db, "events", "--since", "yesterday"); code != exitUsage || !strings.Contains(stderr, `wat: error: --since "yesterday": want a time like 2026-11-24T15:00:00Z`) {
			t.Errorf("--since yesterday: exit %d, %q", code, stderr)
		}
		f := func(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339Nano) }
		if got := times("--since", f(since), "--until", f(until)); !slices.Equal(got, want) {
			t.Errorf("--since %s --until %s: %d events, want %d", f(since), f(until), len(got), len(want))
		}
	})
}

// TestProgress: the ingest progress shows the file, the lines stored,
// the bytes read of the total, the rate and the time left, and is cleared
// when done.
func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	update, done := progress(&buf, "big.log")
	update(3<<20, 12<<20, 41000)
	out := buf.String()
	for _, want := range []string{"big.log: 41000 lines", "25%", "3.1/13 MB)"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress shows %q, want %q in it", out, want)
		}
	}
	time.Sleep(150 * time.Millisecond) // past the redraw throttle
	update(12<<20, 12<<20, 160000)
	done()
	end := buf.String()[len(out):]
	if last := strings.TrimRight(end, "\r"); !strings.HasSuffix(end, "\r") || strings.TrimSpace(last[strings.LastIndex(last, "\r")+1:]) != "" {
		t.Errorf("after the last update and done: %q, want the line cleared", end)
	}
	// Ten seconds in: the rate, and the time left at it.
	buf.Reset()
	update, _ = progressSince(&buf, "big.log", time.Now().Add(-10*time.Second))
	update(3<<20, 12<<20, 41000)
	if out := buf.String(); !strings.Contains(out, "3.1/13 MB, 0.3 MB/s) 30s left") {
		t.Errorf("progress ten seconds in shows %q, want the rate and the time left", out)
	}
	// Of standard input, whose size is unknown: a spinner, the bytes read.
	buf.Reset()
	update, done = progressSince(&buf, "-", time.Now().Add(-10*time.Second))
	update(5<<20, 0, 70)
	done()
	if out := buf.String(); !strings.Contains(out, "-: 70 lines / (5.2 MB, 0.5 MB/s)") || strings.Contains(out, "%") {
		t.Errorf("progress of a stream shows %q, want its lines and bytes, no share", out)
	}
}

// TestEventsKeyGlobAndWrites: --key with a glob lists the events of every
// stored key it matches, each once, as the keys' own listings do together;
// --writes keeps the events that may change what they touch (with --key,
// that key).
func TestEventsKeyGlobAndWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db string) {
		if _, stderr, code := wat(t, "--db", db, "ingest", "../../testdata/monitor.log"); code != 0 {
			t.Fatal(stderr)
		}
		lines := func(args ...string) []string {
			out, stderr, code := wat(t, append([]string{"--db", db, "events"}, args...)...)
			if code != 0 {
				t.Fatalf("events %q: %s", args, stderr)
			}
			return strings.Split(strings.TrimSpace(out), "\n")
		}
		var want []string
		for _, k := range []string{"user:42", "user:42:name", "user:42:seen"} {
			want = append(want, lines("--key", k)...)
		}
		slices.SortFunc(want, func(a, b string) int { return lineNo(a) - lineNo(b) })
		want = slices.Compact(want)
		if got := lines("--key", "user:42*"); !slices.Equal(got, want) {
			t.Errorf("--key user:42*:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if got := lines("--key", "no:such:*"); len(got) != 1 || got[0] != "" {
			t.Errorf("a glob matching no key: %q", got)
		}
		for _, args := range [][]string{{"--writes", "--key", "user:42:name"}, {"--writes"}} {
			got := lines(args...)
			all := lines(args[1:]...)
			if len(got) == 0 || len(got) >= len(all) {
				t.Errorf("%q: %d of %d events", args, len(got), len(all))
			}
			for _, l := range got {
				if strings.Contains(l, ": GET ") || strings.Contains(l, ": TTL ") {
					t.Errorf("%q lists a read: %s", args, l)
				}
			}
		}
	})
}

// lineNo reads the line number of a "file:line: ..." line.
func lineNo(l string) int {
	f := strings.SplitN(l, ":", 3)
	n, _ := strconv.Atoi(f[1])
	return n
}
