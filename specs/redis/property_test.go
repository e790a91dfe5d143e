package redis_test

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/provenance/provenancetest"
	"github.com/wat-project/wat/specs/redis"
)

// A family generates random commands over tiny domains: two keys, a few
// values, two databases, two clients, so that values coincide as often
// as possible.
type family struct {
	name    string
	writes  []string
	targets []string
	// words gives the family's own placeholders (a score "s", a member
	// "m"), beside the shared k, v, n, f, d and c below.
	words map[string][]string
}

var (
	keys    = []string{"a", "b"}
	vals    = []string{"0", "1", "x", "", "10"}
	clients = []string{"127.0.0.1:1", "127.0.0.1:2"}
)

var families = []family{
	{name: "strings", writes: []string{
		"SET k v", "SET k v NX", "SET k v XX", "SET k v GET", "SET k v KEEPTTL", "SET k v EX 2", "SET k v PX 1500",
		"SETNX k v", "GETSET k v", "GETDEL k", "APPEND k v", "SETRANGE k 1 v", "INCR k", "INCRBY k n", "DECR k",
		"DECRBY k n", "INCRBYFLOAT k f", "DEL k", "SETEX k 2 v", "GETEX k EX 1", "GETEX k PERSIST", "MSET k v k v",
	}, targets: []string{"GET k", "STRLEN k", "GETRANGE k 0 0", "EXISTS k", "TYPE k", "INCR k", "APPEND k v", "SET k v GET", "SETNX k v", "GETDEL k"}},
	{name: "counters", writes: []string{"SET k n", "INCR k", "DECR k", "INCRBY k n", "DECRBY k n", "DEL k", "INCRBYFLOAT k f"},
		targets: []string{"GET k", "INCR k", "STRLEN k"}},
	{name: "keys", writes: []string{
		"SET k v", "DEL k k", "UNLINK k", "RENAME k k", "RENAMENX k k", "COPY k k", "COPY k k DB d REPLACE", "MOVE k d",
		"EXPIRE k 1", "PEXPIRE k 2500", "EXPIRE k 3 NX", "EXPIRE k 1 GT", "PERSIST k", "FLUSHDB", "FLUSHALL", "SWAPDB 0 1",
		"MSET k v k v", "MSETNX k v k v", "APPEND k v",
	}, targets: []string{"GET k", "MGET k k", "EXISTS k k", "TYPE k", "RENAME k k", "MOVE k d", "DEL k", "TTL k", "EXPIRETIME k", "DBSIZE", "KEYS *"}},
	{name: "hashes", writes: []string{"HSET k f v", "HSET k f v f v", "HSETNX k f v", "HDEL k f", "HINCRBY k f n", "HINCRBYFLOAT k f f", "DEL k", "SET k v"},
		targets: []string{"HGET k f", "HMGET k f f", "HGETALL k", "HKEYS k", "HVALS k", "HLEN k", "HEXISTS k f", "HINCRBY k f n", "HSTRLEN k f", "HSCAN k 0"}},
	// Hash fields alone: the histories where HSET and HDEL cut a field's
	// history (other families' writes, mixed in, turn that off).
	{name: "hash fields", writes: []string{"HSET k f v", "HSET k f v f v", "HSET k f v f", "HDEL k f", "HDEL k f f", "HSETNX k f v", "HINCRBY k f n",
		"DEL k", "PERSIST k", "FLUSHDB"},
		targets: []string{"HGET k f", "HEXISTS k f", "HMGET k f f", "HSTRLEN k f"}},
	{name: "lists", writes: []string{"LPUSH k v", "RPUSH k v v", "LPOP k", "RPOP k", "RPOP k 2", "LSET k 0 v", "DEL k", "SET k v",
		"LPUSHX k v", "RPUSHX k v", "LINSERT k BEFORE v v", "LREM k 0 v", "LREM k -1 v", "LTRIM k 0 0", "LMOVE k k LEFT RIGHT", "RPOPLPUSH k k",
		"LMPOP 2 k k LEFT COUNT 2"},
		targets: []string{"LRANGE k 0 -1", "LLEN k", "LINDEX k 0", "LINDEX k -1", "LPOP k", "LPOS k v", "LPOS k v COUNT 0", "RPOPLPUSH k k"}},
	// Lists used as queues: pushes at one end, pops at the other, jobs
	// mostly distinct (the histories Model.Closed answers for at once,
	// which the limit-1 variant reaches).
	{name: "queues", words: map[string][]string{"j": {"j1", "j2", "j3", "j4", "j5", "j6", "j7", "j1"}},
		writes:  []string{"LPUSH k j", "LPUSH k j", "RPOP k", "RPOP k", "RPUSH k j", "LPOP k", "LPUSH k j j", "RPOP k 2"},
		targets: []string{"RPOP k", "RPOP k", "LPOP k"}},
	{name: "sets", writes: []string{"SADD k v", "SADD k v v", "SREM k v", "DEL k", "SET k v", "RENAME k k", "SMOVE k k v",
		"SUNIONSTORE k k k", "SINTERSTORE k k k", "SDIFFSTORE k k k"},
		targets: []string{"SMEMBERS k", "SISMEMBER k v", "SMISMEMBER k v v", "SCARD k", "SADD k v", "SUNION k k", "SINTER k k", "SDIFF k k", "SINTERCARD 2 k k", "SSCAN k 0"}},
	// Members and fields alone: the histories where a request that names
	// some parts is explained from the calls on those parts
	// (memberSlice; SPOP, EXPIRE, SMOVE and SWAPDB, and other families'
	// writes mixed in, turn that off).
	{name: "set members", words: map[string][]string{"m": {"a", "b", "c"}},
		writes:  []string{"SADD k m", "SADD k m m", "SREM k m", "SREM k m m", "SADD lua k m", "SREM lua k m", "DEL k", "SISMEMBER k m", "SCARD k", "UNLINK k", "FLUSHDB", "SPOP k", "EXPIRE k 1", "SMOVE k k m", "SWAPDB 0 1"},
		targets: []string{"SADD k m", "SADD k m m", "SREM k m", "SISMEMBER k m", "SMISMEMBER k m m"}},
	{name: "hash members", words: map[string][]string{"m": {"a", "b", "c"}, "n": {"1", "x", "-1"}},
		writes: []string{"HSET k m v", "HSET k m v m v", "HSETNX k m v", "HDEL k m", "HDEL k m m", "HINCRBY k m n",
			"HINCRBYFLOAT k m f", "HSET lua k m v", "HDEL lua k m", "DEL k", "HGET k m", "HLEN k", "EXPIRE k 100", "EXPIRE k 2", "PEXPIRE k 900 GT"},
		targets: []string{"HSET k m v", "HSET k m v m v", "HSETNX k m v", "HDEL k m", "HGET k m", "HMGET k m m", "HEXISTS k m",
			"HSTRLEN k m", "HINCRBY k m n"}},
	// Sorted sets are not sliced (a score of -0 is kept or not by the
	// encoding, which other members decide): here a long member makes a
	// skiplist.
	{name: "zset members", words: map[string][]string{"m": {"a", "b", strings.Repeat("L", 65)}, "s": {"1", "-0", "1e400", "-1"}},
		writes: []string{"ZADD k s m", "ZADD k s m s m", "ZADD k NX s m", "ZADD k XX CH s m", "ZADD k GT s m", "ZINCRBY k s m",
			"ZREM k m", "ZREM k m m", "ZADD lua k s m", "DEL k", "ZCARD k"},
		targets: []string{"ZADD k s m", "ZADD k CH s m s m", "ZADD k INCR s m", "ZINCRBY k s m", "ZREM k m", "ZSCORE k m", "ZMSCORE k m m"}},
	// QUIT, RESET and calls Redis refuses for their arguments ("EXEC c
	// x") among the transactions: the calls that do and do not set the
	// MULTI flag whatever it was (multiFlagResets).
	// Keys that calls only make exist, whose existence the targets ask
	// (closedExists), with the calls that turn the rule off mixed in: an
	// expiry before the target, deletions, a creator of another type, a
	// refused HSET; and a write by a script, which counts like any other.
	{name: "existence", words: map[string][]string{"m": {"a", "b"}},
		writes: []string{"HSET k m v", "HSET k m v", "HSET k m v", "SADD k m", "SADD k m", "HMSET k m v", "PERSIST k", "EXPIRE k 100",
			"PEXPIREAT k 99999999999999", "EXPIRE k 100", "EXPIRE k 1", "EXPIRE k 1",
			"HSET k m", "HDEL k m", "HDEL k m m", "SREM k m", "HINCRBY k m 1", "HINCRBY k m x", "HSETNX k m v", "DEL k", "ZADD k 1 m",
			"HSET lua k m v", "EXPIRE k 100 NX"},
		targets: []string{"EXISTS k", "EXPIRE k 100", "PEXPIRE k 5", "EXPIREAT k 1", "DEL k", "UNLINK k", "EXISTS k k"}},
	// Streams whose existence is asked: XADD makes one whatever its id,
	// and XDEL or XTRIM leave it when they empty it.
	{name: "stream existence", words: map[string][]string{"i": {"*", "*", "1-1", "0-1"}, "m": {"0", "1", "NOMKSTREAM"}},
		writes: []string{"XADD k i f v", "XADD k MAXLEN m i f v", "XADD k m i f v", "XDEL k 1-1", "XTRIM k MAXLEN 0", "DEL k", "EXPIRE k 100",
			"EXPIRE k 1", "SADD k v"},
		targets: []string{"EXISTS k", "EXPIRE k 100", "DEL k"}},
	{name: "transactions", writes: []string{"MULTI c", "EXEC c", "DISCARD c", "WATCH c k", "UNWATCH c", "SET k v", "INCR k", "DEL k", "SADD k v", "GET k",
		"QUIT c", "RESET c", "PING c", "EXEC c x", "MULTI c x", "DISCARD c x", "SUBSCRIBE c k"},
		targets: []string{"EXEC c", "GET k", "MULTI c", "DISCARD c", "MULTI c", "DISCARD c"}},
	{name: "pubsub", words: map[string][]string{"h": {"a", "b"}, "p": {"a*", "*", "b", "[ab]"}},
		writes: []string{"SUBSCRIBE c h", "SUBSCRIBE c h h", "UNSUBSCRIBE c h", "UNSUBSCRIBE c", "PSUBSCRIBE c p", "PUNSUBSCRIBE c p",
			"PUNSUBSCRIBE c", "QUIT c", "RESET c", "SSUBSCRIBE c h", "SUNSUBSCRIBE c h"},
		targets: []string{"PUBLISH h v", "PUBSUB NUMSUB h h", "PUBSUB NUMPAT", "SUBSCRIBE c h", "PUNSUBSCRIBE c", "UNSUBSCRIBE c h",
			"SPUBLISH h v", "PING c"}},
	{name: "blocking", writes: []string{"BLPOP c k k 1", "BLPOP c k 0", "BRPOP c k 2", "LPUSH k v", "RPUSH k v v", "BLMOVE c k k LEFT RIGHT 0",
		"LPOP k", "DEL k", "MULTI c", "EXEC c", "BRPOPLPUSH c k k 1"},
		targets: []string{"LRANGE k 0 -1", "LLEN k", "BLPOP c k 0", "BRPOP c k k 1"}},
}

