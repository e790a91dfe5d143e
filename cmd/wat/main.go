// Command wat explains a value in a log by its wat-provenance: the
// minimal sets of earlier requests that really caused it.
//
//	wat ingest monitor.log
//	wat explain --at monitor.log:4021 --output 17
//
// Run 'wat --help' for the commands and 'wat COMMAND --help' for each.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"

	"github.com/wat-project/wat/ingest"
	"github.com/wat-project/wat/ingest/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// WAT_CPUPROFILE=FILE writes a CPU profile of the run (for go tool
	// pprof), for whoever measures where wat spends its time.
	if path := os.Getenv("WAT_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			defer f.Close()
			defer pprof.StopCPUProfile()
		}
	}
	// WAT_MEMPROFILE=FILE writes a profile of every allocation of the
	// run (by default the runtime records one in 512 KB: the small
	// arrays that add up went unseen).
	memProfile := os.Getenv("WAT_MEMPROFILE")
	if memProfile != "" {
		runtime.MemProfileRate = 1
	}
	code := Main(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if path := memProfile; path != "" {
		runtime.GC() // the profile holds what the last collection saw
		if f, err := os.Create(path); err == nil {
			pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
	}
	if code != exitOK {
		pprof.StopCPUProfile()
		os.Exit(code)
	}
}

// Main runs wat and returns its exit code. It is the one place that
// prints errors.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	stdout, flush := blockWriter(stdout)
	app := newApp(stdin, stdout, stderr)
	err := app.RunContext(ctx, reorder(app, args))
	if ferr := flush(); ferr != nil && err == nil {
		err = fmt.Errorf("writing the output: %w", ferr)
	}
	if err == nil {
		return exitOK
	}
	if ctx.Err() != nil {
		// A signal ended the work, whatever error that made on its way
		// out ("context canceled", a statement closed under it): the
		// usual exit code of a program stopped by Ctrl-C.
		fmt.Fprintln(stderr, "wat: interrupted")
		return exitSignal
	}
	var ee *exitError
	if !errors.As(err, &ee) {
		ee = &exitError{code: exitError1, err: err}
		if isUsage(err) {
			ee.code = exitUsage
		}
		if store.IsCorrupt(err) {
			ee.hint = "the store file is damaged (sqlite3 FILE 'PRAGMA integrity_check' lists where); ingest the logs again into a new --db"
		}
		if errors.Is(err, ingest.ErrAllRejected) {
			ee.hint = "is it in that format? 'wat formats' lists the formats; without --format wat detects it"
		}
		if store.IsFull(err) {
			ee.hint = "the store's disk is full (or its file size limit reached): the file being ingested was not stored, files before it were; free space or point --db elsewhere, and run the ingest again"
		}
	}
	if ee.err != nil {
		fmt.Fprintf(stderr, "wat: error: %s\n", oneLine(ee.err.Error()))
	}
	if ee.hint != "" {
		fmt.Fprintf(stderr, "wat: hint: %s\n", ee.hint)
	}
	return ee.code
}
