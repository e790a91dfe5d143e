package provenance

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/bits"
	"slices"
	"sort"
	"strings"
	"time"

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

// A Stepper is a Model that can run a request without making its output.
// The searches run every request but the one explained only for its
// effect on the state, thousands of times over; a model whose outputs
// cost more than their effects (a read's bytes, rendered) implements it.
// Step(s, e) must change s exactly as Apply(s, e) does.
type Stepper interface {
	Step(s State, e *formats.Event)
}

// A Matcher is a Model that tells whether a request's output in a state
// is its output in another faster than by making both and comparing
// them. The searches ask it of every subset they try; a model whose
// outputs are long (a read's bytes, rendered) implements it.
type Matcher interface {
	// SameOutput returns a test of states: whether target's output in
	// the state is Apply(Clone(ref), target). The test may change the
	// state it is given (it may run target in it): the searches test
	// only states they no longer need.
	SameOutput(ref State, target *formats.Event) func(State) bool
}

// A Merger is a Model whose states often meet again: subsets of a
// stretch of history that differ only in calls whose effects a later call
// undoes (a process that opens a file, reads it and closes it) reach one
// state. The searches then replay the rest of the stretch once for all
// the subsets that reach a state and copy its answers. The referee
// (BruteForce) never merges.
type Merger interface {
	// AppendFingerprint appends Fingerprint(s) to b, or another
	// rendering of s with the same property: equal exactly when no
	// sequence of requests can tell two states apart. The searches
	// compare 128-bit hashes of it (digestOf), so it should be cheap
	// beside a Clone, not short.
	AppendFingerprint(b []byte, s State) []byte
}

// stepOf returns m's Step, or Apply with its output dropped.
func stepOf(m Model) func(State, *formats.Event) {
	if st, ok := m.(Stepper); ok {
		return st.Step
	}
	return func(s State, e *formats.Event) { m.Apply(s, e) }
}

// ErrTooLarge is returned when an exact answer would need more work than
// allowed: a stretch of history between resets longer than the limit.
var ErrTooLarge = errors.New("history too large to explain exactly")

// ErrOutOfTime is returned (wrapping ErrTooLarge, so a spec answers as
// it does when the search is too large: with a closed witness, labelled
// not exact) when a search runs past the deadline its context carries
// (WithSearchDeadline).
var ErrOutOfTime = fmt.Errorf("the search ran out of time (wat explain --timeout): %w", ErrTooLarge)

type searchDeadlineKey struct{}

// WithSearchDeadline returns ctx carrying a deadline for the searches of
// exact answers: past it, Solve gives up with ErrOutOfTime. It comes
// before ctx's own deadline, so that the closed witness a spec answers
// with then is found in the time left.
func WithSearchDeadline(ctx context.Context, t time.Time) context.Context {
	return context.WithValue(ctx, searchDeadlineKey{}, t)
}

// SearchDeadline returns the deadline WithSearchDeadline gave ctx; zero
// when none.
func SearchDeadline(ctx context.Context) time.Time {
	t, _ := ctx.Value(searchDeadlineKey{}).(time.Time)
	return t
}

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
	// Choices are factors too, given by a rule: a witness also holds one
	// way of making each choice.
	Choices []Choice
	// FellBack says the answer is one closed witness found without the
	// exact search (Walk.Fallback), perhaps not minimal; Notes say why.
	FellBack bool
	// Held are runs of events every witness holds besides the factors'
	// and choices' (a hot key's like writes, read from the index without
	// reading each): part of every witness, so they leave the count as
	// it is. Witnesses gives them as stubs; Mentioned leaves them out (a
	// caller that follows each event to its sender reads them whole).
	Held []Run
}

// Count returns the number of witnesses, however long counting a
// choice's ways takes (see Counted).
func (x *Explanation) Count() *big.Int {
	n := x.factorCount()
	for i := range x.Choices {
		n.Mul(n, x.Choices[i].Count())
	}
	return n
}

// Counted returns the number of witnesses and true, or, when a choice
// has too many ways to count quickly (Choice.Counted), a bound on it and
// false: there are at most that many.
func (x *Explanation) Counted() (*big.Int, bool) {
	n, exact := x.factorCount(), true
	for i := range x.Choices {
		c, ok := x.Choices[i].Counted()
		n.Mul(n, c)
		exact = exact && ok
	}
	return n, exact
}

