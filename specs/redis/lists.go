package redis

import (
	"bytes"
)

// The list commands.
var listCommands = inGroup("list", []*Command{
	{Name: "BLMOVE", Arity: 6, Flags: "write denyoom noscript blocking",
		Keys: []KeySpec{keyAt(1, "RW access delete"), keyAt(2, "RW insert")},
		Run:  blmove},
	{Name: "BLMPOP", Arity: -5, Flags: "write blocking movablekeys",
		Keys: []KeySpec{keysCounted(2, "RW access delete")}, Run: lmpop},
	{Name: "BLPOP", Arity: -3, Flags: "write noscript blocking",
		Keys: []KeySpec{keysBeforeLast(1, "RW access delete")}, Run: blpop},
	{Name: "BRPOP", Arity: -3, Flags: "write noscript blocking",
		Keys: []KeySpec{keysBeforeLast(1, "RW access delete")}, Run: blpop},
	{Name: "BRPOPLPUSH", Arity: 4, Flags: "write denyoom noscript blocking",
		Keys: []KeySpec{keyAt(1, "RW access delete"), keyAt(2, "RW insert")},
		Run:  blmove},
	{Name: "LINDEX", Arity: 3, Flags: "readonly", Keys: key1("RO access"), Run: lindex},
	{Name: "LINSERT", Arity: 5, Flags: "write denyoom", Keys: key1("RW insert"), Run: linsert},
	{Name: "LLEN", Arity: 2, Flags: "readonly fast", Keys: key1("RO"), Run: llen},
	{Name: "LMOVE", Arity: 5, Flags: "write denyoom", Keys: []KeySpec{keyAt(1, "RW access delete"), keyAt(2, "RW insert")},
		Run: lmove},
	{Name: "LMPOP", Arity: -4, Flags: "write movablekeys",
		Keys: []KeySpec{keysCounted(1, "RW access delete")}, Run: lmpop},
	{Name: "LPOP", Arity: -2, Flags: "write fast", Keys: key1("RW access delete"), Run: pop},
	{Name: "LPOS", Arity: -3, Flags: "readonly", Keys: key1("RO access"), Run: lpos},
	{Name: "LPUSH", Arity: -3, Flags: "write denyoom fast", Keys: key1("RW insert"), Run: push},
	{Name: "LPUSHX", Arity: -3, Flags: "write denyoom fast", Keys: key1("RW insert"), Run: push},
	{Name: "LRANGE", Arity: 4, Flags: "readonly", Keys: key1("RO access"), Run: lrange},
	{Name: "LREM", Arity: 4, Flags: "write", Keys: key1("RW delete"), Run: lrem},
	{Name: "LSET", Arity: 4, Flags: "write denyoom", Keys: key1("RW update"), Run: lset},
	{Name: "LTRIM", Arity: 4, Flags: "write", Keys: key1("RW delete"), Run: ltrim},
	{Name: "RPOP", Arity: -2, Flags: "write fast", Keys: key1("RW access delete"), Run: pop},
	{Name: "RPOPLPUSH", Arity: 3, Flags: "write denyoom",
		Keys: []KeySpec{keyAt(1, "RW access delete"), keyAt(2, "RW insert")},
		Run:  lmove},
	{Name: "RPUSH", Arity: -3, Flags: "write denyoom fast", Keys: key1("RW insert"), Run: push},
	{Name: "RPUSHX", Arity: -3, Flags: "write denyoom fast", Keys: key1("RW insert"), Run: push},
})

// listValue returns a key's list, nil for a missing key, or WRONGTYPE.
func (r *run) listValue(k []byte) (*value, string) { return r.container(k, tList, false) }

func push(r *run) string {
	a := r.args
	v, e := r.listValue(a[0])
	if e != "" {
		return e
	}
	if v == nil {
		if r.op == "LPUSHX" || r.op == "RPUSHX" {
			return rZero
		}
		v, _ = r.container(a[0], tList, true)
	}
	v = r.mut(a[0], v)
	left := r.op == "LPUSH" || r.op == "LPUSHX"
	for _, x := range a[1:] {
		if left {
			v.pushFront(x)
		} else {
			v.list = append(v.list, x)
		}
	}
	return integer(int64(len(v.list)))
}

