package redis_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/redis"
	"github.com/wat-project/wat/specs/redis/redistest"
)

// zsetGen generates random sorted-set commands over tiny domains, so that
// members, scores and keys collide: every sorted-set command with its
// options, bad arguments (never a wrong arity: Redis rejects those before
// MONITOR sees them), WRONGTYPE keys, infinite and odd scores, and sets
// past the listpack encoding (over 128 members, or a member over 64
// bytes).
type zsetGen struct{ liveGen }

var (
	zsetKeys    = []string{"z1", "z2", "z3", "z1", "z2"}
	zsetOddKeys = []string{"big", "big", "big", "long", "s1", "str", "l1", "missing"}
	// Members: small integers (a listpack stores them as integers), the
	// empty string, a NUL byte, UTF-8, and one over 64 bytes.
	zsetMembers = []string{"a", "b", "c", "d", "a", "b", "1", "10", "-1", "", "\x00x", "é", strings.Repeat("L", 65)}
	zsetScores  = []string{"1", "2", "-1", "0", "1", "2", "-0", "1.5", "0.1", "inf", "-inf", "+inf", "1e3", "0x10",
		"3.0", "9007199254740993", "4611686018427387904", "1e300", "-2.5e-3"}
	zsetBadScores = []string{"abc", " 1", "nan", "1e400", "1e-400", "", "1x", "0x"}
	zsetRanges    = []string{"-inf", "+inf", "inf", "(1", "1", "2", "(2", "0", "(-inf", "-1", "1.5", "(0", " 2", "", "("}
	zsetMins      = []string{"-inf", "-inf", "(0", "0", "1", "(1", "-1", "(-inf"}
	zsetMaxes     = []string{"+inf", "inf", "2", "(2", "1", "1.5", "+inf", "(inf"}
	zsetBadRanges = []string{"abc", "(abc", "nan", "1 ", "[1"}
	zsetLex       = []string{"-", "+", "[a", "(a", "[b", "(c", "[d", "(", "[", "[1", "(\x00x", "[é"}
	zsetLexMins   = []string{"-", "-", "[a", "(a", "[1", "[", "(", "[b"}
	zsetLexMaxes  = []string{"+", "+", "[d", "(c", "[b", "[é", "(m1"}
	zsetBadLex    = []string{"a", "+x", "-a", "", "1"}
	zsetInts      = []string{"0", "1", "-1", "2", "-2", "0", "100", "-100"}
	zsetBadInts   = []string{"abc", "1.5", "", "99999999999999999999"}
)

// key picks a key: mostly a sorted set, sometimes a big one or one of
// another type.
func (g *zsetGen) key() string { return g.mostly(zsetKeys, zsetOddKeys, 8) }

func (g *zsetGen) score() string { return g.mostly(zsetScores, zsetBadScores, 15) }

func (g *zsetGen) member() string { return g.memberOf(zsetMembers, 12) }

// rangeBy starts op (or its ZREV form) on k with a range that bounds
// gives, max first for ZREV.
func (g *zsetGen) rangeBy(k, op string, bounds func() (string, string)) []string {
	op = g.pick([]string{op, "ZREV" + op[1:]})
	lo, hi := bounds()
	if strings.HasPrefix(op, "ZREV") {
		lo, hi = hi, lo
	}
	return []string{op, k, lo, hi}
}

// scoreRange returns min and max: mostly a range that can hold
// something, sometimes any two bounds, or a bad one.
func (g *zsetGen) scoreRange() (string, string) {
	switch {
	case g.chance(20):
		return g.pick(zsetBadRanges), g.pick(zsetRanges)
	case g.chance(20):
		return g.pick(zsetRanges), g.pick(zsetBadRanges)
	case g.chance(5):
		return g.pick(zsetRanges), g.pick(zsetRanges)
	}
	return g.pick(zsetMins), g.pick(zsetMaxes)
}

// lexRange is scoreRange for lexicographic ranges.
func (g *zsetGen) lexRange() (string, string) {
	switch {
	case g.chance(20):
		return g.pick(zsetBadLex), g.pick(zsetLex)
	case g.chance(20):
		return g.pick(zsetLex), g.pick(zsetBadLex)
	case g.chance(5):
		return "[" + g.member(), g.pick(zsetLex)
	case g.chance(5):
		return g.pick(zsetLex), g.pick(zsetLex)
	}
	return g.pick(zsetLexMins), g.pick(zsetLexMaxes)
}

func (g *zsetGen) integer() string { return g.mostly(zsetInts, zsetBadInts, 25) }

// kw spells an option in upper or, now and then, mixed case.
func (g *zsetGen) kw(s string) string {
	if g.chance(6) {
		return strings.ToLower(s[:1]) + s[1:]
	}
	return s
}

// bigAdd fills a key with more members than a listpack holds, with one
// score for all (a lexicographic range is then well defined) or mixed
// scores.
func (g *zsetGen) bigAdd(conn int, key string, n int, same bool) {
	args := []string{"ZADD", key}
	for i := 0; i < n; i++ {
		s := "0"
		if !same {
			s = strconv.Itoa(g.r.Intn(5))
		}
		args = append(args, s, fmt.Sprintf("m%03d", i))
	}
	g.emit(conn, args...)
}

