package store

import (
	"context"
	"slices"
	"testing"

	"github.com/wat-project/wat/provenance"
)

// TestPartsIndexedOnlyWhenEverySourceIs: a file ingested before the part
// index (parts 0, as migration 006 leaves every older source) makes the
// store answer nothing from parts, since those files' part writes are
// listed as whole writes and under no part.
func TestPartsIndexedOnlyWhenEverySourceIs(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	add := func(path string, parts int) {
		if _, err := s.db.ExecContext(ctx, `INSERT INTO sources(path, format, config, size, hash, lines, events, rejected, skipped, ingested_at, instance, parts)
			VALUES (?, 'redis-monitor', NULL, 0, '', 0, 0, 0, 0, 0, '', ?)`, path, parts); err != nil {
			t.Fatal(err)
		}
	}
	check := func(want bool) {
		t.Helper()
		if got, err := s.PartsIndexed(ctx); err != nil || got != want {
			t.Fatalf("PartsIndexed = %v, %v; want %v", got, err, want)
		}
	}
	check(true) // no source at all
	add("new.log", provenance.IndexVersion)
	check(true)
	if ok, err := s.IndexedSince(ctx, provenance.IndexVersion); err != nil || !ok {
		t.Fatalf("IndexedSince(%d) = %v, %v with every source indexed by it", provenance.IndexVersion, ok, err)
	}
	// A file of version 1 has the parts; not what version 2 added.
	add("v1.log", 1)
	check(true)
	if ok, err := s.IndexedSince(ctx, 2); err != nil || ok {
		t.Fatalf("IndexedSince(2) = %v, %v with a source of version 1", ok, err)
	}
	add("old.log", 0)
	check(false)
}

// TestShapesRoundTrip: a block's shapes decode to what was encoded; a
// block with a write without a shape, or more distinct shapes than a
// block keeps, has none; a damaged blob is an error, never shapes.
func TestShapesRoundTrip(t *testing.T) {
	var in []uint64
	for i := 0; i < 512; i++ {
		in = append(in, uint64(1+i%3+(i/200)*7)) // 9 shapes, 512 runs
	}
	blob := encodeShapes(in)
	runs, err := decodeShapeRuns(nil, len(in), blob)
	if out := expandShapes(nil, runs); err != nil || !slices.Equal(out, in) {
		t.Fatalf("round trip: %v, %d shapes", err, len(out))
	}
	if len(runs) != 512 {
		t.Errorf("%d runs decoded, want 512 (a run is one entry)", len(runs))
	}
	if encodeShapes([]uint64{5, 0, 5}) != nil {
		t.Error("a block with a shapeless write kept shapes")
	}
	var many []uint64
	for i := 1; i <= maxShapes+1; i++ {
		many = append(many, uint64(i))
	}
	if encodeShapes(many) != nil || encodeShapes(many[:maxShapes]) == nil {
		t.Errorf("more than %d distinct shapes kept, or %d not", maxShapes, maxShapes)
	}
	for _, bad := range [][]byte{nil, {1}, blob[:len(blob)-1], append(slices.Clone(blob), 0x10)} {
		if _, err := decodeShapeRuns(nil, len(in), bad); err == nil {
			t.Errorf("damaged blob % x decoded", bad[:min(len(bad), 12)])
		}
	}
	if _, err := decodeShapeRuns(nil, len(in)+1, blob); err == nil {
		t.Error("a blob of fewer shapes than ids decoded")
	}
}
