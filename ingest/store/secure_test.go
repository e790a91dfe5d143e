package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoExtensionLoading checks that SQLite was compiled without
// extension loading, as the Makefile builds it (GOFLAGS
// -tags=sqlite_omit_load_extension), and that a store connection
// distrusts its schema.
func TestNoExtensionLoading(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "s.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var opts []string
	err = s.Query(context.Background(), "PRAGMA compile_options", func(_ []string, vals []any) error {
		opts = append(opts, toString(vals[0]))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(opts, " "), "OMIT_LOAD_EXTENSION") {
		t.Errorf("SQLite has extension loading: build with make, or go test -tags=sqlite_omit_load_extension")
	}
	var trusted int
	if err := s.db.QueryRow("PRAGMA trusted_schema").Scan(&trusted); err != nil || trusted != 0 {
		t.Errorf("trusted_schema = %d (%v), want 0", trusted, err)
	}
}

func toString(v any) string {
	switch v := v.(type) {
	case []byte:
		return string(v)
	case string:
		return v
	}
	return ""
}

// TestReadingStatement: a statement reads when its first word, after
// comments and parentheses, is one that only reads.
func TestReadingStatement(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want bool
	}{
		{"SELECT 1", true},
		{"  (select 1)", true},
		{"-- why\nWITH x AS (SELECT 1) TABLE x", true},
		{"/* a */ /* b */ VALUES (1)", true},
		{"--\n/**/ -- c\n  explain SELECT 1", true},
		{"-- no end", false},
		{"/* no end", false},
		{"COPY (SELECT 1) TO PROGRAM 'x'", false},
		{"/* SELECT */ DO $$ BEGIN END $$", false},
		{"CALL p()", false},
		{"", false},
	} {
		if got := readingStatement(tc.q); got != tc.want {
			t.Errorf("readingStatement(%q) = %v, want %v", tc.q, got, tc.want)
		}
	}
}
