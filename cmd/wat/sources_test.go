package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wat-project/wat/ingest/store/storetest"
	"github.com/wat-project/wat/specs/redis/redistest"
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
			writeFile(t, a, "1795535140.000001 [0 127.0.0.1:5000] \"SET\" \"k\" \"1\"\n1795535140.000002 [0 127.0.0.1:5000] \"INCR\" \"k\"\n1795535140.000002 [0 127.0.0.1:5000] \"SET\" \"other\" \"x\n1795535140.000003 [0 127.0.0.1:5000] \"RPUSH\" \"q\" \"x\"\n")
			writeFile(t, b, "1795535141.000001 [0 127.0.0.1:5001] \"SET\" \"k\" \"5\"\n1795535141.000002 [0 127.0.0.1:5001] \"INCR\" \"k\"\n1795535141.000003 [0 127.0.0.1:5001] \"GET\" \"k\"\n1795535141.000004 [0 127.0.0.1:5001] \"FLUSHALL\"\n1795535141.000005 [0 127.0.0.1:5001] \"GET\" \"k\"\n")
			must := func(db string, args ...string) string { t.Helper(); out, _ := mustWat(t, db, args...); return out }
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

// mustWat runs wat on the store db and returns what it printed, failing
// the test when it exits other than 0.
func mustWat(t *testing.T, db string, args ...string) (stdout, stderr string) {
	t.Helper()
	out, errOut, code := wat(t, append([]string{"--db", db}, args...)...)
	if code != 0 {
		t.Fatalf("wat %q: exit %d: %s", args, code, errOut)
	}
	return out, errOut
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestOrderStories: the stories of users who ingest several files of one
// store's history. A GET on server A after B's SET to the same key is
// explained by A's requests alone (each capture is its own instance),
// whatever the order the files were ingested in; A's rotated files replay
// in time order whatever order they were ingested in (a file ingested
// after later files of its instance goes before them); two files of one
// instance whose clocks overlap are merged by time; two files of other
// names are two instances unless declared one.
func TestOrderStories(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"cache-a.monitor.log.1": "1795535140.000001 [0 127.0.0.1:5000] \"SET\" \"k\" \"1\"\n",
		"cache-b.monitor.log":   "1795535140.000002 [0 127.0.0.1:6000] \"SET\" \"k\" \"2\"\n",
		"cache-a.monitor.log":   "1795535140.000003 [0 127.0.0.1:5000] \"GET\" \"k\"\n",
		"morning.log":           "1795535140.000001 [0 127.0.0.1:5000] \"SET\" \"k\" \"1\"\n",
		"evening.log":           "1795535140.000003 [0 127.0.0.1:5000] \"GET\" \"k\"\n",
		"c.log.2":               "1795535140.000001 [0 127.0.0.1:5000] \"SET\" \"k\" \"1\"\n",
		"c.log.1":               "1795535140.000002 [0 127.0.0.1:5000] \"INCR\" \"k\"\n",
		"c.log":                 "1795535140.000003 [0 127.0.0.1:5000] \"GET\" \"k\"\n",
		"overlap-1.log":         "1795535140.000001 [0 127.0.0.1:5000] \"SET\" \"k\" \"1\"\n1795535140.000003 [0 127.0.0.1:5000] \"GET\" \"k\"\n",
		"overlap-2.log":         "1795535140.000002 [0 127.0.0.1:5001] \"SET\" \"k\" \"2\"\n",
	}
	for name, content := range files {
		writeFile(t, filepath.Join(dir, name), content)
	}
	at := func(name string) string { return filepath.Join(dir, name) }
	stories := []struct {
		name   string
		ingest [][]string // one ingest command each; "--instance=X" passes the flag
		target string
		output string // the replayed output, when exact
		note   string // "" when exact
	}{
		{"two servers, B between A's files", [][]string{{"cache-a.monitor.log.1"}, {"cache-b.monitor.log"}, {"cache-a.monitor.log"}}, "cache-a.monitor.log", `"1"`, ""},
		{"two servers in one ingest", [][]string{{"cache-a.monitor.log.1", "cache-b.monitor.log", "cache-a.monitor.log"}}, "cache-a.monitor.log", `"1"`, ""},
		{"two servers, B last", [][]string{{"cache-a.monitor.log.1"}, {"cache-a.monitor.log"}, {"cache-b.monitor.log"}}, "cache-a.monitor.log", `"1"`, ""},
		{"two servers, B first", [][]string{{"cache-b.monitor.log"}, {"cache-a.monitor.log.1"}, {"cache-a.monitor.log"}}, "cache-a.monitor.log", `"1"`, ""},
		{"rotated, newest first", [][]string{{"cache-a.monitor.log"}, {"cache-a.monitor.log.1"}}, "cache-a.monitor.log", `"1"`, ""},
		{"three rotated, newest first", [][]string{{"c.log"}, {"c.log.1"}, {"c.log.2"}}, "c.log", `"2"`, ""},
		{"three rotated, middle last", [][]string{{"c.log.2"}, {"c.log"}, {"c.log.1"}}, "c.log", `"2"`, ""},
		{"one instance, clocks overlap", [][]string{{"--instance=o", "overlap-1.log"}, {"--instance=o", "overlap-2.log"}}, "overlap-1.log", `"2"`, ""},
		{"rotated, oldest first", [][]string{{"cache-a.monitor.log.1"}, {"cache-a.monitor.log"}}, "cache-a.monitor.log", `"1"`, ""},
		{"rotated, named newest first in one ingest", [][]string{{"cache-a.monitor.log", "cache-a.monitor.log.1"}}, "cache-a.monitor.log", `"1"`, ""},
		{"two names, no instance given", [][]string{{"morning.log"}, {"evening.log"}}, "evening.log", "(nil)", ""},
		{"two names, one instance", [][]string{{"--instance=cache-a", "morning.log"}, {"--instance=cache-a", "evening.log"}}, "evening.log", `"1"`, ""},
	}
	for _, st := range stories {
		t.Run(st.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db string) {
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
				line := ":1"
				if strings.HasPrefix(st.target, "overlap") {
					line = ":2"
				}
				out, stderr, code := wat(t, "--db", db, "explain", "--at", at(st.target)+line)
				if code != 0 {
					t.Fatal(stderr)
				}
				exact := !strings.Contains(out, "NOT exact")
				switch {
				case st.note == "" && (!exact || !strings.Contains(out, "output "+st.output+" (replayed)")):
					t.Errorf("want exact, replaying %s:\n%s", st.output, out)
				case st.note != "" && (exact || !strings.Contains(out, st.note)):
					t.Errorf("want not exact, saying %q:\n%s", st.note, out)
				}
			})
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
		if code != 0 || !strings.Contains(stderr, "it goes on from its earlier ingest (2 lines, as "+p+"): only the 2 lines after them were read") {
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
		// Rewritten from its start: not grown, but changed: it replaces
		// the earlier ingest (--force keeps both).
		writeFile(t, p, "1795535141.000001 [0 127.0.0.1:5000] \"SET\" \"c\" \"9\"\n"+head+"1795535141.000002 [0 127.0.0.1:5000] \"GET\" \"c\"\n")
		if _, stderr, code := wat(t, "--db", db, "ingest", p); code != 0 || !strings.Contains(stderr, "it replaces its earlier ingest (4 lines), whose content it no longer has") {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if out, _, _ := wat(t, "--db", db, "sources"); strings.Count(out, "\n") != 2 || !strings.Contains(out, "\t4\t4\t0\t0\t2026-11-24T15:45:41") {
			t.Errorf("sources after a rewritten file:\n%s", out)
		}
		if out, _, _ := wat(t, "--db", db, "explain", "--at", p+":4"); !strings.Contains(out, `output "11" (replayed)`) {
			t.Errorf("GET of the rewritten file:\n%s", out)
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
		if code != 0 || !strings.Contains(stderr, "mon.log.1: it goes on from its earlier ingest (2 lines, as "+filepath.Join(dir, "mon.log")) {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		out, stderr, code := wat(t, "--db", db, "explain", "--at", filepath.Join(dir, "mon.log")+":2")
		if code != 0 || !strings.Contains(out, `output "4" (replayed)`) || strings.Contains(out, "NOT exact") {
			t.Errorf("GET after four INCRs: exit %d\n%s%s", code, out, stderr)
		}
	})
}

// TestInstancesApart: with two servers' captures in one store, 'wat
// follow' of a SET on A reaches A's later GET, never B's; 'wat events
// --instance' lists one server's lines; --key without --system finds the
// key in every system.
func TestInstancesApart(t *testing.T) {
	dir := t.TempDir()
	a1, b, a := filepath.Join(dir, "cache-a.monitor.log.1"), filepath.Join(dir, "cache-b.monitor.log"), filepath.Join(dir, "cache-a.monitor.log")
	writeFile(t, a1, "1795535140.000001 [0 127.0.0.1:5000] \"SET\" \"k\" \"1\"\n")
	writeFile(t, b, "1795535140.000002 [0 127.0.0.1:6000] \"GET\" \"k\"\n")
	writeFile(t, a, "1795535140.000003 [0 127.0.0.1:5000] \"GET\" \"k\"\n")
	db := storetest.New(t, "sqlite")
	for _, f := range []string{a1, b, a} {
		if _, stderr, code := wat(t, "--db", db, "ingest", "--quiet", f); code != 0 {
			t.Fatal(stderr)
		}
	}
	out, stderr, code := wat(t, "--db", db, "follow", "--at", a1+":1")
	if code != 0 || !strings.Contains(out, a+":1:") || strings.Contains(out, b+":1:") {
		t.Errorf("follow of A's SET: exit %d %s\n%s", code, stderr, out)
	}
	out, stderr, code = wat(t, "--db", db, "events", "--instance", b)
	if code != 0 || strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, b+":1:") {
		t.Errorf("events --instance B: exit %d %s\n%s", code, stderr, out)
	}
	out, _, _ = wat(t, "--db", db, "events", "--instance", a)
	if strings.Count(out, "\n") != 2 || strings.Contains(out, b) {
		t.Errorf("events --instance A:\n%s", out)
	}
	if _, stderr, code := wat(t, "--db", db, "events", "--instance", "nope"); code != 1 || !strings.Contains(stderr, "no file of it is ingested") {
		t.Errorf("events --instance nope: exit %d, %s", code, stderr)
	}
	if out, _, _ := wat(t, "--db", db, "events", "--key", "k"); strings.Count(out, "\n") != 3 {
		t.Errorf("events --key k (every system):\n%s", out)
	}
}

// TestMovedSameAsInOrder: rotated files ingested newest first, each on its
// own, leave the store as ingesting them oldest first does: the same
// events in the same order, the same index, the same answers; and wat rm
// of a moved file still removes all of it.
func TestMovedSameAsInOrder(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i, body := range []string{
		"1795535140.000003 [0 127.0.0.1:5000] \"GET\" \"k\"\n1795535140.000004 [0 127.0.0.1:5000] \"FLUSHDB\"\n1795535140.000005 [0 127.0.0.1:5000] \"GET\" \"k\"\n",
		"1795535140.000002 [0 127.0.0.1:5000] \"INCR\" \"k\"\n1795535140.000002 [0 127.0.0.1:5000] \"SET\" \"other\" \"x\n1795535140.000002 [0 127.0.0.1:5000] \"SADD\" \"s\" \"a\"\n",
		"1795535140.000001 [0 127.0.0.1:5000] \"SET\" \"k\" \"1\"\n",
	} {
		p := filepath.Join(dir, "mon.log")
		if i > 0 {
			p += fmt.Sprintf(".%d", i)
		}
		writeFile(t, p, body)
		paths = append(paths, p)
	}
	storetest.Each(t, func(t *testing.T, moved string) {
		inOrder := storetest.New(t, strings.TrimSuffix(filepath.Base(t.Name()), "#01"))
		must := func(db string, args ...string) string { t.Helper(); out, _ := mustWat(t, db, args...); return out }
		for _, p := range paths {
			must(moved, "ingest", "--quiet", p)
		}
		must(inOrder, "ingest", "--quiet", paths[2], paths[1], paths[0])
		for _, args := range [][]string{
			{"events"},
			{"explain", "--at", paths[0] + ":1"},
			{"explain", "--at", paths[0] + ":3"},
			{"follow", "--at", paths[2] + ":1"},
			{"sql", "SELECT count(*), sum(n) FROM postings"},
			{"sql", "SELECT count(*) FROM wide_refs"},
		} {
			if got, want := must(moved, args...), must(inOrder, args...); got != want {
				t.Errorf("%q, ingested newest first:\n%s\noldest first:\n%s", args, got, want)
			}
		}
		if out := must(moved, "explain", "--at", paths[0]+":1"); !strings.Contains(out, `output "2"`) || strings.Contains(out, "NOT exact") {
			t.Errorf("GET after SET, INCR:\n%s", out)
		}
		must(moved, "rm", paths[1])
		if out := must(moved, "sql", "SELECT count(*) FROM events"); !strings.Contains(out, "\n4") {
			t.Errorf("events after rm of the middle file: %s", out)
		}
	})
}

// TestStraceFFMerged: strace -ff writes a file per process, whose clocks
// overlap; wat merges them by time, so every read of the file the
// processes share replays the bytes strace printed (another process
// wrote them), and says the files were merged. Real programs: sh writes
// the file, two cats read it.
func TestStraceFFMerged(t *testing.T) {
	if _, err := exec.LookPath("strace"); err != nil {
		if os.Getenv("WAT_REQUIRE_LIVE") != "" {
			t.Fatal("strace is not installed and WAT_REQUIRE_LIVE is set")
		}
		t.Skip("strace is not installed")
	}
	dir := t.TempDir()
	cmd := exec.Command("strace", "-ff", "-tt", "-y", "-s", "64", "-o", filepath.Join(dir, "tr"),
		"sh", "-c", "echo hi > f; cat f; echo more >> f; cat f")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("strace: %v: %s", err, out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "tr.*"))
	if len(files) < 3 {
		t.Fatalf("strace -ff wrote %d files", len(files))
	}
	db := storetest.New(t, "sqlite")
	if _, stderr, code := wat(t, append([]string{"--db", db, "ingest", "--quiet"}, files...)...); code != 0 {
		t.Fatal(stderr)
	}
	shared := filepath.Join(dir, "f") + ">"
	reads := 0
	for _, file := range files {
		data, _ := os.ReadFile(file)
		for i, line := range strings.Split(string(data), "\n") {
			if !strings.Contains(line, " read(") || !strings.Contains(line, shared) || strings.HasSuffix(line, "= 0") {
				continue
			}
			reads++
			out, stderr, code := wat(t, "--db", db, "explain", "--at", fmt.Sprintf("%s:%d", file, i+1))
			if code != 0 || !strings.Contains(out, "matches the logged reply") || strings.Contains(out, `\?`) || !strings.Contains(out, "note: the history merges") {
				t.Errorf("%s:%d: exit %d, does not replay what strace printed from the merged files:\n%s%s", file, i+1, code, out, stderr)
			}
		}
	}
	if reads < 2 {
		t.Fatalf("%d reads of %s found in %q", reads, shared, files)
	}
}

