package zookeeper

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// A znode is one node of the tree, with what its Stat shows (but the
// times: TxnLogToolkit prints whole seconds).
type znode struct {
	data, acl           string
	czxid, mzxid, pzxid int64
	version, aversion   int
	// creates counts the children ever created under the node: the next
	// sequential child's suffix. The Stat's cversion counts creates and
	// deletes: 2*creates - children (DataNode.copyStat).
	creates  int
	children int
	owner    int64 // the session of an ephemeral node, else 0
}

type state struct {
	nodes map[string]*znode
	auth  map[string][]string // a session's ids ("digest:alice:HASH")
}

// Model is the znode tree: data, ACLs, the Stat's counters and zxids,
// ephemeral owners, and each session's authenticated ids.
type Model struct{}

var _ provenance.Model = Model{}

// Init returns the tree a new server starts with: "/" and ZooKeeper's
// own /zookeeper, /zookeeper/quota and /zookeeper/config (read-only).
func (Model) Init() provenance.State {
	return &state{nodes: map[string]*znode{
		"/":                 {acl: openACL, children: 1},
		"/zookeeper":        {acl: openACL, children: 2},
		"/zookeeper/quota":  {acl: openACL},
		"/zookeeper/config": {acl: "1:world:anyone"},
	}, auth: map[string][]string{}}
}

const openACL = "31:world:anyone"

// Clone copies a tree.
func (Model) Clone(s provenance.State) provenance.State {
	st := s.(*state)
	c := &state{nodes: make(map[string]*znode, len(st.nodes)), auth: make(map[string][]string, len(st.auth))}
	for p, n := range st.nodes {
		cp := *n
		c.nodes[p] = &cp
	}
	for k, v := range st.auth {
		c.auth[k] = slices.Clone(v)
	}
	return c
}

// Fingerprint renders a tree canonically.
func (Model) Fingerprint(s provenance.State) string {
	st := s.(*state)
	var b strings.Builder
	for _, p := range slices.Sorted(maps.Keys(st.nodes)) {
		fmt.Fprintf(&b, "%s=%+v;", p, *st.nodes[p])
	}
	for _, k := range slices.Sorted(maps.Keys(st.auth)) {
		fmt.Fprintf(&b, "%s:%v;", k, st.auth[k])
	}
	return b.String()
}

func parent(p string) string {
	if p == "/" || p == "" {
		return ""
	}
	if i := strings.LastIndexByte(p, '/'); i > 0 {
		return p[:i]
	}
	return "/"
}

func childPath(p, name string) string {
	if p == "/" {
		return "/" + name
	}
	return p + "/" + name
}

func (st *state) childNames(p string) []string {
	prefix := strings.TrimSuffix(p, "/") + "/"
	var out []string
	for q := range st.nodes {
		if q != p && strings.HasPrefix(q, prefix) && !strings.Contains(q[len(prefix):], "/") {
			out = append(out, q[len(prefix):])
		}
	}
	slices.Sort(out)
	return out
}

func arg(e *formats.Event, i int) string {
	if i < len(e.Args) {
		return string(e.Args[i])
	}
	return ""
}

// zxid reads an event's zxid from its NS ("0x1f"); -1 when it has none.
func zxid(e *formats.Event) int64 {
	if !strings.HasPrefix(e.NS, "0x") {
		return -1
	}
	z, err := strconv.ParseInt(e.NS[2:], 16, 64)
	if err != nil {
		return -1
	}
	return z
}

func sessionID(s string) int64 {
	v, err := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 64)
	if err != nil {
		return -1
	}
	return int64(v)
}

// Permissions, as ZooDefs.Perms.
const (
	permRead   = 1
	permWrite  = 2
	permCreate = 4
	permDelete = 8
	permAdmin  = 16
)

// allowed reports whether session may do perm on a node with acl: an
// empty ACL allows all; world:anyone everyone; digest:ID a session that
// added that digest. Other schemes (ip, x509, sasl) are not modelled:
// they allow nothing here, and Explain says so.
func (st *state) allowed(acl, session string, perm int) bool {
	if acl == "" {
		return true
	}
	for _, entry := range strings.Split(acl, ",") {
		ps, rest, _ := strings.Cut(entry, ":")
		p, _ := strconv.Atoi(ps)
		if p&perm == 0 {
			continue
		}
		if rest == "world:anyone" || slices.Contains(st.auth[session], rest) {
			return true
		}
	}
	return false
}

