package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/ingest/store"
	"github.com/wat-project/wat/provenance"
)

func explainCommand() *cli.Command {
	return &cli.Command{
		Name:  "explain",
		Usage: "explain a request's output by the earlier requests that caused it",
		Description: `Replays the black box's model over the stored trace and prints the
wat-provenance of the request at --at: every witness (a minimal set of earlier
requests that gives the same output however the rest of the history is added
back), one request per line, file:line first.

--at takes FILE:LINE, or just LINE (also "line LINE") when one file is ingested.
--output is the value you saw; wat says plainly when its replay disagrees (exit 3):
then the log is incomplete (writes before the capture began) or the model is wrong.

When witnesses multiply (every value written twice doubles them), they are
printed factored: the requests every witness holds, then groups of which a
witness takes one alternative each. When they are too many even for that (which
of a queue's pops guard its pushes), a choice says "any K of these N requests",
with the rule they keep. The count is always printed, exactly.

A hot key's answer (a counter's, a queue's, a log's) is read from the index:
its requests every witness holds are printed a run a line ("238,463 × INCR
..., lines 26-9999904"), and so are a choice's, when they are more than
--max-events; --all reads and lists every one.

Examples:
   wat explain --at monitor.log:4021 --output 17
   wat explain --at 4021
   wat explain --at monitor.log:4021 --json | jq '.witnesses[].events[].line'

JSON (one object per line):
   {"target": EVENT, "output": "17", "output_resp": "$2\r\n17\r\n", "exact": true,
    "time_dependent": false, "notes": [], "count": "1", "complete": true,
    "witnesses": [{"events": [EVENT, ...]}], "factors": [[[EVENT, ...], ...], ...],
    "choices": [{"k": 4, "of": [EVENT, ...], "caps": [...], "count": "23", "rule": "..."}]}
   EVENT: {"file", "line", "id", "time", "time_ns", "system", "ns", "client",
           "op", "args", "instance", "raw"} (see the README for the byte encoding).
`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "at", Usage: "the request to explain: `FILE:LINE`, or LINE (a line that began a call strace split names the call)", Required: true},
			&cli.StringFlag{Name: "output", Usage: "the `VALUE` the request returned, checked against the replay"},
			&cli.BoolFlag{Name: "json", Usage: "print NDJSON"},
			&cli.IntFlag{Name: "max-witnesses", Value: 20, Usage: "list witnesses one by one up to `N`; print them factored above"},
			&cli.IntFlag{Name: "max-events", Value: 100, Usage: "list at most `N` requests of one witness or group (runs read from the index: as runs when more)"},
			&cli.IntFlag{Name: "depth", Value: 5, Usage: "follow requests to the services that sent them at most `N` hops (0: do not follow)"},
			&cli.BoolFlag{Name: "all", Usage: "list every witness and every request of each (text: no --max-witnesses or --max-events; --json: no cut at 1000 events or about 800 kB of them)"},
			&cli.DurationFlag{Name: "timeout", Value: 10 * time.Second, Usage: "answer within `D` (0: no limit): past 70% of it an exact search gives up and the answer is a closed witness, labelled not exact; exit code 5 says either happened"},
		},
		Action: readAction(func(c *cli.Context, st *store.Store) error {
			opt := explainOptions{
				at: c.String("at"), json: c.Bool("json"), maxWitnesses: c.Int("max-witnesses"),
				maxEvents: c.Int("max-events"), color: c.String("color"), depth: c.Int("depth"), timeout: c.Duration("timeout"), all: c.Bool("all"),
			}
			if opt.all {
				opt.maxWitnesses, opt.maxEvents = math.MaxInt, math.MaxInt
			}
			if opt.timeout < 0 {
				return usageErr("give a duration such as 30s, or 0 for no limit", "--timeout %v: a time limit cannot be negative", opt.timeout)
			}
			if c.IsSet("output") {
				v := c.String("output")
				opt.output = &v
			}
			return runExplain(c.Context, st, c.App.Writer, opt)
		}),
	}
}

type explainOptions struct {
	depth        int
	at           string
	output       *string
	json         bool
	maxWitnesses int
	maxEvents    int
	color        string
	timeout      time.Duration
	all          bool
}

