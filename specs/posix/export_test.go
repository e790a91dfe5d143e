package posix

import (
	"fmt"
	"maps"
	"slices"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// NamesOf renders what Fingerprint leaves out of a state's names: the
// names each inode had last, the names learned from the log, and the
// kinds of names bound by each last element, with the names themselves.
func NamesOf(s provenance.State) string {
	st := s.(*state)
	out := ""
	for _, n := range slices.Sorted(maps.Keys(st.names)) {
		out += fmt.Sprintf("name %q=%d;", n, st.names[n])
	}
	for _, i := range slices.Sorted(maps.Keys(st.last)) {
		out += fmt.Sprintf("last %d=%q;", i, st.last[i])
	}
	for _, n := range slices.Sorted(maps.Keys(st.learned)) {
		out += fmt.Sprintf("learned %q=%v;", n, st.learned[n])
	}
	for _, b := range slices.Sorted(maps.Keys(st.bases)) {
		out += fmt.Sprintf("base %q=%d;", b, st.bases[b])
	}
	return out
}

// QuietHalves returns the first halves of split calls in hist (newest
// first) that the search leaves out (quietHalves).
func QuietHalves(hist []*formats.Event) map[int64]bool {
	return quietHalves(hist, map[int64]int64{})
}

// Commute is commute, for TestCommuteSwaps.
var Commute = commute

// ChangesNames is changesNames, for TestNamersEqualBruteForce.
var ChangesNames = changesNames

// LeaveStrangers is leaveStrangers, for TestStrangersEqualBruteForce.
var LeaveStrangers = leaveStrangers

// WithBindings returns m with the facts of a trace's calls (oldest
// first, before target) that hold whatever the files held before it:
// the uses of fds its own calls bound (Model.bindings) and the processes
// its split creating calls made (Model.children). The brute force of the
// tests that try other contents keeps them.
func WithBindings(m Model, trace []*formats.Event, target *formats.Event) Model {
	f := m.recordOlder(trace, target)
	m.bindings, m.children, m.resumed = f.bindings, f.children, f.resumed
	return m
}

// WithFacts returns m with the facts a whole trace (oldest first) shows
// of the state before it, as an explanation's search takes them from
// its history: Model.older, Model.sizes, Model.listings, Model.bindings
// and the processes split creating calls made.
func WithFacts(m Model, trace []*formats.Event) Model {
	return m.withFacts(m.recordOlder(trace, nil))
}

// QuietCalls is quietCalls over a trace (oldest first) and its target,
// with the facts of them all, the calls' working directories too
// (TraceModel).
func QuietCalls(trace []*formats.Event, target *formats.Event) map[int64]bool {
	m := spec{}.TraceModel(append(slices.Clip(trace), target)).(Model)
	return quietCalls(provenance.Reversed(trace), target, m)
}
