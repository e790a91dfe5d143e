package provenance_test

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// The paper's examples, from ../shared/paper/vectors.json, each replayed
// on a small model of its machine.
type vector struct {
	Name    string            `json:"name"`
	Machine string            `json:"machine"`
	Trace   []json.RawMessage `json:"trace"`
	Request json.RawMessage   `json:"request"`
	Output  json.RawMessage   `json:"output"`
	Wat     [][]int           `json:"wat"`
	Wrong   *[][]int          `json:"wrong_if_minimal_then_closed"`
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	path := os.Getenv("WAT_VECTORS")
	if path == "" {
		path = "testdata/vectors.json"
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) < 19 {
		t.Fatalf("read %d vectors, want at least 19", len(vs))
	}
	return vs
}

// toEvent turns ["set","x",1] into an event with Op "set" and the rest as
// raw JSON arguments.
func toEvent(t *testing.T, raw json.RawMessage, id int64) *formats.Event {
	t.Helper()
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil {
		t.Fatal(err)
	}
	var op string
	if err := json.Unmarshal(parts[0], &op); err != nil {
		t.Fatal(err)
	}
	e := &formats.Event{ID: id, Line: int(id), Op: op}
	for _, p := range parts[1:] {
		e.Args = append(e.Args, []byte(p))
	}
	return e
}

func str(b []byte) string {
	var s string
	if json.Unmarshal(b, &s) == nil {
		return s
	}
	return string(b)
}

func num(b []byte) int {
	n, err := strconv.Atoi(str(b))
	if err != nil {
		panic(err)
	}
	return n
}

// toyState is a map from names to JSON-ish values, enough for every toy.
type toyState map[string]string

type toy struct {
	apply func(s toyState, e *formats.Event) string
}

func (toy) Init() provenance.State { return toyState{} }
func (toy) Clone(s provenance.State) provenance.State {
	c := toyState{}
	for k, v := range s.(toyState) {
		c[k] = v
	}
	return c
}
func (t toy) Apply(s provenance.State, e *formats.Event) provenance.Output {
	return provenance.Output(t.apply(s.(toyState), e))
}
func (toy) Fingerprint(s provenance.State) string {
	m := s.(toyState)
	var ks []string
	for k, v := range m {
		ks = append(ks, k+"="+v)
	}
	sort.Strings(ks)
	return strings.Join(ks, ";")
}

func kvs(missing string, addNeedsKey bool) toy {
	return toy{func(s toyState, e *formats.Event) string {
		k := ""
		if len(e.Args) > 0 {
			k = str(e.Args[0])
		}
		switch e.Op {
		case "set":
			s[k] = strconv.Itoa(num(e.Args[1]))
		case "add", "sub":
			v, ok := s[k]
			if !ok {
				if addNeedsKey {
					return "error"
				}
				v = "0"
			}
			d := num(e.Args[1])
			if e.Op == "sub" {
				d = -d
			}
			n, _ := strconv.Atoi(v)
			s[k] = strconv.Itoa(n + d)
		case "freeze":
			s["\x00frozen"] = "1"
		case "trunc":
			if s["\x00frozen"] == "" {
				for k := range s {
					delete(s, k)
				}
			}
		case "get":
			if v, ok := s[k]; ok {
				return v
			}
			return missing
		}
		return "ok"
	}}
}

// boolean evaluates formulas over a..d with &&, ||, ! and parentheses.
func boolean() toy {
	return toy{func(s toyState, e *formats.Event) string {
		switch e.Op {
		case "set":
			s[str(e.Args[0])] = "1"
		case "unset":
			delete(s, str(e.Args[0]))
		case "eval":
			src := strings.ReplaceAll(str(e.Args[0]), " ", "")
			i := 0
			var or func() bool
			atom := func() bool {
				if src[i] == '!' {
					i++
					v := or2(&i, src, s, or)
					return !v
				}
				return or2(&i, src, s, or)
			}
			and := func() bool {
				v := atom()
				for strings.HasPrefix(src[i:], "&&") {
					i += 2
					w := atom()
					v = v && w
				}
				return v
			}
			or = func() bool {
				v := and()
				for strings.HasPrefix(src[i:], "||") {
					i += 2
					w := and()
					v = v || w
				}
				return v
			}
			src += " "
			return strconv.FormatBool(or())
		}
		return "ok"
	}}
}

