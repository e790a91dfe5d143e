package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wat-project/wat/ingest/store/storetest"
	"github.com/wat-project/wat/specs/redis/redistest"
)

// TestTwoServersRotated is the story of a user with two real Redis
// servers that share key names, each captured with MONITOR while a client
// wrote and read both in turn. Server A's capture is rotated into three
// files (the oldest gzipped; two cut with shared lines), B's into two.
// Ingested all at once, one by one in a scrambled order, or with
// duplicates (a file again, a plain copy of the gzipped one), every GET
// of either server replays the reply the server really sent, exactly.
func TestTwoServersRotated(t *testing.T) {
	a, b := redistest.Start(t), redistest.Start(t)
	var capA, capB bytes.Buffer
	stopA, err := redistest.Monitor(a.Addr, &capA)
	if err != nil {
		t.Fatal(err)
	}
	stopB, err := redistest.Monitor(b.Addr, &capB)
	if err != nil {
		t.Fatal(err)
	}
	ca, cb := a.MustDial(t), b.MustDial(t)
	gets := map[string][][]byte{} // server -> the replies of its GETs, in order
	for i := 0; i < 60; i++ {
		for _, s := range []struct {
			name string
			c    *redistest.Conn
		}{{"a", ca}, {"b", cb}} {
			for _, cmd := range [][]string{
				{"SET", fmt.Sprintf("k%d", i%4), fmt.Sprintf("%s%d", s.name, i)},
				{"INCR", "n"},
				{"GET", fmt.Sprintf("k%d", (i+1)%4)},
				{"GET", "n"},
			} {
				r, err := s.c.DoStrings(cmd...)
				if err != nil {
					t.Fatal(err)
				}
				if cmd[0] == "GET" {
					gets[s.name] = append(gets[s.name], r)
				}
			}
		}
	}
	if err := stopA(); err != nil {
		t.Fatal(err)
	}
	if err := stopB(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := func(name string) string { return filepath.Join(dir, name) }
	// A: a.log.2.gz, a.log.1 and a.log, where a.log begins with a.log.1's
	// last three lines; B: b.log.1 and b.log.
	linesA := strings.SplitAfter(capA.String(), "\n")
	linesB := strings.SplitAfter(capB.String(), "\n")
	n, m := len(linesA)/3, len(linesB)/2
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(strings.Join(linesA[:n], "")))
	zw.Close()
	files := map[string]string{
		"a.log.2.gz": gz.String(), "a.log.2": strings.Join(linesA[:n], ""),
		"a.log.1": strings.Join(linesA[n:2*n], ""), "a.log": strings.Join(linesA[2*n-3:], ""),
		"b.log.1": strings.Join(linesB[:m], ""), "b.log": strings.Join(linesB[m:], ""),
	}
	for name, content := range files {
		writeFile(t, path(name), content)
	}
	stories := []struct {
		name    string
		ingests [][]string
		oldest  string // the name A's oldest part is stored under
	}{
		{"all at once", [][]string{{"a.log", "b.log.1", "a.log.2.gz", "b.log", "a.log.1"}}, "a.log.2.gz"},
		{"one by one, scrambled", [][]string{{"a.log"}, {"b.log"}, {"a.log.1"}, {"b.log.1"}, {"a.log.2.gz"}}, "a.log.2.gz"},
		{"with duplicates", [][]string{{"a.log.1"}, {"a.log.2"}, {"b.log.1", "b.log"}, {"a.log.2.gz"}, {"a.log"}, {"a.log.1"}}, "a.log.2"},
	}
	for _, st := range stories {
		t.Run(st.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db string) {
				for _, names := range st.ingests {
					args := []string{"ingest", "--quiet"}
					for _, name := range names {
						args = append(args, path(name))
					}
					mustWat(t, db, args...)
				}
				for server, parts := range map[string][]string{"a": {st.oldest, "a.log.1", "a.log"}, "b": {"b.log.1", "b.log"}} {
					checkGets(t, db, parts, path, gets[server])
				}
			})
		})
	}
}

// checkGets explains every GET of a server's files, in order, and
// compares the replayed reply with the one the server sent. A line two
// files share (a capture cut with shared lines) is one GET, stored once:
// it is explained where it was stored.
func checkGets(t *testing.T, db string, parts []string, path func(string) string, want [][]byte) {
	t.Helper()
	var order []string             // the GET lines, in capture order
	where := map[string][]string{} // line -> its places, file:line
	for _, name := range parts {
		for i, line := range strings.Split(readCapture(t, path(name)), "\n") {
			if !strings.Contains(line, `"GET"`) {
				continue
			}
			if where[line] == nil {
				order = append(order, line)
			}
			where[line] = append(where[line], fmt.Sprintf("%s:%d", path(name), i+1))
		}
	}
	if len(order) != len(want) {
		t.Fatalf("%d GETs in the files, the server answered %d", len(order), len(want))
	}
	for k, line := range order {
		var out, stderr string
		code := 1
		for _, at := range where[line] {
			if out, stderr, code = wat(t, "--db", db, "explain", "--json", "--depth", "0", "--at", at); code == 0 {
				break
			}
		}
		var x struct {
			Exact      bool   `json:"exact"`
			OutputRESP string `json:"output_resp"`
			Notes      []string
		}
		if err := json.Unmarshal([]byte(out), &x); err != nil || code != 0 {
			t.Fatalf("%q: exit %d: %v\n%s%s", where[line], code, err, out, stderr)
		}
		if x.OutputRESP != string(want[k]) || !x.Exact {
			t.Errorf("%q: replayed %q (exact %v), the server replied %q; notes %q", where[line], x.OutputRESP, x.Exact, want[k], x.Notes)
		}
	}
}

// readCapture reads a capture file, gunzipping it.
func readCapture(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(p, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if _, err := out.ReadFrom(zr); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	return string(b)
}
