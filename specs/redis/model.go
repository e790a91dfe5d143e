package redis

import (
	"maps"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// Databases is the number of databases the model assumes (Redis's
// default).
const Databases = 16

// Replies, as RESP2 bytes.
const (
	rOK        = "+OK\r\n"
	rNil       = "$-1\r\n"
	rNilArray  = "*-1\r\n"
	rEmpty     = "*0\r\n"
	rEmptyBulk = "$0\r\n\r\n"
	rZero      = ":0\r\n"
	rOne       = ":1\r\n"
	rQueued    = "+QUEUED\r\n"

	eWrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
	eNotInt    = "-ERR value is not an integer or out of range\r\n"
	eNotFloat  = "-ERR value is not a valid float\r\n"
	eSyntax    = "-ERR syntax error\r\n"
	eOverflow  = "-ERR increment or decrement would overflow\r\n"
	eNoKey     = "-ERR no such key\r\n"
	eSame      = "-ERR source and destination objects are the same\r\n"
	eDBRange   = "-ERR DB index is out of range\r\n"
	ePositive  = "-ERR value is out of range, must be positive\r\n"
	eTimeout   = "-ERR timeout is not a float or out of range\r\n"
	eTimeNeg   = "-ERR timeout is negative\r\n"
)

// rBlocked is the output of a blocking command at the moment it blocks:
// not a reply (no RESP value starts with a NUL byte); the reply comes when
// a later request serves the client, and is then the command's output
// (see [Explain]).
const rBlocked = "\x00blocked\r\n"

// rNotRun is the output of a command the model does not run.
const rNotRun = "\x00not modelled\r\n"

// rUnknown is the output of a command whose reply depends on what no log
// holds (Command.Unknown).
const rUnknown = "\x00unknown\r\n"

func eArity(cmd string) string {
	return "-ERR wrong number of arguments for '" + strings.ToLower(cmd) + "' command\r\n"
}

func eExpire(cmd string) string {
	return "-ERR invalid expire time in '" + strings.ToLower(cmd) + "' command\r\n"
}

// Value types.
const (
	tString = 's'
	tHash   = 'h'
	tList   = 'l'
	tSet    = 'z'
	tZSet   = 'Z'
	tStream = 'x'
)

// typeNames are the words TYPE replies with.
var typeNames = map[byte]string{tString: "string", tHash: "hash", tList: "list", tSet: "set", tZSet: "zset", tStream: "stream"}

// Encoding limits, Redis 7.0's defaults (config.c; Debian's redis.conf
// says the same; a MONITOR capture cannot show a CONFIG SET of them):
// below them a hash or a sorted set is a listpack (a hash keeps insertion
// order), and a set of integers an intset (kept sorted); above them, or
// once a value is too long, the key becomes a hash table for good, whose
// order the log does not tell.
const (
	hashMaxListpackEntries = 512
	hashMaxListpackValue   = 64
	setMaxIntsetEntries    = 512
	zsetMaxListpackEntries = 128
	zsetMaxListpackValue   = 64
)

// A value is one key's value. Values are copied on write: a state's
// Clone shares them, and the first change in a state copies the value
// into that state (see run.mut).
type value struct {
	owner  *State // the state that may change the value in place
	typ    byte
	str    []byte
	fields []string // hash fields in insertion order
	hash   map[string][]byte
	bigMap bool // a hash table (a hash or set past its compact encoding): order unknown
	list   [][]byte
	// lbuf is list's backing array with room before it, when a push at
	// the head made it so: list is lbuf[lfront:] (see pushFront).
	lbuf   [][]byte
	lfront int
	set    map[string]bool
	zset   *zset
	stream *stream
	expire int64 // Unix ms deadline; 0 for none
}

func (v *value) copy(owner *State) *value {
	c := &value{owner: owner, typ: v.typ, str: v.str, bigMap: v.bigMap, expire: v.expire}
	if v.hash != nil {
		c.fields = append([]string(nil), v.fields...)
		c.hash = maps.Clone(v.hash)
	}
	if v.list != nil {
		c.list = append([][]byte(nil), v.list...)
	}
	c.set = maps.Clone(v.set)
	if v.zset != nil {
		c.zset = v.zset.copy()
	}
	if v.stream != nil {
		c.stream = v.stream.copy()
	}
	return c
}

func (v *value) empty() bool {
	switch v.typ {
	case tHash:
		return len(v.hash) == 0
	case tList:
		return len(v.list) == 0
	case tSet:
		return len(v.set) == 0
	case tZSet:
		return v.zset.len() == 0
	}
	return false
}

// A db maps keys to values.
type db map[string]*value

// State is the model's state: Redis's databases, the connections' own
// state (transactions, watched keys, subscriptions, blocked commands), the
// script cache and the libraries of functions.
type State struct {
	dbs   [Databases]db
	conns map[string]*conn // by MONITOR's client address
	// scripts maps the SHA1 of each script body the server has cached
	// (EVAL, SCRIPT LOAD) to the body.
	scripts map[string]string
	// blocked lists the clients waiting in blocking commands, in the
	// order they blocked (Redis serves a key's clients first come, first
	// served).
	blocked []*block
	// ready lists keys written while clients wait on them, in order,
	// with when, until they are served.
	ready []readyKey
	// results holds the replies that blocked commands got later, by the
	// event ID of the command.
	results map[int64]string
	// funcs is what the model knows of Redis's libraries of functions
	// (functions.go); nil at the start of a capture (nothing known).
	funcs *funcState
	// shared marks maps a Clone shares with its source (copied before
	// the first change).
	sharedScripts, sharedResults, sharedFuncs bool
}

// A dbKey is one key of one database.
type dbKey struct {
	db  int
	key string
}

// A conn is one client connection's state.
type conn struct {
	owner   *State
	multi   bool
	queued  []string // replies of the commands run since MULTI
	watched []watched
	dirty   bool // a watched key was changed since WATCH
	name    string
	resp    int             // 3 after HELLO 3
	subs    map[string]bool // channels
	psubs   []string        // patterns, in the order subscribed
	ssubs   map[string]bool // shard channels
	// pending lists keys clients wait on that the transaction's commands
	// wrote: Redis serves them when EXEC ends.
	pending []dbKey

	// dirtyUnknown: a watched key may have been changed since WATCH (an
	// approximate stream trim that may have removed entries): whether an
	// empty EXEC ran is not known.
	dirtyUnknown bool
}

type watched struct {
	k dbKey
	// expires is the key's deadline when it was watched (0: none or no
	// key): EXEC fails when it passes before EXEC.
	expires int64
}

func (c *conn) copy(owner *State) *conn {
	n := &conn{owner: owner, multi: c.multi, dirty: c.dirty, dirtyUnknown: c.dirtyUnknown, name: c.name, resp: c.resp}
	n.queued = append([]string(nil), c.queued...)
	n.watched = append([]watched(nil), c.watched...)
	n.pending = append([]dbKey(nil), c.pending...)
	n.subs = maps.Clone(c.subs)
	n.psubs = append([]string(nil), c.psubs...)
	n.ssubs = maps.Clone(c.ssubs)
	return n
}

// Model is Redis 7.0 as a deterministic state machine, replaying a
// MONITOR capture.
//
// The trace is the server's execution order as MONITOR prints it: every
// logged command is a request, executed where its line is. A command
// queued in a transaction is logged, and runs, when EXEC runs it; a
// script's redis.call is a request at its [lua] line. A request's output
// is its reply: for a queued command, its element of EXEC's array; EXEC's
// output collects them (or is nil when a watched key changed). Each
// request runs in the database its line names, so SELECT changes nothing
// here. Key expiry is replayed from the timestamps. A blocking command
// that finds nothing waits: a later push serves it (first come, first
// served, after the pushing command, EXEC or script finishes) and that
// reply is its output; the log's clock times it out.
//
// Replies are RESP2 bytes. A reply whose order the history does not fix
// (a hash table's) is sorted, so that it compares as a set.
type Model struct{}

var _ provenance.Model = Model{}

// Init returns empty databases.
func (Model) Init() provenance.State { return &State{} }

// Clone copies a state; values and connections are shared until changed.
func (Model) Clone(s provenance.State) provenance.State {
	src := s.(*State)
	c := &State{scripts: src.scripts, results: src.results, funcs: src.funcs, sharedScripts: true, sharedResults: true, sharedFuncs: true}
	for i, d := range src.dbs {
		if d == nil {
			continue
		}
		c.dbs[i] = make(db, len(d))
		for k, v := range d {
			c.dbs[i][k] = v
		}
	}
	if src.conns != nil {
		c.conns = make(map[string]*conn, len(src.conns))
		for k, v := range src.conns {
			c.conns[k] = v
		}
	}
	if len(src.blocked) > 0 {
		c.blocked = append([]*block(nil), src.blocked...)
	}
	if len(src.ready) > 0 {
		c.ready = append([]readyKey(nil), src.ready...)
	}
	return c
}

// Fingerprint renders a state canonically.
func (Model) Fingerprint(s provenance.State) string {
	st := s.(*State)
	var b strings.Builder
	for i, d := range st.dbs {
		for _, k := range sortedKeys(d) {
			v := d[k]
			b.WriteString(strconv.Itoa(i))
			b.WriteByte(0)
			b.WriteString(strconv.Quote(k))
			b.WriteByte(v.typ)
			b.WriteString(strconv.FormatInt(v.expire, 10))
			if v.bigMap {
				b.WriteByte('!')
			}
			b.WriteString(strconv.Quote(string(v.str)))
			if t := tailOf(v.str); t != 0 {
				// The byte Redis holds after an HLL string (hyperloglog.go).
				b.WriteString("+" + strconv.Itoa(int(t)))
			}
			for _, f := range v.fields {
				b.WriteString(strconv.Quote(f) + "=" + strconv.Quote(string(v.hash[f])))
			}
			for _, x := range v.list {
				b.WriteString(strconv.Quote(string(x)))
			}
			for _, m := range sortedKeys(v.set) {
				b.WriteString(strconv.Quote(m))
			}
			if v.zset != nil {
				v.zset.fingerprint(&b)
			}
			if v.stream != nil {
				v.stream.fingerprint(&b)
			}
			b.WriteByte('\n')
		}
	}
	for _, n := range sortedKeys(st.conns) {
		c := st.conns[n]
		b.WriteString("conn " + strconv.Quote(n))
		writeMarks(&b, mark{c.multi, " multi"}, mark{c.dirty, " dirty"}, mark{c.dirtyUnknown, " dirty?"})
		b.WriteString(" " + strconv.Quote(c.name) + " " + strconv.Itoa(c.resp))
		for _, q := range c.queued {
			b.WriteString(" " + strconv.Quote(q))
		}
		for _, w := range c.watched {
			b.WriteString(" w" + strconv.Itoa(w.k.db) + ":" + strconv.Quote(w.k.key) + ":" + strconv.FormatInt(w.expires, 10))
		}
		for _, s := range sortedKeys(c.subs) {
			b.WriteString(" s" + strconv.Quote(s))
		}
		for _, s := range c.psubs {
			b.WriteString(" p" + strconv.Quote(s))
		}
		for _, s := range sortedKeys(c.ssubs) {
			b.WriteString(" S" + strconv.Quote(s))
		}
		for _, k := range c.pending {
			b.WriteString(" r" + strconv.Itoa(k.db) + ":" + strconv.Quote(k.key))
		}
		b.WriteByte('\n')
	}
	for _, sha := range sortedKeys(st.scripts) {
		b.WriteString("script " + sha + "\n")
	}
	st.funcs.fingerprint(&b)
	for _, bl := range st.blocked {
		b.WriteString("blocked " + strconv.FormatInt(bl.id, 10) + "\n")
	}
	for _, k := range st.ready {
		b.WriteString("ready " + strconv.Itoa(k.k.db) + ":" + strconv.Quote(k.k.key) + " " + strconv.FormatInt(k.at, 10) + "\n")
	}
	ids := make([]int64, 0, len(st.results))
	for id := range st.results {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		b.WriteString("result " + strconv.FormatInt(id, 10) + " " + strconv.Quote(st.results[id]) + "\n")
	}
	return b.String()
}

// dbIndex parses a database number as Redis does.
func dbIndex(s string) (int, bool) {
	n, ok := parseInt([]byte(s))
	if !ok || n < 0 || n >= Databases {
		return 0, false
	}
	return int(n), true
}

// run is one command's execution context.
type run struct {
	s    *State
	e    *formats.Event
	cmd  *Command
	d    int   // the database
	now  int64 // Unix ms
	op   string
	argv [][]byte // the call, the name first
	// args are the arguments after the name, or after the subcommand for
	// a subcommand's entry.
	args   [][]byte
	client string
	// inScript is set for a command a script runs: it never blocks, and
	// blocked clients are served when the script ends.
	inScript bool
	// queued is set for a command run in a transaction: it never blocks.
	queued bool
}

// Apply runs one event and returns its output.
func (Model) Apply(st provenance.State, e *formats.Event) provenance.Output {
	return provenance.Output(apply(st.(*State), e))
}

func apply(s *State, e *formats.Event) string {
	if e.Op == deliverOp {
		return deliver(s, e)
	}
	d, ok := dbIndex(e.NS)
	if !ok {
		d = 0
	}
	lua := e.Client == "lua"
	if !lua {
		// What happened since the last request: a script ended (its
		// writes serve waiting clients), timeouts passed.
		s.serve()
		s.timeouts(e.Time)
	}
	r := &run{s: s, e: e, d: d, now: e.Time / 1e6, op: e.Op, argv: argv(e), client: e.Client, inScript: lua}
	out := r.dispatch()
	if !lua {
		if c := s.conns[e.Client]; c == nil || !c.multi {
			s.serve()
		}
	}
	return out
}

// dispatch finds the command's table entry, checks its arity, and runs
// it, in a transaction when the client is in one.
func (r *run) dispatch() string {
	cmd := lookup(r.op, r.argv[1:])
	if cmd == nil {
		return unknownCommand(r.argv)
	}
	r.cmd = cmd
	if cmd.container() {
		if len(r.argv) < 2 {
			return eArity(cmd.Name)
		}
		return "-ERR unknown subcommand '" + string(r.argv[1]) + "'. Try " + cmd.Name + " HELP.\r\n"
	}
	if !cmd.arityOK(len(r.argv)) {
		return eArity(strings.ReplaceAll(cmd.Name, "|", " "))
	}
	r.args = r.argv[1:]
	if strings.Contains(cmd.Name, "|") {
		r.args = r.argv[2:]
	}
	c := r.s.conns[r.client]
	if c != nil && c.multi && !r.inScript && !transactionControl[cmd.Name] {
		r.queued = true
		out := r.exec(cmd)
		c = r.mutConn()
		c.queued = append(c.queued, out)
		return out
	}
	return r.exec(cmd)
}

func (r *run) exec(cmd *Command) string {
	switch {
	case cmd.Unknown != "":
		return rUnknown
	case cmd.Run == nil:
		return rNotRun
	}
	return cmd.Run(r)
}

// unknownCommand is Redis's reply to a command it does not know.
func unknownCommand(argv [][]byte) string {
	var b strings.Builder
	b.WriteString("-ERR unknown command '" + string(argv[0]) + "', with args beginning with: ")
	for _, a := range argv[1:] {
		b.WriteString("'" + string(a) + "' ")
	}
	b.WriteString("\r\n")
	return b.String()
}

func (r *run) db(i int) db {
	if r.s.dbs[i] == nil {
		r.s.dbs[i] = db{}
	}
	return r.s.dbs[i]
}

// getIn returns a live key's value, dropping it when expired. The value
// may be shared with other states: read it, or call mut to change it.
func (r *run) getIn(i int, k []byte) *value {
	d := r.s.dbs[i]
	if d == nil {
		return nil
	}
	v := d[string(k)]
	if v != nil && v.expire != 0 && r.now > v.expire {
		delete(d, string(k))
		return nil
	}
	return v
}

func (r *run) get(k []byte) *value { return r.getIn(r.d, k) }

// mut returns the key's value, owned by this state so that it may be
// changed in place, and notes the key as changed.
func (r *run) mut(k []byte, v *value) *value {
	return r.mutIn(r.d, k, v)
}

func (r *run) mutIn(i int, k []byte, v *value) *value {
	if v.owner != r.s {
		v = v.copy(r.s)
		r.db(i)[string(k)] = v
	}
	r.modified(i, k)
	return v
}

// own makes the key's value this state's own, to change in place,
// without the signals run.mut sends: Redis tells WATCH and waiting
// clients of a change only where a command says so (a stream's
// signalModified and signalReady; SORT's change of a sorted set's
// encoding tells nobody).
func (r *run) own(k []byte, v *value) *value {
	if v.owner != r.s {
		v = v.copy(r.s)
		r.db(r.d)[string(k)] = v
	}
	return v
}

// set stores a new value under a key and notes the key as changed.
func (r *run) set(k []byte, v *value) { r.setIn(r.d, k, v) }

// setIn stores a value as Redis's setKey does: a key it creates is ready
// for the clients waiting on it (dbAdd), a key it overwrites is not,
// unless the old value was a stream (dbOverwrite wakes stream consumers).
func (r *run) setIn(i int, k []byte, v *value) {
	old := r.getIn(i, k)
	v.owner = r.s
	r.db(i)[string(k)] = v
	r.modified(i, k)
	if (old == nil && (v.typ == tList || v.typ == tZSet || v.typ == tStream)) || (old != nil && old.typ == tStream) {
		r.ready(i, k)
	}
}

// del deletes a live key; it reports whether there was one.
func (r *run) del(k []byte) bool { return r.delIn(r.d, k) }

func (r *run) delIn(i int, k []byte) bool {
	old := r.getIn(i, k)
	if old == nil {
		return false
	}
	delete(r.s.dbs[i], string(k))
	r.modified(i, k)
	if old.typ == tStream {
		// Deleting a stream ends its consumers' waits (dbGenericDelete).
		r.ready(i, k)
	}
	return true
}

// modified notes a change to a key: the transactions watching it will
// fail (Redis's signalModifiedKey).
func (r *run) modified(i int, k []byte) {
	for name, c := range r.s.conns {
		if len(c.watched) == 0 || c.dirty {
			continue
		}
		for _, w := range c.watched {
			if w.k.db == i && w.k.key == string(k) {
				c = r.mutConnOf(name)
				c.dirty = true
				break
			}
		}
	}
}

// ready notes a key as ready for the clients waiting on it (Redis's
// signalKeyAsReady): they are tried after the command. Redis signals a
// key when it is added (as a list, sorted set or stream), when a stream
// is written (XADD), overwritten or deleted, and on SWAPDB; a change in
// place to a list or sorted set wakes nobody (nobody waits on one that
// exists).
func (r *run) ready(i int, k []byte) {
	if len(r.s.blocked) == 0 {
		return
	}
	dk := dbKey{i, string(k)}
	for _, bl := range r.s.blocked {
		if bl.on(dk) {
			r.markReady(dk)
			return
		}
	}
}

// mutConn returns the running client's connection state, owned by this
// state, creating it.
func (r *run) mutConn() *conn { return r.mutConnOf(r.client) }

func (r *run) mutConnOf(name string) *conn {
	if r.s.conns == nil {
		r.s.conns = map[string]*conn{}
	}
	c := r.s.conns[name]
	switch {
	case c == nil:
		c = &conn{owner: r.s}
		r.s.conns[name] = c
	case c.owner != r.s:
		c = c.copy(r.s)
		r.s.conns[name] = c
	}
	return c
}

// ownMap is a state's own copy of a map it shared with others (or a new
// map for nil), for it to write.
func ownMap[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return map[K]V{}
	}
	return maps.Clone(m)
}

