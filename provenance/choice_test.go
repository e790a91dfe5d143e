package provenance

import (
	"math/big"
	"math/bits"
	"math/rand"
	"slices"
	"testing"

	"github.com/wat-project/wat/formats"
)

// TestChoice checks a Choice's Count and Expand against every subset of
// its events, on random caps; every other seed holds them as Stubs.
func TestChoice(t *testing.T) {
	for seed := 0; seed < 3000; seed++ {
		r := rand.New(rand.NewSource(int64(seed)))
		n := r.Intn(12)
		c := Choice{K: r.Intn(n + 1)}
		likes := []*formats.Event{{Op: "RPOP", Args: [][]byte{[]byte("q")}}, {Op: "LPUSH", Args: [][]byte{[]byte("q"), []byte("v")}}}
		for i := 0; i < n; i++ {
			if seed%2 == 0 {
				c.Events = append(c.Events, &formats.Event{ID: int64(i + 1)})
				continue
			}
			if c.Stubs == nil {
				c.Stubs = &Stubs{Likes: likes, KeyOnly: []bool{false, true}}
			}
			c.Stubs.IDs = append(c.Stubs.IDs, int64(i+1))
			c.Stubs.Of = append(c.Stubs.Of, int32(r.Intn(2)))
		}
		if err := c.check(); err != nil {
			t.Fatal(err)
		}
		if r.Intn(4) > 0 {
			cp := 0
			for i := 0; i < n; i++ {
				cp += r.Intn(2)
				c.Caps = append(c.Caps, cp)
			}
		}
		// Every subset of K events within the caps, in the order Expand
		// lists them (the earliest events first).
		var want [][]int64
		for mask := 0; mask < 1<<n; mask++ {
			if bits.OnesCount(uint(mask)) != c.K {
				continue
			}
			ok, held := true, 0
			for i := 0; i < n; i++ {
				if mask&(1<<i) != 0 {
					held++
				}
				if held > c.cap(i) {
					ok = false
				}
			}
			if !ok {
				continue
			}
			var w []int64
			for i := 0; i < n; i++ {
				if mask&(1<<i) != 0 {
					w = append(w, int64(i+1))
				}
			}
			want = append(want, w)
		}
		if got := c.Count(); got.Int64() != int64(len(want)) {
			t.Fatalf("seed %d: %d of %d events, caps %v: Count %v, want %d", seed, c.K, n, c.Caps, got, len(want))
		}
		if got, exact := c.Counted(); !exact || got.Int64() != int64(len(want)) {
			t.Fatalf("seed %d: %d of %d events, caps %v: Counted %v (exact %v), want %d", seed, c.K, n, c.Caps, got, exact, len(want))
		}
		// Joined at any event, the counts from the start and from the
		// end give the same.
		if lo, hi := c.valid(); !noWay(lo, hi, c.K) {
			for at := 0; at <= n; at++ {
				if got := countPaths(lo, hi, c.K, at); got.Int64() != int64(len(want)) {
					t.Fatalf("seed %d: %d of %d events, caps %v, joined before event %d: %v ways, want %d", seed, c.K, n, c.Caps, at, got, len(want))
				}
			}
		}
		got := c.Expand(1 << 12)
		if len(got) != len(want) {
			t.Fatalf("seed %d: Expand gave %d ways, want %d", seed, len(got), len(want))
		}
		// Expand(1) is the first way of them all, in the same order.
		if first := c.Expand(1); len(got) == 0 && len(first) != 0 || len(got) > 0 && (len(first) != 1 || ids(first[0]) != ids(got[0])) {
			t.Fatalf("seed %d: Expand(1) gave %v, the first of all is %v", seed, first, got[:min(1, len(got))])
		}
		// Cut, each way is its first places, the ways as many.
		all := c.ExpandPlaces(1 << 12)
		for _, most := range []int{0, 1, 2, c.K} {
			limit := 1 + r.Intn(len(all)+1)
			cut := c.ExpandPlacesCut(limit, most)
			if len(cut) != min(limit, len(all)) {
				t.Fatalf("seed %d: ExpandPlacesCut(%d, %d) gave %d ways of %d", seed, limit, most, len(cut), len(all))
			}
			for k, w := range cut {
				if !slices.Equal(w, all[k][:min(most, len(all[k]))]) {
					t.Fatalf("seed %d: ExpandPlacesCut(%d, %d) way %d is %v, of %v", seed, limit, most, k, w, all[k])
				}
			}
		}
		for k := 1; k < len(got); k++ {
			if !earlier(got[k-1], got[k]) {
				t.Fatalf("seed %d: Expand's ways %v and %v out of order", seed, got[k-1], got[k])
			}
		}
		seen := map[string]bool{}
		for _, w := range got {
			seen[ids(w)] = true
		}
		for _, w := range want {
			var evs []*formats.Event
			for _, id := range w {
				evs = append(evs, c.Event(int(id-1)))
			}
			if !seen[ids(evs)] {
				t.Fatalf("seed %d: Expand misses %v", seed, w)
			}
		}
		// split keeps the same ways, the events it takes out added to each.
		places, rest := c.split()
		always := c.events(places)
		if (rest.Stubs != nil) != (c.Stubs != nil) {
			t.Fatalf("seed %d: split changed the choice's form", seed)
		}
		if len(want) > 0 {
			var split []string
			for _, w := range rest.Expand(1 << 12) {
				split = append(split, ids(append(append([]*formats.Event(nil), always...), w...)))
			}
			var whole []string
			for _, w := range got {
				whole = append(whole, ids(w))
			}
			slices.Sort(split)
			slices.Sort(whole)
			if !slices.Equal(split, whole) {
				t.Fatalf("seed %d: %d of %d, caps %v: split into %d always and %d of %v (caps %v): %v, want %v", seed, c.K, n, c.Caps, len(always), rest.K, rest.Len(), rest.Caps, split, whole)
			}
		}
		// SettlePlaces, over places of a history, takes out the same
		// events and leaves the same ways, counted.
		hist := make([]int, n) // the events' places in a history of 3n
		for i := range hist {
			hist[i] = 3*i + 1
		}
		var settled, wantSettled []int
		for _, i := range places {
			wantSettled = append(wantSettled, 3*i+1)
		}
		pr, err := SettlePlaces(hist, c.K, c.Caps, "rule", func(p int) { settled = append(settled, p) }, func(left []int) Choice {
			var evs []*formats.Event
			for _, p := range left {
				evs = append(evs, c.Event((p-1)/3))
			}
			return Choice{Events: evs}
		})
		switch {
		case len(want) == 0 && err == nil:
			t.Fatalf("seed %d: SettlePlaces of a choice that no way makes gave no error", seed)
		case len(want) > 0 && err != nil:
			t.Fatalf("seed %d: %v", seed, err)
		}
		if err == nil && (!slices.Equal(settled, wantSettled) || pr.K != rest.K || !slices.Equal(pr.Caps, rest.Caps) || pr.Len() != rest.Len() || pr.Rule != "rule") {
			t.Fatalf("seed %d: SettlePlaces took out %v, left %d of %d (caps %v); split took out %v, left %d of %d (caps %v)", seed, settled, pr.K, pr.Len(), pr.Caps, wantSettled, rest.K, rest.Len(), rest.Caps)
		}
		if err == nil {
			// The intervals it made the rest's are valid's of the rest.
			lo, hi := validOf(pr.Len(), pr.K, pr.Caps)
			if pr.valids == nil || !slices.Equal(pr.valids[0], lo) || !slices.Equal(pr.valids[1], hi) {
				t.Fatalf("seed %d: SettlePlaces' rest has intervals %v, valid gives %v %v", seed, pr.valids, lo, hi)
			}
		}
		if got, exact := pr.Counted(); err == nil && (!exact || got.Int64() != int64(len(want))) {
			t.Fatalf("seed %d: SettlePlaces' rest counts %v (exact %v), want %d", seed, got, exact, len(want))
		}
		// What split leaves is settled: split again, it takes nothing
		// out, and it is counted alike whether marked settled or not.
		if rest.settled != (len(want) > 0) {
			t.Fatalf("seed %d: %d ways, and split's rest settled is %v", seed, len(want), rest.settled)
		}
		if rest.settled {
			again, rest2 := rest.split()
			if len(again) != 0 || rest2.Len() != rest.Len() || rest2.K != rest.K || !slices.Equal(rest2.Caps, rest.Caps) {
				t.Fatalf("seed %d: split of split's rest (%d of %d, caps %v) took out %v, left %d of %d, caps %v", seed, rest.K, rest.Len(), rest.Caps, again, rest2.K, rest2.Len(), rest2.Caps)
			}
			plain := rest
			plain.settled = false
			n1, e1 := rest.Counted()
			n2, e2 := plain.Counted()
			if n1.Cmp(n2) != 0 || e1 != e2 || rest.Count().Cmp(plain.Count()) != 0 || n1.Int64() != int64(len(want)) {
				t.Fatalf("seed %d: settled rest counts %v (%v), %v; unsettled %v (%v), %v; want %d", seed, n1, e1, rest.Count(), n2, e2, plain.Count(), len(want))
			}
		}
		if lim := len(want) / 2; lim > 0 && len(c.Expand(lim)) != lim {
			t.Fatalf("seed %d: Expand(%d) did not stop at the limit", seed, lim)
		}
	}
}

