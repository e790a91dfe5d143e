package redis

import (
	"math"

	"github.com/wat-project/wat/formats"
)

// The bitmap commands. A bitmap is a string: bit 0 is the most
// significant bit of the first byte, and bits past the end read as 0.
// Writes grow the string with zero bytes (Redis's sdsgrowzero), so GET
// sees the bytes. Offsets are limited to the 512 MB of
// proto-max-bulk-len: bit offsets below 2^32.
var bitmapCommands = inGroup("bitmap", []*Command{
	{Name: "BITCOUNT", Arity: -2, Flags: "readonly", Keys: key1("RO access"), Run: bitcount},
	{Name: "BITFIELD", Arity: -2, Flags: "write denyoom", Keys: key1("RW access update variable_flags"), Run: bitfield},
	{Name: "BITFIELD_RO", Arity: -2, Flags: "readonly fast", Keys: key1("RO access"), Run: bitfield},
	{Name: "BITOP", Arity: -4, Flags: "write denyoom", Keys: []KeySpec{keyAt(2, "OW update"), keysFrom(3, "RO access")},
		Run: bitop},
	{Name: "BITPOS", Arity: -3, Flags: "readonly", Keys: key1("RO access"), Run: bitpos},
	{Name: "GETBIT", Arity: 3, Flags: "readonly fast", Keys: key1("RO access"), Run: getbit, Sub: subBit(formats.KindRead)},
	{Name: "SETBIT", Arity: 4, Flags: "write denyoom",
		Keys: key1("RW access update"),
		Run:  setbit,
		Sub:  subBit(formats.KindReset)},
})

// Error replies of bitops.c.
const (
	eBitOffset = "-ERR bit offset is not an integer or out of range\r\n"
	eBitValue  = "-ERR bit is not an integer or out of range\r\n"
	eBitArg    = "-ERR The bit argument must be 1 or 0.\r\n"
	eBitType   = "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"
	eOverflowT = "-ERR Invalid OVERFLOW type specified\r\n"
	eBitopNot  = "-ERR BITOP NOT must be called with a single source key.\r\n"
	eBitfRO    = "-ERR BITFIELD_RO only supports the GET subcommand\r\n"
)

// protoMaxBulkLen is proto-max-bulk-len's default (512 MB): a bit offset
// whose byte is at or past it is refused.
const protoMaxBulkLen = 512 * 1024 * 1024

// cString is a string (an argument, a Lua string) as C's string
// functions see it: up to its first NUL byte (strcasecmp, strlen and
// lua_pushstring stop there).
func cString[S ~string | ~[]byte](s S) S {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return s[:i]
		}
	}
	return s
}

