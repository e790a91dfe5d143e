// Package redis is wat's spec for Redis 7.0: a replayable model of the
// server and an exact wat-provenance engine over a MONITOR trace.
//
// # The command table
//
// Every command redis-server 7.0 knows is one entry of a table (table.go;
// files by data type): its arity, flags and key specifications as Redis
// itself states them (checked against testdata/command-info.json, a real
// server's COMMAND INFO), and how the model runs it. A command the model
// does not run is in the table too, with its key positions known: it
// taints every key it names, and any answer whose history holds it is
// labelled not exact, naming it. `wat specs` prints the table.
//
// # The trace
//
// MONITOR prints the server's execution order, and that is the trace the
// model replays (see [Model]): a command queued in MULTI runs where EXEC
// ran it, a script's redis.call where its [lua] line is, and a blocking
// command that waited gets its reply from the request that served it.
//
// # The engine
//
// A request's output depends on a few keys. The spec walks back through
// the history of those keys only, following the commands that read one
// key to write another (RENAME, SMOVE, LMOVE, SUNIONSTORE, ...) to the
// keys they read, and the connection's own state where the output needs
// it (EXEC's transaction, WATCH), and hands that slice to provenance.Solve
// with the writes that reset every tracked key as cut points, so the work
// grows with the writes since the last reset, not with the trace. When a
// stretch between resets is too long to enumerate, the answer falls back
// to the paper's rule (the last reset and every later write: one closed
// witness, perhaps not minimal) and says it is not exact.
package redis

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// Spec is the Redis spec.
var Spec provenance.Spec = New(Options{})

// Options tune the spec's engine.
type Options struct {
	// Limit is the most writes between two resets (after the forced ones
	// are set aside) that are enumerated; 0 means provenance.Solve's
	// default. Tests lower it to drive every answer through the
	// reductions.
	Limit int
}

// New returns the Redis spec with options.
func New(o Options) provenance.Spec { return spec{o} }

type spec struct{ opt Options }

func (spec) System() string { return "redis" }

func (spec) Doc() string {
	return "Redis 7.0: every command in a table (strings, keys, hashes, lists, sets, sorted sets, streams, scripts, functions, transactions, blocking pops, pub/sub), replayed from MONITOR"
}

func (spec) Model() provenance.Model { return Model{} }

// Ops lists the commands the model replays.
func (spec) Ops() []string {
	var out []string
	for _, c := range Commands() {
		if c.modelled() {
			out = append(out, strings.ReplaceAll(c.Name, "|", " "))
		}
	}
	return out
}

// Refs returns the keys an event touches and how, for the store's index.
func (spec) Refs(e *formats.Event) []formats.Ref { return refs(e) }

func refs(e *formats.Event) []formats.Ref {
	if e.Op == deliverOp {
		return nil
	}
	return keyRefs(e)
}

// clientNS is the namespace of the index under which every command of a
// client that has begun a transaction is found, keyed by the client's
// address: EXEC's reply collects the commands queued in its transaction,
// and in a subtrace that drops an earlier EXEC any of them may be.
const clientNS = "@client"

// NewIndex implements provenance.Indexer: Refs, plus the client ref for
// every command of a client once it has sent MULTI, a blocking command or
// a subscription in this file: EXEC's reply may collect any command after
// MULTI, and a later command of a client that waited or listened is what
// shows it was still connected.
//
// A client's writes get shapes (withShapes) until it waits or listens in
// this file; those calls are also indexed under its address in listenNS.
func (spec) NewIndex() func(*formats.Event) []formats.Ref {
	followed, listened := map[string]bool{}, map[string]bool{}
	return func(e *formats.Event) []formats.Ref {
		out := keyRefs(e)
		if e.Client == "" || e.Client == "lua" {
			return out
		}
		withShapes(e, out, listened[e.Client])
		switch {
		case e.Op == "MULTI":
			followed[e.Client] = true
		case e.Op == "SUBSCRIBE", e.Op == "PSUBSCRIBE", e.Op == "SSUBSCRIBE", isBlockingCall(e.Op, e.Args):
			followed[e.Client], listened[e.Client] = true, true
			out = append(out, formats.Ref{NS: listenNS, Key: []byte(e.Client), Kind: formats.KindWrite})
		}
		if followed[e.Client] {
			out = append(out, formats.Ref{NS: clientNS, Key: []byte(e.Client), Kind: formats.KindWrite})
		}
		return out
	}
}

// listenNS is the namespace of the index under which a client's blocking
// calls and subscriptions are found, keyed by its address: the counter
// rule leaves the calls of such a client to the search.
const listenNS = "@listen"

// TraceRefs indexes a trace as ingest would (NewIndex over its events in
// order) and returns the refs function a provenance.MemHistory over it
// needs; events not in the trace get Refs.
func TraceRefs(trace []*formats.Event) func(*formats.Event) []formats.Ref {
	ix := Spec.(provenance.Indexer).NewIndex()
	m := make(map[*formats.Event][]formats.Ref, len(trace))
	for _, e := range trace {
		m[e] = ix(e)
	}
	return func(e *formats.Event) []formats.Ref {
		if r, ok := m[e]; ok {
			return r
		}
		return refs(e)
	}
}

// keyRefs returns the keys (and pseudo keys) a request touches.
func keyRefs(e *formats.Event) []formats.Ref {
	cmd := lookup(e.Op, e.Args)
	if cmd == nil {
		// Not a command Redis knows (MONITOR never shows one): any of its
		// arguments may be a key it changes.
		out := make([]formats.Ref, len(e.Args))
		for i, a := range e.Args {
			out[i] = formats.Ref{NS: e.NS, Key: a, Kind: formats.KindWrite}
		}
		return out
	}
	if !cmd.arityOK(len(e.Args) + 1) {
		// The server refuses it (wrong number of arguments): it touches
		// nothing. Only a service's log shows such a call.
		return nil
	}
	if cmd.Refs != nil {
		return cmd.Refs(e)
	}
	var buf [8]int
	out := make([]formats.Ref, 0, 2)
	ok := true
	for _, k := range cmd.Keys {
		if k.has("not_key") {
			continue
		}
		pos, good := k.appendPositions(buf[:0], e.Args)
		ok = ok && good
		ro := k.readOnly()
		for _, p := range pos {
			kind := formats.KindWrite
			switch {
			case ro:
				kind = formats.KindRead
			case cmd.Resets != nil && cmd.Run != nil && cmd.Resets(e.Args, p):
				kind = formats.KindReset
			}
			out = append(out, formats.Ref{NS: e.NS, Key: e.Args[p-1], Kind: kind})
		}
	}
	if !ok && !cmd.modelled() {
		for _, a := range e.Args {
			out = append(out, formats.Ref{NS: e.NS, Key: a, Kind: formats.KindWrite})
		}
	}
	if isBlockingCall(e.Op, e.Args) {
		for _, r := range out {
			out = append(out, formats.Ref{NS: blockNS(r.NS), Key: r.Key, Kind: formats.KindWrite})
		}
	}
	classify(e, cmd.Group, out)
	return out
}

// partClasses are the formats.Ref classes of the data types whose
// parts memberSlice can slice by.
var partClasses = map[string]int{"set": 1, "hash": 2, "sorted-set": 3}

// classify gives the ref of a write its class and parts when the call
// changes only the parts of its one key it names, each whatever the
// key's other parts hold: a call of its type's sliceSafeOps that
// declares its parts (SubKeys), all of that key, and for a sorted set
// with no score of -0 (see sliceSafeOps); a script's call (a [lua] line)
// too, which the model replays as a request of its own. memberSlice
// then reads the writes to its target's parts and the key's other
// writes, not those of every part.
func classify(e *formats.Event, group string, out []formats.Ref) {
	c := partClasses[group]
	if c == 0 || len(out) != 1 || out[0].Kind < formats.KindWrite || !sliceSafeOps[group][e.Op] ||
		group == "sorted-set" && negZeroArg(e) {
		return
	}
	subs, ok := SubKeysOf(e)
	if !ok {
		return
	}
	parts := make([][]byte, 0, len(subs))
	for _, sub := range subs {
		if sub.Arg != 1 {
			return
		}
		parts = append(parts, sub.Sub)
	}
	out[0].Class, out[0].Parts = c, parts
}

// blockNS is the namespace under which blocking commands are also indexed
// by the keys they wait on: a key that never had a client waiting on it
// needs no thought of one.
func blockNS(ns string) string { return "@block" + ns }

// pseudoNS reports whether a namespace is one of the index's own
// (connections, scripts, channels, waiting clients), not a database.
func pseudoNS(ns string) bool { return strings.HasPrefix(ns, "@") }

// A nsKey names one key of one database (or of a pseudo namespace), or
// with whole set the whole database.
type nsKey struct {
	ns, key string
	whole   bool
}

func (k nsKey) String() string {
	switch {
	case k.whole:
		return "database " + k.ns
	case pseudoNS(k.ns):
		return k.ns + ":" + k.key
	}
	return formats.Quote([]byte(k.key)) + " (db " + k.ns + ")"
}

// constReply lists the commands whose reply depends on no earlier
// request (given their arguments).
func constReply(e *formats.Event) bool {
	switch e.Op {
	case "SETEX", "PSETEX", "MSET", "FLUSHDB", "FLUSHALL", "SWAPDB", "SELECT", "ECHO", "UNWATCH", "QUIT", "RESET":
		return true
	case "SET":
		return len(e.Args) >= 2 && plainSet(e.Args[2:])
	}
	return false
}

// outKeys returns the keys the target's output depends on; an empty list
// means the output depends on nothing (SET's "OK").
func outKeys(e *formats.Event) []nsKey {
	if constReply(e) {
		return nil
	}
	var out []nsKey
	seen := map[nsKey]bool{}
	add := func(k nsKey) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	if c := lookup(e.Op, e.Args); c != nil && c.Whole {
		add(nsKey{ns: e.NS, whole: true})
	}
	for _, r := range keyRefs(e) {
		if r.Key != nil && !strings.HasPrefix(r.NS, "@block") {
			add(nsKey{r.NS, string(r.Key), false})
		}
	}
	if isBlockingCall(e.Op, e.Args) && e.Client != "lua" {
		// In a transaction it does not wait.
		add(nsKey{ns: connNS, key: e.Client})
	}
	return out
}

// independentKeys are the commands that write several keys, none of
// which depends on the others.
var independentKeys = map[string]bool{"DEL": true, "UNLINK": true, "MSET": true}

