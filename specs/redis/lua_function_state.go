package redis

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"
)

// Redis keeps a library's Lua state between calls: a variable of its
// chunk, or a table made when it loaded, lives as long as the library,
// and a call may see what an earlier call left there. The model loads a
// library afresh for every call, so it only knows a call's reply when no
// call can change that state: this file finds the libraries whose
// functions may (a function assigns a variable it shares with others, or
// the functions reach a table made at load time and may write a table
// they did not make), and their calls' replies are unknown.

// libraryStateful says why a library's functions may see, in a call,
// what an earlier call left (Redis keeps the library's Lua state between
// calls; the model loads it afresh for each): a function assigns a
// variable it shares with others (an upvalue), or the functions reach a
// table made at load time and some function may change a table it did
// not make itself.
func (vm *luaVM) libraryStateful(sc *luaScript, regs []luaRegistration) string {
	if luaAssignsUpvalue(sc.proto.FunctionPrototypes) {
		return "a function of the library assigns a variable that outlives the call (an upvalue), and Redis keeps it between calls"
	}
	seen := map[lua.LValue]bool{}
	reach := false
	var walk func(v lua.LValue)
	walk = func(v lua.LValue) {
		if reach || seen[v] {
			return
		}
		switch x := v.(type) {
		case *lua.LFunction:
			seen[v] = true
			for _, uv := range x.Upvalues {
				walk(uv.Value())
			}
		case *lua.LTable:
			seen[v] = true
			if !vm.isProtected(x) {
				reach = true
			}
		}
	}
	for _, r := range regs {
		walk(r.fn)
	}
	if reach && luaMayWriteTables(sc.body) {
		return "the library keeps a table between calls, and a function of it may change tables it did not make"
	}
	return ""
}

// luaAssignsUpvalue reports whether any of the functions (or those they
// define) assigns an upvalue.
func luaAssignsUpvalue(protos []*lua.FunctionProto) bool {
	for _, p := range protos {
		for _, inst := range p.Code {
			if int(inst>>26) == lua.OP_SETUPVAL {
				return true
			}
		}
		if luaAssignsUpvalue(p.FunctionPrototypes) {
			return true
		}
	}
	return false
}

// luaMayWriteTables reports whether a function of a chunk (its own
// top-level code runs only at load time) may change a table it did not
// make: a field assignment (or table.insert, table.remove, table.sort,
// rawset) whose table is not a local of the function that only ever
// holds tables the function constructs, any other way of reaching those
// functions or _G, or setmetatable (a metatable's __newindex may be a
// table made at load time).
func luaMayWriteTables(code string) bool {
	chunk, err := parse.Parse(strings.NewReader(code), "user_function")
	if err != nil {
		return true
	}
	w := &luaWriteCheck{}
	w.block(chunk)
	return w.found
}

// luaWriteCheck walks a chunk for luaMayWriteTables, resolving names to
// the declarations of the function being walked.
type luaWriteCheck struct {
	found bool
	fn    *luaFnScope // nil in the chunk's own code
}

// A luaFnScope is a function being walked: its block scopes, innermost
// last, and the declarations whose tables it writes.
type luaFnScope struct {
	scopes []map[string]*luaDecl
	writes []*luaDecl
}

// A luaDecl is one local declaration; fresh while every value assigned
// to it is a table constructor.
type luaDecl struct{ fresh bool }

func (w *luaWriteCheck) push() {
	if w.fn != nil {
		w.fn.scopes = append(w.fn.scopes, map[string]*luaDecl{})
	}
}

func (w *luaWriteCheck) pop() {
	if w.fn != nil {
		w.fn.scopes = w.fn.scopes[:len(w.fn.scopes)-1]
	}
}

func (w *luaWriteCheck) declare(name string, fresh bool) {
	if w.fn != nil {
		w.fn.scopes[len(w.fn.scopes)-1][name] = &luaDecl{fresh: fresh}
	}
}

// resolve finds the local of the function walked that a name means (nil
// for an upvalue or a global).
func (w *luaWriteCheck) resolve(name string) *luaDecl {
	if w.fn == nil {
		return nil
	}
	for i := len(w.fn.scopes) - 1; i >= 0; i-- {
		if d := w.fn.scopes[i][name]; d != nil {
			return d
		}
	}
	return nil
}

// target notes a write into the table an expression gives.
func (w *luaWriteCheck) target(obj ast.Expr) {
	if w.fn == nil {
		// The chunk's own code runs once, at load time.
		w.expr(obj)
		return
	}
	if id, ok := obj.(*ast.IdentExpr); ok {
		if d := w.resolve(id.Value); d != nil {
			w.fn.writes = append(w.fn.writes, d)
			return
		}
	}
	w.found = true
}

func (w *luaWriteCheck) function(f *ast.FunctionExpr) {
	outer := w.fn
	w.fn = &luaFnScope{scopes: []map[string]*luaDecl{{}}}
	for _, p := range f.ParList.Names {
		w.declare(p, false)
	}
	w.declare("self", false)
	w.declare("arg", false)
	w.block(f.Stmts)
	for _, d := range w.fn.writes {
		if !d.fresh {
			w.found = true
		}
	}
	w.fn = outer
}