// cEqual is strcasecmp(arg, word) == 0: an ASCII case-insensitive
// comparison of the argument up to its first NUL byte.
func cEqual(b []byte, word string) bool {
	b = cString(b)
	if len(b) != len(word) {
		return false
	}
	for i := range b {
		x, y := b[i], word[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// bitOffset parses a bit offset as getBitOffsetFromArgument does; with
// bits > 0 (BITFIELD) "#n" means n*bits (the product wraps as in C).
func bitOffset(b []byte, bits int) (uint64, bool) {
	hash := bits > 0 && len(b) > 0 && b[0] == '#'
	if hash {
		b = b[1:]
	}
	n, ok := parseInt(b)
	if !ok {
		return 0, false
	}
	if hash {
		n *= int64(bits)
	}
	if n < 0 || n>>3 >= protoMaxBulkLen {
		return 0, false
	}
	return uint64(n), true
}

// bitAt reads bit off of s (0 past the end).
func bitAt(s []byte, off uint64) int {
	if off>>3 >= uint64(len(s)) {
		return 0
	}
	return int(s[off>>3]>>(7-off&7)) & 1
}

// grown returns a copy of s at least n bytes long, zero-padded (Redis's
// sdsgrowzero; a string that keeps its length is changed in place, and
// keeps the byte after it: see tailOf).
func grown(s []byte, n uint64) []byte {
	l := uint64(len(s))
	if n <= l {
		return copyString(s)
	}
	out := make([]byte, n)
	copy(out, s)
	return out
}

func getbit(r *run) string {
	off, ok := bitOffset(r.args[1], 0)
	if !ok {
		return eBitOffset
	}
	v, e := r.existing(r.stringValue, r.args[0], rZero)
	if e != "" {
		return e
	}
	return integer(int64(bitAt(v.str, off)))
}

func setbit(r *run) string {
	a := r.args
	off, ok := bitOffset(a[1], 0)
	if !ok {
		return eBitOffset
	}
	on, ok := parseInt(a[2])
	if !ok || on&^1 != 0 {
		return eBitValue
	}
	v, e := r.stringValue(a[0])
	if e != "" {
		return e
	}
	need := off>>3 + 1
	if v == nil {
		s := make([]byte, need)
		if on == 1 {
			s[off>>3] |= 1 << (7 - off&7)
		}
		r.set(a[0], &value{typ: tString, str: s})
		return rZero
	}
	old := bitAt(v.str, off)
	if uint64(len(v.str)) >= need && old == int(on) {
		// Neither grown nor changed: Redis signals nothing.
		return integer(int64(old))
	}
	v = r.mut(a[0], v)
	s := grown(v.str, need)
	s[off>>3] &^= 1 << (7 - off&7)
	s[off>>3] |= byte(on) << (7 - off&7)
	v.str = s
	return integer(int64(old))
}

// bitRange turns BITCOUNT's and BITPOS's start and end into a range of
// bits [from, to] of a string of n bytes, clamped as Redis does (in
// bytes, or in bits with isBit); empty when from > to.
func bitRange(start, end int64, n int64, isBit bool) (from, to int64) {
	total := n
	if isBit {
		total <<= 3
	}
	start, end, ok := stringRange(start, end, total)
	switch {
	case !ok:
		return 1, 0
	case isBit:
		return start, end
	}
	return start << 3, end<<3 + 7
}

// bitUnit reads the unit that may end BITCOUNT's and BITPOS's range,
// a[i] when a has it: BIT, or BYTE the default; ok is false for anything
// else.
func bitUnit(a [][]byte, i int) (isBit, ok bool) {
	switch {
	case i >= len(a) || cEqual(a[i], "byte"):
		return false, true
	case cEqual(a[i], "bit"):
		return true, true
	}
	return false, false
}

func bitcount(r *run) string {
	a := r.args
	v, e := r.existing(r.stringValue, a[0], rZero)
	if e != "" {
		return e
	}
	s := v.str
	from, to := int64(0), int64(len(s))*8-1
	switch len(a) {
	case 1:
	case 3, 4:
		start, end, ok := parseRange(a[1], a[2])
		if !ok {
			return eNotInt
		}
		if start < 0 && end < 0 && start > end {
			return rZero
		}
		isBit, ok := bitUnit(a, 3)
		if !ok {
			return eSyntax
		}
		from, to = bitRange(start, end, int64(len(s)), isBit)
	default:
		return eSyntax
	}
	n := int64(0)
	for i := from; i <= to; i++ {
		n += int64(bitAt(s, uint64(i)))
	}
	return integer(n)
}

func bitpos(r *run) string {
	a := r.args
	bit, ok := parseInt(a[1])
	if !ok {
		return eNotInt
	}
	if bit != 0 && bit != 1 {
		return eBitArg
	}
	v, e := r.stringValue(a[0])
	switch {
	case e != "":
		return e
	case v == nil:
		if bit == 1 {
			return integer(-1)
		}
		return rZero
	}
	s := v.str
	n := int64(len(s))
	from, to := int64(0), n*8-1
	endGiven := false
	switch len(a) {
	case 2:
	case 3, 4, 5:
		start, ok := parseInt(a[2])
		if !ok {
			return eNotInt
		}
		isBit, ok := bitUnit(a, 4)
		if !ok {
			return eSyntax
		}
		end := n - 1
		if len(a) >= 4 {
			if end, ok = parseInt(a[3]); !ok {
				return eNotInt
			}
			endGiven = true
		}
		from, to = bitRange(start, end, n, isBit)
	default:
		return eSyntax
	}
	if from > to {
		return integer(-1)
	}
	for i := from; i <= to; i++ {
		if bitAt(s, uint64(i)) == int(bit) {
			return integer(i)
		}
	}
	// No such bit in the range. Looking for a clear bit without an
	// explicit end, the string counts as padded with zeros on the right:
	// the first bit after the range.
	if bit == 0 && !endGiven {
		return integer(to + 1)
	}
	return integer(-1)
}

func bitop(r *run) string {
	a := r.args
	op := ""
	for _, o := range []string{"and", "or", "xor", "not"} {
		if cEqual(a[0], o) {
			op = o
		}
	}
	if op == "" {
		return eSyntax
	}
	if op == "not" && len(a) != 3 {
		return eBitopNot
	}
	srcs := make([][]byte, 0, len(a)-2)
	maxLen := 0
	for _, k := range a[2:] {
		v, e := r.stringValue(k)
		if e != "" {
			return e
		}
		var s []byte
		if v != nil {
			s = v.str
		}
		srcs = append(srcs, s)
		if len(s) > maxLen {
			maxLen = len(s)
		}
	}
	if maxLen == 0 {
		r.del(a[1])
		return rZero
	}
	at := func(s []byte, j int) byte {
		if j < len(s) {
			return s[j]
		}
		return 0
	}
	res := make([]byte, maxLen)
	for j := range res {
		out := at(srcs[0], j)
		if op == "not" {
			out = ^out
		}
		for _, s := range srcs[1:] {
			switch op {
			case "and":
				out &= at(s, j)
			case "or":
				out |= at(s, j)
			case "xor":
				out ^= at(s, j)
			}
		}
		res[j] = out
	}
	r.set(a[1], &value{typ: tString, str: res})
	return integer(int64(maxLen))
}

// Overflow behaviours of BITFIELD.
const (
	owWrap = iota
	owSat
	owFail
)

// A bitfieldOp is one GET, SET or INCRBY of BITFIELD.
type bitfieldOp struct {
	op     string // "get", "set", "incrby"
	off    uint64
	val    int64
	ow     int
	bits   uint
	signed bool
}

// bitfieldType parses i1..i64 or u1..u63 (the part after a NUL byte is
// not seen: Redis reads it with strlen).
func bitfieldType(b []byte) (signed bool, bits uint, ok bool) {
	b = cString(b)
	if len(b) == 0 || (b[0] != 'i' && b[0] != 'u') {
		return false, 0, false
	}
	signed = b[0] == 'i'
	n, good := parseInt(b[1:])
	if !good || n < 1 || (signed && n > 64) || (!signed && n > 63) {
		return false, 0, false
	}
	return signed, uint(n), true
}

// getBits reads bits bits at bit offset off (0 past the end), the first
// bit most significant.
func getBits(s []byte, off uint64, bits uint) uint64 {
	var v uint64
	for j := uint(0); j < bits; j++ {
		v = v<<1 | uint64(bitAt(s, off+uint64(j)))
	}
	return v
}

// setBits writes the low bits bits of v at bit offset off of s, which is
// long enough.
func setBits(s []byte, off uint64, bits uint, v uint64) {
	for j := uint(0); j < bits; j++ {
		o := off + uint64(j)
		b := byte(v>>(bits-1-j)) & 1
		s[o>>3] &^= 1 << (7 - o&7)
		s[o>>3] |= b << (7 - o&7)
	}
}

// signExtend reads the low bits bits of u as a two's complement number.
func signExtend(u uint64, bits uint) int64 {
	if bits < 64 && u&(1<<(bits-1)) != 0 {
		u |= math.MaxUint64 << bits
	}
	return int64(u)
}

// unsignedOverflow is Redis's checkUnsignedBitfieldOverflow: 1 on
// overflow, -1 on underflow, 0 when value+incr fits; limit is the value
// to store instead (for WRAP and SAT).
func unsignedOverflow(value uint64, incr int64, bits uint, ow int) (int, uint64) {
	max := uint64(1)<<bits - 1
	maxIncr := int64(max - value)
	minIncr := -int64(value)
	wrap := func() uint64 { return (value + uint64(incr)) &^ (math.MaxUint64 << bits) }
	switch {
	case value > max || (incr > 0 && incr > maxIncr):
		return overflowed(1, ow, wrap, max)
	case incr < 0 && incr < minIncr:
		return overflowed(-1, ow, wrap, 0)
	}
	return 0, 0
}

// signedOverflow is Redis's checkSignedBitfieldOverflow, with its
// wrapping arithmetic.
func signedOverflow(value, incr int64, bits uint, ow int) (int, int64) {
	max := int64(math.MaxInt64)
	if bits < 64 {
		max = int64(1)<<(bits-1) - 1
	}
	min := -max - 1
	maxIncr := int64(uint64(max) - uint64(value))
	minIncr := min - value
	wrap := func() int64 {
		c := uint64(value) + uint64(incr)
		if bits < 64 {
			mask := uint64(math.MaxUint64) << bits
			if c&(1<<(bits-1)) != 0 {
				c |= mask
			} else {
				c &^= mask
			}
		}
		return int64(c)
	}
	switch {
	case value > max || (bits != 64 && incr > maxIncr) || (value >= 0 && incr > 0 && incr > maxIncr):
		return overflowed(1, ow, wrap, max)
	case value < min || (bits != 64 && incr < minIncr) || (value < 0 && incr < 0 && incr < minIncr):
		return overflowed(-1, ow, wrap, min)
	}
	return 0, 0
}

// overflowed is a BITFIELD overflow's outcome: its direction dir (1 over,
// -1 under) and the value to store as policy ow says: the wrapped value
// for WRAP, the limit passed for SAT, nothing (0) for FAIL.
func overflowed[T int64 | uint64](dir, ow int, wrap func() T, limit T) (int, T) {
	switch ow {
	case owWrap:
		return dir, wrap()
	case owSat:
		return dir, limit
	}
	return dir, 0
}

func bitfield(r *run) string {
	a := r.args
	var ops []bitfieldOp
	ow := owWrap
	readOnly := true
	var highest uint64
	for j := 1; j < len(a); j++ {
		rem := len(a) - j - 1
		var op string
		switch {
		case cEqual(a[j], "get") && rem >= 2:
			op = "get"
		case cEqual(a[j], "set") && rem >= 3:
			op = "set"
		case cEqual(a[j], "incrby") && rem >= 3:
			op = "incrby"
		case cEqual(a[j], "overflow") && rem >= 1:
			j++
			switch {
			case cEqual(a[j], "wrap"):
				ow = owWrap
			case cEqual(a[j], "sat"):
				ow = owSat
			case cEqual(a[j], "fail"):
				ow = owFail
			default:
				return eOverflowT
			}
			continue
		default:
			return eSyntax
		}
		signed, bits, ok := bitfieldType(a[j+1])
		if !ok {
			return eBitType
		}
		off, ok := bitOffset(a[j+2], int(bits))
		if !ok {
			return eBitOffset
		}
		var val int64
		if op != "get" {
			readOnly = false
			if off+uint64(bits)-1 > highest {
				highest = off + uint64(bits) - 1
			}
			if val, ok = parseInt(a[j+3]); !ok {
				return eNotInt
			}
			j++
		}
		ops = append(ops, bitfieldOp{op: op, off: off, val: val, ow: ow, bits: bits, signed: signed})
		j += 2
	}
	if !readOnly && r.op == "BITFIELD_RO" {
		return eBitfRO
	}
	v, e := r.stringValue(a[0])
	if e != "" {
		return e
	}
	var s []byte
	if v != nil {
		s = v.str
	}
	// dirty: the key was created or grown to hold the highest bit written.
	dirty := false
	if !readOnly {
		need := highest>>3 + 1
		if v == nil || uint64(len(s)) < need {
			dirty = true
		}
		s = grown(s, need)
	}
	changes := 0
	items := make([]string, len(ops))
	for i, op := range ops {
		if op.op == "get" {
			u := getBits(s, op.off, op.bits)
			if op.signed {
				items[i] = integer(signExtend(u, op.bits))
			} else {
				items[i] = integer(int64(u))
			}
			continue
		}
		oldU := getBits(s, op.off, op.bits)
		var newU uint64
		var reply int64
		var over int
		if op.signed {
			old := signExtend(oldU, op.bits)
			var limit, nv int64
			if op.op == "incrby" {
				over, limit = signedOverflow(old, op.val, op.bits, op.ow)
				nv = old + op.val
				if over != 0 {
					nv = limit
				}
				reply = nv
			} else {
				nv = op.val
				over, limit = signedOverflow(nv, 0, op.bits, op.ow)
				if over != 0 {
					nv = limit
				}
				reply = old
			}
			newU = uint64(nv)
			if over != 0 && op.ow == owFail {
				items[i] = rNil
				continue
			}
			if dirty || old != nv {
				changes++
			}
		} else {
			var limit, nv uint64
			if op.op == "incrby" {
				nv = oldU + uint64(op.val)
				over, limit = unsignedOverflow(oldU, op.val, op.bits, op.ow)
				if over != 0 {
					nv = limit
				}
				reply = int64(nv)
			} else {
				nv = uint64(op.val)
				over, limit = unsignedOverflow(nv, 0, op.bits, op.ow)
				if over != 0 {
					nv = limit
				}
				reply = int64(oldU)
			}
			newU = nv
			if over != 0 && op.ow == owFail {
				items[i] = rNil
				continue
			}
			if dirty || oldU != nv {
				changes++
			}
		}
		items[i] = integer(reply)
		setBits(s, op.off, op.bits, newU)
	}
	switch {
	case readOnly:
	case changes > 0:
		r.putString(a[0], v, s)
	case dirty:
		// Created or grown, yet every write failed: Redis changed the
		// value without signalling the key (WATCH does not see it).
		r.setUnsignalled(a[0], v, s)
	}
	return array(items)
}

// setUnsignalled stores a string value (a new key when v is nil) without
// noting the key as changed: Redis changed it without
// signalModifiedKey.
func (r *run) setUnsignalled(k []byte, v *value, s []byte) {
	if v == nil {
		v = &value{typ: tString}
	} else {
		v = v.copy(r.s)
	}
	v.owner = r.s
	v.str = s
	r.db(r.d)[string(k)] = v
}
