package redis

import (
	"math"
	"sort"
	"strconv"
	"strings"
)

// A streamID is a stream entry's id, MS-SEQ.
type streamID struct{ ms, seq uint64 }

// maxStreamID is the greatest id ("+", and the ">" of XREADGROUP).
var maxStreamID = streamID{math.MaxUint64, math.MaxUint64}

func (id streamID) String() string {
	return strconv.FormatUint(id.ms, 10) + "-" + strconv.FormatUint(id.seq, 10)
}

func (id streamID) less(o streamID) bool {
	return id.ms < o.ms || (id.ms == o.ms && id.seq < o.seq)
}

func (id streamID) zero() bool { return id.ms == 0 && id.seq == 0 }

// incr returns the next id; ok is false when id is the greatest one (the
// result then wraps to 0-0, as streamIncrID does).
func (id streamID) incr() (streamID, bool) {
	switch {
	case id.seq < math.MaxUint64:
		return streamID{id.ms, id.seq + 1}, true
	case id.ms < math.MaxUint64:
		return streamID{id.ms + 1, 0}, true
	}
	return streamID{}, false
}

// decr returns the previous id; ok is false when id is 0-0.
func (id streamID) decr() (streamID, bool) {
	switch {
	case id.seq > 0:
		return streamID{id.ms, id.seq - 1}, true
	case id.ms > 0:
		return streamID{id.ms - 1, math.MaxUint64}, true
	}
	return maxStreamID, false
}

// A streamEntry is one entry: its id and its field-value pairs.
type streamEntry struct {
	id     streamID
	fields [][]byte
}

// A streamNack is an entry of a consumer group's pending entries list: a
// delivered entry not yet acknowledged, with the consumer it was last
// delivered to, when (Unix ms by the log's clock), and how many times.
type streamNack struct {
	id        streamID
	consumer  string
	delivered int64
	count     uint64
	// maybe: the entry may not be pending at all: XCLAIM or XAUTOCLAIM
	// claimed it where an approximate trim may have removed its entry,
	// which drops it from the list instead.
	maybe bool
}

// A streamConsumer is a consumer of a group, with when it was last seen
// (Unix ms by the log's clock). Its pending entries are the group's
// whose consumer it is.
type streamConsumer struct {
	name string
	seen int64
}

// A streamGroup is a consumer group.
type streamGroup struct {
	name   string
	lastID streamID // the last delivered id
	// entriesRead is the group's logical read counter (-1: invalid), as
	// Redis 7.0 keeps it for XINFO's lag.
	entriesRead int64
	// readUnknown: entriesRead depends on what an approximate trim
	// removed (see stream.unsure).
	readUnknown bool
	// lost: the group's pending entries, consumers or last id depend on
	// what an approximate trim removed; only its existence is known.
	lost bool
	// pelLost: its pending entries and consumers depend on what an
	// approximate trim removed (XCLAIM and XAUTOCLAIM on entries it may
	// have removed); its last id does not.
	pelLost   bool
	pel       []streamNack     // by id
	consumers []streamConsumer // by name (the radix tree's byte order)
}

// A stream is a stream value as Redis 7.0 keeps it, less its radix tree
// of listpacks: the live entries, the last id, the greatest deleted id,
// the count of entries ever added, and the consumer groups.
//
// An approximate trim ("~") removes whole radix-tree nodes only, and where
// a node ends depends on the server's stream-node-max-entries and
// stream-node-max-bytes, which no log shows. So after one the model knows
// the entries only up to a prefix: the real stream holds entries[k:] for
// some k in [0, unsure]. A reply that differs between those streams is
// unknown (see sread); entries is the longest of them.
type stream struct {
	entries    []streamEntry // live entries, by id
	lastID     streamID
	maxDeleted streamID // max_deleted_entry_id
	added      uint64   // entries_added
	groups     []*streamGroup
	// unsure is how many of the first entries an approximate trim may
	// have removed.
	unsure int
	// maxDelUnknown: XDEL deleted an entry an approximate trim may have
	// removed already, so whether maxDeleted moved is not known.
	maxDelUnknown bool
	// lost: the model no longer knows the stream (an XSETID whose outcome
	// depended on what an approximate trim removed): every reply that
	// reads it is unknown until the key is deleted or overwritten.
	lost bool
}

