package posix_test

import (
	"context"
	"fmt"
	"math/rand"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/provenance/provenancetest"
	"github.com/wat-project/wat/specs/posix"
)

// shellPipeline is a shell that ran n commands (vforked, exited) before
// a pipeline: a writer of two chunks and a reader of them, whose last
// read is the target. The shell's earlier children are bystanders of
// the read: none held the pipe, made after them.
func shellPipeline(n int) []string {
	lines := []string{`1 execve("/bin/sh", ["sh", "-c", "x"], 0x1 /* 1 var */) = 0`}
	for i := range n {
		pid := 10 + i
		lines = append(lines,
			fmt.Sprintf(`1 vfork() = %d`, pid),
			fmt.Sprintf(`%d execve("/bin/true", ["true"], 0x1 /* 1 var */) = 0`, pid),
			fmt.Sprintf(`%d exit_group(0) = ?`, pid))
	}
	return append(lines,
		`1 pipe2([3<pipe:[7]>, 4<pipe:[7]>], 0) = 0`,
		`1 clone(child_stack=NULL, flags=SIGCHLD) = 4`,
		`4 write(4<pipe:[7]>, "ab", 2) = 2`,
		`4 write(4<pipe:[7]>, "cd", 2) = 2`,
		`1 clone(child_stack=NULL, flags=SIGCHLD) = 5`,
		`5 read(3<pipe:[7]>, "ab", 2) = 2`,
		`5 read(3<pipe:[7]>, "cd", 2) = 2`)
}

// TestBystanders: the processes a shell made before a pipeline are left
// out of a read's history, so that the exact search is not doubled for
// each (20 of them took it past its limit: "not exact"). Over a shell
// with 3 such children, small enough for the brute force, the answer
// is the definition's, the children included in the subtraces it tries.
func TestBystanders(t *testing.T) {
	small := shellPipeline(3)
	evs, _ := traceOf(t, small)
	bruteForce(t, evs)
	w := oneExactWitness(t, shellPipeline(20))
	for _, e := range w {
		if e.Op == "vfork" {
			t.Errorf("witness holds a bystander's vfork: %s", e.Raw)
		}
	}
}

// oneExactWitness explains the last call of lines over the others and
// returns its witness, failing unless the answer is exact with one.
func oneExactWitness(t *testing.T, lines []string) []*formats.Event {
	t.Helper()
	x, ws := explainLast(t, lines)
	if !x.Exact || len(ws) != 1 {
		t.Fatalf("%s: exact %v, output %q, %d witnesses; notes %q", lines[len(lines)-1], x.Exact, x.Output, len(ws), x.Notes)
	}
	t.Logf("output %q, witness of %d calls", x.Output, len(ws[0]))
	return ws[0]
}

// explainLast explains the last call of a trace of strace lines over
// the others: the answer and up to 10 of its witnesses.
func explainLast(t *testing.T, lines []string) (*provenance.Explanation, [][]*formats.Event) {
	t.Helper()
	evs, h := traceOf(t, lines)
	x, err := posix.Spec.Explain(context.Background(), h, evs[len(evs)-1])
	if err != nil {
		t.Fatal(err)
	}
	ws, _ := x.Witnesses(10)
	return x, ws
}

// appenders is a shell whose n commands each write a line to a file (the
// first empties it, the others append), then exit; a reader reads it. A writer's exit changes nothing a
// later call reads.
func appenders(n int) []string {
	lines := []string{`1 execve("/bin/sh", ["sh", "-c", "x"], 0x1 /* 1 var */) = 0`}
	for i := range n {
		pid, flags := 10+i, "O_WRONLY|O_CREAT|O_APPEND"
		if i == 0 {
			flags = "O_WRONLY|O_CREAT|O_TRUNC" // the first one, > log
		}
		lines = append(lines,
			fmt.Sprintf(`1 vfork() = %d`, pid),
			fmt.Sprintf(`%d openat(AT_FDCWD</d>, "log", %s, 0666) = 3</d/log>`, pid, flags),
			fmt.Sprintf(`%d write(3</d/log>, "%c\n", 2) = 2`, pid, 'a'+i),
			fmt.Sprintf(`%d exit_group(0) = ?`, pid),
			fmt.Sprintf(`%d +++ exited with 0 +++`, pid))
	}
	return append(lines,
		`1 openat(AT_FDCWD</d>, "log", O_RDONLY) = 3</d/log>`,
		fmt.Sprintf(`1 read(3</d/log>, "%s", 64) = %d`, appended(n), 2*n))
}

// appended is what appenders' writers wrote.
func appended(n int) string {
	s := ""
	for i := range n {
		s += fmt.Sprintf(`%c\n`, 'a'+i)
	}
	return s
}

// TestExitsLeftOut: the exits of processes that make no later call are
// left out of a read's history: over 3 writers, small enough for the
// brute force (which tries the subtraces with them), the answer is the
// definition's; over 10, whose 20 exits took the exact search past its
// limit, the answer is exact, and no witness holds an exit.
func TestExitsLeftOut(t *testing.T) {
	evs, _ := traceOf(t, appenders(3))
	bruteForce(t, evs)
	for _, e := range oneExactWitness(t, appenders(10)) {
		if e.Op == "exit_group" || e.Op == "EXIT" {
			t.Errorf("witness holds an exit: %s", e.Raw)
		}
	}
}

