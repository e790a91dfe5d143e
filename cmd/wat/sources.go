package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/wat-project/wat/ingest/store"
)

func sourcesCommand() *cli.Command {
	return &cli.Command{
		Name:  "sources",
		Usage: "list the ingested files",
		Description: `Prints one line per ingested file, in ingest order, tab-separated under a
header: ID, PATH (as ingested), INSTANCE (the server or machine it is of, * for
a file that joins every instance: see wat ingest --help), FORMAT, LINES, EVENTS, REJECTED, SKIPPED, and FIRST and
LAST, the times of its first and last events (or -). With --json, one object
per file.

Examples:
   wat sources
   wat sources --json | jq -r 'select(.rejected > 0) | .path'`,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print NDJSON: {id, path, instance, format, hash, lines, events, rejected, skipped, first, last} per file"}},
		Action: readAction(func(c *cli.Context, st *store.Store) error {
			return runSources(c.Context, st, c.App.Writer, c.Bool("json"))
		}),
	}
}

// runSources lists the ingested files.
func runSources(ctx context.Context, st *store.Store, w io.Writer, asJSON bool) error {
	srcs, err := st.Sources(ctx)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	if !asJSON {
		fmt.Fprintln(w, "ID\tPATH\tINSTANCE\tFORMAT\tLINES\tEVENTS\tREJECTED\tSKIPPED\tFIRST\tLAST")
	}
	for _, src := range srcs {
		first, last, err := st.SourceSpan(ctx, src)
		if err != nil {
			return err
		}
		if asJSON {
			j := map[string]any{"id": src.ID, "path": src.Path, "instance": src.Instance, "format": src.Format, "hash": src.Hash,
				"lines": src.Lines, "events": src.Events, "rejected": src.Rejected, "skipped": src.Skipped}
			if first != 0 {
				j["first"], j["last"] = timeText(first, "2006-01-02T15:04:05.000000Z"), timeText(last, "2006-01-02T15:04:05.000000Z")
			}
			if err := enc.Encode(j); err != nil {
				return err
			}
			continue
		}
		span := "-\t-"
		if first != 0 {
			span = showTime(first) + "\t" + showTime(last)
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\n", src.ID, safe(src.Path), instanceText(src.Instance), src.Format,
			src.Lines, src.Events, src.Rejected, src.Skipped, span)
	}
	return nil
}

func rmCommand() *cli.Command {
	return &cli.Command{
		Name:      "rm",
		Usage:     "remove ingested files from the store",
		ArgsUsage: "FILE... | --id N...",
		Description: `Removes each named file's events, rejected lines and index entries from the
store, one transaction per file: afterwards the store is as if it had never been
ingested (ingest it again to replace it). FILE is a path as 'wat sources' lists
it (or its end after a /); when several stored files have that path (ingested
again with --force), name them by --id.

Examples:
   wat rm cache-a.monitor.log
   wat rm --id 3`,
		Flags: []cli.Flag{&cli.Int64SliceFlag{Name: "id", Usage: "remove the file with `ID` (as 'wat sources' lists it)"}},
		Action: func(c *cli.Context) error {
			ids := c.Int64Slice("id")
			if c.NArg() == 0 && len(ids) == 0 {
				return usageErr("run 'wat sources' for the stored files", "rm needs a file or --id")
			}
			return runRm(c.Context, envOf(c), c.Args().Slice(), ids)
		},
	}
}

// runRm removes the files named by path or by id, one transaction each.
func runRm(ctx context.Context, e env, names []string, ids []int64) error {
	st, srcs, err := openWithSources(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	var remove []*store.Source
	for _, id := range ids {
		i := -1
		for j, src := range srcs {
			if src.ID == id {
				i = j
			}
		}
		if i < 0 {
			return withHint(fmt.Errorf("no stored file has id %d", id), "run 'wat sources' for the ids")
		}
		remove = append(remove, srcs[i])
	}
	for _, name := range names {
		var same []string
		for _, src := range srcs {
			if src.Path == name {
				same = append(same, strconv.FormatInt(src.ID, 10))
			}
		}
		if len(same) > 1 {
			return withHint(fmt.Errorf("%d stored files have the path %s (ids %v)", len(same), safe(name), same), "name one with --id")
		}
		src, err := st.SourceByPath(ctx, name)
		if err != nil {
			return withHint(err, "run 'wat sources' for the stored files")
		}
		remove = append(remove, src)
	}
	for _, src := range remove {
		if err := st.RemoveSource(ctx, src); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "removed %s (id %d): %d events, %d rejected lines\n", safe(src.Path), src.ID, src.Events, src.Rejected)
	}
	return nil
}