// DigestID is the id a digest auth of "user:password" gives a session,
// as ZooKeeper's DigestAuthenticationProvider makes it.
func DigestID(auth string) string {
	user, _, _ := strings.Cut(auth, ":")
	sum := sha1.Sum([]byte(auth))
	return user + ":" + base64.StdEncoding.EncodeToString(sum[:])
}

// stat renders a node's Stat (its times left out).
func (st *state) stat(n *znode) string {
	return fmt.Sprintf(`{"czxid":%d,"mzxid":%d,"pzxid":%d,"version":%d,"cversion":%d,"aversion":%d,"ephemeralOwner":%d,"dataLength":%d,"numChildren":%d}`,
		n.czxid, n.mzxid, n.pzxid, n.version, 2*n.creates-n.children, n.aversion, n.owner, len(n.data), n.children)
}

func errOut(name string) provenance.Output { return provenance.Output(`{"error":"` + name + `"}`) }

func isErr(o provenance.Output) bool { return strings.HasPrefix(string(o), `{"error":`) }

// A request is a write as the server's PrepRequestProcessor sees it.
type request struct {
	op       string // create, setData, delete, setACL, check
	path     string
	data     string
	acl      string
	version  int // the version expected; -1 for any
	seq, eph bool
	mode     string // create: "container", "ttl:N" or ""
	withStat bool   // create2: the reply holds the Stat
}

// check runs a request's checks on st without changing it and returns
// the error it fails with, or "".
func (st *state) check(r *request, session string) string {
	switch r.op {
	case "create":
		par, ok := st.nodes[parent(r.path)]
		if !ok || r.path == "/" {
			if r.path == "/" {
				return "NodeExists"
			}
			return "NoNode"
		}
		if !st.allowed(par.acl, session, permCreate) {
			return "NoAuth"
		}
		if r.acl == "" {
			return "InvalidACL"
		}
		if _, ok := st.nodes[st.createdPath(r)]; ok {
			return "NodeExists"
		}
		if par.owner != 0 {
			return "NoChildrenForEphemerals"
		}
	case "delete":
		par, ok := st.nodes[parent(r.path)]
		if !ok {
			return "NoNode"
		}
		if !st.allowed(par.acl, session, permDelete) {
			return "NoAuth"
		}
		n, ok := st.nodes[r.path]
		if !ok {
			return "NoNode"
		}
		if r.version != -1 && r.version != n.version {
			return "BadVersion"
		}
		if n.children > 0 {
			return "NotEmpty"
		}
	case "setData", "setACL", "check":
		n, ok := st.nodes[r.path]
		if !ok {
			return "NoNode"
		}
		perm, v := permWrite, n.version
		switch r.op {
		case "setACL":
			perm, v = permAdmin, n.aversion
		case "check":
			perm = permRead
		}
		if !st.allowed(n.acl, session, perm) {
			return "NoAuth"
		}
		if r.version != -1 && r.version != v {
			return "BadVersion"
		}
		if r.op == "setACL" && r.acl == "" {
			return "InvalidACL"
		}
	}
	return ""
}

func (st *state) createdPath(r *request) string {
	if !r.seq {
		return r.path
	}
	par := st.nodes[parent(r.path)]
	n := 0
	if par != nil {
		n = par.creates
	}
	return fmt.Sprintf("%s%010d", r.path, n)
}

// do runs a request that passed its checks, at zxid z, and returns its
// output.
func (st *state) do(r *request, session string, z int64) provenance.Output {
	switch r.op {
	case "create":
		p := st.createdPath(r)
		par := st.nodes[parent(p)]
		n := &znode{data: r.data, acl: r.acl, czxid: z, mzxid: z, pzxid: z}
		if r.eph {
			n.owner = sessionID(session)
		}
		st.nodes[p] = n
		par.creates++
		par.children++
		par.pzxid = z
		if r.withStat {
			return provenance.Output(fmt.Sprintf(`{"path":%s,"stat":%s}`, strconv.Quote(p), st.stat(n)))
		}
		return provenance.Output(`{"path":` + strconv.Quote(p) + `}`)
	case "delete":
		st.remove(r.path, z)
		return "{}"
	case "setData":
		n := st.nodes[r.path]
		n.data, n.mzxid = r.data, z
		n.version++
		return provenance.Output(`{"stat":` + st.stat(n) + `}`)
	case "setACL":
		n := st.nodes[r.path]
		n.acl = r.acl
		n.aversion++
		return provenance.Output(`{"stat":` + st.stat(n) + `}`)
	}
	return "{}" // check
}