// lookers is a shell holding a file open (fd 5) that runs n programs
// like rsync: each forks twice, and each of its processes opens the
// working directory O_PATH and sets that fd close-on-exec. Then the
// shell writes the file and a child of it reads it back. The programs
// inherit the shell's fd 5 but none of their calls moves an offset:
// they are strangers of the read (sealedProcesses).
func lookers(n int) []string {
	lines := []string{
		`1 execve("/bin/sh", ["sh", "-c", "x"], 0x1 /* 1 var */) = 0`,
		`1 openat(AT_FDCWD</d>, "f", O_RDWR|O_CREAT|O_TRUNC, 0666) = 5</d/f>`,
	}
	for i := range n {
		pid := 10 + 3*i
		lines = append(lines, fmt.Sprintf(`1 vfork() = %d`, pid),
			fmt.Sprintf(`%d clone(child_stack=NULL, flags=SIGCHLD) = %d`, pid, pid+1),
			fmt.Sprintf(`%d clone(child_stack=NULL, flags=SIGCHLD) = %d`, pid+1, pid+2))
		for p := pid; p < pid+3; p++ {
			lines = append(lines,
				fmt.Sprintf(`%d openat(AT_FDCWD</d>, ".", O_RDONLY|O_PATH|O_DIRECTORY) = 3</d>`, p),
				fmt.Sprintf(`%d fcntl(3</d>, F_SETFD, FD_CLOEXEC) = 0`, p))
		}
	}
	return append(lines,
		`1 write(5</d/f>, "ab", 2) = 2`,
		`1 clone(child_stack=NULL, flags=SIGCHLD) = 2`,
		`2 pread64(5</d/f>, "ab", 2, 0) = 2`)
}

// TestSealedStrangers: processes that only open, dup, close and exec,
// though they inherit the fds of the target's ancestors, are left out
// of its exact search. Over one such program the answer is the
// definition's by brute force; over six, whose 24 calls took the search
// past its limit, it is exact and no witness holds their calls. And a
// process whose child reads through an fd it bound (dup2) is no
// stranger: without its dup2 the child's read would not move the offset
// the target's read starts at.
func TestSealedStrangers(t *testing.T) {
	evs, _ := traceOf(t, lookers(1))
	bruteForce(t, evs)
	for _, e := range oneExactWitness(t, lookers(6)) {
		if e.Client != "1" && e.Client != "2" {
			t.Errorf("witness holds a call of a program that moves no offset: %s", e.Raw)
		}
	}
	dups, _ := traceOf(t, []string{
		`1 execve("/bin/sh", ["sh", "-c", "x"], 0x1 /* 1 var */) = 0`,
		`1 openat(AT_FDCWD</d>, "b", O_RDWR|O_CREAT|O_TRUNC, 0666) = 4</d/b>`,
		`1 write(4</d/b>, "xy", 2) = 2`,
		`1 lseek(4</d/b>, 0, SEEK_SET) = 0`,
		`1 clone(child_stack=NULL, flags=SIGCHLD) = 10`,
		`10 dup2(4</d/b>, 3) = 3</d/b>`,
		`10 clone(child_stack=NULL, flags=SIGCHLD) = 11`,
		`11 read(3</d/b>, "x", 1) = 1`,
		`1 clone(child_stack=NULL, flags=SIGCHLD) = 2`,
		`2 read(4</d/b>, "y", 1) = 1`,
	})
	bruteForce(t, dups)
}

// forkedAppenders is appenders whose writers a shell made with vforks
// strace split, as it prints every vfork: the writer execs between the
// halves, and opens and writes after the second.
func forkedAppenders(n int) []string {
	lines := []string{`1 execve("/bin/sh", ["sh", "-c", "x"], 0x1 /* 1 var */) = 0`}
	for i := range n {
		pid, flags := 10+i, "O_WRONLY|O_CREAT|O_APPEND"
		if i == 0 {
			flags = "O_WRONLY|O_CREAT|O_TRUNC"
		}
		lines = append(lines,
			`1 vfork( <unfinished ...>`,
			fmt.Sprintf(`%d execve("/bin/w", ["w"], 0x1 /* 1 var */) = 0`, pid),
			fmt.Sprintf(`1 <... vfork resumed>) = %d`, pid),
			fmt.Sprintf(`%d openat(AT_FDCWD</d>, "log", %s, 0666) = 3</d/log>`, pid, flags),
			fmt.Sprintf(`%d write(3</d/log>, "%c\n", 2) = 2`, pid, 'a'+i))
	}
	return append(lines,
		`1 openat(AT_FDCWD</d>, "log", O_RDONLY|O_CLOEXEC) = 3</d/log>`,
		fmt.Sprintf(`1 read(3</d/log>, "%s", 64) = %d`, appended(n), 2*n))
}

