package main

import (
	"context"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/ingest/store"
	"github.com/wat-project/wat/specs/redis"
)

func eventsCommand() *cli.Command {
	return &cli.Command{
		Name:  "events",
		Usage: "list stored events, filtered by key, operation or file",
		Description: `Prints stored events in trace order, one per line, file:line first (or NDJSON
with --json, one EVENT object per line as in 'wat explain --json').

Examples:
   wat events --key user:42:name
   wat events --op SET --file monitor.log --json | jq -r .args[0]`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "key", Usage: "only events touching `KEY` (read or written); a glob (* ? [...], \\ escapes, as Redis's KEYS) names every stored key it matches"},
			&cli.BoolFlag{Name: "writes", Usage: "only events that may change what they touch (with --key: that key)"},
			&cli.StringFlag{Name: "ns", Usage: "only events in namespace `NS` (the Redis database number)"},
			&cli.StringFlag{Name: "system", Usage: "only events of black box `SYSTEM` (redis, posix, s3, zookeeper; default: every one)"},
			&cli.StringFlag{Name: "instance", Usage: "only events from the files of instance `NAME` (as 'wat sources' shows it)"},
			&cli.StringSliceFlag{Name: "op", Usage: "only events of operation `OP` (e.g. SET; repeat it or separate with commas for several)"},
			&cli.StringFlag{Name: "file", Usage: "only events from `FILE`"},
			&cli.StringFlag{Name: "since", Usage: "only events at or after `TIME` (RFC 3339, 2026-11-24T15:00:00Z; without a zone, UTC)"},
			&cli.StringFlag{Name: "until", Usage: "only events at or before `TIME` (as --since)"},
			&cli.IntFlag{Name: "limit", Usage: "print at most `N` events (0: all)"},
			&cli.BoolFlag{Name: "json", Usage: "print NDJSON"},
		},
		Action: readAction(func(c *cli.Context, st *store.Store) error {
			opt := eventsOptions{key: c.String("key"), keySet: c.IsSet("key"), writes: c.Bool("writes"), ns: c.String("ns"), system: c.String("system"),
				instance: c.String("instance"), ops: c.StringSlice("op"), file: c.String("file"), limit: c.Int("limit"),
				json: c.Bool("json"), color: c.String("color")}
			var err error
			if opt.since, err = timeFlag(c, "since"); err != nil {
				return err
			}
			if opt.until, err = timeFlag(c, "until"); err != nil {
				return err
			}
			return runEvents(c.Context, st, c.App.Writer, opt)
		}),
	}
}

// eventsOptions are wat events' flags.
type eventsOptions struct {
	key                        string
	keySet                     bool // --key was given (an empty key is a key)
	writes                     bool
	ns, system, instance, file string
	ops                        []string
	since, until               int64 // Unix nanoseconds; 0: no bound
	limit                      int
	json                       bool
	color                      string
}

// runEvents prints the stored events opt selects, in trace order.
func runEvents(ctx context.Context, st *store.Store, out io.Writer, opt eventsOptions) error {
	f := store.Filter{System: opt.system, NS: opt.ns, Ops: opt.ops, Instance: opt.instance, Since: opt.since, Until: opt.until}
	if opt.keySet {
		f.Key = []byte(opt.key)
		if strings.ContainsAny(opt.key, "*?[\\") {
			keys, err := st.KeysMatching(ctx, f.System, f.NS, func(k []byte) bool { return redis.GlobMatch(f.Key, k) })
			if err != nil || len(keys) == 0 {
				return err // no key matches: no event
			}
			f.Key, f.Keys = nil, keys
		}
		f.Writes = opt.writes
	}
	// Without --key, --writes asks each event's spec what it writes.
	writes := func(*formats.Event) bool { return true }
	if opt.writes && !f.Writes {
		refs := refsBySystem()
		writes = func(e *formats.Event) bool {
			fn := refs[e.System]
			return fn != nil && slices.ContainsFunc(fn(e), func(r formats.Ref) bool { return r.Kind != formats.KindRead })
		}
	}
	if opt.file != "" {
		var err error
		if f.Source, err = st.SourceByPath(ctx, opt.file); err != nil {
			return err
		}
	}
	r := newRenderer(out, opt.color)
	enc := json.NewEncoder(out)
	printed := 0
	for {
		f.Limit = 1000
		evs, err := st.Events(ctx, f)
		if err != nil {
			return err
		}
		for _, e := range evs {
			f.After = e.ID
			if !writes(e) {
				continue
			}
			if opt.limit > 0 && printed == opt.limit {
				return nil
			}
			printed++
			if opt.json {
				if err := enc.Encode(toJSONEvent(e)); err != nil {
					return err
				}
			} else {
				r.line(e, "", r.request(e))
			}
		}
		if len(evs) < f.Limit {
			return nil
		}
	}
}

// timeFlag reads a time flag as Unix nanoseconds: 0 when it is not set.
func timeFlag(c *cli.Context, name string) (int64, error) {
	v := c.String(name)
	if v == "" {
		return 0, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UnixNano(), nil
		}
	}
	return 0, usageErr("run 'wat events --help'", "--%s %q: want a time like 2026-11-24T15:00:00Z", name, v)
}
