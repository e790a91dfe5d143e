package redis

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// Redis's Lua scripts (EVAL, EVALSHA, SCRIPT LOAD), as redis-server 7.0
// runs them: Lua 5.1 with Redis's libraries (cjson, cmsgpack, bit,
// struct) and its redis.* API, the global table locked, and the script's
// errors reported as Redis reports them.
//
// The model runs a script only to know the reply of its EVAL: the
// commands the script ran are logged after the EVAL line ("[db lua]"
// lines) and are requests of their own in the trace. So the script runs
// on a copy of the state (until its first write, on the state itself:
// reads change nothing), with redis.call running each command as a script
// would (State.call), and the copy is thrown away.
//
// The interpreter is gopher-lua, made to behave as Redis's Lua 5.1 where
// a script can see the difference: the syntax Lua accepts
// (lua_syntax.go), number formatting and string-to-number coercion,
// concatenation, arithmetic, the length operator, comparisons and table
// writes (the chunk is rewritten to call helpers, lua_ast.go), the base,
// string, table and math libraries (lua_vm.go, lua_string.go,
// lua_tablib.go, lua_math.go), cjson, cmsgpack, bit and struct, and the
// order in which next() walks a table, which follows every table's Lua
// 5.1 layout (lua_shape.go). A command whose reply the model does not
// know (XADD's automatic id, TIME) gives the script a poison value
// (lua_poison.go): the script goes on, and only a use that could tell
// the value apart makes the reply unknown. A run that reaches anything
// else the model cannot reproduce exactly (a command the model does not
// run, math.random without a seed, the order of a table whose layout is
// not known, an error message the Lua VM itself wrote, an error whose
// line Lua may count differently) gives the reply rUnknown, never a
// guess.

// luaScript is a compiled script body, shared by every run.
type luaScript struct {
	sha  string
	body string
	// shebangErr is the error Redis replies for an invalid "#!" line.
	shebangErr string
	// compileErr is set when the body does not compile (Redis replies
	// "Error compiling script", with Lua 5.1's parser message, which the
	// model does not reproduce); compileCertain when Lua 5.1 refuses the
	// body too, else it may have compiled it.
	compileErr     string
	compileCertain bool
	proto          *lua.FunctionProto
	// compat: no shebang; else the flags it declares.
	compat   bool
	noWrites bool
	// caveat, when set, makes every run's reply unknown.
	caveat string
	// risky are the lines where Lua 5.1 may count an error raised by a
	// statement on another line (luaRiskyLines).
	risky map[int]bool
}

// luaScripts caches compiled scripts by SHA1, and luaBodies by body
// (hashing a job queue's long scripts for every request costs more than
// running them).
var luaScripts, luaBodies sync.Map

