package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/wat-project/wat/formats"
)

// LoggedAround implements provenance.ClockHistory: the events next to
// one in its own file, when the file's format stamps the server's clock
// and the file is not merged by time with others (two captures of one
// server whose clocks overlap: the lines of one are not all the lines
// the server ran between two of the other's). Before it, the file's
// events among the n ids before its own: fewer where another instance's
// file, ingested with it, has ids among them.
func (s *Store) LoggedAround(ctx context.Context, id int64, n int) (before, after []*formats.Event, err error) {
	own, _, err := s.sourceOf(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if f, err := formats.Lookup(own.Format, s.formats); err != nil || !f.ServerClock {
		return nil, nil, nil
	}
	if merged, err := s.mergedWith(ctx, own); err != nil || len(merged) > 0 {
		return nil, nil, err
	}
	lo := max(own.FirstEvent, id-int64(n))
	near, err := s.eventsAfter(ctx, own.ID, lo-1, n)
	if err != nil {
		return nil, nil, fmt.Errorf("events before %d: %w", id, err)
	}
	for _, e := range near {
		if e.ID < id {
			before = append(before, e)
		}
	}
	slices.Reverse(before)
	if after, err = s.eventsAfter(ctx, own.ID, id, n); err != nil {
		return nil, nil, fmt.Errorf("events after %d: %w", id, err)
	}
	return before, after, nil
}
