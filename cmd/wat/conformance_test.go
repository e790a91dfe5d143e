package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/wat-project/wat/ingest/store/storetest"
)

// TestConformance ingests every bundled log into a SQLite store and a
// PostgreSQL store, and asks both to explain every line (every k-th of
// the two large strace captures) as text and as NDJSON, and to follow
// and list events: the answers, errors and exit codes must be byte for
// byte the same.
func TestConformance(t *testing.T) {
	storetest.Require(t, "postgres")
	sets := []struct {
		name     string
		ingests  [][]string
		files    []string
		noFollow bool // follow from a strace read explains hundreds of later calls: a small budget
	}{
		{"redis", [][]string{{"../../testdata/monitor.log"}}, []string{"../../testdata/monitor.log"}, false},
		{"multiservice", [][]string{{"--mapping", "calls", "../../testdata/multiservice/app.log"}}, []string{"../../testdata/multiservice/app.log"}, false},
		{"s3", [][]string{{"../../testdata/s3/access.log"}}, []string{"../../testdata/s3/access.log"}, false},
		{"zardozbook", [][]string{
			{"--mapping", "../../testdata/zardozbook/mapping.json", "../../testdata/zardozbook/lb.log", "../../testdata/zardozbook/app1.log", "../../testdata/zardozbook/app2.log", "../../testdata/zardozbook/app3.log"},
			{"../../testdata/zardozbook/monitor.log"},
		}, []string{"../../testdata/zardozbook/lb.log", "../../testdata/zardozbook/app1.log", "../../testdata/zardozbook/app2.log", "../../testdata/zardozbook/app3.log", "../../testdata/zardozbook/monitor.log"}, false},
		{"strace", [][]string{{"../../formats/strace/testdata/trace.log"}, {"../../formats/strace/testdata/plain.log"}},
			[]string{"../../formats/strace/testdata/trace.log", "../../formats/strace/testdata/plain.log"}, true},
		{"zookeeper", [][]string{{"../../formats/zookeeper/testdata/txn.log", "../../formats/zookeeper/testdata/audit.log"}},
			[]string{"../../formats/zookeeper/testdata/txn.log", "../../formats/zookeeper/testdata/audit.log"}, false},
	}
	// The statements the PostgreSQL store is sent, by command, for
	// checkRouted.
	traces := t.TempDir()
	onPG := func(command string) func() {
		os.Setenv("WAT_TRACE_SQL", filepath.Join(traces, command+".sql"))
		return func() { os.Unsetenv("WAT_TRACE_SQL") }
	}
	for _, set := range sets {
		t.Run(set.name, func(t *testing.T) {
			sq, pg := storetest.New(t, "sqlite"), storetest.New(t, "postgres")
			for _, args := range set.ingests {
				for _, st := range []string{sq, pg} {
					done := func() {}
					if st == pg {
						done = onPG("ingest")
					}
					_, stderr, code := wat(t, append([]string{"--store", st, "ingest", "--quiet"}, args...)...)
					done()
					if code != 0 {
						t.Fatalf("ingest %v: %s", args, stderr)
					}
				}
			}
			same := func(args ...string) {
				t.Helper()
				o1, e1, c1 := wat(t, append([]string{"--store", sq}, args...)...)
				done := onPG(args[0])
				o2, e2, c2 := wat(t, append([]string{"--store", pg}, args...)...)
				done()
				if o1 != o2 || e1 != e2 || c1 != c2 {
					t.Errorf("wat %v differs:\nsqlite (exit %d):\n%s%s\npostgres (exit %d):\n%s%s", args, c1, o1, e1, c2, o2, e2)
				}
			}
			asked := 0
			for _, f := range set.files {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				n := bytes.Count(b, []byte("\n"))
				step := max(1, n/100)
				for line := 1; line <= n+1; line += step {
					at := fmt.Sprintf("%s:%d", f, line)
					same("explain", "--at", at, "--json")
					same("explain", "--at", at)
					if !set.noFollow {
						same("follow", "--at", at, "--json")
					} else if asked%20 == 0 {
						same("follow", "--at", at, "--json", "--budget", "10")
					}
					asked++
				}
			}
			same("events")
			same("events", "--json")
			t.Logf("%d lines asked on both backends", asked)
		})
	}
	for _, command := range []string{"ingest", "explain", "follow"} {
		checkRouted(t, command, filepath.Join(traces, command+".sql"))
	}
}
