package ingest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/formats/redismonitor"
	"github.com/wat-project/wat/formats/strace"
	"github.com/wat-project/wat/ingest"
	"github.com/wat-project/wat/ingest/store"
	"github.com/wat-project/wat/ingest/store/storetest"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/posix"
	"github.com/wat-project/wat/specs/redis"
)

var allFormats = []*formats.Format{redismonitor.Format}

// MustOpenStore opens a fresh store at a location from storetest.
func MustOpenStore(tb testing.TB, location string) *store.Store {
	return storetest.Open(tb, location, allFormats...)
}

func opts() ingest.Options {
	return ingest.Options{Formats: allFormats, Refs: map[string]func(*formats.Event) []formats.Ref{"redis": redis.Spec.Refs}}
}

const capture = `OK
1795535140.000001 [0 127.0.0.1:5000] "SET" "k" "1"
1795535140.000002 [0 127.0.0.1:5000] "MSET" "k" "2" "j" "3"
not a monitor line
1795535140.000003 [0 127.0.0.1:5001] "GET" "k"

1795535140.000004 [0 127.0.0.1:5001] "FLUSHALL"
1795535140.000005 [0 127.0.0.1:5001] "INCR" "k"`

func TestIngestCountsEveryLine(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st string) {
		s := MustOpenStore(t, st)
		ctx := context.Background()
		sum, err := ingest.Ingest(ctx, s, "m.log", strings.NewReader(capture), 0, opts())
		if err != nil {
			t.Fatal(err)
		}
		if got, want := [4]int64{sum.Lines, sum.Events, sum.Rejected, sum.Skipped}, [4]int64{8, 5, 1, 2}; got != want {
			t.Fatalf("lines, events, rejected, skipped = %v, want %v", got, want)
		}
		if sum.Format != "redis-monitor" {
			t.Errorf("Format = %q", sum.Format)
		}
		if len(sum.Rejects) != 1 || sum.Rejects[0].Line != 4 {
			t.Errorf("Rejects = %+v, want line 4", sum.Rejects)
		}
		src, err := s.SourceByPath(ctx, "m.log")
		if err != nil {
			t.Fatal(err)
		}
		e, err := s.EventAt(ctx, src, 5)
		if err != nil {
			t.Fatal(err)
		}
		if e.Op != "GET" || string(e.Args[0]) != "k" || e.Client != "127.0.0.1:5001" || e.Source != "m.log" {
			t.Errorf("EventAt(5) = %+v", e)
		}
		if _, err := s.EventAt(ctx, src, 4); !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "rejected") {
			t.Errorf("EventAt(4) error = %v, want a rejected line", err)
		}
		if _, err := s.EventAt(ctx, src, 99); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("EventAt(99) error = %v", err)
		}
		// The writes to k before the INCR: FLUSHALL (wide), MSET, SET; not the GET.
		last, _ := s.EventAt(ctx, src, 8)
		evs, err := s.Touching(ctx, "redis", "0", []byte("k"), last.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		var ops []string
		for _, e := range evs {
			ops = append(ops, e.Op)
		}
		if got, want := strings.Join(ops, " "), "FLUSHALL MSET SET"; got != want {
			t.Errorf("Touching = %s, want %s", got, want)
		}
		evs, _ = s.Touching(ctx, "redis", "0", []byte("k"), last.ID, 2)
		if len(evs) != 2 || evs[0].Op != "FLUSHALL" || evs[1].Op != "MSET" {
			t.Errorf("Touching limit 2 = %v", evs)
		}
	})
}

func TestIngestTwiceIsNoop(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st string) {
		s := MustOpenStore(t, st)
		ctx := context.Background()
		p := filepath.Join(t.TempDir(), "m.log")
		os.WriteFile(p, []byte(capture), 0o644)
		for i, want := range []bool{false, true} {
			if sum := ingestFile(t, s, p); sum.Duplicate != want {
				t.Errorf("ingest %d: Duplicate = %v, want %v", i, sum.Duplicate, want)
			}
		}
		// stdin (not seekable): detected after reading, rolled back.
		sum, err := ingest.Ingest(ctx, s, "-", strings.NewReader(capture), 0, opts())
		if err != nil || !sum.Duplicate {
			t.Errorf("stdin ingest = %+v, %v; want duplicate", sum, err)
		}
		srcs, _ := s.Sources(ctx)
		if len(srcs) != 1 {
			t.Errorf("%d sources, want 1", len(srcs))
		}
		o := opts()
		o.Force = true
		if sum, err := ingest.Ingest(ctx, s, "-", strings.NewReader(capture), 0, o); err != nil || sum.Duplicate || sum.Events != 5 {
			t.Errorf("forced ingest = %+v, %v", sum, err)
		}
	})
}

