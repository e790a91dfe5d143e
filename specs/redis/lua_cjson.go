package redis

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Lua CJSON 2.1.0 as Redis ships it, with its default settings: numbers
// printed with "%.14g", "/" escaped, an empty table encoded as "{}",
// sparse arrays refused past a ratio of 2 (and an index of 10), nesting
// limited to 1000; decoding accepts hexadecimal, inf and nan. The
// settings functions change a configuration that outlives the script in
// Redis, which the model does not follow: calling one makes the reply
// unknown (and the model assumes no earlier script called one).

func (vm *luaVM) cjsonLib() *lua.LTable {
	reg := map[string]lua.LGFunction{
		"encode": vm.cjsonEncode, "decode": vm.cjsonDecode, "new": vm.unsupported("cjson.new is not modelled"),
	}
	for _, name := range []string{"encode_sparse_array", "encode_max_depth", "decode_max_depth", "encode_number_precision",
		"encode_keep_buffer", "encode_invalid_numbers", "decode_invalid_numbers"} {
		reg[name] = vm.unsupported("cjson." + name + " changes cjson's settings, which outlive the script in Redis")
	}
	t := vm.libTable(reg)
	t.RawSetString("null", vm.cjsonNull)
	t.RawSetString("_NAME", lua.LString("cjson"))
	t.RawSetString("_VERSION", lua.LString("2.1.0"))
	return t
}

var luaJSONEscape = func() [256]string {
	var e [256]string
	for c := 0; c < 32; c++ {
		e[c] = "\\u00" + string("0123456789abcdef"[c>>4]) + string("0123456789abcdef"[c&15])
	}
	e['\b'], e['\t'], e['\n'], e['\f'], e['\r'] = "\\b", "\\t", "\\n", "\\f", "\\r"
	e['"'], e['/'], e['\\'], e[127] = "\\\"", "\\/", "\\\\", "\\u007f"
	return e
}()

func (vm *luaVM) cjsonEncode(L *lua.LState) int {
	if L.GetTop() != 1 {
		vm.argError(L, 1, "expected 1 argument")
	}
	var b strings.Builder
	vm.jsonAppend(L, &b, L.Get(1), 0)
	L.Push(lua.LString(b.String()))
	return 1
}

func (vm *luaVM) jsonError(L *lua.LState, v lua.LValue, reason string) {
	vm.raise(L, lua.LString("Cannot serialise "+luaTypeName(v)+": "+reason), true)
}

func luaJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if e := luaJSONEscape[s[i]]; e != "" {
			b.WriteString(e)
		} else {
			b.WriteByte(s[i])
		}
	}
	b.WriteByte('"')
}

func (vm *luaVM) jsonNumber(L *lua.LState, b *strings.Builder, v lua.LNumber) {
	f := float64(v)
	if math.IsInf(f, 0) || math.IsNaN(f) {
		vm.jsonError(L, v, "must not be NaN or Inf")
	}
	b.WriteString(luaFormatFloat(f, 'g', 14, "", 0))
}

