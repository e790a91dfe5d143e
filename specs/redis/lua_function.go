package redis

import (
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/wat-project/wat/formats"
)

// The Lua side of Redis functions (function_lua.c), as redis-server 7.0
// runs them. A library's code (after its "#!lua name=..." line, whose
// line feed stays so that lines count from the shebang) runs once, at
// FUNCTION LOAD, in an environment that holds nothing but a small redis
// table: register_function, log, the LOG_* levels and the version. Every
// other global is missing there (string, table, pcall, error...). The
// functions it registers run later, at FCALL, with two arguments (the
// keys and the arguments, as tables), in the Lua state of functions: the
// globals scripts get, without KEYS, ARGV and the EVAL error handler,
// and with a redis table that lacks breakpoint, debug and
// replicate_commands. Errors in a function name the function and
// "@user_function" where an EVAL names the script's SHA1 and
// "@user_script".
//
// The model keeps no Lua state between requests: an FCALL loads its
// library again in a fresh (pooled) VM and calls the function. That is
// Redis's behaviour as long as no call changed what the library's
// functions share between calls (a variable of the library's chunk, a
// table made at load time); a library whose functions may change such
// things is marked stateful when it loads, and its calls' replies are
// unknown (lua_function_state.go).

// Script flags (scripts_flags_def), as register_function's flags table
// names them.
const (
	fnNoWrites = 1 << iota
	fnAllowOOM
	fnAllowStale
	fnNoCluster
	fnAllowCrossSlot
)

var luaFunctionFlags = []struct {
	name string
	bit  uint8
}{{"no-writes", fnNoWrites}, {"allow-oom", fnAllowOOM}, {"allow-stale", fnAllowStale},
	{"no-cluster", fnNoCluster}, {"allow-cross-slot-keys", fnAllowCrossSlot}}

// A luaRegistration is one redis.register_function call of a load.
type luaRegistration struct {
	name  string
	fn    *lua.LFunction
	flags uint8
}

// luaLoadCtx collects a load's registrations; a VM has one only while a
// library's chunk runs.
type luaLoadCtx struct {
	regs []luaRegistration
}

// setupFunctionEnv builds, in a new VM, the globals of Redis's Lua state
// for functions (a copy of the script globals without KEYS, ARGV and the
// EVAL error handler, with the functions' redis table), the load-time
// API, and the environment a library's chunk runs in, whose reads go to
// one or the other (as Redis switches the globals' __index).
func (vm *luaVM) setupFunctionEnv(missing *lua.LTable) {
	L := vm.L
	fg := L.NewTable()
	vm.genv.ForEach(func(k, v lua.LValue) {
		switch k {
		case lua.LString("__redis__err__handler"), lua.LString("KEYS"), lua.LString("ARGV"), lua.LString("_G"), lua.LString("redis"):
			return
		}
		fg.RawSet(k, v)
	})
	fr := L.NewTable()
	vm.backing[vm.genv.RawGetString("redis").(*lua.LTable)].ForEach(func(k, v lua.LValue) {
		switch k {
		case lua.LString("breakpoint"), lua.LString("debug"), lua.LString("replicate_commands"):
			return
		}
		fr.RawSet(k, v)
	})
	fg.RawSetString("redis", vm.protect(fr))
	L.SetMetatable(fg, missing)
	vm.fgenv = fg
	fg.RawSetString("_G", vm.protect(fg))

	// The load-time API (LIBRARY_API): only redis, and a missing name is
	// an error even inside redis.
	lr := L.NewTable()
	lr.RawSetString("register_function", L.NewFunction(vm.registerFunction))
	lr.RawSetString("log", L.NewFunction(vm.redisLog))
	for name, n := range map[string]float64{"LOG_DEBUG": 0, "LOG_VERBOSE": 1, "LOG_NOTICE": 2, "LOG_WARNING": 3,
		"REDIS_VERSION_NUM": 7<<16 | 0<<8 | 15} {
		lr.RawSetString(name, lua.LNumber(n))
	}
	lr.RawSetString("REDIS_VERSION", lua.LString("7.0.15"))
	L.SetMetatable(lr, missing)
	vm.guardLibrary("redis", lr)
	api := L.NewTable()
	api.RawSetString("redis", vm.protect(lr))
	for _, h := range luaHelpers {
		api.RawSetString(h, vm.genv.RawGetString(h))
	}
	L.SetMetatable(api, missing)
	vm.loadAPI = api

	vm.fenv = L.NewTable()
	vm.fenvMT = L.NewTable()
	vm.fenvMT.RawSetString("__index", fg)
	vm.fenvMT.RawSetString("__newindex", L.NewFunction(vm.readonlyWrite))
	L.SetMetatable(vm.fenv, vm.fenvMT)
}

