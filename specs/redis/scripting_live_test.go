package redis_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/redis"
	"github.com/wat-project/wat/specs/redis/redistest"
)

// scriptingOps are the commands whose replies the scripting live tests
// compare.
var scriptingOps = map[string]bool{"EVAL": true, "EVALSHA": true, "EVAL_RO": true, "EVALSHA_RO": true, "SCRIPT": true}

// scriptingStats counts a live run's verdicts per command, and the
// scripts whose commands the model's run did not match the [lua] lines.
type scriptingStats struct {
	verdicts      liveVerdicts
	compared      int
	callsChecked  int
	callMismatch  int
	unknownWhy    map[string]int
	mismatchShown int
	undeclared    int // scripts whose commands touched keys they did not declare
	// explained counts the requests explained through the store, inexact
	// those not exact, by their first "not exact" note.
	explained, inexact int
	inexactWhy         map[string]int
	slowest            time.Duration
}

func newScriptingStats() *scriptingStats {
	return &scriptingStats{verdicts: liveVerdicts{}, unknownWhy: map[string]int{}, inexactWhy: map[string]int{}}
}

// A luaRunner runs one way of running Lua on a real server (scripts,
// functions) and compares the model's replies with Redis's.
type luaRunner struct {
	runs     map[string]bool // the commands that run Lua ([lua] lines follow them)
	compared map[string]bool // the commands whose replies are compared
	admin    string          // the command managing the Lua (SCRIPT, FUNCTION), tallied by subcommand
	// why, when not nil, says why the model does not know the reply of a
	// command that runs no Lua.
	why func(st provenance.State, e *formats.Event) string
	// mustSayWhy are the commands (an admin one with its subcommand)
	// whose labelled replies must say why.
	mustSayWhy map[string]bool
}

// scripts runs EVAL and its kin, and compares SCRIPT's replies too.
var scripts = luaRunner{runs: map[string]bool{"EVAL": true, "EVALSHA": true, "EVAL_RO": true, "EVALSHA_RO": true},
	compared: scriptingOps, admin: "SCRIPT"}

// run runs cmds on the server, replays the capture with the model, and
// compares every compared command's reply, and the commands each Lua
// run made with the [lua] lines after it. With explain, it also explains
// every compared request through the store (explainFunctions).
func (lr luaRunner) run(t *testing.T, srv *redistest.Server, cmds []redistest.Cmd, st *scriptingStats, explain bool) {
	t.Helper()
	s, evs, real := runStored(t, srv, cmds)
	if explain {
		defer explainFunctions(t, s, evs, real, lr.compared, st)
	}
	m := redis.Spec.Model()
	state := m.Init()
	for i, e := range evs {
		runsLua := e.Client != "lua" && lr.runs[e.Op]
		var calls []*formats.Event
		var predicted, why string
		if runsLua {
			out, c, w := redis.EvalCalls(state, e)
			predicted, calls, why = string(out), c, w
		} else if lr.why != nil {
			why = lr.why(state, e)
		}
		out := m.Apply(state, e)
		if runsLua && predicted != string(out) {
			t.Errorf("%s: EvalCalls replied %q, Apply %q", e.Where(), predicted, out)
		}
		r, ok := real[e]
		if !ok || !lr.compared[e.Op] {
			continue
		}
		name := e.Op
		if e.Op == lr.admin && len(e.Args) > 0 {
			name += " " + strings.ToUpper(string(e.Args[0]))
		}
		v := redis.CompareReply(e, out, r)
		st.verdicts.add(name, v)
		st.compared++
		if v == redis.Differs || v == redis.NotModelled {
			t.Errorf("%s: %s %.300q\nmodel: %q\nredis: %q", e.Where(), e.Op, e.Args, out, r)
			continue
		}
		if v == redis.Labelled {
			if why == "" {
				st.unknownWhy[name]++
			} else {
				st.unknownWhy[why]++
			}
			if testing.Verbose() {
				t.Logf("labelled %s %.80q (%s): redis %.100q", e.Op, e.Args, why, r)
			}
			if lr.mustSayWhy[name] && why == "" {
				t.Errorf("%s: %s %q: unknown reply without a reason", e.Where(), e.Op, e.Args)
			}
		}
		if !runsLua || v != redis.Agree {
			continue
		}
		logged := luaLinesAfter(evs, i)
		st.callsChecked++
		if !sameCalls(calls, logged) {
			st.callMismatch++
			t.Errorf("%s: %s %q: the model's run called\n%s\nthe log shows\n%s", e.Where(), e.Op, e.Args, callList(calls), callList(logged))
		}
	}
}

// luaLinesAfter returns the [lua] lines after evs[i]: the commands its
// script or function ran.
func luaLinesAfter(evs []*formats.Event, i int) []*formats.Event {
	var logged []*formats.Event
	for _, x := range evs[i+1:] {
		if x.Client != "lua" {
			break
		}
		logged = append(logged, x)
	}
	return logged
}

// logWhys logs how many replies were labelled for each reason.
func (s *scriptingStats) logWhys(t *testing.T) {
	t.Helper()
	t.Logf("labelled, by reason:\n%s", countLines(s.unknownWhy))
}

// runRandom runs, on a fresh real server with lr, the setup lines and
// then n rounds of lines, each drawn by round from the random stream
// stream (liveRand), and returns the run's stats.
func (lr luaRunner) runRandom(t *testing.T, stream uint64, n int, setup [][]string, round func(r *rand.Rand) [][]string) *scriptingStats {
	t.Helper()
	srv := redistest.Start(t)
	st := newScriptingStats()
	r := liveRand(stream)
	lines := setup
	for i := 0; i < n; i++ {
		lines = append(lines, round(r)...)
	}
	lr.run(t, srv, cmdsOf(0, lines...), st, false)
	return st
}

// logVerdicts logs a heading (format and args), the verdicts per
// command under it, and how many replies were labelled for each reason.
func (s *scriptingStats) logVerdicts(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf(format+":\n%s", append(args, s.verdicts.table())...)
	s.logWhys(t)
}

// undeclared reports whether a script's commands touched a key (or a
// database) its request did not declare.
func undeclared(e *formats.Event, calls []*formats.Event) bool {
	declared := map[string]bool{}
	for _, r := range redis.Spec.Refs(e) {
		declared[r.NS+"\x00"+string(r.Key)] = true
	}
	for _, c := range calls {
		for _, r := range redis.Spec.Refs(c) {
			if r.NS == c.NS && !declared[r.NS+"\x00"+string(r.Key)] {
				return true
			}
		}
	}
	return false
}

func sameCalls(a, b []*formats.Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].NS != b[i].NS || !strings.EqualFold(a[i].Op, b[i].Op) || len(a[i].Args) != len(b[i].Args) {
			return false
		}
		for j := range a[i].Args {
			if string(a[i].Args[j]) != string(b[i].Args[j]) {
				return false
			}
		}
	}
	return true
}

func callList(evs []*formats.Event) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "  [%s] %s %q\n", e.NS, e.Op, e.Args)
	}
	return b.String()
}

// TestScriptingQueueCaptures replays the committed job-queue captures
// (testdata/queues: RQ, Celery, BullMQ against redis-server 7.0.15) and
// checks every script request's reply against the one its client got:
// none differs; for each reply the model knows, the commands the model's
// run of the script made are the [lua] lines after it. It logs why the
// model does not know the others.
func TestScriptingQueueCaptures(t *testing.T) {
	for _, lib := range []string{"rq", "celery", "bullmq"} {
		t.Run(lib, func(t *testing.T) {
			_, evs, replies := queueCapture(t, lib)
			st := newScriptingStats()
			m := redis.Spec.Model()
			state := m.Init()
			for i, e := range evs {
				isScript := e.Client != "lua" && scripts.runs[e.Op]
				var calls []*formats.Event
				var why string
				if isScript {
					_, calls, why = redis.EvalCalls(state, e)
				}
				out := m.Apply(state, e)
				q := replies[i]
				if !scriptingOps[e.Op] || !q.replied() {
					continue
				}
				v := redis.CompareReply(e, out, q.bytes)
				st.verdicts.add(e.Op, v)
				switch v {
				case redis.Differs, redis.NotModelled:
					t.Errorf("line %d %s %.80q: model %.200q, client got %.200q", e.Line, e.Op, e.Args, out, q.bytes)
				case redis.Labelled:
					st.unknownWhy[why]++
				case redis.Agree:
					if !isScript {
						continue
					}
					logged := luaLinesAfter(evs, i)
					st.callsChecked++
					if undeclared(e, logged) {
						st.undeclared++
					}
					if !sameCalls(calls, logged) {
						st.callMismatch++
						if st.callMismatch <= 5 {
							t.Errorf("line %d %s: the model's run called\n%s\nthe log shows\n%s", e.Line, e.Op, callList(calls), callList(logged))
						}
					}
				}
			}
			t.Logf("%s: script replies per verdict:\n%s%d scripts' calls checked against their [lua] lines, %d mismatches; %d touched keys they did not declare",
				lib, st.verdicts.table(), st.callsChecked, st.callMismatch, st.undeclared)
			st.logWhys(t)
		})
	}
}

