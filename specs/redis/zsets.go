package redis

import (
	"math"
	"sort"
	"strings"

	"github.com/wat-project/wat/formats"
)

// The sorted-set commands. Members are ordered by score, then by their
// bytes; scores are replied as Redis 7.0 formats doubles (%.17g, inf,
// -inf). A set past its listpack encoding (128 members, or a member over
// 64 bytes) is a skiplist for good: ZSCAN then walks a hash table, and a
// lexicographic range over members of different scores depends on the
// skiplist's random levels (see zset).
var sortedSetCommands = inGroup("sorted-set", []*Command{
	{Name: "BZMPOP", Arity: -5, Flags: "write blocking movablekeys", Keys: []KeySpec{keysCounted(2, "RW access delete")},
		Run: zmpop},
	{Name: "BZPOPMAX", Arity: -3, Flags: "write noscript blocking fast",
		Keys: []KeySpec{keysBeforeLast(1, "RW access delete")},
		Run:  bzpop},
	{Name: "BZPOPMIN", Arity: -3, Flags: "write noscript blocking fast",
		Keys: []KeySpec{keysBeforeLast(1, "RW access delete")},
		Run:  bzpop},
	{Name: "ZADD", Arity: -4, Flags: "write denyoom fast", Keys: key1("RW update"), Run: zadd, Sub: zaddSubs},
	{Name: "ZCARD", Arity: 2, Flags: "readonly fast", Keys: key1("RO"), Run: zcard},
	{Name: "ZCOUNT", Arity: 4, Flags: "readonly fast", Keys: key1("RO access"), Run: zcount},
	zsetOpCommand("ZDIFF", false),
	zsetOpCommand("ZDIFFSTORE", true),
	{Name: "ZINCRBY", Arity: 4, Flags: "write denyoom fast", Keys: key1("RW access update"), Run: zadd, Sub: subAt("member", 3, formats.KindWrite)},
	zsetOpCommand("ZINTER", false),
	zsetOpCommand("ZINTERCARD", false),
	zsetOpCommand("ZINTERSTORE", true),
	{Name: "ZLEXCOUNT", Arity: 4, Flags: "readonly fast", Keys: key1("RO access"), Run: zlexcount},
	{Name: "ZMPOP", Arity: -4, Flags: "write movablekeys", Keys: []KeySpec{keysCounted(1, "RW access delete")},
		Run: zmpop},
	{Name: "ZMSCORE", Arity: -3, Flags: "readonly fast",
		Keys: key1("RO access"),
		Run:  zscore,
		Sub:  subsFrom("members", 2, 1, formats.KindRead)},
	{Name: "ZPOPMAX", Arity: -2, Flags: "write fast", Keys: key1("RW access delete"), Run: zpop},
	{Name: "ZPOPMIN", Arity: -2, Flags: "write fast", Keys: key1("RW access delete"), Run: zpop},
	{Name: "ZRANDMEMBER", Arity: -2, Flags: "readonly", Keys: key1("RO access"), Unknown: "a random pick (ZRANDMEMBER)"},
	zrangeCommand("ZRANGE", zAuto, false, false),
	zrangeCommand("ZRANGEBYLEX", zByLex, true, false),
	zrangeCommand("ZRANGEBYSCORE", zByScore, true, false),
	{Name: "ZRANGESTORE", Arity: -5, Flags: "write denyoom", Keys: []KeySpec{keyAt(1, "OW update"), keyAt(2, "RO access")},
		Run: func(r *run) string { return zrange(r, true, zAuto, false, false) }},
	{Name: "ZRANK", Arity: 3, Flags: "readonly fast", Keys: key1("RO access"), Run: zrank},
	{Name: "ZREM", Arity: -3, Flags: "write fast",
		Keys: key1("RW delete"),
		Run:  zrem,
		Sub:  subsFrom("members", 2, 1, formats.KindReset)},
	{Name: "ZREMRANGEBYLEX", Arity: 4, Flags: "write", Keys: key1("RW delete"), Run: zremrange},
	{Name: "ZREMRANGEBYRANK", Arity: 4, Flags: "write", Keys: key1("RW delete"), Run: zremrange},
	{Name: "ZREMRANGEBYSCORE", Arity: 4, Flags: "write", Keys: key1("RW delete"), Run: zremrange},
	zrangeCommand("ZREVRANGE", zByRank, true, true),
	zrangeCommand("ZREVRANGEBYLEX", zByLex, true, true),
	zrangeCommand("ZREVRANGEBYSCORE", zByScore, true, true),
	{Name: "ZREVRANK", Arity: 3, Flags: "readonly fast", Keys: key1("RO access"), Run: zrank},
	{Name: "ZSCAN", Arity: -3, Flags: "readonly", Keys: key1("RO access"), Run: zscan},
	{Name: "ZSCORE", Arity: 3, Flags: "readonly fast", Keys: key1("RO access"), Run: zscore, Sub: subAt("member", 2, formats.KindRead)},
	zsetOpCommand("ZUNION", false),
	zsetOpCommand("ZUNIONSTORE", true),
})

