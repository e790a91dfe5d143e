package provenancetest

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

var update = flag.Bool("update", false, "rewrite the want files of the golden archives (testdata/*.txtar) with what the spec answers")

// Golden explains, for each archive dir/*.txtar, the last request of its
// logs and compares the answer, rendered by Render, with the archive's
// "want" file; with -update it writes the answer there instead. Every
// other file of an archive is a log, read in order in the format logs
// gives for its name (ParseLog), as one trace. The archive's comment
// says what the case is about. opt.History, when set, makes the history
// (as for Check).
func Golden(t *testing.T, spec provenance.Spec, dir string, logs map[string]*formats.Format, opt Options) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no golden archives in %s", dir)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			a, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var evs []*formats.Event
			want := -1
			for i, af := range a.Files {
				if af.Name == "want" {
					want = i
					continue
				}
				f := logs[af.Name]
				if f == nil {
					t.Fatalf("%s: no format for the log %q", file, af.Name)
				}
				more, err := ParseLog(f, af.Name, af.Data)
				if err != nil {
					t.Fatalf("%s: %v", file, err)
				}
				for _, e := range more {
					e.ID = int64(len(evs) + 1)
					evs = append(evs, e)
				}
			}
			if len(evs) == 0 {
				t.Fatalf("%s: the logs hold no request to explain", file)
			}
			target, hist := evs[len(evs)-1], evs[:len(evs)-1]
			x, err := spec.Explain(context.Background(), opt.historyOf(spec)(hist), target)
			if err == nil {
				readHeld(x, evs)
			}
			got := Render(spec, x, err)
			if *update {
				if want < 0 {
					a.Files = append(a.Files, txtar.File{Name: "want"})
					want = len(a.Files) - 1
				}
				a.Files[want].Data = []byte(got)
				if err := os.WriteFile(file, txtar.Format(a), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if want < 0 {
				t.Fatalf("%s has no want file: run go test -update", file)
			}
			if w := string(a.Files[want].Data); w != got {
				t.Errorf("%s: the answer differs from the want file (go test -update rewrites it)\n--- got\n%s--- want\n%s", file, got, w)
			}
		})
	}
}

// readHeld reads x's held runs from the trace, as a store reads them
// whole: one more factor of one alternative, so that the answer shows
// their lines; and the stubs among its choices' events. A note says
// they were held.
func readHeld(x *provenance.Explanation, trace []*formats.Event) {
	stubs := 0
	for ci := range x.Choices {
		c := &x.Choices[ci]
		if c.Stubs != nil {
			evs := make([]*formats.Event, c.Len())
			for i := range evs {
				evs[i] = c.Event(i)
			}
			c.Events, c.Stubs = evs, nil
		}
		for i, e := range c.Events {
			if e.Stub {
				c.Events[i], stubs = trace[e.ID-1], stubs+1
			}
		}
	}
	if stubs > 0 {
		x.Notes = append(x.Notes, fmt.Sprintf("(golden: %d requests of choices held as stubs, read from the trace)", stubs))
	}
	if len(x.Held) == 0 {
		return
	}
	var alt []*formats.Event
	for _, e := range x.HeldStubs() {
		alt = append(alt, trace[e.ID-1])
	}
	x.Notes = append(x.Notes, fmt.Sprintf("(golden: %d runs held, %d requests, read from the trace)", len(x.Held), len(alt)))
	x.Factors, x.Held = append(x.Factors, provenance.Factor{alt}), nil
}

// Render writes an answer as the golden archives hold it: the output,
// whether it is exact, the number of witnesses and each witness as the
// file:line of its requests (at most 32 witnesses), the choices that
// stand for the witnesses too many to list, and the notes; or the error.
func Render(spec provenance.Spec, x *provenance.Explanation, err error) string {
	var b strings.Builder
	if err != nil {
		if errors.Is(err, provenance.ErrNotExplainable) {
			b.WriteString("not explainable: ")
		} else {
			b.WriteString("error: ")
		}
		fmt.Fprintf(&b, "%v\n", err)
		return b.String()
	}
	fmt.Fprintf(&b, "output: %s\n", strings.ReplaceAll(spec.ShowOutput(x.Output), "\n", "\n        "))
	fmt.Fprintf(&b, "exact: %v\n", x.Exact)
	fmt.Fprintf(&b, "witnesses: %v\n", x.Count())
	ws, _ := x.Witnesses(32)
	for _, w := range ws {
		b.WriteString(" ")
		if len(w) == 0 {
			b.WriteString(" (the empty witness)")
		}
		for _, e := range w {
			fmt.Fprintf(&b, " %s", e.Where())
		}
		b.WriteString("\n")
	}
	for _, c := range x.Choices {
		fmt.Fprintf(&b, "choice: %d of", c.K)
		for i := range c.Len() {
			fmt.Fprintf(&b, " %s", c.Event(i).Where())
		}
		if c.Caps != nil {
			fmt.Fprintf(&b, "; at most %v of the first 1, 2, ...", c.Caps)
		}
		b.WriteString("\n")
	}
	for _, n := range x.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	return b.String()
}

// ParseLog reads a log in format f as ingest does, one event a line (or
// several, for a parser that makes them): each event's Source is name,
// its Line the line's number and its ID its place in the log, from 1.
func ParseLog(f *formats.Format, name string, data []byte) ([]*formats.Event, error) {
	p := f.NewParser()
	if pp, ok := p.(formats.PathParser); ok {
		pp.SetPath(name)
	}
	var evs []*formats.Event
	if len(data) == 0 {
		return nil, nil
	}
	for i, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		e := &formats.Event{}
		r, err := p.Parse(line, e)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, i+1, err)
		}
		if r != formats.IsEvent {
			continue
		}
		if a, ok := p.(formats.Annotator); ok {
			a.Annotate(e)
		}
		e.Source, e.Line, e.ID = name, i+1, int64(len(evs)+1)
		if e.System == "" {
			e.System = f.System
		}
		evs = append(evs, e)
	}
	return evs, nil
}