func (w *luaWriteCheck) block(ss []ast.Stmt) {
	w.push()
	for _, s := range ss {
		w.stmt(s)
	}
	w.pop()
}

func (w *luaWriteCheck) stmt(s ast.Stmt) {
	switch s := s.(type) {
	case *ast.AssignStmt:
		for i, l := range s.Lhs {
			switch l := l.(type) {
			case *ast.AttrGetExpr:
				w.target(l.Object)
				w.expr(l.Key)
			case *ast.IdentExpr:
				if d := w.resolve(l.Value); d != nil {
					if _, ctor := luaExprAt(s.Rhs, i).(*ast.TableExpr); !ctor {
						d.fresh = false
					}
				}
			}
		}
		w.exprs(s.Rhs)
	case *ast.LocalAssignStmt:
		if len(s.Names) == 1 && len(s.Exprs) == 1 {
			if f, ok := s.Exprs[0].(*ast.FunctionExpr); ok {
				// local function f: f is in scope in its body.
				w.declare(s.Names[0], false)
				w.function(f)
				return
			}
		}
		w.exprs(s.Exprs)
		for i, n := range s.Names {
			_, ctor := luaExprAt(s.Exprs, i).(*ast.TableExpr)
			w.declare(n, ctor)
		}
	case *ast.FuncCallStmt:
		w.expr(s.Expr)
	case *ast.DoBlockStmt:
		w.block(s.Stmts)
	case *ast.WhileStmt:
		w.expr(s.Condition)
		w.block(s.Stmts)
	case *ast.RepeatStmt:
		// The condition sees the body's locals.
		w.push()
		for _, x := range s.Stmts {
			w.stmt(x)
		}
		w.expr(s.Condition)
		w.pop()
	case *ast.IfStmt:
		w.expr(s.Condition)
		w.block(s.Then)
		w.block(s.Else)
	case *ast.NumberForStmt:
		w.exprs([]ast.Expr{s.Init, s.Limit, s.Step})
		w.push()
		w.declare(s.Name, false)
		w.block(s.Stmts)
		w.pop()
	case *ast.GenericForStmt:
		w.exprs(s.Exprs)
		w.push()
		for _, n := range s.Names {
			w.declare(n, false)
		}
		w.block(s.Stmts)
		w.pop()
	case *ast.FuncDefStmt:
		switch {
		case s.Name.Receiver != nil:
			w.target(s.Name.Receiver)
		default:
			switch f := s.Name.Func.(type) {
			case *ast.AttrGetExpr:
				w.target(f.Object)
			case *ast.IdentExpr:
				if d := w.resolve(f.Value); d != nil {
					d.fresh = false
				}
			}
		}
		w.function(s.Func)
	case *ast.ReturnStmt:
		w.exprs(s.Exprs)
	default:
		// goto and labels do not compile (Lua 5.1 has none); break.
	}
}

// luaExprAt is the expression assigned to the i-th name (nil past the
// list, or a call's extra results).
func luaExprAt(es []ast.Expr, i int) ast.Expr {
	if i < len(es) {
		return es[i]
	}
	return nil
}

func (w *luaWriteCheck) exprs(es []ast.Expr) {
	for _, e := range es {
		w.expr(e)
	}
}

// luaMutators are the table library's functions that change a table.
var luaMutators = map[string]bool{"insert": true, "remove": true, "sort": true}

// global reports whether an expression is the global name (not a local
// of the function walked).
func (w *luaWriteCheck) global(e ast.Expr, name string) bool {
	id, ok := e.(*ast.IdentExpr)
	return ok && id.Value == name && w.resolve(name) == nil
}

func (w *luaWriteCheck) expr(e ast.Expr) {
	if e == nil || w.found {
		return
	}
	switch e := e.(type) {
	case *ast.IdentExpr:
		switch e.Value {
		case "rawset", "setmetatable", "table", "_G":
			if w.fn != nil {
				w.found = true
			}
		}
	case *ast.AttrGetExpr:
		if w.global(e.Object, "table") {
			if k, ok := e.Key.(*ast.StringExpr); ok && !luaMutators[k.Value] {
				return // table.concat, table.getn...
			}
		}
		w.expr(e.Object)
		w.expr(e.Key)
	case *ast.FuncCallExpr:
		mutator := w.global(e.Func, "rawset")
		if f, ok := e.Func.(*ast.AttrGetExpr); ok && w.global(f.Object, "table") {
			if k, ok := f.Key.(*ast.StringExpr); ok && luaMutators[k.Value] {
				mutator = true
			}
		}
		if mutator && len(e.Args) > 0 {
			w.target(e.Args[0])
			w.exprs(e.Args[1:])
			return
		}
		w.expr(e.Func)
		w.expr(e.Receiver)
		w.exprs(e.Args)
	case *ast.FunctionExpr:
		w.function(e)
	default:
		operands, _ := luaExprParts(e)
		w.exprs(operands)
	}
}
