package redis

import (
	lua "github.com/yuin/gopher-lua"
)

// Helpers the libraries, their functions and the chunk's helpers share:
// a library's table, calls into Lua values, and reads and checks of
// arguments that lua_vm.go does not have.

// libTable creates the table of a library with its functions. The order
// they are set in does not matter: a walk of a library's table makes the
// reply unknown (luaVM.nextKey).
func (vm *luaVM) libTable(funcs map[string]lua.LGFunction) *lua.LTable {
	t := vm.L.NewTable()
	for name, f := range funcs {
		t.RawSetString(name, vm.L.NewFunction(f))
	}
	return t
}

// luaCall calls f with args as lua_call does, leaving its nret results
// on the stack.
func luaCall(L *lua.LState, f lua.LValue, nret int, args ...lua.LValue) {
	L.Push(f)
	for _, a := range args {
		L.Push(a)
	}
	L.Call(len(args), nret)
}

// luaCallBool calls f with args and returns the truth of its one result:
// a comparator, or a comparison's metamethod.
func luaCallBool(L *lua.LState, f lua.LValue, args ...lua.LValue) bool {
	luaCall(L, f, 1, args...)
	r := lua.LVAsBool(L.Get(-1))
	L.Pop(1)
	return r
}

// printedStr is luaToStr for a value a library function reads as a
// string: a number as Lua prints it, except NaN, whose sign glibc prints
// ("nan" or "-nan") and the model does not know: it stops the run.
func (vm *luaVM) printedStr(L *lua.LState, v lua.LValue) (string, bool) {
	if f, isNum := v.(lua.LNumber); isNum && float64(f) != float64(f) {
		vm.abort(L, "the script printed NaN, whose sign glibc prints")
	}
	return luaToStr(v)
}

// checkFunction is luaL_checktype(L, n, LUA_TFUNCTION).
func (vm *luaVM) checkFunction(L *lua.LState, n int) *lua.LFunction {
	f, ok := L.Get(n).(*lua.LFunction)
	if !ok {
		vm.argError(L, n, "function expected")
	}
	return f
}
