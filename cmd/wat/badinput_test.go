package main

import (
	"bytes"
	"compress/gzip"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"github.com/wat-project/wat/ingest/store/storetest"
)

const mon = `1795535140.000001 [0 127.0.0.1:5000] "SET" "k" "v"` + "\n"

// TestBadInput is the README's table of bad inputs: each case, what wat
// says, and its exit code.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(strings.Repeat(mon, 3000)))
	zw.Close()
	cases := []struct {
		name   string
		file   string
		args   []string
		code   int
		stderr []string
	}{
		{"empty file", write("empty.log", nil), nil, 0, []string{"empty.log: empty, 0 lines: 0 events, 0 rejected, 0 skipped"}},
		{"binary garbage", write("garbage.bin", bytes.Repeat([]byte{0, 0xff, 0x13, 0x88, '\n'}, 200)), nil, 1,
			[]string{"garbage.bin: unknown log format"}},
		{"invalid UTF-8 and NUL bytes in a value (kept: values are bytes)", write("nul.log", []byte(mon+"1795535140.000002 [0 127.0.0.1:5000] \"SET\" \"k\x00\xff\" \"v\"\n"+mon)),
			nil, 0, []string{"3 lines: 3 events, 0 rejected"}},
		{"CRLF line endings", write("crlf.log", []byte(strings.ReplaceAll(mon+mon, "\n", "\r\n"))), nil, 0, []string{"2 lines: 2 events, 0 rejected"}},
		{"last line without a newline", write("nonl.log", []byte(mon+strings.TrimSuffix(mon, "\n"))), nil, 0, []string{"2 lines: 2 events, 0 rejected"}},
		{"cut gzip stream", write("cut.log.gz", gz.Bytes()[:gz.Len()/2]), nil, 0,
			[]string{"rejected: the gzip stream is damaged here", "the lines before it are kept"}},
		{"two formats mixed", write("mixed.log", []byte(mon+mon+mon+`{"system":"redis","op":"GET","args":["k"]}`+"\n")), nil, 0,
			[]string{"4 lines: 3 events, 1 rejected", "mixed.log:4: rejected: "}},
		{"a directory", dir, nil, 2, []string{"is a directory"}},
		{"a missing file", filepath.Join(dir, "nope.log"), nil, 1, []string{"open " + filepath.Join(dir, "nope.log") + ": no such file or directory"}},
		{"strict: a rejected line is fatal", write("strict.log", []byte(mon+"not monitor\n"+mon)), []string{"--strict"}, 4,
			[]string{"wat: error: 1 lines could not be read (--strict)"}},
		{"a rejected line of NUL and invalid UTF-8 bytes", write("badrej.log", []byte(mon+"1795535140.000002 [0 127.0.0.1:5000] \"SET\x00\xff\n"+mon)), nil, 0,
			[]string{"3 lines: 2 events, 1 rejected", `badrej.log:2: rejected: `}},
	}
	// Both store backends: PostgreSQL's text columns refuse NUL and
	// invalid UTF-8 that SQLite keeps.
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			storetest.Require(t, backend)
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					db := storetest.New(t, backend)
					args := append([]string{"--db", db, "ingest"}, c.args...)
					_, stderr, code := wat(t, append(args, c.file)...)
					if code != c.code {
						t.Errorf("exit %d, want %d: %s", code, c.code, stderr)
					}
					for _, w := range c.stderr {
						if !strings.Contains(stderr, w) {
							t.Errorf("stderr lacks %q:\n%s", w, stderr)
						}
					}
					if code != 0 {
						return
					}
					// What was stored reads back.
					for _, cmd := range [][]string{{"events"}, {"sql", "SELECT file, line, reason FROM reject_view"}} {
						if _, stderr, code := wat(t, append([]string{"--db", db}, cmd...)...); code != 0 {
							t.Errorf("%s after the ingest: exit %d: %s", cmd[0], code, stderr)
						}
					}
				})
			}
		})
	}
}

// TestHugeLine: a 100 MB single line is rejected without being held in
// memory whole, and the lines around it are kept.
func TestHugeLine(t *testing.T) {
	p := filepath.Join(t.TempDir(), "huge.log")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(mon)
	f.WriteString(`1795535140.000002 [0 127.0.0.1:5000] "SET" "k" "`)
	chunk := bytes.Repeat([]byte("x"), 1<<20)
	for i := 0; i < 100; i++ {
		f.Write(chunk)
	}
	f.WriteString("\"\n" + mon)
	f.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	db := filepath.Join(t.TempDir(), "w.db")
	_, stderr, code := wat(t, "--db", db, "ingest", p)
	runtime.ReadMemStats(&after)
	if code != 0 || !strings.Contains(stderr, "3 lines: 2 events, 1 rejected") || !strings.Contains(stderr, "huge.log:2: rejected: line longer than 16 MiB") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// The line was not buffered whole: all the ingest allocated is well
	// under the line's 100 MB (it keeps at most MaxLine of a line).
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("the ingest allocated %d MB for a 100 MB line", alloc>>20)
	}
}

