package redis

import (
	"math"
	"math/bits"
	"reflect"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// The order in which next() (pairs, cjson.encode, cmsgpack.pack) walks a
// table is Lua 5.1's: the array part, then the hash part's nodes in
// memory order, which follows from the keys' hashes and the order they
// were inserted, with Lua's collision handling and rehashing. gopher-lua
// keeps keys in insertion order instead. For a table a library built
// (cmsgpack.unpack, cjson.decode, an error table), the model knows the
// whole history of its layout and replays it here exactly (a luaShape);
// the same layout gives the length operator's border. For any other
// table the order is known only when it cannot depend on the layout: a
// sequence 1..n that never had other keys, or a single entry. Otherwise
// the reply is unknown.

// luaMaxBits is Lua 5.1's MAXBITS: array parts hold at most 2^26 slots.
const luaMaxBits = 26

type luaNode struct {
	key    lua.LValue // nil: a free node
	hasVal bool
	next   int // -1: end of chain
}

// A luaShape is Lua 5.1's layout of one table (ltable.c): which keys sit
// in the array part and which in which node of the hash part.
type luaShape struct {
	arr      []bool // array slot i holds a non-nil value
	nodes    []luaNode
	lastFree int
	// snapshot of the gopher-lua table when the library finished it.
	arrayLen, keysLen int
	// ok turns false when the layout cannot be followed (a key whose
	// hash is an address, a write the model did not see).
	ok bool
	// layoutCache caches layout() and the index of each key in it.
	layoutCache []lua.LValue
	layoutIndex map[lua.LValue]int
}

func newLuaShape() *luaShape { return &luaShape{ok: true} }

// gopherLens returns the lengths of a gopher-lua table's array part and
// of its list of hash keys (which only grows): together they change
// whenever a new key is added. They are private fields of gopher-lua's
// LTable, read at offsets found once by reflection.
func gopherLens(t *lua.LTable) (int, int) {
	p := unsafe.Pointer(t)
	return len(*(*[]lua.LValue)(unsafe.Add(p, ltableArrayOff))), len(*(*[]lua.LValue)(unsafe.Add(p, ltableKeysOff)))
}

var ltableArrayOff, ltableKeysOff = func() (uintptr, uintptr) {
	typ := reflect.TypeOf(lua.LTable{})
	a, ok1 := typ.FieldByName("array")
	k, ok2 := typ.FieldByName("keys")
	slice := reflect.TypeOf([]lua.LValue(nil))
	if !ok1 || !ok2 || a.Type != slice || k.Type != slice {
		panic("redis: gopher-lua's LTable has changed: the model reads its array and keys fields")
	}
	return a.Offset, k.Offset
}()

// luaStrHash is Lua 5.1's string hash as Redis builds it (every byte
// hashed).
func luaStrHash(s string) uint32 {
	h := uint32(len(s))
	for l1 := len(s); l1 >= 1; l1-- {
		h = h ^ ((h << 5) + (h >> 2) + uint32(s[l1-1]))
	}
	return h
}

// mainPosition is the node a key hashes to; -1 for the empty hash part.
func (sh *luaShape) mainPosition(k lua.LValue) int {
	size := len(sh.nodes)
	if size == 0 {
		return -1
	}
	switch x := k.(type) {
	case lua.LString:
		return int(luaStrHash(string(x)) & uint32(size-1))
	case lua.LNumber:
		n := float64(x)
		if n == 0 {
			return 0
		}
		b := math.Float64bits(n)
		a := uint32(b) + uint32(b>>32)
		return int(a % uint32((size-1)|1))
	case lua.LBool:
		if x {
			return 1 & (size - 1)
		}
		return 0
	}
	sh.ok = false
	return 0
}

// arrayIndex is the key's index in the array part range, or 0.
func luaArrayIndex(k lua.LValue) int {
	if n, ok := k.(lua.LNumber); ok {
		f := float64(n)
		i := int(int32(luaDoubleToInt64(f)))
		if float64(i) == f {
			return i
		}
	}
	return 0
}

// find returns where a key is: its array slot (a >= 0) or node (n >= 0).
func (sh *luaShape) find(k lua.LValue) (a, n int) {
	if i := luaArrayIndex(k); i >= 1 && i <= len(sh.arr) {
		return i - 1, -1
	}
	mp := sh.mainPosition(k)
	for mp >= 0 {
		if sh.nodes[mp].key != nil && luaRawEqual(sh.nodes[mp].key, k) {
			return -1, mp
		}
		mp = sh.nodes[mp].next
	}
	return -1, -1
}

// set is luaH_set followed by the store of a value (nil or not).
func (sh *luaShape) set(k lua.LValue, nonNil bool) {
	for {
		if a, n := sh.find(k); a >= 0 {
			sh.arr[a] = nonNil
			return
		} else if n >= 0 {
			if nonNil && !sh.nodes[n].hasVal {
				if _, str := k.(lua.LString); str && sh.mainPosition(k) != n {
					// Lua's collector may have marked the deleted
					// key dead, and the key would go elsewhere now.
					sh.ok = false
				}
			}
			sh.nodes[n].hasVal = nonNil
			return
		}
		if n, ok := sh.newKey(k); ok {
			sh.nodes[n].hasVal = nonNil
			return
		}
		// The table grew: insert again (the key may now be in the
		// array part).
	}
}

func (sh *luaShape) getFreePos() int {
	for sh.lastFree > 0 {
		sh.lastFree--
		if sh.nodes[sh.lastFree].key == nil {
			return sh.lastFree
		}
	}
	return -1
}

// newKey is ltable.c's newkey for a key not in the table: it returns the
// key's node, or false after growing the table (rehash) instead.
func (sh *luaShape) newKey(k lua.LValue) (int, bool) {
	mp := sh.mainPosition(k)
	if mp < 0 || sh.nodes[mp].hasVal {
		n := sh.getFreePos()
		if n < 0 {
			sh.rehash(k)
			return 0, false
		}
		othern := sh.mainPosition(sh.nodes[mp].key)
		if othern != mp {
			for sh.nodes[othern].next != mp {
				othern = sh.nodes[othern].next
			}
			sh.nodes[othern].next = n
			sh.nodes[n] = sh.nodes[mp]
			sh.nodes[mp].next = -1
			sh.nodes[mp].hasVal = false
		} else {
			sh.nodes[n].next = sh.nodes[mp].next
			sh.nodes[mp].next = n
			mp = n
		}
	}
	sh.nodes[mp].key = k
	sh.layoutCache = nil
	return mp, true
}

func luaCeilLog2(x int) int {
	if x <= 1 {
		return 0
	}
	return bits.Len(uint(x - 1))
}

func luaCountInt(k lua.LValue, nums []int) int {
	i := luaArrayIndex(k)
	if i > 0 && i <= 1<<luaMaxBits {
		nums[luaCeilLog2(i)]++
		return 1
	}
	return 0
}

func (sh *luaShape) rehash(ek lua.LValue) {
	nums := make([]int, luaMaxBits+1)
	nasize := 0
	// numusearray
	i := 1
	for lg, ttlg := 0, 1; lg <= luaMaxBits; lg, ttlg = lg+1, ttlg*2 {
		lc := 0
		lim := ttlg
		if lim > len(sh.arr) {
			lim = len(sh.arr)
			if i > lim {
				break
			}
		}
		for ; i <= lim; i++ {
			if sh.arr[i-1] {
				lc++
			}
		}
		nums[lg] += lc
		nasize += lc
	}
	total := nasize
	for j := len(sh.nodes) - 1; j >= 0; j-- {
		if sh.nodes[j].hasVal {
			nasize += luaCountInt(sh.nodes[j].key, nums)
			total++
		}
	}
	nasize += luaCountInt(ek, nums)
	total++
	// computesizes
	a, na, n := 0, 0, 0
	for i, twotoi := 0, 1; twotoi/2 < nasize; i, twotoi = i+1, twotoi*2 {
		if nums[i] > 0 {
			a += nums[i]
			if a > twotoi/2 {
				n = twotoi
				na = a
			}
		}
		if a == nasize {
			break
		}
	}
	sh.resize(n, total-na)
}

// setNodeVector gives the hash part room for size keys (a power of two
// of nodes, all free).
func (sh *luaShape) setNodeVector(size int) {
	sh.layoutCache = nil
	if size == 0 {
		sh.nodes = nil
	} else {
		n := 1 << luaCeilLog2(size)
		sh.nodes = make([]luaNode, n)
		for i := range sh.nodes {
			sh.nodes[i].next = -1
		}
	}
	sh.lastFree = len(sh.nodes)
}

func (sh *luaShape) resize(nasize, nhsize int) {
	oldArr := sh.arr
	oldNodes := sh.nodes
	if nasize > len(oldArr) {
		sh.arr = append(append([]bool(nil), oldArr...), make([]bool, nasize-len(oldArr))...)
	}
	sh.setNodeVector(nhsize)
	if nasize < len(oldArr) {
		sh.arr = append([]bool(nil), oldArr[:nasize]...)
		for i := nasize; i < len(oldArr); i++ {
			if oldArr[i] {
				sh.set(lua.LNumber(i+1), true)
			}
		}
	}
	for i := len(oldNodes) - 1; i >= 0; i-- {
		if oldNodes[i].hasVal {
			sh.set(oldNodes[i].key, true)
		}
	}
}

// keys lists the table's keys holding non-nil values, in next() order.
func (sh *luaShape) keys(t *lua.LTable) []lua.LValue {
	var out []lua.LValue
	for i := range sh.arr {
		if t.RawGetInt(i+1) != lua.LNil {
			out = append(out, lua.LNumber(i+1))
		}
	}
	for _, nd := range sh.nodes {
		if nd.key != nil && t.RawGet(nd.key) != lua.LNil {
			out = append(out, nd.key)
		}
	}
	return out
}

// layout lists every slot's key: the array part's indices, then the
// keys of the used nodes (whatever their values now), with each key's
// place.
func (sh *luaShape) layout() ([]lua.LValue, map[lua.LValue]int) {
	if sh.layoutCache != nil {
		return sh.layoutCache, sh.layoutIndex
	}
	out := make([]lua.LValue, 0, len(sh.arr)+len(sh.nodes))
	idx := make(map[lua.LValue]int, len(sh.arr)+len(sh.nodes))
	for i := range sh.arr {
		idx[lua.LNumber(i+1)] = len(out)
		out = append(out, lua.LNumber(i+1))
	}
	for _, nd := range sh.nodes {
		if nd.key != nil {
			idx[nd.key] = len(out)
			out = append(out, nd.key)
		}
	}
	sh.layoutCache, sh.layoutIndex = out, idx
	return out, idx
}

// getn is luaH_getn over the layout, with the table's current values.
func (sh *luaShape) getn(t *lua.LTable) int {
	present := func(i int) bool { return t.RawGetInt(i) != lua.LNil }
	// border is the binary search between i (present, or 0) and j
	// (absent) for an index present before an absent one.
	border := func(i, j int) int {
		for j-i > 1 {
			m := (i + j) / 2
			if !present(m) {
				j = m
			} else {
				i = m
			}
		}
		return i
	}
	j := len(sh.arr)
	if j > 0 && !present(j) {
		return border(0, j)
	}
	if len(sh.nodes) == 0 {
		return j
	}
	i := j
	j++
	for present(j) {
		i = j
		j *= 2
		if j > math.MaxInt32 {
			i = 1
			for present(i) {
				i++
			}
			return i - 1
		}
	}
	return border(i, j)
}

// Every table of a run has its shape: the libraries' tables (a library
// creates a table empty, with lua_newtable, and sets its entries one by
// one), the script's constructors (presized as Lua 5.1's OP_NEWTABLE
// does, then filled as OP_SETTABLE and OP_SETLIST do) and every write
// after (the set helper, rawset, the table library), each mirrored in
// the shape. A write the model did not see (gopher-lua's lengths moved)
// makes the shape unusable.

// newTable creates an empty table (lua_newtable) with its shape.
func (vm *luaVM) newTable() *lua.LTable {
	t := vm.L.CreateTable(0, 0)
	vm.track(t, newLuaShape())
	return t
}

// newLibTable is newTable, for a table a library builds.
func (vm *luaVM) newLibTable() *lua.LTable { return vm.newTable() }

func (vm *luaVM) track(t *lua.LTable, sh *luaShape) {
	if vm.run != nil {
		if vm.run.shapes == nil {
			vm.run.shapes = map[*lua.LTable]*luaShape{}
		}
		vm.run.shapes[t] = sh
		sh.arrayLen, sh.keysLen = gopherLens(t)
	}
}

// libSet is lua_settable/lua_rawset on a table a library is building
// (no metatable, not read-only).
func (vm *luaVM) libSet(t *lua.LTable, k, v lua.LValue) {
	var sh *luaShape
	if vm.run != nil {
		sh = vm.run.shapes[t]
	}
	if sh != nil && sh.ok {
		a, kl := gopherLens(t)
		if a != sh.arrayLen || kl != sh.keysLen {
			sh.ok = false
		}
	}
	if sh != nil {
		sh.set(k, v != lua.LNil)
	}
	if v != lua.LNil || t.RawGet(k) != lua.LNil {
		t.RawSet(k, v)
	}
	if sh != nil {
		sh.arrayLen, sh.keysLen = gopherLens(t)
	}
}

// tset is lua_rawset/lua_rawseti from a library function: Redis's error
// for a read-only table (from C: no position), Lua's for a nil or NaN
// key.
func (vm *luaVM) tset(L *lua.LState, t *lua.LTable, k, v lua.LValue) {
	if vm.isProtected(t) {
		vm.raise(L, lua.LString("Attempt to modify a readonly table"), false)
	}
	vm.checkKey(L, k)
	vm.libSet(t, k, v)
}

// luaKeyError is Lua's error for a key no table may have (nil or NaN),
// or "" for another key.
func luaKeyError(k lua.LValue) string {
	if k == lua.LNil {
		return "table index is nil"
	}
	if f, ok := k.(lua.LNumber); ok && float64(f) != float64(f) {
		return "table index is NaN"
	}
	return ""
}

// checkStmtKey raises luaKeyError for a store of the script's own
// statement (an assignment, a constructor's field), with the statement's
// position, where checkKey raises it for a library function's store.
func (vm *luaVM) checkStmtKey(L *lua.LState, k lua.LValue) {
	if msg := luaKeyError(k); msg != "" {
		vm.raiseStmt(L, lua.LString(msg), true)
	}
}

// setHelper is the set helper the rewritten chunk calls for t[k] = v:
// Lua 5.1's luaV_settable with Redis's read-only tables.
func (vm *luaVM) setHelper(L *lua.LState) int {
	t, k, v := L.Get(1), L.Get(2), L.Get(3)
	vm.checkPoison(L, t, k)
	for loop := 0; loop < 100; loop++ {
		var tm lua.LValue
		if tb, ok := t.(*lua.LTable); ok {
			if vm.isProtected(tb) {
				vm.raiseStmt(L, lua.LString("Attempt to modify a readonly table"), true)
			}
			vm.checkStmtKey(L, k)
			old := tb.RawGet(k)
			if mt, ok := tb.Metatable.(*lua.LTable); ok {
				tm = mt.RawGetString("__newindex")
			}
			if old != lua.LNil || tm == nil || tm == lua.LNil {
				vm.libSet(tb, k, v)
				return 0
			}
			// luaH_set made the key's node before the metamethod runs.
			vm.libSet(tb, k, lua.LNil)
		} else {
			tm = vm.indexMetamethod(L, t, "__newindex")
		}
		if f, ok := tm.(*lua.LFunction); ok {
			L.SetTop(0)
			luaCall(L, f, 0, t, k, v)
			return 0
		}
		t = tm
	}
	vm.raiseStmt(L, lua.LString("loop in settable"), true)
	return 0
}

// luaInt2fb and luaFb2int are Lua 5.1's "floating point byte" encoding
// of a constructor's size hints.
func luaInt2fb(x int) int {
	e := 0
	for x >= 16 {
		x = (x + 1) >> 1
		e++
	}
	if x < 8 {
		return x
	}
	return (e+1)<<3 | (x - 8)
}

func luaFb2int(x int) int {
	e := (x >> 3) & 31
	if e == 0 {
		return x
	}
	return ((x & 7) + 8) << (e - 1)
}

// A luaCtor is a table constructor being built: its plan (see
// lua_ast.go), how far the helper calls got, and the list items waiting
// for their OP_SETLIST.
type luaCtor struct {
	plan    string
	i       int
	base    int
	pending []lua.LValue
}

// ctorHelper builds a table constructor's table: presized with
// OP_NEWTABLE's hints, the keyed fields set as they come, the list items
// stored by OP_SETLIST, fifty at a time. A constructor of more than 50
// fields goes on in ctorMoreHelper calls.
func (vm *luaVM) ctorHelper(L *lua.LState) int {
	plan := string(L.Get(1).(lua.LString))
	na, nh := 0, 0
	for i := 0; i < len(plan); i++ {
		switch plan[i] {
		case 'L':
			na++
		case 'R':
			nh++
		}
	}
	t := L.CreateTable(0, 0)
	sh := newLuaShape()
	sh.arr = make([]bool, luaFb2int(luaInt2fb(na)))
	sh.setNodeVector(luaFb2int(luaInt2fb(nh)))
	vm.track(t, sh)
	c := &luaCtor{plan: plan, base: 1}
	return vm.ctorFields(L, t, c, 2)
}

func (vm *luaVM) ctorMoreHelper(L *lua.LState) int {
	t := L.Get(1).(*lua.LTable)
	c := vm.run.ctors[t]
	return vm.ctorFields(L, t, c, 2)
}

// ctorFields sets the fields whose values are the arguments from arg on.
func (vm *luaVM) ctorFields(L *lua.LState, t *lua.LTable, c *luaCtor, arg int) int {
	run := vm.run
	top := L.GetTop()
	sh := run.shapes[t]
	flush := func() {
		if len(c.pending) == 0 {
			return
		}
		last := c.base + len(c.pending) - 1
		if last > len(sh.arr) {
			sh.resize(last, len(sh.nodes))
		}
		for n := len(c.pending); n > 0; n-- {
			vm.libSet(t, lua.LNumber(c.base+n-1), c.pending[n-1])
		}
		c.base = last + 1
		c.pending = c.pending[:0]
	}
	for c.i < len(c.plan) && arg <= top {
		if len(c.pending) == 50 {
			flush()
		}
		switch c.plan[c.i] {
		case 'R':
			k, v := L.Get(arg), L.Get(arg+1)
			arg += 2
			vm.checkPoison(L, k)
			vm.checkStmtKey(L, k)
			vm.libSet(t, k, v)
		case 'L':
			c.pending = append(c.pending, L.Get(arg))
			arg++
		case 'M':
			for ; arg <= top; arg++ {
				c.pending = append(c.pending, L.Get(arg))
			}
		}
		c.i++
	}
	if c.i < len(c.plan) && c.plan[c.i] == 'M' && arg > top {
		// The last item gave no value.
		c.i++
	}
	if c.i < len(c.plan) {
		if run.ctors == nil {
			run.ctors = map[*lua.LTable]*luaCtor{}
		}
		run.ctors[t] = c
	} else {
		flush()
		delete(run.ctors, t)
	}
	L.SetTop(0)
	L.Push(t)
	return 1
}

// shapeOf returns the layout of a table, when the model followed every
// change to it.
func (vm *luaVM) shapeOf(t *lua.LTable) *luaShape {
	if vm.run == nil {
		return nil
	}
	sh := vm.run.shapes[t]
	if sh == nil || !sh.ok {
		return nil
	}
	a, k := gopherLens(t)
	if a != sh.arrayLen || k != sh.keysLen {
		sh.ok = false
		return nil
	}
	return sh
}

// order returns a table's keys in Lua 5.1's next() order, and whether
// the model knows that order.
func (vm *luaVM) order(t *lua.LTable) ([]lua.LValue, bool) {
	if vm.isProtected(t) {
		return nil, false
	}
	if sh := vm.shapeOf(t); sh != nil {
		return sh.keys(t), true
	}
	var keys []lua.LValue
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		keys = append(keys, k)
	}
	return keys, luaOrderKnown(t, keys)
}

