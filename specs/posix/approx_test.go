package posix_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/posix"
)

// TestApproxLeavesIdleOpens: a shell opens libc, starts twenty programs,
// each of which opens libc read-only, reads its header and closes it,
// then one more whose read of libc through the fd it inherited from the
// shell is the target. Every program the shell started after its open
// may hold the shell's open file description, whose offset the target
// reads at, so the exact search has too many calls to try; the
// approximation must leave out the other programs' opens and the calls
// that started them (none can change what the target reads), so that it
// answers, where before it showed the whole history: and it must keep
// the shell's own open and the vfork that made the target's process (its
// fds come from there).
func TestApproxLeavesIdleOpens(t *testing.T) {
	lines := []string{`1 openat(AT_FDCWD</d>, "/lib/libc.so", O_RDONLY|O_CLOEXEC) = 3</lib/libc.so>`}
	for k := 2; k <= 21; k++ {
		lines = append(lines, fmt.Sprintf("1 vfork() = %d", k),
			fmt.Sprintf(`%d openat(AT_FDCWD</d>, "/lib/libc.so", O_RDONLY|O_CLOEXEC) = 3</lib/libc.so>`, k),
			fmt.Sprintf(`%d read(3</lib/libc.so>, "\177ELF", 4) = 4`, k),
			fmt.Sprintf(`%d close(3</lib/libc.so>) = 0`, k))
	}
	lines = append(lines, "1 vfork() = 99", `99 read(3</lib/libc.so>, "\177ELF", 4) = 4`)
	x := approxAnswer(t, lines)
	ws, _ := x.Witnesses(100)
	for _, w := range ws {
		for _, e := range w {
			if e.Client != "1" && e.Client != "99" {
				t.Errorf("witness holds %s, a call of another program", e.Raw)
			}
		}
	}
	if len(ws) == 0 {
		t.Fatal("no witness")
	}
}

// TestApproxThreadsShareFDs replays what TestPrograms caught on Node,
// whose thread pool runs each file call on some thread: one thread opens
// a file, another writes through the fd, a third closes it, and the read
// of the fd a fourth thread opened last is the target. The threads share
// one fd table (CLONE_FILES), so the approximation must keep the other
// threads' closes and read-only opens, which it leaves out for other
// processes: without them the read went through a stale fd and replayed
// "" where strace printed "x1\nx2\n". Twenty other programs reading the
// file make the exact search too large.
func TestApproxThreadsShareFDs(t *testing.T) {
	const b = "18</d/b>"
	lines := []string{}
	for k := 2; k <= 4; k++ {
		lines = append(lines, fmt.Sprintf("1 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, exit_signal=0}, 88) = %d", k))
	}
	lines = append(lines,
		`2 openat(AT_FDCWD</d>, "b", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0666) = `+b,
		`3 write(`+b+`, "x1\n", 3) = 3`,
		`4 close(`+b+`) = 0`,
		`3 openat(AT_FDCWD</d>, "b", O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC, 0666) = `+b,
		`2 write(`+b+`, "x2\n", 3) = 3`,
		`3 close(`+b+`) = 0`)
	for k := 10; k < 30; k++ {
		lines = append(lines, fmt.Sprintf("1 vfork() = %d", k),
			fmt.Sprintf(`%d openat(AT_FDCWD</d>, "/d/b", O_RDONLY) = 3</d/b>`, k),
			fmt.Sprintf(`%d read(3</d/b>, "x1", 2) = 2`, k),
			fmt.Sprintf(`%d close(3</d/b>) = 0`, k))
	}
	lines = append(lines,
		`4 openat(AT_FDCWD</d>, "b", O_RDONLY|O_CLOEXEC) = `+b,
		`2 read(`+b+`, "x1\nx2\n", 6) = 6`)
	x := approxAnswer(t, lines)
	if want := `read 6 "x1\x0ax2\x0a"`; string(x.Output) != want {
		t.Errorf("output %q, want %q", x.Output, want)
	}
}

// TestApproxRewound replays ar's way with an object file under strace:
// it reads the file, seeks back to 0 and reads it again, forty times,
// then the read that is the target. Each read and seek before the last
// seek to 0 could be left out, too many for the exact search; the
// approximation leaves them out (the seek to 0 undoes them), and a
// listing of the directory by another program (mv -b) does not bring in
// every name made there: each of its witnesses holds the write and a
// few calls that bind the fd, not the whole history.
func TestApproxRewound(t *testing.T) {
	const a = "4</d/a1.o>"
	lines := []string{
		`1 openat(AT_FDCWD</d>, "a1.o", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3</d/a1.o>`,
		`1 write(3</d/a1.o>, "o1", 2) = 2`,
		`1 close(3</d/a1.o>) = 0`,
		`1 vfork() = 2`,
		`2 openat(AT_FDCWD</d>, ".", O_RDONLY|O_DIRECTORY) = 3</d>`,
		`2 getdents64(3</d>, 0x5599 /* 3 entries */, 32768) = 72`,
		`2 close(3</d>) = 0`,
	}
	for k := 0; k < 12; k++ {
		lines = append(lines, fmt.Sprintf(`1 openat(AT_FDCWD</d>, "f%d", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3</d/f%d>`, k, k),
			fmt.Sprintf(`1 close(3</d/f%d>) = 0`, k))
	}
	lines = append(lines, "1 vfork() = 3", `3 openat(AT_FDCWD</d>, "a1.o", O_RDONLY) = `+a)
	for k := 0; k < 20; k++ {
		lines = append(lines, `3 read(`+a+`, "o1", 4096) = 2`, `3 read(`+a+`, "", 4096) = 0`, `3 lseek(`+a+`, 0, SEEK_SET) = 0`)
	}
	lines = append(lines, `3 read(`+a+`, "o1", 4096) = 2`)
	x := approxAnswer(t, lines)
	if string(x.Output) != `read 2 "o1"` {
		t.Errorf("output %q, want %q", x.Output, `read 2 "o1"`)
	}
	ws, _ := x.Witnesses(10)
	if len(ws) == 0 {
		t.Fatal("no witness")
	}
	for _, w := range ws {
		hasWrite := false
		for _, e := range w {
			hasWrite = hasWrite || e.Line == 2
		}
		if len(w) > 6 || !hasWrite {
			t.Errorf("a witness of %d calls, with the write: %v; want the write and a few calls that bind the fd", len(w), hasWrite)
		}
	}
}

// approxAnswer explains the last of lines, which must be answered by the
// approximation: not exact, not the whole history.
func approxAnswer(t *testing.T, lines []string) *provenance.Explanation {
	t.Helper()
	evs, h := traceOf(t, lines)
	x, err := posix.Spec.Explain(context.Background(), h, evs[len(evs)-1])
	if err != nil {
		t.Fatal(err)
	}
	if x.FellBack || x.Exact || !strings.Contains(strings.Join(x.Notes, "\n"), "an approximation") {
		t.Fatalf("fell back %v, exact %v, notes %q: want the approximation's answer", x.FellBack, x.Exact, x.Notes)
	}
	return x
}
