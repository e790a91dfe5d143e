package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/ingest/store"
	"github.com/wat-project/wat/provenance"
)

func followCommand() *cli.Command {
	return &cli.Command{
		Name:  "follow",
		Usage: "list the later reads (and responses) a write explains: its blast radius",
		Description: `The forward question: which later requests did the write at --at explain?
A read is listed when the write is in one of the read's witnesses (its
wat-provenance, computed by the read's spec). When the read was made by a
logged service within a request (parent ids), what that service sent
afterwards within the same request - its later calls and its response - is
listed too, by the labelled fallback rule, and followed in turn.

Examples:
   wat follow --at monitor.log:6
   wat follow --at app.log:23 --json | jq -r '.event.file + ":" + (.event.line|tostring)'

JSON (one object per line):
   {"event": EVENT, "because": EVENT, "rule": "wat-provenance", "depth": 1}`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "at", Usage: "the write: `FILE:LINE`, or LINE", Required: true},
			&cli.IntFlag{Name: "depth", Value: 5, Usage: "follow at most `N` hops"},
			&cli.IntFlag{Name: "limit", Value: 1000, Usage: "examine at most `N` later requests of each key"},
			&cli.IntFlag{Name: "budget", Value: 500, Usage: "examine (explain) at most `N` later requests in all; 0: no bound"},
			&cli.BoolFlag{Name: "json", Usage: "print NDJSON"},
		},
		Action: readAction(func(c *cli.Context, st *store.Store) error {
			return runFollow(c.Context, st, c.App.Writer, followOptions{at: c.String("at"), depth: c.Int("depth"),
				limit: c.Int("limit"), budget: c.Int("budget"), json: c.Bool("json"), color: c.String("color")})
		}),
	}
}

// followOptions are wat follow's flags.
type followOptions struct {
	at                   string
	depth, limit, budget int
	json                 bool
	color                string
}

// runFollow prints the later requests the write at opt.at explains.
func runFollow(ctx context.Context, st *store.Store, out io.Writer, opt followOptions) error {
	w, _, err := resolveAt(ctx, st, opt.at)
	if err != nil {
		return err
	}
	if len(written(w)) == 0 {
		return withHint(fmt.Errorf("%s: %s changes no key wat can follow", w.Where(), w.Op),
			"give the line of a write ('wat explain' answers why a read returned what it did)")
	}
	effects, truncated, err := provenance.Follow(ctx, w, provenance.FollowOptions{
		Depth: opt.depth, Limit: opt.limit, Budget: opt.budget, Written: written,
		// What a request changed is seen by the later requests of its own
		// instance only.
		Later: func(ctx context.Context, system string, ref formats.Ref, after int64, limit int) ([]*formats.Event, error) {
			sc, err := st.ScopeOf(ctx, after)
			if err != nil {
				return nil, err
			}
			return sc.Later(ctx, system, ref.NS, ref.Key, after, limit)
		},
		LaterMany: func(ctx context.Context, qs []provenance.LaterQuery, limit int) ([][]*formats.Event, error) {
			kqs := make([]store.KeyQuery, len(qs))
			for i, q := range qs {
				sc, err := st.ScopeOf(ctx, q.After)
				if err != nil {
					return nil, err
				}
				kqs[i] = store.KeyQuery{System: q.System, NS: q.Ref.NS, Key: q.Ref.Key, After: q.After, Within: sc}
			}
			return st.EventsOfKeys(ctx, kqs, limit)
		},
		Explain: explainer(st, newReceivers(st)),
		Links:   st,
	})
	if err != nil {
		return err
	}
	return printEffects(out, opt, w, effects, truncated)
}

// written returns the keys an event may change, by its spec.
func written(e *formats.Event) []formats.Ref {
	spec, err := specFor(e.System)
	if err != nil {
		return nil
	}
	var out []formats.Ref
	for _, r := range spec.Refs(e) {
		if r.Kind >= formats.KindWrite && r.Key != nil {
			out = append(out, r)
		}
	}
	return out
}

type jsonEffect struct {
	Event   jsonEvent `json:"event"`
	Because jsonEvent `json:"because"`
	Rule    string    `json:"rule"`
	Depth   int       `json:"depth"`
}

func printEffects(out io.Writer, opt followOptions, w *formats.Event, effects []provenance.Effect, truncated bool) error {
	if opt.json {
		enc := json.NewEncoder(out)
		for _, e := range effects {
			if err := enc.Encode(jsonEffect{toJSONEvent(e.Event), toJSONEvent(e.Because), e.Rule, e.Depth}); err != nil {
				return err
			}
		}
		return nil
	}
	r := newRenderer(out, opt.color)
	r.line(w, "follow ", r.request(w))
	r.line(w, "", fmt.Sprintf("%d later requests explained by it", len(effects)))
	for _, e := range effects {
		r.indent = e.Depth
		how := "explained by " + e.Because.Where()
		if e.Rule != "wat-provenance" {
			how = e.Rule + " at " + e.Because.Where()
		}
		text := r.request(e.Event)
		if e.Event.HasReply() {
			text += " -> " + safe(string(e.Event.Reply))
		}
		r.line(e.Event, "", text+r.dim.Render("  ("+how+")"))
	}
	r.indent = 0
	if truncated {
		r.line(w, "", r.note.Render("note: stopped at --depth, --limit or --budget; there may be more"))
	}
	return nil
}
