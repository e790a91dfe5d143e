package redis

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"
)

// A script is compiled by gopher-lua, whose virtual machine differs from
// Lua 5.1's where Redis scripts can see it: it turns numbers into strings
// with Go's formatting ("1000000000000000" where Lua 5.1 prints
// "1e+15"), reads "010" as octal when coercing a string to a number, and
// takes the length of a table with holes differently. Before compiling,
// the script's syntax tree is rewritten so that these operations call
// helpers with Lua 5.1's exact semantics: concatenation (..), arithmetic
// (+ - * / % ^ and unary minus), the length operator (#) and the numeric
// for loop's bounds. Number literals are re-read as Lua 5.1 reads them.
// Table constructors and assignments to table fields go through helpers
// too, so that the model follows every table's layout as Lua 5.1 builds
// it (lua_shape.go): the order pairs() and cjson.encode walk a table in.
// The helpers are locals of the chunk whose names no script can spell.

// Names of the helpers: the globals the chunk reads them from (set in
// every VM), and the locals it keeps them in.
const (
	luaHelperConcat = "\x00wat.concat"
	luaHelperArith  = "\x00wat.arith"
	luaHelperUnm    = "\x00wat.unm"
	luaHelperLen    = "\x00wat.len"
	luaHelperForNum = "\x00wat.fornum"
	luaHelperCtor   = "\x00wat.ctor"
	luaHelperSet    = "\x00wat.set"
	luaHelperGet    = "\x00wat.get"
	luaHelperEq     = "\x00wat.eq"
	// luaHelperCtorMore continues a constructor of more than 50 fields.
	luaHelperCtorMore = "\x00wat.ctor+"
)

var luaHelpers = []string{luaHelperConcat, luaHelperArith, luaHelperUnm, luaHelperLen, luaHelperForNum, luaHelperCtor, luaHelperSet,
	luaHelperGet, luaHelperEq, luaHelperCtorMore}

// luaLocalName is the chunk-local name of a helper.
func luaLocalName(helper string) string { return "\x00" + helper[len("\x00wat."):] }

// Arithmetic operator codes passed to the arith helper.
const (
	luaOpAdd = iota
	luaOpSub
	luaOpMul
	luaOpDiv
	luaOpMod
	luaOpPow
)

var luaArithOps = map[string]int{"+": luaOpAdd, "-": luaOpSub, "*": luaOpMul, "/": luaOpDiv, "%": luaOpMod, "^": luaOpPow}

// luaCompile parses and compiles a script body (its shebang line, if any,
// already blanked). It returns the compiled function, or a compile error
// whose text is not Lua 5.1's; certain says that Lua 5.1 refuses the body
// (luaSyntaxCheck), else it may not (the body is near Lua's limits).
// caveat, when not empty, says why every run of the script is not known:
// a construct whose Lua 5.1 meaning the model does not reproduce, or a
// body Lua accepts and gopher-lua does not (then proto is nil).
func luaCompile(code string) (proto *lua.FunctionProto, risky map[int]bool, caveat string, certain bool, err error) {
	if err := luaSyntaxCheck(code); err != nil {
		return nil, nil, "", true, err
	}
	chunk, err := parse.Parse(strings.NewReader(code), "user_script")
	if err != nil {
		return nil, nil, "gopher-lua cannot parse a script Lua 5.1 accepts: " + strings.TrimSpace(err.Error()), false, nil
	}
	if err := luaLimitCheck(chunk); err != nil {
		return nil, nil, "", false, err
	}
	risky = luaRiskyLines(code, chunk)
	t := &luaRewriter{src: code}
	t.enter()
	chunk = t.stmts(chunk)
	t.leave()
	if t.err != nil {
		return nil, nil, "", t.certain, t.err
	}
	decl := &ast.LocalAssignStmt{}
	for _, h := range luaHelpers {
		decl.Names = append(decl.Names, luaLocalName(h))
		decl.Exprs = append(decl.Exprs, &ast.IdentExpr{Value: h})
	}
	chunk = append([]ast.Stmt{decl}, chunk...)
	proto, err = lua.Compile(chunk, "user_script")
	if err != nil {
		return nil, nil, "gopher-lua cannot compile a script Lua 5.1 accepts: " + err.Error(), false, nil
	}
	return proto, risky, t.caveat, false, nil
}

