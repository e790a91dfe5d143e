// Package redis is wat's spec for Redis: a replayable model of the
// server (strings, keys, hashes, lists, sets, expiry, several databases)
// and an exact wat-provenance engine over a MONITOR trace.
//
// A request's output depends on a few keys. The spec walks back through
// the history of those keys only, following RENAME, COPY, MOVE, SWAPDB and
// MSETNX to the keys they read, and hands that slice to provenance.Solve
// with the writes that reset every tracked key as cut points, so the work
// grows with the writes since the last reset, not with the trace. When a
// stretch between resets is too long to enumerate, the answer falls back
// to the paper's rule (the last reset and every later write: one closed
// witness, perhaps not minimal) and says it is not exact.
package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

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
	return "Redis: strings, keys, hashes, lists, sets, expiry and databases, replayed from MONITOR"
}

func (spec) Model() provenance.Model { return Model{} }

// Ops lists the commands the model replays.
func (spec) Ops() []string {
	var out []string
	for op := range modelled {
		out = append(out, op)
	}
	sort.Strings(out)
	return out
}

var modelled = map[string]bool{}

func init() {
	for _, op := range strings.Fields(`GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX MSET MSETNX APPEND
		SETRANGE INCR INCRBY INCRBYFLOAT DECR DECRBY STRLEN GETRANGE MGET DEL UNLINK EXISTS TYPE RENAME
		RENAMENX COPY MOVE EXPIRE PEXPIRE EXPIREAT PEXPIREAT PERSIST FLUSHDB FLUSHALL SWAPDB SELECT HSET
		HMSET HSETNX HGET HMGET HGETALL HDEL HINCRBY HLEN HEXISTS LPUSH RPUSH LPOP RPOP LRANGE LLEN LINDEX
		LSET SADD SREM SMEMBERS SISMEMBER SCARD`) {
		modelled[op] = true
	}
}

// reads are the modelled commands that change nothing.
var reads = map[string]bool{
	"GET": true, "STRLEN": true, "GETRANGE": true, "MGET": true, "EXISTS": true, "TYPE": true,
	"HGET": true, "HMGET": true, "HGETALL": true, "HLEN": true, "HEXISTS": true, "LRANGE": true,
	"LLEN": true, "LINDEX": true, "SMEMBERS": true, "SISMEMBER": true, "SCARD": true, "SELECT": true,
}

// ttlOps are the commands that can set a deadline.
var ttlOps = map[string]bool{
	"SET": true, "SETEX": true, "PSETEX": true, "GETEX": true, "EXPIRE": true, "PEXPIRE": true,
	"EXPIREAT": true, "PEXPIREAT": true,
}

// Refs returns the keys an event touches and how, for the store's index.
func (spec) Refs(e *formats.Event) []formats.Ref { return refs(e) }

func ref(ns string, k []byte, kind int) formats.Ref { return formats.Ref{NS: ns, Key: k, Kind: kind} }

