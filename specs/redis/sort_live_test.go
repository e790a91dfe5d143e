package redis_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/wat-project/wat/specs/redis"
	"github.com/wat-project/wat/specs/redis/redistest"
)

// sortGen generates random SORT and SORT_RO calls over lists, sets
// (intsets and hash tables) and sorted sets (listpacks and skiplists) of
// integers, floats in every spelling strtod takes, words, NUL bytes and
// values no strtod takes, with every option: ASC, DESC, ALPHA, LIMIT,
// STORE, BY nosort (and other constants), GET # and constant GETs, and
// the BY and GET patterns the model does not follow.
type sortGen struct{ liveGen }

var (
	sortKeys  = []string{"l1", "l2", "s1", "s2", "z1", "z2", "l1", "s1", "z1"}
	sortInts  = []string{"1", "2", "10", "-3", "0", "42", "9007199254740993", "-100"}
	sortNums  = []string{"1.5", "-0.5", "1e3", " 2", "0x10", "inf", "-inf", "", "007", "-0", "2.0", "1e-300", "0x1p-1074"}
	sortWords = []string{"a", "b", "B", "é", "a\x00b", "a\x00c", "ab", "a b", "Z", "$-1\r\n"}
	sortBad   = []string{"abc", "1e400", "1e-310", "nan", "1 ", "1x"}
	sortDsts  = []string{"d1", "d2", "l2", "str"}
)

// element picks a value; kind says which pool the key mostly draws from.
func (g *sortGen) element(kind int) string {
	switch {
	case g.chance(25):
		return g.pick(sortBad)
	case kind == 0 || g.chance(6):
		return g.pick(sortInts)
	case kind == 1 || g.chance(5):
		return g.pick(sortNums)
	}
	return g.pick(sortWords)
}

// kind is what a key mostly holds: 0 integers, 1 numbers, 2 words.
func (g *sortGen) kind(key string) int {
	return int(key[len(key)-1]-'0') % 3
}

func (g *sortGen) kw(s string) string {
	if g.chance(6) {
		return strings.ToLower(s)
	}
	return s
}

// sortArgs are SORT's options in some order.
func (g *sortGen) sortArgs(ro bool) []string {
	var opts [][]string
	if g.chance(3) {
		opts = append(opts, []string{g.kw(g.pick([]string{"ASC", "DESC", "DESC"}))})
	}
	if g.chance(2) {
		opts = append(opts, []string{g.kw("ALPHA")})
	}
	if g.chance(3) {
		l := []string{g.kw("LIMIT"), g.pick([]string{"0", "1", "2", "-1", "5", "100"}), g.pick([]string{"1", "2", "0", "-1", "3", "1000"})}
		if g.chance(20) {
			l[1+g.r.Intn(2)] = g.pick([]string{"x", "1.5", ""})
		}
		opts = append(opts, l)
	}
	if g.chance(3) {
		by := g.pick([]string{"nosort", "nosort", "nosort", "x", "", "NOSORT", "nosort", "w_*"})
		opts = append(opts, []string{g.kw("BY"), by})
	}
	for i := 0; i < g.r.Intn(3); i++ {
		if g.chance(2) {
			opts = append(opts, []string{g.kw("GET"), g.pick([]string{"#", "#", "#", "x", "#x", "#\x00", "#", "x", "o_*"})})
		}
	}
	if !ro && g.chance(3) || ro && g.chance(20) {
		opts = append(opts, []string{g.kw("STORE"), g.pick(sortDsts)})
	}
	if g.chance(30) {
		opts = append(opts, []string{g.pick([]string{"LIMIT", "BY", "GET", "STORE", "NOSORT"})})
	}
	return g.inAnyOrder(opts)
}