type luaRewriter struct {
	src     string
	lines   []string
	err     error
	certain bool // err is one Lua 5.1 makes too
	caveat  string
	// zeros holds, per function being rewritten, the signs of the zero
	// constants it has (1: +0, 2: -0): Lua 5.1 keeps one constant for
	// both (they are equal as table keys), so a function with both uses
	// whichever came first.
	zeros []int
}

func (t *luaRewriter) enter() { t.zeros = append(t.zeros, 0) }

func (t *luaRewriter) leave() {
	if t.zeros[len(t.zeros)-1] == 3 {
		t.uncertain("a function of the script has both 0 and -0 constants, which Lua 5.1 merges into one")
	}
	t.zeros = t.zeros[:len(t.zeros)-1]
}

func (t *luaRewriter) zero(v float64) {
	if v == 0 {
		if math.Signbit(v) {
			t.zeros[len(t.zeros)-1] |= 2
		} else {
			t.zeros[len(t.zeros)-1] |= 1
		}
	}
}

// number re-reads a literal as Lua 5.1 does.
func (t *luaRewriter) number(x *ast.NumberExpr) float64 {
	v, ok := luaStr2Number(x.Value)
	if !ok {
		t.err = fmt.Errorf("user_script:%d: malformed number near '%s'", x.Line(), x.Value)
		return 0
	}
	x.Value = strconv.FormatFloat(v, 'g', -1, 64)
	return v
}

func (t *luaRewriter) uncertain(why string) {
	if t.caveat == "" {
		t.caveat = why
	}
}

func (t *luaRewriter) stmts(ss []ast.Stmt) []ast.Stmt {
	for i, s := range ss {
		ss[i] = t.stmt(s)
	}
	return ss
}

func (t *luaRewriter) exprs(es []ast.Expr) []ast.Expr {
	for i, e := range es {
		es[i] = t.expr(e)
	}
	return es
}

func (t *luaRewriter) stmt(s ast.Stmt) ast.Stmt {
	switch s := s.(type) {
	case *ast.AssignStmt:
		return t.assign(s)
	case *ast.LocalAssignStmt:
		if len(s.Names) == 1 && len(s.Exprs) == 1 {
			if f, ok := s.Exprs[0].(*ast.FunctionExpr); ok && !t.isLocalFunction(s.Line(), s.Names[0]) && luaMentions(f, s.Names[0]) {
				// gopher-lua makes "local f = function() ... f ... end"
				// see itself, as "local function f" does; in Lua 5.1
				// the inner f is another variable.
				t.uncertain("the script has 'local " + s.Names[0] + " = function' naming itself, which gopher-lua binds unlike Lua 5.1")
			}
		}
		t.exprs(s.Exprs)
	case *ast.FuncCallStmt:
		s.Expr = t.expr(s.Expr)
	case *ast.DoBlockStmt:
		t.stmts(s.Stmts)
	case *ast.WhileStmt:
		s.Condition = t.expr(s.Condition)
		t.stmts(s.Stmts)
	case *ast.RepeatStmt:
		t.stmts(s.Stmts)
		s.Condition = t.expr(s.Condition)
	case *ast.IfStmt:
		s.Condition = t.expr(s.Condition)
		t.stmts(s.Then)
		t.stmts(s.Else)
	case *ast.NumberForStmt:
		s.Init = t.forNum(t.expr(s.Init), 0)
		s.Limit = t.forNum(t.expr(s.Limit), 1)
		if s.Step != nil {
			s.Step = t.forNum(t.expr(s.Step), 2)
		}
		t.stmts(s.Stmts)
	case *ast.GenericForStmt:
		t.exprs(s.Exprs)
		t.stmts(s.Stmts)
	case *ast.FuncDefStmt:
		switch {
		case s.Name.Func == nil:
			// function obj:m(...): a field set, with self first.
			s.Func.ParList.Names = append([]string{"self"}, s.Func.ParList.Names...)
			t.function(s.Func)
			key := &ast.StringExpr{Value: s.Name.Method}
			key.SetLine(s.Line())
			return luaSetStmt(s, t.expr(s.Name.Receiver), key, s.Func)
		default:
			if a, ok := s.Name.Func.(*ast.AttrGetExpr); ok {
				obj, key := t.expr(a.Object), t.expr(a.Key)
				t.function(s.Func)
				return luaSetStmt(s, obj, key, s.Func)
			}
			t.function(s.Func)
		}
	case *ast.ReturnStmt:
		t.exprs(s.Exprs)
	case *ast.LabelStmt, *ast.GotoStmt:
		// Lua 5.1 has no goto: Redis fails to compile the script.
		t.err, t.certain = fmt.Errorf("user_script:%d: goto and labels are not Lua 5.1", s.Line()), true
	}
	return s
}

