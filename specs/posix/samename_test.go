package posix_test

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance/provenancetest"
	"github.com/wat-project/wat/specs/posix"
)

// twoHeads is git's way with two repositories' HEAD files: each written
// to HEAD.lock and renamed over HEAD by absolute paths; the first one
// opened and read n times, then the second one read (the target).
func twoHeads(n int) []string {
	lines := []string{
		`1 openat(AT_FDCWD, "/r/a/HEAD.lock", O_WRONLY|O_CREAT|O_EXCL, 0666) = 3</r/a/HEAD.lock>`,
		`1 write(3</r/a/HEAD.lock>, "x\n", 2) = 2`,
		`1 close(3</r/a/HEAD.lock>) = 0`,
		`1 rename("/r/a/HEAD.lock", "/r/a/HEAD") = 0`,
	}
	for range n {
		lines = append(lines,
			`1 openat(AT_FDCWD, "/r/a/HEAD", O_RDONLY) = 3</r/a/HEAD>`,
			`1 read(3</r/a/HEAD>, "x\n", 64) = 2`,
			`1 close(3</r/a/HEAD>) = 0`)
	}
	return append(lines,
		`1 openat(AT_FDCWD, "/r/b/HEAD.lock", O_WRONLY|O_CREAT|O_EXCL, 0666) = 3</r/b/HEAD.lock>`,
		`1 write(3</r/b/HEAD.lock>, "y\n", 2) = 2`,
		`1 close(3</r/b/HEAD.lock>) = 0`,
		`1 rename("/r/b/HEAD.lock", "/r/b/HEAD") = 0`,
		`1 openat(AT_FDCWD, "/r/b/HEAD", O_RDONLY) = 3</r/b/HEAD>`,
		`1 read(3</r/b/HEAD>, "y\n", 64) = 2`)
}

// TestOtherFilesOfOneName: the calls on another file of the same base
// name, which every call names by its absolute path, stay out of a
// read's history, also when a rename in it names both by absolute paths.
// (A rename's refs hold each path's base name too, which had been taken
// for a relative name: every file named HEAD in git's repositories came
// into the history of a read of one of them, too many for the exact
// search.) Small enough for the brute force, the answer is the
// definition's; with 8 reads of the other file, it is still exact and
// names none of them.
func TestOtherFilesOfOneName(t *testing.T) {
	evs, _ := traceOf(t, twoHeads(2))
	provenancetest.Check(t, posix.Spec, provenancetest.Options{Seeds: 1, Trace: func(*rand.Rand) ([]*formats.Event, *formats.Event) {
		return evs[:len(evs)-1], evs[len(evs)-1]
	}})
	for _, e := range oneExactWitness(t, twoHeads(8)) {
		if strings.Contains(string(e.Raw), "/r/a/") {
			t.Errorf("witness holds a call on the other file: %s", e.Raw)
		}
	}
}
