// Package storetest gives tests a fresh, empty trace store on each backend
// under test: a SQLite file always, and a schema of its own on the
// PostgreSQL server that WAT_TEST_PG_DSN names, when it is set. A test
// written with Each runs on both, so the two backends answer the same
// suite. With WAT_REQUIRE_LIVE=1 (as in CI) a missing WAT_TEST_PG_DSN
// fails the test rather than skipping its PostgreSQL half.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/ingest/store"
)

// Open opens the store at location (from New) that holds logs of the
// formats fs, closed when the test ends.
func Open(tb testing.TB, location string, fs ...*formats.Format) *store.Store {
	tb.Helper()
	s, err := store.Open(context.Background(), location, store.Options{Formats: fs})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// Backends are the names of the store backends.
var Backends = []string{"sqlite", "postgres"}

// Each runs f as a subtest per backend, with a fresh store location.
func Each(t *testing.T, f func(t *testing.T, store string)) {
	for _, b := range Backends {
		t.Run(b, func(t *testing.T) { f(t, New(t, b)) })
	}
}

// New returns the location of a fresh store on backend: a file in a
// temporary directory, or a PostgreSQL URL whose search_path is a new
// schema, dropped when the test ends. The PostgreSQL half skips (or, with
// WAT_REQUIRE_LIVE=1, fails) when WAT_TEST_PG_DSN is not set.
func New(t testing.TB, backend string) string {
	t.Helper()
	if backend == "sqlite" {
		return filepath.Join(t.TempDir(), "wat.db")
	}
	Require(t, backend)
	store, err := Postgres(t)
	if err != nil {
		t.Fatal(err)
	}
	return store
}

// Require skips the test (or fails it, with WAT_REQUIRE_LIVE=1) when
// backend cannot run here.
func Require(t testing.TB, backend string) {
	t.Helper()
	if backend != "postgres" || os.Getenv("WAT_TEST_PG_DSN") != "" {
		return
	}
	if os.Getenv("WAT_REQUIRE_LIVE") == "1" {
		t.Fatal("WAT_TEST_PG_DSN is not set: the PostgreSQL half of the suite cannot run (testdata/postgres.sh start DIR prints one)")
	}
	t.Skip("WAT_TEST_PG_DSN is not set: PostgreSQL half skipped")
}

// Postgres creates a schema on the server WAT_TEST_PG_DSN names and
// returns a URL whose search_path is that schema; the schema is dropped
// when tb ends. It may be called from any goroutine.
func Postgres(tb testing.TB) (string, error) {
	return postgres(tb, os.Getenv("WAT_TEST_PG_LAYOUT"))
}

// EmptyPostgres is Postgres for a test that needs a schema with no store
// in it, whatever WAT_TEST_PG_LAYOUT says (a hash layout makes the store
// in advance, to distribute its tables).
func EmptyPostgres(tb testing.TB) string {
	tb.Helper()
	Require(tb, "postgres")
	loc, err := postgres(tb, "")
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

func postgres(tb testing.TB, layout string) (string, error) {
	dsn := os.Getenv("WAT_TEST_PG_DSN")
	var rnd [6]byte
	rand.Read(rnd[:])
	schema := "wat_test_" + hex.EncodeToString(rnd[:])
	create := "CREATE SCHEMA " + schema
	if layout == "schema" {
		create = "SET citus.enable_schema_based_sharding TO on; " + create
	}
	if err := exec(dsn, create); err != nil {
		return "", fmt.Errorf("WAT_TEST_PG_DSN: %w", err)
	}
	tb.Cleanup(func() { drop(dsn, schema) })
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	if layout == "hash" {
		if err := distribute(u.String()); err != nil {
			return "", fmt.Errorf("WAT_TEST_PG_LAYOUT=hash: %w", err)
		}
	}
	return u.String(), nil
}

// distribute creates an empty store at loc (as wat init does) and
// distributes its tables on Citus as store.Distribution says (README,
// "PostgreSQL and Citus"), for running the suite by hand on a cluster
// (WAT_TEST_PG_LAYOUT=hash; =schema makes each test's schema a
// distributed schema instead). CI's PostgreSQL has no Citus.
func distribute(loc string) error {
	s, err := store.Open(context.Background(), loc, store.Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Distribute(context.Background())
}

// exec runs one statement on a connection of its own, closed after.
func exec(dsn, q string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(q)
	return err
}

// drop drops a test's schema and the role wat sql read it as, if wat
// made one.
func drop(dsn, schema string) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return
	}
	defer db.Close()
	var role string
	db.QueryRow("SELECT role FROM " + schema + ".wat_reader").Scan(&role)
	db.Exec("DROP SCHEMA " + schema + " CASCADE")
	if role != "" {
		db.Exec(`DROP ROLE IF EXISTS "` + role + `"`)
	}
}
