package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/wat-project/wat/formats"
)

// Event ids are the trace order, and an instance's history is ordered by
// time across its files: a file ingested after files of its instance that
// hold later requests goes before them. Since a source's events are one
// run of ids, the later files are moved: their events are stored again,
// after the new file's, with new ids, and their old rows removed, in the
// ingest's transaction.

// sqlMoveSource gives a moved source its new run of ids.
const sqlMoveSource = "UPDATE sources SET first_event = ?, last_event = ? WHERE id = ?"

// moveLater moves after the file just written by w (whose events span the
// times [first, last]) the stored files of its instance and format that
// begin after it ends, in their order, and returns them. A file whose
// times overlap the new one's stays where it is (an answer over both
// says the order is in doubt).
func (s *Store) moveLater(ctx context.Context, tx *sqlTx, w *writer, instance, format string, first, last int64, index func() map[string]func(*formats.Event) []formats.Ref) ([]*Source, error) {
	if index == nil {
		return nil, nil // the index cannot be made again
	}
	if first == 0 {
		return nil, nil // no times: no order to keep
	}
	srcs, err := s.sources(ctx, tx)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(srcs, func(a, b *Source) int { return cmp.Compare(a.FirstEvent, b.FirstEvent) })
	var moved []*Source
	for _, src := range srcs {
		if src.ID == w.source || src.Instance != instance || src.Format != format || src.FirstEvent > src.LastEvent {
			continue
		}
		var begins int64
		if err := tx.QueryRowContext(ctx, sqlEventTime, src.FirstEvent).Scan(&begins); err != nil {
			return nil, fmt.Errorf("move %s: %w", src.Path, err)
		}
		if begins <= last {
			continue
		}
		if ok, err := s.moveSource(ctx, tx, w, src, index()); err != nil {
			return nil, fmt.Errorf("move %s after it: %w", src.Path, err)
		} else if ok {
			moved = append(moved, src)
		}
	}
	return moved, nil
}

// moveSource stores src's events again with ids from w.nextID on, indexed
// as ingest indexes them, and removes their old rows; false when its
// format's lines do not parse alone (formats.ParsesAlone).
func (s *Store) moveSource(ctx context.Context, tx *sqlTx, w *writer, src *Source, refs map[string]func(*formats.Event) []formats.Ref) (bool, error) {
	var config []byte
	if err := tx.QueryRowContext(ctx, "SELECT config FROM sources WHERE id = ?", src.ID).Scan(&config); err != nil {
		return false, err
	}
	f, err := formats.Lookup(src.Format, s.formats)
	if err != nil {
		return false, err
	}
	p, err := f.Parser(config, src.Path)
	if err != nil {
		return false, err
	}
	if !formats.ParsesAlone(p) {
		return false, nil
	}
	mw := newWriter(ctx, tx)
	mw.source, mw.nextID = src.ID, w.nextID
	firstID := mw.nextID
	for after := src.FirstEvent - 1; ; {
		rows, err := tx.QueryContext(ctx, "SELECT id, line, \"offset\", time, raw FROM events WHERE id > ? AND id <= ? ORDER BY id LIMIT 1000", after, src.LastEvent)
		if err != nil {
			return false, err
		}
		batch, err := scanMoved(rows, p, f, refs, &after)
		if err != nil {
			return false, err
		}
		if len(batch) == 0 {
			break
		}
		for i := range batch {
			m := &batch[i]
			if err := mw.event(m.line, m.offset, &m.ev, m.refs); err != nil {
				return false, err
			}
		}
	}
	if err := mw.flush(); err != nil {
		return false, err
	}
	for _, q := range []string{sqlRemovePostings, sqlRemoveWideRefs, sqlRemoveEvents} {
		if _, err := tx.ExecContext(ctx, q, src.FirstEvent, src.LastEvent); err != nil {
			return false, err
		}
	}
	if _, err := tx.ExecContext(ctx, sqlMoveSource, firstID, mw.nextID-1, src.ID); err != nil {
		return false, err
	}
	w.nextID = mw.nextID
	return true, nil
}

// A movedEvent is an event of a moved file, to be stored again.
type movedEvent struct {
	line, offset int64
	ev           formats.Event
	refs         []formats.Ref
}

// scanMoved reads a page of a moved source's events as ingest made them:
// each raw line parsed again, with the index refs of its system.
func scanMoved(rows *sql.Rows, p formats.Parser, f *formats.Format, refs map[string]func(*formats.Event) []formats.Ref, after *int64) ([]movedEvent, error) {
	defer rows.Close()
	var batch []movedEvent
	for rows.Next() {
		var r movedEvent
		var raw []byte
		if err := rows.Scan(after, &r.line, &r.offset, &r.ev.Time, &raw); err != nil {
			return nil, err
		}
		t := r.ev.Time
		if res, err := p.Parse(raw, &r.ev); err != nil || res != formats.IsEvent {
			return nil, fmt.Errorf("line %d no longer parses as an event (%v)", r.line, err)
		}
		r.ev.Raw, r.ev.Time = raw, t
		if r.ev.System == "" {
			r.ev.System = f.System
		}
		if fn := refs[r.ev.System]; fn != nil && !r.ev.ClientRecord && !r.ev.ReplyRecord {
			r.refs = fn(&r.ev)
		}
		batch = append(batch, r)
	}
	return batch, rows.Err()
}
