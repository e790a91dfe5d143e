package jsonlines

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// A Mapping says which JSON lines are requests to which black box, and
// where their fields are. Rules are tried in order; the first whose match
// holds maps the line. A line no rule maps is read with the canonical
// vocabulary (Canonical); a line that still names no system and op is
// unmapped.
//
// A mapping file is JSON:
//
//	{"rules": [
//	  {"name": "redis calls",
//	   "match": {"kind": "redis.call"},
//	   "system": "redis",
//	   "fields": {"op": "cmd", "args": "args", "reply": "reply", "id": "id",
//	              "parent": "parent_id", "time": "ts", "service": "service"}}
//	]}
//
// A path is a dotted string ("request.headers.host", "args.0" for an array
// element, "attributes.[db.system]" for a key that contains dots) or an
// array of keys (["attributes", "db.system"]). match compares the value at each path
// with a string, number or boolean; "*" only asks that the path exists.
// system is a literal; fields.system reads it from the line instead.
// args_from builds the arguments from several paths ("bucket", "key").
// defaults gives literal values for fields a line leaves empty.
// fields.command reads the op and the arguments from one command line
// ("SET user:42 alice", double quotes group words), as OpenTelemetry's
// db.statement holds them. fields.error reads an error the client
// library logged instead of a reply (see Rule.NilErrors);
// args_lead_op drops a leading command name from the arguments.
type Mapping struct {
	Rules []Rule `json:"rules"`
}

// A Rule maps the lines it matches.
type Rule struct {
	Name   string           `json:"name,omitempty"`
	Match  map[string]any   `json:"match,omitempty"`
	System string           `json:"system,omitempty"`
	Fields map[string]*Path `json:"fields,omitempty"`
	// ArgsFrom builds the arguments from several paths, in order (a
	// missing value is an empty argument, dropped at the end), instead of
	// fields.args.
	ArgsFrom []Path `json:"args_from,omitempty"`
	// Role "client" says the lines are a service's records of calls whose
	// black box's own log is ingested too (see formats.Event.ClientRecord);
	// role "reply" that they carry the replies of calls logged on earlier
	// lines (see formats.Event.ReplyRecord).
	Role string `json:"role,omitempty"`
	// Defaults are literal values for fields a line leaves empty
	// ({"ns": "0"}: Redis calls that name no database).
	Defaults map[string]string `json:"defaults,omitempty"`
	// ArgsLeadOp says the arguments begin with the command's name, as
	// go-redis's Cmd.Args() does ("get", "user:6"): it is dropped.
	ArgsLeadOp bool `json:"args_lead_op,omitempty"`
	// NilErrors are the texts of fields.error that a client library
	// reports a nil reply with ("redis: nil"): the reply is nil. Any
	// other error text is an error reply.
	NilErrors []string `json:"nil_errors,omitempty"`
	// PythonBytes says that string values of the arguments and the reply
	// written as Python's repr of bytes (b'alice', as structlog's JSON
	// renderer writes redis-py's bytes) stand for those bytes.
	PythonBytes bool `json:"python_bytes,omitempty"`
	// NodeBuffers says that arguments written as JSON.stringify writes a
	// Node.js Buffer ({"type":"Buffer","data":[...]}, as pino writes
	// ioredis's Buffer arguments) stand for those bytes.
	NodeBuffers bool `json:"node_buffers,omitempty"`
	// FlattenArgs says that an argument logged as a JSON array stands for
	// its elements, and one logged as an object for its keys and values
	// in order, as ioredis sends them (an object given to HSET or MSET).
	// Without it such an argument leaves the event in doubt
	// (formats.DoubtStructured).
	FlattenArgs bool `json:"flatten_args,omitempty"`
	// JoinedArgs says that fields.command joins the arguments with
	// spaces, unquoted, as OpenTelemetry instrumentations write
	// db.statement: it is split at spaces, and the event's arguments are
	// in doubt (formats.DoubtJoined).
	JoinedArgs bool `json:"joined_args,omitempty"`
	// Base64Args says the library writes byte-slice arguments as base64
	// (log/slog's JSON handler): a string argument that is base64 of
	// text leaves the event's arguments in doubt (formats.DoubtBase64).
	Base64Args bool `json:"base64_args,omitempty"`

	match []matcher
}

type matcher struct {
	path Path
	want []byte // the value's text (a string's unescaped bytes); nil: exists
}

// RuleKeys returns the keys a mapping rule takes (its JSON names) and
// the fields it may read, for documentation and its tests.
func RuleKeys() (keys, fields []string) {
	t := reflect.TypeFor[Rule]()
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys, slices.Clone(fieldNames)
}

// Field names a Rule's fields may set.
var fieldNames = []string{"time", "service", "system", "ns", "client", "op", "args", "reply", "error", "id", "parent", "trace", "instance", "command"}

// A Path locates a value in a JSON object.
type Path []string

// UnmarshalJSON reads a dotted string or an array of keys.
func (p *Path) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*p = parsePath(s)
		return nil
	}
	var keys []string
	if err := json.Unmarshal(b, &keys); err != nil {
		return fmt.Errorf("a path is a dotted string or an array of keys, not %s", b)
	}
	*p = keys
	return nil
}

