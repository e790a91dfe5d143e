package redis

import (
	"math"
	"sort"
	"strconv"
	"strings"
)

// A zset is a sorted set: members with scores, kept ordered by score and
// then member bytes, as Redis orders them.
//
// Redis keeps a small sorted set as a listpack and a larger one as a
// skiplist (for good: it never goes back, except when ZUNIONSTORE and
// the like build a new one). The encoding shows in three ways: ZSCAN
// returns a listpack whole but walks a skiplist's hash table; a listpack
// stores a score of -0 as the integer 0; and a lexicographic range over
// members of different scores is found by a linear scan in a listpack
// but by a skiplist search whose path depends on the nodes' random
// levels.
type zset struct {
	score  map[string]float64
	sorted []zmember
	// skiplist is set once the set is past its listpack encoding.
	skiplist bool
	// lost is set when a change depended on what the log does not show (a
	// ZREMRANGEBYLEX whose skiplist search could end in several places):
	// the contents are no longer known, and every reply that reads them
	// is unknown.
	lost bool
}

type zmember struct {
	member string
	score  float64
}

func (z *zset) len() int {
	if z == nil {
		return 0
	}
	return len(z.sorted)
}

func (z *zset) copy() *zset {
	c := &zset{score: make(map[string]float64, len(z.score)), sorted: append([]zmember(nil), z.sorted...),
		skiplist: z.skiplist, lost: z.lost}
	for k, v := range z.score {
		c.score[k] = v
	}
	return c
}

func zless(a, b zmember) bool {
	if a.score != b.score {
		return a.score < b.score
	}
	return a.member < b.member
}

// pos returns where m would stand in the order.
func (z *zset) pos(m zmember) int {
	return sort.Search(len(z.sorted), func(i int) bool { return !zless(z.sorted[i], m) })
}

// add sets a member's score; it reports whether the member is new. A
// listpack stores -0 as the integer 0.
func (z *zset) add(member string, score float64) bool {
	if z.score == nil {
		z.score = map[string]float64{}
	}
	if !z.skiplist && score == 0 {
		score = 0
	}
	old, had := z.score[member]
	if had {
		if old == score {
			return false
		}
		z.remove(member)
	}
	z.score[member] = score
	m := zmember{member, score}
	i := z.pos(m)
	z.sorted = append(z.sorted, zmember{})
	copy(z.sorted[i+1:], z.sorted[i:])
	z.sorted[i] = m
	return !had
}

// remove deletes a member; it reports whether there was one.
func (z *zset) remove(member string) bool {
	s, ok := z.score[member]
	if !ok {
		return false
	}
	i := z.pos(zmember{member, s})
	z.sorted = append(z.sorted[:i:i], z.sorted[i+1:]...)
	delete(z.score, member)
	return true
}

// removeRange deletes the members at positions [from, to).
func (z *zset) removeRange(from, to int) {
	for _, m := range z.sorted[from:to] {
		delete(z.score, m.member)
	}
	z.sorted = append(z.sorted[:from:from], z.sorted[to:]...)
}

// rank returns a member's 0-based rank in ascending order.
func (z *zset) rank(member string) (int, bool) {
	s, ok := z.score[member]
	if !ok {
		return 0, false
	}
	return z.pos(zmember{member, s}), true
}

// zsetFits reports whether a set of n members, the longest maxLen bytes,
// is a listpack with redis.conf's defaults.
func zsetFits(n, maxLen int) bool {
	return n <= zsetMaxListpackEntries && maxLen <= zsetMaxListpackValue
}

// newZset builds a sorted set from members (in any order, no member
// twice), encoded as Redis encodes the set ZUNIONSTORE, ZINTERSTORE and
// ZDIFFSTORE build whole: a listpack (where a score of -0 is stored as 0)
// when it fits, else a skiplist.
func newZset(ms []zmember) *zset {
	maxLen := 0
	for _, m := range ms {
		if len(m.member) > maxLen {
			maxLen = len(m.member)
		}
	}
	z := &zset{score: make(map[string]float64, len(ms)), skiplist: !zsetFits(len(ms), maxLen)}
	for _, m := range ms {
		if !z.skiplist && m.score == 0 {
			m.score = 0
		}
		z.score[m.member] = m.score
		z.sorted = append(z.sorted, m)
	}
	sort.Slice(z.sorted, func(i, j int) bool { return zless(z.sorted[i], z.sorted[j]) })
	return z
}

