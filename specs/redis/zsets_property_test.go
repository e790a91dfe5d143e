package redis_test

import (
	"strings"
	"testing"
)

// zsetWords are the sorted-set families' own placeholders: members "m"
// (two, so that they collide), scores "s" (1 and 2 tie with integers,
// -1, and inf, which INCR cannot leave), score-range bounds "r", lex
// bounds "l", weights "w", aggregates "g" and counts "q".
var zsetWords = map[string][]string{
	"m": {"x", "y"},
	"s": {"1", "2", "-1", "inf"},
	"r": {"1", "(1", "2", "-inf", "+inf", "(-1"},
	"l": {"-", "+", "[x", "(x", "[y", "(y"},
	"w": {"1", "-1", "0", "2"},
	"g": {"SUM", "MIN", "MAX"},
	"q": {"0", "1", "2", "-1"},
}

// zsetEncodingWords make sets that are skiplists at once (a member over
// 64 bytes) or listpacks, with scores of 0 and -0 (a listpack stores -0
// as 0, a skiplist keeps it).
var zsetEncodingWords = map[string][]string{
	"m": {"x", strings.Repeat("L", 65)},
	"s": {"0", "-0", "1", "-1"},
	"w": {"-1", "1", "0"},
}

var zsetFamilies = []family{
	{name: "zsets", words: zsetWords, writes: []string{
		"ZADD k s m", "ZADD k s m s m", "ZADD k s m s m", "ZADD k CH s m s m", "ZINCRBY k s m", "ZADD k NX s m",
		"ZADD k XX s m", "ZADD k GT CH s m", "ZADD k LT s m s m",
		"ZADD k XX NX s m", "ZADD k INCR s m", "ZADD k XX INCR s m", "ZINCRBY k s m", "ZREM k m", "ZREM k m m",
		"ZPOPMIN k", "ZPOPMAX k q", "ZMPOP 2 k k MIN", "ZMPOP 1 k MAX COUNT 2", "ZREMRANGEBYSCORE k r r",
		"ZREMRANGEBYRANK k 0 0", "ZREMRANGEBYRANK k -1 -1", "ZREMRANGEBYLEX k l l", "DEL k", "SET k v",
	}, targets: []string{
		"ZRANGE k 0 -1 WITHSCORES", "ZRANGE k r r BYSCORE", "ZRANGE k r r BYSCORE REV LIMIT 0 1", "ZRANGE k l l BYLEX",
		"ZREVRANGE k 0 0 WITHSCORES", "ZRANGEBYSCORE k r r WITHSCORES", "ZREVRANGEBYSCORE k r r LIMIT 1 1",
		"ZRANGEBYLEX k l l", "ZREVRANGEBYLEX k l l LIMIT 0 1", "ZSCORE k m", "ZMSCORE k m m", "ZRANK k m",
		"ZREVRANK k m", "ZCARD k", "ZCOUNT k r r", "ZLEXCOUNT k l l", "ZSCAN k 0", "ZINCRBY k s m", "ZADD k CH s m",
		"ZADD k GT INCR s m", "ZREM k m", "ZPOPMIN k", "ZPOPMAX k 2", "ZMPOP 2 k k MAX COUNT 2",
		"ZREMRANGEBYSCORE k r r", "TYPE k",
	}},
	{name: "zset stores", words: zsetWords, writes: []string{
		"ZADD k s m", "ZADD k s m s m", "ZADD k s m s m", "ZADD k s m s m", "ZINCRBY k s m", "ZREM k m", "SADD k m", "SADD k m m", "DEL k", "SET k v",
		"ZUNIONSTORE k 2 k k", "ZUNIONSTORE k 2 k k WEIGHTS w w AGGREGATE g", "ZINTERSTORE k 2 k k",
		"ZINTERSTORE k 2 k k AGGREGATE g", "ZINTERSTORE k 1 k WEIGHTS w", "ZDIFFSTORE k 2 k k", "ZDIFFSTORE k 1 k",
		"ZRANGESTORE k k 0 -1", "ZRANGESTORE k k 0 0 REV", "ZRANGESTORE k k r r BYSCORE", "ZRANGESTORE k k l l BYLEX LIMIT 0 1",
	}, targets: []string{
		"ZRANGE k 0 -1 WITHSCORES", "ZSCORE k m", "ZCARD k", "ZUNION 2 k k WITHSCORES",
		"ZUNION 2 k k WEIGHTS w w AGGREGATE g WITHSCORES", "ZINTER 2 k k WITHSCORES", "ZINTER 2 k k AGGREGATE g",
		"ZDIFF 2 k k WITHSCORES", "ZINTERCARD 2 k k", "ZINTERCARD 2 k k LIMIT 1", "ZUNIONSTORE k 2 k k",
		"ZINTERSTORE k 2 k k", "ZDIFFSTORE k 2 k k", "ZRANGESTORE k k 0 -1", "ZRANGESTORE k k r r BYSCORE", "EXISTS k",
	}},
	{name: "zset blocking", words: zsetWords, writes: []string{
		"BZPOPMIN c k 0", "BZPOPMAX c k k 1", "BZMPOP c 1 2 k k MIN", "BZMPOP c 0 1 k MAX COUNT 2",
		"ZADD k s m", "ZADD k s m s m", "ZADD k s m s m", "ZPOPMIN k", "ZREM k m", "DEL k", "MULTI c", "EXEC c",
		"ZUNIONSTORE k 1 k", "ZRANGESTORE k k 0 -1", "LPUSH k v",
	}, targets: []string{
		"ZRANGE k 0 -1 WITHSCORES", "ZCARD k", "ZSCORE k m", "BZPOPMIN c k 0", "BZPOPMAX c k k 1",
		"BZMPOP c 1 2 k k MAX COUNT 2", "ZPOPMIN k", "EXEC c",
	}},
	{name: "zset encodings", words: zsetEncodingWords, writes: []string{
		"ZADD k s m", "ZADD k s m s m", "ZINCRBY k s m", "ZREM k m", "ZUNIONSTORE k 2 k k WEIGHTS w w",
		"ZINTERSTORE k 1 k WEIGHTS w", "ZRANGESTORE k k 0 -1", "ZRANGESTORE k k 0 -1 REV",
		"ZRANGESTORE k k -inf +inf BYSCORE", "ZPOPMIN k", "DEL k",
	}, targets: []string{
		"ZSCORE k m", "ZRANGE k 0 -1 WITHSCORES", "ZMSCORE k m m", "ZUNION 2 k k WEIGHTS w w WITHSCORES",
		"ZINCRBY k s m", "ZADD k INCR s m", "ZRANGEBYSCORE k -inf +inf WITHSCORES", "ZPOPMAX k",
	}},
}

// TestZSetsEqualBruteForce checks the sorted-set commands' witnesses
// against the definition on thousands of random traces per family.
func TestZSetsEqualBruteForce(t *testing.T) { runFamilies(t, zsetFamilies) }