// factorCount returns the product of the factors' sizes.
func (x *Explanation) factorCount() *big.Int {
	n := big.NewInt(1)
	for _, f := range x.Factors {
		n.Mul(n, big.NewInt(int64(len(f))))
	}
	return n
}

// Mentioned returns every event some witness holds, each once, but for
// the held runs' (Held) and the stubs (formats.Event.Stub) of choices
// held so: events not read whole, which a caller that follows them reads
// first.
func (x *Explanation) Mentioned() []*formats.Event {
	var out []*formats.Event
	seen := map[*formats.Event]bool{}
	add := func(evs []*formats.Event) {
		for _, e := range evs {
			if !seen[e] && !e.Stub {
				seen[e] = true
				out = append(out, e)
			}
		}
	}
	for _, f := range x.Factors {
		for _, alt := range f {
			add(alt)
		}
	}
	for _, c := range x.Choices {
		add(c.Events)
		if s := c.Stubs; s != nil {
			for i, id := range s.IDs {
				if like := s.Likes[s.Of[i]]; like.ID == id && !like.Stub {
					add([]*formats.Event{like}) // an event read whole among the stubs
				}
			}
		}
	}
	return out
}

// Witnesses expands the factors into at most limit witnesses, each sorted
// by event ID. It reports whether the list is complete.
func (x *Explanation) Witnesses(limit int) ([][]*formats.Event, bool) {
	ws, _, complete := x.WitnessesCut(limit, -1)
	return ws, complete
}

