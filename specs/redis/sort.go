package redis

import (
	"bytes"
	"math"
	"math/big"
	"sort"
	"strings"

	"github.com/wat-project/wat/formats"
)

// SORT and SORT_RO (sort.c), for lists, sets and sorted sets: numeric or
// ALPHA, ASC or DESC, LIMIT, STORE, BY with a constant pattern (nosort:
// the value's own order) and GET # or a pattern without '*' (always
// nil). A BY or GET pattern with '*' reads keys named by the data, which
// the model does not follow: such a call is not modelled (sortUnmodelled).
//
// Three things no log holds can decide a reply, and the model labels it
// unknown then:
//
//   - errno. A numeric sort reads each element with strtod and fails on
//     errno == ERANGE, but never clears errno first: a range error any
//     earlier command left (ZADD of 1e400, a SORT of 1e-310) fails it
//     with "One or more scores can't be converted into double". Only the
//     integers of a list (stored as integers, converted without strtod)
//     escape it, and a sort with an element that fails on its own.
//   - A hash table's order: a set past its intset encoding is loaded in
//     its hash table's order (a sorted set in its dict's), which decides
//     the reply of BY nosort (without STORE, outside scripts), and of an
//     ALPHA sort without STORE whose strcoll ties elements that differ
//     after a NUL byte. strcoll is taken to be the C (or C.UTF-8)
//     locale's byte order, as for Lua's string comparisons.
//   - A sorted set whose contents are not known.
//
// SORT converts a sorted set it reads to a skiplist for good, which
// shows later (ZSCAN, -0 scores, lexicographic ranges): its source key is
// written, as far as the history goes.

// whySortPattern is why a SORT with a BY or GET pattern is not modelled.
const whySortPattern = "a BY or GET pattern with '*' reads keys named by the data (BY weight_*, GET object_*->field), which wat does not follow"

// whySort is what a SORT reply the model gives as unknown depends on.
const whySort = "the server's errno (SORT reads numbers with strtod without clearing errno, so a range error an earlier command left, from a value like 1e400, fails it), a hash table's order, or a sorted set whose contents are not known"

// sortOpts are a SORT call's options, as sortCommandGeneric parses them.
type sortOpts struct {
	desc, alpha bool
	// dontsort is set by a BY pattern without '*' (any of them, even
	// before a later BY with one).
	dontsort     bool
	start, count int64
	store        []byte
	by           []byte
	gets         [][]byte
}

// hasStar reports whether a pattern holds '*' (as strchr sees it).
func hasStar(p []byte) bool { return bytes.IndexByte(cString(p), '*') >= 0 }

// isHashPattern reports whether a GET pattern is "#" (the element).
func isHashPattern(p []byte) bool { c := cString(p); return len(c) == 1 && c[0] == '#' }

// parseSort reads SORT's options in order; e is the error reply.
func parseSort(argv [][]byte, readonly bool) (o sortOpts, e string) {
	o.count = -1
	for j := 2; j < len(argv); j++ {
		left := len(argv) - j - 1
		a := argv[j]
		switch {
		case cEqual(a, "asc"):
			o.desc = false
		case cEqual(a, "desc"):
			o.desc = true
		case cEqual(a, "alpha"):
			o.alpha = true
		case cEqual(a, "limit") && left >= 2:
			s, ok := parseInt(argv[j+1])
			if !ok {
				return o, eNotInt
			}
			c, ok := parseInt(argv[j+2])
			if !ok {
				return o, eNotInt
			}
			o.start, o.count = s, c
			j += 2
		case !readonly && cEqual(a, "store") && left >= 1:
			o.store = argv[j+1]
			j++
		case cEqual(a, "by") && left >= 1:
			o.by = argv[j+1]
			if !hasStar(o.by) {
				o.dontsort = true
			}
			j++
		case cEqual(a, "get") && left >= 1:
			o.gets = append(o.gets, argv[j+1])
			j++
		default:
			return o, eSyntax
		}
	}
	return o, ""
}

