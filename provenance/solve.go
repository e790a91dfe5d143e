package provenance

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance/hugepages"
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
	// Budget bounds the work: the number of requests replayed in all
	// enumerations together; default 1<<18, plus four replays of the
	// history read.
	Budget int
	// Deadline, when not zero, bounds the time: past it Solve returns
	// ErrOutOfTime (see SearchDeadline).
	Deadline time.Time
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
	ws, choices, out, err := solveAll(p)
	if err != nil || len(choices) == 0 {
		return ws, out, err
	}
	x := &Explanation{Target: p.Target, Choices: choices}
	if err := x.SetWitnesses(ws); err != nil {
		return nil, out, err
	}
	all, complete := x.Witnesses(1 << 16)
	if !complete {
		return nil, out, fmt.Errorf("more than %d witnesses, more than a list holds: %w", len(all), ErrTooLarge)
	}
	return all, out, nil
}

// solveAll is Solve, with the witnesses too many to list (a Closer's
// choices) kept as Choices: each witness holds one of the lists and one
// way of making each choice.
func solveAll(p Problem) ([][]*formats.Event, []Choice, Output, error) {
	if p.Limit == 0 {
		p.Limit = 16
	}
	if p.Budget == 0 {
		p.Budget = 1 << 18
	}
	s := &solver{p: p, chunk: 64}
	// The output: replay the stretch after the last reset (or everything).
	r, err := s.findReset(0)
	if err != nil {
		return nil, nil, "", err
	}
	st, step := p.Model.Init(), stepOf(p.Model)
	for i := r; i >= 0; i-- {
		e, _, err := s.at(i)
		if err != nil {
			return nil, nil, "", err
		}
		step(st, e)
		if i%4096 == 0 {
			if err := s.inTime(); err != nil {
				return nil, nil, "", err
			}
		}
	}
	// The goal runs the target in the state it tests, which every
	// search hands it as its last use of that state (a subset's replay,
	// ended): no copy is made.
	var goal func(State) bool
	if mt, ok := p.Model.(Matcher); ok {
		goal = mt.SameOutput(p.Model.Clone(st), p.Target)
	}
	o := p.Model.Apply(st, p.Target)
	s.out = o
	if goal == nil {
		goal = func(st State) bool { return p.Model.Apply(st, p.Target) == o }
	}
	sets, err := s.solve(0, goal, 0)
	if errors.Is(err, ErrTooLarge) && s.declined != "" {
		err = fmt.Errorf("%w; the rule that answers such histories at once does not apply: %s", err, s.declined)
	}
	if err != nil {
		return nil, nil, o, err
	}
	if len(sets) == 0 {
		return nil, nil, o, fmt.Errorf("internal error: no witness for %s", p.Target.Where())
	}
	ws := make([][]*formats.Event, len(sets))
	for i, set := range sets {
		for j := len(set) - 1; j >= 0; j-- { // oldest first
			ws[i] = append(ws[i], s.rev[set[j]])
		}
	}
	return ws, s.choices, o, nil
}

// A Backwards is a history held in memory, newest first, handed out as
// Problem.Older asks for it.
type Backwards struct {
	Events []*formats.Event // newest first
	n      int              // how many Older has handed out
}

// Older returns the next up to n events, newest first.
func (b *Backwards) Older(n int) ([]*formats.Event, error) {
	evs := b.Events[b.n:min(b.n+n, len(b.Events))]
	b.n += len(evs)
	return evs, nil
}

// Seen returns the events Older has handed out, newest first.
func (b *Backwards) Seen() []*formats.Event { return b.Events[:b.n] }

// Done reports whether Older has handed out every event.
func (b *Backwards) Done() bool { return b.n == len(b.Events) }

type solver struct {
	p     Problem
	rev   []*formats.Event // newest first
	done  bool
	chunk int
	spent int
	out   Output // the target's output
	// choices are the Choices every witness makes besides the events
	// solve returns (a Closer's answer).
	choices []Choice
	// declined is why a Closer's rule did not apply, if it said.
	declined string
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

// MaxStretch is the most events between two resets Solve reads.
const MaxStretch = 1 << 20

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
		if r-from >= MaxStretch {
			return 0, fmt.Errorf("more than %d writes between resets: %w", MaxStretch, ErrTooLarge)
		}
		if r%4096 == 4095 {
			if err := s.inTime(); err != nil {
				return 0, err
			}
		}
	}
}

// A Forcer is a Model that can tell, without replaying a long stretch
// once per event, which of its events every closed witness must hold.
type Forcer interface {
	// Forced is asked about a stretch of events (oldest first) replayed
	// from start and followed by target, whose output is out with the
	// whole stretch. It returns, for each event, whether leaving only it
	// out changes target's output, and false when it cannot tell cheaply.
	Forced(start State, stretch []*formats.Event, target *formats.Event, out Output) ([]bool, bool)
}

