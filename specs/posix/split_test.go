package posix_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wat-project/wat/specs/posix"
)

// TestSplitCallsOnPipes replays calls on a pipe that strace -f split
// ("<unfinished ...>", then "<... resumed>") while another process used
// the pipe. The trace does not order the two: where that decides what
// the pipe holds, the replay must say the bytes are unknown, not give
// the bytes of one order as if known; where it does not (a read blocked
// until a write came: it takes the first bytes whatever the order; a read
// while a write is blocked, of bytes written before it: seq | sort; a
// read that took bytes of the one write in flight, whose rest the next
// read takes: git's pkt-lines between clone's processes), the bytes stay
// known. A write's first half is an event: a read that took more than the
// pipe held took the first bytes of the one write in flight, printed
// there, unless two were in flight or another process wrote since it
// began.
func TestSplitCallsOnPipes(t *testing.T) {
	head := "100 pipe2([3<pipe:[7]>, 4<pipe:[7]>], 0) = 0\n" +
		"100 clone(child_stack=NULL, flags=SIGCHLD) = 101\n" +
		"102 pipe2([5<pipe:[9]>, 6<pipe:[9]>], 0) = 0\n" // a process of its own
	for _, c := range []struct {
		name, trace string
		want        map[int]string // by line
	}{
		{"write crossed by a read", "101 write(4<pipe:[7]>, \"abc\\n\", 4 <unfinished ...>\n" +
			"100 read(3<pipe:[7]>, \"abc\\n\", 100) = 4\n" +
			"101 <... write resumed>) = 4\n" +
			"101 write(4<pipe:[7]>, \"xyz\\n\", 4) = 4\n" +
			"100 read(3<pipe:[7]>, \"xyz\\n\", 100) = 4\n", map[int]string{5: `read 4 "abc\x0a"`, 8: `read 4 "xyz\x0a"`}},
		{"write crossed by reads of part of it", "101 write(4<pipe:[7]>, \"abcd\", 4 <unfinished ...>\n" +
			"100 read(3<pipe:[7]>, \"ab\", 2) = 2\n" +
			"100 read(3<pipe:[7]>, \"c\", 1) = 1\n" +
			"101 <... write resumed>) = 4\n" +
			"100 read(3<pipe:[7]>, \"d\", 10) = 1\n", map[int]string{5: `read 2 "ab"`, 6: `read 1 "c"`, 8: `read 1 "d"`}},
		{"write crossed by a read of older bytes and its own", "101 write(4<pipe:[7]>, \"ab\", 2) = 2\n" +
			"101 write(4<pipe:[7]>, \"cd\", 2 <unfinished ...>\n" +
			"100 read(3<pipe:[7]>, \"abc\", 3) = 3\n" +
			"101 <... write resumed>) = 2\n" +
			"100 read(3<pipe:[7]>, \"d\", 10) = 1\n", map[int]string{6: `read 3 "abc"`, 8: `read 1 "d"`}},
		{"two writes in flight", "100 clone(child_stack=NULL, flags=SIGCHLD) = 103\n" +
			"101 write(4<pipe:[7]>, \"ab\", 2 <unfinished ...>\n" +
			"103 write(4<pipe:[7]>, \"cd\", 2 <unfinished ...>\n" +
			"100 read(3<pipe:[7]>, \"cd\", 2) = 2\n" +
			"101 <... write resumed>) = 2\n" +
			"103 <... write resumed>) = 2\n", map[int]string{7: `read 2 "\?\?"`}},
		{"write in flight after another's write", "100 clone(child_stack=NULL, flags=SIGCHLD) = 103\n" +
			"101 write(4<pipe:[7]>, \"ab\", 2 <unfinished ...>\n" +
			"103 write(4<pipe:[7]>, \"cd\", 2) = 2\n" +
			"100 read(3<pipe:[7]>, \"cdab\", 4) = 4\n" +
			"101 <... write resumed>) = 2\n", map[int]string{7: `read 4 "\?\?\?\?"`}},
		{"another's write while one is in flight", "100 clone(child_stack=NULL, flags=SIGCHLD) = 103\n" +
			"101 write(4<pipe:[7]>, \"ab\", 2 <unfinished ...>\n" +
			"103 write(4<pipe:[7]>, \"cd\", 2) = 2\n" +
			"100 read(3<pipe:[7]>, \"cd\", 2) = 2\n" +
			"101 <... write resumed>) = 2\n", map[int]string{7: `read 2 "\?\?"`}},
		{"write in flight cut by -s", "101 write(4<pipe:[7]>, \"ab\"..., 4 <unfinished ...>\n" +
			"100 read(3<pipe:[7]>, \"ab\"..., 4) = 4\n" +
			"101 <... write resumed>) = 4\n", map[int]string{5: `read 4 "ab\?\?"`}},
		{"write crossed by a read, then another's write", "100 clone(child_stack=NULL, flags=SIGCHLD) = 103\n" +
			"101 write(4<pipe:[7]>, \"ab\", 2 <unfinished ...>\n" +
			"100 read(3<pipe:[7]>, \"ab\", 100) = 2\n" +
			"103 write(4<pipe:[7]>, \"cd\", 2) = 2\n" +
			"101 <... write resumed>) = 2\n" +
			"100 read(3<pipe:[7]>, \"cd\", 100) = 2\n", map[int]string{6: `read 2 "ab"`, 9: `read 2 "\?\?"`}},
		{"write crossed by a read of older bytes", "101 write(4<pipe:[7]>, \"ab\", 2) = 2\n" +
			"101 write(4<pipe:[7]>, \"cd\", 2 <unfinished ...>\n" +
			"100 read(3<pipe:[7]>, \"ab\", 2) = 2\n" +
			"101 <... write resumed>) = 2\n" +
			"100 read(3<pipe:[7]>, \"cd\", 10) = 2\n", map[int]string{6: `read 2 "ab"`, 8: `read 2 "cd"`}},
		{"write crossed by a write", "101 write(4<pipe:[7]>, \"a\", 1 <unfinished ...>\n" +
			"100 write(4<pipe:[7]>, \"b\", 1) = 1\n" +
			"101 <... write resumed>) = 1\n" +
			"100 read(3<pipe:[7]>, \"ba\", 100) = 2\n", map[int]string{7: `read 2 "\?\?"`}},
		{"read crossed by a read", "100 write(4<pipe:[7]>, \"ab\", 2) = 2\n" +
			"101 read(3<pipe:[7]>, <unfinished ...>\n" +
			"100 read(3<pipe:[7]>, \"a\", 1) = 1\n" +
			"101 <... read resumed>\"b\", 1) = 1\n", map[int]string{7: `read 1 "\?"`}},
		{"read crossed by a write", "101 read(3<pipe:[7]>, <unfinished ...>\n" +
			"100 write(4<pipe:[7]>, \"ab\", 2) = 2\n" +
			"101 <... read resumed>\"ab\", 10) = 2\n" +
			"100 write(4<pipe:[7]>, \"c\", 1) = 1\n" +
			"101 read(3<pipe:[7]>, \"c\", 10) = 1\n", map[int]string{6: `read 2 "ab"`, 8: `read 1 "c"`}},
		{"another pipe's use", "101 write(4<pipe:[7]>, \"a\", 1 <unfinished ...>\n" +
			"102 write(6<pipe:[9]>, \"b\", 1) = 1\n" +
			"101 <... write resumed>) = 1\n" +
			"100 read(3<pipe:[7]>, \"a\", 100) = 1\n", map[int]string{7: `read 1 "a"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			checkLines(t, head+c.trace, c.want, strings.TrimSpace(c.trace))
		})
	}
}

// TestSplitCloseOfThread replays what TestProgramReplies caught on
// redis-server without -y: a thread's close that strace split while the
// main thread, sharing its fd table, opened a file and got the same
// number. The kernel frees the number as close begins, so the open's fd
// is the new file's, and the close, when it resumes, must not end it
// (the server's log line written through it would be lost, and every
// later size of the log short by it). And a read that failed (EAGAIN on
// an empty non-blocking pipe) takes nothing and replays its failure.
//
// The second trace is one CI caught later (redis-server with -f): the
// main thread took the number, closed it and took it again for the log,
// all before the thread's close resumed; that close still ended the
// first file, not the log.
func TestSplitCloseOfThread(t *testing.T) {
	const thread = "100 clone(child_stack=0x7f00, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM) = 101\n"
	for _, c := range []struct {
		name  string
		trace string // {FD:PATH} is an fd, decorated with -y
		want  map[int]string
	}{
		{"taken again", "100 openat(AT_FDCWD, \"/w/a\", O_RDONLY) = {7:/w/a}\n" + thread +
			"101 close({7:/w/a} <unfinished ...>\n" +
			"100 openat(AT_FDCWD, \"/w/log\", O_WRONLY|O_CREAT|O_TRUNC, 0666) = {7:/w/log}\n" +
			"101 <... close resumed>) = 0\n" +
			"100 write({7:/w/log}, \"hello\\n\", 6) = 6\n" +
			"100 close({7:/w/log}) = 0\n" +
			"100 openat(AT_FDCWD, \"/w/log\", O_WRONLY|O_CREAT|O_APPEND, 0666) = {7:/w/log}\n" +
			"100 lseek({7:/w/log}, 0, SEEK_END) = 6\n" +
			"100 pipe2([{8:pipe:[5]}, {9:pipe:[5]}], O_NONBLOCK) = 0\n" +
			"100 read({8:pipe:[5]}, 0x55d0, 40) = -1 EAGAIN (Resource temporarily unavailable)\n",
			map[int]string{5: "close 0", 6: "write 6", 7: "close 0", 9: "lseek 6", 11: "read -1 EAGAIN"}},
		{"closed and taken again", "100 openat(AT_FDCWD, \"/w/a\", O_RDONLY) = {7:/w/a}\n" + thread +
			"101 close({7:/w/a} <unfinished ...>\n" +
			"100 openat(AT_FDCWD, \"/w\", O_RDONLY) = {7:/w}\n" +
			"100 close({7:/w}) = 0\n" +
			"100 openat(AT_FDCWD, \"/w/log\", O_WRONLY|O_CREAT|O_TRUNC|O_APPEND, 0666) = {7:/w/log}\n" +
			"101 <... close resumed>) = 0\n" +
			"100 write({7:/w/log}, \"hello\\n\", 6) = 6\n" +
			"100 close({7:/w/log}) = 0\n" +
			"100 openat(AT_FDCWD, \"/w/log\", O_WRONLY|O_APPEND) = {7:/w/log}\n" +
			"100 lseek({7:/w/log}, 0, SEEK_END) = 6\n" +
			"100 close({7:/w/log}) = 0\n",
			map[int]string{7: "close 0", 8: "write 6", 9: "close 0", 11: "lseek 6", 12: "close 0"}},
	} {
		for _, y := range []bool{false, true} {
			trace := fdPlaceholder.ReplaceAllStringFunc(c.trace, func(m string) string {
				fd, p, _ := strings.Cut(strings.Trim(m, "{}"), ":")
				if y {
					return fd + "<" + p + ">"
				}
				return fd
			})
			checkLines(t, trace, c.want, fmt.Sprintf("%s, -y %v", c.name, y))
		}
	}
}

// fdPlaceholder is an fd in a trace TestSplitCloseOfThread writes:
// {FD:PATH}.
var fdPlaceholder = regexp.MustCompile(`\{[0-9]+:[^{}]+\}`)

// checkLines replays an strace -f trace as a file's lines are read and
// checks the output of the calls at the lines want names (a call strace
// split is at the line that resumed it); what says which case failed.
func checkLines(t *testing.T, trace string, want map[int]string, what string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "t.strace")
	if err := os.WriteFile(file, []byte(trace), 0o644); err != nil {
		t.Fatal(err)
	}
	m := posix.Model{}
	st := m.Init()
	got := map[int]string{}
	for _, e := range readTrace(t, file, "t.strace", true, false) {
		if o := m.Apply(st, e); want[e.Line] != "" {
			got[e.Line] = string(o)
		}
	}
	for line, w := range want {
		if got[line] != w {
			t.Errorf("line %d replays %q, want %q\n%s", line, got[line], w, what)
		}
	}
}

// TestSplitCallsOnEventfds replays reads and writes of an eventfd that
// strace -f split. A write split only by another process's call on
// another file counts as any other; a read while a write is in flight
// may come before it or after, so its count is unknown, and so is the
// counter until a read with none in flight empties it (an EAGAIN's 0 is
// then unknown too); so is a read that a write crossed.
func TestSplitCallsOnEventfds(t *testing.T) {
	const ev = "5<anon_inode:[eventfd]>"
	one, two, three := `"\1\0\0\0\0\0\0\0"`, `"\2\0\0\0\0\0\0\0"`, `"\3\0\0\0\0\0\0\0"`
	trace := "100 eventfd2(0, EFD_CLOEXEC|EFD_NONBLOCK) = " + ev + "\n" +
		"100 clone(child_stack=0x7f00, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM) = 101\n" +
		"101 write(" + ev + ", " + one + ", 8 <unfinished ...>\n" +
		"100 openat(AT_FDCWD, \"/w/x\", O_RDONLY) = -1 ENOENT (No such file or directory)\n" +
		"101 <... write resumed>) = 8\n" +
		"100 read(" + ev + ", " + one + ", 8) = 8\n" +
		"101 write(" + ev + ", " + two + ", 8 <unfinished ...>\n" +
		"100 read(" + ev + ", " + two + ", 8) = 8\n" +
		"101 <... write resumed>) = 8\n" +
		"100 read(" + ev + ", 0x7f00, 8) = -1 EAGAIN (Resource temporarily unavailable)\n" +
		"101 write(" + ev + ", " + three + ", 8) = 8\n" +
		"100 read(" + ev + ", " + three + ", 8) = 8\n" +
		"100 read(" + ev + ", 0x7f00, 8) = -1 EAGAIN (Resource temporarily unavailable)\n" +
		"100 read(" + ev + ",  <unfinished ...>\n" +
		"101 write(" + ev + ", " + one + ", 8) = 8\n" +
		"100 <... read resumed>" + one + ", 8) = 8\n" +
		"100 read(" + ev + ", 0x7f00, 8) = -1 EAGAIN (Resource temporarily unavailable)\n"
	unknown := `read 8 "\?\?\?\?\?\?\?\?"`
	want := map[int]string{5: "write 8", 6: `read 8 "\x01\x00\x00\x00\x00\x00\x00\x00"`, 8: unknown, 9: "write 8",
		10: unknown, 11: "write 8", 12: `read 8 "\x03\x00\x00\x00\x00\x00\x00\x00"`, 13: "read -1 EAGAIN",
		15: "write 8", 16: unknown, 17: "read -1 EAGAIN"}
	checkLines(t, trace, want, "eventfd")
}
