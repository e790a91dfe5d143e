package store

import (
	"context"
	"path/filepath"
	"testing"
)

// TestPartsIndexedOnlyWhenEverySourceIs: a file ingested before the part
// index (parts 0, as migration 006 leaves every older source) makes the
// store answer nothing from parts, since those files' part writes are
// listed as whole writes and under no part.
func TestPartsIndexedOnlyWhenEverySourceIs(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "s.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
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
	add("new.log", partsVersion)
	check(true)
	add("old.log", 0)
	check(false)
}