// resolveAt finds the event --at names, and a note when it is not at the
// line named: a call strace split is at the line that resumed it.
func resolveAt(ctx context.Context, st *store.Store, at string) (*formats.Event, string, error) {
	file, lineStr := "", at
	if i := strings.LastIndexByte(at, ':'); i >= 0 {
		file, lineStr = at[:i], at[i+1:]
	}
	part := 0
	if l, p, ok := strings.Cut(lineStr, "."); ok {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return nil, "", usageErr("--at takes FILE:LINE, FILE:LINE.K (the K-th event of a line that holds several) or LINE", "--at %q: bad event number", at)
		}
		lineStr, part = l, n
	}
	line, err := strconv.Atoi(lineStr)
	if err != nil || line < 1 {
		return nil, "", usageErr("--at takes FILE:LINE or LINE, e.g. --at monitor.log:42", "--at %q: no line number", at)
	}
	var src *store.Source
	if file == "" {
		srcs, err := st.Sources(ctx)
		if err != nil {
			return nil, "", err
		}
		switch len(srcs) {
		case 0:
			return nil, "", withHint(errors.New("the store holds no files"), "run 'wat ingest LOGFILE' first")
		case 1:
			src = srcs[0]
		default:
			var names []string
			for _, s := range srcs {
				names = append(names, s.Path)
			}
			return nil, "", usageErr("give FILE:LINE, FILE one of: "+strings.Join(names, ", "), "--at %d: %d files are ingested", line, len(srcs))
		}
	} else if src, err = st.SourceByPath(ctx, file); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, "", withHint(err, "run 'wat ingest "+file+"' first, or 'wat sql \"SELECT path FROM sources\"' for the files the store holds")
		}
		return nil, "", err
	}
	e, err := st.EventAtPart(ctx, src, line, part)
	if errors.Is(err, store.ErrSeveral) {
		return nil, "", withHint(err, "an OTLP export line holds many spans; 'wat events --file "+src.Path+"' lists them with their numbers")
	}
	// A line that holds no event, or the first half of a call that is an
	// event too (a process's creation, a write to a pipe or a read of
	// one): the call.
	if (errors.Is(err, store.ErrNotFound) || err == nil && string(e.Reply) == formats.ReplyUnfinished) && part == 0 {
		var half []byte // the first half's text, stored
		if err == nil {
			half = bytes.TrimRight(e.Raw, "\r\n")
		}
		if split := splitCall(ctx, st, src, line, half); split != nil {
			return split, fmt.Sprintf("%s:%d began this call, which strace split in two (<unfinished ...>); the call is at %s, where it resumed", src.Path, line, split.Where()), nil
		}
	}
	return e, "", err
}

// maxSplitSpan bounds how far (in events of its file) the line that
// resumes a call strace split can be from the line that began it, for
// splitCall.
const maxSplitSpan = 4096

// splitCall returns the call that a line of src began, when the line is
// the first half of a call the log split in two (strace's "<unfinished
// ...>"; the store keeps the call at the line that resumes it, its raw
// text both lines): the first event of the next maxSplitSpan whose raw
// text's first line is the line's text, half when the line holds an
// event of the call's start (its raw text), else read from the file. It
// returns nil when there is none, or the file cannot be read as it was
// ingested (gone, changed, compressed).
func splitCall(ctx context.Context, st *store.Store, src *store.Source, line int, half []byte) *formats.Event {
	before, after, err := st.Around(ctx, src, line, maxSplitSpan)
	if err != nil || len(after) == 0 {
		return nil
	}
	text, ok := half, half != nil
	if !ok {
		text, ok = fileLine(src.Path, before, line)
	}
	if !ok {
		return nil
	}
	for _, e := range after {
		if first, _, split := bytes.Cut(e.Raw, []byte("\n")); split && bytes.Equal(first, text) {
			return e
		}
	}
	return nil
}