// limit is LIMIT offset count, sometimes with odd or bad numbers.
func (g *zsetGen) limit() []string {
	off := g.pick([]string{"0", "0", "1", "2", "-1", "200"})
	cnt := g.pick([]string{"1", "2", "-1", "0", "-5", "3"})
	if g.chance(25) {
		off = g.pick(zsetBadInts)
	}
	return []string{g.kw("LIMIT"), off, cnt}
}

// keys returns numkeys and that many keys (numkeys sometimes wrong).
func (g *zsetGen) keys() []string {
	n := 1 + g.r.Intn(3)
	ks := []string{strconv.Itoa(n)}
	for i := 0; i < n; i++ {
		ks = append(ks, g.key())
	}
	if g.chance(20) {
		ks[0] = g.pick([]string{"0", "-1", "abc", "9"})
	}
	return ks
}

// command returns one random sorted-set (or helper) command.
func (g *zsetGen) command() []string {
	k := g.key()
	switch g.r.Intn(40) {
	case 0, 1, 2, 3:
		args := []string{"ZADD", k}
		for _, o := range []string{"NX", "XX", "GT", "LT", "CH", "INCR"} {
			if g.chance(7) {
				args = append(args, g.kw(o))
			}
		}
		pairs := 1 + g.r.Intn(3)
		if g.chance(3) {
			pairs = 1
		}
		for i := 0; i < pairs; i++ {
			args = append(args, g.score(), g.member())
		}
		if g.chance(20) {
			args = args[:len(args)-1] // an odd count: a syntax error
			if len(args) < 4 {
				args = append(args, "1", "2")
			}
		}
		return args
	case 4, 5:
		return []string{"ZINCRBY", k, g.score(), g.member()}
	case 6:
		args := []string{"ZREM", k}
		for i := 0; i <= g.r.Intn(3); i++ {
			args = append(args, g.member())
		}
		return args
	case 7:
		return []string{"ZCARD", k}
	case 8:
		return []string{"ZSCORE", k, g.member()}
	case 9:
		return []string{"ZMSCORE", k, g.member(), g.member()}
	case 10:
		return []string{g.pick([]string{"ZRANK", "ZREVRANK"}), k, g.member()}
	case 11:
		lo, hi := g.scoreRange()
		return []string{"ZCOUNT", k, lo, hi}
	case 12:
		lo, hi := g.lexRange()
		return []string{"ZLEXCOUNT", k, lo, hi}
	case 13, 14, 15:
		return append([]string{"ZRANGE", k}, g.zrangeArgs(false)...)
	case 16:
		args := g.rangeBy(k, "ZRANGEBYSCORE", g.scoreRange)
		if g.chance(2) {
			args = append(args, g.kw("WITHSCORES"))
		}
		if g.chance(2) {
			args = append(args, g.limit()...)
		}
		if g.chance(30) {
			args = append(args, "BYSCORE")
		}
		return args
	case 17:
		args := g.rangeBy(k, "ZRANGEBYLEX", g.lexRange)
		if g.chance(2) {
			args = append(args, g.limit()...)
		}
		if g.chance(30) {
			args = append(args, "WITHSCORES")
		}
		return args
	case 18:
		args := []string{"ZREVRANGE", k, g.integer(), g.integer()}
		if g.chance(2) {
			args = append(args, g.kw("WITHSCORES"))
		}
		return args
	case 19, 20:
		return append([]string{"ZRANGESTORE", g.key(), k}, g.zrangeArgs(true)...)
	case 21, 22:
		args := []string{g.pick([]string{"ZPOPMIN", "ZPOPMAX"}), k}
		if g.chance(2) {
			args = append(args, g.pick([]string{"1", "2", "0", "5", "-1", "abc", "200"}))
		}
		return args
	case 23:
		args := append([]string{"ZMPOP"}, g.keys()...)
		args = append(args, g.pick([]string{"MIN", "MAX", "min", "max", "MID"}))
		if g.chance(2) {
			args = append(args, g.kw("COUNT"), g.pick([]string{"1", "2", "10", "0", "-1", "abc"}))
		}
		if g.chance(30) {
			args = append(args, "COUNT", "1")
		}
		return args
	case 24:
		lo, hi := g.scoreRange()
		return []string{"ZREMRANGEBYSCORE", k, lo, hi}
	case 25:
		return []string{"ZREMRANGEBYRANK", k, g.integer(), g.integer()}
	case 26:
		lo, hi := g.lexRange()
		return []string{"ZREMRANGEBYLEX", k, lo, hi}
	case 27, 28, 29:
		op := g.pick([]string{"ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE", "ZUNION", "ZINTER", "ZDIFF", "ZINTERCARD"})
		var args []string
		if strings.HasSuffix(op, "STORE") {
			args = []string{op, g.key()}
		} else {
			args = []string{op}
		}
		ks := g.keys()
		args = append(args, ks...)
		n, _ := strconv.Atoi(ks[0])
		// Each option mostly where it is allowed.
		weighted := !strings.HasPrefix(op, "ZDIFF") && op != "ZINTERCARD" || g.chance(10)
		if g.chance(3) && n > 0 && weighted {
			args = append(args, g.kw("WEIGHTS"))
			for i := 0; i < n; i++ {
				args = append(args, g.pick([]string{"1", "2", "-1", "0", "0.5", "inf", "-inf", "abc"}))
			}
		}
		if g.chance(3) && weighted {
			args = append(args, g.kw("AGGREGATE"), g.pick([]string{"SUM", "MIN", "MAX", "max", "AVG"}))
		}
		if g.chance(2) && (!strings.HasSuffix(op, "STORE") && op != "ZINTERCARD" || g.chance(10)) {
			args = append(args, g.kw("WITHSCORES"))
		}
		if g.chance(2) && (op == "ZINTERCARD" || g.chance(10)) {
			args = append(args, g.kw("LIMIT"), g.pick([]string{"0", "1", "2", "-1", "abc"}))
		}
		return args
	case 30:
		args := []string{"ZSCAN", k, g.pick([]string{"0", "0", "1", "5", "-1", "abc", " 1", ""})}
		if g.chance(2) {
			args = append(args, g.kw("MATCH"), g.pick([]string{"*", "a*", "m0*", "?", "[a-c]", "*1*"}))
		}
		if g.chance(3) {
			args = append(args, g.kw("COUNT"), g.pick([]string{"10", "1", "0", "abc", "1000"}))
		}
		if g.chance(30) {
			args = append(args, "TYPE", "zset")
		}
		return args
	case 31:
		args := []string{"ZRANDMEMBER", k}
		if g.chance(2) {
			args = append(args, g.pick([]string{"1", "-3", "5", "0"}))
			if g.chance(2) {
				args = append(args, "WITHSCORES")
			}
		}
		return args
	case 32:
		return []string{g.pick([]string{"DEL", "TYPE", "EXISTS"}), k}
	case 33:
		switch g.r.Intn(4) {
		case 0:
			return []string{"SET", "str", "v"}
		case 1:
			return []string{"SADD", "s1", g.member(), g.member()}
		case 2:
			return []string{"LPUSH", "l1", "v"}
		}
		return []string{"SREM", "s1", g.member()}
	case 34:
		return []string{g.pick([]string{"RENAME", "COPY"}), k, g.key()}
	}
	// ZADD of plain pairs, the most common write.
	return []string{"ZADD", k, g.pick(zsetScores), g.member(), g.pick(zsetScores), g.member()}
}

