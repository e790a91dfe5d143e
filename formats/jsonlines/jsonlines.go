// Package jsonlines reads JSON-lines application logs: one JSON object per
// line, such as an API server logging each HTTP request and each call it
// makes to Redis or S3.
//
// A line becomes a request event to a black box (system "redis", "s3", ...)
// through a Mapping: rules matching lines by field values and naming the
// paths of the op, arguments, reply and ids. A line no rule maps is read
// with the canonical vocabulary (ts/time/timestamp/@timestamp, service,
// system, op/cmd, args, reply, id/request_id, parent_id, trace_id, ...).
// A line that then names no system and op is unmapped: counted, with a
// reason, not stored as an event. A line that is not a JSON object is
// rejected.
package jsonlines

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/buger/jsonparser"

	"github.com/wat-project/wat/formats"
)

// Format is the JSON-lines format with no mapping but the canonical
// vocabulary.
var Format = &formats.Format{
	Name:          "json-lines",
	Doc:           "JSON-lines application logs: requests to black boxes, by the canonical vocabulary or a --mapping",
	URL:           "https://jsonlines.org/",
	Sniff:         sniff,
	NewParser:     func() formats.Parser { return NewParser(nil) },
	NewConfigured: newConfigured,
	Configure:     configure,
	Samples: []string{
		`{"ts":"2026-11-24T15:49:28.905Z","service":"api","system":"redis","op":"SET","args":["user:42:name","alice"],"reply":"OK","id":"r1","parent_id":"h1"}`,
		`{"time":1795535140.5,"system":"redis","cmd":"get","args":["k"],"reply":null}`,
		`{"@timestamp":"2026-11-24T15:49:28Z","system":"redis","op":"INCRBY","args":["n",5],"reply":5}`,
	},
}

// autoMappings are the shipped mappings tried on a file ingested with
// none: the logs real libraries write.
var autoMappings = []string{"pino", "zap", "slog", "structlog", "pylogging"}

// configure chooses, for a file ingested with no mapping, the shipped
// mapping whose rules map the most of its first lines, when it maps more
// of them than the canonical vocabulary alone does.
func configure(head [][]byte) ([]byte, string) {
	count := func(p formats.Parser) int {
		n := 0
		for _, l := range head {
			var ev formats.Event
			if res, err := p.Parse(l, &ev); err == nil && res == formats.IsEvent {
				n++
			}
		}
		return n
	}
	best, bestName, most := []byte(nil), "", count(NewParser(nil))
	for _, name := range autoMappings {
		b, _ := ShippedMapping(name)
		m, err := ParseMapping(b)
		if err != nil {
			continue // a shipped mapping is tested to parse
		}
		if n := count(NewParser(m)); n > most {
			best, bestName, most = b, name, n
		}
	}
	return best, bestName
}

func newConfigured(config []byte) (formats.Parser, error) {
	if len(config) == 0 {
		return NewParser(nil), nil
	}
	m, err := ParseMapping(config)
	if err != nil {
		return nil, err
	}
	return NewParser(m), nil
}

// sniff returns 80 when most non-blank first lines are JSON objects.
func sniff(lines [][]byte) int {
	good, seen := formats.CountLines(lines, func(l []byte) bool {
		l = bytes.TrimSpace(l)
		if l[0] != '{' || l[len(l)-1] != '}' {
			return false
		}
		_, _, _, err := jsonparser.Get(l)
		return err == nil
	})
	if good > 0 && 2*good > seen {
		return 80
	}
	return 0
}

type parser struct {
	m *Mapping
	// counts are the events each rule made, the canonical vocabulary's
	// last (see RuleCounts).
	counts []int64
}