// or2 reads a variable or a parenthesised formula.
func or2(i *int, src string, s toyState, or func() bool) bool {
	if src[*i] == '(' {
		*i++
		v := or()
		*i++ // ')'
		return v
	}
	if src[*i] == '!' {
		*i++
		return !or2(i, src, s, or)
	}
	name := string(src[*i])
	*i++
	return s[name] == "1"
}

func lists() toy {
	return toy{func(s toyState, e *formats.Event) string {
		var l []string
		json.Unmarshal([]byte(s["l"]), &l)
		defer func() { b, _ := json.Marshal(l); s["l"] = string(b) }()
		switch e.Op {
		case "lpush":
			l = append([]string{str(e.Args[0])}, l...)
		case "rpush":
			l = append(l, str(e.Args[0]))
		case "lpop":
			if len(l) > 0 {
				l = l[1:]
			}
		case "rpop":
			if len(l) > 0 {
				l = l[:len(l)-1]
			}
		case "remove":
			var k []string
			for _, v := range l {
				if v != str(e.Args[0]) {
					k = append(k, v)
				}
			}
			l = k
		case "index":
			if i := num(e.Args[0]); i < len(l) {
				return l[i]
			}
			return "null"
		}
		return "ok"
	}}
}

// reldb keeps each relation as a set of JSON tuples; queries are the few
// the vectors use.
func reldb(needCreate bool) toy {
	rel := func(s toyState, name string) (map[string]bool, bool) {
		if needCreate && s["\x00"+name] == "" {
			return nil, false
		}
		out := map[string]bool{}
		for k := range s {
			if strings.HasPrefix(k, name+"\x01") {
				out[strings.TrimPrefix(k, name+"\x01")] = true
			}
		}
		return out, true
	}
	show := func(m map[string]bool) string {
		var ts []string
		for t := range m {
			ts = append(ts, t)
		}
		sort.Strings(ts)
		return "[" + strings.Join(ts, ",") + "]"
	}
	minus := func(a, b map[string]bool) map[string]bool {
		out := map[string]bool{}
		for t := range a {
			if !b[t] {
				out[t] = true
			}
		}
		return out
	}
	return toy{func(s toyState, e *formats.Event) string {
		switch e.Op {
		case "create":
			s["\x00"+str(e.Args[0])] = "1"
		case "insert":
			name := str(e.Args[0])
			if needCreate && s["\x00"+name] == "" {
				return "error"
			}
			var v any
			json.Unmarshal(e.Args[1], &v)
			b, _ := json.Marshal(v)
			s[name+"\x01"+string(b)] = "1"
		case "query":
			q := str(e.Args[0])
			switch {
			case q == "R - S":
				r, ok1 := rel(s, "R")
				sr, ok2 := rel(s, "S")
				if !ok1 || !ok2 {
					return "null"
				}
				return show(minus(r, sr))
			case strings.HasPrefix(q, "R ∪"):
				r, ok1 := rel(s, "R")
				sr, ok2 := rel(s, "S")
				tr, ok3 := rel(s, "T")
				if !ok1 || !ok2 || !ok3 {
					return "null"
				}
				out := minus(sr, tr)
				for t := range r {
					out[t] = true
				}
				return show(out)
			case strings.HasPrefix(q, "σ"):
				r, ok1 := rel(s, "R")
				sr, ok2 := rel(s, "S")
				if !ok1 || !ok2 {
					return "null"
				}
				out := map[string]bool{}
				for t := range minus(r, sr) {
					var tup []string
					json.Unmarshal([]byte(t), &tup)
					if n, _ := strconv.Atoi(tup[0]); n <= 3 {
						out[t] = true
					}
				}
				return show(out)
			case strings.HasPrefix(q, "π_name"):
				users, _ := rel(s, "Users")
				friends, _ := rel(s, "Friends")
				out := map[string]bool{}
				for f := range friends {
					var ft []string
					json.Unmarshal([]byte(f), &ft)
					if ft[0] != "ecodd" {
						continue
					}
					for u := range users {
						var ut []string
						json.Unmarshal([]byte(u), &ut)
						if ut[0] == ft[1] {
							b, _ := json.Marshal([]string{ut[1]})
							out[string(b)] = true
						}
					}
				}
				return show(out)
			}
			panic("unknown query " + q)
		}
		return "ok"
	}}
}