// TestLifecycleLeftOut: the second half of a vfork strace split changes
// nothing (its first half made the process: Model.resumed), nor does an
// exec of a process no fd of which is close-on-exec, and the search
// leaves them out (quietCalls). Over 2 writers the answer is the
// definition's by brute force, with them in the subtraces it tries;
// over 12, whose 12 second halves and 12 execs took the exact search
// past its limit, it is exact and no witness holds either (the shell's
// close-on-exec open comes after every exec). An exec that
// closes an fd stays: the child's read of it fails after the exec, and
// would move the offset its parent reads at without it.
func TestLifecycleLeftOut(t *testing.T) {
	bruteForce(t, shellEvents(t, forkedAppenders(2)))
	for _, w := range exactWitnesses(t, shellEvents(t, forkedAppenders(12))) {
		for _, e := range w {
			if e.Op == "vfork" && string(e.Reply) != formats.ReplyUnfinished || e.Op == "execve" {
				t.Errorf("a witness holds a call that changes nothing: %s", e.Raw)
			}
		}
	}
	bruteForce(t, shellEvents(t, []string{
		`1 execve("/bin/sh", ["sh", "-c", "x"], 0x1 /* 1 var */) = 0`,
		`1 openat(AT_FDCWD</d>, "f", O_RDWR|O_CREAT|O_TRUNC|O_CLOEXEC, 0666) = 3</d/f>`,
		`1 write(3</d/f>, "ab", 2) = 2`,
		`1 lseek(3</d/f>, 0, SEEK_SET) = 0`,
		`1 clone(child_stack=NULL, flags=SIGCHLD) = 2`,
		`2 execve("/bin/r", ["r"], 0x1 /* 1 var */) = 0`,
		`2 read(3</d/f>, 0x1, 1) = -1 EBADF (Bad file descriptor)`,
		`1 read(3</d/f>, "a", 1) = 1`,
	}))
}

// eventThreads is node's event loop: a process makes an eventfd, then n
// threads with clone3 calls strace split, the first of which writes to
// it, and the process reads it.
func eventThreads(n int) []string {
	lines := []string{
		`1 execve("/usr/bin/node", ["node"], 0x1 /* 1 var */) = 0`,
		`1 eventfd2(0, EFD_CLOEXEC|EFD_NONBLOCK) = 17<anon_inode:[eventfd]>`,
	}
	for i := range n {
		lines = append(lines,
			`1 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, child_tid=0x7f00, parent_tid=0x7f00, exit_signal=0, stack=0x7e00, stack_size=0x7fff80, tls=0x7f00} <unfinished ...>`,
			fmt.Sprintf(`1 <... clone3 resumed> => {parent_tid=[%d]}, 88) = %d`, 10+i, 10+i))
	}
	return append(lines,
		`10 write(17<anon_inode:[eventfd]>, "\1\0\0\0\0\0\0\0", 8) = 8`,
		`1 read(17<anon_inode:[eventfd]>, "\1\0\0\0\0\0\0\0", 1024) = 8`)
}

// TestEventfdLifecycleLeftOut: an eventfd marks no process as a pipe
// does, so the second halves of split clones leave a history that holds
// one too (quietCalls). Over 2 threads the answer is the
// definition's by brute force; over 10, whose 9 first halves and 10
// second halves took the search past its limit, it is exact.
func TestEventfdLifecycleLeftOut(t *testing.T) {
	bruteForce(t, shellEvents(t, eventThreads(2)))
	exactWitnesses(t, shellEvents(t, eventThreads(10)))
}

// leftOut checks the search that leaves calls out: the answer for the
// last call of small is the definition's by brute force, and that of
// big, past the search's limit with them in, is exact with no witness
// that holds a call of the given ops.
func leftOut(t *testing.T, small, big []string, ops ...string) {
	t.Helper()
	bruteForce(t, shellEvents(t, small))
	for _, w := range exactWitnesses(t, shellEvents(t, big)) {
		for _, e := range w {
			for _, op := range ops {
				if e.Op == op {
					t.Errorf("a witness holds a call the search leaves out: %s", e.Raw)
				}
			}
		}
	}
}

// bruteForce checks the answer for the last of evs over the others
// against the definition's, by brute force.
func bruteForce(t *testing.T, evs []*formats.Event) {
	t.Helper()
	provenancetest.Check(t, posix.Spec, provenancetest.Options{Seeds: 1, Trace: func(*rand.Rand) ([]*formats.Event, *formats.Event) {
		return evs[:len(evs)-1], evs[len(evs)-1]
	}})
}

// exactWitnesses explains the last of evs over the others and returns
// up to 10 of its witnesses, failing unless the answer is exact.
func exactWitnesses(t *testing.T, evs []*formats.Event) [][]*formats.Event {
	t.Helper()
	x, err := posix.Spec.Explain(context.Background(), &provenance.MemHistory{Events: evs, Refs: posix.Spec.Refs}, evs[len(evs)-1])
	if err != nil {
		t.Fatal(err)
	}
	ws, _ := x.Witnesses(10)
	if !x.Exact || len(ws) == 0 {
		t.Fatalf("output %q, exact %v, %d witnesses; notes %q", x.Output, x.Exact, len(ws), x.Notes)
	}
	t.Logf("output %q, %d witnesses, the first of %d calls", x.Output, len(ws), len(ws[0]))
	return ws
}

