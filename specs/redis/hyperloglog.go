package redis

import (
	"encoding/binary"
	"math"
	"math/bits"
	"sync"
)

// The hyperloglog commands. A HyperLogLog is a string holding Redis 7.0's
// own representation ("HYLL" header, sparse or dense registers), so the
// model keeps those exact bytes: GET shows them, other string commands
// may change them, and PFADD, PFCOUNT and PFMERGE parse them back as
// hyperloglog.c does, corrupt ones included.
var hyperloglogCommands = inGroup("hyperloglog", []*Command{
	{Name: "PFADD", Arity: -2, Flags: "write denyoom fast", Keys: key1("RW insert"), Run: pfadd},
	{Name: "PFCOUNT", Arity: -2, Flags: "readonly", Keys: []KeySpec{keysFrom(1, "RW access")},
		Run: pfcount},
	{Name: "PFDEBUG", Arity: 3, Flags: "write denyoom admin", Keys: []KeySpec{keyAt(2, "RW access")},
		Why: whyAdmin},
	{Name: "PFMERGE", Arity: -2, Flags: "write denyoom",
		Keys: []KeySpec{keyAt(1, "RW access insert"), keysFrom(2, "RO access")},
		Run:  pfmerge},
	{Name: "PFSELFTEST", Arity: 1, Flags: "admin", Why: whyAdmin},
})

// The representation's constants (hyperloglog.c).
const (
	hllP            = 14
	hllQ            = 64 - hllP
	hllRegisters    = 1 << hllP
	hllBits         = 6
	hllRegisterMax  = 1<<hllBits - 1
	hllHdrSize      = 16
	hllDenseSize    = hllHdrSize + (hllRegisters*hllBits+7)/8
	hllDense        = 0
	hllSparse       = 1
	hllSparseValMax = 32
	hllSparseValLen = 4
	hllZeroMaxLen   = 64
	hllXZeroMaxLen  = 16384
	hllAlphaInf     = 0.721347520444481703680
	// hllSparseMaxBytes is hll-sparse-max-bytes's default: a sparse HLL
	// that would grow past it becomes dense.
	hllSparseMaxBytes = 3000
	hllSeed           = 0xadc83b19
)

const (
	eNotHLL     = "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n"
	eCorruptHLL = "-INVALIDOBJ Corrupted HLL object detected\r\n"
)