// isLocalFunction reports whether the statement at line declares name
// with "local function name".
func (t *luaRewriter) isLocalFunction(line int, name string) bool {
	if t.lines == nil {
		t.lines = strings.Split(t.src, "\n")
	}
	if line < 1 || line > len(t.lines) {
		return false
	}
	re := regexp.MustCompile(`\blocal\s+function\s+` + regexp.QuoteMeta(name) + `\b`)
	return re.MatchString(t.lines[line-1])
}

func (t *luaRewriter) function(f *ast.FunctionExpr) {
	if f.ParList != nil && f.ParList.HasVargs && luaMentions(f, "arg") {
		// LUA_COMPAT_VARARG: a vararg function that does not use ...
		// has a local "arg" in Lua 5.1; gopher-lua gives every vararg
		// function one.
		t.uncertain("the script reads 'arg' in a vararg function (Lua 5.1's compatibility 'arg' table is not modelled)")
	}
	t.enter()
	t.stmts(f.Stmts)
	t.leave()
}

func (t *luaRewriter) expr(e ast.Expr) ast.Expr {
	switch x := e.(type) {
	case *ast.NumberExpr:
		t.zero(t.number(x))
	case *ast.AttrGetExpr:
		x.Object = t.expr(x.Object)
		x.Key = t.expr(x.Key)
		switch x.Key.(type) {
		case *ast.StringExpr, *ast.NumberExpr, *ast.TrueExpr, *ast.FalseExpr, *ast.NilExpr:
			// A constant key: gopher-lua's GETTABLE is Lua's.
		default:
			// t[k] with a computed key goes through the get helper,
			// which refuses a key whose value the model does not
			// know (see luaVM.poison).
			return luaHelperCall(luaHelperGet, x, luaSingle(x.Object), luaSingle(x.Key))
		}
	case *ast.TableExpr:
		// {...} becomes ctor(plan, ...): the plan spells each field,
		// in order: R (key, value), L (a list item), M (the last list
		// item, with all its values).
		plan := make([]byte, 0, len(x.Fields))
		var args []ast.Expr
		for i, f := range x.Fields {
			if f.Key != nil {
				plan = append(plan, 'R')
				args = append(args, luaSingle(t.expr(f.Key)), luaSingle(t.expr(f.Value)))
				continue
			}
			v := t.expr(f.Value)
			if i == len(x.Fields)-1 && luaMultiValued(v) {
				plan = append(plan, 'M')
				args = append(args, v)
			} else {
				plan = append(plan, 'L')
				args = append(args, luaSingle(v))
			}
		}
		p := &ast.StringExpr{Value: string(plan)}
		p.SetLine(x.Line())
		// Fifty fields per call: gopher-lua's calls take at most 200
		// registers, and Lua's constructors any number of fields.
		var call ast.Expr
		for start, i := 0, 0; i < len(plan) || call == nil; {
			end := i + 50
			if end > len(plan) {
				end = len(plan)
			}
			n := 0
			for _, c := range plan[i:end] {
				if c == 'R' {
					n += 2
				} else {
					n++
				}
			}
			chunk := args[start : start+n]
			if call == nil {
				call = luaHelperCall(luaHelperCtor, x, append([]ast.Expr{p}, chunk...)...)
			} else {
				call = luaHelperCall(luaHelperCtorMore, x, append([]ast.Expr{call}, chunk...)...)
			}
			start += n
			i = end
		}
		return call
	case *ast.FuncCallExpr:
		x.SetLine(luaCallLine(x))
		if x.Func != nil {
			x.Func = t.expr(x.Func)
		}
		if x.Receiver != nil {
			x.Receiver = t.expr(x.Receiver)
		}
		t.exprs(x.Args)
	case *ast.LogicalOpExpr:
		x.Lhs = t.expr(x.Lhs)
		x.Rhs = t.expr(x.Rhs)
	case *ast.RelationalOpExpr:
		x.Lhs = t.expr(x.Lhs)
		x.Rhs = t.expr(x.Rhs)
		switch x.Operator {
		case "==":
			return luaHelperCall(luaHelperEq, x, luaSingle(x.Lhs), luaSingle(x.Rhs))
		case "~=":
			n := &ast.UnaryNotOpExpr{Expr: luaHelperCall(luaHelperEq, x, luaSingle(x.Lhs), luaSingle(x.Rhs))}
			n.SetLine(x.Line())
			n.SetLastLine(x.LastLine())
			return n
		}
	case *ast.StringConcatOpExpr:
		var operands []ast.Expr
		var walk func(ast.Expr)
		walk = func(e ast.Expr) {
			if c, ok := e.(*ast.StringConcatOpExpr); ok {
				walk(c.Lhs)
				walk(c.Rhs)
				return
			}
			operands = append(operands, luaSingle(t.expr(e)))
		}
		walk(x)
		return luaHelperCall(luaHelperConcat, x, operands...)
	case *ast.ArithmeticOpExpr:
		lhs, rhs := t.expr(x.Lhs), t.expr(x.Rhs)
		_, ln := lhs.(*ast.NumberExpr)
		_, rn := rhs.(*ast.NumberExpr)
		if ln && rn && x.Operator != "^" {
			// Two literals: gopher-lua folds them as Lua 5.1 would
			// (but for a division by zero, which Lua leaves to run
			// time, with the same result).
			x.Lhs, x.Rhs = lhs, rhs
			a, _ := strconv.ParseFloat(lhs.(*ast.NumberExpr).Value, 64)
			b, _ := strconv.ParseFloat(rhs.(*ast.NumberExpr).Value, 64)
			switch x.Operator {
			case "+":
				t.zero(a + b)
			case "-":
				t.zero(a - b)
			case "*":
				t.zero(a * b)
			case "/":
				t.zero(a / b)
			case "%":
				t.zero(a - math.Floor(a/b)*b)
			}
			return x
		}
		op := &ast.NumberExpr{Value: strconv.Itoa(luaArithOps[x.Operator])}
		op.SetLine(x.Line())
		return luaHelperCall(luaHelperArith, x, op, luaSingle(lhs), luaSingle(rhs))
	case *ast.UnaryMinusOpExpr:
		if n, ok := x.Expr.(*ast.NumberExpr); ok {
			t.zero(-t.number(n))
			return x
		}
		return luaHelperCall(luaHelperUnm, x, luaSingle(t.expr(x.Expr)))
	case *ast.UnaryNotOpExpr:
		x.Expr = t.expr(x.Expr)
	case *ast.UnaryLenOpExpr:
		return luaHelperCall(luaHelperLen, x, luaSingle(t.expr(x.Expr)))
	case *ast.FunctionExpr:
		t.function(x)
	}
	return e
}