// TestBadStores: a store that is not a wat store, is corrupt, or comes
// from a newer wat is refused with a clear error.
func TestBadStores(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	os.WriteFile(garbage, bytes.Repeat([]byte("not sqlite"), 1000), 0o644)
	other := filepath.Join(dir, "other.db")
	db, err := sql.Open("sqlite3", other)
	if err != nil {
		t.Fatal(err)
	}
	db.Exec("CREATE TABLE t(x)")
	db.Close()
	newer := filepath.Join(dir, "newer.db")
	if _, _, code := wat(t, "--db", newer, "ingest", "../../testdata/monitor.log"); code != 0 {
		t.Fatal("ingest")
	}
	db, _ = sql.Open("sqlite3", newer)
	db.Exec("PRAGMA user_version = 99")
	db.Close()
	// A wat store whose pages after the first (the schema) are garbage.
	corrupt := filepath.Join(dir, "corrupt.db")
	if _, _, code := wat(t, "--db", corrupt, "ingest", "../../testdata/monitor.log"); code != 0 {
		t.Fatal("ingest")
	}
	b, _ := os.ReadFile(corrupt)
	for i := 16384; i < len(b); i++ {
		b[i] = byte(i * 7)
	}
	os.WriteFile(corrupt, b, 0o644)
	for _, args := range [][]string{
		{"events", "--key", "user:42:name"},
		{"explain", "--at", "../../testdata/monitor.log:57"},
		{"ingest", "../../testdata/s3/access.log"},
	} {
		_, stderr, code := wat(t, append([]string{"--db", corrupt}, args...)...)
		if code != 1 || !strings.Contains(stderr, "malformed") || !strings.Contains(stderr, "hint: the store file is damaged") {
			t.Errorf("corrupt store, %s: exit %d, %q", args[0], code, stderr)
		}
	}
	for st, want := range map[string]string{
		garbage: "not a wat store",
		other:   "not a wat store",
		newer:   "store written by a newer wat (schema 99",
	} {
		_, stderr, code := wat(t, "--db", st, "events")
		if code == 0 || !strings.Contains(stderr, want) {
			t.Errorf("%s: exit %d, %q; want %q", filepath.Base(st), code, stderr, want)
		}
	}
}