// pulls returns the keys whose state before e decides e's effect on k.
func pulls(e *formats.Event, k nsKey) []nsKey {
	a := e.Args
	key := func(b []byte) nsKey { return nsKey{ns: e.NS, key: string(b)} }
	switch e.Op {
	case deliverOp:
		return nil
	case "MOVE":
		if len(a) == 2 {
			d, ok := dbIndex(string(a[1]))
			if !ok {
				return nil
			}
			if k.ns == e.NS {
				return []nsKey{{ns: strconv.Itoa(d), key: string(a[0])}}
			}
			return []nsKey{key(a[0])}
		}
		return nil
	case "SWAPDB":
		for _, r := range refs(e) {
			if r.NS != k.ns {
				return []nsKey{{ns: r.NS, key: k.key, whole: k.whole}}
			}
		}
		return nil
	case "WATCH":
		return nil // its keys matter up to the target: fromTarget
	}
	if k.ns == clientNS {
		// A command EXEC may collect: its reply depends on its keys.
		return outKeys(e)
	}
	if independentKeys[e.Op] {
		return nil
	}
	var out []nsKey
	for _, r := range keyRefs(e) {
		if r.Key == nil || strings.HasPrefix(r.NS, "@block") {
			continue
		}
		if x := (nsKey{ns: r.NS, key: string(r.Key)}); x != k {
			out = append(out, x)
		}
	}
	if isBlockingCall(e.Op, e.Args) && e.Client != "lua" {
		// Whether it waits depends on its client being in a transaction.
		out = append(out, nsKey{ns: connNS, key: e.Client})
	}
	return out
}

// kindFor returns what e does to key k: -1 when it does not touch it.
// For a whole database, a reset is one of the whole database (FLUSHDB).
func kindFor(e *formats.Event, k nsKey) int {
	kind := -1
	for _, r := range refs(e) {
		nsMatch := r.NS == k.ns || (r.NS == formats.AllNS && !pseudoNS(k.ns))
		if !nsMatch || !(r.Key == nil || k.whole || string(r.Key) == k.key) {
			continue
		}
		rk := r.Kind
		if k.whole && r.Key != nil && rk == formats.KindReset {
			rk = formats.KindWrite
		}
		if rk > kind {
			kind = rk
		}
	}
	return kind
}

// Explain computes the wat-provenance of target.
func (s spec) Explain(ctx context.Context, h provenance.History, target *formats.Event) (*provenance.Explanation, error) {
	if target.System != "redis" {
		return nil, fmt.Errorf("%s is a %s request, not redis: %w", target.Where(), target.System, provenance.ErrNotExplainable)
	}
	cmd := lookup(target.Op, target.Args)
	switch {
	case cmd == nil:
		return nil, fmt.Errorf("%s: %s is not a command Redis 7.0 knows: %w", target.Where(), target.Op, provenance.ErrNotExplainable)
	case !cmd.modelled():
		return nil, fmt.Errorf("%s: %s is not a command wat models (%s; see 'wat specs'): %w", target.Where(), strings.ReplaceAll(cmd.Name, "|", " "), cmd.Why, provenance.ErrNotExplainable)
	case cmd.Unmodelled != nil && cmd.Unmodelled(argv(target)) != "":
		return nil, fmt.Errorf("%s: this %s is not modelled (%s; see 'wat specs'): %w", target.Where(), cmd.Name, cmd.Unmodelled(argv(target)), provenance.ErrNotExplainable)
	}
	w := &walk{ctx: ctx, h: h, spec: s, target: target}
	rules := []func() (*provenance.Explanation, error){w.counterAnswer, w.queueAnswer}
	if w.popped() {
		rules[0], rules[1] = rules[1], rules[0]
	}
	for _, rule := range rules {
		if x, err := rule(); x != nil || err != nil {
			return x, err
		}
	}
	if x, err := w.streamAnswer(); x != nil || err != nil {
		return x, err
	}
	x, err := w.explain(target, outKeys(target))
	if err != nil {
		return nil, err
	}
	if isBlockingCall(target.Op, target.Args) && provenance.Output(rBlocked) == x.Output {
		return w.explainWait(target)
	}
	return x, nil
}

// noteCaptureStart is the note of an answer whose history goes back to
// the first line of the capture.
const noteCaptureStart = "the explanation reaches the start of the capture: it assumes the keys did not exist before it"

// A walk is one explanation's lookups.
type walk struct {
	ctx    context.Context
	h      provenance.History
	spec   spec
	runs   *keyRuns // the target's key's runs, once read (keyRuns)
	target *formats.Event
	// extra are events that must be in the history though no tracked
	// key holds them (EXEC's queued commands without keys).
	extra []*formats.Event
	// lateTTL says a slice left out EXPIREs that end after the target
	// (lateExpiry): the answer rests on the log's clock.
	lateTTL bool
	// read holds the whole history of a key before an id, newest first,
	// when historyAll read all of it: the cursor then walks it (or the
	// part before an earlier id) again from memory, not from the store.
	read map[nsKey]keyHistory
	// sliced holds, as read does, the history of a key that partHistory
	// read: only a cursor that skips the writes to other parts of the
	// key (memberSlice) may walk it.
	sliced map[nsKey]keyHistory
	// unindexed counts the writes memberSlice read because the store
	// has no part index (a file ingested by an older wat).
	unindexed int
	// cursor is the last walk explain made, for execProduct to see
	// which keys it tracked.
	cursor *cursor
	// clockKnown says the answer knows the server's clock its reply
	// depends on (streamAnswer's pinned milliseconds): the command's
	// Random does not make it not exact.
	clockKnown bool
}

// unindexedNote is how many writes memberSlice reads without the part
// index before the answer says to ingest again.
const unindexedNote = 10000

// A keyHistory is a key's history before an id, newest first.
type keyHistory struct {
	before int64
	evs    []*formats.Event
}

// readBefore returns k's history before an id from what historyAll read,
// if it read that far.
func (w *walk) readBefore(k nsKey, before int64, skipping bool) ([]*formats.Event, bool) {
	r, ok := w.read[k]
	if s, sliced := w.sliced[k]; sliced && skipping {
		r, ok = s, true
	}
	if !ok || before > r.before {
		return nil, false
	}
	i := sort.Search(len(r.evs), func(i int) bool { return r.evs[i].ID < before })
	return r.evs[i:], true
}

// explain solves the target over the history of keys (and what they
// pull in).
func (w *walk) explain(target *formats.Event, keys []nsKey) (x *provenance.Explanation, err error) {
	x = &provenance.Explanation{Target: target, Exact: true}
	if target.Op == "EXEC" {
		if x, err := w.execProduct(target); x != nil || err != nil {
			return x, err
		}
		more, extra, err := w.transaction(target)
		if err != nil {
			return nil, err
		}
		keys = append(keys, more...)
		w.extra = append(w.extra, extra...)
	}
	ranLines := false
	if isScriptCall(target.Op) {
		more, ran, err := w.scriptKeys(target)
		if err != nil {
			return nil, err
		}
		keys = append(keys, more...)
		ranLines = ran
	}
	defer func() {
		if x != nil && x.Output == eFunctionNotFound && ranLines && strings.HasPrefix(target.Op, "FCALL") {
			// The log contradicts the model: the function ran.
			notExact(x, "the function ran ([lua] lines follow it) though the log shows no library holding it: its reply is not known; its writes are replayed from its [lua] lines")
			return
		}
		if x == nil || !isScriptCall(target.Op) || x.Output != eNoScript {
			return
		}
		if ranLines {
			// The script ran: its body was cached before the capture.
			notExact(x, "the script ran ([lua] lines follow it) but its body is not in the capture (loaded before the capture began): its reply is not known; its writes are replayed from its [lua] lines")
		} else {
			x.Notes = append(x.Notes, "assumes the script was not cached before the capture began")
		}
	}()
	if len(keys) == 0 && len(w.extra) == 0 {
		x.Output = Model{}.Apply(Model{}.Init(), target)
		x.Notes = append(x.Notes, fmt.Sprintf("%s's reply does not depend on any earlier request", target.Op))
		w.annotate(x, nil, scriptWhy(target, x.Output, nil))
		return x, nil
	}
	var c *cursor
	skip, partReset, err := w.memberSlice(target, keys)
	if err != nil {
		return nil, err
	}
	typeAssumed := skip != nil
	if skip == nil {
		skip, partReset = multiFlagSlice(target, keys)
	}
	if skip == nil {
		if skip, err = w.channelSlice(target); err != nil {
			return nil, err
		}
	}
	uncut, err := w.existenceHistory(target, keys)
	if err != nil {
		return nil, err
	}
	if _, _, one := onePart(target); one && typeAssumed {
		// The history is the part's and the key's deletions
		// (memberSlice): not cut where the part is set, so that
		// closedPart answers from Init at once.
		uncut = true
	}
	for {
		if c, err = w.skippingCursor(target.ID, keys, skip); err != nil {
			return nil, err
		}
		c.typeAssumed, c.uncut = typeAssumed, uncut
		if partReset != nil {
			c.fieldReset = partReset
		} else if fr, err := w.fieldResets(target, keys); err != nil {
			return nil, err
		} else if fr != nil {
			c.fieldReset = fr
		}
		x, err = provenance.Explain(w.ctx, provenance.Walk{
			Problem: provenance.Problem{Model: Model{}, Target: target, Older: c.older, Reset: c.isReset, Limit: w.spec.opt.Limit},
			Fallback: func() ([]*formats.Event, string, error) {
				fb, err := w.fallback(target, keys, c)
				if err != nil {
					return nil, "", err
				}
				c = fb.cursor
				return fb.events, "the last reset of the key and every later write", nil
			},
		})
		if !errors.Is(err, errRestart) {
			break
		}
		// A waiting client reaches keys whose whole history up to the
		// target matters: walk the history once to gather all such keys,
		// then start again with them tracked from there.
		if keys, err = w.closeKeys(target.ID, append(keys, c.restart...)); err != nil {
			return nil, err
		}
	}
	if err != nil {
		return nil, err
	}
	w.cursor = c
	ws, _ := x.Witnesses(1) // one is enough to replay the state a script ran in
	w.annotate(x, c, scriptWhy(target, x.Output, ws))
	if target.Op != deliverOp {
		if err := w.lossNotes(x, target, c.keys); err != nil {
			return nil, err
		}
	}
	// The order is doubted of the history before the request; a blocked
	// command's reply, asked at the end of its wait, by a synthetic event
	// whose id need not be stored, is the blocked command's.
	asked := x
	if target.Op == deliverOp {
		orig := *target
		orig.ID, _ = strconv.ParseInt(string(target.Args[0]), 10, 64)
		y := *x
		y.Target, asked = &orig, &y
	}
	if err := provenance.DoubtOrder(w.ctx, w.h, asked); err != nil {
		return nil, err
	}
	x.Exact, x.Notes = asked.Exact, asked.Notes
	return x, nil
}

// maxLost bounds the lost lines an explanation looks through.
const maxLost = 1000

// lossNotes labels an answer not exact when a line of the capture that
// ingest rejected, before the target, could have named one of its keys:
// the request it held, if any, is missing from the trace.
func (w *walk) lossNotes(x *provenance.Explanation, target *formats.Event, keys []nsKey) error {
	lh, ok := w.h.(provenance.LossHistory)
	if !ok {
		return nil
	}
	lost, err := lh.LostBefore(w.ctx, "redis", target, maxLost+1)
	if err != nil || len(lost) == 0 {
		return err
	}
	if len(lost) > maxLost {
		notExact(x, fmt.Sprintf("more than %d lines of the capture were rejected before it (first %s); any may have changed its keys", maxLost, lost[0].Where))
		return nil
	}
	for _, l := range lost {
		if why := mayTouch(l.Raw, keys); why != "" {
			notExact(x, fmt.Sprintf("%s, a line ingest rejected, %s: the request it held is not in the trace", l.Where, why))
			return nil
		}
	}
	return nil
}

