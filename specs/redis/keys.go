package redis

import (
	"bytes"
	"math"
	"sort"
	"strconv"

	"github.com/wat-project/wat/formats"
)

// The generic (key space) commands.
var genericCommands = inGroup("generic", []*Command{
	{Name: "COPY", Arity: -3, Flags: "write denyoom", Keys: []KeySpec{keyAt(1, "RO access"), keyAt(2, "OW update")},
		Run: copyCmd, Refs: copyRefs},
	{Name: "DEL", Arity: -2, Flags: "write", Keys: []KeySpec{keysFrom(1, "RM delete")},
		Run: del, Resets: always},
	{Name: "DUMP", Arity: 2, Flags: "readonly", Keys: key1("RO access"),
		Why: "DUMP's serialization (RDB format and checksum) is not modelled"},
	{Name: "EXISTS", Arity: -2, Flags: "readonly fast",
		Keys: []KeySpec{keysFrom(1, "RO")}, Run: exists},
	{Name: "EXPIRE", Arity: -3, Flags: "write fast", Keys: key1("RW update"), Run: expire},
	{Name: "EXPIREAT", Arity: -3, Flags: "write fast", Keys: key1("RW update"), Run: expire},
	{Name: "EXPIRETIME", Arity: 2, Flags: "readonly fast", Keys: key1("RO access"), Run: ttl},
	{Name: "KEYS", Arity: 2, Flags: "readonly", Run: keysCmd, Whole: true},
	{Name: "MIGRATE", Arity: -6, Flags: "write movablekeys",
		Keys: []KeySpec{keyAt(3, "RW access delete"), {Flags: "RW access delete incomplete", Begin: Keyword("KEYS", -2), Find: Range(-1, 1, 0)}},
		Why:  "MIGRATE moves keys to another server"},
	{Name: "MOVE", Arity: 3, Flags: "write fast", Keys: key1("RW access update"), Run: move, Refs: moveRefs},
	{Name: "OBJECT|ENCODING", Arity: 3, Flags: "readonly", Keys: []KeySpec{keyAt(2, "RO")},
		Why: "object encodings are not modelled"},
	{Name: "OBJECT|FREQ", Arity: 3, Flags: "readonly", Keys: []KeySpec{keyAt(2, "RO")},
		Why: "access frequencies (LFU) are the server's, not the log's"},
	{Name: "OBJECT|HELP", Arity: 2, Flags: "loading stale", Run: help},
	{Name: "OBJECT|IDLETIME", Arity: 3, Flags: "readonly", Keys: []KeySpec{keyAt(2, "RO")},
		Why: "idle times (LRU clock) are the server's, not the log's"},
	{Name: "OBJECT|REFCOUNT", Arity: 3, Flags: "readonly", Keys: []KeySpec{keyAt(2, "RO")},
		Why: "reference counts are the server's, not the log's"},
	{Name: "PERSIST", Arity: 2, Flags: "write fast", Keys: key1("RW update"), Run: persist},
	{Name: "PEXPIRE", Arity: -3, Flags: "write fast", Keys: key1("RW update"), Run: expire},
	{Name: "PEXPIREAT", Arity: -3, Flags: "write fast", Keys: key1("RW update"), Run: expire},
	{Name: "PEXPIRETIME", Arity: 2, Flags: "readonly fast", Keys: key1("RO access"), Run: ttl},
	{Name: "PTTL", Arity: 2, Flags: "readonly fast", Keys: key1("RO access"), Run: ttl,
		Random: func([][]byte) string { return "the server's clock to the millisecond" }},
	{Name: "RANDOMKEY", Arity: 1, Flags: "readonly", Unknown: "a random pick (RANDOMKEY)"},
	{Name: "RENAME", Arity: 3, Flags: "write", Keys: []KeySpec{keyAt(1, "RW access delete"), keyAt(2, "OW update")},
		Run: rename, Resets: renameResets},
	{Name: "RENAMENX", Arity: 3, Flags: "write fast", Keys: []KeySpec{keyAt(1, "RW access delete"), keyAt(2, "OW insert")},
		Run: rename},
	{Name: "RESTORE", Arity: -4, Flags: "write denyoom", Keys: key1("OW update"),
		Why: "RESTORE's serialized values (RDB format) are not modelled"},
	{Name: "SCAN", Arity: -2, Flags: "readonly",
		Unknown: "the layout of the database's hash table, which SCAN's cursor walks"},
	{Name: "SORT", Arity: -2, Flags: "write denyoom movablekeys",
		Keys: []KeySpec{keyAt(1, "RO access"), {Flags: "RO access", Begin: unknownBegin, Find: unknownFind}, {Flags: "OW update", Begin: unknownBegin, Find: unknownFind}},
		Run:  sortCmd, Refs: sortKeyRefs, Unmodelled: sortUnmodelled, Why: whySortPattern, Unsure: whySort, Random: sortRandom},
	{Name: "SORT_RO", Arity: -2, Flags: "readonly movablekeys",
		Keys: []KeySpec{keyAt(1, "RO access"), {Flags: "RO access", Begin: unknownBegin, Find: unknownFind}},
		Run:  sortCmd, Refs: sortKeyRefs, Unmodelled: sortUnmodelled, Why: whySortPattern, Unsure: whySort},
	{Name: "TOUCH", Arity: -2, Flags: "readonly fast",
		Keys: []KeySpec{keysFrom(1, "RO")}, Run: exists},
	{Name: "TTL", Arity: 2, Flags: "readonly fast", Keys: key1("RO access"), Run: ttl},
	{Name: "TYPE", Arity: 2, Flags: "readonly fast", Keys: key1("RO"), Run: typeCmd},
	{Name: "UNLINK", Arity: -2, Flags: "write fast",
		Keys: []KeySpec{keysFrom(1, "RM delete")}, Run: del, Resets: always},
	{Name: "WAIT", Arity: 3, Flags: "noscript", Why: "WAIT counts replicas, which a MONITOR capture does not show"},
})