// whySkiplist is what a sorted-set reply the model gives as unknown
// depends on: where a search of a skiplist ends when the members are not
// in lexicographic order (different scores) depends on its nodes' random
// levels, and once such a search changed a set (ZREMRANGEBYLEX) its
// contents are not known; nor are they once a geo search stored
// distances whose last bits glibc decides (STOREDIST, see geomath.go).
const whySkiplist = "the random levels of a sorted set's skiplist (a lexicographic range over members of different scores), or the last bits of distances a geo search stored (STOREDIST)"

// Error replies of the sorted-set commands.
const (
	eZRange    = "-ERR min or max is not a float\r\n"
	eZLexRange = "-ERR min or max not valid string range item\r\n"
	eZNaN      = "-ERR resulting score is not a number (NaN)\r\n"
)

// zsetValue returns a key's sorted set, nil for a missing key, or an
// error reply: WRONGTYPE, or rUnknown (with the value) for a set whose
// contents are lost.
func (r *run) zsetValue(k []byte) (*value, string) {
	v, e := r.container(k, tZSet, false)
	if e == "" && v != nil && v.zset.lost {
		return v, rUnknown
	}
	return v, e
}

// lostWrite is a write to a sorted set whose contents are lost: its
// reply is unknown, the set stays lost, and the key is noted as changed
// (a write the model cannot follow may have changed it).
func (r *run) lostWrite(k []byte, v *value) string {
	r.mut(k, v)
	return rUnknown
}

// zsetToChange returns the sorted set at k that a write changes, or the
// reply it gives without one: 0 when k does not exist, WRONGTYPE, or
// unknown, with k marked changed (lostWrite), when the model does not
// know its value.
func (r *run) zsetToChange(k []byte) (*value, string) {
	v, e := r.existing(r.zsetValue, k, rZero)
	if e == rUnknown {
		return nil, r.lostWrite(k, v)
	}
	return v, e
}

// storeZset stores the result of ZUNIONSTORE, ZRANGESTORE and the like
// as Redis's setKey does (r.set: over an existing key it wakes no waiting
// client).
func (r *run) storeZset(dst []byte, z *zset) {
	r.set(dst, &value{typ: tZSet, zset: z})
}

// scoreReply is a score as addReplyDouble sends it.
func scoreReply(f float64) string { return bulkString(formatDouble(f)) }

// zmembersReply lists members, with their scores when withScores.
func zmembersReply(ms []zmember, withScores bool) string {
	items := make([]string, 0, len(ms)*2)
	for _, m := range ms {
		items = append(items, bulkString(m.member))
		if withScores {
			items = append(items, scoreReply(m.score))
		}
	}
	return array(items)
}

// newZsetValue returns a new sorted set holding one member's room, encoded
// as ZADD creates it: a skiplist at once when the first member is too long
// for a listpack.
func newZsetValue(first []byte) *value {
	return &value{typ: tZSet, zset: &zset{score: map[string]float64{}, skiplist: len(first) > zsetMaxListpackValue}}
}

// lostValue is a sorted set whose contents the model does not know.
func lostValue() *value {
	return &value{typ: tZSet, zset: &zset{score: map[string]float64{}, skiplist: true, lost: true}}
}

