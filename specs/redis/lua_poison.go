package redis

import (
	lua "github.com/yuin/gopher-lua"
)

// A poison value stands for a value the model does not know: the reply
// of a command whose reply depends on what no log holds (XADD's automatic
// id, TIME) or whose order is a hash table's. The script goes on (a job
// queue's script usually ignores the id XADD returns), and any use of
// the value that could tell it from the real one makes the reply unknown:
// comparing it, indexing or calling it, doing arithmetic or concatenation
// with it, using it as a table key, passing it to a library function or
// to redis.call, returning it. What cannot tell it apart is allowed:
// storing it in a variable or a table, passing it to a Lua function,
// testing its truth (the real value is not nil or false: the model
// poisons only replies that are not nil). A hash table's listing may
// also be returned as it is: the reply then holds the model's sorted
// listing, marked as one whose order is not known.
//
// So that every use is seen, the rewritten chunk compares with the eq
// helper and indexes with a computed key through the get helper
// (lua_ast.go); the helpers and the library functions check their
// arguments; the poison's metatable catches what the VM does with it.

type luaPoison struct {
	why string
	// listing, for the reply of a command that lists a hash table (an
	// HGETALL of a big hash), is the model's sorted reply: the script may
	// return the value untouched, and its reply then holds the listing
	// at a place the reply's mark names, compared as a set.
	listing string
}

// poison returns a new poison value.
func (vm *luaVM) poison(why string) *lua.LUserData {
	u := vm.L.NewUserData()
	u.Value = luaPoison{why: why}
	u.Metatable = vm.poisonMT
	return u
}

// listingPoison returns a poison standing for a hash table's listing,
// whose elements the model knows (sorted, in resp) but not their order.
func (vm *luaVM) listingPoison(why, resp string) *lua.LUserData {
	u := vm.poison(why)
	u.Value = luaPoison{why: why, listing: resp}
	return u
}

// luaPoisonOf returns the poison a value is, or the zero luaPoison (no
// reason, no listing) for a value the model knows.
func luaPoisonOf(v lua.LValue) luaPoison {
	if u, ok := v.(*lua.LUserData); ok {
		if p, ok := u.Value.(luaPoison); ok {
			return p
		}
	}
	return luaPoison{}
}

// poisonListing returns the listing a poison stands for, or "".
func (vm *luaVM) poisonListing(v lua.LValue) string { return luaPoisonOf(v).listing }

// poisonWhy returns why a value is not known, or "".
func (vm *luaVM) poisonWhy(v lua.LValue) string { return luaPoisonOf(v).why }

// checkPoison stops the run when v is not known.
func (vm *luaVM) checkPoison(L *lua.LState, vs ...lua.LValue) {
	for _, v := range vs {
		if p := vm.poisonWhy(v); p != "" {
			vm.abort(L, p)
		}
	}
}

// checkArgs stops the run when one of the running function's arguments
// from first on is not known.
func (vm *luaVM) checkArgs(L *lua.LState, first int) {
	for i := first; i <= L.GetTop(); i++ {
		vm.checkPoison(L, L.Get(i))
	}
}

// newPoisonMT is the poison's metatable: every metamethod stops the run.
func (vm *luaVM) newPoisonMT() *lua.LTable {
	L := vm.L
	mt := L.NewTable()
	stop := L.NewFunction(func(L *lua.LState) int {
		vm.checkArgs(L, 1)
		vm.abort(L, "the script used a value the model does not know")
		return 0
	})
	for _, ev := range []string{"__index", "__newindex", "__call", "__concat", "__len", "__unm", "__add", "__sub",
		"__mul", "__div", "__mod", "__pow", "__eq", "__lt", "__le", "__tostring"} {
		mt.RawSetString(ev, stop)
	}
	return mt
}

// guard makes a library function stop the run when an argument it reads
// is not known; pass lists the arguments it only passes on (a value
// stored by table.insert, the arguments pcall gives its function).
func (vm *luaVM) guard(f lua.LGFunction, pass ...int) lua.LGFunction {
	return func(L *lua.LState) int {
		for i := 1; i <= L.GetTop(); i++ {
			skip := false
			for _, p := range pass {
				if i == p || p < 0 && i >= -p {
					skip = true
				}
			}
			if !skip {
				vm.checkPoison(L, L.Get(i))
			}
		}
		return f(L)
	}
}