// RuleCounts implements formats.RuleCounter: the events each rule of
// the mapping made, in the mapping's order, then those the canonical
// vocabulary read; rules that made none are left out. None without a
// mapping.
func (p *parser) RuleCounts() []formats.RuleCount {
	if p.m == nil {
		return nil
	}
	var out []formats.RuleCount
	for i, n := range p.counts {
		if n == 0 {
			continue
		}
		name := "the canonical vocabulary"
		if i < len(p.m.Rules) {
			name = p.m.Rules[i].Name
			if name == "" {
				name = fmt.Sprintf("rule %d", i+1)
			}
		}
		out = append(out, formats.RuleCount{Rule: name, Events: n})
	}
	return out
}

// NewParser returns a parser applying m's rules (nil: none) before the
// canonical vocabulary.
func NewParser(m *Mapping) formats.Parser { return &parser{m: m} }

// ErrUnmapped is the reason given for a JSON object no rule maps.
var ErrUnmapped = errors.New("unmapped")

func (p *parser) Parse(line []byte, ev *formats.Event) (formats.Result, error) {
	l := bytes.TrimSpace(bytes.TrimSuffix(line, []byte("\r")))
	if len(l) == 0 {
		return formats.IsSkipped, nil
	}
	if l[0] != '{' {
		return 0, formats.Errorf("not a JSON object")
	}
	// Validate the whole object once: jsonparser.Get alone stops at the
	// first value it finds.
	if err := validate(l); err != nil {
		return 0, formats.Errorf("invalid JSON: %v", err)
	}
	*ev = formats.Event{Raw: append([]byte(nil), line...)}
	var rule *Rule
	ruleIndex := -1 // the canonical vocabulary
	if p.m != nil {
		for i := range p.m.Rules {
			if p.m.Rules[i].matches(l) {
				rule, ruleIndex = &p.m.Rules[i], i
				break
			}
		}
	}
	res, err := p.parse(l, line, ev, rule)
	if res == formats.IsEvent && err == nil && p.m != nil {
		if p.counts == nil {
			p.counts = make([]int64, len(p.m.Rules)+1)
		}
		if ruleIndex < 0 {
			ruleIndex = len(p.m.Rules)
		}
		p.counts[ruleIndex]++
	}
	return res, err
}