// scriptCorpus is a list of scripts exercising what Redis's Lua offers:
// reply conversions both ways, redis.call/pcall and their errors, the
// script's own errors, the global table's protection, the string, table,
// math, cjson, cmsgpack, bit and struct libraries, shebang flags. Each
// runs with KEYS k n h l s and ARGV a1 2 "x y".
var scriptCorpus = []string{
	// Lua to RESP.
	`return 1`, `return 3.99`, `return -3.99`, `return 1e20`, `return -1e20`, `return 0/0`, `return 1/0`,
	`return 'str'`, `return ''`, `return '\0\1\255'`, `return true`, `return false`, `return nil`, `return`,
	`return {}`, `return {1, 'two', 3.5, true, false}`, `return {1, nil, 3}`, `return {{1, {2, {3}}}, 'x'}`,
	`return {ok='fine'}`, `return {ok='a\r\nb'}`, `return {err='MY error'}`, `return {err='no space'}`,
	`return {err='a\r\nb\n'}`, `return {err=''}`, `return {err=3}`, `return {ok=3}`, `return {err={}}`,
	`return {double=3.5}`, `return {double=1/3}`, `return {double=1/0}`, `return {big_number='123456789012345678901234567890'}`,
	`return {verbatim_string={format='txt', string='hello'}}`, `return {map={a=1}}`, `return {set={x=true}}`,
	`return {map={}}`, `return {1, 2, err='e'}`, `return {ok='o', 1, 2}`, `return {{err='nested'}, {ok='st'}}`,
	`return redis.status_reply('PONG')`, `return redis.error_reply('Oops')`, `return redis.error_reply('-CODE msg')`,
	`return redis.error_reply('MY code here')`, `return redis.error_reply('')`, `return redis.error_reply(5)`,
	`return redis.status_reply()`, `return redis.status_reply('a', 'b')`, `return redis.error_reply('a\r\n')`,
	// RESP to Lua.
	`return redis.call('GET', KEYS[1])`, `return redis.call('GET', 'missing')`, `return type(redis.call('GET', 'missing'))`,
	`return redis.call('INCR', KEYS[2])`, `return type(redis.call('INCR', KEYS[2]))`, `return redis.call('SET', KEYS[1], ARGV[1])`,
	`local r = redis.call('SET', KEYS[1], 'v') return r.ok`, `return redis.call('HGETALL', KEYS[3])`,
	`return redis.call('LRANGE', KEYS[4], 0, -1)`, `return redis.call('SMEMBERS', KEYS[5])`, `return redis.call('MGET', KEYS[1], 'missing', KEYS[2])`,
	`return redis.call('LPOP', 'missing', 2)`, `return {redis.call('LPOP', 'missing', 2)}`, `return redis.call('BLPOP', 'missing', 1)`,
	`return redis.call('PING')`, `return redis.call('ECHO', 'hi')`, `return redis.call('EXISTS', KEYS[1], KEYS[2], 'nope')`,
	`return redis.call('TYPE', KEYS[3])`, `return redis.call('TYPE', KEYS[3]).ok`, `return redis.call('SET', KEYS[1], 1.5)`,
	`return redis.call('SET', KEYS[1], 0.1)`, `return redis.call('SET', KEYS[1], 1e20)`, `return redis.call('SET', KEYS[1], -0.0)`,
	`return redis.call('SET', KEYS[1], 123456789)`, `redis.call('SET', KEYS[1], 2^53) return redis.call('GET', KEYS[1])`,
	`return redis.call('INCRBYFLOAT', KEYS[2], 0.5)`, `return redis.call('APPEND', KEYS[1], 'x')`,
	// redis.call errors.
	`return redis.call('GET')`, `return redis.call('NOSUCH')`, `return redis.call()`, `return redis.call('GET', {})`,
	`return redis.call('GET', nil)`, `return redis.call('GET', true)`, `return redis.call('INCR', KEYS[3])`,
	"local x = 1\nlocal y = 2\nreturn redis.call('INCR', KEYS[3])", "local function f()\n  return redis.call('INCR', KEYS[3])\nend\nreturn f()",
	"local rcall = redis.call\nlocal function f(k)\n  rcall('LPUSH', k,\n    'x')\nend\nf(KEYS[1])\nreturn 1",
	`return redis.pcall('INCR', KEYS[3])`, `return redis.pcall('NOSUCH')`, `return redis.pcall()`, `return redis.pcall('GET', {})`,
	`local e = redis.pcall('INCR', KEYS[3]) return e.err`, `local e = redis.pcall('INCR', KEYS[3]) return {e.ignore_error_stats_update}`,
	`return pcall(redis.call, 'INCR', KEYS[3])`, `return {pcall(redis.call, 'INCR', KEYS[3])}`, `local ok, e = pcall(redis.call, 'INCR', KEYS[3]) return e`,
	`return redis.call('EVAL', 'return 1', 0)`, `return redis.call('MULTI')`, `return redis.call('SUBSCRIBE', 'ch')`,
	`return redis.call('CLIENT', 'bogus')`, `return redis.call('CLIENT')`, `return redis.call('client|setname', 'x')`,
	`return redis.call('SCRIPT', 'FLUSH')`, `return redis.call('TIME')`, `return redis.call('RANDOMKEY')`,
	`return redis.call('SELECT', 1)`, `redis.call('SELECT', 2) redis.call('SET', 'in2', 'v') return redis.call('GET', 'in2')`,
	`return redis.call('SELECT', 99)`, `return redis.pcall('SELECT', 'x')`, `redis.call('SELECT', 3) return redis.call('DBSIZE')`,
	// The script's own errors.
	`error('boom')`, `error('boom', 0)`, `error('boom', 2)`, "local function f() error('lvl2', 2) end\nf()",
	"local function f()\n  error('inner')\nend\nf()", `error(42)`, `error(nil)`, `error(true)`, `error({err='MY thing'})`,
	`error({err='ERR x', 1})`, `error({err=5})`, `error('a\nb')`, `assert(false)`, `assert(false, 'nope')`,
	`assert(nil, 42)`, `return assert(1, 2, 3)`, `assert(false, 'x\0y')`, `error('x\0y')`,
	`x = 1`, `return y`, `string.x = 1`, `redis.call = nil`, `_G.x = 1`, `rawset(_G, 'x', 1)`, `setmetatable(_G, {})`,
	`return rawget(_G, 'nothing')`, `return rawget(_G, 'redis') ~= nil`, `return _G.redis ~= nil`, `return _G._G == _G`,
	`return print`, `return debug`, `return os`, `return io`, `return arg`, `return _VERSION`, `return type(loadstring)`,
	`function f() end`, `local t = {} t.x = 1 return t.x`, `return pcall(function() x = 1 end)`,
	`return {pcall(function() local t = nil; return t.x end)}`, `table.insert(string, 1)`, `return table.getn(string)`,
	`local t = nil return t.x`, `return 1 + {}`, `return #nil`, `return ('x') .. {}`,
	// pcall, xpcall.
	`return {pcall(error)}`, `return {pcall(error, 'x')}`, `return {pcall(error, {err='t'})}`, `return {pcall(error, {err=5})}`,
	`return {pcall(error, {x=1})}`, `return {pcall(function() return 1, 2, 3 end)}`, `return {pcall(function(...) return select('#', ...) end, 1, nil, 3)}`,
	`return {xpcall(function() error('e') end, function(m) return 'handled: ' .. m end)}`,
	`return {xpcall(function() return 'ok' end, function(m) return m end)}`, `return {pcall(pcall, error, 'x')}`,
	// Strings.
	`return {string.len('abc'), #'hello', string.len(123)}`, `return {string.sub('hello', 2), ('hello'):sub(-3, -2), ('hello'):sub(10), ('hello'):sub(0)}`,
	`return {string.byte('ABC', 1, 3)}`, `return {string.byte('ABC', -1)}`, `return string.char(72, 105, 0, 255)`, `return string.rep('ab', 3)`,
	`return string.rep('x', 0)`, `return string.reverse('abc')`, `return {string.upper('aé'), string.lower('AÉ')}`,
	`return string.format('%5.2f|%d|%s|%q|%x|%X|%o|%e|%g|%G|%c|%%', 3.14159, 42, 'hi', 'a"b\n\r\0', 255, 255, 8, 12345.678, 0.0001, 1e20, 65)`,
	`return string.format('%-5d|%05d|%+d|% d|%.3d|%5s|%-5s|%.2s', 42, 42, 42, 42, 7, 'ab', 'ab', 'abc')`,
	`return string.format('%#x|%#o|%#g|%.0f|%.10g|%i', 255, 8, 1.5, 2.5, 1/3, -7.9)`, `return string.format('%d', -0.5)`,
	`return string.format('%x', -1)`, `return string.format('%s', 1e15)`, `return string.format('%s %s', 1, 2.5)`, `return string.format('%5.1s|', 'abc')`,
	`return string.format('%c', 0) .. '|'`, `return string.format('%s', string.rep('x', 120))`, `return string.format('%d')`,
	`return string.format('%z', 1)`, `return string.format('%123d', 1)`, `return string.format('%------d', 1)`,
	`return {string.find('hello world', 'o w')}`, `return {string.find('hello', 'l')}`, `return {string.find('hello', 'xyz')}`,
	`return {string.find('a.b', '.', 1, true)}`, `return {string.find('hello', '')}`, `return {string.find('hello', '', 10)}`,
	`return {string.find('hello', 'l', -2)}`, `return {string.find('key:123:abc', '(%a+):(%d+):(%a+)')}`,
	`return {string.match('key:123:abc', '(%a+):(%d+):(%a+)')}`, `return {string.match('  trim  ', '^%s*(.-)%s*$')}`,
	`return {string.match('hello', '()ll()')}`, `return {string.match('[[x]]', '%[(%b[])%]')}`, `return {string.match('THE (quick) fox', '%f[%a]%a+')}`,
	`return {string.match('abc', '((a)(b))')}`, `return {string.match('aaa', 'a-')}`, `return {string.match('aaa', 'a-$')}`,
	`return {string.match('x=1, y=2', '(%w+)=(%w+)')}`, `return {string.match('abab', '(ab)%1')}`, `return {string.match('a1_b2', '[%w_]+')}`,
	`return {string.match('a]b', '[]]')}`, `return {string.match('a-b', '[a-]+')}`, `return {string.match('x', '[^%a]')}`,
	`return string.match('x', '(')`, `return string.match('x', '%')`, `return string.match('x', '[a')`, `return string.match('x', '%1')`,
	`local out = {} for k, v in string.gmatch('a=1, b=2, c=3', '(%w+)=(%w+)') do out[#out+1] = k .. v end return out`,
	`local out = {} for w in string.gmatch('one two  three', '%a+') do out[#out+1] = w end return out`,
	`local out = {} for w in string.gmatch('abc', '') do out[#out+1] = '[' .. w .. ']' end return out`,
	`return {string.gsub('hello world', 'o', '0')}`, `return {string.gsub('hello world', 'o', '0', 1)}`, `return {string.gsub('hello', '', '-')}`,
	`return {string.gsub('hello world', '(%w+)', '<%1>')}`, `return {string.gsub('hello world', '%w+', '%0 %0', 1)}`,
	`return {string.gsub('$name is $age', '%$(%w+)', {name='Bob', age=42})}`, `return {string.gsub('abc', '%w', function(c) return c:upper() .. '.' end)}`,
	`return {string.gsub('abc', '%w', function(c) if c == 'b' then return false end return 'x' end)}`, `return {string.gsub('abc', 'b', '%%')}`,
	`return {string.gsub('abc', 'b', '%2')}`, `return {string.gsub('abc', '^a', 'A')}`, `return {string.gsub('aaa', '^a', 'A')}`,
	`return {string.gsub('abc', 'b', {})}`, `return string.gsub('abc', 'b', {b={}})`, `return {string.gsub('a.b.c', '%.', '/')}`,
	`return string.gfind ~= nil`, `return {('x'):rep(3), ('abc'):upper()}`,
	// Numbers and conversions.
	`return {tostring(1e15), tostring(1e14), tostring(123456789012345), tostring(0.1), tostring(1/3), tostring(-0.0), tostring(2^53), tostring(1e100), tostring(5e-324)}`,
	`return tostring(0.1 + 0.2)`, `return 1e15 .. ''`, `return 0.1 .. '|' .. 1/3 .. '|' .. 2^63 .. '|' .. -1e-5`, `return 'n:' .. 10`,
	`return tostring(1/0) .. tostring(-1/0)`, `return tostring(0/0)`, `return tostring(nil) .. tostring(true) .. tostring(false)`,
	`return {tonumber('10'), tonumber('0x10'), tonumber('010'), tonumber('1e3'), tonumber(' 12 '), tonumber('12a'), tonumber(''), tonumber('0x')}`,
	`return {tonumber('ff', 16), tonumber('777', 8), tonumber('zz', 36), tonumber('102', 2), tonumber(' 11 ', 2), tonumber('1.5', 10)}`,
	`return {tonumber('inf') == math.huge, tonumber('-INF') == -math.huge, tonumber('nan') ~= tonumber('nan')}`, `return tonumber(nil)`,
	`return {'010' + 1, '0x10' + 0, ' 5 ' * 2, '1e2' / 4, 10 % 3, -10 % 3, 10 % -3, 5.5 % 2, 2^10, 2^-1, (-2)^3}`,
	`return {7 // 2}`, `return '10' + '20'`, `return 'a' + 1`, `return -'3'`, `return 10 / 0`, `return -10 / 0 < 0`,
	`return {math.floor(3.7), math.ceil(3.2), math.floor(-3.5), math.abs(-4), math.max(1, 5, 3), math.min(4, 2, 8), math.fmod(7, 3), math.fmod(-7, 3)}`,
	`return {math.modf(3.7)}`, `return {math.modf(-3.7)}`, `return {math.frexp(8)}`, `return math.ldexp(1, 10)`, `return math.sqrt(16)`,
	`return math.pow(2, 10)`, `return math.huge > 1e308`, `return tostring(math.pi)`, `return math.max('10', 9)`, `return math.floor('2.5')`,
	`return {math.deg(math.pi), math.rad(180) == math.pi}`, `return math.sin(1)`, `return math.random()`,
	`math.randomseed(42) return {math.random(100), math.random(100), math.random(1, 6), math.random(-5, 5)}`,
	`math.randomseed(7) local t = {} for i = 1, 5 do t[i] = math.random(1000) end return t`, `math.randomseed(1) return tostring(math.random())`,
	`math.randomseed(1) return math.random(0)`, `math.randomseed(1) return math.random(1, 2, 3)`,
	// Base library.
	`return {select('#'), select('#', 1, nil, 3), select(2, 'a', 'b', 'c'), select(-1, 'a', 'b')}`, `return select(0, 'a')`,
	`return {type(1), type('s'), type({}), type(nil), type(true), type(print == nil), type(redis.call), type(cjson.null)}`,
	`return {unpack({1, 2, 3})}`, `return {unpack({1, 2, 3}, 2)}`, `return {unpack({1, 2, 3}, 2, 5)}`, `return select('#', unpack({}, 1, 3))`,
	`return rawequal('a', 'a')`, `return rawequal({}, {})`, `local t = setmetatable({}, {__index=function(t, k) return k .. '!' end}) return {t.x, rawget(t, 'x')}`,
	`local t = setmetatable({}, {__tostring=function() return 'T!' end}) return tostring(t)`, `return tostring({})`, `return tostring(print)`,
	`local mt = {__add=function(a, b) return 42 end} local t = setmetatable({}, mt) return t + 1`,
	`local mt = {__concat=function(a, b) return 'cat' end} local t = setmetatable({}, mt) return 'x' .. t`,
	`local mt = {__eq=function() return true end} return setmetatable({}, mt) == setmetatable({}, mt)`,
	`local mt = {__lt=function() return true end} return setmetatable({}, mt) < setmetatable({}, mt)`,
	`local mt = {__unm=function() return 'neg' end} return -setmetatable({}, mt)`, `local mt = {__len=function() return 9 end} return #setmetatable({1}, mt)`,
	`return getmetatable('x') ~= nil`, `local mt = getmetatable('') mt.x = 1 return 1`, `return getmetatable('').__index == string`,
	`return rawequal(getmetatable('').__index, string)`, `return type(newproxy)`, `return type(getfenv)`, `return type(setfenv)`,
	"local o = {} for k, v in pairs(_G) do o[#o+1] = k .. ':' .. type(v) end table.sort(o) return table.concat(o, ' ')",
	"local o = {} for _, lib in ipairs({'string', 'table', 'math', 'bit', 'struct', 'cjson', 'cmsgpack', 'redis', 'coroutine'}) do local n = {} for k in pairs(_G[lib]) do n[#n+1] = k end table.sort(n) o[#o+1] = table.concat(n, ',') end return o",
	`return {unpack({}, 1, 7990)}`, `return select('#', unpack({}, 1, 7999))`, `return {unpack({}, 1, 1e8)}`, `return getmetatable({})`, `return getmetatable(setmetatable({}, {__metatable='locked'}))`,
	`setmetatable(setmetatable({}, {__metatable='locked'}), {})`, `return collectgarbage()`, `return collectgarbage('count')`,
	`local t = {} for i = 1, 5 do t[#t + 1] = i * i end return t`, `local t = {10, 20, 30} local s = 0 for i, v in ipairs(t) do s = s + i * v end return s`,
	`local t = {1, 2, nil, 4} local n = 0 for _ in ipairs(t) do n = n + 1 end return n`, `local n = 0 for k, v in pairs({1, 2, 3}) do n = n + k * v end return n`,
	`local t = {x=1} for k, v in pairs(t) do return {k, v} end`, `local t = {x=1, y=2} local n = 0 for k in pairs(t) do n = n + 1 end return n`,
	`local t = {} t[1] = 'a' t[3] = 'c' return #t`, `return #{1, 2, nil}`, `return #{n=1}`, `local s = 0 for i = '1', '3' do s = s + i end return s`,
	`for i = 1, 'x' do end`, `local s = 0 for i = 10, 1, -3 do s = s + i end return s`, `local t = {} for i = 1, 3 do t[i] = function() return i end end return t[2]()`,
	`local co = coroutine.create(function() end) return 1`, `return loadstring('return 1')()`, `return next({})`, `return next({7})`,
	// Tables.
	`local t = {1, 2, 3} table.insert(t, 4) table.insert(t, 1, 0) return t`, `local t = {1, 2, 3} return {table.remove(t), table.remove(t, 1), t[1], #t}`,
	`local t = {} return {table.remove(t)}`, `local t = {1, 2} table.insert(t, 5, 'x') return {#t, t[5]}`, `table.insert({}, 1, 2, 3)`,
	`return table.concat({1, 2, 3}, ', ')`, `return table.concat({'a', 'b', 'c'}, '-', 2, 3)`, `return table.concat({})`, `return table.concat({1, {}, 3})`,
	`return table.concat({1.5, 2, 1e15})`, `return {table.getn({1, 2}), table.maxn({1, 2, [10]=3})}`, `return table.setn({}, 1)`,
	`local t = {5, 2, 8, 1, 9, 3} table.sort(t) return t`, `local t = {'b', 'a', 'C', 'B'} table.sort(t) return t`,
	`local t = {5, 2, 8, 1} table.sort(t, function(a, b) return a > b end) return t`, `local t = {3, 1, 'x'} table.sort(t)`,
	`local t = {} for i = 1, 50 do t[i] = (i * 37) % 23 end table.sort(t) return t`,
	`local t = {} for i = 1, 30 do t[i] = {k=(i * 7) % 5, i=i} end table.sort(t, function(a, b) return a.k < b.k end) local o = {} for i = 1, 30 do o[i] = t[i].i end return o`,
	`local t = {3, 1, 2} table.sort(t, function(a, b) return true end) return t`, `local n = 0 table.foreachi({4, 5}, function(i, v) n = n + i * v end) return n`,
	// cjson.
	`return cjson.encode({1, 2, 3})`, `return cjson.encode({})`, `return cjson.encode({a=1})`, `return cjson.encode('a"b\\c/d\n\r\t\1\127é')`,
	`return cjson.encode({1.5, 0.1, 1/3, 1e20, -0.0, 123456789012345, 1e-5, 3})`, `return cjson.encode(cjson.null)`, `return cjson.encode({cjson.null, true, false})`,
	`return cjson.encode({[1]='a', [2]='b', [4]='d'})`, `return cjson.encode({[1]='a', [20]='b'})`, `return cjson.encode({[0]='a'})`, `return cjson.encode({[1.5]='a'})`,
	`return cjson.encode(1/0)`, `return cjson.encode(print)`, `return cjson.encode({[true]=1})`, `return cjson.encode({{{}}})`, `return cjson.encode(nil)`,
	`local t = {} local c = t for i = 1, 1100 do c[1] = {} c = c[1] end return cjson.encode(t)`, `return cjson.encode()`,
	`return cjson.decode('[1,2,3]')`, `return cjson.decode('{"a":1}').a`, `return cjson.decode('"str\\u00e9\\n\\/"')`, `return cjson.decode('"\\ud83d\\ude00"')`,
	`return cjson.decode('12.5e1')`, `return cjson.decode('-0x1F')`, `return cjson.decode('  [ true , false , null ] ')[3] == cjson.null`,
	`return cjson.decode('[1,2')`, `return cjson.decode('{"a" 1}')`, `return cjson.decode('[1,]')`, `return cjson.decode('nul')`, `return cjson.decode('')`,
	`return cjson.decode('"\\q"')`, `return cjson.decode('"\\ud800"')`, `return cjson.decode('[1] x')`, `return cjson.decode('01')`, `return cjson.decode('+1')`,
	`return cjson.decode('Infinity') == math.huge`, `return cjson.decode('{"a":[{"b":{}}]}').a[1].b ~= nil`, `return cjson.decode(123)`,
	`return cjson.decode('{1:2}')`, `return cjson.decode('"abc')`, `return cjson.decode(string.rep('[', 1001))`, `return cjson.decode('[1e400]')[1] == math.huge`,
	`return cjson.encode(cjson.decode('{"b":1,"a":2,"c":3,"zz":[1,2],"k":{"x":1,"y":2}}'))`,
	`local out = {} for k, v in pairs(cjson.decode('{"b":1,"a":2,"c":3,"d":4,"e":5}')) do out[#out+1] = k end return out`,
	`local t = cjson.decode('{"b":1,"a":2}') t.c = 3 return cjson.encode(t)`, `local t = cjson.decode('{"b":1,"a":2}') t.a = 9 return cjson.encode(t)`,
	`local t = cjson.decode('{"b":1,"a":2,"c":3}') t.a = nil return cjson.encode(t)`, `return #cjson.decode('[1,2,3,null]')`,
	`return cjson.encode({a=1, b=2})`,
	// cmsgpack.
	`return cmsgpack.pack(1, -1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649)`,
	`return cmsgpack.pack(1.5, 0.1, 1e300, -0.0, 1/0, 2^63, -2^63)`, `return cmsgpack.pack('', 'abc', string.rep('x', 31), string.rep('x', 32), string.rep('x', 300), string.rep('x', 70000))`,
	`return cmsgpack.pack({1, 2, 3}, {}, {a=1}, {[1]=1, [3]=3}, true, false, nil, print)`, `return cmsgpack.pack()`,
	`local t = {} local c = t for i = 1, 20 do c[1] = {} c = c[1] end return cmsgpack.pack(t)`,
	`return {cmsgpack.unpack(cmsgpack.pack(1, 'two', {3, 4}, true))}`, `return cmsgpack.unpack('\193')`, `return cmsgpack.unpack('\205\1')`,
	`return {cmsgpack.unpack('')}`, `return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}`, `return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 1)}`,
	`return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}`, `return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2, 2)}`, `return cmsgpack.unpack_one('x', -1)`,
	`return cmsgpack.unpack_one('x', 5)`, `return {cmsgpack.unpack('\202\64\32\0\0', '\203\64\9\33\251\84\68\45\24')}`,
	`return {cmsgpack.unpack('\204\200\208\200\205\1\0\209\128\0\206\1\0\0\0\210\128\0\0\0\207\0\0\0\1\0\0\0\0\211\255\255\255\255\255\255\255\255')}`,
	`return {cmsgpack.unpack('\217\3abc\218\0\2ab\219\0\0\0\1a\161z\220\0\1\1\221\0\0\0\1\2\222\0\1\161k\1\145\3\129\161m\2')}`,
	`return cmsgpack.unpack('\196\1a')`, `return cmsgpack.unpack('\129\192\1')`, `return #cmsgpack.unpack('\148\1\192\192\4')`,
	`return #cmsgpack.unpack('\150\1\192\192\192\192\6')`, `return #cmsgpack.unpack('\147\1\192\3')`,
	`local out = {} for k, v in pairs(cmsgpack.unpack(cmsgpack.pack({b=1, a=2, c=3, [1]=4, [5]=5}))) do out[#out+1] = tostring(k) end return out`,
	`return cmsgpack.pack(cmsgpack.unpack(cmsgpack.pack({x=1, y=2, z={1, 2}})))`, `return cmsgpack.pack({a=1, b=2})`,
	`return cjson.encode(cmsgpack.unpack('\131\161b\1\161a\2\161c\3'))`,
	// bit.
	`return {bit.band(0xff, 0x0f), bit.bor(1, 2, 4), bit.bxor(5, 3), bit.bnot(0), bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-256, 4)}`,
	`return {bit.rol(0x12345678, 8), bit.ror(0x12345678, 8), bit.bswap(0x12345678), bit.tobit(2^32 + 5), bit.tobit(-1), bit.tobit(1.5), bit.tobit(2.5)}`,
	`return {bit.tohex(255), bit.tohex(255, 2), bit.tohex(255, -4), bit.tohex(-1), bit.tohex(1, 20)}`, `return bit.band('12', 10)`, `return bit.band(nil)`,
	`return bit.lshift(1, 40)`, `return {bit.band(), 1}`,
	// struct.
	`return struct.pack('>I2', 258)`, `return struct.pack('<i4>i4', -2, -2)`, `return struct.pack('bBhHlL', -1, 255, -1, 65535, -1, 1)`,
	`return struct.pack('d', 1.5) .. struct.pack('f', 1.5)`, `return struct.pack('s', 'abc')`, `return struct.pack('c3', 'abcdef')`, `return struct.pack('c0', 'xyz')`,
	`return struct.pack('!4 b i', 1, 2)`, `return struct.pack('x b', 7)`, `return {struct.unpack('>I2', '\1\2')}`, `return {struct.unpack('<i2', '\255\255')}`,
	`return {struct.unpack('s', 'ab\0cd')}`, `return {struct.unpack('c2c1', 'abc')}`, `return {struct.unpack('b c0', '\3abcd')}`, `return {struct.unpack('>d', struct.pack('>d', 1.25))}`,
	`return {struct.unpack('I4', 'ab')}`, `return struct.size('i4 h !8 d')`, `return struct.size('s')`, `return struct.pack('z', 1)`, `return struct.pack('i40', 1)`,
	`return {struct.unpack('B', 'xyz', 2)}`, `return struct.pack('!3 i', 1)`,
	// redis.*.
	`return redis.sha1hex('')`, `return redis.sha1hex('abc')`, `return redis.sha1hex(42)`, `return redis.sha1hex()`, `return redis.sha1hex('a', 'b')`,
	`redis.log(redis.LOG_WARNING, 'hello') return 1`, `redis.log(1)`, `redis.log('x', 'y')`, `redis.log(9, 'y')`, `return redis.log(redis.LOG_DEBUG, 'a', {}, 1)`,
	`redis.setresp(2) return redis.call('HGETALL', KEYS[3])`, `redis.setresp(4)`, `redis.setresp()`, `redis.setresp(3) return 1`,
	`redis.set_repl(redis.REPL_ALL) return 1`, `redis.set_repl(8)`, `redis.set_repl()`, `return redis.replicate_commands()`, `return redis.breakpoint()`,
	`return redis.debug('x')`, `return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM, redis.LOG_NOTICE, redis.REPL_SLAVE}`,
	`return redis.acl_check_cmd('GET', 'x')`, `return redis.acl_check_cmd('NOSUCH')`, `return redis.acl_check_cmd()`, `return redis.acl_check_cmd('CLIENT', 'nosuch')`,
	`return redis.call('INCR', KEYS[2]) + redis.call('INCR', KEYS[2])`, `local v = redis.call('GET', KEYS[1]) return v .. '!'`,
	// Shebangs and read-only scripts.
	"#!lua flags=no-writes\nreturn redis.call('SET', 'x', 'y')", "#!lua flags=no-writes\nreturn redis.call('GET', KEYS[1])", "#!lua\nreturn 1",
	"#!lua flags=no-writes,allow-oom\nreturn 2", "#!lua flags=\nreturn 3", "#!lua flags=allow-stale,no-cluster,allow-cross-slot-keys\nreturn 4",
	"#!python\nreturn 1", "#!lua flags=bogus\nreturn 1", "#!lua name=x\nreturn 1", "#!lua", "#!lua flags=no-writes,,x\nreturn 1", "#!\"lua\nreturn 1",
	"#!lua flags=no-writes\nerror('e')", "#!lua flags=no-writes\nreturn redis.call('PUBLISH', 'c', 'm')",
	// Syntax errors and constructs Lua 5.1 lacks.
	`return (`, `return 1 +`, `goto x`, `local x <const> = 1`, `return 0x1p4`, `return '\x41'`, `return "\65\066\0677"`, `return [[a]] .. [==[b]==]`,
	`return 010`, `return 1e2`, `return .5`, `return 0xA`, `return [[a [[b]] c]]`, `return [==[a [[b]] c]==]`, `--[[ x [[ y ]]
return 1`, `return '\256'`, `return '\255\0012'`,
	// Syntax gopher-lua and Lua 5.1 may judge differently.
	`;`, `return;`, `local x = 1;; return x`, `while true do break local x = 1 end return 1`, `local x = 1 break`,
	`if true then break end`, `do break end`, `for i=1,2 do break end return 1`, `return 1;`, `local t = {1,2,;}`,
	`local t = {1,,2}`, `local function f(a,) end`, `local a.b = 1`, `return ...`, `return select('#', ...)`,
	"local f = print\n(f)()", "local x = 1\n(function() end)()", "local t = {}\n(t)()", "return tostring\n(1)",
	"local function f\n(a) return a end return f(1)", "local s = 'x'\n(function() end)()", "x = 1 --[[c]] (y)()",
	// Error positions in scripts over several lines.
	"local k = KEYS[3]\nlocal x = redis\n  .call('INCR', k)\nreturn x",
	"local r = redis.call(\n  'INCR',\n  KEYS[3])\nreturn r",
	"local function f(a,\n  b)\n  return redis.call('INCR', a)\nend\nreturn f(KEYS[3],\n 1)",
	"local t = {\n  redis.call('INCR', KEYS[3])\n}\nreturn t",
	"local x = 1 +\n  redis.call('INCR', KEYS[3])",
	"if redis.call('EXISTS', KEYS[3]) == 1 then\n  error(\n    'multi')\nend",
	"local ok, e = pcall(function()\n  redis.call('INCR', KEYS[3])\nend)\nerror(e)",
	"local ok, e = pcall(redis.call, 'INCR', KEYS[3])\n\n\nerror(e, 0)",
	"for i = 1, 3 do\n  if i == 2 then\n    redis.call('INCR', KEYS[3])\n  end\nend",
	"local t = setmetatable({}, {__index = function(t, k)\n  return redis.call('INCR', KEYS[3])\nend})\nreturn t.x",
	"return redis.call('INCR',\nKEYS[3]) .. 'x'",
	"local s = 'a' ..\n  redis.call('INCR', KEYS[3])",
	"local s = tostring(\n  redis.call('INCR', KEYS[3]))",
	"local v = cjson.decode(\n'{bad')",
	"assert(\n  false,\n  'm')",
	"local t = {}\nt[\nnil] = 1",
	"return string.rep('x', -1) ..\n  string.format('%d', 'x')",
	// Long and varied.
	"local total = 0\nfor i = 1, 1000 do\n  total = total + i % 7\nend\nreturn total",
	"local s = ''\nfor i = 1, 100 do s = s .. i .. ',' end\nreturn s",
	"local keys = redis.call('KEYS', '*')\ntable.sort(keys)\nreturn keys",
	"local t = {}\nfor i = 1, 10 do t[#t+1] = redis.call('INCR', KEYS[2]) end\nreturn t",
}

