package redis

import (
	"bytes"
	"math"
	"math/big"
	"sort"
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

	eWrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
	eNotInt    = "-ERR value is not an integer or out of range\r\n"
	eNotFloat  = "-ERR value is not a valid float\r\n"
	eSyntax    = "-ERR syntax error\r\n"
	eOverflow  = "-ERR increment or decrement would overflow\r\n"
	eNoKey     = "-ERR no such key\r\n"
	eSame      = "-ERR source and destination objects are the same\r\n"
	eDBRange   = "-ERR DB index is out of range\r\n"
	ePositive  = "-ERR value is out of range, must be positive\r\n"
	eUnknown   = "-ERR wat: command not modelled\r\n"
)

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
)

type value struct {
	typ    byte
	str    []byte
	fields []string // hash fields in insertion order
	hash   map[string][]byte
	list   [][]byte
	set    map[string]bool
	expire int64 // Unix ms deadline; 0 for none
}

func (v *value) clone() *value {
	c := &value{typ: v.typ, str: v.str, expire: v.expire}
	if v.hash != nil {
		c.fields = append([]string(nil), v.fields...)
		c.hash = make(map[string][]byte, len(v.hash))
		for k, x := range v.hash {
			c.hash[k] = x
		}
	}
	if v.list != nil {
		c.list = append([][]byte(nil), v.list...)
	}
	if v.set != nil {
		c.set = make(map[string]bool, len(v.set))
		for k := range v.set {
			c.set[k] = true
		}
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
	}
	return false
}

// A db maps keys to values; values are never shared between states
// (cloning copies them), so Apply can change them in place.
type db map[string]*value

// State is the model's state: Redis's databases.
type State struct {
	dbs [Databases]db
}

// Model is Redis as a deterministic state machine, replaying the writes
// of a MONITOR capture. Each event runs in the database its log line
// names (so SELECT changes nothing here). Key expiry is replayed from the
// events' timestamps: a key whose deadline has passed at an event's time
// is gone. Replies are RESP2 bytes; unordered replies (HGETALL, SMEMBERS)
// are sorted so that they compare as sets.
type Model struct{}

var _ provenance.Model = Model{}

// Init returns empty databases.
func (Model) Init() provenance.State { return &State{} }

// Clone copies a state.
func (Model) Clone(s provenance.State) provenance.State {
	src := s.(*State)
	c := &State{}
	for i, d := range src.dbs {
		if d == nil {
			continue
		}
		c.dbs[i] = make(db, len(d))
		for k, v := range d {
			c.dbs[i][k] = v.clone()
		}
	}
	return c
}