// parse reads the trimmed line l (line as given) with rule (nil: the
// canonical vocabulary alone).
func (p *parser) parse(l, line []byte, ev *formats.Event, rule *Rule) (formats.Result, error) {
	get := func(field string) ([]byte, jsonparser.ValueType) {
		if rule != nil {
			if path := rule.Fields[field]; path != nil {
				v, t, _, err := jsonparser.Get(l, *path...)
				if err != nil {
					return nil, jsonparser.NotExist
				}
				return v, t
			}
			if field == "system" && rule.System != "" {
				return []byte(rule.System), jsonparser.String
			}
			if d, ok := rule.Defaults[field]; ok && rule.Fields[field] == nil {
				return []byte(d), jsonparser.String
			}
			if field == "op" || field == "args" || field == "reply" {
				return nil, jsonparser.NotExist // a rule names these or they are absent
			}
		}
		for _, path := range Canonical[field] {
			if rule != nil && rule.uses(path) {
				continue // the rule reads it as another field (a request id as the parent)
			}
			if v, t, _, err := jsonparser.Get(l, path...); err == nil && t != jsonparser.Null {
				return v, t
			} else if err == nil && field == "reply" {
				return v, t
			}
		}
		return nil, jsonparser.NotExist
	}
	str := func(field string) (string, error) {
		v, t := get(field)
		switch t {
		case jsonparser.NotExist, jsonparser.Null:
			return "", nil
		case jsonparser.String:
			s, err := jsonparser.ParseString(v)
			if err != nil {
				return "", formats.Errorf("%s: %v", field, err)
			}
			return s, nil
		case jsonparser.Number, jsonparser.Boolean:
			return string(v), nil
		}
		return "", formats.Errorf("%s: want a string or number, found %s", field, t)
	}
	var err error
	if ev.System, err = str("system"); err != nil {
		return 0, err
	}
	if ev.Op, err = str("op"); err != nil {
		return 0, err
	}
	var cmdArgs [][]byte
	if rule != nil && rule.Fields["command"] != nil {
		c, err := str("command")
		if err != nil {
			return 0, err
		}
		words := splitCommand(c)
		if rule.JoinedArgs {
			words = strings.Fields(c)
		}
		if len(words) > 0 {
			if ev.Op == "" {
				ev.Op = words[0]
			}
			cmdArgs = [][]byte{}
			for _, w := range words[1:] {
				cmdArgs = append(cmdArgs, []byte(w))
			}
		}
	}
	if ev.Op == "" && rule != nil {
		ev.Op = rule.Defaults["op"]
	}
	if ev.System == "" || ev.Op == "" {
		what := "no system"
		if ev.System != "" {
			what = "no op"
		}
		return formats.IsUnmapped, fmt.Errorf("%w: %s (give a --mapping rule for lines like this)", ErrUnmapped, what)
	}
	ev.System = strings.ToLower(ev.System)
	ev.ClientRecord = rule != nil && rule.Role == "client"
	ev.ReplyRecord = rule != nil && rule.Role == "reply"
	ev.Op = strings.ToUpper(ev.Op)
	for _, f := range []struct {
		name string
		dst  *string
	}{{"service", &ev.Service}, {"ns", &ev.NS}, {"client", &ev.Client}, {"id", &ev.ReqID}, {"parent", &ev.Parent}, {"trace", &ev.Trace}, {"instance", &ev.Instance}} {
		if *f.dst, err = str(f.name); err != nil {
			return 0, err
		}
		if *f.dst == "" && rule != nil {
			*f.dst = rule.Defaults[f.name]
		}
	}
	if rule == nil && ev.NS == "" {
		ev.NS = canonicalNS[ev.System]
	}
	if rule == nil && ev.Parent == "" && ev.ReqID != "" && ev.Service != "" && !strings.EqualFold(ev.System, ev.Service) && requestScoped(l) {
		// A call to another black box that carries the id of the request
		// it was made in (request_id, req_id): that is its parent, not
		// its own id (which every call of the request would share).
		ev.Parent, ev.ReqID = ev.ReqID, ""
	}
	if v, t := get("time"); t != jsonparser.NotExist && t != jsonparser.Null {
		if ev.Time, err = parseTime(v, t); err != nil {
			return 0, err
		}
	}
	if cmdArgs != nil {
		ev.Args = cmdArgs
		if rule.JoinedArgs {
			ev.Doubt = formats.DoubtJoined
		}
	} else if rule != nil && len(rule.ArgsFrom) > 0 {
		missing := make([]bool, len(rule.ArgsFrom))
		for i, path := range rule.ArgsFrom {
			v, t, _, err := jsonparser.Get(l, path...)
			switch {
			case err != nil || t == jsonparser.Null:
				missing[i] = true
				ev.Args = append(ev.Args, []byte{})
			case t == jsonparser.String:
				s, err := jsonparser.ParseString(v)
				if err != nil {
					return 0, formats.Errorf("%s: %v", path, err)
				}
				ev.Args = append(ev.Args, []byte(s))
			default:
				ev.Args = append(ev.Args, append([]byte(nil), v...))
			}
		}
		// Missing values at the end add nothing: drop them.
		for len(ev.Args) > 0 && len(ev.Args[len(ev.Args)-1]) == 0 && missing[len(ev.Args)-1] {
			ev.Args = ev.Args[:len(ev.Args)-1]
		}
	} else if v, t := get("args"); t != jsonparser.NotExist && t != jsonparser.Null {
		var structured bool
		if ev.Args, structured, ev.DoubtArgs, err = parseArgs(v, t, rule); err != nil {
			return 0, err
		}
		switch {
		case t == jsonparser.String:
			ev.Doubt = formats.DoubtJoined // one text: split at spaces
		case structured:
			ev.Doubt = formats.DoubtStructured
		}
	}
	if rule != nil && rule.ArgsLeadOp && len(ev.Args) > 0 && strings.EqualFold(string(ev.Args[0]), ev.Op) {
		ev.Args = ev.Args[1:]
		var kept []int
		for _, i := range ev.DoubtArgs {
			if i > 0 {
				kept = append(kept, i-1)
			}
		}
		ev.DoubtArgs = kept
	}
	if len(ev.DoubtArgs) > 0 {
		ev.Doubt = formats.DoubtBase64
	}
	if rule != nil && rule.PythonBytes {
		for i, a := range ev.Args {
			if b, ok := pyBytes(string(a)); ok {
				ev.Args[i] = b
			}
		}
	}
	if rule != nil && rule.NodeBuffers {
		for i, a := range ev.Args {
			if b, ok := nodeBuffer(a); ok {
				ev.Args[i] = b
			}
		}
	}
	if v, t := get("reply"); t != jsonparser.NotExist {
		if rule != nil && rule.PythonBytes {
			v = pyBytesValue(v, t)
		}
		if ev.Reply, err = replyBytes(v, t); err != nil {
			return 0, err
		}
	}
	if rule != nil && rule.Fields["error"] != nil {
		msg, err := str("error")
		if err != nil {
			return 0, err
		}
		switch {
		case msg == "":
		case slices.Contains(rule.NilErrors, msg):
			ev.Reply = []byte("nil")
		default:
			ev.Reply = []byte("-" + strings.ReplaceAll(msg, "\r\n", " ") + "\r\n") // an error reply
		}
	}
	return formats.IsEvent, nil
}

