// Package zookeeper is the wat-provenance spec of ZooKeeper: the znode
// tree with data, versions and ephemeral owners, replayed from the
// transaction log (as TxnLogToolkit prints it: the one source with znode
// data), and reads (getData, exists, getChildren) from the clients' own
// logs through a mapping.
//
// A read is explained by the creates of the znode and its ancestors, the
// setData calls that wrote the value and version read, and the deletes
// that removed a znode ({ε} when it never existed); exactly, by Solve over
// the history of the znode, its ancestors and their children.
package zookeeper

import (
	"context"
	"fmt"
	"maps"
	"math"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// Spec is the ZooKeeper spec.
var Spec provenance.Spec = spec{SpecInfo: provenance.SpecInfo{
	Name:       "zookeeper",
	Summary:    "ZooKeeper znodes: create, setData, delete, session close (transaction log); getData, exists, getChildren (client logs)",
	Operations: []string{"create", "setData", "delete", "closeSession", "getData", "exists", "getChildren"},
	Replay:     Model{},
}}

type spec struct {
	provenance.SpecInfo
	provenance.PlainOutput
}

type znode struct {
	data      string
	version   int
	ephemeral string
}

type state struct{ nodes map[string]*znode }

// Model is the znode tree.
type Model struct{}

var _ provenance.Model = Model{}

// Init returns a tree holding only "/".
func (Model) Init() provenance.State {
	return &state{nodes: map[string]*znode{"/": {}}}
}

// Clone copies a tree.
func (Model) Clone(s provenance.State) provenance.State {
	st := s.(*state)
	c := &state{nodes: make(map[string]*znode, len(st.nodes))}
	for p, n := range st.nodes {
		cp := *n
		c.nodes[p] = &cp
	}
	return c
}

// Fingerprint renders a tree canonically.
func (Model) Fingerprint(s provenance.State) string {
	st := s.(*state)
	var b strings.Builder
	for _, p := range slices.Sorted(maps.Keys(st.nodes)) {
		n := st.nodes[p]
		fmt.Fprintf(&b, "%s=%q/%d/%s;", p, n.data, n.version, n.ephemeral)
	}
	return b.String()
}

func parent(p string) string {
	if p == "/" || p == "" {
		return ""
	}
	return path.Dir(p)
}

func (st *state) hasChildren(p string) bool {
	prefix := strings.TrimSuffix(p, "/") + "/"
	for q := range st.nodes {
		if q != p && strings.HasPrefix(q, prefix) {
			return true
		}
	}
	return false
}

func children(st *state, p string) []string {
	prefix := strings.TrimSuffix(p, "/") + "/"
	var out []string
	for q := range st.nodes {
		if q != p && strings.HasPrefix(q, prefix) && !strings.Contains(q[len(prefix):], "/") {
			out = append(out, q[len(prefix):])
		}
	}
	sort.Strings(out)
	return out
}

func arg(e *formats.Event, i int) string {
	if i < len(e.Args) {
		return string(e.Args[i])
	}
	return ""
}

// Apply replays one ZooKeeper event and returns its output.
func (Model) Apply(s provenance.State, e *formats.Event) provenance.Output {
	st := s.(*state)
	p := arg(e, 0)
	switch e.Op {
	case "create", "create2", "createContainer", "createTTL":
		if _, ok := st.nodes[p]; ok {
			return "NodeExists"
		}
		if _, ok := st.nodes[parent(p)]; !ok {
			return "NoNode"
		}
		n := &znode{data: arg(e, 1)}
		if fromAudit(e) {
			n.data = ""
		}
		if arg(e, 2) == "true" {
			n.ephemeral = e.Client
		}
		st.nodes[p] = n
		return "ok"
	case "setData":
		n, ok := st.nodes[p]
		if !ok {
			return "NoNode"
		}
		n.data = arg(e, 1)
		n.version++
		return "ok"
	case "delete", "deleteContainer":
		if _, ok := st.nodes[p]; !ok {
			return "NoNode"
		}
		if st.hasChildren(p) {
			return "NotEmpty"
		}
		delete(st.nodes, p)
		return "ok"
	case "closeSession":
		for _, q := range e.Args {
			if n, ok := st.nodes[string(q)]; ok && n.ephemeral == e.Client && !st.hasChildren(string(q)) {
				delete(st.nodes, string(q))
			}
		}
		return ""
	case "getData", "GETDATA":
		n, ok := st.nodes[p]
		if !ok {
			return "NoNode"
		}
		return provenance.Output(fmt.Sprintf("%q version=%d", n.data, n.version))
	case "exists", "EXISTS":
		n, ok := st.nodes[p]
		if !ok {
			return "false"
		}
		return provenance.Output(fmt.Sprintf("true version=%d", n.version))
	case "getChildren", "GETCHILDREN":
		if _, ok := st.nodes[p]; !ok {
			return "NoNode"
		}
		return provenance.Output("[" + strings.Join(children(st, p), " ") + "]")
	}
	return ""
}

// Refs index a write under its znode and its parent's children, and a
// read under its znode (getChildren: the children of it).
func (spec) Refs(e *formats.Event) []formats.Ref {
	w := func(k string) formats.Ref { return formats.Ref{Key: []byte(k), Kind: formats.KindWrite} }
	r := func(k string) formats.Ref { return formats.Ref{Key: []byte(k), Kind: formats.KindRead} }
	p := arg(e, 0)
	if fromAudit(e) {
		if p == "" {
			return nil
		}
		return []formats.Ref{r(p)} // found by key, never replayed as history
	}
	switch e.Op {
	case "create", "create2", "createContainer", "createTTL", "delete", "deleteContainer":
		return []formats.Ref{w(p), w("children:" + parent(p))}
	case "setData":
		return []formats.Ref{w(p)}
	case "closeSession":
		var out []formats.Ref
		for _, q := range e.Args {
			out = append(out, w(string(q)), w("children:"+parent(string(q))))
		}
		return out
	case "getData", "exists", "GETDATA", "EXISTS":
		return []formats.Ref{r(p)}
	case "getChildren", "GETCHILDREN":
		return []formats.Ref{r("children:" + p)}
	}
	return nil
}

// fromAudit reports whether an event is an audit log record: it names
// an operation and its result, not the data, so it is never history
// (the transaction log is); a failed one can be explained.
func fromAudit(e *formats.Event) bool {
	switch string(e.Reply) {
	case "success", "failure", "invoked":
		return true
	}
	return false
}

func isRead(op string) bool {
	switch op {
	case "getData", "exists", "getChildren", "GETDATA", "EXISTS", "GETCHILDREN":
		return true
	}
	return false
}

// Explain computes the wat-provenance of a read.
func (spec) Explain(ctx context.Context, h provenance.History, target *formats.Event) (*provenance.Explanation, error) {
	if target.System != "zookeeper" {
		return nil, fmt.Errorf("%s is a %s request, not zookeeper: %w", target.Where(), target.System, provenance.ErrNotExplainable)
	}
	if !isRead(target.Op) && !(fromAudit(target) && string(target.Reply) == "failure") {
		return nil, fmt.Errorf("%s: wat explains getData, exists, getChildren and failed writes, not %s: %w", target.Where(), target.Op, provenance.ErrNotExplainable)
	}
	p := arg(target, 0)
	// The znode, its ancestors, and the children of each: a create needs
	// its parent, a delete needs no children.
	keys := map[string]bool{}
	for q := p; q != ""; q = parent(q) {
		keys[q] = true
		keys["children:"+q] = true
	}
	seen := map[int64]bool{}
	var hist []*formats.Event
	// add appends to hist the events not in it yet.
	add := func(evs []*formats.Event) {
		for _, e := range evs {
			if !seen[e.ID] {
				seen[e.ID] = true
				hist = append(hist, e)
			}
		}
	}
	for k := range keys {
		before := int64(math.MaxInt64) // the logs are separate files: order by time below
		for {
			evs, err := h.Touching(ctx, "zookeeper", "", []byte(k), before, 4096)
			if err != nil {
				return nil, err
			}
			add(evs)
			if len(evs) < 4096 {
				break
			}
			before = evs[len(evs)-1].ID
		}
	}
	// The children keys pull in sibling subtrees' creates and deletes;
	// those of deeper descendants matter only through a delete's
	// NotEmpty check, so follow the children of every znode seen.
	for i := 0; i < len(hist); i++ {
		q := arg(hist[i], 0)
		if k := "children:" + q; !keys[k] && q != "" {
			keys[k] = true
			evs, err := h.Touching(ctx, "zookeeper", "", []byte(k), math.MaxInt64, 1<<16)
			if err != nil {
				return nil, err
			}
			add(evs)
		}
	}
	// The transaction log, the audit log and the clients' logs are
	// separate files: a write is history when it happened before the
	// target by time (the transaction log has one-second times; within
	// the target's second, by ingest order, and the answer says so).
	tied := false
	kept := hist[:0]
	for _, e := range hist {
		if e.ID == target.ID || fromAudit(e) {
			continue
		}
		sec, tsec := e.Time/1e9, target.Time/1e9
		switch {
		case e.Time == 0 || target.Time == 0:
			if e.ID < target.ID {
				kept = append(kept, e)
			}
		case sec < tsec:
			kept = append(kept, e)
		case sec == tsec && e.ID < target.ID:
			kept = append(kept, e)
			tied = true
		case sec == tsec:
			tied = true
		}
	}
	hist = kept
	sort.Slice(hist, func(i, j int) bool {
		if hist[i].Time/1e9 != hist[j].Time/1e9 {
			return hist[i].Time > hist[j].Time
		}
		return hist[i].ID > hist[j].ID
	})
	back := &provenance.Backwards{Events: hist}
	x, err := provenance.Explain(ctx, provenance.Walk{
		Problem: provenance.Problem{Model: Model{}, Target: target, Older: back.Older,
			Reset: func(*formats.Event) bool { return false }},
		Fallback: func() ([]*formats.Event, string, error) {
			return provenance.Reversed(hist), "the whole history of the znode and its ancestors", nil
		},
	})
	if err != nil {
		return nil, err
	}
	x.Notes = append(x.Notes, "the explanation reaches the start of the transaction log: it assumes the tree held only / before it")
	if tied {
		x.Notes = append(x.Notes, "depends on the order within one second: the transaction log has one-second times, and writes of the read's second are taken in the order they were ingested")
	}
	return x, nil
}

// SameOutput compares a logged reply with a replayed output: the data
// (and the version, when both say it), or the error, or the children.
func (spec) SameOutput(given []byte, o provenance.Output) bool {
	g, out := strings.TrimSpace(string(given)), string(o)
	if u, err := strconv.Unquote(g); err == nil && strings.HasPrefix(g, `"`) {
		g = u // a JSON log's string reply, as the JSON-lines reader keeps it
	}
	if g == out {
		return true
	}
	switch g { // an audit record's result
	case "success":
		return out == "ok"
	case "failure":
		return out != "ok" && out != ""
	}
	gd, gv, gok := strings.Cut(g, " version=")
	od, ov, ook := strings.Cut(out, " version=")
	if !ook {
		return false
	}
	if u, err := strconv.Unquote(gd); err == nil {
		gd = u
	}
	if u, err := strconv.Unquote(od); err == nil {
		od = u
	}
	return gd == od && (!gok || gv == ov)
}
