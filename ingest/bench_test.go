package ingest_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/wat-project/wat/ingest"
)

// BenchmarkIngest loads WAT_BENCH_LOG (a MONITOR log) into a fresh store.
func BenchmarkIngest(b *testing.B) {
	path := os.Getenv("WAT_BENCH_LOG")
	if path == "" {
		b.Skip("set WAT_BENCH_LOG to a MONITOR log")
	}
	for i := 0; i < b.N; i++ {
		s := MustOpenStore(b, filepath.Join(b.TempDir(), "wat.db"))
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ingest.Ingest(context.Background(), s, path, f, 0, opts()); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
