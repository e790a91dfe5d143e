package jsonlines

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
)

// TestStdoutTrace reads spans as the Go SDK's stdouttrace exporter wrote
// them (the sample is a real line of testdata/services/goslog -otel stdout).
func TestStdoutTrace(t *testing.T) {
	line := StdoutTraceFormat.Samples[0]
	if StdoutTraceFormat.Sniff([][]byte{[]byte(line)}) <= Format.Sniff([][]byte{[]byte(line)}) {
		t.Error("a stdouttrace span sniffs as plain JSON lines")
	}
	p := StdoutTraceFormat.NewParser()
	ev, res, err := parse(t, p, line)
	if err != nil || res != formats.IsEvent {
		t.Fatalf("%v %v", res, err)
	}
	if ev.System != "redis" || ev.Op != "GET" || len(ev.Args) != 1 || string(ev.Args[0]) != "user:1" || ev.NS != "0" ||
		ev.ReqID != "74e2f1316affc49c" || ev.Parent != "0bf19f7747c06370" || ev.Trace != "4eb43d6319b6af8b9d0ad66d0376312e" ||
		ev.Service != "goslog" || ev.Time != 1796135482044501095 || !ev.ClientRecord || ev.Doubt != formats.DoubtJoined || string(ev.Raw) != line {
		t.Errorf("span: %+v", ev)
	}
	// A root span names no parent; a span no rule maps says what it is.
	root := strings.Replace(line, `"Parent":{"TraceID":"4eb43d6319b6af8b9d0ad66d0376312e","SpanID":"0bf19f7747c06370"`, `"Parent":{"TraceID":"00000000000000000000000000000000","SpanID":"0000000000000000"`, 1)
	if ev, _, err := parse(t, p, root); err != nil || ev.Parent != "" {
		t.Errorf("root span: parent %q, %v", ev.Parent, err)
	}
	dial := strings.Replace(strings.Replace(line, `{"Key":"db.statement","Value":{"Type":"STRING","Value":"get user:1"}}`, `{"Key":"db.connection_string","Value":{"Type":"STRING","Value":"redis://127.0.0.1:26399"}}`, 1), `"Name":"get"`, `"Name":"redis.dial"`, 1)
	if _, res, err := parse(t, p, dial); res != formats.IsUnmapped || !errors.Is(err, ErrUnmapped) || !strings.Contains(err.Error(), `span "redis.dial" (kind 3)`) {
		t.Errorf("redis.dial: %v %v", res, err)
	}
	if _, _, err := parse(t, p, `{"Name":"x"}`); err == nil {
		t.Error("a line with no span context parses")
	}
}

// TestSemconvCurrent reads spans of the current semantic conventions
// (db.system.name, db.query.text, db.namespace, http.request.method,
// url.path), as otelhttp 0.72 writes its server spans.
func TestSemconvCurrent(t *testing.T) {
	line := `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},"scopeSpans":[{"spans":[` +
		`{"traceId":"t1","spanId":"s2","parentSpanId":"s1","name":"INCRBY","kind":3,"startTimeUnixNano":"1795535140001000000","attributes":[{"key":"db.system.name","value":{"stringValue":"redis"}},{"key":"db.query.text","value":{"stringValue":"INCRBY n 5"}},{"key":"db.namespace","value":{"stringValue":"2"}}]},` +
		`{"traceId":"t1","spanId":"s1","name":"GET","kind":2,"startTimeUnixNano":"1795535140000000000","attributes":[{"key":"http.request.method","value":{"stringValue":"GET"}},{"key":"url.path","value":{"stringValue":"/n"}},{"key":"url.query","value":{"stringValue":"by=5"}},{"key":"http.response.status_code","value":{"intValue":"200"}}]}]}]}]}`
	p := OTLPFormat.NewParser().(formats.MultiParser)
	var evs []formats.Event
	if _, err := p.ParseMulti([]byte(line), func(e *formats.Event) { evs = append(evs, *e) }); err != nil || len(evs) != 2 {
		t.Fatalf("%v: %d events", err, len(evs))
	}
	db, srv := evs[0], evs[1]
	if db.System != "redis" || db.Op != "INCRBY" || len(db.Args) != 2 || db.NS != "2" || db.Parent != "s1" {
		t.Errorf("database span: %+v", db)
	}
	if srv.System != "api" || srv.Op != "GET" || len(srv.Args) != 1 || string(srv.Args[0]) != "/n?by=5" || string(srv.Reply) != "200" {
		t.Errorf("server span: %+v %q", srv, srv.Args)
	}
}