// pushFront puts x at the head of a list the state owns, in amortized
// constant time: the list's backing array keeps room before its head
// (lbuf, lfront), grown as append grows room after its tail. A list
// that another operation replaced is moved to a new array first.
func (v *value) pushFront(x []byte) {
	n := len(v.list)
	if v.lfront == 0 || n == 0 || v.lfront >= len(v.lbuf) || &v.lbuf[v.lfront] != &v.list[0] {
		room := max(n, 8)
		v.lbuf = make([][]byte, room+n+n/2+1) // its whole capacity
		copy(v.lbuf[room:], v.list)
		v.lfront = room
	}
	v.lfront--
	v.lbuf[v.lfront] = x
	v.list = v.lbuf[v.lfront : v.lfront+n+1]
}

// popFrom takes n elements from one end of a list the state owns,
// deleting the key when it empties.
func (r *run) popFrom(k []byte, v *value, left bool, n int) [][]byte {
	if n > len(v.list) {
		n = len(v.list)
	}
	var out [][]byte
	// The state owns the list's backing array (value.copy makes a new
	// one): it is cut in place, in constant time.
	if left {
		out = append(out, v.list[:n]...)
		if n > 0 && v.lfront < len(v.lbuf) && &v.lbuf[v.lfront] == &v.list[0] {
			v.lfront += n // the head's room grows
		}
		v.list = v.list[n:]
	} else {
		for i := 0; i < n; i++ {
			out = append(out, v.list[len(v.list)-1-i])
		}
		v.list = v.list[:len(v.list)-n]
	}
	r.dropIfEmpty(k, v)
	return out
}

func bulks(xs [][]byte) string {
	items := make([]string, len(xs))
	for i, x := range xs {
		items[i] = bulk(x)
	}
	return array(items)
}

// popCount reads the count of LPOP, RPOP, ZPOPMIN and ZPOPMAX, the
// optional argument after the key: def without one; ok is false for one
// that is not a non-negative integer.
func popCount(a [][]byte, def int64) (count int64, ok bool) {
	if len(a) < 2 {
		return def, true
	}
	count, ok = parseInt(a[1])
	return count, ok && count >= 0
}

func pop(r *run) string {
	a := r.args
	if len(a) > 2 {
		return eArity(r.op)
	}
	count, ok := popCount(a, -1)
	if !ok {
		return ePositive
	}
	v, e := r.listValue(a[0])
	if e != "" {
		return e
	}
	if v == nil {
		if count >= 0 {
			return rNilArray
		}
		return rNil
	}
	if count == 0 {
		return rEmpty
	}
	v = r.mut(a[0], v)
	left := r.op == "LPOP"
	if count < 0 {
		return bulk(r.popFrom(a[0], v, left, 1)[0])
	}
	return bulks(r.popFrom(a[0], v, left, int(count)))
}

func lrange(r *run) string {
	v, from, to, e := r.listSpan(rEmpty)
	if e != "" {
		return e
	}
	return bulks(v.list[from : to+1])
}

// listSpan reads the arguments of LRANGE and LTRIM: the list at the key
// and the span of it START and STOP cover, clamped by listRange (from 0
// to -1 when it is empty), or the reply to give instead (missing for a
// missing key).
func (r *run) listSpan(missing string) (v *value, from, to int64, e string) {
	a := r.args
	start, end, ok := parseRange(a[1], a[2])
	if !ok {
		return nil, 0, 0, eNotInt
	}
	v, e = r.existing(r.listValue, a[0], missing)
	if e != "" {
		return nil, 0, 0, e
	}
	if from, to, ok = listRange(start, end, int64(len(v.list))); !ok {
		return v, 0, -1, ""
	}
	return v, from, to, ""
}

func llen(r *run) string {
	return r.sizeOf(r.listValue, func(v *value) int { return len(v.list) })
}

func lindex(r *run) string {
	v, e := r.existing(r.listValue, r.args[0], rNil)
	if e != "" {
		return e
	}
	i, ok := listIndex(v.list, r.args[1])
	switch {
	case !ok:
		return eNotInt
	case i < 0:
		return rNil
	}
	return bulk(v.list[i])
}

