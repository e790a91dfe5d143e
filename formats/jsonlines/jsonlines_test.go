package jsonlines

import (
	"errors"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
)

func parse(t *testing.T, p formats.Parser, line string) (formats.Event, formats.Result, error) {
	t.Helper()
	var ev formats.Event
	res, err := p.Parse([]byte(line), &ev)
	return ev, res, err
}

func TestSamples(t *testing.T) {
	var lines [][]byte
	for _, s := range Format.Samples {
		lines = append(lines, []byte(s))
		if _, res, err := parse(t, Format.NewParser(), s); err != nil || res != formats.IsEvent {
			t.Errorf("sample %s: %v %v", s, res, err)
		}
	}
	if Format.Sniff(lines) == 0 {
		t.Error("samples do not sniff")
	}
	if Format.Sniff([][]byte{[]byte(`1795535140.000001 [0 127.0.0.1:5000] "SET" "k" "v"`)}) != 0 {
		t.Error("a MONITOR line sniffs as JSON")
	}
}

func TestCanonical(t *testing.T) {
	p := Format.NewParser()
	ev, res, err := parse(t, p, `{"ts":"2026-11-24T15:49:28.905123456Z","service":"api","system":"Redis","op":"set",`+
		`"args":["user:42","{\"display\": \"Zoë \u2603\"}",17,true,null,{"a":[1,2]}],"reply":"OK","id":"r1","parent_id":"h1","trace_id":"t9","db":3,"client":"10.0.0.1:5000"}`)
	if err != nil || res != formats.IsEvent {
		t.Fatal(res, err)
	}
	want := []string{"user:42", `{"display": "Zoë ☃"}`, "17", "true", "", `{"a":[1,2]}`}
	if len(ev.Args) != len(want) {
		t.Fatalf("args = %q", ev.Args)
	}
	for i, w := range want {
		if string(ev.Args[i]) != w {
			t.Errorf("arg %d = %q, want %q", i, ev.Args[i], w)
		}
	}
	if ev.System != "redis" || ev.Op != "SET" || ev.Service != "api" || ev.ReqID != "r1" || ev.Parent != "h1" ||
		ev.Trace != "t9" || ev.NS != "3" || ev.Client != "10.0.0.1:5000" || string(ev.Reply) != `"OK"` || ev.Time != 1795535368905123456 {
		t.Errorf("event = %+v", ev)
	}
	// Null reply, numeric times of every magnitude, big integers kept exact.
	for line, wantTime := range map[string]int64{
		`{"time":1795535140,"system":"redis","cmd":"GET","args":["k"],"reply":null}`:             1795535140000000000,
		`{"time":1795535140.123456,"system":"redis","cmd":"GET","args":["k"]}`:                   1795535140123456000,
		`{"time":1795535140123,"system":"redis","cmd":"GET","args":["k"]}`:                       1795535140123000000,
		`{"time":1795535140123456,"system":"redis","cmd":"GET","args":["k"]}`:                    1795535140123456000,
		`{"time":1795535140123456789,"system":"redis","cmd":"GET","args":["k"]}`:                 1795535140123456789,
		`{"@timestamp":"2026-11-24 15:49:28.5+01:00","system":"redis","cmd":"GET","args":["k"]}`: 1795531768500000000,
	} {
		ev, _, err := parse(t, p, line)
		if err != nil || ev.Time != wantTime {
			t.Errorf("%s: time %d, want %d (%v)", line, ev.Time, wantTime, err)
		}
	}
	ev, _, _ = parse(t, p, `{"system":"redis","op":"INCRBY","args":["n",9007199254740993],"reply":null}`)
	if string(ev.Args[1]) != "9007199254740993" || string(ev.Reply) != "nil" {
		t.Errorf("big int / null reply: %q %q", ev.Args, ev.Reply)
	}
	// A very long line.
	long := `{"system":"redis","op":"SET","args":["k","` + strings.Repeat("x", 1<<20) + `"]}`
	if ev, _, err := parse(t, p, long); err != nil || len(ev.Args[1]) != 1<<20 {
		t.Errorf("long line: %v", err)
	}
}

func TestRejectedAndUnmapped(t *testing.T) {
	p := Format.NewParser()
	for line, want := range map[string]string{
		`not json at all`:                             "not a JSON object",
		`{"system":"redis","op":"GET"`:                "invalid JSON",
		`{"system":"redis","op":"GET"} trailing`:      "invalid JSON",
		`{"system":"redis","op":"GET","args":"a b"}x`: "invalid JSON",
		`{"system":"redis","op":["GET"]}`:             "op: want a string or number",
		`{"system":"redis","op":"GET","args":{}}`:     "args: want an array",
		`{"system":"redis","op":"GET","ts":"noon"}`:   `time "noon"`,
	} {
		_, _, err := parse(t, p, line)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", line, err, want)
		}
	}
	_, res, err := parse(t, p, `{"level":"info","msg":"server started"}`)
	if res != formats.IsUnmapped || !errors.Is(err, ErrUnmapped) || !strings.Contains(err.Error(), "no system") {
		t.Errorf("unmapped: %v %v", res, err)
	}
	if _, res, _ := parse(t, p, "  "); res != formats.IsSkipped {
		t.Errorf("blank line: %v", res)
	}
}

