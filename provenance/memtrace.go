package provenance

import (
	"context"
	"fmt"
	"slices"

	"github.com/wat-project/wat/formats"
)

// A MemHistory is a History over events in memory, for tests and for
// checking small traces: the same answers as the store gives.
type MemHistory struct {
	Events []*formats.Event // in trace order, IDs increasing
	Refs   func(*formats.Event) []formats.Ref

	refs [][]formats.Ref // Refs of each event, made on first use
}

// refsOf returns the refs of event i, computing every event's once.
func (m *MemHistory) refsOf(i int) []formats.Ref {
	if len(m.refs) != len(m.Events) {
		m.refs = make([][]formats.Ref, len(m.Events))
		for j, e := range m.Events {
			m.refs[j] = m.Refs(e)
		}
	}
	return m.refs[i]
}

// Touching implements History.
func (m *MemHistory) Touching(_ context.Context, system, ns string, key []byte, before int64, limit int) ([]*formats.Event, error) {
	return m.writesBefore(system, before, limit, func(r formats.Ref) bool {
		return (r.NS == ns && (r.Key == nil || string(r.Key) == string(key))) || (r.NS == formats.AllNS && r.Key == nil)
	}), nil
}

// PartsIndexed implements PartHistory: Refs gives every class.
func (m *MemHistory) PartsIndexed(context.Context) (bool, error) { return true, nil }

// IndexedSince implements IndexedHistory: Refs is this version's.
func (m *MemHistory) IndexedSince(context.Context, int) (bool, error) { return true, nil }

// WholeTouching implements PartHistory.
func (m *MemHistory) WholeTouching(_ context.Context, system, ns string, key []byte, before int64, limit int) ([]*formats.Event, error) {
	return m.writesBefore(system, before, limit, func(r formats.Ref) bool {
		if r.NS == ns && r.Key != nil && string(r.Key) == string(key) {
			return r.Class == 0
		}
		return (r.NS == ns || r.NS == formats.AllNS) && r.Key == nil
	}), nil
}

// PartTouching implements PartHistory.
func (m *MemHistory) PartTouching(_ context.Context, system, ns string, key []byte, class int, parts [][]byte, before int64, limit int) ([]*formats.Event, error) {
	return m.writesBefore(system, before, limit, func(r formats.Ref) bool {
		if r.NS != ns || r.Key == nil || string(r.Key) != string(key) || r.Class != class {
			return false
		}
		for _, p := range r.Parts {
			for _, q := range parts {
				if string(p) == string(q) {
					return true
				}
			}
		}
		return false
	}), nil
}

// Classes implements PartHistory.
func (m *MemHistory) Classes(_ context.Context, system, ns string, key []byte, before int64) (uint64, error) {
	var set uint64
	m.writesBefore(system, before, len(m.Events), func(r formats.Ref) bool {
		if r.NS == ns && r.Key != nil && string(r.Key) == string(key) && r.Class > 0 {
			set |= 1 << r.Class
		}
		return false
	})
	return set, nil
}

// InNamespace implements NamespaceHistory.
func (m *MemHistory) InNamespace(_ context.Context, system, ns string, before int64, limit int) ([]*formats.Event, error) {
	return m.writesBefore(system, before, limit, func(r formats.Ref) bool {
		return r.NS == ns || (r.NS == formats.AllNS && r.Key == nil)
	}), nil
}

// writesBefore returns the events of system before an id that write
// something match accepts, newest first, at most limit.
func (m *MemHistory) writesBefore(system string, before int64, limit int, match func(formats.Ref) bool) []*formats.Event {
	var out []*formats.Event
	for i := len(m.Events) - 1; i >= 0 && len(out) < limit; i-- {
		e := m.Events[i]
		if e.ID >= before || e.System != system {
			continue
		}
		for _, r := range m.refsOf(i) {
			if r.Kind >= formats.KindWrite && match(r) {
				out = append(out, e)
				break
			}
		}
	}
	return out
}