// forNum wraps a numeric for loop's bound (which: 0 initial value, 1
// limit, 2 step) so that it is coerced as Lua 5.1's forprep does.
func (t *luaRewriter) forNum(e ast.Expr, which int) ast.Expr {
	if _, ok := e.(*ast.NumberExpr); ok {
		return e
	}
	w := &ast.NumberExpr{Value: strconv.Itoa(which)}
	w.SetLine(e.Line())
	return luaHelperCall(luaHelperForNum, e, luaSingle(e), w)
}

// luaLineUnknown stands for the line of a call Lua 5.1 may count
// differently from gopher-lua: an error raised there makes the reply
// unknown.
const luaLineUnknown = 1 << 30

// luaCallLine is the line Lua 5.1 gives a call instruction: the line of
// its '(' (or of its string or table argument). gopher-lua gives the line
// of the called expression's start. The '(' must be on the line of the
// token before it (Lua's "ambiguous syntax" rule): the name called, or
// the field name after the dot.
func luaCallLine(x *ast.FuncCallExpr) int {
	paren := luaLineUnknown
	switch f := x.Func.(type) {
	case *ast.IdentExpr:
		paren = f.Line()
	case *ast.AttrGetExpr:
		if k, ok := f.Key.(*ast.StringExpr); ok {
			paren = k.Line()
		}
	}
	if paren == luaLineUnknown {
		// A method call, or a call of a computed value: known when it is
		// all on one line with its first argument.
		if len(x.Args) > 0 && x.Args[0].Line() == x.Line() {
			return x.Line()
		}
		return luaLineUnknown
	}
	if len(x.Args) == 1 {
		switch x.Args[0].(type) {
		case *ast.StringExpr, *ast.TableExpr:
			// f"s" and f{...} have no '(': the argument's line, which
			// is also the '(' line when written f("s").
			if x.Args[0].Line() != paren {
				return luaLineUnknown
			}
		}
	}
	return paren
}