func TestShippedCallsMapping(t *testing.T) {
	b, ok := ShippedMapping("calls")
	if !ok {
		t.Fatal("no calls mapping")
	}
	m, err := ParseMapping(b)
	if err != nil {
		t.Fatal(err)
	}
	p := NewParser(m)
	ev, res, err := parse(t, p, `{"ts":"2026-11-24T15:49:28.905Z","service":"api","kind":"redis.call","id":"c7","parent_id":"h3","cmd":"GET","args":["profile:u42"],"reply":"{\"name\":\"alice\"}"}`)
	if err != nil || res != formats.IsEvent || ev.System != "redis" || ev.Op != "GET" || string(ev.Args[0]) != "profile:u42" ||
		ev.Parent != "h3" || string(ev.Reply) != `"{\"name\":\"alice\"}"` {
		t.Errorf("redis call: %+v %v", ev, err)
	}
	ev, _, err = parse(t, p, `{"ts":"2026-11-24T15:49:29Z","service":"api","kind":"s3.call","id":"c8","op":"PutObject","bucket":"avatars","key":"u42.png","size":1234,"status":200}`)
	if err != nil || ev.System != "s3" || ev.Op != "PUTOBJECT" || ev.NS != "avatars" || len(ev.Args) != 3 || string(ev.Args[0]) != "u42.png" || string(ev.Args[1]) != "" || string(ev.Args[2]) != "1234" {
		t.Errorf("s3 call: %+v %v", ev, err)
	}
	// The service's own HTTP requests are requests to it, with their ids.
	ev, res, err = parse(t, p, `{"ts":"2026-11-24T15:49:28Z","service":"api","kind":"http.request","id":"h3","parent_id":"lb9","method":"get","path":"/users/u42"}`)
	if err != nil || res != formats.IsEvent || ev.System != "api" || ev.Op != "GET" || string(ev.Args[0]) != "/users/u42" || ev.ReqID != "h3" || ev.Parent != "lb9" {
		t.Errorf("http.request: %+v %v %v", ev, res, err)
	}
	ev, _, err = parse(t, p, `{"ts":"2026-11-24T15:49:28Z","service":"api","kind":"http.response","id":"h3","status":200,"body":{"name":"alice"}}`)
	if err != nil || ev.System != "api" || ev.Op != "RESPONSE" || string(ev.Args[0]) != "200" || string(ev.Reply) != `{"name":"alice"}` {
		t.Errorf("http.response: %+v %v", ev, err)
	}
	// Other lines match no rule and name no system: unmapped.
	if _, res, _ := parse(t, p, `{"ts":"2026-11-24T15:49:28Z","service":"api","level":"info","msg":"listening on :8080"}`); res != formats.IsUnmapped {
		t.Errorf("log message: %v", res)
	}
}

