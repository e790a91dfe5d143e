package redistest

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// Cmd is one command of a workload, sent on logical connection Conn.
type Cmd struct {
	Conn int
	Args [][]byte
}

// Conns is the number of logical connections Workload uses (Conn 0..3).
const Conns = 4

// Workload returns a random but realistic stream of at least n commands
// over Conns logical connections, deterministic for a seed.
//
// Keys and values come from tiny domains so that values coincide: string
// keys k0..k3 (and rarely a key with a space, UTF-8 and a 0xff byte), hash
// keys h0 h1, list keys l0 l1, set keys s0 s1; values include integers,
// floats, "a", "", binary "\xff\x00", "é☃" and a value with `"`, `\` and a
// newline. About one key in twelve is drawn from all types, so wrong-type
// errors occur; non-numeric INCR*s, out-of-range SELECT/SWAPDB and the like
// also error at run time (they still appear in MONITOR). Command names are
// upper case except for an occasional lower-case one (MONITOR prints names
// as sent).
//
// Every command of the supported set is emitted at least once when n is
// large enough (a few hundred): SET (NX XX GET EX PX EXAT PXAT KEEPTTL),
// SETNX, SETEX, PSETEX, GETSET, GETDEL, GETEX, MSET, MSETNX, APPEND,
// SETRANGE, INCR, INCRBY, INCRBYFLOAT, DECR, DECRBY, DEL, UNLINK, RENAME,
// RENAMENX, COPY (DB, REPLACE), MOVE, EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT
// (NX XX GT LT), PERSIST, FLUSHDB, FLUSHALL, SWAPDB, SELECT, GET, MGET,
// STRLEN, GETRANGE, EXISTS, TYPE, HSET, HSETNX, HGET, HMGET, HGETALL, HDEL,
// HINCRBY, HLEN, HEXISTS, LPUSH, RPUSH, LPOP, RPOP, LRANGE, LLEN, LINDEX,
// LSET, SADD, SREM, SMEMBERS, SISMEMBER, SCARD, plus MULTI ... EXEC blocks
// (consecutive Cmds on one Conn) and EVAL scripts calling redis.call on
// their KEYS.
//
// Time: relative TTLs are at least 1000 s and pairwise at least 60 s
// apart, absolute ones are in 2100 or later, so nothing expires during a
// run and EXPIRE ... GT/LT outcomes do not depend on sub-second timing;
// deliberately past EXAT/PXAT/EXPIREAT values (and EXPIRE with a
// non-positive TTL) delete the key at once.
//
// Workload never emits commands that the server rejects before execution
// (unknown command, wrong arity), so every Cmd appears in MONITOR.
func Workload(seed int64, n int) []Cmd {
	g := &gen{
		r:       rand.New(rand.NewPCG(uint64(seed), 0x5741545f52454449)),
		usedTTL: map[int]bool{},
	}
	g.pending = g.r.Perm(len(singles))
	g.pendingScripts = g.r.Perm(len(scripts))
	conn := 0
	for len(g.out) < n {
		if g.r.IntN(5) < 3 { // switch connections often, not always
			conn = g.r.IntN(Conns)
		}
		switch x := g.r.IntN(100); {
		case x < 5:
			g.multi(conn)
		case x < 10 || len(g.pendingScripts) > 0 && x < 20:
			g.emit(conn, g.eval())
		default:
			g.emit(conn, g.single())
		}
	}
	return g.out
}

type gen struct {
	r              *rand.Rand
	out            []Cmd
	pending        []int // indexes into singles not emitted yet
	pendingScripts []int
	usedTTL        map[int]bool
	flushalls      int
}

func (g *gen) emit(conn int, args []string) {
	if g.r.IntN(30) == 0 {
		args[0] = strings.ToLower(args[0])
	}
	g.out = append(g.out, Cmd{Conn: conn, Args: Args(args...)})
}

func (g *gen) multi(conn int) {
	g.emit(conn, []string{"MULTI"})
	k := 1 + g.r.IntN(4)
	for i := 0; i < k; i++ {
		if g.r.IntN(10) == 0 {
			g.emit(conn, g.eval())
		} else {
			g.emit(conn, g.single())
		}
	}
	g.emit(conn, []string{"EXEC"})
}

