package redis

import (
	"math"
	"math/big"

	lua "github.com/yuin/gopher-lua"
)

// Lua 5.1's math library (lmathlib.c) with Redis's math.random, and the
// bit library (LuaBitOp).
//
// Redis's math.random is a rand48 generator whose state lives in the
// server process and is not reset between scripts in 7.0: its numbers
// depend on every math.random any script drew since the server started,
// which no log holds, unless the script seeded it (math.randomseed)
// first. An unseeded draw makes the reply unknown.
//
// The transcendental functions (exp, log, sin, ...) come from glibc in
// Redis and from Go here; they may differ in the last bit, so a call
// makes the reply unknown, except where the result is exact.

func (vm *luaVM) mathLib() *lua.LTable {
	one := func(f func(float64) float64) lua.LGFunction {
		return func(L *lua.LState) int {
			L.Push(lua.LNumber(f(vm.checkNumber(L, 1))))
			return 1
		}
	}
	inexact := func(name string) lua.LGFunction {
		return func(L *lua.LState) int {
			vm.checkNumber(L, 1)
			vm.abort(L, "math."+name+" (glibc's result may differ from Go's in the last bit)")
			return 0
		}
	}
	reg := map[string]lua.LGFunction{
		"abs":    one(math.Abs),
		"ceil":   one(math.Ceil),
		"floor":  one(math.Floor),
		"sqrt":   one(math.Sqrt),
		"deg":    one(func(x float64) float64 { return x / (math.Pi / 180.0) }),
		"rad":    one(func(x float64) float64 { return x * (math.Pi / 180.0) }),
		"fmod":   vm.mathFmod,
		"mod":    vm.mathFmod,
		"modf":   vm.mathModf,
		"frexp":  vm.mathFrexp,
		"ldexp":  vm.mathLdexp,
		"pow":    vm.mathPow,
		"min":    vm.mathMinMax(true),
		"max":    vm.mathMinMax(false),
		"random": vm.mathRandom, "randomseed": vm.mathRandomseed,
	}
	for _, name := range []string{"exp", "log", "log10", "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh"} {
		reg[name] = inexact(name)
	}
	t := vm.libTable(reg)
	t.RawSetString("pi", lua.LNumber(math.Pi))
	t.RawSetString("huge", lua.LNumber(math.Inf(1)))
	return t
}

func (vm *luaVM) mathFmod(L *lua.LState) int {
	x, y := vm.checkNumber(L, 1), vm.checkNumber(L, 2)
	L.Push(lua.LNumber(math.Mod(x, y)))
	return 1
}

func (vm *luaVM) mathModf(L *lua.LState) int {
	x := vm.checkNumber(L, 1)
	var ip, fp float64
	switch {
	case math.IsInf(x, 0):
		ip, fp = x, math.Copysign(0, x)
	default:
		ip, fp = math.Modf(x)
	}
	L.Push(lua.LNumber(ip))
	L.Push(lua.LNumber(fp))
	return 2
}

func (vm *luaVM) mathFrexp(L *lua.LState) int {
	x := vm.checkNumber(L, 1)
	f, e := math.Frexp(x)
	L.Push(lua.LNumber(f))
	L.Push(lua.LNumber(e))
	return 2
}

func (vm *luaVM) mathLdexp(L *lua.LState) int {
	x := vm.checkNumber(L, 1)
	e := vm.checkInt(L, 2)
	L.Push(lua.LNumber(math.Ldexp(x, e)))
	return 1
}

func (vm *luaVM) mathPow(L *lua.LState) int {
	x, y := vm.checkNumber(L, 1), vm.checkNumber(L, 2)
	r, ok := luaPow(x, y)
	if !ok {
		vm.abort(L, "math.pow whose result glibc's pow may round differently")
	}
	L.Push(lua.LNumber(r))
	return 1
}

func (vm *luaVM) mathMinMax(isMin bool) lua.LGFunction {
	return func(L *lua.LState) int {
		n := L.GetTop()
		d := vm.checkNumber(L, 1)
		for i := 2; i <= n; i++ {
			x := vm.checkNumber(L, i)
			if (isMin && x < d) || (!isMin && x > d) {
				d = x
			}
		}
		L.Push(lua.LNumber(d))
		return 1
	}
}

// rand48 is Redis's redisLrand48 generator (rand.c).
const (
	luaRand48A0, luaRand48A1, luaRand48A2 = 0xE66D, 0xDEEC, 0x5
	luaRand48C                            = 0xB
)

func luaRand48Next(x *[3]uint32) int32 {
	low := func(v uint32) uint32 { return v & 0xffff }
	mul := func(a, b uint32) (uint32, uint32) {
		l := int32(a) * int32(b) // C: int32_t l = (long)(x) * (long)(y), truncated
		return low(uint32(l)), low(uint32(l) >> 16)
	}
	carry := func(a, b uint32) uint32 {
		if int64(int32(a))+int64(b) > 0xffff {
			return 1
		}
		return 0
	}
	p0, p1 := mul(luaRand48A0, x[0])
	c0 := carry(p0, luaRand48C)
	p0 = low(p0 + luaRand48C)
	c1 := carry(p1, c0)
	p1 = low(p1 + c0)
	q0, q1 := mul(luaRand48A0, x[1])
	c0 = carry(p1, q0)
	p1 = low(p1 + q0)
	r0, r1 := mul(luaRand48A1, x[0])
	x2 := low(c0 + c1 + carry(p1, r0) + q1 + r1 + luaRand48A0*x[2] + luaRand48A1*x[1] + luaRand48A2*x[0])
	x1 := low(p1 + r0)
	x[0], x[1], x[2] = low(p0), x1, x2
	return int32(x[2]<<15) + int32(x[1]>>1)
}