// WitnessesCut is Witnesses with each way of making a choice cut to its
// first most events (none cut when most < 0), so that listing the first
// events of a witness that holds 170,000 pops makes no more of them; it
// also returns how many events the cut leaves out of each witness.
func (x *Explanation) WitnessesCut(limit, most int) ([][]*formats.Event, int, bool) {
	out := [][]*formats.Event{nil}
	factors := x.Factors
	if len(x.Held) > 0 {
		factors = append(slices.Clip(factors), Factor{x.HeldStubs()})
	}
	complete, left := true, 0
	for i := range x.Choices {
		c := &x.Choices[i]
		ways := c.ExpandPlacesCut(limit+1, most)
		if len(ways) > limit {
			ways, complete = ways[:limit], false
		}
		if most >= 0 && c.K > most {
			left += c.K - most
		}
		var f Factor
		for _, way := range ways {
			f = append(f, c.events(way))
		}
		factors = append(slices.Clip(factors), f)
	}
	for _, f := range factors {
		var next [][]*formats.Event
		for _, w := range out {
			for _, alt := range f {
				if len(next) >= limit {
					complete = false
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
	return out, left, complete
}

// SetWitnesses stores ws in x, factored by Factorize. An empty list (a
// spec's bug: the definition never yields one) is an internal error
// naming the target.
func (x *Explanation) SetWitnesses(ws [][]*formats.Event) error {
	fs, ok := Factorize(ws)
	if !ok {
		return fmt.Errorf("internal error: no witness for %s", x.Target.Where())
	}
	x.Factors = fs
	return nil
}

// Factorize builds factors from a flat list of witnesses: the events
// every witness shares become a one-alternative factor, and the rest is
// split into the finest groups whose choices combine freely (the list is
// their product), each group a factor whose alternatives are the parts of
// the witnesses inside it. When the rest is no product, it is one factor
// with an alternative per witness. An empty list is invalid (the
// definition never yields it) and returns ok false.
func Factorize(ws [][]*formats.Event) (fs []Factor, ok bool) {
	if len(ws) == 0 {
		return nil, false
	}
	// in[e] is the set of witnesses holding e, as a bitset.
	words := (len(ws) + 63) / 64
	in := map[*formats.Event][]uint64{}
	var order []*formats.Event
	for i, w := range ws {
		for _, e := range w {
			b, seen := in[e]
			if !seen {
				b = make([]uint64, words)
				in[e] = b
				order = append(order, e)
			}
			b[i/64] |= 1 << (i % 64)
		}
	}
	sort.Slice(order, func(i, j int) bool { return order[i].ID < order[j].ID })
	count := func(b []uint64) int {
		n := 0
		for _, x := range b {
			n += bits.OnesCount64(x)
		}
		return n
	}
	var common, rest []*formats.Event
	for _, e := range order {
		if count(in[e]) == len(ws) {
			common = append(common, e)
		} else {
			rest = append(rest, e)
		}
	}
	if len(common) > 0 {
		fs = append(fs, Factor{common})
	}
	if len(rest) == 0 {
		return fs, true
	}
	// Events whose presence is correlated across witnesses must share a
	// group: in a product, choices in different groups are independent.
	parent := make([]int, len(rest))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	both := make([]uint64, words)
	for i := range rest {
		for j := i + 1; j < len(rest); j++ {
			a, b := in[rest[i]], in[rest[j]]
			for k := range both {
				both[k] = a[k] & b[k]
			}
			if count(both)*len(ws) != count(a)*count(b) {
				parent[find(i)] = find(j)
			}
		}
	}
	groups := map[int][]*formats.Event{}
	var roots []int
	for i, e := range rest {
		r := find(i)
		if groups[r] == nil {
			roots = append(roots, r)
		}
		groups[r] = append(groups[r], e)
	}
	// Each group's alternatives: the distinct parts of witnesses in it.
	var product []Factor
	size := 1
	for _, r := range roots {
		member := map[*formats.Event]bool{}
		for _, e := range groups[r] {
			member[e] = true
		}
		seen := map[string]bool{}
		var f Factor
		for _, w := range ws {
			var part []*formats.Event
			var k strings.Builder
			for _, e := range w {
				if member[e] {
					part = append(part, e)
					fmt.Fprintf(&k, "%p,", e)
				}
			}
			if !seen[k.String()] {
				seen[k.String()] = true
				f = append(f, part)
			}
		}
		product = append(product, f)
		if size *= len(f); size > len(ws) {
			break
		}
	}
	if size == len(ws) {
		return append(fs, product...), true
	}
	var alts Factor
	for _, w := range ws {
		var part []*formats.Event
		for _, e := range w {
			if count(in[e]) != len(ws) {
				part = append(part, e)
			}
		}
		alts = append(alts, part)
	}
	return append(fs, alts), true
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

// IndexVersion is the version of the index the specs' Refs make, which
// an ingest keeps with each file it reads. A spec that looks up keys a
// version added asks an IndexedHistory whether every file has them.
//   - 1: writes' classes and parts (formats.Ref's Class and Parts).
//   - 2: posix indexes mkdir, rmdir, access and getdents64, every call
//     that makes or removes a name under one key, and each process's
//     calls that show or change its working directory.
//   - 3: posix indexes a failed call's fd arguments that strace printed
//     as bare numbers under a key of their own.
//   - 4: posix indexes a device's fd, which strace -yy prints with its
//     numbers ("0</dev/null<char 1:3>>"), under its path.
//   - 5: posix indexes a symbolic link under the path it points to as
//     well as its own.
const IndexVersion = 5

// An IndexedHistory says which version of the specs' Refs indexed its
// events.
type IndexedHistory interface {
	History
	// IndexedSince reports whether every event was indexed by version v
	// (see IndexVersion) or a later one.
	IndexedSince(ctx context.Context, v int) (bool, error)
}

// A PartHistory can also list a key's writes by how they change it (see
// formats.Ref's Class and Parts): a spec whose target's output depends
// only on some parts of a key (a set's members, a hash's fields) reads
// the writes to those parts and the key's other writes, not those of
// every part.
type PartHistory interface {
	History
	// PartsIndexed reports whether the history holds every write's
	// class and parts: a store made by an older wat does not.
	PartsIndexed(ctx context.Context) (bool, error)
	// WholeTouching is Touching without the writes of any class.
	WholeTouching(ctx context.Context, system, ns string, key []byte, before int64, limit int) ([]*formats.Event, error)
	// PartTouching returns up to limit writes of class to key that
	// change any of parts, with ID < before, newest first; fewer than
	// limit only when the history is exhausted.
	PartTouching(ctx context.Context, system, ns string, key []byte, class int, parts [][]byte, before int64, limit int) ([]*formats.Event, error)
	// Classes returns the classes of the writes to key with ID <
	// before, as a set of bits (bit c for class c).
	Classes(ctx context.Context, system, ns string, key []byte, before int64) (uint64, error)
}

// A NamespaceHistory can also list the writes to every key of a
// namespace (an S3 listing reads a whole bucket).
type NamespaceHistory interface {
	History
	// InNamespace returns up to limit events of system that may change
	// any key of namespace ns (or all of it), with ID < before, newest
	// first; fewer than limit only when the history is exhausted.
	InNamespace(ctx context.Context, system, ns string, before int64, limit int) ([]*formats.Event, error)
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

// A SpecInfo is the part of a Spec that is data: a spec embeds it and
// gets System, Doc, Ops and Model from its fields.
type SpecInfo struct {
	Name       string   // what System returns: "posix"
	Summary    string   // what Doc returns
	Operations []string // what Ops returns (a copy)
	Replay     Model    // what Model returns
}

// System returns i.Name.
func (i SpecInfo) System() string { return i.Name }

// Doc returns i.Summary.
func (i SpecInfo) Doc() string { return i.Summary }

// Ops returns a copy of i.Operations.
func (i SpecInfo) Ops() []string { return slices.Clone(i.Operations) }

// Model returns i.Replay.
func (i SpecInfo) Model() Model { return i.Replay }

// PlainOutput is the output codec of a spec whose outputs are text that
// people read as it is: a spec embeds it for ShowOutput and ParseOutput.
type PlainOutput struct{}

// ShowOutput renders an output as it is.
func (PlainOutput) ShowOutput(o Output) string { return string(o) }

// ParseOutput reads a typed output as it is, without surrounding space.
func (PlainOutput) ParseOutput(s []byte) []Output {
	return []Output{Output(strings.TrimSpace(string(s)))}
}

// A Sequence is a History that can also read the trace forwards: what a
// request's line was followed by (a script's calls after it), and what
// happened to a key later (the request that served a waiting client).
type Sequence interface {
	// Following returns up to limit events of e's source that come after
	// it, in order; fewer only when the source ends.
	Following(ctx context.Context, e *formats.Event, limit int) ([]*formats.Event, error)
	// Later returns up to limit events of system in namespace ns that
	// touch key (reading or writing it), with ID > after, oldest first.
	Later(ctx context.Context, system, ns string, key []byte, after int64, limit int) ([]*formats.Event, error)
}

// A LostLine is a line of a log that ingest could not read (rejected):
// whatever request it held is missing from the trace.
type LostLine struct {
	Where string // file:line
	Raw   []byte
}

// A LossHistory can also list the lines lost before an event, in the
// logs of its system: a spec that cannot rule out that one of them
// changed what it explains must not call its answer exact.
type LossHistory interface {
	// LostBefore returns up to limit lines of system's logs that were
	// rejected before e (earlier in e's file, or in a file ingested
	// before it).
	LostBefore(ctx context.Context, system string, e *formats.Event, limit int) ([]LostLine, error)
}

// An OrderHistory can also say when the trace's order before an event
// may not be the order things happened in: the trace is in ingest order,
// one file after another, which is the real order only when the files of
// one log were ingested oldest first and do not overlap in time.
type OrderHistory interface {
	// OrderDoubt returns why the trace of e's log before e may not be in
	// the order the server ran it, or "" when nothing says so.
	OrderDoubt(ctx context.Context, e *formats.Event) (string, error)
}

// A MergedHistory can also say when the trace before an event
// interleaves files by their clocks (strace -ff's file per thread) in an
// order the clocks do not decide. A call logged with its start time ran
// after that time, and ended before the next call of its own thread
// began: of two calls of two such files, the first surely ran first only
// when its thread logs another call between them, begun before the
// second's time, or when the second's thread is one the first made.
type MergedHistory interface {
	// MergeDoubt returns why two events of hist and target (of two files
	// merged by time), or target and a call of another file logged after
	// it, may have run in the other order than the trace's, when the
	// order matters (see Interleaving); "" when the clocks decide every
	// such order.
	MergeDoubt(ctx context.Context, target *formats.Event, hist []*formats.Event, il Interleaving) (string, error)
}

// An Interleaving is what a spec tells a MergedHistory of its calls.
type Interleaving struct {
	// Refs gives an event's keys (the spec's Refs): the order of two
	// events matters when they share a key one of them writes.
	Refs func(*formats.Event) []formats.Ref
	// Made tells whether y's thread is one x made (a fork's child, or
	// its child): y began after x took effect, whatever the clocks say.
	Made func(x, y *formats.Event) bool
	// Commute, when set, tells whether x and y, of two threads, give
	// the same outputs and leave the same state in either order, though
	// they share a key.
	Commute func(x, y *formats.Event) bool
}

// DoubtMerged labels an exact x not exact when h, a MergedHistory,
// doubts the order of the events of hist (the history x was found in)
// and x's target.
func DoubtMerged(ctx context.Context, h History, x *Explanation, hist []*formats.Event, il Interleaving) error {
	mh, ok := h.(MergedHistory)
	if !ok || !x.Exact {
		return nil
	}
	why, err := mh.MergeDoubt(ctx, x.Target, hist, il)
	if err != nil {
		return err
	}
	if why != "" {
		x.Exact = false
		x.Notes = append(x.Notes, "not exact: "+why)
	}
	return nil
}

// A TimeOrderedHistory can also tell whether the times of its events
// before one only go forward in trace order: a rule that reads the
// server's clock from the events' times (XADD's automatic ids) can then
// find the events of one moment at the end of a key's history without
// reading all of it.
type TimeOrderedHistory interface {
	// TimeOrdered reports whether every event before the one with id
	// before has a time, no earlier than any event's before it.
	TimeOrdered(ctx context.Context, before int64) (bool, error)
}

// A ClockHistory can also read the events logged next to one in its own
// log, when that log stamps each request with the server's clock as the
// server ran it, in the order it ran them (formats.Format's
// ServerClock): the times of the lines around a request then bound the
// clock it ran at (XADD's automatic ids).
type ClockHistory interface {
	// LoggedAround returns up to n events logged just before the one
	// with id in its own file and up to n just after it, nearest first;
	// nil and nil when that file's format does not stamp the server's
	// clock.
	LoggedAround(ctx context.Context, id int64, n int) (before, after []*formats.Event, err error)
}

// A GapHistory can also say where the trace before an event has gaps
// between the files of its log: a rotated file missing (mon.log.3 between
// mon.log.4 and mon.log.2), or a stretch with no request at all, much
// longer than the files' own pauses.
type GapHistory interface {
	// Gaps returns the files missing before e, and the quiet stretches.
	Gaps(ctx context.Context, e *formats.Event) (missing, quiet []string, err error)
}

// DoubtOrder labels x not exact when h, an OrderHistory, doubts the
// order of the trace before x's target, or, a GapHistory, knows a file of
// its log is missing; a quiet stretch is noted. For a spec whose history
// is in trace order (rather than ordered by the events' times).
func DoubtOrder(ctx context.Context, h History, x *Explanation) error {
	if oh, ok := h.(OrderHistory); ok {
		why, err := oh.OrderDoubt(ctx, x.Target)
		if err != nil {
			return err
		}
		if why != "" {
			x.Exact = false
			x.Notes = append(x.Notes, "not exact: "+why)
		}
	}
	if gh, ok := h.(GapHistory); ok {
		missing, quiet, err := gh.Gaps(ctx, x.Target)
		if err != nil {
			return err
		}
		for _, m := range missing {
			x.Exact = false
			x.Notes = append(x.Notes, "not exact: "+m)
		}
		for _, q := range quiet {
			x.Notes = append(x.Notes, q)
		}
	}
	return nil
}

// An OpDoc describes one operation of a black box for `wat specs`.
type OpDoc struct {
	Name  string // "ZADD", "CLIENT SETNAME"
	Group string // "sorted-set"
	// Status is "modelled", "unknown" (the model runs it, but its reply
	// depends on what no log holds) or "not modelled".
	Status string
	Note   string // why not modelled, or what the reply depends on
	Keys   string // where its keys are, in words
	// Parts says which parts of its keys it touches (fields, members,
	// entries), in words; "" when it touches them whole.
	Parts string
}

// A Documented spec lists every operation of its black box, modelled or
// not: its command table.
type Documented interface {
	Table() []OpDoc
}

// An Indexer is a Spec whose index of a log depends on what came before
// in the log (which clients had begun a transaction): ingest asks it for
// a fresh index of each file and gives it the file's events in order.
type Indexer interface {
	// NewIndex returns a function that gives each event's refs, as Refs
	// does, and may add refs that depend on the events before it.
	NewIndex() func(*formats.Event) []formats.Ref
}