// sha1hex is Redis's sha1hex: the SHA1 of s in lower-case hex.
func sha1hex(s string) string {
	h := sha1.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// bodySHA returns the SHA1 of a script body, cached.
func bodySHA(body string) string {
	if v, ok := luaBodies.Load(body); ok {
		return v.(*luaScript).sha
	}
	return compileScript(body).sha
}

// compileScript returns the compiled script of a body.
func compileScript(body string) *luaScript {
	if v, ok := luaBodies.Load(body); ok {
		return v.(*luaScript)
	}
	sha := sha1hex(body)
	if v, ok := luaScripts.Load(sha); ok {
		luaBodies.Store(body, v)
		return v.(*luaScript)
	}
	sc := &luaScript{sha: sha, body: body, compat: true}
	code := body
	if strings.HasPrefix(body, "#!") {
		end := strings.IndexByte(body, '\n')
		if end < 0 {
			sc.shebangErr = "Invalid script shebang"
		} else {
			sc.compat = false
			sc.shebangErr, sc.noWrites = luaParseShebang(body[:end])
			// The line feed stays, so that line numbers do not move.
			code = body[end:]
		}
	}
	if sc.shebangErr == "" {
		proto, risky, caveat, certain, err := luaCompile(code)
		if err != nil {
			sc.compileErr, sc.compileCertain = err.Error(), certain
		}
		sc.proto, sc.risky, sc.caveat = proto, risky, caveat
	}
	v, _ := luaScripts.LoadOrStore(sha, sc)
	luaBodies.Store(body, v)
	return v.(*luaScript)
}

// parseShebang checks a "#!lua flags=..." line as evalExtractShebangFlags
// does; it returns Redis's error, or whether the script declared
// no-writes.
func luaParseShebang(line string) (errText string, noWrites bool) {
	parts, ok := SplitArgs(line)
	if !ok || len(parts) == 0 {
		return "Invalid engine in script shebang", false
	}
	if parts[0] != "#!lua" {
		return "Unexpected engine in script shebang: " + parts[0], false
	}
	known := map[string]bool{"no-writes": true, "allow-oom": true, "allow-stale": true, "no-cluster": true, "allow-cross-slot-keys": true}
	for _, p := range parts[1:] {
		if !strings.HasPrefix(p, "flags=") {
			return "Unknown lua shebang option: " + p, false
		}
		v := p[len("flags="):]
		if v == "" {
			continue
		}
		for _, f := range strings.Split(v, ",") {
			if !known[f] {
				return "Unexpected flag in script shebang: " + f, false
			}
			if f == "no-writes" {
				noWrites = true
			}
		}
	}
	return "", noWrites
}

// SplitArgs splits a line into words as Redis's sdssplitargs does (an
// inline command, a script's shebang line): words separated by white
// space, "double quoted" words with \n \r \t \b \a \\ \" and \xHH
// escapes, 'single quoted' words with \'; a closing quote must be
// followed by white space or the end. ok is false for unbalanced quotes.
func SplitArgs(line string) (out []string, ok bool) {
	i := 0
	for {
		for i < len(line) && cSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			return out, true
		}
		var cur strings.Builder
		inq, insq, done := false, false, false
		for !done {
			switch {
			case inq:
				if i >= len(line) {
					return nil, false
				}
				c := line[i]
				switch {
				case c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHexDigit(line[i+2]) && isHexDigit(line[i+3]):
					cur.WriteByte(byte(luaDigitValue(line[i+2])*16 + luaDigitValue(line[i+3])))
					i += 3
				case c == '\\' && i+1 < len(line):
					i++
					switch line[i] {
					case 'n':
						cur.WriteByte('\n')
					case 'r':
						cur.WriteByte('\r')
					case 't':
						cur.WriteByte('\t')
					case 'b':
						cur.WriteByte('\b')
					case 'a':
						cur.WriteByte('\a')
					default:
						cur.WriteByte(line[i])
					}
				case c == '"':
					if i+1 < len(line) && !cSpace(line[i+1]) {
						return nil, false
					}
					done = true
				default:
					cur.WriteByte(c)
				}
			case insq:
				if i >= len(line) {
					return nil, false
				}
				c := line[i]
				switch {
				case c == '\\' && i+1 < len(line) && line[i+1] == '\'':
					i++
					cur.WriteByte('\'')
				case c == '\'':
					if i+1 < len(line) && !cSpace(line[i+1]) {
						return nil, false
					}
					done = true
				default:
					cur.WriteByte(c)
				}
			default:
				if i >= len(line) {
					done = true
					break
				}
				switch c := line[i]; c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					cur.WriteByte(c)
				}
			}
			if i < len(line) {
				i++
			}
		}
		out = append(out, cur.String())
	}
}

// luaAbort is the error value that stops a run whose reply the model
// cannot know; no pcall of the script catches it.
var luaAbort = &lua.LUserData{Value: "wat: abort"}

// A luaRun is one execution of a script.
type luaRun struct {
	vm       *luaVM
	script   *luaScript
	real     *State // the state the EVAL ran on
	st       *State // where calls run: real until a call that may write, then a copy
	cloned   bool
	e        *formats.Event
	db       int
	readOnly bool
	// unknown says why the reply cannot be known ("" while it can).
	unknown string
	// listings are the paths in the reply of the hash tables' listings
	// the script returned untouched (see toRESP).
	listings []string
	// raised is the error value the last of our functions raised, with
	// where Redis's error handler would place it; nil once a pcall caught
	// it.
	raised       lua.LValue
	raisedSource string
	raisedLine   int
	// calls are the commands the script ran, as MONITOR shows them.
	calls []*formats.Event
	// name is what Redis's error replies call the script: its SHA1, or
	// a function's name; chunk is the chunk's name in error positions
	// ("user_script", or "user_function" for a library).
	name, chunk string
	// rand is the state of math.random, valid once seeded in this run.
	seeded bool
	rand   [3]uint32
	// shapes describe, as Lua 5.1 lays them out, the tables the
	// libraries built (and the script has not grown since).
	shapes map[*lua.LTable]*luaShape
	// ctors are the constructors of more than 50 fields being built.
	ctors map[*lua.LTable]*luaCtor
	ctx   context.Context
}

