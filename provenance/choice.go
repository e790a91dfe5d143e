package provenance

import (
	"fmt"
	"math/big"

	"github.com/wat-project/wat/formats"
)

// A Choice is an OR-group of an explanation given by a rule instead of a
// list, for when its alternatives are too many to list (which pops of a
// queue guard its pushes: any K of thousands): a witness holds exactly K
// of its events (in trace order), and at most Caps[i] of the first i+1.
// Caps is nondecreasing and ends at K; nil means no cap but K.
//
// The events are Events, or, when Stubs is not nil, Stubs's: a rule of
// runs chooses among 170,000 pops of one request, which as events would
// take 60 MB. Len, ID and Event read either.
type Choice struct {
	Events []*formats.Event
	Stubs  *Stubs
	K      int
	Caps   []int
	// Rule says the caps in words, for people ("no more of them before
	// a point than pushes before it").
	Rule string

	count *big.Int // Counted's answer, once counted (see counted)
	exact bool     // whether count is the exact number
	// settled: c is what split left of a choice that had a way, so
	// splitting it again would take nothing out (a hot queue's choice
	// of 170,000 pops was split twice more to be counted).
	settled bool
	// valids is valid's answer, once asked (an answer's first way is
	// asked for three times, by each part of its output).
	valids *[2][]int32
}

// Stubs are events held compactly, each a stub (formats.Event.Stub) of
// one of a few requests: the i-th has id IDs[i] and is a stub of
// Likes[Of[i]], of its key alone when KeyOnly[Of[i]] (a push whose value
// the answer does not read); or that request itself, when it is not a
// stub and has the id.
type Stubs struct {
	IDs     []int64
	Of      []int32
	Likes   []*formats.Event
	KeyOnly []bool
}

// Len returns how many events c chooses from.
func (c *Choice) Len() int {
	if c.Stubs != nil {
		return len(c.Stubs.IDs)
	}
	return len(c.Events)
}

// ID returns the id of c's i-th event.
func (c *Choice) ID(i int) int64 {
	if c.Stubs != nil {
		return c.Stubs.IDs[i]
	}
	return c.Events[i].ID
}

// Event returns c's i-th event: a new stub when c holds Stubs.
func (c *Choice) Event(i int) *formats.Event {
	if s := c.Stubs; s != nil {
		like := s.Likes[s.Of[i]]
		if like.ID == s.IDs[i] && !like.Stub {
			return like
		}
		e := like.StubAt(s.IDs[i], s.KeyOnly[s.Of[i]])
		return &e
	}
	return c.Events[i]
}

// events returns c's events at places, stubs made in one slab.
func (c *Choice) events(places []int) []*formats.Event {
	out := make([]*formats.Event, len(places))
	if s := c.Stubs; s != nil {
		slab := make([]formats.Event, len(places))
		for j, i := range places {
			like := s.Likes[s.Of[i]]
			if like.ID == s.IDs[i] && !like.Stub {
				out[j] = like
				continue
			}
			slab[j] = like.StubAt(s.IDs[i], s.KeyOnly[s.Of[i]])
			out[j] = &slab[j]
		}
		return out
	}
	for j, i := range places {
		out[j] = c.Events[i]
	}
	return out
}

// sameForm returns an empty Choice of c's form (events, or stubs of
// the same requests), with room for n events.
func (c *Choice) sameForm(n int) Choice {
	if s := c.Stubs; s != nil {
		return Choice{Stubs: &Stubs{IDs: make([]int64, 0, n), Of: make([]int32, 0, n), Likes: s.Likes, KeyOnly: s.KeyOnly}}
	}
	return Choice{Events: make([]*formats.Event, 0, n)}
}

// take appends c's i-th event to r, a Choice of c's form (sameForm).
func (r *Choice) take(c *Choice, i int) {
	if s := c.Stubs; s != nil {
		r.Stubs.IDs, r.Stubs.Of = append(r.Stubs.IDs, s.IDs[i]), append(r.Stubs.Of, s.Of[i])
		return
	}
	r.Events = append(r.Events, c.Events[i])
}

