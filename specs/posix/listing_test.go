package posix_test

import (
	"fmt"
	"math/rand"
	"path"
	"slices"
	"strings"
	"testing"
)

// listKernel is TestListingsWhateverOlderNames's own kernel: a tree of
// directories and files under /d, and process 1's fd 5 on a directory.
type listKernel struct {
	names map[string]int // path -> node
	dirs  map[int]bool   // the nodes that are directories
	next  int
	fd    *listFD
}

// A listFD is fd 5: its directory, and the names a listing gave since
// the fd was at the start, as tmpfs keeps a cursor past them.
type listFD struct {
	node  int
	given map[string]bool
}

// newListKernel makes /d with the directories s and t (older than the
// trace) and the files hidden names in /d/s.
func newListKernel(hidden []string) *listKernel {
	k := &listKernel{names: map[string]int{}, dirs: map[int]bool{}}
	for _, d := range []string{"/d", "/d/s", "/d/t"} {
		k.make(d, true)
	}
	for _, n := range hidden {
		k.make("/d/s/"+n, false)
	}
	return k
}

func (k *listKernel) make(p string, dir bool) {
	k.next++
	k.names[p], k.dirs[k.next] = k.next, dir
}

// children returns the names in the directory at p.
func (k *listKernel) children(p string) []string {
	var out []string
	for n := range k.names {
		if path.Dir(n) == p && n != p {
			out = append(out, path.Base(n))
		}
	}
	slices.Sort(out)
	return out
}

// pathOf returns where node n is now ("" when no name reaches it).
func (k *listKernel) pathOf(n int) string {
	for p, m := range k.names {
		if m == n {
			return p
		}
	}
	return ""
}

// listOp is one call of the trace: its kind and its paths.
type listOp struct {
	kind     string
	from, to string
}

