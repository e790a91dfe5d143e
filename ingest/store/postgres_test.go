package store_test

import (
	"context"
	"database/sql"
	"errors"
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
	foreign := storetest.New(t, "postgres")
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
