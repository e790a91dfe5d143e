package jsonlines

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wat-project/wat/formats"
)

// OTLPFormat reads OpenTelemetry traces as the collector's file exporter
// writes them: one OTLP JSON export per line ({"resourceSpans": [...]}),
// each holding many spans. Every span becomes a flat JSON record, its own
// event, read with the shipped "otel" mapping (after a --mapping's rules,
// when one is given): database client spans (db.system, db.statement)
// are requests to that black box, server spans requests to the service
// itself, HTTP client spans requests to peer.service; span and parent
// span ids link them.
//
// A flat record holds the span's fields, its attributes as a plain object,
// and the resource's attributes ("service.name" at the top); it is the
// event's raw text, and parses again on its own. Attributes of the
// current semantic conventions are also given their older names
// (semconvAliases), so one mapping reads spans of either.
var OTLPFormat = otelFormat("otlp-json", "OpenTelemetry traces from the collector's file exporter (OTLP JSON, one export per line)",
	"https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding", sniffOTLP, newOTLPParser,
	`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},"scopeSpans":[{"scope":{"name":"redis"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":"eee19b7ec3c1b173","name":"SET","kind":3,"startTimeUnixNano":"1795535140000000000","endTimeUnixNano":"1795535140000100000","attributes":[{"key":"db.system","value":{"stringValue":"redis"}},{"key":"db.statement","value":{"stringValue":"SET user:42 alice"}}]},{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b173","name":"PUT /users/42","kind":2,"startTimeUnixNano":"1795535139999000000","attributes":[{"key":"http.method","value":{"stringValue":"PUT"}},{"key":"http.target","value":{"stringValue":"/users/42"}}]}]}]}]}`)

// StdoutTraceFormat reads OpenTelemetry spans as the Go SDK's stdouttrace
// exporter writes them: one JSON object per span and line, its fields
// named as the SDK's SpanStub ("Name", "SpanContext", "Parent",
// "Attributes" as a list of {"Key", "Value": {"Type", "Value"}}). Each
// span is flattened as OTLP JSON's are, and read with the same mapping.
var StdoutTraceFormat = otelFormat("otel-stdouttrace", "OpenTelemetry spans from the Go SDK's stdouttrace exporter (one span per line)",
	"https://pkg.go.dev/go.opentelemetry.io/otel/exporters/stdout/stdouttrace", sniffStdoutTrace, newStdoutTraceParser,
	`{"Name":"get","SpanContext":{"TraceID":"4eb43d6319b6af8b9d0ad66d0376312e","SpanID":"74e2f1316affc49c","TraceFlags":"01","TraceState":"","Remote":false},"Parent":{"TraceID":"4eb43d6319b6af8b9d0ad66d0376312e","SpanID":"0bf19f7747c06370","TraceFlags":"01","TraceState":"","Remote":false},"SpanKind":3,"StartTime":"2026-12-01T14:31:22.044501095Z","EndTime":"2026-12-01T14:31:22.044580511Z","Attributes":[{"Key":"server.address","Value":{"Type":"STRING","Value":"127.0.0.1"}},{"Key":"server.port","Value":{"Type":"INT64","Value":26399}},{"Key":"db.system","Value":{"Type":"STRING","Value":"redis"}},{"Key":"db.statement","Value":{"Type":"STRING","Value":"get user:1"}}],"Events":null,"Links":null,"Status":{"Code":"Unset","Description":""},"DroppedAttributes":0,"DroppedEvents":0,"DroppedLinks":0,"ChildSpanCount":0,"Resource":[{"Key":"service.name","Value":{"Type":"STRING","Value":"goslog"}}],"InstrumentationScope":{"Name":"github.com/redis/go-redis/extra/redisotel","Version":"semver:9.23.0","SchemaURL":"","Attributes":null},"InstrumentationLibrary":{"Name":"github.com/redis/go-redis/extra/redisotel","Version":"semver:9.23.0","SchemaURL":"","Attributes":null}}`)