// do runs op and returns its strace line. When drawing, an open while
// fd 5 is open is a close of it: do makes op one. Else an open binds
// fd 5 anew, as the model takes a number the trace shows an open bound
// (the number an open gives is an output of its own, not modelled).
func (k *listKernel) do(op *listOp, drawing bool) string {
	_, exists := k.names[op.from]
	_, parent := k.names[path.Dir(op.from)]
	switch op.kind {
	case "mkdir":
		switch {
		case exists:
			return fmt.Sprintf(`1 mkdir("%s", 0777) = -1 EEXIST (File exists)`, op.from)
		case !parent:
			return fmt.Sprintf(`1 mkdir("%s", 0777) = -1 ENOENT (No such file or directory)`, op.from)
		}
		k.make(op.from, true)
		return fmt.Sprintf(`1 mkdir("%s", 0777) = 0`, op.from)
	case "unlink":
		switch {
		case !exists:
			return fmt.Sprintf(`1 unlink("%s") = -1 ENOENT (No such file or directory)`, op.from)
		case k.dirs[k.names[op.from]]:
			return fmt.Sprintf(`1 unlink("%s") = -1 EISDIR (Is a directory)`, op.from)
		}
		delete(k.names, op.from)
		return fmt.Sprintf(`1 unlink("%s") = 0`, op.from)
	case "rename":
		_, dstParent := k.names[path.Dir(op.to)]
		dst, dstExists := k.names[op.to]
		src := k.names[op.from]
		fail := ""
		switch {
		case !exists || !dstParent:
			fail = "ENOENT (No such file or directory)"
		case dstExists && k.dirs[src] && !k.dirs[dst]:
			fail = "ENOTDIR (Not a directory)"
		case dstExists && !k.dirs[src] && k.dirs[dst]:
			fail = "EISDIR (Is a directory)"
		case dstExists && k.dirs[dst] && len(k.children(op.to)) > 0:
			fail = "ENOTEMPTY (Directory not empty)"
		}
		if fail != "" {
			return fmt.Sprintf(`1 rename("%s", "%s") = -1 %s`, op.from, op.to, fail)
		}
		moved := map[string]int{}
		for p, n := range k.names {
			if p == op.from || strings.HasPrefix(p, op.from+"/") {
				moved[op.to+strings.TrimPrefix(p, op.from)] = n
				delete(k.names, p)
			}
		}
		delete(k.names, op.to)
		for p, n := range moved {
			k.names[p] = n
		}
		return fmt.Sprintf(`1 rename("%s", "%s") = 0`, op.from, op.to)
	case "open":
		if k.fd != nil && drawing {
			op.kind = "close"
			return k.do(op, drawing)
		}
		if !exists {
			return fmt.Sprintf(`1 openat(AT_FDCWD</d>, "%s", O_RDONLY|O_CLOEXEC|O_DIRECTORY) = -1 ENOENT (No such file or directory)`, op.from)
		}
		k.fd = &listFD{node: k.names[op.from], given: map[string]bool{}}
		return fmt.Sprintf(`1 openat(AT_FDCWD</d>, "%s", O_RDONLY|O_CLOEXEC|O_DIRECTORY) = 5<%s>`, op.from, op.from)
	case "close":
		if k.fd == nil {
			return `1 close(5) = -1 EBADF (Bad file descriptor)`
		}
		p := k.pathOf(k.fd.node)
		k.fd = nil
		return fmt.Sprintf(`1 close(5<%s>) = 0`, p)
	case "getdents":
		if k.fd == nil {
			return `1 getdents64(5, 0x5599, 32768) = -1 EBADF (Bad file descriptor)`
		}
		p := k.pathOf(k.fd.node)
		n, size := 0, 0
		for _, c := range append([]string{".", ".."}, k.children(p)...) {
			if !k.fd.given[c] {
				k.fd.given[c] = true
				n++
				size += (19 + len(c) + 1 + 7) &^ 7
			}
		}
		return fmt.Sprintf(`1 getdents64(5<%s>, 0x5599 /* %d entries */, 32768) = %d`, p, n, size)
	case "stat": // by name, or (from "") fd 5's, as glibc's fstat
		node, ok := k.names[op.from]
		call := fmt.Sprintf(`1 newfstatat(AT_FDCWD</d>, "%s", `, op.from)
		flags := "0"
		if op.from == "" {
			if k.fd == nil {
				return `1 newfstatat(5, "", 0x7ffd, AT_EMPTY_PATH) = -1 EBADF (Bad file descriptor)`
			}
			node, ok, flags = k.fd.node, true, "AT_EMPTY_PATH"
			call = fmt.Sprintf(`1 newfstatat(5<%s>, "", `, k.pathOf(node))
		}
		switch {
		case !ok:
			return call + `0x7ffd, 0) = -1 ENOENT (No such file or directory)`
		case k.dirs[node]:
			// tmpfs's size of a directory: 20 bytes an entry.
			return call + fmt.Sprintf(`{st_mode=S_IFDIR|0755, st_size=%d, ...}, %s) = 0`, 20*(2+len(k.children(k.pathOf(node)))), flags)
		}
		return call + fmt.Sprintf(`{st_mode=S_IFREG|0644, st_size=0, ...}, %s) = 0`, flags)
	case "lseek": // to the start, or (to) past "." (tmpfs's offset 1)
		if k.fd == nil {
			return fmt.Sprintf(`1 lseek(5, %s, SEEK_SET) = -1 EBADF (Bad file descriptor)`, op.to)
		}
		k.fd.given = map[string]bool{}
		if op.to == "1" {
			k.fd.given["."] = true
		}
		return fmt.Sprintf(`1 lseek(5<%s>, %s, SEEK_SET) = %s`, k.pathOf(k.fd.node), op.to, op.to)
	}
	panic(op.kind)
}

// drawListOps draws n calls on /d/s, /d/t and the names in them, ending
// in a listing or a stat of a directory.
func drawListOps(r *rand.Rand, n int) []listOp {
	names := []string{"/d/s/a", "/d/s/b", "/d/s/x", "/d/t/a", "/d/t/x", "/d/u/x"}
	dirs := []string{"/d/s", "/d/t", "/d/u"}
	pick := func(l []string) string { return l[r.Intn(len(l))] }
	var ops []listOp
	for range n {
		switch r.Intn(7) {
		case 0:
			ops = append(ops, listOp{kind: "mkdir", from: pick(append(names, "/d/u"))})
		case 1:
			ops = append(ops, listOp{kind: "unlink", from: pick(names)})
		case 2:
			if r.Intn(2) == 0 {
				ops = append(ops, listOp{kind: "rename", from: pick(names), to: pick(names)})
			} else {
				ops = append(ops, listOp{kind: "rename", from: pick(dirs), to: pick(dirs)})
			}
		case 3:
			ops = append(ops, listOp{kind: "open", from: pick(dirs)})
		case 4:
			ops = append(ops, listOp{kind: "lseek", to: pick([]string{"0", "0", "1"})})
		case 5:
			ops = append(ops, listOp{kind: "stat", from: pick(append(dirs, ""))})
		default:
			ops = append(ops, listOp{kind: "getdents"})
		}
	}
	if r.Intn(3) == 0 {
		return append(ops, listOp{kind: "stat", from: pick(append(dirs, ""))})
	}
	return append(ops, listOp{kind: "getdents"})
}

