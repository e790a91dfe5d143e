package provenance

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/wat-project/wat/formats"
)

// Links finds requests by the ids a service's log gives them (the paper's
// Watermelon follows a request to its sender through its proxies; wat
// follows the ids in the logs).
type Links interface {
	// WithID returns the events carrying a request id, in trace order: a
	// request, and the response that shares its id.
	WithID(ctx context.Context, id string) ([]*formats.Event, error)
	// WithParent returns the events whose parent id is id, in trace
	// order: the calls a service made while handling request id.
	WithParent(ctx context.Context, parent string) ([]*formats.Event, error)
}

// A Sending says why a logged service sent a request. Services without a
// spec (an application server) are explained by a labelled fallback, not
// by wat-provenance: the request the service was handling when it sent
// it, and the replies it had received within that request before.
type Sending struct {
	Event *formats.Event // the request sent
	// Rule says how the link was made: "parent id h1" (the sent request
	// names the request it was made within), or "response to h1" (a
	// response shares its request's id).
	Rule string
	// Request is the request being handled; nil when it was not logged.
	Request *formats.Event
	// Received are the calls made within Request before Event whose
	// replies were logged, oldest first.
	Received []*formats.Event
	// Part says Event is one record of a request its black box logged as
	// several (S3 logs a copy as the read of the source and the write of
	// the destination, with one request id): Received are the earlier
	// records, Request is nil.
	Part bool
	// Via is the sender's own record of Event when Event was logged only
	// by its receiver (a MONITOR line) and linked to it by content and
	// time: a heuristic link, said so in Rule.
	Via       *formats.Event
	Heuristic bool
}

// BatchLinks is implemented by Links that look up many ids in one query.
// BuildTree then asks once per round for the whole frontier of the tree
// (the events one hop further from the target), instead of once per
// event: a lookup is never recursive, and the recursion across black
// boxes is the engine's, round by round (a distributed PostgreSQL runs a
// recursive query only within one shard).
type BatchLinks interface {
	// WithIDs returns WithID of each id, by id.
	WithIDs(ctx context.Context, ids []string) (map[string][]*formats.Event, error)
	// WithParents returns WithParent of each id, by id.
	WithParents(ctx context.Context, ids []string) (map[string][]*formats.Event, error)
}

// prefetched answers WithID and WithParent from one round's batched
// lookups, and asks base for anything else.
type prefetched struct {
	base           Links
	byID, byParent map[string][]*formats.Event
}

func (p *prefetched) WithID(ctx context.Context, id string) ([]*formats.Event, error) {
	if evs, ok := p.byID[id]; ok {
		return evs, nil
	}
	return p.base.WithID(ctx, id)
}

func (p *prefetched) WithParent(ctx context.Context, id string) ([]*formats.Event, error) {
	if evs, ok := p.byParent[id]; ok {
		return evs, nil
	}
	return p.base.WithParent(ctx, id)
}

