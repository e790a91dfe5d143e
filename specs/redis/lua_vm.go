package redis

import (
	"math"
	"strconv"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
)

// A luaVM is a gopher-lua state set up as Redis 7.0 sets up its Lua
// interpreter: the globals its allow list keeps (base functions, string,
// table, math, cjson, cmsgpack, bit, struct, redis), every table reachable
// from the globals read-only, and reading a global that does not exist
// an error. The redis-server 7.0.15 the model follows (Debian's, with the
// 2025 Lua security fixes) has no getfenv, setfenv and newproxy, and its
// string metatable is read-only too. The model's VMs are pooled; a run changes nothing a later run
// sees (the global tables cannot be changed).
//
// Read-only tables are empty proxies whose metatable reads through to
// the real table and refuses writes; the globals table reads through to
// a table whose own metatable raises Redis's error for a missing global.
type luaVM struct {
	L      *lua.LState
	genv   *lua.LTable // the globals
	gproxy *lua.LTable // _G as scripts see it
	// backing maps each read-only proxy to its table.
	backing map[*lua.LTable]*lua.LTable
	run     *luaRun
	// cjsonNull is cjson.null (a NULL light userdata in Redis).
	cjsonNull *lua.LUserData
	// poisonMT is the metatable of values the model does not know.
	poisonMT *lua.LTable
	// stringMeta is the string metatable as getmetatable returns it.
	stringMeta *lua.LTable
	next       *lua.LFunction
	ipairsAux  *lua.LFunction
	// The Lua state of functions (lua_function.go): its globals, the
	// load-time API, the environment a library's chunk runs in (whose
	// metatable's __index is one or the other), and the registrations
	// of the load under way.
	fgenv, loadAPI, fenv, fenvMT *lua.LTable
	loading                      *luaLoadCtx
}

var luaVMPool = sync.Pool{New: func() any { return newLuaVM() }}

func getLuaVM() *luaVM { return luaVMPool.Get().(*luaVM) }

func putLuaVM(vm *luaVM) {
	vm.run = nil
	vm.loading = nil
	luaVMPool.Put(vm)
}