// TestSpecEqualsBruteForce is the referee: for thousands of random traces
// per family, the spec's witnesses must be exactly the definition's.
func TestSpecEqualsBruteForce(t *testing.T) { runFamilies(t, families) }

// word fills one placeholder of a template.
func word(r *rand.Rand, fam family, tmpl, w string) string {
	if ws, ok := fam.words[w]; ok {
		return ws[r.Intn(len(ws))]
	}
	switch w {
	case "k":
		return keys[r.Intn(len(keys))]
	case "v":
		return vals[r.Intn(len(vals))]
	case "n":
		return []string{"0", "1", "-1", "2"}[r.Intn(4)]
	case "f":
		if strings.HasPrefix(tmpl, "INCRBYFLOAT") || strings.HasPrefix(tmpl, "HINCRBYFLOAT") && r.Intn(2) == 0 {
			return []string{"0.5", "1", "-1.5", "1e1"}[r.Intn(4)]
		}
		return []string{"f", "g"}[r.Intn(2)]
	case "d":
		return []string{"0", "1"}[r.Intn(2)]
	}
	return w
}

// event makes a request of a template: its words filled in; "c" as the
// first word after the command picks its client (else a random one),
// "lua" makes it a script's call.
func event(r *rand.Rand, fam family, id int, tmpl string, t0 int64) *formats.Event {
	ws := strings.Fields(tmpl)
	e := &formats.Event{
		ID: int64(id), Source: "gen", Line: id, System: "redis",
		NS:     []string{"0", "0", "1"}[r.Intn(3)],
		Time:   t0 + int64(id)*700e6, // 0.7 s apart: TTLs of 1-3 s expire inside a trace
		Op:     ws[0],
		Client: clients[r.Intn(len(clients))],
	}
	rest := ws[1:]
	switch {
	case len(rest) > 0 && rest[0] == "c":
		rest = rest[1:]
	case len(rest) > 0 && rest[0] == "lua":
		e.Client, rest = "lua", rest[1:] // a script's call
	}
	for _, w := range rest {
		e.Args = append(e.Args, []byte(word(r, fam, tmpl, w)))
	}
	return e
}