// ids names a way of choosing by its events' ids, in order.
func ids(w []*formats.Event) string {
	s := slices.Clone(w)
	slices.SortFunc(s, func(a, b *formats.Event) int { return int(a.ID - b.ID) })
	out := ""
	for _, e := range s {
		out += string(rune('a' + e.ID))
	}
	return out
}

// TestChoiceTooManyToCount checks that a choice whose ways take more
// than MaxChoiceWork steps to count is given a bound that holds, and
// that one whose events are mostly held by every way is counted
// exactly however many events it has (Counted counts what is left once
// those are set aside).
func TestChoiceTooManyToCount(t *testing.T) {
	events := func(n int) []*formats.Event {
		evs := make([]*formats.Event, n)
		for i := range evs {
			evs[i] = &formats.Event{ID: int64(i + 1)}
		}
		return evs
	}
	// Any 3500 of 7000, at most half of those up to each point, plus one.
	c := Choice{Events: events(7000), K: 3500}
	for i := range c.Events {
		c.Caps = append(c.Caps, min(i/2+1, c.K))
	}
	bound, exact := c.Counted()
	if exact {
		t.Fatalf("counted %d steps exactly", c.work())
	}
	count := c.Count()
	if count.Sign() <= 0 || bound.Cmp(count) < 0 || bound.Cmp(new(big.Int).Binomial(7000, 3500)) != 0 {
		t.Fatalf("bound %v for a count of %v", bound, count)
	}
	// Any 50,001 of 100,000, with caps that never bind: C(100000, 50001),
	// counted at once.
	c = Choice{Events: events(100000), K: 50001}
	for i := range c.Events {
		c.Caps = append(c.Caps, min(i+1, c.K))
	}
	if n, exact := c.Counted(); !exact || n.Cmp(new(big.Int).Binomial(100000, 50001)) != 0 {
		t.Fatalf("any 50,001 of 100,000: Counted exact %v", exact)
	}
	// A queue's pops: 200,000, at most 30 of the first 60 held (so
	// exactly 30 of those), every later one held by every way.
	c = Choice{Events: events(200000), K: 200000 - 30}
	for i := range c.Events {
		c.Caps = append(c.Caps, min(i+1, 30))
		if i >= 60 {
			c.Caps[i] = c.K
		}
	}
	if c.work() <= MaxChoiceWork {
		t.Fatalf("a choice of %d steps as it is", c.work())
	}
	want, _ := new(big.Int).SetString("118264581564861424", 10) // C(60, 30)
	if n, exact := c.Counted(); !exact || n.Cmp(want) != 0 {
		t.Fatalf("Counted %v (exact %v), want C(60, 30) = %v", n, exact, want)
	}
}