// counted returns c with its count computed once, so that its copies
// do not count again.
func (c Choice) counted() Choice {
	c.count = nil
	c.count, c.exact = c.Counted()
	return c
}

// cap returns how many of Events[:i+1] a witness may hold.
func (c *Choice) cap(i int) int {
	if c.Caps == nil {
		return c.K
	}
	return c.Caps[i]
}

// MaxChoiceWork bounds the steps Counted spends counting a Choice's ways
// exactly (events times the number of holdings its caps leave open):
// past it, it gives a bound.
const MaxChoiceWork = 1 << 22

// Counted returns how many ways there are to choose and true when
// counting them takes at most MaxChoiceWork steps. Otherwise it returns
// false and a bound: at most the ways of choosing, with no caps, what is
// left once the events every way holds, or none does, are set aside. (A
// queue of 100,000 pops of which 7,000 could each be left out has about
// 10^11000 ways, and counting them exactly takes 10^8 big-number
// additions.)
func (c *Choice) Counted() (*big.Int, bool) {
	if c.count != nil {
		return new(big.Int).Set(c.count), c.exact
	}
	rest := *c
	if !c.settled {
		if c.none() {
			return new(big.Int), true
		}
		_, rest = c.split()
	}
	if rest.work() <= MaxChoiceWork {
		return rest.ways(), true
	}
	// Any K of them, when no cap is below what the events up to it
	// could hold anyway.
	free := true
	for i := range rest.Caps {
		free = free && rest.Caps[i] >= min(i+1, rest.K)
	}
	return new(big.Int).Binomial(int64(rest.Len()), int64(rest.K)), free
}

// none reports whether there is no way to choose at all.
func (c *Choice) none() bool {
	lo, hi := c.valid()
	return noWay(lo, hi, c.K)
}

// noWay tells, from valid's intervals, whether there is no way to choose
// K of the events.
func noWay(lo, hi []int32, k int) bool {
	if len(lo) == 0 {
		return k > 0
	}
	for i := range lo {
		if lo[i] > hi[i] {
			return true
		}
	}
	return false
}

// work returns the steps c's counting loop takes, as it is.
func (c *Choice) work() int {
	w := 0
	for i := range c.Len() {
		lo, hi := c.bounds(i)
		if hi >= lo {
			w += hi - lo + 1
		}
	}
	return w
}

// bounds returns the fewest and most of Events[:i+1] a witness can hold.
func (c *Choice) bounds(i int) (lo, hi int) {
	return max(0, c.K-(c.Len()-i-1)), min(i+1, c.cap(i), c.K)
}

// valid returns, for each event, the interval of how many of the events
// up to it a way of choosing holds: the holdings reachable from the
// start within the caps, and from which K can still be reached. Every
// holding inside is on some way; lo > hi when there is no way at all.
// They are int32s (a choice holds far fewer than 2^31 events): a hot
// queue's choice of 170,000 pops made 2.7 MB of them, each call.
func (c *Choice) valid() (lo, hi []int32) {
	n := c.Len()
	if v := c.valids; v != nil && len(v[0]) == n {
		return v[0], v[1]
	}
	lo, hi = validOf(n, c.K, c.Caps)
	c.valids = &[2][]int32{lo, hi}
	return lo, hi
}

// validOf is valid of a choice of k of n events under caps (nil: none
// but k).
func validOf(n, k int, caps []int) (lo, hi []int32) {
	capAt := func(i int) int {
		if caps == nil {
			return k
		}
		return caps[i]
	}
	lo, hi = make([]int32, n), make([]int32, n)
	// Backwards: the holdings from which K can be reached.
	a, b := k, k
	for i := n - 1; i >= 0; i-- {
		h := min(b, capAt(i), i+1)
		lo[i], hi[i] = int32(a), int32(h)
		a, b = max(a-1, 0), h
	}
	// Forwards: the holdings reachable from none.
	rhi := 0
	for i := 0; i < n; i++ {
		rhi = min(rhi+1, capAt(i), k, int(hi[i]))
		hi[i] = int32(rhi)
	}
	return lo, hi
}

