package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/wat-project/wat/ingest/store"
)

func sqlCommand() *cli.Command {
	return &cli.Command{
		Name:      "sql",
		Usage:     "run one read-only SQL query over the store",
		ArgsUsage: "'SELECT ...'",
		Description: `Runs one SQL statement on the store, read-only, and prints the rows
tab-separated (or NDJSON with --json). The documented schema:
   event_view (id, file, line, offset, time, system, ns, client, op, args,
      reply, service, req_id, parent_id, trace_id, raw)
   reject_view (file, line, reason, raw)
   sources (id, path, instance, format, size, hash, lines, events, rejected,
      skipped, ingested_at)
Times are Unix nanoseconds. On PostgreSQL, event_view has the stored
columns only (id, file, line, offset, time, raw).

Examples:
   wat sql 'SELECT op, count(*) FROM event_view GROUP BY op ORDER BY 2 DESC'
   wat sql 'SELECT * FROM reject_view LIMIT 10'`,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print NDJSON, one object per row"}},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErr("quote the query: wat sql 'SELECT ...'", "sql takes exactly one query")
			}
			st, err := openStore(c.Context, envOf(c), true)
			if err != nil {
				return err
			}
			defer st.Close()
			return runSQL(c.Context, st, c.App.Writer, c.Args().First(), c.Bool("json"))
		},
	}
}

// runSQL runs one read-only query and prints its rows.
func runSQL(ctx context.Context, st *store.Store, w io.Writer, query string, asJSON bool) error {
	enc := json.NewEncoder(w)
	header := false
	err := st.Query(ctx, query, func(cols []string, vals []any) error {
		if asJSON {
			obj := map[string]any{}
			for i, col := range cols {
				if b, ok := vals[i].([]byte); ok {
					vals[i], _ = textOf(b)
				}
				obj[col] = vals[i]
			}
			return enc.Encode(obj)
		}
		if !header {
			fmt.Fprintln(w, strings.Join(cols, "\t"))
			header = true
		}
		cells := make([]string, len(vals))
		for i, v := range vals {
			switch v := v.(type) {
			case nil:
				cells[i] = "NULL"
			case []byte:
				cells[i] = safe(string(v))
			default:
				cells[i] = safe(fmt.Sprint(v))
			}
			cells[i] = strings.NewReplacer("\t", `\t`, "\n", `\n`).Replace(cells[i])
		}
		_, err := fmt.Fprintln(w, strings.Join(cells, "\t"))
		return err
	})
	if err != nil {
		return withHint(fmt.Errorf("sql: %w", err), "the store is read-only here; 'wat sql --help' lists the views")
	}
	return nil
}
