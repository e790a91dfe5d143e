package redis

import (
	"fmt"
	"strings"
)

// luaSyntaxCheck reports whether Lua 5.1's compiler (llex.c, lparser.c)
// accepts a chunk, as a recognizer of its grammar: gopher-lua's parser
// accepts some chunks Lua 5.1 refuses (empty statements ";;", "{1,,2}",
// a call whose "(" starts a new line) and refuses some it accepts
// ("0x1p4"), and whether Redis cached a script depends on Lua's verdict.
// It does not check the compiler's limits (luaLimitCheck does, roughly).
func luaSyntaxCheck(src string) (err error) {
	toks, err := luaTokens(src)
	if err != nil {
		return err
	}
	p := &luaSyntax{toks: toks}
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(luaSyntaxError); ok {
				err = e
				return
			}
			panic(r)
		}
	}()
	p.fs = &luaSyntaxFunc{vararg: true}
	p.block()
	if p.tok().kind != ltEOS {
		p.fail("'<eof>' expected")
	}
	return nil
}

type luaSyntaxError struct{ msg string }

func (e luaSyntaxError) Error() string { return e.msg }

// Token kinds.
const (
	ltEOS = iota
	ltName
	ltNumber
	ltString
	ltKeyword
	ltOp
)

type luaToken struct {
	kind int
	text string // the keyword, operator or name
	line int
}

var luaKeywords = map[string]bool{"and": true, "break": true, "do": true, "else": true, "elseif": true, "end": true,
	"false": true, "for": true, "function": true, "if": true, "in": true, "local": true, "nil": true, "not": true,
	"or": true, "repeat": true, "return": true, "then": true, "true": true, "until": true, "while": true}

// luaTokens is Lua 5.1's lexer (llex.c) over a chunk.
func luaTokens(src string) ([]luaToken, error) {
	var out []luaToken
	line := 1
	at := func(i int) byte { return luaByteAt(src, i) }
	isNewline := func(c byte) bool { return c == '\n' || c == '\r' }
	// newline skips a line break (\n, \r, \n\r or \r\n) at i.
	newline := func(i int) int {
		c := src[i]
		i++
		if i < len(src) && isNewline(src[i]) && src[i] != c {
			i++
		}
		line++
		return i
	}
	sep := func(i int) int {
		s := at(i)
		j := i + 1
		for at(j) == '=' {
			j++
		}
		if at(j) == s {
			return j - i - 1
		}
		return -(j - i - 1) - 1
	}
	longString := func(i, level int, what string) (int, error) {
		i += level + 2
		if i < len(src) && isNewline(src[i]) {
			i = newline(i)
		}
		for {
			if i >= len(src) {
				return 0, fmt.Errorf("user_script:%d: unfinished long %s", line, what)
			}
			switch c := src[i]; {
			case c == ']' && sep(i) == level:
				return i + level + 2, nil
			case isNewline(c):
				i = newline(i)
			default:
				i++
			}
		}
	}
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case isNewline(c):
			i = newline(i)
		case c == ' ' || c == '\t' || c == '\v' || c == '\f':
			i++
		case c == '-' && at(i+1) == '-':
			i += 2
			if at(i) == '[' {
				if s := sep(i); s >= 0 {
					var err error
					if i, err = longString(i, s, "comment"); err != nil {
						return nil, err
					}
					continue
				}
			}
			for i < len(src) && !isNewline(src[i]) {
				i++
			}
		case c == '[':
			s := sep(i)
			if s >= 0 {
				start := line
				var err error
				if i, err = longString(i, s, "string"); err != nil {
					return nil, err
				}
				out = append(out, luaToken{ltString, "", start})
				continue
			}
			if s != -1 {
				return nil, fmt.Errorf("user_script:%d: invalid long string delimiter", line)
			}
			out = append(out, luaToken{ltOp, "[", line})
			i++
		case c == '"' || c == '\'':
			start := line
			i++
			for {
				if i >= len(src) {
					return nil, fmt.Errorf("user_script:%d: unfinished string", line)
				}
				d := src[i]
				if d == c {
					i++
					break
				}
				if isNewline(d) {
					return nil, fmt.Errorf("user_script:%d: unfinished string", line)
				}
				if d != '\\' {
					i++
					continue
				}
				i++
				if i >= len(src) {
					continue // unfinished, reported above
				}
				switch e := src[i]; {
				case isNewline(e):
					i = newline(i)
				case isDigit(e):
					v := 0
					for k := 0; k < 3 && isDigit(at(i)); k++ {
						v = v*10 + int(at(i)-'0')
						i++
					}
					if v > 255 {
						return nil, fmt.Errorf("user_script:%d: escape sequence too large", line)
					}
				default:
					i++
				}
			}
			out = append(out, luaToken{ltString, "", start})
		case isDigit(c) || c == '.' && isDigit(at(i+1)):
			// read_numeral
			j := i
			for isDigit(at(j)) || at(j) == '.' {
				j++
			}
			if at(j) == 'e' || at(j) == 'E' {
				j++
				if at(j) == '+' || at(j) == '-' {
					j++
				}
			}
			for luaIsAlnum(at(j)) || at(j) == '_' {
				j++
			}
			if _, ok := luaStr2Number(src[i:j]); !ok {
				return nil, fmt.Errorf("user_script:%d: malformed number near '%s'", line, src[i:j])
			}
			out = append(out, luaToken{ltNumber, src[i:j], line})
			i = j
		case c == '_' || luaIsAlpha(c):
			j := i
			for j < len(src) && (src[j] == '_' || luaIsAlnum(src[j])) {
				j++
			}
			w := src[i:j]
			if luaKeywords[w] {
				out = append(out, luaToken{ltKeyword, w, line})
			} else {
				out = append(out, luaToken{ltName, w, line})
			}
			i = j
		default:
			n := luaOpLen(src[i:])
			out = append(out, luaToken{ltOp, src[i : i+n], line})
			i += n
		}
	}
	out = append(out, luaToken{ltEOS, "<eof>", line})
	return out, nil
}