// single returns one non-MULTI, non-EVAL command. Until every kind has
// been emitted once, half of the picks take the next unseen kind.
func (g *gen) single() []string {
	if len(g.pending) > 0 && g.r.IntN(2) == 0 {
		i := g.pending[0]
		g.pending = g.pending[1:]
		return singles[i].f(g)
	}
	total := 0
	for _, s := range singles {
		total += s.w
	}
	x := g.r.IntN(total)
	for i, s := range singles {
		if x < s.w {
			g.removePending(i)
			return s.f(g)
		}
		x -= s.w
	}
	panic("unreachable")
}

func (g *gen) removePending(i int) {
	for j, p := range g.pending {
		if p == i {
			g.pending = append(g.pending[:j], g.pending[j+1:]...)
			return
		}
	}
}

// Domains.
var (
	strKeys  = []string{"k0", "k1", "k2", "k3"}
	oddKey   = "k é\xff"
	hashKeys = []string{"h0", "h1"}
	listKeys = []string{"l0", "l1"}
	setKeys  = []string{"s0", "s1"}
	allKeys  = []string{"k0", "k1", "k2", "k3", "h0", "h1", "l0", "l1", "s0", "s1"}
	values   = []string{"0", "1", "2", "10", "-3", "1.5", "3e2", "a", "", "\xff\x00", "é☃", "q\"b\\s\nx"}
	fields   = []string{"f0", "f1", "f2", "é"}
	members  = []string{"0", "1", "2", "10", "-3", "a", "é☃"}
	intArgs  = []string{"1", "5", "-2", "0", "100", "-100"}
	floatArg = []string{"1.5", "-0.5", "10", "3e2", "0.1", "-3", "5.0e3"}
)

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

// key returns a key of the given domain, or (1 in 12) any key, so that
// wrong-type operations happen.
func (g *gen) key(dom []string) string {
	if g.r.IntN(12) == 0 {
		return g.pick(allKeys)
	}
	if len(dom) > 0 && dom[0] == "k0" && g.r.IntN(40) == 0 {
		return oddKey
	}
	return g.pick(dom)
}

func (g *gen) skey() string { return g.key(strKeys) }
func (g *gen) hkey() string { return g.key(hashKeys) }
func (g *gen) lkey() string { return g.key(listKeys) }
func (g *gen) setkey() string {
	return g.key(setKeys)
}
func (g *gen) anyKey() string {
	if g.r.IntN(40) == 0 {
		return oddKey
	}
	return g.pick(allKeys)
}

func (g *gen) value() string { return g.pick(values) }

func (g *gen) member() string {
	// Mostly integers, so that many sets stay intsets (sorted SMEMBERS).
	if g.r.IntN(4) == 0 {
		return g.pick(members)
	}
	return g.pick(members[:5])
}

func (g *gen) intArg() string {
	switch g.r.IntN(40) {
	case 0:
		return "9223372036854775807" // overflows unless the value is <= 0
	case 1:
		return "x" // not an integer: ERR at run time
	}
	return g.pick(intArgs)
}

func (g *gen) floatArg() string {
	switch g.r.IntN(40) {
	case 0:
		return "1e308" // twice in a row overflows to inf: ERR
	case 1:
		return "abc"
	}
	return g.pick(floatArg)
}

// ttl returns a relative TTL in seconds: >= 1000 and distinct from every
// earlier one by at least 60 s.
func (g *gen) ttl() int {
	for {
		k := g.r.IntN(100000)
		if !g.usedTTL[k] {
			g.usedTTL[k] = true
			return 1000 + 60*k
		}
	}
}

// unixAt returns a far-future absolute time in seconds (2100 or later).
func (g *gen) unixAt() int { return 4102444800 + g.ttl() }

const (
	pastSec = "1700000000" // 2023: already past
	pastMs  = "1000"
)

// expiry returns SET/GETEX-style expiry options.
func (g *gen) expiry() []string {
	switch g.r.IntN(9) {
	case 0, 1:
		return []string{"EX", strconv.Itoa(g.ttl())}
	case 2, 3:
		return []string{"PX", strconv.Itoa(g.ttl()*1000 + g.r.IntN(1000))}
	case 4:
		return []string{"EXAT", strconv.Itoa(g.unixAt())}
	case 5:
		return []string{"PXAT", strconv.Itoa(g.unixAt()*1000 + g.r.IntN(1000))}
	case 6:
		return []string{"EXAT", pastSec}
	case 7:
		return []string{"PXAT", pastMs}
	default:
		return []string{"EXAT", "1"}
	}
}

func (g *gen) db() string {
	switch x := g.r.IntN(100); {
	case x < 45:
		return "0"
	case x < 75:
		return "1"
	case x < 88:
		return "2"
	case x < 98:
		return "3"
	case x < 99:
		return "16" // out of range (16 databases): ERR
	default:
		return "-1"
	}
}

