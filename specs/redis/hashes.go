package redis

import (
	"math"
	"sort"
	"strconv"

	"github.com/wat-project/wat/formats"
)

// The hash commands. A hash keeps its fields in insertion order while it
// is a listpack (at most 512 fields of at most 64 bytes each, with
// Redis 7.0's defaults); past that it is a hash table for good, whose
// order the log does not tell.
var hashCommands = inGroup("hash", []*Command{
	{Name: "HDEL", Arity: -3, Flags: "write fast", Keys: key1("RW delete"), Run: hdel,
		Sub: subsFrom("fields", 2, 1, formats.KindReset)},
	{Name: "HEXISTS", Arity: 3, Flags: "readonly fast", Keys: key1("RO"), Run: hexists,
		Sub: subAt("field", 2, formats.KindRead)},
	{Name: "HGET", Arity: 3, Flags: "readonly fast", Keys: key1("RO access"), Run: hget,
		Sub: subAt("field", 2, formats.KindRead)},
	{Name: "HGETALL", Arity: 2, Flags: "readonly", Keys: key1("RO access"), Run: hgetall},
	{Name: "HINCRBY", Arity: 4, Flags: "write denyoom fast", Keys: key1("RW access update"), Run: hincrby,
		Sub: subAt("field", 2, formats.KindWrite)},
	{Name: "HINCRBYFLOAT", Arity: 4, Flags: "write denyoom fast", Keys: key1("RW access update"), Run: hincrbyfloat,
		Sub: subAt("field", 2, formats.KindWrite)},
	{Name: "HKEYS", Arity: 2, Flags: "readonly", Keys: key1("RO access"), Run: hgetall},
	{Name: "HLEN", Arity: 2, Flags: "readonly fast", Keys: key1("RO"), Run: hlen},
	{Name: "HMGET", Arity: -3, Flags: "readonly fast", Keys: key1("RO access"), Run: hmget,
		Sub: subsFrom("fields", 2, 1, formats.KindRead)},
	{Name: "HMSET", Arity: -4, Flags: "write denyoom fast", Keys: key1("RW update"), Run: hset,
		Sub: subsFrom("fields", 2, 2, formats.KindReset)},
	{Name: "HRANDFIELD", Arity: -2, Flags: "readonly", Keys: key1("RO access"), Unknown: "a random pick (HRANDFIELD)"},
	{Name: "HSCAN", Arity: -3, Flags: "readonly", Keys: key1("RO access"), Run: hscan},
	{Name: "HSET", Arity: -4, Flags: "write denyoom fast", Keys: key1("RW update"), Run: hset,
		Sub: subsFrom("fields", 2, 2, formats.KindReset)},
	{Name: "HSETNX", Arity: 4, Flags: "write denyoom fast", Keys: key1("RW insert"), Run: hsetnx,
		Sub: subAt("field", 2, formats.KindWrite)},
	{Name: "HSTRLEN", Arity: 3, Flags: "readonly fast", Keys: key1("RO"), Run: hstrlen,
		Sub: subAt("field", 2, formats.KindRead)},
	{Name: "HVALS", Arity: 2, Flags: "readonly", Keys: key1("RO access"), Run: hgetall},
})

// hashField sets a field of a hash owned by the running state, keeping
// insertion order and converting to a hash table as Redis would; it
// reports whether the field is new.
func (v *value) hashSet(f string, x []byte) bool {
	_, had := v.hash[f]
	if !had {
		v.fields = append(v.fields, f)
	}
	v.hash[f] = x
	if len(v.hash) > hashMaxListpackEntries {
		v.bigMap = true
	}
	return !had
}

// hashDel removes a field; it reports whether there was one.
func (v *value) hashDel(f string) bool {
	if _, ok := v.hash[f]; !ok {
		return false
	}
	delete(v.hash, f)
	kept := v.fields[:0:0]
	for _, x := range v.fields {
		if x != f {
			kept = append(kept, x)
		}
	}
	v.fields = kept
	return true
}