// TestScriptingLive runs every script of scriptCorpus (and read-only and
// cached variants, SCRIPT LOAD, EXISTS and FLUSH, EVALSHA) against a real
// server and requires the model to agree with every reply it claims to
// know.
func TestScriptingLive(t *testing.T) {
	srv := redistest.Start(t)
	st := newScriptingStats()
	setup := [][]string{{"FLUSHALL"}, {"SET", "k", "v"}, {"SET", "n", "10"}, {"HSET", "h", "a", "1", "b", "2"},
		{"RPUSH", "l", "a", "b", "c"}, {"SADD", "s", "x"}}
	keysArgs := []string{"5", "k", "n", "h", "l", "s", "a1", "2", "x y"}
	var lines [][]string
	lines = append(lines, setup...)
	for _, src := range scriptCorpus {
		lines = append(lines, append([]string{"EVAL", src}, keysArgs...))
	}
	lines = append(lines, setup...)
	for _, src := range scriptCorpus {
		lines = append(lines, append([]string{"EVAL_RO", src}, keysArgs...))
	}
	// Constructors of many fields.
	var items, fields []string
	for i := 1; i <= 130; i++ {
		items = append(items, strconv.Itoa(i))
		fields = append(fields, fmt.Sprintf("k%d = %d", i, i))
	}
	for _, src := range []string{
		"local t = {" + strings.Join(items, ", ") + "} return {#t, t[1], t[130]}",
		"local t = {" + strings.Join(fields, ", ") + "} local n = 0 for k in pairs(t) do n = n + 1 end return {n, cjson.encode(t)}",
		"local t = {" + strings.Join(append(append([]string(nil), fields[:60]...), items...), ", ") + ", unpack({1, 2, 3})} local o = {} for k in pairs(t) do o[#o+1] = tostring(k) end return {#t, table.concat(o, ',')}",
		"return {unpack({})}", "local t = {1, 2, unpack({})} return #t", "local t = {f = 1, unpack({1, 2})} return #t",
	} {
		lines = append(lines, append([]string{"EVAL", src}, keysArgs...))
	}
	// Bodies the model cannot compile, cached by Redis or not.
	for _, src := range []string{"return 0x1p4", "return (", `return '\256'`} {
		lines = append(lines, []string{"SCRIPT", "LOAD", src}, []string{"EVALSHA", sha1Hex(src), "0"},
			[]string{"SCRIPT", "EXISTS", sha1Hex(src)}, []string{"EVAL", src, "0"}, []string{"SCRIPT", "EXISTS", sha1Hex(src)})
	}
	lines = append(lines, []string{"SCRIPT", "FLUSH"}, []string{"EVALSHA", sha1Hex("return 0x1p4"), "0"},
		[]string{"SCRIPT", "EXISTS", sha1Hex("return 0x1p4")})
	scripts.run(t, srv, cmdsOf(0, lines...), st, false)
	t.Logf("corpus of %d scripts:\n%s", len(scriptCorpus), st.verdicts.table())
}