func (st *state) remove(p string, z int64) {
	delete(st.nodes, p)
	if par := st.nodes[parent(p)]; par != nil {
		par.children--
		par.pzxid = z
	}
}

// run checks and does one request.
func (st *state) run(r *request, session string, z int64) provenance.Output {
	if e := st.check(r, session); e != "" {
		return errOut(e)
	}
	return st.do(r, session, z)
}

// multi runs requests all or nothing, as ZooKeeper's multi: on the first
// failure nothing changes, the requests before it answer RolledBack and
// those after it RuntimeInconsistency.
func (st *state) multi(rs []*request, session string, z int64) provenance.Output {
	trial := Model{}.Clone(st).(*state)
	var outs []string
	failed := -1
	for i, r := range rs {
		if e := trial.check(r, session); e != "" {
			failed = i
			outs = append(outs, string(errOut(e)))
			break
		}
		outs = append(outs, string(trial.do(r, session, z)))
	}
	if failed >= 0 {
		for i := range rs {
			switch {
			case i < failed:
				outs[i] = string(errOut("RolledBack"))
			case i > failed:
				outs = append(outs, string(errOut("RuntimeInconsistency")))
			}
		}
	} else {
		*st = *trial
	}
	return provenance.Output(`{"results":[` + strings.Join(outs, ",") + `]}`)
}

// seqSuffix reports whether a transaction log's create of path, after
// which its parent had created cv children, was sequential: its name
// ends in the ten digits of cv-1, the suffix ZooKeeper gives. (The log
// keeps the name, not the flag; a plain create of such a name is read as
// sequential too.)
func seqSuffix(path string, cv int) (prefix string, ok bool) {
	s := fmt.Sprintf("%010d", cv-1)
	if cv >= 1 && strings.HasSuffix(path, s) && len(path) > len(s) {
		return strings.TrimSuffix(path, s), true
	}
	return "", false
}

// txnCreate is the request a transaction log's create stands for.
func txnCreate(op string, a []string) *request {
	r := &request{op: "create", path: at(a, 0), data: at(a, 1), acl: at(a, 4), withStat: op == "create2"}
	switch m := at(a, 2); {
	case m == "true":
		r.eph = true
	case m == "container" || strings.HasPrefix(m, "ttl:"):
		r.mode = m
	}
	cv, _ := strconv.Atoi(at(a, 3))
	if prefix, ok := seqSuffix(r.path, cv); ok {
		r.path, r.seq = prefix, true
	}
	return r
}

func at(a []string, i int) string {
	if i < len(a) {
		return a[i]
	}
	return ""
}