// scaled is full, or short with -short: how much a test does.
func scaled(full, short int) int {
	if testing.Short() {
		return short
	}
	return full
}

// runFamilies checks each family on thousands of random traces.
func runFamilies(t *testing.T, fams []family) {
	for _, fam := range fams {
		t.Run(fam.name, func(t *testing.T) {
			referee(t, scaled(2000, 300), func(r *rand.Rand) ([]*formats.Event, *formats.Event) {
				return drawTrace(r, fam, r.Intn(11), 8, func(e *formats.Event) *formats.Event { return e })
			})
		})
	}
}

// drawTrace draws n requests of fam, one in every mixed of them (none
// when mixed is 0) of another family instead, and a target of fam; on
// changes fam's requests and the target.
func drawTrace(r *rand.Rand, fam family, n, mixed int, on func(*formats.Event) *formats.Event) ([]*formats.Event, *formats.Event) {
	const t0 = 1795535140000000000
	var trace []*formats.Event
	for i := 1; i <= n; i++ {
		if mixed > 0 && r.Intn(mixed) == 0 {
			other := families[r.Intn(len(families))]
			trace = append(trace, event(r, other, i, other.writes[r.Intn(len(other.writes))], t0))
			continue
		}
		trace = append(trace, on(event(r, fam, i, fam.writes[r.Intn(len(fam.writes))], t0)))
	}
	return trace, on(event(r, fam, n+1, fam.targets[r.Intn(len(fam.targets))], t0))
}

