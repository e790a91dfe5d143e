package redis

import (
	"math"
	"strconv"
	"strings"
)

// Numbers as Redis's Lua 5.1 reads and writes them: a number is a C
// double; it becomes a string with sprintf("%.14g") (LUAI_NUMFFORMAT), a
// string becomes a number with strtod (luaO_str2d), and the C library
// used is glibc's. The helpers here reproduce those conversions exactly,
// where gopher-lua's own differ (it prints 1e15 as "1000000000000000"
// and reads "010" as octal).

// luaByteAt is the byte at i of s as C reads a string that ends in a
// NUL: s[i], or 0 from the end on.
func luaByteAt(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

// strtod parses the longest prefix of s that glibc's strtod accepts
// (after leading white space: a sign, then a decimal or hexadecimal
// number, "inf", "infinity" or "nan"); n is the number of bytes read,
// 0 when there is no number.
func luaStrtod(s string) (f float64, n int) {
	i, neg := luaNumberStart(s)
	sign := func(v float64) float64 {
		if neg {
			return -v
		}
		return v
	}
	rest := s[i:]
	low := strings.ToLower(rest[:min(len(rest), 8)])
	switch {
	case strings.HasPrefix(low, "infinity"):
		return sign(math.Inf(1)), i + 8
	case strings.HasPrefix(low, "inf"):
		return sign(math.Inf(1)), i + 3
	case strings.HasPrefix(low, "nan"):
		j := i + 3
		if j < len(s) && s[j] == '(' {
			k := j + 1
			for k < len(s) && (luaIsAlnum(s[k]) || s[k] == '_') {
				k++
			}
			if k < len(s) && s[k] == ')' {
				j = k + 1
			}
		}
		return sign(math.NaN()), j
	}
	if len(rest) >= 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X') {
		j, digits, _ := scanMantissa(s, i+2, isHexDigit)
		if digits > 0 {
			m := s[i+2 : j]
			exp := "0"
			if k := exponentEnd(s, j, 'p'); k > j {
				exp = s[j+1 : k]
				j = k
			}
			if strings.HasPrefix(m, ".") {
				m = "0" + m
			}
			v, err := strconv.ParseFloat("0x"+m+"p"+luaClampExp(exp), 64)
			if err != nil && !luaIsRange(err) {
				return 0, 0
			}
			return sign(v), j
		}
		// "0x" with no digit: the number is the 0.
		return sign(0), i + 1
	}
	j, digits, _ := scanMantissa(s, i, isDigit)
	if digits == 0 {
		return 0, 0
	}
	mantEnd := j
	j = exponentEnd(s, j, 'e')
	num := s[i:mantEnd]
	if j > mantEnd {
		num += "e" + luaClampExp(s[mantEnd+1:j])
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil && !luaIsRange(err) {
		return 0, 0
	}
	return sign(v), j
}

// luaNumberStart skips what C's strtod and strtoul accept before a
// number's digits: white space, then a sign. i is where the digits
// start, neg whether the sign was '-'.
func luaNumberStart(s string) (i int, neg bool) {
	for i < len(s) && cSpace(s[i]) {
		i++
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	return i, neg
}

// clampExp bounds a decimal exponent so that ParseFloat sees a number it
// can read (an exponent of a million digits means 0 or infinity anyway).
func luaClampExp(e string) string {
	neg := strings.HasPrefix(e, "-")
	d := strings.TrimLeft(strings.TrimLeft(e, "+-"), "0")
	if len(d) > 6 {
		d = "999999"
	}
	if d == "" {
		d = "0"
	}
	if neg {
		return "-" + d
	}
	return d
}

func luaIsRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func luaIsAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func luaIsAlnum(c byte) bool { return luaIsAlpha(c) || isDigit(c) }

// strtoul parses like C's luaStrtoul(s, &end, base) for a base from 2 to
// 36: leading space, a sign, "0x" for base 16; n is 0 when no digit was
// read. A negative number wraps as C does; an overflow gives ULONG_MAX.
func luaStrtoul(s string, base int) (v uint64, n int) {
	i, neg := luaNumberStart(s)
	if base == 16 && i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && i+2 < len(s) && luaDigitValue(s[i+2]) < 16 {
		i += 2
	}
	j := i
	over := false
	for j < len(s) {
		d := luaDigitValue(s[j])
		if d >= base {
			break
		}
		if v > (math.MaxUint64-uint64(d))/uint64(base) {
			over = true
		}
		v = v*uint64(base) + uint64(d)
		j++
	}
	if j == i {
		return 0, 0
	}
	if over {
		return math.MaxUint64, j
	}
	if neg {
		v = -v
	}
	return v, j
}

func luaDigitValue(c byte) int {
	switch {
	case isDigit(c):
		return int(c - '0')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return 99
}

// luaStr2Number converts a string to a number as Lua 5.1's luaO_str2d:
// strtod, then (at an 'x') strtoul in base 16, then only white space may
// follow. The string is read as C reads it: up to a NUL byte.
func luaStr2Number(s string) (float64, bool) {
	s = cString(s)
	f, n := luaStrtod(s)
	if n == 0 {
		return 0, false
	}
	if n < len(s) && (s[n] == 'x' || s[n] == 'X') {
		u, m := luaStrtoul(s, 16)
		f, n = float64(u), m
		if m == 0 {
			n = 0
		}
	}
	for n < len(s) && cSpace(s[n]) {
		n++
	}
	return f, n == len(s)
}

// luaNumber2String is Lua 5.1's number to string: "%.14g".
func luaNumber2String(f float64) string { return luaFormatFloat(f, 'g', 14, "", 0) }

// luaFormatFloat is C's printf of a double with conversion verb (e, E, f,
// F, g, G), precision prec (-1 for the default 6), flags from "-+ #0"
// and a minimum width. NaN prints as "nan" (glibc prints "-nan" when the
// sign bit is set, which callers must treat as unknown).
func luaFormatFloat(f float64, verb byte, prec int, flags string, width int) string {
	if prec < 0 {
		prec = 6
	}
	upper := verb == 'E' || verb == 'F' || verb == 'G'
	alt := strings.Contains(flags, "#")
	neg := math.Signbit(f)
	var body string
	switch {
	case math.IsInf(f, 0):
		body = "inf"
	case math.IsNaN(f):
		body = "nan"
		neg = false
	default:
		a := math.Abs(f)
		switch verb | 0x20 {
		case 'f':
			body = strconv.FormatFloat(a, 'f', prec, 64)
			if alt && prec == 0 {
				body += "."
			}
		case 'e':
			body = luaExp(a, prec, alt)
		case 'g':
			p := prec
			if p == 0 {
				p = 1
			}
			x := 0
			if a != 0 {
				e := strconv.FormatFloat(a, 'e', p-1, 64)
				x, _ = strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
			}
			if p > x && x >= -4 {
				body = strconv.FormatFloat(a, 'f', p-1-x, 64)
				if alt && !strings.Contains(body, ".") {
					body += "."
				}
			} else {
				body = luaExp(a, p-1, alt)
			}
			if !alt {
				body = luaTrimZeros(body)
			}
		}
	}
	if upper {
		body = strings.ToUpper(body)
	}
	sign := ""
	switch {
	case neg:
		sign = "-"
	case strings.Contains(flags, "+"):
		sign = "+"
	case strings.Contains(flags, " "):
		sign = " "
	}
	return luaPad(sign, body, width, flags, !math.IsInf(f, 0) && !math.IsNaN(f))
}

// luaExp formats a non-negative double as C's %e: d.ddde±XX.
func luaExp(a float64, prec int, alt bool) string {
	s := strconv.FormatFloat(a, 'e', prec, 64)
	if alt && prec == 0 {
		i := strings.IndexByte(s, 'e')
		s = s[:i] + "." + s[i:]
	}
	return s
}

// trimZeros removes the trailing zeros of %g's fraction, and the point.
func luaTrimZeros(s string) string {
	exp := ""
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		s, exp = s[:i], s[i:]
	}
	if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	return s + exp
}

// pad applies a printf width: spaces before (or after, with '-'), or
// zeros between the sign and the digits (with '0', for numbers).
func luaPad(sign, body string, width int, flags string, zeroOK bool) string {
	n := len(sign) + len(body)
	if n >= width {
		return sign + body
	}
	fill := width - n
	switch {
	case strings.Contains(flags, "-"):
		return sign + body + strings.Repeat(" ", fill)
	case strings.Contains(flags, "0") && zeroOK:
		return sign + strings.Repeat("0", fill) + body
	}
	return strings.Repeat(" ", fill) + sign + body
}

// luaDoubleToInt64 is C's (long long) cast of a double on x86-64: it
// truncates, and gives LLONG_MIN for NaN and out-of-range values.
func luaDoubleToInt64(f float64) int64 {
	if math.IsNaN(f) || f >= 9223372036854775808.0 || f < -9223372036854775808.0 {
		return math.MinInt64
	}
	return int64(f)
}

// luaDoubleToInt32 is C's (int) cast of a double on x86-64.
func luaDoubleToInt32(f float64) int32 {
	if math.IsNaN(f) || f >= 2147483648.0 || f <= -2147483649.0 {
		return math.MinInt32
	}
	return int32(f)
}

// luaDoubleToUint64 is C's (unsigned long) cast of a double as gcc does it
// on x86-64.
func luaDoubleToUint64(f float64) uint64 {
	if f >= 9223372036854775808.0 {
		if f >= 18446744073709551616.0 || math.IsNaN(f) {
			return 1 << 63
		}
		return uint64(f-9223372036854775808.0) + 1<<63
	}
	return uint64(luaDoubleToInt64(f))
}