// luaOpLen is the length of the operator (or other symbol) that s starts
// with: one of Lua's operators of several characters, else one byte.
func luaOpLen(s string) int {
	for _, op := range []string{"...", "..", "==", "~=", "<=", ">="} {
		if strings.HasPrefix(s, op) {
			return len(op)
		}
	}
	return 1
}

type luaSyntaxFunc struct {
	vararg bool
	loops  int
}

type luaSyntax struct {
	toks []luaToken
	pos  int
	fs   *luaSyntaxFunc
}

func (p *luaSyntax) tok() luaToken { return p.toks[p.pos] }

func (p *luaSyntax) peek() luaToken {
	if p.pos+1 < len(p.toks) {
		return p.toks[p.pos+1]
	}
	return p.toks[len(p.toks)-1]
}

func (p *luaSyntax) next() luaToken {
	t := p.toks[p.pos]
	if p.pos < len(p.toks)-1 {
		p.pos++
	}
	return t
}

// lastLine is the line of the token before the current one.
func (p *luaSyntax) lastLine() int {
	if p.pos == 0 {
		return 1
	}
	return p.toks[p.pos-1].line
}

func (p *luaSyntax) fail(msg string) {
	panic(luaSyntaxError{fmt.Sprintf("user_script:%d: %s", p.tok().line, msg)})
}

func (p *luaSyntax) is(text string) bool {
	t := p.tok()
	return (t.kind == ltKeyword || t.kind == ltOp) && t.text == text
}

func (p *luaSyntax) test(text string) bool {
	if p.is(text) {
		p.next()
		return true
	}
	return false
}

func (p *luaSyntax) check(text string) {
	if !p.test(text) {
		p.fail("'" + text + "' expected")
	}
}

func (p *luaSyntax) name() {
	if p.tok().kind != ltName {
		p.fail("<name> expected")
	}
	p.next()
}

func (p *luaSyntax) blockFollow() bool {
	t := p.tok()
	if t.kind == ltEOS {
		return true
	}
	return t.kind == ltKeyword && (t.text == "else" || t.text == "elseif" || t.text == "end" || t.text == "until")
}

// block is chunk(): statements, each with an optional ';', a return or
// break only last.
func (p *luaSyntax) block() {
	last := false
	for !last && !p.blockFollow() {
		last = p.statement()
		p.test(";")
	}
}

func (p *luaSyntax) statement() bool {
	t := p.tok()
	if t.kind == ltKeyword {
		switch t.text {
		case "if":
			p.next()
			p.expr()
			p.check("then")
			p.block()
			for p.is("elseif") {
				p.next()
				p.expr()
				p.check("then")
				p.block()
			}
			if p.test("else") {
				p.block()
			}
			p.check("end")
			return false
		case "while":
			p.next()
			p.expr()
			p.check("do")
			p.loopBlock()
			p.check("end")
			return false
		case "do":
			p.next()
			p.block()
			p.check("end")
			return false
		case "for":
			p.next()
			p.name()
			switch {
			case p.test("="):
				p.expr()
				p.check(",")
				p.expr()
				if p.test(",") {
					p.expr()
				}
			case p.is(",") || p.is("in"):
				for p.test(",") {
					p.name()
				}
				p.check("in")
				p.exprList()
			default:
				p.fail("'=' or 'in' expected")
			}
			p.check("do")
			p.loopBlock()
			p.check("end")
			return false
		case "repeat":
			p.next()
			p.loopBlock()
			p.check("until")
			p.expr()
			return false
		case "function":
			p.next()
			p.name()
			for p.test(".") {
				p.name()
			}
			if p.test(":") {
				p.name()
			}
			p.body()
			return false
		case "local":
			p.next()
			if p.test("function") {
				p.name()
				p.body()
				return false
			}
			p.name()
			for p.test(",") {
				p.name()
			}
			if p.test("=") {
				p.exprList()
			}
			return false
		case "return":
			p.next()
			if !p.blockFollow() && !p.is(";") {
				p.exprList()
			}
			return true
		case "break":
			p.next()
			if p.fs.loops == 0 {
				p.fail("no loop to break")
			}
			return true
		}
	}
	// exprstat: a call, or an assignment.
	kind := p.primaryExp()
	if p.is("=") || p.is(",") {
		if kind != "var" {
			p.fail("syntax error")
		}
		for p.test(",") {
			if p.primaryExp() != "var" {
				p.fail("syntax error")
			}
		}
		p.check("=")
		p.exprList()
		return false
	}
	if kind != "call" {
		p.fail("syntax error")
	}
	return false
}