// referee checks the Redis spec against the brute force on seeds traces
// that draw makes, as refereed says.
func referee(t *testing.T, seeds int, draw func(r *rand.Rand) ([]*formats.Event, *formats.Event)) {
	t.Helper()
	provenancetest.Check(t, redis.Spec, refereed(seeds, draw))
}

// refereed is how every brute-force test of the Redis spec checks it:
// over the index ingest builds (TraceRefs), leaving a command that waits
// to TestWaitEqualsBruteForce, allowing a reply in a hash table's order
// (labelled), and with a limit so low that long stretches go through the
// forced-event reduction (or, when that is not enough, the labelled
// fallback).
func refereed(seeds int, trace func(r *rand.Rand) ([]*formats.Event, *formats.Event)) provenancetest.Options {
	return provenancetest.Options{
		Seeds: seeds,
		Trace: trace,
		History: func(trace []*formats.Event) provenance.History {
			h := &provenance.MemHistory{Events: trace, Refs: redis.TraceRefs(trace)}
			if len(trace)%2 == 0 {
				return unindexed{h} // half the traces as a store made before the part index
			}
			return h
		},
		Skip:     func(o provenance.Output) bool { return o == "\x00blocked\r\n" },
		Labelled: true,
		Variants: []provenance.Spec{lowLimit},
	}
}

var lowLimit = redis.New(redis.Options{Limit: 1})

// unindexed is a history whose writes were not indexed by part (a store
// with a file ingested before the part index): a member's or field's
// slice is then checked on the key's whole history.
type unindexed struct{ *provenance.MemHistory }

func (unindexed) PartsIndexed(context.Context) (bool, error) { return false, nil }

// positionsOf lists an explanation's witnesses as sorted positions (event
// IDs count from 1).
func positionsOf(x *provenance.Explanation) [][]int {
	ws, complete := x.Witnesses(1 << 16)
	if !complete {
		panic("too many witnesses")
	}
	got := [][]int{}
	for _, w := range ws {
		p := []int{}
		for _, e := range w {
			p = append(p, int(e.ID-1))
		}
		got = append(got, p)
	}
	provenance.SortWitnesses(got)
	return got
}

