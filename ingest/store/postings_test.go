package store_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/formats/redismonitor"
	"github.com/wat-project/wat/ingest"
	"github.com/wat-project/wat/ingest/store"
	"github.com/wat-project/wat/ingest/store/storetest"
	"github.com/wat-project/wat/specs/redis"
)

// TestPostingsMatchNaiveIndex ingests random traces in two files (so a
// key's history spans blocks and flushes) and checks every history lookup
// against a scan of the trace.
func TestPostingsMatchNaiveIndex(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st string) {
		r := rand.New(rand.NewSource(7))
		s := storetest.Open(t, st, redismonitor.Format)
		ctx := context.Background()
		dir := t.TempDir()
		type touch struct {
			ns, key string
			write   bool
		}
		var trace [][]touch // by event id - 1
		ts := 1795535140000000
		for f := 0; f < 2; f++ {
			var b strings.Builder
			for i := 0; i < 1500; i++ {
				ts++
				db := r.Intn(2)
				k := fmt.Sprintf("k%d", r.Intn(3))
				var line string
				var tt []touch
				switch r.Intn(5) {
				case 0, 1:
					line = fmt.Sprintf(`"SET" "%s" "v"`, k)
					tt = []touch{{fmt.Sprint(db), k, true}}
				case 2:
					line = fmt.Sprintf(`"GET" "%s"`, k)
					tt = []touch{{fmt.Sprint(db), k, false}}
				case 3:
					line = fmt.Sprintf(`"MSET" "%s" "1" "k9" "2"`, k)
					tt = []touch{{fmt.Sprint(db), k, true}, {fmt.Sprint(db), "k9", true}}
				case 4:
					line = `"INCR" "k0"`
					tt = []touch{{fmt.Sprint(db), "k0", true}}
				}
				fmt.Fprintf(&b, "%d.%06d [%d 127.0.0.1:5000] %s\n", ts/1000000, ts%1000000, db, line)
				trace = append(trace, tt)
			}
			p := filepath.Join(dir, fmt.Sprintf("m%d.log", f))
			if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			fh, _ := os.Open(p)
			if _, err := ingest.Ingest(ctx, s, p, fh, 0, ingest.Options{Formats: []*formats.Format{redismonitor.Format}, Refs: map[string]func(*formats.Event) []formats.Ref{"redis": redis.Spec.Refs}}); err != nil {
				t.Fatal(err)
			}
			fh.Close()
		}
		for q := 0; q < 300; q++ {
			ns, key := fmt.Sprint(r.Intn(2)), fmt.Sprintf("k%d", []int{0, 1, 2, 9}[r.Intn(4)])
			before := int64(1 + r.Intn(len(trace)+1))
			limit := 1 + r.Intn(700)
			var want []int64
			for id := before - 1; id >= 1 && len(want) < limit; id-- {
				for _, tt := range trace[id-1] {
					if tt.ns == ns && tt.key == key && tt.write {
						want = append(want, id)
						break
					}
				}
			}
			evs, err := s.Touching(ctx, "redis", ns, []byte(key), before, limit)
			if err != nil {
				t.Fatal(err)
			}
			got := ids(evs)
			if !slices.Equal(got, want) {
				t.Fatalf("Touching(%s %s before %d limit %d) = %d ids, want %d", ns, key, before, limit, len(got), len(want))
			}
		}
		// Events by key, in every namespace, reads included.
		for _, key := range []string{"k0", "k9"} {
			var want []int64
			for i, tt := range trace {
				for _, x := range tt {
					if x.key == key {
						want = append(want, int64(i+1))
						break
					}
				}
			}
			evs, err := s.Events(ctx, store.Filter{System: "redis", Key: []byte(key)})
			if err != nil {
				t.Fatal(err)
			}
			got := ids(evs)
			if !slices.Equal(got, want) {
				t.Errorf("Events(key %s) = %d events, want %d", key, len(got), len(want))
			}
		}
		// Many keys at once answer as each alone: the same key with
		// several bounds, keys of no namespace, keys never written.
		for round := 0; round < 30; round++ {
			var qs []store.KeyQuery
			for q := 0; q < 1+r.Intn(12); q++ {
				ns := []string{"0", "1", ""}[r.Intn(3)]
				qs = append(qs, store.KeyQuery{System: "redis", NS: ns,
					Key: []byte(fmt.Sprintf("k%d", []int{0, 1, 2, 9, 7}[r.Intn(5)])), After: int64(r.Intn(len(trace) + 1))})
			}
			limit := 1 + r.Intn(1200)
			many, err := s.EventsOfKeys(ctx, qs, limit)
			if err != nil {
				t.Fatal(err)
			}
			for i, q := range qs {
				one, err := s.Events(ctx, store.Filter{System: q.System, NS: q.NS, Key: q.Key, After: q.After, Limit: limit})
				if err != nil {
					t.Fatal(err)
				}
				a, b := ids(one), ids(many[i])
				if !slices.Equal(a, b) {
					t.Fatalf("EventsOfKeys %+v limit %d: %d events, Events: %d", q, limit, len(b), len(a))
				}
			}
		}
	})
}

// ids lists the events' ids, in order.
func ids(evs []*formats.Event) []int64 {
	var out []int64
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}
