package jsonlines

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/wat-project/wat/formats"
)

// OTLPFormat reads OpenTelemetry traces as the collector's file exporter
// writes them: one OTLP JSON export per line ({"resourceSpans": [...]}),
// each holding many spans. Every span becomes a flat JSON record, its own
// event, read with the shipped "otel" mapping: database client spans
// (db.system, db.statement) are requests to that black box, server spans
// requests to the service itself, HTTP client spans requests to
// peer.service; span and parent span ids link them.
//
// A flat record holds the span's fields, its attributes as a plain object,
// and the resource's attributes ("service.name" at the top); it is the
// event's raw text, and parses again on its own.
var OTLPFormat = &formats.Format{
	Name:      "otlp-json",
	Doc:       "OpenTelemetry traces from the collector's file exporter (OTLP JSON, one export per line)",
	URL:       "https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding",
	Sniff:     sniffOTLP,
	NewParser: func() formats.Parser { return newOTLPParser() },
	Samples: []string{
		`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},"scopeSpans":[{"scope":{"name":"redis"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":"eee19b7ec3c1b173","name":"SET","kind":3,"startTimeUnixNano":"1795535140000000000","endTimeUnixNano":"1795535140000100000","attributes":[{"key":"db.system","value":{"stringValue":"redis"}},{"key":"db.statement","value":{"stringValue":"SET user:42 alice"}}]},{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b173","name":"PUT /users/42","kind":2,"startTimeUnixNano":"1795535139999000000","attributes":[{"key":"http.method","value":{"stringValue":"PUT"}},{"key":"http.target","value":{"stringValue":"/users/42"}}]}]}]}]}`,
	},
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

func newOTLPParser() *otlpParser {
	b, _ := ShippedMapping("otel")
	m, err := ParseMapping(b)
	if err != nil {
		panic("jsonlines: the shipped otel mapping does not parse: " + err.Error())
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
						flat["attributes"] = attrs(kvs)
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
