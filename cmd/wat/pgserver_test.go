package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wat-project/wat/ingest/store/storetest"
)

// TestPostgresServerDies stops a PostgreSQL server of its own (started
// with testdata/postgres.sh on 127.0.0.1) while wat ingests into it: the
// ingest fails naming the file, and once the server is back the store
// holds the files loaded before, none half-loaded, and the same ingest
// completes.
func TestPostgresServerDies(t *testing.T) {
	storetest.Require(t, "postgres") // a server is installed where the suite has one
	dir, err := os.MkdirTemp("", "wat-pgdies")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	script, _ := filepath.Abs("../../testdata/postgres.sh")
	server := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(script, args...).Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("postgres.sh %v: %v: %s", args, err, stderr)
		}
		return strings.TrimSpace(string(out))
	}
	dsn := server("start", dir, "25441")
	defer exec.Command(script, "stop", dir).Run()

	small := "../../testdata/monitor.log"
	big := filepath.Join(t.TempDir(), "big.log")
	monitorLog(t, big, 3000000)
	cmd := selfWat(t, "--store", dsn, "ingest", "--quiet", small, big)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // into the big file's COPY
	server("stop", dir)
	err = cmd.Wait()
	if err == nil || !strings.Contains(stderr.String(), "big.log: store: ") {
		t.Fatalf("ingest while the server stopped: %v: %s", err, stderr.String())
	}
	server("start", dir, "25441")
	s := checkStore(t, context.Background(), dsn)
	srcs, err := s.Sources(context.Background())
	s.Close()
	if err != nil || len(srcs) != 1 || srcs[0].Events != 56 {
		t.Fatalf("sources after the server came back: %d %v", len(srcs), err)
	}
	if _, stderr, code := wat(t, "--store", dsn, "ingest", "--quiet", big); code != 0 {
		t.Fatalf("ingest again: %s", stderr)
	}
	s = checkStore(t, context.Background(), dsn)
	defer s.Close()
	if srcs, _ := s.Sources(context.Background()); len(srcs) != 2 || srcs[1].Events != 3000000 {
		t.Errorf("sources after the second ingest: %+v", srcs)
	}
}
