package provenance

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/wat-project/wat/formats"
)

// A Problem is one request to explain over the history that can affect it.
type Problem struct {
	Model  Model
	Target *formats.Event
	// Older returns up to n events older than those it returned before,
	// newest first; fewer than n means the history is exhausted. The
	// events must be every event that can change the target's output in
	// some subtrace: leaving one out makes the answer wrong.
	Older func(n int) ([]*formats.Event, error)
	// Reset reports whether an event sets everything the target's output
	// depends on to a value that does not depend on the state before it.
	Reset func(*formats.Event) bool
	// Limit is the longest stretch of events between two resets that is
	// enumerated (2^Limit replays); default 16.
	Limit int
	// Budget bounds the total number of replays; default 1<<22.
	Budget int
}

// Solve computes the wat-provenance of p.Target exactly, walking back only
// as far as the definition needs.
//
// Let r be the last reset before the target and A the events after it.
// A minimal closed witness either holds r, and then nothing before r, and
// is r plus a minimal subset X of A closed from r's state; or it does not
// hold r, and then it is X (a subset of A closed from r's state) plus a
// minimal witness, over the history before r, of the weaker goal "A from
// here, with X, always gives the output". That is the same problem one
// reset further back, which ends as soon as no subset of a stretch can
// reach the goal. Solve returns the witnesses (events in trace order,
// witnesses in canonical order) and the output; ErrTooLarge when a stretch
// is longer than p.Limit or the budget runs out.
func Solve(p Problem) ([][]*formats.Event, Output, error) {
	if p.Limit == 0 {
		p.Limit = 16
	}
	if p.Budget == 0 {
		p.Budget = 1 << 22
	}
	s := &solver{p: p, chunk: 64}
	// The output: replay the stretch after the last reset (or everything).
	r, err := s.findReset(0)
	if err != nil {
		return nil, "", err
	}
	st := p.Model.Init()
	for i := r; i >= 0; i-- {
		e, _, err := s.at(i)
		if err != nil {
			return nil, "", err
		}
		p.Model.Apply(st, e)
	}
	o := p.Model.Apply(st, p.Target)
	goal := func(st State) bool { return p.Model.Apply(p.Model.Clone(st), p.Target) == o }
	sets, err := s.solve(0, goal, 0)
	if err != nil {
		return nil, o, err
	}
	if len(sets) == 0 {
		return nil, o, fmt.Errorf("internal error: no witness for %s", p.Target.Where())
	}
	ws := make([][]*formats.Event, len(sets))
	for i, set := range sets {
		for j := len(set) - 1; j >= 0; j-- { // oldest first
			ws[i] = append(ws[i], s.rev[set[j]])
		}
	}
	return ws, o, nil
}

type solver struct {
	p     Problem
	rev   []*formats.Event // newest first
	done  bool
	chunk int
	spent int
}

// at returns the event r places back (0 is the newest).
func (s *solver) at(r int) (*formats.Event, bool, error) {
	for r >= len(s.rev) && !s.done {
		evs, err := s.p.Older(s.chunk)
		if err != nil {
			return nil, false, err
		}
		if len(evs) < s.chunk {
			s.done = true
		}
		s.rev = append(s.rev, evs...)
		if s.chunk < 4096 {
			s.chunk *= 2
		}
	}
	if r >= len(s.rev) {
		return nil, false, nil
	}
	return s.rev[r], true, nil
}

func (s *solver) isReset(r int) bool { return r < len(s.rev) && s.p.Reset(s.rev[r]) }

// findReset returns the back-index of the first reset at or after from, or
// the back-index of the oldest event when there is none (then isReset is
// false there), or from-1 when there are no events at all.
func (s *solver) findReset(from int) (int, error) {
	for r := from; ; r++ {
		e, ok, err := s.at(r)
		if err != nil {
			return 0, err
		}
		if !ok {
			return r - 1, nil
		}
		if s.p.Reset(e) {
			return r, nil
		}
		if r-from >= s.p.Limit {
			return 0, fmt.Errorf("more than %d events between resets: %w", s.p.Limit, ErrTooLarge)
		}
	}
}

