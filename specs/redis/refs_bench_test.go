package redis_test

import (
	"strconv"
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

// BenchmarkQueueReplay replays a list used as a queue (pushes at the
// head, pops at the tail, as job queues do), 2n requests at a time: each
// must cost the same whatever the list's length, or a hot queue's
// history takes quadratic time to replay.
func BenchmarkQueueReplay(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			push := &formats.Event{System: "redis", NS: "0", Op: "LPUSH", Args: [][]byte{[]byte("q"), []byte("job")}}
			pop := &formats.Event{System: "redis", NS: "0", Op: "RPOP", Args: [][]byte{[]byte("q")}}
			for b.Loop() {
				st := redis.Model{}.Init()
				for range n {
					redis.Model{}.Apply(st, push)
				}
				for range n {
					redis.Model{}.Apply(st, pop)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(2*n), "ns/request")
		})
	}
}
