package posix_test

import (
	"fmt"
	"maps"
	"math/rand"
	"path"
	"strings"
	"testing"

	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/provenance/provenancetest"
	"github.com/wat-project/wat/specs/posix"
)

// A namesWorld is which names under /d exist: files a, b, s/a and t/a,
// directories s and t. /d itself exists.
type namesWorld map[string]bool

// namesWorlds lists every world: a file in s or t only where s or t is.
func namesWorlds() []namesWorld {
	var ws []namesWorld
	for i := range 1 << 6 {
		w := namesWorld{}
		for b, n := range []string{"a", "b", "s", "t", "s/a", "t/a"} {
			w[n] = i>>b&1 == 1
		}
		if w["s/a"] && !w["s"] || w["t/a"] && !w["t"] {
			continue
		}
		ws = append(ws, w)
	}
	return ws
}

// A nameOp is one call of drawNames's traces: its kind and the names it
// takes; nameLine logs it as the test's own small kernel answers it.
type nameOp struct {
	kind     int
	name, to string
}

var (
	nameFiles = []string{"a", "b", "s/a", "t/a"}
	nameAll   = []string{"a", "b", "s", "t", "s/a", "t/a"}
)

// isDirName tells whether a name of the worlds is a directory's.
func isDirName(n string) bool { return n == "s" || n == "t" }

// drawNameOps draws calls on names: creates, unlinks, renames of files
// and of directories (with the files in them), mkdirs and rmdirs, and
// accesses and stats; the last is the target, an access or a stat by
// name twice in three traces.
func drawNameOps(r *rand.Rand) []nameOp {
	n := 2 + r.Intn(6)
	ops := make([]nameOp, 0, n+1)
	for i := 0; i <= n; i++ {
		kind := r.Intn(8)
		if i == n && r.Intn(3) > 0 {
			kind = 6 + r.Intn(2)
		}
		op := nameOp{kind: kind, name: nameAll[r.Intn(len(nameAll))]}
		switch kind {
		case 0, 1: // a create, an unlink: of a file
			op.name = nameFiles[r.Intn(len(nameFiles))]
		case 2: // a rename: a file to another file's name, a directory to the other's
			if isDirName(op.name) {
				op.to = map[string]string{"s": "t", "t": "s"}[op.name]
			} else {
				op.name = []string{"a", "b"}[r.Intn(2)]
				op.to = map[string]string{"a": "b", "b": "a"}[op.name]
			}
		case 3, 4: // a mkdir, an rmdir
			op.name = []string{"s", "t"}[r.Intn(2)]
		}
		ops = append(ops, op)
	}
	return ops
}

// nameLines logs ops in world w, as Linux answers them; it changes w.
func nameLines(ops []nameOp, w namesWorld) []string {
	const enoent, enotempty = "-1 ENOENT (No such file or directory)", "-1 ENOTEMPTY (Directory not empty)"
	var lines []string
	fd := 3
	for _, op := range ops {
		n := op.name
		var call, result string
		switch op.kind {
		case 0:
			// Left open: a close's decoration would name the file, which
			// the model takes as strace -y shows it, in any subtrace.
			call, result = fmt.Sprintf(`openat(AT_FDCWD</d>, "%s", O_WRONLY|O_CREAT, 0644)`, n), enoent
			if !strings.Contains(n, "/") || w[path.Dir(n)] {
				w[n] = true
				result = fmt.Sprintf("%d</d/%s>", fd, n)
				fd++
			}
		case 1:
			call, result = fmt.Sprintf(`unlinkat(AT_FDCWD</d>, "%s", 0)`, n), enoent
			if w[n] {
				w[n], result = false, "0"
			}
		case 2:
			call = fmt.Sprintf(`renameat(AT_FDCWD</d>, "%s", AT_FDCWD</d>, "%s")`, n, op.to)
			switch {
			case !w[n]:
				result = enoent
			case isDirName(n) && w[op.to+"/a"]:
				result = enotempty
			default:
				if isDirName(n) {
					w[op.to+"/a"], w[n+"/a"] = w[n+"/a"], false
				}
				w[op.to], w[n], result = true, false, "0"
			}
		case 3:
			call, result = fmt.Sprintf(`mkdirat(AT_FDCWD</d>, "%s", 0777)`, n), "-1 EEXIST (File exists)"
			if !w[n] {
				w[n], result = true, "0"
			}
		case 4:
			call = fmt.Sprintf(`unlinkat(AT_FDCWD</d>, "%s", AT_REMOVEDIR)`, n)
			switch {
			case !w[n]:
				result = enoent
			case w[n+"/a"]:
				result = enotempty
			default:
				w[n], result = false, "0"
			}
		case 6:
			call, result = fmt.Sprintf(`access("/d/%s", F_OK)`, n), enoent
			if w[n] {
				result = "0"
			}
		default:
			call, result = fmt.Sprintf(`newfstatat(AT_FDCWD</d>, "%s", 0x7ffc, 0)`, n), enoent
			switch {
			case w[n] && isDirName(n):
				call, result = fmt.Sprintf(`newfstatat(AT_FDCWD</d>, "%s", {st_mode=S_IFDIR|0755, st_size=4096, ...}, 0)`, n), "0"
			case w[n]:
				call, result = fmt.Sprintf(`newfstatat(AT_FDCWD</d>, "%s", {st_mode=S_IFREG|0644, st_size=0, ...}, 0)`, n), "0"
			}
		}
		lines = append(lines, "1 "+call+" = "+result)
	}
	return lines
}