// uncertain notes that the reply cannot be known.
func (run *luaRun) uncertain(why string) {
	if run.unknown == "" {
		run.unknown = why
	}
}

// luaTimeout bounds a run (a script that loops for ever makes Redis busy,
// and its reply unknown).
const luaTimeout = time.Second

// beginRun readies a pooled VM to run a chunk for run: run gets the VM
// and a context that ends after luaTimeout, and becomes the VM's running
// chunk. end (deferred) undoes that and returns the VM to the pool.
func beginRun(run *luaRun) (end func()) {
	vm := getLuaVM()
	ctx, cancel := context.WithTimeout(context.Background(), luaTimeout)
	run.vm, run.ctx = vm, ctx
	vm.run = run
	vm.L.SetContext(ctx)
	return func() {
		vm.L.RemoveContext()
		vm.run = nil
		cancel()
		putLuaVM(vm)
	}
}

// evalOutcome is a script run's reply and the commands it ran.
type evalOutcome struct {
	reply string
	calls []*formats.Event
	why   string // for rUnknown
}

// runScript runs a compiled script with its keys and arguments on s for
// request e in database d; ro is set for EVAL_RO and EVALSHA_RO.
func runScript(s *State, e *formats.Event, d int, sc *luaScript, keys, args [][]byte, ro bool) evalOutcome {
	if !sc.compat && !sc.noWrites && ro {
		return evalOutcome{reply: errReply("ERR Can not execute a script with write flag using *_ro command.")}
	}
	if sc.caveat != "" {
		return evalOutcome{reply: rUnknown, why: sc.caveat}
	}
	run := &luaRun{script: sc, real: s, st: s, e: e, db: d, readOnly: ro || (!sc.compat && sc.noWrites),
		name: sc.sha, chunk: "user_script"}
	end := beginRun(run)
	defer end()
	vm, L := run.vm, run.vm.L
	vm.genv.RawSetString("KEYS", vm.stringArray(keys))
	vm.genv.RawSetString("ARGV", vm.stringArray(args))
	fn := L.NewFunctionFromProto(sc.proto)
	fn.Env = vm.gproxy
	L.Push(fn)
	return vm.finish(L.PCall(0, 1, nil))
}

// finish turns the end of a run (the error of its protected call, or
// its result on the stack) into the reply.
func (vm *luaVM) finish(err error) evalOutcome {
	run, L := vm.run, vm.L
	out := evalOutcome{calls: run.calls}
	switch {
	case run.unknown != "":
		out.reply, out.why = rUnknown, run.unknown
	case err != nil:
		out.reply = vm.errorReply(err)
		if out.reply == "" {
			out.reply, out.why = rUnknown, run.unknown
			if out.why == "" {
				out.why = "the script failed with an error the Lua VM wrote"
			}
		}
	default:
		v := L.Get(-1)
		L.Pop(1)
		r, ok := vm.toRESP(v, "", true)
		if !ok || run.unknown != "" {
			out.reply, out.why = rUnknown, run.unknown
		} else {
			out.reply = unorderedAt(r, run.listings)
		}
	}
	L.SetTop(0)
	return out
}

// errorReply is Redis's reply for a script that failed with err: the
// message, then " script: <sha>, on <source>:<line>." where Redis's error
// handler found the function that raised it. It returns "" when the
// error is not one whose text the model knows.
func (vm *luaVM) errorReply(err error) string {
	run := vm.run
	ae, ok := err.(*lua.ApiError)
	if !ok || ae.Object == nil || run.raised == nil || !luaSame(ae.Object, run.raised) {
		if ok && ae.Object == luaAbort {
			return ""
		}
		if run.ctx.Err() != nil {
			run.uncertain("the script ran longer than the model waits (" + luaTimeout.String() + ")")
		}
		return ""
	}
	if p := vm.poisonWhy(ae.Object); p != "" {
		run.uncertain(p)
		return ""
	}
	var msg lua.LValue
	switch o := ae.Object.(type) {
	case *lua.LTable:
		if o.Metatable != lua.LNil || vm.isProtected(o) {
			run.uncertain("the script raised a table with a metatable")
			return ""
		}
		msg = o.RawGetString("err")
	default:
		s, ok := vm.tostringPlain(o)
		if !ok {
			run.uncertain("the script raised a value Lua prints with its address")
			return ""
		}
		msg = lua.LString("ERR " + s)
	}
	if p := vm.poisonWhy(msg); p != "" {
		run.uncertain(p)
		return ""
	}
	text, ok := luaToStr(msg)
	if !ok {
		run.uncertain("the script raised a table without an 'err' string")
		return ""
	}
	text = cString(text)
	final := "-" + text + " script: " + run.name + ", on " + run.raisedSource + ":" + strconv.Itoa(run.raisedLine) + "."
	if strings.ContainsAny(final, "\r\n") {
		run.uncertain("the script's error message holds a line break, which Redis sends unescaped")
		return ""
	}
	return final + "\r\n"
}

