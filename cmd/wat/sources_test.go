package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wat-project/wat/ingest/storetest"
)

// TestSourcesAndRm: 'wat sources' lists what was ingested; 'wat rm'
// leaves the store as if the removed file had never been ingested: the
// other file's events, explanations and index rows are those of a store
// that only ever held it; a path stored twice must be named by --id.
func TestSourcesAndRm(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			both, only := storetest.New(t, backend), storetest.New(t, backend)
			dir := t.TempDir()
			a := filepath.Join(dir, "a.log")
			b := filepath.Join(dir, "b.log")
			writeFile(t, a, "1795535140.000001 [0 127.0.0.1:5000] \"SET\" \"k\" \"1\"\n1795535140.000002 [0 127.0.0.1:5000] \"INCR\" \"k\"\nnot monitor output\n1795535140.000003 [0 127.0.0.1:5000] \"RPUSH\" \"q\" \"x\"\n")
			writeFile(t, b, "1795535141.000001 [0 127.0.0.1:5001] \"SET\" \"k\" \"5\"\n1795535141.000002 [0 127.0.0.1:5001] \"INCR\" \"k\"\n1795535141.000003 [0 127.0.0.1:5001] \"GET\" \"k\"\n1795535141.000004 [0 127.0.0.1:5001] \"FLUSHALL\"\n1795535141.000005 [0 127.0.0.1:5001] \"GET\" \"k\"\n")
			must := func(db string, args ...string) string {
				t.Helper()
				out, stderr, code := wat(t, append([]string{"--db", db}, args...)...)
				if code != 0 {
					t.Fatalf("wat %q: exit %d: %s", args, code, stderr)
				}
				return out
			}
			must(both, "ingest", "--quiet", a, b)
			must(both, "ingest", "--quiet", "--force", a)
			must(only, "ingest", "--quiet", b)
			list := must(both, "sources")
			if got := strings.Count(list, "\n"); got != 4 || !strings.HasPrefix(list, "ID\tPATH\tINSTANCE\tFORMAT\tLINES\tEVENTS\tREJECTED\tSKIPPED\tFIRST\tLAST\n") ||
				!strings.Contains(list, "\tredis-monitor\t4\t3\t1\t0\t") {
				t.Fatalf("sources:\n%s", list)
			}
			if _, stderr, code := wat(t, "--db", both, "rm", a); code != 1 || !strings.Contains(stderr, "2 stored files have the path") {
				t.Errorf("rm of a path stored twice: exit %d, %s", code, stderr)
			}
			must(both, "rm", "--id", "1")
			must(both, "rm", a)
			if list := must(both, "sources"); strings.Count(list, "\n") != 2 || !strings.Contains(list, "b.log") {
				t.Errorf("sources after rm:\n%s", list)
			}
			for _, args := range [][]string{
				{"events"},
				{"explain", "--at", b + ":3"},
				{"explain", "--at", b + ":5"},
				{"events", "--key", "k"},
				{"sql", "SELECT count(*), sum(n) FROM postings"},
				{"sql", "SELECT count(*) FROM wide_refs"},
				{"sql", "SELECT count(*) FROM rejects"},
			} {
				if got, want := must(both, args...), must(only, args...); got != want {
					t.Errorf("%q after rm:\n%s\nin a store that only held b.log:\n%s", args, got, want)
				}
			}
			if _, stderr, code := wat(t, "--db", both, "rm", "--id", "9"); code != 1 || !strings.Contains(stderr, "no stored file has id 9") {
				t.Errorf("rm --id 9: exit %d, %s", code, stderr)
			}
			if _, stderr, code := wat(t, "--db", both, "rm", "never.log"); code != 1 || !strings.Contains(stderr, `file "never.log" was never ingested`) {
				t.Errorf("rm never.log: exit %d, %s", code, stderr)
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestOrderStories: the stories of users who ingest several files of one
// store's history. A GET on server A after B's SET to the same key, with
// B's capture ingested between A's two files, and a rotated capture
// ingested newest first, are explained not exact, saying why; A's rotated
// files ingested oldest first, named newest first in one ingest (which
// takes them oldest first), or with B's file after them, replay A alone,
// exactly; two files of other names declared one instance are one log.
func TestOrderStories(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"cache-a.monitor.log.1": "1795535140.000001 [0 127.0.0.1:5000] \"SET\" \"k\" \"1\"\n",
		"cache-b.monitor.log":   "1795535140.000002 [0 127.0.0.1:6000] \"SET\" \"k\" \"2\"\n",
		"cache-a.monitor.log":   "1795535140.000003 [0 127.0.0.1:5000] \"GET\" \"k\"\n",
		"morning.log":           "1795535140.000001 [0 127.0.0.1:5000] \"SET\" \"k\" \"1\"\n",
		"evening.log":           "1795535140.000003 [0 127.0.0.1:5000] \"GET\" \"k\"\n",
	}
	for name, content := range files {
		writeFile(t, filepath.Join(dir, name), content)
	}
	at := func(name string) string { return filepath.Join(dir, name) }
	stories := []struct {
		name   string
		ingest [][]string // one ingest command each; "--instance=X" passes the flag
		target string
		note   string // "" when exact
	}{
		{"two servers, B between A's files", [][]string{{"cache-a.monitor.log.1"}, {"cache-b.monitor.log"}, {"cache-a.monitor.log"}}, "cache-a.monitor.log", "another server's requests"},
		{"two servers in one ingest", [][]string{{"cache-a.monitor.log.1", "cache-b.monitor.log", "cache-a.monitor.log"}}, "cache-a.monitor.log", ""},
		{"rotated, newest first", [][]string{{"cache-a.monitor.log"}, {"cache-a.monitor.log.1"}}, "cache-a.monitor.log", "ingested after"},
		{"rotated, oldest first", [][]string{{"cache-a.monitor.log.1"}, {"cache-a.monitor.log"}}, "cache-a.monitor.log", ""},
		{"rotated, named newest first in one ingest", [][]string{{"cache-a.monitor.log", "cache-a.monitor.log.1"}}, "cache-a.monitor.log", ""},
		{"two names, no instance given", [][]string{{"morning.log"}, {"evening.log"}}, "evening.log", "instance"},
		{"two names, one instance", [][]string{{"--instance=cache-a", "morning.log"}, {"--instance=cache-a", "evening.log"}}, "evening.log", ""},
	}
	for _, st := range stories {
		t.Run(st.name, func(t *testing.T) {
			db := storetest.New(t, "sqlite")
			for _, cmd := range st.ingest {
				args := []string{"--db", db, "ingest", "--quiet"}
				for _, f := range cmd {
					if strings.HasPrefix(f, "--") {
						args = append(args, f)
					} else {
						args = append(args, at(f))
					}
				}
				if _, stderr, code := wat(t, args...); code != 0 {
					t.Fatal(stderr)
				}
			}
			out, stderr, code := wat(t, "--db", db, "explain", "--at", at(st.target)+":1")
			if code != 0 {
				t.Fatal(stderr)
			}
			exact := !strings.Contains(out, "NOT exact")
			switch {
			case st.note == "" && (!exact || !strings.Contains(out, `output "1"`)):
				t.Errorf("want exact, replaying A's \"1\":\n%s", out)
			case st.note != "" && (exact || !strings.Contains(out, st.note)):
				t.Errorf("want not exact, saying %q:\n%s", st.note, out)
			}
		})
	}
}

// TestGrownFile: a capture ingested, then grown and ingested again,
// replaces its earlier ingest (one source, each line once), so a counter
// replays once, not twice; a file of the same path whose beginning
// changed is not taken for a grown one.
func TestGrownFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db string) {
		p := filepath.Join(t.TempDir(), "mon.log")
		head := "1795535140.000001 [0 127.0.0.1:5000] \"INCR\" \"c\"\n1795535140.000002 [0 127.0.0.1:5000] \"INCR\" \"c\"\n"
		writeFile(t, p, head)
		if _, stderr, code := wat(t, "--db", db, "ingest", p); code != 0 {
			t.Fatal(stderr)
		}
		writeFile(t, p, head+"1795535140.000003 [0 127.0.0.1:5000] \"INCR\" \"c\"\n1795535140.000004 [0 127.0.0.1:5000] \"GET\" \"c\"\n")
		_, stderr, code := wat(t, "--db", db, "ingest", p)
		if code != 0 || !strings.Contains(stderr, "it begins with all of "+p+" as ingested (2 lines: the log grew since), which it replaces") {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		out, _, _ := wat(t, "--db", db, "sources")
		if strings.Count(out, "\n") != 2 || !strings.Contains(out, "\t4\t4\t0\t0\t") {
			t.Errorf("sources after the grown file:\n%s", out)
		}
		out, stderr, code = wat(t, "--db", db, "explain", "--at", p+":4")
		if code != 0 || !strings.Contains(out, `output "3" (replayed)`) {
			t.Errorf("GET after three INCRs: exit %d\n%s%s", code, out, stderr)
		}
		// Rewritten from its start: not grown, both kept (and the order
		// check labels answers over both).
		writeFile(t, p, "1795535141.000001 [0 127.0.0.1:5000] \"SET\" \"c\" \"9\"\n"+head+"1795535141.000002 [0 127.0.0.1:5000] \"GET\" \"c\"\n")
		if _, stderr, code := wat(t, "--db", db, "ingest", p); code != 0 || strings.Contains(stderr, "grew") {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if out, _, _ := wat(t, "--db", db, "sources"); strings.Count(out, "\n") != 3 {
			t.Errorf("sources after a rewritten file:\n%s", out)
		}
	})
}

