package redis

import (
	"sort"

	"github.com/wat-project/wat/formats"
)

// The pub/sub commands. Subscriptions are per connection: the model keeps
// each client's channels, patterns (in the order subscribed, as Redis's
// list) and shard channels, and PUBLISH counts the receivers the log
// shows. A connection that closed without QUIT or RESET leaves no line:
// its subscriptions are still counted.
var pubsubCommands = inGroup("pubsub", []*Command{
	{Name: "PSUBSCRIBE", Arity: -2, Flags: "pubsub noscript loading stale", Run: psubscribe, Refs: patternRefs},
	{Name: "PUBLISH", Arity: 3, Flags: "pubsub loading stale fast", Run: publish, Refs: publishRefs},
	{Name: "PUBSUB|CHANNELS", Arity: -2, Flags: "pubsub loading stale", Run: pubsubChannels,
		Refs: func(e *formats.Event) []formats.Ref { return []formats.Ref{{NS: channelNS, Kind: formats.KindRead}} }},
	{Name: "PUBSUB|HELP", Arity: 2, Flags: "loading stale", Run: help},
	{Name: "PUBSUB|NUMPAT", Arity: 2, Flags: "pubsub loading stale", Run: pubsubNumpat,
		Refs: func(e *formats.Event) []formats.Ref {
			return []formats.Ref{{NS: patternNS, Key: []byte{}, Kind: formats.KindRead}}
		}},
	{Name: "PUBSUB|NUMSUB", Arity: -2, Flags: "pubsub loading stale", Run: pubsubNumsub, Refs: numsubRefs},
	{Name: "PUBSUB|SHARDCHANNELS", Arity: -2, Flags: "pubsub loading stale", Run: pubsubChannels,
		Refs: func(e *formats.Event) []formats.Ref { return []formats.Ref{{NS: shardNS, Kind: formats.KindRead}} }},
	{Name: "PUBSUB|SHARDNUMSUB", Arity: -2, Flags: "pubsub loading stale", Run: pubsubNumsub, Refs: numsubRefs},
	{Name: "PUNSUBSCRIBE", Arity: -1, Flags: "pubsub noscript loading stale", Run: punsubscribe, Refs: patternRefs},
	{Name: "SPUBLISH", Arity: 3, Flags: "pubsub loading stale fast",
		Keys: key1("not_key"), Run: publish, Refs: publishRefs},
	{Name: "SSUBSCRIBE", Arity: -2, Flags: "pubsub noscript loading stale",
		Keys: []KeySpec{keysFrom(1, "not_key")}, Run: subscribe, Refs: channelRefs},
	{Name: "SUBSCRIBE", Arity: -2, Flags: "pubsub noscript loading stale", Run: subscribe, Refs: channelRefs},
	{Name: "SUNSUBSCRIBE", Arity: -1, Flags: "pubsub noscript loading stale",
		Keys: []KeySpec{keysFrom(1, "not_key")}, Run: unsubscribe, Refs: channelRefs},
	{Name: "UNSUBSCRIBE", Arity: -1, Flags: "pubsub noscript loading stale", Run: unsubscribe, Refs: channelRefs},
})

// The index's namespaces for subscriptions: channels and shard channels
// by name, and all pattern subscriptions under one key.
const (
	channelNS = "@channel"
	shardNS   = "@shardchannel"
	patternNS = "@pattern"
)

func isShard(op string) bool { return op[0] == 'S' && op != "SUBSCRIBE" }

// channelRefs indexes a (un)subscription under its channels; without
// channels it touches all of the client's, so every channel.
func channelRefs(e *formats.Event) []formats.Ref {
	ns := channelNS
	if isShard(e.Op) {
		ns = shardNS
	}
	out := connRefs(e)
	if len(e.Args) == 0 {
		return append(out, formats.Ref{NS: ns, Kind: formats.KindWrite})
	}
	for _, ch := range e.Args {
		out = append(out, formats.Ref{NS: ns, Key: ch, Kind: formats.KindWrite})
	}
	return out
}

func patternRefs(e *formats.Event) []formats.Ref {
	return append(connRefs(e), formats.Ref{NS: patternNS, Key: []byte{}, Kind: formats.KindWrite})
}

func publishRefs(e *formats.Event) []formats.Ref {
	if len(e.Args) == 0 {
		return nil
	}
	if e.Op == "SPUBLISH" {
		return []formats.Ref{{NS: shardNS, Key: e.Args[0], Kind: formats.KindRead}}
	}
	return []formats.Ref{{NS: channelNS, Key: e.Args[0], Kind: formats.KindRead}, {NS: patternNS, Key: []byte{}, Kind: formats.KindRead}}
}

func numsubRefs(e *formats.Event) []formats.Ref {
	ns := channelNS
	if e.Op == "PUBSUB" && len(e.Args) > 0 && cEqual(e.Args[0], "SHARDNUMSUB") {
		ns = shardNS
	}
	var out []formats.Ref
	for _, ch := range e.Args[1:] {
		out = append(out, formats.Ref{NS: ns, Key: ch, Kind: formats.KindRead})
	}
	return out
}