// fileLine reads the text of a line of the file at path, from the event
// before it (from the start when nil), whose line must read as its raw
// text's last line there: else the file is not as it was ingested.
func fileLine(path string, before *formats.Event, line int) ([]byte, bool) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	at, from := int64(0), 1
	if before != nil {
		at, from = before.Offset, before.Line
	}
	if line-from > maxSplitSpan {
		return nil, false
	}
	if _, err := f.Seek(at, io.SeekStart); err != nil {
		return nil, false
	}
	r := bufio.NewReader(f)
	if magic, err := r.Peek(2); err == nil && at == 0 && magic[0] == 0x1f && magic[1] == 0x8b {
		return nil, false // gzip: offsets are in the decompressed text
	}
	for n := from; ; n++ {
		text, err := r.ReadBytes('\n')
		if err != nil && (err != io.EOF || len(text) == 0) {
			return nil, false
		}
		text = bytes.TrimRight(text, "\r\n")
		switch {
		case n == line:
			return text, true
		case before != nil && n == from:
			raw := before.Raw
			if i := bytes.LastIndexByte(raw, '\n'); i >= 0 {
				raw = raw[i+1:]
			}
			if !bytes.Equal(text, raw) {
				return nil, false
			}
		}
	}
}

// explainGCPercent and explainHeapLimit are the collector's settings
// for an answer without --all (see runExplain).
const (
	explainGCPercent = 400
	explainHeapLimit = 256 << 20
)

// runExplain explains the request --at names, within --timeout.
func runExplain(ctx context.Context, st *store.Store, w io.Writer, opt explainOptions) error {
	if !opt.all && os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		// An answer is one short process, whose every fresh page of
		// memory is a page fault (10-30 µs on a virtual machine). A hot
		// key's answer allocates about 20 MB of arrays that live to its
		// end; a replay that copies files' contents (a read of GNU
		// sort's temporary file) allocates a gigabyte of garbage. With
		// the default (100) the first collected 3 times, the second
		// reached 300 ms; with no collection below a limit, the second
		// faulted in every page it allocated (70,000 faults, 0.9 s).
		// Collecting at five times what is live: hot queues' answers
		// 83 -> 73 ms, the sort read 300 -> 160 ms. The soft limit
		// bounds the heap of a big answer. --all streams its lists and
		// keeps the default, so that its memory stays near what it holds.
		defer debug.SetGCPercent(debug.SetGCPercent(explainGCPercent))
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(explainHeapLimit))
	}
	if opt.timeout <= 0 {
		return explainAt(ctx, st, w, opt)
	}
	ctx, cancel := context.WithTimeout(ctx, opt.timeout)
	defer cancel()
	ctx = provenance.WithSearchDeadline(ctx, time.Now().Add(opt.timeout*7/10))
	err := explainAt(ctx, st, w, opt)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) { // whatever the store made of it
		return &exitError{code: exitTimeout, err: fmt.Errorf("--at %s: no answer within --timeout %v", opt.at, opt.timeout),
			hint: "a longer --timeout, or a smaller --depth (fewer requests followed), answers it"}
	}
	return err
}

