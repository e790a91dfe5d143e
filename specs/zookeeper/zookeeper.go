// Package zookeeper is the wat-provenance spec of ZooKeeper: the znode
// tree with data, ACLs, the Stat's counters and zxids, ephemeral owners
// and sessions' digest auths. The history is the transaction log (as
// TxnLogToolkit prints it: every change, with its zxid, the one source
// with znode data), plus the auths clients log; the requests explained
// are the clients' own records of their calls and replies (a client log,
// through a JSON-lines mapping: reads, writes, multis, auths), the
// transaction log's records, and audit records.
//
// ZooKeeper orders everything by zxid: a write is placed at its own zxid
// and a read at the zxid its reply header carries (the last change the
// server had applied), so its history is exactly the changes at or
// before it. A request logged without a zxid (an audit record, a client
// log that does not keep it) is placed by time, and the answer says it is
// not exact when a change falls in the same second (the transaction log
// has one-second times).
//
// An output is the reply as ZooKeeper sends it, in JSON: a create's path
// (with the sequential suffix, from the parent's count of children ever
// created), a Stat without its times (czxid, mzxid, pzxid, version,
// cversion, aversion, ephemeralOwner, dataLength, numChildren), data,
// children (sorted), an ACL, a multi's results, or an error (NoNode,
// NodeExists, NotEmpty, BadVersion, NoAuth, ...). Its witnesses are
// found exactly by Solve over the history of the znodes it depends on:
// the node, its ancestors, their children, the sessions whose ephemeral
// nodes or auths play a part, and for a multi every node it touches.
package zookeeper

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// Spec is the ZooKeeper spec.
var Spec provenance.Spec = spec{SpecInfo: provenance.SpecInfo{
	Name: "zookeeper",
	Summary: "ZooKeeper znodes: create (sequential, ephemeral), setData, delete, setACL, multi, closeSession (transaction log, by zxid); " +
		"every call a client logs with its reply (reads, writes, multi, sync, digest auth); audit records",
	Operations: []string{"create", "create2", "setData", "delete", "setACL", "check", "multi", "closeSession", "addAuth",
		"getData", "exists", "getChildren", "getChildren2", "getACL", "sync"},
	Replay: Model{},
}}

type spec struct {
	provenance.SpecInfo
	provenance.PlainOutput
}

// paths returns the znodes an event names: for a multi, every one.
func paths(e *formats.Event) []string {
	a := strs(e.Args)
	switch kindOf(e) {
	case kindTxn:
		switch e.Op {
		case "closeSession":
			return a
		case "multi":
			rs, _ := txnMulti(a)
			var out []string
			for _, r := range rs {
				out = append(out, r.path)
			}
			return out
		case "error", "createSession":
			return nil
		}
	case kindClient:
		switch strings.ToLower(e.Op) {
		case "multi", "transaction":
			var out []string
			for _, r := range clientMulti(a, e.Client, Model{}.Init().(*state)) {
				out = append(out, r.path)
			}
			return out
		case "addauth", "close", "closesession":
			return nil
		}
	}
	if len(a) == 0 || a[0] == "" {
		return nil
	}
	return a[:1]
}

// Refs index a transaction log's change under each znode it changes and
// its parent's children, a closeSession also under its session, a
// client's auth under its session; every other event (a client's call,
// an audit record) is indexed as a read of its znodes.
func (spec) Refs(e *formats.Event) []formats.Ref {
	w := func(k string) formats.Ref { return formats.Ref{Key: []byte(k), Kind: formats.KindWrite} }
	r := func(k string) formats.Ref { return formats.Ref{Key: []byte(k), Kind: formats.KindRead} }
	var out []formats.Ref
	switch kindOf(e) {
	case kindTxn:
		switch e.Op {
		case "error", "createSession":
			return nil
		case "closeSession":
			out = append(out, w("session:"+e.Client))
		}
		for _, p := range paths(e) {
			out = append(out, w(p))
			if e.Op != "setData" && e.Op != "setACL" {
				out = append(out, w("children:"+parent(p)))
			}
		}
		return out
	case kindClient:
		if strings.EqualFold(e.Op, "addauth") {
			return []formats.Ref{w("auth:" + e.Client)}
		}
	}
	for _, p := range paths(e) {
		out = append(out, r(p))
		if strings.HasPrefix(strings.ToLower(e.Op), "getchildren") {
			out = append(out, r("children:"+p))
		}
	}
	return out
}

