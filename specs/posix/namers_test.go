package posix_test

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance/provenancetest"
	"github.com/wat-project/wat/specs/posix"
)

// namers draws a shell (pid 1, in /d) that runs programs one after
// another, each a child of its own, that look at names and change them:
// read-only opens of a file or of a directory (found or not, closed or
// not), stats, mkdir and rmdir, creates (O_TRUNC or O_EXCL), unlinks,
// renames and hard links, among the files a, b, c and e/f and the
// directory e, or among x, y and g/z and g (a rename or link between the
// two groups in one of six); a program that opens e and makes or removes
// f in it through that fd, ln -s e l and a create of l/f through it.
// Names are by a path -y shows relative to, or by a relative name alone.
// The last program makes the target, a call whose output is of names
// alone: a rename, unlink, mkdir, rmdir or a create (O_EXCL or not),
// through AT_FDCWD or through an fd on /d it opened first. The kernel's
// results are the test's own (a file a holds a name from before the
// trace in half the traces), so the log is one a kernel could write.
func namers(r *rand.Rand) []string {
	kind := map[string]byte{} // by path under /d: 'f' a file, 'd' a directory
	if r.Intn(2) == 0 {
		kind["a"] = 'f'
	}
	inode := map[string]int{"a": 1} // by file, which file it is (hard links share one)
	next := 2
	sh := &shell{}
	add, child := sh.add, sh.child
	add(`1 getcwd("/d", 4096) = 3`) // relative names are in /d, as the trace shows
	// Two groups of names, each with its directory, that only a rename
	// or a link between them (one in six) connects: the target's, and
	// others.
	groups := [][]string{{"a", "b", "c", "e/f"}, {"x", "y", "g/z"}}
	dirs := []string{"e", "g"}
	dirOf := map[string]string{"e/f": "e", "g/z": "g"}
	pick := func(names []string) string { return names[r.Intn(len(names))] }
	parentOK := func(name string) bool { return dirOf[name] == "" || kind[dirOf[name]] == 'd' }
	// call names a call by its *at form with dirfd (its dirfd and a
	// comma: "AT_FDCWD</d>, ", "3</d>, "), or with dirfd "" by the form
	// that takes a name relative to the working directory alone.
	call := func(op, dirfd string) string {
		if dirfd != "" {
			return op + "at(" + dirfd
		}
		return op + "("
	}
	// cwd is a dirfd for the working directory: the one -y shows, or ""
	// (a name alone) in a third of the calls.
	cwd := func() string {
		if r.Intn(3) == 0 {
			return ""
		}
		return "AT_FDCWD</d>, "
	}
	errno := map[string]string{
		"ENOENT": "No such file or directory", "EEXIST": "File exists", "EISDIR": "Is a directory",
		"ENOTDIR": "Not a directory", "ENOTEMPTY": "Directory not empty",
	}
	fail := func(e string) string { return fmt.Sprintf("-1 %s (%s)", e, errno[e]) }
	// The calls that change names, each with the kernel's result, by
	// their *at forms with dirfd (see call).
	mkdir := func(p, dirfd, d string) {
		if kind[d] != 0 {
			add(`%s %s"%s", 0777) = %s`, p, call("mkdir", dirfd), d, fail("EEXIST"))
			return
		}
		add(`%s %s"%s", 0777) = 0`, p, call("mkdir", dirfd), d)
		kind[d] = 'd'
	}
	rmdir := func(p, dirfd, d string) {
		c := `rmdir("` + d + `"`
		if dirfd != "" {
			c = `unlinkat(` + dirfd + `"` + d + `", AT_REMOVEDIR`
		}
		full := false
		for name := range kind {
			full = full || dirOf[name] == d
		}
		switch {
		case kind[d] == 0:
			add(`%s %s) = %s`, p, c, fail("ENOENT"))
		case full:
			add(`%s %s) = %s`, p, c, fail("ENOTEMPTY"))
		default:
			add(`%s %s) = 0`, p, c)
			delete(kind, d)
		}
	}
	unlink := func(p, dirfd, name string) {
		c := call("unlink", dirfd) + `"` + name + `"`
		if dirfd != "" {
			c += ", 0"
		}
		if kind[name] == 0 || !parentOK(name) {
			add(`%s %s) = %s`, p, c, fail("ENOENT"))
			return
		}
		add(`%s %s) = 0`, p, c)
		delete(kind, name)
	}
	create := func(p, dirfd, name string, excl bool, fd int) {
		flags := "O_WRONLY|O_CREAT|O_TRUNC"
		if excl {
			flags = "O_WRONLY|O_CREAT|O_EXCL"
		}
		c := fmt.Sprintf(`%s"%s", %s, 0666`, call("open", dirfd), name, flags)
		switch {
		case !parentOK(name):
			add(`%s %s) = %s`, p, c, fail("ENOENT"))
		case excl && kind[name] != 0:
			add(`%s %s) = %s`, p, c, fail("EEXIST"))
		default:
			add(`%s %s) = %d</d/%s>`, p, c, fd, name)
			if kind[name] == 0 {
				kind[name], inode[name] = 'f', next
				next++
			}
		}
	}
	rename := func(p, dirfd, from, to string) {
		c := fmt.Sprintf(`%s"%s", %s"%s"`, call("rename", dirfd), from, dirfd, to)
		switch {
		case kind[from] == 0 || !parentOK(from) || !parentOK(to):
			add(`%s %s) = %s`, p, c, fail("ENOENT"))
		default:
			add(`%s %s) = 0`, p, c)
			if kind[to] == 0 || inode[to] != inode[from] { // a rename between names of one file changes nothing
				kind[to], inode[to] = 'f', inode[from]
				delete(kind, from)
			}
		}
	}
	link := func(p, dirfd, from, to string) {
		c := fmt.Sprintf(`%s"%s", %s"%s"`, call("link", dirfd), from, dirfd, to)
		if dirfd != "" {
			c += ", 0"
		}
		switch {
		case kind[from] == 0 || !parentOK(from) || !parentOK(to):
			add(`%s %s) = %s`, p, c, fail("ENOENT"))
		case kind[to] != 0:
			add(`%s %s) = %s`, p, c, fail("EEXIST"))
		default:
			add(`%s %s) = 0`, p, c)
			kind[to], inode[to] = 'f', inode[from]
		}
	}
	for len(sh.lines) < 10 {
		p := child(r.Intn(3) == 0)
		g := r.Intn(2)
		files, dir := groups[g], dirs[g]
		other := func() string { // a name of the group, or one in six of the other
			if r.Intn(6) == 0 {
				return pick(groups[1-g])
			}
			return pick(files)
		}
		switch r.Intn(11) {
		case 0, 1: // a look: an open for reading (of e, as a directory), or a stat
			name := pick(append(slices.Clip(files), dir))
			path := call("open", cwd()) + `"` + name + `"`
			switch {
			case r.Intn(3) == 0:
				if kind[name] == 0 || !parentOK(name) {
					add(`%s newfstatat(AT_FDCWD</d>, "%s", 0x1, 0) = %s`, p, name, fail("ENOENT"))
				} else if kind[name] == 'd' {
					add(`%s newfstatat(AT_FDCWD</d>, "%s", {st_mode=S_IFDIR|0755, st_size=4096, ...}, 0) = 0`, p, name)
				} else {
					add(`%s newfstatat(AT_FDCWD</d>, "%s", {st_mode=S_IFREG|0644, st_size=0, ...}, 0) = 0`, p, name)
				}
			case kind[name] == 0 || !parentOK(name):
				add(`%s %s, O_RDONLY) = %s`, p, path, fail("ENOENT"))
			default:
				flags := "O_RDONLY"
				if kind[name] == 'd' {
					flags = "O_RDONLY|O_DIRECTORY"
				}
				add(`%s %s, %s) = 3</d/%s>`, p, path, flags, name)
				if r.Intn(2) == 0 {
					add(`%s close(3</d/%s>) = 0`, p, name)
				}
			}
		case 2:
			mkdir(p, cwd(), dir)
		case 3:
			rmdir(p, cwd(), dir)
		case 4:
			unlink(p, cwd(), pick(files))
		case 5:
			create(p, cwd(), pick(files), r.Intn(2) == 0, 3)
		case 6:
			rename(p, cwd(), pick(files), other())
		case 7:
			link(p, cwd(), pick(files), other())
		case 9: // ln -s e l
			if kind["l"] != 0 {
				add(`%s symlinkat("e", AT_FDCWD</d>, "l") = %s`, p, fail("EEXIST"))
			} else {
				add(`%s symlinkat("e", AT_FDCWD</d>, "l") = 0`, p)
				kind["l"] = 'l'
			}
		case 10: // a create of f through the link l
			if kind["l"] == 0 || kind["e"] != 'd' {
				add(`%s openat(AT_FDCWD</d>, "l/f", O_WRONLY|O_CREAT|O_TRUNC, 0666) = %s`, p, fail("ENOENT"))
				continue
			}
			add(`%s openat(AT_FDCWD</d>, "l/f", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3</d/e/f>`, p)
			if kind["e/f"] == 0 {
				kind["e/f"], inode["e/f"] = 'f', next
				next++
			}
		case 8: // f made or removed in e through an fd on it
			if kind["e"] != 'd' {
				add(`%s openat(AT_FDCWD</d>, "e", O_RDONLY|O_DIRECTORY) = %s`, p, fail("ENOENT"))
				continue
			}
			add(`%s openat(AT_FDCWD</d>, "e", O_RDONLY|O_DIRECTORY) = 3</d/e>`, p)
			if r.Intn(2) == 0 {
				create(p, "3</d/e>, ", "f", false, 4)
			} else if kind["e/f"] != 0 {
				add(`%s unlinkat(3</d/e>, "f", 0) = 0`, p)
				delete(kind, "e/f")
			} else {
				add(`%s unlinkat(3</d/e>, "f", 0) = %s`, p, fail("ENOENT"))
			}
		}
	}
	// The target, in a program of its own, through AT_FDCWD or an fd on
	// /d it opened (whose open its output rests on).
	p := child(false)
	dirfd := cwd()
	if r.Intn(3) == 0 {
		add(`%s openat(AT_FDCWD</d>, ".", O_RDONLY|O_DIRECTORY) = 3</d>`, p)
		dirfd = "3</d>, "
	}
	files := groups[0]
	switch r.Intn(6) {
	case 0:
		rename(p, dirfd, pick(files), pick(files))
	case 1:
		unlink(p, dirfd, pick(files))
	case 2:
		create(p, dirfd, pick(files), false, 4)
	case 3:
		mkdir(p, dirfd, "e")
	case 4:
		rmdir(p, dirfd, "e")
	default:
		create(p, dirfd, pick(files), true, 4)
	}
	return sh.lines
}