// ingestFile ingests the file at p as wat ingest does (a seekable file
// of known size) and returns the summary.
func ingestFile(t *testing.T, s *store.Store, p string) *ingest.Summary {
	t.Helper()
	return ingestWith(t, s, p, opts())
}

// ingestWith is ingestFile with options o.
func ingestWith(t *testing.T, s *store.Store, p string, o ingest.Options) *ingest.Summary {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	sum, err := ingest.Ingest(context.Background(), s, p, f, st.Size(), o)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func TestIngestGzip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st string) {
		s := MustOpenStore(t, st)
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte(capture))
		zw.Close()
		sum, err := ingest.Ingest(context.Background(), s, "m.log.gz", &buf, 0, opts())
		if err != nil {
			t.Fatal(err)
		}
		if sum.Lines != 8 || sum.Events != 5 || sum.Format != "redis-monitor" {
			t.Errorf("gzip ingest = %+v", sum)
		}
	})
}

// TestIngestGzipSameAsPlain: a capture is the same whether gzipped or
// not: ingested one way and then the other, the second is already stored.
func TestIngestGzipSameAsPlain(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(capture))
	zw.Close()
	plain := []byte(capture)
	for _, order := range [][2][]byte{{gz.Bytes(), plain}, {plain, gz.Bytes()}} {
		storetest.Each(t, func(t *testing.T, st string) {
			s := MustOpenStore(t, st)
			ctx := context.Background()
			for i, want := range []bool{false, true} {
				dir := t.TempDir()
				p := filepath.Join(dir, "m.log")
				os.WriteFile(p, order[i], 0o644)
				if sum := ingestFile(t, s, p); sum.Duplicate != want {
					t.Errorf("ingest %d (gzip first: %v): Duplicate = %v, want %v", i, order[0][0] == 0x1f, sum.Duplicate, want)
				}
			}
			// Another capture is not the same.
			other := strings.Replace(capture, "SET", "DEL", 1)
			if sum, err := ingest.Ingest(ctx, s, "other.log", strings.NewReader(other), 0, opts()); err != nil || sum.Duplicate {
				t.Errorf("a different capture: %+v, %v", sum, err)
			}
		})
	}
}

// TestIngestDamagedGzip: everything before the damage is kept, and the
// damage is a rejected line that says so.
func TestIngestDamagedGzip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st string) {
		s := MustOpenStore(t, st)
		var log bytes.Buffer
		for i := 0; i < 5000; i++ {
			fmt.Fprintf(&log, "1795535140.%06d [0 127.0.0.1:5000] \"SET\" \"k%d\" \"%d\"\n", i, i%97, i)
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(log.Bytes())
		zw.Close()
		cut := buf.Bytes()[:buf.Len()/2]
		sum, err := ingest.Ingest(context.Background(), s, "cut.log.gz", bytes.NewReader(cut), 0, opts())
		if err != nil {
			t.Fatal(err)
		}
		if sum.Events < 100 || sum.Events >= 5000 || sum.Rejected != 1 || len(sum.Rejects) != 1 ||
			!strings.Contains(sum.Rejects[0].Reason, "gzip stream is damaged") || sum.Rejects[0].Line != int(sum.Lines) {
			t.Errorf("summary %+v", sum)
		}
	})
}

// TestIngestLongLines: a line over MaxLine is rejected without being held
// whole; a first line too long to detect the format from asks for one.
func TestIngestLongLines(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st string) {
		s := MustOpenStore(t, st)
		long := "1795535140.000001 [0 127.0.0.1:5000] \"SET\" \"k\" \"" + strings.Repeat("x", ingest.MaxLine+10) + "\"\n"
		in := long + "1795535140.000002 [0 127.0.0.1:5000] \"GET\" \"k\"\n"
		if _, err := ingest.Ingest(context.Background(), s, "long.log", strings.NewReader(in), 0, opts()); err == nil ||
			!strings.Contains(err.Error(), "name it with --format") {
			t.Errorf("detection on a huge first line: %v", err)
		}
		o := opts()
		o.Format = allFormats[0]
		sum, err := ingest.Ingest(context.Background(), s, "long.log", strings.NewReader(in), 0, o)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Lines != 2 || sum.Events != 1 || sum.Rejected != 1 || !strings.Contains(sum.Rejects[0].Reason, "longer than 16 MiB") {
			t.Errorf("summary %+v", sum)
		}
	})
}