// setResult records the reply a blocked command got.
func (s *State) setResult(id int64, reply string) {
	if s.sharedResults || s.results == nil {
		s.results, s.sharedResults = ownMap(s.results), false
	}
	s.results[id] = reply
}

// setScript caches a script body under its SHA1.
func (s *State) setScript(sha, body string) {
	if s.scripts[sha] == body {
		return
	}
	if s.sharedScripts || s.scripts == nil {
		s.scripts, s.sharedScripts = ownMap(s.scripts), false
	}
	s.scripts[sha] = body
}

// markUnordered ends an output whose order Redis does not fix from the
// history (a hash table's): the reply is sorted, so that it compares as
// a set, and the explanation says the order is not known.
const markUnordered = "\x00unordered"

// unordered marks a sorted reply as one whose real order is not known.
func unordered(resp string) string { return resp + markUnordered }

// listing is the reply that lists a hash table's entries, per items an
// entry (a field and its value: two), sorted as the model sorts them:
// marked unordered, since the table's own order is not in the log,
// unless it holds at most one entry, whose order is the only one.
func listing(items []string, per int) string {
	if len(items) <= per {
		return array(items)
	}
	return unordered(array(items))
}

// markUnorderedAt ends an output that holds such sorted listings inside
// it (a script returning what HGETALL gave it, a transaction's reply):
// it is followed by their paths, each "/i/j..." of element indexes.
const markUnorderedAt = "\x00unordered-at"

