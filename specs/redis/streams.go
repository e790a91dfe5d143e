package redis

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"github.com/wat-project/wat/formats"
)

// The stream commands, as redis-server 7.0.15 runs them (t_stream.c,
// blocked.c).
//
// What no log holds is said so: an automatic id ("*") takes the server's
// millisecond clock, which the model reads from the log's timestamp, so
// such an XADD's reply is labelled (Random); pending entries are delivered
// at the log's time, so idle times (XPENDING's extended form, XCLAIM's
// and XAUTOCLAIM's min-idle-time, XINFO CONSUMERS) are labelled too; an
// approximate trim ("~") removes radix-tree nodes whose bounds no log
// shows, so the model keeps the entries it may have removed and answers
// rUnknown for any reply that would differ (see stream.unsure); XINFO
// STREAM shows the radix tree itself and is not known at all.
var streamCommands = inGroup("stream", []*Command{
	{Name: "XACK", Arity: -4, Flags: "write fast", Keys: key1("RW update"), Run: xack},
	{Name: "XADD", Arity: -5, Flags: "write denyoom fast", Keys: key1("RW update"), Run: xadd, Random: xaddClock},
	{Name: "XAUTOCLAIM", Arity: -6, Flags: "write fast", Keys: key1("RW delete"), Run: xautoclaim, Random: minIdleAt(4)},
	{Name: "XCLAIM", Arity: -6, Flags: "write fast", Keys: key1("RW update"), Run: xclaim, Random: minIdleAt(4)},
	{Name: "XDEL", Arity: -3, Flags: "write fast", Keys: key1("RW delete"), Run: xdel, Sub: xdelSubs},
	{Name: "XGROUP|CREATE", Arity: -5, Flags: "write denyoom", Keys: []KeySpec{keyAt(2, "RW insert")},
		Run: xgroup},
	{Name: "XGROUP|CREATECONSUMER", Arity: 5, Flags: "write denyoom", Keys: []KeySpec{keyAt(2, "RW insert")},
		Run: xgroup},
	{Name: "XGROUP|DELCONSUMER", Arity: 5, Flags: "write", Keys: []KeySpec{keyAt(2, "RW delete")},
		Run: xgroup},
	{Name: "XGROUP|DESTROY", Arity: 4, Flags: "write", Keys: []KeySpec{keyAt(2, "RW delete")},
		Run: xgroup},
	{Name: "XGROUP|HELP", Arity: 2, Flags: "loading stale", Run: help},
	{Name: "XGROUP|SETID", Arity: -5, Flags: "write", Keys: []KeySpec{keyAt(2, "RW update")},
		Run: xgroup},
	{Name: "XINFO|CONSUMERS", Arity: 4, Flags: "readonly", Keys: []KeySpec{keyAt(2, "RO access")},
		Run: xinfoConsumers, Random: func([][]byte) string { return whyIdle }},
	{Name: "XINFO|GROUPS", Arity: 3, Flags: "readonly", Keys: []KeySpec{keyAt(2, "RO access")},
		Run: xinfoGroups},
	{Name: "XINFO|HELP", Arity: 2, Flags: "loading stale", Run: help},
	{Name: "XINFO|STREAM", Arity: -3, Flags: "readonly", Keys: []KeySpec{keyAt(2, "RO access")},
		Unknown: "the stream's radix tree (radix-tree-keys and radix-tree-nodes depend on the server's stream-node-max-entries and stream-node-max-bytes and on the entries' encoding; FULL also shows delivery and seen times by the server's clock)"},
	{Name: "XLEN", Arity: 2, Flags: "readonly fast", Keys: key1("RO"), Run: xlen},
	{Name: "XPENDING", Arity: -3, Flags: "readonly",
		Keys: key1("RO access"),
		Run:  xpending, Random: func(argv [][]byte) string {
			if len(argv) >= 6 {
				return whyIdle
			}
			return ""
		}},
	{Name: "XRANGE", Arity: -4, Flags: "readonly", Keys: key1("RO access"), Run: xrange},
	{Name: "XREAD", Arity: -4, Flags: "readonly blocking movablekeys",
		Keys: []KeySpec{{Flags: "RO access", Begin: Keyword("STREAMS", 1), Find: Range(-1, 1, 2)}},
		Run:  xread},
	// XREADGROUP's key specification says RO, yet it changes the group
	// (pending entries, last id, consumers): its refs say it writes.
	{Name: "XREADGROUP", Arity: -7, Flags: "write blocking movablekeys",
		Keys: []KeySpec{{Flags: "RO access", Begin: Keyword("STREAMS", 4), Find: Range(-1, 1, 2)}},
		Run:  xread, Refs: xreadgroupRefs},
	{Name: "XREVRANGE", Arity: -4, Flags: "readonly", Keys: key1("RO access"), Run: xrange},
	{Name: "XSETID", Arity: -3, Flags: "write denyoom fast", Keys: key1("RW update"), Run: xsetid},
	{Name: "XTRIM", Arity: -4, Flags: "write", Keys: key1("RW delete"), Run: xtrim},
})

// What stream replies depend on that no log holds.
const (
	whyClock = "the server's clock for automatic stream ids"
	whyIdle  = "idle times of pending entries and consumers, by the server's clock (the model takes delivery and seen times from the log's timestamps)"
	// streamUnknownWhy is why a stream command's output is rUnknown:
	// mostly what an approximate trim removed.
	streamUnknownWhy = "stream state the log does not determine: an approximate trim (\"~\") removes whole radix-tree nodes, whose bounds depend on the server's stream-node-max-entries and stream-node-max-bytes (or, rarely, the spelling of a script's XREAD, errno after an id overflow, or whether a large XAUTOCLAIM COUNT could be allocated)"
)

// Error replies.
const (
	eInvalidID    = "-ERR Invalid stream ID specified as stream command argument\r\n"
	eStartID      = "-ERR invalid start ID for the interval\r\n"
	eEndID        = "-ERR invalid end ID for the interval\r\n"
	eXAddSmaller  = "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n"
	eXGroupNoKey  = "-ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.\r\n"
	eUnblocked    = "-UNBLOCKED the stream key no longer exists\r\n"
	eGroupDeleted = "-NOGROUP the consumer group this client was blocked on no longer exists\r\n"
)

// cstr is an argument as Redis's C code sees it when it reads it as a
// C string: up to its first NUL byte.
func cstr(b []byte) string { return string(cString(b)) }

