package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wat-project/wat/ingest/store"
	"github.com/wat-project/wat/ingest/store/storetest"
)

// selfWat runs this test binary as wat (testscript.Main turns it into
// the wat command when invoked under that name).
func selfWat(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "wat")
	if err := os.Symlink(exe, link); err != nil {
		t.Fatal(err)
	}
	return exec.Command(link, args...)
}

// TestKillAndReingest kills wat ingest with SIGKILL at random points, 50
// times (20 on PostgreSQL), and checks after each that the store opens, passes SQLite's
// integrity check and holds no half-loaded source; then an ingest runs
// to the end with exact counts, and another is a no-op.
func TestKillAndReingest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db string) {
		lines := 30000
		logPath := bigLog(t, lines)
		r := rand.New(rand.NewSource(1))
		ctx := context.Background()
		kills := 0
		n, span := 50, 120
		if store.IsPostgres(db) {
			n, span = 20, 400 // each kill waits for the server to notice; a slower load
		}
		for i := 0; i < n; i++ {
			cmd := selfWat(t, "--db", db, "ingest", "--quiet", "--force", logPath)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Duration(r.Intn(span)) * time.Millisecond)
			if cmd.Process.Signal(syscall.SIGKILL) == nil {
				kills++
			}
			cmd.Wait()
			checkStore(t, ctx, db)
		}
		// To the end, then again (a no-op).
		if out, err := selfWat(t, "--db", db, "ingest", "--force", logPath).CombinedOutput(); err != nil {
			t.Fatalf("ingest: %v: %s", err, out)
		}
		s := checkStore(t, ctx, db)
		srcs, _ := s.Sources(ctx)
		last := srcs[len(srcs)-1]
		wantRejected := int64((lines + 996) / 997)
		if last.Lines != int64(lines) || last.Rejected != wantRejected || last.Events != int64(lines)-wantRejected {
			t.Errorf("last ingest: %+v", last)
		}
		s.Close()
		out, _ := selfWat(t, "--db", db, "ingest", logPath).CombinedOutput()
		if !strings.Contains(string(out), "already stored") {
			t.Errorf("a second ingest: %s", out)
		}
		t.Logf("%d kills at random points; %d complete sources after them", kills, len(srcs))
	})
}

// bigLog writes a MONITOR log of n lines of SETs on 50 clients, every
// 997th line garbage (a rejected line), and returns its path.
func bigLog(t *testing.T, n int) string {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "big.log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for i := 0; i < n; i++ {
		if i%997 == 0 {
			fmt.Fprintln(w, "garbage line")
			continue
		}
		fmt.Fprintf(w, "1795535140.%06d [0 127.0.0.1:%d] \"SET\" \"k%d\" \"%d\"\n", i%1000000, 5000+i%50, i%5000, i)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return logPath
}