// luaSame reports whether two error values are the same: the same table,
// or equal strings.
func luaSame(a, b lua.LValue) bool {
	if ta, ok := a.(*lua.LTable); ok {
		tb, ok := b.(*lua.LTable)
		return ok && ta == tb
	}
	return a == b
}

// toRESP converts a script's return value to Redis's reply as
// luaReplyToRedisReply does for a RESP2 client; ok is false when the
// reply is not known (run.unknown says why). path is where v is in the
// reply ("/i/j..."); a hash table's listing the script returns untouched
// is the model's, and its path is noted in run.listings, where the
// listing may be (listings: in arrays, not in maps or sets).
func (vm *luaVM) toRESP(v lua.LValue, path string, listings bool) (string, bool) {
	run := vm.run
	if strings.Count(path, "/") > 200 {
		run.uncertain("the script returned tables nested too deep")
		return "", false
	}
	if l := vm.poisonListing(v); l != "" && listings {
		run.listings = append(run.listings, path)
		return l, true
	}
	if p := vm.poisonWhy(v); p != "" {
		run.uncertain(p)
		return "", false
	}
	switch x := v.(type) {
	case lua.LString:
		return bulkString(string(x)), true
	case lua.LBool:
		if x {
			return rOne, true
		}
		return rNil, true
	case lua.LNumber:
		return integer(luaDoubleToInt64(float64(x))), true
	case *lua.LTable:
		for _, f := range []string{"err", "ok", "double", "big_number", "verbatim_string", "map", "set"} {
			if p := vm.poisonWhy(x.RawGetString(f)); p != "" {
				run.uncertain(p)
				return "", false
			}
		}
		if e, ok := x.RawGetString("err").(lua.LString); ok {
			s := "-" + cString(string(e))
			s = strings.Trim(s, "\r\n")
			s = strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
			return s + "\r\n", true
		}
		if o, ok := x.RawGetString("ok").(lua.LString); ok {
			s := strings.NewReplacer("\r", " ", "\n", " ").Replace(cString(string(o)))
			return status(s), true
		}
		if d, ok := x.RawGetString("double").(lua.LNumber); ok {
			f := float64(d)
			if f != f {
				run.uncertain("the script returned a NaN double, whose sign Redis prints")
				return "", false
			}
			return bulkString(luaFormatFloat(f, 'g', 17, "", 0)), true
		}
		if b, ok := x.RawGetString("big_number").(lua.LString); ok {
			return bulkString(strings.NewReplacer("\r", " ", "\n", " ").Replace(string(b))), true
		}
		if vt, ok := x.RawGetString("verbatim_string").(*lua.LTable); ok {
			if _, ok := vt.RawGetString("format").(lua.LString); ok {
				if s, ok := vt.RawGetString("string").(lua.LString); ok {
					return bulkString(string(s)), true
				}
			}
		}
		if m, ok := x.RawGetString("map").(*lua.LTable); ok {
			keys, certain := vm.order(m)
			if !certain {
				run.uncertain("the script returned a map whose order is a Lua table's")
				return "", false
			}
			items := make([]string, 0, 2*len(keys))
			for _, k := range keys {
				ks, ok := vm.toRESP(k, path+"/", false)
				if !ok {
					return "", false
				}
				vs, ok := vm.toRESP(m.RawGet(k), path+"/", false)
				if !ok {
					return "", false
				}
				items = append(items, ks, vs)
			}
			return array(items), true
		}
		if m, ok := x.RawGetString("set").(*lua.LTable); ok {
			keys, certain := vm.order(m)
			if !certain {
				run.uncertain("the script returned a set whose order is a Lua table's")
				return "", false
			}
			items := make([]string, 0, len(keys))
			for _, k := range keys {
				ks, ok := vm.toRESP(k, path+"/", false)
				if !ok {
					return "", false
				}
				items = append(items, ks)
			}
			return array(items), true
		}
		var items []string
		for j := 1; ; j++ {
			e := x.RawGetInt(j)
			if e == lua.LNil {
				break
			}
			s, ok := vm.toRESP(e, path+"/"+strconv.Itoa(j-1), listings)
			if !ok {
				return "", false
			}
			items = append(items, s)
		}
		return array(items), true
	}
	return rNil, true
}

