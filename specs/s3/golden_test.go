package s3_test

import (
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/formats/s3access"
	"github.com/wat-project/wat/provenance/provenancetest"
	"github.com/wat-project/wat/specs/s3"
)

// TestGolden explains the last request of each access log in
// testdata/explain/*.txtar and compares the answer with the archive's
// want file (go test -update rewrites them).
func TestGolden(t *testing.T) {
	provenancetest.Golden(t, s3.Spec, "testdata/explain", map[string]*formats.Format{"trace": s3access.Format}, provenancetest.Options{})
}