// explainAt explains the request --at names (see runExplain).
func explainAt(ctx context.Context, st *store.Store, w io.Writer, opt explainOptions) error {
	target, atNote, err := resolveAt(ctx, st, opt.at)
	if err != nil {
		return err
	}
	var linkNote string
	rc := newReceivers(st)
	logged := target // the record whose logged reply the replay is checked against
	if target.ClientRecord {
		recv, match, err := rc.of(ctx, target)
		if err != nil {
			return err
		}
		if recv != nil {
			linkNote = fmt.Sprintf("%s is %s's record of this call; explained is the line of %s's own log that matches it (HEURISTIC link: %s)",
				target.Where(), target.Service, recv.System, match)
			target = recv
		} // else the service's records of its calls stand in for the box's log (see explainer)
	}
	var links provenance.Links = st
	if logged != target {
		links = knownCall{st, target, logged} // the link just made, whatever the index finds
	}
	tree, err := provenance.BuildTree(ctx, target, opt.depth, explainer(st, rc), links)
	if err != nil {
		return err
	}
	x := tree.Explained[target.ID]
	if x == nil {
		why := errors.New(tree.Unexplained[target.ID])
		if tree.Sent[target.ID] == nil {
			return withHint(why, "'wat specs' lists what each spec explains")
		}
		// No spec for the target's black box (an application server's
		// response): show why its service sent it.
		if opt.json {
			b := newJSONTree(tree, opt.all, nil)
			j := b.sending(tree.Sent[target.ID])
			j.Target = b.event(target, false)
			j.Target.SentBy = nil
			j.Notes = append([]string{why.Error()}, j.Notes...)
			return json.NewEncoder(w).Encode(j)
		}
		r := newTreeRenderer(w, opt, tree)
		r.line(target, "explain ", r.request(target))
		r.line(target, "", r.note.Render("note: "+safe(why.Error())+"; shown is why its service sent it, by the fallback rule"))
		r.sent(target)
		printCut(r, target, tree, opt.depth)
		return nil
	}
	if atNote != "" {
		x.Notes = append([]string{atNote}, x.Notes...)
	}
	if linkNote != "" {
		x.Notes = append([]string{linkNote}, x.Notes...)
	}
	spec, _ := specFor(target.System)
	if !logged.HasReply() {
		logged = target
	}
	check := checkOutput(spec, x, logged, opt.output)
	held, err := readHeld(ctx, st, tree, opt)
	if err != nil {
		return err
	}
	// With --all, the runs readHeld left as runs are read as the answer
	// is written, a chunk at a time.
	var events func(ids []int64) ([]*formats.Event, error)
	if opt.all {
		events = func(ids []int64) ([]*formats.Event, error) { return st.ByIDOnce(ctx, ids) }
	}
	if opt.json {
		if err := writeJSON(w, spec, x, check, tree, opt.all, held, events); err != nil {
			return err
		}
	} else {
		r := newTreeRenderer(w, opt, tree)
		r.held, r.events = held, events
		r.explanation(spec, x, check, opt.maxWitnesses, opt.maxEvents)
		if tree.Sent[target.ID] != nil {
			r.line(target, "", "sent by its service:")
			r.sent(target)
		}
		printCut(r, target, tree, opt.depth)
		if r.err != nil {
			return r.err
		}
	}
	if check != nil && !check.match && !check.unknown {
		return &exitError{code: exitMismatch, err: fmt.Errorf("%s: wat replays %s, but %s is %s",
			target.Where(), spec.ShowOutput(x.Output), check.what, check.shown),
			hint: "the log may be incomplete (writes before the capture began, or by other means), or wat's model of the command may be wrong"}
	}
	if outOfTime(tree) {
		return &exitError{code: exitTimeout, err: fmt.Errorf("%s: an exact search ran out of --timeout %v: answered with a closed witness, not exact", target.Where(), opt.timeout),
			hint: "a longer --timeout may find the exact answer"}
	}
	return nil
}

// outOfTime tells whether an explanation of the tree gave up its exact
// search for want of time (provenance.ErrOutOfTime, in its notes).
func outOfTime(tree *provenance.Tree) bool {
	for _, x := range tree.Explained {
		for _, n := range x.Notes {
			if strings.Contains(n, provenance.ErrOutOfTime.Error()) {
				return true
			}
		}
	}
	return false
}

func newTreeRenderer(w io.Writer, opt explainOptions, tree *provenance.Tree) *renderer {
	r := newRenderer(w, opt.color)
	r.tree, r.onPath, r.maxW, r.maxE = tree, map[int64]bool{}, opt.maxWitnesses, opt.maxEvents
	return r
}

// An outputCheck compares the replayed output with what the user or the
// log says it was.
type outputCheck struct {
	what  string // "--output" or "the logged reply"
	raw   string
	shown string
	match bool
	// unknown: the replayed output has parts wat cannot know (a file's
	// bytes from before the trace) and agrees with the rest: neither a
	// match nor a difference.
	unknown bool
}