// murmurHash64A is Redis's MurmurHash2, 64-bit version, reading the input
// as little-endian words.
func murmurHash64A(key []byte, seed uint64) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := seed ^ uint64(len(key))*m
	n := len(key) &^ 7
	for i := 0; i < n; i += 8 {
		k := binary.LittleEndian.Uint64(key[i:])
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
	}
	tail := key[n:]
	if len(tail) > 0 {
		for i := len(tail) - 1; i >= 0; i-- {
			h ^= uint64(tail[i]) << (8 * i)
		}
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// hllPatLen returns the register an element hashes to and the length of
// its hash's "00..1" pattern past the index bits (1 to 51).
func hllPatLen(ele []byte) (int, uint8) {
	h := murmurHash64A(ele, hllSeed)
	index := int(h & (hllRegisters - 1))
	h >>= hllP
	h |= 1 << hllQ
	return index, uint8(bits.TrailingZeros64(h) + 1)
}

// byteAt reads s[i]; at s's length it reads the byte Redis keeps after
// the string (see tailOf), and 0 further on.
// which the sparse and dense walks may read.
func byteAt(s []byte, i int) byte {
	switch {
	case i < len(s):
		return s[i]
	case i == len(s):
		return tailOf(s)
	}
	return 0
}

// The byte after a string. Redis's strings end with a NUL that a sparse
// walk reads when the last opcode is an XZERO cut short (only a
// hand-made string ends so). Splitting that XZERO to set a register, Redis
// writes the new opcodes' last byte over the NUL, past the string's new
// end, where later walks read it back; writes that change the length
// (or append, or grow the string) put a NUL there again. The model keeps
// such a byte beside the string's bytes: strings are never changed in
// place once stored, so the byte is an attribute of the array holding
// them, of that length.
var hllTails sync.Map // *byte (the array's first byte) -> hllTail

type hllTail struct {
	n int
	b byte
}

// tailOf returns the byte Redis holds after s (0 but after such a split).
func tailOf(s []byte) byte {
	if len(s) == 0 {
		return 0
	}
	if t, ok := hllTails.Load(&s[0]); ok && t.(hllTail).n == len(s) {
		return t.(hllTail).b
	}
	return 0
}

// withTail notes the byte Redis holds after s, and returns s.
func withTail(s []byte, b byte) []byte {
	if len(s) > 0 && (b != 0 || tailOf(s) != 0) {
		hllTails.Store(&s[0], hllTail{len(s), b})
	}
	return s
}

// copyString copies a string with the byte after it: an in-place change
// in Redis, which keeps that byte.
func copyString(s []byte) []byte {
	return withTail(append([]byte(nil), s...), tailOf(s))
}

// denseGet reads register i of a dense HLL string.
func denseGet(s []byte, i int) uint8 {
	b := hllHdrSize + i*hllBits/8
	fb := uint(i * hllBits & 7)
	b0, b1 := uint(byteAt(s, b)), uint(byteAt(s, b+1))
	return uint8((b0>>fb | b1<<(8-fb)) & hllRegisterMax)
}

// denseSet writes register i of a dense HLL string in place.
func denseSet(s []byte, i int, val uint8) {
	b := hllHdrSize + i*hllBits/8
	fb := uint(i * hllBits & 7)
	v := uint(val)
	s[b] &^= byte(hllRegisterMax << fb)
	s[b] |= byte(v << fb)
	if b+1 < len(s) {
		s[b+1] &^= byte(hllRegisterMax >> (8 - fb))
		s[b+1] |= byte(v >> (8 - fb))
	}
}

// denseSetMax raises register i to count when count is greater; it
// reports whether it did.
func denseSetMax(s []byte, i int, count uint8) bool {
	if count > denseGet(s, i) {
		denseSet(s, i, count)
		return true
	}
	return false
}

// Sparse opcodes: ZERO 00xxxxxx (1-64 zero registers), XZERO 01xxxxxx
// xxxxxxxx (1-16384), VAL 1vvvvvxx (value 1-32, 1-4 registers).
func isZero(b byte) bool  { return b&0xc0 == 0 }
func isXZero(b byte) bool { return b&0xc0 == 0x40 }
func isVal(b byte) bool   { return b&0x80 != 0 }
func zeroLen(b byte) int  { return int(b&0x3f) + 1 }
func xzeroLen(s []byte, p int) int {
	return (int(s[p]&0x3f)<<8 | int(byteAt(s, p+1))) + 1
}
func valValue(b byte) int       { return int(b>>2&0x1f) + 1 }
func valLen(b byte) int         { return int(b&3) + 1 }
func valOp(v, n int) byte       { return byte((v-1)<<2|(n-1)) | 0x80 }
func zeroOp(n int) byte         { return byte(n - 1) }
func xzeroOp(n int) [2]byte     { return [2]byte{byte((n-1)>>8) | 0x40, byte(n - 1)} }
func hllEncoding(s []byte) byte { return s[4] }

// newHLL is createHLLObject: an empty sparse HLL (one XZERO of 16384).
func newHLL() []byte {
	s := make([]byte, hllHdrSize, hllHdrSize+2)
	copy(s, "HYLL")
	s[4] = hllSparse
	x := xzeroOp(hllRegisters)
	return append(s, x[0], x[1])
}

// invalidateCache sets the cached cardinality's top bit.
func invalidateCache(s []byte) { s[15] |= 0x80 }

// validHLL is isHLLObjectOrReply past the type check: the header's magic
// and encoding, and a dense HLL's exact length.
func validHLL(s []byte) bool {
	if len(s) < hllHdrSize || string(s[:4]) != "HYLL" || s[4] > hllSparse {
		return false
	}
	return s[4] != hllDense || len(s) == hllDenseSize
}

// sparseRuns walks a sparse HLL's opcodes, calling visit for each run
// of registers (value 0 for ZERO and XZERO), and reports whether the
// opcodes cover exactly the 16384 registers. As in the installed
// redis-server (7.0.15 with Debian's fix for CVE-2025-32023), a run that
// goes past the last register makes the HLL corrupt, whatever follows.
func sparseRuns(s []byte, visit func(first, n, val int)) bool {
	idx := 0
	for p := hllHdrSize; p < len(s); {
		var n, val int
		switch b := s[p]; {
		case isZero(b):
			n = zeroLen(b)
			p++
		case isXZero(b):
			n = xzeroLen(s, p)
			p += 2
		default:
			n, val = valLen(b), valValue(b)
			p++
		}
		if idx+n > hllRegisters {
			return false
		}
		visit(idx, n, val)
		idx += n
	}
	return idx == hllRegisters
}

// sparseToDense converts a sparse HLL to a dense one, keeping the header
// (magic, cached cardinality); ok is false for a corrupt one.
func sparseToDense(s []byte) ([]byte, bool) {
	if hllEncoding(s) == hllDense {
		return s, true
	}
	d := make([]byte, hllDenseSize)
	copy(d, s[:hllHdrSize])
	d[4] = hllDense
	ok := sparseRuns(s, func(first, n, val int) {
		for i := first; val > 0 && i < first+n; i++ {
			denseSet(d, i, uint8(val))
		}
	})
	if !ok {
		return s, false
	}
	return d, true
}

// sparseSet is hllSparseSet: it raises register index to count in a
// sparse HLL, splitting and merging opcodes exactly as Redis does, and
// promotes to dense when the value needs it (over 32) or the string would
// grow past hll-sparse-max-bytes. It returns the new string (s is not
// changed) and 1 when the register changed, 0 when not, -1 for a corrupt
// HLL.
func sparseSet(s []byte, index int, count uint8) ([]byte, int) {
	if count > hllSparseValMax {
		return promote(s, index, count)
	}
	end := len(s)
	p, first, prev, span := hllHdrSize, 0, -1, 0
	for p < end {
		oplen := 1
		switch b := s[p]; {
		case isZero(b):
			span = zeroLen(b)
		case isVal(b):
			span = valLen(b)
		default:
			span = xzeroLen(s, p)
			oplen = 2
		}
		if index <= first+span-1 {
			break
		}
		prev = p
		p += oplen
		first += span
	}
	if span == 0 || p >= end {
		return s, -1
	}
	b := s[p]
	zero, xzero, val := isZero(b), isXZero(b), isVal(b)
	var runlen int
	switch {
	case zero:
		runlen = zeroLen(b)
	case xzero:
		runlen = xzeroLen(s, p)
	default:
		runlen = valLen(b)
	}
	if val && valValue(b) >= int(count) {
		return s, 0
	}
	out := copyString(s)
	tail := tailOf(s)
	if val {
		if runlen == 1 {
			out[p] = valOp(int(count), 1)
			return sparseMerge(out, prev, tail), 1
		}
	}
	if zero && runlen == 1 {
		out[p] = valOp(int(count), 1)
		return sparseMerge(out, prev, tail), 1
	}
	// The general case: split the opcode in up to three.
	last := first + span - 1
	var seq []byte
	gap := func(n int) {
		if n > hllZeroMaxLen {
			x := xzeroOp(n)
			seq = append(seq, x[0], x[1])
		} else {
			seq = append(seq, zeroOp(n))
		}
	}
	if zero || xzero {
		if index != first {
			gap(index - first)
		}
		seq = append(seq, valOp(int(count), 1))
		if index != last {
			gap(last - index)
		}
	} else {
		cur := valValue(b)
		if index != first {
			seq = append(seq, valOp(cur, index-first))
		}
		seq = append(seq, valOp(int(count), 1))
		if index != last {
			seq = append(seq, valOp(cur, last-index))
		}
	}
	oldlen := 1
	if xzero {
		oldlen = 2
	}
	delta := len(seq) - oldlen
	if delta > 0 && len(s)+delta > hllSparseMaxBytes {
		return promote(s, index, count)
	}
	// Replace the opcode by the sequence; the string's length changes by
	// delta, and a NUL follows it. An XZERO cut short by the end of the
	// string is replaced as far as the string goes: the sequence's last
	// byte lands after the new end (see tailOf).
	rest := []byte(nil)
	if p+oldlen < end {
		rest = s[p+oldlen:]
	}
	out = append(append(make([]byte, 0, end+delta+1), s[:p]...), seq...)
	out = append(out, rest...)
	tail = 0
	if p+oldlen > end {
		tail = out[end+delta]
		out = out[:end+delta]
	}
	return sparseMerge(out, prev, tail), 1
}

// sparseMerge is hllSparseSet's last step: from the opcode before the
// changed one, up to five opcodes on, adjacent VALs of one value merge
// when their lengths fit; then the cached cardinality is invalidated.
// tail is the byte after s; a merge shortens the string and puts a NUL
// after it.
func sparseMerge(s []byte, prev int, tail byte) []byte {
	p := hllHdrSize
	if prev >= 0 {
		p = prev
	}
	for scan := 5; p < len(s) && scan > 0; {
		scan--
		switch {
		case isXZero(s[p]):
			p += 2
			continue
		case isZero(s[p]):
			p++
			continue
		}
		if p+1 < len(s) && isVal(s[p+1]) {
			v1, v2 := valValue(s[p]), valValue(s[p+1])
			if v1 == v2 {
				if n := valLen(s[p]) + valLen(s[p+1]); n <= hllSparseValLen {
					s[p+1] = valOp(v1, n)
					s = append(s[:p], s[p+1:]...)
					tail = 0
					continue
				}
			}
		}
		p++
	}
	invalidateCache(s)
	return withTail(s, tail)
}

// promote converts a sparse HLL to dense and then sets the register.
func promote(s []byte, index int, count uint8) ([]byte, int) {
	d, ok := sparseToDense(s)
	if !ok {
		return s, -1
	}
	denseSetMax(d, index, count)
	return d, 1
}

// hllAdd adds an element to an HLL string: a dense one is changed in
// place, a sparse one is replaced.
func hllAdd(s []byte, ele []byte) ([]byte, int) {
	index, count := hllPatLen(ele)
	if hllEncoding(s) == hllDense {
		if denseSetMax(s, index, count) {
			return s, 1
		}
		return s, 0
	}
	return sparseSet(s, index, count)
}

// hllHisto computes the register histogram of an HLL string; ok is false
// for a corrupt sparse one.
func hllHisto(s []byte) (h [64]int, ok bool) {
	if hllEncoding(s) == hllDense {
		for i := 0; i < hllRegisters; i++ {
			h[denseGet(s, i)]++
		}
		return h, true
	}
	ok = sparseRuns(s, func(_, n, val int) { h[val] += n })
	return h, ok
}

// hllMerge raises max[i] to each register of an HLL string; false for a
// corrupt sparse one.
func hllMerge(max *[hllRegisters]uint8, s []byte) bool {
	if hllEncoding(s) == hllDense {
		for i := 0; i < hllRegisters; i++ {
			if v := denseGet(s, i); v > max[i] {
				max[i] = v
			}
		}
		return true
	}
	return sparseRuns(s, func(first, n, val int) {
		for i := first; i < first+n; i++ {
			if uint8(val) > max[i] {
				max[i] = uint8(val)
			}
		}
	})
}

// hllSigma and hllTau are the helper series of Ertl's estimator
// ("New cardinality estimation algorithms for HyperLogLog sketches"), as
// Redis 7.0 computes them in doubles. The explicit float64 conversions
// keep Go from fusing a multiply and an add, which C does not do.
func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x = float64(x * x)
		prev := z
		z += float64(x * y)
		y += y
		if prev == z {
			return z
		}
	}
}