func newLuaVM() *luaVM {
	L := lua.NewState(lua.Options{SkipOpenLibs: true, CallStackSize: 400, RegistrySize: 1024 * 8, RegistryMaxSize: 1024 * 1024})
	vm := &luaVM{L: L, backing: map[*lua.LTable]*lua.LTable{}}
	vm.cjsonNull = L.NewUserData()
	vm.poisonMT = vm.newPoisonMT()
	vm.genv = L.NewTable()
	missing := L.NewTable()
	missing.RawSetString("__index", L.NewFunction(vm.missingGlobal))
	L.SetMetatable(vm.genv, missing)
	vm.gproxy = vm.protect(vm.genv)

	g := vm.genv
	fn := func(name string, f lua.LGFunction) *lua.LFunction {
		v := L.NewFunction(f)
		g.RawSetString(name, v)
		return v
	}
	fn("assert", vm.assert)
	fn("collectgarbage", vm.collectgarbage)
	fn("error", vm.errorFn)
	fn("gcinfo", vm.unsupported("gcinfo reads the interpreter's memory use"))
	fn("getmetatable", vm.getmetatable)
	fn("setmetatable", vm.setmetatable)
	vm.ipairsAux = L.NewFunction(vm.ipairsStep)
	fn("ipairs", vm.ipairs)
	fn("load", vm.unsupported("load compiles code at run time, which is not modelled"))
	fn("loadstring", vm.unsupported("loadstring compiles code at run time, which is not modelled"))
	vm.next = fn("next", vm.nextFn)
	fn("pairs", vm.pairs)
	fn("pcall", vm.pcall)
	fn("xpcall", vm.xpcall)
	fn("rawequal", vm.rawequal)
	fn("rawget", vm.rawget)
	fn("rawset", vm.rawset)
	fn("select", vm.selectFn)
	fn("tonumber", vm.tonumber)
	fn("tostring", vm.tostring)
	fn("type", vm.typeFn)
	fn("unpack", vm.unpack)
	fn("__redis__err__handler", vm.unsupported("the script called Redis's error handler"))
	g.RawSetString("_G", vm.gproxy)
	g.RawSetString("_VERSION", lua.LString("Lua 5.1"))
	co := L.NewTable()
	for _, name := range []string{"create", "resume", "running", "status", "wrap", "yield"} {
		co.RawSetString(name, L.NewFunction(vm.unsupported("coroutines are not modelled")))
	}
	g.RawSetString("coroutine", vm.protect(co))

	g.RawSetString("string", vm.protect(vm.stringLib()))
	g.RawSetString("table", vm.protect(vm.tableLib()))
	g.RawSetString("math", vm.protect(vm.mathLib()))
	g.RawSetString("bit", vm.protect(vm.bitLib()))
	g.RawSetString("struct", vm.protect(vm.structLib()))
	g.RawSetString("cjson", vm.protect(vm.cjsonLib()))
	g.RawSetString("cmsgpack", vm.protect(vm.cmsgpackLib()))
	g.RawSetString("redis", vm.protect(vm.redisLib()))

	// The string metatable: methods of strings ("x"):upper().
	smt := L.NewTable()
	smt.RawSetString("__index", g.RawGetString("string"))
	L.SetMetatable(lua.LString(""), smt)
	vm.stringMeta = vm.protect(smt)

	g.RawSetString(luaHelperConcat, L.NewFunction(vm.concat))
	g.RawSetString(luaHelperArith, L.NewFunction(vm.arith))
	g.RawSetString(luaHelperUnm, L.NewFunction(vm.unm))
	g.RawSetString(luaHelperLen, L.NewFunction(vm.length))
	g.RawSetString(luaHelperForNum, L.NewFunction(vm.forNum))
	g.RawSetString(luaHelperCtor, L.NewFunction(vm.ctorHelper))
	g.RawSetString(luaHelperSet, L.NewFunction(vm.setHelper))
	g.RawSetString(luaHelperGet, L.NewFunction(vm.getHelper))
	g.RawSetString(luaHelperEq, L.NewFunction(vm.eqHelper))
	g.RawSetString(luaHelperCtorMore, L.NewFunction(vm.ctorMoreHelper))

	// Every library function refuses a value the model does not know.
	vm.guardLibrary("", g)
	for _, lib := range []string{"string", "table", "math", "bit", "struct", "cjson", "cmsgpack", "redis", "coroutine"} {
		vm.guardLibrary(lib, vm.backing[g.RawGetString(lib).(*lua.LTable)])
	}
	vm.setupFunctionEnv(missing)
	return vm
}

// protect returns a read-only proxy of t.
func (vm *luaVM) protect(t *lua.LTable) *lua.LTable {
	L := vm.L
	p := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", t)
	mt.RawSetString("__newindex", L.NewFunction(vm.readonlyWrite))
	L.SetMetatable(p, mt)
	vm.backing[p] = t
	return p
}

func (vm *luaVM) isProtected(t *lua.LTable) bool { return vm.backing[t] != nil }

// readonlyWrite is a write to a read-only table from the script's code.
func (vm *luaVM) readonlyWrite(L *lua.LState) int {
	vm.raiseStmt(L, lua.LString("Attempt to modify a readonly table"), true)
	return 0
}

// missingGlobal is the read of a global that does not exist.
func (vm *luaVM) missingGlobal(L *lua.LState) int {
	s, ok := luaToStr(L.Get(2))
	if !ok {
		vm.raiseUnknown(L, "the script indexed the globals with a value that is not a string", "Second argument to luaProtectedTableError must be a string or number")
	}
	vm.raiseStmt(L, lua.LString("Script attempted to access nonexistent global variable '"+cString(s)+"'"), true)
	return 0
}

// unsupported makes a function the model does not reproduce: calling it
// makes the reply unknown.
func (vm *luaVM) unsupported(why string) lua.LGFunction {
	return func(L *lua.LState) int {
		vm.abort(L, why)
		return 0
	}
}

// Argument checks, as lauxlib's. Their errors name the function as the
// caller spelt it (Lua's debug info), which the model does not know: the
// reply becomes unknown.

func (vm *luaVM) argError(L *lua.LState, n int, msg string) {
	vm.raiseUnknown(L, "an argument error, whose text names the function as the script spelt it", "bad argument #"+strconv.Itoa(n)+" ("+msg+")")
}

func (vm *luaVM) checkAny(L *lua.LState, n int) lua.LValue {
	if L.GetTop() < n {
		vm.argError(L, n, "value expected")
	}
	return L.Get(n)
}

