package redis_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/wat-project/wat/specs/redis"
)

var skeleton = flag.String("skeleton", "", "write a Go table entry for every command of testdata/command-info.json to this file")

// infoCommand is one command of COMMAND INFO's reply.
type infoCommand struct {
	name     string
	arity    int
	flags    []string
	keySpecs []infoKeySpec
	subs     []infoCommand
}

type infoKeySpec struct {
	Flags       []string `json:"flags"`
	BeginSearch struct {
		Type string `json:"type"`
		Spec struct {
			Index     int    `json:"index"`
			Keyword   string `json:"keyword"`
			StartFrom int    `json:"startfrom"`
		} `json:"spec"`
	} `json:"begin_search"`
	FindKeys struct {
		Type string `json:"type"`
		Spec struct {
			LastKey   int `json:"lastkey"`
			KeyStep   int `json:"keystep"`
			Limit     int `json:"limit"`
			KeyNumIdx int `json:"keynumidx"`
			FirstKey  int `json:"firstkey"`
		} `json:"spec"`
	} `json:"find_keys"`
}

func parseInfo(t *testing.T, raw json.RawMessage) infoCommand {
	t.Helper()
	var fields []json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || len(fields) < 10 {
		t.Fatalf("COMMAND INFO entry %s: %v", raw, err)
	}
	var c infoCommand
	must := func(i int, v any) {
		if err := json.Unmarshal(fields[i], v); err != nil {
			t.Fatalf("COMMAND INFO entry %s, field %d: %v", raw, i, err)
		}
	}
	must(0, &c.name)
	must(1, &c.arity)
	must(2, &c.flags)
	must(8, &c.keySpecs)
	var subs []json.RawMessage
	must(9, &subs)
	for _, s := range subs {
		c.subs = append(c.subs, parseInfo(t, s))
	}
	return c
}