// pager is a database like SQLite's: a process finds no file db, makes
// it, writes its header, and then, n times, stats it through its fd and
// reads the header back at offset 0 and 24 (pread64), before a second
// process reads the header.
func pager(n int) []string {
	lines := []string{
		`1 openat(AT_FDCWD</d>, "db", O_RDONLY) = -1 ENOENT (No such file or directory)`,
		`1 openat(AT_FDCWD</d>, "/d/db", O_RDWR|O_CREAT|O_CLOEXEC, 0644) = 3</d/db>`,
		`1 fstat(3</d/db>, {st_mode=S_IFREG|0644, st_size=0, ...}) = 0`,
		`1 pwrite64(3</d/db>, "SQLite\0\1", 8, 0) = 8`,
	}
	for range n {
		lines = append(lines,
			`1 fstat(3</d/db>, {st_mode=S_IFREG|0644, st_size=8, ...}) = 0`,
			`1 pread64(3</d/db>, "SQ", 2, 0) = 2`,
			`1 pread64(3</d/db>, "\1", 1, 7) = 1`)
	}
	return append(lines,
		`1 clone(child_stack=NULL, flags=SIGCHLD) = 2`,
		`2 openat(AT_FDCWD</d>, "db", O_RDONLY) = 4</d/db>`,
		`2 read(4</d/db>, "SQLite\0\1", 16) = 8`)
}

// TestQuietReadsAndStats: a read at an offset of its own (pread64)
// through an fd a call of the trace bound, and a stat of such an fd on a
// file whose size every replay knows, change nothing in any replay, and
// the search leaves them out (quietCalls). Over 2 rounds of them the
// answer is the definition's by brute force; over 18, whose 54 calls took
// the exact search past its limit, it is exact and no witness holds
// them. A stat that learns a size stays (the answers of these are
// labelled: the size is the log's): of a file older than the trace that
// a write changed before the trace showed its size, of one written
// through an fd the trace did not bind, and of one a rename may have put
// under the name.
func TestQuietReadsAndStats(t *testing.T) {
	leftOut(t, pager(2), pager(18), "fstat", "pread64")
	for _, lines := range [][]string{
		// Written before the trace showed its size.
		sizeLearned("a", `1 openat(AT_FDCWD</d>, "a", O_RDWR) = 3</d/a>`, `1 write(3</d/a>, "x", 1) = 1`),
		// Written through an fd the trace did not bind, at an offset it
		// does not show.
		sizeLearned("a", `1 openat(AT_FDCWD</d>, "a", O_RDONLY) = 3</d/a>`,
			`1 fstat(3</d/a>, {st_mode=S_IFREG|0644, st_size=2, ...}) = 0`, `1 write(1</d/a>, "x", 1) = 1`),
		// A name no file had before the trace, which a rename gave one.
		sizeLearned("n", `1 openat(AT_FDCWD</d>, "n", O_RDONLY) = -1 ENOENT (No such file or directory)`,
			`1 renameat(AT_FDCWD</d>, "a", AT_FDCWD</d>, "n") = 0`, `1 openat(AT_FDCWD</d>, "n", O_RDWR) = 3</d/n>`,
			`1 write(3</d/n>, "x", 1) = 1`),
	} {
		evs := shellEvents(t, lines)
		provenancetest.Check(t, posix.Spec, provenancetest.Options{Seeds: 1, Labelled: true, Trace: func(*rand.Rand) ([]*formats.Event, *formats.Event) {
			return evs[:len(evs)-1], evs[len(evs)-1]
		}})
	}
}

// sizeLearned is lines, then a stat of fd 3 on /d/name that shows 2
// bytes, an append of one through fd 4, and an lseek of fd 3 to the end
// of the file: where a replay without the stat knows no size, the lseek
// gives the one the stat learned.
func sizeLearned(name string, lines ...string) []string {
	f := fmt.Sprintf("%%d</d/%s>", name)
	return append(lines,
		fmt.Sprintf(`1 fstat(`+f+`, {st_mode=S_IFREG|0644, st_size=2, ...}) = 0`, 3),
		fmt.Sprintf(`1 openat(AT_FDCWD</d>, "%s", O_WRONLY|O_APPEND) = `+f, name, 4),
		fmt.Sprintf(`1 write(`+f+`, "y", 1) = 1`, 4),
		fmt.Sprintf(`1 lseek(`+f+`, 0, SEEK_END) = 3`, 3))
}

// listed is a shell's script that makes n files in its directory, lists
// it (ls), and writes and reads back one more.
func listed(n int) []string {
	lines := []string{`1 execve("/bin/sh", ["sh", "-c", "x"], 0x1 /* 1 var */) = 0`}
	for i := range n {
		pid := 10 + i
		lines = append(lines, fmt.Sprintf(`1 clone(child_stack=NULL, flags=SIGCHLD) = %d`, pid),
			fmt.Sprintf(`%d openat(AT_FDCWD</d>, "f%d", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3</d/f%d>`, pid, i, i),
			fmt.Sprintf(`%d write(3</d/f%d>, "x", 1) = 1`, pid, i))
	}
	return append(lines,
		`1 clone(child_stack=NULL, flags=SIGCHLD) = 2`,
		`2 openat(AT_FDCWD</d>, ".", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY) = 3</d>`,
		`2 getdents64(3</d>, 0x5599 /* 4 entries */, 32768) = 96`,
		`2 close(3</d>) = 0`,
		`1 openat(AT_FDCWD</d>, "g", O_RDWR|O_CREAT|O_TRUNC, 0666) = 3</d/g>`,
		`1 write(3</d/g>, "ab", 2) = 2`,
		`1 pread64(3</d/g>, "ab", 2, 0) = 2`)
}

