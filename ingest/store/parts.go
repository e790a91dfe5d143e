package store

import (
	"bytes"
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
	runs, ok, err := s.readRuns(ctx, in, system, ns, key, before, wide, len(wide) > 0)
	if errors.Is(err, errInterleaved) {
		runs, ok, err = s.readRuns(ctx, in, system, ns, key, before, wide, true)
	}
	return runs, ok, err
}

// errInterleaved says that a key's blocks interleave: its runs are made
// by merging them.
var errInterleaved = errors.New("interleaved blocks")

// readRuns is shapeRuns of the key's blocks, read once: each block's ids
// unpacked from the driver's bytes straight into one list made at its
// size, and its runs of shapes added as they come; or, with merge, every
// block unpacked and merged with wide. Without merge, it returns
// errInterleaved at a block that begins before the last one ends.
func (s *Store) readRuns(ctx context.Context, in *idSet, system, ns string, key []byte, before int64, wide []int64, merge bool) ([]provenance.ShapeRun, bool, error) {
	var count, total, shapeBytes int
	if err := s.db.QueryRowContext(ctx, sqlRunSizes, system, ns, key, before).Scan(&count, &total, &shapeBytes); err != nil {
		return nil, false, err
	}
	rows, err := s.db.QueryContext(ctx, sqlRunBlocks, system, ns, key, before)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	// At most a run a block, or one a byte of the blocks' runs (past
	// each one's 9 bytes of shape).
	rb := runBuilder{out: make([]provenance.ShapeRun, 0, count+max(0, shapeBytes-9*count)), ids: make([]int64, 0, total), lo: -1, hi: -1}
	var rs []shapeCount // the block's runs (every block's, merging)
	last := int64(-1)
	for rows.Next() {
		var first, end int64
		var n int
		var blob, sh sql.RawBytes
		if err := rows.Scan(&first, &end, &n, &blob, &sh); err != nil {
			return nil, false, err
		}
		if sh == nil {
			return nil, false, nil
		}
		if first <= last && !merge {
			return nil, false, errInterleaved
		}
		last = end
		if !merge && end < before && in.covers(first, end) && oneRun(n, sh) {
			if err := checkIDs(first, end, n, blob); err != nil {
				return nil, false, fmt.Errorf("key %s of %s %s: %w", formats.Quote(key), system, ns, err)
			}
			shape := binary.LittleEndian.Uint64(sh[1:])
			rb.add(shape, provenance.PackedIDs(first, end, n, packedBlock{first, n, bytes.Clone(blob)}), -1)
			continue
		}
		if !merge {
			rs = rs[:0]
		}
		at, r0 := len(rb.ids), len(rs)
		if rb.ids, err = decodeIDs(rb.ids, first, n, blob); err != nil {
			return nil, false, fmt.Errorf("key %s of %s %s: %w", formats.Quote(key), system, ns, err)
		}
		if rs, err = decodeShapeRuns(rs, n, sh); err != nil {
			return nil, false, fmt.Errorf("key %s of %s %s: shapes: %w", formats.Quote(key), system, ns, err)
		}
		if ids := rb.ids; end >= before || !in.covers(first, end) {
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
			rb.ids = ids[:j]
		}
		if !merge {
			rb.addRuns(rs[r0:], at)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	if merge {
		if rb.ids, rs, err = withWide(rb.ids, rs, wide); err != nil {
			return nil, false, err
		}
		rb.addRuns(rs, 0)
	}
	for k, lists := range rb.join {
		rb.out[k].IDs = provenance.JoinIDs(lists...)
	}
	return rb.out, true, nil
}

// A runBuilder makes a key's runs of one shape, in order, each of
// packed blocks and stretches of ids unpacked into ids. A run of
// unpacked ids alone is one slice of ids (the stretch lo to hi, grown
// while the next is of its shape); one that holds a packed block is
// joined once at the end (join).
type runBuilder struct {
	out    []provenance.ShapeRun
	ids    []int64
	lo, hi int
	join   map[int][]provenance.IDs
}

// add adds the ids l of a shape: ids[at:] when at is not -1.
func (rb *runBuilder) add(shape uint64, l provenance.IDs, at int) {
	k := len(rb.out) - 1
	switch {
	case k < 0 || rb.out[k].Shape != shape:
		rb.out = append(rb.out, provenance.ShapeRun{Shape: shape, IDs: l})
		rb.lo, rb.hi = -1, -1
		if at >= 0 {
			rb.lo, rb.hi = at, at+l.Len()
		}
		return
	case at >= 0 && rb.hi == at:
		rb.hi += l.Len()
		rb.out[k].IDs = provenance.IDsOf(rb.ids[rb.lo:rb.hi:rb.hi])
		return
	}
	if rb.join == nil {
		rb.join = map[int][]provenance.IDs{}
	}
	if rb.join[k] == nil {
		rb.join[k] = []provenance.IDs{rb.out[k].IDs}
	}
	rb.join[k] = append(rb.join[k], l)
	rb.lo, rb.hi = -1, -1
}

// addRuns adds runs of the ids from ids[at:].
func (rb *runBuilder) addRuns(rs []shapeCount, at int) {
	for _, r := range rs {
		rb.add(r.shape, provenance.IDsOf(rb.ids[at:at+r.n:at+r.n]), at)
		at += r.n
	}
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