// registerFunction is redis.register_function: positional (name,
// callback) or named arguments ({function_name=, callback=, flags=,
// description=}), checked in Redis's order with its error texts.
func (vm *luaVM) registerFunction(L *lua.LState) int {
	ctx := vm.loading
	if ctx == nil {
		vm.raiseRedisError(L, "redis.register_function can only be called on FUNCTION LOAD command")
	}
	var reg luaRegistration
	switch L.GetTop() {
	case 1:
		reg = vm.registerNamed(L)
	case 2:
		name, ok := vm.luaStringArg(L, L.Get(1))
		if !ok {
			vm.raiseRedisError(L, "first argument to redis.register_function must be a string")
		}
		fn, ok := L.Get(2).(*lua.LFunction)
		if !ok {
			vm.raiseRedisError(L, "second argument to redis.register_function must be a function")
		}
		reg = luaRegistration{name: name, fn: fn}
	default:
		vm.raiseRedisError(L, "wrong number of arguments to redis.register_function")
	}
	if !validFunctionName(reg.name) {
		vm.raiseRedisError(L, "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
	}
	for _, r := range ctx.regs {
		if r.name == reg.name {
			vm.raiseRedisError(L, "Function already exists in the library")
		}
	}
	ctx.regs = append(ctx.regs, reg)
	return 0
}

// luaStringArg is luaGetStringSds: a string, or a number as Lua prints
// it (a NaN's sign is glibc's: the run stops).
func (vm *luaVM) luaStringArg(L *lua.LState, v lua.LValue) (string, bool) {
	if f, ok := v.(lua.LNumber); ok && float64(f) != float64(f) {
		vm.abort(L, "register_function was given NaN, whose sign glibc prints")
	}
	return luaToStr(v)
}

// registerNamed reads register_function's table of named arguments as
// luaRegisterFunctionReadNamedArgs walks it: the first bad entry (in the
// table's order) raises, and a later entry overrides an earlier one of
// the same name. When the outcome depends on an order the model does not
// know, the run stops.
func (vm *luaVM) registerNamed(L *lua.LState) luaRegistration {
	t, ok := L.Get(1).(*lua.LTable)
	if !ok {
		vm.raiseRedisError(L, "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
	}
	if vm.isProtected(t) || t.Metatable != lua.LNil {
		vm.abort(L, "register_function was given one of Redis's tables")
	}
	type entry struct {
		field string // "function_name", "description", "callback", "flags"
		err   string
		str   string
		fn    *lua.LFunction
		flags uint8
	}
	read := func(k, v lua.LValue) entry {
		ks, ok := luaToStr(k)
		if !ok {
			return entry{err: "named argument key given to redis.register_function is not a string"}
		}
		kb := []byte(ks)
		switch {
		case cEqual(kb, "function_name"), cEqual(kb, "description"):
			field := "function_name"
			if cEqual(kb, "description") {
				field = "description"
			}
			s, ok := vm.luaStringArg(L, v)
			if !ok {
				return entry{err: field + " argument given to redis.register_function must be a string"}
			}
			return entry{field: field, str: s}
		case cEqual(kb, "callback"):
			fn, ok := v.(*lua.LFunction)
			if !ok {
				return entry{err: "callback argument given to redis.register_function must be a function"}
			}
			return entry{field: "callback", fn: fn}
		case cEqual(kb, "flags"):
			ft, ok := v.(*lua.LTable)
			if !ok {
				return entry{err: "flags argument to redis.register_function must be a table representing function flags"}
			}
			if vm.isProtected(ft) || ft.Metatable != lua.LNil {
				vm.abort(L, "register_function was given flags in one of Redis's tables")
			}
			var flags uint8
			for j := 1; ; j++ {
				x := ft.RawGetInt(j)
				if x == lua.LNil {
					break
				}
				s, ok := luaToStr(x)
				found := false
				for _, f := range luaFunctionFlags {
					if ok && cEqual([]byte(s), f.name) {
						flags |= f.bit
						found = true
						break
					}
				}
				if !found {
					return entry{err: "unknown flag given"}
				}
			}
			return entry{field: "flags", flags: flags}
		}
		return entry{err: "unknown argument given to redis.register_function"}
	}
	keys, known := vm.order(t)
	var entries []entry
	bad, seen, dup := 0, map[string]bool{}, false
	for _, k := range keys {
		en := read(k, t.RawGet(k))
		if en.err != "" {
			bad++
		} else if seen[en.field] {
			dup = true
		}
		seen[en.field] = true
		entries = append(entries, en)
	}
	if !known && (bad > 1 || bad == 0 && dup) {
		vm.abort(L, "register_function's named arguments are walked in Lua 5.1's hash order, which decides the outcome here")
	}
	var reg luaRegistration
	var hasName, hasFn bool
	for _, en := range entries {
		if !known && bad == 1 && en.err == "" {
			continue
		}
		switch en.field {
		case "":
			vm.raiseRedisError(L, en.err)
		case "function_name":
			reg.name, hasName = en.str, true
		case "callback":
			reg.fn, hasFn = en.fn, true
		case "flags":
			reg.flags = en.flags
		}
	}
	if !hasName {
		vm.raiseRedisError(L, "redis.register_function must get a function name argument")
	}
	if !hasFn {
		vm.raiseRedisError(L, "redis.register_function must get a callback argument")
	}
	return reg
}

// validFunctionName is functionsVerifyName: letters, digits and '_', at
// least one.
func validFunctionName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// loadPhase runs a library's chunk in the load-time environment and
// returns what it registered, or the error it raised.
func (vm *luaVM) loadPhase(sc *luaScript) ([]luaRegistration, error) {
	L := vm.L
	vm.loading = &luaLoadCtx{}
	vm.fenvMT.RawSetString("__index", vm.loadAPI)
	defer func() {
		vm.loading = nil
		vm.fenvMT.RawSetString("__index", vm.fgenv)
	}()
	fn := L.NewFunctionFromProto(sc.proto)
	fn.Env = vm.fenv
	L.Push(fn)
	err := L.PCall(0, 0, nil)
	regs := vm.loading.regs
	L.SetTop(0)
	return regs, err
}

// libScripts caches compiled library code by its text.
var libScripts sync.Map

// compileLibrary compiles a library's code (the payload from its
// shebang's line feed on).
func compileLibrary(code string) *luaScript {
	if v, ok := libScripts.Load(code); ok {
		return v.(*luaScript)
	}
	sc := &luaScript{body: code}
	proto, risky, caveat, certain, err := luaCompile(code)
	if err != nil {
		sc.compileErr, sc.compileCertain = err.Error(), certain
	}
	sc.proto, sc.risky, sc.caveat = proto, risky, caveat
	v, _ := libScripts.LoadOrStore(code, sc)
	return v.(*luaScript)
}

// Outcomes of loading a library.
const (
	// loadOK: the chunk ran and registered functions.
	loadOK = iota
	// loadFailed: Redis refused the library (the reply says why, or is
	// unknown when its text is Lua's own); nothing changed.
	loadFailed
	// loadLost: the model cannot tell whether Redis loaded the library,
	// nor what it registered.
	loadLost
)

// A libLoad is what loading a library's code gives, whatever the
// libraries loaded before (FUNCTION LOAD checks those afterwards).
type libLoad struct {
	outcome int
	// errText is the error reply's text for loadFailed ("" when the model
	// does not know it); why says what the model cannot follow.
	errText, why string
	funcs        []libFunction
	// stateful says why the library's calls are not known (its functions
	// may change what they share between calls), or "".
	stateful string
}

// A libFunction is one function a library registered.
type libFunction struct {
	name  string
	flags uint8
	// native: the callback is one of Redis's C functions (redis.log),
	// whose errors carry no position.
	native bool
}

// libLoads caches loads by code: a load depends on nothing else.
var libLoads sync.Map

// luaLoadBudget is how long the model lets a library's chunk run: Redis
// stops a load after 500 ms, and a chunk that runs this long in the model
// may have been stopped.
const luaLoadBudget = 100 * time.Millisecond

// loadLibrary runs a library's code as luaEngineCreate does.
func loadLibrary(code string) *libLoad {
	if v, ok := libLoads.Load(code); ok {
		return v.(*libLoad)
	}
	ld := loadLibraryUncached(code)
	v, _ := libLoads.LoadOrStore(code, ld)
	return v.(*libLoad)
}

func loadLibraryUncached(code string) *libLoad {
	sc := compileLibrary(code)
	switch {
	case sc.compileErr != "" && sc.compileCertain:
		return &libLoad{outcome: loadFailed, why: "the library does not compile: Redis replies with Lua 5.1's parser message, which the model does not reproduce"}
	case sc.compileErr != "":
		return &libLoad{outcome: loadLost, why: "the model cannot compile the library, and Lua 5.1 may"}
	case sc.caveat != "":
		return &libLoad{outcome: loadLost, why: sc.caveat}
	}
	run := &luaRun{script: sc, real: &State{}, readOnly: true, chunk: "user_function",
		e: &formats.Event{System: "redis", NS: "0"}}
	run.st = run.real
	end := beginRun(run)
	defer end()
	vm, ctx := run.vm, run.ctx
	start := time.Now()
	regs, err := vm.loadPhase(sc)
	took := time.Since(start)
	ae, _ := err.(*lua.ApiError)
	switch {
	case ctx.Err() != nil || took > luaLoadBudget:
		return &libLoad{outcome: loadLost, why: "the library's chunk runs long enough that Redis's FUNCTION LOAD timeout (500 ms) may stop it"}
	case ae != nil && ae.Object == luaAbort, err == nil && run.unknown != "":
		return &libLoad{outcome: loadLost, why: run.unknown}
	case err != nil && (ae == nil || strings.Contains(ae.Error(), "overflow") && !luaSame(ae.Object, run.raised)):
		// gopher-lua's stack and registry are smaller than Lua 5.1's.
		return &libLoad{outcome: loadLost, why: "the library's chunk overflowed the model's Lua stack, which is smaller than Redis's"}
	case err != nil:
		ld := &libLoad{outcome: loadFailed, why: run.unknown}
		if msg, ok := vm.loadErrorText(ae); ok && run.unknown == "" {
			ld.errText = "ERR Error registering functions: " + msg
		} else if ld.why == "" {
			ld.why = "the library's chunk failed with an error the Lua VM wrote"
		}
		return ld
	case len(run.calls) > 0:
		return &libLoad{outcome: loadLost, why: "the library's chunk ran commands"}
	case len(regs) == 0:
		return &libLoad{outcome: loadFailed, errText: "ERR No functions registered"}
	}
	ld := &libLoad{outcome: loadOK}
	for _, r := range regs {
		ld.funcs = append(ld.funcs, libFunction{name: r.name, flags: r.flags, native: r.fn.IsG})
	}
	ld.stateful = vm.libraryStateful(sc, regs)
	return ld
}

// loadErrorText is luaExtractErrorInformation's message for an error a
// load raised (no error handler runs at load time): a table's err field,
// or "ERR " and a string. ok is false for an error the Lua VM wrote.
func (vm *luaVM) loadErrorText(ae *lua.ApiError) (string, bool) {
	run := vm.run
	if run.raised == nil || !luaSame(ae.Object, run.raised) {
		return "", false
	}
	var msg string
	switch o := ae.Object.(type) {
	case *lua.LTable:
		if vm.isProtected(o) || o.Metatable != lua.LNil {
			return "", false
		}
		s, ok := luaToStr(o.RawGetString("err"))
		if !ok {
			return "", false
		}
		msg = cString(s)
	case lua.LString:
		msg = "ERR " + cString(string(o))
	default:
		return "", false
	}
	if strings.ContainsAny(msg, "\r\n") {
		// Redis sends it as it is, breaking the protocol.
		return "", false
	}
	return msg, true
}

// runFunction runs function fi of a library for request e in database
// d, with its keys and arguments; ro is set for FCALL_RO. The library is
// loaded again in the VM first (the model keeps no Lua state).
func runFunction(s *State, e *formats.Event, d int, lib *library, fi int, keys, args [][]byte, ro bool) evalOutcome {
	f := lib.funcs[fi]
	noWrites := f.flags&fnNoWrites != 0
	if !noWrites && ro {
		return evalOutcome{reply: errReply("ERR Can not execute a script with write flag using *_ro command.")}
	}
	switch {
	case lib.stateful != "":
		return evalOutcome{reply: rUnknown, why: lib.stateful}
	case f.native:
		return evalOutcome{reply: rUnknown, why: "the function is one of Redis's own C functions (registered as it is), whose errors Redis reports without a position"}
	}
	sc := compileLibrary(lib.body)
	run := &luaRun{script: sc, real: s, st: s, e: e, db: d, readOnly: ro || noWrites,
		name: f.name, chunk: "user_function"}
	end := beginRun(run)
	defer end()
	vm, L := run.vm, run.vm.L
	regs, err := vm.loadPhase(sc)
	if err != nil || run.unknown != "" || len(regs) != len(lib.funcs) || regs[fi].name != f.name {
		return evalOutcome{reply: rUnknown, why: "the library's chunk ran differently when loaded again"}
	}
	run.raised = nil
	L.Push(regs[fi].fn)
	L.Push(vm.stringArray(keys))
	L.Push(vm.stringArray(args))
	return vm.finish(L.PCall(2, 1, nil))
}
