// Package zookeeper reads ZooKeeper's logs: the audit log (3.6+, with
// audit.enable=true) and the text TxnLogToolkit prints of a transaction
// log.
//
// Audit events: Op is the operation (create, delete, setData, setAcl,
// multiOperation, ...), Args the znode and, for creates, the znode type;
// Client the session; Reply the result (success, failure, invoked). The
// log4j prefix before the message may be any pattern: the message is the
// TAB-separated key=value fields after it. The audit log has no zxid.
//
// Transaction events: Op is the transaction type (create, setData,
// delete, setACL, multi, error, createSession, closeSession, ...), NS the
// zxid as printed ("0x1f": ZooKeeper's order of every change), Client
// the session, ReqID "session:cxid", and Args the fields: create path,
// data, mode (the ephemeral flag "true" or "false", "container" or
// "ttl:N"), the parent's child count after it, and the ACL as
// PERMS:SCHEME:ID entries joined by commas; setData path, data, the new
// version; delete path; setACL path, ACL, the new ACL version; error the
// error code (also the Reply); closeSession the ephemeral paths it
// deleted; multi its sub-transactions one after another, each its type
// and then its fields (create: path, data, mode, child count, ACL;
// setData: path, data, version; delete: path; check: path, version;
// error: the code, "?" when unreadable). A record may span lines (a
// create's ACL list always does; data may hold newlines; a multi is
// printed as its raw bytes, where a length byte of 10 is a newline): its
// event is at its last line and the lines before are counted as skipped.
// A multi's bytes above 0x7f that are no UTF-8 were printed as U+FFFD:
// a length or number among them cannot be read and the line is rejected.
package zookeeper

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/wat-project/wat/formats"
)

// AuditFormat is the ZooKeeper audit log.
var AuditFormat = zkFormat("zookeeper-audit", "ZooKeeper audit log (audit.enable=true, 3.6+)", "https://zookeeper.apache.org/doc/r3.8.0/zookeeperAuditLogs.html",
	func() formats.Parser { return &audit{} },
	"2026-11-24 21:21:15,125 INFO audit.Slf4jAuditLogger: session=0x100010c6fa10000\tuser=127.0.0.1\tip=127.0.0.1\toperation=create\tznode=/app\tznode_type=persistent\tresult=success",
	"2026-11-24 21:21:15,140 ERROR audit.Slf4jAuditLogger: session=0x100010c6fa10000\tuser=127.0.0.1\tip=127.0.0.1\toperation=setData\tznode=/app/config\tresult=failure",
	"2026-11-24 21:21:14,829 INFO audit.Slf4jAuditLogger: user=root\toperation=serverStart\tresult=success",
)

// TxnFormat is the text TxnLogToolkit prints of a transaction log.
var TxnFormat = zkFormat("zookeeper-txnlog", "ZooKeeper transaction log as TxnLogToolkit prints it", "https://zookeeper.apache.org/doc/r3.8.0/zookeeperTools.html",
	func() formats.Parser { return &txn{} },
	"ZooKeeper Transactional Log File with dbid 0 txnlog format version 2",
	"11/24/26, 9:21:15 PM UTC session 0x100010c6fa10000 cxid 0x3 zxid 0x4 setData /app/config,max_conn=300,1",
	"11/24/26, 9:21:15 PM UTC session 0x100010c6fa10000 cxid 0x5 zxid 0x5 error -110",
	"11/24/26, 9:21:15 PM UTC session 0x100010c6fa10000 cxid 0xb zxid 0xb delete '/app/old",
)

// zkFormat is a format of ZooKeeper's logs: sniffed by trying its
// parser on the first lines.
func zkFormat(name, doc, url string, newParser func() formats.Parser, samples ...string) *formats.Format {
	return &formats.Format{Name: name, System: "zookeeper", Doc: doc, URL: url,
		Sniff: sniffWith(newParser), NewParser: newParser, Samples: samples}
}

