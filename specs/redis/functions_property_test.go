package redis_test

import (
	"math/rand"
	"regexp"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/redis"
)

// The "functions" family: FUNCTION LOAD (with and without REPLACE) of a
// few tiny libraries whose function names overlap (so loads clash),
// FUNCTION DELETE and FLUSH, FCALL and FCALL_RO of their functions over
// two keys, and plain writes of the same keys. As in the scripts family,
// a call's commands are requests of their own, logged after it: the
// generator runs each call on the model at its place in the trace and
// puts what it ran right after it. The functions touch only the keys they
// declare.
var familyLibraries = []string{
	"#!lua name=A\nredis.register_function('fa', function(k) return redis.call('GET', k[1]) end)\n" +
		"redis.register_function('fb', function(k) return redis.call('INCR', k[1]) end)",
	"#!lua name=A\nredis.register_function('fa', function(k, a) return redis.call('APPEND', k[1], a[1]) end)\n" +
		"redis.register_function('fc', function() return 'c' end)",
	"#!lua name=B\nredis.register_function('fb', function(k, a) return redis.call('SET', k[1], a[1]) end)\n" +
		"redis.register_function{function_name='fd', callback=function(k) return redis.call('EXISTS', k[1]) end, flags={'no-writes'}}",
	"#!lua name=C\nredis.register_function('fe', function() error('boom') end)\n" +
		"redis.register_function('ff', function(k) return redis.call('DEL', k[1]) end)",
	"#!lua name=C\nredis.register_function{function_name='fd', callback=function(k) return redis.call('TYPE', k[1]).ok end, flags={'no-writes'}}",
	// Refused whatever the libraries: a compile error (Lua's text), no
	// function.
	"#!lua name=D\nreturn (",
	"#!lua name=D\nlocal x = 1",
	// The model cannot compile it and Lua 5.1 can: what it registers is
	// not known.
	"#!lua name=E\nlocal x = 0x1p4\nredis.register_function('fg', function() return x end)",
}

var registered = regexp.MustCompile(`register_function\(?\{?(?:function_name=)?'(\w+)'`)

// loadedNames lists the functions the loads of a trace register.
func loadedNames(trace []*formats.Event) []string {
	var out []string
	for _, e := range trace {
		if e.Op == "FUNCTION" && strings.EqualFold(string(e.Args[0]), "LOAD") {
			for _, m := range registered.FindAllStringSubmatch(string(e.Args[len(e.Args)-1]), -1) {
				out = append(out, m[1])
			}
		}
	}
	return out
}

var familyFunctions = []string{"fa", "fb", "fc", "fd", "fe", "ff", "fg", "FA", "nope"}

// functionEvent makes one request of the family at position id.
func functionEvent(r *rand.Rand, id int, ns string, target bool) *formats.Event {
	const t0 = 1795535140000000000
	e := &formats.Event{ID: int64(id), Source: "gen", Line: id, System: "redis", NS: ns,
		Time: t0 + int64(id)*700e6, Client: clients[r.Intn(len(clients))]}
	k := []byte(scriptKeys[r.Intn(len(scriptKeys))])
	v := []byte(scriptVals[r.Intn(len(scriptVals))])
	kinds := 12
	if target {
		kinds = 7
	}
	switch r.Intn(kinds) {
	case 0, 1, 2, 3:
		op := []string{"FCALL", "FCALL", "FCALL_RO"}[r.Intn(3)]
		numkeys := []string{"1", "1", "1", "0", "x"}[r.Intn(5)]
		args := [][]byte{[]byte(familyFunctions[r.Intn(len(familyFunctions))]), []byte(numkeys)}
		if numkeys == "1" {
			args = append(args, k)
		}
		e.Op, e.Args = op, append(args, v)
	case 4, 5:
		lib := familyLibraries[r.Intn(len(familyLibraries))]
		if r.Intn(2) == 0 {
			e.Op, e.Args = "FUNCTION", [][]byte{[]byte("LOAD"), []byte("REPLACE"), []byte(lib)}
		} else {
			e.Op, e.Args = "FUNCTION", [][]byte{[]byte("LOAD"), []byte(lib)}
		}
	case 6:
		if r.Intn(2) == 0 {
			e.Op, e.Args = "FUNCTION", [][]byte{[]byte("DELETE"), []byte([]string{"A", "B", "C", "E"}[r.Intn(4)])}
		} else {
			e.Op, e.Args = "GET", [][]byte{k}
		}
	case 7:
		e.Op, e.Args = "FUNCTION", [][]byte{[]byte("FLUSH")}
	case 8, 9:
		e.Op, e.Args = "SET", [][]byte{k, v}
	case 10:
		e.Op, e.Args = "DEL", [][]byte{k}
	default:
		e.Op, e.Args = "INCR", [][]byte{k}
	}
	return e
}

