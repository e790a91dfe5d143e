package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wat-project/wat/ingest/store"
	"github.com/wat-project/wat/ingest/store/storetest"
)

func TestRedact(t *testing.T) {
	got := store.Redact("postgres://wat:s3cret@db.internal:5432/traces?search_path=x")
	if strings.Contains(got, "s3cret") || !strings.Contains(got, "wat:xxxxx@db.internal") {
		t.Errorf("Redact: %s", got)
	}
	if got := store.Redact("some/file.db"); got != "some/file.db" {
		t.Errorf("Redact(file) = %s", got)
	}
}

// execOn runs a statement on the PostgreSQL database at loc, past any
// store.
func execOn(t *testing.T, loc, stmt string) {
	t.Helper()
	db, err := sql.Open("pgx", loc)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmt); err != nil {
		t.Fatal(err)
	}
}

// TestPostgresMarker: a schema holding other tables is not a store, a
// store marked with a newer schema version is refused, and an error
// never shows the password.
func TestPostgresMarker(t *testing.T) {
	storetest.Require(t, "postgres")
	ctx := context.Background()
	foreign := storetest.EmptyPostgres(t)
	execOn(t, foreign, "CREATE TABLE other (x int)")
	if _, err := store.Open(ctx, foreign, store.Options{}); !errors.Is(err, store.ErrNotStore) {
		t.Errorf("schema with other tables: %v", err)
	}

	loc := storetest.New(t, "postgres")
	s, err := store.Open(ctx, loc, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	execOn(t, loc, "UPDATE wat_store SET version = 99")
	if _, err := store.Open(ctx, loc, store.Options{}); !errors.Is(err, store.ErrNewerStore) {
		t.Errorf("newer schema: %v", err)
	}

	// A wrong password: the error names the server, not the password.
	u, _ := url.Parse(loc)
	u.User = url.UserPassword("wat", "hunter2")
	u.Host = "127.0.0.1:1" // nothing listens there
	_, err = store.Open(ctx, u.String(), store.Options{})
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "wat:xxxxx@127.0.0.1:1") {
		t.Errorf("unreachable server: %v", err)
	}
}

// TestPostgresFileName: a file name that is not UTF-8, which SQLite
// keeps, is refused by name on PostgreSQL before anything is stored.

func TestNotAStore(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.db")
	os.WriteFile(p, []byte("hello, this is not sqlite at all, not even close........................................................"), 0o644)
	_, err := store.Open(context.Background(), p, store.Options{})
	if !errors.Is(err, store.ErrNotStore) {
		t.Errorf("Open = %v, want ErrNotStore", err)
	}
}

