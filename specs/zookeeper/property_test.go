package zookeeper_test

import (
	"math/rand"
	"testing"

	"github.com/wat-project/wat/formats"
	zkformat "github.com/wat-project/wat/formats/zookeeper"
	"github.com/wat-project/wat/provenance/provenancetest"
	"github.com/wat-project/wat/specs/zookeeper"
)

var paths = []string{"/a", "/a/b", "/a/c", "/a/b/d"}

func randomEvent(r *rand.Rand, id int, read bool) *formats.Event {
	p := paths[r.Intn(len(paths))]
	data := []string{"x", "y"}[r.Intn(2)]
	sess := []string{"0x1", "0x2"}[r.Intn(2)]
	e := &formats.Event{ID: int64(id), Line: id, Source: "gen", System: "zookeeper", Client: sess}
	if read {
		e.Op = []string{"getData", "exists", "getChildren"}[r.Intn(3)]
		e.Args = [][]byte{[]byte(p)}
		return e
	}
	switch r.Intn(7) {
	case 0, 1, 2:
		eph := []string{"false", "false", "true"}[r.Intn(3)]
		e.Op, e.Args = "create", [][]byte{[]byte(p), []byte(data), []byte(eph), []byte("1")}
	case 3, 4:
		e.Op, e.Args = "setData", [][]byte{[]byte(p), []byte(data), []byte("1")}
	case 5:
		e.Op, e.Args = "delete", [][]byte{[]byte(p)}
	default:
		e.Op = "closeSession"
		for _, q := range paths {
			if r.Intn(2) == 0 {
				e.Args = append(e.Args, []byte(q))
			}
		}
	}
	return e
}

// TestSpecEqualsBruteForce: for thousands of random small traces the
// spec's witnesses are exactly the definition's.
func TestSpecEqualsBruteForce(t *testing.T) {
	provenancetest.Check(t, zookeeper.Spec, provenancetest.Options{Seeds: 4000, Trace: func(r *rand.Rand) ([]*formats.Event, *formats.Event) {
		return provenancetest.RandomTrace(r, 11, randomEvent)
	}})
}

// TestGolden explains the last request of the logs of each archive in
// testdata/explain/*.txtar (a transaction log, then an audit log) and
// compares the answer with the archive's want file (go test -update
// rewrites them).
func TestGolden(t *testing.T) {
	provenancetest.Golden(t, zookeeper.Spec, "testdata/explain",
		map[string]*formats.Format{"txnlog": zkformat.TxnFormat, "audit": zkformat.AuditFormat}, provenancetest.Options{})
}