// zadd answers ZADD and ZINCRBY (ZADD with INCR), as zaddGenericCommand:
// options, then score-member pairs, every score parsed before anything is
// changed.
func zadd(r *run) string {
	a := r.args
	key := a[0]
	flags, i := leadingFlags(a, 1, "nx", "xx", "ch", "incr", "gt", "lt")
	nx, xx, gt, lt, ch := flags["nx"], flags["xx"], flags["gt"], flags["lt"], flags["ch"]
	incr := r.op == "ZINCRBY" || flags["incr"]
	pairs := len(a) - i
	if pairs%2 != 0 || pairs == 0 {
		return eSyntax
	}
	pairs /= 2
	switch {
	case nx && xx:
		return "-ERR XX and NX options at the same time are not compatible\r\n"
	case gt && nx || lt && nx || gt && lt:
		return "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"
	case incr && pairs > 1:
		return "-ERR INCR option supports a single increment-element pair\r\n"
	}
	scores := make([]float64, pairs)
	for j := range scores {
		f, ok := parseScore(a[i+2*j])
		if !ok {
			return eNotFloat
		}
		scores[j] = f
	}
	v, e := r.zsetValue(key)
	switch {
	case e == rUnknown:
		return r.lostWrite(key, v)
	case e != "":
		return e
	}
	var added, updated, processed int64
	var score float64
	if v == nil && !xx {
		v = newZsetValue(a[i+1])
		r.set(key, v)
	}
	for j := 0; v != nil && j < pairs; j++ {
		member := string(a[i+1+2*j])
		score = scores[j]
		z := v.zset
		cur, had := z.score[member]
		switch {
		case had && nx, !had && xx:
			continue // a no-op
		case had:
			if incr {
				score += cur
				if math.IsNaN(score) {
					return eZNaN
				}
			}
			if lt && score >= cur || gt && score <= cur {
				continue
			}
			processed++
			if score == cur {
				continue
			}
			updated++
		default:
			processed++
			added++
		}
		v = r.mut(key, v)
		z = v.zset
		if !had && !z.skiplist && (z.len()+1 > zsetMaxListpackEntries || len(member) > zsetMaxListpackValue) {
			z.skiplist = true
		}
		z.add(member, score)
	}
	if incr {
		if processed == 0 {
			return rNil
		}
		return scoreReply(score)
	}
	if ch {
		return integer(added + updated)
	}
	return integer(added)
}

func zrem(r *run) string {
	key, members := r.args[0], r.args[1:]
	v, e := r.zsetToChange(key)
	if e != "" {
		return e
	}
	var deleted int64
	for _, m := range members {
		if _, ok := v.zset.score[string(m)]; !ok {
			continue
		}
		if deleted == 0 {
			v = r.mut(key, v)
		}
		v.zset.remove(string(m))
		deleted++
		if v.zset.len() == 0 {
			r.del(key)
			break
		}
	}
	return integer(deleted)
}

func zcard(r *run) string {
	return r.sizeOf(r.zsetValue, func(v *value) int { return v.zset.len() })
}

// zscore answers ZSCORE and ZMSCORE.
func zscore(r *run) string {
	v, e := r.zsetValue(r.args[0])
	if e != "" {
		return e
	}
	return r.perMember("ZSCORE", func(m []byte) string {
		if v == nil {
			return rNil
		}
		s, ok := v.zset.score[string(m)]
		if !ok {
			return rNil
		}
		return scoreReply(s)
	})
}

// zrank answers ZRANK and ZREVRANK.
func zrank(r *run) string {
	v, e := r.existing(r.zsetValue, r.args[0], rNil)
	if e != "" {
		return e
	}
	i, ok := v.zset.rank(string(r.args[1]))
	if !ok {
		return rNil
	}
	if r.op == "ZREVRANK" {
		i = v.zset.len() - 1 - i
	}
	return integer(int64(i))
}

// countedIn returns the sorted set a ZCOUNT or ZLEXCOUNT counts in, or
// the reply it gives without one: bad when its range did not parse
// (parsed false), 0 when the key does not exist, WRONGTYPE.
func countedIn(r *run, parsed bool, bad string) (*zset, string) {
	if !parsed {
		return nil, bad
	}
	v, e := r.existing(r.zsetValue, r.args[0], rZero)
	if e != "" {
		return nil, e
	}
	return v.zset, ""
}

func zcount(r *run) string {
	sr, ok := parseScoreRange(r.args[1], r.args[2])
	z, reply := countedIn(r, ok, eZRange)
	if z == nil {
		return reply
	}
	first := z.scoreFirst(sr)
	if first < 0 {
		return rZero
	}
	return integer(int64(z.scoreLast(sr) - first + 1))
}