// TestListingLeftOut: a listing of the directory a read's file is in
// changes only the offset of its own fd, so the names made there are
// not in the read's history for it (what the listing shows is its own
// output). Over 2 files made there the answer is the definition's by
// brute force; over 12, whose 24 calls took the exact search past its
// limit, it is exact.
func TestListingLeftOut(t *testing.T) {
	bruteForce(t, shellEvents(t, listed(2)))
	exactWitnesses(t, shellEvents(t, listed(12)))
}

// logger is Python's logging to a file a reader then reads: the logger
// opens it to append and asks where it is (lseek to the end, then to
// where it is) before each of n records.
func logger(n int) []string {
	lines := []string{
		`1 openat(AT_FDCWD</d>, "app.log", O_RDONLY) = -1 ENOENT (No such file or directory)`,
		`1 openat(AT_FDCWD</d>, "app.log", O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC, 0666) = 3</d/app.log>`,
	}
	all := ""
	for i := range n {
		rec := fmt.Sprintf(`r%02d\n`, i)
		lines = append(lines,
			fmt.Sprintf(`1 lseek(3</d/app.log>, 0, SEEK_END) = %d`, 4*i),
			fmt.Sprintf(`1 lseek(3</d/app.log>, 0, SEEK_CUR) = %d`, 4*i),
			fmt.Sprintf(`1 write(3</d/app.log>, "%s", 4) = 4`, rec))
		all += rec
	}
	return append(lines,
		`1 clone(child_stack=NULL, flags=SIGCHLD) = 2`,
		`2 openat(AT_FDCWD</d>, "app.log", O_RDONLY) = 4</d/app.log>`,
		fmt.Sprintf(`2 read(4</d/app.log>, "%s", 4096) = %d`, all, 4*n))
}

// TestAppenderSeeksLeftOut: the offset of a description opened only to
// append (O_WRONLY|O_APPEND) decides nothing but its own seeks' outputs,
// so the search leaves the seeks of one that is not the target's out
// (quietCalls). Over 2 records the answer is the definition's by brute
// force; over 10, whose 20 seeks took the exact search past its limit,
// it is exact and no witness holds a seek. The seeks of the target's
// description stay (its output may be where they put it), and so do
// those of one opened to read too (a copy from it starts where its seek
// put it), and every seek in a history with a call that may take
// O_APPEND off a description (F_SETFL).
func TestAppenderSeeksLeftOut(t *testing.T) {
	leftOut(t, logger(2), logger(10), "lseek")
	bruteForce(t, shellEvents(t, []string{
		`1 openat(AT_FDCWD</d>, "app.log", O_RDONLY) = -1 ENOENT (No such file or directory)`,
		`1 openat(AT_FDCWD</d>, "app.log", O_WRONLY|O_CREAT|O_APPEND, 0666) = 3</d/app.log>`,
		`1 write(3</d/app.log>, "ab", 2) = 2`,
		`1 lseek(3</d/app.log>, 1, SEEK_SET) = 1`,
		`1 lseek(3</d/app.log>, 0, SEEK_CUR) = 1`,
	}))
	bruteForce(t, shellEvents(t, []string{
		`1 openat(AT_FDCWD</d>, "app.log", O_RDONLY) = -1 ENOENT (No such file or directory)`,
		`1 openat(AT_FDCWD</d>, "app.log", O_WRONLY|O_CREAT|O_APPEND, 0666) = 3</d/app.log>`,
		`1 write(3</d/app.log>, "ab", 2) = 2`,
		`1 lseek(3</d/app.log>, 0, SEEK_SET) = 0`,
		`1 fcntl(3</d/app.log>, F_SETFL, O_WRONLY) = 0`,
		`1 write(3</d/app.log>, "z", 1) = 1`,
		`1 openat(AT_FDCWD</d>, "app.log", O_RDONLY) = 4</d/app.log>`,
		`1 read(4</d/app.log>, "zb", 2) = 2`,
	}))
	bruteForce(t, shellEvents(t, []string{
		`1 openat(AT_FDCWD</d>, "a", O_RDWR|O_CREAT|O_TRUNC|O_APPEND, 0666) = 3</d/a>`,
		`1 write(3</d/a>, "xy", 2) = 2`,
		`1 openat(AT_FDCWD</d>, "c", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 4</d/c>`,
		`1 lseek(3</d/a>, 1, SEEK_SET) = 1`,
		`1 copy_file_range(3</d/a>, NULL, 4</d/c>, NULL, 1, 0) = 1`,
		`1 openat(AT_FDCWD</d>, "c", O_RDONLY) = 5</d/c>`,
		`1 read(5</d/c>, "y", 1) = 1`,
	}))
}

