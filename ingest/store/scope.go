package store

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// An idSet is the events of some sources: their id ranges, in order.
// The nil set holds every event.
type idSet struct {
	ranges  [][2]int64 // first and last id, disjoint, by first
	sources []any      // the sources' ids, for SQL IN lists
}

// covers tells whether every id from lo to hi is in the set.
func (in *idSet) covers(lo, hi int64) bool {
	if in == nil {
		return true
	}
	i := sort.Search(len(in.ranges), func(i int) bool { return in.ranges[i][1] >= lo })
	return i < len(in.ranges) && in.ranges[i][0] <= lo && hi <= in.ranges[i][1]
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

// The histories a scoped store is, and those a whole store and a scoped
// one both are (parts.go).
var (
	_ provenance.NamespaceHistory   = (*Scoped)(nil)
	_ provenance.LossHistory        = (*Scoped)(nil)
	_ provenance.OrderHistory       = (*Scoped)(nil)
	_ provenance.GapHistory         = (*Scoped)(nil)
	_ provenance.Sequence           = (*Scoped)(nil)
	_ provenance.TimeOrderedHistory = (*Scoped)(nil)
	_ provenance.PartHistory        = (*Store)(nil)
	_ provenance.PartHistory        = (*Scoped)(nil)
	_ provenance.IndexedHistory     = (*Store)(nil)
	_ provenance.IndexedHistory     = (*Scoped)(nil)
	_ provenance.ShapeHistory       = (*Store)(nil)
	_ provenance.ShapeHistory       = (*Scoped)(nil)
	_ provenance.ClockHistory       = (*Store)(nil)
	_ provenance.ClockHistory       = (*Scoped)(nil)
)

// Scope returns the store as the history of e's instance.
func (s *Store) Scope(ctx context.Context, e *formats.Event) (*Scoped, error) {
	return s.ScopeOf(ctx, e.ID)
}

// ScopeOf returns the store as the history of the instance of the event
// with an id.
func (s *Store) ScopeOf(ctx context.Context, id int64) (*Scoped, error) {
	source, err := s.sourceID(ctx, id)
	if err != nil {
		return nil, err
	}
	s.scopesMu.Lock()
	defer s.scopesMu.Unlock()
	if sc, ok := s.scopes[source]; ok {
		return sc, nil
	}
	own, srcs, err := s.source(ctx, source)
	if err != nil {
		return nil, fmt.Errorf("event %d: %w", id, err)
	}
	sc := &Scoped{Store: s, Instance: own.Instance}
	switch {
	case sc.Instance != "":
		sc.in = instanceSet(srcs, sc.Instance, true)
	case own.StandsIn != "":
		// A service's records of its calls: they are the history, with
		// every file that joins every instance, never a box's own log.
		sc.in = instanceSet(srcs, "", true)
	}
	s.scopes[source] = sc
	return sc, nil
}

// sourceOf returns the source of the event with an id, and every source.
func (s *Store) sourceOf(ctx context.Context, id int64) (*Source, []*Source, error) {
	source, err := s.sourceID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	own, srcs, err := s.source(ctx, source)
	if err != nil {
		return nil, nil, fmt.Errorf("event %d: %w", id, err)
	}
	return own, srcs, nil
}

// sourceID returns the id of the source of the event with an id. A
// read-only store answers from its list of files when one file's ids
// (first_event..last_event) hold it: the event is that file's, since
// files merged by time, whose events interleave, each span the other's
// events among theirs. Else it is one lookup.
func (s *Store) sourceID(ctx context.Context, id int64) (int64, error) {
	if s.readOnly {
		srcs, err := s.Sources(ctx)
		if err != nil {
			return 0, err
		}
		var hit int64
		n := 0
		for _, src := range srcs {
			if src.FirstEvent <= id && id <= src.LastEvent {
				hit, n = src.ID, n+1
			}
		}
		if n == 1 {
			return hit, nil
		}
	}
	var source int64
	if err := s.db.QueryRowContext(ctx, sqlSourceOf, byID(id)...).Scan(&source); err != nil {
		return 0, fmt.Errorf("source of event %d: %w", id, err)
	}
	return source, nil
}

// source returns the source with an id, and every source.
func (s *Store) source(ctx context.Context, id int64) (*Source, []*Source, error) {
	srcs, err := s.Sources(ctx)
	if err != nil {
		return nil, nil, err
	}
	i := slices.IndexFunc(srcs, func(src *Source) bool { return src.ID == id })
	if i < 0 {
		return nil, nil, fmt.Errorf("source %d: %w", id, ErrNotFound)
	}
	return srcs[i], srcs, nil
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
	s.wideMu.Lock()
	clear(s.wide) // a new file's writes
	s.wideMu.Unlock()
	s.eventsMu.Lock()
	clear(s.events) // a file stored again, in another place
	s.eventsMu.Unlock()
}

// instanceSet returns the events of the sources of an instance, and with
// shared those of the sources of none; nil when that is every source.
// A box's own log's history leaves out the files of service's records of
// calls (Source.StandsIn): the box logged those calls itself.
func instanceSet(srcs []*Source, instance string, shared bool) *idSet {
	in := &idSet{}
	var kept []*Source
	for _, src := range srcs {
		if src.Instance != instance && (!shared || src.Instance != "") || instance != "" && src.StandsIn != "" {
			continue
		}
		in.sources = append(in.sources, src.ID)
		kept = append(kept, src)
	}
	if len(in.sources) == len(srcs) {
		return nil
	}
	in.ranges = runsOf(kept) // merged files' runs joined, as has needs
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

// Gaps implements provenance.GapHistory over every file (see gaps).
func (s *Store) Gaps(ctx context.Context, e *formats.Event) (missing, quiet []string, err error) {
	return s.gaps(ctx, nil, e)
}

// Gaps implements provenance.GapHistory within the instance.
func (sc *Scoped) Gaps(ctx context.Context, e *formats.Event) (missing, quiet []string, err error) {
	return sc.gaps(ctx, sc.in, e)
}

// quietGap is the shortest stretch without requests between two files of
// a log that Gaps notes; it must also be ten times the files' own mean
// pause between requests.
const quietGap = time.Minute

// gaps finds, among the files of e's format in the history (the sources
// of in) up to e's own (and those merged with it), in trace order, consecutive files of one log
// whose rotation numbers skip one (a rotated file was not ingested), and
// consecutive files with a long stretch between them with no request.
func (s *Store) gaps(ctx context.Context, in *idSet, e *formats.Event) (missing, quiet []string, err error) {
	own, srcs, err := s.sourceOf(ctx, e.ID)
	if err != nil {
		return nil, nil, err
	}
	var hist []*Source
	for _, src := range srcs {
		if src.Format == own.Format && src.FirstEvent <= src.LastEvent && src.FirstEvent <= own.LastEvent &&
			(in == nil || slices.Contains(in.sources, any(src.ID))) {
			hist = append(hist, src)
		}
	}
	slices.SortFunc(hist, func(a, b *Source) int { return cmp.Compare(a.FirstEvent, b.FirstEvent) })
	for _, g := range groupsOf(hist) {
		if len(g) > 1 {
			var names []string
			for _, o := range g {
				names = append(names, o.Path)
			}
			quiet = append(quiet, fmt.Sprintf("the history merges %s by their clocks (files of one instance whose times overlap): requests logged at the same microsecond in two of them are in ingest order", strings.Join(names, ", ")))
		}
	}
	for i := 1; i < len(hist); i++ {
		a, b := hist[i-1], hist[i]
		if formats.LogName(a.Path) == formats.LogName(b.Path) {
			na, oka := formats.RotationNumber(a.Path)
			nb, okb := formats.RotationNumber(b.Path)
			if oka && okb && na > nb+1 {
				missing = append(missing, fmt.Sprintf("the trace goes from %s to %s: the rotated file between them (number %d) is not ingested, and its requests are not in the history", a.Path, b.Path, na-1))
			}
		}
		af, al, err := s.SourceSpan(ctx, a)
		if err != nil {
			return nil, nil, err
		}
		bf, bl, err := s.SourceSpan(ctx, b)
		if err != nil {
			return nil, nil, err
		}
		if af == 0 || bf == 0 || bf <= al {
			continue
		}
		pause := max(meanPause(af, al, a.Events), meanPause(bf, bl, b.Events))
		if gap := time.Duration(bf - al); gap >= quietGap && gap >= 10*pause {
			quiet = append(quiet, fmt.Sprintf("no request is logged for %s between %s (ends %s) and %s (begins %s): if the capture stopped then, the requests of that time are not in the history",
				gap.Round(time.Second), a.Path, showNS(al), b.Path, showNS(bf)))
		}
	}
	return missing, quiet, nil
}

// meanPause is the mean time between the requests of a file.
func meanPause(first, last, events int64) time.Duration {
	if events < 2 {
		return 0
	}
	return time.Duration((last - first) / (events - 1))
}

// TimeOrdered implements provenance.TimeOrderedHistory: it tells whether
// the times of the events sc sees before the event with an id only go
// forward in trace order. Every file among them must have a time on
// each event, none earlier than one before it in the file
// (Source.Backwards is 0: not known for a file an older wat ingested),
// and the files must follow one another in time: each group of files
// (groupsOf: files merged by time, whose ids interleave, are one)
// begins no earlier than the latest time of the groups before it.
func (sc *Scoped) TimeOrdered(ctx context.Context, before int64) (bool, error) {
	srcs, err := sc.Sources(ctx)
	if err != nil {
		return false, err
	}
	var in []*Source
	for _, src := range srcs {
		if src.FirstEvent > src.LastEvent || src.FirstEvent >= before || sc.in != nil && !slices.Contains(sc.in.sources, any(src.ID)) {
			continue
		}
		if src.Backwards != 0 {
			return false, nil
		}
		in = append(in, src)
	}
	var latest int64
	for _, g := range groupsOf(in) {
		first, end := int64(math.MaxInt64), int64(0)
		for _, src := range g {
			a, b, err := sc.SourceSpan(ctx, src)
			if err != nil {
				return false, err
			}
			first, end = min(first, a), max(end, b)
		}
		if first < latest {
			return false, nil
		}
		latest = max(latest, end)
	}
	return true, nil
}