// mayTouch says how a rejected MONITOR line may have changed one of keys,
// or "" when it cannot have: its command is legible and names none of
// them (and is not one that changes every key, like FLUSHALL).
func mayTouch(raw []byte, keys []nsKey) string {
	line := string(raw)
	op, ok := lostCommand(line)
	if !ok {
		return "cannot be read far enough to tell which command it was"
	}
	if c := lookup(op, nil); c == nil || !c.readOnly() && len(c.Keys) == 0 {
		return "may be " + op + ", which changes more than the keys it names"
	}
	for _, k := range keys {
		switch {
		case k.whole:
			return "may have changed database " + k.ns
		case k.ns == functionNS || k.ns == libraryNS:
			if op == "FUNCTION" {
				return "may be a FUNCTION command, which changes the libraries"
			}
		case k.ns == connNS || k.ns == clientNS:
			if strings.Contains(line, " "+k.key+"]") {
				return "is a command of the same connection"
			}
		case pseudoNS(k.ns):
		default:
			q := formats.Quote([]byte(k.key))
			if strings.Contains(line, q[:len(q)-1]) {
				return "may name " + k.String()
			}
		}
	}
	return ""
}

// lostCommand reads the command name of a MONITOR line that did not
// parse: the first quoted word after the "[db client]" part.
func lostCommand(line string) (string, bool) {
	_, rest, ok := strings.Cut(line, "] \"")
	if !ok {
		return "", false
	}
	name, _, ok := strings.Cut(rest, "\"")
	if !ok || name == "" || strings.ContainsAny(name, "\\ ") {
		return "", false
	}
	return strings.ToUpper(name), true
}

// transaction finds what EXEC's reply depends on beyond the keys its own
// line names: its connection's state, the keys of the commands it ran
// (logged between the client's MULTI and the EXEC), and those commands
// themselves when they name no key.
func (w *walk) transaction(exec *formats.Event) ([]nsKey, []*formats.Event, error) {
	keys := []nsKey{{ns: connNS, key: exec.Client}, {ns: clientNS, key: exec.Client}}
	_, extra, err := w.transactionOf(exec)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range extra {
		keys = append(keys, outKeys(e)...)
	}
	return keys, extra, nil
}

// transactionOf returns the MULTI that began an EXEC's transaction and
// the commands its client sent between them (nil when there is none, or
// the history cannot list them).
func (w *walk) transactionOf(exec *formats.Event) (*formats.Event, []*formats.Event, error) {
	seq, ok := w.h.(provenance.Sequence)
	if !ok {
		return nil, nil, nil
	}
	conn, err := w.h.Touching(w.ctx, "redis", connNS, []byte(exec.Client), exec.ID, 64)
	if err != nil {
		return nil, nil, err
	}
	// The transaction began at the first MULTI after the client's last
	// EXEC, DISCARD, RESET or QUIT (a nested MULTI is an error).
	var multi *formats.Event
	for _, e := range conn {
		if e.Op == "EXEC" || e.Op == "DISCARD" || e.Op == "RESET" || e.Op == "QUIT" {
			break
		}
		if e.Op == "MULTI" {
			multi = e
		}
	}
	if multi == nil {
		return nil, nil, nil
	}
	var extra []*formats.Event
	after := multi
	for scanned := 0; scanned < maxTransactionScan; {
		evs, err := seq.Following(w.ctx, after, 1024)
		if err != nil {
			return nil, nil, err
		}
		done := len(evs) == 0
		for _, e := range evs {
			if e.ID >= exec.ID {
				done = true
				break
			}
			if e.Client == exec.Client {
				// Every queued command's reply is an element of EXEC's:
				// the command is in the history even if it only reads.
				extra = append(extra, e)
			}
		}
		scanned += len(evs)
		if done {
			break
		}
		after = evs[len(evs)-1]
	}
	return multi, extra, nil
}

// fromTarget returns the keys whose history matters to e's effect up to
// the target, not only before e: a waiting client may be served by any
// later write to the keys it waits on (or pushes to), a transaction
// fails on any later change to a key its client watches, and a function
// a library's load defined goes when the library is later deleted or
// replaced.
func fromTarget(e *formats.Event, tracked map[nsKey]bool) []nsKey {
	var out []nsKey
	switch {
	case isBlockingCall(e.Op, e.Args):
		for _, r := range refs(e) {
			if r.Key != nil && !pseudoNS(r.NS) {
				out = append(out, nsKey{ns: r.NS, key: string(r.Key)})
			}
		}
	case e.Op == "WATCH" && tracked[nsKey{ns: connNS, key: e.Client}]:
		for _, a := range e.Args {
			out = append(out, nsKey{ns: e.NS, key: string(a)})
		}
	case e.Op == "FUNCTION":
		if lib, ok := loadedLibrary(e, tracked); ok {
			out = append(out, lib)
		}
	}
	return out
}

// isScriptCall reports whether a command runs a script.
func isScriptCall(op string) bool {
	switch op {
	case "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO":
		return true
	}
	return false
}

// scriptKeys returns the keys a script's calls touched: its [lua] lines,
// which follow its own line. Its reply depends on their state before it.
// It also reports whether any [lua] line follows (the script ran).
func (w *walk) scriptKeys(call *formats.Event) (keys []nsKey, ran bool, err error) {
	seq, ok := w.h.(provenance.Sequence)
	if !ok {
		return nil, false, nil
	}
	after := call
	for scanned := 0; scanned < maxTransactionScan; {
		evs, err := seq.Following(w.ctx, after, 256)
		if err != nil {
			return nil, false, err
		}
		for _, e := range evs {
			if e.Client != "lua" {
				return keys, ran, nil
			}
			ran = true
			keys = append(keys, outKeys(e)...)
		}
		if len(evs) < 256 {
			return keys, ran, nil
		}
		scanned += len(evs)
		after = evs[len(evs)-1]
	}
	return keys, ran, nil
}

// maxClosure bounds the walks that gather the keys waiting clients reach.
const maxClosure = 8

// closeKeys walks the history of keys (newest first, as far as it goes)
// and adds every key a waiting client or a watched transaction reaches
// that must be tracked from the target on, until no walk finds more.
func (w *walk) closeKeys(before int64, keys []nsKey) ([]nsKey, error) {
	for i := 0; i < maxClosure; i++ {
		c, err := w.newCursor(before, keys)
		if err != nil {
			return nil, err
		}
		c.collect = true
		for {
			batch, err := c.older(4096)
			if err != nil {
				return nil, err
			}
			if len(batch) < 4096 || len(c.emitted) > maxFallback {
				break
			}
		}
		if len(c.restart) == 0 {
			return keys, nil
		}
		keys = append(keys, c.restart...)
	}
	return keys, nil
}

// errRestart asks Explain to start the walk again with more keys.
var errRestart = errors.New("restart with more keys")

// maxTransactionScan bounds the events read between a MULTI and its EXEC.
const maxTransactionScan = 1 << 16

// explainWait explains the reply a blocking command got later: it finds
// where the wait ended (the request that served it, or its timeout) and
// explains the reply there.
func (w *walk) explainWait(target *formats.Event) (*provenance.Explanation, error) {
	keys := outKeys(target)
	seq, ok := w.h.(provenance.Sequence)
	if !ok {
		return nil, fmt.Errorf("%s blocked; finding what served it needs the later history: %w", target.Where(), provenance.ErrNotExplainable)
	}
	// Candidates: the later events touching the keys it waits on, in
	// order; the reply is known once one of them served it.
	var later []*formats.Event
	seen := map[int64]bool{}
	for _, k := range keys {
		evs, err := seq.Later(w.ctx, "redis", k.ns, []byte(k.key), target.ID, maxWaitCandidates)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			// Only a write can serve it (a read does not make a key ready).
			if seen[e.ID] || kindFor(e, k) < formats.KindWrite {
				continue
			}
			seen[e.ID] = true
			later = append(later, e)
			if e.Client == "lua" || e.Client == "" {
				continue
			}
			// A write in a transaction serves it when its EXEC ends.
			conn, err := seq.Later(w.ctx, "redis", connNS, []byte(e.Client), e.ID, 8)
			if err != nil {
				return nil, err
			}
			for _, x := range conn {
				if x.Op == "EXEC" || x.Op == "DISCARD" {
					if !seen[x.ID] {
						seen[x.ID] = true
						later = append(later, x)
					}
					break
				}
			}
		}
	}
	sort.Slice(later, func(i, j int) bool { return later[i].ID < later[j].ID })
	if len(later) > maxWaitCandidates {
		later = later[:maxWaitCandidates]
	}
	timeout, _ := waitTimeout(target)
	for _, at := range later {
		if timeout > 0 && at.Time >= target.Time+timeout*1e6 {
			break
		}
		d := deliverEvent(target, at)
		x, err := w.waitWalk(target, d).explain(d, keys)
		if err != nil {
			return nil, err
		}
		if x.Output != provenance.Output(rBlocked) {
			return w.waitAnswer(target, at, x), nil
		}
	}
	if timeout > 0 {
		// Nothing served it before its timeout.
		at := &formats.Event{ID: target.ID, Time: target.Time + timeout*1e6}
		for _, e := range later {
			if e.Time < at.Time {
				at.ID = e.ID
			}
		}
		d := deliverEvent(target, at)
		x, err := w.waitWalk(target, d).explain(d, keys)
		if err != nil {
			return nil, err
		}
		return w.waitAnswer(target, nil, x), nil
	}
	x := &provenance.Explanation{Target: target, Output: rBlocked, Exact: false}
	x.Notes = append(x.Notes, fmt.Sprintf("not exact: %s blocked, and no request in the capture (within %d later requests on its keys) served it", target.Op, maxWaitCandidates))
	return x, nil
}

// waitWalk is the walk that explains the reply of blocking command e at
// its delivery d: e itself is in the history (a history that holds only
// earlier events, as in tests, is given it).
func (w *walk) waitWalk(e, d *formats.Event) *walk {
	return &walk{ctx: w.ctx, h: w.h, spec: w.spec, target: d, extra: []*formats.Event{e}}
}

// maxWaitCandidates bounds the later requests tried as the one that
// served a blocked command.
const maxWaitCandidates = 256

// waitAnswer turns the explanation of a wait's end into the answer for
// the blocking command.
func (w *walk) waitAnswer(target, servedBy *formats.Event, x *provenance.Explanation) *provenance.Explanation {
	x.Target = target
	if err := w.lossNotes(x, target, outKeys(target)); err != nil {
		notExact(x, "could not check for lost lines: "+err.Error())
	}
	if servedBy != nil {
		x.Notes = append([]string{fmt.Sprintf("%s blocked; it was served after %s (%s), whose reply this is", target.Op, servedBy.Where(), servedBy.Op)}, x.Notes...)
	} else {
		x.Notes = append([]string{fmt.Sprintf("%s blocked and timed out: nothing served it within its timeout", target.Op)}, x.Notes...)
		x.TimeDependent = true
	}
	if x.Output == rUnknownEnd {
		notExact(x, "the client sent another command while the model had it waiting, so the wait ended in a way the log does not show")
	}
	x.Notes = append(x.Notes, "depends on time and on the client's connection: a waiting client that disconnected leaves no line, and a timeout is checked by the server's clock")
	return x
}