// always resets every key a command writes (DEL).
func always([][]byte, int) bool { return true }

func del(r *run) string {
	var c int64
	for _, k := range r.args {
		if r.del(k) {
			c++
		}
	}
	return integer(c)
}

func exists(r *run) string {
	var c int64
	for _, k := range r.args {
		if r.get(k) != nil {
			c++
		}
	}
	return integer(c)
}

func typeCmd(r *run) string {
	v := r.get(r.args[0])
	if v == nil {
		return "+none\r\n"
	}
	return status(typeNames[v.typ])
}

// renameResets: RENAME leaves its source missing whatever came before
// (moved away, or never there).
func renameResets(args [][]byte, pos int) bool {
	return pos == 1 && !bytes.Equal(args[0], args[1])
}

func rename(r *run) string {
	a := r.args
	nx := r.op == "RENAMENX"
	v := r.get(a[0])
	if v == nil {
		return eNoKey
	}
	if bytes.Equal(a[0], a[1]) {
		if nx {
			return rZero
		}
		return rOK
	}
	if r.get(a[1]) != nil && nx {
		return rZero
	}
	r.del(a[0])
	r.del(a[1]) // Redis deletes the destination, then adds it (dbAdd)
	r.set(a[1], v.copy(r.s))
	if nx {
		return rOne
	}
	return rOK
}

// copyDB returns the database COPY writes to.
func copyDB(e *formats.Event) string {
	for i := 2; i+1 < len(e.Args); i++ {
		if cEqual(e.Args[i], "DB") {
			if d, ok := dbIndex(string(e.Args[i+1])); ok {
				return strconv.Itoa(d)
			}
		}
	}
	return e.NS
}

func copyRefs(e *formats.Event) []formats.Ref {
	if len(e.Args) < 2 {
		return nil
	}
	return []formats.Ref{{NS: e.NS, Key: e.Args[0], Kind: formats.KindRead}, {NS: copyDB(e), Key: e.Args[1], Kind: formats.KindWrite}}
}

func copyCmd(r *run) string {
	a := r.args
	dst := r.d
	replace := false
	for i := 2; i < len(a); i++ {
		o := optUpper(a[i])
		switch {
		case o == "REPLACE":
			replace = true
		case o == "DB" && i+1 < len(a):
			t, ok := parseInt(a[i+1])
			if !ok || t < math.MinInt32 || t > math.MaxInt32 {
				return eNotInt
			}
			if t < 0 || t >= Databases {
				return eDBRange
			}
			dst = int(t)
			i++
		default:
			return eSyntax
		}
	}
	if dst == r.d && bytes.Equal(a[0], a[1]) {
		return eSame
	}
	v := r.get(a[0])
	if v == nil {
		return rZero
	}
	if r.getIn(dst, a[1]) != nil {
		if !replace {
			return rZero
		}
		r.delIn(dst, a[1]) // Redis deletes the destination, then adds it (dbAdd)
	}
	r.setIn(dst, a[1], v.copy(r.s))
	return rOne
}

func moveRefs(e *formats.Event) []formats.Ref {
	if len(e.Args) != 2 {
		return nil
	}
	out := []formats.Ref{{NS: e.NS, Key: e.Args[0], Kind: formats.KindWrite}}
	if d, ok := dbIndex(string(e.Args[1])); ok && strconv.Itoa(d) != e.NS {
		out = append(out, formats.Ref{NS: strconv.Itoa(d), Key: e.Args[0], Kind: formats.KindWrite})
	}
	return out
}

func move(r *run) string {
	a := r.args
	t, ok := parseInt(a[1])
	if !ok || t < math.MinInt32 || t > math.MaxInt32 {
		return eNotInt
	}
	if t < 0 || t >= Databases {
		return eDBRange
	}
	if int(t) == r.d {
		return eSame
	}
	v := r.get(a[0])
	if v == nil {
		return rZero
	}
	if r.getIn(int(t), a[0]) != nil {
		return rZero
	}
	r.del(a[0])
	r.setIn(int(t), a[0], v.copy(r.s))
	return rOne
}

func persist(r *run) string {
	v := r.get(r.args[0])
	if v == nil || v.expire == 0 {
		return rZero
	}
	v = r.mut(r.args[0], v)
	v.expire = 0
	return rOne
}