func hset(r *run) string {
	a := r.args
	if len(a)%2 != 1 {
		return eArity(r.op)
	}
	v, e := r.container(a[0], tHash, true)
	if e != "" {
		return e
	}
	v = r.mut(a[0], v)
	// Redis converts before inserting when any field or value is long.
	for _, x := range a[1:] {
		if len(x) > hashMaxListpackValue {
			v.bigMap = true
		}
	}
	var added int64
	for i := 1; i < len(a); i += 2 {
		if v.hashSet(string(a[i]), a[i+1]) {
			added++
		}
	}
	if r.op == "HMSET" {
		return rOK
	}
	return integer(added)
}

func hsetnx(r *run) string {
	a := r.args
	v, e := r.container(a[0], tHash, false)
	if e != "" {
		return e
	}
	if v != nil {
		if _, ok := v.hash[string(a[1])]; ok {
			return rZero
		}
	}
	if v == nil {
		v, _ = r.container(a[0], tHash, true)
	}
	v = r.mut(a[0], v)
	if len(a[1]) > hashMaxListpackValue || len(a[2]) > hashMaxListpackValue {
		v.bigMap = true
	}
	v.hashSet(string(a[1]), a[2])
	return rOne
}

// hashValue returns a key's hash, nil for a missing key, or WRONGTYPE.
func (r *run) hashValue(k []byte) (*value, string) {
	return r.container(k, tHash, false)
}

func hget(r *run) string {
	v, e := r.hashValue(r.args[0])
	if e != "" {
		return e
	}
	if v != nil {
		if x, ok := v.hash[string(r.args[1])]; ok {
			return bulk(x)
		}
	}
	return rNil
}

func hmget(r *run) string {
	v, e := r.hashValue(r.args[0])
	if e != "" {
		return e
	}
	items := make([]string, len(r.args)-1)
	for i, f := range r.args[1:] {
		items[i] = rNil
		if v != nil {
			if x, ok := v.hash[string(f)]; ok {
				items[i] = bulk(x)
			}
		}
	}
	return array(items)
}

func hexists(r *run) string {
	v, e := r.hashValue(r.args[0])
	if e != "" {
		return e
	}
	if v != nil {
		if _, ok := v.hash[string(r.args[1])]; ok {
			return rOne
		}
	}
	return rZero
}

func hlen(r *run) string {
	return r.sizeOf(r.hashValue, func(v *value) int { return len(v.hash) })
}

func hstrlen(r *run) string {
	return r.sizeOf(r.hashValue, func(v *value) int { return len(v.hash[string(r.args[1])]) })
}

// hgetall answers HGETALL, HKEYS and HVALS: in insertion order for a
// listpack; sorted, and marked as of unknown order, for a hash table.
func hgetall(r *run) string {
	v, e := r.existing(r.hashValue, r.args[0], rEmpty)
	if e != "" {
		return e
	}
	fs := v.fields
	if v.bigMap {
		fs = append([]string(nil), fs...)
		sort.Strings(fs)
	}
	var items []string
	for _, f := range fs {
		switch r.op {
		case "HKEYS":
			items = append(items, bulkString(f))
		case "HVALS":
			items = append(items, bulk(v.hash[f]))
		default:
			items = append(items, bulkString(f), bulk(v.hash[f]))
		}
	}
	if v.bigMap {
		per := 1
		switch r.op {
		case "HVALS":
			// By the values' bytes, as a listing is compared.
			sort.SliceStable(items, func(i, j int) bool { return bulkBody(items[i]) < bulkBody(items[j]) })
		case "HGETALL":
			per = 2
		}
		return listing(items, per)
	}
	return array(items)
}

func hdel(r *run) string {
	a := r.args
	v, e := r.existing(r.hashValue, a[0], rZero)
	if e != "" {
		return e
	}
	var c int64
	for _, f := range a[1:] {
		if _, ok := v.hash[string(f)]; ok {
			if c == 0 {
				v = r.mut(a[0], v)
			}
			v.hashDel(string(f))
			c++
		}
	}
	if c > 0 {
		r.dropIfEmpty(a[0], v)
	}
	return integer(c)
}