// waitTimeout returns a blocking call's timeout in ms (0: forever).
func waitTimeout(e *formats.Event) (int64, bool) {
	var arg []byte
	switch e.Op {
	case "BLMPOP", "BZMPOP":
		if len(e.Args) > 0 {
			arg = e.Args[0]
		}
	case "XREAD", "XREADGROUP":
		for i, a := range e.Args {
			if cEqual(a, "BLOCK") && i+1 < len(e.Args) {
				n, ok := parseInt(e.Args[i+1])
				return n, ok && n >= 0
			}
		}
		return 0, false
	default:
		if len(e.Args) > 0 {
			arg = e.Args[len(e.Args)-1]
		}
	}
	ms, errReply := parseTimeout(arg)
	return ms, errReply == ""
}

// scriptWhy says why a script request's (or a FUNCTION LOAD's or
// DELETE's) reply is unknown: it runs the request again after the first
// witness (which gives the same output, by definition) to learn what the
// model could not follow. "" for any other request or output.
func scriptWhy(target *formats.Event, out provenance.Output, ws [][]*formats.Event) string {
	if string(out) != rUnknown || !isScriptCall(target.Op) && target.Op != "FUNCTION" {
		return ""
	}
	st := Model{}.Init()
	if len(ws) > 0 {
		for _, e := range ws[0] {
			Model{}.Apply(st, e)
		}
	}
	if target.Op == "FUNCTION" {
		return FunctionWhy(st, target)
	}
	_, _, why := EvalCalls(st, target)
	return why
}

// countsEntries reports whether target is an XLEN over a history of
// XADDs with the id "*", trimmed, if at all, by an exact MAXLEN: whatever
// ids the server's clock gave the entries, each XADD added one and MAXLEN
// kept as many, so XLEN's reply does not depend on the ids. (A MINID
// compares them; "~" trims whole nodes, whose sizes the ids' encoding
// changes.)
func countsEntries(target *formats.Event, history []*formats.Event) bool {
	if target.Op != "XLEN" {
		return false
	}
	for _, e := range history {
		if e.Op != "XADD" {
			return false
		}
		if t, _, bad := parseAddTrim(argv(e), true); bad != "" || t.idGiven || t.strategy == trimMinID || t.approx {
			return false
		}
	}
	return true
}

// notExact marks an explanation as not exact, with a note saying why.
func notExact(x *provenance.Explanation, why string) {
	x.Exact = false
	x.Notes = append(x.Notes, "not exact: "+why)
}

// annotate adds the notes every answer needs: what the output depends on
// that no log holds, time, unmodelled commands, and the start of the
// capture.
func (w *walk) annotate(x *provenance.Explanation, c *cursor, why string) {
	target := x.Target
	out := string(x.Output)
	resp, unord := splitOutput(out)
	cmd := lookup(target.Op, target.Args)
	switch {
	case why != "" && !isScriptCall(target.Op):
		notExact(x, "the reply is not known: "+why)
	case why != "" && strings.HasPrefix(target.Op, "FCALL"):
		notExact(x, "the function's reply is not known: "+why)
	case why != "":
		notExact(x, "the script's reply is not known: "+why)
	case out == rUnknown && isScriptCall(target.Op):
		notExact(x, "the script's reply is not known")
	case out == rUnknown || (cmd != nil && cmd.Random != nil && !w.clockKnown && cmd.Random(argv(target)) != ""):
		if cmd != nil {
			why = cmd.Unknown
			if cmd.Random != nil {
				why = cmd.Random(argv(target))
			}
			if why == "" && cmd.Group == "stream" {
				why = streamUnknownWhy
			}
			if why == "" && cmd.Group == "sorted-set" {
				why = whySkiplist
			}
			if why == "" {
				why = cmd.Unsure
			}
		}
		if why == "" {
			notExact(x, "the model does not know the reply")
		} else {
			notExact(x, "the reply depends on "+why+", which the log does not hold")
		}
	case unord:
		notExact(x, "the reply lists a hash table (a hash, set or database past its compact encoding) in the server's own order, which the log does not show; wat compares it as a set")
	case resp == rUnknownScan:
		notExact(x, "the reply walks a hash table with a cursor, and the table's layout is not in the log")
	case resp == rHelp:
		notExact(x, "the text of HELP replies is not modelled")
	case resp == rExecUnknown:
		notExact(x, "a command of the transaction has a reply wat does not know (see its own line)")
	case resp == rUnknownOrderUnsub:
		notExact(x, "UNSUBSCRIBE left several channels in the order of the connection's hash table, which the log does not show")
	case target.Op == "PUBLISH" || target.Op == "SPUBLISH":
		x.Notes = append(x.Notes, "counts the subscriptions the log shows: a client that disconnected without QUIT or RESET leaves no line and is still counted")
	}
	if why := argsDoubt(target); why != "" {
		notExact(x, fmt.Sprintf("%s at %s: %s", target.Op, target.Where(), why))
	}
	if c == nil {
		return
	}
	if why := w.recordsDoubt(c, target); why != "" {
		notExact(x, why)
	}
	var doubts []string
	for _, e := range c.emitted {
		if why := argsDoubt(e); why != "" && len(doubts) < 3 {
			doubts = append(doubts, fmt.Sprintf("%s at %s: %s", e.Op, e.Where(), why))
		}
	}
	if len(doubts) > 0 {
		notExact(x, "the keys were changed by requests whose logged arguments may not be the ones sent ("+strings.Join(doubts, "; ")+")")
	}
	var unknown, random []string
	// A count of entries (countsEntries), or whether the key exists,
	// does not read the ids XADD made from the server's clock.
	idsUnread := countsEntries(target, c.emitted) || asksExistence(target)
	for _, e := range c.emitted {
		if sets := setsTTL(e); sets {
			x.TimeDependent = true
		}
		ec := lookup(e.Op, e.Args)
		// Only a write's effect can depend on what its reply depends on
		// (XADD's clock-made id is stored; HELLO's connection id is not).
		if ec != nil && ec.Random != nil && ec.hasFlag("write") && len(random) < 3 && !(idsUnread && e.Op == "XADD") {
			if why := ec.Random(argv(e)); why != "" {
				random = append(random, fmt.Sprintf("%s at %s: %s", e.Op, e.Where(), why))
			}
		}
		// A call the model does not run after all changes keys only if
		// it stores (SORT with a BY pattern and STORE).
		partial := ec != nil && ec.Unmodelled != nil && storesResult(e) && ec.Unmodelled(argv(e)) != ""
		if (ec == nil || !ec.modelled() || partial) && len(unknown) < 3 {
			name := e.Op
			if ec != nil {
				name = strings.ReplaceAll(ec.Name, "|", " ")
			}
			unknown = append(unknown, fmt.Sprintf("%s at %s", name, e.Where()))
		}
	}
	if w.unindexed > unindexedNote {
		x.Notes = append(x.Notes, fmt.Sprintf("the store holds files ingested by a wat older than its part index, so this answer read "+
			"all %d writes of the key to check the calls on its members or fields: for faster answers, remove those files (wat rm) and ingest them again", w.unindexed))
	}
	x.TimeDependent = x.TimeDependent || w.lateTTL
	if x.TimeDependent {
		x.Notes = append(x.Notes, "depends on time: key expiry is replayed from the log's timestamps, not from a logged request")
	}
	if len(unknown) > 0 {
		notExact(x, "the keys were changed by commands wat does not model ("+strings.Join(unknown, ", ")+"), replayed as if they changed nothing")
	}
	if len(random) > 0 {
		notExact(x, "the keys were changed by requests whose effect depends on what the log does not hold ("+strings.Join(random, "; ")+")")
	}
	if e := unsureStore(c.emitted); e != nil {
		notExact(x, fmt.Sprintf("%s at %s stored a result the model does not know (its reply is unknown too)", e.Op, e.Where()))
	}
	if len(c.blocky) > 0 {
		x.Notes = append(x.Notes, "clients waited on these keys (blocking commands): the model serves them as Redis does, assuming each was still connected")
	}
	if e := nearTimeout(append(c.emitted, target)); e != nil {
		notExact(x, fmt.Sprintf("%s at %s waited with a timeout that ran out within %v of a request on its keys; the server checks timeouts every %v or so, so which came first is not in the log", e.Op, e.Where(), timeoutSlack, timeoutSlack))
	}
	if why, err := w.unprovenClients(c, target); err != nil {
		notExact(x, "could not check that the clients it counts on were connected: "+err.Error())
	} else if why != "" {
		notExact(x, ""+why)
	}
	if len(c.scriptOnBlocky) > 0 {
		notExact(x, fmt.Sprintf("a script wrote a key clients waited on (%s): Redis serves them when the script ends, which the key's history does not show", c.scriptOnBlocky[0].Where()))
	}
	if c.exhausted && !c.sawReset || c.typeAssumed && !c.sawKeyReset {
		x.Notes = append(x.Notes, noteCaptureStart)
	}
}

// timeoutSlack is how far apart a blocked client's timeout and a request
// on its keys must be for the log to tell which came first: Redis checks
// timeouts before it sleeps, and wakes at least every 100 ms (hz 10).
const timeoutSlack = 150 * time.Millisecond

// nearTimeout returns a blocking call among evs whose timeout falls
// within timeoutSlack of another of evs that touches its keys.
func nearTimeout(evs []*formats.Event) *formats.Event {
	for _, b := range evs {
		if !isBlockingCall(b.Op, b.Args) || b.Client == "lua" {
			continue
		}
		ms, ok := waitTimeout(b)
		if !ok || ms == 0 {
			continue
		}
		deadline := b.Time + ms*1e6
		keys := outKeys(b)
		for _, e := range evs {
			if e == b || e.Time < deadline-int64(5*time.Millisecond) || e.Time > deadline+int64(timeoutSlack) {
				continue
			}
			for _, k := range keys {
				if kindFor(e, k) >= formats.KindRead && !pseudoNS(k.ns) {
					return b
				}
			}
		}
	}
	return nil
}