func (s *stream) copy() *stream {
	c := *s
	c.entries = append([]streamEntry(nil), s.entries...)
	c.groups = make([]*streamGroup, len(s.groups))
	for i, g := range s.groups {
		n := *g
		n.pel = append([]streamNack(nil), g.pel...)
		n.consumers = append([]streamConsumer(nil), g.consumers...)
		c.groups[i] = &n
	}
	return &c
}

func (s *stream) fingerprint(b *strings.Builder) {
	b.WriteString("last " + s.lastID.String() + " maxdel " + s.maxDeleted.String() +
		" added " + strconv.FormatUint(s.added, 10) + " unsure " + strconv.Itoa(s.unsure))
	writeMarks(b, mark{s.maxDelUnknown, " maxdel?"}, mark{s.lost, " lost"})
	b.WriteByte(';')
	for _, e := range s.entries {
		b.WriteString(e.id.String())
		for _, f := range e.fields {
			b.WriteString("," + strconv.Quote(string(f)))
		}
		b.WriteByte(';')
	}
	for _, g := range s.groups {
		b.WriteString("group " + strconv.Quote(g.name) + " " + g.lastID.String() + " " + strconv.FormatInt(g.entriesRead, 10))
		writeMarks(b, mark{g.readUnknown, " read?"}, mark{g.lost, " lost"}, mark{g.pelLost, " pel?"})
		for _, n := range g.pel {
			b.WriteString(" p" + n.id.String() + "," + strconv.Quote(n.consumer) + "," +
				strconv.FormatInt(n.delivered, 10) + "," + strconv.FormatUint(n.count, 10))
			if n.maybe {
				b.WriteByte('?')
			}
		}
		for _, c := range g.consumers {
			b.WriteString(" c" + strconv.Quote(c.name) + "," + strconv.FormatInt(c.seen, 10))
		}
		b.WriteByte(';')
	}
}

// search returns the index of the first entry whose id is id or greater.
func (s *stream) search(id streamID) int {
	return sort.Search(len(s.entries), func(i int) bool { return !s.entries[i].id.less(id) })
}

// find returns the index of the entry id.
func (s *stream) find(id streamID) (int, bool) {
	i := s.search(id)
	return i, i < len(s.entries) && s.entries[i].id == id
}

// group returns the consumer group name, or nil.
func (s *stream) group(name []byte) *streamGroup {
	i := sort.Search(len(s.groups), func(i int) bool { return s.groups[i].name >= string(name) })
	if i < len(s.groups) && s.groups[i].name == string(name) {
		return s.groups[i]
	}
	return nil
}

// addGroup adds a group, keeping the groups by name.
func (s *stream) addGroup(g *streamGroup) {
	i := sort.Search(len(s.groups), func(i int) bool { return s.groups[i].name >= g.name })
	s.groups = append(s.groups, nil)
	copy(s.groups[i+1:], s.groups[i:])
	s.groups[i] = g
}

// removeGroup removes the group name.
func (s *stream) removeGroup(name string) {
	for i, g := range s.groups {
		if g.name == name {
			s.groups = append(s.groups[:i:i], s.groups[i+1:]...)
			return
		}
	}
}

// nack returns the index of id in the group's pending entries list.
func (g *streamGroup) nack(id streamID) (int, bool) {
	i := sort.Search(len(g.pel), func(i int) bool { return !g.pel[i].id.less(id) })
	return i, i < len(g.pel) && g.pel[i].id == id
}

// insertNack adds a pending entry at index i (from nack).
func (g *streamGroup) insertNack(i int, n streamNack) {
	g.pel = append(g.pel, streamNack{})
	copy(g.pel[i+1:], g.pel[i:])
	g.pel[i] = n
}

func (g *streamGroup) removeNack(i int) { g.pel = append(g.pel[:i:i], g.pel[i+1:]...) }

// consumer returns the index of the consumer name.
func (g *streamGroup) consumer(name string) (int, bool) {
	i := sort.Search(len(g.consumers), func(i int) bool { return g.consumers[i].name >= name })
	return i, i < len(g.consumers) && g.consumers[i].name == name
}

