package redis

import (
	"strings"

	"github.com/wat-project/wat/formats"
)

// The scripting commands (Redis functions are in functions.go). EVAL
// runs its script on a copy of the state to know the reply (the script's
// own commands are the "[lua]" lines after it, requests of their own;
// see lua.go) and caches the body, which EVALSHA runs. The script cache
// is indexed under the pseudo namespace "@script", by SHA1.
var scriptingCommands = inGroup("scripting", []*Command{
	scriptCall("EVAL", false, evalCmd, evalRefs),
	scriptCall("EVAL_RO", true, evalCmd, evalRefs),
	scriptCall("EVALSHA", false, evalCmd, evalRefs),
	scriptCall("EVALSHA_RO", true, evalCmd, evalRefs),
	{Name: "SCRIPT|DEBUG", Arity: 3, Flags: "noscript", Why: "the Lua debugger (SCRIPT DEBUG) is not modelled"},
	{Name: "SCRIPT|EXISTS", Arity: -3, Flags: "noscript", Run: scriptExists, Refs: scriptRefs},
	{Name: "SCRIPT|FLUSH", Arity: -2, Flags: "noscript", Run: scriptFlush, Refs: scriptRefs},
	{Name: "SCRIPT|HELP", Arity: 2, Flags: "loading stale", Run: help},
	{Name: "SCRIPT|KILL", Arity: 2, Flags: "noscript allow_busy",
		Unknown: "whether a script was running (busy) when it arrived"},
	{Name: "SCRIPT|LOAD", Arity: 3, Flags: "noscript stale", Run: scriptLoad, Refs: scriptRefs},
})

// scriptCall is the table entry of a command that runs a script or a
// function (EVAL, EVALSHA, FCALL, and their _RO forms): a count of keys
// after the script, then the keys, which a read-only form only reads.
func scriptCall(name string, readOnly bool, run func(*run) string, refs func(*formats.Event) []formats.Ref) *Command {
	c := &Command{Name: name, Arity: -3, Flags: "noscript stale skip_monitor no_mandatory_keys movablekeys",
		Keys: []KeySpec{keysCounted(2, "RW access update")}, Run: run, Refs: refs}
	if readOnly {
		c.Flags = "readonly " + c.Flags
		c.Keys = []KeySpec{keysCounted(2, "RO access")}
	}
	return c
}

// scriptNS is the pseudo namespace of the script cache, keyed by SHA1.
const scriptNS = "@script"

const eNoScript = "-NOSCRIPT No matching script. Please use EVAL.\r\n"

func evalCmd(r *run) string { return evalRequest(r).reply }

// evalRequest runs EVAL, EVAL_RO, EVALSHA or EVALSHA_RO: the checks of
// evalGenericCommand in its order, the script cache, then the script.
func evalRequest(r *run) evalOutcome {
	op := r.cmd.Name
	bySHA := strings.HasPrefix(op, "EVALSHA")
	ro := strings.HasSuffix(op, "_RO")
	a := r.args
	if bySHA && len(a[0]) != 40 {
		return evalOutcome{reply: eNoScript}
	}
	numkeys, ok := parseInt(a[1])
	switch {
	case !ok:
		return evalOutcome{reply: eNotInt}
	case numkeys > int64(len(a)-2):
		return evalOutcome{reply: "-ERR Number of keys can't be greater than number of args\r\n"}
	case numkeys < 0:
		return evalOutcome{reply: "-ERR Number of keys can't be negative\r\n"}
	}
	var sc *luaScript
	if bySHA {
		sha := strings.ToLower(string(a[0]))
		body, ok := r.s.scripts[sha]
		if !ok {
			if _, maybe := r.s.scripts[scriptMaybe+sha]; maybe {
				return evalOutcome{reply: rUnknown, why: whyMaybeCached}
			}
			return evalOutcome{reply: eNoScript}
		}
		if v, ok := luaScripts.Load(sha); ok {
			sc = v.(*luaScript)
		} else {
			sc = compileScript(body)
		}
	} else {
		var reply string
		if sc, reply = cacheScript(r, string(a[0])); reply != "" {
			return evalOutcome{reply: reply, why: "the script does not compile: Redis replies with Lua 5.1's parser message, which the model does not reproduce"}
		}
	}
	keys := a[2 : 2+numkeys]
	args := a[2+numkeys:]
	return runScript(r.s, r.e, r.d, sc, keys, args, ro)
}