// zrangeArgs are ZRANGE's (or ZRANGESTORE's) arguments after the key:
// a range of the kind BYSCORE / BYLEX say (now and then of the wrong
// kind), REV, LIMIT and WITHSCORES in any order.
func (g *zsetGen) zrangeArgs(store bool) []string {
	kind := g.r.Intn(3)
	var args []string
	rev := g.chance(2)
	switch kind {
	case 1:
		lo, hi := g.scoreRange()
		args = []string{lo, hi}
	case 2:
		lo, hi := g.lexRange()
		args = []string{lo, hi}
	default:
		args = []string{g.integer(), g.integer()}
	}
	if rev && kind != 0 {
		args[0], args[1] = args[1], args[0]
	}
	if g.chance(15) {
		// A range of another kind than the options say.
		args = []string{g.integer(), g.pick(zsetLex)}
	}
	var opts [][]string
	switch kind {
	case 1:
		opts = append(opts, []string{g.kw("BYSCORE")})
	case 2:
		opts = append(opts, []string{g.kw("BYLEX")})
	}
	if rev {
		opts = append(opts, []string{g.kw("REV")})
	}
	if g.chance(3) {
		opts = append(opts, g.limit())
	}
	if g.chance(2) && (!store && kind != 2 || g.chance(10)) {
		opts = append(opts, []string{g.kw("WITHSCORES")})
	}
	if g.chance(40) {
		opts = append(opts, []string{g.pick([]string{"BYSCORE", "BYLEX", "REV", "LIMIT"})})
	}
	return append(args, g.inAnyOrder(opts)...)
}

// blocking returns a blocking pop that cannot wait: its first key was
// just given a member (so it pops at once, or fails with WRONGTYPE when a
// key is of another type).
func (g *zsetGen) blocking(conn int) {
	k := g.pick(zsetKeys)
	g.emit(conn, "ZADD", k, g.pick(zsetScores[:6]), g.member())
	timeout := g.pick([]string{"0", "1", "0.5", "0", "-1", "abc"})
	keys := []string{k}
	if g.chance(2) {
		keys = append([]string{g.key()}, keys...)
	}
	switch g.r.Intn(3) {
	case 0, 1:
		op := g.pick([]string{"BZPOPMIN", "BZPOPMAX"})
		g.emit(conn, append(append([]string{op}, keys...), timeout)...)
	default:
		args := []string{"BZMPOP", timeout, strconv.Itoa(len(keys))}
		args = append(args, keys...)
		args = append(args, g.pick([]string{"MIN", "MAX"}))
		if g.chance(2) {
			args = append(args, "COUNT", g.pick([]string{"1", "2", "3"}))
		}
		g.emit(conn, args...)
	}
}

