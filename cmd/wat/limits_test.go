package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
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

// monitorLog writes a MONITOR log of n SETs.
func monitorLog(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for i := 0; i < n; i++ {
		fmt.Fprintf(w, "1795535140.%06d [0 127.0.0.1:6000] \"SET\" \"key%d\" \"%d\"\n", i%1000000, i%50000, i)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// run runs cmd and returns its stderr and exit code.
func run(t *testing.T, cmd *exec.Cmd) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), errb.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), 0
}

// TestDiskFull fills the store's disk during an ingest: the ingest fails
// with a hint, the store passes the crash checks and still holds the
// files before, and the same ingest completes once there is room. The
// full disk is a file size limit (ulimit -f: writes fail with EFBIG)
// and, where this test may mount one, a 3 MiB tmpfs (ENOSPC).
func TestDiskFull(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.log")
	monitorLog(t, big, 100000) // 6 MB of log: about 9 MB of store
	check := func(t *testing.T, db string, stderr string, code int) {
		if code != 1 || !strings.Contains(stderr, "big.log: commit:") || !strings.Contains(stderr, "hint: the store's disk is full") {
			t.Fatalf("ingest on a full disk: exit %d, %q", code, stderr)
		}
		s := checkStore(t, context.Background(), db)
		srcs, err := s.Sources(context.Background())
		s.Close()
		if err != nil || len(srcs) != 1 || srcs[0].Events != 56 {
			t.Fatalf("sources after the failed ingest: %+v %v", srcs, err)
		}
	}
	t.Run("file size limit", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "w.db")
		if _, stderr, code := wat(t, "--db", db, "ingest", "../../testdata/monitor.log"); code != 0 {
			t.Fatal(stderr)
		}
		exe := selfWat(t).Path
		// ulimit -f counts 512-byte blocks in sh: 3 MB.
		cmd := exec.Command("sh", "-c", `ulimit -f 6000 && exec "$0" "$@"`, exe, "--db", db, "ingest", big)
		_, stderr, code := run(t, cmd)
		check(t, db, stderr, code)
		_, stderr, code = wat(t, "--db", db, "ingest", big)
		if code != 0 || !strings.Contains(stderr, "100000 lines: 100000 events, 0 rejected, 0 skipped") {
			t.Fatalf("ingest with room: exit %d, %q", code, stderr)
		}
	})
	t.Run("tmpfs", func(t *testing.T) {
		mnt := t.TempDir()
		if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=3m"); err != nil {
			t.Skipf("cannot mount a tmpfs here (%v): the file size limit case stands for it", err)
		}
		defer syscall.Unmount(mnt, 0)
		db := filepath.Join(mnt, "w.db")
		if _, stderr, code := wat(t, "--db", db, "ingest", "../../testdata/monitor.log"); code != 0 {
			t.Fatal(stderr)
		}
		_, stderr, code := wat(t, "--db", db, "ingest", big)
		if !strings.Contains(stderr, "database or disk is full") {
			t.Errorf("ENOSPC reported as %q", stderr)
		}
		check(t, db, stderr, code)
	})
}

// asOther returns a command running wat as a user who owns none of the
// test's files: nobody (65534) when the test runs as root, which reads
// and writes anything; otherwise this user, with the files' permissions
// taken away by the caller.
func asOther(t *testing.T, dir string, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin")
	os.Mkdir(bin, 0o755)
	self := filepath.Join(bin, "wat")
	if _, err := os.Stat(self); err != nil {
		in, err := os.Open(exe)
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.OpenFile(self, os.O_CREATE|os.O_WRONLY, 0o755)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, in); err != nil {
			t.Fatal(err)
		}
		in.Close()
		out.Close()
	}
	cmd := exec.Command(self, args...)
	cmd.Dir = dir
	if os.Geteuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	return cmd
}