// validate checks that l is one well-formed JSON object and nothing else.
func validate(l []byte) error {
	end := 0
	err := jsonparser.ObjectEach(l, func(_, _ []byte, _ jsonparser.ValueType, off int) error {
		end = off
		return nil
	})
	if err != nil {
		return err
	}
	rest := bytes.TrimSpace(l[end:])
	if !bytes.Equal(rest, []byte("}")) {
		return fmt.Errorf("unexpected %q after the object", truncate(rest))
	}
	return nil
}

func truncate(b []byte) string {
	if len(b) > 20 {
		return string(b[:20]) + "..."
	}
	return string(b)
}

// requestScoped tells whether a line's id is one of the canonical names
// of a request's id (request_id, req_id, requestId) rather than a record's
// own (id, span_id).
func requestScoped(l []byte) bool {
	for _, path := range Canonical["id"] {
		if _, _, _, err := jsonparser.Get(l, path...); err == nil {
			switch path[0] {
			case "request_id", "req_id", "requestId":
				return true
			}
			return false // the first canonical name present is the one read
		}
	}
	return false
}

// uses tells whether one of the rule's fields reads path.
func (r *Rule) uses(path Path) bool {
	for _, p := range r.Fields {
		if slices.Equal(*p, path) {
			return true
		}
	}
	return false
}

func (r *Rule) matches(l []byte) bool {
	for _, m := range r.match {
		v, t, _, err := jsonparser.Get(l, m.path...)
		if err != nil {
			return false
		}
		if m.want == nil {
			continue
		}
		if t == jsonparser.String {
			s, err := jsonparser.ParseString(v)
			if err != nil || s != string(m.want) {
				return false
			}
		} else if !bytes.Equal(v, m.want) {
			return false
		}
	}
	return true
}

