package posix_test

import (
	"context"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
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
	trace := readTrace(t, file, file, false, true)
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

// same compares a read's replayed output with what strace printed.
var same = posix.Spec.(interface {
	LoggedOutput(*formats.Event) []byte
	SameOutput([]byte, provenance.Output) bool
})