func sniffWith(newParser func() formats.Parser) func([][]byte) int {
	return func(lines [][]byte) int {
		p := newParser()
		var ev formats.Event
		good, seen := formats.CountLines(lines, func(l []byte) bool {
			r, err := p.Parse(l, &ev)
			return err == nil && r == formats.IsEvent
		})
		if good > 0 && 2*good >= seen {
			return 90
		}
		return 0
	}
}

type audit struct{}

func (audit) Parse(line []byte, ev *formats.Event) (formats.Result, error) {
	s := strings.TrimRight(string(line), "\r")
	if strings.TrimSpace(s) == "" {
		return formats.IsSkipped, nil
	}
	// The message starts at the first key=value field after ": ".
	start := -1
	for i := 0; i+2 < len(s); i++ {
		if s[i] == ':' && s[i+1] == ' ' {
			if k, _, ok := strings.Cut(s[i+2:], "="); ok && isKey(k) {
				start = i + 2
				break
			}
		}
	}
	if start < 0 {
		return 0, formats.Errorf("no key=value audit message")
	}
	fields := map[string]string{}
	for _, f := range strings.Split(s[start:], "\t") {
		k, v, ok := strings.Cut(f, "=")
		if !ok || !isKey(k) {
			return 0, formats.Errorf("audit field %q is not key=value", f)
		}
		fields[k] = v
	}
	if fields["operation"] == "" {
		return 0, formats.Errorf("audit message without operation=")
	}
	*ev = formats.Event{System: "zookeeper", Op: fields["operation"], Client: fields["session"],
		Reply: []byte(fields["result"]), Raw: append([]byte(nil), line...)}
	if z, ok := fields["znode"]; ok {
		ev.Args = append(ev.Args, []byte(z))
		if t, ok := fields["znode_type"]; ok {
			ev.Args = append(ev.Args, []byte(t))
		}
	}
	if t, err := time.Parse("2006-01-02 15:04:05,000", strings.TrimSpace(s[:min(23, len(s))])); err == nil {
		ev.Time = t.UnixNano()
	}
	return formats.IsEvent, nil
}

func isKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

type txn struct {
	pending string // a record whose body continues on the next lines
}

const txnHeader = "ZooKeeper Transactional Log File"

// Parse reads one line of TxnLogToolkit's output. A record whose body
// spans lines (a create's ACL list, data holding a newline, a multi's raw
// bytes) is held until its last line, where its event is.
func (p *txn) Parse(line []byte, ev *formats.Event) (formats.Result, error) {
	s := strings.TrimRight(string(line), "\r")
	if p.pending == "" && strings.Contains(s, "\n") { // a stored record of several lines
		q := &txn{}
		lines := strings.Split(s, "\n")
		for i, l := range lines {
			r, err := q.Parse([]byte(l), ev)
			if err != nil {
				return 0, err
			}
			if r == formats.IsEvent {
				if i != len(lines)-1 {
					return 0, formats.Errorf("a stored record ends before its last line")
				}
				ev.Raw = []byte(s)
				return r, nil
			}
		}
		return 0, formats.Errorf("a stored record is not complete")
	}
	if p.pending != "" {
		prev := p.pending
		p.pending = ""
		if _, err := header(s); err == nil && !strings.Contains(prev[:min(len(prev), strings.IndexByte(prev+"\n", '\n'))], " multi ") {
			return 0, formats.Errorf("the record before this line is not complete (%.60q)", prev)
		}
		return p.body(prev+"\n"+s, ev)
	}
	switch {
	case strings.TrimSpace(s) == "", strings.HasPrefix(s, txnHeader), strings.HasPrefix(s, "EOF reached after"):
		return formats.IsSkipped, nil
	case strings.HasPrefix(s, "]"):
		return 0, formats.Errorf("an ACL continuation with no create before it")
	}
	if _, err := header(s); err != nil {
		return 0, err
	}
	return p.body(s, ev)
}

