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

// lockedWrites is sqlite3's way with its database: every read and write
// between record locks taken and dropped (fcntl F_SETLK), n pairs of
// them before the header is written and n after; the target reads part
// of the header back.
func lockedWrites(n int) []string {
	locks := func() (out []string) {
		for range n {
			out = append(out,
				`1 fcntl(3</d/db>, F_SETLK, {l_type=F_RDLCK, l_whence=SEEK_SET, l_start=1073741824, l_len=1}) = 0`,
				`1 fcntl(3</d/db>, F_SETLK, {l_type=F_UNLCK, l_whence=SEEK_SET, l_start=0, l_len=0}) = 0`)
		}
		return out
	}
	lines := []string{`1 openat(AT_FDCWD, "/d/db", O_RDWR|O_CREAT|O_EXCL, 0644) = 3</d/db>`}
	lines = append(lines, locks()...)
	lines = append(lines, `1 fcntl(3</d/db>, F_GETFL) = 0x2 (flags O_RDWR)`, `1 pwrite64(3</d/db>, "SQLite", 6, 0) = 6`)
	lines = append(lines, locks()...)
	return append(lines, `1 pread64(3</d/db>, "QL", 2, 1) = 2`)
}

// TestLocksLeftOut: record locks and flag queries, which the model
// replays as nothing, stay out of a read's history. Small enough for the
// brute force, the answer is the definition's; with 12 pairs of locks on
// each side of the write (49 locks and flag queries in the trace), the
// exact search still answers (not the labelled approximation), and every
// witness holds the write and no lock. (sqlite3's read of its header
// after a transaction had 16 locks in its history, past the exact
// search's limit.) The answer is labelled, as any whose witness takes the
// file to be one from before the trace, which the -y decoration of the
// write's fd allows without the open.
func TestLocksLeftOut(t *testing.T) {
	evs, _ := traceOf(t, lockedWrites(1))
	provenancetest.Check(t, posix.Spec, provenancetest.Options{Seeds: 1, Labelled: true, Trace: func(*rand.Rand) ([]*formats.Event, *formats.Event) {
		return evs[:len(evs)-1], evs[len(evs)-1]
	}})
	x, ws := explainLast(t, lockedWrites(12))
	for _, n := range x.Notes {
		if strings.Contains(n, "approximation") || strings.Contains(n, "too large") {
			t.Errorf("answered past the exact search: %s", n)
		}
	}
	for _, w := range ws {
		write := false
		for _, e := range w {
			write = write || e.Op == "pwrite64"
			if e.Op == "fcntl" {
				t.Errorf("a witness holds a lock: %s", e.Raw)
			}
		}
		if !write {
			t.Errorf("a witness without the write: %v", w)
		}
	}
	if len(ws) == 0 {
		t.Errorf("no witness; notes %q", x.Notes)
	}
}
