package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
)

// Distribution is the layout of a PostgreSQL store on a hash-distributed
// Citus cluster, as the README ("PostgreSQL and Citus") gives it: each
// table's distribution column, or "" for a reference table (a copy on
// every node: small, or rarely written). Every lookup on the paths of
// ingest, explain and follow names its table's distribution column, so
// that Citus routes it to one shard, except those a test lists with the
// reason (cmd/wat's TestConformance checks the statements it sends).
var Distribution = map[string]string{
	"wat_store":  "",
	"wat_reader": "",
	"sources":    "",
	"namespaces": "",
	"wide_refs":  "", // namespace-wide events (FLUSHALL): few, looked up by namespace
	"postings":   "key",
	"events":     "bucket", // 65,536 consecutive ids (bucketOf)
	"rejects":    "source",
}

// ErrNotCitus is Distribute on a database without the Citus extension.
var ErrNotCitus = errors.New("not a Citus database (no citus extension)")

// Distribute lays the store's tables out on a Citus cluster as
// Distribution says (README, "PostgreSQL and Citus": the hash layout),
// each call in a transaction of its own, and truncates the rows Citus
// leaves behind on the coordinator. It distributes tables that are not
// yet distributed and leaves the others, so that it can be run again.
func (s *Store) Distribute(ctx context.Context) error {
	if s.db.d != postgresDialect {
		return errors.New("a SQLite store is one file: there is nothing to distribute")
	}
	var citus bool
	if err := s.db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')").Scan(&citus); err != nil {
		return err
	}
	if !citus {
		return ErrNotCitus
	}
	tables := make([]string, 0, len(Distribution))
	for t := range Distribution {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	for _, t := range tables {
		// The names are Distribution's, not input: written into the
		// statements (a parameter would be sent as bytes, not a name).
		var kind, col string
		err := s.db.QueryRowContext(ctx, fmt.Sprintf(`SELECT CASE WHEN partmethod = 'h' THEN 'distributed' WHEN repmodel = 't' THEN 'reference' ELSE 'single-shard' END,
			coalesce(column_to_column_name(logicalrelid, partkey), '')
			FROM pg_dist_partition WHERE logicalrelid = to_regclass(quote_ident(current_schema()) || '.%s')`, t)).Scan(&kind, &col)
		switch {
		case err == nil && kind == "reference" && Distribution[t] == "",
			err == nil && kind == "distributed" && col == Distribution[t]:
			continue // done before
		case err == nil && kind == "single-shard":
			return fmt.Errorf("table %s is in a distributed schema (schema-based sharding), which places the store's tables on one node already: leave out --distribute", t)
		case err == nil:
			want := "a reference table"
			if Distribution[t] != "" {
				want = "distributed by " + Distribution[t]
			}
			return fmt.Errorf("table %s is a %s table (distribution column %s), where the layout wants it %s: SELECT undistribute_table('%s'), then run this again", t, kind, col, want, t)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		q := fmt.Sprintf("SELECT create_reference_table('%s')", t)
		if col := Distribution[t]; col != "" {
			q = fmt.Sprintf("SELECT create_distributed_table('%s', '%s')", t, col)
		}
		for _, q := range []string{q, fmt.Sprintf("SELECT truncate_local_data_after_distributing_table('%s')", t)} {
			if _, err := s.db.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("distribute %s: %w", t, err)
			}
		}
	}
	return nil
}
