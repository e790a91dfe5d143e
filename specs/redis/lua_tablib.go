package redis

import (
	lua "github.com/yuin/gopher-lua"
)

// Lua 5.1's table library (ltablib.c): its lengths are luaL_getn's (the
// # operator's border), and table.sort is Lua's own quicksort, so that a
// comparator sees the same calls and equal elements end where Lua puts
// them.

func (vm *luaVM) tableLib() *lua.LTable {
	return vm.libTable(map[string]lua.LGFunction{
		"concat": vm.tabConcat, "foreach": vm.tabForeach, "foreachi": vm.tabForeachi,
		"getn": vm.tabGetn, "maxn": vm.tabMaxn, "insert": vm.tabInsert, "remove": vm.tabRemove,
		"setn": vm.tabSetn, "sort": vm.tabSort,
	})
}

// writable returns a table the library may change: a read-only one is
// Redis's error.
func (vm *luaVM) writable(L *lua.LState, t *lua.LTable) *lua.LTable {
	if vm.isProtected(t) {
		vm.raise(L, lua.LString("Attempt to modify a readonly table"), false)
	}
	return t
}

func (vm *luaVM) tabGetn(L *lua.LState) int {
	t := vm.checkTable(L, 1)
	L.Push(lua.LNumber(vm.getn(L, t)))
	return 1
}

func (vm *luaVM) tabSetn(L *lua.LState) int {
	vm.checkTable(L, 1)
	vm.raise(L, lua.LString("'setn' is obsolete"), true)
	return 0
}

func (vm *luaVM) tabMaxn(L *lua.LState) int {
	t := vm.checkTable(L, 1)
	keys, _ := vm.order(t)
	max := 0.0
	for _, k := range keys {
		if n, ok := k.(lua.LNumber); ok && float64(n) > max {
			max = float64(n)
		}
	}
	L.Push(lua.LNumber(max))
	return 1
}

func (vm *luaVM) tabInsert(L *lua.LState) int {
	t := vm.checkTable(L, 1)
	e := vm.getn(L, t) + 1
	var pos int
	switch L.GetTop() {
	case 2:
		pos = e
	case 3:
		pos = vm.checkInt(L, 2)
		if pos > e {
			e = pos
		}
		vm.writable(L, t)
		for i := e; i > pos; i-- {
			vm.rawSetInt(L, t, i, t.RawGetInt(i-1))
		}
	default:
		vm.raise(L, lua.LString("wrong number of arguments to 'insert'"), true)
	}
	vm.writable(L, t)
	vm.rawSetInt(L, t, pos, L.Get(L.GetTop()))
	return 0
}

// rawSetInt is lua_rawseti.
func (vm *luaVM) rawSetInt(L *lua.LState, t *lua.LTable, i int, v lua.LValue) {
	vm.tset(L, t, lua.LNumber(i), v)
}

func (vm *luaVM) tabRemove(L *lua.LState) int {
	t := vm.checkTable(L, 1)
	e := vm.getn(L, t)
	pos := vm.optInt(L, 2, e)
	if !(1 <= pos && pos <= e) {
		return 0
	}
	vm.writable(L, t)
	res := t.RawGetInt(pos)
	for ; pos < e; pos++ {
		vm.rawSetInt(L, t, pos, t.RawGetInt(pos+1))
	}
	vm.rawSetInt(L, t, e, lua.LNil)
	L.Push(res)
	return 1
}

func (vm *luaVM) tabConcat(L *lua.LState) int {
	sep := vm.optString(L, 2, "")
	t := vm.checkTable(L, 1)
	i := vm.optInt(L, 3, 1)
	last := vm.optLen(L, 4, t)
	var b []byte
	add := func(i int) {
		v := vm.rawGetInt(t, i)
		vm.checkPoison(L, v)
		s, ok := vm.printedStr(L, v)
		if !ok {
			vm.raise(L, lua.LString("invalid value ("+luaTypeName(v)+") at index "+luaItoa(i)+" in table for 'concat'"), true)
		}
		b = append(b, s...)
		vm.checkBuilt(L, len(b), "table.concat")
	}
	for ; i < last; i++ {
		add(i)
		b = append(b, sep...)
	}
	if i == last {
		add(i)
	}
	L.Push(lua.LString(b))
	return 1
}

func luaItoa(i int) string { return luaNumber2String(float64(i)) }

func (vm *luaVM) tabForeachi(L *lua.LState) int {
	t := vm.checkTable(L, 1)
	n := vm.getn(L, t)
	f := vm.checkFunction(L, 2)
	for i := 1; i <= n; i++ {
		if luaForeachCall(L, f, lua.LNumber(i), vm.rawGetInt(t, i)) {
			return 1
		}
	}
	return 0
}

func (vm *luaVM) tabForeach(L *lua.LState) int {
	t := vm.checkTable(L, 1)
	f := vm.checkFunction(L, 2)
	k := lua.LValue(lua.LNil)
	for {
		nk, nv, ok := vm.nextKey(t, k)
		if !ok {
			vm.abort(L, vm.run.unknown)
		}
		if nk == lua.LNil {
			return 0
		}
		if luaForeachCall(L, f, nk, nv) {
			return 1
		}
		k = nk
	}
}