// TestStraceOverlapMerged: two per-process strace files of one machine
// whose clocks overlap (the writer's file ingested after the reader's)
// are merged by time: the read replays the bytes the other process wrote
// before it, and the answer says the files were merged. It is exact only
// when the clocks decide the order: a call begins after its logged time
// and ends before its process's next call begins, so the write surely
// came first when the writer logs another call before the reader's open.
// Files whose clocks do not overlap (apart) are placed one after the
// other, not merged, and the same holds of their calls.
func TestStraceOverlapMerged(t *testing.T) {
	reader := "12:00:00.000005 openat(AT_FDCWD</d>, \"f\", O_RDONLY) = 3</d/f>\n" +
		"12:00:00.000006 read(3</d/f>, \"hi\", 10) = 2\n"
	write := "12:00:00.000001 openat(AT_FDCWD</d>, \"f\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3</d/f>\n" +
		"12:00:00.000002 write(3</d/f>, \"hi\", 2) = 2\n"
	cases := []struct {
		name           string
		writer, reader string
		exact          string // "" when exact, else what the note names
		apart          bool   // the clocks do not overlap
	}{
		{"apart: the write is its process's last call", write, reader, "tr.100:2 (12:00:00.000002) and ", true},
		{"apart: the writer's next calls begin before the reader's open", write +
			"12:00:00.000003 close(3</d/f>) = 0\n12:00:00.000004 exit_group(0) = ?\n", reader, "", true},
		{"the write is its process's last call", "12:00:00.000001 openat(AT_FDCWD</d>, \"f\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3</d/f>\n" +
			"12:00:00.000003 write(3</d/f>, \"hi\", 2) = 2\n",
			"12:00:00.000002 openat(AT_FDCWD</d>, \"f\", O_RDONLY) = 3</d/f>\n" +
				"12:00:00.000004 read(3</d/f>, \"hi\", 10) = 2\n",
			"tr.100:1 (12:00:00.000001) and " /* the create, which the reader's open needs */, false},
		{"the writer's next call begins before the reader's open", "12:00:00.000001 openat(AT_FDCWD</d>, \"f\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3</d/f>\n" +
			"12:00:00.000002 write(3</d/f>, \"hi\", 2) = 2\n" +
			"12:00:00.000003 close(3</d/f>) = 0\n" +
			"12:00:00.000003 getpid() = 100\n",
			"12:00:00.000000 getpid() = 101\n" + // (so that the files' clocks overlap)
				"12:00:00.000004 openat(AT_FDCWD</d>, \"f\", O_RDONLY) = 3</d/f>\n" +
				"12:00:00.000005 read(3</d/f>, \"hi\", 10) = 2\n",
			"", false},
		{"the writer's next call begins at the reader's open's time", "12:00:00.000001 openat(AT_FDCWD</d>, \"f\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3</d/f>\n" +
			"12:00:00.000002 write(3</d/f>, \"hi\", 2) = 2\n" +
			"12:00:00.000004 close(3</d/f>) = 0\n" +
			"12:00:00.000005 getpid() = 100\n",
			"12:00:00.000004 openat(AT_FDCWD</d>, \"f\", O_RDONLY) = 3</d/f>\n" +
				"12:00:00.000006 read(3</d/f>, \"hi\", 10) = 2\n",
			"tr.100:2 (12:00:00.000002) and ", false},
		{"a write logged after the read, before the reader's next call", "12:00:00.000001 openat(AT_FDCWD</d>, \"f\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3</d/f>\n" +
			"12:00:00.000002 write(3</d/f>, \"hi\", 2) = 2\n" +
			"12:00:00.000003 getpid() = 100\n" +
			"12:00:00.000006 pwrite64(3</d/f>, \"ho\", 2, 0) = 2\n" +
			"12:00:00.000009 getpid() = 100\n",
			"12:00:00.000004 openat(AT_FDCWD</d>, \"f\", O_RDONLY) = 3</d/f>\n" +
				"12:00:00.000005 read(3</d/f>, \"hi\", 10) = 2\n" +
				"12:00:00.000007 getpid() = 101\n",
			"tr.100:4 (12:00:00.000006), a call of another file put in order with this one by their clocks, is logged after it but before its thread's next call", false},
		{"the writer is a child the reader's process made", "12:00:00.000003 write(3</d/f>, \"hi\", 2) = 2\n" +
			"12:00:00.000004 close(3</d/f>) = 0\n" +
			"12:00:00.000005 exit_group(0) = ?\n",
			"12:00:00.000001 openat(AT_FDCWD</d>, \"f\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3</d/f>\n" +
				"12:00:00.000002 clone(child_stack=NULL, flags=SIGCHLD) = 100\n" +
				"12:00:00.000008 openat(AT_FDCWD</d>, \"f\", O_RDONLY) = 4</d/f>\n" +
				"12:00:00.000009 read(4</d/f>, \"hi\", 10) = 2\n",
			"", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writer, reader := filepath.Join(dir, "tr.100"), filepath.Join(dir, "tr.101")
			writeFile(t, writer, c.writer)
			writeFile(t, reader, c.reader)
			storetest.Each(t, func(t *testing.T, db string) {
				for _, f := range []string{reader, writer} {
					mustWat(t, db, "ingest", "--quiet", f)
				}
				at := strings.Count(c.reader[:strings.Index(c.reader, " read(")], "\n") + 1 // the read's line
				out, _ := mustWat(t, db, "explain", "--at", fmt.Sprintf("%s:%d", reader, at))
				if !strings.Contains(out, `output read 2 "hi" (replayed)`) || strings.Contains(out, "note: the history merges") == c.apart {
					t.Errorf("read of a file another process wrote, from files apart %v:\n%s", c.apart, out)
				}
				switch {
				case c.exact == "" && strings.Contains(out, "NOT exact"):
					t.Errorf("the clocks decide the order, but the answer is not exact:\n%s", out)
				case c.exact != "" && (!strings.Contains(out, "NOT exact") || !strings.Contains(out, c.exact) || !strings.Contains(out, "by their clocks, ")):
					t.Errorf("the clocks do not decide the order; want NOT exact, naming %q:\n%s", c.exact, out)
				}
			})
		})
	}
}