// listIndex parses LINDEX's and LSET's index into list l, a negative one
// counting from the tail: -1 when it falls outside l; ok is false when b
// is not an integer.
func listIndex(l [][]byte, b []byte) (i int64, ok bool) {
	i, ok = parseInt(b)
	if !ok {
		return 0, false
	}
	if i < 0 {
		i += int64(len(l))
	}
	if i < 0 || i >= int64(len(l)) {
		return -1, true
	}
	return i, true
}

func lset(r *run) string {
	a := r.args
	v, e := r.existing(r.listValue, a[0], eNoKey)
	if e != "" {
		return e
	}
	i, ok := listIndex(v.list, a[1])
	switch {
	case !ok:
		return eNotInt
	case i < 0:
		return "-ERR index out of range\r\n"
	}
	v = r.mut(a[0], v)
	v.list = append([][]byte(nil), v.list...)
	v.list[i] = a[2]
	return rOK
}

func linsert(r *run) string {
	a := r.args
	var after bool
	switch {
	case cEqual(a[1], "AFTER"):
		after = true
	case cEqual(a[1], "BEFORE"):
	default:
		return eSyntax
	}
	v, e := r.existing(r.listValue, a[0], rZero)
	if e != "" {
		return e
	}
	for i, x := range v.list {
		if bytes.Equal(x, a[2]) {
			if after {
				i++
			}
			v = r.mut(a[0], v)
			l := make([][]byte, 0, len(v.list)+1)
			l = append(append(append(l, v.list[:i]...), a[3]), v.list[i:]...)
			v.list = l
			return integer(int64(len(l)))
		}
	}
	return integer(-1)
}

func lrem(r *run) string {
	a := r.args
	n, ok := parseInt(a[1])
	if !ok {
		return eNotInt
	}
	v, e := r.existing(r.listValue, a[0], rZero)
	if e != "" {
		return e
	}
	fromTail := n < 0
	if fromTail {
		n = -n
	}
	keep := make([]bool, len(v.list))
	var removed int64
	for j := range v.list {
		i := j
		if fromTail {
			i = len(v.list) - 1 - j
		}
		keep[i] = true
		if (n == 0 || removed < n) && bytes.Equal(v.list[i], a[2]) {
			keep[i] = false
			removed++
		}
	}
	if removed == 0 {
		return rZero
	}
	v = r.mut(a[0], v)
	var l [][]byte
	for i, x := range v.list {
		if keep[i] {
			l = append(l, x)
		}
	}
	v.list = l
	r.dropIfEmpty(a[0], v)
	return integer(removed)
}

func ltrim(r *run) string {
	v, from, to, e := r.listSpan(rOK)
	if e != "" {
		return e
	}
	k := r.args[0]
	v = r.mut(k, v)
	v.list = append([][]byte(nil), v.list[from:to+1]...)
	r.dropIfEmpty(k, v)
	return rOK
}

func lpos(r *run) string {
	a := r.args
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	for j := 2; j < len(a); j++ {
		o := optUpper(a[j])
		more := j+1 < len(a)
		switch {
		case (o == "RANK" || o == "COUNT" || o == "MAXLEN") && more:
			// The three options read an integer alike: RANK's may be
			// negative but not zero, COUNT's and MAXLEN's not negative.
			j++
			n, ok := parseInt(a[j])
			switch {
			case !ok:
				return eNotInt
			case o == "RANK" && n == 0:
				return "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list\r\n"
			case o != "RANK" && n < 0:
				return "-ERR " + o + " can't be negative\r\n"
			}
			switch o {
			case "RANK":
				rank = n
			case "COUNT":
				count = n
			default:
				maxlen = n
			}
		default:
			return eSyntax
		}
	}
	fromTail := rank < 0
	if fromTail {
		rank = -rank
	}
	v, e := r.listValue(a[0])
	if e != "" {
		return e
	}
	if v == nil {
		if count != -1 {
			return rEmpty
		}
		return rNil
	}
	var found []string
	matches := int64(0)
	l := int64(len(v.list))
	for idx := int64(0); idx < l && (maxlen == 0 || idx < maxlen); idx++ {
		i := idx
		if fromTail {
			i = l - 1 - idx
		}
		if !bytes.Equal(v.list[i], a[1]) {
			continue
		}
		matches++
		if matches < rank {
			continue
		}
		found = append(found, integer(i))
		if count == -1 || (count != 0 && matches-rank+1 >= count) {
			break
		}
	}
	if count != -1 {
		return array(found)
	}
	if len(found) == 0 {
		return rNil
	}
	return found[0]
}

