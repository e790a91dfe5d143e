package posix_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/posix"
)

// program writes then reads a config file from two threads, hands it to
// a forked child that sends it back through a pipe, and reads it again
// with readv and writes it out with writev.
const program = `
import os, sys, threading
os.chdir(sys.argv[1])
with open("conf.txt", "w") as f:
    f.write("a=1\n")
def worker():
    with open("conf.txt", "a") as f:
        f.write("b=2\n")
t = threading.Thread(target=worker); t.start(); t.join()
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    os.write(w, open("conf.txt").read().encode())
    os._exit(0)
os.close(w)
got = os.read(r, 100)
os.waitpid(pid, 0)
os.rename("conf.txt", "old.txt")
fd = os.open("old.txt", os.O_RDONLY)
os.unlink("old.txt")
os.readv(fd, [bytearray(3), bytearray(5)])
out = os.open("out.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
os.writev(out, [b"x=", got])
os.close(out)
print(open("out.txt").read(), end="")
`

// TestLivePrograms is ground truth from real programs run under strace
// (as the issue asks, -f -tt -T -s 256, no -y): every read of the
// program's files that strace shows the data of replays to those bytes.
// It skips only when strace or python3 is missing and WAT_REQUIRE_LIVE
// is unset.
func TestLivePrograms(t *testing.T) {
	needPrograms(t, "strace", "python3")
	var evs []*formats.Event
	work := t.TempDir()
	if trace, out := straceRun(t, program, nil, work); out != "x=a=1\nb=2\n" {
		t.Fatalf("the program printed %q", out)
	} else {
		evs = readTrace(t, trace, "trace.log", true, true)
	}
	h := &provenance.MemHistory{Events: evs, Refs: posix.Spec.Refs}
	checked := map[string]int{}
	for _, e := range evs {
		if (e.Op != "read" && e.Op != "readv") || len(e.Args) == 0 || !strings.Contains(string(e.Args[0]), work+"/") {
			continue
		}
		x, err := posix.Spec.Explain(context.Background(), h, e)
		if err != nil {
			t.Fatalf("%s: %v", e.Where(), err)
		}
		if logged := same.LoggedOutput(e); !same.SameOutput(logged, x.Output) || strings.Contains(string(x.Output), `\?`) {
			t.Errorf("%s %s: replayed %s, strace printed %s", e.Where(), e.Op, x.Output, logged)
		}
		checked[e.Op]++
	}
	if checked["read"] < 3 || checked["readv"] != 1 {
		t.Fatalf("checked %v: the program's reads were not all found", checked)
	}
	t.Logf("reads checked against strace: %v", checked)
}