// MarshalJSON writes the path as an array of keys.
func (p Path) MarshalJSON() ([]byte, error) { return json.Marshal([]string(p)) }

func parsePath(s string) Path {
	var p Path
	for len(s) > 0 {
		var k string
		if s[0] == '[' {
			// [key.with.dots]: one key, taken literally.
			end := strings.IndexByte(s, ']')
			if end < 0 {
				end = len(s)
			}
			k, s = s[1:end], s[min(end+1, len(s)):]
			s = strings.TrimPrefix(s, ".")
			p = append(p, k)
			continue
		}
		k, s, _ = strings.Cut(s, ".")
		if k != "" && strings.Trim(k, "0123456789") == "" {
			k = "[" + k + "]" // jsonparser's array index
		}
		p = append(p, k)
	}
	return p
}

func (p Path) String() string { return strings.Join(p, ".") }

// ParseMapping reads a mapping file's content.
func ParseMapping(b []byte) (*Mapping, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Mapping
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	if err := m.compile(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Merge appends the rules of other mappings after m's.
func (m *Mapping) Merge(others ...*Mapping) {
	for _, o := range others {
		m.Rules = append(m.Rules, o.Rules...)
	}
}

// Encode returns the mapping as canonical JSON, to store with a source so
// its lines parse the same way later.
func (m *Mapping) Encode() []byte {
	b, _ := json.Marshal(m)
	return b
}

func (m *Mapping) compile() error {
	for i := range m.Rules {
		r := &m.Rules[i]
		name := r.Name
		if name == "" {
			name = fmt.Sprintf("rule %d", i+1)
		}
		for f := range r.Defaults {
			if !contains(fieldNames, f) || f == "args" {
				return fmt.Errorf("mapping: %s: unknown default %q", name, f)
			}
		}
		for f := range r.Fields {
			if !contains(fieldNames, f) {
				return fmt.Errorf("mapping: %s: unknown field %q (fields are %s)", name, f, strings.Join(fieldNames, ", "))
			}
		}
		if r.Role != "" && r.Role != "client" && r.Role != "reply" {
			return fmt.Errorf("mapping: %s: role %q: roles are \"client\" and \"reply\"", name, r.Role)
		}
		if r.System == "" && r.Fields["system"] == nil {
			return fmt.Errorf("mapping: %s: says neither system nor fields.system", name)
		}
		if r.Fields["args"] != nil && len(r.ArgsFrom) > 0 {
			return fmt.Errorf("mapping: %s: has both fields.args and args_from", name)
		}
		if r.Fields["op"] == nil && r.Defaults["op"] == "" && r.Fields["command"] == nil {
			return fmt.Errorf("mapping: %s: has no fields.op (or defaults.op)", name)
		}
		keys := make([]string, 0, len(r.Match))
		for k := range r.Match {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		r.match = nil
		for _, k := range keys {
			mt := matcher{path: parsePath(k)}
			switch v := r.Match[k].(type) {
			case string:
				if v != "*" {
					mt.want = []byte(v)
				}
			case float64, bool:
				b, _ := json.Marshal(v)
				mt.want = b
			case json.Number:
				mt.want = []byte(v)
			default:
				return fmt.Errorf("mapping: %s: match %q: want a string, number or boolean", name, k)
			}
			r.match = append(r.match, mt)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Canonical is the vocabulary read from any line no rule maps: for each
// field, the names people commonly use for it, tried in order.
var Canonical = map[string][]Path{
	"time":    paths("ts", "time", "timestamp", "@timestamp", "t"),
	"service": paths("service", "svc", "app", "service.name", "service_name"),
	"system":  paths("system", "db.system", "db_system"),
	"ns":      paths("ns", "db", "database", "db.namespace", "db.name"),
	"client":  paths("client", "peer", "remote_addr", "client_addr", "conn", "addr"),
	"op":      paths("op", "cmd", "command", "operation", "db.operation"),
	"args":    paths("args", "arguments", "argv"),
	"reply":   paths("reply", "result", "response"),
	"id":      paths("id", "request_id", "req_id", "requestId", "span_id", "spanId"),
	"parent":  paths("parent_id", "parent", "parentId", "parent_span_id", "parentSpanId"),
	"trace":   paths("trace_id", "traceId", "trace"),
	// The black box's instance, as a service names it: its address.
	"instance": paths("instance", "server.address", "db.instance"),
}

// canonicalNS is the namespace of a request the canonical vocabulary
// reads with none, by system: Redis's default database.
var canonicalNS = map[string]string{"redis": "0"}

// paths makes literal single-key paths: "db.system" is one key here.
func paths(names ...string) []Path {
	out := make([]Path, len(names))
	for i, n := range names {
		out[i] = Path{n}
	}
	return out
}

//go:embed mappings/*.json
var shipped embed.FS

// Shipped returns the names of the mappings wat ships ("calls", ...).
func Shipped() []string {
	ents, _ := shipped.ReadDir("mappings")
	var out []string
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(e.Name(), ".json"))
	}
	return out
}

// ShippedMapping returns the content of a shipped mapping.
func ShippedMapping(name string) ([]byte, bool) {
	b, err := shipped.ReadFile("mappings/" + name + ".json")
	return b, err == nil
}