// Fingerprint renders a state canonically.
func (Model) Fingerprint(s provenance.State) string {
	var b strings.Builder
	for i, d := range s.(*State).dbs {
		keys := make([]string, 0, len(d))
		for k := range d {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := d[k]
			b.WriteString(strconv.Itoa(i))
			b.WriteByte(0)
			b.WriteString(strconv.Quote(k))
			b.WriteByte(v.typ)
			b.WriteString(strconv.FormatInt(v.expire, 10))
			b.WriteString(strconv.Quote(string(v.str)))
			for _, f := range v.fields {
				b.WriteString(strconv.Quote(f) + "=" + strconv.Quote(string(v.hash[f])))
			}
			for _, x := range v.list {
				b.WriteString(strconv.Quote(string(x)))
			}
			for _, m := range sortedSet(v.set) {
				b.WriteString(strconv.Quote(m))
			}
			b.WriteByte('\n')
		}
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
	d    int
	now  int64 // ms
	op   string
	args [][]byte
}

func (r *run) db(i int) db {
	if r.s.dbs[i] == nil {
		r.s.dbs[i] = db{}
	}
	return r.s.dbs[i]
}

// get returns a live key's value, dropping it when expired.
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

func (r *run) set(k []byte, v *value) { r.db(r.d)[string(k)] = v }

func (r *run) del(k []byte) bool {
	if r.get(k) == nil {
		return false
	}
	delete(r.s.dbs[r.d], string(k))
	return true
}

// Apply runs one event.
func (Model) Apply(st provenance.State, e *formats.Event) provenance.Output {
	d, ok := dbIndex(e.NS)
	if !ok {
		d = 0
	}
	r := &run{s: st.(*State), d: d, now: e.Time / 1e6, op: e.Op, args: e.Args}
	return provenance.Output(r.exec())
}

func bulk(b []byte) string {
	return "$" + strconv.Itoa(len(b)) + "\r\n" + string(b) + "\r\n"
}

func integer(n int64) string { return ":" + strconv.FormatInt(n, 10) + "\r\n" }

func array(items []string) string {
	return "*" + strconv.Itoa(len(items)) + "\r\n" + strings.Join(items, "")
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
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

// parseFloat parses like Redis's string2ld (strtold): a decimal or
// "inf"; NaN, spaces and trailing bytes are rejected. The result has the
// 64-bit mantissa of an x87 long double.
func parseFloat(b []byte) (*big.Float, bool) {
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

// formatFloat renders like Redis's ld2string in human mode: %.17Lf with
// trailing zeros (and a trailing point) removed, "-0" as "0".
func formatFloat(f *big.Float) string {
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

// exec runs the command and returns its reply.
func (r *run) exec() string {
	a := r.args
	n := len(a)
	arity := func(min int, exact bool) bool {
		if exact {
			return n == min
		}
		return n >= min
	}
	switch r.op {
	// Strings.
	case "GET":
		if !arity(1, true) {
			return eArity(r.op)
		}
		v := r.get(a[0])
		if v == nil {
			return rNil
		}
		if v.typ != tString {
			return eWrongType
		}
		return bulk(v.str)
	case "SET":
		if !arity(2, false) {
			return eArity(r.op)
		}
		return r.setCmd()
	case "SETNX":
		if !arity(2, true) {
			return eArity(r.op)
		}
		if r.get(a[0]) != nil {
			return rZero
		}
		r.set(a[0], &value{typ: tString, str: a[1]})
		return rOne
	case "SETEX", "PSETEX":
		if !arity(3, true) {
			return eArity(r.op)
		}
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
	case "GETSET":
		if !arity(2, true) {
			return eArity(r.op)
		}
		old := r.get(a[0])
		if old != nil && old.typ != tString {
			return eWrongType
		}
		r.set(a[0], &value{typ: tString, str: a[1]})
		if old == nil {
			return rNil
		}
		return bulk(old.str)
	case "GETDEL":
		if !arity(1, true) {
			return eArity(r.op)
		}
		v := r.get(a[0])
		if v == nil {
			return rNil
		}
		if v.typ != tString {
			return eWrongType
		}
		r.del(a[0])
		return bulk(v.str)
	case "GETEX":
		if !arity(1, false) {
			return eArity(r.op)
		}
		return r.getex()
	case "MSET", "MSETNX":
		if n < 2 || n%2 != 0 {
			return eArity(r.op)
		}
		if r.op == "MSETNX" {
			for i := 0; i < n; i += 2 {
				if r.get(a[i]) != nil {
					return rZero
				}
			}
		}
		for i := 0; i < n; i += 2 {
			r.set(a[i], &value{typ: tString, str: a[i+1]})
		}
		if r.op == "MSETNX" {
			return rOne
		}
		return rOK
	case "APPEND":
		if !arity(2, true) {
			return eArity(r.op)
		}
		v := r.get(a[0])
		if v == nil {
			r.set(a[0], &value{typ: tString, str: a[1]})
			return integer(int64(len(a[1])))
		}
		if v.typ != tString {
			return eWrongType
		}
		v.str = append(append([]byte(nil), v.str...), a[1]...)
		return integer(int64(len(v.str)))
	case "SETRANGE":
		if !arity(3, true) {
			return eArity(r.op)
		}
		off, ok := parseInt(a[1])
		if !ok {
			return eNotInt
		}
		if off < 0 {
			return "-ERR offset is out of range\r\n"
		}
		if off+int64(len(a[2])) > 512*1024*1024 {
			return "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
		}
		v := r.get(a[0])
		if v == nil {
			if len(a[2]) == 0 {
				return rZero
			}
			v = &value{typ: tString}
			r.set(a[0], v)
		} else if v.typ != tString {
			return eWrongType
		} else if len(a[2]) == 0 {
			return integer(int64(len(v.str)))
		}
		need := int(off) + len(a[2])
		s := append([]byte(nil), v.str...)
		if len(s) < need {
			s = append(s, make([]byte, need-len(s))...)
		}
		copy(s[off:], a[2])
		v.str = s
		return integer(int64(len(s)))
	case "INCR", "DECR":
		if !arity(1, true) {
			return eArity(r.op)
		}
		if r.op == "INCR" {
			return r.incr(a[0], 1)
		}
		return r.incr(a[0], -1)
	case "INCRBY", "DECRBY":
		if !arity(2, true) {
			return eArity(r.op)
		}
		d, ok := parseInt(a[1])
		if !ok {
			return eNotInt
		}
		if r.op == "DECRBY" {
			if d == math.MinInt64 {
				return "-ERR decrement would overflow\r\n"
			}
			d = -d
		}
		return r.incr(a[0], d)
	case "INCRBYFLOAT":
		if !arity(2, true) {
			return eArity(r.op)
		}
		return r.incrFloat()
	case "STRLEN":
		if !arity(1, true) {
			return eArity(r.op)
		}
		v := r.get(a[0])
		if v == nil {
			return rZero
		}
		if v.typ != tString {
			return eWrongType
		}
		return integer(int64(len(v.str)))
	case "GETRANGE":
		if !arity(3, true) {
			return eArity(r.op)
		}
		return r.getrange()
	case "MGET":
		if !arity(1, false) {
			return eArity(r.op)
		}
		items := make([]string, n)
		for i, k := range a {
			v := r.get(k)
			if v == nil || v.typ != tString {
				items[i] = rNil
			} else {
				items[i] = bulk(v.str)
			}
		}
		return array(items)

	// Keys.
	case "DEL", "UNLINK":
		if !arity(1, false) {
			return eArity(r.op)
		}
		var c int64
		for _, k := range a {
			if r.del(k) {
				c++
			}
		}
		return integer(c)
	case "EXISTS":
		if !arity(1, false) {
			return eArity(r.op)
		}
		var c int64
		for _, k := range a {
			if r.get(k) != nil {
				c++
			}
		}
		return integer(c)
	case "TYPE":
		if !arity(1, true) {
			return eArity(r.op)
		}
		v := r.get(a[0])
		if v == nil {
			return "+none\r\n"
		}
		return "+" + map[byte]string{tString: "string", tHash: "hash", tList: "list", tSet: "set"}[v.typ] + "\r\n"
	case "RENAME", "RENAMENX":
		if !arity(2, true) {
			return eArity(r.op)
		}
		nx := r.op == "RENAMENX"
		v := r.get(a[0])
		if v == nil {
			return eNoKey
		}
		if bytes.Equal(a[0], a[1]) {
			if nx {
				return rZero
			}
			return rOK
		}
		if r.get(a[1]) != nil {
			if nx {
				return rZero
			}
		}
		delete(r.s.dbs[r.d], string(a[0]))
		r.set(a[1], v)
		if nx {
			return rOne
		}
		return rOK
	case "COPY":
		if !arity(2, false) {
			return eArity(r.op)
		}
		return r.copyCmd()
	case "MOVE":
		if !arity(2, true) {
			return eArity(r.op)
		}
		t, ok := parseInt(a[1])
		if !ok || t < math.MinInt32 || t > math.MaxInt32 {
			return eNotInt
		}
		if t < 0 || t >= Databases {
			return eDBRange
		}
		if int(t) == r.d {
			return eSame
		}
		v := r.get(a[0])
		if v == nil {
			return rZero
		}
		if r.getIn(int(t), a[0]) != nil {
			return rZero
		}
		delete(r.s.dbs[r.d], string(a[0]))
		r.db(int(t))[string(a[0])] = v
		return rOne
	case "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT":
		if !arity(2, false) {
			return eArity(r.op)
		}
		return r.expireCmd()
	case "PERSIST":
		if !arity(1, true) {
			return eArity(r.op)
		}
		v := r.get(a[0])
		if v == nil || v.expire == 0 {
			return rZero
		}
		v.expire = 0
		return rOne
	case "FLUSHDB", "FLUSHALL":
		if n > 1 || (n == 1 && !eqFold(a[0], "ASYNC") && !eqFold(a[0], "SYNC")) {
			return eSyntax
		}
		if r.op == "FLUSHDB" {
			r.s.dbs[r.d] = nil
		} else {
			r.s.dbs = [Databases]db{}
		}
		return rOK
	case "SWAPDB":
		if !arity(2, true) {
			return eArity(r.op)
		}
		x, ok1 := parseInt(a[0])
		if !ok1 || x < math.MinInt32 || x > math.MaxInt32 {
			return "-ERR invalid first DB index\r\n"
		}
		y, ok2 := parseInt(a[1])
		if !ok2 || y < math.MinInt32 || y > math.MaxInt32 {
			return "-ERR invalid second DB index\r\n"
		}
		if x < 0 || x >= Databases || y < 0 || y >= Databases {
			return eDBRange
		}
		r.s.dbs[x], r.s.dbs[y] = r.s.dbs[y], r.s.dbs[x]
		return rOK
	case "SELECT":
		if !arity(1, true) {
			return eArity(r.op)
		}
		t, ok := parseInt(a[0])
		if !ok || t < math.MinInt32 || t > math.MaxInt32 {
			return eNotInt
		}
		if t < 0 || t >= Databases {
			return eDBRange
		}
		return rOK

	// Hashes.
	case "HSET", "HMSET":
		if n < 3 || n%2 != 1 {
			return eArity(r.op)
		}
		v, errReply := r.container(a[0], tHash, true)
		if errReply != "" {
			return errReply
		}
		var added int64
		for i := 1; i < n; i += 2 {
			f := string(a[i])
			if _, ok := v.hash[f]; !ok {
				v.fields = append(v.fields, f)
				added++
			}
			v.hash[f] = a[i+1]
		}
		if r.op == "HMSET" {
			return rOK
		}
		return integer(added)
	case "HSETNX":
		if !arity(3, true) {
			return eArity(r.op)
		}
		v, errReply := r.container(a[0], tHash, true)
		if errReply != "" {
			return errReply
		}
		if _, ok := v.hash[string(a[1])]; ok {
			return rZero
		}
		v.fields = append(v.fields, string(a[1]))
		v.hash[string(a[1])] = a[2]
		return rOne
	case "HGET":
		if !arity(2, true) {
			return eArity(r.op)
		}
		v, errReply := r.container(a[0], tHash, false)
		if errReply != "" {
			return errReply
		}
		if v == nil {
			return rNil
		}
		if x, ok := v.hash[string(a[1])]; ok {
			return bulk(x)
		}
		return rNil
	case "HMGET":
		if !arity(2, false) {
			return eArity(r.op)
		}
		v, errReply := r.container(a[0], tHash, false)
		if errReply != "" {
			return errReply
		}
		items := make([]string, n-1)
		for i, f := range a[1:] {
			items[i] = rNil
			if v != nil {
				if x, ok := v.hash[string(f)]; ok {
					items[i] = bulk(x)
				}
			}
		}
		return array(items)
	case "HGETALL":
		if !arity(1, true) {
			return eArity(r.op)
		}
		v, errReply := r.container(a[0], tHash, false)
		if errReply != "" {
			return errReply
		}
		if v == nil {
			return rEmpty
		}
		fs := append([]string(nil), v.fields...)
		sort.Strings(fs)
		var items []string
		for _, f := range fs {
			items = append(items, bulk([]byte(f)), bulk(v.hash[f]))
		}
		return array(items)
	case "HDEL":
		if !arity(2, false) {
			return eArity(r.op)
		}
		v, errReply := r.container(a[0], tHash, false)
		if errReply != "" {
			return errReply
		}
		if v == nil {
			return rZero
		}
		var c int64
		for _, f := range a[1:] {
			if _, ok := v.hash[string(f)]; ok {
				delete(v.hash, string(f))
				c++
			}
		}
		if c > 0 {
			kept := v.fields[:0:0]
			for _, f := range v.fields {
				if _, ok := v.hash[f]; ok {
					kept = append(kept, f)
				}
			}
			v.fields = kept
		}
		if v.empty() {
			r.del(a[0])
		}
		return integer(c)
	case "HINCRBY":
		if !arity(3, true) {
			return eArity(r.op)
		}
		d, ok := parseInt(a[2])
		if !ok {
			return eNotInt
		}
		v, errReply := r.container(a[0], tHash, true)
		if errReply != "" {
			return errReply
		}
		var cur int64
		f := string(a[1])
		if x, ok := v.hash[f]; ok {
			cur, ok = parseInt(x)
			if !ok {
				r.dropIfEmpty(a[0], v)
				return "-ERR hash value is not an integer\r\n"
			}
		}
		if (d < 0 && cur < 0 && d < math.MinInt64-cur) || (d > 0 && cur > 0 && d > math.MaxInt64-cur) {
			r.dropIfEmpty(a[0], v)
			return eOverflow
		}
		if _, ok := v.hash[f]; !ok {
			v.fields = append(v.fields, f)
		}
		v.hash[f] = []byte(strconv.FormatInt(cur+d, 10))
		return integer(cur + d)
	case "HLEN":
		if !arity(1, true) {
			return eArity(r.op)
		}
		v, errReply := r.container(a[0], tHash, false)
		if errReply != "" {
			return errReply
		}
		if v == nil {
			return rZero
		}
		return integer(int64(len(v.hash)))
	case "HEXISTS":
		if !arity(2, true) {
			return eArity(r.op)
		}
		v, errReply := r.container(a[0], tHash, false)
		if errReply != "" {
			return errReply
		}
		if v == nil {
			return rZero
		}
		if _, ok := v.hash[string(a[1])]; ok {
			return rOne
		}
		return rZero

	// Lists.
	case "LPUSH", "RPUSH":
		if !arity(2, false) {
			return eArity(r.op)
		}
		v, errReply := r.container(a[0], tList, true)
		if errReply != "" {
			return errReply
		}
		for _, x := range a[1:] {
			if r.op == "LPUSH" {
				v.list = append([][]byte{x}, v.list...)
			} else {
				v.list = append(v.list, x)
			}
		}
		return integer(int64(len(v.list)))
	case "LPOP", "RPOP":
		if !arity(1, false) {
			return eArity(r.op)
		}
		return r.pop()
	case "LRANGE":
		if !arity(3, true) {
			return eArity(r.op)
		}
		start, ok1 := parseInt(a[1])
		end, ok2 := parseInt(a[2])
		if !ok1 || !ok2 {
			return eNotInt
		}
		v, errReply := r.container(a[0], tList, false)
		if errReply != "" {
			return errReply
		}
		if v == nil {
			return rEmpty
		}
		l := int64(len(v.list))
		if start < 0 {
			start += l
		}
		if end < 0 {
			end += l
		}
		if start < 0 {
			start = 0
		}
		if start > end || start >= l {
			return rEmpty
		}
		if end >= l {
			end = l - 1
		}
		var items []string
		for _, x := range v.list[start : end+1] {
			items = append(items, bulk(x))
		}
		return array(items)
	case "LLEN":
		if !arity(1, true) {
			return eArity(r.op)
		}
		v, errReply := r.container(a[0], tList, false)
		if errReply != "" {
			return errReply
		}
		if v == nil {
			return rZero
		}
		return integer(int64(len(v.list)))
	case "LINDEX":
		if !arity(2, true) {
			return eArity(r.op)
		}
		v, errReply := r.container(a[0], tList, false)
		if errReply != "" {
			return errReply
		}
		if v == nil {
			return rNil
		}
		i, ok := parseInt(a[1])
		if !ok {
			return eNotInt
		}
		if i < 0 {
			i += int64(len(v.list))
		}
		if i < 0 || i >= int64(len(v.list)) {
			return rNil
		}
		return bulk(v.list[i])
	case "LSET":
		if !arity(3, true) {
			return eArity(r.op)
		}
		v := r.get(a[0])
		if v == nil {
			return eNoKey
		}
		if v.typ != tList {
			return eWrongType
		}
		i, ok := parseInt(a[1])
		if !ok {
			return eNotInt
		}
		if i < 0 {
			i += int64(len(v.list))
		}
		if i < 0 || i >= int64(len(v.list)) {
			return "-ERR index out of range\r\n"
		}
		v.list = append([][]byte(nil), v.list...)
		v.list[i] = a[2]
		return rOK

	// Sets.
	case "SADD":
		if !arity(2, false) {
			return eArity(r.op)
		}
		v, errReply := r.container(a[0], tSet, true)
		if errReply != "" {
			return errReply
		}
		var c int64
		for _, m := range a[1:] {
			if !v.set[string(m)] {
				v.set[string(m)] = true
				c++
			}
		}
		return integer(c)
	case "SREM":
		if !arity(2, false) {
			return eArity(r.op)
		}
		v, errReply := r.container(a[0], tSet, false)
		if errReply != "" {
			return errReply
		}
		if v == nil {
			return rZero
		}
		var c int64
		for _, m := range a[1:] {
			if v.set[string(m)] {
				delete(v.set, string(m))
				c++
			}
		}
		if v.empty() {
			r.del(a[0])
		}
		return integer(c)
	case "SMEMBERS":
		if !arity(1, true) {
			return eArity(r.op)
		}
		v, errReply := r.container(a[0], tSet, false)
		if errReply != "" {
			return errReply
		}
		if v == nil {
			return rEmpty
		}
		var items []string
		for _, m := range sortedSet(v.set) {
			items = append(items, bulk([]byte(m)))
		}
		return array(items)
	case "SISMEMBER":
		if !arity(2, true) {
			return eArity(r.op)
		}
		v, errReply := r.container(a[0], tSet, false)
		if errReply != "" {
			return errReply
		}
		if v != nil && v.set[string(a[1])] {
			return rOne
		}
		return rZero
	case "SCARD":
		if !arity(1, true) {
			return eArity(r.op)
		}
		v, errReply := r.container(a[0], tSet, false)
		if errReply != "" {
			return errReply
		}
		if v == nil {
			return rZero
		}
		return integer(int64(len(v.set)))
	}
	if readOnly[r.op] {
		return "+wat: not modelled (read-only)\r\n"
	}
	return eUnknown
}

// dropIfEmpty removes a container created for a command that then failed.
func (r *run) dropIfEmpty(k []byte, v *value) {
	if v.empty() {
		r.del(k)
	}
}

// container returns the key's value of type typ, creating an empty one
// when create is set, or a WRONGTYPE reply.
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
		}
		r.set(k, v)
		return v, ""
	}
	if v.typ != typ {
		return nil, eWrongType
	}
	return v, ""
}

func eqFold(b []byte, s string) bool { return strings.EqualFold(string(b), s) }

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

func (r *run) setCmd() string {
	a := r.args
	var nx, xx, get, keep bool
	var unit string
	var when []byte
	for i := 2; i < len(a); i++ {
		o := strings.ToUpper(string(a[i]))
		switch {
		case o == "NX" && !xx:
			nx = true
		case o == "XX" && !nx:
			xx = true
		case o == "GET":
			get = true
		case o == "KEEPTTL" && unit == "":
			keep = true
		case (o == "EX" || o == "PX" || o == "EXAT" || o == "PXAT") && (unit == "" || unit == o) && !keep && i+1 < len(a):
			unit = o
			when = a[i+1]
			i++
		default:
			return eSyntax
		}
	}
	var ms int64
	if unit != "" {
		t, ok := parseInt(when)
		if !ok {
			return eNotInt
		}
		ms, ok = r.deadline(t, unit == "EX" || unit == "EXAT", unit == "EXAT" || unit == "PXAT")
		if !ok {
			return eExpire("set")
		}
	}
	old := r.get(a[0])
	reply := rOK
	if get {
		if old != nil && old.typ != tString {
			return eWrongType
		}
		reply = rNil
		if old != nil {
			reply = bulk(old.str)
		}
	}
	if (nx && old != nil) || (xx && old == nil) {
		if get {
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

func (r *run) getex() string {
	a := r.args
	var unit string
	var when []byte
	persist := false
	for i := 1; i < len(a); i++ {
		o := strings.ToUpper(string(a[i]))
		switch {
		case o == "PERSIST" && unit == "" && !persist:
			persist = true
		case (o == "EX" || o == "PX" || o == "EXAT" || o == "PXAT") && unit == "" && !persist && i+1 < len(a):
			unit = o
			when = a[i+1]
			i++
		default:
			return eSyntax
		}
	}
	var ms int64
	if unit != "" {
		t, ok := parseInt(when)
		if !ok {
			return eNotInt
		}
		ms, ok = r.deadline(t, unit == "EX" || unit == "EXAT", unit == "EXAT" || unit == "PXAT")
		if !ok {
			return eExpire("getex")
		}
	}
	v := r.get(a[0])
	if v == nil {
		return rNil
	}
	if v.typ != tString {
		return eWrongType
	}
	reply := bulk(v.str)
	switch {
	case unit != "" && ms <= r.now:
		r.del(a[0])
	case unit != "":
		v.expire = ms
	case persist:
		v.expire = 0
	}
	return reply
}

func (r *run) incr(k []byte, d int64) string {
	v := r.get(k)
	var cur int64
	if v != nil {
		if v.typ != tString {
			return eWrongType
		}
		var ok bool
		if cur, ok = parseInt(v.str); !ok {
			return eNotInt
		}
	}
	if (d < 0 && cur < 0 && d < math.MinInt64-cur) || (d > 0 && cur > 0 && d > math.MaxInt64-cur) {
		return eOverflow
	}
	s := []byte(strconv.FormatInt(cur+d, 10))
	if v == nil {
		r.set(k, &value{typ: tString, str: s})
	} else {
		v.str = s
	}
	return integer(cur + d)
}

func (r *run) incrFloat() string {
	a := r.args
	v := r.get(a[0])
	cur := new(big.Float).SetPrec(64)
	if v != nil {
		if v.typ != tString {
			return eWrongType
		}
		f, ok := parseFloat(v.str)
		if !ok {
			return eNotFloat
		}
		cur = f
	}
	d, ok := parseFloat(a[1])
	if !ok {
		return eNotFloat
	}
	if cur.IsInf() || d.IsInf() {
		return "-ERR increment would produce NaN or Infinity\r\n"
	}
	sum := new(big.Float).SetPrec(64).SetMode(big.ToNearestEven).Add(cur, d)
	if e := sum.MantExp(nil); e > 16384 {
		return "-ERR increment would produce NaN or Infinity\r\n"
	}
	s := []byte(formatFloat(sum))
	if v == nil {
		r.set(a[0], &value{typ: tString, str: s})
	} else {
		v.str = s
	}
	return bulk(s)
}

func (r *run) getrange() string {
	a := r.args
	start, ok1 := parseInt(a[1])
	end, ok2 := parseInt(a[2])
	if !ok1 || !ok2 {
		return eNotInt
	}
	v := r.get(a[0])
	if v == nil {
		return rEmptyBulk
	}
	if v.typ != tString {
		return eWrongType
	}
	l := int64(len(v.str))
	if start < 0 && end < 0 && start > end {
		return rEmptyBulk
	}
	if start < 0 {
		start += l
	}
	if end < 0 {
		end += l
	}
	if start < 0 {
		start = 0
	}
	if end < 0 {
		end = 0
	}
	if end >= l {
		end = l - 1
	}
	if start > end || l == 0 {
		return rEmptyBulk
	}
	return bulk(v.str[start : end+1])
}

func (r *run) copyCmd() string {
	a := r.args
	dst := r.d
	replace := false
	for i := 2; i < len(a); i++ {
		o := strings.ToUpper(string(a[i]))
		switch {
		case o == "REPLACE":
			replace = true
		case o == "DB" && i+1 < len(a):
			t, ok := parseInt(a[i+1])
			if !ok || t < math.MinInt32 || t > math.MaxInt32 {
				return eNotInt
			}
			if t < 0 || t >= Databases {
				return eDBRange
			}
			dst = int(t)
			i++
		default:
			return eSyntax
		}
	}
	if dst == r.d && bytes.Equal(a[0], a[1]) {
		return eSame
	}
	v := r.get(a[0])
	if v == nil {
		return rZero
	}
	if r.getIn(dst, a[1]) != nil {
		if !replace {
			return rZero
		}
	}
	r.db(dst)[string(a[1])] = v.clone()
	return rOne
}

func (r *run) expireCmd() string {
	a := r.args
	var nx, xx, gt, lt bool
	for _, o := range a[2:] {
		switch strings.ToUpper(string(o)) {
		case "NX":
			nx = true
		case "XX":
			xx = true
		case "GT":
			gt = true
		case "LT":
			lt = true
		default:
			return "-ERR Unsupported option " + string(o) + "\r\n"
		}
	}
	if nx && (xx || gt || lt) {
		return "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"
	}
	if gt && lt {
		return "-ERR GT and LT options at the same time are not compatible\r\n"
	}
	t, ok := parseInt(a[1])
	if !ok {
		return eNotInt
	}
	if r.op == "EXPIRE" || r.op == "EXPIREAT" {
		if t > math.MaxInt64/1000 || t < math.MinInt64/1000 {
			return eExpire(r.op)
		}
		t *= 1000
	}
	if r.op == "EXPIRE" || r.op == "PEXPIRE" {
		if t > math.MaxInt64-r.now {
			return eExpire(r.op)
		}
		t += r.now
	}
	v := r.get(a[0])
	if v == nil {
		return rZero
	}
	cur := v.expire
	switch {
	case nx && cur != 0, xx && cur == 0, gt && (cur == 0 || t <= cur), lt && cur != 0 && t >= cur:
		return rZero
	}
	if t <= r.now {
		r.del(a[0])
		return rOne
	}
	v.expire = t
	return rOne
}

func (r *run) pop() string {
	a := r.args
	if len(a) > 2 {
		return eArity(r.op)
	}
	count := int64(-1)
	if len(a) == 2 {
		c, ok := parseInt(a[1])
		if !ok || c < 0 {
			return ePositive
		}
		count = c
	}
	v, errReply := r.container(a[0], tList, false)
	if v == nil && errReply == "" {
		if count >= 0 {
			return rNilArray
		}
		return rNil
	}
	if errReply != "" {
		return errReply
	}
	if count == 0 {
		return rEmpty
	}
	take := func() []byte {
		var x []byte
		if r.op == "LPOP" {
			x, v.list = v.list[0], v.list[1:]
		} else {
			x, v.list = v.list[len(v.list)-1], v.list[:len(v.list)-1]
		}
		return x
	}
	v.list = append([][]byte(nil), v.list...)
	var reply string
	if count < 0 {
		reply = bulk(take())
	} else {
		var items []string
		for i := int64(0); i < count && len(v.list) > 0; i++ {
			items = append(items, bulk(take()))
		}
		reply = array(items)
	}
	if v.empty() {
		r.del(a[0])
	}
	return reply
}

// readOnly lists commands that change no data (or no data the model
// keeps): they may appear in a capture and are replayed as no-ops.
var readOnly = map[string]bool{
	"PING": true, "ECHO": true, "INFO": true, "TTL": true, "PTTL": true, "EXPIRETIME": true,
	"PEXPIRETIME": true, "KEYS": true, "SCAN": true, "HSCAN": true, "SSCAN": true, "ZSCAN": true,
	"DBSIZE": true, "CLIENT": true, "CONFIG": true, "AUTH": true, "HELLO": true, "MULTI": true,
	"EXEC": true, "DISCARD": true, "WATCH": true, "UNWATCH": true, "EVAL": true, "EVALSHA": true,
	"EVAL_RO": true, "EVALSHA_RO": true, "FCALL": true, "FCALL_RO": true, "SCRIPT": true,
	"QUIT": true, "COMMAND": true, "TIME": true, "LASTSAVE": true, "MONITOR": true, "SLOWLOG": true,
	"MEMORY": true, "OBJECT": true, "RANDOMKEY": true, "HKEYS": true, "HVALS": true, "HSTRLEN": true,
	"SRANDMEMBER": true, "SMISMEMBER": true, "SINTER": true, "SUNION": true, "SDIFF": true,
	"LPOS": true, "ZRANGE": true, "ZSCORE": true, "ZCARD": true, "XRANGE": true, "XLEN": true,
	"PUBLISH": true, "SUBSCRIBE": true, "PSUBSCRIBE": true, "UNSUBSCRIBE": true, "READONLY": true,
	"DUMP": true, "SUBSTR": true, "LATENCY": true, "ROLE": true, "SAVE": true, "BGSAVE": true,
	"BGREWRITEAOF": true, "ACL": true, "RESET": true, "WAIT": true,
}
