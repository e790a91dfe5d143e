package redis

import (
	"encoding/binary"
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The struct library (lua_struct.c, Roberto Ierusalimschy's) as Redis
// builds it on x86-64: native order little-endian, long 8 bytes, int 4,
// maximum alignment 8.

func (vm *luaVM) structLib() *lua.LTable {
	return vm.libTable(map[string]lua.LGFunction{"pack": vm.structPack, "unpack": vm.structUnpack, "size": vm.structSize})
}

type luaStructHeader struct {
	little bool
	align  int
}

type luaStructFmt struct {
	vm  *luaVM
	L   *lua.LState
	f   string
	i   int
	hdr luaStructHeader
}

func (sf *luaStructFmt) more() bool { return sf.i < len(sf.f) }

// option reads the format's next option and its size (optsize), as
// b_pack, b_unpack and b_size each begin with.
func (sf *luaStructFmt) option() (opt byte, size int) {
	opt = sf.f[sf.i]
	sf.i++
	return opt, sf.optsize(opt)
}

// order is the byte order the format's header sets for floats and
// doubles ('<' little-endian, the native order, or '>').
func (sf *luaStructFmt) order() binary.ByteOrder {
	if sf.hdr.little {
		return binary.LittleEndian
	}
	return binary.BigEndian
}

func (sf *luaStructFmt) getnum(df int) int {
	if sf.i >= len(sf.f) || !isDigit(sf.f[sf.i]) {
		return df
	}
	a := 0
	for sf.i < len(sf.f) && isDigit(sf.f[sf.i]) {
		d := int(sf.f[sf.i] - '0')
		if a > math.MaxInt32/10 || a*10 > math.MaxInt32-d {
			sf.vm.raise(sf.L, lua.LString("integral size overflow"), true)
		}
		a = a*10 + d
		sf.i++
	}
	return a
}

func (sf *luaStructFmt) optsize(opt byte) int {
	switch opt {
	case 'B', 'b':
		return 1
	case 'H', 'h':
		return 2
	case 'L', 'l', 'T', 'd':
		return 8
	case 'f', 'i', 'I':
		if opt == 'f' {
			return 4
		}
		sz := sf.getnum(4)
		if sz > 32 {
			sf.vm.raise(sf.L, lua.LString("integral size "+luaItoa(sz)+" is larger than limit of 32"), true)
		}
		return sz
	case 'x':
		return 1
	case 'c':
		return sf.getnum(1)
	}
	return 0
}

func (sf *luaStructFmt) toalign(n int, opt byte, size int) int {
	if size == 0 || opt == 'c' {
		return 0
	}
	if size > sf.hdr.align {
		size = sf.hdr.align
	}
	return (size - (n & (size - 1))) & (size - 1)
}

func (sf *luaStructFmt) control(opt byte) {
	switch opt {
	case ' ':
	case '>':
		sf.hdr.little = false
	case '<':
		sf.hdr.little = true
	case '!':
		a := sf.getnum(8)
		if a <= 0 || a&(a-1) != 0 {
			sf.vm.raise(sf.L, lua.LString("alignment "+luaItoa(a)+" is not a power of 2"), true)
		}
		sf.hdr.align = a
	default:
		sf.vm.argError(sf.L, 1, "invalid format option '"+string([]byte{opt})+"'")
	}
}

func (vm *luaVM) newStructFmt(L *lua.LState) *luaStructFmt {
	return &luaStructFmt{vm: vm, L: L, f: cString(vm.checkString(L, 1)), hdr: luaStructHeader{little: true, align: 1}}
}

func (vm *luaVM) structPack(L *lua.LState) int {
	sf := vm.newStructFmt(L)
	arg := 2
	var b []byte
	total := 0
	for sf.more() {
		opt, size := sf.option()
		al := sf.toalign(total, opt, size)
		total += al
		b = append(b, make([]byte, al)...)
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			n := vm.checkNumber(L, arg)
			arg++
			var v uint64
			if n < 0 {
				v = uint64(luaDoubleToInt64(n))
			} else {
				v = luaDoubleToUint64(n)
			}
			buf := make([]byte, size)
			for k := 0; k < size; k++ {
				idx := k
				if !sf.hdr.little {
					idx = size - 1 - k
				}
				buf[idx] = byte(v)
				v >>= 8
			}
			b = append(b, buf...)
		case 'x':
			b = append(b, 0)
		case 'f':
			f := float32(vm.checkNumber(L, arg))
			arg++
			buf := make([]byte, 4)
			sf.order().PutUint32(buf, math.Float32bits(f))
			b = append(b, buf...)
		case 'd':
			d := vm.checkNumber(L, arg)
			arg++
			buf := make([]byte, 8)
			sf.order().PutUint64(buf, math.Float64bits(d))
			b = append(b, buf...)
		case 'c', 's':
			s := vm.checkString(L, arg)
			arg++
			if size == 0 {
				size = len(s)
			}
			if len(s) < size {
				vm.argError(L, arg, "string too short")
			}
			b = append(b, s[:size]...)
			if opt == 's' {
				b = append(b, 0)
				size++
			}
		default:
			sf.control(opt)
		}
		total += size
		vm.checkBuilt(L, len(b), "struct.pack")
	}
	L.Push(lua.LString(b))
	return 1
}

func (vm *luaVM) structUnpack(L *lua.LState) int {
	sf := vm.newStructFmt(L)
	data := vm.checkString(L, 2)
	ld := len(data)
	pos := vm.optInteger(L, 3, 1)
	if pos <= 0 {
		vm.argError(L, 3, "offset must be 1 or greater")
	}
	p := int(pos - 1)
	var out []lua.LValue
	for sf.more() {
		opt, size := sf.option()
		p += sf.toalign(p, opt, size)
		if !(size <= ld && p <= ld-size) {
			vm.argError(L, 2, "data string too short")
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			if size > 8 {
				vm.abort(L, "struct.unpack of an integer wider than 8 bytes")
			}
			var l uint64
			if sf.hdr.little {
				for k := size - 1; k >= 0; k-- {
					l = l<<8 | uint64(data[p+k])
				}
			} else {
				for k := 0; k < size; k++ {
					l = l<<8 | uint64(data[p+k])
				}
			}
			if luaIsLower(opt) {
				if size < 8 {
					mask := ^uint64(0) << (uint(size)*8 - 1)
					if l&mask != 0 {
						l |= mask
					}
				}
				out = append(out, lua.LNumber(float64(int64(l))))
			} else {
				out = append(out, lua.LNumber(float64(l)))
			}
		case 'x':
		case 'f':
			u := sf.order().Uint32([]byte(data[p : p+4]))
			out = append(out, lua.LNumber(float64(math.Float32frombits(u))))
		case 'd':
			u := sf.order().Uint64([]byte(data[p : p+8]))
			out = append(out, lua.LNumber(math.Float64frombits(u)))
		case 'c':
			if size == 0 {
				if len(out) == 0 {
					vm.raise(L, lua.LString("format 'c0' needs a previous size"), true)
				}
				n, ok := luaToNumber(out[len(out)-1])
				if !ok {
					vm.raise(L, lua.LString("format 'c0' needs a previous size"), true)
				}
				size = int(luaDoubleToUint64(n))
				out = out[:len(out)-1]
				if !(size <= ld && p <= ld-size) || size < 0 {
					vm.argError(L, 2, "data string too short")
				}
			}
			out = append(out, lua.LString(data[p:p+size]))
		case 's':
			e := strings.IndexByte(data[p:], 0)
			if e < 0 {
				vm.raise(L, lua.LString("unfinished string in data"), true)
			}
			size = e + 1
			out = append(out, lua.LString(data[p:p+e]))
		default:
			sf.control(opt)
		}
		p += size
	}
	L.SetTop(0)
	for _, v := range out {
		L.Push(v)
	}
	L.Push(lua.LNumber(p + 1))
	return len(out) + 1
}

func (vm *luaVM) structSize(L *lua.LState) int {
	sf := vm.newStructFmt(L)
	p := 0
	for sf.more() {
		opt, size := sf.option()
		p += sf.toalign(p, opt, size)
		if opt == 's' {
			vm.argError(L, 1, "option 's' has no fixed size")
		} else if opt == 'c' && size == 0 {
			vm.argError(L, 1, "option 'c0' has no fixed size")
		}
		if !luaIsAlnum(opt) {
			sf.control(opt)
		}
		p += size
	}
	L.Push(lua.LNumber(p))
	return 1
}