func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		prev := z
		y *= 0.5
		d := 1 - x
		z -= float64(float64(d*d) * y)
		if prev == z {
			return z / 3
		}
	}
}

// hllCount is the estimate from a register histogram (values past 51,
// which only a hand-made dense string holds, count in no bucket but the
// total). Redis rounds with llroundl: an estimate past 2^63 (registers
// all 50 or more) overflows to LLONG_MIN, which the uint64 cast keeps as
// 2^63 (and PFCOUNT then replies -9223372036854775808, and stores a cache
// whose top bit says "invalid").
func hllCount(h *[64]int) uint64 {
	m := float64(hllRegisters)
	z := float64(m * hllTau((m-float64(h[hllQ+1]))/m))
	for j := hllQ; j >= 1; j-- {
		z += float64(h[j])
		z *= 0.5
	}
	z += float64(m * hllSigma(float64(h[0])/m))
	e := float64(float64(hllAlphaInf*m)*m) / z
	if !(e < 1<<63) {
		return 1 << 63
	}
	return uint64(math.Round(e))
}

// hllValue returns a key's HLL string, nil for a missing key, or the
// error reply for a value that is not one.
func (r *run) hllValue(k []byte) (*value, string) {
	v, e := r.stringValue(k)
	if e != "" {
		return nil, e
	}
	if v != nil && !validHLL(v.str) {
		return nil, eNotHLL
	}
	return v, ""
}

