package redis_test

import (
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/redis"
)

// BenchmarkIndex measures the index function ingest calls for every
// MONITOR line.
func BenchmarkIndex(b *testing.B) {
	evs := []*formats.Event{
		{System: "redis", NS: "0", Client: "127.0.0.1:5000", Op: "SET", Args: [][]byte{[]byte("key:000123"), []byte("xxx")}},
		{System: "redis", NS: "0", Client: "127.0.0.1:5000", Op: "GET", Args: [][]byte{[]byte("key:000123")}},
		{System: "redis", NS: "0", Client: "127.0.0.1:5000", Op: "LPUSH", Args: [][]byte{[]byte("mylist"), []byte("xxx")}},
		{System: "redis", NS: "0", Client: "127.0.0.1:5000", Op: "INCR", Args: [][]byte{[]byte("counter:1")}},
		{System: "redis", NS: "0", Client: "127.0.0.1:5000", Op: "MSET", Args: [][]byte{[]byte("a"), []byte("1"), []byte("b"), []byte("2")}},
	}
	ix := redis.Spec.(provenance.Indexer).NewIndex()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ix(evs[i%len(evs)])
	}
}