func (vm *luaVM) checkTable(L *lua.LState, n int) *lua.LTable {
	t, ok := L.Get(n).(*lua.LTable)
	if !ok {
		vm.argError(L, n, "table expected, got "+luaTypeName(L.Get(n)))
	}
	return t
}

// toNumber is lua_tonumber: a number, or a string Lua reads as one.
func luaToNumber(v lua.LValue) (float64, bool) {
	switch x := v.(type) {
	case lua.LNumber:
		return float64(x), true
	case lua.LString:
		return luaStr2Number(string(x))
	}
	return 0, false
}

func (vm *luaVM) checkNumber(L *lua.LState, n int) float64 {
	f, ok := luaToNumber(L.Get(n))
	if !ok {
		vm.argError(L, n, "number expected, got "+luaTypeName(L.Get(n)))
	}
	return f
}

// checkInt is luaL_checkint: the number truncated to a C long, then to
// an int.
func (vm *luaVM) checkInt(L *lua.LState, n int) int {
	return int(int32(luaDoubleToInt64(vm.checkNumber(L, n))))
}

func (vm *luaVM) optInt(L *lua.LState, n int, def int) int {
	if L.Get(n) == lua.LNil {
		return def
	}
	return vm.checkInt(L, n)
}

// optLen is luaL_optint(L, n, luaL_getn(L, t)): argument n, or when it is
// absent the length of table t (only then computed).
func (vm *luaVM) optLen(L *lua.LState, n int, t *lua.LTable) int {
	if L.Get(n) == lua.LNil {
		return vm.getn(L, t)
	}
	return vm.checkInt(L, n)
}

// toStr is lua_tolstring: a string, or a number printed as Lua prints it.
func luaToStr(v lua.LValue) (string, bool) {
	switch x := v.(type) {
	case lua.LString:
		return string(x), true
	case lua.LNumber:
		return luaNumber2String(float64(x)), true
	}
	return "", false
}

func (vm *luaVM) checkString(L *lua.LState, n int) string {
	s, ok := luaToStr(L.Get(n))
	if !ok {
		vm.argError(L, n, "string expected, got "+luaTypeName(L.Get(n)))
	}
	if f, isNum := L.Get(n).(lua.LNumber); isNum && float64(f) != float64(f) {
		vm.abort(L, "the script printed NaN, whose sign glibc prints")
	}
	return s
}

func (vm *luaVM) optString(L *lua.LState, n int, def string) string {
	if L.Get(n) == lua.LNil {
		return def
	}
	return vm.checkString(L, n)
}

// luaTypeName is Lua 5.1's name of a value's type.
func luaTypeName(v lua.LValue) string {
	switch v.(type) {
	case *lua.LNilType:
		return "nil"
	case lua.LBool:
		return "boolean"
	case lua.LNumber:
		return "number"
	case lua.LString:
		return "string"
	case *lua.LTable:
		return "table"
	case *lua.LFunction:
		return "function"
	case *lua.LUserData:
		return "userdata"
	case *lua.LState:
		return "thread"
	}
	if v == lua.LNil {
		return "nil"
	}
	return "userdata"
}

// The base library.

func (vm *luaVM) assert(L *lua.LState) int {
	v := vm.checkAny(L, 1)
	if !lua.LVAsBool(v) {
		msg := vm.optString(L, 2, "assertion failed!")
		vm.raise(L, lua.LString(cString(msg)), true)
	}
	return L.GetTop()
}

func (vm *luaVM) collectgarbage(L *lua.LState) int {
	opt := vm.optString(L, 1, "collect")
	switch opt {
	case "stop", "restart", "collect":
		L.Push(lua.LNumber(0))
		return 1
	}
	vm.abort(L, "collectgarbage(\""+opt+"\") reads the interpreter's memory")
	return 0
}

func (vm *luaVM) errorFn(L *lua.LState) int {
	level := vm.optInt(L, 2, 1)
	v := L.Get(1)
	switch x := v.(type) {
	case lua.LString, lua.LNumber:
		s, _ := luaToStr(x)
		if f, ok := x.(lua.LNumber); ok && float64(f) != float64(f) {
			vm.abort(L, "the script raised NaN, whose sign glibc prints")
		}
		if level > 0 {
			if _, line, isLua := vm.caller(L, level); isLua {
				s = vm.chunkName() + ":" + strconv.Itoa(line) + ": " + s
			}
			v = lua.LString(s)
		}
	}
	vm.raise(L, v, false)
	return 0
}