// addConsumer creates a consumer seen at now; false when it exists.
func (g *streamGroup) addConsumer(name string, now int64) bool {
	i, ok := g.consumer(name)
	if ok {
		return false
	}
	g.consumers = append(g.consumers, streamConsumer{})
	copy(g.consumers[i+1:], g.consumers[i:])
	g.consumers[i] = streamConsumer{name: name, seen: now}
	return true
}

// touchConsumer finds a consumer and refreshes its seen time
// (streamLookupConsumer), or creates it (streamCreateConsumer).
func (g *streamGroup) touchConsumer(name string, now int64) {
	if i, ok := g.consumer(name); ok {
		g.consumers[i].seen = now
		return
	}
	g.addConsumer(name, now)
}

// claim gives pending entry i to consumer name, delivered at delivered,
// as XCLAIM and XAUTOCLAIM do: the consumer is made or touched at now,
// the first time a command claims (seen says whether it has).
func (g *streamGroup) claim(i int, name string, now, delivered int64, seen *bool) *streamNack {
	if !*seen {
		g.touchConsumer(name, now)
		*seen = true
	}
	n := &g.pel[i]
	n.consumer, n.delivered = name, delivered
	return n
}

// anyMaybe reports whether a pending entry of the consumer (all of
// them, for "") may not be pending.
func (g *streamGroup) anyMaybe(consumer string, all bool) bool {
	for _, n := range g.pel {
		if n.maybe && (all || n.consumer == consumer) {
			return true
		}
	}
	return false
}

// pendingOf counts a consumer's pending entries.
func (g *streamGroup) pendingOf(name string) int64 {
	var n int64
	for _, x := range g.pel {
		if x.consumer == name {
			n++
		}
	}
	return n
}

// A sread is one command's reading of a stream: it notes whether the
// command looked at what an approximate trim left unknown (an entry that
// may be gone, the length, the first entry). The model's stream is the
// longest the real one may be; a reply that looked at such a thing is
// unknown.
type sread struct {
	s   *stream
	hit bool
}

// length returns the number of entries.
func (x *sread) length() int {
	if x.s.unsure > 0 {
		x.hit = true
	}
	return len(x.s.entries)
}

// exists reports whether entry id is in the stream.
func (x *sread) exists(id streamID) (int, bool) {
	i, ok := x.s.find(id)
	if ok && i < x.s.unsure {
		x.hit = true
	}
	return i, ok
}

// entry returns the entry id, or nil.
func (x *sread) entry(id streamID) *streamEntry {
	if i, ok := x.exists(id); ok {
		return &x.s.entries[i]
	}
	return nil
}

// rangeOf returns the entries from start to end (inclusive), at most
// count of them (0: all), from end to start when rev.
func (x *sread) rangeOf(start, end streamID, count int64, rev bool) []streamEntry {
	s := x.s
	var out []streamEntry
	if end.less(start) {
		return nil
	}
	// take adds entry i, unless count entries are already out.
	take := func(i int) bool {
		if count > 0 && int64(len(out)) >= count {
			return false
		}
		if i < s.unsure {
			x.hit = true
		}
		out = append(out, s.entries[i])
		return true
	}
	if !rev {
		for i := s.search(start); i < len(s.entries) && !end.less(s.entries[i].id); i++ {
			if !take(i) {
				break
			}
		}
		return out
	}
	j := s.search(end)
	if j == len(s.entries) || s.entries[j].id != end {
		j--
	}
	for ; j >= 0 && !s.entries[j].id.less(start); j-- {
		if !take(j) {
			break
		}
	}
	return out
}

// A streamWorld is what a reply may read of one of the streams the real
// one may be: its length and first entry id (0-0 when empty).
type streamWorld struct {
	length uint64
	first  streamID
}

// inWorlds evaluates f on every stream the real one may be (the first k
// entries gone, k up to unsure) and returns its value on the model's
// stream, with whether f gave that value on all of them.
func (s *stream) inWorlds(f func(w streamWorld) int64) (int64, bool) {
	world := func(k int) streamWorld {
		w := streamWorld{length: uint64(len(s.entries) - k)}
		if k < len(s.entries) {
			w.first = s.entries[k].id
		}
		return w
	}
	v := f(world(0))
	for k := 1; k <= s.unsure; k++ {
		if f(world(k)) != v {
			return v, false
		}
	}
	return v, true
}