// luaForeachCall calls the function of table.foreach or foreachi on an
// entry; it reports whether the function returned a value other than
// nil, which ends the walk as its result (left on the stack).
func luaForeachCall(L *lua.LState, f *lua.LFunction, k, v lua.LValue) bool {
	luaCall(L, f, 1, k, v)
	if L.Get(-1) != lua.LNil {
		return true
	}
	L.Pop(1)
	return false
}

func (vm *luaVM) tabSort(L *lua.LState) int {
	t := vm.checkTable(L, 1)
	n := vm.getn(L, t)
	var cmp *lua.LFunction
	if L.Get(2) != lua.LNil {
		cmp = vm.checkFunction(L, 2)
	}
	if n > 1 {
		vm.writable(L, t)
	}
	s := &luaSorter{vm: vm, L: L, t: t, cmp: cmp}
	s.auxsort(1, n)
	return 0
}

type luaSorter struct {
	vm  *luaVM
	L   *lua.LState
	t   *lua.LTable
	cmp *lua.LFunction
}

func (s *luaSorter) get(i int) lua.LValue { return s.t.RawGetInt(i) }

func (s *luaSorter) set(i int, v lua.LValue) { s.vm.tset(s.L, s.t, lua.LNumber(i), v) }

// less is sort_comp: the comparator, or lua_lessthan.
func (s *luaSorter) less(a, b lua.LValue) bool {
	L := s.L
	if s.cmp != nil {
		return luaCallBool(L, s.cmp, a, b)
	}
	return s.vm.lessThan(L, a, b)
}

// lessThan is lua_lessthan as table.sort calls it: numbers, strings
// (byte order: the "C" locale's strcoll; the model assumes redis-server
// runs in the C or C.UTF-8 locale), or the __lt metamethod both share.
func (vm *luaVM) lessThan(L *lua.LState, a, b lua.LValue) bool {
	vm.checkPoison(L, a, b)
	switch x := a.(type) {
	case lua.LNumber:
		if y, ok := b.(lua.LNumber); ok {
			return x < y
		}
	case lua.LString:
		if y, ok := b.(lua.LString); ok {
			return x < y
		}
	}
	if luaTypeName(a) == luaTypeName(b) {
		tm1 := L.GetMetaField(a, "__lt")
		tm2 := L.GetMetaField(b, "__lt")
		if tm1 != lua.LNil && luaRawEqual(tm1, tm2) {
			return luaCallBool(L, tm1, a, b)
		}
	}
	// luaG_ordererror, raised while sort (a C function) runs: no
	// position, and the types compared by their third letter.
	t1, t2 := luaTypeName(a), luaTypeName(b)
	if t1[2] == t2[2] {
		vm.raise(L, lua.LString("attempt to compare two "+t1+" values"), false)
	}
	vm.raise(L, lua.LString("attempt to compare "+t1+" with "+t2), false)
	return false
}

func (s *luaSorter) fail() {
	s.vm.raise(s.L, lua.LString("invalid order function for sorting"), true)
}

// auxsort is ltablib.c's auxsort, reading and writing the table as it
// does.
func (s *luaSorter) auxsort(l, u int) {
	for l < u {
		s.vm.checkTime(s.L)
		a, b := s.get(l), s.get(u)
		if s.less(b, a) {
			s.set(l, b)
			s.set(u, a)
		}
		if u-l == 1 {
			break
		}
		i := (l + u) / 2
		c, d := s.get(i), s.get(l)
		if s.less(c, d) {
			s.set(i, d)
			s.set(l, c)
		} else {
			e := s.get(u)
			if s.less(e, c) {
				s.set(i, e)
				s.set(u, c)
			}
		}
		if u-l == 2 {
			break
		}
		p := s.get(i)
		f := s.get(u - 1)
		s.set(i, f)
		s.set(u-1, p)
		i, j := l, u-1
		for {
			var x, y lua.LValue
			for {
				i++
				x = s.get(i)
				if !s.less(x, p) {
					break
				}
				if i > u {
					s.fail()
				}
			}
			for {
				j--
				y = s.get(j)
				if !s.less(p, y) {
					break
				}
				if j < l {
					s.fail()
				}
			}
			if j < i {
				break
			}
			s.set(i, y)
			s.set(j, x)
		}
		g, h := s.get(u-1), s.get(i)
		s.set(u-1, h)
		s.set(i, g)
		if i-l < u-i {
			j = l
			i = i - 1
			l = i + 2
		} else {
			j = i + 1
			i = u
			u = j - 2
		}
		s.auxsort(j, i)
	}
}

// checkTime aborts a run past its time.
func (vm *luaVM) checkTime(L *lua.LState) {
	if vm.run != nil && vm.run.ctx.Err() != nil {
		vm.abort(L, "the script ran longer than the model waits ("+luaTimeout.String()+")")
	}
}