// shmUnlink is SQLite's end of a WAL database's shared-memory file as a
// process's history shows it, then git's: a process finds no /d/w.db-shm
// (a stat), makes it,
// sizes it, writes n pages' last bytes (pwrite64) and maps it; k other
// processes each open the directory "." O_PATH and close it; and the
// last one unlinks the file. The unlink's output (0, or an error) is of
// names alone.
func shmUnlink(n, k int) []string {
	lines := []string{
		`1 openat(AT_FDCWD</d>, "w.db-shm", O_RDONLY) = -1 ENOENT (No such file or directory)`,
		`1 openat(AT_FDCWD</d>, "/d/w.db-shm", O_RDWR|O_CREAT|O_NOFOLLOW|O_CLOEXEC, 0644) = 3</d/w.db-shm>`,
		`1 ftruncate(3</d/w.db-shm>, 3) = 0`,
	}
	for i := range n {
		lines = append(lines, fmt.Sprintf(`1 pwrite64(3</d/w.db-shm>, "\0", 1, %d) = 1`, 4096*(i+1)-1))
	}
	lines = append(lines, fmt.Sprintf(`1 mmap(NULL, %d, PROT_READ|PROT_WRITE, MAP_SHARED, 3</d/w.db-shm>, 0) = 0x7f0000000000`, 4096*n))
	for i := range k {
		pid := 10 + i
		lines = append(lines, fmt.Sprintf(`1 clone(child_stack=NULL, flags=SIGCHLD) = %d`, pid),
			fmt.Sprintf(`%d openat(AT_FDCWD</d>, ".", O_RDONLY|O_PATH|O_DIRECTORY) = 3</d>`, pid),
			fmt.Sprintf(`%d close(3</d>) = 0`, pid))
	}
	return append(lines,
		`1 clone(child_stack=NULL, flags=SIGCHLD) = 2`,
		`2 unlink("/d/w.db-shm") = 0`)
}

// redirected is a shell that makes /d/rw, then n times redirects its
// stdout to /d/o and back as a shell does around a command (fcntl
// F_DUPFD, dup2, a stat of the fd, close), and runs a program that
// renames /d/rw: o's name is in rw's directory, whose names a rename's
// output may depend on.
func redirected(n int) []string {
	lines := []string{
		`1 openat(AT_FDCWD</d>, "rw", O_RDONLY) = -1 ENOENT (No such file or directory)`,
		`1 openat(AT_FDCWD</d>, "rw", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3</d/rw>`,
		`1 openat(AT_FDCWD</d>, "o", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 4</d/o>`,
	}
	for range n {
		lines = append(lines,
			`1 fcntl(1</dev/pts/0>, F_DUPFD, 10) = 11</dev/pts/0>`,
			`1 dup2(4</d/o>, 1</dev/pts/0>) = 1</d/o>`,
			`1 newfstatat(1</d/o>, "", {st_mode=S_IFREG|0644, st_size=0, ...}, AT_EMPTY_PATH) = 0`,
			`1 dup2(11</dev/pts/0>, 1</d/o>) = 1</dev/pts/0>`,
			`1 close(11</dev/pts/0>) = 0`)
	}
	return append(lines,
		`1 clone(child_stack=NULL, flags=SIGCHLD) = 2`,
		`2 renameat(AT_FDCWD</d>, "rw", AT_FDCWD</d>, "rw.bak") = 0`)
}

// scripted is a shell that runs n programs, each making a file of its
// own in /d, and then one that renames /d/rw, which the shell made.
func scripted(n int) []string {
	lines := []string{
		`1 openat(AT_FDCWD</d>, "rw", O_RDONLY) = -1 ENOENT (No such file or directory)`,
		`1 openat(AT_FDCWD</d>, "rw", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3</d/rw>`,
	}
	for i := range n {
		pid := 10 + i
		lines = append(lines,
			fmt.Sprintf(`1 clone(child_stack=NULL, flags=SIGCHLD) = %d`, pid),
			fmt.Sprintf(`%d execve("/usr/bin/touch", ["touch", "f%d"], 0x1 /* 1 var */) = 0`, pid, i),
			fmt.Sprintf(`%d openat(AT_FDCWD</d>, "f%d", O_WRONLY|O_CREAT|O_NOCTTY|O_NONBLOCK, 0666) = 3</d/f%d>`, pid, i, i),
			fmt.Sprintf(`%d exit_group(0) = ?`, pid))
	}
	return append(lines,
		`1 clone(child_stack=NULL, flags=SIGCHLD) = 2`,
		`2 execve("/usr/bin/mv", ["mv", "rw", "rw.bak"], 0x1 /* 1 var */) = 0`,
		`2 renameat(AT_FDCWD</d>, "rw", AT_FDCWD</d>, "rw.bak") = 0`)
}

