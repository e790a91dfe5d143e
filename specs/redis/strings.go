package redis

import (
	"math"
	"math/big"
	"strconv"
)

// The string commands.
var stringCommands = inGroup("string", []*Command{
	{Name: "APPEND", Arity: 3, Flags: "write denyoom fast", Keys: key1("RW insert"), Run: appendCmd},
	{Name: "DECR", Arity: 2, Flags: "write denyoom fast", Keys: key1("RW access update"),
		Run: func(r *run) string { return r.incr(r.args[0], -1) }},
	{Name: "DECRBY", Arity: 3, Flags: "write denyoom fast", Keys: key1("RW access update"), Run: incrBy},
	{Name: "GET", Arity: 2, Flags: "readonly fast", Keys: key1("RO access"), Run: get},
	{Name: "GETDEL", Arity: 2, Flags: "write fast", Keys: key1("RW access delete"), Run: getdel},
	{Name: "GETEX", Arity: -2, Flags: "write fast", Keys: key1("RW access update"), Run: getex},
	{Name: "GETRANGE", Arity: 4, Flags: "readonly", Keys: key1("RO access"), Run: getrange},
	{Name: "GETSET", Arity: 3, Flags: "write denyoom fast", Keys: key1("RW access update"), Run: getset},
	{Name: "INCR", Arity: 2, Flags: "write denyoom fast", Keys: key1("RW access update"),
		Run: func(r *run) string { return r.incr(r.args[0], 1) }},
	{Name: "INCRBY", Arity: 3, Flags: "write denyoom fast", Keys: key1("RW access update"), Run: incrBy},
	{Name: "INCRBYFLOAT", Arity: 3, Flags: "write denyoom fast", Keys: key1("RW access update"), Run: incrByFloat},
	{Name: "LCS", Arity: -3, Flags: "readonly",
		Keys: []KeySpec{{Flags: "RO access", Begin: Index(1), Find: Range(1, 1, 0)}},
		Why:  "LCS (longest common subsequence) is not modelled"},
	{Name: "MGET", Arity: -2, Flags: "readonly fast",
		Keys: []KeySpec{keysFrom(1, "RO access")}, Run: mget},
	{Name: "MSET", Arity: -3, Flags: "write denyoom",
		Keys: []KeySpec{{Flags: "OW update", Begin: Index(1), Find: Range(-1, 2, 0)}}, Run: mset,
		Resets: func(args [][]byte, _ int) bool { return len(args)%2 == 0 }},
	{Name: "MSETNX", Arity: -3, Flags: "write denyoom",
		Keys: []KeySpec{{Flags: "OW insert", Begin: Index(1), Find: Range(-1, 2, 0)}}, Run: mset},
	{Name: "PSETEX", Arity: 4, Flags: "write denyoom", Keys: key1("OW update"), Run: setex, Resets: setexResets},
	{Name: "SET", Arity: -3, Flags: "write denyoom", Keys: key1("RW access update variable_flags"), Run: set,
		Resets: func(args [][]byte, _ int) bool { return plainSet(args[2:]) }},
	{Name: "SETEX", Arity: 4, Flags: "write denyoom", Keys: key1("OW update"), Run: setex, Resets: setexResets},
	{Name: "SETNX", Arity: 3, Flags: "write denyoom fast", Keys: key1("OW insert"), Run: setnx},
	{Name: "SETRANGE", Arity: 4, Flags: "write denyoom", Keys: key1("RW update"), Run: setrange},
	{Name: "STRLEN", Arity: 2, Flags: "readonly fast", Keys: key1("RO"), Run: strlen},
	{Name: "SUBSTR", Arity: 4, Flags: "readonly", Keys: key1("RO access"), Run: getrange},
})

// key1 is the key specification of a command whose one key is its first
// argument.
func key1(flags string) []KeySpec {
	return []KeySpec{{Flags: flags, Begin: Index(1), Find: Range(0, 1, 0)}}
}

// inGroup sets the group of a list of commands.
func inGroup(g string, cs []*Command) []*Command {
	for _, c := range cs {
		c.Group = g
	}
	return cs
}

// stringValue returns a key's string value, nil for a missing key, or a
// WRONGTYPE reply.
func (r *run) stringValue(k []byte) (*value, string) {
	v := r.get(k)
	if v != nil && v.typ != tString {
		return nil, eWrongType
	}
	return v, ""
}

func get(r *run) string {
	v, e := r.existing(r.stringValue, r.args[0], rNil)
	if e != "" {
		return e
	}
	return bulk(v.str)
}

func strlen(r *run) string {
	return r.sizeOf(r.stringValue, func(v *value) int { return len(v.str) })
}

func setnx(r *run) string {
	a := r.args
	if r.get(a[0]) != nil {
		return rZero
	}
	r.set(a[0], &value{typ: tString, str: a[1]})
	return rOne
}

