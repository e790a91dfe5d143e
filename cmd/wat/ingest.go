package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/formats/jsonlines"
	"github.com/wat-project/wat/ingest"
	"github.com/wat-project/wat/ingest/store"
)

func ingestCommand() *cli.Command {
	return &cli.Command{
		Name:      "ingest",
		Usage:     "read log files into the trace store",
		ArgsUsage: "FILE... (or - for standard input)",
		Description: `Reads each file (plain or gzip, detected by its first bytes; - is standard input)
and stores every line: as an event, as a rejected line with the reason, or as a
counted non-event (redis-cli's leading OK, blank lines). The format is detected
from the first lines unless --format names it ('wat formats' lists them).

A file whose content is already stored (same SHA-256 of its content,
decompressed, whatever its name) and read the same way is skipped; read another
way (another --format, --mapping or --instance) it replaces the earlier ingest.
A file that begins with all an earlier ingest of its log held (mon.log grown
since, or rotated to mon.log.1) goes on from it when it is the newest file
stored (only the new lines are read), and replaces it otherwise; a path ingested
again with other content replaces its earlier ingest. A file that begins or
ends with lines an earlier file of its instance ends or begins with (a capture
cut into files that share lines) stores those lines once. --force stores a file
as a new one in every case. Standard input ingested again is named -#2, -#3...
Each file is one transaction: an interrupted ingest stores nothing of that file.

Each file belongs to an instance of its system (one Redis server, one machine),
and a request is explained from its own instance's history only. A MONITOR or
strace capture is by default its own instance, named by its path without
rotation suffixes (mon.log.2.gz, mon.log.1 and mon.log are mon.log); --instance
names it (files of other names from one server). Other formats' files join
every instance. Within an instance the files go in time order: the rotated
files named in one ingest are taken oldest first, and a file whose requests all
come before those of files of its instance ingested earlier is put before them,
and files of one instance whose clocks overlap (strace -ff's per-process files)
are merged by time: stored interleaved by their timestamps, each file's own
order kept. A timestamp says when a call began, not when it ended, so an answer
over several strace files of one instance, merged or not, is labelled not exact
where two of its calls may have run in the other order (wat explain names
them). Several files named in one ingest are put in order once, after all of
them are stored.
A summary per file goes to standard error, with the first rejected lines as
file:line: reason.

JSON-lines logs: a line is a request to a black box when a --mapping rule maps
it, or when it names a system and an op in the canonical vocabulary (see the
README). Other JSON lines are counted as unmapped, with the first few reasons.
--mapping takes a file, or the name of a mapping wat ships (` + "`" + `calls` + "`" + `: kind
redis.call / s3.call lines); every *.json in $WAT_MAPPINGS (default
~/.config/wat/mappings) is read after them. With none, a shipped mapping for
logs as libraries write them (slog, zap, structlog, Python's logging with
python-json-logger, pino: Redis commands a client logged, and the HTTP
requests logged when they complete) is used when its rules map the file's
first lines; the summary names it, and how many events each rule made.
OpenTelemetry spans (OTLP JSON from the Collector's file exporter, the Go
SDK's stdouttrace) are read with the shipped otel mapping, after any
--mapping's rules. A service's records of its calls are linked to the
black box's own log when it is ingested too (a MONITOR capture), and
stand in for it when it is not.

Examples:
   wat ingest monitor.log
   redis-cli monitor | head -n 100000 | wat ingest --format redis-monitor -
   wat ingest --mapping calls app.log`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Usage: "the log `FORMAT` (default: detected)"},
			&cli.BoolFlag{Name: "force", Usage: "store each file as a new one: even when its content is stored already, or it has a stored file's path"},
			&cli.StringFlag{Name: "instance", Usage: "the files are of instance `NAME` of their system (one Redis server, one machine); default: a MONITOR or strace file's name without rotation suffixes (mon.log.1 and mon.log are mon.log), none for other formats"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print nothing but errors"},
			&cli.BoolFlag{Name: "strict", Usage: "fail (exit 4) when any line cannot be read"},
			&cli.StringSliceFlag{Name: "mapping", Usage: "JSON-lines mapping `FILE` or shipped name (repeatable)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usageErr("run 'wat ingest --help'", "ingest needs at least one file (or - for standard input)")
			}
			return runIngest(c.Context, envOf(c), ingestOptions{files: c.Args().Slice(), format: c.String("format"),
				force: c.Bool("force"), instance: c.String("instance"), quiet: c.Bool("quiet"), strict: c.Bool("strict"),
				mappings: c.StringSlice("mapping")})
		},
	}
}

