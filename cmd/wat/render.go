package main

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"fmt"
	"io"
	"math/big"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// A renderer writes grep-friendly text: one event per line, file:line
// first, styled only on a terminal.
type renderer struct {
	w                         io.Writer
	where, op, note, bad, dim lipgloss.Style
	// indent is the depth in the tree of the lines being printed.
	indent int
	// tree, when set, is followed below each request that has a sender.
	tree   *provenance.Tree
	onPath map[int64]bool
	maxW   int
	maxE   int
	// held are the events of held runs read whole (readHeld), by id.
	held map[int64]*formats.Event
	// events, when set (--all), reads events whole by id: the runs
	// readHeld left as runs are listed a chunk at a time (listHeld), not
	// read into memory at once. err is the first error it returned.
	events func(ids []int64) ([]*formats.Event, error)
	err    error
}

func newRenderer(w io.Writer, color string) *renderer {
	r := lipgloss.NewRenderer(w)
	switch {
	case color == "never":
		r.SetColorProfile(termenv.Ascii)
	case color == "always":
		r.SetColorProfile(termenv.ANSI256)
	case os.Getenv("NO_COLOR") != "" || !isTerminal(w):
		r.SetColorProfile(termenv.Ascii)
	}
	return &renderer{
		w:     w,
		where: r.NewStyle().Foreground(lipgloss.Color("5")),
		op:    r.NewStyle().Bold(true),
		note:  r.NewStyle().Foreground(lipgloss.Color("3")),
		bad:   r.NewStyle().Foreground(lipgloss.Color("1")).Bold(true),
		dim:   r.NewStyle().Faint(true),
	}
}

func (r *renderer) line(e *formats.Event, label, text string) {
	fmt.Fprintf(r.w, "%s %s%s%s\n", r.where.Render(safe(e.Where())+":"), strings.Repeat("  ", r.indent), label, text)
}

// request renders an event: the command, its arguments quoted and
// escaped, then where it ran.
func (r *renderer) request(e *formats.Event) string {
	var b strings.Builder
	b.WriteString(r.op.Render(safe(e.Op)))
	for _, a := range e.Args {
		b.WriteByte(' ')
		b.WriteString(formats.Quote(a))
	}
	b.WriteString(r.dim.Render("  [" + strings.Join(metaOf(e), ", ") + "]"))
	return b.String()
}

// metaOf lists where an event ran and who sent it: the black box and its
// namespace, the client connection, the logging service and its request
// ids, the time.
func metaOf(e *formats.Event) []string {
	box := safe(e.System)
	if e.NS != "" {
		box += " " + safe(e.NS)
	}
	parts := []string{box}
	if e.Client != "" {
		parts = append(parts, safe(e.Client))
	}
	if e.Service != "" || e.ReqID != "" {
		parts = append(parts, strings.TrimSpace(safe(e.Service)+" "+safe(e.ReqID)))
	}
	if e.Parent != "" {
		parts = append(parts, "parent "+safe(e.Parent))
	}
	return append(parts, showTime(e.Time))
}

func showTime(ns int64) string {
	if ns == 0 {
		return "no time"
	}
	return timeText(ns, "2006-01-02T15:04:05.000000Z")
}

// timeText formats a time in the layout, or, for a time within the
// epoch's first day, as the time of day alone: such a time comes from a
// log that prints no date (strace -t, -tt), and 1970-01-01 is not when
// it happened.
func timeText(ns int64, layout string) string {
	if ns > 0 && ns < int64(24*time.Hour) {
		return time.Unix(0, ns).UTC().Format("15:04:05.000000")
	}
	return time.Unix(0, ns).UTC().Format(layout)
}

func (r *renderer) explanation(spec provenance.Spec, x *provenance.Explanation, check *outputCheck, maxW, maxE int) {
	r.line(x.Target, "explain ", r.request(x.Target))
	r.body(spec, x, check, maxW, maxE)
}

