package zookeeper_test

import (
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	zkformat "github.com/wat-project/wat/formats/zookeeper"
	"github.com/wat-project/wat/provenance/provenancetest"
	"github.com/wat-project/wat/specs/zookeeper"
)

var (
	paths    = []string{"/a", "/a/b", "/a/c", "/a/b/d", "/a/s-0000000000", "/a/s-0000000001"}
	sessions = []string{"0x1", "0x2"}
	acls     = []string{"31:world:anyone", "31:world:anyone", "31:digest:" + zookeeper.DigestID("alice:pw"), "1:world:anyone",
		"4:world:anyone,31:digest:" + zookeeper.DigestID("alice:pw")}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.Intn(len(xs))] }

// txnCreate draws a transaction log's create: its child count after it
// sometimes makes the name read as sequential.
func txnCreate(r *rand.Rand) []string {
	return []string{pick(r, paths), pick(r, []string{"x", "y"}), pick(r, []string{"false", "false", "true"}),
		fmt.Sprint(1 + r.Intn(3)), pick(r, acls)}
}

// subOp draws one request of a multi, as the transaction log or a
// client logs it.
func subOp(r *rand.Rand, client bool) []string {
	p := pick(r, paths)
	v := fmt.Sprint(r.Intn(3) - 1)
	switch r.Intn(4) {
	case 0:
		if client {
			return []string{"create", p, "m", pick(r, acls), pick(r, []string{"persistent", "ephemeral", "persistent_sequential"})}
		}
		return append([]string{"create"}, txnCreate(r)...)
	case 1:
		return []string{"setData", p, "m", v}
	case 2:
		if client {
			return []string{"delete", p, v}
		}
		return []string{"delete", p}
	}
	return []string{"check", p, v}
}

func bytesOf(ss []string) [][]byte {
	var out [][]byte
	for _, s := range ss {
		out = append(out, []byte(s))
	}
	return out
}

// randomEvent draws a transaction log record or a client's auth (the
// history), or a request to explain: a client's call (placed by the zxid
// its reply carries) or a transaction log record.
func randomEvent(r *rand.Rand, id int, target bool) *formats.Event {
	e := &formats.Event{ID: int64(id), Line: id, Source: "gen", System: "zookeeper", Client: pick(r, sessions),
		NS: fmt.Sprintf("0x%x", id)}
	p := pick(r, paths)
	v := fmt.Sprint(r.Intn(3) - 1)
	if target && r.Intn(3) > 0 {
		e.Reply = []byte("{}")
		switch r.Intn(11) {
		case 0, 1:
			e.Op, e.Args = "GETDATA", bytesOf([]string{p})
		case 2:
			e.Op, e.Args = "EXISTS", bytesOf([]string{p})
		case 3:
			e.Op, e.Args = pick(r, []string{"GETCHILDREN", "GETCHILDREN2", "GETACL"}), bytesOf([]string{pick(r, []string{"/", "/a", "/a/b"})})
		case 4:
			e.Op, e.Args = "CREATE", bytesOf([]string{pick(r, append(paths, "/a/s-")), "n",
				pick(r, append(acls, "31:auth:")), pick(r, []string{"persistent", "ephemeral", "persistent_sequential", "ephemeral_sequential"})})
		case 5:
			e.Op, e.Args = "SETDATA", bytesOf([]string{p, "n", v})
		case 6:
			e.Op, e.Args = "DELETE", bytesOf([]string{p, v})
		case 7:
			e.Op, e.Args = "SETACL", bytesOf([]string{p, pick(r, acls), v})
		case 8, 9:
			e.Op = "MULTI"
			for range 1 + r.Intn(3) {
				e.Args = append(e.Args, bytesOf(subOp(r, true))...)
			}
		default:
			e.Op, e.Args = "CHECK", bytesOf([]string{p, v})
		}
		if e.Op == "GETDATA" || e.Op == "EXISTS" || e.Op == "GETCHILDREN" || e.Op == "GETCHILDREN2" || e.Op == "GETACL" {
			e.NS = fmt.Sprintf("0x%x", id-1) // a read sees every change before it
		}
		return e
	}
	e.Reply = []byte("ok")
	switch r.Intn(12) {
	case 0, 1, 2:
		e.Op, e.Args = "create", bytesOf(txnCreate(r))
	case 3, 4:
		e.Op, e.Args = "setData", bytesOf([]string{p, pick(r, []string{"x", "y"}), "1"})
	case 5:
		e.Op, e.Args = "delete", bytesOf([]string{p})
	case 6:
		e.Op, e.Args = "setACL", bytesOf([]string{p, pick(r, acls), "1"})
	case 7:
		e.Op = "closeSession"
		for _, q := range paths {
			if r.Intn(2) == 0 {
				e.Args = append(e.Args, []byte(q))
			}
		}
	case 8, 9:
		e.Op = "multi"
		for range 1 + r.Intn(3) {
			e.Args = append(e.Args, bytesOf(subOp(r, false))...)
		}
	default:
		if target {
			e.Op, e.Args = "create", bytesOf(txnCreate(r))
			break
		}
		// A client's digest auth: placed after the last change it saw.
		e.Op, e.Args, e.NS = "ADDAUTH", bytesOf([]string{"digest", pick(r, []string{"alice:pw", "bob:pw"})}), fmt.Sprintf("0x%x", id-1)
		e.Reply = []byte("{}")
	}
	return e
}

// consistentTrace draws a trace as a real transaction log holds it: every
// change in it replays as done (a drawn change that would fail is drawn
// again), then a request to explain.
func consistentTrace(r *rand.Rand, maxLen int) ([]*formats.Event, *formats.Event) {
	m := zookeeper.Model{}
	st := m.Init()
	n := r.Intn(maxLen)
	var trace []*formats.Event
	for i := 1; i <= n; i++ {
		var e *formats.Event
		for try := 0; try < 20; try++ {
			e = randomEvent(r, i, false)
			o := string(m.Apply(m.Clone(st), e))
			done := !strings.Contains(o, `"error"`)
			if e.Op == "create" {
				done = o == `{"path":`+strconv.Quote(string(e.Args[0]))+`}`
			}
			if e.Op == "ADDAUTH" || done {
				break
			}
			e = nil
		}
		if e == nil {
			break
		}
		m.Apply(st, e)
		trace = append(trace, e)
	}
	return trace, randomEvent(r, len(trace)+1, true)
}

// TestSpecEqualsBruteForce: for thousands of random small traces the
// spec's witnesses are exactly the definition's.
func TestSpecEqualsBruteForce(t *testing.T) {
	provenancetest.Check(t, zookeeper.Spec, provenancetest.Options{Seeds: 6000, Trace: func(r *rand.Rand) ([]*formats.Event, *formats.Event) {
		return consistentTrace(r, 10)
	}})
}

// TestGolden explains the last request of the logs of each archive in
// testdata/explain/*.txtar (a transaction log, then an audit log or a
// client log) and compares the answer with the archive's want file (go
// test -update rewrites them).
func TestGolden(t *testing.T) {
	provenancetest.Golden(t, zookeeper.Spec, "testdata/explain",
		map[string]*formats.Format{"txnlog": zkformat.TxnFormat, "audit": zkformat.AuditFormat}, provenancetest.Options{})
}