func expire(r *run) string {
	a := r.args
	flags, i := leadingFlags(a, 2, "nx", "xx", "gt", "lt")
	if i < len(a) {
		return "-ERR Unsupported option " + string(a[i]) + "\r\n"
	}
	nx, xx, gt, lt := flags["nx"], flags["xx"], flags["gt"], flags["lt"]
	if nx && (xx || gt || lt) {
		return "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"
	}
	if gt && lt {
		return "-ERR GT and LT options at the same time are not compatible\r\n"
	}
	t, ok := parseInt(a[1])
	if !ok {
		return eNotInt
	}
	if r.op == "EXPIRE" || r.op == "EXPIREAT" {
		if t > math.MaxInt64/1000 || t < math.MinInt64/1000 {
			return eExpire(r.op)
		}
		t *= 1000
	}
	if r.op == "EXPIRE" || r.op == "PEXPIRE" {
		if t > math.MaxInt64-r.now {
			return eExpire(r.op)
		}
		t += r.now
	}
	v := r.get(a[0])
	if v == nil {
		return rZero
	}
	cur := v.expire
	switch {
	case nx && cur != 0, xx && cur == 0, gt && (cur == 0 || t <= cur), lt && cur != 0 && t >= cur:
		return rZero
	}
	if t <= r.now {
		r.del(a[0])
		return rOne
	}
	v = r.mut(a[0], v)
	v.expire = t
	return rOne
}

// ttl answers TTL, PTTL, EXPIRETIME and PEXPIRETIME.
func ttl(r *run) string {
	v := r.get(r.args[0])
	if v == nil {
		return integer(-2)
	}
	if v.expire == 0 {
		return integer(-1)
	}
	switch r.op {
	case "TTL":
		left := v.expire - r.now
		if left < 0 {
			left = 0
		}
		return integer((left + 500) / 1000)
	case "PTTL":
		left := v.expire - r.now
		if left < 0 {
			left = 0
		}
		return integer(left)
	case "EXPIRETIME":
		return integer((v.expire + 500) / 1000)
	}
	return integer(v.expire)
}

func keysCmd(r *run) string {
	d := r.s.dbs[r.d]
	var out []string
	for k := range d {
		if r.getIn(r.d, []byte(k)) == nil {
			continue
		}
		if globMatch(r.args[0], []byte(k), false) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	items := make([]string, len(out))
	for i, k := range out {
		items[i] = bulkString(k)
	}
	// The database is a hash table: its order is not the log's.
	return listing(items, 1)
}

func help(*run) string { return rHelp }

// rHelp stands for the text of a HELP subcommand, which the model does
// not reproduce.
const rHelp = "\x00help text\r\n"

// GlobMatch reports whether s matches pattern as Redis's KEYS matches a
// key: * ? [...] [^...] ranges and \ escapes.
func GlobMatch(pattern, s []byte) bool { return globMatch(pattern, s, false) }

// globMatch is Redis's stringmatchlen: * ? [...] [^...] ranges and \
// escapes, optionally case-insensitive.
func globMatch(pat, s []byte, nocase bool) bool {
	for len(pat) > 0 {
		switch pat[0] {
		case '*':
			for len(pat) > 1 && pat[1] == '*' {
				pat = pat[1:]
			}
			if len(pat) == 1 {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if globMatch(pat[1:], s[i:], nocase) {
					return true
				}
			}
			return false
		case '?':
			if len(s) == 0 {
				return false
			}
			s = s[1:]
		case '[':
			if len(s) == 0 {
				return false
			}
			pat = pat[1:]
			not := len(pat) > 0 && pat[0] == '^'
			if not {
				pat = pat[1:]
			}
			match := false
			for {
				if len(pat) == 0 {
					break
				}
				if pat[0] == '\\' && len(pat) >= 2 {
					pat = pat[1:]
					if pat[0] == s[0] {
						match = true
					}
				} else if pat[0] == ']' {
					break
				} else if len(pat) >= 3 && pat[1] == '-' {
					lo, hi := pat[0], pat[2]
					if lo > hi {
						lo, hi = hi, lo
					}
					c := s[0]
					if nocase {
						lo, hi, c = lower(lo), lower(hi), lower(c)
					}
					if c >= lo && c <= hi {
						match = true
					}
					pat = pat[2:]
				} else if fold(pat[0], nocase) == fold(s[0], nocase) {
					match = true
				}
				pat = pat[1:]
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			s = s[1:]
			if len(pat) == 0 {
				return len(s) == 0
			}
		case '\\':
			if len(pat) >= 2 {
				pat = pat[1:]
			}
			fallthrough
		default:
			if len(s) == 0 || fold(pat[0], nocase) != fold(s[0], nocase) {
				return false
			}
			s = s[1:]
		}
		pat = pat[1:]
		if len(s) == 0 {
			for len(pat) > 0 && pat[0] == '*' {
				pat = pat[1:]
			}
			break
		}
	}
	return len(pat) == 0 && len(s) == 0
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 32
	}
	return c
}

func fold(c byte, nocase bool) byte {
	if nocase {
		return lower(c)
	}
	return c
}