func refs(e *formats.Event) []formats.Ref {
	a, ns := e.Args, e.NS
	all := func(kind int, keys [][]byte) []formats.Ref {
		out := make([]formats.Ref, len(keys))
		for i, k := range keys {
			out[i] = ref(ns, k, kind)
		}
		return out
	}
	switch e.Op {
	case "MGET", "EXISTS":
		return all(formats.KindRead, a)
	case "SET":
		if len(a) < 2 {
			return nil
		}
		if plainSet(a[2:]) {
			return all(formats.KindReset, a[:1])
		}
		return all(formats.KindWrite, a[:1])
	case "SETEX", "PSETEX":
		if len(a) == 3 {
			if t, ok := parseInt(a[1]); ok && t > 0 && t < 1<<40 {
				return all(formats.KindReset, a[:1])
			}
		}
		return all(formats.KindWrite, a[:1])
	case "MSET", "MSETNX":
		var keys [][]byte
		for i := 0; i < len(a); i += 2 {
			keys = append(keys, a[i])
		}
		if e.Op == "MSET" && len(a)%2 == 0 {
			return all(formats.KindReset, keys)
		}
		return all(formats.KindWrite, keys)
	case "DEL", "UNLINK":
		return all(formats.KindReset, a)
	case "RENAME", "RENAMENX":
		if len(a) != 2 {
			return nil
		}
		srcKind := formats.KindWrite
		if e.Op == "RENAME" && string(a[0]) != string(a[1]) {
			srcKind = formats.KindReset // gone afterwards, or never there
		}
		return []formats.Ref{ref(ns, a[0], srcKind), ref(ns, a[1], formats.KindWrite)}
	case "COPY":
		if len(a) < 2 {
			return nil
		}
		return []formats.Ref{ref(ns, a[0], formats.KindRead), ref(copyDB(e), a[1], formats.KindWrite)}
	case "MOVE":
		if len(a) != 2 {
			return nil
		}
		out := []formats.Ref{ref(ns, a[0], formats.KindWrite)}
		if d, ok := dbIndex(string(a[1])); ok && strconv.Itoa(d) != ns {
			out = append(out, ref(strconv.Itoa(d), a[0], formats.KindWrite))
		}
		return out
	case "FLUSHDB":
		return []formats.Ref{ref(ns, nil, flushKind(a))}
	case "FLUSHALL":
		return []formats.Ref{ref(formats.AllNS, nil, flushKind(a))}
	case "SWAPDB":
		if len(a) != 2 {
			return nil
		}
		x, ok1 := dbIndex(string(a[0]))
		y, ok2 := dbIndex(string(a[1]))
		if !ok1 || !ok2 || x == y {
			return nil
		}
		return []formats.Ref{ref(strconv.Itoa(x), nil, formats.KindWrite), ref(strconv.Itoa(y), nil, formats.KindWrite)}
	case "SELECT":
		return nil
	}
	if len(a) == 0 || (readOnly[e.Op] && !modelled[e.Op]) {
		// Commands without keys, and unmodelled reads whose first argument
		// may not be a key (ECHO, CONFIG ...).
		return nil
	}
	if reads[e.Op] {
		return all(formats.KindRead, a[:1])
	}
	return all(formats.KindWrite, a[:1])
}

// plainSet reports whether SET's options make it a reset: valid, and
// without NX, XX, GET or KEEPTTL.
func plainSet(opts [][]byte) bool {
	unit := ""
	for i := 0; i < len(opts); i++ {
		o := strings.ToUpper(string(opts[i]))
		switch o {
		case "EX", "PX", "EXAT", "PXAT":
			if (unit != "" && unit != o) || i+1 >= len(opts) {
				return false
			}
			t, ok := parseInt(opts[i+1])
			if !ok || t <= 0 || t > 1<<50 {
				return false
			}
			unit = o
			i++
		default:
			return false
		}
	}
	return true
}

func flushKind(a [][]byte) int {
	if len(a) == 0 || (len(a) == 1 && (eqFold(a[0], "ASYNC") || eqFold(a[0], "SYNC"))) {
		return formats.KindReset
	}
	return formats.KindWrite
}

func copyDB(e *formats.Event) string {
	for i := 2; i+1 < len(e.Args); i++ {
		if eqFold(e.Args[i], "DB") {
			if d, ok := dbIndex(string(e.Args[i+1])); ok {
				return strconv.Itoa(d)
			}
		}
	}
	return e.NS
}

// A nsKey names one key of one database.
type nsKey struct{ ns, key string }

// outKeys returns the keys the target's output depends on; an empty list
// means the output depends on nothing (SET's "OK").
func outKeys(e *formats.Event) []nsKey {
	switch e.Op {
	case "SETEX", "PSETEX", "MSET", "FLUSHDB", "FLUSHALL", "SWAPDB", "SELECT":
		return nil
	case "SET":
		if len(e.Args) >= 2 && plainSet(e.Args[2:]) {
			return nil
		}
	}
	var out []nsKey
	for _, r := range refs(e) {
		if r.Key != nil {
			out = append(out, nsKey{r.NS, string(r.Key)})
		}
	}
	return out
}

