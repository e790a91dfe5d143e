package redis_test

import "testing"

// sortFamilyWords are the sort family's placeholders: elements "e" (integers a
// list stores as integers, a float, a word) and zset scores "s" (0 and
// -0, which a listpack stores alike and a skiplist does not).
var sortFamilyWords = map[string][]string{
	"e": {"1", "2", "10", "1.5", "a"},
	"s": {"0", "-0", "1"},
}

var sortFamilies = []family{
	{name: "sort", words: sortFamilyWords, writes: []string{
		"RPUSH k e e", "LPUSH k e", "RPUSH k e", "SADD k e e", "SADD k e", "ZADD k s e", "ZADD k s e s e", "LREM k 0 e", "SREM k e",
		"DEL k", "SET k v", "SORT k STORE k", "SORT k ALPHA STORE k", "SORT k BY nosort STORE k", "SORT k ALPHA DESC LIMIT 0 1 STORE k",
		"SORT k GET # GET x STORE k", "SORT k BY nosort", "SORT_RO k ALPHA",
	}, targets: []string{
		"SORT k", "SORT k ALPHA", "SORT k DESC", "SORT k BY nosort", "SORT k BY nosort DESC LIMIT 1 1", "SORT k LIMIT 1 1",
		"SORT k ALPHA GET # GET x", "SORT_RO k ALPHA DESC", "SORT k ALPHA STORE k", "SORT k STORE k", "LRANGE k 0 -1",
		"ZSCAN k 0", "ZSCORE k e", "ZADD k s e", "SMEMBERS k", "TYPE k",
	}},
}

// TestSortEqualsBruteForce checks SORT's witnesses against the
// definition on thousands of random traces.
func TestSortEqualsBruteForce(t *testing.T) { runFamilies(t, sortFamilies) }