// patterned reports whether the call reads keys through its patterns: a
// BY with '*' that is used (no constant BY), or a GET of any pattern
// with '*'.
func (o sortOpts) patterned() bool {
	if !o.dontsort && o.by != nil {
		return true
	}
	for _, g := range o.gets {
		if !isHashPattern(g) && hasStar(g) {
			return true
		}
	}
	return false
}

// sortUnmodelled is SORT's Unmodelled: a call whose patterns read keys.
func sortUnmodelled(argv [][]byte) string {
	o, e := parseSort(argv, optUpper(argv[0]) == "SORT_RO")
	if e == "" && o.patterned() {
		return whySortPattern
	}
	return ""
}

// whySortErrno is what a numeric SORT ... STORE's effect depends on.
const whySortErrno = "the server's errno (a numeric SORT reads its elements with strtod and does not clear errno, so a range error an earlier command left fails it and it stores nothing)"

// sortRandom is SORT's Random: a numeric sort that stores. What it
// stores depends on errno whenever the sorted key holds an element that
// is not an integer of a list, which in some subtrace of its history it
// may; a sort without STORE changes nothing (but a sorted set's
// encoding), and its own reply is unknown exactly when errno decides it.
func sortRandom(argv [][]byte) string {
	o, e := parseSort(argv, optUpper(argv[0]) == "SORT_RO")
	if e == "" && o.store != nil && !o.alpha && !o.dontsort {
		return whySortErrno
	}
	return ""
}

// sortKeyRefs are SORT's and SORT_RO's keys: the sorted key, written (a
// sorted set's encoding changes), and every key after STORE.
func sortKeyRefs(e *formats.Event) []formats.Ref {
	if len(e.Args) == 0 {
		return nil
	}
	out := []formats.Ref{{NS: e.NS, Key: e.Args[0], Kind: formats.KindWrite}}
	if e.Op == "SORT" {
		for i := 1; i+1 < len(e.Args); i++ {
			if cEqual(e.Args[i], "store") {
				out = append(out, formats.Ref{NS: e.NS, Key: e.Args[i+1], Kind: formats.KindWrite})
			}
		}
	}
	return out
}

// sortNumber reads an element as a numeric SORT does (strtod up to the
// first NUL, which must end the number). fails is set when the element
// fails whatever errno was: trailing bytes, NaN, an overflow, an
// underflow to zero, or an inexact subnormal result (glibc sets ERANGE).
func sortNumber(b []byte) (f float64, fails bool) {
	c := cString(b)
	f, n, erange := cStrtod(c)
	switch {
	case n != len(c) || math.IsNaN(f) || erange:
		return 0, true
	case f != 0 && math.Abs(f) < 0x1p-1022:
		return f, inexactDecimal(c, f)
	}
	return f, false
}

// inexactDecimal reports whether the number spelt in s is certainly not
// the double f (a spelling too long to check counts as exact).
func inexactDecimal(s []byte, f float64) bool {
	t := strings.TrimLeft(string(s), " \t\n\v\f\r")
	if len(t) > 400 {
		return false
	}
	base := 10
	if u := strings.TrimLeft(t, "+-"); len(u) > 1 && u[0] == '0' && u[1]|0x20 == 'x' {
		base = 0
	}
	x, _, err := big.ParseFloat(t, base, 4000, big.ToNearestEven)
	if err != nil {
		return false
	}
	return x.Cmp(new(big.Float).SetFloat64(f)) != 0
}

// cCompare is strcoll in the C locale: the bytes up to the first NUL.
func cCompare(a, b string) int { return bytes.Compare(cString([]byte(a)), cString([]byte(b))) }

