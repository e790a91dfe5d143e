package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/formats/jsonlines"
	"github.com/wat-project/wat/formats/redismonitor"
	"github.com/wat-project/wat/formats/s3access"
	"github.com/wat-project/wat/formats/strace"
	"github.com/wat-project/wat/formats/zookeeper"
	"github.com/wat-project/wat/ingest"
	"github.com/wat-project/wat/ingest/store"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/posix"
	"github.com/wat-project/wat/specs/redis"
	"github.com/wat-project/wat/specs/s3"
	zkspec "github.com/wat-project/wat/specs/zookeeper"
)

// The formats and specs wat knows, listed explicitly.
var (
	allFormats = []*formats.Format{redismonitor.Format, s3access.Format, strace.Format, zookeeper.AuditFormat, zookeeper.TxnFormat,
		jsonlines.OTLPFormat, jsonlines.StdoutTraceFormat, jsonlines.Format}
	allSpecs = []provenance.Spec{redis.Spec, s3.Spec, posix.Spec, zkspec.Spec}
)

// Exit codes.
const (
	exitOK       = 0
	exitError1   = 1   // any error
	exitUsage    = 2   // bad flags or arguments
	exitMismatch = 3   // the replayed output differs from --output or the logged reply
	exitRejected = 4   // ingest --strict found lines it could not read
	exitTimeout  = 5   // explain ran out of --timeout: no answer, or a closed witness not exact
	exitSignal   = 130 // interrupted (Ctrl-C) or terminated
)

// An exitError carries an exit code and a hint to Main.
type exitError struct {
	code int
	err  error
	hint string
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(hint string, format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...), hint: hint}
}

func withHint(err error, hint string) error {
	return &exitError{code: exitError1, err: err, hint: hint}
}

func isUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"flag provided but not defined", "flag needs an argument", "invalid value", "Required flag", "No help topic", "invalid boolean"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// oneLine makes an error one line of text that is safe to print: log
// content inside it (a quoted argument, a rejected line) is escaped.
func oneLine(s string) string {
	return safe(strings.NewReplacer(":\n\t", ": ", "\n\t", "; ", "\n", " ").Replace(s))
}

const exitCodesHelp = `EXIT CODES:
   0  ok
   1  error (bad input file, store problem, ...)
   2  usage: unknown flag, missing argument
   3  explain: the output wat replays differs from --output or the logged reply
   4  ingest --strict: some lines could not be read
   5  explain: it ran out of --timeout (no answer, or a closed witness in place of the exact search)
 130  interrupted (Ctrl-C) or terminated: an ingest keeps the files it finished
`

func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	cli.HelpFlag = &cli.BoolFlag{Name: "help", Aliases: []string{"h"}, Usage: "show help"}
	app := &cli.App{
		Name:  "wat",
		Usage: "explain a value in your logs by the earlier requests that really caused it",
		Description: `wat reads the request logs you already have (Redis MONITOR, strace,
ZooKeeper's transaction and audit logs, S3 access logs, OpenTelemetry spans, JSON lines:
wat formats lists them) into a local SQLite trace store, replays each black box's model
over them, and explains a request's output by its wat-provenance (Whittaker et al.,
SoCC 2018): every minimal set of earlier requests that produces the same output however
the rest of the history is added back.

   wat ingest monitor.log
   wat explain --at monitor.log:4021 --output 17
   wat explain --at monitor.log:4021 --json | jq .

The store is ./wat.db unless --store (or --db, WAT_STORE, WAT_DB) names another file, or a
PostgreSQL database as a postgres:// URL.

` + exitCodesHelp,
		Reader:          stdin,
		Writer:          stdout,
		ErrWriter:       stderr,
		HideHelpCommand: true,
		Version:         version,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "store", Aliases: []string{"db"}, Value: "wat.db", EnvVars: []string{"WAT_STORE", "WAT_DB"},
				Usage: "the trace store: a SQLite `FILE`, or a PostgreSQL database named by a URL, postgres://USER@HOST/DB (add ?search_path=SCHEMA to keep several stores in one database)"},
			&cli.StringFlag{Name: "color", Value: "auto", Usage: "colour the text output: auto (on a terminal, unless NO_COLOR is set), always, never"},
		},
		Commands: []*cli.Command{
			initCommand(),
			ingestCommand(),
			explainCommand(),
			followCommand(),
			eventsCommand(),
			formatsCommand(),
			specsCommand(),
			sqlCommand(),
			sourcesCommand(),
			rmCommand(),
		},
		ExitErrHandler: func(*cli.Context, error) {}, // Main prints and exits
		OnUsageError:   onUsageError,
		CommandNotFound: func(c *cli.Context, name string) {
			fmt.Fprintf(c.App.ErrWriter, "wat: error: no command %q\nwat: hint: run 'wat --help' for the commands\n", name)
			cli.OsExiter(exitUsage)
		},
		Before: func(c *cli.Context) error {
			switch v := c.String("color"); v {
			case "auto", "always", "never":
				return nil
			default:
				return usageErr("run 'wat --help'", "--color %q: want auto, always or never", v)
			}
		},
	}
	// A command's usage error is one line on stderr, never its help on
	// stdout (urfave/cli prints the help unless the command handles it).
	for _, c := range app.Commands {
		c.OnUsageError = onUsageError
	}
	return app
}

