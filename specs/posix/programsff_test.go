package posix_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/formats/strace"
	"github.com/wat-project/wat/ingest"
	"github.com/wat-project/wat/ingest/store"
	"github.com/wat-project/wat/specs/posix"
)

// TestProgramsFF runs the programs under strace -ff, as a daemon's
// capture often is: a file per process (NAME.strace.PID), no pid on the
// lines, no "<unfinished ...>" halves, each process's calls in its own
// file. Each program's files are ingested into a real store, which
// merges them by their clocks (-tt), and the store's trace is checked as
// TestPrograms checks one file's: every read whose bytes the trace
// decides replays them with its last writers in the witnesses, and the
// replay of the whole merged trace gives every call the output strace
// printed (or says it cannot know it).
func TestProgramsFF(t *testing.T) {
	needPrograms(t)
	out := t.TempDir()
	if b, err := exec.Command("sh", "testdata/programs/programs.sh", out, "-ff", "-tt", "-T", "-yy", "-s", "65536").CombinedOutput(); err != nil {
		t.Fatalf("programs.sh: %v\n%s", err, b)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*.strace.*"))
	progs := map[string][]string{}
	for _, f := range files {
		name, _, _ := strings.Cut(filepath.Base(f), ".strace.")
		progs[name] = append(progs[name], f)
	}
	if len(progs) < 9 {
		t.Fatalf("programs.sh -ff made traces of %d programs", len(progs))
	}
	var all tally
	replies, differ := 0, 0
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for n := range progs {
			if !yield(n) {
				return
			}
		}
	}) {
		t.Run(name, func(t *testing.T) {
			evs := ingestFF(t, progs[name])
			m := posix.Model{}
			st := m.Init()
			for _, e := range evs {
				o := m.Apply(st, e)
				if o == "" || e.Op == "SIGNAL" {
					continue
				}
				replies++
				if logged := same.LoggedOutput(e); !same.SameOutput(logged, o) {
					differ++
					t.Errorf("%s %s: replayed %.150s, strace printed %.150s", e.Where(), e.Op, o, logged)
				}
			}
			got := checkProgram(t, evs)
			t.Logf("%s (%d files): %s", name, len(progs[name]), got)
			all.add(got)
		})
	}
	t.Logf("all programs, strace -ff: %d replies, %d differ; %s", replies, differ, all)
}

// ingestFF ingests a program's -ff files into a new SQLite store, as wat
// ingest does, and returns the store's posix events in trace order,
// numbered from 1.
func ingestFF(t *testing.T, files []string) []*formats.Event {
	t.Helper()
	ctx := context.Background()
	opt := ingest.Options{Format: strace.Format, Formats: []*formats.Format{strace.Format},
		Refs: map[string]func(*formats.Event) []formats.Ref{"posix": posix.Spec.Refs}}
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "ff.db"), store.Options{Formats: opt.Formats, Index: opt.NewIndex})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, f := range files {
		in, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := in.Stat()
		_, err = ingest.Ingest(ctx, s, f, in, fi.Size(), opt)
		in.Close()
		if err != nil {
			t.Fatalf("ingest %s: %v", f, err)
		}
	}
	evs, err := s.Events(ctx, store.Filter{System: "posix"})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range evs {
		e.ID = int64(i + 1)
	}
	return evs
}