// instanceText shows an instance; * is none: the file joins every one.
func instanceText(instance string) string {
	if instance == "" {
		return "*"
	}
	return safe(instance)
}

func initCommand() *cli.Command {
	return &cli.Command{
		Name:  "init",
		Usage: "create an empty trace store (or migrate an older one)",
		Description: `Creates the store that --store names, with its tables and no files, so that
its tables can be set up before the first ingest: on Citus, distributed (see
README, "PostgreSQL and Citus"). On a store that exists it migrates an older
schema and changes nothing else. 'wat ingest' creates the store too; init is
for when the tables must exist first.

On PostgreSQL it also creates the role 'wat sql' runs as (one that may only
read the store), when the URL's role may create roles, and prints its name.
With --distribute, on a Citus coordinator, it then distributes the tables as
the README's hash layout says (reference tables for the small ones, the rest
by their distribution columns) and truncates the rows Citus leaves behind;
tables already distributed are left as they are.

Examples:
   wat init
   wat --store 'postgres://wat@db.internal/traces?search_path=incident_4711' init
   wat --store 'postgres://wat@citus-coordinator/traces?search_path=incident_4711' init --distribute`,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "distribute", Usage: "on Citus: distribute the store's tables (README, \"PostgreSQL and Citus\")"}},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErr("run 'wat init --help'", "init takes no arguments")
			}
			return runInit(c.Context, envOf(c), c.Bool("distribute"))
		},
	}
}

// runInit creates or migrates the store and says what it holds.
func runInit(ctx context.Context, e env, distribute bool) error {
	if distribute && !store.IsPostgres(e.store) {
		return usageErr("--distribute is for a PostgreSQL store on a Citus coordinator", "a SQLite store is one file: there is nothing to distribute")
	}
	st, srcs, err := openWithSources(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	where := safe(store.Redact(e.store))
	if len(srcs) == 0 {
		fmt.Fprintf(e.stdout, "%s: an empty trace store\n", where)
	} else {
		fmt.Fprintf(e.stdout, "%s: a trace store of %s (run 'wat sources')\n", where, files(len(srcs)))
	}
	if !store.IsPostgres(e.store) {
		return nil
	}
	role, err := st.ReaderRole(ctx)
	if err != nil {
		return err
	}
	if role == "" {
		fmt.Fprintf(e.stdout, "%s: wat sql has no role to read as (this URL's role may not create roles): give it one with wat sql --reader URL\n", where)
	} else {
		fmt.Fprintf(e.stdout, "%s: wat sql reads as role %s\n", where, role)
	}
	if !distribute {
		return nil
	}
	if err := st.Distribute(ctx); err != nil {
		if errors.Is(err, store.ErrNotCitus) {
			return withHint(err, "--distribute needs a Citus coordinator; on plain PostgreSQL leave it out")
		}
		return err
	}
	fmt.Fprintf(e.stdout, "%s: tables distributed (README, \"PostgreSQL and Citus\")\n", where)
	return nil
}

// files says n files in words.
func files(n int) string {
	if n == 1 {
		return "1 file"
	}
	return fmt.Sprintf("%d files", n)
}

// openWithSources opens the store to write (creating or migrating it)
// and lists its files.
func openWithSources(ctx context.Context, e env) (*store.Store, []*store.Source, error) {
	st, err := openStore(ctx, e, false)
	if err != nil {
		return nil, nil, err
	}
	srcs, err := st.Sources(ctx)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, srcs, nil
}