// solve returns the minimal sets Y of events from back-index from onwards
// (older) such that every superset of Y ends in a state meeting goal.
// Sets are lists of back-indexes, newest first.
func (s *solver) solve(from int, goal func(State) bool, depth int) ([][]int, error) {
	if depth > 100000 {
		return nil, fmt.Errorf("more than 100000 coincident resets: %w", ErrTooLarge)
	}
	r, err := s.findReset(from)
	if err != nil {
		return nil, err
	}
	hasReset := r >= from && s.isReset(r)
	end := r + 1 // the stretch is back-indexes from..end-1, minus the reset
	if hasReset {
		end = r
	}
	stretch := make([]*formats.Event, 0, end-from)
	for i := end - 1; i >= from; i-- { // oldest first
		stretch = append(stretch, s.rev[i])
	}
	n := len(stretch)
	s.spent += 1 << n
	if s.spent > s.p.Budget {
		return nil, fmt.Errorf("more than %d replays: %w", s.p.Budget, ErrTooLarge)
	}
	m := s.p.Model
	// positions maps a mask bit (oldest first) to a back-index.
	pos := func(mask int) []int {
		var out []int
		for j := n - 1; j >= 0; j-- {
			if mask&(1<<j) != 0 {
				out = append(out, end-1-j)
			}
		}
		return out
	}
	if !hasReset {
		// The beginning of the history: the stretch starts from Init.
		var out [][]int
		for _, mask := range minimalMasks(closedMasks(m, m.Init(), stretch, goal)) {
			out = append(out, pos(mask))
		}
		return out, nil
	}
	after := m.Init()
	m.Apply(after, s.rev[r])
	closed := closedMasks(m, after, stretch, goal)
	var out [][]int
	for _, mask := range minimalMasks(closed) {
		out = append(out, append(pos(mask), r))
	}
	// Witnesses without the reset: X closed from the reset's state, plus
	// a witness, over the older history, of "X keeps the goal from here".
	memo := map[string][]bool{}
	for mask, ok := range closed {
		if !ok {
			continue
		}
		x := mask
		sub := func(st State) bool {
			fp := m.Fingerprint(st)
			c, seen := memo[fp]
			if !seen {
				s.spent += 1 << n
				c = closedMasks(m, st, stretch, goal)
				memo[fp] = c
			}
			return c[x]
		}
		older, err := s.solve(r+1, sub, depth+1)
		if err != nil {
			return nil, err
		}
		for _, y := range older {
			out = append(out, append(pos(x), y...))
		}
	}
	return minimalSets(out), nil
}

// minimalSets drops duplicates and every set that contains another.
func minimalSets(sets [][]int) [][]int {
	for _, s := range sets {
		sort.Ints(s)
	}
	sort.SliceStable(sets, func(i, j int) bool { return len(sets[i]) < len(sets[j]) })
	var keep [][]int
	seen := map[string]bool{}
	for _, s := range sets {
		k := key(s)
		if seen[k] {
			continue
		}
		seen[k] = true
		sub := false
		for _, t := range keep {
			if subset(t, s) {
				sub = true
				break
			}
		}
		if !sub {
			keep = append(keep, s)
		}
	}
	// Canonical order: by back-indexes descending, i.e. oldest first.
	for _, s := range keep {
		sort.Sort(sort.Reverse(sort.IntSlice(s)))
	}
	sort.Slice(keep, func(i, j int) bool {
		a, b := keep[i], keep[j]
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] > b[k]
			}
		}
		return len(a) < len(b)
	})
	return keep
}

func key(s []int) string {
	var b strings.Builder
	for _, v := range s {
		b.WriteString(strconv.Itoa(v))
		b.WriteByte(',')
	}
	return b.String()
}

// subset reports whether sorted a is a subset of sorted b.
func subset(a, b []int) bool {
	i := 0
	for _, v := range b {
		if i < len(a) && a[i] == v {
			i++
		}
	}
	return i == len(a)
}