// TestStraceCutCapture: an strace -f capture cut in two pieces (one
// instance, placed one after the other). A thread's calls go on in the
// next piece, which tells when its last call in the first had ended (the
// next one is looked for in the files placed after it too). A write
// that is its thread's last call in the first piece, followed there by
// the thread's close (or a call the read's history does not hold) before
// another thread's open and read: exact. A read that is its thread's
// last call in the first piece, followed by its close and then another
// thread's truncating open: exact.
func TestStraceCutCapture(t *testing.T) {
	for _, c := range []struct{ name, first, second string }{
		{"the writer's next call", "100 12:00:00.000001 openat(AT_FDCWD</d>, \"f\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3</d/f>\n" +
			"100 12:00:00.000002 write(3</d/f>, \"hi\", 2) = 2\n",
			"100 12:00:00.000003 close(3</d/f>) = 0\n" +
				"101 12:00:00.000004 openat(AT_FDCWD</d>, \"f\", O_RDONLY) = 3</d/f>\n" +
				"101 12:00:00.000005 read(3</d/f>, \"hi\", 10) = 2\n"},
		{"the writer's next call, outside the history", "100 12:00:00.000001 openat(AT_FDCWD</d>, \"f\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3</d/f>\n" +
			"100 12:00:00.000002 write(3</d/f>, \"hi\", 2) = 2\n",
			"100 12:00:00.000003 getpid() = 100\n" +
				"101 12:00:00.000004 openat(AT_FDCWD</d>, \"f\", O_RDONLY) = 3</d/f>\n" +
				"101 12:00:00.000005 read(3</d/f>, \"hi\", 10) = 2\n"},
		{"the reader's next call", "101 12:00:00.000001 openat(AT_FDCWD</d>, \"f\", O_RDWR|O_CREAT|O_TRUNC, 0644) = 3</d/f>\n" +
			"101 12:00:00.000002 write(3</d/f>, \"hi\", 2) = 2\n" +
			"101 12:00:00.000003 lseek(3</d/f>, 0, SEEK_SET) = 0\n" +
			"101 12:00:00.000004 read(3</d/f>, \"hi\", 10) = 2\n",
			"101 12:00:00.000005 close(3</d/f>) = 0\n" +
				"100 12:00:00.000006 openat(AT_FDCWD</d>, \"f\", O_WRONLY|O_TRUNC) = 3</d/f>\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			first, second := filepath.Join(dir, "cap.2"), filepath.Join(dir, "cap.3")
			writeFile(t, first, c.first)
			writeFile(t, second, c.second)
			read, at := second, strings.Count(c.second, "\n")
			if !strings.Contains(c.second, " read(") {
				read, at = first, strings.Count(c.first, "\n")
			}
			storetest.Each(t, func(t *testing.T, db string) {
				mustWat(t, db, "ingest", "--quiet", first, second)
				out, _ := mustWat(t, db, "explain", "--at", fmt.Sprintf("%s:%d", read, at))
				if !strings.Contains(out, `output read 2 "hi" (replayed)`) || strings.Contains(out, "NOT exact") {
					t.Errorf("the thread's next call, in the next piece of the capture, decides the order: want exact\n%s", out)
				}
			})
		})
	}
}

