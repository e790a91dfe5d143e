package posix_test

import (
	"fmt"
	"math/rand"
	"slices"
	"strconv"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/provenance/provenancetest"
	"github.com/wat-project/wat/specs/posix"
)

// pipeSim makes random traces of two pipes (7: fds 3 and 4, 8: fds 5
// and 6) written, read, spliced from one into the other and teed, by a
// process and the child it forks, with the results a kernel would log.
// A write or a read may be split as strace -f splits it: its first
// half, then the other process's calls, then its second; a write's bytes
// go in as it begins, so the other process's reads may take them before
// it resumes, and a read takes its bytes as it ends.
type pipeSim struct {
	made   [2]bool
	forked bool
	held   [2][]byte // what each pipe holds
	// flying is the first half of a call in flight ("" when none), by
	// pid: its process makes no call until it resumes. A read's has the
	// pipe it reads (flyingPipe) and its count.
	flying, flyingPid   string
	flyingN, flyingPipe int
	flyingRead          bool
}

func (s *pipeSim) line(r *rand.Rand, target bool) string {
	pid := "1"
	if s.forked && r.Intn(2) == 0 {
		pid = "2"
	}
	if s.flying != "" && (pid == s.flyingPid || r.Intn(4) == 0) {
		half := s.flying
		s.flying = ""
		if s.flyingRead {
			p := s.flyingPipe
			k := min(s.flyingN, len(s.held[p]))
			got := s.held[p][:k]
			s.held[p] = s.held[p][k:]
			return fmt.Sprintf("%s <unfinished ...>\n%s <... read resumed>%q, %d) = %d", half, s.flyingPid, got, s.flyingN, k)
		}
		return fmt.Sprintf("%s <unfinished ...>\n%s <... write resumed>) = %d", half, s.flyingPid, s.flyingN)
	}
	p := r.Intn(2)
	rd, wr := 3+2*p, 4+2*p
	pipe := func(p int) string { return "pipe:[" + strconv.Itoa(7+p) + "]" }
	fd := func(n int) string { return fmt.Sprintf("%d<%s>", n, pipe((n-3)/2)) }
	if !s.made[p] && !target {
		s.made[p] = true
		return fmt.Sprintf("1 pipe2([%s, %s], 0) = 0", fd(rd), fd(wr))
	}
	if !s.forked && !target && r.Intn(8) == 0 {
		s.forked = true
		return "1 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD) = 2"
	}
	n := 1 + r.Intn(3)
	q := 1 - p // the other pipe
	switch r.Intn(5) {
	case 0, 1:
		data := []byte("abc")[:n]
		data[0] = "xyz"[r.Intn(3)]
		s.held[p] = append(s.held[p], data...)
		if s.forked && !target && r.Intn(3) == 0 {
			s.flying, s.flyingPid, s.flyingN, s.flyingRead = fmt.Sprintf("%s write(%s, %q, %d", pid, fd(wr), data, n), pid, n, false
			return s.flying + " <unfinished ...>"
		}
		return fmt.Sprintf("%s write(%s, %q, %d) = %d", pid, fd(wr), data, n, n)
	case 2:
		if s.forked && !target && r.Intn(3) == 0 {
			s.flying, s.flyingPid, s.flyingN, s.flyingPipe, s.flyingRead = fmt.Sprintf("%s read(%s, ", pid, fd(rd)), pid, n, p, true
			return s.flying + " <unfinished ...>"
		}
		k := min(n, len(s.held[p]))
		got := s.held[p][:k]
		s.held[p] = s.held[p][k:]
		return fmt.Sprintf("%s read(%s, %q, %d) = %d", pid, fd(rd), got, n, k)
	case 3:
		if !s.made[q] {
			return s.line(r, target)
		}
		k := min(n, len(s.held[p]))
		s.held[q] = append(s.held[q], s.held[p][:k]...)
		s.held[p] = s.held[p][k:]
		return fmt.Sprintf("%s splice(%s, NULL, %s, NULL, %d, 0) = %d", pid, fd(rd), fd(4+2*q), n, k)
	}
	if !s.made[q] {
		return s.line(r, target)
	}
	k := min(n, len(s.held[p]))
	s.held[q] = append(s.held[q], s.held[p][:k]...)
	return fmt.Sprintf("%s tee(%s, %s, %d, 0) = %d", pid, fd(rd), fd(4+2*q), n, k)
}

// TestPipesEqualBruteForce: for thousands of random small traces of two
// pipes written, read, spliced and teed by two processes, the spec's
// witnesses of every read's bytes and every copy's must be exactly the
// definition's.
func TestPipesEqualBruteForce(t *testing.T) {
	provenancetest.Check(t, posix.Spec, provenancetest.Options{Seeds: 3000, Refusable: false, Labelled: true, Trace: func(r *rand.Rand) ([]*formats.Event, *formats.Event) {
		s := &pipeSim{}
		return provenancetest.RandomTrace(r, 10, func(r *rand.Rand, id int, target bool) *formats.Event {
			return parse(t, id, s.line(r, target))
		})
	}})
}

