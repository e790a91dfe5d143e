package posix_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/posix"
)

// TestSymlinkFollowed is `ln -s s2 l; cat l` as strace without -y prints
// it: the open of "l" names no file of its own, so the replay must follow
// the link the trace made to s2, and read s2's bytes, not the link's
// ("s2"). stat and access follow it too; lstat, and an open with
// O_NOFOLLOW, do not. A link in a directory's place is followed as well,
// and one that points at itself gives up.
func TestSymlinkFollowed(t *testing.T) {
	lines := []string{
		`1 openat(AT_FDCWD, "s2", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3`,
		`1 write(3, "a\nb\nc\n", 6) = 6`,
		`1 close(3) = 0`,
		`1 symlinkat("s2", AT_FDCWD, "l") = 0`,
		`1 openat(AT_FDCWD, "l", O_RDONLY) = 3`,
		`1 read(3, "a\nb\nc\n", 4096) = 6`,
		`1 close(3) = 0`,
		`1 newfstatat(AT_FDCWD, "l", {st_mode=S_IFREG|0644, st_size=6, ...}, 0) = 0`,
		`1 newfstatat(AT_FDCWD, "l", {st_mode=S_IFLNK|0777, st_size=2, ...}, AT_SYMLINK_NOFOLLOW) = 0`,
		`1 lstat("l", {st_mode=S_IFLNK|0777, st_size=2, ...}) = 0`,
		`1 access("l", R_OK) = 0`,
		`1 mkdir("d", 0777) = 0`,
		`1 symlink("d", "e") = 0`,
		`1 openat(AT_FDCWD, "e/f", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3`,
		`1 write(3, "xy", 2) = 2`,
		`1 close(3) = 0`,
		`1 openat(AT_FDCWD, "d/f", O_RDONLY) = 3`,
		`1 read(3, "xy", 10) = 2`,
		`1 close(3) = 0`,
		`1 symlink("loop", "loop") = 0`,
		`1 newfstatat(AT_FDCWD, "loop", 0x7ffd, 0) = -1 ELOOP (Too many levels of symbolic links)`,
		`1 openat(AT_FDCWD, "l", O_RDONLY|O_NOFOLLOW) = -1 ELOOP (Too many levels of symbolic links)`,
		`1 statx(AT_FDCWD, "l", AT_STATX_SYNC_AS_STAT|AT_SYMLINK_NOFOLLOW, STATX_ALL, {stx_mask=STATX_ALL, stx_mode=S_IFLNK|0777, stx_size=2, ...}) = 0`,
		`1 statx(AT_FDCWD, "l", AT_STATX_SYNC_AS_STAT, STATX_ALL, {stx_mask=STATX_ALL, stx_mode=S_IFREG|0644, stx_size=6, ...}) = 0`,
	}
	evs, _ := traceOf(t, lines)
	checkReplays(t, lines, evs, map[int]string{
		5:  `read 6 "a\x0ab\x0ac\x0a"`,
		7:  "stat size=6",
		8:  "stat size=2",
		9:  "stat size=2",
		10: "access 0",
		17: `read 2 "xy"`,
		22: "stat size=2",
		23: "stat size=6",
	})
	// The loop: whatever the replay says of it, it says it without
	// hanging.
	for _, i := range []int{20, 21} {
		provenance.Replay(posix.Model{}, evs[:i], evs[i])
	}
}

// TestFIFOAndFchdir replays what TestProgramReplies first caught on
// bash and install -D without -y: a FIFO made by mkfifo, which a
// shell's `> p` neither empties nor turns into a file; a relative mkdir
// after fchdir, which is in the fd's directory; and an open that fails
// for a reason the model does not keep (ENXIO), which it gives as
// logged instead of inventing ENOENT.
func TestFIFOAndFchdir(t *testing.T) {
	lines := []string{
		`1 mknodat(AT_FDCWD, "/w/p", S_IFIFO|0666) = 0`,
		`2 openat(AT_FDCWD, "/w/p", O_RDONLY) = 3`,
		`3 openat(AT_FDCWD, "/w/p", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3`,
		`3 write(3, "via\n", 4) = 4`,
		`2 newfstatat(3, "", {st_mode=S_IFIFO|0644, st_size=0, ...}, AT_EMPTY_PATH) = 0`,
		`2 read(3, "via\n", 131072) = 4`,
		`4 mkdir("deep", 0755) = 0`,
		`4 openat(AT_FDCWD, "deep", O_RDONLY|O_DIRECTORY) = 3`,
		`4 openat(AT_FDCWD, ".", O_RDONLY) = 4`,
		`4 fchdir(3) = 0`,
		`4 mkdir("er", 0755) = 0`,
		`4 fchdir(4) = 0`,
		`4 openat(AT_FDCWD, "deep/er", O_RDONLY|O_DIRECTORY) = 5`,
		`4 openat(AT_FDCWD, "/dev/tty", O_RDWR|O_NONBLOCK) = -1 ENXIO (No such device or address)`,
	}
	evs, h := traceOf(t, lines)
	// Explaining that failure is refused, and says why and where.
	if _, err := posix.Spec.Explain(context.Background(), h, evs[13]); !errors.Is(err, provenance.ErrNotExplainable) ||
		!strings.Contains(err.Error(), "does not model why openat fails with ENXIO") || !strings.Contains(err.Error(), evs[13].Where()) {
		t.Errorf("explaining the ENXIO open: %v", err)
	}
	checkReplays(t, lines, evs, map[int]string{
		4:  "stat pipe",
		5:  `read 4 "via\x0a"`,
		12: "open 0",
		13: "open -1 ENXIO",
	})
}

// checkReplays checks that the replay of each of evs[:i] gives event i
// the output want[i] (lines[i] is its line, for the message).
func checkReplays(t *testing.T, lines []string, evs []*formats.Event, want map[int]string) {
	t.Helper()
	for i, w := range want {
		if got := provenance.Replay(posix.Model{}, evs[:i], evs[i]); string(got) != w {
			t.Errorf("line %d (%s): replayed %q, want %q", i+1, lines[i], got, w)
		}
	}
}
