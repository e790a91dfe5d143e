package provenance

import (
	"context"
	"errors"
	"slices"

	"github.com/wat-project/wat/formats"
)

// An Effect is a later event a write explains: a read (or a conditional
// write) whose wat-provenance holds it, or, through a service that
// received such a reply, a request it sent or the response it gave after.
type Effect struct {
	Event *formats.Event
	// Because is the event that makes it an effect: the write in its
	// witnesses, or the reply its service had received before sending it.
	Because *formats.Event
	// Rule is "wat-provenance" or "fallback: sent within ID after
	// receiving the reply".
	Rule  string
	Depth int // hops from the write
}

// A LaterQuery asks for the events touching a key after an id.
type LaterQuery struct {
	System string
	Ref    formats.Ref
	After  int64
}

// FollowOptions configure Follow.
type FollowOptions struct {
	// Depth is how many hops to follow (a read explained by the write is
	// one hop; a request its service sent after receiving it another).
	Depth int
	// Limit is the most later events of one key examined.
	Limit int
	// Budget is the most later events examined in all (each is
	// explained); 0 means no bound. Without it a write to a busy key
	// (a file descriptor in a long strace) fans out for minutes.
	Budget int
	// Written returns the keys an event may change (empty for a read).
	Written func(*formats.Event) []formats.Ref
	// Later returns the events touching a key after an id, oldest first,
	// at most limit.
	Later func(ctx context.Context, system string, ref formats.Ref, after int64, limit int) ([]*formats.Event, error)
	// LaterMany, when set, answers Later for many keys in one lookup:
	// Follow then asks once per round (the events found one hop further)
	// instead of once per written key.
	LaterMany func(ctx context.Context, qs []LaterQuery, limit int) ([][]*formats.Event, error)
	// Explain explains an event's output; an error wrapping
	// ErrNotExplainable means no spec does.
	Explain func(context.Context, *formats.Event) (*Explanation, error)
	Links   Links
}

// Follow answers the forward question: which later events did write w
// explain? It returns them in the order found (breadth first), and
// whether it stopped at a limit.
func Follow(ctx context.Context, w *formats.Event, opt FollowOptions) ([]Effect, bool, error) {
	var out []Effect
	truncated := false
	seen := map[int64]bool{w.ID: true}
	type item struct {
		e     *formats.Event
		depth int
	}
	queue := []item{{w, 0}}
	examined := 0
	for len(queue) > 0 {
		// A round is what the queue holds now; what it finds is queued
		// after it, as a first-in, first-out walk would.
		round := queue
		queue = nil
		pre, err := prefetchLater(ctx, round, func(it item) (*formats.Event, int) { return it.e, it.depth }, opt)
		if err != nil {
			return nil, false, err
		}
		for i, it := range round {
			if opt.Budget > 0 && examined >= opt.Budget {
				return out, true, nil
			}
			if it.depth >= opt.Depth {
				truncated = truncated || len(opt.Written(it.e)) > 0
				continue
			}
			for j, ref := range opt.Written(it.e) {
				var later []*formats.Event
				if pre != nil {
					later = pre[i][j]
				} else if later, err = opt.Later(ctx, it.e.System, ref, it.e.ID, opt.Limit+1); err != nil {
					return nil, false, err
				}
				if len(later) > opt.Limit {
					later, truncated = later[:opt.Limit], true
				}
				for _, r := range later {
					if seen[r.ID] {
						continue
					}
					if opt.Budget > 0 && examined >= opt.Budget {
						return out, true, nil
					}
					examined++
					x, err := opt.Explain(ctx, r)
					if errors.Is(err, ErrNotExplainable) {
						continue
					}
					if err != nil {
						return nil, false, err
					}
					if !holds(x, it.e) {
						continue
					}
					seen[r.ID] = true
					out = append(out, Effect{Event: r, Because: it.e, Rule: "wat-provenance", Depth: it.depth + 1})
					queue = append(queue, item{r, it.depth + 1})
					// Through the service that received the reply.
					more, err := afterReceiving(ctx, r, opt.Links)
					if err != nil {
						return nil, false, err
					}
					for _, m := range more {
						if seen[m.ID] {
							continue
						}
						seen[m.ID] = true
						rule := "fallback: sent within " + handlerOf(r) + " after receiving the reply"
						out = append(out, Effect{Event: m, Because: r, Rule: rule, Depth: it.depth + 2})
						queue = append(queue, item{m, it.depth + 2})
					}
				}
			}
		}
	}
	return out, truncated, nil
}

// holds reports whether any witness of x holds e.
func holds(x *Explanation, e *formats.Event) bool {
	has := func(evs []*formats.Event) bool {
		return slices.ContainsFunc(evs, func(a *formats.Event) bool { return a.ID == e.ID })
	}
	for _, f := range x.Factors {
		if slices.ContainsFunc(f, has) {
			return true
		}
	}
	for _, c := range x.Choices {
		if has(c.Events) {
			return true
		}
	}
	for _, r := range x.Held {
		if r.Holds(e.ID) {
			return true
		}
	}
	return false
}

func handlerOf(e *formats.Event) string { return e.Parent }

// afterReceiving returns what a service sent within the request it was
// handling after it received r's reply: its later calls and its response.
func afterReceiving(ctx context.Context, r *formats.Event, links Links) ([]*formats.Event, error) {
	if links == nil || r.Parent == "" || !r.HasReply() {
		return nil, nil
	}
	var out []*formats.Event
	calls, err := links.WithParent(ctx, r.Parent)
	if err != nil {
		return nil, err
	}
	for _, c := range calls {
		if c.ID > r.ID {
			out = append(out, c)
		}
	}
	same, err := links.WithID(ctx, r.Parent)
	if err != nil {
		return nil, err
	}
	for i, c := range same {
		if i > 0 && c.ID > r.ID { // the first is the request itself
			out = append(out, c)
		}
	}
	return out, nil
}

// prefetchLater asks LaterMany, once, for the later events of every key
// the round's events write (those not at the depth limit): the result
// is indexed by the round's event, then by its written key. It is nil
// when opt has no LaterMany.
func prefetchLater[T any](ctx context.Context, round []T, get func(T) (*formats.Event, int), opt FollowOptions) ([][][]*formats.Event, error) {
	if opt.LaterMany == nil {
		return nil, nil
	}
	var qs []LaterQuery
	for _, it := range round {
		e, depth := get(it)
		if depth >= opt.Depth {
			continue
		}
		for _, ref := range opt.Written(e) {
			qs = append(qs, LaterQuery{System: e.System, Ref: ref, After: e.ID})
		}
	}
	res, err := opt.LaterMany(ctx, qs, opt.Limit+1)
	if err != nil {
		return nil, err
	}
	if len(res) != len(qs) {
		return nil, errors.New("LaterMany: an answer per query expected")
	}
	pre := make([][][]*formats.Event, len(round))
	k := 0
	for i, it := range round {
		e, depth := get(it)
		if depth >= opt.Depth {
			continue
		}
		for range opt.Written(e) {
			pre[i] = append(pre[i], res[k])
			k++
		}
	}
	return pre, nil
}