// luaPassArgs lists, per global or library function, the arguments it
// passes on without reading them (a negative n: n and all after it).
var luaPassArgs = map[string][]int{
	"select": {-2}, "pcall": {-1}, "xpcall": {1}, "assert": {-1}, "error": {1}, "unpack": {},
	"table.insert": {-2}, "rawset": {3},
}

// guardLibrary wraps every function of a library table (name "" for the
// globals) with guard.
func (vm *luaVM) guardLibrary(name string, t *lua.LTable) {
	t.ForEach(func(k, v lua.LValue) {
		f, ok := v.(*lua.LFunction)
		ks, isStr := k.(lua.LString)
		if !ok || !f.IsG || !isStr {
			return
		}
		full := string(ks)
		if name != "" {
			full = name + "." + full
		}
		if len(full) > 0 && full[0] == 0 {
			return // the chunk's helpers check for themselves
		}
		f.GFunction = vm.guard(f.GFunction, luaPassArgs[full]...)
	})
}

// eqHelper is Lua 5.1's == (luaV_equalval): the same type, then the same
// value, or for tables and userdata the __eq metamethod both share.
func (vm *luaVM) eqHelper(L *lua.LState) int {
	a, b := L.Get(1), L.Get(2)
	vm.checkPoison(L, a, b)
	L.SetTop(0)
	L.Push(lua.LBool(vm.equal(L, a, b)))
	return 1
}

func (vm *luaVM) equal(L *lua.LState, a, b lua.LValue) bool {
	if luaTypeName(a) != luaTypeName(b) {
		return false
	}
	if luaRawEqual(a, b) {
		return true
	}
	var mt1, mt2 lua.LValue
	switch x := a.(type) {
	case *lua.LTable:
		mt1, mt2 = x.Metatable, b.(*lua.LTable).Metatable
	case *lua.LUserData:
		mt1, mt2 = x.Metatable, b.(*lua.LUserData).Metatable
	default:
		return false
	}
	t1, ok := mt1.(*lua.LTable)
	if !ok {
		return false
	}
	tm := t1.RawGetString("__eq")
	if tm == lua.LNil {
		return false
	}
	if mt1 != mt2 {
		t2, ok := mt2.(*lua.LTable)
		if !ok {
			return false
		}
		if tm2 := t2.RawGetString("__eq"); tm2 == lua.LNil || !luaRawEqual(tm, tm2) {
			return false
		}
	}
	return luaCallBool(L, tm, a, b)
}

// getHelper is t[k] for a computed key: Lua 5.1's luaV_gettable.
func (vm *luaVM) getHelper(L *lua.LState) int {
	t, k := L.Get(1), L.Get(2)
	vm.checkPoison(L, t, k)
	for loop := 0; loop < 100; loop++ {
		var tm lua.LValue = lua.LNil
		if tb, ok := t.(*lua.LTable); ok {
			if v := tb.RawGet(k); v != lua.LNil {
				L.SetTop(0)
				L.Push(v)
				return 1
			}
			if mt, ok := tb.Metatable.(*lua.LTable); ok {
				tm = mt.RawGetString("__index")
			}
			if tm == lua.LNil {
				L.SetTop(0)
				L.Push(lua.LNil)
				return 1
			}
		} else {
			tm = vm.indexMetamethod(L, t, "__index")
		}
		if f, ok := tm.(*lua.LFunction); ok {
			L.SetTop(0)
			luaCall(L, f, 1, t, k)
			return 1
		}
		t = tm
	}
	vm.raise(L, lua.LString("loop in gettable"), true)
	return 0
}

// indexMetamethod is the __index or __newindex metamethod (event) of a
// value that is not a table, as luaV_gettable and luaV_settable read it.
// A value without one cannot be indexed: Lua's error names the variable,
// which the model does not know, so the reply is unknown.
func (vm *luaVM) indexMetamethod(L *lua.LState, v lua.LValue, event string) lua.LValue {
	tm := L.GetMetaField(v, event)
	if tm == lua.LNil {
		vm.raiseUnknown(L, "a Lua VM error, whose text names the variable", "attempt to index a "+luaTypeName(v)+" value")
	}
	return tm
}
