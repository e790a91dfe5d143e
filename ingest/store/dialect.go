package store

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// A dialect is what differs between the databases a store lives in. The
// statements in sql.go are written once, in the SQL both accept
// ("offset" quoted, RETURNING, no SQLite-only functions), with ?
// placeholders that the PostgreSQL dialect numbers; what cannot be shared
// — migrations, the schema marker, bulk loading, locking an ingest, the
// read-only query — is here and in the migrations/ directory of each.
type dialect struct {
	name string // "sqlite" or "postgres"
	// numbered placeholders ($1, $2, ...) instead of ?.
	numbered bool
	// binary: strings bound as parameters are sent as bytes (the
	// PostgreSQL schema keeps log-derived index keys as bytea, which
	// holds any bytes, where SQLite's TEXT would).
	binary bool
	// bucketed: a statement that reads events by id names their bucket,
	// one bucket a statement (on Citus, one shard). SQLite's events are
	// keyed by id alone, so a batch of ids is one statement there.
	bucketed bool
	texts    sync.Map // statement as written -> as sent
}

var (
	sqliteDialect   = &dialect{name: "sqlite"}
	postgresDialect = &dialect{name: "postgres", numbered: true, binary: true, bucketed: true}
)

// sql returns q in the dialect.
func (d *dialect) sql(q string) string {
	if !d.numbered || !strings.Contains(q, "?") {
		return q
	}
	if t, ok := d.texts.Load(q); ok {
		return t.(string)
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	t := b.String()
	if len(q) < 4096 { // keep the ad hoc IN lists out of the cache
		d.texts.Store(q, t)
	}
	return t
}

// args converts parameters for the dialect.
func (d *dialect) args(a []any) []any {
	if !d.binary {
		return a
	}
	for i, v := range a {
		if s, ok := v.(string); ok {
			a[i] = []byte(s)
		}
	}
	return a
}

// sqlDB is a database handle that speaks its dialect: every statement
// and its arguments are converted on the way.
type sqlDB struct {
	*sql.DB
	d     *dialect
	trace *sqlTrace // Options.TraceSQL
}

// A sqlTrace writes every statement a store sends, as sent, a line each
// (newlines and tabs folded to spaces; COPY as "COPY table (cols)").
type sqlTrace struct {
	mu sync.Mutex
	w  io.Writer
}

// sent records a statement; nil records nothing.
func (t *sqlTrace) sent(q string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintln(t.w, strings.Join(strings.Fields(q), " "))
}

// rewrite puts a statement and its arguments in the dialect, and
// traces the statement (WAT_TRACE_SQL).
func (d *dialect) rewrite(t *sqlTrace, q string, args []any) (string, []any) {
	q = d.sql(q)
	t.sent(q)
	return q, d.args(args)
}

func (b *sqlDB) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	q, args = b.d.rewrite(b.trace, q, args)
	return b.DB.QueryContext(ctx, q, args...)
}

func (b *sqlDB) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	q, args = b.d.rewrite(b.trace, q, args)
	return b.DB.QueryRowContext(ctx, q, args...)
}

func (b *sqlDB) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	q, args = b.d.rewrite(b.trace, q, args)
	return b.DB.ExecContext(ctx, q, args...)
}

// sqlTx is a transaction on one connection that speaks its dialect, and
// can bulk-load rows into a table.
type sqlTx struct {
	*sql.Tx
	conn  *sql.Conn
	d     *dialect
	stmts map[string]*sql.Stmt
	trace *sqlTrace
	// packed holds a counted table's batch as load binds it.
	packed []any
}

// beginTx starts a transaction on a connection of its own.
func (b *sqlDB) beginTx(ctx context.Context, opts *sql.TxOptions) (*sqlTx, error) {
	conn, err := b.DB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := conn.BeginTx(ctx, opts)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &sqlTx{Tx: tx, conn: conn, d: b.d, stmts: map[string]*sql.Stmt{}, trace: b.trace}, nil
}

func (t *sqlTx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	q, args = t.d.rewrite(t.trace, q, args)
	return t.Tx.QueryRowContext(ctx, q, args...)
}

func (t *sqlTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	q, args = t.d.rewrite(t.trace, q, args)
	return t.Tx.QueryContext(ctx, q, args...)
}

func (t *sqlTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	q, args = t.d.rewrite(t.trace, q, args)
	return t.Tx.ExecContext(ctx, q, args...)
}