func (vm *luaVM) getmetatable(L *lua.LState) int {
	v := vm.checkAny(L, 1)
	switch x := v.(type) {
	case *lua.LTable:
		if vm.isProtected(x) {
			vm.abort(L, "getmetatable of one of Redis's read-only tables")
		}
	case lua.LString:
		L.Push(vm.stringMeta)
		return 1
	}
	mt := L.GetMetatable(v)
	if mt == lua.LNil {
		L.Push(lua.LNil)
		return 1
	}
	if t, ok := mt.(*lua.LTable); ok {
		if p := t.RawGetString("__metatable"); p != lua.LNil {
			L.Push(p)
			return 1
		}
	}
	L.Push(mt)
	return 1
}

func (vm *luaVM) setmetatable(L *lua.LState) int {
	t := vm.checkTable(L, 1)
	mt := L.Get(2)
	switch mt.(type) {
	case *lua.LTable, *lua.LNilType:
	default:
		if mt != lua.LNil {
			vm.argError(L, 2, "nil or table expected")
		}
	}
	if old, ok := t.Metatable.(*lua.LTable); ok && old.RawGetString("__metatable") != lua.LNil {
		vm.raise(L, lua.LString("cannot change a protected metatable"), true)
	}
	if vm.isProtected(t) {
		vm.raise(L, lua.LString("Attempt to modify a readonly table"), false)
	}
	if m, ok := mt.(*lua.LTable); ok && vm.isProtected(m) {
		vm.abort(L, "a read-only table used as a metatable")
	}
	L.SetMetatable(t, mt)
	L.SetTop(1)
	return 1
}

func (vm *luaVM) ipairs(L *lua.LState) int {
	t := vm.checkTable(L, 1)
	L.Push(vm.ipairsAux)
	L.Push(t)
	L.Push(lua.LNumber(0))
	return 3
}

func (vm *luaVM) ipairsStep(L *lua.LState) int {
	t := vm.checkTable(L, 1)
	i := vm.checkInt(L, 2) + 1
	v := vm.rawGetInt(t, i)
	if v == lua.LNil {
		return 0
	}
	L.Push(lua.LNumber(i))
	L.Push(v)
	return 2
}

// rawGetInt reads t[i] without metamethods (through a read-only proxy).
func (vm *luaVM) rawGetInt(t *lua.LTable, i int) lua.LValue {
	if b := vm.backing[t]; b != nil {
		t = b
	}
	return t.RawGetInt(i)
}

func (vm *luaVM) pairs(L *lua.LState) int {
	t := vm.checkTable(L, 1)
	L.Push(vm.next)
	L.Push(t)
	L.Push(lua.LNil)
	return 3
}