// prefetch looks up, in one query per kind, the ids the sendings of a
// round's events will ask for.
func prefetch(ctx context.Context, links Links, events []*formats.Event) (Links, error) {
	b, ok := links.(BatchLinks)
	if !ok {
		return links, nil
	}
	var ids []string
	seen := map[string]bool{}
	for _, e := range events {
		for _, id := range []string{e.Parent, e.ReqID} {
			if id != "" && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return links, nil
	}
	byID, err := b.WithIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	byParent, err := b.WithParents(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, id := range ids { // looked up and found nothing
		if _, ok := byID[id]; !ok {
			byID[id] = nil
		}
		if _, ok := byParent[id]; !ok {
			byParent[id] = nil
		}
	}
	return &prefetched{base: links, byID: byID, byParent: byParent}, nil
}

// CallFinder is implemented by Links that can find a request as the
// service that sent it logged it, by content (black box, op, arguments).
type CallFinder interface {
	SameCall(ctx context.Context, e *formats.Event) ([]*formats.Event, error)
}

// LinkWindow is how far apart in time a request and its sender's record
// of it may be for a heuristic link.
const LinkWindow = 2 * time.Second

// A Tree is an explanation that follows its witnesses across services:
// the requests in each witness to the request that made their service
// send them, and the replies that service had received to their own
// explanations, recursively. It is an AND/OR tree: OR over the witnesses
// of an explanation, AND over the requests of a witness and over the
// requests of a Sending.
type Tree struct {
	Target *formats.Event
	// Explained holds, by event id, the outputs explained by a spec: the
	// target's, and those of the replies a sending service had received.
	Explained map[int64]*Explanation
	// Unexplained says, by event id, why an output has no explanation
	// (no spec for its black box, an operation no spec models).
	Unexplained map[int64]string
	// Sent holds, by event id, why a logged service sent the request.
	Sent map[int64]*Sending
	// Depth is how many hops from the target the tree was followed;
	// Truncated says whether it was cut there, CutAtNodes whether it
	// stopped at MaxTreeNodes events followed.
	Depth      int
	Truncated  bool
	CutAtNodes bool
}

// MaxTreeNodes bounds the events a tree expands.
const MaxTreeNodes = 10000

// BuildTree explains target with explain and follows the tree down to
// depth hops (0: the target's explanation only). explain returns an error
// wrapping ErrNotExplainable when no spec explains an event; the tree
// records why and goes on.
func BuildTree(ctx context.Context, target *formats.Event, depth int, explain func(context.Context, *formats.Event) (*Explanation, error), links Links) (*Tree, error) {
	t := &Tree{Target: target, Explained: map[int64]*Explanation{}, Unexplained: map[int64]string{},
		Sent: map[int64]*Sending{}, Depth: depth}
	type item struct {
		e      *formats.Event
		depth  int
		output bool // explain its output, not only why it was sent
	}
	// The tree is built round by round: every event of a round is one hop
	// further from the target than those of the round before (the order
	// of a first-in, first-out walk), and the ids the round's sendings
	// need are looked up together first.
	round := []item{{target, 0, true}}
	outputDone, sentDone := map[int64]bool{}, map[int64]bool{}
	expanded := 0
	for len(round) > 0 {
		// children[i] are what round[i] adds to the next round, in the
		// order the walk would have queued them.
		children := make([][]item, len(round))
		var toSend []int
		cut := false
		for i, it := range round {
			if expanded >= MaxTreeNodes {
				cut = true
				break
			}
			e := it.e
			if it.output && !outputDone[e.ID] {
				outputDone[e.ID] = true
				expanded++
				x, err := explain(ctx, e)
				switch {
				case errors.Is(err, ErrNotExplainable):
					t.Unexplained[e.ID] = err.Error()
				case err != nil:
					return nil, err
				default:
					t.Explained[e.ID] = x
					if it.depth < depth {
						for _, w := range x.Mentioned() {
							children[i] = append(children[i], item{w, it.depth + 1, false})
						}
					} else if len(x.Factors) > 0 || len(x.Choices) > 0 {
						t.Truncated = true
					}
				}
			}
			// Why it was sent: the target's own sending is part of the
			// tree too (a response is explained by what its handler
			// received).
			if sentDone[e.ID] {
				continue
			}
			sentDone[e.ID] = true
			if expanded++; expanded > MaxTreeNodes {
				cut = true
				break
			}
			toSend = append(toSend, i)
		}
		evs := make([]*formats.Event, len(toSend))
		for j, i := range toSend {
			evs[j] = round[i].e
		}
		rl, err := prefetch(ctx, links, evs)
		if err != nil {
			return nil, err
		}
		for _, i := range toSend {
			it := round[i]
			s, err := sending(ctx, it.e, rl)
			if err != nil {
				return nil, err
			}
			if s == nil {
				continue
			}
			if it.depth >= depth {
				t.Truncated = true
				continue
			}
			t.Sent[it.e.ID] = s
			if s.Request != nil {
				children[i] = append(children[i], item{s.Request, it.depth + 1, false})
			}
			for _, r := range s.Received {
				children[i] = append(children[i], item{r, it.depth + 1, true})
			}
		}
		if cut {
			t.CutAtNodes = true
			break
		}
		var next []item
		for _, c := range children {
			next = append(next, c...)
		}
		round = next
	}
	return t, nil
}

// sending links an event to the request its service was handling.
func sending(ctx context.Context, e *formats.Event, links Links) (*Sending, error) {
	if links == nil {
		return nil, nil
	}
	if e.Parent == "" && e.ReqID == "" && e.Service == "" {
		return heuristic(ctx, e, links)
	}
	handler, rule := e.Parent, "parent id "+e.Parent
	if handler == "" && e.ReqID != "" {
		// A response shares the id of the request it answers.
		same, err := links.WithID(ctx, e.ReqID)
		if err != nil {
			return nil, err
		}
		if len(same) > 0 && same[0].ID < e.ID {
			if same[0].System == e.System && e.Service == "" {
				return part(e, same), nil
			}
			handler, rule = e.ReqID, "response to "+e.ReqID
		}
	}
	if handler == "" {
		return nil, nil
	}
	s := &Sending{Event: e, Rule: rule}
	reqs, err := links.WithID(ctx, handler)
	if err != nil {
		return nil, fmt.Errorf("requests with id %s: %w", handler, err)
	}
	for _, r := range reqs {
		if r.ID < e.ID {
			s.Request = r
			break
		}
	}
	if s.Request == nil && len(reqs) > 0 && reqs[0].ID != e.ID {
		// Its record was written when the request completed, after the
		// calls made within it (access logs, spans, slog middleware).
		s.Request = reqs[0]
		s.Rule += ", whose record follows (written when it completed)"
	}
	calls, err := links.WithParent(ctx, handler)
	if err != nil {
		return nil, fmt.Errorf("calls within %s: %w", handler, err)
	}
	for _, c := range calls {
		// A call the service logged returned to it, whether or not the
		// record shows the reply (a span does not).
		if c.ID < e.ID && (c.HasReply() || c.ClientRecord) {
			s.Received = append(s.Received, c)
		}
	}
	if s.Request == nil && e.Service == "" && len(s.Received) > 0 {
		// Records a black box logged of one operation in several requests
		// (the parts of a multipart upload and its completion).
		same := true
		for _, c := range s.Received {
			same = same && c.System == e.System
		}
		if same {
			s.Part, s.Rule = true, "records of one operation, "+handler
		}
	}
	return s, nil
}

// heuristic links a request its receiver logged (with no ids) to the
// sender's record of the same call: same content, the nearest in time
// within LinkWindow, and the same client address when both logs have it.
func heuristic(ctx context.Context, e *formats.Event, links Links) (*Sending, error) {
	base := links
	if p, ok := links.(*prefetched); ok {
		base = p.base
	}
	f, ok := base.(CallFinder)
	if !ok {
		return nil, nil
	}
	cands, err := f.SameCall(ctx, e)
	if err != nil {
		return nil, err
	}
	best, match := Nearest(e, cands, nil)
	if best == nil {
		return nil, nil
	}
	rule := fmt.Sprintf("HEURISTIC link to %s's record at %s (%s)", best.Service, best.Where(), match)
	s, err := sending(ctx, best, links)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return &Sending{Event: e, Rule: rule, Via: best, Heuristic: true}, nil
	}
	s.Event, s.Via, s.Heuristic, s.Rule = e, best, true, rule+"; then "+s.Rule
	return s, nil
}

// Nearest returns, among cands, the receiver's own line of the call the
// sender's record e logged: the same content (sameCall), the same client
// address when both logs have it, within LinkWindow of e's time. Of
// several, the first of the maxPreferred nearest in time for which prefer holds
// (its replay gives the reply e logged), else the nearest; match says
// how it was chosen.
func Nearest(e *formats.Event, cands []*formats.Event, prefer func(c *formats.Event) bool) (*formats.Event, string) {
	type cand struct {
		c   *formats.Event
		gap time.Duration
		b64 bool
	}
	var ok []cand
	for _, c := range cands {
		same, b64 := sameCall(e, c)
		if c.ID == e.ID || !same || (c.Client != "" && e.Client != "" && c.Client != e.Client) {
			continue
		}
		gap := LinkWindow
		if c.Time != 0 && e.Time != 0 {
			gap = time.Duration(c.Time - e.Time).Abs()
			if gap > LinkWindow {
				continue
			}
		}
		ok = append(ok, cand{c, gap, b64})
	}
	if len(ok) == 0 {
		return nil, ""
	}
	sort.SliceStable(ok, func(i, j int) bool { return ok[i].gap < ok[j].gap })
	pick, by := 0, ""
	if prefer != nil && len(ok) > 1 {
		for i := range ok[:min(maxPreferred, len(ok))] {
			if prefer(ok[i].c) {
				pick, by = i, ", the one whose replay gives the reply it logged"
				break
			}
		}
		if by == "" {
			by = ", the nearest: none of the nearest gives the reply it logged"
		}
	}
	best := ok[pick]
	match := "same command and arguments"
	if best.b64 {
		match += " (some logged in base64, as log/slog writes bytes)"
	}
	if best.c.Time != 0 && e.Time != 0 {
		match += fmt.Sprintf(", %s apart", best.gap)
	}
	if best.c.Client != "" && best.c.Client == e.Client {
		match += ", same client address"
	}
	if len(ok) > 1 {
		match += fmt.Sprintf(", of %d candidates%s", len(ok), by)
		if by == "" {
			match += ", the nearest"
		}
	}
	return best.c, match
}

// maxPreferred bounds the candidates Nearest asks prefer about.
const maxPreferred = 64

// sameCall tells whether e and c are the same call, one a sender's record
// of the other: the same black box, op and arguments, an argument also
// matching when one of them logged it base64-encoded (log/slog writes
// []byte values so), which b64 says.
func sameCall(e, c *formats.Event) (same, b64 bool) {
	if e.System != c.System || !strings.EqualFold(e.Op, c.Op) || len(e.Args) != len(c.Args) {
		return false, false
	}
	for i, a := range e.Args {
		if bytes.Equal(a, c.Args[i]) {
			continue
		}
		if !decodesTo(a, c.Args[i]) && !decodesTo(c.Args[i], a) {
			return false, false
		}
		b64 = true
	}
	return true, b64
}

// decodesTo tells whether enc is the base64 encoding of b.
func decodesTo(enc, b []byte) bool {
	d, err := base64.StdEncoding.DecodeString(string(enc))
	return err == nil && bytes.Equal(d, b)
}

// part links a record to the earlier records of the same request to the
// same black box: their outputs fed it.
func part(e *formats.Event, same []*formats.Event) *Sending {
	s := &Sending{Event: e, Part: true, Rule: "the same request " + e.ReqID + " logged as several records"}
	for _, o := range same {
		if o.ID < e.ID && o.System == e.System {
			s.Received = append(s.Received, o)
		}
	}
	return s
}
