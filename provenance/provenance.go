package provenance

import (
	"context"
	"errors"
	"math/big"
	"sort"

	"github.com/wat-project/wat/formats"
)

// An Output is a request's output in a model's canonical encoding, so that
// two outputs are equal exactly when the strings are. The Redis model uses
// the RESP2 bytes the server would send.
type Output string

// A State is a model's state. Only the model looks inside it.
type State any

// A Model is a black box as a deterministic state machine.
type Model interface {
	// Init returns the start state.
	Init() State
	// Clone returns an independent copy of s.
	Clone(s State) State
	// Apply runs request e in state s, changing s, and returns e's output.
	Apply(s State, e *formats.Event) Output
	// Fingerprint returns a string that is equal for two states exactly
	// when no sequence of requests can tell them apart.
	Fingerprint(s State) string
}

// ErrTooLarge is returned when an exact answer would need more work than
// allowed: a stretch of history between resets longer than the limit.
var ErrTooLarge = errors.New("history too large to explain exactly")

// ErrNotExplainable is returned for a target a spec cannot explain.
var ErrNotExplainable = errors.New("not explainable")

// A Factor is one OR-group of an explanation: a witness takes exactly one
// of its alternatives.
type Factor [][]*formats.Event

// An Explanation is the wat-provenance of one request.
//
// The witnesses are kept factored: every witness is the union of one
// alternative from each factor, and the factors mention disjoint events,
// so the number of witnesses is the product of the factors' sizes. A
// single witness is one factor with one alternative; {ε} is no factors.
type Explanation struct {
	Target *formats.Event
	Output Output // the target's output, as the model replays it
	// Exact is true when the witnesses are exactly the definition's.
	Exact bool
	// TimeDependent is true when the answer depends on elapsed time (key
	// expiry), which the model takes from the log's timestamps.
	TimeDependent bool
	Notes         []string
	Factors       []Factor
}

// Count returns the number of witnesses.
func (x *Explanation) Count() *big.Int {
	n := big.NewInt(1)
	for _, f := range x.Factors {
		n.Mul(n, big.NewInt(int64(len(f))))
	}
	return n
}

// Witnesses expands the factors into at most limit witnesses, each sorted
// by event ID. It reports whether the list is complete.
func (x *Explanation) Witnesses(limit int) ([][]*formats.Event, bool) {
	out := [][]*formats.Event{nil}
	for _, f := range x.Factors {
		var next [][]*formats.Event
		for _, w := range out {
			for _, alt := range f {
				if len(next) >= limit {
					break
				}
				c := append(append([]*formats.Event(nil), w...), alt...)
				next = append(next, c)
			}
		}
		out = next
	}
	for _, w := range out {
		sort.Slice(w, func(i, j int) bool { return w[i].ID < w[j].ID })
	}
	return out, x.Count().Cmp(big.NewInt(int64(len(out)))) == 0
}

// Factorize builds factors from a flat list of witnesses: the events every
// witness shares become a one-alternative factor, and the rest one factor
// with an alternative per witness. An empty list is invalid (the
// definition never yields it) and is returned as no factors with ok false.
func Factorize(ws [][]*formats.Event) (fs []Factor, ok bool) {
	if len(ws) == 0 {
		return nil, false
	}
	count := map[*formats.Event]int{}
	for _, w := range ws {
		for _, e := range w {
			count[e]++
		}
	}
	var common []*formats.Event
	for e, c := range count {
		if c == len(ws) {
			common = append(common, e)
		}
	}
	sort.Slice(common, func(i, j int) bool { return common[i].ID < common[j].ID })
	if len(common) > 0 {
		fs = append(fs, Factor{common})
	}
	if len(ws) > 1 {
		var alts Factor
		for _, w := range ws {
			var rest []*formats.Event
			for _, e := range w {
				if count[e] != len(ws) {
					rest = append(rest, e)
				}
			}
			alts = append(alts, rest)
		}
		fs = append(fs, alts)
	}
	return fs, true
}

// A History is the read-only view of the trace store a spec needs.
type History interface {
	// Touching returns up to limit events of system in namespace ns that
	// may change key (a Ref of kind KindWrite or KindReset), with ID <
	// before, newest first. Events that touch the
	// whole namespace (key nil, like FLUSHDB) or every namespace (like
	// FLUSHALL) are included. It returns fewer than limit events only when
	// the history is exhausted.
	Touching(ctx context.Context, system, ns string, key []byte, before int64, limit int) ([]*formats.Event, error)
}

// A Spec explains the requests of one black box.
type Spec interface {
	// System names the black box: "redis".
	System() string
	// Doc is one line saying what the spec covers.
	Doc() string
	// Ops lists the operations the model replays.
	Ops() []string
	// Model returns the box's replayable model.
	Model() Model
	// Explain returns the wat-provenance of target, which must be an event
	// of System. It never returns an explanation with no witness. It
	// returns an error wrapping ErrNotExplainable when the target is not a
	// request the spec knows.
	Explain(ctx context.Context, h History, target *formats.Event) (*Explanation, error)
	// Refs returns the keys a request touches and how, for the store's
	// index: the lookups Explain makes through a History find an event
	// only under the keys it lists here.
	Refs(e *formats.Event) []formats.Ref
	// ShowOutput renders an output for people.
	ShowOutput(o Output) string
	// ParseOutput turns what a user typed (--output 17) or a logged reply
	// into outputs it may equal; the first is the most likely.
	ParseOutput(s []byte) []Output
}