// body parses a record (its lines so far, joined by newlines), or holds
// it for the next line when it is not complete.
func (p *txn) body(s string, ev *formats.Event) (formats.Result, error) {
	r, err := record(s, ev)
	if err == errMore {
		if strings.Count(s, "\n") >= maxRecordLines {
			return 0, formats.Errorf("a record runs over %d lines", maxRecordLines)
		}
		p.pending = s
		return formats.IsSkipped, nil
	}
	return r, err
}

// maxRecordLines bounds the lines of one record.
const maxRecordLines = 4096

// errMore says a record continues on the next line.
var errMore = errors.New("the record continues on the next line")

// A txnHead is the fields before a transaction's body.
type txnHead struct {
	t                   time.Time
	session, cxid, zxid string
	typ, body           string
}

func header(s string) (txnHead, error) {
	var h txnHead
	i := strings.Index(s, " session ")
	if i < 0 {
		return h, formats.Errorf("no session field")
	}
	t, err := time.Parse("1/2/06, 3:04:05 PM MST", s[:i])
	if err != nil {
		return h, formats.Errorf("bad time %q", s[:i])
	}
	f := strings.SplitN(s[i+1:], " ", 8) // session S cxid C zxid Z TYPE BODY
	if len(f) < 7 || f[0] != "session" || f[2] != "cxid" || f[4] != "zxid" || f[1] == "" || f[3] == "" || f[5] == "" || f[6] == "" {
		return h, formats.Errorf("want session S cxid C zxid Z TYPE")
	}
	if _, err := strconv.ParseUint(strings.TrimPrefix(f[5], "0x"), 16, 64); err != nil || !strings.HasPrefix(f[5], "0x") {
		return h, formats.Errorf("bad zxid %q", f[5])
	}
	h.t, h.session, h.cxid, h.zxid, h.typ = t, f[1], f[3], f[5], f[6]
	if len(f) == 8 {
		h.body = f[7]
	}
	return h, nil
}

// record parses a whole record, or returns errMore.
func record(s string, ev *formats.Event) (formats.Result, error) {
	first, _, _ := strings.Cut(s, "\n")
	h, err := header(first)
	if err != nil {
		return 0, err
	}
	*ev = formats.Event{System: "zookeeper", Op: h.typ, Client: h.session, ReqID: h.session + ":" + h.cxid,
		NS: h.zxid, Time: h.t.UnixNano(), Raw: []byte(s)}
	body := h.body + s[len(first):]
	switch h.typ {
	case "create", "create2", "createContainer", "createTTL":
		args, err := createBody(h.typ, body)
		if err != nil {
			return 0, err
		}
		ev.Args = args
	case "setData":
		path, rest, _ := strings.Cut(body, ",")
		i := strings.LastIndexByte(rest, ',')
		if i < 0 || !isInt(rest[i+1:]) {
			return 0, errMore
		}
		ev.Args = [][]byte{[]byte(path), []byte(rest[:i]), []byte(rest[i+1:])}
	case "delete", "deleteContainer":
		ev.Args = [][]byte{[]byte(strings.TrimPrefix(body, "'"))}
	case "setACL":
		// '/path,v{s{perms,s{'scheme,'id}},...},aversion
		i := strings.Index(body, ",v{")
		j := strings.LastIndex(body, "},")
		if i < 0 || j < i || !isInt(body[j+2:]) {
			if !strings.Contains(body, "},") {
				return 0, errMore
			}
			return 0, formats.Errorf("setACL: want 'PATH,v{ACL},VERSION")
		}
		ev.Args = [][]byte{[]byte(strings.TrimPrefix(body[:i], "'")), []byte(aclText(body[i : j+1])), []byte(body[j+2:])}
	case "error":
		ev.Args = [][]byte{[]byte(body)}
		ev.Reply = []byte(body)
	case "closeSession":
		inner := strings.TrimSuffix(strings.TrimPrefix(body, "v{"), "}")
		for _, p := range strings.Split(inner, ",") {
			if p = strings.TrimPrefix(p, "'"); p != "" {
				ev.Args = append(ev.Args, []byte(p))
			}
		}
	case "multi":
		args, err := multiBody(body)
		if err != nil {
			return 0, err
		}
		ev.Args = args
	default:
		if body != "" {
			ev.Args = [][]byte{[]byte(body)}
		}
	}
	if ev.Reply == nil {
		ev.Reply = []byte("ok")
	}
	return formats.IsEvent, nil
}

