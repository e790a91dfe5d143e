package store

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

var (
	_ provenance.RunHistory = (*Store)(nil)
	_ provenance.RunHistory = (*Scoped)(nil)
)

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
	ids, shapes := make([]int64, 0, total), make([]uint64, 0, total)
	var blk []int64
	for _, b := range blocks {
		if blk, err = decodeIDs(blk[:0], b.first, b.n, b.blob); err != nil {
			return nil, false, fmt.Errorf("key %s of %s %s: %w", formats.Quote(key), system, ns, err)
		}
		at := len(shapes)
		if shapes, err = decodeShapes(shapes, b.n, b.sh); err != nil {
			return nil, false, fmt.Errorf("key %s of %s %s: shapes: %w", formats.Quote(key), system, ns, err)
		}
		// Keep the ids before the bound that are in in.
		j := at
		for i, id := range blk {
			if id < before && in.has(id) {
				ids = append(ids, id)
				shapes[j] = shapes[at+i]
				j++
			}
		}
		shapes = shapes[:j]
	}
	for _, wns := range []string{ns, formats.AllNS} {
		wide, err := s.wideBefore(ctx, in, system, wns, before, math.MaxInt32)
		if err != nil {
			return nil, false, err
		}
		for _, id := range wide {
			ids, shapes = append(ids, id), append(shapes, 0)
		}
	}
	if !slices.IsSorted(ids) {
		idx := make([]int, len(ids))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int { return int(ids[a] - ids[b]) })
		sortedIDs, sortedShapes := make([]int64, len(ids)), make([]uint64, len(ids))
		for i, k := range idx {
			sortedIDs[i], sortedShapes[i] = ids[k], shapes[k]
		}
		ids, shapes = sortedIDs, sortedShapes
	}
	// An event listed twice (under the key and its namespace) has no
	// shape.
	k := 0
	for i := range ids {
		if k > 0 && ids[i] == ids[k-1] {
			shapes[k-1] = 0
			continue
		}
		ids[k], shapes[k] = ids[i], shapes[i]
		k++
	}
	ids, shapes = ids[:k], shapes[:k]
	var out []provenance.ShapeRun
	for i := 0; i < len(ids); {
		j := i + 1
		for j < len(ids) && shapes[j] == shapes[i] {
			j++
		}
		out = append(out, provenance.ShapeRun{Shape: shapes[i], IDs: ids[i:j:j]})
		i = j
	}
	return out, true, nil
}

// HasLinks tells whether the store holds any links between requests (a
// service's request ids, parents, records of its calls, paired replies):
// without them no request was sent by another.
func (s *Store) HasLinks(ctx context.Context) (bool, error) {
	for _, kind := range []string{linkID, linkParent, linkCall, linkPair} {
		var known *bool
		if has, err := s.anyPosting(ctx, kind, &known); err != nil || has {
			return has, err
		}
	}
	return false, nil
}
