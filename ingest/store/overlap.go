package store

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/wat-project/wat/formats"
)

// A capture cut into two files that share lines (the second begins with
// the last lines of the first) must not count those lines twice: a
// counter replayed over both would be incremented twice. When a file's
// first event line is, byte for byte, an event already stored from a file
// of its instance and format, the lines that follow it in that file are
// the copy expected; the new file's lines that match them, in order, are
// skipped as shared.

// maxShared bounds the bytes of stored lines held to compare a new
// file's beginning with; a longer shared run is not looked for (answers
// over both files then say their clocks overlap).
const maxShared = 64 << 20

// A SharedRun is the stored events a new file may begin with.
type SharedRun struct {
	// Source is the file they were stored from, Lines their lines in it.
	Source *Source
	Lines  []int64
	raws   [][]byte
	at     int // how many of them the new file has matched
}

// SharedTail finds the stored events a new file of format f and an
// instance begins with, from head, its first lines: the events of an
// earlier file of the instance (not one of except, which it replaces) from the one
// equal to the new file's first event on. Nil when there are none.
func (s *Store) SharedTail(ctx context.Context, f *formats.Format, config []byte, path, instance string, head []byte, except []*Source) (*SharedRun, error) {
	if f == nil {
		return nil, nil
	}
	p, err := f.Parser(config, path)
	if err != nil || !formats.ParsesAlone(p) {
		return nil, nil // a bad mapping is reported by the ingest itself
	}
	var first []byte
	var ev formats.Event
	for _, line := range formats.HeadLines(head, false) {
		if res, err := p.Parse(line, &ev); err == nil && res == formats.IsEvent {
			first = line
			if len(ev.Raw) > 0 {
				first = ev.Raw
			}
			break
		}
	}
	if first == nil || ev.Time == 0 {
		return nil, nil
	}
	srcs, err := s.Sources(ctx)
	if err != nil {
		return nil, err
	}
	for i := len(srcs) - 1; i >= 0; i-- {
		src := srcs[i]
		if src.Instance != instance || src.Format != f.Name || src.FirstEvent > src.LastEvent || slices.ContainsFunc(except, func(o *Source) bool { return o.ID == src.ID }) {
			continue
		}
		from, last, err := s.SourceSpan(ctx, src)
		if err != nil {
			return nil, err
		}
		if ev.Time < from || ev.Time > last {
			continue
		}
		run, err := s.runFrom(ctx, src, ev.Time, first)
		if err != nil || run != nil {
			return run, err
		}
	}
	return nil, nil
}

// runFrom returns src's events from the one whose raw line is first (at
// time t) to its end; nil when there is none, or they are too many.
func (s *Store) runFrom(ctx context.Context, src *Source, t int64, first []byte) (*SharedRun, error) {
	// The first event at or after t: a source's times only grow, for
	// the formats looked at here (see OrderDoubt otherwise).
	var probeErr error
	n := sort.Search(int(src.LastEvent-src.FirstEvent+1), func(i int) bool {
		var at int64
		if err := s.db.QueryRowContext(ctx, sqlEventTime, byID(src.FirstEvent+int64(i))...).Scan(&at); err != nil {
			probeErr = err
			return true
		}
		return at >= t
	})
	if probeErr != nil {
		return nil, fmt.Errorf("shared lines of %s: %w", src.Path, probeErr)
	}
	rows, err := s.db.QueryContext(ctx, sqlStoredTimes, append(idRange(src.FirstEvent+int64(n), src.LastEvent), src.ID)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	run := &SharedRun{Source: src}
	size := 0
	for rows.Next() {
		var line, at int64
		var raw []byte
		if err := rows.Scan(&line, &at, &raw); err != nil {
			return nil, err
		}
		if len(run.raws) == 0 {
			if at != t {
				return nil, rows.Err() // no event of its time is the line
			}
			if !bytes.Equal(raw, first) {
				continue // another event of the same time
			}
		}
		if size += len(raw); size > maxShared {
			return nil, nil
		}
		run.Lines, run.raws = append(run.Lines, line), append(run.raws, raw)
	}
	if len(run.raws) == 0 {
		return nil, rows.Err()
	}
	return run, rows.Err()
}

// Matches tells whether an event of the new file (its raw line) is the
// next stored one expected; once one is not, none after it is.
func (r *SharedRun) Matches(raw []byte) bool {
	if r == nil || r.at < 0 || r.at >= len(r.raws) {
		return false
	}
	if !bytes.Equal(raw, r.raws[r.at]) {
		r.at = -1 - r.at // stop, remembering how many matched
		return false
	}
	r.at++
	return true
}

// Matched is how many events of the new file were stored already.
func (r *SharedRun) Matched() int {
	if r == nil {
		return 0
	}
	if r.at < 0 {
		return -1 - r.at
	}
	return r.at
}