// Count returns how many ways there are to choose, however long
// counting them takes (see Counted).
func (c *Choice) Count() *big.Int {
	if c.count != nil && c.exact {
		return new(big.Int).Set(c.count)
	}
	if c.settled {
		return c.ways()
	}
	if c.none() {
		return new(big.Int)
	}
	// Setting aside the events every way holds and those none does
	// leaves the ways as they are, and the loop below far shorter.
	_, rest := c.split()
	return rest.ways()
}

// Expand lists the first limit ways to choose, in order of the events'
// places (the earliest events first), as events (ExpandPlaces).
func (c *Choice) Expand(limit int) [][]*formats.Event {
	var out [][]*formats.Event
	for _, way := range c.ExpandPlaces(limit) {
		out = append(out, c.events(way))
	}
	return out
}

// ExpandPlaces lists the first limit ways to choose, as the places of
// their events, in order (the earliest events first): a walk that takes
// each event when some way does, given what it took before, and on
// reaching the end backs up to the last event it took that a way may
// skip, and skips it. It walks without recursion: a hot queue's choice
// holds 170,000 pops.
func (c *Choice) ExpandPlaces(limit int) [][]int { return c.ExpandPlacesCut(limit, -1) }

// ExpandPlacesCut is ExpandPlaces with each way cut to its first most
// places (none cut when most < 0): an answer that lists a thousand of a
// way's 170,000 pops makes no list of the rest.
func (c *Choice) ExpandPlacesCut(limit, most int) [][]int {
	var out [][]int
	lo, hi := c.valid()
	n := c.Len()
	took := make([]bool, 0, n) // the way being walked, up to i
	var h int32                // how many of them it takes
	for len(out) < limit {
		i := len(took)
		for ; i < n; i++ {
			switch {
			case h+1 >= lo[i] && h+1 <= hi[i]:
				took, h = append(took, true), h+1
			case h >= lo[i] && h <= hi[i]:
				took = append(took, false)
			default:
				i = n + 1 // no way goes on from here
			}
		}
		if i == n && int(h) == c.K {
			m := int(h)
			if most >= 0 {
				m = min(m, most)
			}
			way := make([]int, 0, m)
			for k, t := range took {
				if len(way) == m {
					break
				}
				if t {
					way = append(way, k)
				}
			}
			out = append(out, way)
		}
		// Back up to the last event taken that a way may skip.
		for {
			j := len(took) - 1
			if j < 0 {
				return out
			}
			t := took[j]
			took = took[:j]
			if t {
				h--
				if h >= lo[j] && h <= hi[j] {
					took = append(took, false)
					break
				}
			}
		}
	}
	return out
}

// check reports a Choice that breaks its own rules.
func (c *Choice) check() error {
	if c.Stubs != nil && (c.Events != nil || len(c.Stubs.Of) != len(c.Stubs.IDs)) {
		return fmt.Errorf("internal error: a choice of %d events and %d stubs of %d requests", len(c.Events), len(c.Stubs.IDs), len(c.Stubs.Of))
	}
	if c.Caps != nil && len(c.Caps) != c.Len() {
		return fmt.Errorf("internal error: a choice of %d events with %d caps", c.Len(), len(c.Caps))
	}
	if c.K < 0 || c.K > c.Len() {
		return fmt.Errorf("internal error: a choice of %d of %d events", c.K, c.Len())
	}
	return nil
}