// subscriptions counts a client's channels and patterns (shard channels
// apart), as the (un)subscribe replies do.
func (c *conn) subscriptions(shard bool) int64 {
	if c == nil {
		return 0
	}
	if shard {
		return int64(len(c.ssubs))
	}
	return int64(len(c.subs) + len(c.psubs))
}

func pubsubReply(kind string, name []byte, count int64) string {
	n := rNil
	if name != nil {
		n = bulk(name)
	}
	return array([]string{bulkString(kind), n, integer(count)})
}

func subscribe(r *run) string {
	shard := isShard(r.op)
	c := r.mutConn()
	var out string
	for _, ch := range r.args {
		if shard {
			if c.ssubs == nil {
				c.ssubs = map[string]bool{}
			}
			c.ssubs[string(ch)] = true
			out += pubsubReply("ssubscribe", ch, c.subscriptions(true))
			continue
		}
		if c.subs == nil {
			c.subs = map[string]bool{}
		}
		c.subs[string(ch)] = true
		out += pubsubReply("subscribe", ch, c.subscriptions(false))
	}
	return out
}

func unsubscribe(r *run) string {
	shard := isShard(r.op)
	kind := "unsubscribe"
	if shard {
		kind = "sunsubscribe"
	}
	c := r.mutConn()
	set := &c.subs
	if shard {
		set = &c.ssubs
	}
	chans := r.args
	unknownOrder := false
	if len(chans) == 0 {
		for ch := range *set {
			chans = append(chans, []byte(ch))
		}
		sort.Slice(chans, func(i, j int) bool { return string(chans[i]) < string(chans[j]) })
		unknownOrder = len(chans) > 1
		if len(chans) == 0 {
			return pubsubReply(kind, nil, c.subscriptions(shard))
		}
	}
	var out string
	for _, ch := range chans {
		delete(*set, string(ch))
		out += pubsubReply(kind, ch, c.subscriptions(shard))
	}
	if unknownOrder {
		// The client's channels are a hash table: Redis unsubscribes them
		// in its order, and each reply counts down.
		return rUnknownOrderUnsub
	}
	return out
}

// rUnknownOrderUnsub is UNSUBSCRIBE's output when it leaves several
// channels in the order of the client's hash table, which the log does
// not show.
const rUnknownOrderUnsub = "\x00unsubscribe order unknown\r\n"

func psubscribe(r *run) string {
	c := r.mutConn()
	var out string
	for _, p := range r.args {
		have := false
		for _, x := range c.psubs {
			have = have || x == string(p)
		}
		if !have {
			c.psubs = append(c.psubs, string(p))
		}
		out += pubsubReply("psubscribe", p, c.subscriptions(false))
	}
	return out
}

func punsubscribe(r *run) string {
	c := r.mutConn()
	pats := r.args
	if len(pats) == 0 {
		for _, p := range c.psubs {
			pats = append(pats, []byte(p))
		}
		if len(pats) == 0 {
			return pubsubReply("punsubscribe", nil, c.subscriptions(false))
		}
	}
	var out string
	for _, p := range pats {
		kept := c.psubs[:0:0]
		for _, x := range c.psubs {
			if x != string(p) {
				kept = append(kept, x)
			}
		}
		c.psubs = kept
		out += pubsubReply("punsubscribe", p, c.subscriptions(false))
	}
	return out
}

func publish(r *run) string {
	ch := r.args[0]
	var n int64
	for _, c := range r.s.conns {
		if r.op == "SPUBLISH" {
			if c.ssubs[string(ch)] {
				n++
			}
			continue
		}
		if c.subs[string(ch)] {
			n++
		}
		for _, p := range c.psubs {
			if globMatch([]byte(p), ch, false) {
				n++
			}
		}
	}
	return integer(n)
}

func pubsubChannels(r *run) string {
	if len(r.args) > 1 {
		return "-ERR Unknown subcommand or wrong number of arguments for '" + string(r.argv[1]) + "'. Try PUBSUB HELP.\r\n"
	}
	shard := cEqual(r.argv[1], "SHARDCHANNELS")
	active := map[string]bool{}
	for _, c := range r.s.conns {
		set := c.subs
		if shard {
			set = c.ssubs
		}
		for ch := range set {
			if len(r.args) == 0 || globMatch(r.args[0], []byte(ch), false) {
				active[ch] = true
			}
		}
	}
	names := sortedKeys(active)
	items := make([]string, len(names))
	for i, ch := range names {
		items[i] = bulkString(ch)
	}
	return listing(items, 1)
}

func pubsubNumsub(r *run) string {
	shard := cEqual(r.argv[1], "SHARDNUMSUB")
	var items []string
	for _, ch := range r.args {
		var n int64
		for _, c := range r.s.conns {
			set := c.subs
			if shard {
				set = c.ssubs
			}
			if set[string(ch)] {
				n++
			}
		}
		items = append(items, bulk(ch), integer(n))
	}
	return array(items)
}

func pubsubNumpat(r *run) string {
	pats := map[string]bool{}
	for _, c := range r.s.conns {
		for _, p := range c.psubs {
			pats[p] = true
		}
	}
	return integer(int64(len(pats)))
}