// command returns one random command: a SORT, or a write or read of
// the keys it sorts.
func (g *sortGen) command() []string {
	k := g.pick(sortKeys)
	kind := g.kind(k)
	switch g.r.Intn(20) {
	case 0, 1, 2, 3, 4, 5, 6:
		op := g.pick([]string{"SORT", "SORT", "SORT", "SORT_RO"})
		return append([]string{op, k}, g.sortArgs(op == "SORT_RO")...)
	case 7, 8:
		args := []string{g.pick([]string{"RPUSH", "LPUSH"}), "l" + strconv.Itoa(1+g.r.Intn(2))}
		for i := 0; i <= g.r.Intn(4); i++ {
			args = append(args, g.element(kind))
		}
		return args
	case 9, 10:
		args := []string{"SADD", "s" + strconv.Itoa(1+g.r.Intn(2))}
		for i := 0; i <= g.r.Intn(4); i++ {
			args = append(args, g.element(kind))
		}
		return args
	case 11, 12:
		args := []string{"ZADD", "z" + strconv.Itoa(1+g.r.Intn(2))}
		for i := 0; i <= g.r.Intn(4); i++ {
			args = append(args, g.pick([]string{"1", "2", "0", "-0", "1.5"}), g.element(kind))
		}
		return args
	case 13:
		return []string{"LRANGE", g.pick(sortDsts), "0", "-1"}
	case 14:
		return []string{g.pick([]string{"TYPE", "EXISTS", "LLEN"}), g.pick(sortDsts)}
	case 15:
		z := "z" + strconv.Itoa(1+g.r.Intn(2))
		switch g.r.Intn(3) {
		case 0:
			return []string{"ZSCAN", z, "0"}
		case 1:
			return []string{"ZADD", z, "-0", "negzero"}
		}
		return []string{"ZSCORE", z, "negzero"}
	case 16:
		switch k[0] {
		case 'l':
			return []string{"LREM", k, "0", g.element(kind)}
		case 's':
			return []string{"SREM", k, g.element(kind)}
		}
		return []string{"ZREM", k, g.element(kind)}
	case 17:
		// Range errors that leave errno at ERANGE for a later SORT.
		return []string{"ZADD", "errz", g.pick([]string{"1e400", "1", "1e-310", "2"}), "x"}
	case 18:
		return []string{"DEL", g.pick(append(sortKeys, sortDsts...))}
	}
	return []string{"SET", "str", "v"}
}

// script is a SORT run by a script.
func (g *sortGen) script() []string {
	return pcallScript(append([]string{"SORT", g.pick(sortKeys)}, g.sortArgs(false)...))
}

func (g *sortGen) session(n int) []redistest.Cmd {
	g.out = nil
	if g.chance(3) {
		// A set past its intset encoding by size.
		args := []string{"SADD", "s2"}
		for i := 0; i < 513; i++ {
			args = append(args, strconv.Itoa(i*7))
		}
		g.emit(0, args...)
	}
	if g.chance(3) {
		// A sorted set past its listpack encoding.
		args := []string{"ZADD", "z2"}
		for i := 0; i < 130; i++ {
			args = append(args, strconv.Itoa(i%5), fmt.Sprintf("%d", i))
		}
		g.emit(0, args...)
	}
	for len(g.out) < n {
		conn := g.r.Intn(2)
		switch g.r.Intn(30) {
		case 0:
			g.emit(conn, "MULTI")
			for i := 0; i <= g.r.Intn(3); i++ {
				g.emit(conn, g.command()...)
			}
			g.emit(conn, "EXEC")
		case 1, 2:
			g.emit(conn, g.script()...)
		default:
			g.emit(conn, g.command()...)
		}
	}
	return g.out
}

