package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/ingest/store/storetest"
	"github.com/wat-project/wat/provenance"
)

// TestAllStreamed: --all lists the events of long held runs and of long
// choices of stubs as it writes the answer, a chunk at a time, not read
// into memory at once (maxHeldWhole); the answer is the same, byte for
// byte, in text and in JSON, as when they are read whole first, and
// every event in it is read whole. On SQLite and PostgreSQL.
func TestAllStreamed(t *testing.T) { storetest.Each(t, allStreamed) }

func allStreamed(t *testing.T, db string) {
	var b strings.Builder
	n := 0
	add := func(req string) {
		n++
		fmt.Fprintf(&b, "1795535140.%06d [0 127.0.0.1:%d] %s\n", n, 5000+n%3, req)
	}
	// A counter: a SET, then INCRs (a held run) with an INCRBY among
	// them (the witness's own event, merged with the run in id order).
	add(`"SET" "n" "10"`)
	for i := range 3000 {
		if i == 1500 {
			add(`"INCRBY" "n" "5"`)
		}
		add(`"INCR" "n"`)
	}
	add(`"GET" "n"`)
	counter := n
	// A queue whose length guards a choice of pops (stubs), beside runs
	// of pushes and pops every witness holds.
	addQueue(add)
	add(`"LLEN" "q"`)
	queue := n
	add(`"RPOP" "q"`)
	pop := n
	log := filepath.Join(t.TempDir(), "mon.log")
	writeFile(t, log, b.String())
	mustWat(t, db, "ingest", log)

	old := maxHeldWhole
	defer func() { maxHeldWhole = old }()
	for _, line := range []int{counter, queue, pop} {
		for _, format := range [][]string{nil, {"--json"}} {
			args := append([]string{"explain", "--all", "--depth", "0", "--at", fmt.Sprintf("%s:%d", log, line)}, format...)
			maxHeldWhole = old
			whole, _ := mustWat(t, db, args...)
			maxHeldWhole = 10
			before := listsStreamed.Load()
			streamed, _ := mustWat(t, db, args...)
			if listsStreamed.Load() == before {
				t.Errorf("line %d %v: no list streamed", line, format)
			}
			if streamed != whole {
				t.Errorf("line %d %v: streamed, %d bytes, differs from read whole, %d bytes", line, format, len(streamed), len(whole))
				continue
			}
			if format == nil {
				continue
			}
			var x struct {
				Witnesses []struct{ Events []struct{ Raw string } }
				Factors   [][][]struct{ Raw string }
				Choices   []struct{ Of []struct{ Raw string } }
			}
			if err := json.Unmarshal([]byte(streamed), &x); err != nil {
				t.Fatal(err)
			}
			events := 0
			read := func(raw string) {
				events++
				if raw == "" {
					t.Fatalf("line %d: an event not read whole in %.300s", line, streamed)
				}
			}
			for _, w := range x.Witnesses {
				for _, e := range w.Events {
					read(e.Raw)
				}
			}
			for _, f := range x.Factors {
				for _, alt := range f {
					for _, e := range alt {
						read(e.Raw)
					}
				}
			}
			for _, c := range x.Choices {
				for _, e := range c.Of {
					read(e.Raw)
				}
			}
			if events < 2000 {
				t.Errorf("line %d: %d events listed", line, events)
			}
		}
	}
}

// TestWriteStreamed: writeStreamed writes what json.Encoder does, for an
// answer with every kind of field set and left empty, an explanation
// nested in an event (which encoding/json writes), and lists of events
// in witnesses, factors and choices (which it walks).
func TestWriteStreamed(t *testing.T) {
	ev := func(id int64, s string) jsonEvent {
		return jsonEvent{File: "a.log", Line: int(id), ID: id, Op: "SET", Args: []string{s, "<&>"}, Raw: "raw " + s + "\x00\u2028"}
	}
	given, match := "x", true
	nested := jsonExplanation{Target: ev(9, "nested"), Notes: []string{}, Witnesses: []jsonWitness{{Events: jsonEvents{list: []jsonEvent{ev(3, "c")}}}},
		Factors: [][]jsonEvents{{{list: []jsonEvent{ev(3, "c")}}}}}
	target := ev(10, "t")
	target.SentBy = &nested
	via := ev(11, "via")
	full := jsonExplanation{
		Target: target, Output: "OK", OutputRESP: "+OK\r\n", Given: &given, Matches: &match, Unknown: true, Exact: true,
		Notes: []string{"a note"}, Count: "2", Complete: true,
		Witnesses: []jsonWitness{{Events: jsonEvents{list: []jsonEvent{ev(1, "a"), ev(2, "b")}}}, {}},
		Factors:   [][]jsonEvents{{{list: []jsonEvent{ev(1, "a")}}, {}}, nil},
		Choices:   []jsonChoice{{K: 1, Of: jsonEvents{list: []jsonEvent{ev(4, "d"), ev(5, "e")}}, Caps: []int{1, 1}, Count: "2", Rule: "any"}},
		Cut:       "cut", Rule: "rule", TreeCut: "tree", Heuristic: true, Via: &via,
	}
	for name, j := range map[string]jsonExplanation{"full": full, "empty": {}, "nested": nested} {
		var want, got bytes.Buffer
		if err := json.NewEncoder(&want).Encode(j); err != nil {
			t.Fatal(err)
		}
		if err := writeStreamed(&got, j); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("%s:\n got %s\nwant %s", name, got.String(), want.String())
		}
	}
}