func (vm *luaVM) nextFn(L *lua.LState) int {
	t := vm.checkTable(L, 1)
	k := L.Get(2)
	nk, nv, ok := vm.nextKey(t, k)
	if !ok {
		vm.abort(L, vm.run.unknown)
	}
	if nk == lua.LNil {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(nk)
	L.Push(nv)
	return 2
}

// pcall is Redis's pcall: Lua's, except that an error that is a table
// with an "err" field is returned as that field.
func (vm *luaVM) pcall(L *lua.LState) int {
	n := L.GetTop()
	if n == 0 {
		vm.abort(L, "pcall without arguments")
	}
	err := L.PCall(n-1, lua.MultRet, nil)
	if err == nil {
		L.Insert(lua.LTrue, 1)
		return L.GetTop()
	}
	obj := vm.caught(L, err)
	if t, ok := obj.(*lua.LTable); ok {
		var e lua.LValue
		if vm.isProtected(t) || t.Metatable != lua.LNil {
			vm.abort(L, "pcall caught a table with a metatable")
		}
		e = t.RawGetString("err")
		switch e.(type) {
		case lua.LString, lua.LNumber:
			obj = e
		}
	}
	L.SetTop(0)
	L.Push(lua.LFalse)
	L.Push(obj)
	return 2
}

// caught handles an error a pcall caught: the run's own aborts and
// time-outs go on; an error our functions did not raise has a text the
// Lua VM wrote, which makes the reply unknown.
func (vm *luaVM) caught(L *lua.LState, err error) lua.LValue {
	run := vm.run
	ae, ok := err.(*lua.ApiError)
	if !ok || ae.Object == nil {
		vm.abort(L, "the interpreter failed")
	}
	obj := ae.Object
	if obj == luaAbort {
		L.Error(luaAbort, 0)
	}
	if run.ctx.Err() != nil {
		vm.abort(L, "the script ran longer than the model waits ("+luaTimeout.String()+")")
	}
	if run.raised == nil || !luaSame(obj, run.raised) {
		run.uncertain("the script caught an error whose text the Lua VM wrote")
	}
	run.raised = nil
	return obj
}

func (vm *luaVM) xpcall(L *lua.LState) int {
	vm.checkAny(L, 2)
	L.SetTop(2)
	f, h := L.Get(1), L.Get(2)
	L.SetTop(0)
	L.Push(f)
	err := L.PCall(0, lua.MultRet, nil)
	if err == nil {
		L.Insert(lua.LTrue, 1)
		return L.GetTop()
	}
	obj := vm.caught(L, err)
	L.SetTop(0)
	L.Push(h)
	L.Push(obj)
	if err := L.PCall(1, 1, nil); err != nil {
		vm.abort(L, "an error in xpcall's error handler")
	}
	res := L.Get(-1)
	L.SetTop(0)
	L.Push(lua.LFalse)
	L.Push(res)
	return 2
}

func (vm *luaVM) rawequal(L *lua.LState) int {
	a := vm.checkAny(L, 1)
	b := vm.checkAny(L, 2)
	L.Push(lua.LBool(luaRawEqual(a, b)))
	return 1
}

func luaRawEqual(a, b lua.LValue) bool {
	switch x := a.(type) {
	case lua.LNumber:
		y, ok := b.(lua.LNumber)
		return ok && x == y
	case lua.LString:
		y, ok := b.(lua.LString)
		return ok && x == y
	case lua.LBool:
		y, ok := b.(lua.LBool)
		return ok && x == y
	}
	return a == b
}

func (vm *luaVM) rawget(L *lua.LState) int {
	t := vm.checkTable(L, 1)
	k := vm.checkAny(L, 2)
	if b := vm.backing[t]; b != nil {
		t = b
	}
	L.Push(t.RawGet(k))
	return 1
}

func (vm *luaVM) rawset(L *lua.LState) int {
	t := vm.checkTable(L, 1)
	k := vm.checkAny(L, 2)
	v := vm.checkAny(L, 3)
	vm.tset(L, t, k, v)
	L.SetTop(1)
	return 1
}

// checkKey raises Lua's errors for a key no table may have.
func (vm *luaVM) checkKey(L *lua.LState, k lua.LValue) {
	if k == lua.LNil {
		vm.raise(L, lua.LString("table index is nil"), false)
	}
	if f, ok := k.(lua.LNumber); ok && float64(f) != float64(f) {
		vm.raise(L, lua.LString("table index is NaN"), false)
	}
}

func (vm *luaVM) selectFn(L *lua.LState) int {
	n := L.GetTop()
	if s, ok := L.Get(1).(lua.LString); ok && strings.HasPrefix(string(s), "#") {
		L.Push(lua.LNumber(n - 1))
		return 1
	}
	i := vm.checkInt(L, 1)
	if i < 0 {
		i = n + i
	} else if i > n {
		i = n
	}
	if i < 1 {
		vm.argError(L, 1, "index out of range")
	}
	return n - i
}

func (vm *luaVM) tonumber(L *lua.LState) int {
	base := vm.optInt(L, 2, 10)
	if base == 10 {
		v := vm.checkAny(L, 1)
		if f, ok := luaToNumber(v); ok {
			L.Push(lua.LNumber(f))
			return 1
		}
		L.Push(lua.LNil)
		return 1
	}
	s := cString(vm.checkString(L, 1))
	if base < 2 || base > 36 {
		vm.argError(L, 2, "base out of range")
	}
	u, n := luaStrtoul(s, base)
	if n > 0 {
		for n < len(s) && cSpace(s[n]) {
			n++
		}
		if n == len(s) {
			L.Push(lua.LNumber(float64(u)))
			return 1
		}
	}
	L.Push(lua.LNil)
	return 1
}

func (vm *luaVM) tostring(L *lua.LState) int {
	v := vm.checkAny(L, 1)
	if mt, ok := L.GetMetatable(v).(*lua.LTable); ok {
		if f := mt.RawGetString("__tostring"); f != lua.LNil {
			L.SetTop(0)
			L.Push(f)
			L.Push(v)
			L.Call(1, 1)
			return 1
		}
	}
	s, ok := vm.tostringPlain(v)
	if !ok {
		if _, isNum := v.(lua.LNumber); isNum {
			vm.abort(L, "the script printed NaN, whose sign glibc prints")
		}
		vm.abort(L, "the script printed a "+luaTypeName(v)+", which Lua prints with its address")
	}
	L.Push(lua.LString(s))
	return 1
}

// tostringPlain is tostring without metamethods; ok is false for values
// Lua prints with their address, or a NaN (whose sign glibc prints).
func (vm *luaVM) tostringPlain(v lua.LValue) (string, bool) {
	switch x := v.(type) {
	case lua.LNumber:
		if float64(x) != float64(x) {
			return "", false
		}
		return luaNumber2String(float64(x)), true
	case lua.LString:
		return string(x), true
	case lua.LBool:
		if x {
			return "true", true
		}
		return "false", true
	}
	if v == lua.LNil {
		return "nil", true
	}
	return "", false
}

func (vm *luaVM) typeFn(L *lua.LState) int {
	v := vm.checkAny(L, 1)
	L.Push(lua.LString(luaTypeName(v)))
	return 1
}

func (vm *luaVM) unpack(L *lua.LState) int {
	t := vm.checkTable(L, 1)
	i := vm.optInt(L, 2, 1)
	e := vm.optLen(L, 3, t)
	if i > e {
		return 0
	}
	n := e - i + 1
	if n <= 0 || n > 7900 {
		vm.abort(L, "unpack of more values than the model knows Lua's stack holds")
	}
	L.SetTop(0)
	for k := i; k <= e; k++ {
		L.Push(vm.rawGetInt(t, k))
	}
	return n
}

// The helpers the rewritten chunk calls (lua_ast.go).

// concat is Lua 5.1's luaV_concat over its operands.
func (vm *luaVM) concat(L *lua.LState) int {
	vm.checkArgs(L, 1)
	n := L.GetTop()
	vals := make([]lua.LValue, n)
	for i := range vals {
		vals[i] = L.Get(i + 1)
	}
	isStrNum := func(v lua.LValue) bool {
		switch v.(type) {
		case lua.LString, lua.LNumber:
			return true
		}
		return false
	}
	str := func(v lua.LValue) string {
		if f, ok := v.(lua.LNumber); ok && float64(f) != float64(f) {
			vm.abort(L, "the script printed NaN, whose sign glibc prints")
		}
		s, _ := luaToStr(v)
		return s
	}
	for len(vals) > 1 {
		top := len(vals)
		a, b := vals[top-2], vals[top-1]
		if !isStrNum(a) || !isStrNum(b) {
			vals[top-2] = vm.binMeta(L, a, b, "__concat", "concatenate")
			vals = vals[:top-1]
			continue
		}
		// As many strings and numbers as there are, at once.
		k := top - 1
		for k > 0 && isStrNum(vals[k-1]) {
			k--
		}
		var sb strings.Builder
		for _, v := range vals[k:] {
			sb.WriteString(str(v))
		}
		vals[k] = lua.LString(sb.String())
		vals = vals[:k+1]
	}
	L.SetTop(0)
	if len(vals) == 0 {
		L.Push(lua.LString(""))
	} else if f, ok := vals[0].(lua.LNumber); ok {
		L.Push(lua.LString(str(f)))
	} else {
		L.Push(vals[0])
	}
	return 1
}

// binMeta calls a binary metamethod of a or b, as call_binTM does; the
// error when neither has one names the operands (Lua's text, unknown).
func (vm *luaVM) binMeta(L *lua.LState, a, b lua.LValue, event, verb string) lua.LValue {
	tm := L.GetMetaField(a, event)
	if tm == lua.LNil {
		tm = L.GetMetaField(b, event)
	}
	if tm == lua.LNil {
		bad := a
		if verb == "concatenate" {
			switch a.(type) {
			case lua.LString, lua.LNumber:
				bad = b
			}
		} else if _, ok := luaToNumber(a); ok {
			bad = b
		}
		vm.raiseUnknown(L, "a Lua VM error, whose text names the variable", "attempt to "+verb+" a "+luaTypeName(bad)+" value")
	}
	L.Push(tm)
	L.Push(a)
	L.Push(b)
	L.Call(2, 1)
	v := L.Get(-1)
	L.Pop(1)
	return v
}

var luaArithEvents = [...]string{"__add", "__sub", "__mul", "__div", "__mod", "__pow"}

// arith is Lua 5.1's arithmetic: numbers, or strings Lua reads as
// numbers, else the operands' metamethod.
func (vm *luaVM) arith(L *lua.LState) int {
	vm.checkArgs(L, 2)
	op := int(L.Get(1).(lua.LNumber))
	a, b := L.Get(2), L.Get(3)
	x, ok1 := luaToNumber(a)
	y, ok2 := luaToNumber(b)
	if !ok1 || !ok2 {
		v := vm.binMeta(L, a, b, luaArithEvents[op], "perform arithmetic on")
		L.SetTop(0)
		L.Push(v)
		return 1
	}
	var r float64
	switch op {
	case luaOpAdd:
		r = x + y
	case luaOpSub:
		r = x - y
	case luaOpMul:
		r = x * y
	case luaOpDiv:
		r = x / y
	case luaOpMod:
		r = x - math.Floor(x/y)*y
	case luaOpPow:
		var ok bool
		if r, ok = luaPow(x, y); !ok {
			vm.abort(L, "x^y whose result glibc's pow may round differently")
		}
	}
	L.SetTop(0)
	L.Push(lua.LNumber(r))
	return 1
}

func (vm *luaVM) unm(L *lua.LState) int {
	vm.checkArgs(L, 1)
	a := L.Get(1)
	if x, ok := luaToNumber(a); ok {
		L.SetTop(0)
		L.Push(lua.LNumber(-x))
		return 1
	}
	v := vm.binMeta(L, a, a, "__unm", "perform arithmetic on")
	L.SetTop(0)
	L.Push(v)
	return 1
}

// length is Lua 5.1's # operator.
func (vm *luaVM) length(L *lua.LState) int {
	vm.checkArgs(L, 1)
	v := L.Get(1)
	switch x := v.(type) {
	case lua.LString:
		L.Push(lua.LNumber(len(x)))
		return 1
	case *lua.LTable:
		L.Push(lua.LNumber(vm.getn(L, x)))
		return 1
	}
	tm := L.GetMetaField(v, "__len")
	if tm == lua.LNil {
		vm.raiseUnknown(L, "a Lua VM error, whose text names the variable", "attempt to get length of a "+luaTypeName(v)+" value")
	}
	L.SetTop(0)
	L.Push(tm)
	L.Push(v)
	L.Push(lua.LNil)
	L.Call(2, 1)
	return 1
}

// forNum coerces a numeric for loop's bound as forprep does.
func (vm *luaVM) forNum(L *lua.LState) int {
	vm.checkArgs(L, 1)
	v := L.Get(1)
	f, ok := luaToNumber(v)
	if !ok {
		which := [...]string{"initial value", "limit", "step"}[int(L.Get(2).(lua.LNumber))]
		vm.raiseUnknown(L, "a Lua VM error in a for loop", "'for' "+which+" must be a number")
	}
	L.SetTop(0)
	L.Push(lua.LNumber(f))
	return 1
}

// luaPow is C's pow where the model knows glibc's result: the special
// cases, and results that are exact in a double (an integer power that
// fits); ok is false otherwise (glibc's pow is within 0.52 ulp, not
// always the correctly rounded result).
func luaPow(x, y float64) (float64, bool) {
	if y == 0 || x == 1 || math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) || x == 0 {
		return math.Pow(x, y), true
	}
	if y == 0.5 && x > 0 {
		// pow(x, 0.5) and sqrt(x) are both correctly rounded... only
		// sqrt is guaranteed: trust them when the root is exact.
		r := math.Sqrt(x)
		if r*r == x {
			return r, true
		}
		return 0, false
	}
	if y != math.Trunc(y) || math.Abs(y) > 1100 {
		return 0, false
	}
	r := math.Pow(x, y)
	if math.IsInf(r, 0) || r == 0 {
		return 0, false
	}
	// Exact when the power computed exactly fits a double.
	n := int(math.Abs(y))
	if exact, ok := luaExactPow(x, n); ok {
		if y < 0 {
			q := 1 / exact
			if q*exact == 1 {
				return q, true
			}
			return 0, false
		}
		return exact, true
	}
	return 0, false
}
