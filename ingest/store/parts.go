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
	"github.com/wat-project/wat/provenance/hugepages"
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

// Shapes implements provenance.ShapeHistory.
func (s *Store) Shapes(ctx context.Context, system, ns string, key []byte, before int64) (provenance.ShapeList, bool, error) {
	return s.shapeList(ctx, nil, system, ns, key, before)
}

// Shapes implements provenance.ShapeHistory: the writes of the
// instance's files.
func (sc *Scoped) Shapes(ctx context.Context, system, ns string, key []byte, before int64) (provenance.ShapeList, bool, error) {
	return sc.shapeList(ctx, sc.in, system, ns, key, before)
}

// ShapeSet implements provenance.ShapeHistory: the shapes the
// dictionaries of the key's write blocks hold.
func (s *Store) ShapeSet(ctx context.Context, system, ns string, key []byte, before int64) ([]uint64, error) {
	if key == nil {
		key = []byte{}
	}
	rows, err := s.db.QueryContext(ctx, sqlBlockShapes, system, ns, key, before)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []uint64
	for rows.Next() {
		var sh sql.RawBytes
		if err := rows.Scan(&sh); err != nil {
			return nil, err
		}
		if len(sh) == 0 || len(sh) < 1+8*int(sh[0]) {
			continue // no shapes kept, or not read here (decodeShapeRuns checks)
		}
		for i := range int(sh[0]) {
			if d := binary.LittleEndian.Uint64(sh[1+8*i:]); d != 0 && !slices.Contains(out, d) {
				out = append(out, d)
			}
		}
	}
	return out, rows.Err()
}

// ShapeSet implements provenance.ShapeHistory: the store's, as a guess
// may be wider than the instance's.
func (sc *Scoped) ShapeSet(ctx context.Context, system, ns string, key []byte, before int64) ([]uint64, error) {
	return sc.Store.ShapeSet(ctx, system, ns, key, before)
}

// ByID implements provenance.RunHistory.
func (s *Store) ByID(ctx context.Context, ids []int64) ([]*formats.Event, error) {
	return s.eventsByID(ctx, ids)
}

// ByIDOnce is ByID for events read to be shown once (a chunk of an
// answer that lists every one of its events): the store does not keep
// them for later reads, so that listing 500,000 events holds a chunk of
// them, not the 65,536 it would keep.
func (s *Store) ByIDOnce(ctx context.Context, ids []int64) ([]*formats.Event, error) {
	return s.readByID(ctx, ids, false)
}

// shapeRuns is Runs of the events in in (keyBlocks). A block of one
// run, wholly before the bound and in in, is held packed (packedBlock):
// a hot counter's answer reads its blocks' counts, and unpacks only the
// ids it lists.
func (s *Store) shapeRuns(ctx context.Context, in *idSet, system, ns string, key []byte, before int64) ([]provenance.ShapeRun, bool, error) {
	var rb *runBuilder
	ok, err := s.keyBlocks(ctx, in, system, ns, key, before, func() blockSink {
		rb = &runBuilder{lo: -1, hi: -1}
		return rb
	})
	if err != nil || !ok {
		return nil, false, err
	}
	for k, lists := range rb.join {
		rb.out[k].IDs = provenance.JoinIDs(lists...)
	}
	return rb.out, true, nil
}

// shapeList is Shapes of the events in in (keyBlocks).
func (s *Store) shapeList(ctx context.Context, in *idSet, system, ns string, key []byte, before int64) (provenance.ShapeList, bool, error) {
	var sl *shapeLister
	ok, err := s.keyBlocks(ctx, in, system, ns, key, before, func() blockSink {
		sl = &shapeLister{}
		return sl
	})
	if err != nil || !ok || sl.tooMany {
		return provenance.ShapeList{}, false, err
	}
	if len(sl.l.Of) != len(sl.l.IDs) {
		return provenance.ShapeList{}, false, fmt.Errorf("internal error: %d ids with %d shapes", len(sl.l.IDs), len(sl.l.Of))
	}
	return sl.l, true, nil
}

// keyBlocks reads the writes of a key before an id that are in in into
// a sink (made by sink, again when the first try finds the blocks
// interleaved): the key's write blocks with their shapes (a key with
// writes of a class, whose lists have none, has no runs: false), and the
// writes to its namespace and every namespace, of shape 0.
func (s *Store) keyBlocks(ctx context.Context, in *idSet, system, ns string, key []byte, before int64, sink func() blockSink) (bool, error) {
	if key == nil {
		key = []byte{}
	}
	ws, err := s.writeLists(ctx, system, ns, key)
	if err != nil || len(ws) != 1 {
		return false, err
	}
	var wide []int64
	for _, wns := range []string{ns, formats.AllNS} {
		more, err := s.wideBefore(ctx, in, system, wns, before, math.MaxInt32)
		if err != nil {
			return false, err
		}
		wide = append(wide, more...)
	}
	// Writes to the whole namespace, or blocks whose ids interleave (of
	// files ingested apart), are merged id by id: every block unpacked.
	ok, err := s.readBlocks(ctx, in, system, ns, key, before, wide, len(wide) > 0, sink())
	if errors.Is(err, errInterleaved) {
		ok, err = s.readBlocks(ctx, in, system, ns, key, before, wide, true, sink())
	}
	return ok, err
}

// hotHistory is how many writes make a key's history hot: an answer
// over it allocates megabytes, in a heap that hugepages.Heap prepares.
const hotHistory = 1 << 16

// errInterleaved says that a key's blocks interleave: its runs are made
// by merging them.
var errInterleaved = errors.New("interleaved blocks")