func (p *luaSyntax) loopBlock() {
	p.fs.loops++
	p.block()
	p.fs.loops--
}

// body is a function's parameters and block.
func (p *luaSyntax) body() {
	p.check("(")
	fs := &luaSyntaxFunc{}
	if !p.is(")") {
		for {
			if p.tok().kind == ltName {
				p.next()
			} else if p.test("...") {
				fs.vararg = true
				break
			} else {
				p.fail("<name> or '...' expected")
			}
			if !p.test(",") {
				break
			}
		}
	}
	p.check(")")
	outer := p.fs
	p.fs = fs
	p.block()
	p.fs = outer
	p.check("end")
}

func (p *luaSyntax) exprList() {
	p.expr()
	for p.test(",") {
		p.expr()
	}
}

var luaBinops = map[string]bool{"+": true, "-": true, "*": true, "/": true, "%": true, "^": true, "..": true,
	"==": true, "~=": true, "<": true, "<=": true, ">": true, ">=": true, "and": true, "or": true}

func (p *luaSyntax) expr() {
	if p.is("not") || p.is("-") || p.is("#") {
		p.next()
		p.expr()
		return
	}
	p.simpleExp()
	for {
		t := p.tok()
		if (t.kind == ltOp || t.kind == ltKeyword) && luaBinops[t.text] {
			p.next()
			if p.is("not") || p.is("-") || p.is("#") {
				p.next()
				p.expr()
				return
			}
			p.simpleExp()
			continue
		}
		return
	}
}

func (p *luaSyntax) simpleExp() {
	t := p.tok()
	switch {
	case t.kind == ltNumber || t.kind == ltString:
		p.next()
	case t.kind == ltKeyword && (t.text == "nil" || t.text == "true" || t.text == "false"):
		p.next()
	case t.kind == ltOp && t.text == "...":
		if !p.fs.vararg {
			p.fail("cannot use '...' outside a vararg function")
		}
		p.next()
	case t.kind == ltOp && t.text == "{":
		p.constructor()
	case t.kind == ltKeyword && t.text == "function":
		p.next()
		p.body()
	default:
		p.primaryExp()
	}
}

// primaryExp parses a prefix expression and its suffixes; it returns
// "var" for a variable, "call" for a call, "" otherwise.
func (p *luaSyntax) primaryExp() string {
	kind := "var"
	switch {
	case p.tok().kind == ltName:
		p.next()
	case p.test("("):
		p.expr()
		p.check(")")
		kind = ""
	default:
		p.fail("unexpected symbol")
	}
	for {
		switch {
		case p.test("."):
			p.name()
			kind = "var"
		case p.test("["):
			p.expr()
			p.check("]")
			kind = "var"
		case p.test(":"):
			p.name()
			p.funcArgs()
			kind = "call"
		case p.is("(") || p.is("{") || p.tok().kind == ltString:
			p.funcArgs()
			kind = "call"
		default:
			return kind
		}
	}
}

func (p *luaSyntax) funcArgs() {
	switch {
	case p.is("("):
		if p.tok().line != p.lastLine() {
			p.fail("ambiguous syntax (function call x new statement)")
		}
		p.next()
		if !p.is(")") {
			p.exprList()
		}
		p.check(")")
	case p.is("{"):
		p.constructor()
	case p.tok().kind == ltString:
		p.next()
	default:
		p.fail("function arguments expected")
	}
}

func (p *luaSyntax) constructor() {
	p.check("{")
	for !p.is("}") {
		switch {
		case p.tok().kind == ltName && p.peek().kind == ltOp && p.peek().text == "=":
			p.next()
			p.next()
			p.expr()
		case p.test("["):
			p.expr()
			p.check("]")
			p.check("=")
			p.expr()
		default:
			p.expr()
		}
		if !p.test(",") && !p.test(";") {
			break
		}
	}
	p.check("}")
}
