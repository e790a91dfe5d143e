package posix_test

import (
	"testing"

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
	}
	evs, _ := traceOf(t, lines)
	for i, want := range map[int]string{
		5:  `read 6 "a\x0ab\x0ac\x0a"`,
		7:  "stat size=6",
		8:  "stat size=2",
		9:  "stat size=2",
		10: "access 0",
		17: `read 2 "xy"`,
	} {
		if got := provenance.Replay(posix.Model{}, evs[:i], evs[i]); string(got) != want {
			t.Errorf("line %d (%s): replayed %q, want %q", i+1, lines[i], got, want)
		}
	}
	// The loop: whatever the replay says of it, it says it without
	// hanging.
	for _, i := range []int{20, 21} {
		provenance.Replay(posix.Model{}, evs[:i], evs[i])
	}
}
