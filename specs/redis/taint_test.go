package redis_test

import (
	"context"
	"fmt"
	"math/rand"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/redis"
)

// truth is Redis with a few commands the spec does not model made
// deterministic (SPOP takes the smallest member, RESTORE stores its
// payload, SORT ... BY w_* ... STORE finds no weight key, so it sorts by
// bytes, as Redis does then): a stand-in for
// the real server, against which an answer the spec labels exact must
// hold. It runs them by translating them into commands the model runs.
type truth struct{ redis.Model }

func (t truth) Apply(s provenance.State, e *formats.Event) provenance.Output {
	m := t.Model
	run := func(op string, args ...[]byte) provenance.Output {
		return m.Apply(s, &formats.Event{ID: e.ID, Time: e.Time, System: "redis", NS: e.NS, Client: e.Client, Op: op, Args: args})
	}
	peek := func(op string, args ...[]byte) []string {
		o := m.Apply(m.Clone(s), &formats.Event{ID: e.ID, Time: e.Time, System: "redis", NS: e.NS, Client: e.Client, Op: op, Args: args})
		return elements(string(o))
	}
	switch e.Op {
	case "SPOP":
		if len(e.Args) != 1 {
			break
		}
		ms := peek("SMEMBERS", e.Args[0])
		if len(ms) == 0 {
			if strings.HasPrefix(string(run("TYPE", e.Args[0])), "+none") {
				return "$-1\r\n"
			}
			return run("SPOP", e.Args...) // the wrong type: the model's error
		}
		sort.Strings(ms)
		run("SREM", e.Args[0], []byte(ms[0]))
		return provenance.Output(fmt.Sprintf("$%d\r\n%s\r\n", len(ms[0]), ms[0]))
	case "RESTORE":
		if len(e.Args) == 3 {
			if strings.HasPrefix(string(run("EXISTS", e.Args[0])), ":1") {
				return "-BUSYKEY Target key name already exists.\r\n"
			}
			run("SET", e.Args[0], e.Args[2])
			return "+OK\r\n"
		}
	case "SORT":
		if len(e.Args) == 5 && strings.EqualFold(string(e.Args[1]), "BY") && strings.EqualFold(string(e.Args[3]), "STORE") {
			var items []string
			switch typ := string(run("TYPE", e.Args[0])); typ {
			case "+list\r\n":
				items = peek("LRANGE", e.Args[0], []byte("0"), []byte("-1"))
			case "+set\r\n":
				items = peek("SMEMBERS", e.Args[0])
			case "+none\r\n":
			default:
				return "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
			}
			sort.Strings(items)
			run("DEL", e.Args[4])
			for _, x := range items {
				run("RPUSH", e.Args[4], []byte(x))
			}
			return provenance.Output(fmt.Sprintf(":%d\r\n", len(items)))
		}
	}
	return m.Apply(s, e)
}

// elements returns the bulk strings of a RESP2 array.
func elements(resp string) []string {
	resp = strings.TrimSuffix(resp, "\x00unordered")
	lines := strings.Split(resp, "\r\n")
	var out []string
	for i := 1; i+1 < len(lines); i += 2 {
		if strings.HasPrefix(lines[i], "$") {
			out = append(out, lines[i+1])
		}
	}
	return out
}

// unmodelled are commands the spec does not model, as truth runs them.
var unmodelled = []string{"SPOP k", "RESTORE k 0 v", "SORT k BY w_* STORE k"}

// TestTaintNeverExactWhenWrong mixes commands the spec does not model into
// random traces: wherever the spec calls an answer exact, it must be the
// answer of a server that runs them (truth), witnesses and all.
func TestTaintNeverExactWhenWrong(t *testing.T) {
	per := scaled(3000, 500)
	fams := []family{families[0], families[5], families[6]} // strings, lists, sets
	ctx := context.Background()
	const t0 = 1795535140000000000
	exact, tainted := 0, 0
	for seed := 0; seed < per; seed++ {
		r := rand.New(rand.NewSource(int64(seed)))
		fam := fams[r.Intn(len(fams))]
		n := r.Intn(10)
		var trace []*formats.Event
		for i := 1; i <= n; i++ {
			tmpl := fam.writes[r.Intn(len(fam.writes))]
			if r.Intn(4) == 0 {
				tmpl = unmodelled[r.Intn(len(unmodelled))]
			}
			trace = append(trace, event(r, fam, i, tmpl, t0))
		}
		target := event(r, fam, n+1, fam.targets[r.Intn(len(fam.targets))], t0)
		want, wantOut, x := defineAndExplain(t, ctx, truth{}, trace, &provenance.MemHistory{Events: trace, Refs: redis.TraceRefs(trace)}, target)
		if !x.Exact {
			tainted++
			continue
		}
		exact++
		if string(x.Output) != string(wantOut) {
			t.Fatalf("%s\nlabelled exact with output %q; a server running every command replies %q", dump(trace, target), x.Output, wantOut)
		}
		if got := positionsOf(x); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s\nlabelled exact with witnesses %v; the definition over a server running every command gives %v", dump(trace, target), got, want)
		}
	}
	t.Logf("%d answers exact (and right), %d labelled not exact", exact, tainted)
	if tainted == 0 || exact == 0 {
		t.Errorf("exact %d, labelled %d: the test no longer mixes both", exact, tainted)
	}
}