// unprovenClients replays the history and says which client the answer
// counts on being connected without the log showing it: a waiting client
// the model served (Redis drops a client that disconnects, and the
// element it would have taken stays), or a subscriber a PUBLISH counted
// (a client that disconnected without QUIT counts no more). A client is
// shown connected by any command it sent later.
func (w *walk) unprovenClients(c *cursor, target *formats.Event) (string, error) {
	publish := target.Op == "PUBLISH" || target.Op == "SPUBLISH"
	var blocking []*formats.Event
	for _, e := range c.emitted {
		if isBlockingCall(e.Op, e.Args) && e.Client != "lua" {
			blocking = append(blocking, e)
		}
	}
	if target.Op == deliverOp {
		// The waiting command itself: its reply counts on it.
		if id, err := strconv.ParseInt(string(target.Args[0]), 10, 64); err == nil {
			for _, e := range w.extra {
				if e.ID == id {
					blocking = append(blocking, e)
				}
			}
		}
	}
	if !publish && len(blocking) == 0 {
		return "", nil
	}
	m := Model{}
	st := m.Init().(*State)
	for i := len(c.emitted) - 1; i >= 0; i-- {
		apply(st, c.emitted[i])
	}
	if target.Op == deliverOp {
		apply(st, target)
	}
	seq, ok := w.h.(provenance.Sequence)
	if !ok {
		return "the history cannot be read forwards", nil
	}
	alive := func(client string, after int64) (bool, error) {
		evs, err := seq.Later(w.ctx, "redis", clientNS, []byte(client), after, 1)
		return len(evs) > 0, err
	}
	for _, b := range blocking {
		r, done := st.results[b.ID]
		if !done || r == "" || waitTimedOut(b, r) {
			continue
		}
		ok, err := alive(b.Client, b.ID)
		if err != nil {
			return "", err
		}
		if !ok {
			return fmt.Sprintf("the model served %s at %s with an element, but that client sent nothing afterwards: if it had disconnected, Redis did not serve it and the element stayed", b.Op, b.Where()), nil
		}
	}
	if publish && len(target.Args) > 0 {
		ch := target.Args[0]
		for name, cn := range st.conns {
			counted := cn.subs[string(ch)] || (target.Op == "SPUBLISH" && cn.ssubs[string(ch)])
			for _, p := range cn.psubs {
				counted = counted || target.Op == "PUBLISH" && globMatch([]byte(p), ch, false)
			}
			if !counted {
				continue
			}
			ok, err := alive(name, target.ID)
			if err != nil {
				return "", err
			}
			if !ok {
				return fmt.Sprintf("it counts %s as a subscriber, but that client sent nothing afterwards: a client that disconnected without QUIT leaves no line", name), nil
			}
		}
	}
	return "", nil
}

// waitTimedOut reports whether a blocking call's reply is its timeout
// reply (nothing taken).
func waitTimedOut(e *formats.Event, reply string) bool {
	return reply == rNilArray || reply == rNil || reply == rUnknownEnd
}

// storeOps are the commands that store a result computed from other
// keys; where the model does not know their reply it does not know what
// they stored either (a SORT that errno may have failed, a search whose
// count is not known, a sorted set whose contents are not), and what it
// replays for the destination may be wrong even in its type.
var storeOps = map[string]bool{"SORT": true, "GEORADIUS": true, "GEORADIUSBYMEMBER": true, "GEOSEARCHSTORE": true,
	"ZRANGESTORE": true, "ZUNIONSTORE": true, "ZINTERSTORE": true, "ZDIFFSTORE": true}

// storesResult reports whether e is a store command that stores (SORT
// and GEORADIUS only with STORE or STOREDIST).
func storesResult(e *formats.Event) bool {
	switch {
	case !storeOps[e.Op]:
		return false
	case e.Op == "SORT" || strings.HasPrefix(e.Op, "GEORADIUS"):
		for _, a := range e.Args {
			if cEqual(a, "store") || cEqual(a, "storedist") {
				return true
			}
		}
		return false
	}
	return true
}

// unsureStore replays a history (newest first, as a cursor emits it)
// when it holds a store command, and returns the first whose reply the
// model did not know.
func unsureStore(emitted []*formats.Event) *formats.Event {
	any := false
	for _, e := range emitted {
		any = any || storesResult(e)
	}
	if !any {
		return nil
	}
	st := Model{}.Init().(*State)
	for i := len(emitted) - 1; i >= 0; i-- {
		e := emitted[i]
		out := apply(st, e)
		if (out == rUnknown || out == rNotRun) && storesResult(e) {
			return e
		}
	}
	return nil
}

// setsTTL reports whether an event can give a key a deadline.
func setsTTL(e *formats.Event) bool {
	switch e.Op {
	case "SETEX", "PSETEX", "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT":
		return true
	case "SET", "GETEX":
		for _, a := range e.Args[1:] {
			switch optUpper(a) {
			case "EX", "PX", "EXAT", "PXAT":
				return true
			}
		}
	}
	return false
}

type fallback struct {
	events []*formats.Event
	cursor *cursor
}

// maxFallback bounds the writes the fallback witness lists.
const maxFallback = 1 << 20

// fallback returns the last reset of every tracked key and every later
// write: a closed witness, since everything before it is overwritten.
func (w *walk) fallback(target *formats.Event, keys []nsKey, c *cursor) (*fallback, error) {
	// What the search read is where the walk back begins: it read newest
	// first, usually as far as the last reset, so it is not read again.
	// (With events given up front, whether an event resets depended on
	// how far the walk had come: then the walk is made again.)
	var seen []*formats.Event
	var err error
	if len(w.extra) == 0 {
		for _, e := range c.emitted {
			seen = append(seen, e)
			if c.isReset(e) {
				return &fallback{events: provenance.Reversed(seen), cursor: c}, nil
			}
		}
	} else if c, err = w.newCursor(target.ID, keys); err != nil {
		return nil, err
	}
	for {
		evs, rerr := provenance.BackToReset(c.older, func(e *formats.Event, _ []*formats.Event) bool { return c.isReset(e) }, maxFallback)
		switch {
		case errors.Is(rerr, errRestart):
			if keys, err = w.closeKeys(target.ID, append(keys, c.restart...)); err != nil {
				return nil, err
			}
			if c, err = w.newCursor(target.ID, keys); err != nil {
				return nil, err
			}
			c.collect = true // what one more walk would find is left out
			seen = nil
		case rerr != nil:
			return nil, fmt.Errorf("%s: %w", target.Where(), rerr)
		default:
			return &fallback{events: append(evs, provenance.Reversed(seen)...), cursor: c}, nil
		}
	}
}

// A cursor merges the histories of the tracked keys, newest first,
// adding the keys that cross-key commands read as it passes them.
type cursor struct {
	w       *walk
	srcs    []*source
	keys    []nsKey
	tracked map[nsKey]bool
	// fromTop holds the tracked keys whose history is walked from where
	// the cursor began (the others from a write that pulled them in).
	fromTop map[nsKey]bool
	top     int64 // where the cursor began: the id its histories are before
	seen    map[int64]bool
	at      map[*formats.Event]int // how many keys were tracked when e was emitted
	// resetAll marks the events that reset every key tracked when they
	// were emitted.
	resetAll  map[*formats.Event]bool
	emitted   []*formats.Event
	exhausted bool
	sawReset  bool
	// blocky holds the tracked keys clients once waited on: their
	// history is never cut at a reset, since a waiting client outlives
	// it.
	blocky map[nsKey]bool
	// scriptOnBlocky lists script calls ([lua] lines) that wrote a key
	// clients waited on: Redis serves the clients when the script ends,
	// and the key's history does not show where that was.
	scriptOnBlocky []*formats.Event
	// restart lists keys a waiting client reached that must be tracked
	// from the target on; older fails with errRestart until they are,
	// unless collect is set: then it walks on and gathers them all.
	restart []nsKey
	collect bool
	// fieldReset, when set, also cuts the history at writes that set the
	// hash fields the target reads (see fieldResets), or its client's
	// MULTI flag (see multiFlagSlice).
	fieldReset func(*formats.Event) bool
	// skip, when set, leaves out the events that touch only parts of the
	// target's key its output does not depend on (see memberSlice).
	skip func(*formats.Event) bool
	// uncut says the history is not cut at resets: the deletions of a
	// key whose existence the target asks are part of closedExists's
	// rule (see existenceHistory).
	uncut bool
	// typeAssumed says the answer may rest on the key's type before the
	// capture: a call that set the target's parts may cut its history
	// (memberSlice) where nothing set the key whole (sawKeyReset).
	typeAssumed, sawKeyReset bool
}

type source struct {
	k      nsKey
	before int64
	buf    []*formats.Event
	done   bool
	fixed  bool // a list of events given up front, not a key's history
	batch  int  // how many events the next read asks for: 256, doubling to 4096
}

func (w *walk) newCursor(before int64, keys []nsKey) (*cursor, error) {
	return w.skippingCursor(before, keys, nil)
}

// skippingCursor is newCursor with the cursor's skip set (see
// memberSlice): it may walk what partHistory read.
func (w *walk) skippingCursor(before int64, keys []nsKey, skip func(*formats.Event) bool) (*cursor, error) {
	c := &cursor{w: w, tracked: map[nsKey]bool{}, fromTop: map[nsKey]bool{}, top: before, seen: map[int64]bool{}, at: map[*formats.Event]int{}, blocky: map[nsKey]bool{},
		resetAll: map[*formats.Event]bool{}, skip: skip}
	for _, k := range keys {
		if err := c.track(k, before); err != nil {
			return nil, err
		}
	}
	if len(w.extra) > 0 {
		buf := append([]*formats.Event(nil), w.extra...)
		sort.Slice(buf, func(i, j int) bool { return buf[i].ID > buf[j].ID })
		c.srcs = append(c.srcs, &source{buf: buf, done: true, fixed: true})
	}
	return c, nil
}

func (c *cursor) track(k nsKey, before int64) error {
	if c.tracked[k] {
		return nil
	}
	c.tracked[k] = true
	c.fromTop[k] = before == c.top
	c.keys = append(c.keys, k)
	src := &source{k: k, before: before}
	if evs, ok := c.w.readBefore(k, before, c.skip != nil); ok {
		src.buf, src.done = evs, true
	}
	c.srcs = append(c.srcs, src)
	if !pseudoNS(k.ns) && !k.whole {
		waited, err := c.waitedOn(k)
		if err != nil {
			return err
		}
		if waited {
			c.blocky[k] = true
		}
	}
	return nil
}

// waitedOn reports whether a client waited on k before the target: a
// blocking call indexed under k in the block namespace. The history of
// that namespace also holds the requests that touch every key (FLUSHALL,
// SWAPDB), which are not waits.
func (c *cursor) waitedOn(k nsKey) (bool, error) {
	before := c.w.target.ID
	for {
		const batch = 16
		evs, err := c.w.h.Touching(c.w.ctx, "redis", blockNS(k.ns), []byte(k.key), before, batch)
		if err != nil {
			return false, err
		}
		for _, e := range evs {
			if isBlockingCall(e.Op, e.Args) {
				return true, nil
			}
		}
		if len(evs) < batch {
			return false, nil
		}
		before = evs[len(evs)-1].ID
	}
}