func TestPostgresFileName(t *testing.T) {
	storetest.Require(t, "postgres")
	s := MustOpenStore(t, storetest.New(t, "postgres"))
	_, err := ingest.Ingest(context.Background(), s, "bad\xffname.log", strings.NewReader(capture), 0, opts())
	if err == nil || !strings.Contains(err.Error(), `"bad\xffname.log": the file name is not UTF-8`) {
		t.Errorf("non-UTF-8 file name: %v", err)
	}
	srcs, err := s.Sources(context.Background())
	if err != nil || len(srcs) != 0 {
		t.Errorf("sources: %d, %v", len(srcs), err)
	}
}

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
			// Read to be listed once (not kept), alike.
			if evs, err = s.Events(ctx, store.Filter{System: "redis", Key: []byte(key), Once: true}); err != nil || !slices.Equal(ids(evs), want) {
				t.Errorf("Events(key %s, once) = %d events, %v; want %d", key, len(evs), err, len(want))
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

// TestStoredEventKeepsPartial: a string strace cut short (-s) is marked
// Partial in the parsed event, and the mark survives the store: the
// POSIX model reads it to know which written bytes it does not know.
func TestStoredEventKeepsPartial(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st string) {
		s := storetest.Open(t, st, strace.Format)
		ctx := context.Background()
		log := "1 write(3</tmp/a>, \"abc\"..., 100) = 100\n1 write(3</tmp/a>, \"abc\", 3) = 3\n"
		o := ingest.Options{Formats: []*formats.Format{strace.Format}, Refs: map[string]func(*formats.Event) []formats.Ref{"posix": posix.Spec.Refs}}
		if _, err := ingest.Ingest(ctx, s, "t.log", strings.NewReader(log), 0, o); err != nil {
			t.Fatal(err)
		}
		for id, want := range map[int64][]int{1: {1}, 2: nil} {
			e, err := s.Event(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(e.Partial, want) {
				t.Errorf("event %d: Partial %v, want %v", id, e.Partial, want)
			}
		}
	})
}

