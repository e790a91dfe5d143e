// Package zookeeper reads ZooKeeper's logs: the audit log (3.6+, with
// audit.enable=true) and the text TxnLogToolkit prints of a transaction
// log.
//
// Audit events: Op is the operation (create, delete, setData, ...), Args
// the znode and, for creates, the znode type; Client the session; Reply
// the result (success, failure, invoked). The log4j prefix before the
// message may be any pattern: the message is the TAB-separated key=value
// fields after it.
//
// Transaction events: Op is the transaction type (create, setData,
// delete, error, createSession, closeSession, ...), Args its fields
// (create: path, data, ephemeral, parent cversion; setData: path, data,
// version; delete: path; error: the error code; closeSession: the
// ephemeral paths), Client the session, ReqID "session:cxid" and NS the
// zxid. A create's ACL list spans two lines: the event is at the second,
// the first is counted as skipped.
package zookeeper

import (
	"strings"
	"time"

	"github.com/wat-project/wat/formats"
)

// AuditFormat is the ZooKeeper audit log.
var AuditFormat = &formats.Format{
	Name:      "zookeeper-audit",
	System:    "zookeeper",
	Doc:       "ZooKeeper audit log (audit.enable=true, 3.6+)",
	URL:       "https://zookeeper.apache.org/doc/r3.8.0/zookeeperAuditLogs.html",
	Sniff:     sniffWith(func() formats.Parser { return &audit{} }),
	NewParser: func() formats.Parser { return &audit{} },
	Samples: []string{
		"2026-11-24 21:21:15,125 INFO audit.Slf4jAuditLogger: session=0x100010c6fa10000\tuser=127.0.0.1\tip=127.0.0.1\toperation=create\tznode=/app\tznode_type=persistent\tresult=success",
		"2026-11-24 21:21:15,140 ERROR audit.Slf4jAuditLogger: session=0x100010c6fa10000\tuser=127.0.0.1\tip=127.0.0.1\toperation=setData\tznode=/app/config\tresult=failure",
		"2026-11-24 21:21:14,829 INFO audit.Slf4jAuditLogger: user=root\toperation=serverStart\tresult=success",
	},
}

// TxnFormat is the text TxnLogToolkit prints of a transaction log.
var TxnFormat = &formats.Format{
	Name:      "zookeeper-txnlog",
	System:    "zookeeper",
	Doc:       "ZooKeeper transaction log as TxnLogToolkit prints it",
	URL:       "https://zookeeper.apache.org/doc/r3.8.0/zookeeperTools.html",
	Sniff:     sniffWith(func() formats.Parser { return &txn{} }),
	NewParser: func() formats.Parser { return &txn{} },
	Samples: []string{
		"ZooKeeper Transactional Log File with dbid 0 txnlog format version 2",
		"11/24/26, 9:21:15 PM UTC session 0x100010c6fa10000 cxid 0x3 zxid 0x4 setData /app/config,max_conn=300,1",
		"11/24/26, 9:21:15 PM UTC session 0x100010c6fa10000 cxid 0x5 zxid 0x5 error -110",
		"11/24/26, 9:21:15 PM UTC session 0x100010c6fa10000 cxid 0xb zxid 0xb delete '/app/old",
	},
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
	pending string // a create whose ACL list continues on the next line
}

const txnHeader = "ZooKeeper Transactional Log File"

func (p *txn) Parse(line []byte, ev *formats.Event) (formats.Result, error) {
	s := strings.TrimRight(string(line), "\r")
	if first, second, ok := strings.Cut(s, "\n"); ok { // a stored two-line record
		return formats.ParseJoined(&txn{}, line, first, second, ev)
	}
	switch {
	case strings.TrimSpace(s) == "", strings.HasPrefix(s, txnHeader), strings.HasPrefix(s, "EOF reached after"):
		return formats.IsSkipped, nil
	case strings.HasPrefix(s, "]"):
		if p.pending == "" {
			return 0, formats.Errorf("an ACL continuation with no create before it")
		}
		joined := p.pending + "\n" + s
		p.pending = ""
		return record(joined, ev)
	}
	// An ACL list opened and not closed on this line: wait for the rest.
	if i := strings.Index(s, ",["); i >= 0 && !strings.Contains(s[i:], "]") {
		if _, err := header(s); err != nil {
			return 0, err
		}
		p.pending = s
		return formats.IsSkipped, nil
	}
	return record(s, ev)
}

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
	h.t, h.session, h.cxid, h.zxid, h.typ = t, f[1], f[3], f[5], f[6]
	if len(f) == 8 {
		h.body = f[7]
	}
	return h, nil
}

func record(s string, ev *formats.Event) (formats.Result, error) {
	first, _, _ := strings.Cut(s, "\n")
	h, err := header(first)
	if err != nil {
		return 0, err
	}
	*ev = formats.Event{System: "zookeeper", Op: h.typ, Client: h.session, ReqID: h.session + ":" + h.cxid,
		NS: "", Time: h.t.UnixNano(), Raw: []byte(s)}
	body := strings.ReplaceAll(h.body+strings.TrimPrefix(s, first), "\n", "")
	switch h.typ {
	case "create", "create2", "createContainer", "createTTL":
		// path,data,[acl],ephemeral,parentCVersion; data may hold commas.
		path, rest, _ := strings.Cut(body, ",")
		aclStart := strings.LastIndex(rest, ",[")
		aclEnd := strings.LastIndex(rest, "]")
		if aclStart < 0 || aclEnd < aclStart {
			return 0, formats.Errorf("create without an ACL list")
		}
		data := rest[:aclStart]
		tail := strings.Split(strings.TrimPrefix(rest[aclEnd+1:], ","), ",")
		ev.Args = [][]byte{[]byte(path), []byte(data)}
		for _, t := range tail {
			ev.Args = append(ev.Args, []byte(t))
		}
	case "setData":
		path, rest, _ := strings.Cut(body, ",")
		i := strings.LastIndexByte(rest, ',')
		if i < 0 {
			return 0, formats.Errorf("setData without a version")
		}
		ev.Args = [][]byte{[]byte(path), []byte(rest[:i]), []byte(rest[i+1:])}
	case "delete", "deleteContainer":
		ev.Args = [][]byte{[]byte(strings.TrimPrefix(body, "'"))}
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