// TestOTelMapping: --mapping applies to OpenTelemetry input, its rules
// tried before the shipped otel ones.
func TestOTelMapping(t *testing.T) {
	user := []byte(`{"rules": [{"name": "cache spans", "match": {"attributes.[cache.op]": "*"}, "system": "cache",
	  "fields": {"op": ["attributes", "cache.op"], "id": "spanId"}, "args_from": [["attributes", "cache.key"]]}]}`)
	for _, f := range []*formats.Format{OTLPFormat, StdoutTraceFormat} {
		p, err := f.Parser(user, "x")
		if err != nil {
			t.Fatal(err)
		}
		var line string
		if f == OTLPFormat {
			line = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"s9","kind":1,"attributes":[{"key":"cache.op","value":{"stringValue":"get"}},{"key":"cache.key","value":{"stringValue":"k"}}]}]}]}]}`
		} else {
			line = `{"Name":"c","SpanContext":{"TraceID":"t","SpanID":"s9"},"SpanKind":1,"StartTime":"2026-12-01T10:00:00Z","Attributes":[{"Key":"cache.op","Value":{"Type":"STRING","Value":"get"}},{"Key":"cache.key","Value":{"Type":"STRING","Value":"k"}}]}`
		}
		ev, res, err := parse(t, p, line)
		if err != nil || res != formats.IsEvent || ev.System != "cache" || ev.Op != "GET" || len(ev.Args) != 1 || ev.ReqID != "s9" {
			t.Errorf("%s: %v %v %+v", f.Name, res, err, ev)
		}
		// The shipped rules still apply after the user's.
		if ev, _, err := parse(t, p, StdoutTraceFormat.Samples[0]); f == StdoutTraceFormat && (err != nil || ev.Op != "GET") {
			t.Errorf("%s: the shipped rules: %v %+v", f.Name, err, ev)
		}
	}
	if _, err := OTLPFormat.Parser([]byte(`{"rules": [{}]}`), "x"); err == nil {
		t.Error("a broken mapping is accepted for OTLP input")
	}
}

// TestArgDoubts: arguments joined by spaces, or that may be base64 of
// the bytes sent, are marked so the specs can say so.
func TestArgDoubts(t *testing.T) {
	m, err := ParseMapping([]byte(`{"rules": [{"match": {"cmd": "*"}, "system": "redis", "base64_args": true, "fields": {"op": "cmd", "args": "args"}},
	  {"match": {"stmt": "*"}, "system": "redis", "joined_args": true, "fields": {"command": "stmt"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	p := NewParser(m)
	for _, c := range []struct{ line, doubt string }{
		{`{"cmd":"set","args":["user:1","YWxpY2U=","ex",3600]}`, formats.DoubtBase64},
		{`{"cmd":"set","args":["user:1","alice","ex",3600]}`, ""},
		{`{"cmd":"lpush","args":["jobs","reindex:1"]}`, ""}, // "jobs" is base64, but not of text
		{`{"stmt":"set user:1 alice smith"}`, formats.DoubtJoined},
	} {
		ev, _, err := parse(t, p, c.line)
		if err != nil || ev.Doubt != c.doubt {
			t.Errorf("%s: doubt %q, want %q (%v)", c.line, ev.Doubt, c.doubt, err)
		}
	}
	// Arguments given as one string are split at spaces, in doubt; a Redis
	// call that names no database is in the default one.
	if ev, _, err := parse(t, NewParser(nil), `{"system":"redis","op":"SET","args":"k"}`); err != nil || ev.Doubt != formats.DoubtJoined || ev.NS != "0" {
		t.Errorf("args as a string: %+v %v", ev, err)
	}
	// An argument logged as an object or array: in doubt, unless the rule
	// flattens it as ioredis sends it.
	if ev, _, err := parse(t, NewParser(nil), `{"system":"redis","op":"HSET","args":["users",{"1":"alice","2":"bob"}]}`); err != nil || ev.Doubt != formats.DoubtStructured {
		t.Errorf("an object argument: %+v %v", ev, err)
	}
	flat, err := ParseMapping([]byte(`{"rules": [{"match": {"cmd": "*"}, "system": "redis", "flatten_args": true, "node_buffers": true, "fields": {"op": "cmd", "args": "args"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ev, _, err := parse(t, NewParser(flat), `{"cmd":"hset","args":["users",{"1":"alice","2":{"type":"Buffer","data":[98]}},["x",2]]}`)
	if got := fmt.Sprintf("%q", ev.Args); err != nil || ev.Doubt != "" || got != `["users" "1" "alice" "2" "b" "x" "2"]` {
		t.Errorf("flattened: %s %q %v", got, ev.Doubt, err)
	}
	if ev, _, _ := parse(t, p, `{"stmt":"set k \"a b\""}`); len(ev.Args) != 3 || string(ev.Args[1]) != `"a` {
		t.Errorf("a joined statement is split at spaces, quotes and all: %q", ev.Args)
	}
}
