package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

var (
	_ provenance.PartHistory    = (*Store)(nil)
	_ provenance.PartHistory    = (*Scoped)(nil)
	_ provenance.IndexedHistory = (*Store)(nil)
	_ provenance.IndexedHistory = (*Scoped)(nil)
	_ provenance.RunHistory     = (*Store)(nil)
	_ provenance.RunHistory     = (*Scoped)(nil)
)

// PartsIndexed implements provenance.PartHistory: every source was
// ingested with the part index (version 1 of provenance.IndexVersion).
func (s *Store) PartsIndexed(ctx context.Context) (bool, error) { return s.IndexedSince(ctx, 1) }

// IndexedSince implements provenance.IndexedHistory: every source was
// ingested with version v of the index or a later one. A source keeps
// the version it was ingested with (Source.Parts); 0 for a file
// ingested before there was one.
func (s *Store) IndexedSince(ctx context.Context, v int) (bool, error) {
	srcs, err := s.Sources(ctx)
	if err != nil {
		return false, err
	}
	for _, src := range srcs {
		if src.Parts < v {
			return false, nil
		}
	}
	return true, nil
}

// writeLists returns the w of a key's write lists: 1, and 1+c for each
// class c of writes the key has.
func (s *Store) writeLists(ctx context.Context, system, ns string, key []byte) ([]int, error) {
	out := []int{1}
	for at := 1; ; {
		var next int
		err := s.db.QueryRowContext(ctx, sqlNextList, system, ns, key, at, int64(1)<<62).Scan(&next)
		if errors.Is(err, sql.ErrNoRows) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, next)
		at = next
	}
}