// transaction is a MULTI block, sometimes WATCHed with another connection
// writing the key in between; blocking pops in it return at once.
func (g *zsetGen) transaction(conn int) {
	watch := g.chance(2)
	k := g.pick(zsetKeys)
	if watch {
		g.emit(conn, "WATCH", k)
		if g.chance(2) {
			// The other connection writes the key, or perhaps does not
			// change it (a ZADD of a score it has, a ZREM of no member).
			g.emit(1-conn, g.command()...)
		}
	}
	g.emit(conn, "MULTI")
	for i := 0; i <= g.r.Intn(4); i++ {
		switch g.r.Intn(4) {
		case 0:
			keys := []string{g.key(), g.key()}
			if g.chance(2) {
				g.emit(conn, g.pick([]string{"BZPOPMIN", "BZPOPMAX"}), keys[0], keys[1], "0")
			} else {
				g.emit(conn, "BZMPOP", "0", "2", keys[0], keys[1], "MAX", "COUNT", "2")
			}
		default:
			g.emit(conn, g.command()...)
		}
	}
	g.emit(conn, "EXEC")
}

// session is one FLUSHALL-separated run: perhaps big sets first, then n
// random commands from two connections.
func (g *zsetGen) session(n int) []redistest.Cmd {
	g.out = nil
	if g.chance(2) {
		g.bigAdd(0, "big", 130+g.r.Intn(20), g.chance(2))
	}
	if g.chance(3) {
		g.emit(0, "ZADD", "long", "1", strings.Repeat("L", 70), "2", "a", "0", "b")
	}
	if g.chance(4) {
		// A listpack pushed past 128 members by one ZADD.
		g.bigAdd(1, "z1", 129, g.chance(2))
	}
	for len(g.out) < n {
		conn := g.r.Intn(2)
		switch x := g.r.Intn(40); {
		case x == 0:
			g.transaction(conn)
		case x == 1:
			g.blocking(conn)
		case x == 2:
			// Waits for a key nothing ever writes, and times out.
			g.emit(conn, g.pick([]string{"BZPOPMIN", "BZPOPMAX"}), "nowhere", "0.01")
		default:
			g.emit(conn, g.command()...)
		}
	}
	return g.out
}

