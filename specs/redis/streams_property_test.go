package redis_test

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/redis"
)

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