// checkOutput compares x's replayed output with given (--output) or, with
// none, the target's logged reply. A replay that differs from the logged
// reply takes x's exact label away (see replayDiffers), so it runs before
// x is rendered.
func checkOutput(spec provenance.Spec, x *provenance.Explanation, target *formats.Event, given *string) *outputCheck {
	var raw []byte
	var c outputCheck
	switch {
	case given != nil:
		raw, c.what = []byte(*given), "--output"
	case target.HasReply():
		raw, c.what = target.Reply, "the logged reply"
		if l, ok := spec.(loggedOutputer); ok {
			raw = l.LoggedOutput(target)
		}
	default:
		return nil
	}
	c.raw, c.shown = string(raw), strconv.Quote(string(raw))
	if so, ok := spec.(sameOutputer); ok {
		c.match = so.SameOutput(raw, x.Output)
		if u, ok := spec.(unknownOutputer); ok && c.match && u.UnknownOutput(x.Output) {
			c.match, c.unknown = false, true
		}
	} else {
		for _, o := range spec.ParseOutput(raw) {
			if o == x.Output {
				c.match = true
			}
		}
	}
	if given == nil && !c.match && !c.unknown {
		// The replay is not what the log shows: whatever the witnesses,
		// they are the model's, which this trace proves wrong here (a
		// reason of its own, whatever other the answer gives).
		x.Exact = false
		x.Notes = append(x.Notes, replayDiffers)
	}
	return &c
}

// replayDiffers is the note of an answer whose replayed output is not
// the logged reply.
const replayDiffers = "not exact: the replay does not give the logged reply, so the model is wrong about this trace " +
	"(or the log is incomplete): the witnesses are the model's"

// A loggedOutputer says what a log record shows of a request's output
// beyond its reply field (S3: the version and size served).
type loggedOutputer interface {
	LoggedOutput(e *formats.Event) []byte
}

// A sameOutputer compares a logged or typed output with a replayed one
// itself (S3 logs leave fields out; a comparison uses those both have).
type sameOutputer interface {
	SameOutput(given []byte, o provenance.Output) bool
}

// An unknownOutputer says whether a replayed output has parts the model
// cannot know (POSIX: bytes of a file from before the trace).
type unknownOutputer interface {
	UnknownOutput(o provenance.Output) bool
}

// receivers are the lines of a black box's own log that service records
// of calls were linked to (receiverOf), each looked up once in a command:
// the record explained and the tree built from it ask for the same one.
type receivers struct {
	st *store.Store
	m  map[int64]receiverLink
}

type receiverLink struct {
	recv  *formats.Event
	match string
}

func newReceivers(st *store.Store) *receivers {
	return &receivers{st: st, m: map[int64]receiverLink{}}
}

// of returns receiverOf(e), looked up once.
func (rc *receivers) of(ctx context.Context, e *formats.Event) (*formats.Event, string, error) {
	if l, ok := rc.m[e.ID]; ok {
		return l.recv, l.match, nil
	}
	recv, match, err := receiverOf(ctx, rc.st, e)
	if err == nil {
		rc.m[e.ID] = receiverLink{recv, match}
	}
	return recv, match, err
}

// receiverOf finds the black box's own record of a call a service logged
// (see store.ReceiverOf), with the keys the call's spec says it touches.
// Of identical calls, the one whose replay gives the reply the service
// logged is the one it sent.
func receiverOf(ctx context.Context, st *store.Store, e *formats.Event) (*formats.Event, string, error) {
	spec, err := specFor(e.System)
	if err != nil {
		return nil, "", nil
	}
	var prefer func(c *formats.Event) bool
	if e.HasReply() {
		prefer = func(c *formats.Event) bool {
			h, err := st.Scope(ctx, c)
			if err != nil {
				return false
			}
			x, err := spec.Explain(ctx, h, c)
			if err != nil {
				return false
			}
			check := checkOutput(spec, x, e, nil) // as the explanation will check it
			return check != nil && check.match
		}
	}
	return st.ReceiverOf(ctx, e, spec.Refs(e), prefer)
}

// printCut says where the tree was cut.
func printCut(r *renderer, target *formats.Event, tree *provenance.Tree, depth int) {
	if tree.Truncated {
		r.line(target, "", r.note.Render(fmt.Sprintf("note: the tree is cut at --depth %d", depth)))
	}
	if tree.CutAtNodes {
		r.line(target, "", r.note.Render(fmt.Sprintf("note: the tree is cut: at most %d requests are followed to their senders", provenance.MaxTreeNodes)))
	}
}

