package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// An idSet is the events of some sources: their id ranges, in order.
// The nil set holds every event.
type idSet struct {
	ranges  [][2]int64 // first and last id, disjoint, by first
	sources []any      // the sources' ids, for SQL IN lists
}

// has tells whether id is in the set.
func (in *idSet) has(id int64) bool {
	if in == nil {
		return true
	}
	i := sort.Search(len(in.ranges), func(i int) bool { return in.ranges[i][1] >= id })
	return i < len(in.ranges) && in.ranges[i][0] <= id
}

// Scoped is the store seen from one instance of a system: its history
// lookups (provenance.History, NamespaceHistory, LossHistory,
// OrderHistory and Sequence's Later) find only the events of the
// instance's files and of the files that join every instance (see
// DefaultInstance), so that another server's requests are never in a
// request's history. The links between services' requests stay global.
type Scoped struct {
	*Store
	// Instance is the instance seen; "" sees every file.
	Instance string
	in       *idSet
}

var (
	_ provenance.NamespaceHistory = (*Scoped)(nil)
	_ provenance.LossHistory      = (*Scoped)(nil)
	_ provenance.OrderHistory     = (*Scoped)(nil)
	_ provenance.Sequence         = (*Scoped)(nil)
)

// Scope returns the store as the history of e's instance.
func (s *Store) Scope(ctx context.Context, e *formats.Event) (*Scoped, error) {
	return s.ScopeOf(ctx, e.ID)
}

// ScopeOf returns the store as the history of the instance of the event
// with an id.
func (s *Store) ScopeOf(ctx context.Context, id int64) (*Scoped, error) {
	var source int64
	if err := s.db.QueryRowContext(ctx, sqlSourceOf, id).Scan(&source); err != nil {
		return nil, fmt.Errorf("source of event %d: %w", id, err)
	}
	s.scopesMu.Lock()
	defer s.scopesMu.Unlock()
	if sc, ok := s.scopes[source]; ok {
		return sc, nil
	}
	srcs, err := s.Sources(ctx)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(srcs, func(src *Source) bool { return src.ID == source })
	if i < 0 {
		return nil, fmt.Errorf("source %d of event %d: %w", source, id, ErrNotFound)
	}
	sc := &Scoped{Store: s, Instance: srcs[i].Instance}
	if sc.Instance != "" {
		sc.in = instanceSet(srcs, sc.Instance, true)
	}
	s.scopes[source] = sc
	return sc, nil
}

// sourcesChanged forgets what was derived from the list of sources and
// their runs of ids.
func (s *Store) sourcesChanged() {
	s.scopesMu.Lock()
	clear(s.scopes)
	s.scopesMu.Unlock()
	clear(s.srcInfo)
	clear(s.runs)
	s.spans.Clear() // a continued source's span grew
}

// instanceSet returns the events of the sources of an instance, and with
// shared those of the sources of none; nil when that is every source.
func instanceSet(srcs []*Source, instance string, shared bool) *idSet {
	in := &idSet{}
	for _, src := range srcs {
		if src.Instance != instance && (!shared || src.Instance != "") {
			continue
		}
		in.sources = append(in.sources, src.ID)
		if src.FirstEvent <= src.LastEvent {
			in.ranges = append(in.ranges, [2]int64{src.FirstEvent, src.LastEvent})
		}
	}
	if len(in.sources) == len(srcs) {
		return nil
	}
	slices.SortFunc(in.ranges, func(a, b [2]int64) int { return cmp.Compare(a[0], b[0]) })
	return in
}

// set is the events sc sees; nil: all of them.
func (sc *Scoped) set() *idSet {
	if sc == nil {
		return nil
	}
	return sc.in
}

// Touching implements provenance.History within the instance.
func (sc *Scoped) Touching(ctx context.Context, system, ns string, key []byte, before int64, limit int) ([]*formats.Event, error) {
	return sc.touching(ctx, sc.in, system, ns, key, before, limit)
}

// InNamespace implements provenance.NamespaceHistory within the
// instance.
func (sc *Scoped) InNamespace(ctx context.Context, system, ns string, before int64, limit int) ([]*formats.Event, error) {
	return sc.inNamespace(ctx, sc.in, system, ns, before, limit)
}

// Later implements provenance.Sequence within the instance.
func (sc *Scoped) Later(ctx context.Context, system, ns string, key []byte, after int64, limit int) ([]*formats.Event, error) {
	return sc.Events(ctx, Filter{System: system, NS: ns, Key: key, After: after, Limit: limit, in: sc.in})
}

// LostBefore implements provenance.LossHistory within the instance.
func (sc *Scoped) LostBefore(ctx context.Context, system string, e *formats.Event, limit int) ([]provenance.LostLine, error) {
	return sc.lostBefore(ctx, sc.in, system, e, limit)
}

// OrderDoubt implements provenance.OrderHistory within the instance.
func (sc *Scoped) OrderDoubt(ctx context.Context, e *formats.Event) (string, error) {
	return sc.orderDoubt(ctx, sc.in, e)
}