func pfadd(r *run) string {
	a := r.args
	v, e := r.hllValue(a[0])
	if e != "" {
		return e
	}
	updated := 0
	var s []byte
	if v == nil {
		s = newHLL()
		updated++
	} else {
		s = copyString(v.str)
	}
	changed := false
	for _, ele := range a[1:] {
		n, ret := hllAdd(s, ele)
		s = n
		switch ret {
		case 1:
			updated++
			changed = true
		case -1:
			// Redis replies the error, and what the earlier elements
			// changed stays, unsignalled. (A new key is never corrupt.)
			if changed {
				r.setUnsignalled(a[0], v, s)
			}
			return eCorruptHLL
		}
	}
	if updated == 0 {
		return rZero
	}
	invalidateCache(s)
	r.putString(a[0], v, s)
	return rOne
}

// mergeHLLs merges the registers of the HyperLogLogs at keys (a missing
// key counts as empty), as PFCOUNT of several keys and PFMERGE do, and
// reports whether any of them is dense; errReply is the first key's
// error (wrong type, corrupt).
func (r *run) mergeHLLs(keys [][]byte) (max *[hllRegisters]uint8, dense bool, errReply string) {
	max = new([hllRegisters]uint8)
	for _, k := range keys {
		v, e := r.hllValue(k)
		if e != "" {
			return nil, false, e
		}
		if v == nil {
			continue
		}
		if hllEncoding(v.str) == hllDense {
			dense = true
		}
		if !hllMerge(max, v.str) {
			return nil, false, eCorruptHLL
		}
	}
	return max, dense, ""
}

