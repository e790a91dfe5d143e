package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/ingest/store"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/redis"
)

func eventsCommand() *cli.Command {
	return &cli.Command{
		Name:  "events",
		Usage: "list stored events, filtered by key, operation or file",
		Description: `Prints stored events in trace order, one per line, file:line first (or NDJSON
with --json, one EVENT object per line as in 'wat explain --json').

Examples:
   wat events --key user:42:name
   wat events --op SET --file monitor.log --json | jq -r .args[0]`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "key", Usage: "only events touching `KEY` (read or written); a glob (* ? [...], \\ escapes, as Redis's KEYS) names every stored key it matches"},
			&cli.BoolFlag{Name: "writes", Usage: "only events that may change what they touch (with --key: that key)"},
			&cli.StringFlag{Name: "ns", Usage: "only events in namespace `NS` (the Redis database number)"},
			&cli.StringFlag{Name: "system", Usage: "only events of black box `SYSTEM` (redis, posix, s3, zookeeper; default: every one)"},
			&cli.StringFlag{Name: "instance", Usage: "only events from the files of instance `NAME` (as 'wat sources' shows it)"},
			&cli.StringSliceFlag{Name: "op", Usage: "only events of operation `OP` (e.g. SET; repeat it or separate with commas for several)"},
			&cli.StringFlag{Name: "file", Usage: "only events from `FILE`"},
			&cli.StringFlag{Name: "since", Usage: "only events at or after `TIME` (RFC 3339, 2026-11-24T15:00:00Z; without a zone, UTC)"},
			&cli.StringFlag{Name: "until", Usage: "only events at or before `TIME` (as --since)"},
			&cli.IntFlag{Name: "limit", Usage: "print at most `N` events (0: all)"},
			&cli.BoolFlag{Name: "json", Usage: "print NDJSON"},
		},
		Action: readAction(func(c *cli.Context, st *store.Store) error {
			opt := eventsOptions{key: c.String("key"), keySet: c.IsSet("key"), writes: c.Bool("writes"), ns: c.String("ns"), system: c.String("system"),
				instance: c.String("instance"), ops: c.StringSlice("op"), file: c.String("file"), limit: c.Int("limit"),
				json: c.Bool("json"), color: c.String("color")}
			var err error
			if opt.since, err = timeFlag(c, "since"); err != nil {
				return err
			}
			if opt.until, err = timeFlag(c, "until"); err != nil {
				return err
			}
			return runEvents(c.Context, st, c.App.Writer, opt)
		}),
	}
}

// eventsOptions are wat events' flags.
type eventsOptions struct {
	key                        string
	keySet                     bool // --key was given (an empty key is a key)
	writes                     bool
	ns, system, instance, file string
	ops                        []string
	since, until               int64 // Unix nanoseconds; 0: no bound
	limit                      int
	json                       bool
	color                      string
}

// runEvents prints the stored events opt selects, in trace order.
func runEvents(ctx context.Context, st *store.Store, out io.Writer, opt eventsOptions) error {
	f := store.Filter{System: opt.system, NS: opt.ns, Ops: opt.ops, Instance: opt.instance, Since: opt.since, Until: opt.until, Once: true}
	if opt.keySet {
		f.Key = []byte(opt.key)
		if strings.ContainsAny(opt.key, "*?[\\") {
			keys, err := st.KeysMatching(ctx, f.System, f.NS, func(k []byte) bool { return redis.GlobMatch(f.Key, k) })
			if err != nil || len(keys) == 0 {
				return err // no key matches: no event
			}
			f.Key, f.Keys = nil, keys
		}
		f.Writes = opt.writes
	}
	// Without --key, --writes asks each event's spec what it writes.
	writes := func(*formats.Event) bool { return true }
	if opt.writes && !f.Writes {
		refs := refsBySystem()
		writes = func(e *formats.Event) bool {
			fn := refs[e.System]
			return fn != nil && slices.ContainsFunc(fn(e), func(r formats.Ref) bool { return r.Kind != formats.KindRead })
		}
	}
	if opt.file != "" {
		var err error
		if f.Source, err = st.SourceByPath(ctx, opt.file); err != nil {
			return err
		}
	}
	r := newRenderer(out, opt.color)
	enc := json.NewEncoder(out)
	printed := 0
	for {
		f.Limit = 1000
		evs, err := st.Events(ctx, f)
		if err != nil {
			return err
		}
		for _, e := range evs {
			f.After = e.ID
			if !writes(e) {
				continue
			}
			if opt.limit > 0 && printed == opt.limit {
				return nil
			}
			printed++
			if opt.json {
				if err := enc.Encode(toJSONEvent(e)); err != nil {
					return err
				}
			} else {
				r.line(e, "", r.request(e))
			}
		}
		if len(evs) < f.Limit {
			return nil
		}
	}
}

// timeFlag reads a time flag as Unix nanoseconds: 0 when it is not set.
func timeFlag(c *cli.Context, name string) (int64, error) {
	v := c.String(name)
	if v == "" {
		return 0, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UnixNano(), nil
		}
	}
	return 0, usageErr("run 'wat events --help'", "--%s %q: want a time like 2026-11-24T15:00:00Z", name, v)
}

