package posix_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/wat-project/wat/specs/posix"
)

// TestApproxLeavesIdleOpens: a shell starts twenty programs, each of
// which opens libc read-only, reads its header and closes it, then one
// more whose read of libc is the target. The exact search has too many
// calls to try; the approximation must leave out the other programs'
// opens and the calls that started them (none can change what the
// target reads), so that it answers, where before it showed the whole
// history: and it must keep the shell's own open and the vfork that made
// the target's process (its fds come from there).
func TestApproxLeavesIdleOpens(t *testing.T) {
	lines := []string{`1 openat(AT_FDCWD</d>, "/lib/libc.so", O_RDONLY|O_CLOEXEC) = 3</lib/libc.so>`}
	for k := 2; k <= 21; k++ {
		lines = append(lines, fmt.Sprintf("1 vfork() = %d", k),
			fmt.Sprintf(`%d openat(AT_FDCWD</d>, "/lib/libc.so", O_RDONLY|O_CLOEXEC) = 3</lib/libc.so>`, k),
			fmt.Sprintf(`%d read(3</lib/libc.so>, "\177ELF", 4) = 4`, k),
			fmt.Sprintf(`%d close(3</lib/libc.so>) = 0`, k))
	}
	lines = append(lines, "1 vfork() = 99",
		`99 openat(AT_FDCWD</d>, "/lib/libc.so", O_RDONLY|O_CLOEXEC) = 3</lib/libc.so>`,
		`99 read(3</lib/libc.so>, "\177ELF", 4) = 4`)
	evs, h := traceOf(t, lines)
	target := evs[len(evs)-1]
	x, err := posix.Spec.Explain(context.Background(), h, target)
	if err != nil {
		t.Fatal(err)
	}
	if x.FellBack || x.Exact || !strings.Contains(strings.Join(x.Notes, "\n"), "an approximation") {
		t.Fatalf("fell back %v, exact %v, notes %q: want the approximation's answer", x.FellBack, x.Exact, x.Notes)
	}
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