// TestLinkedRunsHead: with links between services stored, the tree
// follows an answer's requests to their senders, at most
// provenance.MaxTreeNodes of them, and reads whole only those it can
// follow: a counter's first 10,000 INCRs, and a queue's length's first
// 10,000 pops of its choice, are listed as requests and the rest as a
// run read from the index; --all still lists every one.
func TestLinkedRunsHead(t *testing.T) {
	var b strings.Builder
	b.WriteString("1795540872.000000 [0 127.0.0.1:1] \"SET\" \"hits\" \"10\"\n")
	for i := range 10500 {
		fmt.Fprintf(&b, "1795540872.%06d [0 127.0.0.1:%d] \"INCR\" \"hits\"\n", 10+i*10, 2+i%5)
	}
	b.WriteString("1795540873.000000 [0 127.0.0.1:1] \"GET\" \"hits\"\n")
	dir := t.TempDir()
	log, app, db := filepath.Join(dir, "c.log"), filepath.Join(dir, "app.log"), filepath.Join(dir, "wat.db")
	writeFile(t, log, b.String())
	writeFile(t, app, `{"ts":"2026-11-24T15:49:28.000Z","service":"api","kind":"http.request","id":"h1","method":"GET","path":"/"}
{"ts":"2026-11-24T15:49:28.020Z","service":"api","kind":"redis.call","id":"c1","parent_id":"h1","cmd":"INCR","args":["visits"],"reply":1}
`)
	mustWat(t, db, "ingest", log)
	mustWat(t, db, "ingest", "--mapping", "calls", app)
	out, _ := mustWat(t, db, "explain", "--at", log+":10502")
	for _, want := range []string{
		`output "10510"`, "1 witness (exact)",
		`c.log:2: witness 1: 10,000 × INCR "hits"`, "from 5 clients, lines 2-10001\n",
		`c.log:10002: witness 1: 500 × INCR "hits"`, "lines 10002-10501 (a run read from the index; --all lists every one)",
		"the tree is cut: at most 10000 requests are followed to their senders",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("no %q in\n%s", want, out)
		}
	}
	out, _ = mustWat(t, db, "explain", "--all", "--at", log+":10502")
	if n := strings.Count(out, `witness 1: INCR "hits"`); n != 10500 {
		t.Errorf("--all: %d INCRs listed, want 10500", n)
	}

	b.Reset()
	for i := range 10500 {
		for j, req := range []string{fmt.Sprintf(`"LPUSH" "q" "job%d"`, i), `"RPOP" "q"`, `"RPOP" "q"`} {
			fmt.Fprintf(&b, "1795540874.%06d [0 127.0.0.1:%d] %s\n", 30*i+10*j, 2+(3*i+j)%5, req)
		}
	}
	b.WriteString("1795540875.000000 [0 127.0.0.1:1] \"LLEN\" \"q\"\n")
	queue := filepath.Join(dir, "q.log")
	writeFile(t, queue, b.String())
	mustWat(t, db, "ingest", queue)
	out, _ = mustWat(t, db, "explain", "--at", queue+":31501")
	for _, want := range []string{
		"output (integer) 0", "any 10500 of these 21000 requests",
		`q.log:2: choice 1: 10,000 × RPOP "q"`, "from 5 clients, lines 2-15000\n",
		`q.log:15002: choice 1: 11,000 × RPOP "q"`, "lines 15002-31500 (a run read from the index; --all lists every one)",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("no %q in\n%s", want, out)
		}
	}
	out, _ = mustWat(t, db, "explain", "--all", "--at", queue+":31501")
	if n := strings.Count(out, `choice 1: RPOP "q"`); n != 21000 {
		t.Errorf("--all: %d RPOPs listed, want 21000", n)
	}
}

// TestStreamedReadError: a read that fails while an answer lists runs a
// chunk at a time is the answer's error, in text and in JSON, not a
// list cut short in silence.
func TestStreamedReadError(t *testing.T) {
	fail := func([]int64) ([]*formats.Event, error) { return nil, errors.New("disk I/O error") }
	runs := []provenance.Run{{IDs: provenance.IDsOf([]int64{1, 2, 3})}}
	var out bytes.Buffer
	r := newRenderer(&out, "never")
	r.events = fail
	r.listHeld("witness 1: ", nil, runs)
	if r.err == nil || !strings.Contains(r.err.Error(), "disk I/O error") {
		t.Errorf("text: error %v", r.err)
	}
	j := jsonWitness{Events: jsonEvents{held: &jsonHeld{runs: runs, read: fail}}}
	if err := writeStreamed(&out, j); err == nil || !strings.Contains(err.Error(), "disk I/O error") {
		t.Errorf("JSON: error %v", err)
	}
}
