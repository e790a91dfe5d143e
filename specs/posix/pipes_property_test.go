package posix_test

import (
	"fmt"
	"math/rand"
	"strconv"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance/provenancetest"
	"github.com/wat-project/wat/specs/posix"
)

// pipeSim makes random traces of two pipes (7: fds 3 and 4, 8: fds 5
// and 6) written, read, spliced from one into the other and teed, by a
// process and the child it forks, with the results a kernel would log.
type pipeSim struct {
	made   [2]bool
	forked bool
	held   [2][]byte // what each pipe holds
}

func (s *pipeSim) line(r *rand.Rand, target bool) string {
	pid := "1"
	if s.forked && r.Intn(2) == 0 {
		pid = "2"
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
		return fmt.Sprintf("%s write(%s, %q, %d) = %d", pid, fd(wr), data, n, n)
	case 2:
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