// explainer returns how a request stored in st is explained: by its
// spec, over its own instance's history; a service's record of a call
// through the black box's own line of it.
func explainer(st *store.Store, rc *receivers) func(ctx context.Context, e *formats.Event) (*provenance.Explanation, error) {
	return func(ctx context.Context, e *formats.Event) (*provenance.Explanation, error) {
		spec, err := specFor(e.System)
		if err != nil {
			return nil, err
		}
		var note string
		if e.ClientRecord {
			// A service's record of a call: explain the box's own line.
			recv, match, err := rc.of(ctx, e)
			if err != nil {
				return nil, err
			}
			if recv == nil {
				// The service's records of its calls stand in for the
				// box's own log (store.Source.StandsIn).
				note = fmt.Sprintf("no line of %s's own log is this call: replayed from %s's records of the calls it sent to %s, which hold no request another client sent",
					e.System, e.Service, e.System)
			} else {
				note = fmt.Sprintf("explained through %s, %s's own record of this call (HEURISTIC link: %s)", recv.Where(), recv.System, match)
				e = recv
			}
		}
		h, err := st.Scope(ctx, e)
		if err != nil {
			return nil, err
		}
		x, err := spec.Explain(ctx, h, e)
		if x != nil && note != "" {
			x.Notes = append([]string{note}, x.Notes...)
		}
		if err != nil && !errors.Is(err, provenance.ErrNotExplainable) {
			return nil, fmt.Errorf("explain %s: %w", e.Where(), err)
		}
		if err == nil && (len(x.Held) > 0 || hasStubs(x)) {
			// The tree follows every event to its sender: with links
			// stored, the held runs' events and the choices' stubs are
			// read whole.
			if has, lerr := st.HasLinks(ctx); lerr != nil {
				return nil, lerr
			} else if has {
				if lerr := readHeadOfRuns(ctx, st, x, provenance.MaxTreeNodes); lerr != nil {
					return nil, fmt.Errorf("explain %s: %w", e.Where(), lerr)
				}
				if lerr := readChoices(ctx, st, x, explainOptions{all: true}, false, provenance.MaxTreeNodes, nil); lerr != nil {
					return nil, fmt.Errorf("explain %s: %w", e.Where(), lerr)
				}
			}
		}
		return x, err
	}
}

// readHeadOfRuns reads whole the first n events of x's held runs, in id
// order, which become a factor of x, and leaves the rest as runs (each
// then begins at its first event left, read whole). A tree follows at
// most provenance.MaxTreeNodes requests to their senders, and only
// events read whole: reading all of a hot counter's 200,000 INCRs for it
// took 1.4 s and 190 MB where the first 10,000 are all it can follow.
func readHeadOfRuns(ctx context.Context, st *store.Store, x *provenance.Explanation, n int) error {
	if len(x.Held) == 0 {
		return nil
	}
	ids := x.HeldIDs(n)
	evs, err := st.ByID(ctx, ids)
	if err != nil {
		return err
	}
	last := ids[len(ids)-1]
	var rest []provenance.Run
	var firsts []int64
	for _, r := range x.Held {
		i, _ := r.IDs.Index(last + 1) // the first id left
		if i < r.IDs.Len() {
			tail := r.IDs.Slice()[i:]
			rest = append(rest, provenance.Run{Like: r.Like, IDs: provenance.IDsOf(tail), Alike: r.Alike})
			firsts = append(firsts, tail[0])
		}
	}
	if len(firsts) > 0 {
		likes, err := st.ByID(ctx, firsts)
		if err != nil {
			return err
		}
		for k := range rest {
			rest[k].Like = likes[k]
		}
	}
	x.Factors, x.Held = append(x.Factors, provenance.Factor{evs}), rest
	return nil
}