func (g *gen) keys(pickKey func() string, max int) []string {
	k := 1 + g.r.IntN(max)
	out := make([]string, k)
	for i := range out {
		out[i] = pickKey()
	}
	return out
}

func cmd(name string, args ...string) []string { return append([]string{name}, args...) }

func (g *gen) expireOpt(out []string) []string {
	switch g.r.IntN(6) {
	case 0:
		return append(out, "NX")
	case 1:
		return append(out, "XX")
	case 2:
		return append(out, "GT")
	case 3:
		return append(out, "LT")
	}
	return out
}

type single struct {
	w int
	f func(g *gen) []string
}

var singles = []single{
	// Strings.
	{60, func(g *gen) []string {
		var opts [][]string
		switch g.r.IntN(6) {
		case 0:
			opts = append(opts, []string{"NX"})
		case 1:
			opts = append(opts, []string{"XX"})
		}
		if g.r.IntN(4) == 0 {
			opts = append(opts, []string{"GET"})
		}
		switch g.r.IntN(8) {
		case 0, 1, 2:
			opts = append(opts, g.expiry())
		case 3:
			opts = append(opts, []string{"KEEPTTL"})
		}
		if g.r.IntN(100) == 0 {
			opts = append(opts, []string{"NX", "XX"}) // syntax error at run time
		}
		if g.r.IntN(3) == 0 { // options may come in any order
			g.r.Shuffle(len(opts), func(i, j int) { opts[i], opts[j] = opts[j], opts[i] })
		}
		out := cmd("SET", g.skey(), g.value())
		for _, o := range opts {
			out = append(out, o...)
		}
		return out
	}},
	{8, func(g *gen) []string { return cmd("SETNX", g.skey(), g.value()) }},
	{6, func(g *gen) []string { return cmd("SETEX", g.skey(), strconv.Itoa(g.ttl()), g.value()) }},
	{5, func(g *gen) []string {
		return cmd("PSETEX", g.skey(), strconv.Itoa(g.ttl()*1000+g.r.IntN(1000)), g.value())
	}},
	{6, func(g *gen) []string { return cmd("GETSET", g.skey(), g.value()) }},
	{6, func(g *gen) []string { return cmd("GETDEL", g.skey()) }},
	{8, func(g *gen) []string {
		out := cmd("GETEX", g.skey())
		switch g.r.IntN(5) {
		case 0:
		case 1:
			out = append(out, "PERSIST")
		default:
			out = append(out, g.expiry()...)
		}
		return out
	}},
	{8, func(g *gen) []string {
		out := cmd("MSET")
		for i, k := 0, 1+g.r.IntN(3); i < k; i++ {
			out = append(out, g.skey(), g.value())
		}
		return out
	}},
	{5, func(g *gen) []string {
		out := cmd("MSETNX")
		for i, k := 0, 1+g.r.IntN(3); i < k; i++ {
			out = append(out, g.skey(), g.value())
		}
		return out
	}},
	{8, func(g *gen) []string { return cmd("APPEND", g.skey(), g.value()) }},
	{6, func(g *gen) []string {
		return cmd("SETRANGE", g.skey(), strconv.Itoa(g.r.IntN(7)), g.value())
	}},
	{14, func(g *gen) []string { return cmd("INCR", g.skey()) }},
	{10, func(g *gen) []string { return cmd("INCRBY", g.skey(), g.intArg()) }},
	{12, func(g *gen) []string { return cmd("INCRBYFLOAT", g.skey(), g.floatArg()) }},
	{8, func(g *gen) []string { return cmd("DECR", g.skey()) }},
	{8, func(g *gen) []string {
		if g.r.IntN(60) == 0 {
			return cmd("DECRBY", g.skey(), "-9223372036854775808") // ERR decrement would overflow
		}
		return cmd("DECRBY", g.skey(), g.intArg())
	}},
	// Keys.
	{8, func(g *gen) []string { return cmd("DEL", g.keys(g.anyKey, 3)...) }},
	{4, func(g *gen) []string { return cmd("UNLINK", g.keys(g.anyKey, 3)...) }},
	{6, func(g *gen) []string { return cmd("RENAME", g.anyKey(), g.anyKey()) }},
	{4, func(g *gen) []string { return cmd("RENAMENX", g.anyKey(), g.anyKey()) }},
	{6, func(g *gen) []string {
		out := cmd("COPY", g.anyKey(), g.anyKey())
		if g.r.IntN(2) == 0 {
			out = append(out, "DB", g.db())
		}
		if g.r.IntN(2) == 0 {
			out = append(out, "REPLACE")
		}
		return out
	}},
	{5, func(g *gen) []string { return cmd("MOVE", g.anyKey(), g.db()) }},
	{8, func(g *gen) []string {
		ttl := strconv.Itoa(g.ttl())
		if g.r.IntN(15) == 0 {
			ttl = "0" // deletes the key
		}
		return g.expireOpt(cmd("EXPIRE", g.anyKey(), ttl))
	}},
	{4, func(g *gen) []string {
		return g.expireOpt(cmd("PEXPIRE", g.anyKey(), strconv.Itoa(g.ttl()*1000+g.r.IntN(1000))))
	}},
	{4, func(g *gen) []string {
		at := strconv.Itoa(g.unixAt())
		if g.r.IntN(8) == 0 {
			at = pastSec
		}
		return g.expireOpt(cmd("EXPIREAT", g.anyKey(), at))
	}},
	{2, func(g *gen) []string {
		at := strconv.Itoa(g.unixAt()*1000 + g.r.IntN(1000))
		if g.r.IntN(8) == 0 {
			at = pastMs
		}
		return g.expireOpt(cmd("PEXPIREAT", g.anyKey(), at))
	}},
	{5, func(g *gen) []string { return cmd("PERSIST", g.anyKey()) }},
	{1, func(g *gen) []string {
		switch g.r.IntN(4) {
		case 0:
			return cmd("FLUSHDB", "ASYNC")
		case 1:
			return cmd("FLUSHDB", "SYNC")
		}
		return cmd("FLUSHDB")
	}},
	{3, func(g *gen) []string { return cmd("SWAPDB", g.db(), g.db()) }},
	{12, func(g *gen) []string { return cmd("SELECT", g.db()) }},
	// Reads.
	{20, func(g *gen) []string { return cmd("GET", g.skey()) }},
	{6, func(g *gen) []string { return cmd("MGET", g.keys(g.skey, 4)...) }},
	{4, func(g *gen) []string { return cmd("STRLEN", g.skey()) }},
	{4, func(g *gen) []string {
		return cmd("GETRANGE", g.skey(), strconv.Itoa(g.r.IntN(8)-3), strconv.Itoa(g.r.IntN(9)-3))
	}},
	{6, func(g *gen) []string { return cmd("EXISTS", g.keys(g.anyKey, 4)...) }},
	{5, func(g *gen) []string { return cmd("TYPE", g.anyKey()) }},
	// Hashes.
	{10, func(g *gen) []string {
		out := cmd("HSET", g.hkey())
		for i, k := 0, 1+g.r.IntN(3); i < k; i++ {
			out = append(out, g.pick(fields), g.value())
		}
		return out
	}},
	{4, func(g *gen) []string { return cmd("HSETNX", g.hkey(), g.pick(fields), g.value()) }},
	{6, func(g *gen) []string { return cmd("HGET", g.hkey(), g.pick(fields)) }},
	{4, func(g *gen) []string {
		out := cmd("HMGET", g.hkey())
		for i, k := 0, 1+g.r.IntN(3); i < k; i++ {
			out = append(out, g.pick(fields))
		}
		return out
	}},
	{5, func(g *gen) []string { return cmd("HGETALL", g.hkey()) }},
	{4, func(g *gen) []string {
		out := cmd("HDEL", g.hkey())
		for i, k := 0, 1+g.r.IntN(2); i < k; i++ {
			out = append(out, g.pick(fields))
		}
		return out
	}},
	{6, func(g *gen) []string { return cmd("HINCRBY", g.hkey(), g.pick(fields), g.intArg()) }},
	{3, func(g *gen) []string { return cmd("HLEN", g.hkey()) }},
	{3, func(g *gen) []string { return cmd("HEXISTS", g.hkey(), g.pick(fields)) }},
	// Lists.
	{8, func(g *gen) []string {
		return cmd("LPUSH", append([]string{g.lkey()}, g.keys(g.value, 3)...)...)
	}},
	{8, func(g *gen) []string {
		return cmd("RPUSH", append([]string{g.lkey()}, g.keys(g.value, 3)...)...)
	}},
	{6, func(g *gen) []string {
		if g.r.IntN(2) == 0 {
			return cmd("LPOP", g.lkey(), strconv.Itoa(g.r.IntN(4)))
		}
		return cmd("LPOP", g.lkey())
	}},
	{6, func(g *gen) []string {
		if g.r.IntN(2) == 0 {
			return cmd("RPOP", g.lkey(), strconv.Itoa(g.r.IntN(4)))
		}
		return cmd("RPOP", g.lkey())
	}},
	{6, func(g *gen) []string {
		return cmd("LRANGE", g.lkey(), strconv.Itoa(g.r.IntN(5)-2), strconv.Itoa(g.r.IntN(6)-2))
	}},
	{3, func(g *gen) []string { return cmd("LLEN", g.lkey()) }},
	{3, func(g *gen) []string { return cmd("LINDEX", g.lkey(), strconv.Itoa(g.r.IntN(7)-3)) }},
	{4, func(g *gen) []string {
		return cmd("LSET", g.lkey(), strconv.Itoa(g.r.IntN(7)-3), g.value())
	}},
	// Sets.
	{8, func(g *gen) []string {
		return cmd("SADD", append([]string{g.setkey()}, g.keys(g.member, 3)...)...)
	}},
	{5, func(g *gen) []string {
		return cmd("SREM", append([]string{g.setkey()}, g.keys(g.member, 2)...)...)
	}},
	{5, func(g *gen) []string { return cmd("SMEMBERS", g.setkey()) }},
	{4, func(g *gen) []string { return cmd("SISMEMBER", g.setkey(), g.member()) }},
	{3, func(g *gen) []string { return cmd("SCARD", g.setkey()) }},
	// FLUSHALL: weight 1 of ~600, but gated again to be very rare.
	{1, func(g *gen) []string {
		if g.flushalls > 0 && g.r.IntN(5) != 0 {
			return cmd("EXISTS", g.anyKey())
		}
		g.flushalls++
		if g.r.IntN(2) == 0 {
			return cmd("FLUSHALL", "ASYNC")
		}
		return cmd("FLUSHALL")
	}},
}

