package store

import (
	"context"
	"fmt"

	"github.com/wat-project/wat/formats"
)

// sqlSourcesBetween lists the ids of a bucket's events in a range, with
// their files.
const sqlSourcesBetween = "SELECT e.id, e.source FROM events e WHERE e.bucket = ? AND e.id BETWEEN ? AND ? ORDER BY e.id"

// LoggedAround implements provenance.ClockHistory: the events next to
// one in its own file, when the file's format stamps the server's clock
// and the file is not merged by time with others (two captures of one
// server whose clocks overlap: the lines of one are not all the lines
// the server ran between two of the other's). Other instances' files
// may have been ingested with it, their ids among its own, so it reads
// the ids of windows four times as wide and keeps its file's: fewer than
// n on a side when the window holds fewer.
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
	w := 4 * int64(n)
	ids, err := s.fileIDs(ctx, own.ID, max(own.FirstEvent, id-w), min(own.LastEvent, id+w))
	if err != nil {
		return nil, nil, fmt.Errorf("events around %d: %w", id, err)
	}
	var want []int64 // before, nearest first, then after
	at := 0
	for at < len(ids) && ids[at] < id {
		at++
	}
	for i := at - 1; i >= 0 && len(want) < n; i-- {
		want = append(want, ids[i])
	}
	nb := len(want)
	for i := at; i < len(ids) && len(want) < nb+n; i++ {
		if ids[i] != id {
			want = append(want, ids[i])
		}
	}
	evs, err := s.eventsByID(ctx, want)
	if err != nil {
		return nil, nil, err
	}
	return evs[:nb], evs[nb:], nil
}

// fileIDs returns the ids from lo to hi of a file's events, in order.
func (s *Store) fileIDs(ctx context.Context, source, lo, hi int64) ([]int64, error) {
	var ids []int64
	for b := bucketOf(lo); b <= bucketOf(hi) && lo <= hi; b++ {
		rows, err := s.db.QueryContext(ctx, sqlSourcesBetween, b, lo, hi)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var e, src int64
			if err := rows.Scan(&e, &src); err != nil {
				rows.Close()
				return nil, err
			}
			if src == source {
				ids = append(ids, e)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return ids, nil
}