// body prints an explanation without its target line.
func (r *renderer) body(spec provenance.Spec, x *provenance.Explanation, check *outputCheck, maxW, maxE int) {
	t := x.Target
	out := "output " + spec.ShowOutput(x.Output) + " (replayed)"
	if check != nil {
		switch {
		case check.match:
			out += "; matches " + check.what
		case check.unknown:
			out += "; " + check.what + " " + safe(check.shown) + " agrees where wat knows the output; the rest it cannot know"
		default:
			out += "; " + r.bad.Render("DIFFERS from "+check.what+" "+safe(check.shown))
		}
	}
	r.line(t, "", out)
	count, counted := x.Counted()
	exact := "exact"
	if !x.Exact {
		exact = r.bad.Render("NOT exact")
	}
	plural := "es"
	if count.IsInt64() && count.Int64() == 1 {
		plural = ""
	}
	if !counted {
		exact += ", too many to count quickly"
	}
	r.line(t, "", fmt.Sprintf("%s witness%s (%s)", countText(count, counted), plural, exact))
	held := x.Held
	if len(held) > 0 {
		y := *x
		y.Held, x = nil, &y
	}
	if len(x.Factors) == 0 && len(x.Choices) == 0 && len(held) == 0 {
		r.line(t, "witness 1: ", "ε — no earlier request mattered")
	} else if counted && count.IsInt64() && count.Int64() <= int64(maxW) {
		ws, _ := x.Witnesses(maxW)
		for i, w := range ws {
			label := fmt.Sprintf("witness %d: ", i+1)
			if r.events != nil && len(held) > 0 {
				r.listHeld(label, w, held)
				continue
			}
			if len(w) > 0 || len(held) == 0 {
				r.requests(t, label, w, maxE)
			}
			r.runs(t, label, held)
		}
	} else {
		var holds []string
		all, groups := len(held) > 0, false
		for _, f := range x.Factors {
			all, groups = all || len(f) == 1, groups || len(f) > 1
		}
		if all {
			holds = append(holds, "the requests marked 'all'")
		}
		if groups {
			holds = append(holds, "one alternative of each group")
		}
		for i, c := range x.Choices {
			holds = append(holds, fmt.Sprintf("%d of the %d requests marked 'choice %d'", c.K, c.Len(), i+1))
		}
		msg := "every witness holds " + strings.Join(holds[:len(holds)-1], ", ")
		if len(holds) > 1 {
			msg += " and "
		}
		r.line(t, "", msg+holds[len(holds)-1])
		for gi, f := range x.Factors {
			for ai, alt := range f {
				label := "all: "
				if len(f) > 1 {
					label = fmt.Sprintf("group %d, alternative %d/%d: ", gi+1, ai+1, len(f))
				}
				if ai == maxW && len(f) > 1 {
					r.line(t, fmt.Sprintf("group %d: ", gi+1), fmt.Sprintf("... and %d more alternatives", len(f)-maxW))
					break
				}
				r.requests(t, label, alt, maxE)
			}
		}
		r.runs(t, "all: ", held)
		for i, c := range x.Choices {
			rule := ""
			if c.Rule != "" {
				rule = ": " + c.Rule
			}
			r.line(t, "", fmt.Sprintf("choice %d: any %d of these %d requests (%s ways)%s", i+1, c.K, c.Len(), countText(c.Counted()), rule))
			if steps := r.capSteps(c, 8); steps != "" {
				r.line(t, "", fmt.Sprintf("choice %d: %s", i+1, steps))
			}
			switch {
			case r.events != nil && c.Stubs != nil:
				// --all, of a choice readChoices left as stubs: every
				// event, read as it is printed.
				r.listHeld(fmt.Sprintf("choice %d: ", i+1), nil, []provenance.Run{{IDs: provenance.IDsOf(c.Stubs.IDs)}})
			case c.Stubs != nil || stubbed(c.Events):
				r.choiceRuns(t, fmt.Sprintf("choice %d: ", i+1), &c, maxE)
			default:
				r.requests(t, fmt.Sprintf("choice %d: ", i+1), c.Events, maxE)
			}
		}
	}
	for _, n := range x.Notes {
		r.line(t, "", r.note.Render("note: "+safe(n)))
	}
}

// capSteps says a choice's caps where they change (the first most of them):
// "at most 1 of them up to line 3, 3 up to line 8".
func (r *renderer) capSteps(c provenance.Choice, most int) string {
	whole := func(e *formats.Event) *formats.Event {
		if w := r.held[e.ID]; e.Stub && w != nil {
			return w
		}
		return e
	}
	var steps []string
	for k, i := range capChanges(c, most+1) {
		if k == most {
			steps = append(steps, "...")
			break
		}
		e, n := whole(c.Event(i)), c.Caps[i]
		where := fmt.Sprintf("line %d", e.Line)
		if e.Source != whole(c.Event(0)).Source {
			where = e.Where()
		}
		if len(steps) == 0 {
			steps = append(steps, fmt.Sprintf("at most %d of them up to %s", n, where))
		} else {
			steps = append(steps, fmt.Sprintf("%d up to %s", n, where))
		}
	}
	return strings.Join(steps, ", ")
}

// capChanges returns the places of a choice's events where its caps
// change (the last of each step below K), the first most of them.
func capChanges(c provenance.Choice, most int) []int {
	var out []int
	for i, n := range c.Caps {
		if n >= c.K || i+1 < len(c.Caps) && c.Caps[i+1] == n {
			continue
		}
		if len(out) == most {
			break
		}
		out = append(out, i)
	}
	return out
}

// callNumbers numbers requests by what they call (their namespace, op
// and arguments), in the order each first comes.
type callNumbers map[string]int

// of returns the number of e's call, and whether e is its first.
func (n callNumbers) of(e *formats.Event) (int, bool) {
	k := e.NS + "\x00" + string(e.CallKey())
	i, ok := n[k]
	if !ok {
		i = len(n)
		n[k] = i
	}
	return i, !ok
}

// A stubSpan is a group of stubGroups by its first and last places and
// its count.
type stubSpan struct{ first, last, n int }