// worldPrefix makes world w by process 0, before the trace: /d made
// (so that it holds only these names), then its directories and files.
func worldPrefix(w namesWorld) []string {
	lines := []string{`0 mkdir("/d", 0777) = 0`}
	for _, n := range nameAll {
		switch {
		case !w[n]:
		case isDirName(n):
			lines = append(lines, fmt.Sprintf(`0 mkdirat(AT_FDCWD</d>, "%s", 0777) = 0`, n))
		}
	}
	for _, n := range nameAll {
		if w[n] && !isDirName(n) {
			lines = append(lines, fmt.Sprintf(`0 openat(AT_FDCWD</d>, "%s", O_WRONLY|O_CREAT, 0644) = 9</d/%s>`, n, n), fmt.Sprintf(`0 close(9</d/%s>) = 0`, n))
		}
	}
	return lines
}

// TestExactWhateverOlderNames: calls on names whose existence before the
// trace the trace may not show; the target asks whether a name exists
// (access, a stat by name), and its output may be one the model does not
// know ("access ?"), decided by the names from before the trace alone;
// or it is a call on names of another kind (a create, an unlink, a
// rename, a mkdir, an rmdir), whose result is its output.
// Where the spec says exact, for every world of names before the trace
// with which the test's kernel logs the same trace, the model started in
// that world (a process outside the trace makes it) must give the same
// witnesses by brute force: an output taken to be the same fact from
// before the trace in every subtrace must be.
func TestExactWhateverOlderNames(t *testing.T) {
	const seeds = 3000
	worlds := namesWorlds()
	exact, unknown, checked := 0, 0, 0
	for seed := int64(0); seed < seeds; seed++ {
		r := rand.New(rand.NewSource(seed))
		ops := drawNameOps(r)
		hidden := worlds[r.Intn(len(worlds))]
		lines := nameLines(ops, maps.Clone(hidden))
		x, trace, target := explainSeed(t, seed, lines)
		if !x.Exact {
			continue
		}
		exact++
		if strings.Contains(string(x.Output), "?") {
			unknown++
		}
		got := provenancetest.Positions(x, trace)
		for _, w := range worlds {
			if strings.Join(nameLines(ops, maps.Clone(w)), "\n") != strings.Join(lines, "\n") {
				continue
			}
			checked++
			want, _, err := provenance.BruteForce(seeded{Model: posix.WithBindings(posix.Model{}, trace, target), prefix: before(t, worldPrefix(w))}, trace, target)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("seed %d: exact witnesses %v (output %q), but in the world %v before the trace (which logs the trace as %v does) the definition gives %v; notes %q\n%s",
					seed, got, x.Output, w, hidden, want, x.Notes, provenancetest.Dump(trace, target))
			}
		}
	}
	t.Logf("%d of %d answers exact (%d of them with an output the trace does not decide), checked in %d worlds in all", exact, seeds, unknown, checked)
	if exact < 1000 || unknown < 100 || checked < 3000 {
		t.Fatalf("only %d exact answers (%d undecided), %d worlds checked: the test tries too little", exact, unknown, checked)
	}
}