func setexResets(args [][]byte, _ int) bool {
	t, ok := parseInt(args[1])
	return ok && t > 0 && t < 1<<40
}

func setex(r *run) string {
	a := r.args
	t, ok := parseInt(a[1])
	if !ok {
		return eNotInt
	}
	ms, ok := r.deadline(t, r.op == "SETEX", false)
	if !ok {
		return eExpire(r.op)
	}
	r.set(a[0], &value{typ: tString, str: a[2], expire: ms})
	return rOK
}

func getset(r *run) string {
	a := r.args
	old, e := r.stringValue(a[0])
	if e != "" {
		return e
	}
	r.set(a[0], &value{typ: tString, str: a[1]})
	if old == nil {
		return rNil
	}
	return bulk(old.str)
}

func getdel(r *run) string {
	v, e := r.existing(r.stringValue, r.args[0], rNil)
	if e != "" {
		return e
	}
	r.del(r.args[0])
	return bulk(v.str)
}

func mset(r *run) string {
	a := r.args
	if len(a)%2 != 0 {
		return eArity(r.op)
	}
	if r.op == "MSETNX" {
		for i := 0; i < len(a); i += 2 {
			if r.get(a[i]) != nil {
				return rZero
			}
		}
	}
	for i := 0; i < len(a); i += 2 {
		r.set(a[i], &value{typ: tString, str: a[i+1]})
	}
	if r.op == "MSETNX" {
		return rOne
	}
	return rOK
}

func mget(r *run) string {
	items := make([]string, len(r.args))
	for i, k := range r.args {
		v := r.get(k)
		if v == nil || v.typ != tString {
			items[i] = rNil
		} else {
			items[i] = bulk(v.str)
		}
	}
	return array(items)
}

func appendCmd(r *run) string {
	a := r.args
	v, e := r.stringValue(a[0])
	if e != "" {
		return e
	}
	if v == nil {
		r.set(a[0], &value{typ: tString, str: a[1]})
		return integer(int64(len(a[1])))
	}
	v = r.mut(a[0], v)
	v.str = append(append([]byte(nil), v.str...), a[1]...)
	return integer(int64(len(v.str)))
}

func setrange(r *run) string {
	a := r.args
	off, ok := parseInt(a[1])
	if !ok {
		return eNotInt
	}
	if off < 0 {
		return "-ERR offset is out of range\r\n"
	}
	v, e := r.stringValue(a[0])
	if e != "" {
		return e
	}
	if v == nil && len(a[2]) == 0 {
		return rZero
	}
	if v != nil && len(a[2]) == 0 {
		return integer(int64(len(v.str)))
	}
	if off+int64(len(a[2])) > 512*1024*1024 {
		return "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
	}
	if v == nil {
		v = &value{typ: tString}
		r.set(a[0], v)
	} else {
		v = r.mut(a[0], v)
	}
	need := int(off) + len(a[2])
	s := append([]byte(nil), v.str...)
	if len(s) < need {
		s = append(s, make([]byte, need-len(s))...)
	}
	copy(s[off:], a[2])
	v.str = s
	return integer(int64(len(s)))
}

// putString stores s as string key k's value: a new key when v (k's
// current value) is nil, else v's contents replaced, its expiry kept.
func (r *run) putString(k []byte, v *value, s []byte) {
	if v == nil {
		r.set(k, &value{typ: tString, str: s})
		return
	}
	v = r.mut(k, v)
	v.str = s
}

func incrBy(r *run) string {
	d, ok := parseInt(r.args[1])
	if !ok {
		return eNotInt
	}
	if r.op == "DECRBY" {
		if d == math.MinInt64 {
			return "-ERR decrement would overflow\r\n"
		}
		d = -d
	}
	return r.incr(r.args[0], d)
}

func (r *run) incr(k []byte, d int64) string {
	v, e := r.stringValue(k)
	if e != "" {
		return e
	}
	var cur int64
	if v != nil {
		var ok bool
		if cur, ok = parseInt(v.str); !ok {
			return eNotInt
		}
	}
	if (d < 0 && cur < 0 && d < math.MinInt64-cur) || (d > 0 && cur > 0 && d > math.MaxInt64-cur) {
		return eOverflow
	}
	s := []byte(strconv.FormatInt(cur+d, 10))
	r.putString(k, v, s)
	return integer(cur + d)
}

func incrByFloat(r *run) string {
	a := r.args
	v, e := r.stringValue(a[0])
	if e != "" {
		return e
	}
	cur := new(big.Float).SetPrec(64)
	if v != nil {
		f, ok := parseLongDouble(v.str)
		if !ok {
			return eNotFloat
		}
		cur = f
	}
	d, ok := parseLongDouble(a[1])
	if !ok {
		return eNotFloat
	}
	sum, errReply := addLongDouble(cur, d)
	if errReply != "" {
		return errReply
	}
	s := []byte(formatLongDouble(sum))
	r.putString(a[0], v, s)
	return bulk(s)
}