// rangeZset builds ZRANGESTORE's destination as Redis does, member by
// member in the range's order: a listpack at first (for a rank range of
// more than 128 members a skiplist at once), turned into a skiplist by
// the first member that does not fit; while it is a listpack a score of
// -0 is stored as 0.
func rangeZset(ms []zmember, byRank bool) *zset {
	z := &zset{score: make(map[string]float64, len(ms)), skiplist: byRank && len(ms) > zsetMaxListpackEntries}
	for _, m := range ms {
		if !z.skiplist && (len(z.sorted)+1 > zsetMaxListpackEntries || len(m.member) > zsetMaxListpackValue) {
			z.skiplist = true
		}
		z.add(m.member, m.score)
	}
	return z
}

func (z *zset) fingerprint(b *strings.Builder) {
	writeMarks(b, mark{z.skiplist, "skiplist;"}, mark{z.lost, "lost;"})
	for _, m := range z.sorted {
		b.WriteString(strconv.Quote(m.member) + "=" + strconv.FormatFloat(m.score, 'g', -1, 64) + ";")
		if math.Signbit(m.score) && m.score == 0 {
			b.WriteString("-0")
		}
	}
}

// Parsing scores and ranges as Redis does.

// cSpace reports whether C's isspace holds for a byte (C locale).
func cSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHexDigit(c byte) bool { return isDigit(c) || 'a' <= c|0x20 && c|0x20 <= 'f' }