// script is an EVAL script over nkeys KEYS and the ARGV built by argv.
type script struct {
	src   string
	nkeys int
	argv  func(g *gen) []string
}

var scripts = []script{
	{"return redis.call('SET', KEYS[1], ARGV[1])", 1, func(g *gen) []string { return []string{g.value()} }},
	{"return redis.call('INCR', KEYS[1])", 1, nil},
	{"return redis.call('GET', KEYS[1])", 1, nil},
	{"return redis.call('INCRBY', KEYS[1], ARGV[1])", 1, func(g *gen) []string { return []string{g.intArg()} }},
	{"redis.call('SET', KEYS[1], ARGV[1])\nreturn redis.call('GET', KEYS[2])", 2, func(g *gen) []string { return []string{g.value()} }},
	{"local v = redis.call('GET', KEYS[1])\nif v then redis.call('SET', KEYS[2], v) end\nreturn v", 2, nil},
	{"redis.call('set', KEYS[1], ARGV[1])\nreturn redis.call('incr', KEYS[1])", 1, func(g *gen) []string { return []string{g.value()} }},
	{"return redis.pcall('INCR', KEYS[1])", 1, nil},
	{"redis.call('DEL', KEYS[1])\nreturn redis.call('EXISTS', KEYS[1], KEYS[2])", 2, nil},
	{"redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])\nreturn redis.call('HGETALL', KEYS[1])", 1, func(g *gen) []string { return []string{g.pick(fields), g.value()} }},
	{"return redis.call('RPUSH', KEYS[1], ARGV[1], ARGV[2])", 1, func(g *gen) []string { return []string{g.value(), g.value()} }},
	{"return {redis.call('MGET', KEYS[1], KEYS[2]), redis.call('INCRBY', KEYS[1], 2)}", 2, nil},
	{"return 'static'", 0, nil},
}

func (g *gen) eval() []string {
	var i int
	if len(g.pendingScripts) > 0 {
		i = g.pendingScripts[0]
		g.pendingScripts = g.pendingScripts[1:]
	} else {
		i = g.r.IntN(len(scripts))
	}
	s := scripts[i]
	out := cmd("EVAL", s.src, strconv.Itoa(s.nkeys))
	for k := 0; k < s.nkeys; k++ {
		switch {
		case strings.Contains(s.src, "HSET"):
			out = append(out, g.hkey())
		case strings.Contains(s.src, "RPUSH"):
			out = append(out, g.lkey())
		default:
			out = append(out, g.skey())
		}
	}
	if s.argv != nil {
		out = append(out, s.argv(g)...)
	}
	return out
}