// cacheScript compiles a body and caches it (luaCreateFunction); reply is
// set when it fails: the shebang's error, or rUnknown when the model's
// compiler refuses the body. Redis then replies with Lua 5.1's parser
// message, which the model does not reproduce, and a few constructs Lua
// 5.1 accepts gopher-lua does not (0x1p4): whether Redis cached the body
// is not known either, and the cache says so (scriptMaybe).
func cacheScript(r *run, body string) (*luaScript, string) {
	sc := compileScript(body)
	switch {
	case sc.shebangErr != "":
		return nil, errReply("ERR " + sc.shebangErr)
	case sc.compileErr != "":
		if _, ok := r.s.scripts[sc.sha]; !ok && !sc.compileCertain {
			r.s.setScript(scriptMaybe+sc.sha, body)
		}
		return nil, rUnknown
	}
	if _, ok := r.s.scripts[sc.sha]; !ok {
		r.s.setScript(sc.sha, body)
	}
	return sc, ""
}

// scriptMaybe prefixes, in the state's script cache, the SHA1 of a body
// Redis may or may not have cached (one the model could not compile).
const scriptMaybe = "?"

const whyMaybeCached = "the script's body may be in Redis's cache: the model could not compile it, and Redis may have"

func scriptLoad(r *run) string {
	sc, reply := cacheScript(r, string(r.args[0]))
	if reply != "" {
		return reply
	}
	return bulkString(sc.sha)
}

func scriptExists(r *run) string {
	items := make([]string, len(r.args))
	for i, sha := range r.args {
		items[i] = rZero
		if _, ok := r.s.scripts[strings.ToLower(string(sha))]; ok {
			items[i] = rOne
		} else if _, maybe := r.s.scripts[scriptMaybe+strings.ToLower(string(sha))]; maybe {
			return rUnknown
		}
	}
	return array(items)
}

func scriptFlush(r *run) string {
	if !scriptFlushOK(r.args) {
		return "-ERR SCRIPT FLUSH only support SYNC|ASYNC option\r\n"
	}
	r.s.scripts, r.s.sharedScripts = nil, false
	return rOK
}

func scriptFlushOK(a [][]byte) bool {
	return len(a) == 0 || len(a) == 1 && (cEqual(a[0], "SYNC") || cEqual(a[0], "ASYNC"))
}

// evalRefs: a script request reads the keys it declares (its writes are
// the [lua] lines after it), and the script cache entry of its SHA1:
// EVAL fills it, EVALSHA reads it. A request whose arguments Redis
// rejects before the cache (a SHA1 not 40 long, a bad key count) depends
// on nothing.
func evalRefs(e *formats.Event) []formats.Ref {
	a := e.Args
	bySHA := strings.HasPrefix(e.Op, "EVALSHA")
	if len(a) < 2 || bySHA && len(a[0]) != 40 {
		return nil
	}
	n, ok := parseInt(a[1])
	if !ok || n < 0 || n > int64(len(a)-2) {
		return nil
	}
	out := make([]formats.Ref, 0, n+1)
	for _, k := range a[2 : 2+n] {
		out = append(out, formats.Ref{NS: e.NS, Key: k, Kind: formats.KindRead})
	}
	if bySHA {
		out = append(out, formats.Ref{NS: scriptNS, Key: []byte(strings.ToLower(string(a[0]))), Kind: formats.KindRead})
	} else {
		out = append(out, formats.Ref{NS: scriptNS, Key: []byte(bodySHA(string(a[0]))), Kind: formats.KindWrite})
	}
	return out
}

// scriptRefs indexes SCRIPT LOAD (fills an entry), EXISTS (reads
// entries) and FLUSH (empties the cache).
func scriptRefs(e *formats.Event) []formats.Ref {
	if len(e.Args) == 0 {
		return nil
	}
	a := e.Args[1:]
	switch strings.ToUpper(string(e.Args[0])) {
	case "LOAD":
		if len(a) == 1 {
			return []formats.Ref{{NS: scriptNS, Key: []byte(bodySHA(string(a[0]))), Kind: formats.KindWrite}}
		}
	case "EXISTS":
		out := make([]formats.Ref, len(a))
		for i, sha := range a {
			out[i] = formats.Ref{NS: scriptNS, Key: []byte(strings.ToLower(string(sha))), Kind: formats.KindRead}
		}
		return out
	case "FLUSH":
		if scriptFlushOK(a) {
			return []formats.Ref{{NS: scriptNS, Kind: formats.KindReset}}
		}
	}
	return nil
}