// otelFormat is a format of OpenTelemetry spans, read by the parser
// newParser makes with the shipped otel mapping after a --mapping's
// rules.
func otelFormat[P formats.Parser](name, doc, url string, sniff func([][]byte) int, newParser func(*Mapping) P, sample string) *formats.Format {
	return &formats.Format{
		Name: name, Doc: doc, URL: url, Sniff: sniff, Samples: []string{sample},
		NewParser: func() formats.Parser { return newParser(nil) },
		NewConfigured: func(config []byte) (formats.Parser, error) {
			m, err := otelMapping(config)
			if err != nil {
				return nil, err
			}
			return newParser(m), nil
		},
	}
}

// otelMapping is the shipped otel mapping after a user's rules (config),
// when there are any.
func otelMapping(config []byte) (*Mapping, error) {
	b, _ := ShippedMapping("otel")
	m, err := ParseMapping(b)
	if err != nil {
		panic("jsonlines: the shipped otel mapping does not parse: " + err.Error())
	}
	if len(config) == 0 {
		return m, nil
	}
	user, err := ParseMapping(config)
	if err != nil {
		return nil, err
	}
	user.Merge(m)
	return user, nil
}

// semconvAliases gives attributes of OpenTelemetry's current semantic
// conventions the older names the otel mapping reads (current, older),
// when a span carries only the current one.
var semconvAliases = [][2]string{
	{"db.system.name", "db.system"},
	{"db.query.text", "db.statement"},
	{"db.operation.name", "db.operation"},
	{"db.namespace", "db.name"},
	{"http.request.method", "http.method"},
	{"url.full", "http.url"},
	{"http.response.status_code", "http.status_code"},
}

// flatAttrs completes a span's attributes with the older names of
// current ones (semconvAliases), and http.target from url.path and
// url.query.
func flatAttrs(a map[string]any) map[string]any {
	for _, al := range semconvAliases {
		if v, ok := a[al[0]]; ok {
			if _, old := a[al[1]]; !old {
				a[al[1]] = v
			}
		}
	}
	if ns, ok := a["db.namespace"]; ok && a["db.system"] == "redis" {
		if _, old := a["db.redis.database_index"]; !old {
			a["db.redis.database_index"] = ns // Redis's database number
		}
	}
	if p, ok := a["url.path"].(string); ok {
		if _, old := a["http.target"]; !old {
			if q, ok := a["url.query"].(string); ok && q != "" {
				p += "?" + q
			}
			a["http.target"] = p
		}
	}
	return a
}

func sniffOTLP(lines [][]byte) int {
	good, seen := formats.CountLines(lines, func(l []byte) bool {
		l = bytes.TrimSpace(l)
		return bytes.HasPrefix(l, []byte(`{"resourceSpans"`)) || bytes.HasPrefix(l, []byte(`{"service.name"`))
	})
	if good > 0 && 2*good > seen {
		return 95
	}
	return 0
}

type otlpParser struct {
	flat    formats.Parser
	dropped int64 // spans no rule maps, on lines that held mapped ones
}

// Dropped reports how many spans were not events, and why.
func (p *otlpParser) Dropped() (int64, string) {
	return p.dropped, "spans the otel mapping does not map (internal spans, HTTP client spans without peer.service)"
}

// newOTLPParser reads OTLP JSON with m (nil: the shipped otel mapping).
func newOTLPParser(m *Mapping) *otlpParser {
	if m == nil {
		m, _ = otelMapping(nil)
	}
	return &otlpParser{flat: NewParser(m)}
}

// The OTLP JSON shapes wat reads.
type otlpExport struct {
	ResourceSpans []struct {
		Resource struct {
			Attributes []otlpKV `json:"attributes"`
		} `json:"resource"`
		ScopeSpans []struct {
			Spans []map[string]json.RawMessage `json:"spans"`
		} `json:"scopeSpans"`
	} `json:"resourceSpans"`
}

type otlpKV struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