// stubSpans is stubGroups without the groups' places: what an answer
// that prints each group on one line reads of them (a queue's 200,000
// pops are not listed to be counted).
func stubSpans(c *provenance.Choice) []stubSpan {
	var spans []stubSpan
	stubPlaces(c, func(g, i int) {
		if g == len(spans) {
			spans = append(spans, stubSpan{first: i})
		}
		spans[g].last = i
		spans[g].n++
	})
	return spans
}

// stubGroups groups the places of the stubs among a choice's events (a
// rule of runs gives its choices so) by what a stub keeps of its
// request, in the order each first appears.
func stubGroups(c *provenance.Choice) [][]int {
	var groups [][]int
	stubPlaces(c, func(g, i int) {
		if g == len(groups) {
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	})
	return groups
}

// stubPlaces calls place with the place of each stub among a choice's
// events, in order, and the number of its group: groups are numbered as
// each first appears.
func stubPlaces(c *provenance.Choice, place func(g, i int)) {
	calls := callNumbers{}
	if s := c.Stubs; s != nil {
		// Each request's stubs are one group: looked up once.
		byLike := make([]int, len(s.Likes))
		for k := range byLike {
			byLike[k] = -1
		}
		for i, id := range s.IDs {
			k := s.Of[i]
			if like := s.Likes[k]; like.ID == id && !like.Stub {
				continue // the request itself, whole
			}
			if byLike[k] < 0 {
				byLike[k], _ = calls.of(c.Event(i))
			}
			place(byLike[k], i)
		}
		return
	}
	var last *formats.Event
	g := -1
	for i, e := range c.Events {
		if !e.Stub {
			continue
		}
		// A choice's stubs come in long runs of one request: only a
		// change of request is looked up (runsOf's key, for each of
		// 170,000 pops, took longer than the rest of the answer).
		if last == nil || e.NS != last.NS || e.System != last.System || e.Op != last.Op || !slices.EqualFunc(e.Args, last.Args, bytes.Equal) {
			g, _ = calls.of(e)
		}
		place(g, i)
		last = e
	}
}

// choiceRuns prints a choice whose events are mostly stubs: those read
// whole as requests, and each group of alike stubs as a run, from its
// first event to its last (readChoices read them).
func (r *renderer) choiceRuns(t *formats.Event, label string, c *provenance.Choice, maxE int) {
	var whole []*formats.Event
	if s := c.Stubs; s != nil {
		for i, id := range s.IDs {
			if like := s.Likes[s.Of[i]]; like.ID == id && !like.Stub {
				whole = append(whole, like)
			}
		}
	} else {
		for _, e := range c.Events {
			if !e.Stub {
				whole = append(whole, e)
			}
		}
	}
	r.requests(t, label, whole, maxE)
	if r.events == nil {
		// Each group on one line: its count, first and last are all
		// it shows.
		for _, g := range stubSpans(c) {
			like, alike := r.stubLike(c.Event(g.first))
			r.runLine(label, like, g.n, c.ID(g.last), alike)
		}
		return
	}
	for _, g := range stubGroups(c) {
		run := provenance.Run{}
		run.Like, run.Alike = r.stubLike(c.Event(g[0]))
		ids := make([]int64, 0, len(g))
		for _, i := range g {
			ids = append(ids, c.ID(i))
		}
		run.IDs = provenance.IDsOf(ids)
		r.runs(t, label, []provenance.Run{run})
	}
}

// stubLike returns the request a group of stubs whose first is first is
// shown as (read whole, where readChoices read it), and what its run
// says when the stubs keep less of their requests than it shows.
func (r *renderer) stubLike(first *formats.Event) (like *formats.Event, alike string) {
	like = first
	if e := r.held[first.ID]; e != nil {
		like = e
	}
	if !slices.EqualFunc(like.Args, first.Args, bytes.Equal) {
		alike = "alike in what the answer reads, whatever their other arguments"
	}
	return like, alike
}

// requests prints events under label, each with what it sent, the first
// maxE of them: the rest are counted on a line of the target t.
//
// When there are more than maxE, identical requests (the same black box,
// namespace, op and arguments) are summed up on one line each, at the
// first of them: "2,588 × INCR "n" from 400 clients, lines 34-99998".
func (r *renderer) requests(t *formats.Event, label string, evs []*formats.Event, maxE int) {
	if len(evs) <= maxE {
		for _, e := range evs {
			r.line(e, label, r.request(e))
			r.sent(e)
		}
		return
	}
	runs := runsOf(evs)
	for j, run := range runs {
		if j == maxE {
			rest := 0
			for _, more := range runs[j:] {
				rest += len(more)
			}
			r.line(t, label, fmt.Sprintf("... and %d more requests in %d more lines like these (--max-events; --all lists every one)", rest, len(runs)-j))
			return
		}
		e := run[0]
		if len(run) == 1 {
			r.line(e, label, r.request(e))
			r.sent(e)
			continue
		}
		clients := map[string]bool{}
		files := map[string]bool{}
		for _, x := range run {
			clients[x.Client] = true
			files[x.Source] = true
		}
		where := fmt.Sprintf("lines %d-%d", e.Line, run[len(run)-1].Line)
		if len(files) > 1 {
			where = fmt.Sprintf("lines of %d files, to %s", len(files), run[len(run)-1].Where())
		}
		from := fmt.Sprintf("%d clients", len(clients))
		if len(clients) == 1 {
			from = "1 client"
		}
		r.line(e, label, fmt.Sprintf("%s × %s from %s, %s", commas(len(run)), r.request(e), from, where))
	}
}

// runs prints held runs, one line each: a run's events are one request
// read from the index, so its line says how many, from which line to
// which, without the clients (--all lists every one).
func (r *renderer) runs(t *formats.Event, label string, held []provenance.Run) {
	if r.events != nil {
		r.listHeld(label, nil, held)
		return
	}
	for _, run := range held {
		r.runLine(label, run.Like, run.IDs.Len(), run.IDs.Last(), run.Alike)
	}
}

// runLine prints a run of n events like e, the last of them lastID, on
// one line (see runs).
func (r *renderer) runLine(label string, e *formats.Event, n int, lastID int64, alike string) {
	if n == 1 {
		r.line(e, label, r.request(e))
		r.sent(e)
		return
	}
	last := r.held[lastID]
	where := fmt.Sprintf("to event %d", lastID)
	switch {
	case last == nil:
	case last.Source == e.Source:
		where = fmt.Sprintf("lines %d-%d", e.Line, last.Line)
	default:
		where = "to " + last.Where()
	}
	if alike != "" {
		r.line(e, label, fmt.Sprintf("%s requests like %s (%s), %s (a run read from the index; --all lists every one)", commas(n), r.request(e), alike, where))
		return
	}
	r.line(e, label, fmt.Sprintf("%s × %s, %s (a run read from the index; --all lists every one)", commas(n), r.request(e), where))
}

// heldChunk is how many events of held runs listHeld (and jsonHeld)
// read at a time.
const heldChunk = 1024

// listHeld prints every event of held runs, merged in id order with the
// events of w (sorted by id), each as requests prints a list it does not
// cut: what the runs' events read whole and made a factor would print,
// read a chunk at a time (--all: runs readHeld left as runs).
func (r *renderer) listHeld(label string, w []*formats.Event, held []provenance.Run) {
	show := func(e *formats.Event) {
		r.line(e, label, r.request(e))
		r.sent(e)
	}
	listsStreamed.Add(1)
	err := provenance.EachRunID(held, heldChunk, func(ids []int64) error {
		evs, err := r.events(ids)
		if err != nil {
			return err
		}
		for _, e := range evs {
			for len(w) > 0 && w[0].ID < e.ID {
				show(w[0])
				w = w[1:]
			}
			show(e)
		}
		return nil
	})
	for _, e := range w {
		show(e)
	}
	if err != nil && r.err == nil {
		r.err = err
	}
}

// runsOf groups identical requests (black box, namespace, op and
// arguments), in the order each first appears.
func runsOf(evs []*formats.Event) [][]*formats.Event {
	calls := callNumbers{}
	var runs [][]*formats.Event
	for _, e := range evs {
		i, first := calls.of(e)
		if first {
			runs = append(runs, nil)
		}
		runs[i] = append(runs[i], e)
	}
	return runs
}

// commas writes n with thousands separated: 499,811.
func commas(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// sent prints, indented below a request, why its service sent it: the
// request it was handling, and each reply received before, explained in
// turn.
func (r *renderer) sent(e *formats.Event) {
	if r.tree == nil || r.onPath[e.ID] {
		return
	}
	s := r.tree.Sent[e.ID]
	if s == nil {
		return
	}
	r.onPath[e.ID] = true
	defer delete(r.onPath, e.ID)
	r.indent++
	defer func() { r.indent-- }()
	how := r.dim.Render("  (" + safe(s.Rule) + "; fallback: the request handled and the replies received before)")
	if s.Via != nil {
		r.line(s.Via, "logged by "+safe(s.Via.Service)+" as ", r.request(s.Via)+r.note.Render("  ("+safe(s.Rule)+")"))
		how = r.dim.Render("  (fallback: the request handled and the replies received before)")
	}
	switch {
	case s.Part:
		r.line(e, "", r.dim.Render("("+safe(s.Rule)+")"))
	case s.Request != nil:
		r.line(s.Request, "sent within ", r.request(s.Request)+how)
		r.sent(s.Request)
	default:
		r.line(e, "", r.note.Render("sent within a request that is not in the store")+how)
	}
	label := "after receiving "
	if s.Part {
		label = "fed by "
	}
	for _, c := range s.Received {
		r.line(c, label, r.request(c)+" -> "+safe(string(c.Reply)))
		r.indent++
		switch x := r.tree.Explained[c.ID]; {
		case x != nil && !r.onPath[c.ID]:
			r.onPath[c.ID] = true
			if spec, err := specFor(c.System); err == nil {
				r.body(spec, x, checkOutput(spec, x, c, nil), r.maxW, r.maxE)
			}
			delete(r.onPath, c.ID)
		case !s.Part && r.tree.Unexplained[c.ID] != "":
			r.line(c, "", r.note.Render("not explained: "+safe(r.tree.Unexplained[c.ID])))
		}
		r.indent--
	}
}

// safe escapes control characters (and bidi overrides) in text that came
// from a log or the command line before it is printed.
func safe(s string) string {
	clean := true
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || isBidi(r) || r == utf8.RuneError {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || isBidi(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func isBidi(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

// jsonEvent is the documented EVENT object of --json output.
type jsonEvent struct {
	File       string   `json:"file"`
	Line       int      `json:"line"`
	Part       int      `json:"part,omitempty"` // of a line that holds several events (an OTLP export): 1, 2, ...
	ID         int64    `json:"id"`
	Time       string   `json:"time"`
	TimeNS     int64    `json:"time_ns"`
	System     string   `json:"system"`
	NS         string   `json:"ns"`
	Client     string   `json:"client"`
	Op         string   `json:"op"`
	Args       []string `json:"args"`
	ArgsBase64 []string `json:"args_base64,omitempty"`
	// Explanation is the output of a reply a sending service received,
	// explained by its spec; SentBy is why a logged service sent the
	// request (both of the top level's shape).
	Explanation *jsonExplanation `json:"explanation,omitempty"`
	Unexplained string           `json:"unexplained,omitempty"`
	SentBy      *jsonExplanation `json:"sent_by,omitempty"`
	Reply       *string          `json:"reply,omitempty"`
	Service     string           `json:"service,omitempty"`
	ReqID       string           `json:"req_id,omitempty"`
	ParentID    string           `json:"parent_id,omitempty"`
	TraceID     string           `json:"trace_id,omitempty"`
	Instance    string           `json:"instance,omitempty"`
	Raw         string           `json:"raw"`
}

// textOf renders bytes as a JSON-safe string: valid UTF-8 as is, each
// byte that is not as the four characters \xHH. It reports whether the
// bytes were valid UTF-8, and so are represented exactly.
func textOf(b []byte) (string, bool) {
	if utf8.Valid(b) {
		return string(b), true
	}
	var sb strings.Builder
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			fmt.Fprintf(&sb, `\x%02x`, b[i])
		} else {
			sb.Write(b[i : i+n])
		}
		i += n
	}
	return sb.String(), false
}

func toJSONEvent(e *formats.Event) jsonEvent {
	j := jsonEvent{File: e.Source, Line: e.Line, Part: e.Part, ID: e.ID, TimeNS: e.Time, System: e.System, NS: e.NS,
		Client: e.Client, Op: e.Op, Args: []string{}, Service: e.Service, ReqID: e.ReqID, ParentID: e.Parent, TraceID: e.Trace,
		Instance: e.Instance}
	if e.Reply != nil {
		r, _ := textOf(e.Reply)
		j.Reply = &r
	}
	if e.Time != 0 {
		j.Time = timeText(e.Time, time.RFC3339Nano)
	}
	exact := true
	for _, a := range e.Args {
		s, ok := textOf(a)
		exact = exact && ok
		j.Args = append(j.Args, s)
	}
	if !exact {
		for _, a := range e.Args {
			j.ArgsBase64 = append(j.ArgsBase64, base64.StdEncoding.EncodeToString(a))
		}
	}
	j.Raw, _ = textOf(e.Raw)
	return j
}

type jsonWitness struct {
	Events jsonEvents `json:"events"`
}

type jsonExplanation struct {
	Target        jsonEvent `json:"target"`
	Output        string    `json:"output"`
	OutputRESP    string    `json:"output_resp"`
	Given         *string   `json:"given,omitempty"`
	Matches       *bool     `json:"matches,omitempty"`
	Unknown       bool      `json:"output_unknown,omitempty"` // parts of the output wat cannot know
	Exact         bool      `json:"exact"`
	TimeDependent bool      `json:"time_dependent"`
	Notes         []string  `json:"notes"`
	// Count is the number of witnesses, a decimal string; CountAtMost
	// is a bound in its place when a choice has too many ways to count
	// quickly (provenance.Choice.Counted).
	Count       string         `json:"count,omitempty"`
	CountAtMost string         `json:"count_at_most,omitempty"`
	Complete    bool           `json:"complete"`
	Witnesses   []jsonWitness  `json:"witnesses"`
	Factors     [][]jsonEvents `json:"factors"`
	// Choices are factors given by a rule (provenance.Choice): a witness
	// holds every event of one alternative of each factor and K of the
	// events of each choice.
	Choices []jsonChoice `json:"choices,omitempty"`
	// Cut says how the witnesses and factors were cut, when they were.
	Cut string `json:"cut,omitempty"`
	// Rule names the rule that linked a sent request to its sender; Via
	// is the sender's record of it when the link is heuristic.
	Rule string `json:"rule,omitempty"`
	// TreeCut says where the tree below the top level was cut.
	TreeCut   string     `json:"tree_cut,omitempty"`
	Heuristic bool       `json:"heuristic,omitempty"`
	Via       *jsonEvent `json:"via,omitempty"`
}

// A jsonChoice is a provenance.Choice: K of Of, at most Caps[i] of
// Of[:i+1].
type jsonChoice struct {
	K           int        `json:"k"`
	Of          jsonEvents `json:"of"`
	Caps        []int      `json:"caps,omitempty"`
	Count       string     `json:"count,omitempty"`
	CountAtMost string     `json:"count_at_most,omitempty"`
	Rule        string     `json:"rule,omitempty"`
}

// jsonCount returns a count for JSON: the number, or a bound on it when
// it is not exact.
func jsonCount(n *big.Int, exact bool) (count, atMost string) {
	if exact {
		return n.String(), ""
	}
	return "", n.String()
}

// countText writes a count for people: short ones in full, one of more
// than 20 digits by its first ones and its size ("3.855…×10^2300", the
// whole number is in --json), and a bound (not exact) as the power of
// ten above it.
func countText(n *big.Int, exact bool) string {
	d := n.String()
	switch {
	case !exact:
		return fmt.Sprintf("fewer than 10^%d", len(d))
	case len(d) <= 20:
		return d
	}
	return fmt.Sprintf("%s.%s…×10^%d", d[:1], d[1:4], len(d)-1)
}

// maxJSONWitnesses bounds the expanded witness list in JSON; factors are
// always complete. An answer with a choice lists one witness: its
// choices say the rest.
const maxJSONWitnesses = 1000

// writeJSON writes x's answer as one line of JSON. events, when not nil
// (--all), reads events whole by id, for the runs readHeld left as runs,
// which the answer lists as it is written.
func writeJSON(w io.Writer, spec provenance.Spec, x *provenance.Explanation, check *outputCheck, tree *provenance.Tree, all bool, held map[int64]*formats.Event, events func(ids []int64) ([]*formats.Event, error)) error {
	b := newJSONTree(tree, all, held)
	b.events = events
	b.path[x.Target.ID] = true
	j := b.explanation(spec, x, check)
	if tree != nil {
		switch {
		case tree.CutAtNodes:
			j.TreeCut = fmt.Sprintf("at most %d requests are followed to their senders", provenance.MaxTreeNodes)
		case tree.Truncated:
			j.TreeCut = fmt.Sprintf("at --depth %d", tree.Depth)
		}
		if s := tree.Sent[x.Target.ID]; s != nil {
			js := b.sending(s)
			j.Target.SentBy = &js
		}
	}
	return writeStreamed(w, j)
}

// A jsonTree builds JSON explanations, nesting the tree's senders and
// received replies in the events they belong to.
type jsonTree struct {
	tree *provenance.Tree
	path map[int64]bool // events being expanded: no cycles
	// left is how many more events the witnesses and factors may list,
	// and bytes about how many bytes of JSON more (-1: all; see
	// maxJSONEvents and maxJSONEventBytes).
	left, bytes int
	some        bool // whether an event was listed (the first always is)
	// held are the events of held runs read whole (readHeld), by id.
	held map[int64]*formats.Event
	// events, when set (--all), reads events whole by id: the runs
	// readHeld left as runs are listed as the answer is written
	// (jsonHeld), not read into memory at once.
	events func(ids []int64) ([]*formats.Event, error)
}

// newJSONTree returns a jsonTree of tree that lists every event when
// all, else as many as maxJSONEvents and maxJSONEventBytes allow.
func newJSONTree(tree *provenance.Tree, all bool, held map[int64]*formats.Event) *jsonTree {
	b := &jsonTree{tree: tree, path: map[int64]bool{}, left: maxJSONEvents, bytes: maxJSONEventBytes, held: held}
	if all {
		b.left, b.bytes = -1, -1
	}
	return b
}

// maxJSONEvents bounds the events an answer's witnesses and factors list
// in JSON unless --all is given, so that a default answer stays under
// about 1 MB; an answer cut so says where ("cut").
const maxJSONEvents = 1000

// maxJSONEventBytes bounds, about, the bytes of JSON of the events an
// answer lists unless --all is given: a strace read's 268 writes of 4 KiB
// of zeros each, listed in full, made 3.8 MB (each byte shown three
// times, in args, args_base64 and raw, some as six characters: \u0000).
// The first event is listed whatever its size.
const maxJSONEventBytes = 800 << 10

// take tells whether e may be listed next, and counts it. Once one is
// not, none is: an answer lists its events' first ones, in order.
func (b *jsonTree) take(e *formats.Event) bool {
	switch {
	case b.left < 0:
		return true
	case b.left == 0:
		return false
	}
	size := jsonEventSize(e)
	if size > b.bytes && b.some {
		b.left = 0
		return false
	}
	b.left--
	b.bytes, b.some = max(b.bytes-size, 0), true
	return true
}

// jsonEventSize is about the size of e as toJSONEvent's JSON: its
// fields' names and short values, and its arguments and raw line as
// encoding/json escapes them, with base64 beside arguments that are not
// UTF-8.
func jsonEventSize(e *formats.Event) int {
	n := 250 + len(e.Source) + len(e.Client) + len(e.Op) + len(e.Instance) + jsonTextSize(e.Raw) + jsonTextSize(e.Reply)
	for _, a := range e.Args {
		n += 3 + jsonTextSize(a)
		if !utf8.Valid(a) {
			n += 3 + (len(a)+2)/3*4
		}
	}
	return n
}

// jsonTextSize is about the length of textOf(b) as a JSON string:
// control characters and <, > and & as six characters (\u0000), quotes
// and backslashes as two, bytes that are not UTF-8 as \xHH escaped (five).
func jsonTextSize(b []byte) int {
	n := 2
	for _, c := range b {
		switch {
		case c < 0x20 || c == '<' || c == '>' || c == '&':
			n += 6
		case c == '"' || c == '\\':
			n += 2
		default:
			n++
		}
	}
	if !utf8.Valid(b) {
		n += len(b) // an invalid byte is five characters, not one: a bound
	}
	return n
}

func (b *jsonTree) explanation(spec provenance.Spec, x *provenance.Explanation, check *outputCheck) jsonExplanation {
	j := jsonExplanation{
		Target: toJSONEvent(x.Target), Output: spec.ShowOutput(x.Output), OutputRESP: wireOutput(spec, x.Output),
		Exact: x.Exact, TimeDependent: x.TimeDependent, Notes: x.Notes,
		Witnesses: []jsonWitness{}, Factors: [][]jsonEvents{},
	}
	j.Count, j.CountAtMost = jsonCount(x.Counted())
	if j.Notes == nil {
		j.Notes = []string{}
	}
	if check != nil {
		j.Given, j.Matches, j.Unknown = &check.raw, &check.match, check.unknown
	}
	limit := maxJSONWitnesses
	if len(x.Choices) > 0 {
		limit = 1
	}
	// Held runs are listed as one more factor, each witness holding it,
	// as far as their events were read (readHeld); the rest are counted.
	// With --all, the runs readHeld left as runs (heldRuns) and the
	// choices readChoices left as stubs are read as the answer is
	// written (jsonEvents): each witness merges its events with those of
	// the runs and of the first way of each such choice (witRuns).
	streams := b.left < 0 && b.events != nil
	held := x.HeldCount()
	var heldIDs []int64
	var heldRuns, witRuns []provenance.Run
	if held > 0 {
		if streams {
			heldRuns = x.Held
		} else {
			heldIDs = x.HeldIDs(len(b.held))
		}
		y := *x
		y.Held, x = nil, &y
	}
	witRuns = heldRuns
	choices := x.Choices
	listed, total := 0, 0
	complete := true
	if streams && slices.ContainsFunc(choices, func(c provenance.Choice) bool { return c.Stubs != nil }) {
		witRuns = slices.Clone(heldRuns)
		var rest []provenance.Choice // expanded in memory, by WitnessesCut
		for _, c := range choices {
			if c.Stubs == nil {
				rest = append(rest, c)
				continue
			}
			ways := c.ExpandPlacesCut(limit+1, -1)
			complete = complete && len(ways) <= limit
			if len(ways) > 0 {
				ids := make([]int64, len(ways[0]))
				for k, p := range ways[0] {
					ids[k] = c.ID(p)
				}
				witRuns = append(witRuns, provenance.Run{IDs: provenance.IDsOf(ids)})
				total, listed = total+len(ids), listed+len(ids)
			}
		}
		y := *x
		y.Choices, x = rest, &y
	}
	streamOf := func(runs []provenance.Run) *jsonHeld { return &jsonHeld{runs: runs, read: b.events} }
	heldJSON := func() []jsonEvent {
		size := len(heldIDs)
		if b.left >= 0 {
			size = min(size, b.left)
		}
		out := make([]jsonEvent, 0, size)
		for _, id := range heldIDs {
			e := b.held[id]
			if e != nil && b.take(e) {
				out = append(out, toJSONEvent(e))
			}
		}
		return out
	}
	// A witness lists at most its first maxJSONEvents (b.left): a
	// choice's way is cut there, and the rest counted.
	ws, cut, wholly := x.WitnessesCut(limit, b.left)
	j.Complete = complete && wholly
	for _, wit := range ws {
		var jw jsonWitness
		total += cut
		for _, e := range wit {
			total++
			if e = b.whole(e); b.take(e) {
				jw.Events.list = append(jw.Events.list, b.event(e, false))
				listed++
			}
		}
		switch {
		case len(witRuns) > 0:
			jw.Events.held = streamOf(witRuns) // merged with the list as it is written
			total, listed = total+held, listed+held
		case held > 0:
			evs := heldJSON()
			if len(jw.Events.list) == 0 {
				jw.Events.list = evs // a counter's: the run alone, not a copy
			} else {
				jw.Events.list = append(jw.Events.list, evs...)
			}
			total, listed = total+held, listed+len(evs)
			slices.SortFunc(jw.Events.list, func(a, c jsonEvent) int { return cmp.Compare(a.ID, c.ID) })
		}
		j.Witnesses = append(j.Witnesses, jw)
	}
	for _, f := range x.Factors {
		var jf []jsonEvents
		for _, alt := range f {
			var ja jsonEvents
			for _, e := range alt {
				total++
				if b.take(e) {
					ja.list = append(ja.list, toJSONEvent(e))
					listed++
				}
			}
			jf = append(jf, ja)
		}
		j.Factors = append(j.Factors, jf)
	}
	switch {
	case len(heldRuns) > 0:
		j.Factors = append(j.Factors, []jsonEvents{{held: streamOf(heldRuns)}})
		total, listed = total+held, listed+held
	case held > 0:
		evs := heldJSON()
		j.Factors = append(j.Factors, []jsonEvents{{list: evs}})
		total, listed = total+held, listed+len(evs)
	}
	for _, c := range choices {
		jc := jsonChoice{K: c.K, Caps: c.Caps, Rule: c.Rule}
		jc.Count, jc.CountAtMost = jsonCount(c.Counted())
		if streams && c.Stubs != nil {
			jc.Of.held = streamOf([]provenance.Run{{IDs: provenance.IDsOf(c.Stubs.IDs)}})
			total, listed = total+c.Len(), listed+c.Len()
			j.Choices = append(j.Choices, jc)
			continue
		}
		for i := range c.Len() {
			total++
			e := b.whole(c.Event(i))
			if !b.take(e) {
				total += c.Len() - i - 1
				break
			}
			jc.Of.list = append(jc.Of.list, toJSONEvent(e))
			listed++
		}
		if len(jc.Of.list) < c.Len() {
			jc.Caps = jc.Caps[:len(jc.Of.list)]
		}
		j.Choices = append(j.Choices, jc)
	}
	if listed < total {
		j.Complete = false
		j.Cut = fmt.Sprintf("the witnesses, factors and choices list %d of their %d events, in order (at most %d, and about %d kB of them, in an answer; --all lists every one)", listed, total, maxJSONEvents, maxJSONEventBytes>>10)
	}
	return j
}

// whole returns e, or the event it is a stub of when that was read
// (readHeld, readChoices).
func (b *jsonTree) whole(e *formats.Event) *formats.Event {
	if w := b.held[e.ID]; e.Stub && w != nil {
		return w
	}
	return e
}

// event renders an event with what the tree knows of it: why it was sent
// and, for a received reply, its explanation.
func (b *jsonTree) event(e *formats.Event, received bool) jsonEvent {
	j := toJSONEvent(e)
	if b.tree == nil || b.path[e.ID] {
		return j
	}
	b.path[e.ID] = true
	defer delete(b.path, e.ID)
	if received {
		if x := b.tree.Explained[e.ID]; x != nil {
			if spec, err := specFor(e.System); err == nil {
				je := b.explanation(spec, x, checkOutput(spec, x, e, nil))
				j.Explanation = &je
			}
		} else {
			j.Unexplained = b.tree.Unexplained[e.ID]
		}
	}
	// A received reply was sent within the request its sending already
	// shows; only other events carry their own sending.
	if s := b.tree.Sent[e.ID]; s != nil && !received {
		js := b.sending(s)
		j.SentBy = &js
	}
	return j
}

// sending renders a Sending in the top level's shape: its target is the
// sent request, its one witness the request handled and the replies
// received before, all required.
func (b *jsonTree) sending(s *provenance.Sending) jsonExplanation {
	j := jsonExplanation{Target: toJSONEvent(s.Event), Exact: false, Count: "1", Complete: true, Rule: s.Rule,
		Notes:     []string{"fallback: no spec explains the sending service; shown are the request it was handling (" + s.Rule + ") and the replies it had received within it before sending"},
		Witnesses: []jsonWitness{{}}, Factors: [][]jsonEvents{}}
	if s.Via != nil {
		v := toJSONEvent(s.Via)
		j.Via, j.Heuristic = &v, true
		j.Notes = append(j.Notes, "heuristic: "+s.Rule)
	}
	if s.Part {
		j.Notes = []string{"the same request logged as several records: the earlier ones fed this one"}
	} else if s.Request == nil {
		j.Notes = append(j.Notes, "the request handled is not in the store")
	} else {
		j.Witnesses[0].Events.list = append(j.Witnesses[0].Events.list, b.event(s.Request, false))
		j.Factors = append(j.Factors, []jsonEvents{{list: []jsonEvent{toJSONEvent(s.Request)}}})
	}
	for _, c := range s.Received {
		j.Witnesses[0].Events.list = append(j.Witnesses[0].Events.list, b.event(c, true))
		j.Factors = append(j.Factors, []jsonEvents{{list: []jsonEvent{toJSONEvent(c)}}})
	}
	return j
}

// wireOutput is an output as the black box sends it, without a spec's own
// marks (an order wat does not know, a reply no log holds).
func wireOutput(spec provenance.Spec, o provenance.Output) string {
	if w, ok := spec.(interface {
		WireOutput(provenance.Output) string
	}); ok {
		return w.WireOutput(o)
	}
	return string(o)
}