// hasNote reports whether a note of x says what.
func hasNote(x *provenance.Explanation, what string) bool {
	return strings.Contains(strings.Join(x.Notes, "\n"), what)
}

// dump prints a trace as MONITOR lines, ready to paste into testdata.
func dump(trace []*formats.Event, target *formats.Event) string {
	var b strings.Builder
	for i, e := range append(append([]*formats.Event(nil), trace...), target) {
		fmt.Fprintf(&b, "%d.%06d [%s %s] %q", e.Time/1e9, e.Time%1e9/1e3, e.NS, e.Client, e.Op)
		for _, a := range e.Args {
			fmt.Fprintf(&b, " %q", a)
		}
		if i == len(trace) {
			b.WriteString("   <- target")
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// streamWords are the stream families' placeholders: one key more
// often than the other, ids from a tiny domain so that they collide ("1"
// is 1-0 where a sequence may be missing, 1-1 ... 2-1), groups and
// consumers.
var streamWords = map[string][]string{
	"k": {"a", "a", "a", "b"},
	"i": {"1-1", "1-2", "2-0", "2-1", "1", "2"},
	"g": {"g", "g", "h"},
	"m": {"c1", "c2"},
}

// groupWords put the group families on one key, mostly one group, so
// that groups with pending entries build up.
var groupWords = map[string][]string{
	"k": {"a", "a", "a", "a", "a", "b"},
	"i": {"1-1", "1-2", "2-0", "2-1", "1", "2"},
	"g": {"g", "g", "g", "h"},
	"m": {"c1", "c2"},
}

var streamFamilies = []family{
	{name: "streams", words: streamWords, writes: []string{
		"XADD k i f v", "XADD k i f v", "XADD k i f v f v", "XADD k MAXLEN = 1 i f v", "XADD k NOMKSTREAM i f v",
		"XADD k MINID i i f v", "XADD k 2-* f v", "XADD k 1-* f v", "XDEL k i", "XDEL k i i", "XTRIM k MAXLEN n",
		"XTRIM k MINID = i", "XSETID k i", "XSETID k i ENTRIESADDED n MAXDELETEDID i", "DEL k",
	}, targets: []string{
		"XRANGE k - +", "XRANGE k i + COUNT n", "XREVRANGE k + i", "XREVRANGE k + - COUNT 1", "XRANGE k (i +", "XLEN k",
		"XADD k i f v", "XDEL k i", "XTRIM k MAXLEN 1", "XSETID k i", "XREAD STREAMS k i", "XREAD COUNT 1 STREAMS k k i i",
	}},
	{name: "stream groups", words: groupWords, writes: []string{
		"XADD k i f v", "XADD k i f v", "XADD k i f v", "XGROUP CREATE k g i MKSTREAM", "XGROUP CREATE k g 0 MKSTREAM",
		"XGROUP CREATE k g 0 MKSTREAM", "XGROUP CREATE k g 0 MKSTREAM", "XREADGROUP GROUP g m STREAMS k >",
		"XGROUP CREATE k g $", "XREADGROUP GROUP g m COUNT 1 STREAMS k >", "XREADGROUP GROUP g m STREAMS k >",
		"XREADGROUP GROUP g m STREAMS k >", "XREADGROUP GROUP g m NOACK STREAMS k >", "XREADGROUP GROUP g m STREAMS k 0",
		"XACK k g i", "XACK k g i i", "XCLAIM k g m 0 i", "XCLAIM k g m 0 i FORCE JUSTID", "XCLAIM k g m 0 i LASTID i",
		"XAUTOCLAIM k g m 0 - COUNT 1", "XGROUP SETID k g i", "XGROUP SETID k g $ ENTRIESREAD 1", "XGROUP DESTROY k g",
		"XGROUP DELCONSUMER k g m", "XGROUP CREATECONSUMER k g m", "XDEL k i", "DEL k",
	}, targets: []string{
		"XPENDING k g", "XPENDING k g", "XACK k g i", "XREADGROUP GROUP g m STREAMS k 0", "XREADGROUP GROUP g m STREAMS k >",
		"XINFO GROUPS k", "XINFO GROUPS k", "XGROUP CREATECONSUMER k g m", "XGROUP DELCONSUMER k g m",
		"XCLAIM k g m 0 i JUSTID", "XAUTOCLAIM k g m 0 - JUSTID", "XGROUP CREATE k g $",
	}},
	{name: "stream blocking", words: groupWords, writes: []string{
		"XREAD c BLOCK 0 STREAMS k $", "XREAD c BLOCK 1000 STREAMS k k i $", "XREAD c COUNT 1 BLOCK 0 STREAMS k i",
		"XREADGROUP c GROUP g m BLOCK 0 STREAMS k >", "XREADGROUP c GROUP g m COUNT 1 BLOCK 2000 STREAMS k >",
		"XADD k i f v", "XADD k i f v", "XADD k i f v", "XGROUP CREATE k g $ MKSTREAM", "XGROUP CREATE k g $ MKSTREAM",
		"XGROUP CREATE k g i", "XDEL k i", "DEL k",
		"MULTI c", "EXEC c", "XGROUP DESTROY k g", "XSETID k i",
	}, targets: []string{
		"XRANGE k - +", "XPENDING k g", "XLEN k", "XREADGROUP GROUP g m STREAMS k 0", "XINFO GROUPS k",
		"XREAD COUNT 1 STREAMS k 0", "EXEC c",
	}},
	// Approximate trims: answers that depend on what they removed are
	// labelled; the witnesses must still be the definition's.
	{name: "stream trims", words: streamWords, writes: []string{
		"XADD k MAXLEN ~ n i f v", "XTRIM k MAXLEN ~ n", "XTRIM k MINID ~ i", "XADD k i f v", "XADD k i f v", "XDEL k i",
		"XTRIM k MAXLEN ~ 0 LIMIT 0", "XSETID k i ENTRIESADDED n", "XREADGROUP GROUP g m STREAMS k >",
		"XGROUP CREATE k g 0 MKSTREAM", "XCLAIM k g m 0 i", "XTRIM k MAXLEN = 1",
	}, targets: []string{
		"XRANGE k - +", "XRANGE k i +", "XLEN k", "XREAD STREAMS k i", "XINFO GROUPS k", "XPENDING k g", "XDEL k i",
		"XTRIM k MAXLEN 1",
	}},
}

// TestStreamsEqualBruteForce checks, for thousands of random traces per
// stream family, that the spec's witnesses are the definition's.
func TestStreamsEqualBruteForce(t *testing.T) { runFamilies(t, streamFamilies) }

// TestStreamsLongEqualBruteForce is the same check on longer traces in
// one database, where entries, groups and pending entries pile up: the
// short traces of runFamilies, spread over two databases, seldom build a
// group with pending entries.
func TestStreamsLongEqualBruteForce(t *testing.T) {
	const t0 = 1795535140000000000
	for _, fam := range streamFamilies {
		t.Run(fam.name, func(t *testing.T) {
			draws, data := 0, 0
			referee(t, scaled(600, 100), func(r *rand.Rand) ([]*formats.Event, *formats.Event) {
				n := 4 + r.Intn(9)
				var trace []*formats.Event
				for i := 1; i <= n; i++ {
					other := fam
					if r.Intn(10) == 0 {
						other = families[r.Intn(len(families))]
					}
					e := event(r, other, i, other.writes[r.Intn(len(other.writes))], t0)
					e.NS = "0"
					trace = append(trace, e)
				}
				target := event(r, fam, n+1, fam.targets[r.Intn(len(fam.targets))], t0)
				target.NS = "0"
				draws++
				if _, out, _ := provenance.BruteForce(redis.Spec.Model(), trace, target); interesting(string(out)) {
					data++
				}
				return trace, target
			})
			t.Logf("%d of %d answers show entries, groups or pending entries", data, draws)
		})
	}
}

// interesting reports whether a reply shows stream data: not an error,
// not empty, not a null.
func interesting(out string) bool {
	switch {
	case out == "" || out[0] == '-' || out[0] == 0:
		return false
	case out == "*0\r\n" || out == "*-1\r\n" || out == ":0\r\n" || out == "$-1\r\n":
		return false
	case strings.HasPrefix(out, "*4\r\n:0\r\n"):
		return false
	}
	return true
}
