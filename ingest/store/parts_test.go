package store

import (
	"context"
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