// Commit commits and gives the connection back.
func (t *sqlTx) Commit() error {
	t.closeStmts()
	err := t.Tx.Commit()
	t.conn.Close()
	return err
}

// Rollback rolls back (if not committed) and gives the connection back.
func (t *sqlTx) Rollback() error {
	t.closeStmts()
	err := t.Tx.Rollback()
	t.conn.Close()
	return err
}

func (t *sqlTx) closeStmts() {
	for k, s := range t.stmts {
		s.Close()
		delete(t.stmts, k)
	}
}

// A table is one of the tables ingest loads in bulk.
type table struct {
	name string
	cols []string
	// counted: the first column counts up by one from row to row, and
	// the second is the same in every row, in the loads where the rows
	// show it (an events buffer: its writer's ids and source), which
	// then bind those two once a statement, not once a row.
	counted bool
}

var (
	eventsTable   = &table{"events", []string{"id", "source", "line", "offset", "time", "raw"}, true}
	postingsTable = &table{"postings", []string{"system", "ns", "key", "w", "last", "first", "n", "ids", "shapes"}, false}
	wideTable     = &table{"wide_refs", []string{"system", "ns", "w", "event"}, false}
	rejectsTable  = &table{"rejects", []string{"source", "line", "reason", "raw"}, false}
)

// load inserts rows into t: vals holds them one after another. SQLite
// takes prepared multi-row INSERTs of up to batchRows rows; PostgreSQL
// takes COPY (pgx's CopyFrom), on the transaction's connection.
func (t *sqlTx) load(ctx context.Context, tb *table, vals []any) error {
	nc := len(tb.cols)
	if len(vals)%nc != 0 {
		return fmt.Errorf("load %s: %d values for %d columns", tb.name, len(vals), nc)
	}
	if len(vals) == 0 {
		return nil
	}
	if t.d == postgresDialect {
		cols := tb.cols
		rows := make([][]any, 0, len(vals)/nc)
		for i := 0; i < len(vals); i += nc {
			rows = append(rows, t.d.args(vals[i:i+nc:i+nc]))
		}
		if tb == eventsTable {
			// PostgreSQL keeps an event's bucket (bucketOf) as a column
			// of its own, which Citus distributes by; SQLite computes it.
			cols = append(slices.Clone(cols), "bucket")
			for i, r := range rows {
				rows[i] = append(r, bucketOf(r[0].(int64)))
			}
		}
		t.trace.sent("COPY " + tb.name + " (" + strings.Join(cols, ", ") + ")")
		return t.conn.Raw(func(dc any) error {
			c, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("load %s: unexpected driver connection %T", tb.name, dc)
			}
			n, err := c.Conn().CopyFrom(ctx, pgx.Identifier{tb.name}, cols, pgx.CopyFromRows(rows))
			if err == nil && n != int64(len(rows)) {
				err = fmt.Errorf("copied %d rows of %d", n, len(rows))
			}
			if err != nil {
				return fmt.Errorf("load %s: %w", tb.name, err)
			}
			return nil
		})
	}
	// go-sqlite3 runs a statement on a goroutine of its own when ctx can
	// be cancelled, to interrupt it; a batch is short, and ctx is checked
	// before each.
	exec := context.WithoutCancel(ctx)
	for len(vals) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(len(vals)/nc, batchRows)
		rows, counted := vals[:n*nc], tb.counted && countedRows(vals[:n*nc], nc)
		if counted {
			t.packed = append(t.packed[:0], rows[0], rows[1])
			for i := 0; i < len(rows); i += nc {
				t.packed = append(t.packed, rows[i+2:i+nc]...)
			}
			rows = t.packed
		}
		vals = vals[n*nc:]
		if n < batchRows { // a remainder: not worth keeping prepared
			_, err := t.Tx.ExecContext(exec, insertSQL(tb, n, counted), rows...)
			clear(t.packed)
			if err != nil {
				return err
			}
			continue
		}
		key := tb.name
		if counted {
			key += " counted"
		}
		st, ok := t.stmts[key]
		if !ok {
			var err error
			if st, err = t.Tx.PrepareContext(ctx, insertSQL(tb, n, counted)); err != nil {
				return err
			}
			t.stmts[key] = st
		}
		_, err := st.ExecContext(exec, rows...)
		clear(t.packed)
		if err != nil {
			return err
		}
	}
	return nil
}
