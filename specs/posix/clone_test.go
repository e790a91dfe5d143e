package posix_test

import (
	"math/rand"
	"slices"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/provenance/provenancetest"
	"github.com/wat-project/wat/specs/posix"
)

// TestClonesShareNothing: a state and its clones are independent. A
// clone shares its files and names until one of them writes them (a
// search clones at every subset it tries), so a write through one must
// never show in another: from a state after part of a random trace (with
// directories made, renamed and removed), two clones and the state run
// the rest of the trace, in turn, and each gives the same outputs and
// ends in the same state, names, last names, learned names and base
// kinds included.
func TestClonesShareNothing(t *testing.T) {
	for seed := int64(0); seed < 2000; seed++ {
		r := rand.New(rand.NewSource(seed))
		s := &sim{names: map[string]string{}, fds: map[string]map[int]string{}, last: map[string]string{}, dirs: seed%2 == 0, gone: map[string]bool{},
			listing: map[string]*listing{}}
		trace, target := provenancetest.RandomTrace(r, 14, func(r *rand.Rand, id int, target bool) *formats.Event {
			return parse(t, id, s.line(r, target))
		})
		checkClones(t, append(trace, target), r.Intn(len(trace)+1))
	}
	// Pipes, whose bytes a state's clones share until one of them puts
	// more (appendPipe): two pipes written, read, spliced and teed by two
	// processes.
	for seed := int64(0); seed < 2000; seed++ {
		r := rand.New(rand.NewSource(seed))
		s := &pipeSim{}
		trace, target := provenancetest.RandomTrace(r, 14, func(r *rand.Rand, id int, target bool) *formats.Event {
			return parse(t, id, s.line(r, target))
		})
		checkClones(t, append(trace, target), r.Intn(len(trace)+1))
	}
	// Calls the random traces do not make: a second name, a file made
	// with no name, an fd on a file deleted before the trace.
	var made []*formats.Event
	for i, l := range []string{
		`1 openat(AT_FDCWD, "/w/a", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3</w/a>`,
		`1 write(3</w/a>, "abc", 3) = 3`,
		`1 link("/w/a", "/w/b") = 0`,
		`1 openat(AT_FDCWD, "/w/b", O_RDONLY) = 4</w/b>`,
		`1 read(4</w/b>, "abc", 10) = 3`,
		`1 openat(AT_FDCWD, "/w", O_RDWR|O_EXCL|O_TMPFILE, 0600) = 5</w/#123>(deleted)`,
		`1 write(5</w/#123>(deleted), "xy", 2) = 2`,
		`1 read(6</w/gone>(deleted), "q", 10) = 1`,
		`1 unlink("/w/a") = 0`,
		`1 openat(AT_FDCWD, "/w/a", O_RDONLY) = -1 ENOENT (No such file or directory)`,
		`1 openat(AT_FDCWD, "/w/b", O_RDONLY) = 7</w/b>`,
		`1 read(7</w/b>, "abc", 10) = 3`,
	} {
		made = append(made, parse(t, i+1, l))
	}
	for k := range made {
		checkClones(t, made, k)
	}
	// A real capture: 10,837 lines of shells, editors, git, links and
	// renames, cut at 20 places.
	trace := readTrace(t, "../../formats/strace/testdata/trace.log", "trace.log", false, true)
	for k := 0; k < len(trace); k += len(trace) / 20 {
		checkClones(t, trace[:min(len(trace), k+300)], k)
	}
}

// TestPipeClonesApart: clones of a state that go on with different calls
// keep apart the bytes they put in a pipe they share (appendPipe puts
// them in place while no other holder has): after a random prefix of
// pipe calls, two clones replay two different random suffixes a call at
// a time in turn, and each gives the outputs and ends in the state of a
// replay of its prefix and suffix with no clone.
func TestPipeClonesApart(t *testing.T) {
	m := posix.Model{}
	for seed := int64(0); seed < 3000; seed++ {
		r := rand.New(rand.NewSource(seed))
		s := &pipeSim{}
		var prefix, sufs [2][]*formats.Event
		id := 1
		next := func(s *pipeSim, r *rand.Rand) *formats.Event {
			e := parse(t, id, s.line(r, false))
			id++
			return e
		}
		for range 1 + r.Intn(8) {
			prefix[0] = append(prefix[0], next(s, r))
		}
		for k := range sufs {
			o := *s
			o.held = [2][]byte{slices.Clone(s.held[0]), slices.Clone(s.held[1])}
			ro := rand.New(rand.NewSource(seed*7 + int64(k)))
			for range 1 + ro.Intn(8) {
				sufs[k] = append(sufs[k], next(&o, ro))
			}
		}
		st := m.Init()
		for _, e := range prefix[0] {
			m.Apply(st, e)
		}
		clones := [2]provenance.State{m.Clone(st), m.Clone(st)}
		var outs [2][]provenance.Output
		for i := range max(len(sufs[0]), len(sufs[1])) {
			for k := range clones {
				if i < len(sufs[k]) {
					outs[k] = append(outs[k], m.Apply(clones[k], sufs[k][i]))
				}
			}
		}
		for k := range clones {
			fresh := m.Init()
			for _, e := range prefix[0] {
				m.Apply(fresh, e)
			}
			for i, e := range sufs[k] {
				if out := m.Apply(fresh, e); out != outs[k][i] {
					t.Fatalf("seed %d: %s in clone %d: %q, replayed without clones %q", seed, e.Raw, k, outs[k][i], out)
				}
			}
			if m.Fingerprint(fresh) != m.Fingerprint(clones[k]) {
				t.Fatalf("seed %d: clone %d ends in another state than its replay without clones", seed, k)
			}
		}
	}
}

// checkClones replays trace up to k and clones the state twice; then the
// rest of the trace runs in one clone, in the state cloned, and in the
// other clone, in turn. Running it must change none of the others, and
// each must give the same outputs and end alike.
func checkClones(t *testing.T, trace []*formats.Event, k int) {
	t.Helper()
	m := posix.Model{}
	st := m.Init()
	for _, e := range trace[:k] {
		m.Apply(st, e)
	}
	show := func(st provenance.State) string { return m.Fingerprint(st) + posix.NamesOf(st) }
	run := func(st provenance.State) (outs []provenance.Output) {
		for _, e := range trace[k:] {
			outs = append(outs, m.Apply(st, e))
		}
		return outs
	}
	a, b := m.Clone(st), m.Clone(st)
	before := show(st)
	oa := run(a)
	if show(st) != before || show(b) != before {
		t.Fatalf("after %d calls: running the next %d in a clone changed the state cloned or another clone", k, len(trace)-k)
	}
	os := run(st)
	if show(b) != before {
		t.Fatalf("after %d calls: running the next %d in a state changed its clone", k, len(trace)-k)
	}
	ob := run(b)
	for i := range oa {
		if oa[i] != ob[i] || oa[i] != os[i] {
			t.Fatalf("%s: after the clone: %q, in the state cloned %q, in the other clone %q", trace[k+i].Where(), oa[i], os[i], ob[i])
		}
	}
	if fa, fs, fb := show(a), show(st), show(b); fa != fb || fa != fs {
		t.Fatalf("after %d calls, then the same %d: states differ:\n%s\n%s\n%s", k, len(trace)-k, fa, fs, fb)
	}
}