// A blockSink takes a key's writes as readBlocks reads them: ids
// unpacked into its list, and their runs of shapes.
type blockSink interface {
	// size is told the blocks' count, their ids and their shapes' bytes,
	// before any block.
	size(count, total, shapeBytes int)
	// list returns the sink's list of ids, that readBlocks appends to.
	list() *[]int64
	// packed takes a block of one shape wholly before the bound and in
	// scope, unpacked only when read, and returns true; or false when the
	// sink wants it unpacked.
	packed(shape uint64, first, end int64, n int, blob []byte) bool
	// runs takes the runs of shapes of the list's ids from at on.
	runs(rs []shapeCount, at int)
}

// readBlocks reads a key's write blocks below a bound into a sink: each
// block's ids unpacked from the driver's bytes straight into the sink's
// list, and its runs of shapes given as they come; or, with merge, every
// block unpacked and merged with wide. Without merge, it returns
// errInterleaved at a block that begins before the last one ends. It
// returns false when a block has no shapes.
func (s *Store) readBlocks(ctx context.Context, in *idSet, system, ns string, key []byte, before int64, wide []int64, merge bool, sink blockSink) (bool, error) {
	var count, total, shapeBytes int
	if err := s.db.QueryRowContext(ctx, sqlRunSizes, system, ns, key, before).Scan(&count, &total, &shapeBytes); err != nil {
		return false, err
	}
	rows, err := s.db.QueryContext(ctx, sqlRunBlocks, system, ns, key, before)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	if total >= hotHistory {
		hugepages.Heap()
	}
	sink.size(count, total, shapeBytes)
	ids := sink.list()
	var rs []shapeCount // the block's runs (every block's, merging)
	last := int64(-1)
	for rows.Next() {
		var first, end int64
		var n int
		var blob, sh sql.RawBytes
		if err := rows.Scan(&first, &end, &n, &blob, &sh); err != nil {
			return false, err
		}
		if sh == nil {
			return false, nil
		}
		if first <= last && !merge {
			return false, errInterleaved
		}
		last = end
		if !merge && end < before && in.covers(first, end) && oneRun(n, sh) {
			if err := checkIDs(first, end, n, blob); err != nil {
				return false, fmt.Errorf("key %s of %s %s: %w", formats.Quote(key), system, ns, err)
			}
			if sink.packed(binary.LittleEndian.Uint64(sh[1:]), first, end, n, blob) {
				continue
			}
		}
		if !merge {
			rs = rs[:0]
		}
		at, r0 := len(*ids), len(rs)
		if *ids, err = decodeIDs(*ids, first, n, blob); err != nil {
			return false, fmt.Errorf("key %s of %s %s: %w", formats.Quote(key), system, ns, err)
		}
		if rs, err = decodeShapeRuns(rs, n, sh); err != nil {
			return false, fmt.Errorf("key %s of %s %s: shapes: %w", formats.Quote(key), system, ns, err)
		}
		if l := *ids; end >= before || !in.covers(first, end) {
			// Keep the ids before the bound that are in in, and their shapes.
			shapes := expandShapes(nil, rs[r0:])
			rs = rs[:r0]
			j := at
			for i := at; i < len(l); i++ {
				if l[i] < before && in.has(l[i]) {
					l[j] = l[i]
					rs = append(rs, shapeCount{shapes[i-at], 1})
					j++
				}
			}
			*ids = l[:j]
		}
		if !merge {
			sink.runs(rs[r0:], at)
		}
	}
	if err := rows.Err(); err != nil {
		return false, err
	}
	if merge {
		if *ids, rs, err = withWide(*ids, rs, wide); err != nil {
			return false, err
		}
		sink.runs(rs, 0)
	}
	return true, nil
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

// size implements blockSink: at most a run a block, or one a byte of
// the blocks' runs (past each one's 9 bytes of shape).
func (rb *runBuilder) size(count, total, shapeBytes int) {
	rb.out = make([]provenance.ShapeRun, 0, count+max(0, shapeBytes-9*count))
	// Room for the ids of the blocks it unpacks, which may be few: a
	// hot key's blocks of one shape are held packed (a counter's 238,000
	// INCRs had made 1.9 MB here for a few hundred ids).
	rb.ids = make([]int64, 0, min(total, 1<<12))
}

// list implements blockSink.
func (rb *runBuilder) list() *[]int64 { return &rb.ids }

// packed implements blockSink: a block of one run is held packed.
func (rb *runBuilder) packed(shape uint64, first, end int64, n int, blob []byte) bool {
	rb.add(shape, provenance.PackedIDs(first, end, n, packedBlock{first, n, bytes.Clone(blob)}), -1)
	return true
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

// runs implements blockSink: it adds runs of the ids from ids[at:].
func (rb *runBuilder) runs(rs []shapeCount, at int) {
	for _, r := range rs {
		rb.add(r.shape, provenance.IDsOf(rb.ids[at:at+r.n:at+r.n]), at)
		at += r.n
	}
}

// A shapeLister makes a key's ShapeList (a blockSink): every block
// unpacked, each id's shape an index into the few shapes.
type shapeLister struct {
	l       provenance.ShapeList
	tooMany bool // more than 256 shapes
}

// size implements blockSink.
func (sl *shapeLister) size(_, total, _ int) {
	sl.l.IDs, sl.l.Of = make([]int64, 0, total), make([]uint8, 0, total)
}

// list implements blockSink.
func (sl *shapeLister) list() *[]int64 { return &sl.l.IDs }

// packed implements blockSink: every block is unpacked.
func (sl *shapeLister) packed(uint64, int64, int64, int, []byte) bool { return false }

// runs implements blockSink.
func (sl *shapeLister) runs(rs []shapeCount, _ int) {
	for _, r := range rs {
		if !sl.l.AddShape(r.shape, r.n) {
			sl.tooMany = true
			return
		}
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
