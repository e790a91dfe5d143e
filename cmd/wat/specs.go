package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/wat-project/wat/provenance"
)

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