// straceRun runs a Python program with args under strace -f -tt -T
// -s 256 and flags, and returns its trace's file and what it printed.
func straceRun(t *testing.T, program string, flags []string, args ...string) (trace, out string) {
	t.Helper()
	dir := t.TempDir()
	script := filepath.Join(dir, "prog.py")
	if err := os.WriteFile(script, []byte(program), 0o644); err != nil {
		t.Fatal(err)
	}
	trace = filepath.Join(dir, "trace.log")
	argv := append(append([]string{"-f", "-tt", "-T", "-s", "256"}, flags...), "-o", trace, "python3", script)
	b, err := exec.Command("strace", append(argv, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("strace: %v: %s", err, b)
	}
	return trace, string(b)
}

// eventfdProgram counts on two eventfds as an event loop does: a
// non-blocking one that finds it empty, adds 3 and 4, takes 7, takes the
// 5 that a thread adds one at a time; and a semaphore that holds 2, which
// reads take one at a time until it is empty.
const eventfdProgram = `
import os, threading
fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
try:
    os.eventfd_read(fd)
except BlockingIOError:
    print("empty")
os.eventfd_write(fd, 3)
os.eventfd_write(fd, 4)
print(os.eventfd_read(fd))
def worker():
    for i in range(5):
        os.eventfd_write(fd, 1)
t = threading.Thread(target=worker); t.start(); t.join()
print(os.eventfd_read(fd))
s = os.eventfd(2, os.EFD_SEMAPHORE | os.EFD_NONBLOCK)
print(os.eventfd_read(s), os.eventfd_read(s))
try:
    os.eventfd_read(s)
except BlockingIOError:
    print("empty")
`

// TestLiveEventfd: every read of a real program's eventfds (Python's
// os.eventfd under strace -f -yy) replays to what strace printed, its
// count or EAGAIN, and the read that takes what a thread added has every
// one of the thread's writes in every witness. Without -y, no read
// replays to another count than strace printed: to it or to unknown
// bytes, and an EAGAIN is not explainable.
func TestLiveEventfd(t *testing.T) {
	needPrograms(t, "strace", "python3")
	for _, flags := range [][]string{{"-yy"}, nil} {
		t.Run(strings.Join(append([]string{"strace"}, flags...), " "), func(t *testing.T) {
			trace, out := straceRun(t, eventfdProgram, flags)
			if out != "empty\n7\n5\n1 1\nempty\n" {
				t.Fatalf("the program printed %q", out)
			}
			evs := readTrace(t, trace, "trace.log", true, true)
			h := &provenance.MemHistory{Events: evs, Refs: posix.Spec.Refs}
			// The eventfds' fds, from the eventfd2 calls to their closes
			// (without -y, other files' fds have the same numbers).
			live := map[string]bool{}
			made, reads, refused, ones := 0, 0, 0, 0
			var writes []int64 // the thread's writes of 1 since the last read
			for _, e := range evs {
				if e.Op == "eventfd2" {
					fd, _, _ := strings.Cut(string(e.Reply), "<")
					live[fd], made = true, made+1
					continue
				}
				if len(e.Args) < 2 || string(e.Reply) == formats.ReplyUnfinished {
					continue
				}
				fd, _, _ := strings.Cut(string(e.Args[0]), "<")
				if !live[fd] {
					continue
				}
				switch {
				case e.Op == "close":
					delete(live, fd)
				case e.Op == "write" && string(e.Args[1]) == "\x01\x00\x00\x00\x00\x00\x00\x00":
					writes = append(writes, e.ID)
				case e.Op == "read":
					x, err := posix.Spec.Explain(context.Background(), h, e)
					if flags == nil && strings.HasPrefix(string(e.Reply), "-1 EAGAIN") && errors.Is(err, provenance.ErrNotExplainable) {
						// Without -y, nothing says it is not a socket's.
						refused++
						continue
					}
					if err != nil {
						t.Fatalf("%s: %v", e.Where(), err)
					}
					logged := same.LoggedOutput(e)
					switch unknown := strings.Contains(string(x.Output), `\?`); {
					case !same.SameOutput(logged, x.Output):
						t.Errorf("%s: replayed %s, strace printed %s", e.Where(), x.Output, logged)
					case unknown && flags != nil:
						t.Errorf("%s: replayed %s, not the count strace printed, %s", e.Where(), x.Output, logged)
					case unknown:
						// Without -y, the read's history is its fd number's:
						// the eventfd2 that bound it is not found (boundPaths
						// looks for opens), and the count is unknown.
						continue
					}
					reads++
					if len(writes) == 5 {
						ones++
						ws, _ := x.Witnesses(100)
						for _, w := range ws {
							held := map[int64]bool{}
							for _, we := range w {
								held[we.ID] = true
							}
							for _, id := range writes {
								if !held[id] {
									t.Errorf("%s: a witness without the write at event %d, of the five it adds up", e.Where(), id)
								}
							}
						}
					}
					writes = nil
				}
			}
			if made != 2 {
				t.Fatalf("%d eventfd2 calls, want 2", made)
			}
			if flags == nil {
				t.Logf("without -y: %d reads replayed to their counts, %d EAGAINs not explainable", reads, refused)
				if refused != 2 {
					t.Errorf("%d EAGAINs not explainable, want 2", refused)
				}
				return
			}
			if reads != 6 || ones != 1 {
				t.Fatalf("%d reads of the eventfds (want 6), %d after the thread's five writes (want 1)", reads, ones)
			}
		})
	}
}