// multiValued reports whether an expression gives all its values in the
// last place of a list (a call, or ...).
func luaMultiValued(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.FuncCallExpr:
		return !x.AdjustRet
	case *ast.Comma3Expr:
		return !x.AdjustRet
	}
	return false
}

// assign rewrites an assignment: a table field is set through the set
// helper (luaV_settable), in Lua 5.1's order: the tables and keys of the
// targets, then the values, then the stores from the last target to the
// first.
func (t *luaRewriter) assign(s *ast.AssignStmt) ast.Stmt {
	indexed := false
	for _, l := range s.Lhs {
		if _, ok := l.(*ast.AttrGetExpr); ok {
			indexed = true
		}
	}
	if !indexed {
		t.exprs(s.Lhs)
		t.exprs(s.Rhs)
		return s
	}
	if len(s.Lhs) == 1 && len(s.Rhs) == 1 {
		a := s.Lhs[0].(*ast.AttrGetExpr)
		obj, key := t.expr(a.Object), t.expr(a.Key)
		return luaSetStmt(s, obj, key, luaSingle(t.expr(s.Rhs[0])))
	}
	block := &ast.DoBlockStmt{}
	block.SetLine(s.Line())
	block.SetLastLine(s.LastLine())
	at := func(st ast.Stmt) ast.Stmt {
		st.SetLine(s.Line())
		st.SetLastLine(s.LastLine())
		return st
	}
	ident := func(name string) *ast.IdentExpr {
		id := &ast.IdentExpr{Value: name}
		id.SetLine(s.Line())
		return id
	}
	n := len(s.Lhs)
	for i, l := range s.Lhs {
		if a, ok := l.(*ast.AttrGetExpr); ok {
			block.Stmts = append(block.Stmts, at(&ast.LocalAssignStmt{
				Names: []string{"\x00t" + strconv.Itoa(i), "\x00k" + strconv.Itoa(i)},
				Exprs: []ast.Expr{luaSingle(t.expr(a.Object)), luaSingle(t.expr(a.Key))}}))
		}
	}
	vals := &ast.LocalAssignStmt{Exprs: t.exprs(s.Rhs)}
	for i := 0; i < n; i++ {
		vals.Names = append(vals.Names, "\x00v"+strconv.Itoa(i))
	}
	block.Stmts = append(block.Stmts, at(vals))
	for i := n - 1; i >= 0; i-- {
		v := ident("\x00v" + strconv.Itoa(i))
		if _, ok := s.Lhs[i].(*ast.AttrGetExpr); ok {
			block.Stmts = append(block.Stmts, luaSetStmt(s, ident("\x00t"+strconv.Itoa(i)), ident("\x00k"+strconv.Itoa(i)), v))
		} else {
			block.Stmts = append(block.Stmts, at(&ast.AssignStmt{Lhs: []ast.Expr{t.expr(s.Lhs[i])}, Rhs: []ast.Expr{v}}))
		}
	}
	return block
}

// setStmt is the statement set(obj, key, value) at the position of at.
func luaSetStmt(at ast.Stmt, obj, key, value ast.Expr) ast.Stmt {
	fn := &ast.IdentExpr{Value: luaLocalName(luaHelperSet)}
	fn.SetLine(at.Line())
	c := &ast.FuncCallExpr{Func: fn, Args: []ast.Expr{obj, key, value}}
	c.SetLine(at.Line())
	c.SetLastLine(at.LastLine())
	st := &ast.FuncCallStmt{Expr: c}
	st.SetLine(at.Line())
	st.SetLastLine(at.LastLine())
	return st
}

// single makes an expression give exactly one value, as an operand does
// (a call or ... as the last argument would give all of its values).
func luaSingle(e ast.Expr) ast.Expr {
	switch x := e.(type) {
	case *ast.FuncCallExpr:
		x.AdjustRet = true
	case *ast.Comma3Expr:
		x.AdjustRet = true
	}
	return e
}

// helperCall builds a call of a helper at the position of at.
func luaHelperCall(helper string, at ast.Expr, args ...ast.Expr) ast.Expr {
	fn := &ast.IdentExpr{Value: luaLocalName(helper)}
	fn.SetLine(at.Line())
	fn.SetLastLine(at.LastLine())
	c := &ast.FuncCallExpr{Func: fn, Args: args, AdjustRet: true}
	c.SetLine(at.Line())
	c.SetLastLine(at.LastLine())
	return c
}