// zsetEdges is a session of chosen edge cases: -0 in a listpack and in a
// skiplist (and in ZRANGESTORE's and ZUNIONSTORE's results), NaN from
// INCR, inf + -inf in ZUNION and ZINTER (the order of inputs of one size),
// ZSCAN's scores as a listpack stores them, odd but valid range bounds,
// ZADD's option rules, and WATCHed keys that a command leaves unchanged.
func zsetEdges() []redistest.Cmd {
	long := strings.Repeat("L", 65)
	c0 := [][]string{
		{"ZADD", "z1", "-0", "a"}, {"ZSCORE", "z1", "a"}, {"ZRANGE", "z1", "0", "-1", "WITHSCORES"}, {"ZSCAN", "z1", "0"},
		{"ZADD", "z1", "INCR", "-0", "b"}, {"ZSCORE", "z1", "b"}, {"ZADD", "z1", "0", "a"},
		{"ZUNIONSTORE", "u", "1", "z1", "WEIGHTS", "-1"}, {"ZSCORE", "u", "a"}, {"ZUNION", "1", "z1", "WEIGHTS", "-1", "WITHSCORES"},
		{"ZADD", "lz", "1", long}, {"ZADD", "lz", "-0", "a"}, {"ZSCORE", "lz", "a"},
		{"ZRANGESTORE", "d1", "lz", "0", "-1"}, {"ZSCORE", "d1", "a"}, {"ZRANGESTORE", "d2", "lz", "0", "-1", "REV"}, {"ZSCORE", "d2", "a"},
		{"ZRANGESTORE", "d3", "lz", "-inf", "+inf", "BYSCORE"}, {"ZSCORE", "d3", "a"},
		{"ZUNIONSTORE", "d4", "1", "lz"}, {"ZSCORE", "d4", "a"}, {"ZINTERSTORE", "d5", "2", "lz", "lz", "WEIGHTS", "1", "0"}, {"ZRANGE", "d5", "0", "-1", "WITHSCORES"},
		{"ZADD", "z4", "inf", "a"}, {"ZINCRBY", "z4", "-inf", "a"}, {"ZADD", "z4", "INCR", "-inf", "a"}, {"ZADD", "z4", "XX", "INCR", "1", "zz"},
		{"ZADD", "z4", "NX", "INCR", "1", "a"}, {"ZADD", "z4", "GT", "INCR", "-1", "a"}, {"ZSCORE", "z4", "a"},
		{"ZADD", "u1", "inf", "x"}, {"ZADD", "u2", "-inf", "x"}, {"ZADD", "u3", "1", "x"},
		{"ZUNION", "3", "u1", "u2", "u3", "WITHSCORES"}, {"ZUNION", "3", "u1", "u3", "u2", "WITHSCORES"}, {"ZUNION", "3", "u3", "u2", "u1", "WITHSCORES"},
		{"ZINTER", "3", "u1", "u3", "u2", "WITHSCORES"}, {"ZINTER", "2", "u1", "u2", "WEIGHTS", "0", "1", "WITHSCORES"},
		{"ZINTER", "2", "u1", "u2", "WEIGHTS", "1", "0", "WITHSCORES"}, {"ZINTER", "2", "u1", "u2", "WEIGHTS", "1", "0", "AGGREGATE", "MIN", "WITHSCORES"},
		{"ZINTER", "2", "u2", "u1", "WEIGHTS", "1", "0", "AGGREGATE", "MAX", "WITHSCORES"}, {"ZUNION", "2", "u1", "u2", "WEIGHTS", "0", "0", "WITHSCORES"},
		{"ZADD", "u3", "1", "y"}, {"ZUNION", "3", "u3", "u1", "u2", "WITHSCORES"}, {"ZUNIONSTORE", "u4", "3", "u3", "u1", "u2", "AGGREGATE", "MAX"},
		{"ZRANGE", "u4", "0", "-1", "WITHSCORES"}, {"SADD", "s1", "x", "q"}, {"ZUNION", "2", "s1", "u3", "WEIGHTS", "2", "3", "WITHSCORES"},
		{"ZINTER", "2", "s1", "u1", "WITHSCORES"}, {"ZDIFF", "2", "s1", "u3", "WITHSCORES"}, {"ZINTERCARD", "2", "s1", "u3", "LIMIT", "1"},
		{"ZADD", "sc", "1.5", "a", "inf", "b", "-inf", "c", "1e18", "d", "4611686018427387904", "e", "4611686018427387905", "f",
			"0.1", "g", "-0", "h", "-4611686018427387904", "i", "9007199254740993", "j", "123", "k"},
		{"ZSCAN", "sc", "0"}, {"ZSCAN", "sc", "7", "MATCH", "[a-e]", "COUNT", "1"}, {"ZRANGE", "sc", "0", "-1", "WITHSCORES"},
		{"ZRANGEBYSCORE", "sc", "", ""}, {"ZRANGEBYSCORE", "sc", "(", "+inf"}, {"ZRANGEBYSCORE", "sc", " 1", "2"},
		{"ZRANGEBYSCORE", "sc", "1 ", "2"}, {"ZRANGEBYSCORE", "sc", "(1", "(1"}, {"ZRANGEBYSCORE", "sc", "0x1p0", "0x10"},
		{"ZCOUNT", "sc", "-inf", "(inf"}, {"ZCOUNT", "sc", "(-inf", "inf"}, {"ZCOUNT", "sc", "1e400", "-1e400"},
		{"ZRANGE", "sc", "+inf", "(1", "BYSCORE", "REV", "LIMIT", "1", "2", "WITHSCORES"},
		{"ZADD", "lx", "0", "a", "0", "b", "0", "c", "0", ""}, {"ZRANGEBYLEX", "lx", "-", "+"}, {"ZRANGEBYLEX", "lx", "[", "(b"},
		{"ZRANGEBYLEX", "lx", "(", "+"}, {"ZLEXCOUNT", "lx", "[\x00", "+"}, {"ZREVRANGEBYLEX", "lx", "+", "(a", "LIMIT", "1", "1"},
		{"ZADD", "z5", "GT", "CH", "5", "a"}, {"ZADD", "z5", "GT", "CH", "3", "a"}, {"ZADD", "z5", "LT", "CH", "3", "a"},
		{"ZADD", "z5", "XX", "GT", "INCR", "1", "a"}, {"ZADD", "z5", "GT", "LT", "1", "a"}, {"ZADD", "z5", "NX", "GT", "1", "a"},
		{"ZADD", "z5", "INCR", "1", "a", "2", "b"}, {"ZADD", "z5", "XX", "NX", "1", "a"}, {"ZADD", "z5", "CH", "1"},
		{"ZADD", "z5", "1", "a", "2", "a"}, {"ZADD", "z5", "CH", "1", "a", "2", "a", "3", "b"}, {"ZADD", "z5", "nan", "a"},
		{"ZPOPMIN", "missing", "0"}, {"SET", "str", "v"}, {"ZPOPMIN", "str", "0"}, {"ZPOPMIN", "str", "-1"}, {"ZPOPMAX", "z5", "0"},
		{"ZMPOP", "2", "missing", "z5", "MIN", "COUNT", "10"}, {"ZMPOP", "1", "z5", "MAX", "COUNT", "1", "COUNT", "2"}, {"ZMPOP", "0", "z5", "MIN"},
		{"ZMPOP", "2", "str", "z5", "MIN"}, {"ZMPOP", "2", "u1", "str", "MAX"},
		{"ZRANGE", "u3", "0", "-1", "BYSCORE"}, {"ZSCAN", "missing", "0", "COUNT", "0"}, {"ZSCAN", "u3", "0", "COUNT", "0"},
		{"ZINTERCARD", "2", "u3", "u3", "LIMIT", "1"}, {"ZINTERCARD", "1", "u3", "LIMIT", "-1"}, {"ZUNIONSTORE", "dst", "0", "u3"},
		{"ZUNIONSTORE", "dst", "3", "u3"}, {"ZDIFF", "2", "u3", "u3"}, {"ZDIFFSTORE", "u3", "2", "u3", "u1"}, {"ZRANGE", "u3", "0", "-1"},
		{"ZADD", "iz", "1", "10", "1", "9", "1", "-1", "1", "b"}, {"ZRANGE", "iz", "0", "-1"}, {"ZRANK", "iz", "9"}, {"ZRANGEBYLEX", "iz", "[1", "[9"},
		{"MULTI"}, {"BZMPOP", "0", "2", "missing", "iz", "MIN", "COUNT", "5"}, {"BZPOPMAX", "missing", "0"}, {"EXEC"},
	}
	out := cmdsOf(0, c0...)
	// A big set of one score, and one of mixed scores.
	g := &zsetGen{newLiveGen(1)}
	g.bigAdd(0, "big", 130, true)
	g.bigAdd(0, "mixed", 130, false)
	big := [][]string{
		{"ZRANGEBYLEX", "mixed", "(m125", "+"}, {"ZLEXCOUNT", "mixed", "[m010", "(m020"}, {"ZREMRANGEBYLEX", "mixed", "[m100", "[m110"},
		{"ZCARD", "mixed"}, {"ZADD", "mixed", "1", "new"}, {"EXISTS", "mixed"}, {"DEL", "mixed"}, {"ZCARD", "mixed"},
		{"ZADD", "big", "-0", "neg"}, {"ZSCORE", "big", "neg"}, {"ZRANGESTORE", "b2", "big", "0", "-1"}, {"ZSCORE", "b2", "neg"},
		{"ZRANGESTORE", "b3", "big", "[n", "+", "BYLEX"}, {"ZSCORE", "b3", "neg"}, {"ZLEXCOUNT", "big", "[m010", "(m020"},
		{"ZRANGEBYLEX", "big", "(m125", "+"}, {"ZREMRANGEBYLEX", "big", "[m100", "[m110"}, {"ZCARD", "big"},
		{"ZREMRANGEBYRANK", "big", "0", "0"}, {"ZRANGE", "big", "0", "2"}, {"ZREMRANGEBYSCORE", "big", "0", "0"}, {"EXISTS", "big"},
	}
	for _, a := range big {
		g.emit(0, a...)
	}
	out = append(out, g.out...)
	// WATCH: a command that changes nothing leaves the transaction be.
	for _, other := range [][]string{
		{"ZADD", "w", "1", "a"}, {"ZREM", "w", "nosuch"}, {"ZPOPMIN", "w", "0"}, {"ZADD", "w", "GT", "0", "a"},
		{"ZINCRBY", "w", "0", "a"}, {"ZREMRANGEBYSCORE", "w", "5", "6"}, {"ZRANGESTORE", "w", "missing", "0", "-1"},
		{"ZADD", "w", "1", "a"}, {"ZUNIONSTORE", "w", "1", "missing"}, {"ZUNIONSTORE", "w2", "1", "missing"},
	} {
		out = append(out,
			redistest.Cmd{Conn: 0, Args: redistest.Args("ZADD", "w", "1", "a")},
			redistest.Cmd{Conn: 0, Args: redistest.Args("WATCH", "w", "w2")},
			redistest.Cmd{Conn: 1, Args: redistest.Args(other...)},
			redistest.Cmd{Conn: 0, Args: redistest.Args("MULTI")},
			redistest.Cmd{Conn: 0, Args: redistest.Args("ZCARD", "w")},
			redistest.Cmd{Conn: 0, Args: redistest.Args("EXEC")})
	}
	return out
}