func (vm *luaVM) jsonAppend(L *lua.LState, b *strings.Builder, v lua.LValue, depth int) {
	vm.checkPoison(L, v)
	vm.checkBuilt(L, b.Len(), "cjson.encode")
	switch x := v.(type) {
	case lua.LString:
		luaJSONString(b, string(x))
	case lua.LNumber:
		vm.jsonNumber(L, b, x)
	case lua.LBool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case *lua.LTable:
		depth++
		if depth > 1000 {
			vm.raise(L, lua.LString("Cannot serialise, excessive nesting ("+strconv.Itoa(depth)+")"), true)
		}
		if vm.isProtected(x) {
			vm.abort(L, "cjson.encode of one of Redis's library tables")
		}
		n := vm.jsonArrayLength(L, x)
		if n > 0 {
			b.WriteByte('[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					b.WriteByte(',')
				}
				vm.jsonAppend(L, b, x.RawGetInt(i), depth)
			}
			b.WriteByte(']')
			return
		}
		keys, known := vm.order(x)
		if !known {
			vm.abort(L, "cjson.encode of a table with several keys, in Lua 5.1's hash order")
		}
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			switch kk := k.(type) {
			case lua.LNumber:
				b.WriteByte('"')
				vm.jsonNumber(L, b, kk)
				b.WriteString("\":")
			case lua.LString:
				luaJSONString(b, string(kk))
				b.WriteByte(':')
			default:
				vm.jsonError(L, k, "table key must be a number or string")
			}
			vm.jsonAppend(L, b, x.RawGet(k), depth)
		}
		b.WriteByte('}')
	case *lua.LNilType:
		b.WriteString("null")
	case *lua.LUserData:
		if x == vm.cjsonNull {
			b.WriteString("null")
			return
		}
		vm.jsonError(L, v, "type not supported")
	default:
		if v == lua.LNil {
			b.WriteString("null")
			return
		}
		vm.jsonError(L, v, "type not supported")
	}
}

// jsonArrayLength is lua_array_length: the largest key when every key is
// an integer >= 1 (and the array is not too sparse), else -1. The largest
// key is kept in a C int: a key past 2^31 makes it INT_MIN, so the result
// depends on the order next() gives the keys in.
func (vm *luaVM) jsonArrayLength(L *lua.LState, t *lua.LTable) int {
	keys, known := vm.order(t)
	max, items := int32(0), 0
	for _, k := range keys {
		n, ok := k.(lua.LNumber)
		f := float64(n)
		if !ok || f == 0 || math.Floor(f) != f || f < 1 {
			return -1
		}
		if f >= 1<<31 && !known {
			vm.abort(L, "cjson.encode of a table with a key past 2^31, whose result depends on Lua 5.1's hash order")
		}
		if f > float64(max) {
			max = luaDoubleToInt32(f)
		}
		items++
	}
	if int(max) > items*2 && max > 10 {
		vm.jsonError(L, t, "excessively sparse array")
	}
	return int(max)
}

// Decoding.

type luaJSONTok int

const (
	jtObjBegin luaJSONTok = iota
	jtObjEnd
	jtArrBegin
	jtArrEnd
	jtString
	jtNumber
	jtBoolean
	jtNull
	jtColon
	jtComma
	jtEnd
	jtWhitespace
	jtError
	jtUnknown
)

var luaJSONTokNames = [...]string{"T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END", "T_STRING", "T_NUMBER",
	"T_BOOLEAN", "T_NULL", "T_COLON", "T_COMMA", "T_END", "T_WHITESPACE", "T_ERROR", "T_UNKNOWN"}

type luaJSONToken struct {
	typ   luaJSONTok
	index int
	str   string
	num   float64
	b     bool
	err   string
}

type luaJSONParser struct {
	vm    *luaVM
	L     *lua.LState
	data  string
	ptr   int
	depth int
}

func (p *luaJSONParser) at(i int) byte { return luaByteAt(p.data, i) }

func luaJSONCharTok(c byte) luaJSONTok {
	switch c {
	case '{':
		return jtObjBegin
	case '}':
		return jtObjEnd
	case '[':
		return jtArrBegin
	case ']':
		return jtArrEnd
	case ',':
		return jtComma
	case ':':
		return jtColon
	case 0:
		return jtEnd
	case ' ', '\t', '\n', '\r':
		return jtWhitespace
	case 'f', 'i', 'I', 'n', 'N', 't', '"', '+', '-':
		return jtUnknown
	}
	if isDigit(c) {
		return jtUnknown
	}
	return jtError
}

func (p *luaJSONParser) setError(t *luaJSONToken, msg string) {
	t.typ = jtError
	t.index = p.ptr
	t.err = msg
}

