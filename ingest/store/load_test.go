package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/formats/redismonitor"
)

// TestLoadFailureInBackground: rows are loaded on a goroutine of their
// own while the next are gathered; a row that fails there fails the load
// (at the next Event that fills a buffer, or at Commit), whichever batch
// it is in, and nothing of the file is stored. A trigger makes one line
// fail, at each of several places.
func TestLoadFailureInBackground(t *testing.T) {
	ctx := context.Background()
	const lines = 3*bufRows + 17
	for _, bad := range []int{1, bufRows - 1, bufRows, 2*bufRows + 5, lines - 1} {
		t.Run(fmt.Sprint(bad), func(t *testing.T) {
			s, err := Open(ctx, filepath.Join(t.TempDir(), "s.db"), Options{Formats: []*formats.Format{redismonitor.Format}})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.db.ExecContext(ctx, `CREATE TRIGGER boom BEFORE INSERT ON events WHEN NEW.line = `+fmt.Sprint(bad)+`
				BEGIN SELECT RAISE(ABORT, 'boom at the bad line'); END`); err != nil {
				t.Fatal(err)
			}
			l, err := s.BeginLoad(ctx, "m.log", "redis-monitor", nil, "")
			if err != nil {
				t.Fatal(err)
			}
			var failed error
			for i := 1; i <= lines && failed == nil; i++ {
				raw := fmt.Sprintf(`1700000000.%06d [0 127.0.0.1:5000] "SET" "k%d" "v"`, i, i%7)
				ev := &formats.Event{System: "redis", Op: "SET", Raw: []byte(raw), Time: 1700000000_000000 + int64(i)}
				failed = l.Event(int64(i), int64(i*60), ev, []formats.Ref{{Key: []byte(fmt.Sprint("k", i%7)), Kind: formats.KindWrite}})
			}
			if failed == nil {
				_, failed = l.Commit(ctx, Finish{Lines: lines, Events: lines})
			} else {
				l.Rollback()
			}
			if failed == nil || !strings.Contains(failed.Error(), "boom") {
				t.Fatalf("line %d fails to load: the load says %v", bad, failed)
			}
			srcs, err := s.Sources(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var n int
			if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM events").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if len(srcs) != 0 || n != 0 {
				t.Fatalf("after the failed load: %d sources, %d events stored", len(srcs), n)
			}
		})
	}
}