// TestPartPostingsMatchMemHistory: the store's lists of a key's writes
// by class and of each part's writes (provenance.PartHistory) answer as
// the in-memory history over the same refs does, on both backends, for
// keys whose writes mix classes, whole-key writes, several parts at once
// and namespace-wide writes, across blocks and files.
func TestPartPostingsMatchMemHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st string) {
		r := rand.New(rand.NewSource(11))
		s := MustOpenStore(t, st)
		ctx := context.Background()
		dir := t.TempDir()
		members := []string{"a", "b", "c", "1"}
		pick := func() string { return members[r.Intn(len(members))] }
		ts := 1795535140000000
		for f := 0; f < 2; f++ {
			var b strings.Builder
			for i := 0; i < 1400; i++ {
				ts++
				k := fmt.Sprintf("k%d", r.Intn(3))
				var line string
				switch r.Intn(12) {
				case 0, 1, 2:
					line = fmt.Sprintf(`"SADD" "%s" "%s"`, k, pick())
				case 3:
					line = fmt.Sprintf(`"SADD" "%s" "%s" "%s"`, k, pick(), pick())
				case 4:
					line = fmt.Sprintf(`"SREM" "%s" "%s"`, k, pick())
				case 5:
					line = fmt.Sprintf(`"HSET" "%s" "%s" "v"`, k, pick())
				case 6:
					line = fmt.Sprintf(`"ZADD" "%s" "1" "%s"`, k, pick())
				case 7:
					line = fmt.Sprintf(`"ZADD" "%s" "-0" "%s"`, k, pick()) // never a part write
				case 8:
					line = fmt.Sprintf(`"SMEMBERS" "%s"`, k)
				case 9:
					line = fmt.Sprintf(`"DEL" "%s"`, k)
				case 10:
					line = fmt.Sprintf(`"EXPIRE" "%s" "100"`, k)
				case 11:
					line = `"FLUSHDB"`
					if r.Intn(8) != 0 {
						line = fmt.Sprintf(`"SPOP" "%s"`, k)
					}
				}
				fmt.Fprintf(&b, "%d.%06d [0 127.0.0.1:5000] %s\n", ts/1000000, ts%1000000, line)
			}
			p := filepath.Join(dir, fmt.Sprintf("m%d.log", f))
			if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			fh, _ := os.Open(p)
			if _, err := ingest.Ingest(ctx, s, p, fh, 0, opts()); err != nil {
				t.Fatal(err)
			}
			fh.Close()
		}
		if ok, err := s.PartsIndexed(ctx); err != nil || !ok {
			t.Fatalf("PartsIndexed = %v, %v after an ingest", ok, err)
		}
		all, err := s.Events(ctx, store.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		mem := &provenance.MemHistory{Events: all, Refs: redis.Spec.Refs}
		classed := 0
		for _, e := range all {
			for _, ref := range redis.Spec.Refs(e) {
				if ref.Class > 0 {
					classed++
				}
			}
		}
		if classed < len(all)/3 {
			t.Fatalf("only %d of %d events are part writes: the test tests little", classed, len(all))
		}
		for q := 0; q < 300; q++ {
			key := []byte(fmt.Sprintf("k%d", r.Intn(4)))
			before := int64(1 + r.Intn(len(all)+1))
			limit := 1 + r.Intn(900)
			class := 1 + r.Intn(3)
			parts := [][]byte{[]byte(pick())}
			if r.Intn(2) == 0 {
				parts = append(parts, []byte(pick()))
			}
			type lookup struct {
				name string
				f    func(provenance.PartHistory) ([]*formats.Event, error)
			}
			for _, l := range []lookup{
				{"Touching", func(h provenance.PartHistory) ([]*formats.Event, error) {
					return h.Touching(ctx, "redis", "0", key, before, limit)
				}},
				{"WholeTouching", func(h provenance.PartHistory) ([]*formats.Event, error) {
					return h.WholeTouching(ctx, "redis", "0", key, before, limit)
				}},
				{"PartTouching", func(h provenance.PartHistory) ([]*formats.Event, error) {
					return h.PartTouching(ctx, "redis", "0", key, class, parts, before, limit)
				}},
			} {
				want, err := l.f(mem)
				if err != nil {
					t.Fatal(err)
				}
				got, err := l.f(s)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(ids(got), ids(want)) {
					t.Fatalf("%s(%s class %d parts %q before %d limit %d) = %v, want %v", l.name, key, class, parts, before, limit, ids(got), ids(want))
				}
			}
			want, _ := mem.Classes(ctx, "redis", "0", key, before)
			got, err := s.Classes(ctx, "redis", "0", key, before)
			if err != nil || got != want {
				t.Fatalf("Classes(%s before %d) = %b, %v; want %b", key, before, got, err, want)
			}
		}
		// The parts' lists are no keys of their own.
		keys, err := s.KeysMatching(ctx, "redis", "0", func([]byte) bool { return true })
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 3 {
			t.Errorf("KeysMatching lists %q, want the three keys", keys)
		}
	})
}