// mentions reports whether an identifier appears anywhere in a function
// (an over-approximation of its free use).
func luaMentions(f *ast.FunctionExpr, name string) bool {
	found := false
	luaWalk(f.Stmts, func(e ast.Expr) bool {
		if id, ok := e.(*ast.IdentExpr); ok && id.Value == name {
			found = true
		}
		return true
	})
	return found
}

// luaWalk visits every expression of statements, the bodies of their
// functions included; visit returns false to skip an expression's parts.
func luaWalk(ss []ast.Stmt, visit func(ast.Expr) bool) {
	for _, s := range ss {
		exprs, blocks := luaStmtParts(s)
		for _, e := range exprs {
			luaWalkExpr(e, visit)
		}
		for _, b := range blocks {
			luaWalk(b, visit)
		}
	}
}

// luaWalkExpr visits an expression and, while visit says so, its parts.
func luaWalkExpr(e ast.Expr, visit func(ast.Expr) bool) {
	if !visit(e) {
		return
	}
	exprs, blocks := luaExprParts(e)
	for _, x := range exprs {
		luaWalkExpr(x, visit)
	}
	for _, b := range blocks {
		luaWalk(b, visit)
	}
}

// luaStmtParts returns the parts of a statement, for the walks over a
// syntax tree: the expressions it evaluates (a function definition's
// name and function among them) and the blocks of statements it holds
// (an if's else block even when empty). A function's body is a part of
// its FunctionExpr (luaExprParts). The slices may be the statement's own:
// callers do not change them.
func luaStmtParts(s ast.Stmt) (exprs []ast.Expr, blocks [][]ast.Stmt) {
	switch s := s.(type) {
	case *ast.AssignStmt:
		return append(append([]ast.Expr(nil), s.Lhs...), s.Rhs...), nil
	case *ast.LocalAssignStmt:
		return s.Exprs, nil
	case *ast.FuncCallStmt:
		return []ast.Expr{s.Expr}, nil
	case *ast.DoBlockStmt:
		return nil, [][]ast.Stmt{s.Stmts}
	case *ast.WhileStmt:
		return []ast.Expr{s.Condition}, [][]ast.Stmt{s.Stmts}
	case *ast.RepeatStmt:
		return []ast.Expr{s.Condition}, [][]ast.Stmt{s.Stmts}
	case *ast.IfStmt:
		return []ast.Expr{s.Condition}, [][]ast.Stmt{s.Then, s.Else}
	case *ast.NumberForStmt:
		return luaPresent(s.Init, s.Limit, s.Step), [][]ast.Stmt{s.Stmts}
	case *ast.GenericForStmt:
		return s.Exprs, [][]ast.Stmt{s.Stmts}
	case *ast.FuncDefStmt:
		if s.Name != nil {
			return luaPresent(s.Name.Func, s.Name.Receiver, s.Func), nil
		}
		return []ast.Expr{s.Func}, nil
	case *ast.ReturnStmt:
		return s.Exprs, nil
	}
	return nil, nil
}

// luaExprParts returns the parts of an expression, as luaStmtParts does
// for a statement: its operands (a constructor's keys and values, a
// call's function or receiver and its arguments), and a function's body
// as its one block.
func luaExprParts(e ast.Expr) (exprs []ast.Expr, blocks [][]ast.Stmt) {
	switch x := e.(type) {
	case *ast.AttrGetExpr:
		return []ast.Expr{x.Object, x.Key}, nil
	case *ast.TableExpr:
		for _, f := range x.Fields {
			exprs = append(exprs, luaPresent(f.Key, f.Value)...)
		}
		return exprs, nil
	case *ast.FuncCallExpr:
		return append(luaPresent(x.Func, x.Receiver), x.Args...), nil
	case *ast.LogicalOpExpr:
		return []ast.Expr{x.Lhs, x.Rhs}, nil
	case *ast.RelationalOpExpr:
		return []ast.Expr{x.Lhs, x.Rhs}, nil
	case *ast.StringConcatOpExpr:
		return []ast.Expr{x.Lhs, x.Rhs}, nil
	case *ast.ArithmeticOpExpr:
		return []ast.Expr{x.Lhs, x.Rhs}, nil
	case *ast.UnaryMinusOpExpr:
		return []ast.Expr{x.Expr}, nil
	case *ast.UnaryNotOpExpr:
		return []ast.Expr{x.Expr}, nil
	case *ast.UnaryLenOpExpr:
		return []ast.Expr{x.Expr}, nil
	case *ast.FunctionExpr:
		return nil, [][]ast.Stmt{x.Stmts}
	}
	return nil, nil
}