// pulls returns the keys whose state before e decides e's effect on k.
func pulls(e *formats.Event, k nsKey) []nsKey {
	a := e.Args
	key := func(b []byte) nsKey { return nsKey{e.NS, string(b)} }
	switch e.Op {
	case "RENAME", "RENAMENX":
		if len(a) == 2 && k == key(a[1]) {
			return []nsKey{key(a[0])}
		}
		if len(a) == 2 && e.Op == "RENAMENX" && k == key(a[0]) {
			return []nsKey{key(a[1])}
		}
	case "COPY":
		if len(a) >= 2 {
			return []nsKey{key(a[0])}
		}
	case "MOVE":
		if len(a) == 2 {
			d, ok := dbIndex(string(a[1]))
			if !ok {
				return nil
			}
			if k.ns == e.NS {
				return []nsKey{{strconv.Itoa(d), k.key}}
			}
			return []nsKey{key(a[0])}
		}
	case "SWAPDB":
		for _, r := range refs(e) {
			if r.NS != k.ns {
				return []nsKey{{r.NS, k.key}}
			}
		}
	case "MSETNX":
		var out []nsKey
		for i := 0; i < len(a); i += 2 {
			if key(a[i]) != k {
				out = append(out, key(a[i]))
			}
		}
		return out
	}
	return nil
}

// kindFor returns what e does to key k: -1 when it does not touch it.
func kindFor(e *formats.Event, k nsKey) int {
	kind := -1
	for _, r := range refs(e) {
		if (r.NS == k.ns || r.NS == formats.AllNS) && (r.Key == nil || string(r.Key) == k.key) {
			if r.Kind > kind {
				kind = r.Kind
			}
		}
	}
	return kind
}

// Explain computes the wat-provenance of target.
func (s spec) Explain(ctx context.Context, h provenance.History, target *formats.Event) (*provenance.Explanation, error) {
	if target.System != "redis" {
		return nil, fmt.Errorf("%s is a %s request, not redis: %w", target.Where(), target.System, provenance.ErrNotExplainable)
	}
	if !modelled[target.Op] {
		return nil, fmt.Errorf("%s: %s is not a command wat models (see 'wat specs'): %w", target.Where(), target.Op, provenance.ErrNotExplainable)
	}
	x := &provenance.Explanation{Target: target, Exact: true}
	keys := outKeys(target)
	if len(keys) == 0 {
		x.Output = Model{}.Apply(Model{}.Init(), target)
		x.Notes = append(x.Notes, fmt.Sprintf("%s's reply does not depend on any earlier request", target.Op))
		return x, nil
	}
	c := newCursor(ctx, h, target.ID, keys)
	if fr, err := fieldResets(ctx, h, target, keys); err != nil {
		return nil, err
	} else if fr != nil {
		c.fieldReset = fr
	}
	ws, out, err := provenance.Solve(provenance.Problem{
		Model:  Model{},
		Target: target,
		Older:  c.older,
		Reset:  c.isReset,
		Limit:  s.opt.Limit,
	})
	x.Output = out
	switch {
	case errors.Is(err, provenance.ErrTooLarge):
		fb, err2 := s.fallback(ctx, h, target, keys)
		if err2 != nil {
			return nil, err2
		}
		x.Exact = false
		x.Notes = append(x.Notes, fmt.Sprintf("not exact: %v; shown is one closed witness (the last reset of the key and every later write), which may not be minimal", err))
		ws, x.Output = [][]*formats.Event{fb.events}, fb.out
		c = fb.cursor
	case err != nil:
		return nil, err
	}
	fs, ok := provenance.Factorize(ws)
	if !ok {
		return nil, fmt.Errorf("internal error: no witness for %s", target.Where())
	}
	x.Factors = fs
	s.annotate(x, c)
	return x, nil
}