// sortCmd is sortCommandGeneric.
func sortCmd(r *run) string {
	o, e := parseSort(r.argv, r.cmd.Name == "SORT_RO")
	if e != "" {
		return e
	}
	key := r.argv[1]
	v := r.get(key)
	if v != nil && v.typ != tList && v.typ != tSet && v.typ != tZSet {
		return eWrongType
	}
	if v != nil && v.typ == tZSet && !v.zset.skiplist {
		v = r.own(key, v)
		v.zset.skiplist = true
	}
	if o.patterned() {
		return rNotRun
	}
	if v != nil && v.typ == tZSet && v.zset.lost {
		return rUnknown
	}
	if o.dontsort && v != nil && v.typ == tSet && (o.store != nil || r.inScript) {
		// A set's order is forced into a sort where it would show.
		o.dontsort, o.alpha, o.by = false, true, nil
	}
	n := int64(0)
	if v != nil {
		n = int64(sortLen(v))
	}
	start := min(max(o.start, 0), n)
	count := min(max(o.count, -1), n)
	end := n - 1
	if count >= 0 {
		end = start + count - 1
	}
	if start >= n {
		start, end = n-1, n-2
	}
	if end >= n {
		end = n - 1
	}
	vec, ordered := sortVector(v, o, &start, &end)
	unknown := false
	if !o.dontsort {
		var ok, strtod bool
		if vec, ok, strtod = sortElements(v, vec, o); !ok {
			return "-ERR One or more scores can't be converted into double\r\n"
		}
		unknown = strtod // errno
		// Elements in an order the model does not know come out in
		// Redis's order unless a strcoll tie keeps two of them as they
		// came (numeric ties, and byte ties, are equal elements).
		if !ordered && o.alpha && o.store == nil && hasCollationTies(vec) {
			unknown = true
		}
		ordered = true
	}
	// The output: each element, or per GET the element (#) or nothing
	// (a pattern without '*', nil; an empty string in a stored list).
	var out []string
	var null []bool
	for j := start; j <= end; j++ {
		el := vec[j]
		if len(o.gets) == 0 {
			out, null = append(out, el), append(null, false)
			continue
		}
		for _, g := range o.gets {
			if isHashPattern(g) {
				out, null = append(out, el), append(null, false)
			} else {
				out, null = append(out, ""), append(null, true)
			}
		}
	}
	if o.store != nil {
		if len(out) > 0 {
			list := make([][]byte, len(out))
			for i, x := range out {
				list[i] = []byte(x)
			}
			r.set(o.store, &value{typ: tList, list: list})
		} else {
			r.del(o.store)
		}
		if unknown {
			return rUnknown
		}
		return integer(int64(len(out)))
	}
	if unknown {
		return rUnknown
	}
	items := make([]string, len(out))
	for i, x := range out {
		if null[i] {
			items[i] = rNil
		} else {
			items[i] = bulkString(x)
		}
	}
	if ordered {
		return array(items)
	}
	keyed := len(o.gets) == 0 || isHashPattern(o.gets[0])
	return sortUnordered(items, max(len(o.gets), 1), keyed, end-start+1 == n)
}

// sortUnordered is the reply listing a hash table in its own order: as a
// set (sorted, marked so), each element's group of two GET values kept
// together when the element comes first in it (keyed); unknown when it
// is only part of the table (LIMIT), or its groups cannot be matched so.
func sortUnordered(items []string, per int, keyed, whole bool) string {
	switch {
	case len(items) == 0:
		return rEmpty
	case whole && len(items) == per:
		return array(items) // one element: its order is the only one
	case !whole || per > 2 || per == 2 && !keyed:
		return rUnknown
	case per == 1:
		sort.SliceStable(items, func(i, j int) bool { return bulkBody(items[i]) < bulkBody(items[j]) })
		return listing(items, 1)
	}
	pairs := make([][2]string, len(items)/2)
	for i := range pairs {
		pairs[i] = [2]string{items[2*i], items[2*i+1]}
	}
	sort.SliceStable(pairs, func(i, j int) bool { return bulkBody(pairs[i][0]) < bulkBody(pairs[j][0]) })
	for i, p := range pairs {
		items[2*i], items[2*i+1] = p[0], p[1]
	}
	return listing(items, 2)
}

// sortLen is the number of elements SORT loads.
func sortLen(v *value) int {
	switch v.typ {
	case tList:
		return len(v.list)
	case tSet:
		return len(v.set)
	}
	return v.zset.len()
}