// isRead reports whether a client's call is placed at its reply's zxid
// (the last change applied) rather than before it (its own change).
func isRead(e *formats.Event) bool {
	switch strings.ToLower(e.Op) {
	case "getdata", "exists", "getchildren", "getchildren2", "getacl", "sync", "addauth":
		return true
	}
	return false
}

// explainable says why a target cannot be explained, or "".
func explainable(e *formats.Event) string {
	switch kindOf(e) {
	case kindTxn:
		switch e.Op {
		case "error":
			return "the transaction log records only the error code of a failed write, not the request: explain the client's or the audit log's record of it"
		case "createSession":
			return "a session's creation (its reply, the session id, is not modelled)"
		}
		return ""
	case kindAudit:
		switch e.Op {
		case "create", "delete", "setData", "setAcl":
			return ""
		case "multiOperation":
			return "the audit log records a multi without its operations: explain the transaction log's or the client's record of it"
		}
		return "the audit operation " + e.Op + " is not modelled"
	case kindClient:
		switch strings.ToLower(e.Op) {
		case "create", "create2", "setdata", "delete", "setacl", "check", "multi", "transaction", "addauth", "close", "closesession",
			"sync", "getdata", "exists", "getchildren", "getchildren2", "getacl":
			return ""
		}
		return "the call " + e.Op + " is not modelled"
	}
	return "not a ZooKeeper request wat knows"
}

// maxHistory bounds the events one answer reads.
const maxHistory = 1 << 20

// Explain computes the wat-provenance of a ZooKeeper request's output.
func (spec) Explain(ctx context.Context, h provenance.History, target *formats.Event) (*provenance.Explanation, error) {
	if target.System != "zookeeper" {
		return nil, fmt.Errorf("%s is a %s request, not zookeeper: %w", target.Where(), target.System, provenance.ErrNotExplainable)
	}
	if why := explainable(target); why != "" {
		return nil, fmt.Errorf("%s: %s: %w", target.Where(), why, provenance.ErrNotExplainable)
	}
	keys := map[string]bool{}
	var queue []string
	want := func(k string) {
		if !keys[k] {
			keys[k] = true
			queue = append(queue, k)
		}
	}
	// A znode's own changes and its ancestors' decide whether it exists;
	// the children of a node matter to its Stat and listing, to whether
	// it can be deleted (NotEmpty) and to the name of a sequential child
	// (its count of children created), so they are read for the target's
	// node, for a create's parent, and for what the history deletes or
	// creates sequentially.
	withAncestors := func(p string) {
		for q := p; q != ""; q = parent(q) {
			want(q)
			if seqName(q) {
				// A sequential create under its parent may make it.
				want("children:" + parent(q))
			}
		}
	}
	creates := false
	switch strings.ToLower(target.Op) {
	case "create", "create2", "multi", "transaction", "createcontainer", "createttl":
		creates = true
	}
	for _, p := range paths(target) {
		withAncestors(p)
		want("children:" + p)
		if creates {
			want("children:" + parent(p))
		}
	}
	want("auth:" + target.Client)
	want("session:" + target.Client)
	seen := map[int64]bool{}
	var hist []*formats.Event
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		before := int64(math.MaxInt64)
		for {
			evs, err := h.Touching(ctx, "zookeeper", "", []byte(k), before, 4096)
			if err != nil {
				return nil, fmt.Errorf("zookeeper history of %s: %w", k, err)
			}
			for _, e := range evs {
				if seen[e.ID] || e.ID == target.ID {
					continue
				}
				seen[e.ID] = true
				hist = append(hist, e)
				// What decides whether it does what it did: its session's
				// auths; the children of what it deletes, the parent's
				// count of a sequential child; an ephemeral create, its
				// session's close; a multi, all it touches.
				want("auth:" + e.Client)
				for _, d := range decides(e) {
					want(d)
				}
				if e.Op == "multi" {
					for _, p := range paths(e) {
						withAncestors(p)
					}
				}
			}
			if len(hist) > maxHistory {
				return nil, fmt.Errorf("%s: more than %d events in the history of its znodes", target.Where(), maxHistory)
			}
			if len(evs) < 4096 {
				break
			}
			before = evs[len(evs)-1].ID
		}
	}
	hist, byTime, tied := place(hist, target)
	sort.Slice(hist, func(i, j int) bool { return newer(hist[i], hist[j], byTime) })
	back := &provenance.Backwards{Events: hist}
	x, err := provenance.Explain(ctx, provenance.Walk{
		Problem: provenance.Problem{Model: Model{}, Target: target, Older: back.Older,
			Reset: func(*formats.Event) bool { return false }},
		Fallback: func() ([]*formats.Event, string, error) {
			return provenance.Reversed(hist), "the whole history of the znodes it depends on", nil
		},
	})
	if err != nil {
		return nil, fmt.Errorf("zookeeper: %w", err)
	}
	notExact := func(why string) {
		x.Exact = false
		x.Notes = append(x.Notes, "not exact: "+why)
	}
	switch {
	case byTime && tied > 0:
		notExact(fmt.Sprintf("the request carries no zxid, so it is placed among the changes by time, and %d of them fall in its second (the transaction log has one-second times)", tied))
	case byTime:
		x.Notes = append(x.Notes, "the request carries no zxid: it is placed among the changes by time")
	}
	if why := selfCheck(hist); why != "" {
		notExact(why)
	}
	for _, e := range hist {
		if e.Op == "multi" && kindOf(e) == kindTxn {
			if _, failed := txnMulti(strs(e.Args)); failed {
				notExact(fmt.Sprintf("%s is a multi that failed, and the log does not keep its failing request: it is replayed as failing in every subtrace", e.Where()))
				break
			}
		}
	}
	for _, e := range append([]*formats.Event{target}, hist...) {
		if s := otherScheme(e); s != "" {
			notExact(fmt.Sprintf("%s sets an ACL with the scheme %s, which is not modelled (only world and digest)", e.Where(), s))
			break
		}
	}
	if kindOf(target) == kindAudit && strings.HasSuffix(string(x.Output), "BadVersion") {
		notExact("the audit log does not record the version the request expected: it failed, and nothing else explains it, so it is taken as a BadVersion")
	}
	if lh, ok := h.(provenance.LossHistory); ok {
		lost, err := lh.LostBefore(ctx, "zookeeper", target, 1)
		if err != nil {
			return nil, fmt.Errorf("zookeeper: lost lines: %w", err)
		}
		if len(lost) > 0 {
			notExact(fmt.Sprintf("a line of the logs before it could not be read (%s)", lost[0].Where))
		}
	}
	x.Notes = append(x.Notes, "the explanation reaches the start of the transaction log: it assumes the tree held only / and /zookeeper before it")
	return x, nil
}

