package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/stdlib"
)

// splitStatements splits a migration file into its statements, each
// without its ending semicolon and with the comments between statements
// dropped: a distributed PostgreSQL (Citus) refuses a string of several
// statements, so wat sends them one by one. Semicolons inside quotes
// ('...', "..."), dollar quotes ($$...$$, $tag$...$tag$) and comments do
// not end a statement. An unterminated quote or comment is an error.
func splitStatements(src string) ([]string, error) {
	var out []string
	start := 0
	emit := func(end int) {
		if s := strings.TrimSpace(stripComments(src[start:end])); s != "" {
			out = append(out, strings.TrimSpace(src[start:end]))
		}
		start = end + 1
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		var close string
		switch {
		case c == ';':
			emit(i)
			continue
		case c == '\'' || c == '"':
			close = string(c)
		case c == '-' && strings.HasPrefix(src[i:], "--"):
			close = "\n"
		case c == '/' && strings.HasPrefix(src[i:], "/*"):
			close = "*/"
		case c == '$':
			if tag, ok := dollarTag(src[i:]); ok {
				close = tag
				i += len(tag) - 1
			}
		}
		if close == "" {
			continue
		}
		j := strings.Index(src[i+1:], close)
		if j < 0 {
			if close == "\n" { // a comment on the last line
				break
			}
			return nil, fmt.Errorf("unterminated %q at byte %d", close, i)
		}
		i += j + len(close)
	}
	emit(len(src))
	// A comment before a statement stays with it (it is harmless to the
	// server and says what the statement is for); one left after the
	// last statement is not a statement.
	return out, nil
}

// dollarTag returns the dollar-quote opener s starts with ($$ or $tag$).
func dollarTag(s string) (string, bool) {
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '$':
			return s[:i+1], true
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 1 && c >= '0' && c <= '9':
		default:
			return "", false
		}
	}
	return "", false
}

// stripComments returns s without its -- comments (for telling whether
// a piece holds a statement at all).
func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i]
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// execOne runs one statement of a migration in tx. On PostgreSQL it goes
// through the extended query protocol, which takes one statement only:
// a file that holds a string of several fails here as it would on Citus.
func (t *sqlTx) execOne(ctx context.Context, q string) error {
	t.trace.sent(migrationMark + q)
	if t.d != postgresDialect {
		_, err := t.Tx.ExecContext(ctx, q)
		return err
	}
	return t.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("unexpected driver connection %T", dc)
		}
		return c.Conn().PgConn().ExecParams(ctx, q, nil, nil, nil, nil).Read().Err
	})
}

// migrationMark begins a traced statement (Options.TraceSQL) that sets a
// store's schema up: run once per store, not per request.
const migrationMark = "migration: "

// errNoStatement is a migration file without a statement.
var errNoStatement = errors.New("no statement")