// lossy is a history that lost some lines of the trace: they are listed
// as rejected, not as events.
type lossy struct {
	provenance.MemHistory
	lost []*formats.Event
}

func (l *lossy) LostBefore(_ context.Context, _ string, e *formats.Event, limit int) ([]provenance.LostLine, error) {
	var out []provenance.LostLine
	for _, x := range l.lost {
		if x.ID < e.ID && len(out) < limit {
			raw := fmt.Sprintf("%d.000000 [%s %s] %q", x.Time/1e9, x.NS, x.Client, x.Op)
			for _, a := range x.Args {
				raw += " " + formats.Quote(a)
			}
			// A line is rejected because something in it is broken: cut it.
			out = append(out, provenance.LostLine{Where: x.Where(), Raw: []byte(raw[:len(raw)-1])})
		}
	}
	return out, nil
}

// TestLostLinesNeverExactWhenWrong drops random lines of random traces as
// if ingest had rejected them: an answer the spec still calls exact must
// be the answer over the whole trace.
func TestLostLinesNeverExactWhenWrong(t *testing.T) {
	per := scaled(3000, 500)
	ctx := context.Background()
	const t0 = 1795535140000000000
	exact, labelled := 0, 0
	for seed := 0; seed < per; seed++ {
		r := rand.New(rand.NewSource(int64(seed)))
		fam := families[r.Intn(3)] // strings, counters, keys
		n := r.Intn(10)
		var trace, kept, lost []*formats.Event
		for i := 1; i <= n; i++ {
			e := event(r, fam, i, fam.writes[r.Intn(len(fam.writes))], t0)
			trace = append(trace, e)
			if r.Intn(5) == 0 {
				lost = append(lost, e)
			} else {
				kept = append(kept, e)
			}
		}
		target := event(r, fam, n+1, fam.targets[r.Intn(len(fam.targets))], t0)
		h := &lossy{MemHistory: provenance.MemHistory{Events: kept, Refs: redis.TraceRefs(kept)}, lost: lost}
		want, wantOut, x := defineAndExplain(t, ctx, redis.Model{}, trace, h, target)
		if !x.Exact {
			labelled++
			continue
		}
		exact++
		if string(x.Output) != string(wantOut) {
			t.Fatalf("%s\nlost %v: labelled exact with output %q; the whole trace gives %q", dump(trace, target), lines(lost), x.Output, wantOut)
		}
		// Witnesses are positions in the trace the spec saw; the lost
		// lines must not have mattered, so none is in any witness.
		got := positionsOf(x)
		wantIDs := [][]int{}
		for _, w := range want {
			ids := []int{}
			for _, p := range w {
				ids = append(ids, int(trace[p].ID-1))
			}
			wantIDs = append(wantIDs, ids)
		}
		if !reflect.DeepEqual(got, wantIDs) {
			t.Fatalf("%s\nlost %v: labelled exact with witnesses %v; the whole trace gives %v", dump(trace, target), lines(lost), got, wantIDs)
		}
	}
	t.Logf("%d answers exact (and right), %d labelled not exact", exact, labelled)
	if labelled == 0 || exact == 0 {
		t.Errorf("exact %d, labelled %d: the test no longer mixes both", exact, labelled)
	}
}

// defineAndExplain returns the brute-force definition's witnesses and
// output for target over trace on the model m, and the spec's
// explanation of target through the history h.
func defineAndExplain(t *testing.T, ctx context.Context, m provenance.Model, trace []*formats.Event, h provenance.History, target *formats.Event) ([][]int, provenance.Output, *provenance.Explanation) {
	t.Helper()
	want, wantOut, err := provenance.BruteForce(m, trace, target)
	if err != nil {
		t.Fatal(err)
	}
	x, err := redis.Spec.Explain(ctx, h, target)
	if err != nil {
		t.Fatalf("%s\nExplain: %v", dump(trace, target), err)
	}
	return want, wantOut, x
}

func lines(evs []*formats.Event) []int {
	var out []int
	for _, e := range evs {
		out = append(out, e.Line)
	}
	return out
}