// TestListingsWhateverOlderNames: a listing of a directory older than the
// trace, which the model learns from the trace's first listing of it
// (Model.listings), must hold in the world: for random calls that make,
// remove and rename names and directories, open, list, stat and seek
// /d/s, /d/t and /d/u, logged as the test's own kernel gives them with 0
// to 2 names in /d/s before the trace, every witness of an exact answer
// for the last call (a listing, or a stat of a directory, whose size,
// as tmpfs's, counts its names), run alone in that kernel, gives the
// logged output,
// with the names /d/s held and with every other such set with which the
// kernel logs the same trace. So must those of a directory renamed away
// and back, with a name made in it while away.
func TestListingsWhateverOlderNames(t *testing.T) {
	var n listingCounts
	for seed := int64(0); seed < 3000; seed++ {
		r := rand.New(rand.NewSource(seed))
		n.add(checkListing(t, fmt.Sprint("seed ", seed), listWorlds[r.Intn(len(listWorlds))], drawListOps(r, 4+r.Intn(8))))
	}
	t.Logf("of 3000 answers, %d exact, %d of them listings and %d sizes of /d/s, /d/t or /d/u; %d witness runs checked", n.exact, n.listed, n.sized, n.runs)
	if n.exact < 300 || n.listed < 200 || n.sized < 50 {
		t.Fatalf("only %d exact answers, %d exact listings, %d exact sizes: the test tries too little", n.exact, n.listed, n.sized)
	}
	away := []listOp{{kind: "rename", from: "/d/s", to: "/d/u"}, {kind: "mkdir", from: "/d/u/x"}, {kind: "rename", from: "/d/u", to: "/d/s"},
		{kind: "open", from: "/d/s"}, {kind: "getdents"}}
	checkListing(t, "away and back", []string{"a"}, away)
}

// listWorlds are the names /d/s holds before the trace in the worlds
// TestListingsWhateverOlderNames tries.
var listWorlds = [][]string{nil, {"a"}, {"b"}, {"a", "b"}, {"c"}}

// listingCounts counts what checkListing checked.
type listingCounts struct{ exact, listed, sized, runs int }

func (n *listingCounts) add(m listingCounts) {
	n.exact, n.listed, n.sized, n.runs = n.exact+m.exact, n.listed+m.listed, n.sized+m.sized, n.runs+m.runs
}

// checkListing logs ops as listKernel gives them with hidden in /d/s,
// explains the last, and, where the answer is exact, runs each witness
// with it in every world that logs the same trace, failing where one
// gives another output.
func checkListing(t *testing.T, name string, hidden []string, ops []listOp) listingCounts {
	t.Helper()
	run := func(hidden []string, ops []listOp, drawing bool) []string {
		k := newListKernel(hidden)
		var lines []string
		for i := range ops {
			lines = append(lines, k.do(&ops[i], drawing))
		}
		return lines
	}
	lines := run(hidden, ops, true)
	x, _, target := explainSeed(t, 0, lines)
	var n listingCounts
	if !x.Exact {
		return n
	}
	n.exact++
	switch {
	case strings.Contains(string(x.Output), "entries"):
		n.listed++
	case strings.HasPrefix(string(x.Output), "stat size"):
		n.sized++
	}
	var alike [][]string
	for _, w := range listWorlds {
		if slices.Equal(run(w, ops, false), lines) {
			alike = append(alike, w)
		}
	}
	ws, _ := x.Witnesses(64)
	for _, w := range ws {
		var sub []listOp
		var at []int64
		for _, e := range w {
			sub, at = append(sub, ops[e.ID-1]), append(at, e.ID)
		}
		sub = append(sub, ops[len(ops)-1])
		for _, world := range alike {
			n.runs++
			got := run(world, sub, false)
			if g, want := result(got[len(got)-1]), result(string(target.Raw)); g != want {
				t.Fatalf("%s: exact, but witness %v with %q in /d/s before the trace gives %q, the trace %q\n%s",
					name, at, world, got[len(got)-1], string(target.Raw), strings.Join(lines, "\n"))
			}
		}
	}
	return n
}

// result is what a getdents64 or stat line gives: its entries and
// count, its type and size, or its error.
func result(s string) string {
	if i := strings.Index(s, "/*"); i >= 0 {
		return s[i:]
	}
	if i := strings.Index(s, "{"); i >= 0 {
		return s[i:]
	}
	return s[strings.LastIndex(s, "="):]
}