// EvalCalls runs a script request (EVAL, EVALSHA, EVAL_RO, EVALSHA_RO,
// FCALL, FCALL_RO) on a copy of st and returns its reply with the
// commands the script (or function) ran,
// each as MONITOR logs it after the request (client "lua", the script's
// database): what the model expects the "[db lua]" lines after the
// request's line to be. When the reply is unknown (the marker rUnknown),
// why says what the model could not follow. The state is not changed.
func EvalCalls(st provenance.State, e *formats.Event) (reply provenance.Output, calls []*formats.Event, why string) {
	s := Model{}.Clone(st).(*State)
	d, ok := dbIndex(e.NS)
	if !ok {
		d = 0
	}
	r := &run{s: s, e: e, d: d, now: e.Time / 1e6, op: e.Op, argv: argv(e), client: e.Client}
	cmd := lookup(e.Op, e.Args)
	if cmd == nil || cmd.Run == nil || !cmd.arityOK(len(r.argv)) || !isScriptCall(cmd.Name) {
		return provenance.Output(apply(s, e)), nil, ""
	}
	r.cmd, r.args = cmd, r.argv[1:]
	var out evalOutcome
	if strings.HasPrefix(cmd.Name, "FCALL") {
		out = fcallRequest(r)
	} else {
		out = evalRequest(r)
	}
	return provenance.Output(out.reply), out.calls, out.why
}

// scriptCommand finds the command a script calls, with Redis's checks
// (scriptCall): the command must exist, fit its arity, be allowed in
// scripts, and not write in a read-only script. It returns the command or
// the error text.
func scriptCommand(argv [][]byte, readOnly bool) (*Command, string) {
	name := luaASCIIUpper(argv[0])
	var cmd *Command
	switch {
	case strings.Contains(name, "|"):
	case len(subcommandsOf[name]) > 0:
		// A container: its subcommand, or the container itself when
		// called alone (whose arity then fails).
		if len(argv) == 1 {
			return nil, "Wrong number of args calling Redis command from script"
		}
		cmd = table[name+"|"+luaASCIIUpper(argv[1])]
	default:
		cmd = table[name]
	}
	if cmd == nil {
		return nil, "Unknown Redis command called from script"
	}
	if !cmd.arityOK(len(argv)) {
		return nil, "Wrong number of args calling Redis command from script"
	}
	if cmd.hasFlag("noscript") {
		return nil, "This Redis command is not allowed from script"
	}
	if readOnly && (cmd.hasFlag("write") || luaMayReplicate[cmd.Name]) {
		return nil, "Write commands are not allowed from read-only scripts."
	}
	return cmd, ""
}

// luaASCIIUpper upper-cases ASCII letters only, as Redis compares
// command names.
func luaASCIIUpper(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		out[i] = c
	}
	return string(out)
}

// luaMayReplicate are the commands with Redis's CMD_MAY_REPLICATE flag
// (which COMMAND INFO does not show): a read-only script may not run
// them.
var luaMayReplicate = map[string]bool{"EVAL": true, "EVALSHA": true, "FCALL": true, "PFCOUNT": true, "PUBLISH": true, "SPUBLISH": true}