// parseTime reads RFC 3339 text or a Unix time in seconds, milliseconds,
// microseconds or nanoseconds (told apart by magnitude).
func parseTime(v []byte, t jsonparser.ValueType) (int64, error) {
	switch t {
	case jsonparser.String:
		s, err := jsonparser.ParseString(v)
		if err != nil {
			return 0, formats.Errorf("time: %v", err)
		}
		if tm, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return tm.UnixNano(), nil
		}
		if tm, err := time.Parse("2006-01-02 15:04:05.999999999Z07:00", s); err == nil {
			return tm.UnixNano(), nil
		}
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return parseTime([]byte(s), jsonparser.Number)
		}
		return 0, formats.Errorf("time %q: not RFC 3339 or a Unix time", s)
	case jsonparser.Number:
		if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			switch {
			case n < 1e11:
				return n * 1e9, nil
			case n < 1e14:
				return n * 1e6, nil
			case n < 1e17:
				return n * 1e3, nil
			}
			return n, nil
		}
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil || math.IsInf(f, 0) || f < 0 {
			return 0, formats.Errorf("time %s: not a Unix time", v)
		}
		switch {
		case f < 1e11:
			// Seconds with a fraction: keep the digits exactly.
			sec, frac, _ := strings.Cut(string(v), ".")
			n, _ := strconv.ParseInt(sec, 10, 64)
			frac = (frac + "000000000")[:9]
			ns, _ := strconv.ParseInt(strings.TrimRight(frac, "eE+-"), 10, 64)
			if strings.ContainsAny(string(v), "eE") {
				return int64(f * 1e9), nil
			}
			return n*1e9 + ns, nil
		case f < 1e14:
			return int64(f * 1e6), nil
		case f < 1e17:
			return int64(f * 1e3), nil
		}
		return int64(f), nil
	}
	return 0, formats.Errorf("time: want a string or number, found %s", t)
}

// pyBytes reads Python's repr of a bytes value (b'al\xc3\xa9', b"it's"),
// as a JSON renderer that falls back to repr writes bytes.
func pyBytes(s string) ([]byte, bool) {
	if len(s) < 3 || s[0] != 'b' || (s[1] != '\'' && s[1] != '"') || s[len(s)-1] != s[1] {
		return nil, false
	}
	// Its escapes are Go's (\\, \', \n, \xhh...), and every other
	// character is printable ASCII.
	body, quote := s[2:len(s)-1], s[1]
	out := make([]byte, 0, len(body))
	for len(body) > 0 {
		v, multibyte, tail, err := strconv.UnquoteChar(body, quote)
		if err != nil || multibyte || v > 0xff {
			return nil, false
		}
		out, body = append(out, byte(v)), tail
	}
	return out, true
}

// nodeBuffer reads a Node.js Buffer as JSON.stringify writes it
// ({"type":"Buffer","data":[97,108]}).
func nodeBuffer(v []byte) ([]byte, bool) {
	var b struct {
		Type string `json:"type"`
		Data []int  `json:"data"`
	}
	if len(v) == 0 || v[0] != '{' || json.Unmarshal(v, &b) != nil || b.Type != "Buffer" {
		return nil, false
	}
	out := make([]byte, len(b.Data))
	for i, d := range b.Data {
		if d < 0 || d > 255 {
			return nil, false
		}
		out[i] = byte(d)
	}
	return out, true
}

// pyBytesValue is a reply value with the Python bytes reprs in it (a
// string, or an array's strings) read as the bytes they stand for.
func pyBytesValue(v []byte, t jsonparser.ValueType) []byte {
	switch t {
	case jsonparser.String:
		s, err := jsonparser.ParseString(v)
		if b, ok := pyBytes(s); err == nil && ok {
			q, _ := json.Marshal(string(b))
			return q[1 : len(q)-1]
		}
	case jsonparser.Array:
		var items []any
		if json.Unmarshal(v, &items) != nil {
			return v
		}
		for i, it := range items {
			if s, ok := it.(string); ok {
				if b, ok := pyBytes(s); ok {
					items[i] = string(b)
				}
			}
		}
		if out, err := json.Marshal(items); err == nil {
			return out
		}
	}
	return v
}