// ingestOptions are wat ingest's arguments and flags.
type ingestOptions struct {
	files         []string
	format        string
	force         bool
	instance      string
	quiet, strict bool
	mappings      []string
}

// runIngest ingests the files, each in its own transaction, with a
// summary (or a progress bar on a terminal) on standard error.
func runIngest(ctx context.Context, e env, opt ingestOptions) error {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		// Ingest's index maps live long, and every line allocates:
		// collecting half as often is faster (5% on the generated
		// 10M-line log), and the soft limit keeps the heap from
		// growing three times what is live (SQLite's 64 MB cache is
		// besides). The store bounds what is live (maxLists), so the
		// limit does not make the collector run all the time.
		defer debug.SetGCPercent(debug.SetGCPercent(200))
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(150 << 20))
	}
	iopt := ingest.Options{Formats: allFormats, Refs: refsBySystem(), Indexes: indexesBySystem(), Force: opt.force,
		Instance: opt.instance}
	if opt.format != "" {
		f, err := formats.Lookup(opt.format, allFormats)
		if err != nil {
			return usageErr("run 'wat formats' for the names", "%v", err)
		}
		iopt.Format = f
	}
	config, err := loadMappings(opt.mappings)
	if err != nil {
		return err
	}
	if config != nil {
		iopt.Config = map[string][]byte{jsonlines.Format.Name: config}
	}
	// Open every file first: a typo in the last name should not cost the
	// time of ingesting the others.
	type input struct {
		name string
		r    io.Reader
		size int64
	}
	var ins []input
	// A log's files go oldest first, as 'mon.log*' does not list them:
	// rotated ones highest number first, strace -ff's per-process ones by
	// process id.
	names := formats.RotationOrder(opt.files)
	if !slices.Equal(names, opt.files) && !opt.quiet {
		fmt.Fprintf(e.stderr, "wat: note: the files of one log go oldest first: %s\n", safe(strings.Join(names, " ")))
	}
	for _, name := range names {
		if name == "-" {
			ins = append(ins, input{"-", e.stdin, 0})
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("open %s: %w", name, unwrapPath(err))
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		if fi.IsDir() {
			return usageErr("name the log files inside it", "%s is a directory", name)
		}
		ins = append(ins, input{name, f, fi.Size()})
	}
	st, err := openStore(ctx, e, false)
	if err != nil {
		return err
	}
	defer st.Close()
	tty := isTerminal(e.stderr) && !opt.quiet
	var rejected int64
	// Several files are put in time order once, after them all.
	iopt.DeferOrder = len(ins) > 1
	type log struct{ instance, format string }
	var logs []log
	for _, in := range ins {
		o := iopt
		done := func() {}
		if tty {
			o.Progress, done = progress(e.stderr, in.name)
		}
		sum, err := ingest.Ingest(ctx, st, in.name, in.r, in.size, o)
		done()
		if err != nil {
			return err
		}
		rejected += sum.Rejected
		if !opt.quiet {
			printSummary(e.stderr, sum)
		}
		if l := (log{sum.Instance, sum.Format}); !sum.Duplicate && !slices.Contains(logs, l) {
			logs = append(logs, l)
		}
	}
	for _, l := range logs {
		if !iopt.DeferOrder {
			break
		}
		placed, err := st.Order(ctx, l.instance, l.format)
		if err != nil {
			return err
		}
		if !opt.quiet {
			printPlaced(e.stderr, placed)
		}
	}
	if rejected > 0 && opt.strict {
		return &exitError{code: exitRejected, err: fmt.Errorf("%d lines could not be read (--strict)", rejected),
			hint: "list them with: wat sql 'SELECT * FROM reject_view'"}
	}
	return nil
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// printPlaced says which files were stored again to keep their
// instance's trace in time order.
func printPlaced(w io.Writer, placed []store.Placed) {
	for _, g := range placed {
		var names []string
		for _, src := range g {
			names = append(names, safe(src.Path))
		}
		if len(g) > 1 {
			fmt.Fprintf(w, "wat: note: %s are of one instance and their clocks overlap: merged by time\n", strings.Join(names, ", "))
		} else {
			fmt.Fprintf(w, "wat: note: %s goes after the files of its instance whose requests are earlier: stored again after them\n", names[0])
		}
	}
}

func printSummary(w io.Writer, s *ingest.Summary) {
	if s.Duplicate {
		fmt.Fprintf(w, "%s: already stored (same content as %s); skipped (--force ingests it again)\n", safe(s.Path), safe(s.DuplicateOf))
		return
	}
	rate := float64(s.Lines) / s.Elapsed.Seconds()
	format := s.Format
	if format == "" {
		format = "empty"
	}
	path := safe(s.Path)
	if s.Mapping != "" {
		fmt.Fprintf(w, "%s: no --mapping given: read with the shipped mapping %s, whose rules map its lines (wat ingest --mapping %s names it)\n", path, s.Mapping, s.Mapping)
	}
	if c := s.Continued; c != nil {
		fmt.Fprintf(w, "%s: it goes on from its earlier ingest (%d lines, as %s): only the %d lines after them were read\n", path, c.Lines, safe(c.Path), s.Read)
	}
	for _, r := range s.Replaced {
		switch r.Why {
		case "grew":
			fmt.Fprintf(w, "%s: it begins with all of %s as ingested (%d lines: the log grew since), which it replaces\n", path, safe(r.Path), r.Lines)
		case "changed":
			fmt.Fprintf(w, "%s: it replaces its earlier ingest (%d lines), whose content it no longer has (--force keeps both)\n", path, r.Lines)
		default:
			fmt.Fprintf(w, "%s: the same content as %s, read another way (format, mapping or instance): it replaces that ingest\n", path, safe(r.Path))
		}
	}
	if s.Shared > 0 {
		fmt.Fprintf(w, "%s: its first %d events are lines %d-%d of %s, stored already: skipped, so that they count once\n", path, s.Shared, s.SharedFrom, s.SharedTo, safe(s.SharedWith.Path))
	}
	if s.SharedEnd > 0 {
		fmt.Fprintf(w, "%s: its last %d events are lines %d-%d of %s, stored already: skipped, so that they count once\n", path, s.SharedEnd, s.SharedEndFrom, s.SharedEndTo, safe(s.SharedEndWith.Path))
	}
	printPlaced(w, s.Placed)
	fmt.Fprintf(w, "%s: %s, %d lines: %d events, %d rejected, %d skipped, in %s (%.0f lines/s, %.1f MB/s)\n",
		path, format, s.Lines, s.Events, s.Rejected, s.Skipped, s.Elapsed.Round(time.Millisecond), rate,
		float64(s.Bytes)/1e6/s.Elapsed.Seconds())
	for _, r := range s.Rejects {
		fmt.Fprintf(w, "%s:%d: rejected: %s\n", path, r.Line, safe(r.Reason))
	}
	for _, r := range s.Rules {
		fmt.Fprintf(w, "%s: %d events by the rule %q\n", path, r.Events, r.Rule)
	}
	if s.Dropped > 0 {
		fmt.Fprintf(w, "%s: %d %s were not stored\n", path, s.Dropped, s.DroppedWhy)
	}
	if s.Unmapped > 0 {
		fmt.Fprintf(w, "%s: %d of the skipped lines are unmapped (JSON, but no request wat knows)\n", path, s.Unmapped)
		for _, r := range s.Unmaps {
			fmt.Fprintf(w, "%s:%d: %s\n", path, r.Line, safe(r.Reason))
		}
	}
	if more := s.Rejected - int64(len(s.Rejects)); more > 0 {
		fmt.Fprintf(w, "%s: ... and %d more rejected lines (wat sql \"SELECT * FROM reject_view WHERE file = '%s'\")\n", path, more, safe(strings.ReplaceAll(s.Path, "'", "''")))
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress shows a file's ingest on a terminal: a bar of the bytes read
// (a spinner when the size is unknown, as for standard input), the lines
// stored so far, the rate and the time left, redrawn at most ten times a
// second; done clears it. (It is drawn here rather than by a progress bar
// library: the one used before linked net/http into wat, and its start-up
// cost every command about 4 ms.)
func progress(w io.Writer, name string) (update func(read, total, lines int64), done func()) {
	return progressSince(w, name, time.Now())
}

// progressSince is progress of an ingest begun at start: the rate and
// the time left are shown from a second in.
func progressSince(w io.Writer, name string, start time.Time) (update func(read, total, lines int64), done func()) {
	const width = 30 // the bar's, in cells
	var drawn time.Time
	shown := 0 // the cells of the line on the screen
	spins := 0
	update = func(read, total, lines int64) {
		now := time.Now()
		if !drawn.IsZero() && now.Sub(drawn) < 100*time.Millisecond {
			return
		}
		drawn = now
		rate := 0.0 // bytes a second, unknown in the first second
		if secs := now.Sub(start).Seconds(); secs >= 1 {
			rate = float64(read) / secs
		}
		speed := ""
		if rate > 0 {
			speed = ", " + megabytes(rate) + " MB/s"
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s: %d lines ", safe(name), lines)
		if total > 0 {
			read := min(read, total)
			cells := int(read * width / total)
			fmt.Fprintf(&b, "%3d%% |%s%s| (%s/%s MB%s)", read*100/total,
				strings.Repeat("█", cells), strings.Repeat(" ", width-cells), megabytes(float64(read)), megabytes(float64(total)), speed)
			if rate > 0 && read < total {
				fmt.Fprintf(&b, " %s left", time.Duration(float64(total-read)/rate*float64(time.Second)).Round(time.Second))
			}
		} else {
			spins++
			fmt.Fprintf(&b, "%c (%s MB%s)", `|/-\`[spins%4], megabytes(float64(read)), speed)
		}
		line := b.String()
		n := utf8.RuneCountInString(line)
		fmt.Fprintf(w, "\r%s%s", line, strings.Repeat(" ", max(shown-n, 0)))
		shown = n
	}
	done = func() {
		if shown > 0 {
			fmt.Fprintf(w, "\r%s\r", strings.Repeat(" ", shown))
		}
	}
	return update, done
}

// megabytes formats a count of bytes in MB (10^6): one decimal below 10.
func megabytes(n float64) string {
	if mb := n / 1e6; mb < 10 {
		return strconv.FormatFloat(mb, 'f', 1, 64)
	}
	return strconv.FormatFloat(n/1e6, 'f', 0, 64)
}

// loadMappings reads the --mapping files (or shipped mappings by name),
// then every *.json in the mappings directory, and returns them merged as
// one stored configuration; nil when there are none.
func loadMappings(names []string) ([]byte, error) {
	var all []*jsonlines.Mapping
	read := func(name string, b []byte) error {
		m, err := jsonlines.ParseMapping(b)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		all = append(all, m)
		return nil
	}
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			sb, ok := jsonlines.ShippedMapping(name)
			if !ok {
				return nil, usageErr(fmt.Sprintf("give a mapping file, or one of the shipped mappings: %s", strings.Join(jsonlines.Shipped(), ", ")),
					"mapping %s: %v", name, unwrapPath(err))
			}
			b = sb
		}
		if err := read(name, b); err != nil {
			return nil, err
		}
	}
	dir := os.Getenv("WAT_MAPPINGS")
	if dir == "" {
		if cfg, err := os.UserConfigDir(); err == nil {
			dir = filepath.Join(cfg, "wat", "mappings")
		}
	}
	if dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		sort.Strings(files)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			if err := read(f, b); err != nil {
				return nil, err
			}
		}
	}
	if len(all) == 0 {
		return nil, nil
	}
	all[0].Merge(all[1:]...)
	return all[0].Encode(), nil
}