// luaTableScript makes a random script that builds a table (constructors,
// field writes, deletions, table.insert/remove, rawset, cjson.decode,
// cmsgpack.unpack) and returns what depends on Lua 5.1's layout of it:
// the order pairs() walks it, its length, cjson.encode and cmsgpack.pack.
func luaTableScript(r *rand.Rand) string {
	keys := []string{"'a'", "'b'", "'c'", "'d'", "'e'", "'f'", "'g'", "'h'", "'name'", "'data'", "'opts'", "'x1'",
		"'a_key_of_more_than_thirty_two_bytes_1'", "'a_key_of_more_than_thirty_two_bytes_2'", "'" + strings.Repeat("long", 20) + "'",
		"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "16", "17", "0", "-1", "1.5", "true", "false", "1e300"}
	vals := []string{"1", "'v'", "nil", "true", "2.5", "{}"}
	key := func() string { return keys[r.IntN(len(keys))] }
	val := func() string { return vals[r.IntN(len(vals))] }
	var b strings.Builder
	switch r.IntN(4) {
	case 0:
		b.WriteString("local t = {}\n")
	case 1:
		b.WriteString("local t = {")
		n := r.IntN(8)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			switch r.IntN(3) {
			case 0:
				b.WriteString(val())
			case 1:
				b.WriteString("[" + key() + "] = " + val())
			default:
				b.WriteString(string(rune('a'+r.IntN(8))) + " = " + val())
			}
		}
		b.WriteString("}\n")
	case 2:
		var parts []string
		for i := r.IntN(7); i > 0; i-- {
			parts = append(parts, fmt.Sprintf(`"%c%d%s":%d`, 'a'+r.IntN(8), r.IntN(3), strings.Repeat("_long", r.IntN(3)*4), r.IntN(9)))
		}
		fmt.Fprintf(&b, "local t = cjson.decode('{%s}')\n", strings.Join(parts, ","))
	default:
		fmt.Fprintf(&b, "local t = cmsgpack.unpack(cmsgpack.pack({")
		for i := r.IntN(6); i > 0; i-- {
			fmt.Fprintf(&b, "%s, ", val())
		}
		b.WriteString("}))\n")
	}
	for i := r.IntN(12); i > 0; i-- {
		switch r.IntN(9) {
		case 0, 1, 2:
			fmt.Fprintf(&b, "t[%s] = %s\n", key(), val())
		case 3:
			fmt.Fprintf(&b, "t.%c = %s\n", 'a'+r.IntN(8), val())
		case 4:
			fmt.Fprintf(&b, "table.insert(t, %s)\n", val())
		case 5:
			fmt.Fprintf(&b, "pcall(table.insert, t, %d, %s)\n", 1+r.IntN(4), val())
		case 6:
			fmt.Fprintf(&b, "table.remove(t%s)\n", []string{"", ", 1", ", 2"}[r.IntN(3)])
		case 7:
			fmt.Fprintf(&b, "rawset(t, %s, %s)\n", key(), val())
		default:
			fmt.Fprintf(&b, "t[%s], t[%s] = %s, %s\n", key(), key(), val(), val())
		}
	}
	b.WriteString(`local out = {}
for k, v in pairs(t) do out[#out + 1] = tostring(k) .. '=' .. type(v) end
local ok1, j = pcall(cjson.encode, t)
local ok2, m = pcall(cmsgpack.pack, t)
return {table.concat(out, ' '), #t, tostring(ok1) .. ':' .. tostring(j), tostring(ok2) .. ':' .. tostring(m)}`)
	return b.String()
}

