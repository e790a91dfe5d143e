package ingest_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/ingest"
	"github.com/wat-project/wat/ingest/store/storetest"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/redis"
)

// TestRunsMatchMemHistory ingests a log of counters (long runs of INCRs
// across blocks, resets, a FLUSHDB, a client in a transaction, a key with
// an EXPIRE, a key whose writes vary too much for a block's shapes) and
// checks that the store's runs of each key, before several ids, are
// MemHistory's over the same events, or that the store says it has none
// where it keeps none.
func TestRunsMatchMemHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, loc string) {
		s := MustOpenStore(t, loc)
		ctx := context.Background()
		r := rand.New(rand.NewSource(1))
		var b strings.Builder
		const n = 6000
		for i := 0; i < n; i++ {
			line := ""
			switch k := r.Intn(100); {
			case k < 50:
				line = `"INCR" "hot"`
			case k < 55:
				line = `"INCRBY" "hot" "5"`
			case k < 56:
				line = `"SET" "hot" "10"`
			case k < 57:
				line = `"DEL" "hot"`
			case k < 70:
				line = `"INCR" "warm"`
			case k < 71:
				line = `"EXPIRE" "warm" "100"`
			case k < 85:
				line = fmt.Sprintf(`"INCRBY" "varied" "%d"`, r.Intn(50))
			case k < 86:
				line = `"MULTI"`
			case k < 87:
				line = `"FLUSHDB"`
			default:
				line = `"INCR" "calm"`
			}
			client := 5000 + r.Intn(3)
			if line == `"MULTI"` || line == `"INCR" "calm"` && k100(r) {
				client = 6000 // a client once in a transaction: no shapes
			}
			fmt.Fprintf(&b, "%d.%06d [0 127.0.0.1:%d] %s\n", 1795535140+i/1000000, i%1000000, client, line)
		}
		p := filepath.Join(t.TempDir(), "counters.log")
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		fh, _ := os.Open(p)
		defer fh.Close()
		o := opts()
		o.Indexes = map[string]func() func(*formats.Event) []formats.Ref{"redis": redis.Spec.(provenance.Indexer).NewIndex}
		if _, err := ingest.Ingest(ctx, s, p, fh, 0, o); err != nil {
			t.Fatal(err)
		}
		all := make([]int64, n)
		for i := range all {
			all[i] = int64(i + 1)
		}
		evs, err := s.ByID(ctx, all)
		if err != nil {
			t.Fatal(err)
		}
		mem := &provenance.MemHistory{Events: evs, Refs: redis.TraceRefs(evs)}
		checked := 0
		for _, key := range []string{"hot", "warm", "varied", "calm"} {
			for _, before := range []int64{1, 700, 3001, n + 1} {
				got, ok, err := s.Runs(ctx, "redis", "0", []byte(key), before)
				if err != nil {
					t.Fatal(err)
				}
				want, wantOK, _ := mem.Runs(ctx, "redis", "0", []byte(key), before)
				switch {
				case key == "varied" && before > 1:
					// 50 deltas: more shapes than a block keeps.
					if ok {
						t.Errorf("%s before %d: runs from blocks that keep no shapes", key, before)
					}
				case ok && !wantOK:
					t.Errorf("%s before %d: runs, where MemHistory has a write without a shape", key, before)
				case !ok && wantOK:
					// A block is stored with shapes or without: one that
					// reaches past the bound may hold a later shapeless
					// write. Only then.
					if _, whole, _ := mem.Runs(ctx, "redis", "0", []byte(key), n+1); whole {
						t.Errorf("%s before %d: no runs, though every write has a shape", key, before)
					}
				case ok && !reflect.DeepEqual(got, want):
					t.Errorf("%s before %d: %d runs, MemHistory %d", key, before, len(got), len(want))
				case ok:
					checked++
				}
			}
		}
		t.Logf("%d lists compared", checked)
		if checked < 6 {
			t.Errorf("only %d lists compared", checked)
		}
	})
}

// k100 is true for one call in a hundred.
func k100(r *rand.Rand) bool { return r.Intn(100) == 0 }