// orderKnown reports whether a table (not built by a library) walks in
// an order that cannot depend on Lua's layout: one entry, or the keys
// 1..n of a table that never had another key.
func luaOrderKnown(t *lua.LTable, keys []lua.LValue) bool {
	if len(keys) <= 1 {
		return true
	}
	if _, kl := gopherLens(t); kl > 0 {
		return false
	}
	for i, k := range keys {
		if n, ok := k.(lua.LNumber); !ok || float64(n) != float64(i+1) {
			return false
		}
	}
	return true
}

// nextKey is next(t, k) in Lua 5.1's order; ok is false (with the run's
// reason set) when the model does not know that order.
func (vm *luaVM) nextKey(t *lua.LTable, k lua.LValue) (lua.LValue, lua.LValue, bool) {
	run := vm.run
	if vm.isProtected(t) {
		run.uncertain("the script walked one of Redis's library tables, in Lua's hash order")
		return nil, nil, false
	}
	if sh := vm.shapeOf(t); sh != nil {
		layout, index := sh.layout()
		start := 0
		if k != lua.LNil {
			i, ok := index[k]
			if !ok {
				run.uncertain("next() from a key that is not in the table")
				return nil, nil, false
			}
			start = i + 1
		}
		for _, x := range layout[start:] {
			if v := t.RawGet(x); v != lua.LNil {
				return x, v, true
			}
		}
		return lua.LNil, lua.LNil, true
	}
	if k == lua.LNil {
		keys, known := vm.order(t)
		if !known {
			run.uncertain("the script walked a table with several keys whose order is Lua 5.1's hash layout")
			return nil, nil, false
		}
		if len(keys) == 0 {
			return lua.LNil, lua.LNil, true
		}
		return keys[0], t.RawGet(keys[0]), true
	}
	nk, nv := t.Next(k)
	return nk, nv, true
}

// getn is luaL_getn (the # operator on a table): exact for a table whose
// positive integer keys are 1..n, or whose layout the model knows.
func (vm *luaVM) getn(L *lua.LState, t *lua.LTable) int {
	if b := vm.backing[t]; b != nil {
		t = b
	}
	if sh := vm.shapeOf(t); sh != nil {
		return sh.getn(t)
	}
	n := t.Len()
	for i := 1; i < n; i++ {
		if t.RawGetInt(i) == lua.LNil {
			vm.abort(L, "the length of a table with holes, which depends on Lua 5.1's layout")
		}
	}
	return n
}
