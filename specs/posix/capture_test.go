package posix_test

import (
	"bufio"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/formats/strace"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/posix"
)

// TestRealCaptureReads is ground truth from real programs: on the real
// strace capture (formats/strace/testdata/capture.sh), every read of the
// scratch directory's files replays to the bytes strace printed.
func TestRealCaptureReads(t *testing.T) {
	for _, name := range []string{"trace.log", "plain.log"} {
		t.Run(name, func(t *testing.T) { checkCapture(t, "../../formats/strace/testdata/"+name) })
	}
}

// checkCapture ingests a capture as wat ingest does (annotating fds with
// the paths earlier lines showed) and checks every read of the scratch
// files.
func checkCapture(t *testing.T, file string) {
	trace := readTrace(t, file, file, false)
	h := &provenance.MemHistory{Events: trace, Refs: posix.Spec.Refs}
	checked := 0
	for _, e := range trace {
		if e.Op != "read" || len(e.Args) == 0 || !strings.Contains(string(e.Args[0]), "/work/cfg/") {
			continue
		}
		x, err := posix.Spec.Explain(context.Background(), h, e)
		if err != nil {
			t.Fatalf("%s: %v", e.Where(), err)
		}
		if logged := same.LoggedOutput(e); !same.SameOutput(logged, x.Output) {
			t.Errorf("%s: replayed %s, strace printed %s", e.Where(), x.Output, logged)
		}
		if strings.Contains(string(x.Output), `\?`) {
			t.Errorf("%s: bytes the trace wrote are unknown: %s", e.Where(), x.Output)
		}
		checked++
	}
	if checked < 5 {
		t.Fatalf("only %d reads checked", checked)
	}
	t.Logf("%d reads of the scratch files replayed to the bytes strace printed", checked)
}

// readTrace parses the strace log at path as wat ingest does, annotating
// fds with the paths earlier lines showed: its events, numbered from 1,
// from source. With strict, a line that does not parse fails the test;
// otherwise it is passed over.
func readTrace(t *testing.T, path, source string, strict bool) []*formats.Event {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := strace.NewParser()
	var evs []*formats.Event
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		var ev formats.Event
		r, err := p.Parse(sc.Bytes(), &ev)
		if err != nil && strict {
			t.Fatalf("line %d: %v: %s", line, err, sc.Text())
		}
		if err != nil || r != formats.IsEvent {
			continue
		}
		p.(formats.Annotator).Annotate(&ev)
		ev.ID, ev.Line, ev.Source = int64(len(evs)+1), line, source
		evs = append(evs, &ev)
	}
	return evs
}

// same compares a read's replayed output with what strace printed.
var same = posix.Spec.(interface {
	LoggedOutput(*formats.Event) []byte
	SameOutput([]byte, provenance.Output) bool
})