// TestZSetsLive drives a real redis-server with thousands of random
// sorted-set commands in FLUSHALL-separated sessions, replays each
// session's MONITOR capture with the model and requires every reply to
// agree (or to be labelled unknown) and every EXEC to run or abort as it
// did; it also explains the replies (those of each session's first 50
// requests, a sample of the later ones) through the store and requires
// the explanation's output to be the real reply, and exact only when the
// model knows it.
func TestZSetsLive(t *testing.T) {
	// ZSEED=n runs another seed's sessions.
	g := &zsetGen{newLiveGen(envSeed("ZSEED", 7))}
	lr := &liveRun{session: withEdges(g.session, 120, zsetEdges), countExec: true, minTotal: 4000}
	lr.judge = func(c liveReply) {
		if c.v == redis.Differs || c.v == redis.NotModelled {
			lr.wrong(t, c, "model replies %q, redis replied %q (%s)", c.out, c.r, c.v)
			return
		}
		if string(c.out) == "\x00blocked\r\n" {
			// It waits; what ends the wait is later in the log
			// (the store gives no later history to explain it).
			return
		}
		if c.j >= 50 && c.j%4 != 0 {
			// Long histories mostly fall back to one closed
			// witness, slowly: a sample of them is enough.
			return
		}
		// The explanation, through the store, has the real reply as
		// its output, and is exact only when it is that reply.
		x := lr.explain(t, c)
		lr.count(x)
		lr.checkExplained(t, c, x)
	}
	lr.run(t, redistest.Start(t))
	lr.log(t, "")
}

// A waitStep is one command of a blocking scenario, sent on connection
// conn; wait sends a blocking call without reading its reply (it must
// block), sleep pauses before the next step.
type waitStep struct {
	conn  int
	args  []string
	wait  bool
	sleep time.Duration
}

// zsetWaits are scenarios where blocking pops wait and are served (or
// not) by later commands, as Redis 7.0 serves them: first come, first
// served, after the command, EXEC or script; only a key's creation wakes
// them (a ZUNIONSTORE over an existing key, or a ZADD to it, does not).
// A waitScenario is a named list of steps.
type waitScenario struct {
	name  string
	steps []waitStep
}