// hasTombstones is streamRangeHasTombstones from start to the end: does
// a deleted entry lie in the range, as far as max_deleted_entry_id tells.
func (s *stream) hasTombstones(w streamWorld, start streamID) bool {
	if w.length == 0 || s.maxDeleted.zero() {
		return false
	}
	if s.maxDeleted.less(w.first) {
		return false
	}
	return !s.maxDeleted.less(start)
}

// estimate is streamEstimateDistanceFromFirstEverEntry: the logical read
// counter of id, or -1 when it cannot be known.
func (s *stream) estimate(w streamWorld, id streamID) int64 {
	if s.added == 0 {
		return 0
	}
	if w.length == 0 && !s.lastID.less(id) {
		return int64(s.added)
	}
	switch {
	case id == s.lastID:
		return int64(s.added)
	case s.lastID.less(id):
		return -1
	}
	if s.maxDeleted.zero() || s.maxDeleted.less(w.first) {
		if id.less(w.first) {
			return int64(s.added) - int64(w.length)
		}
		if id == w.first {
			return int64(s.added) - int64(w.length) + 1
		}
	}
	return -1
}

// noLag is lag's value for streamReplyWithCGLag's null (a lag may be
// negative: XSETID and XGROUP SETID set the counters freely).
const noLag = math.MinInt64

// lag is streamReplyWithCGLag's number, or noLag.
func (s *stream) lag(w streamWorld, g *streamGroup) int64 {
	if s.added == 0 {
		return 0
	}
	if g.entriesRead != -1 && !s.hasTombstones(w, g.lastID) {
		return int64(s.added) - g.entriesRead
	}
	if er := s.estimate(w, g.lastID); er != -1 {
		return int64(s.added) - er
	}
	return noLag
}

// A trimArgs is XADD's and XTRIM's trimming (and, for XADD, id) options.
type trimArgs struct {
	id                 streamID
	idGiven, seqGiven  bool
	noMkStream         bool
	strategy           int // trimNone, trimMaxLen, trimMinID
	approx, limitGiven bool
	limit, maxLen      int64
	minID              streamID
}

const (
	trimNone = iota
	trimMaxLen
	trimMinID
)

// trim trims the stream as XADD's and XTRIM's options say and returns how
// many entries it removed, whether that number is known, and whether
// some entry was removed for sure. An exact trim removes entries as the
// model knows them; an approximate one removes whole radix-tree nodes,
// whose bounds no log shows, so unless it provably removes nothing (or
// everything) the model keeps the entries and marks how many of the
// first ones may be gone (unsure).
func (s *stream) trim(t *trimArgs) (removed int64, known, some bool) {
	n, u := len(s.entries), s.unsure
	drop := func(d int) (int64, bool, bool) {
		// Every stream the real one may be loses its entries before
		// index d: d of them, or d-k when an earlier trim took k.
		s.entries = append([]streamEntry(nil), s.entries[d:]...)
		s.unsure = max(0, u-d)
		return int64(d), u == 0, d > u
	}
	all := func() (int64, bool, bool) {
		s.entries, s.unsure = nil, 0
		return int64(n), u == 0, n > u
	}
	switch t.strategy {
	case trimMaxLen:
		if int64(n) <= t.maxLen {
			return 0, true, false
		}
		excess := n - int(t.maxLen)
		switch {
		case !t.approx:
			return drop(excess)
		case t.maxLen == 0 && t.limitGiven && t.limit == 0:
			// Every node goes: nothing limits the work and none must stay.
			return all()
		}
		s.unsure = max(u, excess)
		return 0, false, false
	case trimMinID:
		c := s.search(t.minID)
		if c == 0 {
			return 0, true, false
		}
		switch {
		case !t.approx:
			return drop(c)
		case t.limitGiven && t.limit == 0 && s.lastID.less(t.minID):
			// Every node ends before minid (a node's last entry, deleted
			// or not, is at most the last id).
			return all()
		}
		s.unsure = max(u, c)
		return 0, false, false
	}
	return 0, true, false
}