func isInt(s string) bool {
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

// createBody reads path,data,[acl\n],tail: the arguments path, data,
// mode (the ephemeral flag "true" or "false", "container", or "ttl:N"),
// the parent's child count after the create, and the ACL.
func createBody(typ, body string) ([][]byte, error) {
	path, rest, _ := strings.Cut(body, ",")
	aclStart := strings.LastIndex(rest, ",[")
	aclEnd := strings.LastIndex(rest, "\n]")
	if aclStart < 0 || aclEnd < aclStart {
		return nil, errMore
	}
	data, acl := rest[:aclStart], rest[aclStart+1:aclEnd+2]
	tail := strings.Split(strings.TrimPrefix(rest[aclEnd+2:], ","), ",")
	var mode, cv string
	switch {
	case typ == "createContainer" && len(tail) == 1:
		mode, cv = "container", tail[0]
	case typ == "createTTL" && len(tail) == 2:
		mode, cv = "ttl:"+tail[1], tail[0]
	case len(tail) == 2:
		mode, cv = tail[0], tail[1]
	default:
		return nil, formats.Errorf("%s: want ],EPHEMERAL,CVERSION after the ACL", typ)
	}
	if !isInt(cv) {
		return nil, formats.Errorf("%s: parent cversion %q is not a number", typ, cv)
	}
	return [][]byte{[]byte(path), []byte(data), []byte(mode), []byte(cv), []byte(aclText(acl))}, nil
}

var aclEntry = regexp.MustCompile(`(\d+),s\{'([^,]*),'([^}]*)\}`)

// aclText turns an ACL list as jute prints it ([31,s{'world,'anyone}] or
// v{s{31,s{'world,'anyone}}}) into PERMS:SCHEME:ID entries joined by
// commas.
func aclText(s string) string {
	var out []string
	for _, m := range aclEntry.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1]+":"+m[2]+":"+m[3])
	}
	return strings.Join(out, ",")
}

// multiBody reads a multi's sub-transactions as TxnLogToolkit prints
// them: TYPE: and the record's raw jute bytes, each decoded as UTF-8 (a
// byte that is no UTF-8 printed as U+FFFD), separated by ';'. The
// arguments are, per sub-transaction, its type and its fields: create
// (and create2) path, data, mode, parent cversion, ACL; setData path,
// data, version; delete path; check path, version; error the code ("?"
// when its bytes were printed as U+FFFD).
func multiBody(body string) ([][]byte, error) {
	r := &jute{b: juteBytes(body)}
	var args [][]byte
	for {
		typ := r.name()
		if typ == "" {
			if r.short {
				return nil, errMore
			}
			return nil, formats.Errorf("multi: want TYPE: at byte %d", r.i)
		}
		args = append(args, []byte(typ))
		switch typ {
		case "create", "create2":
			path, data, acl := r.str(), r.str(), r.acl()
			eph, cv := r.boolean(), r.int()
			args = append(args, []byte(path), []byte(data), []byte(eph), []byte(cv), []byte(acl))
		case "createContainer":
			path, data, acl, cv := r.str(), r.str(), r.acl(), r.int()
			args = append(args, []byte(path), []byte(data), []byte("container"), []byte(cv), []byte(acl))
		case "setData":
			path, data, v := r.str(), r.str(), r.int()
			args = append(args, []byte(path), []byte(data), []byte(v))
		case "delete", "deleteContainer":
			args = append(args, []byte(r.str()))
		case "check":
			path, v := r.str(), r.int()
			args = append(args, []byte(path), []byte(v))
		case "error":
			args = append(args, []byte(r.code()))
		default:
			return nil, formats.Errorf("multi: sub-transaction type %q is not read", typ)
		}
		switch {
		case r.short:
			return nil, errMore
		case r.err != nil:
			return nil, r.err
		case r.i == len(r.b):
			return args, nil
		case r.b[r.i] != ';':
			return nil, formats.Errorf("multi: want ; after the %s at byte %d", typ, r.i)
		}
		r.i++
	}
}