// TestPostingsAcrossListFlushes: a log of more distinct keys than the
// writer holds lists of at once (store's maxLists, 65,536) is written in
// several flushes, and every key's history, a hot key's across all of
// them, is whole.
func TestPostingsAcrossListFlushes(t *testing.T) {
	s := MustOpenStore(t, storetest.New(t, "sqlite"))
	ctx := context.Background()
	var b strings.Builder
	hot := 0
	const n = 150000
	for i := 0; i < n; i++ {
		if i%3 == 0 {
			fmt.Fprintf(&b, "%d.%06d [0 127.0.0.1:5000] \"SADD\" \"hot\" \"m%d\"\n", 1795535140+i/1000000, i%1000000, i%7)
			hot++
			continue
		}
		if i%1000 == 1 { // a key written now and then, in every flush
			fmt.Fprintf(&b, "%d.%06d [0 127.0.0.1:5000] \"SET\" \"warm\" \"v\"\n", 1795535140+i/1000000, i%1000000)
			continue
		}
		fmt.Fprintf(&b, "%d.%06d [0 127.0.0.1:5000] \"SET\" \"k%d\" \"v\"\n", 1795535140+i/1000000, i%1000000, i)
	}
	p := filepath.Join(t.TempDir(), "many.log")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	fh, _ := os.Open(p)
	defer fh.Close()
	if _, err := ingest.Ingest(ctx, s, p, fh, 0, opts()); err != nil {
		t.Fatal(err)
	}
	evs, err := s.Touching(ctx, "redis", "0", []byte("hot"), n+1, n)
	if err != nil || len(evs) != hot {
		t.Fatalf("hot key: %d writes (%v), want %d", len(evs), err, hot)
	}
	part, err := s.PartTouching(ctx, "redis", "0", []byte("hot"), 1, [][]byte{[]byte("m3")}, n+1, n)
	if err != nil || len(part) != (hot+6)/7 {
		t.Fatalf("hot key's member m3: %d writes (%v), want %d", len(part), err, (hot+6)/7)
	}
	// Each flush writes the list of a key written in it as blocks of its
	// own: the warm key's 150 writes, far fewer than a block holds, in
	// more than one block show several flushes. (The hot key's blocks
	// cannot tell: a flush may end its list at a multiple of 512.)
	blocks := 0
	if err := s.Query(ctx, "SELECT count(*) FROM postings WHERE key = CAST('warm' AS BLOB) AND w = 1", func(_ []string, vals []any) error {
		blocks = int(vals[0].(int64))
		return nil
	}); err != nil || blocks < 2 {
		t.Fatalf("the warm key's list is %d blocks (%v): written in one flush", blocks, err)
	}
	for _, i := range []int{2, 65537, 149999} {
		evs, err := s.Touching(ctx, "redis", "0", []byte(fmt.Sprintf("k%d", i)), n+1, 10)
		if err != nil || len(evs) != 1 || evs[0].ID != int64(i+1) {
			t.Fatalf("k%d: %v (%v), want event %d", i, ids(evs), err, i+1)
		}
	}
}

// TestRunsMatchMemHistory ingests a log of counters (long runs of INCRs
// across blocks, resets, a FLUSHDB, a client in a transaction, a key with
// an EXPIRE, a key whose writes vary too much for a block's shapes, a key
// of INCRs alone, whose whole blocks the store holds packed), a queue
// (pushes of several values at both ends, pops) and a stream (XADD with
// new ids) and
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
			switch k := r.Intn(120); {
			case i%4 == 0:
				line = `"INCR" "solo"`
			case k >= 100 && k < 108:
				line = fmt.Sprintf(`"LPUSH" "queue" "job%d"`, r.Intn(9))
			case k >= 100 && k < 113:
				line = `"RPOP" "queue"`
			case k >= 100 && k < 115:
				line = `"RPUSH" "queue" "urgent"`
			case k >= 100:
				line = fmt.Sprintf(`"XADD" "log" "*" "f" "v%d"`, r.Intn(9))
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
			case k < 87 && i > 3*n/4:
				line = `"FLUSHDB"` // a write of every key: the runs then merge it id by id
			case k < 87:
				line = `"INCR" "calm"`
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
		checked, listed := 0, 0
		for _, key := range []string{"hot", "warm", "varied", "calm", "queue", "log", "solo"} {
			for _, before := range []int64{1, 700, 3001, 4500, n + 1} {
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
				case ok && !sameRuns(got, want):
					t.Errorf("%s before %d: %d runs, MemHistory %d", key, before, len(got), len(want))
				case ok:
					checked++
				}
				// The same writes as one list: the store's, and the
				// list of MemHistory's runs.
				list, listOK, err := s.Shapes(ctx, "redis", "0", []byte(key), before)
				if err != nil {
					t.Fatal(err)
				}
				memList, _, _ := mem.Shapes(ctx, "redis", "0", []byte(key), before)
				switch {
				case listOK != ok:
					t.Errorf("%s before %d: a list (%v) where runs (%v)", key, before, listOK, ok)
				case ok && !sameList(list, memList):
					t.Errorf("%s before %d: a list of %d writes, MemHistory's %d", key, before, len(list.IDs), len(memList.IDs))
				case ok && len(list.IDs) > 0:
					listed++
				}
				// The shapes the blocks keep, without their ids: every
				// shape of the runs.
				set, err := s.ShapeSet(ctx, "redis", "0", []byte(key), before)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range got {
					if r.Shape != 0 && !slices.Contains(set, r.Shape) {
						t.Errorf("%s before %d: shape %x of a run is not in the key's set %x", key, before, r.Shape, set)
					}
				}
			}
		}
		t.Logf("%d runs and %d lists of shapes compared", checked, listed)
		if checked < 17 || listed < 12 { // the queue's, the log's and solo's too
			t.Errorf("only %d runs and %d lists compared", checked, listed)
		}
	})
}