var zsetWaits = []waitScenario{
	{"a push serves it", []waitStep{{conn: 0, args: []string{"BZPOPMIN", "k", "0"}, wait: true}, {conn: 1, args: []string{"ZADD", "k", "2", "b", "1", "a"}}}},
	{"its second key", []waitStep{{conn: 0, args: []string{"BZPOPMAX", "k1", "k2", "0"}, wait: true}, {conn: 1, args: []string{"ZADD", "k2", "1", "x", "2", "y"}}}},
	{"first come, first served", []waitStep{
		{conn: 0, args: []string{"BZPOPMIN", "k", "0"}, wait: true}, {conn: 2, args: []string{"BZPOPMAX", "k", "0"}, wait: true},
		{conn: 3, args: []string{"BZPOPMIN", "k", "0"}, wait: true}, {conn: 1, args: []string{"ZADD", "k", "1", "a", "2", "b"}},
		{conn: 1, args: []string{"ZADD", "k", "3", "c"}}}},
	{"BZMPOP takes COUNT", []waitStep{
		{conn: 0, args: []string{"BZPOPMIN", "k", "0"}, wait: true}, {conn: 2, args: []string{"BZMPOP", "0", "1", "k", "MAX", "COUNT", "5"}, wait: true},
		{conn: 1, args: []string{"ZADD", "k", "1", "a", "2", "b", "3", "c"}}}},
	{"BZMPOP of two keys", []waitStep{
		{conn: 0, args: []string{"BZMPOP", "0", "2", "k1", "k2", "MIN", "COUNT", "2"}, wait: true},
		{conn: 1, args: []string{"ZADD", "k2", "3", "c", "1", "a", "2", "b"}}}},
	{"stored over an existing key", []waitStep{
		{conn: 0, args: []string{"BZPOPMIN", "k", "0"}, wait: true}, {conn: 1, args: []string{"ZADD", "src", "1", "a"}},
		{conn: 1, args: []string{"SET", "k", "x"}}, {conn: 1, args: []string{"ZUNIONSTORE", "k", "1", "src"}},
		{conn: 1, args: []string{"ZADD", "k", "5", "z"}}, {conn: 1, args: []string{"DEL", "k"}}, {conn: 1, args: []string{"ZADD", "k", "1", "q"}}}},
	{"ZRANGESTORE over a list", []waitStep{
		{conn: 0, args: []string{"BZPOPMAX", "k", "0"}, wait: true}, {conn: 1, args: []string{"LPUSH", "k", "v"}},
		{conn: 1, args: []string{"ZADD", "src", "1", "a"}}, {conn: 1, args: []string{"ZRANGESTORE", "k", "src", "0", "-1"}},
		{conn: 1, args: []string{"ZPOPMIN", "k"}}, {conn: 1, args: []string{"ZADD", "k", "2", "b"}}}},
	{"stored where there was no key", []waitStep{
		{conn: 0, args: []string{"BZPOPMIN", "k", "0"}, wait: true}, {conn: 1, args: []string{"ZADD", "src", "1", "a", "2", "b"}},
		{conn: 1, args: []string{"ZUNIONSTORE", "k", "1", "src"}}}},
	{"a list first", []waitStep{
		{conn: 0, args: []string{"BZPOPMIN", "k", "0"}, wait: true}, {conn: 1, args: []string{"LPUSH", "k", "v"}},
		{conn: 1, args: []string{"DEL", "k"}}, {conn: 1, args: []string{"ZADD", "k", "1", "a"}}}},
	{"renamed into place", []waitStep{
		{conn: 0, args: []string{"BZPOPMIN", "k", "0"}, wait: true}, {conn: 1, args: []string{"ZADD", "src", "1", "a"}},
		{conn: 1, args: []string{"RENAME", "src", "k"}}}},
	{"served after EXEC", []waitStep{
		{conn: 0, args: []string{"BZPOPMIN", "k", "0"}, wait: true}, {conn: 1, args: []string{"MULTI"}},
		{conn: 1, args: []string{"ZADD", "k", "1", "a"}}, {conn: 1, args: []string{"ZREM", "k", "a"}},
		{conn: 1, args: []string{"ZADD", "k", "2", "b"}}, {conn: 1, args: []string{"EXEC"}}}},
	{"served after EXEC, then read", []waitStep{
		{conn: 0, args: []string{"BZPOPMIN", "k", "0"}, wait: true}, {conn: 1, args: []string{"MULTI"}},
		{conn: 1, args: []string{"ZADD", "k", "1", "a"}}, {conn: 1, args: []string{"ZREM", "k", "a"}},
		{conn: 1, args: []string{"ZADD", "k", "2", "b", "3", "c"}}, {conn: 1, args: []string{"EXEC"}}, {conn: 1, args: []string{"ZCARD", "k"}}}},
	{"keys in the order they became ready, then read", []waitStep{
		{conn: 0, args: []string{"BZPOPMIN", "k1", "k2", "0"}, wait: true}, {conn: 1, args: []string{"MULTI"}},
		{conn: 1, args: []string{"ZADD", "k2", "1", "x"}}, {conn: 1, args: []string{"ZADD", "k1", "1", "y"}}, {conn: 1, args: []string{"EXEC"}},
		{conn: 1, args: []string{"EXISTS", "k1", "k2"}}}},
	{"keys in the order they became ready", []waitStep{
		{conn: 0, args: []string{"BZPOPMIN", "k1", "k2", "0"}, wait: true}, {conn: 1, args: []string{"MULTI"}},
		{conn: 1, args: []string{"ZADD", "k2", "1", "x"}}, {conn: 1, args: []string{"ZADD", "k1", "1", "y"}}, {conn: 1, args: []string{"EXEC"}}}},
	{"served after a script", []waitStep{
		{conn: 0, args: []string{"BZPOPMIN", "k", "0"}, wait: true},
		{conn: 1, args: []string{"EVAL", "redis.call('zadd', KEYS[1], 1, 'a') redis.call('zadd', KEYS[1], 2, 'b') return 1", "1", "k"}}}},
	{"timed out", []waitStep{
		{conn: 0, args: []string{"BZPOPMIN", "k", "0.2"}, wait: true, sleep: 400 * time.Millisecond},
		{conn: 1, args: []string{"ZADD", "k", "1", "a"}}}},
	{"still waiting", []waitStep{{conn: 0, args: []string{"BZPOPMIN", "k", "0"}, wait: true}, {conn: 1, args: []string{"ZADD", "other", "1", "a"}}}},
}

