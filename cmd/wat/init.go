package main

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/wat-project/wat/ingest/store"
)

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

Examples:
   wat init
   wat --store 'postgres://wat@db.internal/traces?search_path=incident_4711' init`,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErr("run 'wat init --help'", "init takes no arguments")
			}
			return runInit(c.Context, envOf(c))
		},
	}
}

// runInit creates or migrates the store and says what it holds.
func runInit(ctx context.Context, e env) error {
	st, err := openStore(ctx, e, false)
	if err != nil {
		return err
	}
	defer st.Close()
	srcs, err := st.Sources(ctx)
	if err != nil {
		return err
	}
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
	return nil
}

// files says n files in words.
func files(n int) string {
	if n == 1 {
		return "1 file"
	}
	return fmt.Sprintf("%d files", n)
}