// TestSQLRunsAsReader: wat sql on PostgreSQL runs as a role that may
// only read the store, so what a read-only transaction still lets a
// superuser do fails by privilege and changes nothing: reading the
// server's files, taking the owner's role back (set_config, then a
// query run by query_to_xml), reading the reader's own password, reading
// another schema, creating a table. (The test server's role is a
// superuser: run as it, the first of these succeeds.)
func TestSQLRunsAsReader(t *testing.T) {
	storetest.Require(t, "postgres")
	ctx := context.Background()
	other := storetest.New(t, "postgres")
	execOn(t, other, "CREATE TABLE secret (x text)")
	execOn(t, other, "INSERT INTO secret VALUES ('hush')")
	otherSchema, _ := url.Parse(other)
	loc := storetest.New(t, "postgres")
	s := storetest.Open(t, loc)
	query := func(q string) ([][]any, error) {
		var rows [][]any
		err := s.Query(ctx, q, func(_ []string, vals []any) error {
			rows = append(rows, append([]any(nil), vals...))
			return nil
		})
		return rows, err
	}
	if rows, err := query("SELECT count(*) FROM events"); err != nil || len(rows) != 1 {
		t.Fatalf("reading the store: %v %v", rows, err)
	}
	if rows, err := query("SELECT current_user LIKE 'wat_read_%', (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"); err != nil || len(rows) != 1 || rows[0][0] != true || rows[0][1] != false {
		t.Errorf("the role wat sql ran as: %v %v", rows, err)
	}
	schema := otherSchema.Query().Get("search_path")
	owner := otherSchema.User.Username()
	var citus bool
	if err := storeDB(t, other).QueryRow("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')").Scan(&citus); err != nil {
		t.Fatal(err)
	}
	var onWorkers []string
	if citus {
		// Run by hand on a Citus cluster (README): a command run on the
		// workers is the reader's, who may not create a table.
		onWorkers = []string{"SELECT run_command_on_workers('CREATE TABLE public.pwned (x int)')"}
	}
	for _, q := range append(onWorkers,
		"SELECT pg_read_file('PG_VERSION')",
		"SELECT pg_ls_dir('.')",
		"SELECT set_config('role', '"+owner+"', false)",
		"SELECT set_config('session_authorization', '"+owner+"', false)",
		"SELECT query_to_xml('SELECT pg_read_file(''PG_VERSION'')', true, true, '')",
		"SELECT * FROM wat_reader",
		"SELECT * FROM "+schema+".secret",
		"SELECT query_to_xml('CREATE TABLE pwned (x int)', true, true, '')",
		"SELECT query_to_xml('INSERT INTO "+schema+".secret VALUES (''x'')', true, true, '')",
	) {
		rows, err := query(q)
		if err == nil && strings.HasPrefix(q, "SELECT run_command_on_workers") {
			// It reports each worker's error as a row.
			if !strings.Contains(fmt.Sprint(rows), "permission denied") {
				t.Errorf("%s: %v", q, rows)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: ran (%v), want refused", q, rows)
		}
	}
	if citus {
		var made string
		q := "SELECT string_agg(result, ',') FROM run_command_on_workers('SELECT count(*) FROM pg_tables WHERE tablename = ''pwned''')"
		if err := storeDB(t, other).QueryRow(q).Scan(&made); err != nil || strings.Trim(made, "0,") != "" {
			t.Errorf("tables pwned on the workers: %q %v", made, err)
		}
	}
	db, err := sql.Open("pgx", other)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM secret").Scan(&n); err != nil || n != 1 {
		t.Errorf("secret rows: %d %v", n, err)
	}
	var pwned bool
	if err := db.QueryRow("SELECT to_regclass('pwned') IS NOT NULL OR EXISTS (SELECT 1 FROM pg_tables WHERE tablename = 'pwned')").Scan(&pwned); err != nil || pwned {
		t.Errorf("a table was created: %v", err)
	}
}

// TestSQLNeedsReader: a store whose owner may not create roles has no
// reader role, and wat sql refuses rather than run as the owner; a
// reader named by Options.Reader is used, and a superuser named there
// is refused.
func TestSQLNeedsReader(t *testing.T) {
	storetest.Require(t, "postgres")
	ctx := context.Background()
	loc := storetest.EmptyPostgres(t)
	u, _ := url.Parse(loc)
	schema := u.Query().Get("search_path")
	owner := "wat_owner_" + schema
	execOn(t, loc, "CREATE ROLE "+owner+" LOGIN")
	t.Cleanup(func() { execOn(t, loc, "DROP OWNED BY "+owner+"; DROP ROLE IF EXISTS "+owner) })
	execOn(t, loc, "ALTER SCHEMA "+schema+" OWNER TO "+owner)
	ou := *u
	ou.User = url.User(owner)
	s, err := store.Open(ctx, ou.String(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	q := func(s *store.Store) error {
		return s.Query(ctx, "SELECT count(*) FROM events", func([]string, []any) error { return nil })
	}
	if err := q(s); !errors.Is(err, store.ErrNoReader) {
		t.Errorf("no reader role: %v, want ErrNoReader", err)
	}
	reader := "wat_reader_" + schema
	execOn(t, loc, "CREATE ROLE "+reader+" LOGIN")
	t.Cleanup(func() { execOn(t, loc, "DROP OWNED BY "+reader+"; DROP ROLE IF EXISTS "+reader) })
	execOn(t, loc, "GRANT USAGE ON SCHEMA "+schema+" TO "+reader+"; GRANT SELECT ON ALL TABLES IN SCHEMA "+schema+" TO "+reader)
	ru := *u
	ru.User = url.User(reader)
	named, err := store.Open(ctx, ou.String(), store.Options{ReadOnly: true, Reader: ru.String()})
	if err != nil {
		t.Fatal(err)
	}
	defer named.Close()
	if err := q(named); err != nil {
		t.Errorf("a named reader: %v", err)
	}
	super, err := store.Open(ctx, ou.String(), store.Options{ReadOnly: true, Reader: loc})
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close()
	if err := q(super); err == nil || !strings.Contains(err.Error(), "superuser") {
		t.Errorf("a superuser as reader: %v", err)
	}
}

// storeDB opens the database at loc for a test's own statements.
func storeDB(t *testing.T, loc string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", loc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