// TestSharedLines: a capture cut into two files that share lines (the
// second begins with the first's last two) counts each request once: a
// counter incremented in the shared lines replays as in the whole
// capture, and the summary says which lines were skipped. A file that only
// begins the same way, then differs, keeps its differing lines.
func TestSharedLines(t *testing.T) {
	dir := t.TempDir()
	l := func(us int, cmd string) string {
		return fmt.Sprintf("1795535140.%06d [0 127.0.0.1:5000] %s\n", us, cmd)
	}
	part1 := filepath.Join(dir, "cut-1.log")
	part2 := filepath.Join(dir, "cut-2.log")
	writeFile(t, part1, l(1, `"SET" "n" "0"`)+l(2, `"INCR" "n"`)+l(3, `"INCR" "n"`))
	writeFile(t, part2, l(2, `"INCR" "n"`)+l(3, `"INCR" "n"`)+l(4, `"INCR" "n"`)+l(5, `"GET" "n"`))
	storetest.Each(t, func(t *testing.T, db string) {
		_, stderr, code := wat(t, "--db", db, "ingest", "--instance", "cache", part1, part2)
		if code != 0 || !strings.Contains(stderr, "cut-2.log: its first 2 events are lines 2-3 of") {
			t.Fatalf("ingest: exit %d\n%s", code, stderr)
		}
		out, _, _ := wat(t, "--db", db, "explain", "--at", part2+":4")
		if !strings.Contains(out, `output "3" (replayed)`) || strings.Contains(out, "NOT exact") {
			t.Errorf("GET after SET and three INCRs, two of them in both files:\n%s", out)
		}
		if out, _, _ := wat(t, "--db", db, "sql", "SELECT count(*) FROM events"); !strings.Contains(out, "\n5") {
			t.Errorf("events stored: %s", out)
		}
	})
	// The later part stored first: the earlier part's last lines are
	// the ones skipped.
	storetest.Each(t, func(t *testing.T, db string) {
		mustWat(t, db, "ingest", "--instance", "cache", part2)
		_, stderr := mustWat(t, db, "ingest", "--instance", "cache", part1)
		if !strings.Contains(stderr, "cut-1.log: its last 2 events are lines 1-2 of") {
			t.Errorf("ingest of the earlier part after the later:\n%s", stderr)
		}
		out, _ := mustWat(t, db, "explain", "--at", part2+":4")
		if !strings.Contains(out, `output "3" (replayed)`) || strings.Contains(out, "NOT exact") {
			t.Errorf("GET, the parts stored later one first:\n%s", out)
		}
	})
	// Same beginning, then different: not a shared run past the first
	// difference.
	diverge := filepath.Join(dir, "diverge.log")
	writeFile(t, diverge, l(2, `"INCR" "n"`)+l(3, `"INCR" "other"`)+l(4, `"INCR" "n"`))
	db := storetest.New(t, "sqlite")
	if _, stderr, code := wat(t, "--db", db, "ingest", "--instance", "cache", part1, diverge); code != 0 || !strings.Contains(stderr, "its first 1 events are lines 2-2") {
		t.Fatalf("ingest: exit %d\n%s", code, stderr)
	}
	if out, _, _ := wat(t, "--db", db, "sql", "SELECT count(*) FROM events"); !strings.Contains(out, "\n5") {
		t.Errorf("events stored (3 + 2 of diverge.log): %s", out)
	}
}