func (vm *luaVM) mathRandomseed(L *lua.LState) int {
	seed := int32(vm.checkInt(L, 1))
	run := vm.run
	run.seeded = true
	run.rand = [3]uint32{0x330E, uint32(seed) & 0xffff, uint32(seed) >> 16 & 0xffff}
	return 0
}

func (vm *luaVM) mathRandom(L *lua.LState) int {
	run := vm.run
	if !run.seeded {
		vm.abort(L, "math.random without math.randomseed in the script (Redis's generator carries over from earlier scripts)")
	}
	const max = math.MaxInt32
	r := float64(luaRand48Next(&run.rand)%max) / float64(max)
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(r))
	case 1:
		u := vm.checkInt(L, 1)
		if u < 1 {
			vm.argError(L, 1, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u)) + 1))
	case 2:
		l := vm.checkInt(L, 1)
		u := vm.checkInt(L, 2)
		if l > u {
			vm.argError(L, 2, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u-l+1)) + float64(l)))
	default:
		vm.raise(L, lua.LString("wrong number of arguments"), true)
	}
	return 1
}

// exactPow returns x^n computed exactly, when the result fits a double.
func luaExactPow(x float64, n int) (float64, bool) {
	if n == 0 {
		return 1, true
	}
	prec := uint(53*n + 64)
	if prec > 1<<16 {
		return 0, false
	}
	b := new(big.Float).SetPrec(prec).SetFloat64(x)
	r := new(big.Float).SetPrec(prec).SetFloat64(1)
	for i := 0; i < n; i++ {
		r.Mul(r, b)
	}
	f, acc := r.Float64()
	if acc != big.Exact || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// The bit library.

func (vm *luaVM) bitLib() *lua.LTable {
	ret := func(L *lua.LState, b uint32) int {
		L.Push(lua.LNumber(float64(int32(b))))
		return 1
	}
	fold := func(op func(a, b uint32) uint32) lua.LGFunction {
		return func(L *lua.LState) int {
			b := vm.barg(L, 1)
			for i := L.GetTop(); i > 1; i-- {
				b = op(b, vm.barg(L, i))
			}
			return ret(L, b)
		}
	}
	shift := func(op func(b, n uint32) uint32) lua.LGFunction {
		return func(L *lua.LState) int {
			b := vm.barg(L, 1)
			n := vm.barg(L, 2) & 31
			return ret(L, op(b, n))
		}
	}
	reg := map[string]lua.LGFunction{
		"tobit":  func(L *lua.LState) int { return ret(L, vm.barg(L, 1)) },
		"bnot":   func(L *lua.LState) int { return ret(L, ^vm.barg(L, 1)) },
		"band":   fold(func(a, b uint32) uint32 { return a & b }),
		"bor":    fold(func(a, b uint32) uint32 { return a | b }),
		"bxor":   fold(func(a, b uint32) uint32 { return a ^ b }),
		"lshift": shift(func(b, n uint32) uint32 { return b << n }),
		"rshift": shift(func(b, n uint32) uint32 { return b >> n }),
		"arshift": shift(func(b, n uint32) uint32 {
			return uint32(int32(b) >> n)
		}),
		"rol": shift(func(b, n uint32) uint32 { return b<<n | b>>((32-n)&31) }),
		"ror": shift(func(b, n uint32) uint32 { return b<<((32-n)&31) | b>>n }),
		"bswap": func(L *lua.LState) int {
			b := vm.barg(L, 1)
			return ret(L, b>>24|b>>8&0xff00|(b&0xff00)<<8|b<<24)
		},
		"tohex": func(L *lua.LState) int {
			b := vm.barg(L, 1)
			n := int32(8)
			if L.GetTop() >= 2 {
				n = int32(vm.barg(L, 2))
			}
			digits := "0123456789abcdef"
			if n < 0 {
				n = -n
				digits = "0123456789ABCDEF"
			}
			if n > 8 {
				n = 8
			}
			buf := make([]byte, n)
			for i := int(n) - 1; i >= 0; i-- {
				buf[i] = digits[b&15]
				b >>= 4
			}
			L.Push(lua.LString(buf))
			return 1
		},
	}
	return vm.libTable(reg)
}

// barg converts an argument to 32 bits as LuaBitOp does: the number plus
// 2^52+2^51, whose low word is the integer (rounded to even), modulo
// 2^32.
func (vm *luaVM) barg(L *lua.LState, i int) uint32 {
	f, isNum := luaToNumber(L.Get(i))
	b := uint32(math.Float64bits(f + 6755399441055744.0))
	if b == 0 && !isNum {
		vm.argError(L, i, "number expected, got "+luaTypeName(L.Get(i)))
	}
	return b
}