// redisCall is redis.call (raise) and redis.pcall.
func (vm *luaVM) redisCall(L *lua.LState, raise bool) int {
	run := vm.run
	n := L.GetTop()
	if n == 0 {
		return vm.callError(L, raise, "Please specify at least one argument for this redis lib call")
	}
	argv := make([][]byte, n)
	for i := 1; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LNumber:
			f := float64(v)
			if f != f {
				vm.abort(L, "the script passed NaN to a command, whose sign Redis prints")
			}
			argv[i-1] = []byte(luaFormatFloat(f, 'g', 17, "", 0))
		case lua.LString:
			argv[i-1] = []byte(v)
		default:
			vm.checkPoison(L, v)
			return vm.callError(L, raise, "Lua redis lib command arguments must be strings or integers")
		}
	}
	L.SetTop(0)
	cmd, bad := scriptCommand(argv, run.readOnly)
	if bad != "" {
		return vm.callError(L, raise, bad)
	}
	call := &formats.Event{ID: run.e.ID, Source: run.e.Source, Line: run.e.Line,
		Time: run.e.Time, System: run.e.System, NS: strconv.Itoa(run.db), Client: "lua",
		Op: luaASCIIUpper(argv[0]), Args: argv[1:]}
	run.calls = append(run.calls, call)
	if !run.cloned && !cmd.hasFlag("readonly") {
		run.st = Model{}.Clone(run.real).(*State)
		run.cloned = true
	}
	reply := run.st.call(run.e, run.db, argv)
	name := luaASCIIUpper(argv[0])
	switch reply {
	case rNotRun:
		// Neither its reply nor its effect is known.
		vm.abort(L, "the script ran "+name+", which the model does not run")
	case rUnknown, rUnknownEnd, rUnknownScan:
		why := "the script ran " + name + ", whose reply the model does not know"
		if cmd.Unknown != "" {
			why = "the script ran " + name + ", whose reply depends on " + cmd.Unknown
		}
		if raise {
			// Whether redis.call raised is not known.
			vm.abort(L, why)
		}
		L.Push(vm.poison(why))
		return 1
	}
	if strings.HasPrefix(reply, "\x00") {
		vm.abort(L, "the script ran "+name+", whose reply the model does not know")
	}
	if resp, unord := splitOutput(reply); unord {
		why := "the script read a reply in a hash table's order (" + name + ")"
		if paths := unorderedPaths(reply); len(paths) == 1 && paths[0] == "" {
			L.Push(vm.listingPoison(why, resp))
		} else {
			L.Push(vm.poison(why))
		}
		return 1
	}
	if cmd.Random != nil && !strings.HasPrefix(reply, "-") {
		if why := cmd.Random(argv); why != "" {
			L.Push(vm.poison("the script ran " + name + ", whose reply depends on " + why))
			return 1
		}
	}
	if cmd.Name == "SELECT" && reply == rOK {
		// MONITOR prints the database after the command ran.
		run.db, _ = dbIndex(string(argv[1]))
		call.NS = strconv.Itoa(run.db)
	}
	v, rest, ok := vm.fromRESP(reply)
	if !ok || rest != "" {
		vm.abort(L, "the model's reply to "+luaASCIIUpper(argv[0])+" is not RESP2")
	}
	if raise && strings.HasPrefix(reply, "-") {
		vm.raise(L, v, false)
	}
	L.Push(v)
	return 1
}

// callError fails a redis.call (raising) or redis.pcall (returning the
// error table) with a message of Redis's own.
func (vm *luaVM) callError(L *lua.LState, raise bool, msg string) int {
	t := vm.errorTable(msg, true)
	if raise {
		vm.raise(L, t, false)
	}
	L.SetTop(0)
	L.Push(t)
	return 1
}

// errorTable builds the table luaPushErrorBuff builds: {err = "CODE
// message"} from "-CODE message" (or "message", code ERR), with the
// ignore_error_stats_update field for errors of redis.call.
func (vm *luaVM) errorTable(buf string, ignoreStats bool) *lua.LTable {
	buf = cString(buf)
	var code, msg string
	if strings.HasPrefix(buf, "-") {
		if sp := strings.IndexByte(buf, ' '); sp < 0 {
			code, msg = "ERR", buf[1:]
		} else {
			code, msg = buf[1:sp], buf[sp+1:]
		}
	} else {
		code, msg = "ERR", buf
	}
	msg = strings.Trim(msg, "\r\n")
	t := vm.newLibTable()
	vm.libSet(t, lua.LString("err"), lua.LString(code+" "+msg))
	if ignoreStats {
		vm.libSet(t, lua.LString("ignore_error_stats_update"), lua.LTrue)
	}
	return t
}