// TestContinuedSameAsWhole: a capture ingested, grown and ingested again
// goes on from where the first ingest stopped, and leaves the store as
// one ingest of the whole file does: the same events, index and answers,
// a transaction begun before the first ingest's end included (the index
// of its queued commands depends on the MULTI before them). When a file
// was stored after it, the grown file replaces the earlier ingest
// instead, with the same answers.
func TestContinuedSameAsWhole(t *testing.T) {
	l := func(us int, client, cmd string) string {
		return fmt.Sprintf("1795535140.%06d [0 127.0.0.1:%s] %s\n", us, client, cmd)
	}
	head := l(1, "5000", `"SET" "c" "1"`) + l(2, "5001", `"MULTI"`) + l(3, "5000", `"INCR" "c"`)
	tail := l(4, "5001", `"INCR" "c"`) + l(4, "5001", `"EXEC"`) + l(5, "5000", `"GET" "c"`) + "not monitor output\n"
	storetest.Each(t, func(t *testing.T, grown string) {
		backend := filepath.Base(t.Name())
		whole, replaced := storetest.New(t, backend), storetest.New(t, backend)
		dir := t.TempDir()
		p, other := filepath.Join(dir, "mon.log"), filepath.Join(dir, "other.log")
		writeFile(t, other, l(9, "6000", `"SET" "x" "1"`))
		must := func(db string, args ...string) string {
			t.Helper()
			out, stderr := mustWat(t, db, args...)
			return out + stderr
		}
		writeFile(t, p, head)
		must(grown, "ingest", p)
		must(replaced, "ingest", p)
		must(replaced, "ingest", other)
		writeFile(t, p, head+tail)
		if out := must(grown, "ingest", p); !strings.Contains(out, "only the 4 lines after them were read") {
			t.Errorf("ingest of the grown file:\n%s", out)
		}
		if out := must(replaced, "ingest", p); !strings.Contains(out, "which it replaces") {
			t.Errorf("ingest of the grown file, another stored after it:\n%s", out)
		}
		must(whole, "ingest", p)
		for _, args := range [][]string{
			{"events"},
			{"sql", "SELECT sum(n) FROM postings"}, // the blocks differ: the ids are the same
			{"sql", "SELECT lines, events, rejected, skipped FROM sources"},
			{"sql", "SELECT line, reason FROM rejects"},
		} {
			if got, want := must(grown, args...), must(whole, args...); got != want {
				t.Errorf("%q, continued:\n%s\none ingest:\n%s", args, got, want)
			}
		}
		for i := 1; i <= 6; i++ {
			at := fmt.Sprintf("%s:%d", p, i)
			want := must(whole, "explain", "--at", at)
			if got := must(grown, "explain", "--at", at); got != want {
				t.Errorf("explain %s, continued:\n%s\none ingest:\n%s", at, got, want)
			}
			if got := must(replaced, "explain", "--at", at); got != want {
				t.Errorf("explain %s, replaced:\n%s\none ingest:\n%s", at, got, want)
			}
		}
		if out := must(grown, "explain", "--at", p+":5"); !strings.Contains(out, "output [(integer) 3]") || strings.Contains(out, "NOT exact") {
			t.Errorf("EXEC of the transaction across the two ingests:\n%s", out)
		}
	})
}