// earlier tells whether way a comes before way b in Expand's order: at
// the first event where they differ, a takes it.
func earlier(a, b []*formats.Event) bool {
	for i := range min(len(a), len(b)) {
		if a[i].ID != b[i].ID {
			return a[i].ID < b[i].ID
		}
	}
	return false
}

// TestMentionedStubs: of a choice held as Stubs, the events read whole
// are mentioned (a tree follows them to their senders); the stubs are
// not.
func TestMentionedStubs(t *testing.T) {
	pop := &formats.Event{ID: 1, Op: "RPOP", Args: [][]byte{[]byte("q")}, Stub: true}
	push := &formats.Event{ID: 5, Op: "LPUSH", Args: [][]byte{[]byte("q"), []byte("v")}}
	x := &Explanation{Choices: []Choice{{K: 1, Stubs: &Stubs{IDs: []int64{1, 2, 5}, Of: []int32{0, 0, 1}, Likes: []*formats.Event{pop, push}, KeyOnly: []bool{false, false}}}}}
	if got := x.Mentioned(); len(got) != 1 || got[0] != push {
		t.Fatalf("mentioned %v, want the push read whole", got)
	}
}

// TestCountLongChoices checks the count of long choices, joined from
// both ends in the middle as ways joins them, against a count of every
// holding from the start written plainly here: queue-like caps (at most
// as many held up to an event as there were pushes before it) on
// choices of a few hundred to a few thousand events.
func TestCountLongChoices(t *testing.T) {
	for seed := 0; seed < 12; seed++ {
		r := rand.New(rand.NewSource(int64(seed)))
		n := 200 + r.Intn(1800)
		k := n - 1 - r.Intn(n/4)
		caps, skipped := make([]int, n), 0
		for i := range caps {
			if skipped < n-k && r.Intn(5) == 0 {
				skipped++
			}
			caps[i] = min(i+1-skipped, k)
		}
		caps[n-1] = k
		c := Choice{K: k, Caps: caps}
		for i := 0; i < n; i++ {
			c.Events = append(c.Events, &formats.Event{ID: int64(i + 1)})
		}
		// ways[h]: the ways to hold h of the events so far, within caps.
		ways := make([]*big.Int, k+1)
		for h := range ways {
			ways[h] = new(big.Int)
		}
		ways[0].SetInt64(1)
		for i := 0; i < n; i++ {
			for h := k; h >= 1; h-- {
				ways[h].Add(ways[h], ways[h-1])
			}
			for h := caps[i] + 1; h <= k; h++ {
				ways[h].SetInt64(0)
			}
		}
		want := ways[k]
		lo, hi := c.valid()
		if noWay(lo, hi, k) {
			t.Fatalf("seed %d: no way to choose %d of %d", seed, k, n)
		}
		for _, at := range []int{0, splitPoint(lo, hi), n / 3, n} {
			if got := countPaths(lo, hi, k, at); got.Cmp(want) != 0 {
				t.Fatalf("seed %d: %d of %d, joined before event %d: %v ways, want %v", seed, k, n, at, got, want)
			}
		}
		if got, exact := c.Counted(); !exact || got.Cmp(want) != 0 {
			t.Fatalf("seed %d: Counted %v (exact %v), want %v", seed, got, exact, want)
		}
		if want.BitLen() < 32 {
			t.Fatalf("seed %d: a count of %v proves little", seed, want)
		}
	}
}