// unorderedAt marks the arrays at paths inside resp as sorted listings
// whose real order is not known; a path "" is the whole reply.
func unorderedAt(resp string, paths []string) string {
	if len(paths) == 0 {
		return resp
	}
	if len(paths) == 1 && paths[0] == "" {
		return unordered(resp)
	}
	return resp + markUnorderedAt + " " + strings.Join(paths, " ")
}

// splitOutput returns an output's RESP bytes and whether the order of
// some of them (see unorderedPaths) is the model's sort rather than
// Redis's.
func splitOutput(o string) (string, bool) {
	if strings.HasSuffix(o, markUnordered) {
		return strings.TrimSuffix(o, markUnordered), true
	}
	if i := strings.LastIndex(o, "\r\n"+markUnorderedAt+" "); i >= 0 {
		return o[:i+2], true
	}
	return o, false
}

// unorderedPaths returns the paths of the sorted listings of an output:
// [""] when it is one, nil when it holds none.
func unorderedPaths(o string) []string {
	if strings.HasSuffix(o, markUnordered) {
		return []string{""}
	}
	if i := strings.LastIndex(o, "\r\n"+markUnorderedAt+" "); i >= 0 {
		return strings.Fields(o[i+2+len(markUnorderedAt):])
	}
	return nil
}