// A Closer is a Model that can tell, for a whole history replayed from
// Init, without replaying it once per event, what its minimal closed
// witnesses are however many they are: the events every one of them
// holds, and a choice among the rest made by a rule.
type Closer interface {
	// Closed is asked about a history (oldest first) with no reset,
	// replayed from Init and followed by target, whose output is out. It
	// returns the minimal closed witnesses, or false when it cannot tell
	// cheaply.
	Closed(history []*formats.Event, target *formats.Event, out Output) (Closure, bool)
}

// A Closure is the minimal closed witnesses of a history, by the events'
// places in it: each holds every event Fixed marks and, when Choose is
// not empty, exactly K of the events at the places Choose lists (in
// order), at most Caps[i] of those at Choose[:i+1] (nil Caps: no cap but
// K).
type Closure struct {
	Fixed  []bool
	Choose []int
	K      int
	Caps   []int
	Rule   string // the caps in words (Choice.Rule)
	// OneOf lists more groups, each of the places of which a witness
	// holds exactly one (a Choice of one, with no caps).
	OneOf [][]int
	// More lists more choices, each made besides the first.
	More []Pick
	// Declined says, when Closed returns false for a history its rule
	// was made for, why it does not apply, for the note of an answer
	// that then falls back ("the job's value was pushed 96 times").
	Declined string
}

// A Pick is one more choice of a Closure: exactly K of the events at the
// places Choose lists, any K (no caps).
type Pick struct {
	Choose []int
	K      int
}

// closerFrom is the longest history from Init that is searched subset by
// subset even when the model has a rule for it (Closer): longer ones go
// to the rule first. A SADD after 14 equal SADDs of its member took 32 ms
// in the search over their 2^14 subsets, and one after 16 would take four
// times as long; the rules are checked against the definition on
// histories of 2 to 13 calls.
const closerFrom = 8

// ForcedLimit is the longest stretch whose forced events are found by
// replaying it once per event.
const ForcedLimit = 512

// forced marks the events of a stretch that every closed subset (from
// start, for goal) holds: those whose absence alone breaks the goal. Since
// closed subsets are closed upwards, a subset lacking such an event would
// make the whole stretch less that event closed, and it is not. It
// returns nil when even the whole stretch misses the goal (then no subset
// is closed). The goal is given fresh replays, which it may change.
func (s *solver) forced(start State, stretch []*formats.Event, goal func(State) bool, top bool) ([]bool, error) {
	m := s.p.Model
	if f, ok := m.(Forcer); ok && top {
		if marks, ok := f.Forced(start, stretch, s.p.Target, s.out); ok {
			return marks, nil
		}
	}
	n := len(stretch)
	if n > ForcedLimit {
		return nil, fmt.Errorf("%d writes between resets (at most %d): %w", n, ForcedLimit, ErrTooLarge)
	}
	if err := s.spend(n * n); err != nil {
		return nil, err
	}
	step := stepOf(m)
	// prefix is the state after the events before i: each replay without
	// event i starts from a copy of it, so the events before i are
	// stepped once for all the replays, not once for each.
	prefix := m.Clone(start)
	replay := func(skip int) State {
		st := m.Clone(prefix)
		for _, e := range stretch[skip+1:] {
			step(st, e)
		}
		return st
	}
	if !goal(replay(-1)) {
		return nil, nil
	}
	marks := make([]bool, n)
	free := 0
	for i := range stretch {
		if i%32 == 31 {
			if err := s.inTime(); err != nil {
				return nil, err
			}
		}
		marks[i] = !goal(replay(i))
		step(prefix, stretch[i])
		if !marks[i] {
			// Past the limit the stretch is too large whatever the rest
			// are (stretch): a linker's 274 writes to the binary it makes
			// were each replayed without one of them first.
			if free++; free > s.p.Limit {
				return nil, fmt.Errorf("more than %d writes between resets could each be left out: %w", s.p.Limit, ErrTooLarge)
			}
		}
	}
	return marks, nil
}

// solve returns the minimal sets Y of events from back-index from onwards
// (older) such that every superset of Y ends in a state meeting goal.
// Sets are lists of back-indexes, newest first.
//
// A run of resets with nothing between them (a field set to one value
// again and again) is walked in a loop, not by recursion: each such reset
// is a witness alone and hands the same goal on to the older history, and
// the sets are made minimal once at the end, not once per reset (which
// was quadratic in the run: an HGET after 225 equal HSETs spent a sixth
// of its answer there).
func (s *solver) solve(from int, goal func(State) bool, depth int) ([][]int, error) {
	var alone [][]int // {reset} of each reset of such a run
	for {
		sets, next, err := s.stretch(from, goal, depth)
		if err != nil {
			return nil, err
		}
		if next < 0 {
			if alone == nil {
				return sets, nil
			}
			return minimalSets(append(alone, sets...)), nil
		}
		alone = append(alone, sets...)
		from, depth = next, depth+1
	}
}