// TestNamersEqualBruteForce: a call whose output is of names alone, whose
// search leaves out the calls that change names elsewhere (quietCalls),
// gives the definition's witnesses by brute force over shells whose
// programs look at names, make, rename, link and remove them before it.
func TestNamersEqualBruteForce(t *testing.T) {
	checkQuiet(t, 400, namers, "calls that change names", posix.ChangesNames)
}

// TestNamesThroughLinkStay: calls through a symbolic link to e, by the
// link's path, are in the history of a call on e: a symbolic link is
// indexed under the path it points to too, and the history tracks the
// paths through it (before, both answers below were wrong and said
// exact). An rm of l/f, with l a link to e, emptied e for the rmdir. A
// create through the link, which failed where e was gone, makes f in e
// in a subtrace without the rmdir that removed e first, and then the
// later rmdir of e fails: its witnesses hold that rmdir. A history with
// a call that makes a link keeps every call (quietCalls).
func TestNamesThroughLinkStay(t *testing.T) {
	for _, lines := range [][]string{{
		`1 getcwd("/d", 4096) = 3`,
		`1 mkdirat(AT_FDCWD</d>, "e", 0777) = 0`,
		`1 openat(AT_FDCWD</d>, "e/f", O_WRONLY|O_CREAT|O_EXCL, 0666) = 3</d/e/f>`,
		`1 symlinkat("e", AT_FDCWD</d>, "l") = 0`,
		`1 unlinkat(AT_FDCWD</d>, "l/f", 0) = 0`,
		`1 unlinkat(AT_FDCWD</d>, "e", AT_REMOVEDIR) = 0`,
	}, {
		`1 getcwd("/d", 4096) = 3`,
		`1 mkdirat(AT_FDCWD</d>, "e", 0777) = 0`,
		`1 symlinkat("e", AT_FDCWD</d>, "l") = 0`,
		`1 unlinkat(AT_FDCWD</d>, "e", AT_REMOVEDIR) = 0`,
		`1 openat(AT_FDCWD</d>, "l/f", O_WRONLY|O_CREAT|O_TRUNC, 0666) = -1 ENOENT (No such file or directory)`,
		`1 mkdirat(AT_FDCWD</d>, "e", 0777) = 0`,
		`1 unlinkat(AT_FDCWD</d>, "e", AT_REMOVEDIR) = 0`,
	}} {
		evs := shellEvents(t, lines)
		provenancetest.Check(t, posix.Spec, provenancetest.Options{Seeds: 1, Labelled: true, Trace: func(*rand.Rand) ([]*formats.Event, *formats.Event) {
			return evs[:len(evs)-1], evs[len(evs)-1]
		}})
	}
}

