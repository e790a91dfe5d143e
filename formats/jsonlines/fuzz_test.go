package jsonlines

import (
	"testing"

	"github.com/wat-project/wat/formats"
)

// FuzzParse checks that no line crashes the parser and that every line is
// exactly one of event, skipped, unmapped or rejected with a reason.
func FuzzParse(f *testing.F) {
	for _, s := range Format.Samples {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"kind":"redis.call","cmd":"SET","args":["a",1,null,{"x":[true]}],"reply":"OK"}`))
	f.Add([]byte(`{"a":"\ud83d\ude00","system":"redis","op":"GET"}`))
	f.Add([]byte(`{"system":"s3","op":"x","time":-1}`))
	calls, _ := ShippedMapping("calls")
	m, err := ParseMapping(calls)
	if err != nil {
		f.Fatal(err)
	}
	parsers := []formats.Parser{Format.NewParser(), NewParser(m)}
	f.Fuzz(func(t *testing.T, line []byte) {
		for _, p := range parsers {
			var ev formats.Event
			res, err := p.Parse(line, &ev)
			switch {
			case res == formats.IsEvent && err == nil:
				if ev.System == "" || ev.Op == "" {
					t.Fatalf("event without system or op: %q", line)
				}
			case res == formats.IsSkipped && err == nil, res == formats.IsUnmapped && err != nil:
			case err != nil && err.Error() != "":
			default:
				t.Fatalf("result %v, error %v for %q", res, err, line)
			}
		}
	})
}

// FuzzMapping checks that no mapping file crashes the mapping compiler or
// the matcher.
func FuzzMapping(f *testing.F) {
	calls, _ := ShippedMapping("calls")
	f.Add(calls, []byte(`{"kind":"redis.call","cmd":"GET","args":["k"]}`))
	f.Add([]byte(`{"rules":[{"match":{"a.0.b":1},"fields":{"system":"s","op":["x","y.z"]}}]}`), []byte(`{"a":[{"b":1}],"s":"r","x":{"y.z":"op"}}`))
	f.Fuzz(func(t *testing.T, mapping, line []byte) {
		m, err := ParseMapping(mapping)
		if err != nil {
			return
		}
		var ev formats.Event
		NewParser(m).Parse(line, &ev)
	})
}

// FuzzOTLP checks that no export line crashes the OTLP reader and that
// every event it emits parses again from its raw text.
func FuzzOTLP(f *testing.F) {
	for _, s := range OTLPFormat.Samples {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":2,"attributes":[{"key":"service.name","value":{"arrayValue":{"values":[{"intValue":"1"}]}}}]}]}]}]}`))
	p := OTLPFormat.NewParser().(formats.MultiParser)
	f.Fuzz(func(t *testing.T, line []byte) {
		p.ParseMulti(line, func(e *formats.Event) {
			var again formats.Event
			if r, err := p.Parse(e.Raw, &again); err != nil || r != formats.IsEvent || again.Op != e.Op {
				t.Fatalf("emitted event does not parse again from %q: %v", e.Raw, err)
			}
		})
	})
}