// hugeReplayBytes is how many bytes of events forced's replays go over
// (replayBytes) from which they have their heap in huge pages
// (hugepages.Heap): a model whose state holds what the events wrote
// copies it at every replay. A read of GNU sort's temporary file, after
// 44 writes and reads of 4 KiB (7.8 MB replayed), had allocated 36 MB
// before its search began.
const hugeReplayBytes = 1 << 20

// replayBytes is the bytes of events that forced's replays of a stretch
// go over: one replay of the stretch for each of its events.
func replayBytes(stretch []*formats.Event) int {
	n := 0
	for _, e := range stretch {
		n += len(e.Raw)
	}
	return n * len(stretch)
}

// stretch is solve for the events from back-index from to the first reset
// (the stretch) and, by recursion, the older ones. When the stretch is
// empty and both the reset's state and the state the older history
// really leads to meet goal, it returns {reset} and next, where the
// search goes on with the same goal: a witness without the reset is then
// a witness of goal over the history from next. Otherwise next is -1 and
// sets are solve's answer.
func (s *solver) stretch(from int, goal func(State) bool, depth int) ([][]int, int, error) {
	if depth > 100000 {
		return nil, -1, fmt.Errorf("more than 100000 coincident resets: %w", ErrTooLarge)
	}
	r, err := s.findReset(from)
	if err != nil {
		return nil, -1, err
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
	m := s.p.Model
	if c, ok := m.(Closer); ok && depth == 0 && !hasReset && len(stretch) > min(s.p.Limit, closerFrom) {
		// The whole history from Init, which the model can answer for
		// at once.
		if cl, ok := c.Closed(stretch, s.p.Target, s.out); !ok {
			s.declined = cl.Declined
		} else {
			var w []int
			for i := len(stretch) - 1; i >= 0; i-- {
				if cl.Fixed[i] {
					w = append(w, end-1-i)
				}
			}
			at := func(places []int) []*formats.Event {
				evs := make([]*formats.Event, len(places))
				for j, i := range places {
					evs[j] = stretch[i]
				}
				return evs
			}
			if len(cl.Choose) > 0 {
				s.choices = append(s.choices, Choice{Events: at(cl.Choose), K: cl.K, Caps: cl.Caps, Rule: cl.Rule})
			}
			for _, g := range cl.OneOf {
				s.choices = append(s.choices, Choice{Events: at(g), K: 1})
			}
			for _, p := range cl.More {
				s.choices = append(s.choices, Choice{Events: at(p.Choose), K: p.K})
			}
			return [][]int{w}, -1, nil
		}
	}
	start, step := m.Init(), stepOf(m)
	if hasReset {
		step(start, s.rev[r])
	}
	// Long stretches: only the events whose absence alone does not break
	// the goal are enumerated; the others are in every closed subset.
	n := len(stretch)
	var fixed []bool
	free := make([]int, 0, n)
	if n > s.p.Limit {
		if replayBytes(stretch) >= hugeReplayBytes {
			hugepages.Heap()
		}
		if fixed, err = s.forced(start, stretch, goal, depth == 0); err != nil {
			return nil, -1, err
		}
		if fixed == nil {
			return nil, -1, nil // nothing here is closed
		}
	}
	for i := range stretch {
		if fixed == nil || !fixed[i] {
			free = append(free, i)
		}
	}
	if len(free) > s.p.Limit {
		return nil, -1, fmt.Errorf("%d writes between resets could each be left out (at most %d): %w", len(free), s.p.Limit, ErrTooLarge)
	}
	k := len(free)
	cost := 2<<k + (1<<k)*(n-k)
	if err := s.spend(cost); err != nil {
		return nil, -1, err
	}
	// pos maps a mask over free events to back-indexes, fixed ones included.
	pos := func(mask int) []int {
		var out []int
		for i := n - 1; i >= 0; i-- {
			if fixed != nil && fixed[i] {
				out = append(out, end-1-i)
			}
		}
		for j := k - 1; j >= 0; j-- {
			if mask&(1<<j) != 0 {
				out = append(out, end-1-free[j])
			}
		}
		return out
	}
	late := func() bool { return s.inTime() != nil }
	closedFrom := func(st State) []bool { return closedMasksFixed(m, step, st, stretch, fixed, goal, late, true) }
	closed := closedFrom(start)
	if closed == nil {
		return nil, -1, ErrOutOfTime
	}
	if !hasReset {
		// The beginning of the history: the stretch starts from Init.
		var out [][]int
		for _, mask := range minimalMasks(closed) {
			out = append(out, pos(mask))
		}
		return out, -1, nil
	}
	if n == 0 {
		// Nothing between this reset and the newer events: {reset} is the
		// one witness holding it (when the goal holds after it), and a
		// witness without it is one of the goal over the older history,
		// when the state that history leads to keeps the goal at all.
		if !closed[0] {
			return nil, -1, nil
		}
		if err := s.spend(cost); err != nil {
			return nil, -1, err
		}
		actual, err := s.stateAt(r + 1)
		if err != nil {
			return nil, -1, err
		}
		if !goal(actual) {
			return [][]int{{r}}, -1, nil
		}
		return [][]int{{r}}, r + 1, nil
	}
	var out [][]int
	for _, mask := range minimalMasks(closed) {
		out = append(out, append(pos(mask), r))
	}
	// Witnesses without the reset: X closed from the reset's state, plus
	// a witness, over the older history, of "X keeps the goal from here".
	// Such a witness Y would make the whole older history a superset, so
	// the state the older history really leads to must keep the goal with
	// X: one replay rules out most X before any search.
	memo := map[string][]bool{}
	var failed error
	if err := s.spend(cost); err != nil {
		return nil, -1, err
	}
	actual, err := s.stateAt(r + 1)
	if err != nil {
		return nil, -1, err
	}
	possible := closedFrom(actual)
	if possible == nil {
		return nil, -1, ErrOutOfTime
	}
	memo[m.Fingerprint(actual)] = possible
	for mask, ok := range closed {
		if !ok || !possible[mask] {
			continue
		}
		x := mask
		sub := func(st State) bool {
			fp := m.Fingerprint(st)
			c, seen := memo[fp]
			if !seen {
				if err := s.spend(cost); err != nil {
					failed = err
					return false
				}
				c = closedFrom(st)
				if c == nil {
					failed = ErrOutOfTime
					return false
				}
				memo[fp] = c
			}
			return c[x]
		}
		older, err := s.solve(r+1, sub, depth+1)
		if err == nil {
			err = failed
		}
		if err != nil {
			return nil, -1, err
		}
		for _, y := range older {
			out = append(out, append(pos(x), y...))
		}
	}
	return minimalSets(out), -1, nil
}

// spend counts work against the budget. The budget grows with the
// history read: replaying a long stretch a few times is linear work any
// answer needs; it is the enumeration it guards against.
func (s *solver) spend(n int) error {
	s.spent += n
	if limit := s.p.Budget + 4*len(s.rev); s.spent > limit {
		return fmt.Errorf("the search needs more than %d replayed requests: %w", limit, ErrTooLarge)
	}
	return s.inTime()
}

// inTime returns ErrOutOfTime past the problem's deadline.
func (s *solver) inTime() error {
	if !s.p.Deadline.IsZero() && time.Now().After(s.p.Deadline) {
		return ErrOutOfTime
	}
	return nil
}

// stateAt returns the state after every event from back-index from
// onwards (older), replayed from the last reset among them.
func (s *solver) stateAt(from int) (State, error) {
	r, err := s.findReset(from)
	if err != nil {
		return nil, err
	}
	m := s.p.Model
	st, step := m.Init(), stepOf(m)
	for i := r; i >= from; i-- {
		step(st, s.rev[i])
	}
	return st, nil
}

// minimalSets drops duplicates and every set that contains another.
// The sets kept are indexed by their least element: a kept set inside s
// has its least element in s, so s is checked against the few kept sets
// that begin with one of its elements, not against all of them (a chain
// of 249 coincident resets handed it 31,000 sets, 2.6 million checks).
// A duplicate is dropped as a set that contains another.
func minimalSets(sets [][]int) [][]int {
	for _, s := range sets {
		sort.Ints(s)
	}
	sort.SliceStable(sets, func(i, j int) bool { return len(sets[i]) < len(sets[j]) })
	var keep [][]int
	byLeast := map[int][]int{} // least element -> indexes into keep
	for _, s := range sets {
		if len(s) == 0 {
			return [][]int{s} // the empty set is inside every other
		}
		sub := false
		for _, v := range s {
			for _, t := range byLeast[v] {
				if subset(keep[t], s) {
					sub = true
					break
				}
			}
			if sub {
				break
			}
		}
		if !sub {
			byLeast[s[0]] = append(byLeast[s[0]], len(keep))
			keep = append(keep, s)
		}
	}
	oldestFirst(keep)
	return keep
}

// oldestFirst puts sets of back-indexes in canonical order: each by
// back-index descending (oldest first), then the sets by those lists.
func oldestFirst(sets [][]int) {
	for _, s := range sets {
		sort.Sort(sort.Reverse(sort.IntSlice(s)))
	}
	sort.Slice(sets, func(i, j int) bool {
		a, b := sets[i], sets[j]
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] > b[k]
			}
		}
		return len(a) < len(b)
	})
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