// TestNamesGrowLeftOut: an unlink of a, which a rename of c made, after
// opens that show neither a nor c there before the trace: its witnesses
// hold the create of c, which names no path of the unlink's but the
// rename's other one, which the paths the search keeps calls on grow by
// (quietCalls: without that, the replay of the search's history fails
// the unlink). Over 20 creates of other files by other programs too, it
// is exact and its witnesses hold none.
func TestNamesGrowLeftOut(t *testing.T) {
	lines := func(n int) []string {
		out := []string{
			`1 getcwd("/d", 4096) = 3`,
			`1 openat(AT_FDCWD</d>, "a", O_RDONLY) = -1 ENOENT (No such file or directory)`,
			`1 openat(AT_FDCWD</d>, "c", O_RDONLY) = -1 ENOENT (No such file or directory)`,
			`1 clone(child_stack=NULL, flags=SIGCHLD) = 10`,
			`10 openat(AT_FDCWD</d>, "c", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3</d/c>`,
		}
		for i := range n {
			out = append(out, fmt.Sprintf(`1 clone(child_stack=NULL, flags=SIGCHLD) = %d`, 20+i),
				fmt.Sprintf(`%d openat(AT_FDCWD</d>, "t%d", O_WRONLY|O_CREAT|O_EXCL, 0666) = 3</d/t%d>`, 20+i, i, i))
		}
		return append(out,
			`1 clone(child_stack=NULL, flags=SIGCHLD) = 11`,
			`11 renameat(AT_FDCWD</d>, "c", AT_FDCWD</d>, "a") = 0`,
			`1 clone(child_stack=NULL, flags=SIGCHLD) = 12`,
			`12 unlinkat(AT_FDCWD</d>, "a", 0) = 0`)
	}
	bruteForce(t, shellEvents(t, lines(2)))
	ws := exactWitnesses(t, shellEvents(t, lines(20)))
	for _, w := range ws {
		if !slices.ContainsFunc(w, func(e *formats.Event) bool { return e.Client == "10" }) {
			t.Errorf("witness %v lacks the create of c", w)
		}
		for _, e := range w {
			if e.Op == "openat" && e.Client != "10" && e.Client != "1" {
				t.Errorf("witness %v holds another file's create: %s", w, e.Raw)
			}
		}
	}
}