// luaPresent returns the expressions that are there (an optional part,
// such as a for loop's step, is nil when absent).
func luaPresent(es ...ast.Expr) []ast.Expr {
	var out []ast.Expr
	for _, e := range es {
		if e != nil {
			out = append(out, e)
		}
	}
	return out
}

// luaLimitCheck finds scripts near Lua 5.1's compiler limits, which
// gopher-lua does not share: more than 60 upvalues in a function, more
// than 200 local variables, expressions or blocks nested more than 200
// deep. It over-approximates (counting every local a function declares,
// and as an upvalue every free name some function declares local).
func luaLimitCheck(chunk []ast.Stmt) error {
	declared := map[string]bool{}
	var fns []*ast.FunctionExpr
	luaWalk(chunk, func(e ast.Expr) bool {
		if f, ok := e.(*ast.FunctionExpr); ok {
			fns = append(fns, f)
			for _, n := range f.ParList.Names {
				declared[n] = true
			}
		}
		return true
	})
	locals := func(ss []ast.Stmt) (names map[string]bool, count int) {
		names = map[string]bool{}
		declare := func(ns ...string) {
			for _, n := range ns {
				names[n] = true
				declared[n] = true
			}
		}
		var stmts func([]ast.Stmt)
		stmts = func(ss []ast.Stmt) {
			for _, s := range ss {
				switch s := s.(type) {
				case *ast.LocalAssignStmt:
					count += len(s.Names)
					declare(s.Names...)
				case *ast.NumberForStmt:
					count += 4
					declare(s.Name)
				case *ast.GenericForStmt:
					count += 3 + len(s.Names)
					declare(s.Names...)
				}
				// The blocks the statement holds, not the functions it
				// defines.
				_, blocks := luaStmtParts(s)
				for _, b := range blocks {
					stmts(b)
				}
			}
		}
		stmts(ss)
		return names, count
	}
	if _, n := locals(chunk); n > 200 {
		return fmt.Errorf("the main chunk may have more than 200 local variables")
	}
	for _, f := range fns {
		if _, n := locals(f.Stmts); n+len(f.ParList.Names) > 200 {
			return fmt.Errorf("a function may have more than 200 local variables")
		}
	}
	for _, f := range fns {
		own, _ := locals(f.Stmts)
		for _, n := range f.ParList.Names {
			own[n] = true
		}
		free := map[string]bool{}
		luaWalk(f.Stmts, func(e ast.Expr) bool {
			if id, ok := e.(*ast.IdentExpr); ok && !own[id.Value] && declared[id.Value] {
				free[id.Value] = true
			}
			return true
		})
		if len(free) > 60 {
			return fmt.Errorf("a function may have more than 60 upvalues")
		}
	}
	if luaDepth(chunk) > 180 {
		return fmt.Errorf("the script may nest deeper than Lua 5.1's parser allows")
	}
	return nil
}

// luaDepth is the deepest nesting of statements and expressions.
func luaDepth(ss []ast.Stmt) int {
	deepest := 0
	var expr func(ast.Expr, int)
	var stmts func([]ast.Stmt, int)
	parts := func(exprs []ast.Expr, blocks [][]ast.Stmt, d int) {
		for _, e := range exprs {
			expr(e, d)
		}
		for _, b := range blocks {
			stmts(b, d)
		}
	}
	expr = func(e ast.Expr, d int) {
		deepest = max(deepest, d)
		exprs, blocks := luaExprParts(e)
		parts(exprs, blocks, d+1)
	}
	stmts = func(ss []ast.Stmt, d int) {
		deepest = max(deepest, d)
		for _, s := range ss {
			exprs, blocks := luaStmtParts(s)
			if f, ok := s.(*ast.FuncDefStmt); ok {
				// Lua 5.1's parser reads a function's name (a.b.c:m)
				// without nesting.
				exprs = []ast.Expr{f.Func}
			}
			parts(exprs, blocks, d+1)
		}
	}
	stmts(ss, 0)
	return deepest
}

