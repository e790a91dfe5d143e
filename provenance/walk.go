package provenance

import (
	"context"
	"errors"
	"fmt"

	"github.com/wat-project/wat/formats"
)

// A Walk is one explanation as a spec sets it up: the problem (which
// history, which events reset the target's state) and what to answer
// when the exact search is too large. Explain runs it the same way for
// every spec.
type Walk struct {
	Problem
	// Fallback returns one closed witness (oldest first), found without
	// a search, and says in a few words what it is ("the last write of
	// the key and every later one"). Explain calls it when Solve returns
	// ErrTooLarge (or runs out of time); nil makes Explain return that
	// error instead.
	Fallback func() (witness []*formats.Event, what string, err error)
}

// Explain computes the wat-provenance of w.Target: Solve over w's
// problem, with the deadline ctx carries (WithSearchDeadline). When the
// search is too large it answers with w.Fallback's witness, the output
// replayed over it, labelled not exact with the reason. Notes about what
// the answer assumes (the start of the log, time) are the spec's to add.
func Explain(ctx context.Context, w Walk) (*Explanation, error) {
	if w.Deadline.IsZero() {
		w.Deadline = SearchDeadline(ctx)
	}
	x := &Explanation{Target: w.Target, Exact: true}
	ws, choices, out, err := solveAll(w.Problem)
	if errors.Is(err, ErrTooLarge) && w.Fallback != nil {
		fb, what, ferr := w.Fallback()
		if ferr != nil {
			return nil, ferr
		}
		x.Exact, x.FellBack = false, true
		x.Notes = append(x.Notes, fmt.Sprintf("not exact: %v; shown is one closed witness (%s), which may not be minimal", err, what))
		ws, out = [][]*formats.Event{fb}, Replay(w.Model, fb, w.Target)
	} else if err != nil {
		return nil, err
	}
	x.Output = out
	var ones []Factor
	for _, c := range choices {
		if err := c.check(); err != nil {
			return nil, err
		}
		// The events every way of choosing holds are every witness's.
		places, rest := c.split()
		always := c.events(places)
		for i := range ws {
			ws[i] = append(ws[i], always...)
		}
		switch {
		case rest.K == 0:
		case rest.K == 1 && rest.Caps == nil:
			// One of a few: a factor like any other.
			var f Factor
			for i := range rest.Len() {
				f = append(f, []*formats.Event{rest.Event(i)})
			}
			ones = append(ones, f)
		default:
			x.Choices = append(x.Choices, rest.counted())
		}
	}
	if err := x.SetWitnesses(ws); err != nil {
		return nil, err
	}
	x.Factors = append(x.Factors, ones...)
	return x, nil
}

// Reversed returns a reversed copy of evs: a history read newest first,
// as a witness lists it, oldest first.
func Reversed(evs []*formats.Event) []*formats.Event {
	out := make([]*formats.Event, len(evs))
	for i, e := range evs {
		out[len(evs)-1-i] = e
	}
	return out
}

// BackToReset reads a history newest first from older, 4096 events at a
// time, down to the first event reset holds of (given the events newer
// than it, newest first), and returns them oldest first: the last reset
// and every later event, a closed witness when reset is. It returns
// older's error as it is, and an error past max events.
func BackToReset(older func(n int) ([]*formats.Event, error), reset func(e *formats.Event, newer []*formats.Event) bool, max int) ([]*formats.Event, error) {
	var evs []*formats.Event
	for {
		batch, err := older(4096)
		if err != nil {
			return nil, err
		}
		for _, e := range batch {
			evs = append(evs, e)
			if reset(e, evs[:len(evs)-1]) {
				return Reversed(evs), nil
			}
		}
		if len(batch) < 4096 {
			return Reversed(evs), nil
		}
		if len(evs) > max {
			return nil, fmt.Errorf("more than %d events since the last reset", max)
		}
	}
}
