package redis

import (
	"encoding/binary"
	"math"
	"strconv"

	lua "github.com/yuin/gopher-lua"
)

// lua-cmsgpack 0.4.0 as Redis ships it: pack(...) and unpack, unpack_one,
// unpack_limit. Numbers that are 64-bit integers pack as the smallest
// integer type, others as a float32 when exact, else a double; a table
// packs as an array when its keys are exactly 1..n, else as a map (in
// next() order); nesting past 16 packs nil.

func (vm *luaVM) cmsgpackLib() *lua.LTable {
	t := vm.libTable(map[string]lua.LGFunction{
		"pack":   vm.mpPack,
		"unpack": func(L *lua.LState) int { return vm.mpUnpack(L, 0, 0) },
		"unpack_one": func(L *lua.LState) int {
			off := vm.optInteger(L, 2, 0)
			L.SetTop(1)
			return vm.mpUnpack(L, 1, off)
		},
		"unpack_limit": func(L *lua.LState) int {
			limit := vm.checkInteger(L, 2)
			off := vm.optInteger(L, 3, 0)
			L.SetTop(1)
			return vm.mpUnpack(L, limit, off)
		},
	})
	t.RawSetString("_NAME", lua.LString("cmsgpack"))
	t.RawSetString("_VERSION", lua.LString("lua-cmsgpack 0.4.0"))
	t.RawSetString("_COPYRIGHT", lua.LString("Copyright (C) 2012, Salvatore Sanfilippo"))
	t.RawSetString("_DESCRIPTION", lua.LString("MessagePack C implementation for Lua"))
	return t
}

func (vm *luaVM) mpPack(L *lua.LState) int {
	n := L.GetTop()
	if n == 0 {
		vm.argError(L, 0, "MessagePack pack needs input.")
	}
	var b []byte
	for i := 1; i <= n; i++ {
		b = vm.mpEncode(L, b, L.Get(i), 0)
	}
	L.Push(lua.LString(b))
	return 1
}