// sortEdges is a session of chosen cases.
func sortEdges() []redistest.Cmd {
	c0 := [][]string{
		{"RPUSH", "l", "3", "1", "2", "10", "-1"}, {"SORT", "l"}, {"SORT", "l", "DESC"}, {"SORT", "l", "ALPHA"}, {"SORT", "l", "LIMIT", "1", "2"},
		{"SORT", "l", "LIMIT", "-5", "2"}, {"SORT", "l", "LIMIT", "2", "-1"}, {"SORT", "l", "LIMIT", "10", "1"}, {"SORT", "l", "LIMIT", "0", "0"},
		{"SORT", "l", "BY", "nosort"}, {"SORT", "l", "BY", "nosort", "DESC"}, {"SORT", "l", "BY", "nosort", "LIMIT", "1", "2", "DESC"},
		{"SORT", "l", "BY", "nosort", "LIMIT", "9", "2"}, {"SORT", "l", "GET", "#", "GET", "x"}, {"SORT", "l", "STORE", "d"}, {"LRANGE", "d", "0", "-1"},
		{"SORT", "l", "GET", "#", "GET", "x", "STORE", "d"}, {"LRANGE", "d", "0", "-1"}, {"SORT", "l", "LIMIT", "0", "0", "STORE", "d"}, {"EXISTS", "d"},
		{"SORT", "missing"}, {"SORT", "missing", "STORE", "d"}, {"SORT", "l", "BY", "w_*"}, {"SORT", "l", "GET", "o_*"}, {"SORT", "l", "BY", "w_*", "BY", "nosort"},
		{"SORT", "l", "BY", "nosort", "BY", "w_*"}, {"SORT", "l", "LIMIT", "x", "1"}, {"SORT", "l", "LIMIT", "1"}, {"SORT", "l", "FOO"},
		{"SORT_RO", "l", "STORE", "d"}, {"SORT_RO", "l", "DESC", "LIMIT", "0", "2"},
		{"SET", "str", "v"}, {"SORT", "str"}, {"SORT", "str", "FOO"}, {"SORT", "l", "STORE", "str"}, {"TYPE", "str"},
		{"SADD", "is", "5", "-2", "30", "1"}, {"SORT", "is", "BY", "nosort"}, {"SORT", "is", "BY", "nosort", "DESC", "LIMIT", "1", "2"}, {"SORT", "is", "ALPHA"},
		{"SADD", "hs", "b", "a", "c"}, {"SORT", "hs", "ALPHA"}, {"SORT", "hs", "BY", "nosort"}, {"SORT", "hs", "BY", "nosort", "GET", "#", "GET", "x"},
		{"SORT", "hs", "BY", "nosort", "LIMIT", "0", "1"}, {"SORT", "hs", "BY", "nosort", "GET", "x", "GET", "#"}, {"SORT", "hs", "BY", "nosort", "STORE", "d"}, {"LRANGE", "d", "0", "-1"},
		{"EVAL", "return redis.call('sort', 'hs', 'by', 'nosort')", "0"}, {"EVAL", "return redis.call('sort', 'is', 'by', 'nosort', 'desc')", "0"},
		{"ZADD", "z", "3", "a", "1", "b", "2", "c"}, {"ZSCAN", "z", "0"}, {"SORT", "z", "BY", "nosort"}, {"SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "5"},
		{"SORT", "z", "ALPHA", "DESC"}, {"ZSCAN", "z", "0"}, {"ZADD", "z", "-0", "nz"}, {"ZSCORE", "z", "nz"},
		{"ZADD", "z2", "1", "x"}, {"SORT_RO", "z2", "FOO"}, {"ZADD", "z2", "-0", "nz"}, {"ZSCORE", "z2", "nz"},
		{"RPUSH", "f", "1.5", "-0.5", " 2", "0x10", "", "inf", "-inf", "1e-300"}, {"SORT", "f"},
		{"RPUSH", "bad", "1", "abc"}, {"SORT", "bad"}, {"SORT", "bad", "ALPHA"},
		{"RPUSH", "nul", "a\x00b", "a\x00a", "a", "b"}, {"SORT", "nul", "ALPHA"}, {"SORT", "nul", "ALPHA", "STORE", "d"}, {"LRANGE", "d", "0", "-1"},
		{"SADD", "nuls", "a\x00b", "a\x00a", "a"}, {"SORT", "nuls", "ALPHA"}, {"SORT", "nuls", "ALPHA", "STORE", "d"}, {"LRANGE", "d", "0", "-1"},
		{"RPUSH", "sub", "0x1p-1074", "4.9406564584124654e-324"}, {"SORT", "sub"}, {"SORT", "l"},
		{"MULTI"}, {"ZADD", "e", "1e400", "x"}, {"SORT", "l"}, {"SORT", "f"}, {"SORT", "f", "STORE", "d"}, {"EXEC"}, {"LRANGE", "d", "0", "-1"},
	}
	return cmdsOf(0, c0...)
}

// TestSortLive drives a real redis-server with thousands of random SORT
// calls and the commands that build what they sort, in FLUSHALL-separated
// sessions (and a session of chosen cases), and replays each MONITOR
// capture with the model: every reply must agree, be labelled unknown,
// or (a BY or GET pattern) be one the model says it does not run. A
// replay that differs (a list SORT ... STORE wrote when errno failed it)
// must be labelled not exact when explained through the store; so must
// every sampled explanation whose output is not the reply.
func TestSortLive(t *testing.T) {
	g := &sortGen{newLiveGen(envSeed("SORTSEED", 3))}
	notRun := 0
	lr := &liveRun{session: withEdges(g.session, 120, sortEdges), compareEval: true, minTotal: 4000}
	lr.judge = func(c liveReply) {
		sample := c.j < 40 || c.j%4 == 0
		switch {
		case c.v == redis.NotModelled && (c.e.Op == "SORT" || c.e.Op == "SORT_RO"):
			notRun++
			if _, err := redis.Spec.Explain(context.Background(), c.s, c.e); err == nil {
				lr.wrong(t, c, "not modelled, yet it was explained")
			}
			return
		case c.v == redis.Differs || c.v == redis.NotModelled:
			sample = true
		}
		if !sample {
			return
		}
		x := lr.explain(t, c)
		lr.count(x)
		xv := redis.CompareReply(c.e, x.Output, c.r)
		switch {
		case (c.v == redis.Differs || xv == redis.Differs) && !x.Exact:
			lr.laterLabel++
		case c.v == redis.Differs:
			lr.wrong(t, c, "model replies %q, explained %q (exact), redis replied %q", c.out, x.Output, c.r)
		default:
			lr.checkExplained(t, c, x)
		}
	}
	lr.run(t, redistest.Start(t))
	lr.log(t, fmt.Sprintf("; %d not modelled (patterns)", notRun))
}

// storeWaits are clients waiting on a key that a SORT ... STORE or a geo
// search's STORE creates (Redis's setKey wakes them when the key is new,
// not when it overwrites one).
var storeWaits = []waitScenario{
	{"SORT STORE creates the list", []waitStep{{conn: 0, args: []string{"BLPOP", "k", "0"}, wait: true},
		{conn: 1, args: []string{"RPUSH", "src", "3", "1", "2"}}, {conn: 1, args: []string{"SORT", "src", "STORE", "k"}}}},
	{"SORT STORE over a string", []waitStep{{conn: 0, args: []string{"BLPOP", "k", "0"}, wait: true},
		{conn: 1, args: []string{"SET", "k", "v"}}, {conn: 1, args: []string{"RPUSH", "src", "b", "a"}},
		{conn: 1, args: []string{"SORT", "src", "ALPHA", "STORE", "k"}}, {conn: 1, args: []string{"DEL", "k"}}, {conn: 1, args: []string{"RPUSH", "k", "z"}}}},
	{"GEORADIUS STORE creates the set", []waitStep{{conn: 0, args: []string{"BZPOPMIN", "k", "0"}, wait: true},
		{conn: 1, args: []string{"GEOADD", "src", "1", "1", "a", "1.001", "1", "b"}}, {conn: 1, args: []string{"GEORADIUS", "src", "1", "1", "10", "km", "STORE", "k"}}}},
	{"GEOSEARCHSTORE STOREDIST creates the set", []waitStep{{conn: 0, args: []string{"BZPOPMAX", "k", "0"}, wait: true},
		{conn: 1, args: []string{"GEOADD", "src", "1", "1", "a", "1", "1.001", "b"}},
		{conn: 1, args: []string{"GEOSEARCHSTORE", "k", "src", "FROMMEMBER", "a", "BYRADIUS", "10", "km", "STOREDIST"}}}},
	{"an empty search deletes", []waitStep{{conn: 0, args: []string{"BZPOPMIN", "k", "0"}, wait: true},
		{conn: 1, args: []string{"GEOADD", "src", "1", "1", "a"}}, {conn: 1, args: []string{"GEORADIUS", "src", "50", "50", "1", "km", "STORE", "k"}},
		{conn: 1, args: []string{"GEORADIUSBYMEMBER", "src", "a", "1", "km", "STORE", "k"}}}},
}

// TestStoreLiveWaits runs the scenarios of storeWaits on a real server.
func TestStoreLiveWaits(t *testing.T) { liveWaits(t, storeWaits) }