func pfcount(r *run) string {
	a := r.args
	if len(a) > 1 {
		max, _, errReply := r.mergeHLLs(a)
		if errReply != "" {
			return errReply
		}
		var h [64]int
		for _, x := range max {
			h[x]++
		}
		return integer(int64(hllCount(&h)))
	}
	v, e := r.existing(r.hllValue, a[0], rZero)
	if e != "" {
		return e
	}
	s := v.str
	if s[15]&0x80 == 0 {
		return integer(int64(binary.LittleEndian.Uint64(s[8:16])))
	}
	h, ok := hllHisto(s)
	if !ok {
		return eCorruptHLL
	}
	card := hllCount(&h)
	// The cached cardinality is written back: a change of the value.
	n := copyString(s)
	binary.LittleEndian.PutUint64(n[8:16], card)
	v = r.mut(a[0], v)
	v.str = n
	return integer(int64(card))
}

func pfmerge(r *run) string {
	a := r.args
	max, dense, errReply := r.mergeHLLs(a)
	if errReply != "" {
		return errReply
	}
	v := r.get(a[0])
	var s []byte
	if v == nil {
		s = newHLL()
	} else {
		s = copyString(v.str)
	}
	if dense {
		d, ok := sparseToDense(s)
		if !ok {
			// Unreachable: the destination was checked as a source.
			return eCorruptHLL
		}
		s = d
	}
	for j, x := range max {
		if x == 0 {
			continue
		}
		if hllEncoding(s) == hllDense {
			denseSetMax(s, j, x)
		} else {
			s, _ = sparseSet(s, j, x)
		}
	}
	invalidateCache(s)
	r.putString(a[0], v, s)
	return rOK
}