func (p *luaJSONParser) isInvalidNumber() bool {
	i := p.ptr
	if p.at(i) == '+' {
		return true
	}
	if p.at(i) == '-' {
		i++
	}
	if p.at(i) == '0' {
		c2 := p.at(i + 1)
		return c2|0x20 == 'x' || isDigit(c2)
	} else if p.at(i) <= '9' {
		return false
	}
	rest := strings.ToLower(p.data[i:min(i+3, len(p.data))])
	return rest == "inf" || rest == "nan"
}

func (p *luaJSONParser) numberToken(t *luaJSONToken) {
	t.typ = jtNumber
	f, n := luaStrtod(cString(p.data[p.ptr:]))
	if n == 0 {
		p.setError(t, "invalid number")
		return
	}
	t.num = f
	p.ptr += n
}

func (p *luaJSONParser) stringToken(t *luaJSONToken) {
	p.ptr++
	var b strings.Builder
	for {
		ch := p.at(p.ptr)
		if ch == '"' {
			break
		}
		if ch == 0 {
			p.setError(t, "unexpected end of string")
			return
		}
		if ch == '\\' {
			esc := p.at(p.ptr + 1)
			var out byte
			switch esc {
			case '"', '\\', '/':
				out = esc
			case 'b':
				out = '\b'
			case 't':
				out = '\t'
			case 'n':
				out = '\n'
			case 'f':
				out = '\f'
			case 'r':
				out = '\r'
			case 'u':
				if !p.unicodeEscape(&b) {
					p.setError(t, "invalid unicode escape code")
					return
				}
				continue
			default:
				p.setError(t, "invalid escape code")
				return
			}
			p.ptr++
			ch = out
		}
		b.WriteByte(ch)
		p.ptr++
	}
	p.ptr++
	t.typ = jtString
	t.str = b.String()
}

func (p *luaJSONParser) hex4(i int) int {
	v := 0
	for k := 0; k < 4; k++ {
		c := p.at(i + k)
		d := luaDigitValue(c)
		if !isHexDigit(c) || d > 15 {
			return -1
		}
		v = v<<4 | d
	}
	return v
}

func (p *luaJSONParser) unicodeEscape(b *strings.Builder) bool {
	cp := p.hex4(p.ptr + 2)
	if cp < 0 {
		return false
	}
	escLen := 6
	if cp&0xF800 == 0xD800 {
		if cp&0x400 != 0 {
			return false
		}
		if p.at(p.ptr+6) != '\\' || p.at(p.ptr+7) != 'u' {
			return false
		}
		low := p.hex4(p.ptr + 8)
		if low < 0 || low&0xFC00 != 0xDC00 {
			return false
		}
		cp = ((cp&0x3FF)<<10 | low&0x3FF) + 0x10000
		escLen = 12
	}
	switch {
	case cp <= 0x7F:
		b.WriteByte(byte(cp))
	case cp <= 0x7FF:
		b.WriteByte(byte(cp>>6 | 0xC0))
		b.WriteByte(byte(cp&0x3F | 0x80))
	case cp <= 0xFFFF:
		b.WriteByte(byte(cp>>12 | 0xE0))
		b.WriteByte(byte(cp>>6&0x3F | 0x80))
		b.WriteByte(byte(cp&0x3F | 0x80))
	default:
		b.WriteByte(byte(cp>>18 | 0xF0))
		b.WriteByte(byte(cp>>12&0x3F | 0x80))
		b.WriteByte(byte(cp>>6&0x3F | 0x80))
		b.WriteByte(byte(cp&0x3F | 0x80))
	}
	p.ptr += escLen
	return true
}

