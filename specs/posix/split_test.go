package posix_test

import (
	"os"
	"path/filepath"
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
// while a write is blocked, of bytes written before it: seq | sort), the
// bytes stay known.
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
			"101 write(4<pipe:[7]>, \"abc\\n\", 4) = 4\n" +
			"100 read(3<pipe:[7]>, \"abc\\n\", 100) = 4\n", map[int]string{8: `read 4 "\?\?\?\?"`}},
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
			file := filepath.Join(t.TempDir(), "t.strace")
			if err := os.WriteFile(file, []byte(head+c.trace), 0o644); err != nil {
				t.Fatal(err)
			}
			m := posix.Model{}
			st := m.Init()
			got := map[int]string{}
			for _, e := range readTrace(t, file, "t.strace", true, false) {
				if o := m.Apply(st, e); c.want[e.Line] != "" {
					got[e.Line] = string(o)
				}
			}
			for line, want := range c.want {
				if got[line] != want {
					t.Errorf("line %d replays %q, want %q\n%s", line, got[line], want, strings.TrimSpace(c.trace))
				}
			}
		})
	}
}