// TestGaps: an answer whose history skips a rotated file (mon.log.3,
// then mon.log.1) says it is not exact, naming the missing number; one
// whose history has two hours with no request between two files says so
// in a note.
func TestGaps(t *testing.T) {
	dir := t.TempDir()
	l := func(sec, us int, cmd string) string {
		return fmt.Sprintf("%d.%06d [0 127.0.0.1:5000] %s\n", 1795535140+sec, us, cmd)
	}
	writeFile(t, filepath.Join(dir, "mon.log.3"), l(0, 1, `"SET" "k" "1"`)+l(0, 2, `"SET" "j" "1"`))
	writeFile(t, filepath.Join(dir, "mon.log.1"), l(0, 3, `"INCR" "k"`))
	writeFile(t, filepath.Join(dir, "mon.log"), l(0, 4, `"GET" "k"`)+l(7200, 5, `"GET" "j"`))
	writeFile(t, filepath.Join(dir, "quiet.log.1"), l(0, 1, `"SET" "k" "1"`)+l(0, 2, `"SET" "k" "2"`))
	writeFile(t, filepath.Join(dir, "quiet.log"), l(7200, 3, `"GET" "k"`))
	db := storetest.New(t, "sqlite")
	if _, stderr, code := wat(t, "--db", db, "ingest", filepath.Join(dir, "mon.log.3"), filepath.Join(dir, "mon.log.1"), filepath.Join(dir, "mon.log"),
		filepath.Join(dir, "quiet.log.1"), filepath.Join(dir, "quiet.log")); code != 0 {
		t.Fatal(stderr)
	}
	out, _, _ := wat(t, "--db", db, "explain", "--at", filepath.Join(dir, "mon.log")+":1")
	if !strings.Contains(out, "NOT exact") || !strings.Contains(out, "(number 2) is not ingested") {
		t.Errorf("a history that skips mon.log.2:\n%s", out)
	}
	out, _, _ = wat(t, "--db", db, "explain", "--at", filepath.Join(dir, "quiet.log")+":1")
	if strings.Contains(out, "NOT exact") || !strings.Contains(out, "note: no request is logged for 2h0m0s between") {
		t.Errorf("a history with two quiet hours between files:\n%s", out)
	}
}

// TestCallJoinsItsInstance: a service's record of a call that names the
// server it went to (an "instance" field) is explained through that
// server's own log line, not through another server's identical call
// that is nearer in time; one naming an instance no file is of says so.
func TestCallJoinsItsInstance(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.monitor.log"), filepath.Join(dir, "b.monitor.log")
	writeFile(t, a, "1795535140.000100 [0 10.0.0.5:4000] \"SET\" \"k\" \"1\"\n")
	writeFile(t, b, "1795535140.000300 [0 10.0.0.5:4000] \"SET\" \"k\" \"1\"\n")
	app, mapping := filepath.Join(dir, "app.log"), filepath.Join(dir, "client.json")
	writeFile(t, app, `{"kind":"redis.call","ts":1795535140.0001,"cmd":"SET","args":["k","1"],"conn":"10.0.0.5:4000","server":"cache-b"}`+"\n"+
		`{"kind":"redis.call","ts":1795535140.0001,"cmd":"SET","args":["k","1"],"conn":"10.0.0.5:4000","server":"cache-c"}`+"\n")
	writeFile(t, mapping, `{"rules": [{"name": "calls", "match": {"kind": "redis.call"}, "system": "redis", "role": "client", "defaults": {"ns": "0"},
		"fields": {"op": "cmd", "args": "args", "client": "conn", "time": "ts", "instance": "server"}}]}`)
	storetest.Each(t, func(t *testing.T, db string) {
		for _, args := range [][]string{{"--instance", "cache-a", a}, {"--instance", "cache-b", b}, {"--mapping", mapping, app}} {
			if _, stderr, code := wat(t, append([]string{"--db", db, "ingest", "--quiet"}, args...)...); code != 0 {
				t.Fatal(stderr)
			}
		}
		out, stderr, code := wat(t, "--db", db, "explain", "--at", app+":1")
		if code != 0 || !strings.Contains(out, "explained is the line of redis's own log that matches it") || !strings.Contains(out, b+":1: explain SET") {
			t.Errorf("the call to cache-b: exit %d\n%s%s", code, out, stderr)
		}
		out, stderr, _ = wat(t, "--db", db, "explain", "--at", app+":2")
		if !strings.Contains(out, `its log names instance "cache-c", which no ingested file is`) {
			t.Errorf("the call to cache-c:\n%s%s", out, stderr)
		}
	})
}

// TestMergedByTime: two captures of one server whose clocks overlap are
// merged by time, ingested one by one or together: a counter two clients
// incremented in turn replays in the order the server ran them; the
// events list in time order; removing one leaves the store as if only
// the other had been ingested, and ingesting it again merges them again.
func TestMergedByTime(t *testing.T) {
	dir := t.TempDir()
	l := func(us int, client, cmd string) string {
		return fmt.Sprintf("1795535140.%06d [0 127.0.0.1:%s] %s\n", us, client, cmd)
	}
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	writeFile(t, a, l(1, "5000", `"SET" "k" "1"`)+l(3, "5000", `"INCR" "k"`)+"\n"+l(5, "5000", `"GET" "k"`))
	writeFile(t, b, l(2, "5001", `"INCR" "k"`)+l(4, "5001", `"INCR" "k"`))
	storetest.Each(t, func(t *testing.T, db string) {
		together, only := storetest.New(t, filepath.Base(t.Name())), storetest.New(t, filepath.Base(t.Name()))
		mustWat(t, db, "ingest", "--instance", "s", a)
		_, stderr := mustWat(t, db, "ingest", "--instance", "s", b)
		if !strings.Contains(stderr, "are of one instance and their clocks overlap: merged by time") {
			t.Errorf("ingest of the overlapping file:\n%s", stderr)
		}
		_, stderr = mustWat(t, together, "ingest", "--instance", "s", a, b)
		if !strings.Contains(stderr, "merged by time") {
			t.Errorf("ingest of both:\n%s", stderr)
		}
		for _, store := range []string{db, together} {
			out, _ := mustWat(t, store, "explain", "--at", a+":4")
			if !strings.Contains(out, `output "4" (replayed)`) || strings.Contains(out, "NOT exact") {
				t.Errorf("GET after SET and three INCRs from two files:\n%s", out)
			}
			out, _ = mustWat(t, store, "events")
			if want := []string{a + ":1:", b + ":1:", a + ":2:", b + ":2:", a + ":4:"}; !linesBegin(out, want) {
				t.Errorf("events not in time order:\n%s", out)
			}
			out, _ = mustWat(t, store, "explain", "--at", b+":2")
			if !strings.Contains(out, "(integer) 4") {
				t.Errorf("the second INCR of b.log:\n%s", out)
			}
		}
		mustWat(t, db, "rm", b)
		mustWat(t, only, "ingest", "--instance", "s", a)
		for _, args := range [][]string{{"events"}, {"explain", "--at", a + ":4"}, {"sql", "SELECT sum(n) FROM postings"}, {"sql", "SELECT count(*) FROM rejects"}} {
			got, _ := mustWat(t, db, args...)
			want, _ := mustWat(t, only, args...)
			if got != want {
				t.Errorf("%q after rm of the merged file:\n%s\nin a store of a.log alone:\n%s", args, got, want)
			}
		}
		mustWat(t, db, "ingest", "--instance", "s", b)
		if out, _ := mustWat(t, db, "explain", "--at", a+":4"); !strings.Contains(out, `output "4" (replayed)`) {
			t.Errorf("GET after b.log is ingested again:\n%s", out)
		}
	})
}