// loadInfo reads the committed COMMAND INFO and the groups of COMMAND
// DOCS, every subcommand as a command of its own.
func loadInfo(t *testing.T) (cmds []infoCommand, group map[string]string, version string) {
	t.Helper()
	var info struct {
		Version  string            `json:"redis_version"`
		Commands []json.RawMessage `json:"commands"`
	}
	readJSON(t, "testdata/command-info.json", &info)
	var docs struct {
		Commands []struct {
			Name        string `json:"name"`
			Group       string `json:"group"`
			Subcommands map[string]struct {
				Group string `json:"group"`
			} `json:"subcommands"`
		} `json:"commands"`
	}
	readJSON(t, "testdata/command-docs.json", &docs)
	group = map[string]string{}
	for _, d := range docs.Commands {
		group[strings.ToUpper(d.Name)] = d.Group
		for n, s := range d.Subcommands {
			group[strings.ToUpper(n)] = s.Group
		}
	}
	for _, raw := range info.Commands {
		c := parseInfo(t, raw)
		if len(c.subs) == 0 {
			cmds = append(cmds, c)
		}
		cmds = append(cmds, c.subs...)
	}
	return cmds, group, info.Version
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// specOf turns COMMAND INFO's key spec into the table's.
func specOf(k infoKeySpec) redis.KeySpec {
	var s redis.KeySpec
	s.Flags = strings.Join(k.Flags, " ")
	switch k.BeginSearch.Type {
	case "index":
		s.Begin = redis.Index(k.BeginSearch.Spec.Index)
	case "keyword":
		s.Begin = redis.Keyword(k.BeginSearch.Spec.Keyword, k.BeginSearch.Spec.StartFrom)
	default:
		s.Begin = redis.Begin{Unknown: true}
	}
	switch k.FindKeys.Type {
	case "range":
		s.Find = redis.Range(k.FindKeys.Spec.LastKey, k.FindKeys.Spec.KeyStep, k.FindKeys.Spec.Limit)
	case "keynum":
		s.Find = redis.KeyNum(k.FindKeys.Spec.KeyNumIdx, k.FindKeys.Spec.FirstKey, k.FindKeys.Spec.KeyStep)
	default:
		s.Find = redis.Find{Unknown: true}
	}
	return s
}

// goEntry renders a command as a table entry, for -skeleton and for the
// failure message of a command missing from the table.
func goEntry(c infoCommand) string {
	var b strings.Builder
	fmt.Fprintf(&b, "{Name: %q, Arity: %d, Flags: %q", strings.ToUpper(c.name), c.arity, strings.Join(c.flags, " "))
	if len(c.keySpecs) > 0 {
		b.WriteString(",\n\tKeys: []KeySpec{")
		for i, k := range c.keySpecs {
			if i > 0 {
				b.WriteString(", ")
			}
			s := specOf(k)
			fmt.Fprintf(&b, "{Flags: %q, Begin: %s, Find: %s}", s.Flags, goBegin(s.Begin), goFind(s.Find))
		}
		b.WriteString("}")
	}
	b.WriteString(",\n\tWhy: \"not modelled\"},\n")
	return b.String()
}

func goBegin(b redis.Begin) string {
	switch {
	case b.Unknown:
		return "unknownBegin"
	case b.Keyword != "":
		return fmt.Sprintf("Keyword(%q, %d)", b.Keyword, b.From)
	}
	return fmt.Sprintf("Index(%d)", b.Index)
}

func goFind(f redis.Find) string {
	switch {
	case f.Unknown:
		return "unknownFind"
	case f.KeyNum:
		return fmt.Sprintf("KeyNum(%d, %d, %d)", f.KeyNumIdx, f.FirstKey, f.KeyStep)
	}
	return fmt.Sprintf("Range(%d, %d, %d)", f.LastKey, f.KeyStep, f.Limit)
}

// TestTableMatchesCommandInfo checks the command table against what a
// real redis-server says of every command it knows
// (testdata/capture-commands.sh regenerates the files): the same
// commands, arities, flags, key specifications and groups.
func TestTableMatchesCommandInfo(t *testing.T) {
	cmds, group, version := loadInfo(t)
	if *skeleton != "" {
		byGroup := map[string][]string{}
		for _, c := range cmds {
			g := group[strings.ToUpper(c.name)]
			byGroup[g] = append(byGroup[g], goEntry(c))
		}
		var b strings.Builder
		var gs []string
		for g := range byGroup {
			gs = append(gs, g)
		}
		sort.Strings(gs)
		for _, g := range gs {
			fmt.Fprintf(&b, "// group %s\n%s\n", g, strings.Join(byGroup[g], ""))
		}
		if err := os.WriteFile(*skeleton, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	table := map[string]*redis.Command{}
	for _, c := range redis.Commands() {
		table[c.Name] = c
	}
	seen := map[string]bool{}
	for _, c := range cmds {
		name := strings.ToUpper(c.name)
		seen[name] = true
		e := table[name]
		if e == nil {
			t.Errorf("redis %s knows %s; the table does not. Its skeleton:\n%s", version, name, goEntry(c))
			continue
		}
		if e.Arity != c.arity {
			t.Errorf("%s: arity %d, redis %s says %d", name, e.Arity, version, c.arity)
		}
		if got, want := strings.Fields(e.Flags), c.flags; !reflect.DeepEqual(sorted(got), sorted(want)) {
			t.Errorf("%s: flags %q, redis %s says %q", name, got, version, want)
		}
		var want []redis.KeySpec
		for _, k := range c.keySpecs {
			want = append(want, specOf(k))
		}
		if !reflect.DeepEqual(e.Keys, want) {
			t.Errorf("%s: key specs\n%+v\nredis %s says\n%+v", name, e.Keys, version, want)
		}
		if g := group[name]; e.Group != g {
			t.Errorf("%s: group %q, redis %s says %q", name, e.Group, version, g)
		}
		if e.Run == nil && e.Why == "" && e.Unknown == "" {
			t.Errorf("%s: neither modelled nor said why not", name)
		}
	}
	for name := range table {
		if !seen[name] {
			t.Errorf("the table has %s; redis %s does not know it", name, version)
		}
	}
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}
