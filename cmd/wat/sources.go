package main

import (
	"context"
	"encoding/json"
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
	st, err := openStore(ctx, e, false)
	if err != nil {
		return err
	}
	defer st.Close()
	srcs, err := st.Sources(ctx)
	if err != nil {
		return err
	}
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