func (c *cursor) fill(s *source) error {
	if len(s.buf) > 0 || s.done {
		return nil
	}
	// Most answers need only a key's newest writes (a GET's last SET),
	// and most histories are short; a long one is read in batches that
	// grow from 16 (from 256, a GET of a key with 700 writes read them
	// all, 50 ms of a 100 ms answer).
	batch := max(s.batch, 16)
	s.batch = min(2*batch, 4096)
	var evs []*formats.Event
	var err error
	if s.k.whole {
		nh, ok := c.w.h.(provenance.NamespaceHistory)
		if !ok {
			return fmt.Errorf("the reply depends on every key of database %s, and this history cannot list them: %w", s.k.ns, provenance.ErrNotExplainable)
		}
		evs, err = nh.InNamespace(c.w.ctx, "redis", s.k.ns, s.before, batch)
	} else {
		evs, err = c.w.h.Touching(c.w.ctx, "redis", s.k.ns, []byte(s.k.key), s.before, batch)
	}
	if err != nil {
		return err
	}
	if len(evs) < batch {
		s.done = true
	}
	if len(evs) > 0 {
		s.before = evs[len(evs)-1].ID
	}
	s.buf = evs
	return nil
}

// older returns up to n more events, newest first.
func (c *cursor) older(n int) ([]*formats.Event, error) {
	var out []*formats.Event
	for len(out) < n {
		var best *source
		for _, s := range c.srcs {
			if err := c.fill(s); err != nil {
				return nil, err
			}
			if len(s.buf) > 0 && (best == nil || s.buf[0].ID > best.buf[0].ID) {
				best = s
			}
		}
		if best == nil {
			c.exhausted = true
			break
		}
		e := best.buf[0]
		best.buf = best.buf[1:]
		if c.seen[e.ID] {
			continue
		}
		c.seen[e.ID] = true
		if c.skip != nil && c.skip(e) {
			continue
		}
		c.at[e] = len(c.keys)
		for _, k := range fromTarget(e, c.tracked) {
			c.needRestart(k)
		}
		if len(c.restart) > 0 && !c.collect {
			return nil, errRestart
		}
		kinds := c.kindsOf(e)
		resets := 0
		for _, tk := range kinds {
			k := tk.k
			if tk.kind == formats.KindReset && !c.blocky[k] {
				resets++
			}
			if tk.kind < formats.KindWrite {
				continue
			}
			ps := pulls(e, k)
			if cn := (nsKey{ns: connNS, key: e.Client}); c.blocky[k] && e.Client != "lua" && !c.tracked[cn] {
				// Clients wait on k: a write in a transaction serves them
				// when its EXEC ends, which may come after e; its client's
				// connection matters up to the target.
				c.needRestart(cn)
				if !c.collect {
					return nil, errRestart
				}
			}
			if c.blocky[k] && e.Client == "lua" {
				c.scriptOnBlocky = append(c.scriptOnBlocky, e)
			}
			for _, p := range ps {
				if err := c.track(p, e.ID); err != nil {
					return nil, err
				}
			}
		}
		if resets == c.at[e] {
			c.resetAll[e] = true
		}
		c.emitted = append(c.emitted, e)
		out = append(out, e)
	}
	return out, nil
}

// needRestart notes a key to track from the target on, unless it is.
func (c *cursor) needRestart(k nsKey) {
	if c.fromTop[k] {
		return // a key pulled in by a write is tracked only from there
	}
	for _, x := range c.restart {
		if x == k {
			return
		}
	}
	c.restart = append(c.restart, k)
}

// A trackedKind is what an event does to one tracked key.
type trackedKind struct {
	k    nsKey
	kind int
}

// kindsOf returns what e does to each tracked key it touches, from its
// refs once (kindFor over every tracked key would be quadratic).
func (c *cursor) kindsOf(e *formats.Event) []trackedKind {
	kind := map[nsKey]int{}
	note := func(k nsKey, kd int) {
		if old, ok := kind[k]; !ok || kd > old {
			kind[k] = kd
		}
	}
	for _, r := range refs(e) {
		if r.Key != nil && r.NS != formats.AllNS {
			if k := (nsKey{ns: r.NS, key: string(r.Key)}); c.tracked[k] {
				note(k, r.Kind)
			}
			if k := (nsKey{ns: r.NS, whole: true}); c.tracked[k] {
				kd := r.Kind
				if kd == formats.KindReset {
					kd = formats.KindWrite // a key's reset is not the database's
				}
				note(k, kd)
			}
			continue
		}
		// A wide ref: every tracked key of its namespace (of every
		// database, for FLUSHALL).
		for _, k := range c.keys {
			if r.NS == k.ns || (r.NS == formats.AllNS && !pseudoNS(k.ns)) {
				note(k, r.Kind)
			}
		}
	}
	out := make([]trackedKind, 0, len(kind))
	for _, k := range c.keys { // in tracking order, for a stable walk
		if kd, ok := kind[k]; ok {
			out = append(out, trackedKind{k, kd})
		}
	}
	return out
}

// isReset reports whether e resets every key tracked when it was reached.
func (c *cursor) isReset(e *formats.Event) bool {
	n, ok := c.at[e]
	if !ok || c.uncut {
		return false
	}
	for _, s := range c.srcs {
		if s.fixed && len(s.buf) > 0 {
			return false // an event given up front is still ahead
		}
	}
	if c.fieldReset != nil && n == 1 && c.fieldReset(e) {
		c.sawReset = true
		return true
	}
	if c.resetAll[e] {
		c.sawReset, c.sawKeyReset = true, true
		return true
	}
	return false
}

// ShowOutput renders a reply on one line, close to redis-cli's words:
// "alice" (quoted and escaped), (integer) 3, (nil), OK, (error) ..., and
// arrays as [item, item].
func (spec) ShowOutput(o provenance.Output) string {
	switch string(o) {
	case rBlocked:
		return "(still blocked)"
	case rUnknown:
		return "(unknown)"
	case rNotRun:
		return "(not modelled)"
	case rUnknownEnd:
		return "(wait ended unseen)"
	case rUnknownScan:
		return "(scan of a hash table)"
	case rHelp:
		return "(help text)"
	case rUnknownOrderUnsub:
		return "(unsubscribed, in an unknown order)"
	case rExecUnknown:
		return "(a transaction with a reply not known)"
	case rNotBlocked:
		return "(not blocked)"
	}
	resp, unord := splitOutput(string(o))
	s, _ := showRESP(resp)
	if unord {
		s += " (in some order)"
	}
	return s
}

// WireOutput returns the RESP2 bytes of an output, without wat's own
// marks; "" for an output that is no reply (unknown, still waiting).
func (spec) WireOutput(o provenance.Output) string {
	resp, _ := splitOutput(string(o))
	if strings.HasPrefix(resp, "\x00") {
		return ""
	}
	return resp
}

// showRESP renders one reply and returns the rest of the input.
func showRESP(s string) (string, string) {
	line, rest, ok := strings.Cut(s, "\r\n")
	if !ok || line == "" {
		return formats.Quote([]byte(s)), ""
	}
	switch line[0] {
	case '+':
		return bare(line[1:]), rest
	case '-':
		return "(error) " + bare(line[1:]), rest
	case ':':
		return "(integer) " + line[1:], rest
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "(nil)", rest
		}
		if n > len(rest) {
			n = len(rest)
		}
		return formats.Quote([]byte(rest[:n])), strings.TrimPrefix(rest[n:], "\r\n")
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "(nil)", rest
		}
		items := make([]string, n)
		for i := range items {
			items[i], rest = showRESP(rest)
		}
		return "[" + strings.Join(items, ", ") + "]", rest
	}
	return formats.Quote([]byte(line)), rest
}

// bare escapes like quote, without the quotes.
func bare(s string) string {
	q := formats.Quote([]byte(s))
	return q[1 : len(q)-1]
}

// ParseOutput turns what a user typed or a log recorded into the replies
// it may stand for: RESP bytes as they are; otherwise a bulk string, an
// integer, (nil), an OK status or an error.
func (spec) ParseOutput(in []byte) []provenance.Output {
	s := string(in)
	if len(s) > 0 && strings.ContainsRune("+-:$*", rune(s[0])) && strings.HasSuffix(s, "\r\n") {
		return []provenance.Output{provenance.Output(s)}
	}
	var out []provenance.Output
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "(nil)", "nil", "null":
		return []provenance.Output{rNil, rNilArray}
	case "true": // a client library's boolean: EXPIRE's 1, SET's OK
		return []provenance.Output{":1\r\n", rOK}
	case "false":
		return []provenance.Output{":0\r\n", rNil}
	}
	if strings.HasPrefix(strings.TrimSpace(s), "[") {
		// A JSON array, as a client's JSON log writes a multi-bulk reply.
		var items []any
		if err := json.Unmarshal([]byte(s), &items); err == nil {
			elems := make([]string, len(items))
			for i, it := range items {
				switch v := it.(type) {
				case string:
					elems[i] = bulk([]byte(v))
				case nil:
					elems[i] = rNil
				case float64:
					if v == float64(int64(v)) {
						elems[i] = integer(int64(v))
					} else {
						elems[i] = bulk([]byte(strconv.FormatFloat(v, 'f', -1, 64)))
					}
				default:
					b, _ := json.Marshal(v)
					elems[i] = bulk(b)
				}
			}
			sorted := append([]string(nil), elems...)
			sort.Strings(sorted)
			return []provenance.Output{provenance.Output(array(elems)), provenance.Output(array(sorted))}
		}
	}
	if u, err := strconv.Unquote(s); err == nil && strings.HasPrefix(s, `"`) {
		s = u
		if !strings.ContainsAny(s, "\r\n") {
			out = append(out, provenance.Output("+"+s+"\r\n")) // a status reply, as a client library gives it
		}
	}
	out = append(out, provenance.Output(bulk([]byte(s))))
	if n, ok := parseInt([]byte(strings.TrimPrefix(s, "(integer) "))); ok {
		out = append(out, provenance.Output(integer(n)))
	}
	if !strings.ContainsAny(s, "\r\n") {
		out = append(out, provenance.Output("+"+s+"\r\n"))
		out = append(out, provenance.Output("-"+strings.TrimPrefix(s, "(error) ")+"\r\n"))
	}
	return out
}

// SameOutput compares a logged or typed reply with a replayed output: a
// reply whose order the model does not know is compared as a set.
func (s spec) SameOutput(given []byte, o provenance.Output) bool {
	resp, unord := splitOutput(string(o))
	for _, p := range s.ParseOutput(given) {
		if string(p) == resp || unord && sameUnordered(resp, unorderedPaths(string(o)), string(p)) {
			return true
		}
	}
	return false
}

// canonicalSet sorts an array reply's elements (pairs, for a map-like
// reply of even length whose replayed form is sorted by key).
func canonicalSet(resp string) (string, error) {
	items, rest, ok := splitArray(resp)
	if !ok || rest != "" {
		return "", errors.New("not an array")
	}
	// As the model sorts: by the elements' bytes.
	sort.SliceStable(items, func(i, j int) bool { return bulkBody(items[i]) < bulkBody(items[j]) })
	return array(items), nil
}

// splitArray splits a RESP2 array into its elements' encodings.
func splitArray(s string) ([]string, string, bool) {
	line, rest, ok := strings.Cut(s, "\r\n")
	if !ok || len(line) == 0 || line[0] != '*' {
		return nil, s, false
	}
	n, err := strconv.Atoi(line[1:])
	if err != nil || n < 0 {
		return nil, s, false
	}
	items := make([]string, n)
	for i := range items {
		var item string
		item, rest, ok = splitOne(rest)
		if !ok {
			return nil, s, false
		}
		items[i] = item
	}
	return items, rest, true
}