// annotate adds the notes every answer needs: time, unmodelled commands,
// and the start of the capture.
func (spec) annotate(x *provenance.Explanation, c *cursor) {
	var unknown []string
	for _, e := range c.emitted {
		if ttlOps[e.Op] && setsTTL(e) {
			x.TimeDependent = true
		}
		if !modelled[e.Op] && len(unknown) < 3 {
			unknown = append(unknown, fmt.Sprintf("%s at %s", e.Op, e.Where()))
		}
	}
	if x.TimeDependent {
		x.Notes = append(x.Notes, "depends on time: key expiry is replayed from the log's timestamps, not from a logged request")
	}
	if len(unknown) > 0 {
		x.Exact = false
		x.Notes = append(x.Notes, "not exact: the keys were changed by commands wat does not model ("+strings.Join(unknown, ", ")+"), replayed as if they changed nothing")
	}
	if c.exhausted && !c.sawReset {
		x.Notes = append(x.Notes, "the explanation reaches the start of the capture: it assumes the keys did not exist before it")
	}
}

func setsTTL(e *formats.Event) bool {
	if e.Op != "SET" && e.Op != "GETEX" {
		return true
	}
	for _, a := range e.Args[1:] {
		switch strings.ToUpper(string(a)) {
		case "EX", "PX", "EXAT", "PXAT":
			return true
		}
	}
	return false
}

type fallback struct {
	events []*formats.Event
	out    provenance.Output
	cursor *cursor
}

// maxFallback bounds the writes the fallback witness lists.
const maxFallback = 1 << 20

// fallback returns the last reset of every tracked key and every later
// write: a closed witness, since everything before it is overwritten.
func (spec) fallback(ctx context.Context, h provenance.History, target *formats.Event, keys []nsKey) (*fallback, error) {
	c := newCursor(ctx, h, target.ID, keys)
	var evs []*formats.Event
	for {
		batch, err := c.older(4096)
		if err != nil {
			return nil, err
		}
		stop := false
		for _, e := range batch {
			evs = append(evs, e)
			if c.isReset(e) {
				stop = true
				break
			}
		}
		if stop || len(batch) < 4096 {
			break
		}
		if len(evs) > maxFallback {
			return nil, fmt.Errorf("%s: more than %d writes since the last reset of its keys", target.Where(), maxFallback)
		}
	}
	m := Model{}
	st := m.Init()
	for i := len(evs) - 1; i >= 0; i-- {
		m.Apply(st, evs[i])
	}
	out := m.Apply(st, target)
	for i, j := 0, len(evs)-1; i < j; i, j = i+1, j-1 {
		evs[i], evs[j] = evs[j], evs[i]
	}
	return &fallback{events: evs, out: out, cursor: c}, nil
}

// A cursor merges the histories of the tracked keys, newest first,
// adding the keys that cross-key commands read as it passes them.
type cursor struct {
	ctx       context.Context
	h         provenance.History
	srcs      []*source
	keys      []nsKey
	tracked   map[nsKey]bool
	seen      map[int64]bool
	at        map[*formats.Event]int // how many keys were tracked when e was emitted
	emitted   []*formats.Event
	exhausted bool
	sawReset  bool
	// fieldReset, when set, also cuts the history at writes that set the
	// hash fields the target reads (see fieldResets).
	fieldReset func(*formats.Event) bool
}

type source struct {
	k      nsKey
	before int64
	buf    []*formats.Event
	done   bool
}

func newCursor(ctx context.Context, h provenance.History, before int64, keys []nsKey) *cursor {
	c := &cursor{ctx: ctx, h: h, tracked: map[nsKey]bool{}, seen: map[int64]bool{}, at: map[*formats.Event]int{}}
	for _, k := range keys {
		c.track(k, before)
	}
	return c
}

func (c *cursor) track(k nsKey, before int64) {
	if c.tracked[k] {
		return
	}
	c.tracked[k] = true
	c.keys = append(c.keys, k)
	c.srcs = append(c.srcs, &source{k: k, before: before})
}

