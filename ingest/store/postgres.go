package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// Redact returns a store location fit to print: a PostgreSQL URL without
// its password.
func Redact(location string) string {
	if !IsPostgres(location) {
		return location
	}
	u, err := url.Parse(location)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// openPostgres opens (and, unless read-only, creates or migrates) a store
// in a PostgreSQL database: its tables live in the connection's current
// schema (the first of search_path that exists).
func openPostgres(ctx context.Context, dsn string, opt Options) (*Store, error) {
	shown := Redact(dsn)
	if opt.ReadOnly {
		// Commands that only read run every transaction read-only.
		if u, err := url.Parse(dsn); err == nil {
			q := u.Query()
			q.Set("default_transaction_read_only", "on")
			u.RawQuery = q.Encode()
			dsn = u.String()
		}
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", shown, err)
	}
	s := newStore(db, postgresDialect, shown, opt)
	s.url = dsn
	if err := s.migratePostgres(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", shown, err)
	}
	return s, nil
}

// pgMarker is the table that marks a schema as a wat store, and holds its
// schema version (SQLite's application_id and user_version).
const pgMarker = "wat_store"

func (s *Store) migratePostgres(ctx context.Context) error {
	files, err := migrationFiles("postgres")
	if err != nil {
		return err
	}
	version, err := s.pgVersion(ctx, s.db)
	if err != nil {
		return err
	}
	if s.readOnly && version == 0 {
		return fmt.Errorf("%w: no wat tables in this database's schema", ErrNotStore)
	}
	tx, err := s.beginMigration(ctx, version, len(files))
	if tx == nil {
		return err
	}
	defer tx.Rollback()
	// Two wats opening a new store at once: one migrates, the other
	// waits and then finds it done.
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", int64(appID)); err != nil {
		return err
	}
	if version, err = s.pgVersion(ctx, tx); err != nil {
		return err
	}
	if version == 0 {
		if _, err := tx.ExecContext(ctx, "CREATE TABLE "+pgMarker+" (app bigint NOT NULL, version bigint NOT NULL)"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO "+pgMarker+" VALUES (?, 0)", int64(appID)); err != nil {
			return err
		}
	}
	if err := applyMigrations(ctx, tx, files, version, func(v int) error {
		_, err := tx.ExecContext(ctx, "UPDATE "+pgMarker+" SET version = ?", v)
		return err
	}); err != nil {
		return err
	}
	if err := ensureReader(ctx, tx); err != nil {
		return fmt.Errorf("the role wat sql reads as: %w", err)
	}
	return tx.Commit()
}

// pgVersion returns the store's schema version: 0 for a schema with no
// tables at all, ErrNotStore for one with tables but no wat marker.
func (s *Store) pgVersion(ctx context.Context, q querier) (int, error) {
	var schema sql.NullString
	var marked bool
	var tables int
	if err := q.QueryRowContext(ctx, `SELECT current_schema(),
		to_regclass(quote_ident(current_schema()) || '.`+pgMarker+`') IS NOT NULL,
		(SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema())`).Scan(&schema, &marked, &tables); err != nil {
		return 0, err
	}
	if !schema.Valid {
		return 0, errors.New("no schema of search_path exists: create it, or drop search_path from the URL")
	}
	if !marked {
		if tables > 0 {
			return 0, fmt.Errorf("%w: schema %q holds other tables; give wat a database or schema (search_path=...) of its own", ErrNotStore, schema.String)
		}
		return 0, nil
	}
	var app int64
	var version int
	if err := q.QueryRowContext(ctx, "SELECT app, version FROM "+pgMarker).Scan(&app, &version); err != nil {
		return 0, err
	}
	if app != appID {
		return 0, ErrNotStore
	}
	return version, nil
}

// readingStatement tells whether q starts as a statement that only reads
// (after comments and parentheses). The read-only transaction stops
// writes to the database; this stops what a read-only transaction still
// allows and that reaches outside it: COPY ... TO PROGRAM or a file, DO
// blocks, CALL. Functions with effects inside a SELECT are the role's to
// grant: give wat sql a read-only role on a shared server.
func readingStatement(q string) bool {
	for {
		q = strings.TrimLeft(q, " \t\r\n(")
		var end string // what ends the comment q starts with
		switch {
		case strings.HasPrefix(q, "--"):
			end = "\n"
		case strings.HasPrefix(q, "/*"):
			end = "*/"
		}
		if end == "" {
			break
		}
		i := strings.Index(q, end)
		if i < 0 {
			return false
		}
		q = q[i+len(end):]
	}
	word := q
	if i := strings.IndexFunc(q, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') }); i >= 0 {
		word = q[:i]
	}
	switch strings.ToUpper(word) {
	case "SELECT", "WITH", "VALUES", "TABLE", "SHOW", "EXPLAIN":
		return true
	}
	return false
}