// Following implements Sequence.
func (m *MemHistory) Following(_ context.Context, e *formats.Event, limit int) ([]*formats.Event, error) {
	var out []*formats.Event
	for _, x := range m.Events {
		if x.ID > e.ID && x.Source == e.Source && len(out) < limit {
			out = append(out, x)
		}
	}
	return out, nil
}

// Later implements Sequence.
func (m *MemHistory) Later(_ context.Context, system, ns string, key []byte, after int64, limit int) ([]*formats.Event, error) {
	var out []*formats.Event
	for i, e := range m.Events {
		if e.ID <= after || e.System != system || len(out) >= limit {
			continue
		}
		for _, r := range m.refsOf(i) {
			if (r.NS == ns && (r.Key == nil || string(r.Key) == string(key))) || (r.NS == formats.AllNS && r.Key == nil) {
				out = append(out, e)
				break
			}
		}
	}
	return out, nil
}

// Shapes implements ShapeHistory as a store does: its Runs as one list.
func (m *MemHistory) Shapes(ctx context.Context, system, ns string, key []byte, before int64) (ShapeList, bool, error) {
	runs, ok, err := m.Runs(ctx, system, ns, key, before)
	if err != nil || !ok {
		return ShapeList{}, false, err
	}
	l, ok := listOf(runs)
	return l, ok, nil
}

// ShapeSet implements ShapeHistory: the shapes of its Runs.
func (m *MemHistory) ShapeSet(ctx context.Context, system, ns string, key []byte, before int64) ([]uint64, error) {
	runs, _, err := m.Runs(ctx, system, ns, key, before)
	var out []uint64
	for _, r := range runs {
		if r.Shape != 0 && !slices.Contains(out, r.Shape) {
			out = append(out, r.Shape)
		}
	}
	return out, err
}

// Runs implements RunHistory as a store does: false when a write of the
// key has no shape or a class (the store keeps no shapes for those).
func (m *MemHistory) Runs(_ context.Context, system, ns string, key []byte, before int64) ([]ShapeRun, bool, error) {
	var out []ShapeRun
	var ids [][]int64 // each run's
	for i, e := range m.Events {
		if e.ID >= before || e.System != system {
			continue
		}
		shape, hit, named := uint64(0), false, 0
		for _, r := range m.refsOf(i) {
			switch {
			case r.NS == ns && r.Key != nil && string(r.Key) == string(key):
				named++
				if r.Kind >= formats.KindWrite {
					if r.Class > 0 {
						return nil, false, nil
					}
					hit, shape = true, r.Shape
				}
			case r.Kind >= formats.KindWrite && r.Key == nil && (r.NS == ns || r.NS == formats.AllNS):
				hit = true
			}
		}
		if !hit {
			continue
		}
		if named > 1 {
			shape = 0
		}
		if named > 0 && shape == 0 {
			return nil, false, nil
		}
		if n := len(out); n > 0 && out[n-1].Shape == shape {
			ids[n-1] = append(ids[n-1], e.ID)
		} else {
			out, ids = append(out, ShapeRun{Shape: shape}), append(ids, []int64{e.ID})
		}
	}
	for k := range out {
		out[k].IDs = IDsOf(ids[k])
	}
	return out, true, nil
}

// ByID implements RunHistory.
func (m *MemHistory) ByID(_ context.Context, ids []int64) ([]*formats.Event, error) {
	out := make([]*formats.Event, len(ids))
	for i, id := range ids {
		for _, e := range m.Events {
			if e.ID == id {
				out[i] = e
			}
		}
		if out[i] == nil {
			return nil, fmt.Errorf("no event %d", id)
		}
	}
	return out, nil
}

// TimeOrdered implements TimeOrderedHistory.
func (m *MemHistory) TimeOrdered(_ context.Context, before int64) (bool, error) {
	var last int64
	for _, e := range m.Events {
		if e.ID >= before {
			break
		}
		if e.Time == 0 || e.Time < last {
			return false, nil
		}
		last = e.Time
	}
	return true, nil
}