// anyValue turns an OTLP AnyValue into a plain JSON value.
func anyValue(raw json.RawMessage) any {
	var v struct {
		String *string                             `json:"stringValue"`
		Int    *json.Number                        `json:"intValue"`
		Double *float64                            `json:"doubleValue"`
		Bool   *bool                               `json:"boolValue"`
		Array  *struct{ Values []json.RawMessage } `json:"arrayValue"`
		KV     *struct{ Values []otlpKV }          `json:"kvlistValue"`
		Bytes  *string                             `json:"bytesValue"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil
	}
	switch {
	case v.String != nil:
		return *v.String
	case v.Int != nil:
		return *v.Int
	case v.Double != nil:
		return *v.Double
	case v.Bool != nil:
		return *v.Bool
	case v.Bytes != nil:
		return *v.Bytes
	case v.Array != nil:
		out := []any{}
		for _, x := range v.Array.Values {
			out = append(out, anyValue(x))
		}
		return out
	case v.KV != nil:
		return attrs(v.KV.Values)
	}
	return nil
}

func attrs(kvs []otlpKV) map[string]any {
	m := map[string]any{}
	for _, kv := range kvs {
		m[kv.Key] = anyValue(kv.Value)
	}
	return m
}

// Parse reads a flat span record (a stored event's raw text), or an
// export line that holds exactly one span.
func (p *otlpParser) Parse(line []byte, ev *formats.Event) (formats.Result, error) {
	if !bytes.Contains(line[:min(len(line), 64)], []byte(`"resourceSpans"`)) {
		return p.flat.Parse(line, ev)
	}
	var evs []formats.Event
	res, err := p.ParseMulti(line, func(e *formats.Event) { evs = append(evs, *e) })
	switch {
	case err != nil || len(evs) == 0:
		return res, err
	case len(evs) > 1:
		return 0, formats.Errorf("the export holds %d spans", len(evs))
	}
	*ev = evs[0]
	return formats.IsEvent, nil
}

// ParseMulti emits an event for each span of an export line that the
// otel mapping maps; other spans are skipped. A line none of whose spans
// maps is unmapped.
func (p *otlpParser) ParseMulti(line []byte, emit func(*formats.Event)) (formats.Result, error) {
	l := bytes.TrimSpace(line)
	if len(l) == 0 {
		return formats.IsSkipped, nil
	}
	if !bytes.HasPrefix(l, []byte("{")) || !bytes.Contains(l[:min(len(l), 64)], []byte(`"resourceSpans"`)) {
		var ev formats.Event
		res, err := p.flat.Parse(line, &ev)
		if err == nil && res == formats.IsEvent {
			emit(&ev)
		}
		return res, err
	}
	var x otlpExport
	dec := json.NewDecoder(bytes.NewReader(l))
	dec.UseNumber()
	if err := dec.Decode(&x); err != nil {
		return 0, formats.Errorf("not an OTLP JSON export: %v", err)
	}
	spans, mapped := 0, 0
	var lastErr error
	for _, rs := range x.ResourceSpans {
		res := attrs(rs.Resource.Attributes)
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				spans++
				flat := map[string]any{"resource": res}
				if name, ok := res["service.name"]; ok {
					flat["service.name"] = name
				}
				for k, v := range sp {
					if k == "attributes" {
						var kvs []otlpKV
						if err := json.Unmarshal(v, &kvs); err != nil {
							return 0, formats.Errorf("span %d: attributes: %v", spans, err)
						}
						flat["attributes"] = flatAttrs(attrs(kvs))
						continue
					}
					flat[k] = v
				}
				raw, err := json.Marshal(flat)
				if err != nil {
					return 0, formats.Errorf("span %d: %v", spans, err)
				}
				var ev formats.Event
				r, err := p.flat.Parse(raw, &ev)
				if err != nil || r != formats.IsEvent {
					lastErr = err
					continue
				}
				mapped++
				emit(&ev)
			}
		}
	}
	if mapped > 0 {
		p.dropped += int64(spans - mapped)
	}
	if mapped == 0 {
		if lastErr == nil {
			lastErr = fmt.Errorf("%w: no spans", ErrUnmapped)
		}
		return formats.IsUnmapped, fmt.Errorf("%d spans, none a request wat knows: %w", spans, lastErr)
	}
	return formats.IsEvent, nil
}

func sniffStdoutTrace(lines [][]byte) int {
	good, seen := formats.CountLines(lines, func(l []byte) bool {
		l = bytes.TrimSpace(l)
		return bytes.HasPrefix(l, []byte(`{"Name":`)) && bytes.Contains(l, []byte(`"SpanContext":`))
	})
	if good > 0 && 2*good > seen {
		return 95
	}
	return 0
}

// stdoutTraceParser reads stdouttrace's spans, one per line: each is
// flattened (see OTLPFormat) and read with the mapping; the event's raw
// text is the line as written.
type stdoutTraceParser struct{ flat formats.Parser }

func newStdoutTraceParser(m *Mapping) *stdoutTraceParser {
	if m == nil {
		m, _ = otelMapping(nil)
	}
	return &stdoutTraceParser{flat: NewParser(m)}
}

// The SpanStub fields of stdouttrace's JSON that the flat record keeps.
type stdoutSpan struct {
	Name        string
	SpanContext struct{ TraceID, SpanID string }
	Parent      struct{ TraceID, SpanID string }
	SpanKind    int
	StartTime   time.Time
	EndTime     time.Time
	Attributes  []stdoutKV
	Status      struct{ Code, Description string }
	Resource    []stdoutKV
	// InstrumentationScope names the library that made the span.
	InstrumentationScope struct{ Name, Version string }
}

type stdoutKV struct {
	Key   string
	Value struct {
		Type  string
		Value any
	}
}

func stdoutAttrs(kvs []stdoutKV) map[string]any {
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value.Value
	}
	return m
}

// statusCodes are OTLP's numbers of stdouttrace's status names.
var statusCodes = map[string]int{"Unset": 0, "Ok": 1, "Error": 2}

func (p *stdoutTraceParser) Parse(line []byte, ev *formats.Event) (formats.Result, error) {
	l := bytes.TrimSpace(line)
	if len(l) == 0 {
		return formats.IsSkipped, nil
	}
	var sp stdoutSpan
	dec := json.NewDecoder(bytes.NewReader(l))
	dec.UseNumber()
	if err := dec.Decode(&sp); err != nil {
		return 0, formats.Errorf("not a stdouttrace span: %v", err)
	}
	if sp.SpanContext.SpanID == "" {
		return 0, formats.Errorf("not a stdouttrace span: no SpanContext.SpanID")
	}
	res := stdoutAttrs(sp.Resource)
	flat := map[string]any{
		"resource": res, "name": sp.Name, "kind": sp.SpanKind,
		"traceId": sp.SpanContext.TraceID, "spanId": sp.SpanContext.SpanID,
		"startTimeUnixNano": strconv.FormatInt(sp.StartTime.UnixNano(), 10),
		"endTimeUnixNano":   strconv.FormatInt(sp.EndTime.UnixNano(), 10),
		"attributes":        flatAttrs(stdoutAttrs(sp.Attributes)),
		"status":            map[string]any{"code": statusCodes[sp.Status.Code], "message": sp.Status.Description},
		"scope":             map[string]any{"name": sp.InstrumentationScope.Name, "version": sp.InstrumentationScope.Version},
	}
	if strings.Trim(sp.Parent.SpanID, "0") != "" {
		flat["parentSpanId"] = sp.Parent.SpanID
	}
	if name, ok := res["service.name"]; ok {
		flat["service.name"] = name
	}
	raw, err := json.Marshal(flat)
	if err != nil {
		return 0, formats.Errorf("%v", err)
	}
	r, err := p.flat.Parse(raw, ev)
	switch {
	case err == nil && r == formats.IsEvent:
		ev.Raw = append([]byte(nil), line...)
	case r == formats.IsUnmapped:
		err = fmt.Errorf("%w: span %q (kind %d) is not a request the mapping maps (a client span names db.statement, or http.method and peer.service; a server span is kind 2)", ErrUnmapped, sp.Name, sp.SpanKind)
	}
	return r, err
}

// RuleCounts implements formats.RuleCounter: the spans each rule mapped.
func (p *otlpParser) RuleCounts() []formats.RuleCount {
	return p.flat.(formats.RuleCounter).RuleCounts()
}

// RuleCounts implements formats.RuleCounter: the spans each rule mapped.
func (p *stdoutTraceParser) RuleCounts() []formats.RuleCount {
	return p.flat.(formats.RuleCounter).RuleCounts()
}
