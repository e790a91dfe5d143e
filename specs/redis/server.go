package redis

import (
	"math"
	"strconv"

	"github.com/wat-project/wat/formats"
)

// The server commands.
var serverCommands = inGroup("server", []*Command{
	{Name: "ACL|CAT", Arity: -2, Flags: "noscript loading stale", Unknown: "the server's ACL categories"},
	{Name: "ACL|DELUSER", Arity: -3, Flags: "admin noscript loading stale", Why: whyAdmin},
	{Name: "ACL|DRYRUN", Arity: -4, Flags: "admin noscript loading stale", Why: whyAdmin},
	{Name: "ACL|GENPASS", Arity: -2, Flags: "noscript loading stale", Unknown: "random bytes (ACL GENPASS)"},
	{Name: "ACL|GETUSER", Arity: 3, Flags: "admin noscript loading stale", Why: whyAdmin},
	{Name: "ACL|HELP", Arity: 2, Flags: "loading stale", Run: help},
	{Name: "ACL|LIST", Arity: 2, Flags: "admin noscript loading stale", Why: whyAdmin},
	{Name: "ACL|LOAD", Arity: 2, Flags: "admin noscript loading stale", Why: whyAdmin},
	{Name: "ACL|LOG", Arity: -2, Flags: "admin noscript loading stale", Why: whyAdmin},
	{Name: "ACL|SAVE", Arity: 2, Flags: "admin noscript loading stale", Why: whyAdmin},
	{Name: "ACL|SETUSER", Arity: -3, Flags: "admin noscript loading stale", Why: whyAdmin},
	{Name: "ACL|USERS", Arity: 2, Flags: "admin noscript loading stale", Why: whyAdmin},
	{Name: "ACL|WHOAMI", Arity: 2, Flags: "noscript loading stale", Unknown: "the user the connection authenticated as"},
	{Name: "BGREWRITEAOF", Arity: 1, Flags: "admin noscript no_async_loading", Why: whyAdmin},
	{Name: "BGSAVE", Arity: -1, Flags: "admin noscript no_async_loading", Why: whyAdmin},
	{Name: "COMMAND|COUNT", Arity: 2, Flags: "loading stale", Unknown: "the server's command table"},
	{Name: "COMMAND|DOCS", Arity: -2, Flags: "loading stale", Unknown: "the server's command table"},
	{Name: "COMMAND|GETKEYS", Arity: -4, Flags: "loading stale", Unknown: "the server's command table"},
	{Name: "COMMAND|GETKEYSANDFLAGS", Arity: -4, Flags: "loading stale", Unknown: "the server's command table"},
	{Name: "COMMAND|HELP", Arity: 2, Flags: "loading stale", Run: help},
	{Name: "COMMAND|INFO", Arity: -2, Flags: "loading stale", Unknown: "the server's command table"},
	{Name: "COMMAND|LIST", Arity: -2, Flags: "loading stale", Unknown: "the server's command table"},
	{Name: "CONFIG|GET", Arity: -3, Flags: "admin noscript loading stale", Why: whyAdmin},
	{Name: "CONFIG|HELP", Arity: 2, Flags: "loading stale", Run: help},
	{Name: "CONFIG|RESETSTAT", Arity: 2, Flags: "admin noscript loading stale", Why: whyAdmin},
	{Name: "CONFIG|REWRITE", Arity: 2, Flags: "admin noscript loading stale", Why: whyAdmin},
	{Name: "CONFIG|SET", Arity: -4, Flags: "admin noscript loading stale", Why: whyAdmin},
	{Name: "DBSIZE", Arity: 1, Flags: "readonly fast", Run: dbsize, Whole: true},
	{Name: "DEBUG", Arity: -2, Flags: "admin noscript loading stale", Why: whyAdmin},
	{Name: "FAILOVER", Arity: -1, Flags: "admin noscript stale", Why: whyAdmin},
	{Name: "FLUSHALL", Arity: -1, Flags: "write", Run: flush, Refs: flushRefs},
	{Name: "FLUSHDB", Arity: -1, Flags: "write", Run: flush, Refs: flushRefs},
	{Name: "INFO", Arity: -1, Flags: "loading stale", Unknown: "the server's runtime state (INFO)"},
	{Name: "LASTSAVE", Arity: 1, Flags: "loading stale fast", Unknown: "when the server last saved"},
	{Name: "LATENCY|DOCTOR", Arity: 2, Flags: "admin noscript loading stale", Why: whyAdmin},
	{Name: "LATENCY|GRAPH", Arity: 3, Flags: "admin noscript loading stale", Why: whyAdmin},
	{Name: "LATENCY|HELP", Arity: 2, Flags: "loading stale", Run: help},
	{Name: "LATENCY|HISTOGRAM", Arity: -2, Flags: "admin noscript loading stale", Why: whyAdmin},
	{Name: "LATENCY|HISTORY", Arity: 3, Flags: "admin noscript loading stale", Why: whyAdmin},
	{Name: "LATENCY|LATEST", Arity: 2, Flags: "admin noscript loading stale", Why: whyAdmin},
	{Name: "LATENCY|RESET", Arity: -2, Flags: "admin noscript loading stale", Why: whyAdmin},
	{Name: "LOLWUT", Arity: -1, Flags: "readonly fast", Unknown: "the server's version and random art"},
	{Name: "MEMORY|DOCTOR", Arity: 2, Flags: "", Unknown: "the server's memory"},
	{Name: "MEMORY|HELP", Arity: 2, Flags: "loading stale", Run: help},
	{Name: "MEMORY|MALLOC-STATS", Arity: 2, Flags: "", Unknown: "the server's memory"},
	{Name: "MEMORY|PURGE", Arity: 2, Flags: "", Unknown: "the server's memory"},
	{Name: "MEMORY|STATS", Arity: 2, Flags: "", Unknown: "the server's memory"},
	{Name: "MEMORY|USAGE", Arity: -3, Flags: "readonly", Keys: []KeySpec{keyAt(2, "RO")},
		Unknown: "the server's memory"},
	{Name: "MODULE|HELP", Arity: 2, Flags: "loading stale", Run: help},
	{Name: "MODULE|LIST", Arity: 2, Flags: "admin noscript", Why: whyAdmin},
	{Name: "MODULE|LOAD", Arity: -3, Flags: "admin noscript no_async_loading", Why: whyAdmin},
	{Name: "MODULE|LOADEX", Arity: -3, Flags: "admin noscript no_async_loading", Why: whyAdmin},
	{Name: "MODULE|UNLOAD", Arity: 3, Flags: "admin noscript no_async_loading", Why: whyAdmin},
	{Name: "MONITOR", Arity: 1, Flags: "admin noscript loading stale", Why: whyAdmin},
	{Name: "PSYNC", Arity: -3, Flags: "admin noscript no_async_loading no_multi", Why: whyAdmin},
	{Name: "REPLCONF", Arity: -1, Flags: "admin noscript loading stale allow_busy", Why: whyAdmin},
	{Name: "REPLICAOF", Arity: 3, Flags: "admin noscript stale no_async_loading", Why: whyAdmin},
	{Name: "RESTORE-ASKING", Arity: -4, Flags: "write denyoom asking",
		Keys: key1("OW update"),
		Why:  "RESTORE's serialized values (RDB format) are not modelled"},
	{Name: "ROLE", Arity: 1, Flags: "noscript loading stale fast", Unknown: "the server's replication role"},
	{Name: "SAVE", Arity: 1, Flags: "admin noscript no_async_loading no_multi", Why: whyAdmin},
	{Name: "SHUTDOWN", Arity: -1, Flags: "admin noscript loading stale no_multi allow_busy", Why: whyAdmin},
	{Name: "SLAVEOF", Arity: 3, Flags: "admin noscript stale no_async_loading", Why: whyAdmin},
	{Name: "SLOWLOG|GET", Arity: -2, Flags: "admin loading stale", Why: whyAdmin},
	{Name: "SLOWLOG|HELP", Arity: 2, Flags: "loading stale", Run: help},
	{Name: "SLOWLOG|LEN", Arity: 2, Flags: "admin loading stale", Why: whyAdmin},
	{Name: "SLOWLOG|RESET", Arity: 2, Flags: "admin loading stale", Why: whyAdmin},
	{Name: "SWAPDB", Arity: 3, Flags: "write fast", Run: swapdb, Refs: swapdbRefs},
	{Name: "SYNC", Arity: 1, Flags: "admin noscript no_async_loading no_multi", Why: whyAdmin},
	{Name: "TIME", Arity: 1, Flags: "loading stale fast", Unknown: "the server's clock"},
})