// TestFunctionsEqualsBruteForce checks the spec's witnesses against
// provenance.BruteForce on thousands of random traces of the family.
func TestFunctionsEqualsBruteForce(t *testing.T) {
	m := redis.Spec.Model()
	draws, calls, known, withLoad := 0, 0, 0, 0
	referee(t, scaled(3000, 400), func(r *rand.Rand) ([]*formats.Event, *formats.Event) {
		n := r.Intn(11)
		st, trace, runs := luaTrace(m, r, n, "FCALL", func(trace []*formats.Event, id int, ns string) *formats.Event {
			e := functionEvent(r, id, ns, false)
			switch {
			case len(trace) == 0 && r.Intn(2) == 0:
				// Captures often begin with a flush (every name known)
				// and loads.
				e.Op, e.Args = "FUNCTION", [][]byte{[]byte("FLUSH")}
			case len(trace) > 0 && len(trace) < 3 && trace[0].Op == "FUNCTION" && r.Intn(2) == 0:
				e.Op, e.Args = "FUNCTION", [][]byte{[]byte("LOAD"), []byte(familyLibraries[r.Intn(5)])}
			}
			return e
		})
		draws++
		calls += runs
		target := functionEvent(r, len(trace)+1, randomNS(r), true)
		if loaded := loadedNames(trace); strings.HasPrefix(target.Op, "FCALL") && len(loaded) > 0 && r.Intn(3) > 0 {
			// Mostly call a function the trace loaded.
			target.Args[0] = []byte(loaded[r.Intn(len(loaded))])
		}
		if out := m.Apply(m.Clone(st), target); !strings.HasPrefix(string(out), "\x00") {
			known++
		}
		// How often a witness holds a FUNCTION LOAD (the explanation of a
		// call or a load goes back to the load that defined it).
		if ws, _, err := provenance.BruteForce(m, trace, target); err == nil {
		found:
			for _, w := range ws {
				for _, p := range w {
					if trace[p].Op == "FUNCTION" && strings.EqualFold(string(trace[p].Args[0]), "LOAD") {
						withLoad++
						break found
					}
				}
			}
		}
		return trace, target
	})
	t.Logf("%d traces (%d function calls), %d targets with a known reply, %d whose witnesses hold a FUNCTION LOAD",
		draws, calls, known, withLoad)
}