// TestHostileStore opens a crafted store: a real wat store to which a
// view and triggers were added that call wat's own SQL function and
// load_extension. With trusted_schema off none of them runs, the ingest
// that would fire a trigger fails without loading anything, and the
// store's contents stay as they were.
func TestHostileStore(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "crafted.db")
	if _, _, code := wat(t, "--db", st, "ingest", "../../testdata/monitor.log"); code != 0 {
		t.Fatal("ingest")
	}
	if out, _, code := wat(t, "--db", st, "sql", "PRAGMA trusted_schema"); code != 0 || !strings.Contains(out, "0") {
		t.Fatalf("trusted_schema: %q (exit %d)", out, code)
	}
	db, err := sql.Open("sqlite3", st)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE VIEW evil_view AS SELECT wat_event('redis-monitor', NULL, raw, 'op') AS op FROM events`,
		`CREATE TRIGGER evil_fn AFTER INSERT ON sources BEGIN SELECT wat_event('redis-monitor', NULL, x'00', 'op'); END`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	_, stderr, code := wat(t, "--db", st, "sql", "SELECT op FROM evil_view LIMIT 1")
	if code == 0 || !strings.Contains(stderr, "unsafe use of wat_event") {
		t.Errorf("view calling wat_event: exit %d, %q", code, stderr)
	}
	other := filepath.Join(dir, "other.log")
	os.WriteFile(other, []byte("1700000000.000000 [0 127.0.0.1:5000] \"SET\" \"k\" \"v\"\n"), 0o644)
	_, stderr, code = wat(t, "--db", st, "ingest", other)
	if code == 0 || !strings.Contains(stderr, "unsafe use of wat_event") {
		t.Errorf("trigger calling wat_event: exit %d, %q", code, stderr)
	}
	// load_extension: refused as unsafe in the schema, and absent from
	// the Makefile's build.
	db, _ = sql.Open("sqlite3", st)
	db.Exec("DROP TRIGGER evil_fn")
	db.Exec(`CREATE TRIGGER evil_ext AFTER INSERT ON rejects BEGIN SELECT load_extension('` + filepath.Join(dir, "evil.so") + `'); END`)
	db.Close()
	bad := filepath.Join(dir, "bad.log")
	os.WriteFile(bad, []byte("1700000000.000000 [0 127.0.0.1:5000] \"SET\" \"k\" \"v\"\nnot a monitor line\n"), 0o644)
	_, stderr, code = wat(t, "--db", st, "ingest", "--format", "redis-monitor", bad)
	if code == 0 || !strings.Contains(stderr, "load_extension") {
		t.Errorf("trigger calling load_extension: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "evil.so")); err == nil {
		t.Error("evil.so exists")
	}
	out, _, _ := wat(t, "--db", st, "sql", "SELECT count(*) AS n FROM sources")
	if strings.Fields(out)[len(strings.Fields(out))-1] != "1" {
		t.Errorf("sources after refused ingests: %q", out)
	}
}

// TestOlderStore: a store made by an older wat (here: schema 5, before
// the part index) is migrated on first use, by a read-only command too
// when the store may be written, and answers as a new one does; its
// files, ingested before the index, are marked so (sources.parts 0).
func TestOlderStore(t *testing.T) {
	dir := t.TempDir()
	fresh, older := filepath.Join(dir, "fresh.db"), filepath.Join(dir, "older.db")
	for _, p := range []string{fresh, older} {
		if _, _, code := wat(t, "--db", p, "ingest", "../../testdata/monitor.log"); code != 0 {
			t.Fatal("ingest")
		}
	}
	db, err := sql.Open("sqlite3", older)
	if err != nil {
		t.Fatal(err)
	}
	// Back to schema 5: without what migrations 006 to 010 add.
	for _, q := range []string{"ALTER TABLE sources DROP COLUMN parts", "DROP TABLE namespaces", "ALTER TABLE events DROP COLUMN bucket", "ALTER TABLE postings DROP COLUMN shapes",
		"ALTER TABLE sources DROP COLUMN backwards", "PRAGMA user_version = 5"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	db.Close()
	want, _, code := wat(t, "--db", fresh, "explain", "--at", "../../testdata/monitor.log:57")
	if code != 0 {
		t.Fatalf("explain on a new store: exit %d", code)
	}
	got, stderr, code := wat(t, "--db", older, "explain", "--at", "../../testdata/monitor.log:57")
	if code != 0 || got != want {
		t.Fatalf("explain on an older store: exit %d, %s\n%s\nwant\n%s", code, stderr, got, want)
	}
	out, _, _ := wat(t, "--db", older, "sql", "SELECT parts FROM sources")
	if !strings.Contains(out, "0") {
		t.Errorf("an older store's file has parts %q, want 0", out)
	}
}

// TestCorruptPostings: a store whose index block of a hot counter was
// damaged (its ids no longer decode to the count and last id the row
// says) gives a clear error naming the key, for the block an answer
// holds packed and for the one it unpacks, not a panic or an answer
// from wrong ids.
func TestCorruptPostings(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "counter.log")
	var b strings.Builder
	for i := range 1500 {
		fmt.Fprintf(&b, "1700000000.%06d [0 127.0.0.1:5000] \"INCR\" \"hot\"\n", i)
	}
	os.WriteFile(log, []byte(b.String()), 0o644)
	for _, c := range []struct {
		name, where string
	}{
		{"packed", "first = (SELECT min(first) FROM postings WHERE key = CAST('hot' AS BLOB) AND w = 1)"},
		{"unpacked", "last = (SELECT max(last) FROM postings WHERE key = CAST('hot' AS BLOB) AND w = 1)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := filepath.Join(dir, c.name+".db")
			if _, stderr, code := wat(t, "--db", st, "ingest", log); code != 0 {
				t.Fatalf("ingest: %s", stderr)
			}
			db, err := sql.Open("sqlite3", st)
			if err != nil {
				t.Fatal(err)
			}
			res, err := db.Exec("UPDATE postings SET ids = x'05' WHERE key = CAST('hot' AS BLOB) AND w = 1 AND " + c.where)
			if n, _ := res.RowsAffected(); err != nil || n != 1 {
				t.Fatalf("damaging a block: %v (%d rows)", err, n)
			}
			db.Close()
			out, stderr, code := wat(t, "--db", st, "explain", "--at", log+":1500")
			if code == 0 || !strings.Contains(stderr, "corrupt postings block") || !strings.Contains(stderr, `"hot"`) {
				t.Errorf("explain of a damaged index: exit %d, stdout %q, stderr %q", code, out, stderr)
			}
		})
	}
}