// onUsageError turns a flag parsing error into a usage error with the
// command's help as its hint and, for a flag that does not exist, the
// closest one that does.
func onUsageError(c *cli.Context, err error, _ bool) error {
	name, flags := "wat", c.App.Flags
	if c.Command != nil && c.Command.Name != "" && c.Command.Name != c.App.Name {
		name, flags = "wat "+c.Command.Name, append(c.Command.Flags, c.App.Flags...)
	}
	hint := "run '" + name + " --help'"
	if bad, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: "); ok {
		bad = strings.TrimLeft(bad, "-")
		err = fmt.Errorf("unknown flag --%s", bad)
		if near := nearestFlag(bad, flags); near != "" {
			hint = "did you mean --" + near + "? (" + hint + ")"
		}
	}
	return usageErr(hint, "%v", err)
}

// nearestFlag returns the name among flags closest to bad: one that bad
// begins, or within two edits of it; "" when none is.
func nearestFlag(bad string, flags []cli.Flag) string {
	best, bestD := "", 3
	for _, f := range flags {
		for _, n := range f.Names() {
			d := editDistance(bad, n)
			if len(bad) >= 2 && strings.HasPrefix(n, bad) {
				d = 0 // a flag cut short
			}
			if d < bestD {
				best, bestD = n, d
			}
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, counting a
// swap of two neighbouring letters as one edit.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

var version = "0.1.0"

// readAction is the Action of a command that takes only flags and reads
// the store: it refuses arguments, opens the store read-only and runs run
// on it.
func readAction(run func(c *cli.Context, st *store.Store) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		if c.NArg() > 0 {
			return usageErr("run 'wat "+c.Command.Name+" --help'", "unexpected arguments %q", c.Args().Slice())
		}
		st, err := openStore(c.Context, envOf(c), true)
		if err != nil {
			return err
		}
		defer st.Close()
		return run(c, st)
	}
}

// An env is what every command runs with: its standard streams and the
// global flags.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	store          string // --store (or --db)
	color          string
	reader         string // wat sql --reader
}

// envOf reads a command's env from its context.
func envOf(c *cli.Context) env {
	return env{stdin: c.App.Reader, stdout: c.App.Writer, stderr: c.App.ErrWriter, store: c.String("store"), color: c.String("color")}
}

// openStore opens the store named by --store (or --db). Read-only
// commands need an existing store.
func openStore(ctx context.Context, e env, readOnly bool) (*store.Store, error) {
	path := e.store
	if readOnly && !store.IsPostgres(path) {
		if _, err := os.Stat(path); err != nil {
			return nil, withHint(fmt.Errorf("no trace store at %s", path), "run 'wat ingest LOGFILE' first, or point --db (or WAT_DB) at your store")
		}
	}
	open := func(readOnly bool) (*store.Store, error) {
		var trace io.WriteCloser // flushed and closed with the store
		if f := os.Getenv("WAT_TRACE_SQL"); f != "" {
			w, err := os.OpenFile(f, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
			if err != nil {
				return nil, fmt.Errorf("WAT_TRACE_SQL: %w", err)
			}
			trace = flushCloser{bufio.NewWriter(w), w}
		}
		s, err := store.Open(ctx, path, store.Options{Formats: allFormats, ReadOnly: readOnly, Reader: e.reader, TraceSQL: trace,
			Index: ingest.Options{Refs: refsBySystem(), Indexes: indexesBySystem()}.NewIndex})
		if err != nil && trace != nil {
			trace.Close()
		}
		return s, err
	}
	s, err := open(readOnly)
	if readOnly && errors.Is(err, store.ErrOlderStore) {
		// Made by an older wat: migrate it once, with write access,
		// then read it as asked.
		if rw, werr := open(false); werr == nil {
			rw.Close()
			s, err = open(true)
		} else {
			return nil, withHint(err, "whoever may write the store can migrate it by running this wat's 'wat ingest' on any file already in it (a file stored already is not stored again)")
		}
	}
	if errors.Is(err, store.ErrNotStore) {
		if store.IsPostgres(path) {
			return nil, withHint(err, "run 'wat ingest LOGFILE' into this database first, or name a schema of its own with ?search_path=SCHEMA")
		}
		return nil, withHint(err, "--db names a file that is not a wat store; pick another path")
	}
	if err != nil && store.IsPostgres(path) && !errors.Is(err, store.ErrNewerStore) {
		return nil, withHint(err, "check the URL and that the server accepts connections; wat creates its tables in the URL's database, in the first schema of search_path")
	}
	if errors.Is(err, store.ErrReadOnly) {
		return nil, withHint(err, "point --db (or WAT_DB) at a store you may write, or run as its owner")
	}
	if err == nil && s.Immutable() {
		fmt.Fprintf(e.stderr, "wat: note: %s is read-only to you: read as a file that does not change (an ingest running meanwhile is not seen)\n", safe(path))
	}
	return s, err
}

// specFor returns the spec of a system.
func specFor(system string) (provenance.Spec, error) {
	for _, s := range allSpecs {
		if s.System() == system {
			return s, nil
		}
	}
	return nil, fmt.Errorf("no spec for system %q: %w", system, provenance.ErrNotExplainable)
}

// refsBySystem gives ingest every spec's key extraction.
func refsBySystem() map[string]func(*formats.Event) []formats.Ref {
	m := map[string]func(*formats.Event) []formats.Ref{}
	for _, s := range allSpecs {
		m[s.System()] = s.Refs
	}
	return m
}

// indexesBySystem gives ingest the specs whose index of a file depends
// on its earlier lines.
func indexesBySystem() map[string]func() func(*formats.Event) []formats.Ref {
	m := map[string]func() func(*formats.Event) []formats.Ref{}
	for _, s := range allSpecs {
		if ix, ok := s.(provenance.Indexer); ok {
			m[s.System()] = ix.NewIndex
		}
	}
	return m
}

// reorder moves a command's flags in front of its positional arguments,
// so that flags work in any order (urfave/cli v2 stops parsing flags at
// the first positional argument), and reads "--at line 4021" as
// "--at 4021".
func reorder(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	out := []string{args[0]}
	i := 1
	// Global flags, then the command name.
	takesValue := func(flags []cli.Flag, arg string) (known, value bool) {
		name, _, inline := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		for _, f := range flags {
			for _, n := range f.Names() {
				if n == name {
					_, isBool := f.(*cli.BoolFlag)
					return true, !isBool && !inline
				}
			}
		}
		return false, false
	}
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "-" && args[i] != "--" {
		out = append(out, args[i])
		if _, v := takesValue(app.Flags, args[i]); v && i+1 < len(args) {
			out = append(out, args[i+1])
			i++
		}
		i++
	}
	if i >= len(args) {
		return out
	}
	var cmd *cli.Command
	for _, c := range app.Commands {
		if c.HasName(args[i]) {
			cmd = c
		}
	}
	name := args[i]
	i++
	if cmd == nil {
		return append(append(out, name), args[i:]...)
	}
	var globals, flags, pos []string
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		dst := &flags
		known, v := takesValue(cmd.Flags, a)
		if !known {
			if known, v = takesValue(app.Flags, a); known {
				dst = &globals
			}
		}
		*dst = append(*dst, a)
		if v && i+1 < len(args) {
			val := args[i+1]
			i++
			if strings.TrimLeft(a, "-") == "at" && val == "line" && i+1 < len(args) {
				val = args[i+1]
				i++
			}
			*dst = append(*dst, val)
		}
	}
	out = append(append(append(out, globals...), name), flags...)
	if len(pos) > 0 {
		out = append(out, "--")
		out = append(out, pos...)
	}
	return out
}

// blockWriter returns stdout as the commands write to it, and flush,
// which writes what is left: into a pipe or a file (not a terminal), in
// blocks of 64 KB, where a write for each line was most of the time of
// a long output (explain --all, the events of a hot key).
func blockWriter(stdout io.Writer) (io.Writer, func() error) {
	if isTerminal(stdout) {
		return stdout, func() error { return nil }
	}
	b := bufio.NewWriterSize(stdout, 64<<10)
	return b, b.Flush
}

// A flushCloser is a buffered file that Close flushes, then closes.
type flushCloser struct {
	*bufio.Writer
	f *os.File
}

func (w flushCloser) Close() error {
	err := w.Flush()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}
