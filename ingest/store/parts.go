package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
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
// shape 0. A block of one run, wholly before the bound and in in, is
// held packed (packedBlock): a hot counter's answer reads its blocks'
// counts, and unpacks only the ids it lists.
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
	type runBlock struct {
		first, last int64
		n           int
		blob, sh    []byte
		packed      bool
	}
	var blocks []runBlock
	var arena []byte // the blocks' bytes, copied once from the driver's
	for rows.Next() {
		var b runBlock
		var blob, sh sql.RawBytes
		if err := rows.Scan(&b.first, &b.last, &b.n, &blob, &sh); err != nil {
			return nil, false, err
		}
		if sh == nil {
			return nil, false, nil
		}
		at := len(arena)
		arena = append(append(arena, blob...), sh...)
		b.blob, b.sh = arena[at:at+len(blob):at+len(blob)], arena[at+len(blob):len(arena):len(arena)]
		blocks = append(blocks, b)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	var wide []int64
	for _, wns := range []string{ns, formats.AllNS} {
		more, err := s.wideBefore(ctx, in, system, wns, before, math.MaxInt32)
		if err != nil {
			return nil, false, err
		}
		wide = append(wide, more...)
	}
	// Writes to the whole namespace, or blocks whose ids interleave (of
	// files ingested apart), are merged id by id: every block unpacked.
	merge := len(wide) > 0
	for i := 1; i < len(blocks) && !merge; i++ {
		merge = blocks[i].first <= blocks[i-1].last
	}
	unpacked := 0 // the ids to unpack: their list made once
	runBytes := 0 // at least a byte a run: the runs' list made once
	for i := range blocks {
		b := &blocks[i]
		b.packed = !merge && b.last < before && in.covers(b.first, b.last) && oneRun(b.n, b.sh)
		if b.packed {
			if err := checkIDs(b.first, b.last, b.n, b.blob); err != nil {
				return nil, false, fmt.Errorf("key %s of %s %s: %w", formats.Quote(key), system, ns, err)
			}
			continue
		}
		unpacked += b.n
		if len(b.sh) > 0 {
			runBytes += max(0, len(b.sh)-1-8*int(b.sh[0]))
		}
	}
	// The key's writes as runs of one shape, in order, each made of
	// packed blocks and stretches of ids unpacked into ids. A run of
	// unpacked ids alone is one slice of ids; one that holds a packed
	// block is joined once at the end (join).
	out := make([]provenance.ShapeRun, 0, len(blocks)+runBytes) // at most a run a block or a byte
	ids := make([]int64, 0, unpacked)
	lo, hi := -1, -1 // the last run's stretch of ids, when it is one
	join := map[int][]provenance.IDs{}
	add := func(shape uint64, l provenance.IDs, at int) {
		k := len(out) - 1
		switch {
		case k < 0 || out[k].Shape != shape:
			out = append(out, provenance.ShapeRun{Shape: shape, IDs: l})
			lo, hi = -1, -1
			if at >= 0 {
				lo, hi = at, at+l.Len()
			}
			return
		case at >= 0 && hi == at:
			hi += l.Len()
			out[k].IDs = provenance.IDsOf(ids[lo:hi:hi])
			return
		}
		if join[k] == nil {
			join[k] = []provenance.IDs{out[k].IDs}
		}
		join[k] = append(join[k], l)
		lo, hi = -1, -1
	}
	rs := make([]shapeCount, 0, runBytes)
	for _, b := range blocks {
		if b.packed {
			shape := binary.LittleEndian.Uint64(b.sh[1:])
			add(shape, provenance.PackedIDs(b.first, b.last, b.n, packedBlock{b.first, b.n, b.blob}), -1)
			continue
		}
		at, r0 := len(ids), len(rs)
		if ids, err = decodeIDs(ids, b.first, b.n, b.blob); err != nil {
			return nil, false, fmt.Errorf("key %s of %s %s: %w", formats.Quote(key), system, ns, err)
		}
		if rs, err = decodeShapeRuns(rs, b.n, b.sh); err != nil {
			return nil, false, fmt.Errorf("key %s of %s %s: shapes: %w", formats.Quote(key), system, ns, err)
		}
		if ids[len(ids)-1] >= before || !in.covers(ids[at], ids[len(ids)-1]) {
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
		if merge {
			continue // runs made once every block is unpacked and merged
		}
		for _, r := range rs[r0:] {
			add(r.shape, provenance.IDsOf(ids[at:at+r.n:at+r.n]), at)
			at += r.n
		}
	}
	if merge {
		if ids, rs, err = withWide(ids, rs, wide); err != nil {
			return nil, false, err
		}
		at := 0
		for _, r := range rs {
			add(r.shape, provenance.IDsOf(ids[at:at+r.n:at+r.n]), at)
			at += r.n
		}
	}
	for k, lists := range join {
		out[k].IDs = provenance.JoinIDs(lists...)
	}
	return out, true, nil
}

// A packedBlock is a postings block's ids, checked (checkIDs) and
// unpacked when read (provenance.IDPack).
type packedBlock struct {
	first int64
	n     int
	blob  []byte
}

// Unpack implements provenance.IDPack.
func (p packedBlock) Unpack(dst []int64) []int64 {
	dst, err := decodeIDs(dst, p.first, p.n, p.blob)
	if err != nil {
		panic("store: a checked block does not decode: " + err.Error())
	}
	return dst
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