// functionModelCases are libraries (after their shebang) with what the
// model replies to FCALL of their function f with key k and argument a;
// the live test checks them against redis-server.
var functionModelCases = []struct{ lib, fn, want string }{
	{"redis.register_function('f', function(k, a) return {#k, #a, k[1], a[1]} end)", "f", "*4\r\n:1\r\n:1\r\n$1\r\nk\r\n$1\r\na\r\n"},
	{"redis.register_function('f', function() error('boom') end)", "f", "-ERR user_function:2: boom script: f, on @user_function:2.\r\n"},
	{"redis.register_function('f', function()\n  return redis.call('NOSUCH')\nend)", "f", "-ERR Unknown Redis command called from script script: f, on @user_function:3.\r\n"},
	{"redis.register_function('f', function() return KEYS end)", "f", "-ERR user_function:2: Script attempted to access nonexistent global variable 'KEYS' script: f, on @user_function:2.\r\n"},
	{"redis.register_function{function_name='f', callback=function(k) return redis.call('SET', k[1], 'v') end, flags={'no-writes'}}", "f",
		"-ERR Write commands are not allowed from read-only scripts. script: f, on @user_function:2.\r\n"},
	{"local r = redis\nredis.register_function('f', function() return r.call('GET', 'x') end)", "f",
		"-ERR user_function:3: Script attempted to access nonexistent global variable 'call' script: f, on @user_function:3.\r\n"},
	{"local reg = redis.register_function\nreg('f', function() reg('g', function() end) end)", "f",
		"-ERR redis.register_function can only be called on FUNCTION LOAD command script: f, on @user_function:3.\r\n"},
	// What the functions share between calls.
	{"local n = 0\nredis.register_function('f', function() n = n + 1 return n end)", "f", unknown},
	{"local t = {}\nredis.register_function('f', function() t[#t + 1] = 1 return #t end)", "f", unknown},
	{"local t = {}\nredis.register_function('f', function() table.insert(t, 1) return #t end)", "f", unknown},
	{"local t = {}\nredis.register_function('f', function() rawset(t, 1, 1) return #t end)", "f", unknown},
	{"local t = {{}}\nredis.register_function('f', function() local u = t[1] u.x = 1 return 1 end)", "f", unknown},
	{"local cache = {}\nredis.register_function('f', function() cache.x = 1 local cache = {} cache.y = 2 return 1 end)", "f", unknown},
	{"local t = {}\nredis.register_function('f', function() local p = {} setmetatable(p, {__newindex = t}) p.x = 1 return 1 end)", "f", unknown},
	{"local t = {}\nlocal function add(x) x[1] = 1 end\nredis.register_function('f', function() add(t) return 1 end)", "f", unknown},
	{"local t = {}\nredis.register_function('f', function() local u = {} u = t u.x = 1 return 1 end)", "f", unknown},
	{"local t = {}\nredis.register_function('f', function() for i = 1, 2 do local u = {} u[i] = i end local v = t return v.x end)", "f", "$-1\r\n"},
	{"local t = {}\nredis.register_function('f', function() local g = _G return t.x end)", "f", unknown},
	{"local t = {}\nredis.register_function('f', function() local ins = table['ins' .. 'ert'] ins(t, 1) return #t end)", "f", unknown},
	// A table made at load time that no function reaches keeps nothing.
	{"local t = {}\nt.x = 1\nredis.register_function('f', function() local g = _G return 1 end)", "f", ":1\r\n"},
	{"local C = {a = 1, b = {2, 3}}\nredis.register_function('f', function() local out = {} out[1] = C.a table.insert(out, C.b[2]) return out end)", "f",
		"*2\r\n:1\r\n:3\r\n"},
	{"local function helper(x) x[1] = 1 return x end\nredis.register_function('f', function() return helper({}) end)", "f", "*1\r\n:1\r\n"},
	{"redis.register_function('f', function() local n = 0 local function inc() n = n + 1 end inc() return n end)", "f", unknown},
}

const unknown = "\x00unknown\r\n"

// TestFunctionsModel checks, on the model alone, replies the live tests
// compare with redis-server, and which libraries the model must label as
// keeping state between calls (Redis keeps a library's Lua state; the
// model loads it afresh for every call).
func TestFunctionsModel(t *testing.T) {
	cases := functionModelCases
	m := redis.Spec.Model()
	for i, c := range cases {
		st := m.Init()
		ev := func(op string, args ...string) *formats.Event {
			e := &formats.Event{ID: int64(i + 1), Source: "unit", Line: i + 1, System: "redis", NS: "0",
				Time: 1795535140000000000, Client: "127.0.0.1:1", Op: op}
			for _, a := range args {
				e.Args = append(e.Args, []byte(a))
			}
			return e
		}
		m.Apply(st, ev("FUNCTION", "FLUSH"))
		if got := string(m.Apply(st, ev("FUNCTION", "LOAD", "#!lua name=lib\n"+c.lib))); got != "$3\r\nlib\r\n" {
			t.Errorf("FUNCTION LOAD %q: %q", c.lib, got)
			continue
		}
		if got := string(m.Apply(st, ev("FCALL", c.fn, "1", "k", "a"))); got != c.want {
			t.Errorf("%q: FCALL %s\n got %q\nwant %q", c.lib, c.fn, got, c.want)
		}
	}
}