// luaRiskyLines lists the lines of statements spread over several lines.
// Lua 5.1 gives an instruction the line of the token the parser had just
// read when it emitted it (a field store: the last token of the value),
// gopher-lua the line where the statement or expression starts: on such
// lines an error a statement raises (a read-only table, a missing
// global, a nil index) may be counted on another line, and its reply is
// unknown. Calls are placed exactly (luaCallLine).
func luaRiskyLines(src string, chunk []ast.Stmt) map[int]bool {
	risky := map[int]bool{}
	mark := func(from, to int) {
		for l := from; l <= to; l++ {
			risky[l] = true
		}
	}
	// Tokens: brackets open over lines, operators ending or starting a
	// line.
	type tok struct {
		line int
		text string
	}
	var toks []tok
	at := func(i int) byte { return luaByteAt(src, i) }
	longSep := func(i int) int {
		if at(i) != '[' {
			return -1
		}
		j := i + 1
		for at(j) == '=' {
			j++
		}
		if at(j) == '[' {
			return j - i - 1
		}
		return -1
	}
	line := 1
	skipLong := func(i, sep int) int {
		close := "]" + strings.Repeat("=", sep) + "]"
		end := strings.Index(src[i:], close)
		if end < 0 {
			end = len(src) - i
		}
		line += strings.Count(src[i:i+end], "\n")
		return i + end + len(close)
	}
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f':
			i++
		case c == '-' && at(i+1) == '-':
			i += 2
			if sep := longSep(i); sep >= 0 {
				i = skipLong(i, sep)
				continue
			}
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '[' && longSep(i) >= 0:
			start := line
			i = skipLong(i, longSep(i))
			toks = append(toks, tok{start, "str"})
			if line != start {
				mark(start, line)
			}
		case c == '"' || c == '\'':
			start := line
			i++
			for i < len(src) && src[i] != c {
				if src[i] == '\\' {
					i++
				}
				if i < len(src) && src[i] == '\n' {
					line++
				}
				i++
			}
			i++
			toks = append(toks, tok{start, "str"})
			if line != start {
				mark(start, line)
			}
		case c == '_' || luaIsAlnum(c):
			j := i
			for j < len(src) && (src[j] == '_' || luaIsAlnum(src[j]) || src[j] == '.' && isDigit(src[i])) {
				j++
			}
			toks = append(toks, tok{line, src[i:j]})
			i = j
		default:
			n := luaOpLen(src[i:])
			toks = append(toks, tok{line, src[i : i+n]})
			i += n
		}
	}
	cont := map[string]bool{"+": true, "-": true, "*": true, "/": true, "%": true, "^": true, "..": true, "==": true,
		"~=": true, "<": true, "<=": true, ">": true, ">=": true, "and": true, "or": true, "=": true, ",": true, ".": true,
		":": true, "not": true, "#": true}
	var open []tok
	for i, t := range toks {
		switch t.text {
		case "(", "[", "{":
			open = append(open, t)
		case ")", "]", "}":
			if len(open) > 0 {
				o := open[len(open)-1]
				open = open[:len(open)-1]
				if o.line != t.line {
					mark(o.line, t.line)
				}
			}
		}
		if cont[t.text] {
			if i+1 < len(toks) && toks[i+1].line != t.line {
				mark(t.line, toks[i+1].line)
			}
			if i > 0 && toks[i-1].line != t.line && t.text != "-" && t.text != "not" && t.text != "#" {
				mark(toks[i-1].line, t.line)
			}
		}
	}
	// Statements whose expressions start on several lines.
	var stmts func([]ast.Stmt)
	span := func(start int, es ...ast.Expr) {
		max := start
		var visit func(ast.Expr) bool
		visit = func(e ast.Expr) bool {
			if e.Line() > max && e.Line() < luaLineUnknown {
				max = e.Line()
			}
			if f, ok := e.(*ast.FunctionExpr); ok {
				if f.LastLine() > f.Line() {
					// The statement ends at the function's "end".
					risky[start] = true
					risky[f.LastLine()] = true
				}
				stmts(f.Stmts)
				return false
			}
			return true
		}
		for _, e := range es {
			luaWalkExpr(e, visit)
		}
		if max > start {
			mark(start, max)
		}
	}
	stmts = func(ss []ast.Stmt) {
		for _, s := range ss {
			if f, ok := s.(*ast.FuncDefStmt); ok {
				if f.Func.LastLine() > f.Line() {
					risky[f.Line()] = true
					risky[f.Func.LastLine()] = true
				}
				stmts(f.Func.Stmts)
				continue
			}
			exprs, blocks := luaStmtParts(s)
			start := s.Line()
			if r, ok := s.(*ast.RepeatStmt); ok {
				start = r.Condition.Line() // after its block
			}
			span(start, exprs...)
			for _, b := range blocks {
				stmts(b)
			}
		}
	}
	stmts(chunk)
	return risky
}
