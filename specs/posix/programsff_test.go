package posix_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
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
// decides replays them with its last writers in the witnesses (or, for
// a pipe read that waited for a write, shows them unknown: see
// checkProgram), and the replay of the whole merged trace gives every
// call the output strace printed (or says it cannot know it).
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
	replies, differ, inFlight := 0, 0, 0
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
				switch logged := same.LoggedOutput(e); {
				case same.SameOutput(logged, o):
				case overlapsAnother(evs, e):
					// Another process's call ran while this one did
					// (-T): the files give their starts, not which took
					// effect first. wat explain labels a replay that
					// differs from the logged reply not exact.
					inFlight++
					t.Logf("%s %s: order undetermined (another process's call overlaps it): replayed %.80s, strace printed %.80s", e.Where(), e.Op, o, logged)
				default:
					differ++
					t.Errorf("%s %s: replayed %.150s, strace printed %.150s", e.Where(), e.Op, o, logged)
				}
			}
			got := checkProgram(t, evs, true)
			t.Logf("%s (%d files): %s", name, len(progs[name]), got)
			all.add(got)
		})
	}
	if inFlight*100 > replies {
		t.Errorf("strace -ff: %d of %d replies differ where another process's call overlaps them: more than the odd one a loaded machine makes", inFlight, replies)
	}
	t.Logf("all programs, strace -ff: %d replies, %d differ, %d more differ where another process's call overlaps them; %s", replies, differ, inFlight, all)
}

// overlapsAnother tells whether another process's call that may touch a
// file ran while e did: their times (-tt, the start) and durations (-T,
// "<0.000020>" at the line's end) overlap.
func overlapsAnother(evs []*formats.Event, e *formats.Event) bool {
	span := func(x *formats.Event) (int64, int64) {
		r := string(x.Raw)
		i := strings.LastIndexByte(r, '<')
		d, err := strconv.ParseFloat(strings.TrimSuffix(r[i+1:], ">"), 64)
		if i < 0 || err != nil {
			return x.Time, x.Time
		}
		return x.Time, x.Time + int64(d*1e9)
	}
	inert := map[string]bool{"wait4": true, "waitid": true, "vfork": true, "fork": true, "clone": true, "clone3": true, "futex": true,
		"rt_sigprocmask": true, "rt_sigsuspend": true, "rt_sigaction": true, "nanosleep": true, "clock_nanosleep": true,
		"epoll_wait": true, "epoll_pwait": true, "poll": true, "ppoll": true, "select": true, "pselect6": true}
	s, end := span(e)
	for _, x := range evs {
		if x.Client == e.Client || inert[x.Op] {
			continue // waiting for a child, a signal, a lock: it touches no file
		}
		if xs, xe := span(x); xs <= end && s <= xe {
			return true
		}
	}
	return false
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