// listIDs is keyIDsBefore (before) or keyIDsAfter (!before) of several
// lists of keys, merged: newest first before, oldest first after.
func (s *Store) listIDs(ctx context.Context, in *idSet, system, ns string, keys [][]byte, ws []int, bound int64, limit int, before bool) ([]int64, error) {
	var out []int64
	for i, key := range keys {
		var ids []int64
		var err error
		if before {
			ids, err = s.keyIDsBefore(ctx, in, system, ns, key, ws[i], bound, limit)
		} else {
			ids, err = s.keyIDsAfter(ctx, in, system, ns, key, ws[i], bound, limit)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ids...)
	}
	if len(keys) > 1 {
		slices.Sort(out)
		out = slices.Compact(out)
		if before {
			slices.Reverse(out)
		}
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// writeIDs is keyIDsBefore or keyIDsAfter of every write list of a key.
func (s *Store) writeIDs(ctx context.Context, in *idSet, system, ns string, key []byte, bound int64, limit int, before bool) ([]int64, error) {
	ws, err := s.writeLists(ctx, system, ns, key)
	if err != nil {
		return nil, err
	}
	keys := make([][]byte, len(ws))
	for i := range keys {
		keys[i] = key
	}
	return s.listIDs(ctx, in, system, ns, keys, ws, bound, limit, before)
}

// WholeTouching implements provenance.PartHistory.
func (s *Store) WholeTouching(ctx context.Context, system, ns string, key []byte, before int64, limit int) ([]*formats.Event, error) {
	return s.wholeTouching(ctx, nil, system, ns, key, before, limit)
}

func (s *Store) wholeTouching(ctx context.Context, in *idSet, system, ns string, key []byte, before int64, limit int) ([]*formats.Event, error) {
	if key == nil {
		key = []byte{}
	}
	ids, err := s.keyIDsBefore(ctx, in, system, ns, key, 1, before, limit)
	if err != nil {
		return nil, err
	}
	return s.newestWithWide(ctx, in, system, ns, ids, before, limit)
}

// PartTouching implements provenance.PartHistory.
func (s *Store) PartTouching(ctx context.Context, system, ns string, key []byte, class int, parts [][]byte, before int64, limit int) ([]*formats.Event, error) {
	return s.partTouching(ctx, nil, system, ns, key, class, parts, before, limit)
}

func (s *Store) partTouching(ctx context.Context, in *idSet, system, ns string, key []byte, class int, parts [][]byte, before int64, limit int) ([]*formats.Event, error) {
	keys := make([][]byte, len(parts))
	ws := make([]int, len(parts))
	for i, p := range parts {
		keys[i], ws[i] = partKey(key, p), -class
	}
	ids, err := s.listIDs(ctx, in, system, ns, keys, ws, before, limit, true)
	if err != nil {
		return nil, err
	}
	return s.eventsByID(ctx, ids)
}

// Classes implements provenance.PartHistory.
func (s *Store) Classes(ctx context.Context, system, ns string, key []byte, before int64) (uint64, error) {
	return s.classes(ctx, nil, system, ns, key, before)
}

// classes is Classes of the events in in: a class counts when one of
// its blocks begins before the id and holds one of in's events there.
func (s *Store) classes(ctx context.Context, in *idSet, system, ns string, key []byte, before int64) (uint64, error) {
	var set uint64
	for at := 1; ; {
		var w int
		err := s.db.QueryRowContext(ctx, sqlNextList, system, ns, key, at, before).Scan(&w)
		if errors.Is(err, sql.ErrNoRows) {
			return set, nil
		}
		if err != nil {
			return 0, err
		}
		at = w
		if in != nil {
			ids, err := s.keyIDsBefore(ctx, in, system, ns, key, w, before, 1)
			if err != nil {
				return 0, err
			}
			if len(ids) == 0 {
				continue
			}
		}
		set |= 1 << (w - 1)
	}
}

// WholeTouching implements provenance.PartHistory within the instance.
func (sc *Scoped) WholeTouching(ctx context.Context, system, ns string, key []byte, before int64, limit int) ([]*formats.Event, error) {
	return sc.wholeTouching(ctx, sc.in, system, ns, key, before, limit)
}

// PartTouching implements provenance.PartHistory within the instance.
func (sc *Scoped) PartTouching(ctx context.Context, system, ns string, key []byte, class int, parts [][]byte, before int64, limit int) ([]*formats.Event, error) {
	return sc.partTouching(ctx, sc.in, system, ns, key, class, parts, before, limit)
}

// Classes implements provenance.PartHistory within the instance.
func (sc *Scoped) Classes(ctx context.Context, system, ns string, key []byte, before int64) (uint64, error) {
	return sc.classes(ctx, sc.in, system, ns, key, before)
}

// A key's history as runs of like writes (provenance.RunHistory).

// Runs implements provenance.RunHistory.
func (s *Store) Runs(ctx context.Context, system, ns string, key []byte, before int64) ([]provenance.ShapeRun, bool, error) {
	return s.shapeRuns(ctx, nil, system, ns, key, before)
}

// Runs implements provenance.RunHistory: the writes of the instance's
// files.
func (sc *Scoped) Runs(ctx context.Context, system, ns string, key []byte, before int64) ([]provenance.ShapeRun, bool, error) {
	return sc.shapeRuns(ctx, sc.in, system, ns, key, before)
}

// ByID implements provenance.RunHistory.
func (s *Store) ByID(ctx context.Context, ids []int64) ([]*formats.Event, error) {
	return s.eventsByID(ctx, ids)
}

// shapeRuns is Runs of the events in in: the key's write blocks with their
// shapes (a key with writes of a class, whose lists have none, has no
// runs), and the writes to its namespace and every namespace, as runs of
// shape 0.
func (s *Store) shapeRuns(ctx context.Context, in *idSet, system, ns string, key []byte, before int64) ([]provenance.ShapeRun, bool, error) {
	if key == nil {
		key = []byte{}
	}
	ws, err := s.writeLists(ctx, system, ns, key)
	if err != nil || len(ws) != 1 {
		return nil, false, err
	}
	rows, err := s.db.QueryContext(ctx, sqlRunBlocks, system, ns, key, before)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	// The blocks first, so that the lists are made once at their size.
	type runBlock struct {
		first    int64
		n        int
		blob, sh []byte
	}
	var blocks []runBlock
	total := 0
	for rows.Next() {
		var b runBlock
		if err := rows.Scan(&b.first, &b.n, &b.blob, &b.sh); err != nil {
			return nil, false, err
		}
		if b.sh == nil {
			return nil, false, nil
		}
		blocks, total = append(blocks, b), total+b.n
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	// The ids, and their shapes as runs: a counter's 500,000 writes are
	// a run or two a block, and one shape an id would double what the
	// answer's process touches.
	ids := make([]int64, 0, total)
	runBytes := 0 // at least a byte a run: the runs' list made once
	for _, b := range blocks {
		if len(b.sh) > 0 {
			runBytes += max(0, len(b.sh)-1-8*int(b.sh[0]))
		}
	}
	rs := make([]shapeCount, 0, runBytes)
	for _, b := range blocks {
		at, r0 := len(ids), len(rs)
		if ids, err = decodeIDs(ids, b.first, b.n, b.blob); err != nil {
			return nil, false, fmt.Errorf("key %s of %s %s: %w", formats.Quote(key), system, ns, err)
		}
		if rs, err = decodeShapeRuns(rs, b.n, b.sh); err != nil {
			return nil, false, fmt.Errorf("key %s of %s %s: shapes: %w", formats.Quote(key), system, ns, err)
		}
		if len(ids) == at || ids[len(ids)-1] < before && in.covers(ids[at], ids[len(ids)-1]) {
			continue // the whole block is before the bound and in in
		}
		// Keep the ids before the bound that are in in, and their shapes.
		shapes := expandShapes(nil, rs[r0:])
		rs = rs[:r0]
		j := at
		for i := at; i < len(ids); i++ {
			if ids[i] < before && in.has(ids[i]) {
				ids[j] = ids[i]
				rs = append(rs, shapeCount{shapes[i-at], 1})
				j++
			}
		}
		ids = ids[:j]
	}
	var wide []int64
	for _, wns := range []string{ns, formats.AllNS} {
		more, err := s.wideBefore(ctx, in, system, wns, before, math.MaxInt32)
		if err != nil {
			return nil, false, err
		}
		wide = append(wide, more...)
	}
	if len(wide) > 0 || !slices.IsSorted(ids) {
		if ids, rs, err = withWide(ids, rs, wide); err != nil {
			return nil, false, err
		}
	}
	n := 0 // the runs, counted to make the list once (a queue has a run every few writes)
	for i := range rs {
		if i == 0 || rs[i].shape != rs[i-1].shape {
			n++
		}
	}
	var out []provenance.ShapeRun
	if n > 0 {
		out = make([]provenance.ShapeRun, 0, n)
	}
	at := 0
	for i := 0; i < len(rs); {
		j, m := i+1, rs[i].n
		for j < len(rs) && rs[j].shape == rs[i].shape {
			m += rs[j].n
			j++
		}
		out = append(out, provenance.ShapeRun{Shape: rs[i].shape, IDs: ids[at : at+m : at+m]})
		at, i = at+m, j
	}
	return out, true, nil
}

// withWide merges into a key's writes (ids, with their shapes as runs)
// the writes to its whole namespace or to every namespace (wide), which
// have no shape; an event listed twice (under the key and its namespace)
// has none either.
func withWide(ids []int64, rs []shapeCount, wide []int64) ([]int64, []shapeCount, error) {
	shapes := expandShapes(make([]uint64, 0, len(ids)+len(wide)), rs)
	if len(shapes) != len(ids) {
		return nil, nil, fmt.Errorf("internal error: %d ids with %d shapes", len(ids), len(shapes))
	}
	for _, id := range wide {
		ids, shapes = append(ids, id), append(shapes, 0)
	}
	idx := make([]int, len(ids))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(ids[a], ids[b]) })
	sortedIDs := make([]int64, 0, len(ids))
	var out []shapeCount
	for _, k := range idx {
		if n := len(sortedIDs); n > 0 && ids[k] == sortedIDs[n-1] {
			out[len(out)-1].shape = 0 // listed twice: no shape
			continue
		}
		sortedIDs = append(sortedIDs, ids[k])
		out = append(out, shapeCount{shapes[k], 1})
	}
	return sortedIDs, out, nil
}

// HasLinks tells whether the store holds any links between requests (a
// service's request ids, parents, records of its calls, paired replies):
// without them no request was sent by another.
func (s *Store) HasLinks(ctx context.Context) (bool, error) {
	// A command that only reads asks once (as Sources); one that
	// ingests asks again.
	if s.hasLinks == nil || !s.readOnly {
		for _, kind := range []string{linkID, linkParent, linkCall, linkPair} {
			var known *bool
			has, err := s.anyPosting(ctx, kind, &known)
			if err != nil {
				return false, err
			}
			if has {
				s.hasLinks = known
				return true, nil
			}
		}
		no := false
		s.hasLinks = &no
	}
	return *s.hasLinks, nil
}
