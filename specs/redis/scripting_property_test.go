package redis_test

import (
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/redis"
)

// The "scripts" family: EVAL and EVALSHA of a few small scripts over KEYS
// and ARGV from tiny domains, SCRIPT LOAD, EXISTS and FLUSH, and plain
// writes of the same keys. A script's writes are requests of their own in
// the trace, logged after its line ("[db lua]"): the generator runs each
// script on the model at its place in the trace and puts the commands it
// ran right after it, as MONITOR would. The scripts only touch the keys
// they declare (the explanation engine tracks a script request by its
// declared keys).
var familyScripts = []struct {
	src   string
	nkeys int
}{
	{`return redis.call('GET', KEYS[1])`, 1},
	{`return redis.call('INCR', KEYS[1])`, 1},
	{`return redis.pcall('INCR', KEYS[1])`, 1},
	{`return redis.call('APPEND', KEYS[1], ARGV[1])`, 1},
	{`redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[2])`, 2},
	{`local v = redis.call('GET', KEYS[1]) if v then redis.call('SET', KEYS[2], v) end return v`, 2},
	{`return {redis.call('EXISTS', KEYS[1]), redis.call('TYPE', KEYS[2]).ok}`, 2},
	{`redis.call('DEL', KEYS[1]) return 1`, 1},
	{`return cjson.encode({redis.call('GET', KEYS[1]) or false, ARGV[1]})`, 1},
	{`local n = redis.call('INCR', KEYS[1]) if n > 1 then return redis.error_reply('too many') end return n`, 1},
	{`return 'static'`, 0},
	{`error('boom')`, 0},
}

var scriptKeys = []string{"a", "b"}
var scriptVals = []string{"1", "x", "", "10"}

// scriptEvent makes one request of the family at position id.
func scriptEvent(r *rand.Rand, id int, ns string, target bool) *formats.Event {
	const t0 = 1795535140000000000
	e := &formats.Event{ID: int64(id), Source: "gen", Line: id, System: "redis", NS: ns,
		Time: t0 + int64(id)*700e6, Client: clients[r.Intn(len(clients))]}
	s := familyScripts[r.Intn(len(familyScripts))]
	scriptArgs := func() [][]byte {
		out := [][]byte{[]byte(strconv.Itoa(s.nkeys))}
		for i := 0; i < s.nkeys; i++ {
			out = append(out, []byte(scriptKeys[r.Intn(len(scriptKeys))]))
		}
		return append(out, []byte(scriptVals[r.Intn(len(scriptVals))]))
	}
	k := []byte(scriptKeys[r.Intn(len(scriptKeys))])
	v := []byte(scriptVals[r.Intn(len(scriptVals))])
	kinds := 10
	if target {
		kinds = 5
	}
	switch r.Intn(kinds) {
	case 0, 1:
		e.Op, e.Args = "EVAL", append([][]byte{[]byte(s.src)}, scriptArgs()...)
	case 2:
		sha := sha1Hex(s.src)
		if r.Intn(3) == 0 {
			sha = strings.ToUpper(sha)
		}
		e.Op, e.Args = "EVALSHA", append([][]byte{[]byte(sha)}, scriptArgs()...)
	case 3:
		e.Op, e.Args = "SCRIPT", [][]byte{[]byte("EXISTS"), []byte(sha1Hex(s.src))}
	case 4:
		e.Op, e.Args = "GET", [][]byte{k}
	case 5:
		e.Op, e.Args = "SCRIPT", [][]byte{[]byte("LOAD"), []byte(s.src)}
	case 6:
		e.Op, e.Args = "SCRIPT", [][]byte{[]byte("FLUSH")}
	case 7:
		e.Op, e.Args = "SET", [][]byte{k, v}
	case 8:
		e.Op, e.Args = "DEL", [][]byte{k}
	default:
		e.Op, e.Args = "INCR", [][]byte{k}
	}
	return e
}

// TestScriptingEqualsBruteForce checks the spec's witnesses against
// provenance.BruteForce on thousands of random script traces.
func TestScriptingEqualsBruteForce(t *testing.T) {
	m := redis.Spec.Model()
	draws, scripts := 0, 0
	referee(t, scaled(2000, 300), func(r *rand.Rand) ([]*formats.Event, *formats.Event) {
		n := r.Intn(9)
		_, trace, runs := luaTrace(m, r, n, "EVAL", func(trace []*formats.Event, id int, ns string) *formats.Event {
			return scriptEvent(r, id, ns, false)
		})
		draws++
		scripts += runs
		return trace, scriptEvent(r, len(trace)+1, randomNS(r), true)
	})
	t.Logf("%d traces (%d script requests)", draws, scripts)
}

// randomNS draws a random database of a trace: mostly "0", else "1".
func randomNS(r *rand.Rand) string {
	return []string{"0", "0", "1"}[r.Intn(3)]
}

// luaTrace draws a random trace of n requests, each made by next from
// its ID and a random database (randomNS), given the trace so far, and
// applies them in turn to a fresh state of m. A request that runs Lua
// (its command begins with lua) is followed by the commands the model's
// run of it called, as the [lua] lines after it, each applied in turn.
// It returns the state after the trace, the trace, and how many of its
// requests ran Lua.
func luaTrace(m provenance.Model, r *rand.Rand, n int, lua string, next func(trace []*formats.Event, id int, ns string) *formats.Event) (provenance.State, []*formats.Event, int) {
	st := m.Init()
	var trace []*formats.Event
	runs := 0
	for len(trace) < n {
		ns := randomNS(r)
		e := next(trace, len(trace)+1, ns)
		var calls []*formats.Event
		if strings.HasPrefix(e.Op, lua) {
			runs++
			_, calls, _ = redis.EvalCalls(st, e)
		}
		m.Apply(st, e)
		trace = append(trace, e)
		for i, c := range calls {
			c.ID, c.Line = int64(len(trace)+1), len(trace)+1
			c.Time = e.Time + int64(i+1)*1000
			m.Apply(st, c)
			trace = append(trace, c)
		}
	}
	return st, trace, runs
}