func bulk(b []byte) string {
	return "$" + strconv.Itoa(len(b)) + "\r\n" + string(b) + "\r\n"
}

func bulkString(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }

func integer(n int64) string { return ":" + strconv.FormatInt(n, 10) + "\r\n" }

func array(items []string) string {
	return "*" + strconv.Itoa(len(items)) + "\r\n" + strings.Join(items, "")
}

func status(s string) string { return "+" + s + "\r\n" }

func errReply(s string) string { return "-" + s + "\r\n" }

// A mark is a flag as a fingerprint shows it: its text when it is set.
type mark struct {
	set  bool
	text string
}

// writeMarks writes the text of each mark that is set, in order.
func writeMarks(b *strings.Builder, ms ...mark) {
	for _, m := range ms {
		if m.set {
			b.WriteString(m.text)
		}
	}
}

// sortedKeys returns a map's keys in order: a canonical rendering of it,
// or a reply that lists a hash table sorted.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// parseInt parses a decimal int64 exactly as Redis's string2ll does: no
// sign but '-', no leading zeros, no spaces, at most 20 bytes.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) >= 21 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	p := b
	if neg {
		p = p[1:]
		if len(p) == 0 {
			return 0, false
		}
	}
	if p[0] < '1' || p[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range p {
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-uint64(c-'0'))/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > uint64(math.MaxInt64)+1 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// parseLongDouble parses like Redis's string2ld (strtold): a decimal or
// "inf"; NaN, spaces and trailing bytes are rejected. The result has the
// 64-bit mantissa of an x87 long double.
func parseLongDouble(b []byte) (*big.Float, bool) {
	s := string(b)
	if len(s) == 0 || len(s) > 5*1024 || strings.ContainsAny(s, "_ \t\n\r\v\f") {
		return nil, false
	}
	l := strings.ToLower(strings.TrimLeft(s, "+-"))
	if l == "inf" || l == "infinity" {
		f := new(big.Float).SetInf(strings.HasPrefix(s, "-"))
		return f, true
	}
	if strings.HasPrefix(l, "0x") || strings.Contains(l, "n") {
		return nil, false
	}
	f, _, err := big.ParseFloat(s, 10, 64, big.ToNearestEven)
	if err != nil {
		return nil, false
	}
	return f, true
}

// formatLongDouble renders like Redis's ld2string in human mode: %.17Lf
// with trailing zeros (and a trailing point) removed, "-0" as "0".
func formatLongDouble(f *big.Float) string {
	s := f.Text('f', 17)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// parseDouble parses a double as Redis's getDoubleFromObject (strtod): a
// number or inf, never NaN, no spaces, nothing after it.
func parseDouble(b []byte) (float64, bool) {
	s := string(b)
	if len(s) == 0 || strings.ContainsAny(s, " \t\n\r\v\f_") {
		return 0, false
	}
	l := strings.ToLower(strings.TrimLeft(s, "+-"))
	if l == "inf" || l == "infinity" {
		if strings.HasPrefix(s, "-") {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	}
	if strings.Contains(l, "n") || strings.HasPrefix(l, "0x") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		// strtod accepts an overflowing number as ±HUGE_VAL, but Redis
		// rejects it (errno ERANGE).
		return 0, false
	}
	return f, true
}

// formatDouble renders a double as Redis 7.0's replies do (%.17g; inf
// and -inf spelt so).
func formatDouble(f float64) string { return cFinite(f, cG17) }

// cFinite is what C's printf prints of x: "inf" or "-inf" for an
// infinity, and what format makes of a finite one.
func cFinite(x float64, format func(float64) string) string {
	switch {
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "-inf"
	}
	return format(x)
}

// cG17 is C's printf("%.17g", f).
func cG17(f float64) string {
	if f == 0 {
		if math.Signbit(f) {
			return "-0"
		}
		return "0"
	}
	exp := int(math.Floor(math.Log10(math.Abs(f))))
	// %e with 16 digits after the point gives the true decimal exponent.
	e := strconv.FormatFloat(f, 'e', 16, 64)
	if i := strings.IndexByte(e, 'e'); i >= 0 {
		exp, _ = strconv.Atoi(e[i+1:])
	}
	var s string
	if exp < -4 || exp >= 17 {
		mant, ex, _ := strings.Cut(e, "e")
		if strings.Contains(mant, ".") {
			mant = strings.TrimRight(strings.TrimRight(mant, "0"), ".")
		}
		sign := ex[0]
		digits := strings.TrimLeft(ex[1:], "0")
		for len(digits) < 2 {
			digits = "0" + digits
		}
		s = mant + "e" + string(sign) + digits
	} else {
		s = strconv.FormatFloat(f, 'f', 16-exp, 64)
		if strings.Contains(s, ".") {
			s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		}
	}
	return s
}

// optUpper is an option argument in upper case, as strcasecmp sees it
// (ASCII only, up to the first NUL byte), for a switch over options.
func optUpper(b []byte) string {
	b = cString(b)
	out := make([]byte, len(b))
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		out[i] = c
	}
	return string(out)
}

// leadingFlags reads the flag options (NX, XX, CH...) that a command's
// arguments start with at a[i]: each argument that is one of names, in
// any case as strcasecmp sees it, is set in flags, and the first that is
// not ends them, at next (len(a) when all are).
func leadingFlags(a [][]byte, i int, names ...string) (flags map[string]bool, next int) {
	flags = map[string]bool{}
	for ; i < len(a); i++ {
		j := slices.IndexFunc(names, func(n string) bool { return cEqual(a[i], n) })
		if j < 0 {
			break
		}
		flags[names[j]] = true
	}
	return flags, i
}

// container returns the key's value of type typ, or a WRONGTYPE reply.
// A missing key is nil, or with create a new empty value (stored, and
// noted as changed). An existing value may be shared with other states:
// call mut before changing it.
func (r *run) container(k []byte, typ byte, create bool) (*value, string) {
	v := r.get(k)
	if v == nil {
		if !create {
			return nil, ""
		}
		v = &value{typ: typ}
		switch typ {
		case tHash:
			v.hash = map[string][]byte{}
		case tSet:
			v.set = map[string]bool{}
		case tZSet:
			v.zset = &zset{}
		case tStream:
			v.stream = &stream{}
		}
		r.set(k, v)
		return v, ""
	}
	if v.typ != typ {
		return nil, eWrongType
	}
	return v, ""
}

// existing looks key k up with a typed lookup (listValue, hashValue...)
// for a command that stops at a missing key, whose reply is then
// missing. Otherwise it is the lookup's own answer: the value, or a reply
// to give instead (WRONGTYPE).
func (r *run) existing(lookup func(k []byte) (*value, string), k []byte, missing string) (*value, string) {
	v, e := lookup(k)
	if e == "" && v == nil {
		return nil, missing
	}
	return v, e
}

// sizeOf answers a command that counts something in the value at its key
// (HLEN, HSTRLEN, LLEN, SCARD, STRLEN, ZCARD): size of the value that
// lookup finds, or 0 for a missing key.
func (r *run) sizeOf(lookup func(k []byte) (*value, string), size func(v *value) int) string {
	v, e := r.existing(lookup, r.args[0], rZero)
	if e != "" {
		return e
	}
	return integer(int64(size(v)))
}

// perMember answers a command that asks one thing of each member named
// after its key (SISMEMBER and SMISMEMBER, ZSCORE and ZMSCORE): reply's
// answer for the one member when the command is single, else an array of
// them all.
func (r *run) perMember(single string, reply func(m []byte) string) string {
	var items []string
	for _, m := range r.args[1:] {
		items = append(items, reply(m))
	}
	if r.op == single {
		return items[0]
	}
	return array(items)
}

// dropIfEmpty removes a container that a command emptied (or created and
// then failed to fill).
func (r *run) dropIfEmpty(k []byte, v *value) {
	if v.empty() {
		r.del(k)
	}
}

// deadline turns an expire argument into a Unix ms deadline; ok is false
// for an invalid expire time (not positive, or overflowing).
func (r *run) deadline(t int64, seconds, absolute bool) (int64, bool) {
	if t <= 0 {
		return 0, false
	}
	if seconds {
		if t > math.MaxInt64/1000 {
			return 0, false
		}
		t *= 1000
	}
	if !absolute {
		if t > math.MaxInt64-r.now {
			return 0, false
		}
		t += r.now
	}
	return t, true
}

// call runs one command from inside a script (redis.call) in database d
// and returns its reply: it never blocks and never queues, and clients
// waiting on keys it writes are served when the script ends.
func (s *State) call(e *formats.Event, d int, argv [][]byte) string {
	sub := &formats.Event{ID: e.ID, Source: e.Source, Line: e.Line, Time: e.Time, System: e.System,
		NS: strconv.Itoa(d), Client: "lua", Op: optUpper(argv[0]), Args: argv[1:]}
	r := &run{s: s, e: sub, d: d, now: e.Time / 1e6, op: sub.Op, argv: argv, client: "lua", inScript: true}
	return r.dispatch()
}
