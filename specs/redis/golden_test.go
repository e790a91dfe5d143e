package redis_test

import (
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/formats/redismonitor"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/provenance/provenancetest"
	"github.com/wat-project/wat/specs/redis"
)

// TestGolden explains the last request of each MONITOR log in
// testdata/explain/*.txtar and compares the answer with the archive's
// want file (go test -update rewrites them).
func TestGolden(t *testing.T) {
	provenancetest.Golden(t, redis.Spec, "testdata/explain", map[string]*formats.Format{"trace": redismonitor.Format},
		provenancetest.Options{History: func(trace []*formats.Event) provenance.History {
			return &provenance.MemHistory{Events: trace, Refs: redis.TraceRefs(trace)}
		}})
}