// checkStore opens a store after a crash and checks it is whole.
func checkStore(t *testing.T, ctx context.Context, db string) *store.Store {
	t.Helper()
	driver := "sqlite3"
	if store.IsPostgres(db) {
		driver = "pgx" // whose transactions are its own integrity check
	}
	raw, err := sql.Open(driver, db)
	if err != nil {
		t.Fatal(err)
	}
	if driver == "sqlite3" {
		var ok string
		if err := raw.QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
			t.Fatalf("integrity_check: %q %v", ok, err)
		}
	}
	// Opened first: a kill before the schema existed leaves an empty
	// file, which the open migrates.
	s, err := store.Open(ctx, db, store.Options{Formats: allFormats})
	if err != nil {
		t.Fatalf("open after a crash: %v", err)
	}
	// No half-loaded source: each source's events are all there, and no
	// event belongs to no source.
	// (A statement per source: Citus, where a store's tables may be
	// distributed by hand, refuses a subquery that correlates a
	// distributed table with the sources reference table.)
	rows, err := raw.Query(`SELECT id, events, lines, rejected, skipped, coalesce(first_event, 0), coalesce(last_event, -1) FROM sources`)
	if err != nil {
		t.Fatal(err)
	}
	type count struct{ id, events, lines, rejected, skipped, first, last int64 }
	var counts []count
	for rows.Next() {
		var c count
		rows.Scan(&c.id, &c.events, &c.lines, &c.rejected, &c.skipped, &c.first, &c.last)
		counts = append(counts, c)
	}
	rows.Close()
	for _, c := range counts {
		var stored int64
		q := "SELECT count(*) FROM events WHERE id BETWEEN $1 AND $2 AND source = $3"
		if !store.IsPostgres(db) {
			q = strings.NewReplacer("$1", "?", "$2", "?", "$3", "?").Replace(q)
		}
		if err := raw.QueryRow(q, c.first, c.last, c.id).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if c.events != stored || c.events+c.rejected+c.skipped != c.lines {
			t.Fatalf("source %d: %d events recorded, %d stored, %d+%d+%d != %d lines", c.id, c.events, stored, c.events, c.rejected, c.skipped, c.lines)
		}
	}
	var total, recorded int64
	raw.QueryRow("SELECT count(*) FROM events").Scan(&total)
	raw.QueryRow("SELECT coalesce(sum(events), 0) FROM sources").Scan(&recorded)
	if total != recorded {
		t.Fatalf("%d events stored, %d recorded by sources: some belong to no source", total, recorded)
	}
	raw.Close()
	return s
}

// TestConcurrency (on each backend): explain and events keep working while an ingest runs
// (WAL), and two ingests into one store at once both complete, one after
// the other (a write lock and a busy timeout), with exact counts.
func TestConcurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db string) {
		dir := t.TempDir()
		if _, stderr, code := wat(t, "--db", db, "ingest", "../../testdata/monitor.log"); code != 0 {
			t.Fatal(stderr)
		}
		mk := func(name string, n int) string {
			p := filepath.Join(dir, name)
			f, _ := os.Create(p)
			w := bufio.NewWriter(f)
			for i := 0; i < n; i++ {
				fmt.Fprintf(w, "1795535140.%06d [0 127.0.0.1:6000] \"SET\" \"%s%d\" \"%d\"\n", i%1000000, name, i%7000, i)
			}
			w.Flush()
			f.Close()
			return p
		}
		a, b := mk("a.log", 200000), mk("b.log", 200000)
		ca := selfWat(t, "--db", db, "ingest", "--quiet", a)
		cb := selfWat(t, "--db", db, "ingest", "--quiet", b)
		if err := ca.Start(); err != nil {
			t.Fatal(err)
		}
		if err := cb.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 2)
		go func() { done <- ca.Wait() }()
		go func() { done <- cb.Wait() }()
		reads := 0
		for finished := 0; finished < 2; {
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("a concurrent ingest failed: %v", err)
				}
				finished++
			default:
				out, stderr, code := wat(t, "--db", db, "explain", "--at", "../../testdata/monitor.log:57")
				if code != 0 || !strings.Contains(out, `witness 1: SET "user:42:name" "alice"`) {
					t.Fatalf("explain during an ingest: exit %d: %s%s", code, out, stderr)
				}
				if _, stderr, code := wat(t, "--db", db, "events", "--key", "user:42:name"); code != 0 {
					t.Fatalf("events during an ingest: exit %d: %s", code, stderr)
				}
				reads++
			}
		}
		var s *store.Store
		if store.IsPostgres(db) {
			var err error
			if s, err = store.Open(context.Background(), db, store.Options{Formats: allFormats}); err != nil {
				t.Fatal(err)
			}
		} else {
			s = checkStore(t, context.Background(), db)
		}
		defer s.Close()
		srcs, _ := s.Sources(context.Background())
		if len(srcs) != 3 || srcs[1].Events != 200000 || srcs[2].Events != 200000 {
			t.Errorf("sources after two concurrent ingests: %d", len(srcs))
		}
		t.Logf("%d explain+events pairs answered during the two ingests", reads)
	})
}
