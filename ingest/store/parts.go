package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

var (
	_ provenance.PartHistory    = (*Store)(nil)
	_ provenance.PartHistory    = (*Scoped)(nil)
	_ provenance.IndexedHistory = (*Store)(nil)
	_ provenance.IndexedHistory = (*Scoped)(nil)
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
