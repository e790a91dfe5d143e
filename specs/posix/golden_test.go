package posix_test

import (
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/formats/strace"
	"github.com/wat-project/wat/provenance/provenancetest"
	"github.com/wat-project/wat/specs/posix"
)

// TestGolden explains the last call of each strace log in
// testdata/explain/*.txtar and compares the answer with the archive's
// want file (go test -update rewrites them).
func TestGolden(t *testing.T) {
	provenancetest.Golden(t, posix.Spec, "testdata/explain", map[string]*formats.Format{"trace": strace.Format}, provenancetest.Options{})
}