// gitRefs is git's update of a ref, n times, each by a program the
// shell runs (vforked and exec'd, if execs; else a clone): it makes
// /d/refs/master.lock (O_EXCL), writes it, stats it through its fd,
// closes it, and renames it over /d/refs/master. The last rename is the
// target.
func gitRefs(n int, execs bool) []string {
	lines := []string{`1 mkdir("/d/refs", 0777) = 0`}
	for i := range n {
		pid := 10 + i
		if execs {
			// A shell's vfork, which strace splits: the child execs
			// while its parent waits.
			lines = append(lines, `1 vfork( <unfinished ...>`,
				fmt.Sprintf(`%d execve("/usr/bin/git", ["git", "commit"], 0x1 /* 1 var */) = 0`, pid),
				fmt.Sprintf(`1 <... vfork resumed>) = %d`, pid))
		} else {
			lines = append(lines, fmt.Sprintf(`1 clone(child_stack=NULL, flags=SIGCHLD) = %d`, pid))
		}
		lines = append(lines,
			fmt.Sprintf(`%d openat(AT_FDCWD</d>, "/d/refs/master.lock", O_RDWR|O_CREAT|O_EXCL|O_CLOEXEC, 0666) = 3</d/refs/master.lock>`, pid),
			fmt.Sprintf(`%d write(3</d/refs/master.lock>, "c%d", 2) = 2`, pid, i),
			fmt.Sprintf(`%d write(3</d/refs/master.lock>, "\n", 1) = 1`, pid),
			fmt.Sprintf(`%d fstat(3</d/refs/master.lock>, {st_mode=S_IFREG|0644, st_size=3, ...}) = 0`, pid),
			fmt.Sprintf(`%d close(3</d/refs/master.lock>) = 0`, pid),
			fmt.Sprintf(`%d rename("/d/refs/master.lock", "/d/refs/master") = 0`, pid))
		if execs && i < n-1 {
			lines = append(lines, fmt.Sprintf(`%d exit_group(0) = ?`, pid))
		}
	}
	return lines
}

// TestNamesOnlyLeftOut: for a call whose output is of names alone (an
// unlink's, a rename's), the search leaves out the calls through fds the
// trace bound that only write or read bytes, set sizes or bind numbers,
// and those that make, exec and end processes (quietCalls), and
// strangers' calls that change nothing, opens of a directory among them
// (leaveStrangers). Over small traces of each kind (2 writes and 2
// strangers, a shell's redirection, 2 programs, an update of a ref by a
// clone and one by a vforked program) the answer is the definition's by
// brute force. Over 20 writes, 17 strangers, 5 updates of a ref (20
// writes, stats and closes) and 7 by vforked programs (21 calls), each
// past the search's limit without its rule, it is exact and no
// witness holds such a call.
func TestNamesOnlyLeftOut(t *testing.T) {
	for _, lines := range [][]string{redirected(1), scripted(2), gitRefs(1, true)} {
		bruteForce(t, shellEvents(t, lines))
	}
	made := []string{"write", "pwrite64", "ftruncate", "mmap", "fstat", "close", "clone", "vfork", "execve", "exit_group"}
	leftOut(t, shmUnlink(2, 2), shmUnlink(20, 0), made...)
	leftOut(t, shmUnlink(2, 2), shmUnlink(1, 17), made...)
	leftOut(t, gitRefs(1, false), gitRefs(5, false), made...)
	leftOut(t, gitRefs(1, true), gitRefs(7, true), made...)
}

// otherDir is a shell in /d that n times makes a temporary file and
// renames it, by relative names, over /d/p (a program saving its state),
// and then makes /d/r and renames /d/r/i.lock over /d/r/i: the target.
func otherDir(n int) []string {
	lines := []string{`1 openat(AT_FDCWD</d>, "p", O_RDONLY) = -1 ENOENT (No such file or directory)`}
	for i := range n {
		lines = append(lines,
			fmt.Sprintf(`1 openat(AT_FDCWD</d>, "t%d", O_WRONLY|O_CREAT|O_EXCL, 0644) = 3</d/t%d>`, i, i),
			fmt.Sprintf(`1 close(3</d/t%d>) = 0`, i),
			fmt.Sprintf(`1 rename("t%d", "p") = 0`, i))
	}
	return append(lines,
		`1 mkdir("/d/r", 0777) = 0`,
		`1 openat(AT_FDCWD</d>, "/d/r/i.lock", O_WRONLY|O_CREAT|O_EXCL, 0644) = 3</d/r/i.lock>`,
		`1 close(3</d/r/i.lock>) = 0`,
		`1 rename("/d/r/i.lock", "/d/r/i") = 0`)
}

// TestOtherDirectoriesLeftOut: a rename's output depends on the names in
// the directory it renames over (a directory there that holds names
// makes it fail), so its history holds the calls that may make or
// remove names there; a call that names them relative to a working
// directory the trace shows is not among them when that directory is
// another. Over 2 renames in /d the answer is the definition's by brute
// force; over 17, past the search's limit before, it is exact.
func TestOtherDirectoriesLeftOut(t *testing.T) {
	leftOut(t, otherDir(2), otherDir(17), "rename")
}

// loader is the dynamic loader's opening of a library twice (fd 3 and
// fd 4 on /d/lib.so), reading its header and seeking it n times through
// each, and then the close of fd 3.
func loader(n int) []string {
	lines := []string{
		`1 openat(AT_FDCWD</d>, "lib.so", O_RDONLY|O_CLOEXEC) = 3</d/lib.so>`,
		`1 openat(AT_FDCWD</d>, "/d/lib.so", O_RDONLY) = 4</d/lib.so>`,
	}
	for i := range n {
		for _, fd := range []int{4, 3} {
			lines = append(lines,
				fmt.Sprintf(`1 read(%d</d/lib.so>, "EL", 2) = 2`, fd),
				fmt.Sprintf(`1 lseek(%d</d/lib.so>, %d, SEEK_SET) = %d`, fd, i, i))
		}
	}
	return append(lines, `1 close(3</d/lib.so>) = 0`)
}