// TestPermissions: an input file the user may not read is an error that
// names it; a store the user may read but not write is read (as a file
// that does not change, since SQLite cannot create its shared-memory
// file beside it) and an ingest into it is refused with a hint; a
// read-only store whose write-ahead log holds unmerged pages is refused.
func TestPermissions(t *testing.T) {
	dir := t.TempDir()
	// The test's temporary directories are 0700; the other user must
	// reach into them, but not write.
	for d := dir; d != filepath.Dir(d) && strings.HasPrefix(d, os.TempDir()+"/"); d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	logData, err := os.ReadFile("../../testdata/monitor.log")
	if err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "monitor.log")
	os.WriteFile(log, logData, 0o644)
	secret := filepath.Join(dir, "secret.log")
	os.WriteFile(secret, logData, 0o644)
	db := filepath.Join(dir, "w.db")
	if _, stderr, code := wat(t, "--db", db, "ingest", log); code != 0 {
		t.Fatal(stderr)
	}
	writable := filepath.Join(dir, "rw")
	os.Mkdir(writable, 0o777)
	os.Chmod(writable, 0o777)
	if os.Geteuid() == 0 {
		os.Chmod(secret, 0o600)
	} else {
		os.Chmod(secret, 0)
		os.Chmod(db, 0o444)
		defer os.Chmod(dir, 0o755)
	}
	os.Chmod(dir, 0o555)
	defer os.Chmod(dir, 0o755)

	_, stderr, code := run(t, asOther(t, writable, "--db", filepath.Join(writable, "n.db"), "ingest", secret))
	if code != 1 || !strings.Contains(stderr, "open "+secret+": permission denied") {
		t.Errorf("unreadable input: exit %d, %q", code, stderr)
	}

	out, stderr, code := run(t, asOther(t, writable, "--db", db, "explain", "--at", log+":57"))
	if code != 0 || !strings.Contains(out, `witness 1: SET "user:42:name" "alice"`) || !strings.Contains(stderr, "read-only to you") {
		t.Errorf("explain on a read-only store: exit %d, %q, %q", code, out, stderr)
	}
	out, _, code = run(t, asOther(t, writable, "--db", db, "sql", "SELECT count(*) AS n FROM event_view"))
	if code != 0 || !strings.HasSuffix(out, "\n56\n") {
		t.Errorf("sql on a read-only store: exit %d, %q", code, out)
	}
	_, stderr, code = run(t, asOther(t, writable, "--db", db, "ingest", "--force", log))
	if code != 1 || !strings.Contains(stderr, "read-only to this user") || !strings.Contains(stderr, "hint: point --db") {
		t.Errorf("ingest into a read-only store: exit %d, %q", code, stderr)
	}

	// A copy of a store taken while a writer had pages in its WAL.
	os.Chmod(dir, 0o755)
	walDB := filepath.Join(dir, "wal.db")
	copyFile := func(from, to string) {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(to, b, 0o644)
	}
	raw, err := sql.Open("sqlite3", db)
	if err != nil {
		t.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	raw.Exec("PRAGMA wal_autocheckpoint = 0")
	if _, err := raw.Exec("CREATE TABLE probe(x)"); err != nil {
		t.Fatal(err)
	}
	copyFile(db, walDB)
	copyFile(db+"-wal", walDB+"-wal")
	if fi, err := os.Stat(walDB + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("no WAL copied: %v", err)
	}
	raw.Close()
	if os.Geteuid() != 0 {
		os.Chmod(walDB, 0o444)
	}
	os.Chmod(dir, 0o555)
	_, stderr, code = run(t, asOther(t, writable, "--db", walDB, "events"))
	if code != 1 || !strings.Contains(stderr, "write-ahead log") {
		t.Errorf("read-only store with an unmerged WAL: exit %d, %q", code, stderr)
	}
}

// TestAnswerSize: an answer with more requests than a default answer
// lists (a hot counter's whole history) is cut in --json, and says where;
// --all lists every one.
func TestAnswerSize(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 1100; i++ {
		fmt.Fprintf(&b, "1795535140.%06d [0 127.0.0.1:5000] \"INCR\" \"n\"\n", i)
	}
	b.WriteString("1795535141.000000 [0 127.0.0.1:5000] \"GET\" \"n\"\n")
	log, db := ingested(t, b.String())
	var x struct {
		Complete  bool
		Cut       string
		Count     string
		Witnesses []struct{ Events []json.RawMessage }
	}
	out, _ := mustWat(t, db, "explain", "--json", "--depth", "0", "--at", log+":1101")
	if err := json.Unmarshal([]byte(out), &x); err != nil {
		t.Fatal(err)
	}
	if x.Complete || !strings.Contains(x.Cut, "list 1000 of their 2200 events") || len(x.Witnesses) != 1 || len(x.Witnesses[0].Events) != 1000 || x.Count != "1" {
		t.Errorf("default: complete %v, cut %q, count %s, %d witnesses", x.Complete, x.Cut, x.Count, len(x.Witnesses))
	}
	x.Cut = ""
	out, _ = mustWat(t, db, "explain", "--json", "--all", "--depth", "0", "--at", log+":1101")
	if err := json.Unmarshal([]byte(out), &x); err != nil {
		t.Fatal(err)
	}
	if x.Cut != "" || len(x.Witnesses[0].Events) != 1100 {
		t.Errorf("--all: cut %q, %d events", x.Cut, len(x.Witnesses[0].Events))
	}
	// In text, the identical requests are summed up on one line: a run
	// read from the index (the counter rule), so without a count of
	// clients, which only the requests hold; --all lists them.
	out, _ = mustWat(t, db, "explain", "--depth", "0", "--at", log+":1101")
	if !strings.Contains(out, `mon.log:1: witness 1: 1,100 × INCR "n"`) || !strings.Contains(out, "lines 1-1100 (a run read from the index; --all lists every one)") {
		t.Errorf("text:\n%s", out)
	}
	out, _ = mustWat(t, db, "explain", "--all", "--depth", "0", "--at", log+":1101")
	if n := strings.Count(out, `witness 1: INCR "n"`); n != 1100 {
		t.Errorf("text --all: %d requests listed, want 1100", n)
	}
}