func dbsize(r *run) string {
	var n int64
	for k := range r.s.dbs[r.d] {
		if r.get([]byte(k)) != nil {
			n++
		}
	}
	return integer(n)
}

// flushKind is what FLUSHDB and FLUSHALL do to every key: a reset, unless
// their arguments make them an error.
func flushKind(a [][]byte) int {
	if len(a) == 0 || (len(a) == 1 && (cEqual(a[0], "ASYNC") || cEqual(a[0], "SYNC"))) {
		return formats.KindReset
	}
	return formats.KindWrite
}

func flushRefs(e *formats.Event) []formats.Ref {
	ns := e.NS
	if e.Op == "FLUSHALL" {
		ns = formats.AllNS
	}
	return []formats.Ref{{NS: ns, Kind: flushKind(e.Args)}}
}

func flush(r *run) string {
	a := r.args
	if len(a) > 1 || (len(a) == 1 && !cEqual(a[0], "ASYNC") && !cEqual(a[0], "SYNC")) {
		return eSyntax
	}
	dbs := []int{r.d}
	if r.op == "FLUSHALL" {
		dbs = dbs[:0]
		for i := range r.s.dbs {
			dbs = append(dbs, i)
		}
	}
	for _, i := range dbs {
		for k := range r.s.dbs[i] {
			r.delIn(i, []byte(k))
		}
		r.s.dbs[i] = nil
	}
	return rOK
}