func zlexcount(r *run) string {
	lr, ok := parseLexRange(r.args[1], r.args[2])
	z, reply := countedIn(r, ok, eZLexRange)
	if z == nil {
		return reply
	}
	n := len(z.sorted)
	if !z.skiplist {
		// A linear count from the first member in range while the members
		// are below the max.
		first := z.lexFirsts(lr)[0]
		c := len(z.walk(first, false, 0, -1, func(m zmember) bool { return lr.lteMax(m.member) }))
		return integer(int64(c))
	}
	// A skiplist counts by the ranks of the first and last members in
	// range, each found by a search.
	var counts []int
	for _, f := range z.lexFirsts(lr) {
		for _, l := range z.lexLasts(lr) {
			c := 0
			switch {
			case f < 0:
			case l < 0:
				c = n - f
			default:
				c = l - f + 1
			}
			counts = appendNew(counts, c)
		}
	}
	if len(counts) != 1 {
		return rUnknown
	}
	return integer(int64(counts[0]))
}

// zrangeCommand is the table entry of a read-only ZRANGE form: zrange
// with the range kind, and with fixedDir the direction (rev) the name
// fixes.
// zsetOpCommand is the table entry of a command of zsetOp: ZDIFF,
// ZINTER, ZINTERCARD and ZUNION read numkeys keys; their STORE forms
// write the destination before them.
func zsetOpCommand(name string, store bool) *Command {
	if store {
		return &Command{Name: name, Arity: -4, Flags: "write denyoom movablekeys",
			Keys: []KeySpec{keyAt(1, "OW update"), keysCounted(2, "RO access")}, Run: zsetOp}
	}
	return &Command{Name: name, Arity: -3, Flags: "readonly movablekeys", Keys: []KeySpec{keysCounted(1, "RO access")}, Run: zsetOp}
}

func zrangeCommand(name string, kind int, fixedDir, rev bool) *Command {
	return &Command{Name: name, Arity: -4, Flags: "readonly", Keys: key1("RO access"),
		Run: func(r *run) string { return zrange(r, false, kind, fixedDir, rev) }}
}

// Range kinds of ZRANGE and its relatives.
const (
	zAuto = iota
	zByRank
	zByScore
	zByLex
)

// zrange answers ZRANGE, ZRANGESTORE and the older ZRANGEBYSCORE,
// ZRANGEBYLEX, ZREVRANGE and their REV forms, as zrangeGenericCommand:
// kind and rev are fixed for the older commands (fixedDir), given by
// BYSCORE, BYLEX and REV for ZRANGE.
func zrange(r *run, store bool, kind int, fixedDir, rev bool) string {
	a := r.args
	src := 0
	if store {
		src = 1
	}
	withScores := false
	offset, limit := int64(0), int64(-1)
	for j := src + 3; j < len(a); j++ {
		left := len(a) - j - 1
		switch {
		case !store && cEqual(a[j], "withscores"):
			withScores = true
		case cEqual(a[j], "limit") && left >= 2:
			o, ok := parseInt(a[j+1])
			if !ok {
				return eNotInt
			}
			l, ok := parseInt(a[j+2])
			if !ok {
				return eNotInt
			}
			offset, limit = o, l
			j += 2
		case !fixedDir && cEqual(a[j], "rev"):
			fixedDir, rev = true, true
		case kind == zAuto && cEqual(a[j], "bylex"):
			kind = zByLex
		case kind == zAuto && cEqual(a[j], "byscore"):
			kind = zByScore
		default:
			return eSyntax
		}
	}
	if kind == zAuto {
		kind = zByRank
	}
	if limit != -1 && kind == zByRank {
		return "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n"
	}
	if withScores && kind == zByLex {
		return "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"
	}
	lo, hi := a[src+1], a[src+2]
	if rev && kind != zByRank {
		lo, hi = hi, lo
	}
	var start, end int64
	var sr scoreRange
	var lr lexRange
	switch kind {
	case zByRank:
		var ok bool
		if start, end, ok = parseRange(lo, hi); !ok {
			return eNotInt
		}
	case zByScore:
		var ok bool
		if sr, ok = parseScoreRange(lo, hi); !ok {
			return eZRange
		}
	case zByLex:
		var ok bool
		if lr, ok = parseLexRange(lo, hi); !ok {
			return eZLexRange
		}
	}
	v, e := r.container(a[src], tZSet, false)
	if e != "" {
		return e
	}
	var dst []byte
	if store {
		dst = a[0]
	}
	if v == nil {
		if store {
			r.del(dst)
			return rZero
		}
		return rEmpty
	}
	z := v.zset
	var outcomes [][]zmember
	switch {
	case z.lost:
	case kind == zByRank:
		outcomes = append(outcomes, z.rankRange(start, end, rev))
	case kind == zByScore:
		at := z.scoreFirst(sr)
		if rev {
			at = z.scoreLast(sr)
		}
		in := func(m zmember) bool { return sr.lteMax(m.score) }
		if rev {
			in = func(m zmember) bool { return sr.gteMin(m.score) }
		}
		outcomes = append(outcomes, z.walk(at, rev, offset, limit, in))
	default:
		ats := z.lexFirsts(lr)
		in := func(m zmember) bool { return lr.lteMax(m.member) }
		if rev {
			ats = z.lexLasts(lr)
			in = func(m zmember) bool { return lr.gteMin(m.member) }
		}
		for _, at := range ats {
			outcomes = appendOutcome(outcomes, z.walk(at, rev, offset, limit, in))
		}
	}
	if len(outcomes) != 1 {
		// The set is lost, or a skiplist search could end in several
		// places with different results.
		if store {
			r.storeZset(dst, lostValue().zset)
		}
		return rUnknown
	}
	ms := outcomes[0]
	if !store {
		return zmembersReply(ms, withScores)
	}
	if len(ms) == 0 {
		r.del(dst)
		return rZero
	}
	r.storeZset(dst, rangeZset(ms, kind == zByRank))
	return integer(int64(len(ms)))
}