// TestAnswerBytes: an answer whose events are long (300 LPUSHes of 8 KB
// values, each shown in args and raw, its angle brackets as six
// characters) lists, by default, only as many as fit about 800 kB, the
// first ones, in order, and says so; --all lists every one.
func TestAnswerBytes(t *testing.T) {
	var b strings.Builder
	value := strings.Repeat("<x>", 8000/3)
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&b, "1795535140.%06d [0 127.0.0.1:5000] \"LPUSH\" \"q\" \"%d%s\"\n", i, i, value)
	}
	b.WriteString("1795535141.000000 [0 127.0.0.1:5000] \"LLEN\" \"q\"\n")
	log, db := ingested(t, b.String())
	type answer struct {
		Exact     bool
		Output    string
		Complete  bool
		Cut       string
		Witnesses []struct {
			Events []struct{ Line int }
		}
	}
	for _, all := range []bool{false, true} {
		out, x := explainJSON[answer](t, db, log+":301", all)
		if !x.Exact || x.Output != "(integer) 300" || len(x.Witnesses) != 1 {
			t.Fatalf("--all %v: exact %v, output %q, %d witnesses", all, x.Exact, x.Output, len(x.Witnesses))
		}
		evs := x.Witnesses[0].Events
		for i, e := range evs {
			if e.Line != i+1 {
				t.Fatalf("--all %v: event %d is line %d: not the first ones, in order", all, i, e.Line)
			}
		}
		switch {
		case !all && (len(out) > 1e6 || len(evs) < 5 || len(evs) >= 300 || x.Complete ||
			!strings.Contains(x.Cut, fmt.Sprintf("list %d of their", len(evs))) || !strings.Contains(x.Cut, "800 kB")):
			t.Errorf("default: %d bytes, %d events listed, complete %v, cut %q", len(out), len(evs), x.Complete, x.Cut)
		case all && (len(evs) != 300 || x.Cut != "" || len(out) < 3e6):
			t.Errorf("--all: %d bytes, %d events listed, cut %q", len(out), len(evs), x.Cut)
		}
	}
}

// TestChoiceAnswerSize: a choice with more requests than a default
// answer lists (a polled queue's length: which of 1,400 pops guard 700
// pushes) is cut in --json with its caps cut alike, and --all lists it
// whole.
func TestChoiceAnswerSize(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 700; i++ {
		fmt.Fprintf(&b, "1795535140.%06d [0 127.0.0.1:5000] \"LPUSH\" \"q\" \"job%d\"\n", 3*i, i)
		fmt.Fprintf(&b, "1795535140.%06d [0 127.0.0.1:5001] \"RPOP\" \"q\"\n", 3*i+1)
		fmt.Fprintf(&b, "1795535140.%06d [0 127.0.0.1:5001] \"RPOP\" \"q\"\n", 3*i+2)
	}
	b.WriteString("1795535141.000000 [0 127.0.0.1:5002] \"LLEN\" \"q\"\n")
	log, db := ingested(t, b.String())
	type answer struct {
		Exact    bool
		Complete bool
		Cut      string
		Count    string
		Choices  []struct {
			K    int
			Of   []json.RawMessage
			Caps []int
		}
	}
	at := log + ":2101"
	for _, all := range []bool{false, true} {
		_, x := explainJSON[answer](t, db, at, all)
		if !x.Exact || len(x.Choices) != 1 || len(x.Count) < 100 {
			t.Fatalf("--all %v: exact %v, count %s, %d choices", all, x.Exact, x.Count, len(x.Choices))
		}
		c := x.Choices[0]
		switch {
		case len(c.Caps) != len(c.Of):
			t.Errorf("--all %v: %d caps for %d events", all, len(c.Caps), len(c.Of))
		case !all && (x.Complete || !strings.Contains(x.Cut, "choices list 1000 of their")):
			t.Errorf("default: complete %v, cut %q", x.Complete, x.Cut)
		case all && (x.Cut != "" || len(c.Of) < c.K || len(c.Of) > 1400):
			t.Errorf("--all: cut %q, %d of %d events", x.Cut, c.K, len(c.Of))
		}
	}
}