func swapdbRefs(e *formats.Event) []formats.Ref {
	if len(e.Args) != 2 {
		return nil
	}
	x, ok1 := dbIndex(string(e.Args[0]))
	y, ok2 := dbIndex(string(e.Args[1]))
	if !ok1 || !ok2 || x == y {
		return nil
	}
	return []formats.Ref{{NS: strconv.Itoa(x), Kind: formats.KindWrite}, {NS: strconv.Itoa(y), Kind: formats.KindWrite}}
}

func swapdb(r *run) string {
	a := r.args
	x, ok1 := parseInt(a[0])
	if !ok1 || x < math.MinInt32 || x > math.MaxInt32 {
		return "-ERR invalid first DB index\r\n"
	}
	y, ok2 := parseInt(a[1])
	if !ok2 || y < math.MinInt32 || y > math.MaxInt32 {
		return "-ERR invalid second DB index\r\n"
	}
	if x < 0 || x >= Databases || y < 0 || y >= Databases {
		return eDBRange
	}
	// Watched keys that exist in either database change.
	for _, i := range []int{int(x), int(y)} {
		for k := range r.s.dbs[i] {
			r.modified(int(x), []byte(k))
			r.modified(int(y), []byte(k))
		}
	}
	r.s.dbs[x], r.s.dbs[y] = r.s.dbs[y], r.s.dbs[x]
	// Redis then looks for keys clients wait on in both databases
	// (scanDatabaseForReadyKeys).
	for _, i := range []int{int(x), int(y)} {
		for k, v := range r.s.dbs[i] {
			if v.typ == tList || v.typ == tZSet || v.typ == tStream {
				r.ready(i, []byte(k))
			}
		}
	}
	return rOK
}
