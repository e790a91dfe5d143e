package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/wat-project/wat/formats/redismonitor"
)

// TestEventsByIDAcrossBuckets: events read by id come back in the order
// asked, each the one stored under its id, when the ids lie in many
// buckets and more of them than one statement binds (SQLite reads them in
// statements of up to 500 ids whatever their buckets).
func TestEventsByIDAcrossBuckets(t *testing.T) {
	ctx, s := context.Background(), monitorStore(t)
	rng := rand.New(rand.NewPCG(5, 6))
	var ids []int64
	for b := int64(0); b < 7; b++ {
		for _, off := range []int64{0, 1, 2, 1<<bucketBits - 1} {
			ids = append(ids, b<<bucketBits+off)
		}
	}
	for len(ids) < 1300 {
		ids = append(ids, rng.Int64N(7<<bucketBits))
	}
	stored := map[int64]bool{}
	for _, id := range ids {
		if stored[id] {
			continue
		}
		stored[id] = true
		raw := fmt.Sprintf(`1700000000.000001 [0 127.0.0.1:5000] "SET" "k%d" "v"`, id)
		if _, err := s.db.ExecContext(ctx, `INSERT INTO events(id, source, line, "offset", time, raw) VALUES (?, 1, ?, 0, 0, ?)`, id, id+1, raw); err != nil {
			t.Fatal(err)
		}
	}
	rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	// ByIDOnce reads them alike, and keeps none for later reads.
	once, err := s.ByIDOnce(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.events) != 0 {
		t.Fatalf("ByIDOnce kept %d events", len(s.events))
	}
	evs, err := s.eventsByID(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.events) != len(stored) {
		t.Errorf("eventsByID kept %d events of %d", len(s.events), len(stored))
	}
	for i, e := range once {
		if e == nil || e.ID != ids[i] || e.Raw == nil || string(e.Raw) != string(evs[i].Raw) {
			t.Fatalf("id %d: ByIDOnce read %+v", ids[i], e)
		}
	}
	if len(evs) != len(ids) {
		t.Fatalf("%d events for %d ids", len(evs), len(ids))
	}
	for i, e := range evs {
		if e == nil || e.ID != ids[i] || e.Line != int(ids[i]+1) || string(e.Args[0]) != fmt.Sprintf("k%d", ids[i]) {
			t.Fatalf("id %d: got %+v", ids[i], e)
		}
	}
	if _, err := s.eventsByID(ctx, []int64{3, 7<<bucketBits + 5}); err == nil {
		t.Error("an id not stored was read")
	}
}

// TestIDSetCovers: covers(lo, hi) is has of every id from lo to hi, on
// sets of disjoint ranges with gaps of one id and more.
func TestIDSetCovers(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := 0; trial < 2000; trial++ {
		in := &idSet{}
		at := int64(rng.IntN(5))
		for range rng.IntN(5) {
			lo := at + int64(rng.IntN(3))
			hi := lo + int64(rng.IntN(6))
			in.ranges = append(in.ranges, [2]int64{lo, hi})
			at = hi + 2
		}
		lo := int64(rng.IntN(30))
		hi := lo + int64(rng.IntN(8))
		want := true
		for id := lo; id <= hi; id++ {
			want = want && in.has(id)
		}
		if got := in.covers(lo, hi); got != want {
			t.Fatalf("%v covers %d..%d = %v, want %v", in.ranges, lo, hi, got, want)
		}
	}
	var none *idSet
	if !none.covers(3, 9) {
		t.Error("a nil set (every id) does not cover 3..9")
	}
}

// TestEventsKept: an event read by id is read from the database once and
// handed out again, until the sources change (an ingest, a removal, a
// file stored again), after which what the database holds is read anew.
func TestEventsKept(t *testing.T) {
	ctx, s := context.Background(), monitorStore(t)
	set := func(id int64, key string) {
		raw := fmt.Sprintf(`1700000000.000001 [0 127.0.0.1:5000] "SET" "%s" "v"`, key)
		if _, err := s.db.ExecContext(ctx, `INSERT OR REPLACE INTO events(id, source, line, "offset", time, raw) VALUES (?, 1, ?, 0, 0, ?)`, id, id, raw); err != nil {
			t.Fatal(err)
		}
	}
	keyOf := func(id int64) string {
		t.Helper()
		evs, err := s.eventsByID(ctx, []int64{id})
		if err != nil {
			t.Fatal(err)
		}
		return string(evs[0].Args[0])
	}
	set(1, "a")
	set(2, "b")
	if k := keyOf(1); k != "a" {
		t.Fatalf("event 1 has key %q", k)
	}
	set(1, "c") // behind the store's back: the event kept is handed out
	if k := keyOf(1); k != "a" {
		t.Fatalf("event 1 read again: key %q, not the one kept", k)
	}
	if k := keyOf(2); k != "b" {
		t.Fatalf("event 2 has key %q", k)
	}
	s.sourcesChanged()
	if k := keyOf(1); k != "c" {
		t.Fatalf("after the sources changed, event 1 has key %q, not the stored one", k)
	}
}