// TestScriptingLiveTables checks the model's Lua 5.1 table layouts on
// thousands of random tables: the order pairs() walks them, their length,
// cjson.encode and cmsgpack.pack must be Redis's.
func TestScriptingLiveTables(t *testing.T) {
	n := scaled(3000, 500)
	st := scripts.runRandom(t, 11, n, nil, func(r *rand.Rand) [][]string {
		return [][]string{{"EVAL", luaTableScript(r), "0"}}
	})
	st.logVerdicts(t, "%d random tables", n)
}

// liveRand is the random source of stream of the random scripting and
// functions tests, seeded with WAT_SCRIPTING_SEED when set (to explore),
// else a fixed seed.
func liveRand(stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(envSeed("WAT_SCRIPTING_SEED", 7)), stream))
}

// liveScripts are the scripts of the random workload: small programs over
// KEYS and ARGV from tiny domains, mixing commands, Lua logic and errors.
var liveScripts = []struct {
	src   string
	nkeys int
}{
	{`return redis.call('GET', KEYS[1])`, 1},
	{`return redis.call('SET', KEYS[1], ARGV[1])`, 1},
	{`return redis.call('INCRBY', KEYS[1], ARGV[1])`, 1},
	{`return redis.pcall('INCRBY', KEYS[1], ARGV[1])`, 1},
	{`local v = redis.call('GET', KEYS[1]) if v then return redis.call('APPEND', KEYS[2], v) end return false`, 2},
	{`local n = redis.call('INCR', KEYS[1]) if n % 2 == 0 then redis.call('DEL', KEYS[2]) end return {n, redis.call('EXISTS', KEYS[2])}`, 2},
	{`redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return redis.call('HGETALL', KEYS[1])`, 1},
	{`return redis.call('HINCRBY', KEYS[1], 'f', ARGV[1])`, 1},
	{`redis.call('RPUSH', KEYS[1], ARGV[1], ARGV[2]) return redis.call('LRANGE', KEYS[1], 0, -1)`, 1},
	{`local x = redis.call('LPOP', KEYS[1]) if not x then return 'empty' end return x`, 1},
	{`return redis.call('SADD', KEYS[1], ARGV[1])`, 1},
	{`return {redis.call('TYPE', KEYS[1]).ok, redis.call('TYPE', KEYS[2]).ok}`, 2},
	{`return redis.call('MGET', KEYS[1], KEYS[2])`, 2},
	{`local ok, err = pcall(redis.call, 'INCR', KEYS[1]) if ok then return err end return 'ERR: ' .. err`, 1},
	{`local t = {} for i, k in ipairs(KEYS) do t[#t+1] = redis.call('EXISTS', k) end return t`, 2},
	{`local s = 0 for _, v in ipairs(redis.call('MGET', KEYS[1], KEYS[2])) do s = s + (tonumber(v) or 0) end return s`, 2},
	{`return cjson.encode({key=KEYS[1], val=redis.call('GET', KEYS[1]) or cjson.null})`, 1},
	{`local d = cjson.decode(ARGV[1]) redis.call('SET', KEYS[1], d.v) return cjson.encode(d)`, 1},
	{`local m = cmsgpack.unpack(ARGV[1]) return {m[1], m[2], #m}`, 0},
	{`redis.call('SET', KEYS[1], cmsgpack.pack({ARGV[1], tonumber(ARGV[2])})) return redis.call('STRLEN', KEYS[1])`, 1},
	{`return string.format('%s=%s', KEYS[1], tostring(redis.call('GET', KEYS[1])))`, 1},
	{`redis.call('SELECT', ARGV[1]) redis.call('SET', KEYS[1], 'db' .. ARGV[1]) return redis.call('GET', KEYS[1])`, 1},
	{`redis.call('EXPIRE', KEYS[1], 100) return redis.call('TTL', KEYS[1])`, 1},
	{`error('fail ' .. ARGV[1])`, 0},
	{`return redis.error_reply('E ' .. ARGV[1])`, 0},
	{`return redis.status_reply(ARGV[1])`, 0},
	{`return tonumber(ARGV[1]) * 2`, 0},
	{`return #KEYS + #ARGV`, 2},
	{`local t = {} for k, v in pairs({a=ARGV[1], b=ARGV[2], [1]=KEYS[1]}) do t[#t+1] = k end return t`, 1},
	{"#!lua flags=no-writes\nreturn redis.call('GET', KEYS[1])", 1},
	{"#!lua flags=no-writes\nreturn redis.call('SET', KEYS[1], 'x')", 1},
	{"#!lua\nreturn redis.call('SET', KEYS[1], 'x')", 1},
	{`return redis.call('HGET', KEYS[1], ARGV[1])`, 1},
	{`local r = redis.call('SET', KEYS[1], ARGV[1], 'NX') if r then return 'set' end return 'kept'`, 1},
	{`return redis.call('GETDEL', KEYS[1])`, 1},
	{`local v = redis.call('INCRBYFLOAT', KEYS[1], ARGV[1]) return v`, 1},
}

// scriptingWorkload makes n random commands over two connections: the
// live scripts (EVAL, EVAL_RO, EVALSHA of loaded or unknown scripts, in
// upper and lower case, with bad key counts), SCRIPT LOAD, EXISTS and
// FLUSH, plain commands on the same keys, and transactions holding
// scripts.
func scriptingWorkload(r *rand.Rand, n int) []redistest.Cmd {
	keys := []string{"a", "b", "c"}
	vals := []string{"1", "x", "", "10", "-5", "3.5", "{\"v\":\"j\"}", "\x91\x01", "0", "2"}
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	var out []redistest.Cmd
	emit := func(conn int, args ...string) {
		out = append(out, redistest.Cmd{Conn: conn, Args: redistest.Args(args...)})
	}
	script := func(conn int) {
		s := liveScripts[r.IntN(len(liveScripts))]
		numkeys := strconv.Itoa(s.nkeys)
		switch r.IntN(20) {
		case 0:
			numkeys = "x"
		case 1:
			numkeys = "-1"
		case 2:
			numkeys = "9"
		}
		args := []string{numkeys}
		for i := 0; i < s.nkeys; i++ {
			args = append(args, pick(keys))
		}
		args = append(args, pick(vals), pick(vals))
		switch r.IntN(8) {
		case 0:
			sha := sha1Hex(s.src)
			if r.IntN(2) == 0 {
				sha = strings.ToUpper(sha)
			}
			emit(conn, append([]string{"EVALSHA", sha}, args...)...)
		case 1:
			emit(conn, append([]string{"EVALSHA_RO", sha1Hex(s.src)}, args...)...)
		case 2:
			emit(conn, append([]string{"EVAL_RO", s.src}, args...)...)
		case 3:
			emit(conn, append([]string{"evalsha", "0123456789012345678901234567890123456789"}, args...)...)
		default:
			emit(conn, append([]string{"EVAL", s.src}, args...)...)
		}
	}
	for len(out) < n {
		conn := r.IntN(2)
		switch r.IntN(14) {
		case 0:
			emit(conn, "SCRIPT", "LOAD", liveScripts[r.IntN(len(liveScripts))].src)
		case 1:
			emit(conn, "SCRIPT", "EXISTS", sha1Hex(liveScripts[r.IntN(len(liveScripts))].src), "nope")
		case 2:
			if r.IntN(4) == 0 {
				emit(conn, "SCRIPT", "FLUSH", pick([]string{"ASYNC", "SYNC", "sync", "bogus"}))
			}
		case 3:
			emit(conn, "SET", pick(keys), pick(vals))
		case 4:
			emit(conn, "HSET", pick(keys), pick(vals), pick(vals))
		case 5:
			emit(conn, "DEL", pick(keys))
		case 6:
			emit(conn, "MULTI")
			script(conn)
			emit(conn, "INCR", pick(keys))
			script(conn)
			emit(conn, "EXEC")
		case 7:
			emit(conn, "SELECT", pick([]string{"0", "1"}))
		case 8:
			emit(conn, "EVALSHA", "short", "0")
		default:
			script(conn)
		}
	}
	return out
}

