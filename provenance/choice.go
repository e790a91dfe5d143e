package provenance

import (
	"fmt"
	"math/big"

	"github.com/wat-project/wat/formats"
)

// A Choice is an OR-group of an explanation given by a rule instead of a
// list, for when its alternatives are too many to list (which pops of a
// queue guard its pushes: any K of thousands): a witness holds exactly K
// of Events (in trace order), and at most Caps[i] of Events[:i+1].
// Caps is nondecreasing and ends at K; nil means no cap but K.
type Choice struct {
	Events []*formats.Event
	K      int
	Caps   []int
	// Rule says the caps in words, for people ("no more of them before
	// a point than pushes before it").
	Rule string

	count *big.Int // Counted's answer, once counted (see counted)
	exact bool     // whether count is the exact number
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
	if c.none() {
		return new(big.Int), true
	}
	_, rest := c.split()
	if rest.work() <= MaxChoiceWork {
		return rest.ways(), true
	}
	// Any K of them, when no cap is below what the events up to it
	// could hold anyway.
	free := true
	for i := range rest.Caps {
		free = free && rest.Caps[i] >= min(i+1, rest.K)
	}
	return new(big.Int).Binomial(int64(len(rest.Events)), int64(rest.K)), free
}

// none reports whether there is no way to choose at all.
func (c *Choice) none() bool {
	lo, hi := c.valid()
	if len(lo) == 0 {
		return c.K > 0
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
	for i := range c.Events {
		lo, hi := c.bounds(i)
		if hi >= lo {
			w += hi - lo + 1
		}
	}
	return w
}

// bounds returns the fewest and most of Events[:i+1] a witness can hold.
func (c *Choice) bounds(i int) (lo, hi int) {
	return max(0, c.K-(len(c.Events)-i-1)), min(i+1, c.cap(i), c.K)
}

// valid returns, for each event, the interval of how many of the events
// up to it a way of choosing holds: the holdings reachable from the
// start within the caps, and from which K can still be reached. Every
// holding inside is on some way; lo > hi when there is no way at all.
func (c *Choice) valid() (lo, hi []int) {
	n := len(c.Events)
	lo, hi = make([]int, n), make([]int, n)
	// Backwards: the holdings from which K can be reached.
	a, b := c.K, c.K
	for i := n - 1; i >= 0; i-- {
		lo[i], hi[i] = a, min(b, c.cap(i), i+1)
		a, b = max(a-1, 0), hi[i]
	}
	// Forwards: the holdings reachable from none.
	rhi := 0
	for i := 0; i < n; i++ {
		rhi = min(rhi+1, c.cap(i), c.K)
		hi[i] = min(hi[i], rhi)
		rhi = hi[i]
	}
	return lo, hi
}

// Count returns how many ways there are to choose, however long
// counting them takes (see Counted).
func (c *Choice) Count() *big.Int {
	if c.count != nil && c.exact {
		return new(big.Int).Set(c.count)
	}
	if c.none() {
		return new(big.Int)
	}
	// Setting aside the events every way holds and those none does
	// leaves the ways as they are, and the loop below far shorter.
	_, rest := c.split()
	return rest.ways()
}

// ways counts the ways to choose, one event at a time.
func (c *Choice) ways() *big.Int {
	// ways[h] is the number of ways to hold h of the events seen so far,
	// nonzero only for h in [plo, phi].
	ways := make([]*big.Int, c.K+2)
	for h := range ways {
		ways[h] = new(big.Int)
	}
	ways[0].SetInt64(1)
	plo, phi := 0, 0
	for i := range c.Events {
		lo, hi := c.bounds(i)
		nlo, nhi := max(lo, plo), min(hi, phi+1)
		if nlo > nhi {
			return new(big.Int)
		}
		for h := nhi; h >= nlo; h-- {
			if h > phi {
				ways[h].SetInt64(0)
			}
			if h-1 >= plo {
				ways[h].Add(ways[h], ways[h-1])
			}
		}
		for h := plo; h < nlo; h++ {
			ways[h].SetInt64(0)
		}
		for h := nhi + 1; h <= phi; h++ {
			ways[h].SetInt64(0)
		}
		plo, phi = nlo, nhi
	}
	if c.K < plo || c.K > phi {
		return new(big.Int)
	}
	return ways[c.K]
}

// Expand lists the first limit ways to choose, in order of the events'
// places (the earliest events first): a walk that takes each event when
// some way does, given what it took before, and on reaching the end
// backs up to the last event it took that a way may skip, and skips it.
// It walks without recursion: a hot queue's choice holds 170,000 pops.
func (c *Choice) Expand(limit int) [][]*formats.Event {
	var out [][]*formats.Event
	lo, hi := c.valid()
	n := len(c.Events)
	took := make([]bool, 0, n) // the way being walked, up to i
	h := 0                     // how many of them it takes
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
		if i == n && h == c.K {
			way := make([]*formats.Event, 0, h)
			for k, t := range took {
				if t {
					way = append(way, c.Events[k])
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
	if c.Caps != nil && len(c.Caps) != len(c.Events) {
		return fmt.Errorf("internal error: a choice of %d events with %d caps", len(c.Events), len(c.Caps))
	}
	if c.K < 0 || c.K > len(c.Events) {
		return fmt.Errorf("internal error: a choice of %d of %d events", c.K, len(c.Events))
	}
	return nil
}

// Settle returns the events every way of making c holds, and c without
// them and without the events no way holds, counted: what is left to
// choose, as Explain keeps it. A rule that makes its Explanation itself
// (from a store's runs, not a Walk) settles its choices so.
func (c Choice) Settle() (always []*formats.Event, rest Choice, err error) {
	if err := c.check(); err != nil {
		return nil, Choice{}, err
	}
	always, rest = c.split()
	return always, rest.counted(), nil
}

// split returns the events every way of making c holds, and c without
// them and without the events no way holds: what is left to choose.
func (c Choice) split() (always []*formats.Event, rest Choice) {
	rest = Choice{K: c.K, Rule: c.Rule, Events: make([]*formats.Event, 0, len(c.Events))}
	if c.Caps != nil {
		rest.Caps = make([]int, 0, len(c.Caps))
	}
	lo, hi := c.valid()
	taken := 0
	for i, e := range c.Events {
		plo, phi := 0, 0
		if i > 0 {
			plo, phi = lo[i-1], hi[i-1]
		}
		switch {
		case max(plo, lo[i]) > min(phi, hi[i]): // no way skips it
			always = append(always, e)
			taken++
			rest.K--
		case max(plo+1, lo[i]) > min(phi+1, hi[i]): // no way takes it
		default:
			rest.Events = append(rest.Events, e)
			if c.Caps != nil {
				rest.Caps = append(rest.Caps, c.Caps[i]-taken)
			}
		}
	}
	return always, rest
}
