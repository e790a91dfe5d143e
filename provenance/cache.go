package provenance

import (
	"context"
	"sort"

	"github.com/wat-project/wat/formats"
)

// A CachedHistory answers Touching from the answers it gave before where
// it can, and asks its History otherwise. A spec whose history search
// asks for the same key many times (a process's working directory once
// for each of its calls, a name under its path and under its base name)
// wraps its History in one for the length of one explanation: each of
// those questions costs a store a query and a parse of every event it
// returns. The events it returns are shared between answers and must not
// be changed.
//
// Only Touching is cached: a spec that asks its History for more
// (IndexedHistory, NamespaceHistory) asks the History itself.
type CachedHistory struct {
	History
	// Ask is the least number of events a lookup asks the History for,
	// so that the next lookups of the key before an older id are
	// answered from it; 0 asks for what was asked.
	Ask     int
	answers map[touchKey]*touched
}

type touchKey struct {
	system, ns, key string
}

// touched is the History's newest answer for a key: every event of it
// with ID < before, newest first, when complete; otherwise the newest
// len(evs) of them.
type touched struct {
	before   int64
	evs      []*formats.Event
	complete bool
}

// Touching implements History.
func (c *CachedHistory) Touching(ctx context.Context, system, ns string, key []byte, before int64, limit int) ([]*formats.Event, error) {
	k := touchKey{system, ns, string(key)}
	if t, ok := c.answers[k]; ok && before <= t.before {
		// The events before the bound: the cached answer's tail.
		i := sort.Search(len(t.evs), func(i int) bool { return t.evs[i].ID < before })
		rest := t.evs[i:]
		switch {
		case len(rest) >= limit:
			return rest[:limit:limit], nil
		case t.complete:
			return rest[:len(rest):len(rest)], nil
		}
	}
	ask := max(limit, c.Ask)
	evs, err := c.History.Touching(ctx, system, ns, key, before, ask)
	if err != nil {
		return nil, err
	}
	if c.answers == nil {
		c.answers = map[touchKey]*touched{}
	}
	t, ok := c.answers[k]
	switch {
	case ok && before < t.before && len(t.evs) > 0 && before > t.evs[len(t.evs)-1].ID:
		// The cached answer holds every event from its oldest on, and this
		// one every event before the bound from its oldest on: together,
		// every event from this one's oldest to the cached bound.
		i := sort.Search(len(t.evs), func(i int) bool { return t.evs[i].ID < before })
		t.evs = append(t.evs[:i:i], evs...)
		t.complete = len(evs) < ask
	default:
		c.answers[k] = &touched{before: before, evs: evs, complete: len(evs) < ask}
	}
	n := min(limit, len(evs))
	return evs[:n:n], nil
}
