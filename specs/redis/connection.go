package redis

import (
	"math"

	"github.com/wat-project/wat/formats"
)

// The connection commands. A connection's database is on every MONITOR
// line, so SELECT only checks its argument here.
var connectionCommands = inGroup("connection", []*Command{
	{Name: "AUTH", Arity: -2, Flags: "noscript loading stale fast no_auth allow_busy",
		Unknown: "the server's passwords (MONITOR prints AUTH's arguments as \"(redacted)\")"},
	{Name: "CLIENT|CACHING", Arity: 3, Flags: "noscript loading stale", Why: "client-side caching is not modelled"},
	{Name: "CLIENT|GETNAME", Arity: 2, Flags: "noscript loading stale", Run: clientGetname, Refs: connRefs},
	{Name: "CLIENT|GETREDIR", Arity: 2, Flags: "noscript loading stale", Why: "client-side caching is not modelled"},
	{Name: "CLIENT|HELP", Arity: 2, Flags: "loading stale", Run: help},
	{Name: "CLIENT|ID", Arity: 2, Flags: "noscript loading stale",
		Unknown: "the connection's id, which the server numbers as clients connect"},
	{Name: "CLIENT|INFO", Arity: 2, Flags: "noscript loading stale", Unknown: "the connection's id, age and buffers"},
	{Name: "CLIENT|KILL", Arity: -3, Flags: "admin noscript loading stale", Why: whyAdmin},
	{Name: "CLIENT|LIST", Arity: -2, Flags: "admin noscript loading stale", Why: whyAdmin},
	{Name: "CLIENT|NO-EVICT", Arity: 3, Flags: "admin noscript loading stale", Why: whyAdmin},
	{Name: "CLIENT|PAUSE", Arity: -3, Flags: "admin noscript loading stale", Why: whyAdmin},
	{Name: "CLIENT|REPLY", Arity: 3, Flags: "noscript loading stale", Why: "CLIENT REPLY (replies turned off) is not modelled"},
	{Name: "CLIENT|SETNAME", Arity: 3, Flags: "noscript loading stale", Run: clientSetname, Refs: connRefs},
	{Name: "CLIENT|TRACKING", Arity: -3, Flags: "noscript loading stale", Why: "client-side caching is not modelled"},
	{Name: "CLIENT|TRACKINGINFO", Arity: 2, Flags: "noscript loading stale", Why: "client-side caching is not modelled"},
	{Name: "CLIENT|UNBLOCK", Arity: -3, Flags: "admin noscript loading stale", Why: whyAdmin},
	{Name: "CLIENT|UNPAUSE", Arity: 2, Flags: "admin noscript loading stale", Why: whyAdmin},
	{Name: "ECHO", Arity: 2, Flags: "loading stale fast", Run: func(r *run) string { return bulk(r.args[0]) }},
	{Name: "HELLO", Arity: -1, Flags: "noscript loading stale fast no_auth allow_busy", Run: hello, Refs: connRefs,
		Random: func([][]byte) string {
			return "the connection's id, which the server numbers as clients connect, and the server's version"
		}},
	{Name: "PING", Arity: -1, Flags: "fast", Run: ping, Refs: connRefs},
	{Name: "QUIT", Arity: -1, Flags: "noscript loading stale fast no_auth allow_busy", Run: quit, Refs: dropRefs},
	{Name: "RESET", Arity: 1, Flags: "noscript loading stale fast no_auth allow_busy", Run: reset, Refs: dropRefs},
	{Name: "SELECT", Arity: 2, Flags: "loading stale fast", Run: selectCmd,
		Refs: func(*formats.Event) []formats.Ref { return nil }},
})

func clientSetname(r *run) string {
	name := r.args[0]
	for _, c := range name {
		if c < '!' || c > '~' {
			return "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
		}
	}
	c := r.mutConn()
	c.name = string(name)
	return rOK
}

func clientGetname(r *run) string {
	if c := r.s.conns[r.client]; c != nil && c.name != "" {
		return bulkString(c.name)
	}
	return rNil
}

func ping(r *run) string {
	if len(r.args) > 1 {
		return eArity(r.op)
	}
	c := r.s.conns[r.client]
	if c != nil && c.resp != 3 && (len(c.subs) > 0 || len(c.psubs) > 0) {
		msg := ""
		if len(r.args) == 1 {
			msg = string(r.args[0])
		}
		return array([]string{bulkString("pong"), bulkString(msg)})
	}
	if len(r.args) == 1 {
		return bulk(r.args[0])
	}
	return "+PONG\r\n"
}

func selectCmd(r *run) string {
	t, ok := parseInt(r.args[0])
	if !ok || t < math.MinInt32 || t > math.MaxInt32 {
		return eNotInt
	}
	if t < 0 || t >= Databases {
		return eDBRange
	}
	return rOK
}

// hello answers HELLO: it switches the protocol and may name the
// connection; its reply holds the connection's id, which no log shows,
// so the model replies with a placeholder of its shape.
func hello(r *run) string {
	a := r.args
	ver := int64(0)
	if len(a) > 0 {
		v, ok := parseInt(a[0])
		if !ok {
			return "-ERR Protocol version is not an integer or out of range\r\n"
		}
		if v < 2 || v > 3 {
			return "-NOPROTO unsupported protocol version\r\n"
		}
		ver = v
	}
	var name []byte
	for j := 1; j < len(a); j++ {
		more := len(a) - j - 1
		switch {
		case cEqual(a[j], "AUTH") && more >= 2:
			j += 2
		case cEqual(a[j], "SETNAME") && more >= 1:
			j++
			name = a[j]
		default:
			return "-ERR Syntax error in HELLO option '" + string(a[j]) + "'\r\n"
		}
	}
	c := r.mutConn()
	if name != nil {
		c.name = string(name)
	}
	if ver != 0 {
		c.resp = int(ver)
	}
	return rUnknown
}

func quit(r *run) string {
	r.dropConn()
	return rOK
}

func reset(r *run) string {
	r.dropConn()
	return status("RESET")
}

// dropConn forgets a connection's state: QUIT closes it, RESET makes it
// as new.
func (r *run) dropConn() {
	if r.s.conns[r.client] != nil {
		delete(r.s.conns, r.client)
	}
	r.s.unblock(r.client)
}

// dropRefs indexes QUIT and RESET: they end the connection's state,
// its subscriptions included.
func dropRefs(e *formats.Event) []formats.Ref {
	return append(connRefs(e), formats.Ref{NS: channelNS, Kind: formats.KindWrite},
		formats.Ref{NS: shardNS, Kind: formats.KindWrite}, formats.Ref{NS: patternNS, Key: []byte{}, Kind: formats.KindWrite})
}