// parseArgs reads an array of arguments (strings as their bytes, numbers
// and booleans as their text, Node.js Buffers as their bytes and, with
// r's flatten_args, arrays as their elements and objects as their keys
// and values; other objects and arrays as their JSON, which leaves the
// call structured), or one string holding a whole command line split at
// spaces. With r's base64_args, b64 are the indexes of the arguments written as
// JSON strings that are base64 of text (numbers, written as such, are
// not strings).
func parseArgs(v []byte, t jsonparser.ValueType, r *Rule) (args [][]byte, structured bool, b64 []int, err error) {
	switch t {
	case jsonparser.String:
		s, err := jsonparser.ParseString(v)
		if err != nil {
			return nil, false, nil, formats.Errorf("args: %v", err)
		}
		var out [][]byte
		for _, f := range strings.Fields(s) {
			out = append(out, []byte(f))
		}
		return out, false, nil, nil
	case jsonparser.Array:
	default:
		return nil, false, nil, formats.Errorf("args: want an array, found %s", t)
	}
	var out [][]byte
	var perr error
	var add func(a []byte, at jsonparser.ValueType, top bool)
	add = func(a []byte, at jsonparser.ValueType, top bool) {
		switch {
		case at == jsonparser.String:
			s, err := jsonparser.ParseString(a)
			if err != nil && perr == nil {
				perr = formats.Errorf("args: %v", err)
			}
			if _, text := formats.Base64Text([]byte(s)); text && top && r != nil && r.Base64Args {
				b64 = append(b64, len(out))
			}
			out = append(out, []byte(s))
		case at == jsonparser.Null:
			out = append(out, []byte{})
		case at != jsonparser.Object && at != jsonparser.Array:
			out = append(out, append([]byte(nil), a...))
		case r != nil && r.NodeBuffers && isNodeBuffer(a):
			b, _ := nodeBuffer(a)
			out = append(out, b)
		case top && r != nil && r.FlattenArgs && at == jsonparser.Array:
			jsonparser.ArrayEach(a, func(x []byte, xt jsonparser.ValueType, _ int, _ error) { add(x, xt, false) })
		case top && r != nil && r.FlattenArgs && at == jsonparser.Object:
			jsonparser.ObjectEach(a, func(k, x []byte, xt jsonparser.ValueType, _ int) error {
				add(k, jsonparser.String, false)
				add(x, xt, false)
				return nil
			})
		default:
			// What the library sent for it is not in the log.
			out, structured = append(out, append([]byte(nil), a...)), true
		}
	}
	_, err = jsonparser.ArrayEach(v, func(a []byte, at jsonparser.ValueType, _ int, _ error) { add(a, at, true) })
	if err != nil {
		return nil, false, nil, formats.Errorf("args: %v", err)
	}
	return out, structured, b64, perr
}

// isNodeBuffer tells whether a JSON value is a Node.js Buffer as
// JSON.stringify writes it.
func isNodeBuffer(a []byte) bool {
	_, ok := nodeBuffer(a)
	return ok
}

// replyBytes renders a logged reply as the text the specs' ParseOutput
// reads: a string's bytes, a number's text, "nil" for null, JSON for the
// rest.
func replyBytes(v []byte, t jsonparser.ValueType) ([]byte, error) {
	switch t {
	case jsonparser.String:
		s, err := jsonparser.ParseString(v)
		if err != nil {
			return nil, formats.Errorf("reply: %v", err)
		}
		return []byte(strconv.Quote(s)), nil
	case jsonparser.Null:
		return []byte("nil"), nil
	}
	return append([]byte(nil), v...), nil
}

// splitCommand splits a command line into words at spaces; double quotes
// group words, and a backslash in quotes escapes the next character.
func splitCommand(s string) []string {
	var out []string
	var cur strings.Builder
	in, quoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case c == '"':
			quoted, in = !quoted, true
		case !quoted && (c == ' ' || c == '\t'):
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}