// TestCloseLeftOut: a close's output is whether its fd is open, so the
// search of one whose fd a call of the trace bound leaves out the reads,
// writes, seeks and stats through numbers the trace bound, its own too
// (quietCalls). Over one read and seek through each fd the answer is the
// definition's by brute force; over 10 (40 calls), past the search's
// limit before, it is exact and no witness holds them.
func TestCloseLeftOut(t *testing.T) {
	leftOut(t, loader(1), loader(10), "read", "lseek")
}

// rewinder writes a file through one fd and reads it through another, n
// times each, and then calls last on the first: a seek back to the start,
// as a program does before it writes its file again, or a write.
func rewinder(n int, last string) []string {
	lines := []string{
		`1 openat(AT_FDCWD</d>, "db", O_RDWR|O_CREAT, 0644) = 3</d/db>`,
		`1 openat(AT_FDCWD</d>, "/d/db", O_RDONLY) = 4</d/db>`,
	}
	for i := range n {
		lines = append(lines,
			fmt.Sprintf(`1 write(3</d/db>, "r%d", 2) = 2`, i%10),
			`1 read(4</d/db>, "", 2) = 0`,
			`1 lseek(4</d/db>, 0, SEEK_CUR) = 0`,
			`1 ftruncate(3</d/db>, 1) = 0`)
	}
	return append(lines, last)
}

// swapper is vim's swap file: it removes the old one, makes it anew,
// and writes its blocks n times, each at an offset it seeks to, before
// the last write.
func swapper(n int) []string {
	lines := []string{
		`1 unlink(".c.swp") = 0`,
		`1 openat(AT_FDCWD</d>, ".c.swp", O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW, 0600) = 4</d/.c.swp>`,
	}
	for i := range n {
		lines = append(lines,
			fmt.Sprintf(`1 lseek(4</d/.c.swp>, %d, SEEK_SET) = %d`, i%3*4, i%3*4),
			fmt.Sprintf(`1 write(4</d/.c.swp>, "b%d", 2) = 2`, i%10))
	}
	return append(lines, `1 write(4</d/.c.swp>, "ad", 2) = 2`)
}

// TestOfBindingLeftOut: an lseek to an offset of its own (SEEK_SET) on a
// file gives that offset wherever its fd is open, and a write its count,
// so, as a close's, their searches leave out the reads, writes, seeks and
// truncations through numbers the trace bound (ofBinding). Over one round
// the answer is the definition's by brute force; over 10 (40 calls) it
// is exact and no witness holds them.
func TestOfBindingLeftOut(t *testing.T) {
	for _, last := range []string{`1 lseek(3</d/db>, 0, SEEK_SET) = 0`, `1 write(3</d/db>, "new", 3) = 3`, `1 pwrite64(3</d/db>, "new", 3, 7) = 3`} {
		leftOut(t, rewinder(1, last), rewinder(10, last), "read", "write", "ftruncate", "lseek")
	}
	leftOut(t, swapper(2), swapper(20), "write", "lseek")
}

// loaders is a shell that runs n programs, each with the dynamic
// loader's open, read and close of /etc/ld.so.cache (and one that finds
// no /etc/ld.so.preload) before it exits, then one more whose close of
// the cache is the target; the shell opened the cache too.
func loaders(n int) []string {
	lines := []string{
		`1 openat(AT_FDCWD</d>, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3</etc/ld.so.cache>`,
		`1 close(3</etc/ld.so.cache>) = 0`,
	}
	for i := range n + 1 {
		pid := 10 + i
		lines = append(lines, `1 vfork( <unfinished ...>`,
			fmt.Sprintf(`%d execve("/usr/bin/p", ["p"], 0x1 /* 1 var */) = 0`, pid),
			fmt.Sprintf(`1 <... vfork resumed>) = %d`, pid),
			fmt.Sprintf(`%d access("/etc/ld.so.preload", R_OK) = -1 ENOENT (No such file or directory)`, pid),
			fmt.Sprintf(`%d openat(AT_FDCWD</d>, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3</etc/ld.so.cache>`, pid),
			fmt.Sprintf(`%d read(3</etc/ld.so.cache>, "ld", 2) = 2`, pid))
		if i < n {
			lines = append(lines, fmt.Sprintf(`%d close(3</etc/ld.so.cache>) = 0`, pid), fmt.Sprintf(`%d exit_group(0) = ?`, pid))
		}
	}
	return append(lines, fmt.Sprintf(`%d close(3</etc/ld.so.cache>) = 0`, 10+n))
}

// TestOtherTablesLeftOut: a close whose fd an open of its own process
// bound rests on that open and on its process's fd table alone, so its
// search leaves out the calls of other processes that change no name and
// make no process (quietCalls): the shell's and every other program's
// opens, reads and closes of the cache. Over 1 program the answer is the
// definition's by brute force; over 12 (48 such calls) it is exact and
// its witness is the target's program's open alone.
func TestOtherTablesLeftOut(t *testing.T) {
	bruteForce(t, shellEvents(t, loaders(1)))
	evs := shellEvents(t, loaders(12))
	for _, w := range exactWitnesses(t, evs) {
		if len(w) != 1 || w[0].Client != evs[len(evs)-1].Client || w[0].Op != "openat" {
			t.Errorf("witness %v, want the target's process's open alone", w)
		}
	}
}