// splitOne returns the encoding of the first RESP2 value of s and the rest.
func splitOne(s string) (string, string, bool) {
	line, rest, ok := strings.Cut(s, "\r\n")
	if !ok || line == "" {
		return "", s, false
	}
	head := line + "\r\n"
	switch line[0] {
	case '+', '-', ':':
		return head, rest, true
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return "", s, false
		}
		if n < 0 {
			return head, rest, true
		}
		if len(rest) < n+2 {
			return "", s, false
		}
		return head + rest[:n+2], rest[n+2:], true
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return "", s, false
		}
		out := head
		for i := 0; i < n; i++ {
			var item string
			item, rest, ok = splitOne(rest)
			if !ok {
				return "", s, false
			}
			out += item
		}
		return out, rest, true
	}
	return "", s, false
}

// hashSafeOps are the writes that can neither give a key another type than
// hash nor an expiry: when a key's whole history before a read holds
// only these, a write that sets (HSET) or removes (HDEL) the fields the
// read asks for leaves them independent of everything before it, in
// every subtrace, so the history can be cut there. Without this, a field
// rewritten many times with coincident values and no whole-key reset is
// beyond the enumeration.
var hashSafeOps = map[string]bool{"HSET": true, "HMSET": true, "HSETNX": true, "HDEL": true, "HINCRBY": true, "HINCRBYFLOAT": true,
	"DEL": true, "UNLINK": true, "PERSIST": true, "FLUSHDB": true, "FLUSHALL": true}

// maxFieldScan bounds the history fieldResets reads.
const maxFieldScan = 1 << 20

// fieldResets returns, for a read of some fields of one hash (HGET,
// HEXISTS, HMGET, HSTRLEN: the table's Sub says which), the test of
// writes that set or remove all those fields (Sub again), when the key's
// history allows it; nil otherwise.
func (w *walk) fieldResets(target *formats.Event, keys []nsKey) (func(*formats.Event) bool, error) {
	// The fields the target reads, as the table declares them; a
	// target that touches the hash whole, or writes, is not cut so.
	var fields []string
	subs, ok := SubKeysOf(target)
	if !ok || len(subs) == 0 || lookup(target.Op, target.Args).Group != "hash" {
		return nil, nil
	}
	for _, sub := range subs {
		if sub.Kind != formats.KindRead {
			return nil, nil
		}
		fields = append(fields, string(sub.Sub))
	}
	if len(keys) != 1 {
		return nil, nil
	}
	k := keys[0]
	if ok, err := w.historyAll(k, target.ID, func(e *formats.Event) bool { return hashSafeOps[e.Op] }); !ok || err != nil {
		return nil, err
	}
	return func(e *formats.Event) bool {
		if e.NS != k.ns || len(e.Args) < 2 || string(e.Args[0]) != k.key {
			return false
		}
		return setsAll(e, fields)
	}, nil
}

// setsAll tells whether e sets or removes every one of parts of its first
// key, whatever they held (the table's declaration; none for a call Redis
// refuses).
func setsAll(e *formats.Event, parts []string) bool {
	set := map[string]bool{}
	subs, _ := SubKeysOf(e)
	for _, sub := range subs {
		if sub.Kind == formats.KindReset && sub.Arg == 1 {
			set[string(sub.Sub)] = true
		}
	}
	for _, p := range parts {
		if !set[p] {
			return false
		}
	}
	return true
}

// sliceSafeOps are, per data type, the calls whose effect on each part
// of a key (a member, a field) does not depend on the key's other parts,
// with the deletions of the whole key and the calls that only read it.
// A key whose history up to a request holds no other call has parts
// that are independent: a request whose output depends only on some of
// them (sliceTargets) is explained from the calls that touch those parts
// and the key's deletions. Expiry is not among them: whether EXPIRE sets
// a deadline depends on whether the key exists, which any part decides;
// nor are calls that pick parts at random (SPOP) or whose effect depends
// on other keys (SMOVE, the *STORE calls). A sorted set's history must
// also hold no score of -0 (negZeroArg): whether it is kept depends on
// the key's encoding, which its other members decide (a listpack stores
// it as 0).
var sliceSafeOps = map[string]map[string]bool{
	"set": {"SADD": true, "SREM": true, "SISMEMBER": true, "SMISMEMBER": true, "SMEMBERS": true, "SCARD": true,
		"SSCAN": true, "DEL": true, "UNLINK": true, "FLUSHDB": true, "FLUSHALL": true},
	"hash": {"HSET": true, "HMSET": true, "HSETNX": true, "HDEL": true, "HINCRBY": true, "HINCRBYFLOAT": true,
		"HGET": true, "HMGET": true, "HEXISTS": true, "HSTRLEN": true, "HGETALL": true, "HKEYS": true, "HVALS": true,
		"HLEN": true, "HSCAN": true, "DEL": true, "UNLINK": true, "FLUSHDB": true, "FLUSHALL": true},
	"sorted-set": {"ZADD": true, "ZINCRBY": true, "ZREM": true, "ZSCORE": true, "ZMSCORE": true, "ZCARD": true,
		"ZRANGE": true, "ZRANK": true, "ZREVRANK": true, "ZCOUNT": true, "ZSCAN": true, "DEL": true, "UNLINK": true,
		"FLUSHDB": true, "FLUSHALL": true},
}

// sliceTargets are the calls whose output depends only on the parts of
// their key they name (and on the key's type, which a history of
// sliceSafeOps keeps one).
var sliceTargets = map[string]bool{"SADD": true, "SREM": true, "SISMEMBER": true, "SMISMEMBER": true,
	"HSET": true, "HMSET": true, "HSETNX": true, "HDEL": true, "HGET": true, "HMGET": true, "HEXISTS": true,
	"HSTRLEN": true, "HINCRBY": true, "HINCRBYFLOAT": true,
	"ZADD": true, "ZINCRBY": true, "ZREM": true, "ZSCORE": true, "ZMSCORE": true}

// memberSlice returns, for a target in sliceTargets on one key whose
// history before it holds only that type's sliceSafeOps, the test of
// the events that touch only other parts of the key (skip: leaving them
// out changes no subtrace's output, so the witnesses are those of the
// rest), and the test of those that set or remove every part the target
// names whatever they held (reset: the target's output does not depend
// on what came before them, but for the key's type). nil otherwise. It
// reads the key's whole history (writes of its database included) to
// check it.
func (w *walk) memberSlice(target *formats.Event, keys []nsKey) (skip, reset func(*formats.Event) bool, err error) {
	cmd := lookup(target.Op, target.Args)
	if !sliceTargets[target.Op] || cmd == nil || len(keys) != 1 {
		return nil, nil, nil
	}
	safe := sliceSafeOps[cmd.Group]
	subs, ok := SubKeysOf(target)
	if !ok || len(subs) == 0 {
		return nil, nil, nil
	}
	parts := map[string]bool{}
	for _, sub := range subs {
		if sub.Arg != 1 {
			return nil, nil, nil
		}
		parts[string(sub.Sub)] = true
	}
	if cmd.Group == "sorted-set" && negZeroArg(target) {
		return nil, nil, nil
	}
	k := keys[0]
	late := false
	safeOne := func(e *formats.Event) bool {
		if lateExpiry(e, target) {
			late = true
			return true
		}
		return safe[e.Op] && !(cmd.Group == "sorted-set" && negZeroArg(e))
	}
	handled, ok, err := w.partHistory(k, target.ID, partClasses[cmd.Group], slices.Collect(maps.Keys(parts)), safeOne)
	if !handled && err == nil {
		ok, err = w.historyAll(k, target.ID, safeOne)
		if _, can := w.h.(provenance.PartHistory); can && partClasses[cmd.Group] != 0 {
			w.unindexed = len(w.read[k].evs)
		}
	}
	if !ok || err != nil {
		return nil, nil, err
	}
	w.lateTTL = late
	other, reset := partTests(k, parts)
	return func(e *formats.Event) bool { return other(e) || lateExpiry(e, target) }, reset, nil
}

// existenceHistory reports whether the target asks whether its one key
// exists and the key's whole history before it holds only calls on it
// alone that closedExists knows (existenceOnly): then the history is
// walked to its beginning, not cut at deletions, for the rule to answer
// from Init at once.
func (w *walk) existenceHistory(target *formats.Event, keys []nsKey) (bool, error) {
	if !asksExistence(target) || len(keys) != 1 || keys[0].whole || pseudoNS(keys[0].ns) {
		return false, nil
	}
	k := keys[0]
	return w.historyAll(k, target.ID, func(e *formats.Event) bool {
		return e.NS == k.ns && existenceOnly(e, target) && string(e.Args[0]) == k.key
	})
}

// lateExpiry reports whether e gives its key a time to live that ends
// after the target's time (by the log's clock): then no subtrace has the
// key expire before the target, and e changes nothing a target that does
// not read the time to live sees.
func lateExpiry(e, target *formats.Event) bool {
	var unit int64 // milliseconds an argument's unit is
	switch e.Op {
	case "EXPIRE", "EXPIREAT":
		unit = 1000
	case "PEXPIRE", "PEXPIREAT":
		unit = 1
	default:
		return false
	}
	if len(e.Args) < 2 {
		return false
	}
	n, ok := parseInt(e.Args[1])
	if !ok || n < 0 || n > math.MaxInt64/4000 {
		return false
	}
	at := n * unit
	if e.Op == "EXPIRE" || e.Op == "PEXPIRE" {
		at += e.Time / 1e6
	}
	return at > target.Time/1e6
}

// pubsubSafeOps are the commands a subscriber's connection may hold for
// channelSlice: none of them is refused or queued for what else the
// client is subscribed to.
var pubsubSafeOps = map[string]bool{"SUBSCRIBE": true, "UNSUBSCRIBE": true, "PSUBSCRIBE": true, "PUNSUBSCRIBE": true,
	"SSUBSCRIBE": true, "SUNSUBSCRIBE": true, "PING": true, "QUIT": true, "RESET": true}