// appendOutcome adds a result to a list of possible ones unless it is
// there already.
func appendOutcome(outs [][]zmember, ms []zmember) [][]zmember {
	for _, o := range outs {
		if sameMembers(o, ms) {
			return outs
		}
	}
	return append(outs, ms)
}

func sameMembers(a, b []zmember) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].member != b[i].member || a[i].score != b[i].score || math.Signbit(a[i].score) != math.Signbit(b[i].score) {
			return false
		}
	}
	return true
}

// rankRange returns the members from rank start to end (negative: from
// the end), as ZRANGE sanitizes them.
func (z *zset) rankRange(start, end int64, rev bool) []zmember {
	n := int64(len(z.sorted))
	start, end, ok := listRange(start, end, n)
	if !ok {
		return nil
	}
	out := make([]zmember, 0, end-start+1)
	for i := start; i <= end; i++ {
		j := i
		if rev {
			j = n - 1 - i
		}
		out = append(out, z.sorted[j])
	}
	return out
}

// zremrange answers ZREMRANGEBYRANK, ZREMRANGEBYSCORE and ZREMRANGEBYLEX.
func zremrange(r *run) string {
	a := r.args
	var start, end int64
	var sr scoreRange
	var lr lexRange
	switch r.op {
	case "ZREMRANGEBYRANK":
		var ok bool
		if start, end, ok = parseRange(a[1], a[2]); !ok {
			return eNotInt
		}
	case "ZREMRANGEBYSCORE":
		var ok bool
		if sr, ok = parseScoreRange(a[1], a[2]); !ok {
			return eZRange
		}
	default:
		var ok bool
		if lr, ok = parseLexRange(a[1], a[2]); !ok {
			return eZLexRange
		}
	}
	v, e := r.zsetToChange(a[0])
	if e != "" {
		return e
	}
	z := v.zset
	n := len(z.sorted)
	from, to := 0, 0
	switch r.op {
	case "ZREMRANGEBYRANK":
		first, last, ok := listRange(start, end, int64(n))
		if !ok {
			return rZero
		}
		from, to = int(first), int(last)+1
	case "ZREMRANGEBYSCORE":
		if from = z.scoreFirst(sr); from < 0 {
			return rZero
		}
		to = z.scoreLast(sr) + 1
	default:
		inMax := func(p int) int {
			q := p
			for q < n && lr.lteMax(z.sorted[q].member) {
				q++
			}
			return q
		}
		if !z.skiplist {
			// zzlDeleteRangeByLex: from the first member in range while
			// below the max.
			first := z.lexFirsts(lr)[0]
			if first < 0 {
				return rZero
			}
			from, to = first, inMax(first)
			break
		}
		// zslDeleteRangeByLex searches for the first member at or above
		// the min without checking the range first; every place the
		// search can end is a candidate.
		type span struct{ from, to int }
		var spans []span
		for p := 0; p <= n; p++ {
			if p > 0 && lr.gteMin(z.sorted[p-1].member) || p < n && !lr.gteMin(z.sorted[p].member) {
				continue
			}
			s := span{p, inMax(p)}
			if s.to == s.from {
				s = span{}
			}
			dup := false
			for _, x := range spans {
				dup = dup || x == s
			}
			if !dup {
				spans = append(spans, s)
			}
		}
		if len(spans) != 1 {
			v = r.mut(a[0], v)
			v.zset.lost = true
			return rUnknown
		}
		from, to = spans[0].from, spans[0].to
	}
	if to <= from {
		return rZero
	}
	v = r.mut(a[0], v)
	v.zset.removeRange(from, to)
	r.dropIfEmpty(a[0], v)
	return integer(int64(to - from))
}