// readHeld reads the events of the tree's held runs that an answer
// shows: with --all, or when they are no more than --max-events, every
// one (the runs then become a factor, listed like any other), but for
// --all's runs of more than maxHeldWhole, which the answer reads as it
// is written; else the last of each run (the text's summary line) and,
// for --json, the first maxJSONEvents of the target's.
func readHeld(ctx context.Context, st *store.Store, tree *provenance.Tree, opt explainOptions) (map[int64]*formats.Event, error) {
	held := map[int64]*formats.Event{}
	for _, x := range tree.Explained {
		target := x == tree.Explained[tree.Target.ID]
		// A target whose first witness alone fills --json's list: only
		// its first events are listed (jsonTree.take), so only those are
		// read, not each choice's and run's first too.
		firstOnly := false
		if opt.json && !opt.all && target {
			ids, full := firstListed(x, maxJSONEvents)
			if full {
				evs, err := st.ByID(ctx, ids)
				if err != nil {
					return nil, err
				}
				for _, e := range evs {
					held[e.ID] = e
				}
				firstOnly = true
			}
		}
		if !firstOnly {
			if err := readChoices(ctx, st, x, opt, opt.all && !listsWitnesses(x), 0, held); err != nil {
				return nil, err
			}
		}
		if len(x.Held) == 0 {
			continue
		}
		if opt.all && x.HeldCount() > maxHeldWhole {
			continue // listed a chunk at a time (renderer.listHeld, jsonTree's)
		}
		if opt.all || x.HeldCount() <= opt.maxEvents {
			// Few enough to list: as the requests they are.
			evs, err := heldEvents(ctx, st, x, -1)
			if err != nil {
				return nil, err
			}
			x.Factors, x.Held = append(x.Factors, provenance.Factor{evs}), nil
			continue
		}
		var ids []int64
		for _, r := range x.Held {
			ids = append(ids, r.IDs.Last())
		}
		if len(ids) == 0 {
			continue
		}
		evs, err := st.ByID(ctx, ids)
		if err != nil {
			return nil, err
		}
		if opt.json && target && !firstOnly {
			first, err := heldEvents(ctx, st, x, maxJSONEvents)
			if err != nil {
				return nil, err
			}
			evs = append(evs, first...)
		}
		for _, e := range evs {
			held[e.ID] = e
		}
	}
	return held, nil
}

// listsWitnesses tells whether the text lists x's witnesses one by one
// under --all (render's body): then a choice's events are read whole.
func listsWitnesses(x *provenance.Explanation) bool {
	count, counted := x.Counted()
	return counted && count.IsInt64()
}

// maxHeldWhole is the most events of an answer's held runs --all reads
// into memory at once; longer runs are read and listed a chunk at a time
// (heldChunk), so that listing a hot counter's 500,000 INCRs holds a
// chunk of them, not 500,000 events and their text or JSON.
var maxHeldWhole = 16 << 10

// firstListed returns the ids of the events not read whole (of held
// runs, and stubs of choices) among the events --json lists of x's first
// witness, at most n: its other events (each factor's first
// alternative's, each choice's first way's) first, by id, then its held
// runs' (render's jsonTree.explanation lists them so); and whether that
// witness holds at least n events.
func firstListed(x *provenance.Explanation, n int) ([]int64, bool) {
	size := x.HeldCount()
	type cand struct {
		id   int64
		stub bool
	}
	var all []cand
	for _, f := range x.Factors {
		if len(f) == 0 {
			return nil, false
		}
		size += len(f[0])
		for _, e := range f[0] {
			all = append(all, cand{e.ID, e.Stub})
		}
	}
	for i := range x.Choices {
		c := &x.Choices[i]
		ways := c.ExpandPlacesCut(1, n)
		if len(ways) == 0 {
			return nil, false
		}
		size += c.K
		for _, p := range ways[0] {
			all = append(all, cand{c.ID(p), c.Event(p).Stub})
		}
	}
	if size < n {
		return nil, false
	}
	slices.SortFunc(all, func(a, b cand) int { return cmp.Compare(a.id, b.id) })
	all = all[:min(len(all), n)]
	var ids []int64
	for _, c := range all {
		if c.stub {
			ids = append(ids, c.id)
		}
	}
	return append(ids, x.HeldIDs(n-len(all))...), true
}

