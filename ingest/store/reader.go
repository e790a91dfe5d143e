package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
)

// ErrNoReader is a PostgreSQL store that has no role wat sql may run
// as: its owner may not create roles, and Options.Reader names none.
var ErrNoReader = errors.New("no read-only role to run wat sql as")

// ensureReader makes, in the migration's transaction, the role wat sql
// runs as: one per store (named after its database and schema), that
// may log in and read the store's tables and views and nothing else: no
// superuser, no role memberships, no privilege but USAGE on the schema
// and SELECT on its tables (wat_reader, which holds the role's password,
// excepted). When the store's owner may not create roles it does
// nothing, and wat sql needs a reader named by Options.Reader.
func ensureReader(ctx context.Context, tx *sqlTx) error {
	var may bool
	var db, schema, quoted string
	if err := tx.QueryRowContext(ctx, `SELECT r.rolsuper OR r.rolcreaterole, current_database(), current_schema(), quote_ident(current_schema())
		FROM pg_roles r WHERE r.rolname = current_user`).Scan(&may, &db, &schema, &quoted); err != nil {
		return err
	}
	if !may {
		return nil
	}
	sum := sha256.Sum256([]byte(db + "\x00" + schema))
	role := "wat_read_" + hex.EncodeToString(sum[:10])
	var pw [16]byte
	if _, err := rand.Read(pw[:]); err != nil {
		return err
	}
	password := hex.EncodeToString(pw[:])
	var exists, member bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ?),
		EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = ?)`, role, role).Scan(&exists, &member); err != nil {
		return err
	}
	if member {
		// Someone made the role a member of another: it could take on
		// that role's privileges (SET ROLE).
		return fmt.Errorf("role %s is a member of another role; drop it (wat makes it again)", role)
	}
	verb := "CREATE"
	if exists {
		verb = "ALTER"
	}
	// The name and password are hex: nothing to quote.
	for _, q := range []string{
		verb + " ROLE " + role + " WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS PASSWORD '" + password + "'",
		"GRANT USAGE ON SCHEMA " + quoted + " TO " + role,
		"GRANT SELECT ON ALL TABLES IN SCHEMA " + quoted + " TO " + role,
		"REVOKE ALL ON wat_reader FROM " + role,
		"DELETE FROM wat_reader",
	} {
		if err := tx.execOne(ctx, q); err != nil {
			return err
		}
	}
	tx.trace.sent(migrationMark + "INSERT INTO wat_reader(role, password) VALUES (...)")
	_, err := tx.Tx.ExecContext(ctx, tx.d.sql("INSERT INTO wat_reader(role, password) VALUES (?, ?)"), role, password)
	return err
}

// readerURL returns the URL wat sql connects with: Options.Reader, or
// the store's URL with the reader role's login in place of the owner's
// and the store's schema as its search_path. Either way every
// transaction is read-only.
func (s *Store) readerURL(ctx context.Context) (string, error) {
	u, err := url.Parse(s.url)
	if s.reader != "" {
		u, err = url.Parse(s.reader)
	}
	if err != nil {
		return "", fmt.Errorf("reader URL: %w", err)
	}
	q := u.Query()
	if s.reader == "" {
		var role, password, schema string
		err := s.db.QueryRowContext(ctx, "SELECT role, password FROM wat_reader").Scan(&role, &password)
		if errors.Is(err, sql.ErrNoRows) {
			return "", ErrNoReader
		}
		if err == nil {
			// A statement of its own: on Citus a query of a table runs
			// on a worker, whose current_schema() is not the store's.
			err = s.db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema)
		}
		if err != nil {
			return "", fmt.Errorf("reader role: %w", err)
		}
		u.User = url.UserPassword(role, password)
		q.Set("search_path", `"`+schema+`"`)
	}
	q.Set("default_transaction_read_only", "on")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// queryPostgres runs one statement as the reader role (readerURL), in a
// read-only transaction that has taken its snapshot (so the statement
// cannot be a SET TRANSACTION READ WRITE). The role's privileges are
// the sandbox: it may read the store and nothing else, so a function
// that reads the server's files, or on Citus runs commands on the
// workers, fails by privilege.
func (s *Store) queryPostgres(ctx context.Context, q string, each func(cols []string, vals []any) error) error {
	if !readingStatement(q) {
		return fmt.Errorf("not a query: wat sql runs SELECT, WITH, VALUES, TABLE, SHOW and EXPLAIN")
	}
	dsn, err := s.readerURL(ctx)
	if err != nil {
		return err
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return fmt.Errorf("connect as the reader role: %w", err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect as the reader role: %w", err)
	}
	defer conn.Close()
	var super bool
	if err := conn.QueryRowContext(ctx, "SELECT rolsuper FROM pg_roles WHERE rolname = session_user").Scan(&super); err != nil {
		return fmt.Errorf("connect as the reader role: %w", err)
	}
	if super {
		return errors.New("the reader role is a superuser, who may read the server's files: name a role that may only read the store")
	}
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SELECT 1"); err != nil {
		return err
	}
	return eachRow(tx.QueryContext(ctx, q))(each)
}

// ReaderRole returns the name of the role wat sql runs as on a
// PostgreSQL store ("" when the store has none, and on SQLite).
func (s *Store) ReaderRole(ctx context.Context) (string, error) {
	if s.db.d != postgresDialect {
		return "", nil
	}
	var role string
	err := s.db.QueryRowContext(ctx, "SELECT role FROM wat_reader").Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return role, err
}