// linesBegin tells whether the lines of out begin with want, in order.
func linesBegin(out string, want []string) bool {
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(want) {
		return false
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			return false
		}
	}
	return true
}

// TestUntimedFilesDoubted: per-process strace files without times cannot
// be put in order: an answer over two of them says it is not exact.
func TestUntimedFilesDoubted(t *testing.T) {
	dir := t.TempDir()
	writer, reader := filepath.Join(dir, "tr.100"), filepath.Join(dir, "tr.101")
	writeFile(t, writer, "openat(AT_FDCWD</d>, \"f\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3</d/f>\nwrite(3</d/f>, \"hi\", 2) = 2\n")
	writeFile(t, reader, "openat(AT_FDCWD</d>, \"f\", O_RDONLY) = 3</d/f>\nread(3</d/f>, \"hi\", 10) = 2\n")
	db := storetest.New(t, "sqlite")
	mustWat(t, db, "ingest", "--quiet", writer, reader)
	out, _ := mustWat(t, db, "explain", "--at", reader+":2")
	if !strings.Contains(out, "NOT exact") || !strings.Contains(out, "have no times") {
		t.Errorf("a read over two untimed files:\n%s", out)
	}
}

// TestReadAgain: the same file ingested again another way (another
// mapping, another instance) replaces its earlier reading rather than
// being skipped or stored twice; standard input ingested twice is two
// files, "-" and "-#2", each found by --at.
func TestReadAgain(t *testing.T) {
	dir := t.TempDir()
	app, mapping := filepath.Join(dir, "app.log"), filepath.Join(dir, "m.json")
	writeFile(t, app, `{"kind":"redis.call","ts":1795535140.1,"cmd":"SET","args":["k","1"]}`+"\n"+`{"kind":"redis.call","ts":1795535140.2,"cmd":"GET","args":["k"]}`+"\n")
	writeFile(t, mapping, `{"rules": [{"name": "calls", "match": {"kind": "redis.call"}, "system": "redis", "defaults": {"ns": "0"},
		"fields": {"op": "cmd", "args": "args", "time": "ts"}}]}`)
	mon := filepath.Join(dir, "mon.log")
	writeFile(t, mon, "1795535140.000001 [0 127.0.0.1:5000] \"SET\" \"k\" \"1\"\n")
	storetest.Each(t, func(t *testing.T, db string) {
		// No mapping: nothing of it is a request; with one, its calls are.
		if _, _, code := wat(t, "--db", db, "ingest", app); code != 0 {
			t.Fatal("ingest without a mapping")
		}
		_, stderr := mustWat(t, db, "ingest", "--mapping", mapping, app)
		if !strings.Contains(stderr, "read another way (format, mapping or instance): it replaces that ingest") {
			t.Errorf("ingest with a mapping:\n%s", stderr)
		}
		if out, _ := mustWat(t, db, "sources"); strings.Count(out, "\n") != 2 || !strings.Contains(out, "\t2\t2\t0\t0\t") {
			t.Errorf("sources:\n%s", out)
		}
		// The same again: skipped.
		if _, stderr := mustWat(t, db, "ingest", "--mapping", mapping, app); !strings.Contains(stderr, "already stored") {
			t.Errorf("the same reading again:\n%s", stderr)
		}
		// Another instance named: read another way.
		mustWat(t, db, "ingest", mon)
		if _, stderr := mustWat(t, db, "ingest", "--instance", "cache-a", mon); !strings.Contains(stderr, "it replaces that ingest") {
			t.Errorf("the same capture, another instance:\n%s", stderr)
		}
		if out, _ := mustWat(t, db, "sources"); !strings.Contains(out, "\tcache-a\t") || strings.Count(out, "\n") != 3 {
			t.Errorf("sources after naming the instance:\n%s", out)
		}
	})
	db := storetest.New(t, "sqlite")
	for i, body := range []string{"1795535140.000001 [0 127.0.0.1:5000] \"SET\" \"k\" \"1\"\n", "1795535141.000001 [0 127.0.0.1:5000] \"GET\" \"k\"\n"} {
		var out, errb bytes.Buffer
		if code := Main(context.Background(), []string{"wat", "--db", db, "ingest", "--format", "redis-monitor", "-"}, strings.NewReader(body), &out, &errb); code != 0 {
			t.Fatalf("stdin ingest %d: %s", i, errb.String())
		}
	}
	if out, _ := mustWat(t, db, "explain", "--at", "-#2:1"); !strings.Contains(out, `output "1" (replayed)`) {
		t.Errorf("explain of the second standard input:\n%s", out)
	}
}