// A zsrc is one input of ZUNION, ZINTER, ZDIFF and their relatives: a
// sorted set, or a set whose members score 1.
type zsrc struct {
	v      *value // nil for a missing key
	weight float64
}

func (s zsrc) len() int {
	switch {
	case s.v == nil:
		return 0
	case s.v.typ == tSet:
		return len(s.v.set)
	}
	return s.v.zset.len()
}

func (s zsrc) find(m string) (float64, bool) {
	switch {
	case s.v == nil:
		return 0, false
	case s.v.typ == tSet:
		return 1, s.v.set[m]
	}
	f, ok := s.v.zset.score[m]
	return f, ok
}

func (s zsrc) members() []zmember {
	switch {
	case s.v == nil:
		return nil
	case s.v.typ == tSet:
		out := make([]zmember, 0, len(s.v.set))
		for m := range s.v.set {
			out = append(out, zmember{m, 1})
		}
		return out
	}
	return s.v.zset.sorted
}

// Aggregates of ZUNION and ZINTER.
const (
	aggSum = iota
	aggMin
	aggMax
)

// aggregate combines two scores as zunionInterAggregate: a sum that is
// NaN (inf plus -inf) is 0; a NaN never wins MIN or MAX.
func aggregate(target, x float64, agg int) float64 {
	switch agg {
	case aggSum:
		target += x
		if math.IsNaN(target) {
			target = 0
		}
	case aggMin:
		if x < target {
			target = x
		}
	default:
		if x > target {
			target = x
		}
	}
	return target
}

// weighted is a source's score times its weight, 0 when that is NaN.
func weighted(s, w float64) float64 {
	x := s * w
	if math.IsNaN(x) {
		return 0
	}
	return x
}