// addLongDouble adds as Redis's INCRBYFLOAT and HINCRBYFLOAT do, in x87
// long doubles, refusing infinities and NaN.
func addLongDouble(cur, d *big.Float) (*big.Float, string) {
	const eNaN = "-ERR increment would produce NaN or Infinity\r\n"
	if cur.IsInf() || d.IsInf() {
		return nil, eNaN
	}
	sum := new(big.Float).SetPrec(64).SetMode(big.ToNearestEven).Add(cur, d)
	if e := sum.MantExp(nil); e > 16384 {
		return nil, eNaN
	}
	return sum, ""
}

func getrange(r *run) string {
	a := r.args
	start, end, ok := parseRange(a[1], a[2])
	if !ok {
		return eNotInt
	}
	v, e := r.existing(r.stringValue, a[0], rEmptyBulk)
	if e != "" {
		return e
	}
	if start < 0 && end < 0 && start > end {
		return rEmptyBulk
	}
	from, to, ok := stringRange(start, end, int64(len(v.str)))
	if !ok {
		return rEmptyBulk
	}
	return bulk(v.str[from : to+1])
}

// plainSet reports whether SET's options make it a reset: valid, and
// without NX, XX, GET or KEEPTTL.
func plainSet(opts [][]byte) bool {
	unit := ""
	for i := 0; i < len(opts); i++ {
		o := optUpper(opts[i])
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

func set(r *run) string {
	a := r.args
	var nx, xx, getOld, keep bool
	var unit string
	var when []byte
	for i := 2; i < len(a); i++ {
		o := optUpper(a[i])
		switch {
		case o == "NX" && !xx:
			nx = true
		case o == "XX" && !nx:
			xx = true
		case o == "GET":
			getOld = true
		case o == "KEEPTTL" && unit == "":
			keep = true
		case isExpiryUnit(o) && (unit == "" || unit == o) && !keep && i+1 < len(a):
			unit = o
			when = a[i+1]
			i++
		default:
			return eSyntax
		}
	}
	ms, errReply := r.expiryOption(unit, when, "set")
	if errReply != "" {
		return errReply
	}
	old := r.get(a[0])
	reply := rOK
	if getOld {
		if old != nil && old.typ != tString {
			return eWrongType
		}
		reply = rNil
		if old != nil {
			reply = bulk(old.str)
		}
	}
	if (nx && old != nil) || (xx && old == nil) {
		if getOld {
			return reply
		}
		return rNil
	}
	v := &value{typ: tString, str: a[1], expire: ms}
	if keep && old != nil {
		v.expire = old.expire
	}
	r.set(a[0], v)
	return reply
}

// isExpiryUnit tells whether SET's or GETEX's option o (upper case) is
// one of the expiry options that take a time: EX, PX, EXAT or PXAT.
func isExpiryUnit(o string) bool {
	return o == "EX" || o == "PX" || o == "EXAT" || o == "PXAT"
}

// expiryOption turns SET's and GETEX's EX, PX, EXAT or PXAT option (unit,
// "" when none, and its argument when) into an expiry time in
// milliseconds (0 when none), or an error reply naming cmd.
func (r *run) expiryOption(unit string, when []byte, cmd string) (ms int64, errReply string) {
	if unit == "" {
		return 0, ""
	}
	t, ok := parseInt(when)
	if !ok {
		return 0, eNotInt
	}
	ms, ok = r.deadline(t, unit == "EX" || unit == "EXAT", unit == "EXAT" || unit == "PXAT")
	if !ok {
		return 0, eExpire(cmd)
	}
	return ms, ""
}

func getex(r *run) string {
	a := r.args
	var unit string
	var when []byte
	persist := false
	for i := 1; i < len(a); i++ {
		o := optUpper(a[i])
		switch {
		case o == "PERSIST" && unit == "" && !persist:
			persist = true
		case isExpiryUnit(o) && unit == "" && !persist && i+1 < len(a):
			unit = o
			when = a[i+1]
			i++
		default:
			return eSyntax
		}
	}
	ms, errReply := r.expiryOption(unit, when, "getex")
	if errReply != "" {
		return errReply
	}
	v, e := r.existing(r.stringValue, a[0], rNil)
	if e != "" {
		return e
	}
	reply := bulk(v.str)
	switch {
	case unit != "" && ms <= r.now:
		r.del(a[0])
	case unit != "":
		v = r.mut(a[0], v)
		v.expire = ms
	case persist && v.expire != 0:
		v = r.mut(a[0], v)
		v.expire = 0
	}
	return reply
}