// whereArg reads LEFT or RIGHT.
func whereArg(b []byte) (left bool, ok bool) {
	switch {
	case cEqual(b, "LEFT"):
		return true, true
	case cEqual(b, "RIGHT"):
		return false, true
	}
	return false, false
}

// lmoveArgs returns LMOVE's, RPOPLPUSH's, BLMOVE's or BRPOPLPUSH's ends.
func lmoveArgs(r *run) (from, to bool, errReply string) {
	switch r.op {
	case "RPOPLPUSH", "BRPOPLPUSH":
		return false, true, ""
	}
	from, ok1 := whereArg(r.args[2])
	to, ok2 := whereArg(r.args[3])
	if !ok1 || !ok2 {
		return false, false, eSyntax
	}
	return from, to, ""
}

func lmove(r *run) string {
	from, to, e := lmoveArgs(r)
	if e != "" {
		return e
	}
	return r.moveElement(r.args[0], r.args[1], from, to)
}

// moveElement moves one element between lists; nil when the source is
// missing.
func (r *run) moveElement(src, dst []byte, from, to bool) string {
	sv, e := r.existing(r.listValue, src, rNil)
	if e != "" {
		return e
	}
	if _, e := r.listValue(dst); e != "" {
		return e
	}
	sv = r.mut(src, sv)
	x := r.popFrom(src, sv, from, 1)[0]
	dv, _ := r.container(dst, tList, true)
	dv = r.mut(dst, dv)
	if to {
		dv.pushFront(x)
	} else {
		dv.list = append(dv.list, x)
	}
	return bulk(x)
}

func blpop(r *run) string {
	left := r.op == "BLPOP"
	return r.bpopFirst(tList, func(r *run, k []byte, v *value) string {
		v = r.mut(k, v)
		return array([]string{bulk(k), bulk(r.popFrom(k, v, left, 1)[0])})
	})
}

func blmove(r *run) string {
	from, to, e := lmoveArgs(r)
	if e != "" {
		return e
	}
	timeout, e := parseTimeout(r.args[len(r.args)-1])
	if e != "" {
		return e
	}
	src, dst := r.args[0], r.args[1]
	v, e := r.listValue(src)
	if e != "" {
		return e
	}
	if v != nil {
		return r.moveElement(src, dst, from, to)
	}
	if !r.canBlock() {
		return rNil
	}
	dst = append([]byte(nil), dst...)
	// Redis answers any list pop that timed out with a null array.
	return r.blockClient([][]byte{src}, timeout, rNilArray, func(r *run, k []byte) (string, bool) {
		v := r.get(k)
		if v == nil || v.typ != tList {
			return "", false
		}
		if dv := r.get(dst); dv != nil && dv.typ != tList {
			return eWrongType, true
		}
		return r.moveElement(k, dst, from, to), true
	})
}

// lmpop answers LMPOP and BLMPOP.
func lmpop(r *run) string {
	a := r.args
	block := r.op == "BLMPOP"
	var timeout int64
	if block {
		var e string
		if timeout, e = parseTimeout(a[0]); e != "" {
			return e
		}
		a = a[1:]
	}
	n, ok := parseInt(a[0])
	if !ok {
		return eNotInt
	}
	if n < 1 {
		return "-ERR numkeys should be greater than 0\r\n"
	}
	if int64(len(a)) <= n+1 {
		return eSyntax
	}
	keys := a[1 : n+1]
	left, ok := whereArg(a[n+1])
	if !ok {
		return eSyntax
	}
	count, e := mpopCount(a[n+2:], eNotInt)
	if e != "" {
		return e
	}
	return r.popFirst(keys, tList, block, timeout, func(r *run, k []byte, v *value) string {
		v = r.mut(k, v)
		return array([]string{bulk(k), bulks(r.popFrom(k, v, left, int(count)))})
	})
}