// TestRotatedAfterIngest: mon.log ingested, then rotated (mon.log.1 holds
// it and what came after, mon.log starts anew): ingesting both replaces
// the earlier ingest with mon.log.1, so every INCR counts once and the
// answer is exact.
func TestRotatedAfterIngest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db string) {
		dir := t.TempDir()
		incr := func(us int) string {
			return fmt.Sprintf("1795535140.%06d [0 127.0.0.1:5000] \"INCR\" \"c\"\n", us)
		}
		writeFile(t, filepath.Join(dir, "mon.log"), incr(1)+incr(2))
		if _, stderr, code := wat(t, "--db", db, "ingest", filepath.Join(dir, "mon.log")); code != 0 {
			t.Fatal(stderr)
		}
		writeFile(t, filepath.Join(dir, "mon.log.1"), incr(1)+incr(2)+incr(3))
		writeFile(t, filepath.Join(dir, "mon.log"), incr(4)+"1795535140.000005 [0 127.0.0.1:5000] \"GET\" \"c\"\n")
		_, stderr, code := wat(t, "--db", db, "ingest", filepath.Join(dir, "mon.log"), filepath.Join(dir, "mon.log.1"))
		if code != 0 || !strings.Contains(stderr, "mon.log.1: it begins with all of "+filepath.Join(dir, "mon.log")) {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		out, stderr, code := wat(t, "--db", db, "explain", "--at", filepath.Join(dir, "mon.log")+":2")
		if code != 0 || !strings.Contains(out, `output "4" (replayed)`) || strings.Contains(out, "NOT exact") {
			t.Errorf("GET after four INCRs: exit %d\n%s%s", code, out, stderr)
		}
	})
}