// seqName reports whether a znode's name ends in ten digits, as the
// name of a sequential node does.
func seqName(p string) bool {
	name := p[strings.LastIndexByte(p, '/')+1:]
	if len(name) < 10 {
		return false
	}
	for _, c := range name[len(name)-10:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// decides returns the keys whose history decides what a transaction
// log's change does besides its own znode's: the children of a node it
// deletes, the children of the parent of a sequential create, the
// session of an ephemeral create (its close).
func decides(e *formats.Event) []string {
	if kindOf(e) != kindTxn {
		return nil
	}
	a := strs(e.Args)
	var rs []*request
	switch e.Op {
	case "multi":
		rs, _ = txnMulti(a)
	case "create", "create2", "createContainer", "createTTL":
		rs = []*request{txnCreate(e.Op, a)}
	case "delete", "deleteContainer":
		rs = []*request{{op: "delete", path: at(a, 0)}}
	}
	var out []string
	for _, r := range rs {
		switch {
		case r.op == "delete":
			out = append(out, "children:"+r.path)
		case r.op == "create" && r.seq:
			out = append(out, "children:"+parent(r.path))
		}
		if r.op == "create" && r.eph {
			out = append(out, "session:"+e.Client)
		}
	}
	return out
}

// place keeps the history before target and says how it is ordered: by
// zxid when target has one, else by time (byTime), with tied the number
// of changes in target's second, taken as before it when they are before
// it in the trace.
func place(hist []*formats.Event, target *formats.Event) (kept []*formats.Event, byTime bool, tied int) {
	z := zxid(target)
	for _, e := range hist {
		ez := zxid(e)
		switch {
		case z >= 0 && ez >= 0:
			if ez < z || ez == z && (isRead(target) && kindOf(e) == kindTxn || kindOf(e) == kindClient && e.ID < target.ID) {
				kept = append(kept, e)
			}
			continue
		case target.Time == 0 || e.Time == 0:
			byTime = true
			if e.ID < target.ID {
				kept = append(kept, e)
			}
			continue
		}
		byTime = true
		sec, tsec := e.Time/1e9, target.Time/1e9
		switch {
		case sec < tsec:
			kept = append(kept, e)
		case sec == tsec:
			tied++
			if e.ID < target.ID {
				kept = append(kept, e)
			}
		}
	}
	return kept, byTime, tied
}

// newer orders the history newest first: by zxid (a client's auth after
// the change whose zxid it saw last), or by time.
func newer(a, b *formats.Event, byTime bool) bool {
	if byTime && a.Time/1e9 != b.Time/1e9 && a.Time != 0 && b.Time != 0 {
		return a.Time > b.Time
	}
	if za, zb := zxid(a), zxid(b); za != zb {
		return za > zb
	}
	if ka, kb := kindOf(a), kindOf(b); ka != kb {
		return ka == kindClient
	}
	return a.ID > b.ID
}

// selfCheck replays the whole history and says where a change the
// transaction log records as done does not replay as done: something the
// model misses (a lost line, an auth no log holds, an unmodelled
// operation).
func selfCheck(hist []*formats.Event) string {
	m := Model{}
	st := m.Init()
	for i := len(hist) - 1; i >= 0; i-- {
		e := hist[i]
		o := m.Apply(st, e)
		if kindOf(e) != kindTxn || e.Op == "multi" && strings.Contains(string(o), "failing request") {
			continue
		}
		bad := isErr(o) || strings.Contains(string(o), `{"error":`)
		if strings.HasPrefix(e.Op, "create") && !bad {
			var r struct{ Path string }
			bad = json.Unmarshal([]byte(o), &r) != nil || r.Path != arg(e, 0)
		}
		if bad {
			return fmt.Sprintf("%s replays as %s, but the transaction log records it done (an auth or a change no log holds?)", e.Where(), o)
		}
	}
	return ""
}

// otherScheme returns an ACL scheme an event sets that the model does
// not check (ip, x509, sasl), or "".
func otherScheme(e *formats.Event) string {
	for _, a := range e.Args {
		for _, entry := range strings.Split(string(a), ",") {
			f := strings.SplitN(entry, ":", 3)
			if len(f) < 3 {
				continue
			}
			if _, err := strconv.Atoi(f[0]); err != nil {
				continue
			}
			if f[1] != "world" && f[1] != "digest" && f[1] != "auth" {
				return f[1]
			}
		}
	}
	return ""
}

// SameOutput compares a logged reply with a replayed output: a client's
// JSON reply as JSON (children as a set: the server lists them in its
// hash order), an audit record's result (success, or a failure with any
// error), a transaction log's "ok" (anything but an error).
func (spec) SameOutput(given []byte, o provenance.Output) bool {
	g, out := strings.TrimSpace(string(given)), string(o)
	if g == out {
		return true
	}
	switch g {
	case "success":
		return out == "success"
	case "failure":
		return strings.HasPrefix(out, "failure")
	case "ok":
		return out != "" && !isErr(o)
	}
	var a, b any
	if json.Unmarshal([]byte(g), &a) != nil || json.Unmarshal([]byte(out), &b) != nil {
		return false
	}
	return within(sortChildren(a), sortChildren(b))
}

// within tells whether a logged reply agrees with a replayed one on the
// fields it has: a client log may keep a Stat's version and leave out
// its zxids.
func within(given, replayed any) bool {
	g, ok := given.(map[string]any)
	if !ok {
		return reflect.DeepEqual(given, replayed)
	}
	r, ok := replayed.(map[string]any)
	if !ok {
		return false
	}
	for k, v := range g {
		if x, has := r[k]; !has || !within(v, x) {
			return false
		}
	}
	return true
}

func sortChildren(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = sortChildren(x)
		}
		if c, ok := t["children"].([]any); ok {
			slices.SortFunc(c, func(a, b any) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		}
	case []any:
		for i, x := range t {
			t[i] = sortChildren(x)
		}
	}
	return v
}

// fromAudit reports whether an event is an audit log record: it names
// an operation and its result, not the data, so it is never history
// (the transaction log is).
func fromAudit(e *formats.Event) bool {
	switch string(e.Reply) {
	case "success", "failure", "invoked":
		return true
	}
	return false
}