// monitorStore opens a new store, closed when the test ends, that holds
// one source of Redis MONITOR lines (id 1) and no events.
func monitorStore(t *testing.T) *Store {
	t.Helper()
	s := openTemp(t, redismonitor.Format)
	if _, err := s.db.ExecContext(context.Background(), `INSERT INTO sources(id, path, format, config, size, hash, lines, events, rejected, skipped, ingested_at, instance, parts)
		VALUES (1, 'm.log', 'redis-monitor', NULL, 0, '', 0, 0, 0, 0, 0, '', 0)`); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestWideBefore: the writes to a whole namespace before an id, in a
// scope, are the same whether the store keeps a namespace's list in
// memory (up to maxCachedWide of them) or reads them a page at a time
// (more), and an ingest's new ones are seen.
func TestWideBefore(t *testing.T) {
	ctx, s := context.Background(), monitorStore(t)
	rng := rand.New(rand.NewPCG(7, 8))
	wide := map[string][]int64{} // by namespace, newest first
	add := func(ns string, n int) {
		next := int64(1)
		if l := wide[ns]; len(l) > 0 {
			next = l[0] + 1
		}
		for range n {
			next += 1 + rng.Int64N(3)
			if _, err := s.db.ExecContext(ctx, `INSERT INTO wide_refs(system, ns, w, event) VALUES ('redis', ?, 1, ?)`, ns, next); err != nil {
				t.Fatal(err)
			}
			wide[ns] = append([]int64{next}, wide[ns]...)
		}
	}
	add("few", 40)
	add("many", maxCachedWide+10)
	in := &idSet{}
	for lo := int64(0); lo < 4*maxCachedWide; lo += 100 {
		in.ranges = append(in.ranges, [2]int64{lo, lo + 60})
	}
	check := func() {
		t.Helper()
		for _, ns := range []string{"few", "many", "none"} {
			for range 200 {
				before := rng.Int64N(4*maxCachedWide + 10)
				if l := wide[ns]; len(l) > 0 && rng.IntN(2) == 0 {
					before = l[rng.IntN(len(l))] + rng.Int64N(2) // at a write and just after
				}
				limit := 1 + rng.IntN(50)
				scope := in
				if rng.IntN(2) == 0 {
					scope = nil
				}
				got, err := s.wideBefore(ctx, scope, "redis", ns, before, limit)
				if err != nil {
					t.Fatal(err)
				}
				var want []int64
				for _, id := range wide[ns] {
					if id < before && scope.has(id) && len(want) < limit {
						want = append(want, id)
					}
				}
				if len(got) != len(want) {
					t.Fatalf("%s before %d, limit %d: %v, want %v", ns, before, limit, got, want)
				}
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("%s before %d, limit %d: %v, want %v", ns, before, limit, got, want)
					}
				}
			}
		}
		if w := s.wide[[2]string{"redis", "many"}]; w.all {
			t.Errorf("%d writes to a namespace kept in memory", len(wide["many"]))
		}
	}
	check()
	add("few", 5)
	s.sourcesChanged() // as an ingest does
	check()
}

// TestLoadCountedRows: events loaded in bulk are stored as given, whether
// a batch binds its ids and source once (they count up by one and share
// one source) or row by row (a gap in the ids, another source), in full
// batches and in a remainder.
func TestLoadCountedRows(t *testing.T) {
	ctx, s := context.Background(), monitorStore(t)
	type row struct{ id, source, line int64 }
	var rows []row
	add := func(n int, next func(i int) row) {
		for i := range n {
			rows = append(rows, next(i))
		}
	}
	add(batchRows+7, func(i int) row { return row{int64(10 + i), 1, int64(3 * i)} })          // counted, then a remainder
	add(batchRows, func(i int) row { return row{int64(1000 + i + i/50), 1, int64(i)} })       // a gap in the middle
	add(batchRows, func(i int) row { return row{int64(2000 + i), int64(1 + i%2), int64(i)} }) // two sources
	add(batchRows+1, func(i int) row { return row{int64(3000 + i), 1, int64(i)} })            // counted, a remainder of one
	tx, err := s.db.beginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, part := range [][]row{rows[:batchRows+7], rows[batchRows+7 : 2*batchRows+7], rows[2*batchRows+7 : 3*batchRows+7], rows[3*batchRows+7:]} {
		var vals []any
		for _, r := range part {
			vals = append(vals, r.id, r.source, r.line, r.line*10, r.id*7, []byte(fmt.Sprint("raw ", r.id)))
		}
		if err := tx.load(ctx, eventsTable, vals); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	got, err := s.db.QueryContext(ctx, `SELECT id, source, line, "offset", time, raw FROM events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	i := 0
	for ; got.Next(); i++ {
		var id, source, line, offset, tm int64
		var raw []byte
		if err := got.Scan(&id, &source, &line, &offset, &tm, &raw); err != nil {
			t.Fatal(err)
		}
		if i >= len(rows) {
			t.Fatalf("more rows stored than loaded: id %d", id)
		}
		r := rows[i]
		if id != r.id || source != r.source || line != r.line || offset != r.line*10 || tm != r.id*7 || string(raw) != fmt.Sprint("raw ", r.id) {
			t.Errorf("row %d: stored (%d %d %d %d %d %q), loaded %+v", i, id, source, line, offset, tm, raw, r)
		}
	}
	if err := got.Err(); err != nil {
		t.Fatal(err)
	}
	if i != len(rows) {
		t.Errorf("%d rows stored, %d loaded", i, len(rows))
	}
	for _, c := range []struct {
		rows []row
		want bool
	}{{rows[:batchRows], true}, {rows[batchRows+7 : 2*batchRows+7], false}, {rows[2*batchRows+7 : 3*batchRows+7], false}} {
		var vals []any
		for _, r := range c.rows {
			vals = append(vals, r.id, r.source, r.line, r.line*10, r.id*7, []byte{})
		}
		if got := countedRows(vals, len(eventsTable.cols)); got != c.want {
			t.Errorf("rows from id %d: counted %v, want %v", c.rows[0].id, got, c.want)
		}
	}
}