// errFmt is addReplyErrorFormat's reply for a message: "\r" and "\n"
// trimmed from its ends and turned into spaces inside, "-ERR " in front
// unless it names its own code ("-NOGROUP ...").
func errFmt(msg string) string {
	msg = strings.Trim(msg, "\r\n")
	msg = strings.NewReplacer("\r", " ", "\n", " ").Replace(msg)
	if strings.HasPrefix(msg, "-") {
		return msg + "\r\n"
	}
	return "-ERR " + msg + "\r\n"
}

// subSyntax is addReplySubcommandSyntaxError's reply.
func subSyntax(argv [][]byte) string {
	sub := cstr(argv[1])
	if len(sub) > 128 {
		sub = sub[:128]
	}
	return errFmt("unknown subcommand or wrong number of arguments for '" + sub + "'. Try " + strings.ToUpper(cstr(argv[0])) + " HELP.")
}

// string2ull parses an unsigned 64-bit number as Redis's string2ull does:
// strictly (string2ll), or failing that as C's strtoull, which allows
// leading spaces, a sign (a minus negates modulo 2^64) and leading zeros.
func string2ull(s string) (uint64, bool) {
	if n, ok := parseInt([]byte(s)); ok {
		return uint64(n), n >= 0
	}
	i := 0
	for i < len(s) && strings.IndexByte(" \t\n\v\f\r", s[i]) >= 0 {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var v uint64
	overflow := false
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		d := uint64(s[i] - '0')
		if v > (math.MaxUint64-d)/10 {
			overflow = true
		} else {
			v = v*10 + d
		}
	}
	if i == start || i != len(s) || overflow {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseStreamID parses an id as streamGenericParseIDOrReply: MS-SEQ, or
// MS alone (the sequence missingSeq), "-" and "+" unless strict, and
// "MS-*" when seqStar (seqGiven false).
func parseStreamID(b []byte, missingSeq uint64, strict, seqStar bool) (id streamID, seqGiven, ok bool) {
	if len(b) > 127 {
		return id, false, false
	}
	s := cstr(b)
	switch {
	case strict && (s == "-" || s == "+"):
		return id, false, false
	case s == "-":
		return streamID{}, true, true
	case s == "+":
		return maxStreamID, true, true
	}
	msPart, seqPart, dash := strings.Cut(s, "-")
	ms, good := string2ull(msPart)
	if !good {
		return id, false, false
	}
	seq, seqGiven := missingSeq, true
	if dash {
		if seqStar && seqPart == "*" {
			seq, seqGiven = 0, false
		} else if seq, good = string2ull(seqPart); !good {
			return id, false, false
		}
	}
	return streamID{ms, seq}, seqGiven, true
}

// parseInterval parses a range bound: "(" in front makes it exclusive
// (then "-" and "+" are not allowed).
func parseInterval(b []byte, missingSeq uint64) (id streamID, exclude, ok bool) {
	if len(b) > 1 && b[0] == '(' {
		id, _, ok = parseStreamID(b[1:], missingSeq, true, false)
		return id, true, ok
	}
	id, _, ok = parseStreamID(b, missingSeq, false, false)
	return id, false, ok
}

// parseAddTrim reads XADD's (xadd) or XTRIM's options from argv, as
// streamParseAddOrTrimArgsOrReply does, and returns them with the
// position of XADD's id, or an error reply.
func parseAddTrim(a [][]byte, xadd bool) (t trimArgs, idpos int, errReply string) {
	i := 2
loop:
	for ; i < len(a); i++ {
		more := len(a) - 1 - i
		opt := a[i]
		switch {
		case xadd && len(opt) > 0 && opt[0] == '*' && (len(opt) == 1 || opt[1] == 0):
			break loop
		case (cEqual(opt, "MAXLEN") || cEqual(opt, "MINID")) && more > 0:
			if t.strategy != trimNone {
				return t, 0, "-ERR syntax error, MAXLEN and MINID options at the same time are not compatible\r\n"
			}
			t.approx = false
			if next := cstr(a[i+1]); more >= 2 && (next == "~" || next == "=") {
				t.approx = next == "~"
				i++
			}
			if cEqual(opt, "MAXLEN") {
				n, e := trimCount(a[i+1], "MAXLEN")
				if e != "" {
					return t, 0, e
				}
				t.maxLen, t.strategy = n, trimMaxLen
			} else {
				id, _, ok := parseStreamID(a[i+1], 0, true, false)
				if !ok {
					return t, 0, eInvalidID
				}
				t.minID, t.strategy = id, trimMinID
			}
			i++
		case cEqual(opt, "LIMIT") && more > 0:
			n, e := trimCount(a[i+1], "LIMIT")
			if e != "" {
				return t, 0, e
			}
			t.limit, t.limitGiven = n, true
			i++
		case xadd && cEqual(opt, "NOMKSTREAM"):
			t.noMkStream = true
		case xadd:
			id, seqGiven, ok := parseStreamID(opt, 0, true, true)
			if !ok {
				return t, 0, eInvalidID
			}
			t.id, t.seqGiven, t.idGiven = id, seqGiven, true
			break loop
		default:
			return t, 0, eSyntax
		}
	}
	if t.limit != 0 && t.strategy == trimNone {
		return t, 0, "-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy\r\n"
	}
	if !xadd && t.strategy == trimNone {
		return t, 0, "-ERR syntax error, XTRIM must be called with a trimming strategy\r\n"
	}
	if t.limitGiven && !t.approx {
		return t, 0, "-ERR syntax error, LIMIT cannot be used without the special ~ option\r\n"
	}
	return t, i, ""
}

// trimCount reads the argument b of XADD's and XTRIM's MAXLEN or LIMIT
// option (name): an integer of at least 0, or an error reply.
func trimCount(b []byte, name string) (n int64, errReply string) {
	n, ok := parseInt(b)
	if !ok {
		return 0, eNotInt
	}
	if n < 0 {
		return 0, "-ERR The " + name + " argument must be >= 0.\r\n"
	}
	return n, ""
}

// xaddClock is XADD's Random: a call with the id "*" takes the server's
// clock.
func xaddClock(argv [][]byte) string {
	t, idpos, e := parseAddTrim(argv, true)
	if e != "" || t.idGiven {
		return ""
	}
	if n := len(argv) - idpos - 1; n < 2 || n%2 == 1 {
		return ""
	}
	return whyClock
}

// minIdleAt is XCLAIM's and XAUTOCLAIM's Random: a positive
// min-idle-time (argument i) compares idle times by the server's clock.
func minIdleAt(i int) func([][]byte) string {
	return func(argv [][]byte) string {
		if i < len(argv) {
			if n, ok := parseInt(argv[i]); ok && n > 0 {
				return whyIdle
			}
		}
		return ""
	}
}

// xreadgroupRefs: XREADGROUP's keys are written (its key specification
// says RO), and, with BLOCK, waited on.
func xreadgroupRefs(e *formats.Event) []formats.Ref {
	var out []formats.Ref
	for _, k := range table["XREADGROUP"].Keys {
		pos, _ := k.appendPositions(nil, e.Args)
		for _, p := range pos {
			out = append(out, formats.Ref{NS: e.NS, Key: e.Args[p-1], Kind: formats.KindWrite})
		}
	}
	if isBlockingCall(e.Op, e.Args) {
		for _, r := range out {
			out = append(out, formats.Ref{NS: blockNS(r.NS), Key: r.Key, Kind: formats.KindWrite})
		}
	}
	return out
}

// streamValue returns a key's stream, nil for a missing key, or
// WRONGTYPE.
func (r *run) streamValue(k []byte) (*value, string) { return r.container(k, tStream, false) }

// ownGroup owns the key's stream and returns its group name.
func (r *run) ownGroup(k []byte, v *value, name []byte) (*value, *streamGroup) {
	v = r.own(k, v)
	return v, v.stream.group(name)
}

// newStream adds an empty stream under a missing key (dbAdd, which wakes
// the clients waiting on the key).
func (r *run) newStream(k []byte) *value {
	v := &value{typ: tStream, stream: &stream{}, owner: r.s}
	r.db(r.d)[string(k)] = v
	r.signalReady(k)
	return v
}

// signalModified is Redis's signalModifiedKey: the transactions watching
// the key fail.
func (r *run) signalModified(k []byte) { r.modified(r.d, k) }

// signalMaybe is signalModified for a change that may not have happened
// (what an approximate trim removed decides): the transactions watching
// the key may fail; an empty one's EXEC is then not known.
func (r *run) signalMaybe(k []byte) {
	for name, c := range r.s.conns {
		if len(c.watched) == 0 || c.dirty || c.dirtyUnknown {
			continue
		}
		for _, w := range c.watched {
			if w.k.db == r.d && w.k.key == string(k) {
				c = r.mutConnOf(name)
				c.dirtyUnknown = true
				break
			}
		}
	}
}

// signalReady is Redis's signalKeyAsReady: clients waiting on the key
// are tried after the command.
func (r *run) signalReady(k []byte) { r.ready(r.d, k) }

func entryReply(e streamEntry) string {
	return array([]string{bulkString(e.id.String()), bulks(e.fields)})
}

func entriesReply(es []streamEntry) string {
	items := make([]string, len(es))
	for i, e := range es {
		items[i] = entryReply(e)
	}
	return array(items)
}

func idReply(id streamID) string { return bulkString(id.String()) }

func xadd(r *run) string {
	a := r.argv
	t, idpos, e := parseAddTrim(a, true)
	if e != "" {
		return e
	}
	fieldPos := idpos + 1
	if n := len(a) - fieldPos; n < 2 || n%2 == 1 {
		return eArity("xadd")
	}
	if t.idGiven && t.seqGiven && t.id.zero() {
		return "-ERR The ID specified in XADD must be greater than 0-0\r\n"
	}
	key := a[1]
	v, e := r.streamValue(key)
	if e != "" {
		return e
	}
	if v == nil {
		if t.noMkStream {
			return rNil
		}
		v = r.newStream(key)
	}
	s := v.stream
	lost := s.lost
	if lost {
		// Whether it adds the entry is not known.
		r.signalMaybe(key)
		r.signalReady(key)
	}
	if s.lastID == maxStreamID {
		return mask(lost, "-ERR The stream has exhausted the last possible ID, unable to add more items\r\n")
	}
	var id streamID
	switch {
	case !t.idGiven:
		now := uint64(max(r.now, 0))
		if now > s.lastID.ms {
			id = streamID{now, 0}
		} else {
			id, _ = s.lastID.incr()
		}
	case t.seqGiven:
		id = t.id
	case s.lastID.ms == t.id.ms:
		if s.lastID.seq == math.MaxUint64 {
			// streamAppendItem fails without setting errno: the reply is
			// "equal or smaller" or "too large" as errno happens to be.
			return rUnknown
		}
		id = streamID{t.id.ms, s.lastID.seq + 1}
	default:
		id = t.id
	}
	if !s.lastID.less(id) {
		return mask(lost, eXAddSmaller)
	}
	var total uint64
	for _, f := range a[fieldPos:] {
		total += uint64(len(f))
	}
	if total > 1<<30 {
		return mask(lost, "-ERR Elements are too large to be stored\r\n")
	}
	v = r.own(key, v)
	s = v.stream
	s.entries = append(s.entries, streamEntry{id: id, fields: append([][]byte(nil), a[fieldPos:]...)})
	s.added++
	s.lastID = id
	if !lost {
		r.signalModified(key)
		r.signalReady(key)
	}
	s.trim(&t)
	return mask(lost, idReply(id))
}

// mask returns rUnknown for a reply from a stream the model lost.
func mask(unknown bool, reply string) string {
	if unknown {
		return rUnknown
	}
	return reply
}

func xtrim(r *run) string {
	t, _, e := parseAddTrim(r.argv, false)
	if e != "" {
		return e
	}
	key := r.argv[1]
	v, e := r.existing(r.streamValue, key, rZero)
	if e != "" {
		return e
	}
	lost := v.stream.lost
	v = r.own(key, v)
	n, known, some := v.stream.trim(&t)
	switch {
	case some && !lost:
		r.signalModified(key)
	case !known || lost:
		r.signalMaybe(key)
	}
	return mask(lost || !known, integer(n))
}

func xlen(r *run) string {
	v, e := r.existing(r.streamValue, r.argv[1], rZero)
	if e != "" {
		return e
	}
	x := &sread{s: v.stream}
	n := x.length()
	return mask(v.stream.lost || x.hit, integer(int64(n)))
}

// xrange answers XRANGE and XREVRANGE.
func xrange(r *run) string {
	a := r.argv
	rev := r.op == "XREVRANGE"
	startArg, endArg := a[2], a[3]
	if rev {
		startArg, endArg = a[3], a[2]
	}
	start, ex, ok := parseInterval(startArg, 0)
	if !ok {
		return eInvalidID
	}
	if ex {
		if start, ok = start.incr(); !ok {
			return eStartID
		}
	}
	end, ex, ok := parseInterval(endArg, math.MaxUint64)
	if !ok {
		return eInvalidID
	}
	if ex {
		if end, ok = end.decr(); !ok {
			return eEndID
		}
	}
	count := int64(-1)
	for j := 4; j < len(a); j++ {
		if !cEqual(a[j], "COUNT") || j+1 >= len(a) {
			return eSyntax
		}
		n, ok := parseInt(a[j+1])
		if !ok {
			return eNotInt
		}
		count = max(n, 0)
		j++
	}
	v, e := r.existing(r.streamValue, a[1], rEmpty)
	if e != "" {
		return e
	}
	if count == 0 {
		return rNilArray
	}
	x := &sread{s: v.stream}
	es := x.rangeOf(start, end, max(count, 0), rev)
	return mask(v.stream.lost || x.hit, entriesReply(es))
}

// parseIDs parses the strict ids of argv from i on.
func parseIDs(a [][]byte, i int) ([]streamID, bool) {
	ids := make([]streamID, 0, len(a)-i)
	for ; i < len(a); i++ {
		id, _, ok := parseStreamID(a[i], 0, true, false)
		if !ok {
			return nil, false
		}
		ids = append(ids, id)
	}
	return ids, true
}

func xdel(r *run) string {
	key := r.argv[1]
	v, e := r.existing(r.streamValue, key, rZero)
	if e != "" {
		return e
	}
	ids, ok := parseIDs(r.argv, 2)
	if !ok {
		return eInvalidID
	}
	lost := v.stream.lost
	x := &sread{s: v.stream}
	deleted, certain := 0, 0
	for _, id := range ids {
		i, ok := x.exists(id)
		if !ok {
			continue
		}
		v = r.own(key, v)
		s := v.stream
		x.s = s
		s.entries = append(s.entries[:i:i], s.entries[i+1:]...)
		switch {
		case i < s.unsure:
			// In the streams where an approximate trim removed it,
			// nothing was deleted.
			s.unsure--
			if s.maxDeleted.less(id) {
				s.maxDeleted, s.maxDelUnknown = id, true
			}
		case s.maxDeleted.less(id):
			s.maxDeleted, s.maxDelUnknown = id, false
			certain++
		default:
			certain++
		}
		deleted++
	}
	switch {
	case certain > 0 && !lost:
		r.signalModified(key)
	case deleted > 0 || lost:
		r.signalMaybe(key)
	}
	return mask(lost || x.hit, integer(int64(deleted)))
}

func xsetid(r *run) string {
	a := r.argv
	id, _, ok := parseStreamID(a[2], 0, true, false)
	if !ok {
		return eInvalidID
	}
	added := int64(-1)
	var maxDel streamID
	for i := 3; i < len(a); i += 2 {
		more := len(a) - 1 - i
		switch {
		case cEqual(a[i], "ENTRIESADDED") && more > 0:
			n, ok := parseInt(a[i+1])
			if !ok {
				return eNotInt
			}
			if n < 0 {
				return "-ERR entries_added must be positive\r\n"
			}
			added = n
		case cEqual(a[i], "MAXDELETEDID") && more > 0:
			m, _, ok := parseStreamID(a[i+1], 0, true, false)
			if !ok {
				return eInvalidID
			}
			if id.less(m) {
				return "-ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id\r\n"
			}
			maxDel = m
		default:
			return eSyntax
		}
	}
	key := a[1]
	v, e := r.existing(r.streamValue, key, eNoKey)
	if e != "" {
		return e
	}
	s := v.stream
	outcome, known := s.inWorlds(func(w streamWorld) int64 {
		if w.length > 0 {
			if id.less(s.entries[len(s.entries)-1].id) {
				return 1
			}
			if added != -1 && w.length > uint64(added) {
				return 2
			}
		}
		return 0
	})
	lost := s.lost || !known
	if !known {
		// Whether it failed depends on what an approximate trim removed.
		v = r.own(key, v)
		v.stream.lost = true
		s = v.stream
	}
	switch outcome {
	case 1:
		return mask(lost, "-ERR The ID specified in XSETID is smaller than the target stream top item\r\n")
	case 2:
		return mask(lost, "-ERR The entries_added specified in XSETID is smaller than the target stream length\r\n")
	}
	v = r.own(key, v)
	s = v.stream
	s.lastID = id
	if added != -1 {
		s.added = uint64(added)
	}
	if !maxDel.zero() {
		s.maxDeleted, s.maxDelUnknown = maxDel, false
	}
	return mask(lost, rOK)
}

// xgroup answers the XGROUP subcommands but HELP.
func xgroup(r *run) string {
	a := r.argv
	sub := r.cmd.Name
	create, setid := sub == "XGROUP|CREATE", sub == "XGROUP|SETID"
	mkstream := false
	entriesRead := int64(-1)
	for i := 5; i < len(a); {
		switch {
		case create && cEqual(a[i], "MKSTREAM"):
			mkstream = true
			i++
		case (create || setid) && cEqual(a[i], "ENTRIESREAD") && i+1 < len(a):
			n, ok := parseInt(a[i+1])
			if !ok {
				return eNotInt
			}
			if n < 0 && n != -1 {
				return "-ERR value for ENTRIESREAD must be positive or -1\r\n"
			}
			entriesRead = n
			i += 2
		default:
			return subSyntax(a)
		}
	}
	key, name := a[2], a[3]
	v, e := r.streamValue(key)
	if e != "" {
		return e
	}
	if !mkstream {
		if v == nil {
			return eXGroupNoKey
		}
		if v.stream.group(name) == nil && !create && sub != "XGROUP|DESTROY" {
			return mask(v.stream.lost, errFmt("-NOGROUP No such consumer group '"+cstr(name)+"' for key name '"+cstr(key)+"'"))
		}
	}
	lost := v != nil && v.stream.lost
	switch sub {
	case "XGROUP|CREATE":
		if len(a) > 8 {
			return subSyntax(a)
		}
		var id streamID
		if cstr(a[4]) == "$" {
			if v != nil {
				id = v.stream.lastID
			}
		} else {
			var ok bool
			if id, _, ok = parseStreamID(a[4], 0, true, false); !ok {
				return eInvalidID
			}
		}
		if v == nil {
			v = r.newStream(key)
			r.signalModified(key)
		}
		if v.stream.group(name) != nil {
			return mask(lost, "-BUSYGROUP Consumer Group name already exists\r\n")
		}
		v = r.own(key, v)
		v.stream.addGroup(&streamGroup{name: string(name), lastID: id, entriesRead: entriesRead})
		return mask(lost, rOK)
	case "XGROUP|SETID":
		if len(a) != 5 && len(a) != 7 {
			return subSyntax(a)
		}
		var id streamID
		if cstr(a[4]) == "$" {
			id = v.stream.lastID
		} else {
			var ok bool
			if id, _, ok = parseStreamID(a[4], 0, false, false); !ok {
				return eInvalidID
			}
		}
		_, g := r.ownGroup(key, v, name)
		g.lastID, g.entriesRead, g.readUnknown = id, entriesRead, false
		return mask(lost, rOK)
	case "XGROUP|DESTROY":
		if v.stream.group(name) == nil {
			return mask(lost, rZero)
		}
		v = r.own(key, v)
		v.stream.removeGroup(string(name))
		// Clients waiting in XREADGROUP on it get an error.
		r.signalReady(key)
		return mask(lost, rOne)
	case "XGROUP|CREATECONSUMER":
		g := v.stream.group(name)
		if _, ok := g.consumer(string(a[4])); ok {
			return mask(lost || g.lost || g.pelLost, rZero)
		}
		_, g = r.ownGroup(key, v, name)
		g.addConsumer(string(a[4]), r.now)
		return mask(lost || g.lost || g.pelLost, rOne)
	case "XGROUP|DELCONSUMER":
		g := v.stream.group(name)
		cname := string(a[4])
		if _, ok := g.consumer(cname); !ok {
			return mask(lost || g.lost || g.pelLost, rZero)
		}
		lost = lost || g.anyMaybe(cname, false)
		_, g = r.ownGroup(key, v, name)
		var kept []streamNack
		for _, n := range g.pel {
			if n.consumer != cname {
				kept = append(kept, n)
			}
		}
		pending := len(g.pel) - len(kept)
		g.pel = kept
		i, _ := g.consumer(cname)
		g.consumers = append(g.consumers[:i:i], g.consumers[i+1:]...)
		return mask(lost || g.lost || g.pelLost, integer(int64(pending)))
	}
	return subSyntax(a)
}

// groupOf looks up the key's stream and group for XACK, XPENDING, XCLAIM
// and XAUTOCLAIM: the value and group, nil for a missing key or group, or
// WRONGTYPE.
func (r *run) groupOf(k, name []byte) (*value, *streamGroup, string) {
	v, e := r.streamValue(k)
	if e != "" || v == nil {
		return nil, nil, e
	}
	return v, v.stream.group(name), ""
}

// noGroup is the NOGROUP error of XPENDING, XCLAIM and XAUTOCLAIM.
func noGroup(key, name []byte) string {
	return errFmt("-NOGROUP No such key '" + cstr(key) + "' or consumer group '" + cstr(name) + "'")
}

func xack(r *run) string {
	a := r.argv
	v, g, e := r.groupOf(a[1], a[2])
	if e != "" {
		return e
	}
	if g == nil {
		return rZero
	}
	ids, ok := parseIDs(a, 3)
	if !ok {
		return eInvalidID
	}
	lost := v.stream.lost || g.lost || g.pelLost
	acked := 0
	for _, id := range ids {
		i, ok := g.nack(id)
		if !ok {
			continue
		}
		v, g = r.ownGroup(a[1], v, a[2])
		lost = lost || g.pel[i].maybe
		g.removeNack(i)
		acked++
	}
	return mask(lost, integer(int64(acked)))
}

func xpending(r *run) string {
	a := r.argv
	argc := len(a)
	if argc != 3 && (argc < 6 || argc > 9) {
		return eSyntax
	}
	var start, end streamID
	var count, minIdle int64
	var consumer []byte
	hasConsumer := false
	if argc >= 6 {
		si := 3
		if cEqual(a[3], "IDLE") {
			n, ok := parseInt(a[4])
			if !ok {
				return eNotInt
			}
			minIdle = n
			if argc < 8 {
				return eSyntax
			}
			si += 2
		}
		n, ok := parseInt(a[si+2])
		if !ok {
			return eNotInt
		}
		count = max(n, 0)
		var ex bool
		if start, ex, ok = parseInterval(a[si], 0); !ok {
			return eInvalidID
		}
		if ex {
			if start, ok = start.incr(); !ok {
				return eStartID
			}
		}
		if end, ex, ok = parseInterval(a[si+1], math.MaxUint64); !ok {
			return eInvalidID
		}
		if ex {
			if end, ok = end.decr(); !ok {
				return eEndID
			}
		}
		if si+3 < argc {
			consumer, hasConsumer = a[si+3], true
		}
	}
	v, g, e := r.groupOf(a[1], a[2])
	if e != "" {
		return e
	}
	if g == nil {
		return noGroup(a[1], a[2])
	}
	lost := v.stream.lost || g.lost || g.pelLost || g.anyMaybe("", true)
	if argc == 3 {
		if len(g.pel) == 0 {
			return mask(lost, "*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n")
		}
		var cs []string
		for _, c := range g.consumers {
			if n := g.pendingOf(c.name); n > 0 {
				cs = append(cs, array([]string{bulkString(c.name), bulkString(strconv.FormatInt(n, 10))}))
			}
		}
		return mask(lost, array([]string{integer(int64(len(g.pel))), idReply(g.pel[0].id), idReply(g.pel[len(g.pel)-1].id), array(cs)}))
	}
	if hasConsumer {
		if _, ok := g.consumer(string(consumer)); !ok {
			return mask(lost, rEmpty)
		}
	}
	var out []string
	i, _ := g.nack(start)
	for ; count > 0 && i < len(g.pel) && !end.less(g.pel[i].id); i++ {
		n := g.pel[i]
		if hasConsumer && n.consumer != string(consumer) {
			continue
		}
		idle := r.now - n.delivered
		if minIdle != 0 && idle < minIdle {
			continue
		}
		count--
		out = append(out, array([]string{idReply(n.id), bulkString(n.consumer), integer(max(idle, 0)), integer(int64(n.count))}))
	}
	return mask(lost, array(out))
}

func xclaim(r *run) string {
	a := r.argv
	key, name := a[1], a[2]
	v, g, e := r.groupOf(key, name)
	if e != "" {
		return e
	}
	if g == nil {
		return noGroup(key, name)
	}
	minIdle, ok := parseInt(a[4])
	if !ok {
		return "-ERR Invalid min-idle-time argument for XCLAIM\r\n"
	}
	minIdle = max(minIdle, 0)
	j := 5
	var ids []streamID
	for ; j < len(a); j++ {
		id, _, ok := parseStreamID(a[j], 0, true, false)
		if !ok {
			break
		}
		ids = append(ids, id)
	}
	now := r.now
	var lastID streamID
	retry, delivery := int64(-1), int64(-1)
	force, justID := false, false
	for ; j < len(a); j++ {
		more := len(a) - 1 - j
		opt := a[j]
		switch {
		case cEqual(opt, "FORCE"):
			force = true
		case cEqual(opt, "JUSTID"):
			justID = true
		case (cEqual(opt, "IDLE") || cEqual(opt, "TIME") || cEqual(opt, "RETRYCOUNT")) && more > 0:
			// The three integer options read their argument alike.
			name := optUpper(opt)
			j++
			n, ok := parseInt(a[j])
			if !ok {
				return "-ERR Invalid " + name + " option argument for XCLAIM\r\n"
			}
			switch name {
			case "IDLE":
				delivery = now - n
			case "TIME":
				delivery = n
			default:
				retry = n
			}
		case cEqual(opt, "LASTID") && more > 0:
			j++
			id, _, ok := parseStreamID(a[j], 0, true, false)
			if !ok {
				return eInvalidID
			}
			lastID = id
		default:
			return errFmt("Unrecognized XCLAIM option '" + cstr(opt) + "'")
		}
	}
	lost := v.stream.lost || g.lost || g.pelLost
	v, g = r.ownGroup(key, v, name)
	s := v.stream
	if g.lastID.less(lastID) {
		g.lastID = lastID
	}
	if delivery == -1 || delivery < 0 || delivery > now {
		delivery = now
	}
	// What an approximate trim removed decides, for an entry it may have
	// removed, whether XCLAIM claims its pending entry or drops it: the
	// claimed entry may then not be pending (maybe). A reply that differs
	// between the streams the real one may be is unknown; a group whose
	// consumers differ is lost.
	cname := string(a[3])
	_, hadConsumer := g.consumer(cname)
	seen, unsure, lose := false, false, false
	certainClaim, maybeClaim := false, false
	var out []string
	for _, id := range ids {
		i, inPEL := g.nack(id)
		wasMaybe := inPEL && g.pel[i].maybe
		ei, exists := s.find(id)
		if !exists {
			// The entry is gone: its pending entry goes too.
			if inPEL {
				g.removeNack(i)
			}
			continue
		}
		entryUnsure := ei < s.unsure
		fresh := false
		if force && !inPEL {
			g.insertNack(i, streamNack{id: id, delivered: now, count: 1})
			inPEL, fresh = true, true
		}
		if !inPEL {
			continue
		}
		if !fresh && minIdle != 0 && now-g.pel[i].delivered < minIdle {
			switch {
			case wasMaybe && force:
				lose = true
			case entryUnsure:
				g.pel[i].maybe = true
			}
			continue
		}
		n := g.claim(i, cname, now, delivery, &seen)
		switch {
		case retry >= 0:
			n.count = uint64(retry)
		case !justID:
			n.count++
		}
		n.maybe = entryUnsure || wasMaybe && !force
		if n.maybe {
			maybeClaim, unsure = true, true
		} else {
			certainClaim = true
		}
		if justID {
			out = append(out, idReply(id))
		} else {
			out = append(out, entryReply(s.entries[ei]))
		}
	}
	if lose || !hadConsumer && maybeClaim && !certainClaim {
		g.pelLost = true
	}
	return mask(lost || unsure || g.pelLost, array(out))
}

func xautoclaim(r *run) string {
	a := r.argv
	key, name := a[1], a[2]
	minIdle, ok := parseInt(a[4])
	if !ok {
		return "-ERR Invalid min-idle-time argument for XAUTOCLAIM\r\n"
	}
	minIdle = max(minIdle, 0)
	start, ex, ok := parseInterval(a[5], 0)
	if !ok {
		return eInvalidID
	}
	if ex {
		if start, ok = start.incr(); !ok {
			return eStartID
		}
	}
	count := int64(100)
	justID := false
	for j := 6; j < len(a); j++ {
		switch {
		case cEqual(a[j], "COUNT") && j+1 < len(a):
			n, ok := parseInt(a[j+1])
			if !ok || n < 1 || n > math.MaxInt64/16 {
				return "-ERR COUNT must be > 0\r\n"
			}
			count = n
			j++
		case cEqual(a[j], "JUSTID"):
			justID = true
		default:
			return eSyntax
		}
	}
	v, g, e := r.groupOf(key, name)
	if e != "" {
		return e
	}
	if g == nil {
		return noGroup(key, name)
	}
	lost := v.stream.lost || g.lost || g.pelLost
	v, g = r.ownGroup(key, v, name)
	if count > 1<<22 {
		// Redis allocates COUNT ids up front: past a few MB, whether
		// that fails ("Insufficient memory") depends on the machine.
		g.pelLost, lost = true, true
	}
	// As in XCLAIM, an entry an approximate trim may have removed is
	// claimed or dropped: with min-idle-time 0 both count against COUNT,
	// so the scan goes on alike; a pending entry that may not be pending
	// counts only where it is, so past one the scan may differ, unless it
	// reached the end of the list.
	s := v.stream
	cname := string(a[3])
	_, hadConsumer := g.consumer(cname)
	now := r.now
	seen, unsure, lose, sawMaybe := false, false, false, false
	certainClaim, maybeClaim := false, false
	var claimed, deleted []string
	attempts := count * 10
	i, _ := g.nack(start)
	for attempts > 0 && count > 0 && i < len(g.pel) {
		attempts--
		n := g.pel[i]
		if n.maybe {
			sawMaybe, unsure = true, true
		}
		ei, exists := s.find(n.id)
		if !exists {
			g.removeNack(i)
			deleted = append(deleted, idReply(n.id))
			count--
			continue
		}
		entryUnsure := ei < s.unsure
		if minIdle != 0 && now-n.delivered < minIdle {
			if entryUnsure || n.maybe {
				lose = true
			}
			i++
			continue
		}
		p := g.claim(i, cname, now, now, &seen)
		if !justID {
			p.count++
		}
		p.maybe = entryUnsure || n.maybe
		if p.maybe {
			maybeClaim, unsure = true, true
		} else {
			certainClaim = true
		}
		if justID {
			claimed = append(claimed, idReply(n.id))
		} else {
			claimed = append(claimed, entryReply(s.entries[ei]))
		}
		count--
		i++
	}
	var cursor streamID
	if i < len(g.pel) {
		cursor = g.pel[i].id
		lose = lose || sawMaybe
	}
	if lose || !hadConsumer && maybeClaim && !certainClaim {
		g.pelLost = true
	}
	return mask(lost || unsure || g.pelLost, array([]string{idReply(cursor), array(claimed), array(deleted)}))
}

// xread answers XREAD and XREADGROUP.
func xread(r *run) string {
	a := r.argv
	grp := r.op == "XREADGROUP"
	timeout, count := int64(-1), int64(0)
	streamsArg, nstreams := 0, 0
	var gname, cname []byte
	noack := false
loop:
	for i := 1; i < len(a); i++ {
		more := len(a) - i - 1
		o := a[i]
		switch {
		case cEqual(o, "BLOCK") && more > 0:
			if r.inScript {
				return scriptBlockError(r)
			}
			i++
			n, ok := parseInt(a[i])
			if !ok {
				return "-ERR timeout is not an integer or out of range\r\n"
			}
			if n < 0 {
				return eTimeNeg
			}
			timeout = n
		case cEqual(o, "COUNT") && more > 0:
			i++
			n, ok := parseInt(a[i])
			if !ok {
				return eNotInt
			}
			count = max(n, 0)
		case cEqual(o, "STREAMS") && more > 0:
			streamsArg = i + 1
			n := len(a) - streamsArg
			if n%2 != 0 {
				return "-ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.\r\n"
			}
			nstreams = n / 2
			break loop
		case cEqual(o, "GROUP") && more >= 2:
			if !grp {
				return "-ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.\r\n"
			}
			gname, cname = a[i+1], a[i+2]
			i += 2
		case cEqual(o, "NOACK"):
			if !grp {
				return "-ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.\r\n"
			}
			noack = true
		default:
			return eSyntax
		}
	}
	if streamsArg == 0 {
		return eSyntax
	}
	if grp && gname == nil {
		return "-ERR Missing GROUP option for XREADGROUP\r\n"
	}
	keys := a[streamsArg : streamsArg+nstreams]
	ids := make([]streamID, nstreams)
	lost := false
	for i := streamsArg + nstreams; i < len(a); i++ {
		idx := i - streamsArg - nstreams
		key := a[i-nstreams]
		v, e := r.streamValue(key)
		if e != "" {
			return mask(lost, e)
		}
		if v != nil && v.stream.lost {
			lost = true
		}
		if grp {
			var g *streamGroup
			if v != nil {
				g = v.stream.group(gname)
			}
			if g == nil {
				return mask(lost, errFmt("-NOGROUP No such key '"+cstr(key)+"' or consumer group '"+cstr(gname)+"' in XREADGROUP with GROUP option"))
			}
			lost = lost || g.lost
		}
		switch cstr(a[i]) {
		case "$":
			if grp {
				return mask(lost, "-ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.\r\n")
			}
			if v != nil {
				ids[idx] = v.stream.lastID
			}
		case ">":
			if !grp {
				return mask(lost, "-ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.\r\n")
			}
			ids[idx] = maxStreamID
		default:
			id, _, ok := parseStreamID(a[i], 0, true, false)
			if !ok {
				return mask(lost, eInvalidID)
			}
			ids[idx] = id
		}
	}
	if lost {
		// Whether it is served, with what, or waits is not known.
		if grp {
			r.loseGroups(keys, gname)
		}
		return rUnknown
	}
	var parts []string
	hit, masked := false, false
	for i, key := range keys {
		v := r.get(key)
		if v == nil {
			continue
		}
		s := v.stream
		gt := ids[i]
		serve, history := false, false
		if grp {
			g := s.group(gname)
			switch {
			case gt != maxStreamID:
				serve, history = true, true
			case len(s.entries) > 0 && g.lastID.less(s.entries[len(s.entries)-1].id):
				serve, gt = true, g.lastID
			}
		} else if len(s.entries) > 0 && gt.less(s.entries[len(s.entries)-1].id) {
			serve = true
		}
		if !serve {
			continue
		}
		start, _ := gt.incr()
		var body string
		if grp {
			v, g := r.ownGroup(key, v, gname)
			g.touchConsumer(string(cname), r.now)
			if history {
				var h bool
				body, h = r.deliverHistory(v.stream, g, string(cname), start, count)
				masked = masked || h
			} else {
				h, l := false, false
				body, h, l = r.deliver(v.stream, g, string(cname), start, count, noack)
				masked, hit = masked || h, hit || l
			}
		} else {
			x := &sread{s: s}
			body = entriesReply(x.rangeOf(start, maxStreamID, count, false))
			hit = hit || x.hit
		}
		parts = append(parts, array([]string{bulk(key), body}))
	}
	if len(parts) > 0 {
		if hit && grp {
			r.loseGroups(keys, gname)
		}
		return mask(hit || masked, array(parts))
	}
	if timeout == -1 || !r.canBlock() {
		return rNilArray
	}
	return r.blockStreams(keys, ids, timeout, count, grp, gname, cname, noack)
}

// scriptBlockError is XREAD's error for BLOCK in a script: it names the
// command as the script spelt it, which the log's line shows (the event's
// Op is upper-cased).
func scriptBlockError(r *run) string {
	raw := r.e.Raw
	if i := bytes.Index(raw, []byte(`] "`)); i >= 0 {
		rest := raw[i+3:]
		if j := bytes.IndexByte(rest, '"'); j > 0 && bytes.IndexByte(rest[:j], '\\') < 0 && strings.EqualFold(string(rest[:j]), r.op) {
			return errFmt(string(rest[:j]) + " command is not allowed with BLOCK option from scripts")
		}
	}
	return rUnknown
}

// loseGroups marks group name lost on every key: what a call did to it
// depends on what an approximate trim removed.
func (r *run) loseGroups(keys [][]byte, name []byte) {
	for _, k := range keys {
		v := r.get(k)
		if v == nil || v.typ != tStream || v.stream.group(name) == nil {
			continue
		}
		_, g := r.ownGroup(k, v, name)
		g.lost = true
	}
}

// deliver serves a consumer the entries from start on (at most count; 0:
// all), as streamReplyWithRange does for a group: the group's last id and
// read counter follow, and without noack each entry becomes (or is
// reassigned as) the consumer's pending entry. hit reports whether the
// entries it delivered depend on what an approximate trim removed; lost,
// whether the group's last id does too (the group is then lost). When
// the delivery reaches the stream's last entry, which no trim removed,
// every stream the real one may be ends the same: only the entries a trim
// may have removed differ, and their pending entries may not be pending.
func (r *run) deliver(s *stream, g *streamGroup, consumer string, start streamID, count int64, noack bool) (reply string, hit, lost bool) {
	x := &sread{s: s}
	es := x.rangeOf(start, maxStreamID, count, false)
	first := s.search(start)
	items := make([]string, 0, len(es))
	for j, e := range es {
		if g.lastID.less(e.id) {
			er, known := s.inWorlds(func(w streamWorld) int64 {
				if g.entriesRead != -1 && !s.hasTombstones(w, e.id) {
					return g.entriesRead + 1
				}
				if s.added != 0 {
					return s.estimate(w, e.id)
				}
				return g.entriesRead
			})
			if !known || s.maxDelUnknown || x.hit {
				g.readUnknown = true
			}
			g.entriesRead, g.lastID = er, e.id
		}
		items = append(items, entryReply(e))
		if !noack {
			unsure := first+j < s.unsure
			n := streamNack{id: e.id, consumer: consumer, delivered: r.now, count: 1, maybe: unsure}
			if i, ok := g.nack(e.id); ok {
				if unsure {
					// Where the entry is gone, the pending entry stays
					// another consumer's.
					g.pelLost = true
				}
				g.pel[i] = n
			} else {
				g.insertNack(i, n)
			}
		}
	}
	if x.hit && (len(es) == 0 || first+len(es) != len(s.entries) || first+len(es)-1 < s.unsure) {
		g.lost = true
		lost = true
	}
	return array(items), x.hit, lost
}

// deliverHistory serves a consumer its own pending entries from start on
// (streamReplyWithRangeFromConsumerPEL): an entry no longer in the stream
// comes with a null array.
func (r *run) deliverHistory(s *stream, g *streamGroup, consumer string, start streamID, count int64) (string, bool) {
	x := &sread{s: s, hit: g.pelLost}
	var items []string
	i, _ := g.nack(start)
	for ; i < len(g.pel); i++ {
		if count > 0 && int64(len(items)) >= count {
			break
		}
		p := &g.pel[i]
		if p.consumer != consumer {
			continue
		}
		if p.maybe {
			x.hit = true
		}
		if e := x.entry(p.id); e != nil {
			items = append(items, entryReply(*e))
			p.delivered = r.now
			p.count++
		} else {
			items = append(items, array([]string{idReply(p.id), rNilArray}))
		}
	}
	// What differs between the streams the real one may be is the reply
	// and delivery counts and times, which only labelled replies show.
	return array(items), x.hit
}

// blockStreams makes XREAD or XREADGROUP wait: an XADD (or anything that
// signals the key) serves it with the entries after the id it waits for,
// at most count (1000 without COUNT); an XREADGROUP client gets an error
// when its key or group goes.
func (r *run) blockStreams(keys [][]byte, ids []streamID, timeout, count int64, grp bool, gname, cname []byte, noack bool) string {
	if count == 0 {
		count = 1000
	}
	gts := append([]streamID(nil), ids...)
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = string(k)
	}
	group, consumer := string(gname), string(cname)
	serve := func(r *run, k []byte) (string, bool) {
		i := 0
		for names[i] != string(k) {
			i++
		}
		v := r.get(k)
		if !grp {
			if v == nil || v.typ != tStream {
				return "", false
			}
			s := v.stream
			if s.lost {
				return rUnknown, true
			}
			if !gts[i].less(s.lastID) {
				return "", false
			}
			start, _ := gts[i].incr()
			x := &sread{s: s}
			body := entriesReply(x.rangeOf(start, maxStreamID, count, false))
			return mask(x.hit, array([]string{array([]string{bulk(k), body})})), true
		}
		if v == nil || v.typ != tStream {
			return eUnblocked, true
		}
		g := v.stream.group([]byte(group))
		if g == nil {
			return eGroupDeleted, true
		}
		if v.stream.lost || g.lost {
			r.loseGroups(keyBytes(names), []byte(group))
			return rUnknown, true
		}
		if !g.lastID.less(v.stream.lastID) {
			return "", false
		}
		start, _ := g.lastID.incr()
		v, g = r.ownGroup(k, v, []byte(group))
		g.touchConsumer(consumer, r.now)
		body, hit, lost := r.deliver(v.stream, g, consumer, start, count, noack)
		if lost {
			r.loseGroups(keyBytes(names), []byte(group))
		}
		return mask(hit, array([]string{array([]string{bulk(k), body})})), true
	}
	out := r.blockClient(keys, 0, rNilArray, serve)
	b := r.s.blocked[len(r.s.blocked)-1]
	switch {
	case timeout == 0:
	case timeout > math.MaxInt64-r.now:
		// Redis's deadline (now + timeout, in ms) overflows: negative,
		// it passes at once.
		b.deadline = r.e.Time
	case timeout <= (math.MaxInt64-r.e.Time)/1e6:
		b.deadline = r.e.Time + timeout*1e6
	}
	return out
}

func keyBytes(names []string) [][]byte {
	out := make([][]byte, len(names))
	for i, n := range names {
		out[i] = []byte(n)
	}
	return out
}

func xinfoGroups(r *run) string {
	v, e := r.existing(r.streamValue, r.argv[2], eNoKey)
	if e != "" {
		return e
	}
	s := v.stream
	if len(s.groups) == 0 {
		return mask(s.lost, rEmpty)
	}
	unknown := s.lost || s.maxDelUnknown
	items := make([]string, len(s.groups))
	for i, g := range s.groups {
		unknown = unknown || g.lost || g.pelLost || g.readUnknown || g.anyMaybe("", true)
		er := rNil
		if g.entriesRead != -1 {
			er = integer(g.entriesRead)
		}
		lag, known := s.inWorlds(func(w streamWorld) int64 { return s.lag(w, g) })
		unknown = unknown || !known
		lagReply := rNil
		if lag != noLag {
			lagReply = integer(lag)
		}
		items[i] = array([]string{
			bulkString("name"), bulkString(g.name),
			bulkString("consumers"), integer(int64(len(g.consumers))),
			bulkString("pending"), integer(int64(len(g.pel))),
			bulkString("last-delivered-id"), idReply(g.lastID),
			bulkString("entries-read"), er,
			bulkString("lag"), lagReply,
		})
	}
	return mask(unknown, array(items))
}

func xinfoConsumers(r *run) string {
	a := r.argv
	v, e := r.existing(r.streamValue, a[2], eNoKey)
	if e != "" {
		return e
	}
	g := v.stream.group(a[3])
	if g == nil {
		return mask(v.stream.lost, errFmt("-NOGROUP No such consumer group '"+cstr(a[3])+"' for key name '"+cstr(a[2])+"'"))
	}
	items := make([]string, len(g.consumers))
	for i, c := range g.consumers {
		items[i] = array([]string{
			bulkString("name"), bulkString(c.name),
			bulkString("pending"), integer(g.pendingOf(c.name)),
			bulkString("idle"), integer(max(r.now-c.seen, 0)),
		})
	}
	return mask(v.stream.lost || g.lost || g.pelLost || g.anyMaybe("", true), array(items))
}
