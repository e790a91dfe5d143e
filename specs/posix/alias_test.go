package posix_test

import (
	"context"
	"strings"
	"testing"

	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/posix"
)

// TestAliasWithoutY is logrotate's copytruncate as strace without -y
// prints it: a shell writes "app.log" (relative to a working directory
// no call shows), logrotate truncates "/w/app.log" (the same file, which
// the trace cannot tell), and the shell appends to "app.log". The replay
// must not give the nine bytes the two names as two files would hold:
// the size and bytes are unknown, and the answer says why. With another
// absolute name, or with the working directory shown (-y), the bytes are
// known.
func TestAliasWithoutY(t *testing.T) {
	trace := func(cwd, abs string) []string {
		return []string{
			`1 openat(AT_FDCWD` + cwd + `, "app.log", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3`,
			`1 write(3, "l1\nl2\n", 6) = 6`,
			`1 close(3) = 0`,
			`1 openat(AT_FDCWD` + cwd + `, "` + abs + `", O_WRONLY) = 3`,
			`1 ftruncate(3, 0) = 0`,
			`1 close(3) = 0`,
			`1 openat(AT_FDCWD` + cwd + `, "app.log", O_WRONLY|O_APPEND) = 3`,
			`1 write(3, "l3\n", 3) = 3`,
			`1 close(3) = 0`,
			`1 openat(AT_FDCWD` + cwd + `, "app.log", O_RDONLY) = 3`,
			`1 newfstatat(3, "", {st_mode=S_IFREG|0644, st_size=3, ...}, AT_EMPTY_PATH) = 0`,
			`1 read(3, "l3\n", 4096) = 3`,
			`1 lseek(3, 0, SEEK_END) = 3`,
			`1 unlink("app.log") = 0`,
			`1 newfstatat(AT_FDCWD` + cwd + `, "` + abs + `", 0x7ffd, 0) = -1 ENOENT (No such file or directory)`,
			`1 openat(AT_FDCWD` + cwd + `, "app.log", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 4`,
			`1 newfstatat(AT_FDCWD` + cwd + `, "` + abs + `", {st_mode=S_IFREG|0644, st_size=0, ...}, 0) = 0`,
		}
	}
	for _, c := range []struct {
		name, cwd, abs   string
		stat, read, seek string
		// gone and back: a stat by the other name after an unlink of
		// app.log, and after it is made again.
		gone, back string
		labelled   bool
	}{
		{"aliased", "", "/w/app.log", "stat size=?", `read 3 "\?\?\?"`, "lseek ?", "stat ?", "stat ?", true},
		{"another file", "", "/w/other.log", "stat size=9", `read 9 "l1\x0al2\x0al3\x0a"`, "lseek 9", "stat size=0", "stat size=0", false},
		{"-y shows the directory", "</w>", "/w/app.log", "stat size=3", `read 3 "l3\x0a"`, "lseek 3", "stat -1 ENOENT", "stat size=0", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs, h := traceOf(t, trace(c.cwd, c.abs))
			for i, want := range map[int]string{10: c.stat, 11: c.read, 12: c.seek, 14: c.gone, 16: c.back} {
				if got := provenance.Replay(posix.Model{}, evs[:i], evs[i]); string(got) != want {
					t.Errorf("line %d: replayed %q, want %q", i+1, got, want)
				}
			}
			x, err := posix.Spec.Explain(context.Background(), h, evs[11])
			if err != nil {
				t.Fatal(err)
			}
			notes := strings.Join(x.Notes, " ")
			named := strings.Contains(notes, `"app.log" and "/w/app.log" may name the same file`)
			if c.labelled && (x.Exact || !named) || !c.labelled && named {
				t.Errorf("read explained: exact %v, notes %q", x.Exact, x.Notes)
			}
		})
	}
}

// TestAliasMadeAgain: a file gone under its absolute name may be made
// again under a relative one that may name it (strace without -y):
// whether the absolute name exists is then unknown, not "ENOENT".
func TestAliasMadeAgain(t *testing.T) {
	evs, _ := traceOf(t, []string{
		`1 openat(AT_FDCWD, "/w/app.log", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3`,
		`1 unlink("/w/app.log") = 0`,
		`1 openat(AT_FDCWD, "app.log", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 4`,
		`1 newfstatat(AT_FDCWD, "/w/app.log", {st_mode=S_IFREG|0644, st_size=0, ...}, 0) = 0`,
	})
	if got := provenance.Replay(posix.Model{}, evs[:3], evs[3]); got != "stat ?" {
		t.Errorf("stat of the name gone, after the relative name is made: replayed %q, want %q", got, "stat ?")
	}
}

// TestMappedFile: SQLite's -shm file, or Python's mmap, changed through
// a shared writable mapping: the bytes written through it are not in the
// trace, so a later read's are unknown and the answer says why; a
// private or read-only mapping changes nothing.
func TestMappedFile(t *testing.T) {
	for _, c := range []struct {
		prot, flags, read string
		labelled          bool
	}{
		{"PROT_READ|PROT_WRITE", "MAP_SHARED", `read 6 "\?\?\?\?\?\?"`, true},
		{"PROT_READ", "MAP_SHARED", `read 6 "abcdef"`, false},
		{"PROT_READ|PROT_WRITE", "MAP_PRIVATE", `read 6 "abcdef"`, false},
	} {
		evs, h := traceOf(t, []string{
			`1 openat(AT_FDCWD</w>, "mapped.bin", O_RDWR|O_CREAT|O_TRUNC|O_CLOEXEC, 0644) = 3</w/mapped.bin>`,
			`1 write(3</w/mapped.bin>, "abcdef", 6) = 6`,
			`1 mmap(NULL, 6, ` + c.prot + `, ` + c.flags + `, 3</w/mapped.bin>, 0) = 0x7fcde6c0a000`,
			`1 pread64(3</w/mapped.bin>, "XYZdef", 6, 0) = 6`,
		})
		x, err := posix.Spec.Explain(context.Background(), h, evs[3])
		if err != nil {
			t.Fatal(err)
		}
		mapped := strings.Contains(strings.Join(x.Notes, " "), `"/w/mapped.bin" was mapped shared and writable`)
		if string(x.Output) != c.read || c.labelled != (mapped && !x.Exact) {
			t.Errorf("%s %s: output %q, exact %v, notes %q; want %q", c.prot, c.flags, x.Output, x.Exact, x.Notes, c.read)
		}
	}
}