// channelSlice returns, for a PUBLISH, the test of the calls that change
// no subscription it counts: another client's (un)subscriptions that
// name only other channels, shard channels, or patterns that do not
// match its channel, and its PINGs. Leaving them out changes no
// subtrace's output, when every connection that ever (un)subscribed to
// the channel or a pattern holds only pubsubSafeOps before the target
// (then a client's other subscriptions cannot get its later commands
// refused or queued). nil otherwise. (The publisher's own calls are
// never left out: whether it is subscribed decides its reply.)
func (w *walk) channelSlice(target *formats.Event) (func(*formats.Event) bool, error) {
	if target.Op != "PUBLISH" || len(target.Args) != 2 {
		return nil, nil
	}
	ch := target.Args[0]
	clients := map[string]bool{}
	for _, k := range []nsKey{{ns: channelNS, key: string(ch)}, {ns: patternNS, key: ""}} {
		ok, err := w.historyAll(k, target.ID, func(e *formats.Event) bool {
			clients[e.Client] = true
			return true
		})
		if !ok || err != nil {
			return nil, err
		}
	}
	for cl := range clients {
		if cl == target.Client {
			continue
		}
		ok, err := w.historyAll(nsKey{ns: connNS, key: cl}, target.ID, func(e *formats.Event) bool { return pubsubSafeOps[e.Op] })
		if !ok || err != nil {
			return nil, err
		}
	}
	names := func(e *formats.Event, match func(a []byte) bool) bool {
		return slices.ContainsFunc(e.Args, match)
	}
	return func(e *formats.Event) bool {
		if e.Client == target.Client || !clients[e.Client] {
			return false
		}
		switch e.Op {
		case "PING", "SSUBSCRIBE", "SUNSUBSCRIBE":
			return true
		case "SUBSCRIBE", "UNSUBSCRIBE":
			return len(e.Args) > 0 && !names(e, func(a []byte) bool { return bytes.Equal(a, ch) })
		case "PSUBSCRIBE", "PUNSUBSCRIBE":
			return len(e.Args) > 0 && !names(e, func(p []byte) bool { return globMatch(p, ch, false) })
		}
		return false
	}, nil
}

// historyAll tells whether every write of key k before an id (those of
// its whole database too, as Touching gives them) is one that ok holds
// of; false also when there are more than maxFieldScan to read.
func (w *walk) historyAll(k nsKey, before int64, ok func(*formats.Event) bool) (bool, error) {
	from := before
	var all []*formats.Event
	for {
		evs, err := w.h.Touching(w.ctx, "redis", k.ns, []byte(k.key), before, 4096)
		if err != nil {
			return false, err
		}
		for _, e := range evs {
			if !ok(e) {
				return false, nil
			}
		}
		all = append(all, evs...)
		switch {
		case len(evs) < 4096:
			if w.read == nil {
				w.read = map[nsKey]keyHistory{}
			}
			w.read[k] = keyHistory{from, all}
			return true, nil
		case len(all) > maxFieldScan:
			return false, nil
		}
		before = evs[len(evs)-1].ID
	}
}

// partHistory is historyAll's check for memberSlice, from the lists a
// provenance.PartHistory keeps: when the key's writes before an id hold
// no class but class (the target's type's, see classify), and every
// other write is ok (the writes of class are, by classify), it records
// the writes to parts and the key's other writes as the key's sliced
// history, for a cursor that skips the writes to other parts. handled
// is false when the history cannot list parts: then historyAll must
// read every write.
func (w *walk) partHistory(k nsKey, before int64, class int, parts []string, ok func(*formats.Event) bool) (handled, good bool, err error) {
	ph, can := w.h.(provenance.PartHistory)
	if !can || class == 0 {
		return false, false, nil
	}
	if idx, err := ph.PartsIndexed(w.ctx); err != nil || !idx {
		return false, false, err
	}
	key := []byte(k.key)
	classes, err := ph.Classes(w.ctx, "redis", k.ns, key, before)
	if err != nil {
		return true, false, err
	}
	if classes&^(1<<class) != 0 {
		return true, false, nil
	}
	var evs []*formats.Event
	whole, err := readAllBefore(before, func(b int64, n int) ([]*formats.Event, error) {
		return ph.WholeTouching(w.ctx, "redis", k.ns, key, b, n)
	})
	if err != nil || whole == nil {
		return true, false, err
	}
	for _, e := range whole {
		if !ok(e) {
			return true, false, nil
		}
	}
	bs := make([][]byte, len(parts))
	for i, p := range parts {
		bs[i] = []byte(p)
	}
	part, err := readAllBefore(before, func(b int64, n int) ([]*formats.Event, error) {
		return ph.PartTouching(w.ctx, "redis", k.ns, key, class, bs, b, n)
	})
	if err != nil || part == nil {
		return true, false, err
	}
	evs = append(append(evs, whole...), part...)
	sort.Slice(evs, func(i, j int) bool { return evs[i].ID > evs[j].ID })
	evs = slices.CompactFunc(evs, func(a, b *formats.Event) bool { return a.ID == b.ID })
	if w.sliced == nil {
		w.sliced = map[nsKey]keyHistory{}
	}
	w.sliced[k] = keyHistory{before, evs}
	return true, true, nil
}

// readAllBefore reads a whole history newest first, in pages, from a
// lookup like Touching; nil when it holds more than maxFieldScan events.
func readAllBefore(before int64, page func(before int64, limit int) ([]*formats.Event, error)) ([]*formats.Event, error) {
	all := []*formats.Event{}
	for {
		evs, err := page(before, 4096)
		if err != nil {
			return nil, err
		}
		all = append(all, evs...)
		switch {
		case len(evs) < 4096:
			return all, nil
		case len(all) > maxFieldScan:
			return nil, nil
		}
		before = evs[len(evs)-1].ID
	}
}

// negZeroArg tells whether an argument of e after its key reads as the
// number -0: every score of -0 a sorted set holds comes from one.
func negZeroArg(e *formats.Event) bool {
	for _, a := range e.Args[min(1, len(e.Args)):] {
		if len(a) == 0 || a[0] != '-' { // no negative number
			continue
		}
		if f, err := strconv.ParseFloat(string(a), 64); err == nil && f == 0 && math.Signbit(f) {
			return true
		}
	}
	return false
}

// partTests are memberSlice's tests of the calls on key k, for a target
// that names parts.
func partTests(k nsKey, parts map[string]bool) (skip, reset func(*formats.Event) bool) {
	names := slices.Collect(maps.Keys(parts))
	onKey := func(e *formats.Event) bool {
		return e.NS == k.ns && len(e.Args) > 0 && string(e.Args[0]) == k.key
	}
	skip = func(e *formats.Event) bool {
		if !onKey(e) {
			return false
		}
		subs, ok := SubKeysOf(e)
		if !ok {
			return false // the key whole
		}
		for _, sub := range subs {
			if sub.Arg != 1 || parts[string(sub.Sub)] {
				return false
			}
		}
		return true
	}
	reset = func(e *formats.Event) bool {
		if !onKey(e) {
			return false
		}
		if r := (Model{}).Apply(Model{}.Init(), e); len(r) > 0 && r[0] == '-' {
			return false // refused whatever the state (a value not a number): it set nothing
		}
		return setsAll(e, names)
	}
	return skip, reset
}

// argsDoubt says why e's logged arguments may not be the ones sent
// (formats.Event.Doubt), or "" when the command rules that out: a call
// read from arguments joined by spaces that has the fewest words its
// command takes cannot have had an argument with a space (it would
// have had too few), unless an argument may be hex that go-redis wrote
// for bytes, or a value an instrumentation hid or cut.
func argsDoubt(e *formats.Event) string {
	switch e.Doubt {
	case "":
		return ""
	case formats.DoubtBase64:
		return "an argument reads as base64 of text, and the library that logged it writes byte slices so (as log/slog and zap do): the bytes sent may be that text"
	case formats.DoubtStructured:
		return "an argument was logged as a JSON object or array, and the arguments the client library sent for it are not in the log"
	case formats.DoubtJoined:
		for _, a := range e.Args {
			switch {
			case string(a) == "?" || bytes.HasSuffix(a, []byte("...")):
				return fmt.Sprintf("its arguments were read from a statement in which %s may be a value the instrumentation hid or cut", formats.Quote(a))
			case maybeHex(a):
				return fmt.Sprintf("its arguments were read from a statement in which %s may be hex that go-redis writes for bytes outside printable ASCII", formats.Quote(a))
			}
		}
		c, n := lookup(e.Op, e.Args), len(e.Args)+1
		switch {
		case c != nil && n < max(c.Arity, -c.Arity): // too few words
			return "its arguments were read from one text, and as read the server would refuse the call (wrong number of arguments): the log may not hold them all"
		case c == nil || (c.Arity != n && -c.Arity != n):
			return "its arguments were read from a statement that joins them with spaces, unquoted, and a call of this many words may have had an argument holding a space"
		}
		return ""
	}
	return "its logged arguments are in doubt: " + e.Doubt
}

// maybeHex tells whether a may be hex of bytes that are not all
// printable ASCII (go-redis's rediscmd writes such an argument so).
func maybeHex(a []byte) bool {
	if len(a) < 2 || len(a)%2 != 0 {
		return false
	}
	b := make([]byte, len(a)/2)
	if _, err := hex.Decode(b, a); err != nil {
		return false
	}
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return true
		}
	}
	return false
}

// recordsDoubt replays a history that holds a service's records of its
// calls (formats.Event.ClientRecord: they stand in for the server's own
// log) in the order they were logged, with the target, and says why the
// answer is in doubt when a record's logged reply is not what the replay
// gives it, or when a record's time (a span's start) is before that of
// a record logged before it: a service logs each call when it completes,
// so calls of concurrent requests, and a blocking call (logged when it
// returned), may have run in another order than logged.
func (w *walk) recordsDoubt(c *cursor, target *formats.Event) string {
	records := target.ClientRecord
	for _, e := range c.emitted {
		records = records || e.ClientRecord
	}
	if !records {
		return ""
	}
	st := Model{}.Init().(*State)
	var prev *formats.Event                     // the last record with a time
	for i := len(c.emitted) - 1; i >= -1; i-- { // emitted is newest first
		e := target
		if i >= 0 {
			e = c.emitted[i]
		}
		if e.ClientRecord && e.Time != 0 {
			if prev != nil && e.Time == prev.Time {
				return fmt.Sprintf("%s at %s and %s at %s were logged with the same time, so the log's clock does not tell which ran first", prev.Op, prev.Where(), e.Op, e.Where())
			}
			if prev != nil && e.Time < prev.Time {
				return fmt.Sprintf("%s at %s began at %s, before %s at %s (%s), which its service logged first: "+
					"a service logs each call when it completes (a span when it ends), so the order the calls ran in is not the log's",
					e.Op, e.Where(), time.Unix(0, e.Time).UTC().Format("15:04:05.000000"), prev.Op, prev.Where(), time.Unix(0, prev.Time).UTC().Format("15:04:05.000000"))
			}
			prev = e
		}
		out := apply(st, e)
		switch out {
		case rBlocked, rNotBlocked, rUnknown, rUnknownEnd, rUnknownScan, rHelp, rExecUnknown, rUnknownOrderUnsub, rNotRun:
			continue // labelled on its own
		}
		if e.ClientRecord && e.HasReply() && e.Op != deliverOp && !w.spec.SameOutput(e.Reply, provenance.Output(out)) {
			return fmt.Sprintf("%s at %s logged the reply %s, but the service's records of its calls, replayed in the order it logged them, give %s: "+
				"a service logs each call when it completes, so calls of concurrent requests (and a blocking call, logged when it returned) may have run in another order; or calls are missing, or the records do not show the values sent",
				e.Op, e.Where(), formats.Quote(e.Reply), w.spec.ShowOutput(provenance.Output(out)))
		}
	}
	return ""
}
