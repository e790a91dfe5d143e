package redis_test

import (
	"context"
	"errors"
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