func strs(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

// txnMulti splits a transaction log's multi into its requests; failed
// is true when it holds error records (a multi that failed: its failing
// request is not in the log).
func txnMulti(a []string) (rs []*request, failed bool) {
	for i := 0; i < len(a); {
		switch a[i] {
		case "create", "create2", "createContainer":
			rs = append(rs, txnCreate(a[i], a[i+1:min(i+6, len(a))]))
			i += 6
		case "setData":
			rs = append(rs, &request{op: "setData", path: at(a, i+1), data: at(a, i+2), version: -1})
			i += 4
		case "delete", "deleteContainer":
			rs = append(rs, &request{op: "delete", path: at(a, i+1), version: -1})
			i += 2
		case "check":
			// The log keeps the version after the check, as
			// checkAndIncVersion gives it: one more than expected.
			v, _ := strconv.Atoi(at(a, i+2))
			rs = append(rs, &request{op: "check", path: at(a, i+1), version: v - 1})
			i += 3
		case "error":
			failed = true
			i += 2
		default:
			return rs, true
		}
	}
	return rs, failed
}

// clientRequest reads a client's write request from a client log: create
// PATH DATA ACL FLAGS, setData PATH DATA VERSION, delete PATH VERSION,
// setACL PATH ACL VERSION, check PATH VERSION. It returns the request
// and how many arguments it took (0: not a write request).
func clientRequest(op string, a []string, session string, st *state) (*request, int) {
	version := func(s string) int {
		v, err := strconv.Atoi(s)
		if err != nil {
			return -1
		}
		return v
	}
	switch strings.ToLower(op) {
	case "create", "create2":
		r := &request{op: "create", path: at(a, 0), data: at(a, 1), acl: expandACL(at(a, 2), session, st), withStat: strings.EqualFold(op, "create2")}
		flags := strings.ToLower(at(a, 3))
		r.seq = strings.Contains(flags, "sequential")
		r.eph = strings.Contains(flags, "ephemeral")
		if strings.Contains(flags, "container") {
			r.mode = "container"
		}
		return r, 4
	case "setdata":
		return &request{op: "setData", path: at(a, 0), data: at(a, 1), version: version(at(a, 2))}, 3
	case "delete":
		return &request{op: "delete", path: at(a, 0), version: version(at(a, 1))}, 2
	case "setacl":
		return &request{op: "setACL", path: at(a, 0), acl: expandACL(at(a, 1), session, st), version: version(at(a, 2))}, 3
	case "check":
		return &request{op: "check", path: at(a, 0), version: version(at(a, 1))}, 2
	}
	return nil, 0
}

// expandACL replaces a client's auth-scheme entries with the session's
// ids, as the server does; with none, the ACL is invalid (empty).
func expandACL(acl, session string, st *state) string {
	if acl == "" {
		return ""
	}
	var out []string
	for _, e := range strings.Split(acl, ",") {
		ps, rest, _ := strings.Cut(e, ":")
		scheme, _, _ := strings.Cut(rest, ":")
		if scheme != "auth" {
			out = append(out, e)
			continue
		}
		if len(st.auth[session]) == 0 {
			return ""
		}
		for _, id := range st.auth[session] {
			out = append(out, ps+":"+id)
		}
	}
	return strings.Join(out, ",")
}

// clientMulti splits a client's multi into its requests.
func clientMulti(a []string, session string, st *state) []*request {
	var rs []*request
	for i := 0; i < len(a); {
		r, n := clientRequest(a[i], a[i+1:], session, st)
		if r == nil {
			return nil
		}
		rs = append(rs, r)
		i += 1 + n
	}
	return rs
}

// The kinds of events.
const (
	kindOther  = iota
	kindTxn    // a transaction log's record: history
	kindClient // a client's request and reply
	kindAudit  // an audit log record
)

func kindOf(e *formats.Event) int {
	switch {
	case fromAudit(e):
		return kindAudit
	case e.Op != "" && e.Op == strings.ToUpper(e.Op):
		return kindClient // the JSON-lines reader writes ops in capitals
	case txnOps[e.Op]:
		return kindTxn
	}
	return kindOther
}

var txnOps = map[string]bool{"create": true, "create2": true, "createContainer": true, "createTTL": true, "setData": true,
	"delete": true, "deleteContainer": true, "setACL": true, "closeSession": true, "multi": true, "error": true, "createSession": true}

// Apply replays one ZooKeeper event and returns its output.
func (Model) Apply(s provenance.State, e *formats.Event) provenance.Output {
	st := s.(*state)
	a := strs(e.Args)
	z := max(zxid(e), 0)
	switch kindOf(e) {
	case kindTxn:
		switch e.Op {
		case "create", "create2", "createContainer", "createTTL":
			return st.run(txnCreate(e.Op, a), e.Client, z)
		case "setData":
			return st.run(&request{op: "setData", path: at(a, 0), data: at(a, 1), version: -1}, e.Client, z)
		case "delete", "deleteContainer":
			return st.run(&request{op: "delete", path: at(a, 0), version: -1}, e.Client, z)
		case "setACL":
			return st.run(&request{op: "setACL", path: at(a, 0), acl: at(a, 1), version: -1}, e.Client, z)
		case "closeSession":
			st.closeSession(e.Client, z)
			return "{}"
		case "multi":
			rs, failed := txnMulti(a)
			if failed {
				return errOut("multi failed; its failing request is not in the log")
			}
			return st.multi(rs, e.Client, z)
		}
		return ""
	case kindClient:
		return st.client(e, a, z)
	case kindAudit:
		return st.audit(e, a)
	}
	return ""
}

// closeSession deletes every ephemeral node of a session.
func (st *state) closeSession(session string, z int64) {
	id := sessionID(session)
	for _, p := range slices.Sorted(maps.Keys(st.nodes)) {
		if n := st.nodes[p]; n.owner == id && id != 0 && n.children == 0 {
			st.remove(p, z)
		}
	}
}

func (st *state) client(e *formats.Event, a []string, z int64) provenance.Output {
	op := strings.ToLower(e.Op)
	p := at(a, 0)
	switch op {
	case "create", "create2", "setdata", "delete", "setacl", "check":
		r, _ := clientRequest(e.Op, a, e.Client, st)
		return st.run(r, e.Client, z)
	case "multi", "transaction":
		rs := clientMulti(a, e.Client, st)
		if rs == nil {
			return errOut("BadArguments")
		}
		return st.multi(rs, e.Client, z)
	case "addauth":
		if at(a, 0) == "digest" {
			id := "digest:" + DigestID(at(a, 1))
			if !slices.Contains(st.auth[e.Client], id) {
				st.auth[e.Client] = append(st.auth[e.Client], id)
			}
		}
		return "{}"
	case "close", "closesession":
		st.closeSession(e.Client, z)
		return "{}"
	case "sync":
		return provenance.Output(`{"path":` + strconv.Quote(p) + `}`)
	case "getdata", "exists", "getchildren", "getchildren2", "getacl":
		n, ok := st.nodes[p]
		if !ok {
			if op == "exists" {
				return `{"stat":null}`
			}
			return errOut("NoNode")
		}
		switch op {
		case "getdata":
			if !st.allowed(n.acl, e.Client, permRead) {
				return errOut("NoAuth")
			}
			return provenance.Output(`{"data":` + strconv.Quote(n.data) + `,"stat":` + st.stat(n) + `}`)
		case "exists":
			return provenance.Output(`{"stat":` + st.stat(n) + `}`)
		case "getacl":
			if !st.allowed(n.acl, e.Client, permRead|permAdmin) {
				return errOut("NoAuth")
			}
			return provenance.Output(`{"acl":` + strconv.Quote(n.acl) + `,"stat":` + st.stat(n) + `}`)
		}
		if !st.allowed(n.acl, e.Client, permRead) {
			return errOut("NoAuth")
		}
		var names []string
		for _, c := range st.childNames(p) {
			names = append(names, strconv.Quote(c))
		}
		out := `{"children":[` + strings.Join(names, ",") + `]`
		if op == "getchildren2" {
			out += `,"stat":` + st.stat(n)
		}
		return provenance.Output(out + "}")
	}
	return ""
}

// audit replays an audit record: it names the operation and the znode
// but not the data or the version expected, so a write is replayed as
// one that expects any version; a failed one whose checks all pass
// failed on its version (BadVersion, and Explain says it is not exact).
func (st *state) audit(e *formats.Event, a []string) provenance.Output {
	p := at(a, 0)
	var r *request
	switch e.Op {
	case "create":
		r = &request{op: "create", path: p, acl: openACL, eph: strings.Contains(at(a, 1), "ephemeral")}
		// The audit log names the node created: a sequential one with
		// its suffix, as if it were plain.
	case "delete":
		r = &request{op: "delete", path: p, version: -1}
	case "setData":
		r = &request{op: "setData", path: p, version: -1}
	case "setAcl":
		r = &request{op: "setACL", path: p, acl: openACL, version: -1}
	default:
		return ""
	}
	if err := st.check(r, e.Client); err != "" {
		return provenance.Output("failure: " + err)
	}
	if string(e.Reply) == "failure" && (r.op == "delete" || r.op == "setData" || r.op == "setACL") {
		return "failure: BadVersion"
	}
	return "success"
}