// TestZSetsLiveWaits runs each blocking scenario on a real server, with
// the blocking calls really waiting, and checks that the spec's answer for
// each blocking call (explained over the whole capture) is the reply the
// server sent it (or labelled as not known), or that it still waits when
// the server never replied; the other replies must be the model's.
func TestZSetsLiveWaits(t *testing.T) { liveWaits(t, zsetWaits) }

// liveWaits runs blocking scenarios against a real server, as
// TestZSetsLiveWaits says.
func liveWaits(t *testing.T, scenarios []waitScenario) {
	srv := redistest.Start(t)
	admin, err := srv.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx := context.Background()
	blocked := func() int {
		r, err := admin.DoStrings("CLIENT", "LIST")
		if err != nil {
			t.Fatal(err)
		}
		return strings.Count(string(r), "flags=b ")
	}
	for _, sc := range scenarios {
		if _, err := admin.DoStrings("FLUSHALL"); err != nil {
			t.Fatal(err)
		}
		conns := make([]net.Conn, 4)
		readers := make([]*bufio.Reader, 4)
		for i := range conns {
			c, err := net.Dial("tcp", srv.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			conns[i], readers[i] = c, bufio.NewReader(c)
		}
		stop := monitor(t, srv.Addr)
		// The replies, per connection in order; a waiting call's reply is
		// read at the end.
		replies := map[string][][]byte{}
		waiting := map[int]bool{}
		for _, st := range sc.steps {
			c := conns[st.conn]
			before := blocked()
			if _, err := c.Write(redistest.EncodeCommand(redistest.Args(st.args...)...)); err != nil {
				t.Fatal(err)
			}
			addr := c.LocalAddr().String()
			if st.wait {
				for deadline := time.Now().Add(redistest.Timeout); blocked() <= before; {
					if time.Now().After(deadline) {
						t.Fatalf("%s: %q did not block", sc.name, st.args)
					}
					time.Sleep(time.Millisecond)
				}
				waiting[st.conn] = true
				replies[addr] = append(replies[addr], nil)
			} else {
				r, err := redistest.ReadReply(readers[st.conn])
				if err != nil {
					t.Fatal(err)
				}
				replies[addr] = append(replies[addr], r)
			}
			time.Sleep(st.sleep)
		}
		time.Sleep(50 * time.Millisecond)
		// What the waiting calls got, if anything.
		got := map[string][]byte{}
		for i := range waiting {
			conns[i].SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			if r, err := redistest.ReadReply(readers[i]); err == nil {
				got[conns[i].LocalAddr().String()] = r
			}
		}
		_, evs := ingestCapture(t, "sqlite", stop())
		h := &provenance.MemHistory{Events: evs, Refs: redis.Spec.Refs}
		m := redis.Spec.Model()
		st := m.Init()
		seen := map[string]int{}
		for _, e := range evs {
			out := m.Apply(st, e)
			if e.Client == "lua" {
				continue
			}
			n := seen[e.Client]
			seen[e.Client]++
			if n >= len(replies[e.Client]) {
				t.Fatalf("%s: %s %s %q: no reply recorded", sc.name, e.Where(), e.Op, e.Args)
			}
			real := replies[e.Client][n]
			if real != nil {
				if e.Op != "EXEC" && e.Op != "EVAL" && e.Op != "MULTI" && !strings.HasPrefix(string(real), "+QUEUED") &&
					redis.CompareReply(e, out, real) == redis.Differs {
					t.Errorf("%s: %s %q: model replies %q, redis replied %q", sc.name, e.Op, e.Args, out, real)
				}
				continue
			}
			x, err := redis.Spec.Explain(ctx, h, e)
			if err != nil {
				t.Fatalf("%s: %s %q: %v", sc.name, e.Op, e.Args, err)
			}
			r, ok := got[e.Client]
			if !ok {
				if string(x.Output) != "\x00blocked\r\n" {
					t.Errorf("%s: %s %q still waits, yet the spec says it got %q", sc.name, e.Op, e.Args, x.Output)
				}
				continue
			}
			switch v := redis.CompareReply(e, x.Output, r); {
			case v == redis.Differs || x.Exact && v != redis.Agree:
				t.Errorf("%s: %s %q got %q, the spec says %q (exact: %v; %v)", sc.name, e.Op, e.Args, r, x.Output, x.Exact, x.Notes)
			case v == redis.Agree:
				t.Logf("%s: %s %q got %q (exact: %v)", sc.name, e.Op, e.Args, r, x.Exact)
			default:
				t.Logf("%s: %s %q got %q; the spec does not know: %v", sc.name, e.Op, e.Args, r, x.Notes)
			}
		}
	}
}