// readChoices reads the stubs among the events of x's choices (a rule
// of runs gives its choices so: provenance.Stubs, or formats.Event.Stub)
// that an answer shows. With --all, or when the text lists every event,
// it reads each, and the choice holds them whole (but when stream, a
// choice of more than maxHeldWhole stubs, whose events the answer reads
// as it is written, and of which only those where the caps change are
// read now; and when head > 0, a choice of more than head stubs, of
// which only the first head are read, and held whole among its stubs:
// a tree follows no more to their senders); for --json, the first
// maxJSONEvents and those of the first way of choosing, which the first
// witness lists; for the text's summary, the first and last event of
// each group of alike stubs and those where the caps change (render's
// choiceRuns). A choice of Stubs that is not read whole gets those it
// shows into held; one of events gets them in their places.
func readChoices(ctx context.Context, st *store.Store, x *provenance.Explanation, opt explainOptions, stream bool, head int, held map[int64]*formats.Event) error {
	for ci := range x.Choices {
		c := &x.Choices[ci]
		if c.Stubs == nil && !stubbed(c.Events) {
			continue
		}
		var places []int
		every := opt.all || !opt.json && c.Len() <= opt.maxEvents
		streamed := every && stream && c.Stubs != nil && c.Len() > maxHeldWhole
		headOnly := every && head > 0 && c.Stubs != nil && c.Len() > head
		switch {
		case headOnly:
			for i := range head {
				places = append(places, i)
			}
		case streamed:
			places = append(capChanges(*c, 9), 0) // the text's cap steps (render's capSteps)
		case every:
			for i := range c.Len() {
				places = append(places, i)
			}
		case opt.json:
			for i := range min(c.Len(), maxJSONEvents) {
				places = append(places, i)
			}
			if ways := c.ExpandPlacesCut(1, maxJSONEvents); len(ways) > 0 {
				places = append(places, ways[0]...)
			}
		default:
			for _, g := range stubSpans(c) {
				places = append(places, g.first, g.last)
			}
			places = append(places, capChanges(*c, 9)...)
		}
		slices.Sort(places)
		places = slices.Compact(places)
		var ids []int64
		for _, i := range places {
			if e := c.Event(i); e.Stub {
				ids = append(ids, e.ID)
			}
		}
		evs, err := st.ByID(ctx, ids)
		if err != nil {
			return err
		}
		whole := make(map[int64]*formats.Event, len(evs))
		for _, e := range evs {
			whole[e.ID] = e
		}
		switch {
		case headOnly:
			// Each read whole among the stubs, as its own request (a
			// copy: the stubs may be shared).
			s := *c.Stubs
			s.Likes, s.KeyOnly, s.Of = slices.Clip(s.Likes), slices.Clip(s.KeyOnly), slices.Clone(s.Of)
			for _, i := range places {
				if e := whole[s.IDs[i]]; e != nil {
					s.Likes, s.KeyOnly = append(s.Likes, e), append(s.KeyOnly, false)
					s.Of[i] = int32(len(s.Likes) - 1)
				}
			}
			c.Stubs = &s
		case every && !streamed || c.Stubs == nil:
			// Every event in its place (--all: a choice of Stubs
			// becomes one of events).
			if c.Stubs != nil {
				evs := make([]*formats.Event, c.Len())
				for i := range evs {
					evs[i] = c.Event(i)
				}
				c.Events, c.Stubs = evs, nil
			}
			for _, i := range places {
				if e := whole[c.Events[i].ID]; e != nil {
					c.Events[i] = e
				}
			}
		default:
			for id, e := range whole {
				held[id] = e
			}
		}
	}
	return nil
}

// stubbed tells whether evs hold stubs (formats.Event.Stub).
func stubbed(evs []*formats.Event) bool {
	return slices.ContainsFunc(evs, func(e *formats.Event) bool { return e.Stub })
}

// hasStubs tells whether a choice of x holds stubs.
func hasStubs(x *provenance.Explanation) bool {
	for _, c := range x.Choices {
		if c.Stubs != nil || stubbed(c.Events) {
			return true
		}
	}
	return false
}

// heldEvents reads whole, in id order, the first n events of x's held
// runs (all when n < 0).
func heldEvents(ctx context.Context, st *store.Store, x *provenance.Explanation, n int) ([]*formats.Event, error) {
	return st.ByID(ctx, x.HeldIDs(n))
}

// knownCall is the store's links, with the sender's record of one call
// known: the record an explanation began from, which the index of calls
// by content may not find (arguments logged in base64).
type knownCall struct {
	*store.Store
	recv, record *formats.Event
}

// SameCall implements provenance.CallFinder.
func (k knownCall) SameCall(ctx context.Context, e *formats.Event) ([]*formats.Event, error) {
	if e.ID == k.recv.ID {
		return []*formats.Event{k.record}, nil
	}
	return k.Store.SameCall(ctx, e)
}