// TestScriptingModel checks replies of the conversions and libraries on
// the model alone (the live tests compare them with redis-server).
func TestScriptingModel(t *testing.T) {
	cases := []struct{ src, want string }{
		{`return 1`, ":1\r\n"},
		{`return 3.99`, ":3\r\n"},
		{`return -3.99`, ":-3\r\n"},
		{`return 'x'`, "$1\r\nx\r\n"},
		{`return true`, ":1\r\n"},
		{`return false`, "$-1\r\n"},
		{`return nil`, "$-1\r\n"},
		{`return {1, 'a', {2}, false, nil, 3}`, "*4\r\n:1\r\n$1\r\na\r\n*1\r\n:2\r\n$-1\r\n"},
		{`return {ok='fine'}`, "+fine\r\n"},
		{`return {err='MY bad'}`, "-MY bad\r\n"},
		{`return redis.error_reply('Oops')`, "-ERR Oops\r\n"},
		{`return redis.status_reply('PONG')`, "+PONG\r\n"},
		{`return {double=0.5}`, "$3\r\n0.5\r\n"},
		{`return tostring(1e15) .. ' ' .. tostring(0.1 + 0.2) .. ' ' .. 2^53`, "$28\r\n1e+15 0.3 9.007199254741e+15\r\n"},
		{`return '010' + 1`, ":11\r\n"},
		{`return tonumber('0x10')`, ":16\r\n"},
		{`return string.format('%5.2f|%d|%q', 3.14159, -7.9, 'a"b')`, "$15\r\n 3.14|-7|\"a\\\"b\"\r\n"},
		{`return {string.match('key:12', '(%a+):(%d+)')}`, "*2\r\n$3\r\nkey\r\n$2\r\n12\r\n"},
		{`return (string.gsub('hello', 'l+', '<%0>'))`, "$7\r\nhe<ll>o\r\n"},
		{`return cjson.encode({1, 'x', {a=true}})`, "$18\r\n[1,\"x\",{\"a\":true}]\r\n"},
		{`return cjson.encode(cjson.decode('{"b":1,"a":2,"c":3}'))`, "$19\r\n{\"a\":2,\"c\":3,\"b\":1}\r\n"},
		{`return cjson.encode({a=1, b=2})`, "$13\r\n{\"a\":1,\"b\":2}\r\n"},
		{`return cmsgpack.pack({1, 2}, 'ab', -1, 1.5)`, "$12\r\n\x92\x01\x02\xa2ab\xff\xca?\xc0\x00\x00\r\n"},
		{`return #cmsgpack.unpack('\148\1\192\192\4')`, ":1\r\n"},
		{`return {bit.band(0xff, 0x0f), bit.tohex(-1), bit.lshift(1, 31)}`, "*3\r\n:15\r\n$8\r\nffffffff\r\n:-2147483648\r\n"},
		{`return struct.pack('>I2', 258)`, "$2\r\n\x01\x02\r\n"},
		{`math.randomseed(42) return math.random(100)`, ":75\r\n"},
		{`local t = {} t[1] = 'a' t[3] = 'c' return #t`, ":1\r\n"},
		{`error('boom')`, "-ERR user_script:1: boom script: 82903a0434f1503e152f89c03c9acd881a0e8150, on @user_script:1.\r\n"},
		{"local x = 1\nreturn redis.call('NOSUCH')", "-ERR Unknown Redis command called from script script: 49caeae494d8d5b34e81c9aca99f4801f131d6ba, on @user_script:2.\r\n"},
		{`x = 1`, "-ERR user_script:1: Attempt to modify a readonly table script: 34bce5f775de97f557a34088509c8bfe1ea17e52, on @user_script:1.\r\n"},
		{`return y`, "-ERR user_script:1: Script attempted to access nonexistent global variable 'y' script: e278681ed961e2fb52881313e5c90fdd93749940, on @user_script:1.\r\n"},
		{`return {pcall(error, 'x')}`, "*2\r\n$-1\r\n$1\r\nx\r\n"},
		{`return redis.call('TIME')`, "\x00unknown\r\n"},
		{`return math.random()`, "\x00unknown\r\n"},
		{`return tostring({})`, "\x00unknown\r\n"},
		{`while true do end`, "\x00unknown\r\n"},
		{`local t = {} t[1] = 'a' return cjson.encode(t)`, "$5\r\n[\"a\"]\r\n"},
		{`return redis.call('XADD', 's', '*', 'f', 'v')`, "\x00unknown\r\n"},
		{`return ;`, "$-1\r\n"},
		{`return 1;;`, "\x00unknown\r\n"},
	}
	m := redis.Spec.Model()
	for i, c := range cases {
		st := m.Init()
		e := &formats.Event{ID: int64(i + 1), Source: "unit", Line: i + 1, System: "redis", NS: "0",
			Time: 1795535140000000000, Client: "127.0.0.1:1", Op: "EVAL", Args: [][]byte{[]byte(c.src), []byte("0")}}
		if got := string(m.Apply(st, e)); got != c.want {
			t.Errorf("EVAL %q\n got %q\nwant %q", c.src, got, c.want)
		}
	}
}