// fromRESP converts a RESP2 reply to the Lua value redis.call returns.
func (vm *luaVM) fromRESP(s string) (lua.LValue, string, bool) {
	line, rest, ok := strings.Cut(s, "\r\n")
	if !ok || line == "" {
		return nil, s, false
	}
	switch line[0] {
	case '+':
		t := vm.newLibTable()
		vm.libSet(t, lua.LString("ok"), lua.LString(line[1:]))
		return t, rest, true
	case '-':
		return vm.errorTable("-"+line[1:], true), rest, true
	case ':':
		n, err := strconv.ParseInt(line[1:], 10, 64)
		if err != nil {
			return nil, s, false
		}
		return lua.LNumber(float64(n)), rest, true
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return nil, s, false
		}
		if n < 0 {
			return lua.LFalse, rest, true
		}
		if len(rest) < n+2 {
			return nil, s, false
		}
		return lua.LString(rest[:n]), rest[n+2:], true
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return nil, s, false
		}
		if n < 0 {
			return lua.LFalse, rest, true
		}
		t := vm.newTable()
		for i := 1; i <= n; i++ {
			var v lua.LValue
			if v, rest, ok = vm.fromRESP(rest); !ok {
				return nil, s, false
			}
			vm.libSet(t, lua.LNumber(i), v)
		}
		return t, rest, true
	}
	return nil, s, false
}

// stringArray makes KEYS or ARGV.
func (vm *luaVM) stringArray(items [][]byte) *lua.LTable {
	t := vm.newTable()
	for i, s := range items {
		vm.libSet(t, lua.LNumber(i+1), lua.LString(s))
	}
	return t
}

// raise fails the running Lua function with v as Redis's C functions do
// (luaL_error: with the calling line's position when v is a string and
// pos is set), and notes where Redis's error handler would say it
// happened: the Lua function that called the raising one.
func (vm *luaVM) raise(L *lua.LState, v lua.LValue, pos bool) {
	run := vm.run
	source, line, isLua := vm.caller(L, 1)
	if s, ok := v.(lua.LString); ok && pos && isLua {
		v = lua.LString(vm.chunkName() + ":" + strconv.Itoa(line) + ": " + string(s))
	}
	if run != nil {
		run.raised, run.raisedSource, run.raisedLine = v, source, line
	}
	L.Error(v, 0)
}

// raiseUnknown fails the running function with an error whose text the
// model does not reproduce (an argument error naming the function as the
// caller spelt it, a Lua VM error): the reply becomes unknown.
func (vm *luaVM) raiseUnknown(L *lua.LState, why, msg string) {
	if vm.run != nil {
		vm.run.uncertain(why)
	}
	L.Error(lua.LString(msg), 0)
}

// abort stops the run: its reply cannot be known.
func (vm *luaVM) abort(L *lua.LState, why string) {
	if vm.run != nil {
		vm.run.uncertain(why)
	}
	L.Error(luaAbort, 0)
}

// caller returns the function level levels above the running Go
// function: its source and current line as Lua's debug info gives them
// ("@user_script", or "@user_function" for a library, and the line for
// the script's code; "=[C]" and -1 for a library function).
func (vm *luaVM) caller(L *lua.LState, level int) (source string, line int, isLua bool) {
	dbg, ok := L.GetStack(level)
	if !ok {
		return "=[C]", -1, false
	}
	if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil {
		return "=[C]", -1, false
	}
	if dbg.What == "G" || dbg.CurrentLine <= 0 {
		return "=[C]", -1, false
	}
	if dbg.CurrentLine == luaLineUnknown && vm.run != nil {
		vm.run.uncertain("an error at a call spread over lines, whose line Lua 5.1 counts differently")
	}
	return "@" + vm.chunkName(), dbg.CurrentLine, true
}

// chunkName is the name Lua gives the running chunk in error positions:
// "user_script" for a script, "user_function" for a library.
func (vm *luaVM) chunkName() string {
	if vm.run != nil && vm.run.chunk != "" {
		return vm.run.chunk
	}
	return "user_script"
}

// raiseStmt is raise for an error of a statement's own instruction (a
// field or global store, a global read): on a statement spread over
// lines, Lua 5.1 may count another line.
func (vm *luaVM) raiseStmt(L *lua.LState, v lua.LValue, pos bool) {
	if run := vm.run; run != nil {
		if _, line, isLua := vm.caller(L, 1); isLua && run.script.risky[line] {
			run.uncertain("an error in a statement spread over lines, whose line Lua 5.1 may count differently")
		}
	}
	vm.raise(L, v, pos)
}