func hincrby(r *run) string {
	a := r.args
	d, ok := parseInt(a[2])
	if !ok {
		return eNotInt
	}
	v, e := r.hashValue(a[0])
	if e != "" {
		return e
	}
	var cur int64
	f := string(a[1])
	if v != nil {
		if x, ok := v.hash[f]; ok {
			if cur, ok = parseInt(x); !ok {
				return "-ERR hash value is not an integer\r\n"
			}
		}
	}
	if (d < 0 && cur < 0 && d < math.MinInt64-cur) || (d > 0 && cur > 0 && d > math.MaxInt64-cur) {
		return eOverflow
	}
	if v == nil {
		v, _ = r.container(a[0], tHash, true)
	}
	v = r.mut(a[0], v)
	v.hashSet(f, []byte(strconv.FormatInt(cur+d, 10)))
	return integer(cur + d)
}

func hincrbyfloat(r *run) string {
	a := r.args
	d, ok := parseLongDouble(a[2])
	if !ok {
		return eNotFloat
	}
	if d.IsInf() {
		return "-ERR value is NaN or Infinity\r\n"
	}
	v, e := r.hashValue(a[0])
	if e != "" {
		return e
	}
	f := string(a[1])
	cur, _ := parseLongDouble([]byte("0"))
	if v != nil {
		if x, ok := v.hash[f]; ok {
			if cur, ok = parseLongDouble(x); !ok {
				return "-ERR hash value is not a float\r\n"
			}
		}
	}
	sum, errReply := addLongDouble(cur, d)
	if errReply != "" {
		return errReply
	}
	s := formatLongDouble(sum)
	if v == nil {
		v, _ = r.container(a[0], tHash, true)
	}
	v = r.mut(a[0], v)
	v.hashSet(f, []byte(s))
	return bulkString(s)
}

// hscan answers HSCAN: a listpack hash is returned whole with cursor 0
// (after MATCH); a hash table's cursor walk is not the log's.
func hscan(r *run) string {
	v, e := r.hashValue(r.args[0])
	pat, reply := r.scanListpack(v, e)
	if reply != "" {
		return reply
	}
	var items []string
	for _, f := range v.fields {
		if pat == nil || globMatch(pat, []byte(f), false) {
			items = append(items, bulkString(f), bulk(v.hash[f]))
		}
	}
	return array([]string{bulkString("0"), array(items)})
}

// rUnknownScan is the output of a SCAN-family call over a hash table: its
// cursor walk depends on the table's layout, which the log does not show.
const rUnknownScan = "\x00scan of a hash table\r\n"

// scanListpack checks HSCAN's and SSCAN's key (its value v, or the error
// e reading it), options and cursor in Redis's order. When the value is a
// listpack, whose scan returns it whole with cursor 0, reply is "" and
// pattern is MATCH's (nil: every element); otherwise reply is the answer:
// an error, an empty scan of a missing key, or unknown for a hash table.
func (r *run) scanListpack(v *value, e string) (pattern []byte, reply string) {
	if e != "" {
		return nil, e
	}
	pattern, reply = scanOptions(r.args[2:])
	if reply != "" {
		return nil, reply
	}
	if _, ok := parseUnsignedCursor(r.args[1]); !ok {
		return nil, "-ERR invalid cursor\r\n"
	}
	switch {
	case v == nil:
		return nil, array([]string{bulkString("0"), rEmpty})
	case v.bigMap:
		return nil, rUnknownScan
	}
	return pattern, ""
}

// scanOptions reads SCAN's MATCH and COUNT options (TYPE is SCAN's own).
func scanOptions(opts [][]byte) (pattern []byte, errReply string) {
	for i := 0; i < len(opts); i++ {
		o := optUpper(opts[i])
		switch {
		case o == "COUNT" && i+1 < len(opts):
			n, ok := parseInt(opts[i+1])
			if !ok {
				return nil, eNotInt
			}
			if n < 1 {
				return nil, eSyntax
			}
			i++
		case o == "MATCH" && i+1 < len(opts):
			pattern = opts[i+1]
			if len(pattern) == 1 && pattern[0] == '*' {
				pattern = nil
			}
			i++
		default:
			return nil, eSyntax
		}
	}
	return pattern, ""
}

// parseUnsignedCursor reads a SCAN cursor as Redis's parseScanCursorOrReply.
func parseUnsignedCursor(b []byte) (uint64, bool) {
	n, err := strconv.ParseUint(string(b), 10, 64)
	return n, err == nil
}