func machineFor(v vector) (provenance.Model, func(target *formats.Event) func(*formats.Event) bool) {
	never := func(*formats.Event) func(*formats.Event) bool { return func(*formats.Event) bool { return false } }
	m := v.Machine
	switch {
	case strings.Contains(m, "freeze"):
		return kvs("0", false), never
	case strings.HasPrefix(m, "kvs (authors'"):
		return kvs("null", true), never
	case strings.HasPrefix(m, "kvs"):
		// In the KVS, set(k) decides everything get(k) can see.
		return kvs("0", false), func(target *formats.Event) func(*formats.Event) bool {
			return func(e *formats.Event) bool {
				return e.Op == "set" && string(e.Args[0]) == string(target.Args[0])
			}
		}
	case strings.HasPrefix(m, "boolean"):
		return boolean(), never
	case strings.HasPrefix(m, "list"):
		return lists(), never
	case strings.HasPrefix(m, "relational"):
		return reldb(strings.Contains(m, "create")), never
	}
	panic("no model for machine " + m)
}

func TestVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			m, resetFor := machineFor(v)
			var trace []*formats.Event
			for i, raw := range v.Trace {
				trace = append(trace, toEvent(t, raw, int64(i+1)))
			}
			target := toEvent(t, v.Request, int64(len(trace)+1))

			got, out, err := provenance.BruteForce(m, trace, target)
			if err != nil {
				t.Fatal(err)
			}
			if !sameJSON(string(out), string(v.Output)) {
				t.Errorf("output = %s, want %s", out, v.Output)
			}
			if !reflect.DeepEqual(got, v.Wat) {
				t.Errorf("BruteForce = %v, want %v", got, v.Wat)
			}

			// The engine must agree, with and without resets.
			for name, reset := range map[string]func(*formats.Event) bool{
				"resets":    resetFor(target),
				"no-resets": func(*formats.Event) bool { return false },
			} {
				ws, out2, err := provenance.Solve(provenance.Problem{
					Model: m, Target: target, Reset: reset, Older: backwards(trace),
				})
				if err != nil {
					t.Fatalf("Solve(%s): %v", name, err)
				}
				if out2 != out {
					t.Errorf("Solve(%s) output = %s, want %s", name, out2, out)
				}
				if pos := provenance.WitnessPositions(ws, trace); !reflect.DeepEqual(pos, v.Wat) {
					t.Errorf("Solve(%s) = %v, want %v", name, pos, v.Wat)
				}
			}
			if v.Wrong != nil && reflect.DeepEqual(got, *v.Wrong) {
				t.Errorf("got the minimal-then-closed answer %v", got)
			}
		})
	}
}

func sameJSON(got, want string) bool {
	if got == want || fmt.Sprintf("%q", got) == want {
		return true
	}
	var a, b any
	if json.Unmarshal([]byte(got), &a) != nil || json.Unmarshal([]byte(want), &b) != nil {
		return false
	}
	return reflect.DeepEqual(a, b) || reflect.DeepEqual(flatten(a), flatten(b))
}

// flatten turns [["t"]] and ["t"] alike into ["t"].
func flatten(v any) any {
	l, ok := v.([]any)
	if !ok {
		return v
	}
	var out []any
	for _, x := range l {
		if inner, ok := x.([]any); ok && len(inner) == 1 {
			out = append(out, inner[0])
		} else {
			out = append(out, x)
		}
	}
	return out
}

// backwards serves a trace newest first, n at a time.
func backwards(trace []*formats.Event) func(int) ([]*formats.Event, error) {
	next := len(trace)
	return func(n int) ([]*formats.Event, error) {
		var out []*formats.Event
		for ; n > 0 && next > 0; n-- {
			next--
			out = append(out, trace[next])
		}
		return out, nil
	}
}