// TestBigWitnessJSON: a --json answer whose first witness holds more
// events than it lists (a queue's 1,500 pushes, 100 pops and a choice of
// 700 of 1,400 pops, all read from the index as runs and stubs) lists
// its first 1000 events each read whole, with its line and raw text,
// and counts the rest.
func TestBigWitnessJSON(t *testing.T) {
	var b strings.Builder
	n := 0
	add := func(req string) {
		n++
		fmt.Fprintf(&b, "1795535140.%06d [0 127.0.0.1:5000] %s\n", n, req)
	}
	addQueue(add)
	add(`"LLEN" "q"`)
	log, db := ingested(t, b.String())
	out, _ := mustWat(t, db, "explain", "--json", "--depth", "0", "--at", fmt.Sprintf("%s:%d", log, n))
	var x struct {
		Cut       string
		Witnesses []struct {
			Events []struct {
				Line int
				Raw  string
			}
		}
		Choices []struct{ K int }
	}
	if err := json.Unmarshal([]byte(out), &x); err != nil {
		t.Fatal(err)
	}
	if len(x.Witnesses) != 1 || len(x.Witnesses[0].Events) != 1000 || len(x.Choices) != 1 || x.Choices[0].K != 700 ||
		!strings.Contains(x.Cut, "list 1000 of their 5300 events") {
		t.Fatalf("%d witnesses, %d choices, cut %q", len(x.Witnesses), len(x.Choices), x.Cut)
	}
	last := 0
	for _, e := range x.Witnesses[0].Events {
		if e.Raw == "" || e.Line <= last {
			t.Fatalf("witness event %+v after line %d: not read whole, or out of order", e, last)
		}
		last = e.Line
	}
}

// addQueue adds with add the requests of a queue "q" whose length's
// answer holds runs of pushes and pops and a choice of 700 of 1,400 pops:
// 700 pushes, each followed by two pops, then 1,500 pushes and 100 pops.
func addQueue(add func(req string)) {
	for i := range 700 {
		add(fmt.Sprintf(`"LPUSH" "q" "job%d"`, i))
		add(`"RPOP" "q"`)
		add(`"RPOP" "q"`)
	}
	for i := range 1500 {
		add(fmt.Sprintf(`"LPUSH" "q" "k%d"`, i))
	}
	for range 100 {
		add(`"RPOP" "q"`)
	}
}

// explainJSON runs explain --json --depth 0 --at at (with --all when
// all) and returns its output and its answer read into a T.
func explainJSON[T any](t *testing.T, db, at string, all bool) (string, T) {
	t.Helper()
	args := []string{"explain", "--json", "--depth", "0", "--at", at}
	if all {
		args = append(args, "--all")
	}
	out, _ := mustWat(t, db, args...)
	var x T
	if err := json.Unmarshal([]byte(out), &x); err != nil {
		t.Fatal(err)
	}
	return out, x
}

// ingested writes a MONITOR log and ingests it into a store of its own,
// both in a temporary directory.
func ingested(t *testing.T, text string) (log, db string) {
	t.Helper()
	dir := t.TempDir()
	log, db = filepath.Join(dir, "mon.log"), filepath.Join(dir, "wat.db")
	writeFile(t, log, text)
	mustWat(t, db, "ingest", log)
	return log, db
}

// TestCountText: a count of witnesses is written in full up to 20
// digits, by its first digits and size past that (--json keeps every
// digit), and a bound, when counting would take too long, as the power
// of ten above it, in text, and as count_at_most in place of count in
// JSON.
func TestCountText(t *testing.T) {
	big1 := new(big.Int).Binomial(100000, 50001)
	for _, c := range []struct {
		n     *big.Int
		exact bool
		text  string
	}{
		{big.NewInt(3003), true, "3003"},
		{new(big.Int).Exp(big.NewInt(10), big.NewInt(19), nil), true, "10000000000000000000"},
		{big1, true, "2.520…×10^30100"},
		{big1, false, "fewer than 10^30101"},
	} {
		if got := countText(c.n, c.exact); got != c.text {
			t.Errorf("countText(%d digits, %v) = %q, want %q", len(c.n.String()), c.exact, got, c.text)
		}
		count, atMost := jsonCount(c.n, c.exact)
		if c.exact && (count != c.n.String() || atMost != "") || !c.exact && (count != "" || atMost != c.n.String()) {
			t.Errorf("jsonCount(%d digits, %v): count %d digits, count_at_most %d digits", len(c.n.String()), c.exact, len(count), len(atMost))
		}
	}
}

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