// sameRuns tells whether two lists of runs hold the same shapes and ids,
// however their ids are held (packed or not).
func sameRuns(a, b []provenance.ShapeRun) bool {
	return slices.EqualFunc(a, b, func(x, y provenance.ShapeRun) bool {
		return x.Shape == y.Shape && slices.Equal(x.IDs.Slice(), y.IDs.Slice())
	})
}

// sameList tells whether two lists of shapes hold the same ids with
// the same shapes (in whatever order each numbers its shapes).
func sameList(a, b provenance.ShapeList) bool {
	if !slices.Equal(a.IDs, b.IDs) || len(a.Of) != len(a.IDs) || len(b.Of) != len(b.IDs) {
		return false
	}
	for i := range a.Of {
		if a.Shapes[a.Of[i]] != b.Shapes[b.Of[i]] {
			return false
		}
	}
	return true
}

// k100 is true for one call in a hundred.
func k100(r *rand.Rand) bool { return r.Intn(100) == 0 }

// openIndexed opens a store as wat opens it: with the index, which the
// store needs to keep a server's files in time order.
func openIndexed(t *testing.T, loc string) *store.Store {
	t.Helper()
	index := func() map[string]func(*formats.Event) []formats.Ref {
		return map[string]func(*formats.Event) []formats.Ref{"redis": redis.Spec.(provenance.Indexer).NewIndex()}
	}
	s, err := store.Open(context.Background(), loc, store.Options{Formats: append(allFormats, strace.Format), Index: index})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// ingestIndexed ingests the file at p as a file of instance, with
// Redis's index.
func ingestIndexed(t *testing.T, s *store.Store, p, instance string) {
	t.Helper()
	o := opts()
	o.Formats = append(allFormats, strace.Format)
	o.Instance = instance
	o.Indexes = map[string]func() func(*formats.Event) []formats.Ref{"redis": redis.Spec.(provenance.Indexer).NewIndex}
	ingestWith(t, s, p, o)
}

// sourceNamed returns the stored file at path.
func sourceNamed(t *testing.T, s *store.Store, path string) *store.Source {
	t.Helper()
	srcs, err := s.Sources(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range srcs {
		if src.Path == path {
			return src
		}
	}
	t.Fatalf("%s not stored", path)
	return nil
}

// TestLoggedAround: the lines next to an event in its own MONITOR file,
// nearest first; none for a file whose format does not stamp the
// server's clock, or one merged by time with another capture of its
// server.
func TestLoggedAround(t *testing.T) {
	storetest.Each(t, func(t *testing.T, loc string) {
		ctx := context.Background()
		s := openIndexed(t, loc)
		dir := t.TempDir()
		write := func(name, text string) string {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}
		monitor := func(from, n int, client string) string {
			var b strings.Builder
			for i := range n {
				fmt.Fprintf(&b, "1795535140.%06d [0 127.0.0.1:%s] \"INCR\" \"k\"\n", from+10*i, client)
			}
			return b.String()
		}
		// around returns the lines next to path:line.
		around := func(path string, line, n int) (before, after []int) {
			t.Helper()
			e, err := s.EventAt(ctx, sourceNamed(t, s, path), line)
			if err != nil {
				t.Fatal(err)
			}
			b, a, err := s.LoggedAround(ctx, e.ID, n)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range b {
				before = append(before, e.Line)
			}
			for _, e := range a {
				after = append(after, e.Line)
			}
			return before, after
		}
		a := write("a.log", monitor(100, 12, "1"))
		ingestIndexed(t, s, a, "a")
		tr := write("t.strace", "read(0, \"x\", 1) = 1\nread(0, \"\", 1) = 0\n")
		ingestIndexed(t, s, tr, "")
		for _, c := range []struct {
			line, n       int
			before, after []int
		}{
			{5, 2, []int{4, 3}, []int{6, 7}},
			{1, 3, nil, []int{2, 3, 4}},
			{12, 40, []int{11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, nil},
		} {
			if b, a := around(a, c.line, c.n); fmt.Sprint(b, a) != fmt.Sprint(c.before, c.after) {
				t.Errorf("a.log:%d, %d around: lines %v and %v, want %v and %v", c.line, c.n, b, a, c.before, c.after)
			}
		}
		if _, _, err := s.LoggedAround(ctx, 1<<40, 4); err == nil {
			t.Error("LoggedAround of an id no file holds: no error")
		}
		if b, a := around(tr, 2, 4); b != nil || a != nil {
			t.Errorf("t.strace:2: lines %v and %v, want none (strace does not stamp a server's clock)", b, a)
		}
		// A second capture of a.log's server, its clock overlapping.
		ingestIndexed(t, s, write("b.log", monitor(105, 4, "2")), "a")
		if b, a := around(a, 5, 2); b != nil || a != nil {
			t.Errorf("a.log:5 merged with b.log: lines %v and %v, want none", b, a)
		}
	})
}

// TestTimeOrdered checks what the store knows of its times going forward
// (Source.Backwards, Scoped.TimeOrdered) against the events' own times
// (MemHistory's): a file whose times go forward, the same file grown by
// a line whose time goes back, and files of one instance ingested out of
// order (moved) or overlapping (merged), which the store puts in time
// order.
func TestTimeOrdered(t *testing.T) {
	storetest.Each(t, func(t *testing.T, loc string) {
		ctx := context.Background()
		s := openIndexed(t, loc)
		dir := t.TempDir()
		write := func(name string, secs ...int) string {
			var b strings.Builder
			for i, sec := range secs {
				fmt.Fprintf(&b, "%d.%06d [0 127.0.0.1:5000] \"INCR\" \"k\"\n", 1795535140+sec, i)
			}
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}
		ingestAs := func(p, instance string) { ingestIndexed(t, s, p, instance) }
		// ordered returns what the store says of the times before each
		// event, and what the events' times say.
		ordered := func(src *store.Source) (got, want []bool) {
			t.Helper()
			sc, err := s.ScopeOf(ctx, src.FirstEvent)
			if err != nil {
				t.Fatal(err)
			}
			// The events of the instance's files up to src's last.
			srcs, err := s.Sources(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, o := range srcs {
				for id := o.FirstEvent; o.Instance == src.Instance && id <= min(o.LastEvent, src.LastEvent); id++ {
					ids = append(ids, id)
				}
			}
			slices.Sort(ids)
			mine, err := s.ByID(ctx, slices.Compact(ids))
			if err != nil {
				t.Fatal(err)
			}
			mem := &provenance.MemHistory{Events: mine}
			for _, e := range mine {
				g, err := sc.TimeOrdered(ctx, e.ID+1)
				if err != nil {
					t.Fatal(err)
				}
				w, _ := mem.TimeOrdered(ctx, e.ID+1)
				got, want = append(got, g), append(want, w)
			}
			return got, want
		}
		source := func(path string) *store.Source { return sourceNamed(t, s, path) }
		all := func(bs []bool, v bool) bool { return !slices.Contains(bs, !v) }

		a := write("a.log", 0, 0, 1, 2)
		ingestAs(a, "a")
		if src := source(a); src.Backwards != 0 {
			t.Errorf("a.log: %d events back in time, want 0", src.Backwards)
		} else if got, want := ordered(src); !all(got, true) || !all(want, true) {
			t.Errorf("a.log: ordered %v, its times %v", got, want)
		}
		// Grown by a line a second back, and one after: the file is
		// continued, and its times no longer go forward.
		write("a.log", 0, 0, 1, 2, 1, 3)
		ingestAs(a, "a")
		if src := source(a); src.Backwards != 1 {
			t.Errorf("a.log grown: %d events back in time, want 1", src.Backwards)
		} else if got, want := ordered(src); !all(got, false) || want[len(want)-1] {
			t.Errorf("a.log grown: ordered %v, its times %v", got, want)
		}
		// Three files of one server: the second begins before the
		// first (the store moves it first), the third overlaps the
		// second (merged with it by time).
		c1 := write("c1.log", 10, 11, 12)
		c2 := write("c2.log", 5, 6, 7)
		c3 := write("c3.log", 6, 7, 8)
		for _, p := range []string{c1, c2, c3} {
			ingestAs(p, "c")
		}
		for _, p := range []string{c1, c2, c3} {
			src := source(p)
			if src.Backwards != 0 {
				t.Errorf("%s: %d events back in time, want 0", p, src.Backwards)
			}
			if got, want := ordered(src); !reflect.DeepEqual(got, want) || !all(got, true) {
				t.Errorf("%s: ordered %v, its times %v", p, got, want)
			}
		}
	})
}