func formatsCommand() *cli.Command {
	return &cli.Command{
		Name:  "formats",
		Usage: "list the log formats wat reads",
		Description: `Prints one line per format: its name (for 'wat ingest --format'), what
produces it, and its reference. Formats are detected from a file's first lines.

Example:
   wat formats | cut -f1`,
		Action: func(c *cli.Context) error { return runFormats(c.App.Writer) },
	}
}

// runFormats lists the formats wat reads.
func runFormats(w io.Writer) error {
	for _, f := range allFormats {
		fmt.Fprintf(w, "%s\t%s (%s)\n", f.Name, f.Doc, f.URL)
	}
	return nil
}

func specsCommand() *cli.Command {
	return &cli.Command{
		Name:      "specs",
		Usage:     "list the black boxes wat explains, or one's table of operations",
		ArgsUsage: "[SYSTEM]",
		Description: `Without an argument, prints one line per spec: the black box (the "system" of
its events), what it models, and the operations it replays.

With a system (wat specs redis), prints its table: one line per operation the
black box knows, modelled or not, tab-separated:
   NAME  GROUP  STATUS  NOTE  KEYS  PARTS
STATUS is "modelled"; "unknown" (replayed, but its reply depends on what no
log holds, named in NOTE: its answers are never exact); or "not modelled" (NOTE
says why): such a request is replayed as if it changed nothing, and every answer
whose history holds it is labelled not exact, naming it. KEYS says which
arguments are keys, as the black box itself declares them. PARTS says which
parts of its keys an operation touches (a hash's fields, a set's members, a
stream's entries, a string's bits), and how; empty: the keys whole.

Examples:
   wat specs
   wat specs redis | grep -w ZADD
   wat specs redis | awk -F'\t' '$3 != "modelled"'
   wat specs redis --json | jq -r 'select(.group == "stream") | .name'`,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print NDJSON: {system, name, group, status, note, keys, parts} per operation"}},
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return usageErr("run 'wat specs' for the systems", "specs takes at most one system")
			}
			return runSpecs(c.App.Writer, c.Args().First(), c.Bool("json"))
		},
	}
}

// runSpecs prints the specs, or with a system its table of operations.
func runSpecs(w io.Writer, system string, asJSON bool) error {
	if system == "" {
		for _, s := range allSpecs {
			fmt.Fprintf(w, "%s\t%s\t%s\n", s.System(), s.Doc(), strings.Join(s.Ops(), " "))
		}
		return nil
	}
	spec, err := specFor(system)
	if err != nil {
		var names []string
		for _, s := range allSpecs {
			names = append(names, s.System())
		}
		return usageErr("the systems: "+strings.Join(names, ", "), "no spec for system %q", system)
	}
	ops := []provenance.OpDoc(nil)
	if d, ok := spec.(provenance.Documented); ok {
		ops = d.Table()
	} else {
		for _, op := range spec.Ops() {
			ops = append(ops, provenance.OpDoc{Name: op, Status: "modelled"})
		}
	}
	enc := json.NewEncoder(w)
	for _, d := range ops {
		if asJSON {
			if err := enc.Encode(map[string]string{"system": spec.System(), "name": d.Name, "group": d.Group,
				"status": d.Status, "note": d.Note, "keys": d.Keys, "parts": d.Parts}); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", d.Name, d.Group, d.Status, d.Note, d.Keys, d.Parts)
	}
	return nil
}

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

On SQLite the statement runs with writes, ATTACH and PRAGMAs that set
anything refused. On PostgreSQL it runs as a role that may only read the
store's schema (USAGE on it, SELECT on its tables), never as the role in
--store: wat creates that role (wat_read_...) with the store when the
store's role may create roles, and --reader names one otherwise. So a
function that reads the server's files, or on Citus runs commands on the
workers, fails by privilege.

Examples:
   wat sql 'SELECT op, count(*) FROM event_view GROUP BY op ORDER BY 2 DESC'
   wat sql 'SELECT * FROM reject_view LIMIT 10'`,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print NDJSON, one object per row"},
			&cli.StringFlag{Name: "reader", EnvVars: []string{"WAT_SQL_READER"},
				Usage: "PostgreSQL: run the query as the role of this postgres:// `URL`, one that may only read the store (not a superuser), instead of the reader role wat made"}},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErr("quote the query: wat sql 'SELECT ...'", "sql takes exactly one query")
			}
			e := envOf(c)
			e.reader = c.String("reader")
			if e.reader != "" && !store.IsPostgres(e.reader) {
				return usageErr("give a postgres:// URL", "--reader %q is not a PostgreSQL URL", store.Redact(e.reader))
			}
			st, err := openStore(c.Context, e, true)
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
	switch {
	case errors.Is(err, store.ErrNoReader):
		return withHint(fmt.Errorf("sql: %w", err), "the store's role may not create roles: create one that may only read its schema (GRANT USAGE ON SCHEMA, GRANT SELECT ON ALL TABLES IN SCHEMA) and name it with --reader URL (see README, PostgreSQL and Citus)")
	case err != nil:
		return withHint(fmt.Errorf("sql: %w", err), "wat sql only reads, as a role that may read the store and nothing else; 'wat sql --help' lists the views")
	}
	return nil
}