func (p *luaJSONParser) next() luaJSONToken {
	var t luaJSONToken
	var ch byte
	for {
		ch = p.at(p.ptr)
		t.typ = luaJSONCharTok(ch)
		if t.typ != jtWhitespace {
			break
		}
		p.ptr++
	}
	t.index = p.ptr
	switch t.typ {
	case jtError:
		p.setError(&t, "invalid token")
		return t
	case jtEnd:
		return t
	case jtUnknown:
	default:
		p.ptr++
		return t
	}
	rest := p.data[p.ptr:]
	switch {
	case ch == '"':
		p.stringToken(&t)
	case ch == '-' || isDigit(ch):
		p.numberToken(&t)
	case strings.HasPrefix(rest, "true"):
		t.typ, t.b = jtBoolean, true
		p.ptr += 4
	case strings.HasPrefix(rest, "false"):
		t.typ, t.b = jtBoolean, false
		p.ptr += 5
	case strings.HasPrefix(rest, "null"):
		t.typ = jtNull
		p.ptr += 4
	case p.isInvalidNumber():
		p.numberToken(&t)
	default:
		p.setError(&t, "invalid token")
	}
	return t
}

func (p *luaJSONParser) throw(expected string, t luaJSONToken) {
	found := luaJSONTokNames[t.typ]
	if t.typ == jtError {
		found = t.err
	}
	p.vm.raise(p.L, lua.LString("Expected "+expected+" but found "+found+" at character "+strconv.Itoa(t.index+1)), true)
}

func (p *luaJSONParser) descend() {
	p.depth++
	if p.depth > 1000 {
		p.vm.raise(p.L, lua.LString("Found too many nested data structures ("+strconv.Itoa(p.depth)+") at character "+strconv.Itoa(p.ptr)), true)
	}
}

func (p *luaJSONParser) value(t luaJSONToken) lua.LValue {
	vm := p.vm
	switch t.typ {
	case jtString:
		return lua.LString(t.str)
	case jtNumber:
		return lua.LNumber(t.num)
	case jtBoolean:
		return lua.LBool(t.b)
	case jtNull:
		return vm.cjsonNull
	case jtObjBegin:
		return p.items(jtObjEnd, "object end", func(tbl *lua.LTable, t luaJSONToken, _ int) {
			if t.typ != jtString {
				p.throw("object key string", t)
			}
			key := lua.LString(t.str)
			if t = p.next(); t.typ != jtColon {
				p.throw("colon", t)
			}
			vm.libSet(tbl, key, p.value(p.next()))
		})
	case jtArrBegin:
		return p.items(jtArrEnd, "array end", func(tbl *lua.LTable, t luaJSONToken, i int) {
			vm.libSet(tbl, lua.LNumber(i), p.value(t))
		})
	}
	p.throw("value", t)
	return nil
}

// items parses the items of an object or an array, after its opening
// token, up to its closing token end (named closing in errors): item
// reads item i, from its first token t, into the table.
func (p *luaJSONParser) items(end luaJSONTok, closing string, item func(tbl *lua.LTable, t luaJSONToken, i int)) *lua.LTable {
	p.descend()
	tbl := p.vm.newLibTable()
	t := p.next()
	if t.typ == end {
		p.depth--
		return tbl
	}
	for i := 1; ; i++ {
		item(tbl, t, i)
		t = p.next()
		if t.typ == end {
			p.depth--
			return tbl
		}
		if t.typ != jtComma {
			p.throw("comma or "+closing, t)
		}
		t = p.next()
	}
}

func (vm *luaVM) cjsonDecode(L *lua.LState) int {
	if L.GetTop() != 1 {
		vm.argError(L, 1, "expected 1 argument")
	}
	s := vm.checkString(L, 1)
	if len(s) >= 2 && (s[0] == 0 || s[1] == 0) {
		vm.raise(L, lua.LString("JSON parser does not support UTF-16 or UTF-32"), true)
	}
	p := &luaJSONParser{vm: vm, L: L, data: s}
	v := p.value(p.next())
	if t := p.next(); t.typ != jtEnd {
		p.throw("the end", t)
	}
	L.SetTop(0)
	L.Push(v)
	return 1
}