func sha1Hex(s string) string {
	h := sha1.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// TestScriptingLiveWorkload runs a long random workload of scripts on two
// connections, then many short sessions each from an empty server, and
// requires every script reply the model claims to know to be Redis's, and
// every such script's commands to be the [lua] lines after it.
func TestScriptingLiveWorkload(t *testing.T) {
	srv := redistest.Start(t)
	admin, err := srv.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	st := newScriptingStats()
	n, sessions := scaled(3000, 600), scaled(40, 10)
	r := liveRand(3)
	scripts.run(t, srv, scriptingWorkload(r, n), st, false)
	for i := 0; i < sessions; i++ {
		for _, c := range []string{"FLUSHALL", "SCRIPT FLUSH"} {
			if _, err := admin.DoStrings(strings.Fields(c)...); err != nil {
				t.Fatal(err)
			}
		}
		scripts.run(t, srv, scriptingWorkload(r, 25), st, false)
	}
	if st.compared < n*2/3 {
		t.Errorf("compared %d replies, want at least %d", st.compared, n*2/3)
	}
	st.logVerdicts(t, "%d replies compared, %d scripts' commands checked against their [lua] lines (%d differ)",
		st.compared, st.callsChecked, st.callMismatch)
}

// lineScripts are scripts that fail at a place whose line Redis reports;
// TestScriptingLiveLines spreads their tokens over lines at random.
var lineScripts = []string{
	`local k = KEYS [ 3 ] local x = redis . call ( 'INCR' , k ) return x`,
	`local r = redis . call ( 'SET' , KEYS [ 1 ] , 'v' ) return redis . call ( 'LPUSH' , KEYS [ 1 ] , 'x' )`,
	`local function f ( a , b ) return redis . call ( 'INCR' , a ) end return f ( KEYS [ 3 ] , 1 )`,
	`local rcall = redis . call local t = { rcall ( 'GET' , KEYS [ 1 ] ) , rcall ( 'HGET' , KEYS [ 1 ] , 'f' ) } return t`,
	`if redis . call ( 'EXISTS' , KEYS [ 3 ] ) == 1 then error ( 'multi' ) end`,
	`local ok , e = pcall ( redis . call , 'INCR' , KEYS [ 3 ] ) error ( e , 0 )`,
	`for i = 1 , 3 do if i == 2 then redis . call ( 'INCR' , KEYS [ 3 ] ) end end`,
	`local s = 'a' .. redis . call ( 'INCR' , KEYS [ 3 ] )`,
	`local v = cjson . decode ( '{bad' )`,
	`assert ( false , 'm' )`,
	`local t = { } t [ nil ] = 1`,
	`local t = { } t . a = 1 t [ 1 ] = 2 string . x = t`,
	`x = 1`,
	`local y = 1 + z`,
	`local t = setmetatable ( { } , { __index = function ( t , k ) return redis . call ( 'INCR' , KEYS [ 3 ] ) end } ) return t . x`,
	`local t = { a = 1 , [ KEYS [ 1 ] ] = redis . call ( 'INCR' , KEYS [ 3 ] ) }`,
	`return redis . call ( 'GET' , KEYS [ 1 ] ) .. redis . pcall ( 'INCR' , KEYS [ 3 ] ) . err`,
	`local m = cmsgpack . unpack ( '\193' )`,
	`table . insert ( string , 1 )`,
	`error ( { err = 'E' .. 'X' } )`,
	`local a , b = 1 , redis . call ( 'HSET' , KEYS [ 1 ] , 'f' , 'v' )`,
	`return ( { } ) . x . y`,
	`local f = function ( ) return redis . call ( 'INCR' , KEYS [ 3 ] ) end return f ( )`,
	`string . f = function ( ) return 1 end`,
	`local t = { } function t . f ( ) redis . call ( 'INCR' , KEYS [ 3 ] ) end t . f ( )`,
	`local t = { } function t : m ( ) error ( 'method' ) end t : m ( )`,
}

// TestScriptingLiveLines runs lineScripts with their tokens spread over
// lines at random: every error's line must be Redis's, or labelled.
func TestScriptingLiveLines(t *testing.T) {
	setup := [][]string{{"SET", "k", "v"}, {"HSET", "h", "f", "1"}}
	n := scaled(1500, 300)
	st := scripts.runRandom(t, 5, n, setup, func(r *rand.Rand) [][]string {
		toks := strings.Fields(lineScripts[r.IntN(len(lineScripts))])
		var b strings.Builder
		for j, tok := range toks {
			if j > 0 {
				k := r.IntN(4)
				if tok == "(" && r.IntN(8) > 0 {
					// Mostly keep a call's "(" on its line (Lua refuses
					// it on the next).
					k = 2
				}
				switch k {
				case 0:
					b.WriteString("\n")
				case 1:
					b.WriteString(" --c\n ")
				default:
					b.WriteString(" ")
				}
			}
			b.WriteString(tok)
		}
		return [][]string{{"EVAL", b.String(), "3", "k", "n", "h"}}
	})
	st.logVerdicts(t, "%d scripts spread over lines", n)
}

// Libraries of the live tests, modelled on real uses of Redis functions:
// rate limiters, a job queue moving ids between lists with a hash of
// payloads, a sorted set of deadlines and a stream of events, profiles
// read with the table form of register_function and its flags, a
// library that keeps state between calls (which the model must label),
// and functions failing in the ways Redis reports.
var liveLibraries = map[string]string{
	"ratelimit": `#!lua name=ratelimit
local function fixed_window(keys, args)
  local limit = tonumber(args[1]) or 3
  local window = tonumber(args[2]) or 60
  local current = redis.call('INCR', keys[1])
  if current == 1 then
    redis.call('EXPIRE', keys[1], window)
  end
  if current > limit then
    return {0, current}
  end
  return {1, current}
end

local function sliding_window(keys, args)
  local now = tonumber(args[1]) or 0
  local window = tonumber(args[2]) or 10
  local limit = 3
  redis.call('ZREMRANGEBYSCORE', keys[1], '-inf', now - window)
  local count = redis.call('ZCARD', keys[1])
  if count < limit then
    redis.call('ZADD', keys[1], now, args[1] .. ':' .. count)
    return 1
  end
  return 0
end

local function token_bucket(keys, args)
  local capacity = 5
  local rate = 0.5
  local now = tonumber(args[1]) or 0
  local state = redis.call('HMGET', keys[1], 'tokens', 'ts')
  local tokens = tonumber(state[1]) or capacity
  local ts = tonumber(state[2]) or now
  local delta = math.max(0, now - ts)
  tokens = math.min(capacity, tokens + delta * rate)
  local allowed = tokens >= 1
  if allowed then
    tokens = tokens - 1
  end
  redis.call('HSET', keys[1], 'tokens', tokens, 'ts', now)
  return {allowed and 1 or 0, tostring(tokens)}
end

redis.register_function('rl_fixed', fixed_window)
redis.register_function('rl_sliding', sliding_window)
redis.register_function('rl_bucket', token_bucket)
redis.register_function{function_name = 'rl_peek', callback = function(keys, args)
  return redis.call('GET', keys[1])
end, flags = {'no-writes'}}
`,
	"jobs": `#!lua name=jobs
-- keys: wait list, active list, deadlines zset, payloads hash, events stream
local function enqueue(keys, args)
  local id = args[1]
  if redis.call('HEXISTS', keys[4], id) == 1 then
    return redis.error_reply('JOBEXISTS job ' .. id .. ' exists')
  end
  redis.call('HSET', keys[4], id, args[2] or '')
  redis.call('LPUSH', keys[1], id)
  redis.call('XADD', keys[5], 'MAXLEN', '~', '100', '*', 'event', 'enqueued', 'id', id)
  return redis.call('LLEN', keys[1])
end

local function take(keys, args)
  local id = redis.call('LMOVE', keys[1], keys[2], 'RIGHT', 'LEFT')
  if not id then
    return false
  end
  redis.call('ZADD', keys[3], (tonumber(args[1]) or 0) + 30, id)
  return {id, redis.call('HGET', keys[4], id)}
end

local function complete(keys, args)
  local removed = redis.call('LREM', keys[2], 1, args[1])
  if removed == 0 then
    return redis.error_reply('NOTACTIVE job ' .. tostring(args[1]) .. ' is not active')
  end
  redis.call('ZREM', keys[3], args[1])
  redis.call('HDEL', keys[4], args[1])
  redis.call('XADD', keys[5], '*', 'event', 'done', 'id', args[1])
  return removed
end

local function requeue(keys, args)
  local now = tonumber(args[1]) or 0
  local late = redis.call('ZRANGEBYSCORE', keys[3], '-inf', now)
  for _, id in ipairs(late) do
    redis.call('LREM', keys[2], 1, id)
    redis.call('RPUSH', keys[1], id)
    redis.call('ZREM', keys[3], id)
  end
  return #late
end

local function stats(keys, args)
  return {redis.call('LLEN', keys[1]), redis.call('LLEN', keys[2]), redis.call('ZCARD', keys[3]), redis.call('HLEN', keys[4])}
end

redis.register_function('job_enqueue', enqueue)
redis.register_function('job_take', take)
redis.register_function('job_complete', complete)
redis.register_function('job_requeue', requeue)
redis.register_function{function_name = 'job_stats', callback = stats, flags = {'no-writes'}, description = 'queue sizes'}
`,
	"profile": `#!lua name=profile
local FIELDS = {'name', 'email', 'visits'}

local function get_profile(keys, args)
  local vals = redis.call('HMGET', keys[1], unpack(FIELDS))
  local out = {}
  for i, f in ipairs(FIELDS) do
    out[#out + 1] = f
    out[#out + 1] = vals[i] or ''
  end
  return out
end

local function touch(keys, args)
  local n = redis.call('HINCRBY', keys[1], 'visits', 1)
  if args[1] then
    redis.call('HSET', keys[1], 'name', args[1])
  end
  return n
end

redis.register_function{function_name = 'profile_get', callback = get_profile,
  flags = {'no-writes', 'allow-stale'}, description = 'a profile'}
redis.register_function{function_name = 'profile_touch', callback = touch, flags = {'allow-oom', 'no-cluster'}}
redis.register_function{function_name = 'profile_drop', callback = function(keys)
  return redis.call('DEL', keys[1])
end, flags = {'NO-WRITES'}}
redis.register_function{function_name = 'profile_json', callback = function(keys)
  local h = redis.call('HGET', keys[1], 'name')
  return cjson.encode({name = h or cjson.null, key = keys[1]})
end, flags = {'no-writes', 'allow-cross-slot-keys'}}
`,
	"config": `#!lua name=config
local DEFAULTS = {ttl = 60, prefix = 'cfg:', flags = {'a', 'b'}}
local M = {}
function M.key(k)
  return DEFAULTS.prefix .. k
end
redis.register_function('cfg_set', function(keys, args)
  local out = {}
  out.key = M.key(keys[1])
  out[1] = redis.call('SET', out.key, args[1] or '', 'EX', DEFAULTS.ttl)
  table.insert(out, #DEFAULTS.flags)
  return {out.key, out[1].ok, out[2]}
end)
redis.register_function('cfg_get', function(keys)
  return {redis.call('GET', M.key(keys[1])), table.concat(DEFAULTS.flags, ',')}
end)
`,
	"memo": `#!lua name=memo
local cache = {}
redis.register_function('memo_get', function(keys)
  local v = cache[keys[1]]
  if v == nil then
    v = redis.call('GET', keys[1]) or false
    cache[keys[1]] = v
  end
  return v
end)
`,
	"counter": `#!lua name=counter
local calls = 0
local seen = {}
redis.register_function('counter_next', function(keys, args)
  calls = calls + 1
  return calls
end)
redis.register_function('counter_seen', function(keys, args)
  seen[#seen + 1] = args[1]
  return #seen
end)
`,
	"errors": `#!lua name=errors
local function fail(keys, args)
  if args[1] == 'raise' then
    error('raised ' .. tostring(args[2]))
  elseif args[1] == 'table' then
    error({err = 'MYERR ' .. tostring(args[2])})
  elseif args[1] == 'reply' then
    return redis.error_reply('REPLY ' .. tostring(args[2]))
  elseif args[1] == 'call' then
    return redis.call('INCR', keys[1])
  elseif args[1] == 'pcall' then
    local r = redis.pcall('INCR', keys[1])
    if type(r) == 'table' then
      return 'caught: ' .. r.err
    end
    return r
  elseif args[1] == 'global' then
    return KEYS
  elseif args[1] == 'set' then
    x = 1
  elseif args[1] == 'nosuch' then
    return redis.call('NOSUCH')
  elseif args[1] == 'script' then
    return redis.call('EVAL', 'return 1', 0)
  end
  return {ok = 'fine'}
end
redis.register_function('fail', fail)
redis.register_function{function_name = 'fail_ro', callback = fail, flags = {'no-writes'}}
`,
}

// liveLibraryV2 replaces ratelimit (FUNCTION LOAD REPLACE): rl_fixed
// changes, rl_sliding and rl_bucket go, rl_leak comes.
const liveLibraryV2 = `#!lua name=ratelimit
redis.register_function('rl_fixed', function(keys, args)
  local n = redis.call('INCRBY', keys[1], tonumber(args[1]) or 1)
  return {'v2', n}
end)
redis.register_function('rl_peek', function(keys)
  return redis.call('GET', keys[1])
end)
redis.register_function('rl_leak', function(keys, args)
  local n = redis.call('DECR', keys[1])
  if n < 0 then
    redis.call('SET', keys[1], 0)
    return 0
  end
  return n
end)
`

// functionsOps are the commands whose replies the functions tests
// compare.
var functionsOps = map[string]bool{"FCALL": true, "FCALL_RO": true, "FUNCTION": true}

// functions runs FCALL and FCALL_RO, and compares FUNCTION's replies
// too: a labelled reply of a call, a load or a deletion must say why.
var functions = luaRunner{runs: map[string]bool{"FCALL": true, "FCALL_RO": true}, compared: functionsOps, admin: "FUNCTION",
	why: func(st provenance.State, e *formats.Event) string {
		if e.Op == "FUNCTION" {
			return redis.FunctionWhy(st, e)
		}
		return ""
	},
	mustSayWhy: map[string]bool{"FCALL": true, "FCALL_RO": true, "FUNCTION LOAD": true, "FUNCTION DELETE": true}}

// loadLines are FUNCTION LOAD requests whose replies the model must
// know: metadata errors, load-time errors, clashes, REPLACE.
func loadLines() [][]string {
	n := 0
	lib := func(body string) string {
		// Each its own library (a second load of one name fails first).
		n++
		return "#!lua name=extra" + strconv.Itoa(n) + "\n" + body
	}
	var out [][]string
	for _, code := range []string{
		"return 1", "#!lua", "#!lua name=x", "#!lua name=x\n", "#!lua foo=bar name=x\nreturn 1", "#!lua name=x name=y\n",
		"#!lua\n", "#!py name=x\nreturn 1", "#!LUA NAME=extra\nredis.register_function('e1', function() return 1 end)",
		"#! name=x\n", "#!lua name=bad-name\n", "#!lua name=\n", "#!lua 'name=x y'\n", "#!lua \"name=\\x41\"\n", "#!lua name=x\x00\n",
		"#!lua name=e\x00x\nreturn 1", "#!\"lua\" name=x\n", "#!lua name=x\"\n", "#!lua name=\"x y\"\n",
		lib("return 1"), lib("local x = 1"), lib("local s = string.format('x')"), lib("redis.call('GET', 'x')"),
		lib("x = 1"), lib("local t = redis\nt.x = 1"), lib("return ("), lib("redis.register_function()"),
		lib("redis.register_function('a')"), lib("redis.register_function('a', 1)"), lib("redis.register_function(1, function() end)"),
		lib("redis.register_function('a-b', function() end)"), lib("redis.register_function('', function() end)"),
		lib("redis.register_function('a', function() end)\nredis.register_function('a', function() end)"),
		lib("redis.register_function('a', function() end, 1)"), lib("redis.register_function(nil, function() end)"),
		lib("redis.register_function{function_name='a'}"), lib("redis.register_function{callback=function() end}"),
		lib("redis.register_function{function_name='a', callback=function() end, flags={'bogus'}}"),
		lib("redis.register_function{function_name='a', callback=function() end, flags='no-writes'}"),
		lib("redis.register_function{function_name='a', callback=function() end, flags={1}}"),
		lib("redis.register_function{function_name='a', callback=function() end, x=1}"),
		lib("redis.register_function{function_name='a', callback=1}"), lib("redis.register_function{function_name={}, callback=function() end}"),
		lib("redis.register_function{function_name='a', callback=function() end, description=5}"),
		lib("redis.register_function{function_name='a', callback=function() end, description={}}"),
		lib("redis.register_function{'a', function() end}"), lib("redis.register_function{[true]=1}"),
		lib("redis.register_function('x')"), lib("redis.register_function('x', function() end, {})"),
		lib("redis.register_function{function_name=1.5, callback=1, flags='x', description={}, x=2}"),
		lib("redis.register_function{callback=1, flags='x'}"), lib("redis.register_function{flags={'no-writes', 'bad'}, x=1, callback=2}"),
		lib("redis.register_function{FUNCTION_NAME='e5', function_name='e6', callback=function() return 5 end}"),
		lib("local t = {}\nt.function_name = 'a'\nt.callback = function() end\nt.x = 1\nt.flags = 2\nredis.register_function(t)"),
		lib("local t = {x = 1, y = 2, z = 3, [1] = 4}\nredis.register_function(t)"), lib("redis.register_function{function_name='e7', callback=function() return 7 end, flags={}}"),
		lib("redis.register_function{function_name='e8', callback=function() return 8 end, flags={'no-writes', nil, 'bad'}}"),
		lib("redis.register_function{function_name='e9', Callback=function() return 9 end, DESCRIPTION='d', Flags={'ALLOW-OOM'}}"),
		lib("redis.register_function('e10', redis.log)"), lib("redis.register_function('e11', function(k, a) return redis.register_function('z', function() end) end)"),
		lib("local f = function(keys, args) return {#keys, #args} end\nredis.register_function('e12', f)\nredis.register_function('e13', f)"),
		lib("redis.register_function('e14', function() return 1 end)\nredis.register_function('E14', function() return 2 end)"),
		lib("redis.log(redis.LOG_NOTICE, 'loading')\nredis.register_function('e2', function() return redis.REDIS_VERSION end)"),
		lib("redis.log()"), lib("local v = redis.REDIS_VERSION_NUM\nredis.register_function('e3', function() return v end)"),
		lib("local r = redis.setresp"), lib("local p = pcall"), lib("local e = error"), lib("local g = _G"),
		lib("local s = ('x'):rep(3)\nredis.register_function('e4', function() return s end)"),
		lib("redis.register_function('rl_fixed', function() end)"), lib("redis.register_function('RL_FIXED', function() end)"),
		lib("redis.register_function('rl_fixed', function() end)\nredis.register_function('job_take', function() end)"),
	} {
		out = append(out, []string{"FUNCTION", "LOAD", code})
	}
	out = append(out, []string{"FUNCTION", "LOAD", "bogus", lib("return 1")}, []string{"FUNCTION", "LOAD", "REPLACE", "REPLACE", lib("return 1")},
		[]string{"FUNCTION", "LOAD", liveLibraries["jobs"]}, []string{"FUNCTION", "LOAD", "replace", lib("local x = ")})
	return out
}

// functionsWorkload makes n random requests over two connections: FCALL
// and FCALL_RO of the live libraries' functions (and unknown ones, in
// other cases, with bad key counts), plain writes to the same keys,
// transactions holding calls, and now and then FUNCTION LOAD (REPLACE),
// DELETE and FLUSH.
func functionsWorkload(r *rand.Rand, n int) []redistest.Cmd {
	var out []redistest.Cmd
	emit := func(conn int, args ...string) {
		out = append(out, redistest.Cmd{Conn: conn, Args: redistest.Args(args...)})
	}
	pick := func(s ...string) string { return s[r.IntN(len(s))] }
	num := func() string { return pick("0", "1", "2", "5", "10", "-3", "2.5", "x", "") }
	call := func(conn int) {
		op := pick("FCALL", "FCALL", "FCALL", "FCALL_RO", "fcall")
		var name string
		var keys, args []string
		switch r.IntN(9) {
		case 0:
			name = pick("rl_fixed", "rl_sliding", "rl_bucket", "rl_peek", "rl_leak", "RL_Fixed")
			keys = []string{pick("rl:a", "rl:b", "str")}
			args = []string{num(), num()}
		case 1, 2:
			name = pick("job_enqueue", "job_take", "job_complete", "job_requeue", "job_stats", "JOB_TAKE")
			keys = []string{pick("q:wait", "q:active"), pick("q:active", "q:wait"), "q:deadlines", "q:jobs", "q:events"}
			args = []string{pick("j1", "j2", "j3"), pick("payload", "", "{\"a\":1}", "5")}
		case 3:
			name = pick("profile_get", "profile_touch", "profile_drop", "profile_json")
			keys = []string{pick("user:1", "user:2", "str")}
			if r.IntN(2) == 0 {
				args = []string{pick("ann", "bob", "")}
			}
		case 4:
			name = pick("counter_next", "counter_seen", "cfg_set", "cfg_get", "memo_get")
			keys = []string{pick("str", "n")}
			args = []string{pick("a", "b")}
		case 5:
			name = pick("fail", "fail_ro")
			keys = []string{pick("str", "user:1", "n")}
			args = []string{pick("raise", "table", "reply", "call", "pcall", "global", "set", "nosuch", "script", "none"), num()}
		case 6:
			name = pick("nosuch", "e1", "e2", "e3", "e4", "a", "", "fa-il", "fail\x00x")
		default:
			name = pick("rl_fixed", "job_stats", "fail", "profile_get")
			keys = []string{pick("rl:a", "q:wait", "user:1")}
			args = []string{num()}
		}
		numkeys := strconv.Itoa(len(keys))
		switch r.IntN(25) {
		case 0:
			numkeys = "x"
		case 1:
			numkeys = "-1"
		case 2:
			numkeys = "99"
		case 3:
			numkeys = "0"
		}
		emit(conn, append(append([]string{op, name, numkeys}, keys...), args...)...)
	}
	libs := []string{"ratelimit", "jobs", "profile", "counter", "errors", "config", "memo"}
	for len(out) < n {
		conn := r.IntN(2)
		switch r.IntN(40) {
		case 0:
			emit(conn, "FUNCTION", "LOAD", "REPLACE", liveLibraryV2)
		case 1:
			emit(conn, "FUNCTION", "LOAD", pick("REPLACE", "replace"), liveLibraries[libs[r.IntN(len(libs))]])
		case 2:
			emit(conn, "FUNCTION", "LOAD", liveLibraries[libs[r.IntN(len(libs))]])
		case 3:
			emit(conn, "FUNCTION", "DELETE", pick(append(libs, "nosuch", "Jobs")...))
		case 4:
			if r.IntN(3) == 0 {
				emit(conn, "FUNCTION", "FLUSH", pick("SYNC", "async", "bogus"))
				for _, l := range libs {
					emit(conn, "FUNCTION", "LOAD", liveLibraries[l])
				}
			}
		case 5:
			emit(conn, "SET", pick("rl:a", "str", "q:wait", "user:1", "n"), pick("1", "x", "10"))
		case 6:
			emit(conn, "DEL", pick("rl:a", "rl:b", "q:wait", "q:active", "user:1", "q:jobs"))
		case 7:
			emit(conn, "HSET", pick("user:1", "user:2", "q:jobs"), pick("name", "email", "j1"), pick("ann", "x"))
		case 8:
			emit(conn, "LPUSH", pick("q:wait", "q:active"), pick("j1", "j2", "j4"))
		case 9:
			emit(conn, "MULTI")
			call(conn)
			emit(conn, "INCR", pick("n", "rl:a"))
			call(conn)
			emit(conn, "EXEC")
		case 10:
			emit(conn, "SELECT", pick("0", "1"))
		default:
			call(conn)
		}
	}
	return out
}

// TestFunctionsLive loads the live libraries into a real server (after
// FUNCTION FLUSH, so the model knows every library), runs the load-time
// cases of loadLines, then a random workload of calls, reloads,
// deletions and flushes, and requires every reply the model claims to
// know to be Redis's and every such call's commands to be the [lua] lines
// after it. A second session starts with libraries loaded before the
// capture began: their calls must be labelled.
func TestFunctionsLive(t *testing.T) {
	srv := redistest.Start(t)
	st := newScriptingStats()
	n := scaled(3000, 800)
	var lines [][]string
	lines = append(lines, []string{"FUNCTION", "FLUSH"}, []string{"FLUSHALL"})
	for _, c := range functionModelCases {
		// Called twice: a library that keeps state replies otherwise
		// the second time.
		lines = append(lines, []string{"FUNCTION", "FLUSH"}, []string{"FUNCTION", "LOAD", "#!lua name=lib\n" + c.lib},
			[]string{"FCALL", c.fn, "1", "k", "a"}, []string{"FCALL", c.fn, "1", "k", "a"})
	}
	lines = append(lines, []string{"FUNCTION", "FLUSH"}, []string{"FLUSHALL"})
	for _, l := range []string{"ratelimit", "jobs", "profile", "counter", "errors", "config", "memo"} {
		lines = append(lines, []string{"FUNCTION", "LOAD", liveLibraries[l]})
	}
	lines = append(lines, loadLines()...)
	for _, name := range []string{"e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9", "e10", "e11", "e12", "e13", "e14", "E14", "rl_fixed", "job_take"} {
		lines = append(lines, []string{"FCALL", name, "0"}, []string{"FCALL", name, "1", "k", "a"})
	}
	lines = append(lines, []string{"FUNCTION", "DELETE", "extra"}, []string{"FUNCTION", "DELETE", "extra1"}, []string{"FUNCTION", "DELETE", "extra1"},
		[]string{"FUNCTION", "FLUSH", "sync", "x"}, []string{"FUNCTION", "LIST"}, []string{"FUNCTION", "STATS"},
		[]string{"FUNCTION", "KILL"}, []string{"FUNCTION", "HELP"})
	cmds := cmdsOf(0, lines...)
	r := liveRand(17)
	cmds = append(cmds, functionsWorkload(r, n)...)
	functions.run(t, srv, cmds, st, false)

	// Libraries loaded before the capture began.
	admin, err := srv.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, c := range [][]string{{"FLUSHALL"}, {"FUNCTION", "FLUSH"}, {"FUNCTION", "LOAD", liveLibraries["ratelimit"]}, {"FUNCTION", "LOAD", liveLibraries["jobs"]}} {
		if _, err := admin.DoStrings(c...); err != nil {
			t.Fatal(err)
		}
	}
	before := st.verdicts["FCALL"][redis.Labelled]
	cmds = cmdsOf(0, []string{"FCALL", "rl_fixed", "1", "rl:a", "2"}, []string{"FCALL_RO", "job_stats", "5", "q:wait", "q:active", "q:deadlines", "q:jobs", "q:events"},
		[]string{"FCALL", "nosuch", "0"}, []string{"FCALL", "bad-name", "0"}, []string{"FUNCTION", "LOAD", liveLibraries["profile"]},
		[]string{"FCALL", "profile_get", "1", "user:1"}, []string{"FUNCTION", "LOAD", "REPLACE", liveLibraries["errors"]},
		[]string{"FCALL", "fail", "1", "n", "raise", "x"}, []string{"FUNCTION", "DELETE", "jobs"}, []string{"FCALL", "job_take", "0"},
		[]string{"FUNCTION", "DELETE", "jobs"}, []string{"FUNCTION", "LOAD", liveLibraries["jobs"]}, []string{"FCALL", "job_take", "0"},
		[]string{"FUNCTION", "LOAD", "#!lua name=x\nreturn 1"}, []string{"FUNCTION", "LOAD", "#!lua name=x\n"})
	functions.run(t, srv, append(cmds, functionsWorkload(r, n/4)...), st, false)
	if st.verdicts["FCALL"][redis.Labelled] == before {
		t.Errorf("no FCALL labelled in a capture that began with libraries loaded")
	}
	// Short sessions, each from empty libraries and databases (or with
	// libraries loaded before the capture), whose every function request
	// is explained through the store.
	sessions := scaled(60, 15)
	for i := 0; i < sessions; i++ {
		setup := [][]string{{"FLUSHALL"}, {"FUNCTION", "FLUSH"}}
		var first [][]string
		for _, l := range []string{"ratelimit", "jobs", "profile", "errors"} {
			if i%3 == 0 {
				setup = append(setup, []string{"FUNCTION", "LOAD", liveLibraries[l]})
			} else if r.IntN(2) == 0 {
				first = append(first, []string{"FUNCTION", "LOAD", liveLibraries[l]})
			}
		}
		for _, c := range setup {
			if _, err := admin.DoStrings(c...); err != nil {
				t.Fatal(err)
			}
		}
		if i%3 == 1 {
			first = append([][]string{{"FUNCTION", "FLUSH"}}, first...)
		}
		if i%5 == 4 {
			// A dump of the live libraries, restored in the capture: the
			// model does not decode it.
			raw, err := admin.DoStrings("FUNCTION", "DUMP")
			if err != nil {
				t.Fatal(err)
			}
			dump, _, err := redistest.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			first = append(first, []string{"FUNCTION", "RESTORE", string(dump.Str), "BOGUS"},
				[]string{"FUNCTION", "RESTORE", string(dump.Str), "REPLACE"}, []string{"FUNCTION", "RESTORE", string(dump.Str), "REPLACE", "x"})
		}
		functions.run(t, srv, append(cmdsOf(0, first...), functionsWorkload(r, 30)...), st, true)
	}
	if st.compared < n/2 {
		t.Errorf("compared %d replies, want at least %d", st.compared, n/2)
	}
	st.logVerdicts(t, "%d replies compared, %d calls' commands checked against their [lua] lines (%d differ)",
		st.compared, st.callsChecked, st.callMismatch)
	t.Logf("%d requests explained through the store (slowest %s), %d not exact:\n%s", st.explained, st.slowest, st.inexact, countLines(st.inexactWhy))
}

// explainFunctions explains every request of a capture whose command
// is compared through the store: an answer labelled exact must have the
// real reply as its output.
func explainFunctions(t *testing.T, s provenance.History, evs []*formats.Event, real map[*formats.Event][]byte, compared map[string]bool, st *scriptingStats) {
	t.Helper()
	ctx := context.Background()
	for _, e := range evs {
		r, ok := real[e]
		if !ok || !compared[e.Op] {
			continue
		}
		t0 := time.Now()
		x, err := redis.Spec.Explain(ctx, s, e)
		if err != nil {
			if errors.Is(err, provenance.ErrNotExplainable) {
				continue
			}
			t.Fatalf("%s: %v", e.Where(), err)
		}
		if d := time.Since(t0); d > st.slowest {
			st.slowest = d
		}
		st.explained++
		if !x.Exact {
			st.inexact++
			for _, n := range x.Notes {
				if strings.HasPrefix(n, "not exact") {
					st.inexactWhy[digits.ReplaceAllString(n, "N")]++
					break
				}
			}
		}
		if v := redis.CompareReply(e, x.Output, r); v == redis.Differs {
			t.Errorf("%s: %s %.80q: explained output %q, redis replied %q", e.Where(), e.Op, e.Args, x.Output, r)
		} else if x.Exact && v != redis.Agree {
			t.Errorf("%s: %s %.80q: labelled exact, yet the reply %q is %s", e.Where(), e.Op, e.Args, r, v)
		}
	}
}

// randomLibrary makes a random library: a few top-level statements and
// register_function calls in either form, with names that clash within
// the library and across libraries, and random flags; one library in
// three also has mistakes (statements that fail at load time, bad
// arguments, unknown flags).
func randomLibrary(r *rand.Rand) string {
	bad := r.IntN(3) == 0
	pick := func(good []string, wrong ...string) string {
		if bad && len(wrong) > 0 && r.IntN(3) == 0 {
			return wrong[r.IntN(len(wrong))]
		}
		return good[r.IntN(len(good))]
	}
	// One spelling of f1 per library: a library holding two names that
	// differ only in case makes Redis fail an assertion when it is
	// deleted or replaced.
	f1 := []string{"'f1'", "'F1'"}[r.IntN(2)]
	name := func() string { return pick([]string{f1, "'f2'", "'g'", f1}, "'bad-name'", "''", "1", "{}") }
	fn := func() string {
		return pick([]string{"function(k, a) return redis.call('GET', k[1]) end", "function(k, a) return redis.call('SET', k[1], a[1] or 'x') end",
			"function() return 'const' end", "function(k, a) return {#k, #a} end", "function() error('e') end"}, "1", "'s'")
	}
	flags := func() string {
		var fs []string
		for _, f := range []string{"'no-writes'", "'allow-oom'", "'allow-stale'", "'no-cluster'", "'allow-cross-slot-keys'", "'NO-WRITES'"} {
			if r.IntN(4) == 0 {
				fs = append(fs, f)
			}
		}
		if bad && r.IntN(3) == 0 {
			fs = append(fs, []string{"'bogus'", "2"}[r.IntN(2)])
		}
		return "{" + strings.Join(fs, ", ") + "}"
	}
	var b strings.Builder
	b.WriteString("#!lua name=" + []string{"L1", "L2", "L3"}[r.IntN(3)] + "\n")
	for i := r.IntN(3); i > 0; i-- {
		b.WriteString(pick([]string{"local x = 1", "local t = {a = 1, b = {2}}", "redis.log(redis.LOG_NOTICE, 'loading')", "local v = redis.REDIS_VERSION",
			"local s = ('ab'):upper()", "local n = #{1, 2}", "local m = 2 ^ 3 .. 'x'"}, "local y = string.len('x')", "z = 1", "local c = redis.call") + "\n")
	}
	for i := 1 + r.IntN(3); i > 0; i-- {
		switch r.IntN(4) {
		case 0:
			b.WriteString("redis.register_function(" + name() + ", " + fn() + ")\n")
		case 1:
			if bad {
				b.WriteString([]string{"redis.register_function(" + name() + ")", "redis.register_function()",
					"redis.register_function(" + name() + ", " + fn() + ", 1)"}[r.IntN(3)] + "\n")
				break
			}
			b.WriteString("redis.register_function(" + name() + ", " + fn() + ")\n")
		default:
			fields := []string{pick([]string{"function_name", "FUNCTION_NAME", "Function_Name"}) + " = " + name(),
				pick([]string{"callback", "CALLBACK"}) + " = " + fn()}
			if bad && r.IntN(4) == 0 {
				fields = fields[r.IntN(2):][:1]
			}
			if r.IntN(2) == 0 {
				fields = append(fields, "flags = "+pick([]string{flags()}, "'no-writes'", "1"))
			}
			if r.IntN(3) == 0 {
				fields = append(fields, "description = "+pick([]string{"'d'", "5"}, "{}"))
			}
			if bad && r.IntN(3) == 0 {
				fields = append(fields, []string{"x = 1", "[1] = 2", "[true] = 3", "function_name = 'h'", "FUNCTION_NAME = 'h'"}[r.IntN(5)])
			}
			r.Shuffle(len(fields), func(i, j int) { fields[i], fields[j] = fields[j], fields[i] })
			b.WriteString("redis.register_function{" + strings.Join(fields, ", ") + "}\n")
		}
	}
	return b.String()
}

// TestFunctionsLiveRandomLibraries loads hundreds of random libraries
// (after a flush, or over earlier ones, with and without REPLACE) into a
// real server and calls their functions: every reply the model claims to
// know must be Redis's.
func TestFunctionsLiveRandomLibraries(t *testing.T) {
	n := scaled(1500, 300)
	setup := [][]string{{"FUNCTION", "FLUSH"}, {"FLUSHALL"}, {"SET", "k", "v"}}
	st := functions.runRandom(t, 23, n, setup, func(r *rand.Rand) [][]string {
		var lines [][]string
		switch r.IntN(4) {
		case 0:
			lines = append(lines, []string{"FUNCTION", "FLUSH"})
		case 1:
			lines = append(lines, []string{"FUNCTION", "DELETE", []string{"L1", "L2", "L3"}[r.IntN(3)]})
		}
		load := []string{"FUNCTION", "LOAD"}
		if r.IntN(2) == 0 {
			load = append(load, "REPLACE")
		}
		lines = append(lines, append(load, randomLibrary(r)))
		for j := r.IntN(4); j > 0; j-- {
			op := []string{"FCALL", "FCALL", "FCALL_RO"}[r.IntN(3)]
			lines = append(lines, []string{op, []string{"f1", "f2", "F1", "g", "h", "1"}[r.IntN(6)], "1", "k", "a"})
		}
		return lines
	})
	st.logVerdicts(t, "%d random libraries, %d replies compared", n, st.compared)
}