func (c *cursor) fill(s *source) error {
	if len(s.buf) > 0 || s.done {
		return nil
	}
	const batch = 256
	evs, err := c.h.Touching(c.ctx, "redis", s.k.ns, []byte(s.k.key), s.before, batch)
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
		c.at[e] = len(c.keys)
		for _, k := range c.keys {
			if kindFor(e, k) >= formats.KindWrite {
				for _, p := range pulls(e, k) {
					c.track(p, e.ID)
				}
			}
		}
		c.emitted = append(c.emitted, e)
		out = append(out, e)
	}
	return out, nil
}

// isReset reports whether e resets every key tracked when it was reached.
func (c *cursor) isReset(e *formats.Event) bool {
	n, ok := c.at[e]
	if !ok {
		return false
	}
	if c.fieldReset != nil && n == 1 && c.fieldReset(e) {
		c.sawReset = true
		return true
	}
	for _, k := range c.keys[:n] {
		if kindFor(e, k) != formats.KindReset {
			return false
		}
	}
	c.sawReset = true
	return true
}

// ShowOutput renders a RESP2 reply on one line, close to redis-cli's
// words: "alice" (quoted and escaped), (integer) 3, (nil), OK, (error) ...,
// and arrays as [item, item].
func (spec) ShowOutput(o provenance.Output) string {
	s, _ := showRESP(string(o))
	return s
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

// hashSafeOps are the writes that can neither give a key another type than
// hash nor an expiry: when a key's whole history before a read holds
// only these, a write that sets (HSET) or removes (HDEL) the fields the
// read asks for leaves them independent of everything before it, in
// every subtrace, so the history can be cut there. Without this, a field
// rewritten many times with coincident values and no whole-key reset is
// beyond the enumeration.
var hashSafeOps = map[string]bool{"HSET": true, "HMSET": true, "HSETNX": true, "HDEL": true, "HINCRBY": true,
	"DEL": true, "UNLINK": true, "PERSIST": true, "FLUSHDB": true, "FLUSHALL": true}

// maxFieldScan bounds the history fieldResets reads.
const maxFieldScan = 1 << 20

// fieldResets returns, for a read of some fields of one hash (HGET,
// HEXISTS, HMGET), the test of writes that set or remove all those
// fields, when the key's history allows it; nil otherwise.
func fieldResets(ctx context.Context, h provenance.History, target *formats.Event, keys []nsKey) (func(*formats.Event) bool, error) {
	var fields []string
	switch target.Op {
	case "HGET", "HEXISTS":
		if len(target.Args) != 2 {
			return nil, nil
		}
		fields = []string{string(target.Args[1])}
	case "HMGET":
		if len(target.Args) < 2 {
			return nil, nil
		}
		for _, f := range target.Args[1:] {
			fields = append(fields, string(f))
		}
	default:
		return nil, nil
	}
	if len(keys) != 1 {
		return nil, nil
	}
	k := keys[0]
	before, scanned := target.ID, 0
	for {
		evs, err := h.Touching(ctx, "redis", k.ns, []byte(k.key), before, 4096)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			if !hashSafeOps[e.Op] {
				return nil, nil
			}
		}
		scanned += len(evs)
		if len(evs) < 4096 {
			break
		}
		if scanned > maxFieldScan {
			return nil, nil
		}
		before = evs[len(evs)-1].ID
	}
	return func(e *formats.Event) bool {
		if e.NS != k.ns || len(e.Args) < 2 || string(e.Args[0]) != k.key {
			return false
		}
		set := map[string]bool{}
		switch e.Op {
		case "HSET", "HMSET":
			if len(e.Args)%2 != 1 {
				return false // wrong arity: an error, no change
			}
			for i := 1; i < len(e.Args); i += 2 {
				set[string(e.Args[i])] = true
			}
		case "HDEL":
			for _, f := range e.Args[1:] {
				set[string(f)] = true
			}
		default:
			return false
		}
		for _, f := range fields {
			if !set[f] {
				return false
			}
		}
		return true
	}, nil
}
