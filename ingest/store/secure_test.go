package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wat-project/wat/formats"
)

// TestNoExtensionLoading checks that SQLite was compiled without
// extension loading, as the Makefile builds it (GOFLAGS
// -tags=sqlite_omit_load_extension), and that a store connection
// distrusts its schema.
func TestNoExtensionLoading(t *testing.T) {
	s := openTemp(t)
	var opts []string
	err := s.Query(context.Background(), "PRAGMA compile_options", func(_ []string, vals []any) error {
		opts = append(opts, toString(vals[0]))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(opts, " "), "OMIT_LOAD_EXTENSION") {
		t.Errorf("SQLite has extension loading: build with make, or go test -tags=sqlite_omit_load_extension")
	}
	var trusted int
	if err := s.db.QueryRow("PRAGMA trusted_schema").Scan(&trusted); err != nil || trusted != 0 {
		t.Errorf("trusted_schema = %d (%v), want 0", trusted, err)
	}
}

func toString(v any) string {
	switch v := v.(type) {
	case []byte:
		return string(v)
	case string:
		return v
	}
	return ""
}

// TestReadingStatement: a statement reads when its first word, after
// comments and parentheses, is one that only reads.
func TestReadingStatement(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want bool
	}{
		{"SELECT 1", true},
		{"  (select 1)", true},
		{"-- why\nWITH x AS (SELECT 1) TABLE x", true},
		{"/* a */ /* b */ VALUES (1)", true},
		{"--\n/**/ -- c\n  explain SELECT 1", true},
		{"-- no end", false},
		{"/* no end", false},
		{"COPY (SELECT 1) TO PROGRAM 'x'", false},
		{"/* SELECT */ DO $$ BEGIN END $$", false},
		{"CALL p()", false},
		{"", false},
	} {
		if got := readingStatement(tc.q); got != tc.want {
			t.Errorf("readingStatement(%q) = %v, want %v", tc.q, got, tc.want)
		}
	}
}

func TestSplitStatements(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want []string
	}{
		{"CREATE TABLE a (x int);\nCREATE INDEX i ON a(x);\n", []string{"CREATE TABLE a (x int)", "CREATE INDEX i ON a(x)"}},
		{"-- a; comment\nSELECT 1; -- trailing; comment\n", []string{"-- a; comment\nSELECT 1"}},
		{"SELECT 'a;b', \"c;d\"; SELECT 2", []string{"SELECT 'a;b', \"c;d\"", "SELECT 2"}},
		{"SELECT 'it''s; fine'; SELECT 3", []string{"SELECT 'it''s; fine'", "SELECT 3"}},
		{"/* x; y */ SELECT 4;", []string{"/* x; y */ SELECT 4"}},
		{"DO $$ BEGIN PERFORM 1; END $$; DO $f$ BEGIN PERFORM 2; END $f$;", []string{"DO $$ BEGIN PERFORM 1; END $$", "DO $f$ BEGIN PERFORM 2; END $f$"}},
		{"SELECT $1;", []string{"SELECT $1"}},
		{"-- only a comment\n", nil},
		{";;", nil},
	} {
		got, err := splitStatements(tc.src)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitStatements(%q) = %q, %v; want %q", tc.src, got, err, tc.want)
		}
	}
	for _, bad := range []string{"SELECT 'open", "SELECT \"open", "/* open", "DO $$ open"} {
		if got, err := splitStatements(bad); err == nil {
			t.Errorf("splitStatements(%q) = %q, want an error", bad, got)
		}
	}
}

// TestMigrationsSplit: every migration file splits into statements none
// of which holds another (no ';' outside quotes and comments is left
// inside a piece), and none is empty.
func TestMigrationsSplit(t *testing.T) {
	files, err := fs.Glob(migrations, "migrations/*/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatal(files, err)
	}
	for _, f := range files {
		b, _ := migrations.ReadFile(f)
		stmts, err := splitStatements(string(b))
		if err != nil || len(stmts) == 0 {
			t.Errorf("%s: %d statements, %v", f, len(stmts), err)
		}
		for _, s := range stmts {
			if again, _ := splitStatements(s); len(again) != 1 {
				t.Errorf("%s: %q splits again into %d", f, s, len(again))
			}
		}
	}
}

// TestExecOneRefusesSeveral: on PostgreSQL a migration's statement goes
// through the extended protocol, which refuses a string of two, as
// Citus does; a file that kept two in one piece fails the suite.
func TestExecOneRefusesSeveral(t *testing.T) {
	s := openPGForTest(t)
	tx, err := s.db.beginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := tx.execOne(context.Background(), "SELECT 1; SELECT 2"); err == nil || !strings.Contains(err.Error(), "multiple commands") {
		t.Errorf("two statements in one: %v", err)
	}
}