// hasPrefixFold reports whether b starts with the lower-case ASCII word s,
// in any case.
func hasPrefixFold(b []byte, s string) bool {
	if len(b) < len(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// cStrtod parses the start of s as glibc's strtod does: leading spaces,
// a sign, then a decimal or hexadecimal number, "inf", "infinity" or
// "nan" (with an optional "(chars)"). It returns the value, the bytes
// consumed (0 when nothing is a number) and whether strtod would set
// ERANGE to report an overflow or an underflow to zero.
func cStrtod(s []byte) (f float64, n int, erange bool) {
	i := 0
	for i < len(s) && cSpace(s[i]) {
		i++
	}
	start := i
	sign := 1.0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		if s[i] == '-' {
			sign = -1
		}
		i++
	}
	rest := s[i:]
	switch {
	case hasPrefixFold(rest, "infinity"):
		return math.Inf(int(sign)), i + 8, false
	case hasPrefixFold(rest, "inf"):
		return math.Inf(int(sign)), i + 3, false
	case hasPrefixFold(rest, "nan"):
		j := i + 3
		if j < len(s) && s[j] == '(' {
			k := j + 1
			for k < len(s) && (isDigit(s[k]) || 'a' <= s[k]|0x20 && s[k]|0x20 <= 'z' || s[k] == '_') {
				k++
			}
			if k < len(s) && s[k] == ')' {
				j = k + 1
			}
		}
		return math.NaN(), j, false
	}
	if len(rest) >= 2 && rest[0] == '0' && rest[1]|0x20 == 'x' {
		j, digits, nonzero := scanMantissa(s, i+2, isHexDigit)
		if digits == 0 {
			// "0x" with no hex digit after it: strtod reads the "0".
			return math.Copysign(0, sign), i + 1, false
		}
		mant := string(s[start:j])
		exp := "p0"
		if k := exponentEnd(s, j, 'p'); k > j {
			exp, j = string(s[j:k]), k
		}
		f, _ = strconv.ParseFloat(mant+exp, 64)
		return f, j, math.IsInf(f, 0) || f == 0 && nonzero
	}
	j, digits, nonzero := scanMantissa(s, i, isDigit)
	if digits == 0 {
		return 0, 0, false
	}
	j = exponentEnd(s, j, 'e')
	f, _ = strconv.ParseFloat(string(s[start:j]), 64)
	return f, j, math.IsInf(f, 0) || f == 0 && nonzero
}

// scanMantissa reads a number's mantissa from s[j] as strtod does: digits
// (those digit accepts), then a point and more digits. It returns where
// the mantissa ends, how many digits it has and whether one is not 0.
func scanMantissa[S ~string | ~[]byte](s S, j int, digit func(byte) bool) (end, digits int, nonzero bool) {
	point := false
	for ; j < len(s); j++ {
		switch {
		case digit(s[j]):
			digits++
			nonzero = nonzero || s[j] != '0'
		case s[j] == '.' && !point:
			point = true
		default:
			return j, digits, nonzero
		}
	}
	return j, digits, nonzero
}

// exponentEnd returns the end of a number's exponent at s[j]: the letter
// (letter is 'e' for a decimal number, 'p' for a hexadecimal one; s may
// spell it in either case), a sign, and at least one digit. Without
// those it returns j: the number has no exponent.
func exponentEnd[S ~string | ~[]byte](s S, j int, letter byte) int {
	if j >= len(s) || s[j]|0x20 != letter {
		return j
	}
	k := j + 1
	if k < len(s) && (s[k] == '+' || s[k] == '-') {
		k++
	}
	if k >= len(s) || !isDigit(s[k]) {
		return j
	}
	for k < len(s) && isDigit(s[k]) {
		k++
	}
	return k
}

// parseScore reads a score, an increment or a weight as Redis's
// getDoubleFromObject (string2d): the whole argument a number, no leading
// space, no NaN, no overflow and no underflow to zero; hexadecimal and
// "inf" are numbers.
func parseScore(b []byte) (float64, bool) {
	if len(b) == 0 || cSpace(b[0]) {
		return 0, false
	}
	f, n, erange := cStrtod(b)
	if n != len(b) || erange || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// A scoreRange is ZRANGEBYSCORE's min and max.
type scoreRange struct {
	min, max     float64
	minex, maxex bool
}

// parseScoreBound reads one end of a score range as zslParseRange: "("
// makes it exclusive; the rest is given to strtod, which must read up to
// the end (or to a NUL byte); NaN is refused.
func parseScoreBound(b []byte) (f float64, ex bool, ok bool) {
	if len(b) > 0 && b[0] == '(' {
		ex, b = true, b[1:]
	}
	c := cString(b)
	f, n, _ := cStrtod(c)
	if n != len(c) || math.IsNaN(f) {
		return 0, false, false
	}
	return f, ex, true
}

func parseScoreRange(min, max []byte) (scoreRange, bool) {
	var r scoreRange
	var ok1, ok2 bool
	r.min, r.minex, ok1 = parseScoreBound(min)
	r.max, r.maxex, ok2 = parseScoreBound(max)
	return r, ok1 && ok2
}

func (r scoreRange) gteMin(x float64) bool {
	if r.minex {
		return x > r.min
	}
	return x >= r.min
}

func (r scoreRange) lteMax(x float64) bool {
	if r.maxex {
		return x < r.max
	}
	return x <= r.max
}

// A lexBound is one end of a lexicographic range: a member, or "-" (below
// every member) or "+" (above every member).
type lexBound struct {
	inf int // -1 for "-", 1 for "+", 0 for a member
	s   string
	ex  bool
}

// parseLexBound reads "(m", "[m", "-" or "+" as zslParseLexRangeItem.
func parseLexBound(b []byte) (lexBound, bool) {
	if len(b) == 0 {
		return lexBound{}, false
	}
	switch b[0] {
	case '+', '-':
		if len(b) > 1 && b[1] != 0 {
			return lexBound{}, false
		}
		if b[0] == '+' {
			return lexBound{inf: 1, ex: true}, true
		}
		return lexBound{inf: -1, ex: true}, true
	case '(':
		return lexBound{s: string(b[1:]), ex: true}, true
	case '[':
		return lexBound{s: string(b[1:])}, true
	}
	return lexBound{}, false
}

// lexCmp compares as Redis's sdscmplex.
func lexCmp(a, b lexBound) int {
	switch {
	case a.inf != 0 && a.inf == b.inf:
		return 0
	case a.inf == -1 || b.inf == 1:
		return -1
	case a.inf == 1 || b.inf == -1:
		return 1
	}
	return strings.Compare(a.s, b.s)
}

// A lexRange is ZRANGEBYLEX's min and max.
type lexRange struct{ min, max lexBound }

func parseLexRange(min, max []byte) (lexRange, bool) {
	lo, ok1 := parseLexBound(min)
	hi, ok2 := parseLexBound(max)
	return lexRange{lo, hi}, ok1 && ok2
}

func (r lexRange) gteMin(m string) bool {
	c := lexCmp(lexBound{s: m}, r.min)
	return c > 0 || c == 0 && !r.min.ex
}

func (r lexRange) lteMax(m string) bool {
	c := lexCmp(lexBound{s: m}, r.max)
	return c < 0 || c == 0 && !r.max.ex
}

// empty reports whether the range can hold nothing at all.
func (r lexRange) empty() bool {
	c := lexCmp(r.min, r.max)
	return c > 0 || c == 0 && (r.min.ex || r.max.ex)
}

// lexFirsts returns where the search for the first member in a lex range
// ends (-1: none), as the set's encoding searches: a listpack scans from
// the start, so there is one answer; a skiplist's search skips ahead
// along its nodes' random levels, and when the members are not in
// lexicographic order (different scores) it may end at any of several
// places, all returned.
func (z *zset) lexFirsts(r lexRange) []int { return z.lexEnds(r, false) }

// lexLasts is lexFirsts for the last member in a lex range.
func (z *zset) lexLasts(r lexRange) []int { return z.lexEnds(r, true) }

// lexEnds is lexFirsts, or with last lexLasts: the search walks in from
// the range's near end (its minimum, or with last its maximum), and a
// member it stops at is an answer when it is within the far end.
func (z *zset) lexEnds(r lexRange, last bool) []int {
	n := len(z.sorted)
	if r.empty() || n == 0 || !r.gteMin(z.sorted[n-1].member) || !r.lteMax(z.sorted[0].member) {
		return []int{-1}
	}
	near, far := r.gteMin, r.lteMax
	if last {
		near, far = r.lteMax, r.gteMin
	}
	var out []int
	for i := 0; i < n; i++ {
		p, before := i, i-1
		if last {
			p, before = n-1-i, n-i
		}
		if !near(z.sorted[p].member) || i > 0 && near(z.sorted[before].member) {
			continue
		}
		at := p
		if !far(z.sorted[p].member) {
			at = -1
		}
		out = appendNew(out, at)
		if !z.skiplist {
			break
		}
	}
	return out
}

func appendNew(xs []int, x int) []int {
	for _, y := range xs {
		if y == x {
			return xs
		}
	}
	return append(xs, x)
}

// walk lists the members Redis's range loops emit from position at (-1:
// none): offset members skipped unchecked (a negative offset skips past
// the end), then up to limit members (negative: no limit) while in
// holds, forwards or backwards.
func (z *zset) walk(at int, rev bool, offset, limit int64, in func(zmember) bool) []zmember {
	if at < 0 || offset < 0 {
		return nil
	}
	step := 1
	if rev {
		step = -1
	}
	n := int64(len(z.sorted))
	i := int64(at)
	if offset > n {
		offset = n
	}
	i += int64(step) * offset
	var out []zmember
	for ; i >= 0 && i < n && limit != 0; i += int64(step) {
		if !in(z.sorted[i]) {
			break
		}
		out = append(out, z.sorted[i])
		limit--
	}
	return out
}

// scoreFirst returns the position of the first member in a score range,
// or -1; scoreLast the last.
func (z *zset) scoreFirst(r scoreRange) int {
	i := sort.Search(len(z.sorted), func(i int) bool { return r.gteMin(z.sorted[i].score) })
	if i < len(z.sorted) && r.lteMax(z.sorted[i].score) {
		return i
	}
	return -1
}

func (z *zset) scoreLast(r scoreRange) int {
	i := sort.Search(len(z.sorted), func(i int) bool { return !r.lteMax(z.sorted[i].score) }) - 1
	if i >= 0 && r.gteMin(z.sorted[i].score) {
		return i
	}
	return -1
}

// scanScore renders a score as a listpack stores it, which is how ZSCAN
// returns it: an integer when the double is one that fits (below 2^62),
// otherwise as %.17g (inf and -inf spelt so).
func scanScore(f float64) string {
	const lim = float64(math.MaxInt64 / 2)
	if f >= -lim && f <= lim && f == math.Trunc(f) {
		return strconv.FormatInt(int64(f), 10)
	}
	return formatDouble(f)
}
