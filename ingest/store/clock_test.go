package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/formats/redismonitor"
	"github.com/wat-project/wat/formats/strace"
	"github.com/wat-project/wat/ingest"
	"github.com/wat-project/wat/ingest/store"
	"github.com/wat-project/wat/ingest/store/storetest"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/redis"
)

// TestLoggedAround: the lines next to an event in its own MONITOR file,
// nearest first, whatever other files' events lie between them by id;
// none for a file whose format does not stamp the server's clock, or one
// merged by time with another capture of its server.
func TestLoggedAround(t *testing.T) {
	ctx := context.Background()
	fs := []*formats.Format{redismonitor.Format, strace.Format}
	monitor := func(from, n int, client string) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "1795535140.%06d [0 127.0.0.1:%s] \"INCR\" \"k%d\"\n", from+10*i, client, from+10*i)
		}
		return b.String()
	}
	lines := func(evs []*formats.Event) []int {
		var out []int
		for _, e := range evs {
			out = append(out, e.Line)
		}
		return out
	}
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			storetest.Require(t, backend)
			// With the index, as wat ingest opens it, so that a file
			// whose clock overlaps another's is merged with it.
			opt := ingest.Options{Formats: fs, Indexes: map[string]func() func(*formats.Event) []formats.Ref{
				"redis": redis.Spec.(provenance.Indexer).NewIndex}}
			s, err := store.Open(ctx, storetest.New(t, backend), store.Options{Formats: fs, Index: opt.NewIndex})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			add := func(path, text, instance string) {
				t.Helper()
				o := opt
				o.Instance = instance
				if _, err := ingest.Ingest(ctx, s, path, strings.NewReader(text), 0, o); err != nil {
					t.Fatal(err)
				}
			}
			// at returns the id of the event at path:line.
			at := func(path string, line int) int64 {
				t.Helper()
				srcs, err := s.Sources(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, src := range srcs {
					if src.Path == path {
						e, err := s.EventAt(ctx, src, line)
						if err != nil {
							t.Fatal(err)
						}
						return e.ID
					}
				}
				t.Fatalf("%s not ingested", path)
				return 0
			}
			add("a.log", monitor(100, 12, "1"), "a")
			add("t.strace", "read(0, \"x\", 1) = 1\nread(0, \"\", 1) = 0\n", "")
			for _, c := range []struct {
				line, n       int
				before, after []int
			}{
				{5, 2, []int{4, 3}, []int{6, 7}},
				{1, 3, nil, []int{2, 3, 4}},
				{12, 40, []int{11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, nil},
			} {
				before, after, err := s.LoggedAround(ctx, at("a.log", c.line), c.n)
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(lines(before)) != fmt.Sprint(c.before) || fmt.Sprint(lines(after)) != fmt.Sprint(c.after) {
					t.Errorf("a.log:%d, %d around: lines %v and %v, want %v and %v", c.line, c.n, lines(before), lines(after), c.before, c.after)
				}
			}
			if before, after, err := s.LoggedAround(ctx, at("t.strace", 2), 4); err != nil || before != nil || after != nil {
				t.Errorf("strace's lines around t.strace:2: %v, %v, %v; want none", lines(before), lines(after), err)
			}
			// A second capture of a.log's server, its clock overlapping.
			add("b.log", monitor(105, 4, "2"), "a")
			if before, after, err := s.LoggedAround(ctx, at("a.log", 5), 2); err != nil || before != nil || after != nil {
				t.Errorf("a.log:5 merged with b.log: lines %v and %v, %v; want none", lines(before), lines(after), err)
			}
		})
	}
}
