package redis

import (
	"strconv"
	"strings"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// Redis functions (functions.c): FUNCTION LOAD [REPLACE] loads a library
// of Lua functions, FUNCTION DELETE and FLUSH remove them, and FCALL and
// FCALL_RO call one. The libraries are the server's, not a database's,
// and they outlive FLUSHALL and SCRIPT FLUSH. The Lua side is in
// lua_function.go.
//
// MONITOR shows FUNCTION LOAD with the library's code, so the model knows
// every library loaded during the capture; it does not know those loaded
// before it began. So the model's view of the libraries is partial: a
// library or function name is known to exist (with its code), known not
// to exist, or unknown. At the start of a capture every name is unknown,
// and FUNCTION FLUSH makes every name known. A FUNCTION LOAD fails when a
// library of its name exists (without REPLACE) or one of its functions
// exists in another library; when either is unknown, so is its outcome,
// and its names stay unknown. So before a capture's first FUNCTION FLUSH
// no load's outcome is known, and neither is any FCALL's reply: the
// model says so rather than assume that no library existed. (An FCALL's
// commands are the [lua] lines after it, which replay all the same.) A
// load the model cannot follow at all (code it cannot compile, a chunk
// that stops on something it does not model) may have registered any
// function: every function name becomes unknown but those known to exist.
//
// In the trace index, functions and libraries are pseudo keys: an FCALL
// reads its function ("@function", by lower-case name), a FUNCTION LOAD
// writes its library ("@library", by name) and every function its code
// registers (all of them, a wide ref, when the model cannot tell which),
// DELETE writes its library, and FLUSH resets both namespaces. Replacing
// or deleting a library also removes functions its request does not
// name: the explanation of a call follows the library that defined its
// function up to the call (fromTarget), where those requests are.
var functionCommands = inGroup("scripting", []*Command{
	scriptCall("FCALL", false, fcallCmd, fcallRefs),
	scriptCall("FCALL_RO", true, fcallCmd, fcallRefs),
	{Name: "FUNCTION|DELETE", Arity: 3, Flags: "write noscript", Run: functionDelete, Refs: functionRefs},
	{Name: "FUNCTION|DUMP", Arity: 2, Flags: "noscript",
		Unknown: "the libraries' serialized form (RDB encoding and checksum), which the model does not produce, and libraries loaded before the capture began"},
	{Name: "FUNCTION|FLUSH", Arity: -2, Flags: "write noscript", Run: functionFlush, Refs: functionRefs},
	{Name: "FUNCTION|HELP", Arity: 2, Flags: "loading stale", Run: help},
	{Name: "FUNCTION|KILL", Arity: 2, Flags: "noscript allow_busy",
		Unknown: "whether a function was running (busy) when it arrived"},
	{Name: "FUNCTION|LIST", Arity: -2, Flags: "noscript",
		Unknown: "the order of Redis's library and function tables (hash tables), and libraries loaded before the capture began"},
	{Name: "FUNCTION|LOAD", Arity: -3, Flags: "write denyoom noscript", Run: functionLoad, Refs: functionRefs},
	{Name: "FUNCTION|RESTORE", Arity: -3, Flags: "write denyoom noscript",
		Run: functionRestore, Refs: functionRefs, Random: restoreRandom},
	{Name: "FUNCTION|STATS", Arity: 2, Flags: "noscript allow_busy",
		Unknown: "the libraries loaded before the capture began, and whether a function was running"},
})

const eFunctionNotFound = "-ERR Function not found\r\n"

const whyRestore = "the libraries in FUNCTION RESTORE's payload (a FUNCTION DUMP, which the model does not decode)"

// The pseudo namespaces of functions (keyed by lower-case name) and
// libraries (keyed by name).
const (
	functionNS = "@function"
	libraryNS  = "@library"
)

// A library is one library whose code the model knows.
type library struct {
	name string
	// body is the code after the shebang line (from its line feed on).
	body  string
	funcs []libFunction
	// stateful says why its calls' replies are unknown (libLoad).
	stateful string
	// clash: two of its functions' names differ only in case, which
	// Redis's table of functions (case-insensitive) cannot hold both of:
	// which one FCALL finds is not known, and deleting or replacing the
	// library makes Redis fail an assertion.
	clash bool
}

// funcState is what the model knows of the libraries. A name missing
// from libs (fns) is absent when libsClosed (fnsClosed), else unknown.
type funcState struct {
	libs                  map[string]libStatus // by library name (case-sensitive, as Redis's)
	fns                   map[string]fnStatus  // by function name in lower case (Redis's table ignores case)
	libsClosed, fnsClosed bool
}

// libStatus: lib set means the library exists with that code; unknown
// that it may exist; neither that it does not.
type libStatus struct {
	lib     *library
	unknown bool
}

// fnStatus: lib set means the function exists, as function idx of that
// library; unknown that it may exist; neither that it does not.
type fnStatus struct {
	lib     string
	idx     int
	unknown bool
}

func (f *funcState) copy() *funcState {
	c := &funcState{libsClosed: f.libsClosed, fnsClosed: f.fnsClosed,
		libs: make(map[string]libStatus, len(f.libs)), fns: make(map[string]fnStatus, len(f.fns))}
	for k, v := range f.libs {
		c.libs[k] = v
	}
	for k, v := range f.fns {
		c.fns[k] = v
	}
	return c
}

// Knowledge of a name.
const (
	absent = iota
	present
	unknownName
)

func (f *funcState) lib(name string) (int, *library) {
	if f == nil {
		return unknownName, nil
	}
	st, ok := f.libs[name]
	switch {
	case st.lib != nil:
		return present, st.lib
	case st.unknown, !ok && !f.libsClosed:
		return unknownName, nil
	}
	return absent, nil
}

// fn looks a function up as Redis's case-insensitive table does.
func (f *funcState) fn(name string) (int, *library, int) {
	if f == nil {
		return unknownName, nil, 0
	}
	st, ok := f.fns[strings.ToLower(name)]
	switch {
	case st.lib != "" && f.libs[st.lib].lib != nil:
		return present, f.libs[st.lib].lib, st.idx
	case st.unknown, !ok && !f.fnsClosed:
		return unknownName, nil, 0
	}
	return absent, nil, 0
}

// mutFuncs returns the state's libraries, owned by it.
func (s *State) mutFuncs() *funcState {
	switch {
	case s.funcs == nil:
		s.funcs = &funcState{libs: map[string]libStatus{}, fns: map[string]fnStatus{}}
	case s.sharedFuncs:
		s.funcs = s.funcs.copy()
	}
	s.sharedFuncs = false
	return s.funcs
}

func (f *funcState) setLib(name string, st libStatus) {
	if st.lib == nil && !st.unknown && f.libsClosed {
		delete(f.libs, name)
		return
	}
	f.libs[name] = st
}

func (f *funcState) setFn(name string, st fnStatus) {
	name = strings.ToLower(name)
	if st.lib == "" && !st.unknown && f.fnsClosed {
		delete(f.fns, name)
		return
	}
	f.fns[name] = st
}

// link adds a library and its functions.
func (f *funcState) link(l *library) {
	f.setLib(l.name, libStatus{lib: l})
	for i := len(l.funcs) - 1; i >= 0; i-- {
		// With a clash, the model's pick is the first; FCALL says
		// the reply is unknown.
		f.setFn(l.funcs[i].name, fnStatus{lib: l.name, idx: i})
	}
}

// unlink removes a library and its functions.
func (f *funcState) unlink(l *library) {
	f.setLib(l.name, libStatus{})
	for _, fn := range l.funcs {
		f.setFn(fn.name, fnStatus{})
	}
}

// forget makes every name unknown (after a request whose effect on the
// libraries the model cannot follow at all).
func (f *funcState) forget() {
	f.libs, f.fns = map[string]libStatus{}, map[string]fnStatus{}
	f.libsClosed, f.fnsClosed = false, false
}

// fingerprint renders the libraries canonically.
func (f *funcState) fingerprint(b *strings.Builder) {
	if f == nil {
		return
	}
	b.WriteString("functions " + strconv.FormatBool(f.libsClosed) + " " + strconv.FormatBool(f.fnsClosed) + "\n")
	for _, n := range sortedKeys(f.libs) {
		st := f.libs[n]
		switch {
		case st.lib != nil:
			b.WriteString("lib " + strconv.Quote(n) + " " + strconv.Quote(st.lib.body) + "\n")
		case st.unknown:
			b.WriteString("lib? " + strconv.Quote(n) + "\n")
		default:
			b.WriteString("lib- " + strconv.Quote(n) + "\n")
		}
	}
	for _, n := range sortedKeys(f.fns) {
		st := f.fns[n]
		switch {
		case st.lib != "":
			b.WriteString("fn " + strconv.Quote(n) + " " + strconv.Quote(st.lib) + " " + strconv.Itoa(st.idx) + "\n")
		case st.unknown:
			b.WriteString("fn? " + strconv.Quote(n) + "\n")
		default:
			b.WriteString("fn- " + strconv.Quote(n) + "\n")
		}
	}
}

// libraryMeta is functionExtractLibMetaData's result: the engine and the
// library's name from the shebang line, and the code after it.
type libraryMeta struct {
	engine, name, body string
}

// parseLibraryMeta reads a library's shebang line ("#!lua name=lib") as
// functionExtractLibMetaData does; errText is Redis's error.
func parseLibraryMeta(code string) (md libraryMeta, errText string) {
	if !strings.HasPrefix(code, "#!") {
		return md, "Missing library metadata"
	}
	// strchr: the first line feed before any NUL byte.
	end := strings.IndexAny(code, "\n\x00")
	if end < 0 || code[end] == 0 {
		return md, "Invalid library metadata"
	}
	parts, ok := SplitArgs(code[:end])
	if !ok || len(parts) == 0 {
		return md, "Invalid library metadata"
	}
	if len(parts[0]) > 2 {
		md.engine = parts[0][2:]
	}
	hasName := false
	for _, p := range parts[1:] {
		if len(p) >= 5 && !strings.Contains(p[:5], "\x00") && cEqual([]byte(p[:5]), "name=") {
			if hasName {
				return md, "Invalid metadata value, name argument was given multiple times"
			}
			md.name, hasName = p[5:], true
			continue
		}
		return md, "Invalid metadata value given: " + cutNUL(p)
	}
	if !hasName {
		return md, "Library name was not given"
	}
	md.body = code[end:]
	return md, ""
}

// cutNUL is s as C's string functions see it: up to its first NUL.
func cutNUL(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

func functionLoad(r *run) string {
	reply, _ := functionLoadWhy(r)
	return reply
}

// Why a FUNCTION LOAD's or DELETE's reply is unknown.
const (
	whyMaybeLibrary  = "a library of that name may exist, loaded before the capture began (or by a FUNCTION LOAD whose outcome the model does not know)"
	whyMaybeDeleted  = "the library may exist, loaded before the capture began (or by a FUNCTION LOAD whose outcome the model does not know)"
	whyMaybeClash    = "a function of the library may exist in another library, loaded before the capture began (or by a FUNCTION LOAD whose outcome the model does not know)"
	whyClashes       = "several of the library's functions exist in other libraries, and Redis names the first in its hash table's order"
	whyCaseClash     = "the library registered functions whose names differ only in case, and Redis fails an assertion removing it"
	whyEngineNUL     = "the engine's name holds a NUL byte, up to which Redis compares it with LUA: whether it finds the engine depends on its hash table"
	whyLineBreakText = "the error quotes the shebang's words, which hold a line break that Redis sends as it is"
)

// functionLoadWhy is FUNCTION LOAD [REPLACE] code (functionLoadCommand,
// functionsCreateWithLibraryCtx): the options, the metadata, the library
// name, the engine, an existing library of the name, the code's load,
// then clashes with other libraries' functions. For an unknown reply,
// why says what the model does not know.
func functionLoadWhy(r *run) (reply, why string) {
	a := r.args
	replace := false
	for _, opt := range a[:len(a)-1] {
		if !cEqual(opt, "REPLACE") {
			return errFmt("Unknown option given: " + string(cString(opt))), ""
		}
		replace = true
	}
	md, errText := parseLibraryMeta(string(a[len(a)-1]))
	if errText != "" {
		return loadError(errText)
	}
	if !validFunctionName(md.name) {
		return loadError("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
	}
	engineMaybe := false
	switch {
	case strings.Contains(md.engine, "\x00") && cEqual([]byte(md.engine), "lua"):
		// Redis compares up to the NUL byte but hashes the whole
		// name: it finds the engine only if the hashes share a bucket.
		engineMaybe, why = true, whyEngineNUL
	case !cEqual([]byte(md.engine), "lua") || strings.Contains(md.engine, "\x00"):
		return loadError("Engine '" + md.engine + "' not found")
	}
	fs := r.s.funcs
	libSt, old := fs.lib(md.name)
	if libSt == present && !replace {
		return loadError("Library '" + md.name + "' already exists")
	}
	if old != nil && old.clash {
		// Redis unlinks the library it replaces before loading the new
		// code, and unlinking this one fails an assertion (the server
		// stops: nothing after it is in the same capture).
		r.s.mutFuncs().unlink(old)
		return rUnknown, whyCaseClash
	}
	// maybeFail: Redis may have failed the load before what follows
	// (the library may exist, the engine may not be found).
	maybeFail := engineMaybe || libSt == unknownName && !replace
	if libSt == unknownName && !replace {
		why = whyMaybeLibrary
	}
	ld := loadLibrary(md.body)
	switch ld.outcome {
	case loadFailed:
		if ld.errText == "" {
			return rUnknown, ld.why
		}
		if maybeFail {
			return rUnknown, why
		}
		return loadError(ld.errText)
	case loadLost:
		f := r.s.mutFuncs()
		if old != nil {
			for _, fn := range old.funcs {
				f.setFn(fn.name, fnStatus{unknown: true})
			}
		}
		f.setLib(md.name, libStatus{unknown: true})
		// It may have registered any function.
		f.fnsClosed = false
		for n, st := range f.fns {
			if st.lib == "" && !st.unknown {
				delete(f.fns, n)
			}
		}
		return rUnknown, ld.why
	}
	// Clashes with the other libraries' functions: certain ones fail
	// the load; possible ones make its outcome unknown.
	certain, possible := 0, 0
	for _, fn := range ld.funcs {
		st, lib, _ := fs.fn(fn.name)
		switch {
		case st == present && !(replace && lib == old):
			certain++
		case st == unknownName:
			possible++
		}
	}
	if possible > 0 && why == "" {
		why = whyMaybeClash
	}
	if certain > 0 {
		// Redis names the first clash in its table's order, which is
		// known when there is only one.
		switch {
		case maybeFail:
			return rUnknown, why
		case certain > 1:
			return rUnknown, whyClashes
		case possible > 0:
			return rUnknown, whyMaybeClash
		}
		for _, fn := range ld.funcs {
			st, lib, _ := fs.fn(fn.name)
			if st == present && !(replace && lib == old) {
				return loadError("Function " + fn.name + " already exists")
			}
		}
	}
	l := &library{name: md.name, body: md.body, funcs: ld.funcs, stateful: ld.stateful}
	seen := map[string]bool{}
	for _, fn := range l.funcs {
		low := strings.ToLower(fn.name)
		l.clash = l.clash || seen[low]
		seen[low] = true
	}
	f := r.s.mutFuncs()
	if possible > 0 || maybeFail {
		// Either loaded, or nothing changed.
		if old != nil {
			for _, fn := range old.funcs {
				f.setFn(fn.name, fnStatus{unknown: true})
			}
		}
		f.setLib(md.name, libStatus{unknown: true})
		for _, fn := range l.funcs {
			f.setFn(fn.name, fnStatus{unknown: true})
		}
		return rUnknown, why
	}
	if old != nil {
		f.unlink(old)
	}
	f.link(l)
	return bulkString(md.name), ""
}

// loadError is addReplyErrorSds's reply for a FUNCTION LOAD error: the
// text as it is after "-ERR ", so a line break in it (from an escape in
// the shebang) breaks the protocol: unknown.
func loadError(text string) (string, string) {
	if strings.ContainsAny(text, "\r\n") {
		return rUnknown, whyLineBreakText
	}
	if strings.HasPrefix(text, "ERR ") {
		return errReply(text), ""
	}
	return errReply("ERR " + text), ""
}

func functionDelete(r *run) string {
	reply, _ := functionDeleteWhy(r)
	return reply
}

// functionDeleteWhy is FUNCTION DELETE library.
func functionDeleteWhy(r *run) (reply, why string) {
	name := string(r.args[0])
	st, lib := r.s.funcs.lib(name)
	switch st {
	case absent:
		return errReply("ERR Library not found"), ""
	case unknownName:
		// Whether it existed or not, it does not now; the functions it
		// may have held stay unknown.
		r.s.mutFuncs().setLib(name, libStatus{})
		return rUnknown, whyMaybeDeleted
	}
	r.s.mutFuncs().unlink(lib)
	if lib.clash {
		// Redis fails an assertion unlinking it (the server stops).
		return rUnknown, whyCaseClash
	}
	return rOK, ""
}

// FunctionWhy replays a FUNCTION LOAD or DELETE request on a copy of st
// and says why its reply is unknown ("" when it is known, or for any
// other request).
func FunctionWhy(st provenance.State, e *formats.Event) string {
	cmd := lookup(e.Op, e.Args)
	if cmd == nil || cmd.Name != "FUNCTION|LOAD" && cmd.Name != "FUNCTION|DELETE" || !cmd.arityOK(len(e.Args)+1) {
		return ""
	}
	s := Model{}.Clone(st).(*State)
	d, _ := dbIndex(e.NS)
	r := &run{s: s, e: e, d: d, now: e.Time / 1e6, op: e.Op, argv: argv(e), client: e.Client, cmd: cmd}
	r.args = r.argv[2:]
	var why string
	if cmd.Name == "FUNCTION|LOAD" {
		_, why = functionLoadWhy(r)
	} else {
		_, why = functionDeleteWhy(r)
	}
	return why
}

// functionFlush is FUNCTION FLUSH [ASYNC|SYNC]: every library goes.
func functionFlush(r *run) string {
	if len(r.argv) > 3 {
		return subSyntax(r.argv)
	}
	if !functionFlushOK(r.args) {
		return errReply("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
	}
	r.s.funcs = &funcState{libs: map[string]libStatus{}, fns: map[string]fnStatus{}, libsClosed: true, fnsClosed: true}
	r.s.sharedFuncs = false
	return rOK
}

func functionFlushOK(a [][]byte) bool {
	return len(a) == 0 || len(a) == 1 && (cEqual(a[0], "SYNC") || cEqual(a[0], "ASYNC"))
}

// functionRestore is FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]:
// the model does not decode the payload, so after it every library name
// is unknown.
func functionRestore(r *run) string {
	if len(r.argv) > 4 {
		return subSyntax(r.argv)
	}
	if len(r.args) == 2 {
		p := r.args[1]
		if !cEqual(p, "APPEND") && !cEqual(p, "REPLACE") && !cEqual(p, "FLUSH") {
			return errReply("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
		}
	}
	r.s.mutFuncs().forget()
	return rUnknown
}

// restoreRandom: a FUNCTION RESTORE whose arguments Redis accepts loads
// libraries the model does not know.
func restoreRandom(argv [][]byte) string {
	if len(argv) > 4 || len(argv) == 4 && !cEqual(argv[3], "APPEND") && !cEqual(argv[3], "REPLACE") && !cEqual(argv[3], "FLUSH") {
		return ""
	}
	return whyRestore
}

func fcallCmd(r *run) string { return fcallRequest(r).reply }

// whyMaybeFunction is why an FCALL of a function the model does not know
// has an unknown reply.
const whyMaybeFunction = "the function may exist in a library loaded before the capture began (or by a FUNCTION LOAD whose outcome the model does not know), whose code the log does not hold"

// fcallRequest runs FCALL or FCALL_RO (fcallCommandGeneric): the
// function, the key count, the read-only check, then the function.
func fcallRequest(r *run) evalOutcome {
	a := r.args
	name := string(a[0])
	st, lib, idx := r.s.funcs.fn(name)
	if !validFunctionName(name) {
		// No function has such a name; Redis's lookup compares names up
		// to a NUL byte (hashing the whole), so one may still match.
		st = absent
		if prefix := cutNUL(name); prefix != name && validFunctionName(prefix) {
			if pst, _, _ := r.s.funcs.fn(prefix); pst != absent {
				return evalOutcome{reply: rUnknown, why: "the function's name holds a NUL byte, up to which Redis's lookup may match another function"}
			}
		}
	}
	switch st {
	case absent:
		return evalOutcome{reply: eFunctionNotFound}
	case unknownName:
		return evalOutcome{reply: rUnknown, why: whyMaybeFunction}
	}
	numkeys, ok := parseInt(a[1])
	switch {
	case !ok:
		return evalOutcome{reply: errReply("ERR Bad number of keys provided")}
	case numkeys > int64(len(a)-2):
		return evalOutcome{reply: errReply("ERR Number of keys can't be greater than number of args")}
	case numkeys < 0:
		return evalOutcome{reply: errReply("ERR Number of keys can't be negative")}
	}
	if lib.clash {
		low := strings.ToLower(lib.funcs[idx].name)
		n := 0
		for _, f := range lib.funcs {
			if strings.ToLower(f.name) == low {
				n++
			}
		}
		if n > 1 {
			return evalOutcome{reply: rUnknown, why: "the library registered functions whose names differ only in case; which one Redis's table holds depends on its hash order"}
		}
	}
	ro := r.cmd.Name == "FCALL_RO"
	return runFunction(r.s, r.e, r.d, lib, idx, a[2:2+numkeys], a[2+numkeys:], ro)
}

// fcallRefs: an FCALL reads its function and the keys it declares (its
// writes are the [lua] lines after it).
func fcallRefs(e *formats.Event) []formats.Ref {
	a := e.Args
	if len(a) == 0 {
		return nil
	}
	var out []formats.Ref
	name := cutNUL(string(a[0]))
	if validFunctionName(name) {
		out = append(out, formats.Ref{NS: functionNS, Key: []byte(strings.ToLower(name)), Kind: formats.KindRead})
	}
	if len(a) < 2 {
		return out
	}
	n, ok := parseInt(a[1])
	if !ok || n < 0 || n > int64(len(a)-2) {
		return out
	}
	for _, k := range a[2 : 2+n] {
		out = append(out, formats.Ref{NS: e.NS, Key: k, Kind: formats.KindRead})
	}
	return out
}

// functionRefs: FUNCTION LOAD writes its library and the functions its
// code registers (every function when the model cannot tell which);
// DELETE writes its library; FLUSH resets every library and function,
// RESTORE may change any. A request Redis refuses before looking at the
// libraries refers to nothing.
func functionRefs(e *formats.Event) []formats.Ref {
	if len(e.Args) == 0 {
		return nil
	}
	a := e.Args[1:]
	switch optUpper(e.Args[0]) {
	case "LOAD":
		return loadRefs(a)
	case "DELETE":
		if len(a) == 1 {
			return []formats.Ref{{NS: libraryNS, Key: a[0], Kind: formats.KindWrite}}
		}
	case "FLUSH":
		if len(a) <= 1 && functionFlushOK(a) {
			return []formats.Ref{{NS: libraryNS, Kind: formats.KindReset}, {NS: functionNS, Kind: formats.KindReset}}
		}
	case "RESTORE":
		return []formats.Ref{{NS: libraryNS, Kind: formats.KindWrite}, {NS: functionNS, Kind: formats.KindWrite}}
	}
	return nil
}

// loadRefs are a FUNCTION LOAD's refs (a: its arguments after LOAD).
func loadRefs(a [][]byte) []formats.Ref {
	if len(a) == 0 {
		return nil
	}
	for _, opt := range a[:len(a)-1] {
		if !cEqual(opt, "REPLACE") {
			return nil
		}
	}
	md, errText := parseLibraryMeta(string(a[len(a)-1]))
	if errText != "" || !validFunctionName(md.name) || !cEqual([]byte(md.engine), "lua") {
		return nil
	}
	out := []formats.Ref{{NS: libraryNS, Key: []byte(md.name), Kind: formats.KindWrite}}
	ld := loadLibrary(md.body)
	switch ld.outcome {
	case loadLost:
		out = append(out, formats.Ref{NS: functionNS, Kind: formats.KindWrite})
	case loadOK:
		for _, f := range ld.funcs {
			out = append(out, formats.Ref{NS: functionNS, Key: []byte(strings.ToLower(f.name)), Kind: formats.KindWrite})
		}
	}
	return out
}

// loadedLibrary returns, for a FUNCTION LOAD that may define one of the
// tracked functions, its library's key: what happens to the library
// after the load (DELETE, LOAD REPLACE) up to the target decides whether
// the function still exists there.
func loadedLibrary(e *formats.Event, tracked map[nsKey]bool) (nsKey, bool) {
	if e.Op != "FUNCTION" || len(e.Args) == 0 || optUpper(e.Args[0]) != "LOAD" {
		return nsKey{}, false
	}
	var lib nsKey
	defines := false
	for _, r := range loadRefs(e.Args[1:]) {
		switch {
		case r.NS == libraryNS:
			lib = nsKey{ns: libraryNS, key: string(r.Key)}
		case r.NS == functionNS && (r.Key == nil || tracked[nsKey{ns: functionNS, key: string(r.Key)}]):
			defines = true
		}
	}
	return lib, defines && lib.key != ""
}
