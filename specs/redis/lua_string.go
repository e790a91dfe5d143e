package redis

import (
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Lua 5.1's string library (lstrlib.c), as Redis ships it: byte
// semantics, the "C" locale's character classes, Lua's own patterns, and
// C's printf for string.format.

func (vm *luaVM) stringLib() *lua.LTable {
	t := vm.libTable(map[string]lua.LGFunction{
		"byte": vm.strByte, "char": vm.strChar, "find": vm.strFind, "format": vm.strFormat,
		"gmatch": vm.strGmatch, "gsub": vm.strGsub, "len": vm.strLen, "lower": vm.strLower,
		"match": vm.strMatch, "rep": vm.strRep, "reverse": vm.strReverse, "sub": vm.strSub,
		"upper": vm.strUpper, "dump": vm.unsupported("string.dump writes Lua 5.1 bytecode"),
	})
	t.RawSetString("gfind", t.RawGetString("gmatch"))
	return t
}

// luaMaxString bounds the strings a run may build (Redis has no bound
// but memory; the model gives up instead).
const luaMaxString = 256 << 20

// checkBuilt stops the run when the string a library function (name)
// builds has grown to n bytes, past luaMaxString.
func (vm *luaVM) checkBuilt(L *lua.LState, n int, name string) {
	if n > luaMaxString {
		vm.abort(L, name+" builds a string larger than the model builds")
	}
}

// luaSubRange is the range of bytes from i to j (positions counted from
// the end when negative) of a string of length n, as str_sub and
// str_byte clamp it: from 1 at the least, to n at the most (empty when
// the start is past the end).
func luaSubRange(i, j int64, n int) (int64, int64) {
	i, j = luaPosrelat(i, n), luaPosrelat(j, n)
	if i < 1 {
		i = 1
	}
	if j > int64(n) {
		j = int64(n)
	}
	return i, j
}

func luaPosrelat(pos int64, n int) int64 {
	if pos < 0 {
		pos += int64(n) + 1
	}
	if pos >= 0 {
		return pos
	}
	return 0
}

// checkInteger is luaL_checkinteger: a C ptrdiff_t.
func (vm *luaVM) checkInteger(L *lua.LState, n int) int64 {
	return luaDoubleToInt64(vm.checkNumber(L, n))
}

func (vm *luaVM) optInteger(L *lua.LState, n int, def int64) int64 {
	if L.Get(n) == lua.LNil {
		return def
	}
	return vm.checkInteger(L, n)
}

func (vm *luaVM) strLen(L *lua.LState) int {
	s := vm.checkString(L, 1)
	L.Push(lua.LNumber(len(s)))
	return 1
}

func (vm *luaVM) strSub(L *lua.LState) int {
	s := vm.checkString(L, 1)
	start, end := luaSubRange(vm.checkInteger(L, 2), vm.optInteger(L, 3, -1), len(s))
	if start <= end {
		L.Push(lua.LString(s[start-1 : end]))
	} else {
		L.Push(lua.LString(""))
	}
	return 1
}

func (vm *luaVM) strReverse(L *lua.LState) int {
	s := vm.checkString(L, 1)
	b := make([]byte, len(s))
	for i := range b {
		b[i] = s[len(s)-1-i]
	}
	L.Push(lua.LString(b))
	return 1
}

func (vm *luaVM) strLower(L *lua.LState) int { return vm.strCase(L, true) }

func (vm *luaVM) strUpper(L *lua.LState) int { return vm.strCase(L, false) }

// strCase is string.lower (lower) or string.upper: only ASCII letters
// change, as with C's tolower and toupper in the C locale.
func (vm *luaVM) strCase(L *lua.LState, lower bool) int {
	s := []byte(vm.checkString(L, 1))
	for i, c := range s {
		switch {
		case lower && luaIsUpper(c):
			s[i] = c + 32
		case !lower && luaIsLower(c):
			s[i] = c - 32
		}
	}
	L.Push(lua.LString(s))
	return 1
}

func (vm *luaVM) strRep(L *lua.LState) int {
	s := vm.checkString(L, 1)
	n := vm.checkInt(L, 2)
	if n <= 0 || len(s) == 0 {
		L.Push(lua.LString(""))
		return 1
	}
	if len(s)*n > luaMaxString || len(s)*n < 0 {
		vm.abort(L, "string.rep builds a string larger than the model builds")
	}
	L.Push(lua.LString(strings.Repeat(s, n)))
	return 1
}

func (vm *luaVM) strByte(L *lua.LState) int {
	s := vm.checkString(L, 1)
	first := vm.optInteger(L, 2, 1)
	posi, pose := luaSubRange(first, vm.optInteger(L, 3, first), len(s))
	if posi > pose {
		return 0
	}
	n := int(pose - posi + 1)
	if n > 7900 {
		vm.abort(L, "string.byte returns more values than the model knows Lua's stack holds")
	}
	L.SetTop(0)
	for i := 0; i < n; i++ {
		L.Push(lua.LNumber(s[int(posi)+i-1]))
	}
	return n
}

func (vm *luaVM) strChar(L *lua.LState) int {
	n := L.GetTop()
	b := make([]byte, n)
	for i := 1; i <= n; i++ {
		c := vm.checkInt(L, i)
		if c < 0 || c > 255 {
			vm.argError(L, i, "invalid value")
		}
		b[i-1] = byte(c)
	}
	L.Push(lua.LString(b))
	return 1
}

// string.format

func (vm *luaVM) strFormat(L *lua.LState) int {
	top := L.GetTop()
	arg := 1
	f := vm.checkString(L, 1)
	var b strings.Builder
	for i := 0; i < len(f); {
		if f[i] != '%' {
			b.WriteByte(f[i])
			i++
			continue
		}
		i++
		if i < len(f) && f[i] == '%' {
			b.WriteByte('%')
			i++
			continue
		}
		arg++
		if arg > top {
			vm.argError(L, arg, "no value")
		}
		// scanformat
		at := func(j int) byte { return luaByteAt(f, j) }
		p := i
		for at(p) != 0 && strings.IndexByte("-+ #0", at(p)) >= 0 {
			p++
		}
		if p-i >= len("-+ #0")+1 {
			vm.raise(L, lua.LString("invalid format (repeated flags)"), true)
		}
		flags := f[i:p]
		// upTo2Digits reads a width or a precision: at most two digits.
		upTo2Digits := func() int {
			n := 0
			for k := 0; k < 2 && isDigit(at(p)); k++ {
				n = n*10 + int(at(p)-'0')
				p++
			}
			return n
		}
		width, prec := upTo2Digits(), -1
		if at(p) == '.' {
			p++
			prec = upTo2Digits()
		}
		if isDigit(at(p)) {
			vm.raise(L, lua.LString("invalid format (width or precision too long)"), true)
		}
		conv := at(p)
		i = p + 1
		var item string
		switch conv {
		case 'c':
			c := luaDoubleToInt32(vm.checkNumber(L, arg))
			item = luaPad("", string([]byte{byte(c)}), width, strings.ReplaceAll(flags, "0", ""), false)
		case 'd', 'i':
			n := luaDoubleToInt64(vm.checkNumber(L, arg))
			neg := n < 0
			u := uint64(n)
			if neg {
				u = -u
			}
			item = luaFormatInt(u, neg, 10, false, flags, width, prec)
		case 'o', 'u', 'x', 'X':
			u := luaDoubleToUint64(vm.checkNumber(L, arg))
			base := map[byte]int{'o': 8, 'u': 10, 'x': 16, 'X': 16}[conv]
			item = luaFormatInt(u, false, base, conv == 'X', strings.NewReplacer("+", "", " ", "").Replace(flags), width, prec)
		case 'e', 'E', 'f', 'g', 'G':
			x := vm.checkNumber(L, arg)
			if x != x {
				vm.abort(L, "string.format of NaN, whose sign glibc prints")
			}
			item = luaFormatFloat(x, conv, prec, flags, width)
		case 'q':
			s := vm.checkString(L, arg)
			b.WriteByte('"')
			for j := 0; j < len(s); j++ {
				switch c := s[j]; c {
				case '"', '\\', '\n':
					b.WriteByte('\\')
					b.WriteByte(c)
				case '\r':
					b.WriteString("\\r")
				case 0:
					b.WriteString("\\000")
				default:
					b.WriteByte(c)
				}
			}
			b.WriteByte('"')
			continue
		case 's':
			s := vm.checkString(L, arg)
			if prec < 0 && len(s) >= 100 {
				b.WriteString(s)
				continue
			}
			s = cString(s)
			if prec >= 0 && len(s) > prec {
				s = s[:prec]
			}
			item = luaPad("", s, width, strings.ReplaceAll(flags, "0", ""), false)
		default:
			vm.abort(L, "string.format with an invalid option, whose error Lua writes with the option's byte")
		}
		b.WriteString(cString(item))
		vm.checkBuilt(L, b.Len(), "string.format")
	}
	L.Push(lua.LString(b.String()))
	return 1
}

// luaFormatInt is C's printf of an integer (magnitude u, sign neg) in base
// 8, 10 or 16 with flags, width and precision (-1: none).
func luaFormatInt(u uint64, neg bool, base int, upper bool, flags string, width, prec int) string {
	digits := strconv.FormatUint(u, base)
	if upper {
		digits = strings.ToUpper(digits)
	}
	if prec == 0 && u == 0 {
		digits = ""
	}
	if prec > len(digits) {
		digits = strings.Repeat("0", prec-len(digits)) + digits
	}
	prefix := ""
	if strings.Contains(flags, "#") {
		switch {
		case base == 8 && !strings.HasPrefix(digits, "0"):
			digits = "0" + digits
		case base == 16 && u != 0:
			prefix = "0x"
			if upper {
				prefix = "0X"
			}
		}
	}
	sign := ""
	switch {
	case neg:
		sign = "-"
	case base == 10 && strings.Contains(flags, "+"):
		sign = "+"
	case base == 10 && strings.Contains(flags, " "):
		sign = " "
	}
	if prec >= 0 {
		flags = strings.ReplaceAll(flags, "0", "")
	}
	return luaPad(sign+prefix, digits, width, flags, true)
}

// Patterns.

const luaMaxCaptures = 32

const (
	capUnfinished = -1
	capPosition   = -2
)

type luaMatch struct {
	vm    *luaVM
	L     *lua.LState
	src   string
	pat   string
	level int
	cap   [luaMaxCaptures]struct{ init, len int }
	steps int
}

func (ms *luaMatch) p(i int) byte { return luaByteAt(ms.pat, i) }

// s returns the source byte at i, and the terminating NUL at its end.
func (ms *luaMatch) s(i int) byte { return luaByteAt(ms.src, i) }

func (ms *luaMatch) fail(msg string) {
	ms.vm.raise(ms.L, lua.LString(msg), true)
}

func (ms *luaMatch) tick() {
	ms.steps++
	if ms.steps&(1<<20-1) == 0 && ms.vm.run != nil && ms.vm.run.ctx.Err() != nil {
		ms.vm.abort(ms.L, "the script ran longer than the model waits ("+luaTimeout.String()+")")
	}
}

func (ms *luaMatch) checkCapture(l int) int {
	l -= '1'
	if l < 0 || l >= ms.level || ms.cap[l].len == capUnfinished {
		ms.fail("invalid capture index")
	}
	return l
}

func (ms *luaMatch) captureToClose() int {
	level := ms.level
	for level--; level >= 0; level-- {
		if ms.cap[level].len == capUnfinished {
			return level
		}
	}
	ms.fail("invalid pattern capture")
	return 0
}

func (ms *luaMatch) classEnd(p int) int {
	c := ms.p(p)
	p++
	switch c {
	case '%':
		if ms.p(p) == 0 {
			ms.fail("malformed pattern (ends with '%')")
		}
		return p + 1
	case '[':
		if ms.p(p) == '^' {
			p++
		}
		for {
			if ms.p(p) == 0 {
				ms.fail("malformed pattern (missing ']')")
			}
			c := ms.p(p)
			p++
			if c == '%' && ms.p(p) != 0 {
				p++
			}
			if ms.p(p) == ']' {
				break
			}
		}
		return p + 1
	}
	return p
}

func luaIsLower(c byte) bool { return c >= 'a' && c <= 'z' }
func luaIsUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func luaIsCntrl(c byte) bool { return c < 32 || c == 127 }
func luaIsPunct(c byte) bool { return c > 32 && c < 127 && !luaIsAlnum(c) }

// luaClasses are the character classes of Lua patterns (%a, %d...), by
// their lower-case letter; the upper-case letter is the complement.
var luaClasses = map[byte]func(byte) bool{
	'a': luaIsAlpha, 'c': luaIsCntrl, 'd': isDigit, 'l': luaIsLower, 'p': luaIsPunct,
	's': cSpace, 'u': luaIsUpper, 'w': luaIsAlnum, 'x': isHexDigit,
	'z': func(c byte) bool { return c == 0 },
}

func luaMatchClass(c, cl byte) bool {
	in, ok := luaClasses[cl|0x20]
	if !ok {
		return cl == c
	}
	return in(c) == luaIsLower(cl)
}

func (ms *luaMatch) matchBracketClass(c byte, p, ec int) bool {
	sig := true
	if ms.p(p+1) == '^' {
		sig = false
		p++
	}
	for p++; p < ec; p++ {
		if ms.p(p) == '%' {
			p++
			if luaMatchClass(c, ms.p(p)) {
				return sig
			}
		} else if ms.p(p+1) == '-' && p+2 < ec {
			p += 2
			if ms.p(p-2) <= c && c <= ms.p(p) {
				return sig
			}
		} else if ms.p(p) == c {
			return sig
		}
	}
	return !sig
}

func (ms *luaMatch) singleMatch(c byte, p, ep int) bool {
	switch ms.p(p) {
	case '.':
		return true
	case '%':
		return luaMatchClass(c, ms.p(p+1))
	case '[':
		return ms.matchBracketClass(c, p, ep-1)
	}
	return ms.p(p) == c
}

func (ms *luaMatch) matchBalance(s, p int) int {
	if ms.p(p) == 0 || ms.p(p+1) == 0 {
		ms.fail("unbalanced pattern")
	}
	if ms.s(s) != ms.p(p) || s >= len(ms.src) {
		return -1
	}
	b, e := ms.p(p), ms.p(p+1)
	cont := 1
	for s++; s < len(ms.src); s++ {
		if ms.src[s] == e {
			cont--
			if cont == 0 {
				return s + 1
			}
		} else if ms.src[s] == b {
			cont++
		}
	}
	return -1
}

func (ms *luaMatch) maxExpand(s, p, ep int) int {
	i := 0
	for s+i < len(ms.src) && ms.singleMatch(ms.src[s+i], p, ep) {
		i++
	}
	for i >= 0 {
		if res := ms.match(s+i, ep+1); res >= 0 {
			return res
		}
		i--
	}
	return -1
}

func (ms *luaMatch) minExpand(s, p, ep int) int {
	for {
		if res := ms.match(s, ep+1); res >= 0 {
			return res
		}
		if s < len(ms.src) && ms.singleMatch(ms.src[s], p, ep) {
			s++
		} else {
			return -1
		}
	}
}

func (ms *luaMatch) startCapture(s, p, what int) int {
	if ms.level >= luaMaxCaptures {
		ms.fail("too many captures")
	}
	ms.cap[ms.level].init = s
	ms.cap[ms.level].len = what
	ms.level++
	res := ms.match(s, p)
	if res < 0 {
		ms.level--
	}
	return res
}

func (ms *luaMatch) endCapture(s, p int) int {
	l := ms.captureToClose()
	ms.cap[l].len = s - ms.cap[l].init
	res := ms.match(s, p)
	if res < 0 {
		ms.cap[l].len = capUnfinished
	}
	return res
}

func (ms *luaMatch) matchCapture(s int, l byte) int {
	i := ms.checkCapture(int(l))
	n := ms.cap[i].len
	if len(ms.src)-s >= n && ms.src[ms.cap[i].init:ms.cap[i].init+n] == ms.src[s:s+n] {
		return s + n
	}
	return -1
}

// match is lstrlib.c's match: the end of the match of pattern p at
// source position s, or -1.
func (ms *luaMatch) match(s, p int) int {
	for {
		ms.tick()
		switch ms.p(p) {
		case '(':
			if ms.p(p+1) == ')' {
				return ms.startCapture(s, p+2, capPosition)
			}
			return ms.startCapture(s, p+1, capUnfinished)
		case ')':
			return ms.endCapture(s, p+1)
		case 0:
			return s
		case '$':
			if ms.p(p+1) == 0 {
				if s == len(ms.src) {
					return s
				}
				return -1
			}
		case '%':
			switch ms.p(p + 1) {
			case 'b':
				s = ms.matchBalance(s, p+2)
				if s < 0 {
					return -1
				}
				p += 4
				continue
			case 'f':
				p += 2
				if ms.p(p) != '[' {
					ms.fail("missing '[' after '%f' in pattern")
				}
				ep := ms.classEnd(p)
				var prev byte
				if s > 0 {
					prev = ms.src[s-1]
				}
				if ms.matchBracketClass(prev, p, ep-1) || !ms.matchBracketClass(ms.s(s), p, ep-1) {
					return -1
				}
				p = ep
				continue
			default:
				if isDigit(ms.p(p + 1)) {
					s = ms.matchCapture(s, ms.p(p+1))
					if s < 0 {
						return -1
					}
					p += 2
					continue
				}
			}
		}
		// A single-character class, maybe with a repetition.
		ep := ms.classEnd(p)
		m := s < len(ms.src) && ms.singleMatch(ms.src[s], p, ep)
		switch ms.p(ep) {
		case '?':
			if m {
				if res := ms.match(s+1, ep+1); res >= 0 {
					return res
				}
			}
			p = ep + 1
			continue
		case '*':
			return ms.maxExpand(s, p, ep)
		case '+':
			if m {
				return ms.maxExpand(s+1, p, ep)
			}
			return -1
		case '-':
			return ms.minExpand(s, p, ep)
		default:
			if !m {
				return -1
			}
			s++
			p = ep
		}
	}
}

// capture returns capture i of a match from s to e as a Lua value.
func (ms *luaMatch) capture(i, s, e int) lua.LValue {
	if i >= ms.level {
		if i == 0 {
			return lua.LString(ms.src[s:e])
		}
		ms.fail("invalid capture index")
	}
	l := ms.cap[i].len
	if l == capUnfinished {
		ms.fail("unfinished capture")
	}
	if l == capPosition {
		return lua.LNumber(ms.cap[i].init + 1)
	}
	return lua.LString(ms.src[ms.cap[i].init : ms.cap[i].init+l])
}

// captures returns all captures (or the whole match when there is none
// and whole is set).
func (ms *luaMatch) captures(s, e int, whole bool) []lua.LValue {
	n := ms.level
	if n == 0 && whole {
		n = 1
	}
	out := make([]lua.LValue, n)
	for i := range out {
		out[i] = ms.capture(i, s, e)
	}
	return out
}

func (vm *luaVM) newMatch(L *lua.LState, src, pat string) *luaMatch {
	return &luaMatch{vm: vm, L: L, src: src, pat: cString(pat)}
}

func (vm *luaVM) strFindAux(L *lua.LState, find bool) int {
	s := vm.checkString(L, 1)
	p := vm.checkString(L, 2)
	init := luaPosrelat(vm.optInteger(L, 3, 1), len(s)) - 1
	if init < 0 {
		init = 0
	} else if init > int64(len(s)) {
		init = int64(len(s))
	}
	if find && (lua.LVAsBool(L.Get(4)) || !strings.ContainsAny(cString(p), "^$*+?.([%-")) {
		if i := strings.Index(s[init:], p); i >= 0 {
			L.Push(lua.LNumber(int(init) + i + 1))
			L.Push(lua.LNumber(int(init) + i + len(p)))
			return 2
		}
		L.Push(lua.LNil)
		return 1
	}
	ms := vm.newMatch(L, s, p)
	anchor := strings.HasPrefix(ms.pat, "^")
	pstart := 0
	if anchor {
		pstart = 1
	}
	for s1 := int(init); ; s1++ {
		ms.level = 0
		if e := ms.match(s1, pstart); e >= 0 {
			caps := ms.captures(s1, e, !find)
			L.SetTop(0)
			n := 0
			if find {
				L.Push(lua.LNumber(s1 + 1))
				L.Push(lua.LNumber(e))
				n = 2
			}
			for _, c := range caps {
				L.Push(c)
			}
			return n + len(caps)
		}
		if s1 >= len(s) || anchor {
			break
		}
	}
	L.Push(lua.LNil)
	return 1
}

func (vm *luaVM) strFind(L *lua.LState) int  { return vm.strFindAux(L, true) }
func (vm *luaVM) strMatch(L *lua.LState) int { return vm.strFindAux(L, false) }

func (vm *luaVM) strGmatch(L *lua.LState) int {
	s := vm.checkString(L, 1)
	p := vm.checkString(L, 2)
	pos := 0
	L.Push(L.NewFunction(func(L *lua.LState) int {
		ms := vm.newMatch(L, s, p)
		for src := pos; src <= len(s); src++ {
			ms.level = 0
			if e := ms.match(src, 0); e >= 0 {
				ns := e
				if e == src {
					ns++
				}
				pos = ns
				caps := ms.captures(src, e, true)
				for _, c := range caps {
					L.Push(c)
				}
				return len(caps)
			}
		}
		pos = len(s) + 1
		return 0
	}))
	return 1
}

func (vm *luaVM) strGsub(L *lua.LState) int {
	src := vm.checkString(L, 1)
	p := vm.checkString(L, 2)
	repl := L.Get(3)
	maxS := vm.optInt(L, 4, len(src)+1)
	switch repl.(type) {
	case lua.LNumber, lua.LString, *lua.LFunction, *lua.LTable:
	default:
		vm.argError(L, 3, "string/function/table expected")
	}
	ms := vm.newMatch(L, src, p)
	anchor := strings.HasPrefix(ms.pat, "^")
	pstart := 0
	if anchor {
		pstart = 1
	}
	var b strings.Builder
	n := 0
	s := 0
	for n < maxS {
		ms.level = 0
		e := ms.match(s, pstart)
		if e >= 0 {
			n++
			vm.addValue(L, ms, &b, s, e, repl)
		}
		switch {
		case e >= 0 && e > s:
			s = e
		case s < len(src):
			b.WriteByte(src[s])
			s++
		default:
			goto done
		}
		vm.checkBuilt(L, b.Len(), "string.gsub")
		if anchor {
			break
		}
	}
done:
	b.WriteString(src[s:])
	L.SetTop(0)
	L.Push(lua.LString(b.String()))
	L.Push(lua.LNumber(n))
	return 2
}

func (vm *luaVM) addValue(L *lua.LState, ms *luaMatch, b *strings.Builder, s, e int, repl lua.LValue) {
	var v lua.LValue
	switch r := repl.(type) {
	case lua.LNumber, lua.LString:
		news, _ := luaToStr(r)
		for i := 0; i < len(news); i++ {
			if news[i] != '%' {
				b.WriteByte(news[i])
				continue
			}
			i++
			var c byte
			if i < len(news) {
				c = news[i]
			}
			switch {
			case !isDigit(c):
				b.WriteByte(c)
			case c == '0':
				b.WriteString(ms.src[s:e])
			default:
				x := ms.capture(int(c-'1'), s, e)
				xs, _ := luaToStr(x)
				b.WriteString(xs)
			}
		}
		return
	case *lua.LFunction:
		luaCall(L, r, 1, ms.captures(s, e, true)...)
		v = L.Get(-1)
		L.Pop(1)
	case *lua.LTable:
		v = L.GetTable(r, ms.capture(0, s, e))
	}
	vm.checkPoison(L, v)
	if !lua.LVAsBool(v) {
		b.WriteString(ms.src[s:e])
		return
	}
	vs, ok := vm.printedStr(L, v)
	if !ok {
		vm.raise(L, lua.LString("invalid replacement value (a "+luaTypeName(v)+")"), true)
	}
	b.WriteString(vs)
}