// SettlePlaces settles a choice a rule makes over the places of a
// history (a Closure's Choose, K and Caps, or a Pick's), as Explain
// settles a Walk's: it calls always with each place every way of making
// it holds, in order, and returns what is left to choose, without them
// and without the places no way holds, counted. A rule that makes its
// Explanation itself (from a store's runs, not a Walk) settles its
// choices so. The Choice of the places left is made by choice, as the
// rule holds their events: a hot queue's choice of 170,000 pops leaves
// 25,000, and making stubs of them all first took 2 MB. A choice that no
// way makes is an error: its rule's closure holds no witness.
func SettlePlaces(places []int, k int, caps []int, rule string, always func(place int), choice func(left []int) Choice) (Choice, error) {
	n := len(places)
	if caps != nil && len(caps) != n || k < 0 || k > n {
		return Choice{}, fmt.Errorf("internal error: a choice of %d of %d places with %d caps", k, n, len(caps))
	}
	lo, hi := validOf(n, k, caps)
	if noWay(lo, hi, k) {
		return Choice{}, fmt.Errorf("internal error: a choice of %d of %d places that no way makes (caps %v)", k, n, caps)
	}
	// Sized first: a hot queue's pop leaves 135,000 to choose, whose
	// lists grown as they came made 10 MB.
	nLeft := 0
	sift(lo, hi, nil, func(int) {}, func(int, int) { nLeft++ })
	left, leftCaps := make([]int, 0, nLeft), []int(nil)
	if caps != nil {
		leftCaps = make([]int, 0, nLeft)
	}
	// The rest's intervals (valid) are these, at the events left: its
	// ways are these ways without the events every way holds, which all
	// come after the last event left (once K cannot be reached without
	// an event, it cannot without any later one either). Made here, they
	// are not made again from its caps (a hot queue's 213,000 pops: 1.7
	// MB and 2 ms).
	restLo, restHi := make([]int32, 0, nLeft), make([]int32, 0, nLeft)
	taken := sift(lo, hi, caps, func(i int) { always(places[i]) }, func(i, cp int) {
		if caps != nil {
			leftCaps = append(leftCaps, cp)
		}
		left = append(left, places[i])
		restLo, restHi = append(restLo, lo[i]), append(restHi, hi[i])
	})
	rest := choice(left)
	rest.K, rest.Caps, rest.Rule, rest.settled = k-taken, leftCaps, rule, true
	rest.valids = &[2][]int32{restLo, restHi}
	return rest.counted(), nil
}

// split returns the places of the events every way of making c holds,
// and c without them and without the events no way holds: what is left
// to choose.
func (c Choice) split() (always []int, rest Choice) {
	rest = c.sameForm(c.Len())
	var caps []int
	if c.Caps != nil {
		caps = make([]int, 0, len(c.Caps))
	}
	lo, hi := c.valid()
	taken := sift(lo, hi, c.Caps, func(i int) { always = append(always, i) }, func(i, cp int) {
		if c.Caps != nil {
			caps = append(caps, cp)
		}
		rest.take(&c, i)
	})
	rest.K, rest.Caps, rest.Rule, rest.settled = c.K-taken, caps, c.Rule, !noWay(lo, hi, c.K)
	return always, rest
}

// sift goes over the events of a choice, given valid's intervals lo and
// hi and its caps: it calls always with each event every way holds, in
// order, and left with each that some ways hold and others do not, and
// its cap less the events before it that every way holds (0 without
// caps). Those no way holds it skips. It returns how many every way
// holds.
func sift(lo, hi []int32, caps []int, always func(i int), left func(i, cap int)) (taken int) {
	for i := range lo {
		var plo, phi int32
		if i > 0 {
			plo, phi = lo[i-1], hi[i-1]
		}
		switch {
		case max(plo, lo[i]) > min(phi, hi[i]): // no way skips it
			always(i)
			taken++
		case max(plo+1, lo[i]) > min(phi+1, hi[i]): // no way takes it
		default:
			cp := 0
			if caps != nil {
				cp = caps[i] - taken
			}
			left(i, cp)
		}
	}
	return taken
}