func TestMappingErrors(t *testing.T) {
	for in, want := range map[string]string{
		`{"rules":[{"match":{"k":"v"},"fields":{"op":"cmd"}}]}`:                  "neither system nor fields.system",
		`{"rules":[{"system":"redis"}]}`:                                         "no fields.op",
		`{"rules":[{"system":"redis","fields":{"op":"cmd","colour":"c"}}]}`:      `unknown field "colour"`,
		`{"rules":[{"system":"redis","fields":{"op":"cmd"},"match":{"k":[1]}}]}`: "want a string, number or boolean",
		`{"rulez":[]}`: "unknown field",
		`{"rules":[{"system":"redis","fields":{"op":"cmd","args":"a"},"args_from":["b"]}]}`: "both fields.args and args_from",
	} {
		if _, err := ParseMapping([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", in, err, want)
		}
	}
	// Rules apply in order; match on numbers, booleans, existence, nesting
	// and keys with dots.
	m, err := ParseMapping([]byte(`{"rules":[
		{"name":"a","match":{"attrs.n":2,"ok":true,"x":"*"},"system":"one","fields":{"op":["attrs","db.op"]}},
		{"name":"b","match":{"list.1":"y"},"fields":{"system":"sys","op":"o"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	p := NewParser(m)
	if ev, _, err := parse(t, p, `{"attrs":{"n":2,"db.op":"get"},"ok":true,"x":null}`); err != nil || ev.System != "one" || ev.Op != "GET" {
		t.Errorf("rule a: %+v %v", ev, err)
	}
	if ev, _, err := parse(t, p, `{"attrs":{"n":3},"list":["x","y"],"sys":"S3","o":"put"}`); err != nil || ev.System != "s3" || ev.Op != "PUT" {
		t.Errorf("rule b: %+v %v", ev, err)
	}
}

func TestOTLP(t *testing.T) {
	p := OTLPFormat.NewParser().(formats.MultiParser)
	var evs []formats.Event
	res, err := p.ParseMulti([]byte(OTLPFormat.Samples[0]), func(e *formats.Event) { evs = append(evs, *e) })
	if err != nil || res != formats.IsEvent || len(evs) != 2 {
		t.Fatalf("ParseMulti: %v %v, %d events", res, err, len(evs))
	}
	set, put := evs[0], evs[1]
	if set.System != "redis" || set.Op != "SET" || len(set.Args) != 2 || string(set.Args[1]) != "alice" ||
		set.ReqID != "eee19b7ec3c1b174" || set.Parent != "eee19b7ec3c1b173" || set.Service != "api" || set.Time != 1795535140000000000 {
		t.Errorf("db span: %+v", set)
	}
	if put.System != "api" || put.Op != "PUT" || string(put.Args[0]) != "/users/42" || put.ReqID != "eee19b7ec3c1b173" {
		t.Errorf("server span: %+v %q", put, put.Args)
	}
	// Each event's raw text parses again into the same event.
	for _, e := range evs {
		var again formats.Event
		if r, err := p.Parse(e.Raw, &again); err != nil || r != formats.IsEvent || again.Op != e.Op || again.ReqID != e.ReqID ||
			len(again.Args) != len(e.Args) || again.Time != e.Time {
			t.Errorf("raw %s does not parse again: %+v %v", e.Raw, again, err)
		}
	}
	if OTLPFormat.Sniff([][]byte{[]byte(OTLPFormat.Samples[0])}) <= Format.Sniff([][]byte{[]byte(OTLPFormat.Samples[0])}) {
		t.Error("an OTLP export sniffs as plain JSON lines")
	}
	if _, err := p.ParseMulti([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"x","kind":1}]}]}]}`), func(*formats.Event) {}); err == nil {
		t.Error("an export with no mapped span is not unmapped")
	}
	if got := splitCommand(`SET "a b" c\ d "x\"y"`); strings.Join(got, "|") != `SET|a b|c\|d|x"y` {
		t.Errorf("splitCommand = %q", got)
	}
}

// TestPythonBytes: a rule with python_bytes reads Python's repr of bytes
// (as structlog's JSON renderer writes redis-py's values) in arguments
// and replies, and leaves other strings as they are.
func TestPythonBytes(t *testing.T) {
	m, err := ParseMapping([]byte(`{"rules": [{"match": {"command": "*"}, "system": "redis", "python_bytes": true,
		"fields": {"op": "command", "args": "args", "reply": "reply"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	p := NewParser(m)
	var ev formats.Event
	line := `{"command": "SET", "args": ["k", "b'al\\xc3\\xa9 \\'q\\' \"x\"'", "b\"it's\"", "bare", "b'unclosed"], "reply": ["b'jobs'", "plain", 3]}`
	if _, err := p.Parse([]byte(line), &ev); err != nil {
		t.Fatal(err)
	}
	want := []string{"k", "alé 'q' \"x\"", "it's", "bare", "b'unclosed"}
	if len(ev.Args) != len(want) {
		t.Fatalf("args %q", ev.Args)
	}
	for i, w := range want {
		if string(ev.Args[i]) != w {
			t.Errorf("arg %d = %q, want %q", i, ev.Args[i], w)
		}
	}
	if string(ev.Reply) != `["jobs","plain",3]` {
		t.Errorf("reply = %s", ev.Reply)
	}
}

// TestNodeBuffers: a rule with node_buffers reads an argument pino wrote
// as JSON.stringify writes a Buffer as its bytes.
func TestNodeBuffers(t *testing.T) {
	m, err := ParseMapping([]byte(`{"rules": [{"match": {"cmd": "*"}, "system": "redis", "node_buffers": true,
		"fields": {"op": "cmd", "args": "args"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var ev formats.Event
	if _, err := NewParser(m).Parse([]byte(`{"cmd":"set","args":["k",{"type":"Buffer","data":[97,0,255]},{"type":"Other"}]}`), &ev); err != nil {
		t.Fatal(err)
	}
	if len(ev.Args) != 3 || string(ev.Args[1]) != "a\x00\xff" || string(ev.Args[2]) != `{"type":"Other"}` {
		t.Errorf("args = %q", ev.Args)
	}
}

// TestRequestIDIsParent: with no mapping, a call to another black box
// that carries its request's id (request_id) has that id as its parent,
// not as its own id (every call of the request would share it); the
// service's own request record keeps it as its id, and an "id" field is
// a record's own.
func TestRequestIDIsParent(t *testing.T) {
	p := NewParser(nil)
	for _, c := range []struct {
		line, id, parent string
	}{
		{`{"service":"api","system":"redis","op":"GET","args":["k"],"request_id":"r1"}`, "", "r1"},
		{`{"service":"api","system":"api","op":"GET","args":["/users/1"],"request_id":"r1"}`, "r1", ""},
		{`{"service":"api","system":"redis","op":"GET","args":["k"],"id":"c7","parent_id":"r1"}`, "c7", "r1"},
		{`{"service":"api","system":"redis","op":"GET","args":["k"],"id":"c7","request_id":"r1"}`, "c7", ""},
	} {
		var ev formats.Event
		if _, err := p.Parse([]byte(c.line), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.ReqID != c.id || ev.Parent != c.parent {
			t.Errorf("%s: id %q parent %q, want %q %q", c.line, ev.ReqID, ev.Parent, c.id, c.parent)
		}
	}
}