func luaMPHeader(b []byte, n uint64, fix byte, fixMax uint64, b16, b32 byte) []byte {
	switch {
	case n <= fixMax:
		return append(b, fix|byte(n))
	case n <= 0xffff:
		return append(b, b16, byte(n>>8), byte(n))
	}
	return append(b, b32, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

func luaMPInt(b []byte, n int64) []byte {
	if n >= 0 {
		switch {
		case n <= 127:
			return append(b, byte(n))
		case n <= 0xff:
			return append(b, 0xcc, byte(n))
		case n <= 0xffff:
			return append(b, 0xcd, byte(n>>8), byte(n))
		case n <= 0xffffffff:
			return append(b, 0xce, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
		}
		b = append(b, 0xcf)
		return binary.BigEndian.AppendUint64(b, uint64(n))
	}
	switch {
	case n >= -32:
		return append(b, byte(int8(n)))
	case n >= -128:
		return append(b, 0xd0, byte(n))
	case n >= -32768:
		return append(b, 0xd1, byte(n>>8), byte(n))
	case n >= -2147483648:
		return append(b, 0xd2, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	b = append(b, 0xd3)
	return binary.BigEndian.AppendUint64(b, uint64(n))
}

func (vm *luaVM) mpEncode(L *lua.LState, b []byte, v lua.LValue, level int) []byte {
	vm.checkPoison(L, v)
	vm.checkBuilt(L, len(b), "cmsgpack.pack")
	t, isTable := v.(*lua.LTable)
	if isTable && level == 16 {
		return append(b, 0xc0)
	}
	switch x := v.(type) {
	case lua.LString:
		s := string(x)
		n := uint64(len(s))
		switch {
		case n < 32:
			b = append(b, 0xa0|byte(n))
		case n <= 0xff:
			b = append(b, 0xd9, byte(n))
		case n <= 0xffff:
			b = append(b, 0xda, byte(n>>8), byte(n))
		default:
			b = append(b, 0xdb, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
		}
		return append(b, s...)
	case lua.LBool:
		if x {
			return append(b, 0xc3)
		}
		return append(b, 0xc2)
	case lua.LNumber:
		f := float64(x)
		if math.IsNaN(f) {
			vm.abort(L, "cmsgpack.pack of NaN, whose sign bits Redis packs")
		}
		if !math.IsInf(f, 0) && float64(luaDoubleToInt64(f)) == f {
			return luaMPInt(b, luaDoubleToInt64(f))
		}
		if g := float32(f); float64(g) == f {
			b = append(b, 0xca)
			return binary.BigEndian.AppendUint32(b, math.Float32bits(g))
		}
		b = append(b, 0xcb)
		return binary.BigEndian.AppendUint64(b, math.Float64bits(f))
	}
	if !isTable {
		return append(b, 0xc0)
	}
	if vm.isProtected(t) {
		vm.abort(L, "cmsgpack.pack of one of Redis's library tables")
	}
	// table_is_an_array: every key an int > 0, as many as the largest.
	count, max, isArray := 0, 0.0, true
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		n, ok := k.(lua.LNumber)
		f := float64(n)
		if !ok || f <= 0 || math.IsInf(f, 0) || float64(luaDoubleToInt32(f)) != f {
			isArray = false
			break
		}
		if f > max {
			max = f
		}
		count++
	}
	if isArray && max == float64(count) {
		n := vm.getn(L, t)
		b = luaMPHeader(b, uint64(n), 0x90, 15, 0xdc, 0xdd)
		for j := 1; j <= n; j++ {
			b = vm.mpEncode(L, b, L.GetTable(t, lua.LNumber(j)), level+1)
		}
		return b
	}
	keys, known := vm.order(t)
	if !known {
		vm.abort(L, "cmsgpack.pack of a table with several keys, in Lua 5.1's hash order")
	}
	b = luaMPHeader(b, uint64(len(keys)), 0x80, 15, 0xde, 0xdf)
	for _, k := range keys {
		b = vm.mpEncode(L, b, k, level+1)
		b = vm.mpEncode(L, b, t.RawGet(k), level+1)
	}
	return b
}

type luaMPCursor struct {
	s   string
	p   int
	err int // 1: missing bytes, 2: bad format
}

func (c *luaMPCursor) left() int { return len(c.s) - c.p }

func (c *luaMPCursor) need(n int) bool {
	if c.left() < n {
		c.err = 1
		return false
	}
	return true
}

// take moves past the next n bytes (mp_cur_need, then
// mp_cur_consume), when the input holds them.
func (c *luaMPCursor) take(n int) bool {
	if !c.need(n) {
		return false
	}
	c.p += n
	return true
}

func (vm *luaVM) mpUnpack(L *lua.LState, limit, offset int64) int {
	s := vm.checkString(L, 1)
	if offset < 0 || limit < 0 {
		vm.raise(L, lua.LString("Invalid request to unpack with offset of "+strconv.Itoa(int(int32(offset)))+" and limit of "+strconv.Itoa(int(int32(len(s))))+"."), true)
	}
	if offset > int64(len(s)) {
		vm.raise(L, lua.LString("Start offset "+strconv.Itoa(int(int32(offset)))+" greater than input length "+strconv.Itoa(int(int32(len(s))))+"."), true)
	}
	all := limit == 0 && offset == 0
	if all {
		limit = math.MaxInt32
	}
	c := &luaMPCursor{s: s, p: int(offset)}
	var out []lua.LValue
	for cnt := int64(0); c.left() > 0 && cnt < limit; cnt++ {
		v := vm.mpDecode(L, c, 0)
		switch c.err {
		case 1:
			vm.raise(L, lua.LString("Missing bytes in input."), true)
		case 2:
			vm.raise(L, lua.LString("Bad data format in input."), true)
		}
		out = append(out, v)
		if len(out) > 7900 {
			vm.abort(L, "cmsgpack.unpack of more values than the model knows Lua's stack holds")
		}
	}
	L.SetTop(0)
	if !all {
		if c.left() == 0 {
			L.Push(lua.LNumber(-1))
		} else {
			L.Push(lua.LNumber(c.p))
		}
	}
	for _, v := range out {
		L.Push(v)
	}
	return L.GetTop()
}

func (vm *luaVM) mpDecode(L *lua.LState, c *luaMPCursor, depth int) lua.LValue {
	if depth > 2000 {
		vm.abort(L, "cmsgpack.unpack of data nested deeper than the model follows")
	}
	if !c.need(1) {
		return nil
	}
	s := c.s
	p := c.p
	u := func(i, n int) uint64 {
		var v uint64
		for k := 0; k < n; k++ {
			v = v<<8 | uint64(s[p+i+k])
		}
		return v
	}
	str := func(hdr, n int) lua.LValue {
		if !c.take(hdr + n) {
			return nil
		}
		return lua.LString(s[p+hdr : p+hdr+n])
	}
	switch b := s[p]; {
	case 0xcc <= b && b <= 0xd3:
		// uint8 to uint64 (0xcc to 0xcf), int8 to int64 (0xd0 to 0xd3):
		// 1 << (b&3) bytes, big-endian; a signed one sign-extended.
		n := 1 << (b & 3)
		if !c.take(1 + n) {
			return nil
		}
		x := u(1, n)
		if b >= 0xd0 {
			shift := 64 - 8*n
			return lua.LNumber(float64(int64(x<<shift) >> shift))
		}
		return lua.LNumber(float64(x))
	case b == 0xc0:
		c.p++
		return lua.LNil
	case b == 0xc3:
		c.p++
		return lua.LTrue
	case b == 0xc2:
		c.p++
		return lua.LFalse
	case b == 0xca:
		if !c.take(5) {
			return nil
		}
		return lua.LNumber(float64(math.Float32frombits(uint32(u(1, 4)))))
	case b == 0xcb:
		if !c.take(9) {
			return nil
		}
		return lua.LNumber(math.Float64frombits(u(1, 8)))
	case 0xd9 <= b && b <= 0xdb:
		// str8, str16, str32: a 1, 2 or 4 byte length, then the bytes.
		n := 1 << (b - 0xd9)
		if !c.need(1 + n) {
			return nil
		}
		return str(1+n, int(u(1, n)))
	case 0xdc <= b && b <= 0xdf:
		// array16, array32, map16, map32: a 2 or 4 byte count.
		n := 2 << (b & 1)
		if !c.take(1 + n) {
			return nil
		}
		if b <= 0xdd {
			return vm.mpDecodeArray(L, c, int(u(1, n)), depth)
		}
		return vm.mpDecodeMap(L, c, int(u(1, n)), depth)
	case b&0x80 == 0:
		c.p++
		return lua.LNumber(b)
	case b&0xe0 == 0xe0:
		c.p++
		return lua.LNumber(int8(b))
	case b&0xe0 == 0xa0:
		return str(1, int(b&0x1f))
	case b&0xf0 == 0x90:
		c.p++
		return vm.mpDecodeArray(L, c, int(b&0xf), depth)
	case b&0xf0 == 0x80:
		c.p++
		return vm.mpDecodeMap(L, c, int(b&0xf), depth)
	}
	c.err = 2
	return nil
}

func (vm *luaVM) mpDecodeArray(L *lua.LState, c *luaMPCursor, n, depth int) lua.LValue {
	t := vm.newLibTable()
	for i := 1; i <= n; i++ {
		v := vm.mpDecode(L, c, depth+1)
		if c.err != 0 {
			return t
		}
		vm.libSet(t, lua.LNumber(i), v)
	}
	return t
}

func (vm *luaVM) mpDecodeMap(L *lua.LState, c *luaMPCursor, n, depth int) lua.LValue {
	t := vm.newLibTable()
	for i := 0; i < n; i++ {
		k := vm.mpDecode(L, c, depth+1)
		if c.err != 0 {
			return t
		}
		v := vm.mpDecode(L, c, depth+1)
		if c.err != 0 {
			return t
		}
		vm.checkKey(L, k)
		vm.libSet(t, k, v)
	}
	return t
}