// unknown stands for a byte TxnLogToolkit printed as U+FFFD.
const unknown = -1

// juteBytes turns printed text back into the bytes it was printed from:
// each U+FFFD is one byte that is not known.
func juteBytes(s string) []int {
	var out []int
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "\uFFFD") {
			out = append(out, unknown)
			i += len("\uFFFD")
			continue
		}
		out = append(out, int(s[i]))
		i++
	}
	return out
}

// A jute reads jute serialization from bytes, some unknown; short says
// the bytes ended (the record continues on the next line), err that they
// cannot be read.
type jute struct {
	b     []int
	i     int
	short bool
	err   error
}

func (r *jute) take(n int) []int {
	if r.short || r.err != nil {
		return nil
	}
	if r.i+n > len(r.b) {
		r.short = true
		return nil
	}
	out := r.b[r.i : r.i+n]
	r.i += n
	return out
}

func (r *jute) int32() (int32, bool) {
	b := r.take(4)
	if b == nil {
		return 0, false
	}
	var v uint32
	for _, c := range b {
		if c == unknown {
			return 0, false
		}
		v = v<<8 | uint32(c)
	}
	return int32(v), true
}

func (r *jute) int() string {
	v, ok := r.int32()
	if !ok && r.err == nil && !r.short {
		r.err = formats.Errorf("multi: a number at byte %d was printed as U+FFFD", r.i-4)
	}
	return strconv.Itoa(int(v))
}

func (r *jute) code() string {
	at := r.i
	v, ok := r.int32()
	if !ok && !r.short && r.err == nil {
		_ = at
		return "?"
	}
	return strconv.Itoa(int(v))
}

func (r *jute) boolean() string {
	b := r.take(1)
	if b == nil {
		return ""
	}
	if b[0] == 0 {
		return "false"
	}
	return "true"
}

func (r *jute) str() string {
	at := r.i
	n, ok := r.int32()
	if !ok {
		if r.err == nil && !r.short {
			r.err = formats.Errorf("multi: a length at byte %d was printed as U+FFFD", at)
		}
		return ""
	}
	if n < 0 {
		return ""
	}
	if n > 1<<20 {
		r.err = formats.Errorf("multi: a length of %d at byte %d", n, at)
		return ""
	}
	b := r.take(int(n))
	var sb strings.Builder
	for _, c := range b {
		if c == unknown {
			sb.WriteString("\uFFFD")
		} else {
			sb.WriteByte(byte(c))
		}
	}
	return sb.String()
}

func (r *jute) acl() string {
	at := r.i
	n, ok := r.int32()
	if !ok || n < 0 || n > 1024 {
		if r.err == nil && !r.short {
			r.err = formats.Errorf("multi: an ACL count at byte %d is not readable", at)
		}
		return ""
	}
	var out []string
	for k := 0; k < int(n); k++ {
		perms := r.int()
		scheme, id := r.str(), r.str()
		out = append(out, perms+":"+scheme+":"+id)
	}
	return strings.Join(out, ",")
}

// name reads a sub-transaction's TYPE: (letters, then ':'), or returns ""
// (short set when the bytes ended inside it).
func (r *jute) name() string {
	j := r.i
	for j < len(r.b) && (r.b[j] >= 'a' && r.b[j] <= 'z' || r.b[j] >= 'A' && r.b[j] <= 'Z' || r.b[j] >= '0' && r.b[j] <= '9') {
		j++
	}
	if j == len(r.b) {
		r.short = true
		return ""
	}
	if j == r.i || r.b[j] != ':' {
		return ""
	}
	var sb strings.Builder
	for _, c := range r.b[r.i:j] {
		sb.WriteByte(byte(c))
	}
	r.i = j + 1
	return sb.String()
}