// zsetOp answers ZUNION, ZINTER, ZDIFF, ZINTERCARD and the STORE forms, as
// zunionInterDiffGenericCommand.
func zsetOp(r *run) string {
	a := r.args
	var dst []byte
	store := strings.HasSuffix(r.op, "STORE")
	if store {
		dst, a = a[0], a[1:]
	}
	card := r.op == "ZINTERCARD"
	union := strings.HasPrefix(r.op, "ZUNION")
	diff := strings.HasPrefix(r.op, "ZDIFF")
	n, ok := parseInt(a[0])
	if !ok {
		return eNotInt
	}
	if n < 1 {
		return "-ERR at least 1 input key is needed for '" + strings.ToLower(r.op) + "' command\r\n"
	}
	if n > int64(len(a)-1) {
		return eSyntax
	}
	srcs := make([]zsrc, n)
	lost := false
	for i := range srcs {
		v := r.get(a[1+i])
		if v != nil && v.typ != tZSet && v.typ != tSet {
			return eWrongType
		}
		if v != nil && v.typ == tZSet && v.zset.lost {
			lost = true
		}
		srcs[i] = zsrc{v: v, weight: 1}
	}
	agg := aggSum
	withScores := false
	limit := int64(0)
	for j := int(n) + 1; j < len(a); {
		remaining := int64(len(a) - j)
		switch {
		case !diff && !card && remaining >= n+1 && cEqual(a[j], "weights"):
			j++
			for i := range srcs {
				w, ok := parseScore(a[j])
				if !ok {
					return "-ERR weight value is not a float\r\n"
				}
				srcs[i].weight = w
				j++
			}
		case !diff && !card && remaining >= 2 && cEqual(a[j], "aggregate"):
			switch {
			case cEqual(a[j+1], "sum"):
				agg = aggSum
			case cEqual(a[j+1], "min"):
				agg = aggMin
			case cEqual(a[j+1], "max"):
				agg = aggMax
			default:
				return eSyntax
			}
			j += 2
		case !store && !card && cEqual(a[j], "withscores"):
			withScores = true
			j++
		case card && remaining >= 2 && cEqual(a[j], "limit"):
			l, ok := parseInt(a[j+1])
			if !ok || l < 0 {
				return "-ERR LIMIT can't be negative\r\n"
			}
			limit = l
			j += 2
		default:
			return eSyntax
		}
	}
	if lost {
		if store {
			r.storeZset(dst, lostValue().zset)
		}
		return rUnknown
	}
	if !diff {
		// qsort by size (glibc's qsort is a stable merge sort): the
		// order in which a member's scores are aggregated.
		sort.SliceStable(srcs, func(i, j int) bool { return srcs[i].len() < srcs[j].len() })
	}
	var result []zmember
	count := int64(0)
	switch {
	case diff:
		for _, m := range srcs[0].members() {
			in := false
			for _, s := range srcs[1:] {
				if _, ok := s.find(m.member); ok {
					in = true
					break
				}
			}
			if !in {
				result = append(result, m)
			}
		}
	case union:
		acc := map[string]float64{}
		var order []string
		for _, s := range srcs {
			for _, m := range s.members() {
				x := weighted(m.score, s.weight)
				if cur, ok := acc[m.member]; ok {
					acc[m.member] = aggregate(cur, x, agg)
				} else {
					acc[m.member] = x
					order = append(order, m.member)
				}
			}
		}
		for _, m := range order {
			result = append(result, zmember{m, acc[m]})
		}
	default:
		if srcs[0].len() == 0 {
			break
		}
	members:
		for _, m := range srcs[0].members() {
			score := weighted(m.score, srcs[0].weight)
			for _, s := range srcs[1:] {
				x, ok := s.find(m.member)
				if !ok {
					continue members
				}
				score = aggregate(score, x*s.weight, agg)
			}
			count++
			result = append(result, zmember{m.member, score})
		}
	}
	switch {
	case card:
		if limit > 0 && count > limit {
			count = limit
		}
		return integer(count)
	case store:
		if len(result) == 0 {
			r.del(dst)
			return rZero
		}
		r.storeZset(dst, newZset(result))
		return integer(int64(len(result)))
	}
	sort.Slice(result, func(i, j int) bool { return zless(result[i], result[j]) })
	return zmembersReply(result, withScores)
}

// zpopFrom pops up to n members from the low (or high) end of a key's
// sorted set, deleting the key once it is empty.
func (r *run) zpopFrom(k []byte, v *value, max bool, n int64) []zmember {
	v = r.mut(k, v)
	z := v.zset
	l := int64(z.len())
	if n > l {
		n = l
	}
	out := make([]zmember, 0, n)
	if max {
		for i := int64(0); i < n; i++ {
			out = append(out, z.sorted[l-1-i])
		}
		z.removeRange(int(l-n), int(l))
	} else {
		out = append(out, z.sorted[:n]...)
		z.removeRange(0, int(n))
	}
	r.dropIfEmpty(k, v)
	return out
}

// zpop answers ZPOPMIN and ZPOPMAX: a flat array of members and scores.
func zpop(r *run) string {
	a := r.args
	if len(a) > 2 {
		return eSyntax
	}
	count, ok := popCount(a, 1)
	if !ok {
		return ePositive
	}
	v, e := r.zsetValue(a[0])
	switch {
	case e == rUnknown && count == 0:
		return rEmpty
	case e == rUnknown:
		return r.lostWrite(a[0], v)
	case e != "":
		return e
	case v == nil || count == 0:
		return rEmpty
	}
	return zmembersReply(r.zpopFrom(a[0], v, r.op == "ZPOPMAX", count), true)
}