// sortVector loads the elements to sort as sortCommandGeneric does: a
// list or sorted set with BY nosort only the range LIMIT asks for (start
// and end are then moved onto it), in the direction DESC asks; otherwise
// every element, a list in order, an intset in numeric order, a hash
// table in an order the model does not know (ordered is false; the
// elements come sorted by their bytes).
func sortVector(v *value, o sortOpts, start, end *int64) (vec []string, ordered bool) {
	if v == nil {
		return nil, true
	}
	n := int64(sortLen(v))
	want := n
	if v.typ != tSet && o.dontsort && (*start != 0 || *end != n-1) {
		want = *end - *start + 1
	}
	switch {
	case v.typ == tList && o.dontsort:
		if *end >= *start {
			for i := int64(0); i < want; i++ {
				j := *start + i
				if o.desc {
					j = n - *start - 1 - i
				}
				vec = append(vec, string(v.list[j]))
			}
			*end -= *start
			*start = 0
		}
		return vec, true
	case v.typ == tList:
		for _, x := range v.list {
			vec = append(vec, string(x))
		}
		return vec, true
	case v.typ == tZSet && o.dontsort:
		for i := int64(0); i < want; i++ {
			j := *start + i
			if o.desc {
				j = n - *start - 1 - i
			}
			vec = append(vec, v.zset.sorted[j].member)
		}
		*end -= *start
		*start = 0
		return vec, true
	case v.typ == tZSet:
		for _, m := range v.zset.sorted {
			vec = append(vec, m.member)
		}
		sort.Strings(vec)
		return vec, false
	}
	vec = sortedKeys(v.set)
	if v.bigMap {
		return vec, false
	}
	sort.Slice(vec, func(i, j int) bool {
		a, _ := parseInt([]byte(vec[i]))
		b, _ := parseInt([]byte(vec[j]))
		return a < b
	})
	return vec, true
}

// sortElements sorts the elements as qsort with sortCompare (glibc's
// qsort is a stable merge sort): numeric by value, equal values by their
// bytes; ALPHA by bytes (with STORE) or by strcoll; DESC reversing the
// comparison. ok is false when a numeric element cannot be converted
// whatever errno was; strtod is set when some element was read with
// strtod (a list's integers are not), so that errno decides the reply.
func sortElements(v *value, vec []string, o sortOpts) (out []string, ok, strtod bool) {
	type elem struct {
		s     string
		score float64
	}
	es := make([]elem, len(vec))
	for i, x := range vec {
		es[i].s = x
	}
	var cmp func(a, b elem) int
	switch {
	case o.alpha && o.store != nil:
		cmp = func(a, b elem) int { return strings.Compare(a.s, b.s) }
	case o.alpha:
		cmp = func(a, b elem) int { return cCompare(a.s, b.s) }
	default:
		for i := range es {
			if n, isInt := parseInt([]byte(es[i].s)); isInt && v.typ == tList {
				es[i].score = float64(n)
				continue
			}
			strtod = true
			f, fails := sortNumber([]byte(es[i].s))
			if fails {
				return nil, false, strtod
			}
			es[i].score = f
		}
		cmp = func(a, b elem) int {
			switch {
			case a.score > b.score:
				return 1
			case a.score < b.score:
				return -1
			}
			return strings.Compare(a.s, b.s)
		}
	}
	sort.SliceStable(es, func(i, j int) bool {
		r := cmp(es[i], es[j])
		if o.desc {
			r = -r
		}
		return r < 0
	})
	out = make([]string, len(es))
	for i, e := range es {
		out[i] = e.s
	}
	return out, true, strtod
}

// hasCollationTies reports whether strcoll ties two different elements of
// a sorted vector (they differ only after a NUL byte).
func hasCollationTies(vec []string) bool {
	for i := 1; i < len(vec); i++ {
		if vec[i] != vec[i-1] && cCompare(vec[i], vec[i-1]) == 0 {
			return true
		}
	}
	return false
}