// TestQuietHalvesChangeNothing checks the claim the search's leaving out
// of some calls' first halves rests on (quietHalves): a write's, once it
// has resumed in the history and no copy crossed it; a read's, when its
// process's marks on the pipe decide nothing. Every subtrace replays the
// request after them to the same output with those halves or without
// them, though the subtrace may lack their second halves, and the
// process may use the pipe again. The model is the trace's (where each
// write resumed), as the brute force replays it.
func TestQuietHalvesChangeNothing(t *testing.T) {
	traceModel := posix.Spec.(interface {
		TraceModel([]*formats.Event) provenance.Model
	}).TraceModel
	replay := func(m provenance.Model, evs []*formats.Event, target *formats.Event) provenance.Output {
		st := m.Init()
		for _, e := range evs {
			m.Apply(st, e)
		}
		return m.Apply(st, target)
	}
	checked := 0
	for seed := range 6000 {
		s := &pipeSim{}
		trace, target := provenancetest.RandomTrace(rand.New(rand.NewSource(int64(seed))), 12, func(r *rand.Rand, id int, target bool) *formats.Event {
			return parse(t, id, s.line(r, target))
		})
		landed := posix.QuietHalves(provenance.Reversed(trace))
		if len(landed) == 0 {
			continue
		}
		m := traceModel(append(slices.Clip(trace), target))
		checked++
		for mask := range 1 << len(trace) {
			var with, without []*formats.Event
			for i, e := range trace {
				if mask&(1<<i) != 0 {
					with = append(with, e)
					if !landed[e.ID] {
						without = append(without, e)
					}
				}
			}
			if a, b := replay(m, with, target), replay(m, without, target); a != b {
				t.Fatalf("seed %d: subtrace %b replays %q, %q without the halves %v\n%s", seed, mask, a, b, landed, provenancetest.Dump(trace, target))
			}
		}
	}
	if checked < 300 {
		t.Fatalf("only %d traces had a first half left out: too few to tell", checked)
	}
	t.Logf("%d traces with first halves left out, every subtrace of each", checked)
}

// TestLoudReadHalf: a read's first half that decides a later write of
// its process is kept. Another process wrote the pipe before the half,
// and the reading process writes it after, split: in a subtrace without
// the read's second half, the half is what says the other's write came
// before the reading process's write began, so the bytes that write puts
// are known with the half and unknown without it.
func TestLoudReadHalf(t *testing.T) {
	trace, _ := traceOf(t, []string{
		"1 pipe2([3<pipe:[7]>, 4<pipe:[7]>], 0) = 0",
		"1 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD) = 2",
		"2 write(4<pipe:[7]>, \"ab\", 2) = 2",
		"1 read(3<pipe:[7]>,  <unfinished ...>",
		"1 read(3<pipe:[7]>,  <unfinished ...>\n1 <... read resumed>\"ab\", 10) = 2",
		"1 write(4<pipe:[7]>, \"cd\", 2 <unfinished ...>",
		"1 write(4<pipe:[7]>, \"cd\", 2 <unfinished ...>\n1 <... write resumed>) = 2",
		"2 read(3<pipe:[7]>, \"cd\", 10) = 2",
	})
	target := trace[len(trace)-1]
	if posix.QuietHalves(provenance.Reversed(trace[:len(trace)-1]))[4] {
		t.Fatal("the read's first half (line 4) is left out")
	}
	m := posix.Spec.(interface {
		TraceModel([]*formats.Event) provenance.Model
	}).TraceModel(trace)
	replay := func(lines ...int) provenance.Output {
		st := m.Init()
		for _, l := range lines {
			m.Apply(st, trace[l-1])
		}
		return m.Apply(st, target)
	}
	with, without := replay(1, 2, 3, 4, 6, 7), replay(1, 2, 3, 6, 7)
	if with == without {
		t.Fatalf("the half decides nothing here: %q both ways", with)
	}
	t.Logf("with the half: %q; without: %q", with, without)
}

// eventfdSim makes lines of one process using two eventfds (fd 3, and fd
// 4 with EFD_SEMAPHORE, which starts at 1), as the kernel would answer;
// the target is a read.
type eventfdSim struct {
	made  int
	count [2]uint64
}

func (s *eventfdSim) line(r *rand.Rand, target bool) string {
	const name = "<anon_inode:[eventfd]>"
	switch {
	case target: // a read, whether or not the eventfds were made
	case s.made == 0:
		s.made++
		return "100 eventfd2(0, EFD_CLOEXEC|EFD_NONBLOCK) = 3" + name
	case s.made == 1:
		s.made, s.count[1] = 2, 1
		return "100 eventfd2(1, EFD_SEMAPHORE|EFD_NONBLOCK) = 4" + name
	}
	k := r.Intn(2)
	fd := strconv.Itoa(3+k) + name
	if r.Intn(2) == 0 && !target {
		v := uint64(1 + r.Intn(2))
		s.count[k] += v
		return fmt.Sprintf(`100 write(%s, "\%d\0\0\0\0\0\0\0", 8) = 8`, fd, v)
	}
	if s.count[k] == 0 {
		return "100 read(" + fd + ", 0x7f00, 8) = -1 EAGAIN (Resource temporarily unavailable)"
	}
	v := s.count[k]
	if k == 1 {
		v = 1
	}
	s.count[k] -= v
	return fmt.Sprintf(`100 read(%s, "\%d\0\0\0\0\0\0\0", 8) = 8`, fd, v)
}

// TestEventfdsEqualBruteForce: for thousands of random small traces of
// writes and reads of two eventfds (one a semaphore), the spec's
// witnesses of every read's count or EAGAIN must be exactly the
// definition's.
func TestEventfdsEqualBruteForce(t *testing.T) {
	provenancetest.Check(t, posix.Spec, provenancetest.Options{Seeds: 3000, Refusable: false, Labelled: true, Trace: func(r *rand.Rand) ([]*formats.Event, *formats.Event) {
		s := &eventfdSim{}
		return provenancetest.RandomTrace(r, 10, func(r *rand.Rand, id int, target bool) *formats.Event {
			return parse(t, id, s.line(r, target))
		})
	}})
}