// zpopKeyed pops from a key for BZPOPMIN and BZPOPMAX ([key, member,
// score]) or ZMPOP and BZMPOP ([key, [[member, score], ...]]).
func (r *run) zpopKeyed(k []byte, v *value, max bool, count int64, nested bool) string {
	if v.zset.lost {
		return r.lostWrite(k, v)
	}
	ms := r.zpopFrom(k, v, max, count)
	if !nested {
		return array([]string{bulk(k), bulkString(ms[0].member), scoreReply(ms[0].score)})
	}
	pairs := make([]string, len(ms))
	for i, m := range ms {
		pairs[i] = array([]string{bulkString(m.member), scoreReply(m.score)})
	}
	return array([]string{bulk(k), array(pairs)})
}

func bzpop(r *run) string {
	max := r.op == "BZPOPMAX"
	return r.bpopFirst(tZSet, func(r *run, k []byte, v *value) string {
		return r.zpopKeyed(k, v, max, 1, false)
	})
}

// zmpop answers ZMPOP and BZMPOP, as zmpopGenericCommand: BZMPOP's
// timeout is read last.
func zmpop(r *run) string {
	a := r.args
	block := r.op == "BZMPOP"
	var timeoutArg []byte
	if block {
		timeoutArg, a = a[0], a[1:]
	}
	n, ok := parseInt(a[0])
	if !ok || n < 1 {
		return "-ERR numkeys should be greater than 0\r\n"
	}
	if n >= int64(len(a)-1) {
		return eSyntax
	}
	keys := a[1 : n+1]
	var max bool
	switch {
	case cEqual(a[n+1], "min"):
	case cEqual(a[n+1], "max"):
		max = true
	default:
		return eSyntax
	}
	count, e := mpopCount(a[n+2:], eCountNotPositive)
	if e != "" {
		return e
	}
	var timeout int64
	if block {
		var e string
		if timeout, e = parseTimeout(timeoutArg); e != "" {
			return e
		}
	}
	return r.popFirst(keys, tZSet, block, timeout, func(r *run, k []byte, v *value) string {
		return r.zpopKeyed(k, v, max, count, true)
	})
}

// zscan answers ZSCAN: a listpack is returned whole with cursor 0 (after
// MATCH), its scores as the listpack stores them; a skiplist's cursor
// walks a hash table whose layout the log does not show.
func zscan(r *run) string {
	if !scanCursorOK(r.args[1]) {
		return "-ERR invalid cursor\r\n"
	}
	v, e := r.container(r.args[0], tZSet, false)
	switch {
	case e != "":
		return e
	case v == nil:
		return array([]string{bulkString("0"), rEmpty})
	}
	opts := r.args[2:]
	var pat []byte
	for i := 0; i < len(opts); i++ {
		more := len(opts) - i
		switch {
		case cEqual(opts[i], "count") && more >= 2:
			c, ok := parseInt(opts[i+1])
			if !ok {
				return eNotInt
			}
			if c < 1 {
				return eSyntax
			}
			i++
		case cEqual(opts[i], "match") && more >= 2:
			pat = opts[i+1]
			if len(pat) == 1 && pat[0] == '*' {
				pat = nil
			}
			i++
		default:
			return eSyntax
		}
	}
	switch {
	case v.zset.lost:
		return rUnknown
	case v.zset.skiplist:
		return rUnknownScan
	}
	var items []string
	for _, m := range v.zset.sorted {
		if pat == nil || globMatch(pat, []byte(m.member), false) {
			items = append(items, bulkString(m.member), bulkString(scanScore(m.score)))
		}
	}
	return array([]string{bulkString("0"), array(items)})
}

// scanCursorOK reports whether Redis's parseScanCursorOrReply accepts a
// cursor: strtoul's number (a sign allowed, nothing at all allowed) up to
// the end or a NUL byte, no leading space, no overflow.
func scanCursorOK(b []byte) bool {
	c := cString(b)
	if len(c) == 0 {
		return true
	}
	if cSpace(c[0]) {
		return false
	}
	i := 0
	if c[0] == '+' || c[0] == '-' {
		i++
	}
	if i == len(c) {
		return false // no digits: strtoul stops at the sign
	}
	var v uint64
	for ; i < len(c); i++ {
		if !isDigit(c[i]) {
			return false
		}
		d := uint64(c[i] - '0')
		if v > (math.MaxUint64-d)/10 {
			return false
		}
		v = v*10 + d
	}
	return true
}
