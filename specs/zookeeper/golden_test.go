package zookeeper_test

import (
	"testing"

	"github.com/wat-project/wat/formats"
	zkformat "github.com/wat-project/wat/formats/zookeeper"
	"github.com/wat-project/wat/provenance/provenancetest"
	"github.com/wat-project/wat/specs/zookeeper"
)

// TestGolden explains the last request of the logs of each archive in
// testdata/explain/*.txtar (a transaction log, then an audit log) and
// compares the answer with the archive's want file (go test -update
// rewrites them).
func TestGolden(t *testing.T) {
	provenancetest.Golden(t, zookeeper.Spec, "testdata/explain",
		map[string]*formats.Format{"txnlog": zkformat.TxnFormat, "audit": zkformat.AuditFormat}, provenancetest.Options{})
}