// TestTwoServersRotated is the story of a user with two real Redis
// servers that share key names, each captured with MONITOR while a client
// wrote and read both in turn. Server A's capture is rotated into three
// files (the oldest gzipped; two cut with shared lines), B's into two.
// Ingested all at once, one by one in a scrambled order, or with
// duplicates (a file again, a plain copy of the gzipped one), every GET
// of either server replays the reply the server really sent, exactly.
func TestTwoServersRotated(t *testing.T) {
	a, b := redistest.Start(t), redistest.Start(t)
	var capA, capB bytes.Buffer
	stopA, err := redistest.Monitor(a.Addr, &capA)
	if err != nil {
		t.Fatal(err)
	}
	stopB, err := redistest.Monitor(b.Addr, &capB)
	if err != nil {
		t.Fatal(err)
	}
	ca, cb := a.MustDial(t), b.MustDial(t)
	gets := map[string][][]byte{} // server -> the replies of its GETs, in order
	for i := 0; i < 60; i++ {
		for _, s := range []struct {
			name string
			c    *redistest.Conn
		}{{"a", ca}, {"b", cb}} {
			for _, cmd := range [][]string{
				{"SET", fmt.Sprintf("k%d", i%4), fmt.Sprintf("%s%d", s.name, i)},
				{"INCR", "n"},
				{"GET", fmt.Sprintf("k%d", (i+1)%4)},
				{"GET", "n"},
			} {
				r, err := s.c.DoStrings(cmd...)
				if err != nil {
					t.Fatal(err)
				}
				if cmd[0] == "GET" {
					gets[s.name] = append(gets[s.name], r)
				}
			}
		}
	}
	if err := stopA(); err != nil {
		t.Fatal(err)
	}
	if err := stopB(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := func(name string) string { return filepath.Join(dir, name) }
	// A: a.log.2.gz, a.log.1 and a.log, where a.log begins with a.log.1's
	// last three lines; B: b.log.1 and b.log.
	linesA := strings.SplitAfter(capA.String(), "\n")
	linesB := strings.SplitAfter(capB.String(), "\n")
	n, m := len(linesA)/3, len(linesB)/2
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(strings.Join(linesA[:n], "")))
	zw.Close()
	files := map[string]string{
		"a.log.2.gz": gz.String(), "a.log.2": strings.Join(linesA[:n], ""),
		"a.log.1": strings.Join(linesA[n:2*n], ""), "a.log": strings.Join(linesA[2*n-3:], ""),
		"b.log.1": strings.Join(linesB[:m], ""), "b.log": strings.Join(linesB[m:], ""),
	}
	for name, content := range files {
		writeFile(t, path(name), content)
	}
	stories := []struct {
		name    string
		ingests [][]string
		oldest  string // the name A's oldest part is stored under
	}{
		{"all at once", [][]string{{"a.log", "b.log.1", "a.log.2.gz", "b.log", "a.log.1"}}, "a.log.2.gz"},
		{"one by one, scrambled", [][]string{{"a.log"}, {"b.log"}, {"a.log.1"}, {"b.log.1"}, {"a.log.2.gz"}}, "a.log.2.gz"},
		{"with duplicates", [][]string{{"a.log.1"}, {"a.log.2"}, {"b.log.1", "b.log"}, {"a.log.2.gz"}, {"a.log"}, {"a.log.1"}}, "a.log.2"},
	}
	for _, st := range stories {
		t.Run(st.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db string) {
				for _, names := range st.ingests {
					args := []string{"ingest", "--quiet"}
					for _, name := range names {
						args = append(args, path(name))
					}
					mustWat(t, db, args...)
				}
				for server, parts := range map[string][]string{"a": {st.oldest, "a.log.1", "a.log"}, "b": {"b.log.1", "b.log"}} {
					checkGets(t, db, parts, path, gets[server])
				}
			})
		})
	}
}

// checkGets explains every GET of a server's files, in order, and
// compares the replayed reply with the one the server sent. A line two
// files share (a capture cut with shared lines) is one GET, stored once:
// it is explained where it was stored.
func checkGets(t *testing.T, db string, parts []string, path func(string) string, want [][]byte) {
	t.Helper()
	var order []string             // the GET lines, in capture order
	where := map[string][]string{} // line -> its places, file:line
	for _, name := range parts {
		for i, line := range strings.Split(readCapture(t, path(name)), "\n") {
			if !strings.Contains(line, `"GET"`) {
				continue
			}
			if where[line] == nil {
				order = append(order, line)
			}
			where[line] = append(where[line], fmt.Sprintf("%s:%d", path(name), i+1))
		}
	}
	if len(order) != len(want) {
		t.Fatalf("%d GETs in the files, the server answered %d", len(order), len(want))
	}
	for k, line := range order {
		var out, stderr string
		code := 1
		for _, at := range where[line] {
			if out, stderr, code = wat(t, "--db", db, "explain", "--json", "--depth", "0", "--at", at); code == 0 {
				break
			}
		}
		var x struct {
			Exact      bool   `json:"exact"`
			OutputRESP string `json:"output_resp"`
			Notes      []string
		}
		if err := json.Unmarshal([]byte(out), &x); err != nil || code != 0 {
			t.Fatalf("%q: exit %d: %v\n%s%s", where[line], code, err, out, stderr)
		}
		if x.OutputRESP != string(want[k]) || !x.Exact {
			t.Errorf("%q: replayed %q (exact %v), the server replied %q; notes %q", where[line], x.OutputRESP, x.Exact, want[k], x.Notes)
		}
	}
}

// readCapture reads a capture file, gunzipping it.
func readCapture(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(p, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if _, err := out.ReadFrom(zr); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	return string(b)
}

// TestBlockedLastExplained: a blocking pop that timed out, the last line
// of its capture, is explained (its reply is asked at the end of its wait,
// after every stored event; the order check once looked that up as an
// event and failed).
func TestBlockedLastExplained(t *testing.T) {
	mon := filepath.Join(t.TempDir(), "mon.log")
	writeFile(t, mon, "1795535140.000001 [0 127.0.0.1:5000] \"SET\" \"k\" \"1\"\n1795535140.000002 [0 127.0.0.1:5001] \"BRPOP\" \"jobs\" \"1\"\n")
	storetest.Each(t, func(t *testing.T, db string) {
		mustWat(t, db, "ingest", "--quiet", mon)
		if out, _ := mustWat(t, db, "explain", "--at", mon+":2"); !strings.Contains(out, "timed out") {
			t.Errorf("the timed-out BRPOP:\n%s", out)
		}
	})
}

// TestGrownMergedFile: a file merged by time with another of its
// instance, grown and ingested again, replaces its earlier ingest and is
// merged with the other again: the GET between the other file's SET and
// its own later lines replays the other's value.
func TestGrownMergedFile(t *testing.T) {
	dir := t.TempDir()
	l := func(us int, cmd string) string {
		return fmt.Sprintf("1795535140.%06d [0 127.0.0.1:5000] %s\n", us, cmd)
	}
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	head := l(1, `"SET" "k" "1"`) + l(3, `"GET" "k"`)
	writeFile(t, a, head)
	writeFile(t, b, l(2, `"SET" "k" "2"`)+l(4, `"SET" "k" "3"`))
	storetest.Each(t, func(t *testing.T, db string) {
		mustWat(t, db, "ingest", "--quiet", "--instance", "s", a, b)
		writeFile(t, a, head+l(5, `"GET" "k"`))
		mustWat(t, db, "ingest", "--quiet", "--instance", "s", a)
		for line, want := range map[int]string{2: `"2"`, 3: `"3"`} {
			out, _ := mustWat(t, db, "explain", "--at", fmt.Sprintf("%s:%d", a, line))
			if !strings.Contains(out, "output "+want+" (replayed)") || strings.Contains(out, "NOT exact") {
				t.Errorf("a.log:%d after a.log grew:\n%s", line, out)
			}
		}
		out, _ := mustWat(t, db, "events")
		if !linesBegin(out, []string{a + ":1:", b + ":1:", a + ":2:", b + ":2:", a + ":3:"}) {
			t.Errorf("events not in time order:\n%s", out)
		}
	})
}