// openPGForTest opens a store in a fresh schema of the server
// WAT_TEST_PG_DSN names (storetest's job, which this package's own tests
// cannot import).
func openPGForTest(t *testing.T) *Store {
	t.Helper()
	dsn := os.Getenv("WAT_TEST_PG_DSN")
	if dsn == "" {
		if os.Getenv("WAT_REQUIRE_LIVE") == "1" {
			t.Fatal("WAT_TEST_PG_DSN is not set")
		}
		t.Skip("WAT_TEST_PG_DSN is not set")
	}
	schema := fmt.Sprintf("wat_test_stmt_%d", time.Now().UnixNano())
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		var role string
		db.QueryRow("SELECT role FROM " + schema + ".wat_reader").Scan(&role)
		db.Exec("DROP SCHEMA " + schema + " CASCADE")
		if role != "" {
			db.Exec(`DROP ROLE IF EXISTS "` + role + `"`)
		}
		db.Close()
	})
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := Open(context.Background(), u.String(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestSearchLine checks searchLine against a linear scan on files whose
// lines advance with ids, skip, repeat (a line of several events) and
// jump, and counts its probes on a file of one event a line.
func TestSearchLine(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 2000; trial++ {
		n := 1 + rng.IntN(300)
		lo := int64(1 + rng.IntN(1000))
		lines := make([]int, n)
		l := 1 + rng.IntN(5)
		for i := range lines {
			lines[i] = l
			switch rng.IntN(10) {
			case 0: // several events on a line
			case 1:
				l += 2 + rng.IntN(50) // skipped lines
			default:
				l++
			}
		}
		lineOf := func(id int64) (int, error) {
			if id < lo || id >= lo+int64(n) {
				t.Fatalf("probe %d outside %d..%d", id, lo, lo+int64(n)-1)
			}
			return lines[id-lo], nil
		}
		for _, want := range []int{lines[0] - 1, lines[0], lines[rng.IntN(n)], lines[rng.IntN(n)] + 1, lines[n-1], lines[n-1] + 1} {
			from := lo + int64(rng.IntN(n))
			if lines[from-lo] >= want {
				from = lo
			}
			got, err := searchLine(from, lo+int64(n)-1, want, lineOf)
			wantID := from
			for wantID < lo+int64(n) && lines[wantID-lo] < want {
				wantID++
			}
			if err != nil || got != wantID {
				t.Fatalf("lines %v from %d: searchLine(%d) = %d, want %d", lines, from, want, got, wantID)
			}
		}
	}
	probes := 0
	lineOf := func(id int64) (int, error) { probes++; return int(id - 100), nil } // one event a line, after a banner
	if got, _ := searchLine(101, 1_000_100, 777_777, lineOf); got != 777_877 || probes > 4 {
		t.Errorf("one event a line: %d in %d probes", got, probes)
	}
}

// TestLineRun checks lineRun (one read around a guess, else the
// searches) against a scan, on a source whose ids cross a bucket's end
// and whose lines skip and repeat, from guesses near and far.
func TestLineRun(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	rng := rand.New(rand.NewPCG(3, 4))
	lo := int64(1)<<bucketBits - 150
	hi := lo + 300
	lines := map[int64]int{}
	l := 2
	for id := lo; id <= hi; id++ {
		lines[id] = l
		switch rng.IntN(8) {
		case 0: // several events on a line
		case 1:
			l += 2 + rng.IntN(40)
		default:
			l++
		}
		if _, err := s.db.ExecContext(ctx, `INSERT INTO events(id, source, line, "offset", time, raw) VALUES (?, 1, ?, 0, 0, '')`, id, lines[id]); err != nil {
			t.Fatal(err)
		}
	}
	for line := 1; line <= l+1; line++ {
		first := hi + 1
		for id := hi; id >= lo; id-- {
			if lines[id] >= line {
				first = id
			}
		}
		last := first - 1
		for id := first; id <= hi && lines[id] == line; id++ {
			last = id
		}
		for _, near := range []int64{lo + int64(line) - 2, lo + rng.Int64N(hi-lo+1), lo - 100, hi + 100, first} {
			clear(s.runs)
			f, g, err := s.lineRun(ctx, 1, lo, hi, line, near)
			if err != nil || f != first || (g != last && last >= first) || (last < first && g >= f) {
				t.Fatalf("line %d near %d: %d..%d %v, want %d..%d", line, near, f, g, err, first, last)
			}
		}
	}
}

// openTemp opens a new SQLite store in the test's temporary directory,
// closed when the test ends, that reads events of the formats given.
func openTemp(t *testing.T, reads ...*formats.Format) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "s.db"), Options{Formats: reads})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
