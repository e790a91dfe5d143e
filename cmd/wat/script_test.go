package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/wat-project/wat/ingest/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/script")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"wat": func() { os.Exit(Main(context.Background(), os.Args, os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the end-to-end scripts in testdata/script: every
// README example and the golden witness trees. 'go test -update' rewrites
// their expected outputs (review the diff before committing it).
func TestScripts(t *testing.T) {
	capture, err := os.ReadFile("../../testdata/monitor.log")
	if err != nil {
		t.Fatal(err)
	}
	app, err := os.ReadFile("../../testdata/multiservice/app.log")
	if err != nil {
		t.Fatal(err)
	}
	access, err := os.ReadFile("../../testdata/s3/access.log")
	if err != nil {
		t.Fatal(err)
	}
	zardoz, err := filepath.Glob("../../testdata/zardozbook/*.*")
	if err != nil {
		t.Fatal(err)
	}
	straceLog, err := os.ReadFile("../../formats/strace/testdata/trace.log")
	if err != nil {
		t.Fatal(err)
	}
	plainLog, err := os.ReadFile("../../formats/strace/testdata/plain.log")
	if err != nil {
		t.Fatal(err)
	}
	zkAudit, err := os.ReadFile("../../formats/zookeeper/testdata/audit.log")
	if err != nil {
		t.Fatal(err)
	}
	zkTxn, err := os.ReadFile("../../formats/zookeeper/testdata/txn.log")
	if err != nil {
		t.Fatal(err)
	}
	// Every script runs on each backend against the same golden output:
	// the PostgreSQL store must answer byte for byte as SQLite does.
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			storetest.Require(t, backend)
			scripts(t, backend, capture, app, access, zardoz, straceLog, plainLog, zkAudit, zkTxn)
		})
	}
}

func scripts(t *testing.T, backend string, capture, app, access []byte, zardoz []string, straceLog, plainLog, zkAudit, zkTxn []byte) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update && backend == "sqlite",
		// [postgres] marks what differs by backend: a store that is a
		// file, and wat sql's parsed view columns (SQLite only).
		Condition: func(cond string) (bool, error) {
			if cond == "postgres" {
				return backend == "postgres", nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Setup: func(env *testscript.Env) error {
			// The bundled real capture, where the README's session finds it.
			if err := os.MkdirAll(filepath.Join(env.WorkDir, "testdata"), 0o755); err != nil {
				return err
			}
			store := filepath.Join(env.WorkDir, "wat.db")
			if backend == "postgres" {
				var err error
				if store, err = storetest.Postgres(t); err != nil {
					return err
				}
			}
			env.Setenv("WAT_DB", store)
			env.Setenv("NO_COLOR", "1")
			if err := os.MkdirAll(filepath.Join(env.WorkDir, "testdata", "multiservice"), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(env.WorkDir, "testdata", "multiservice", "app.log"), app, 0o644); err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Join(env.WorkDir, "testdata", "s3"), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(env.WorkDir, "testdata", "s3", "access.log"), access, 0o644); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(env.WorkDir, "trace.log"), straceLog, 0o644); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(env.WorkDir, "plain.log"), plainLog, 0o644); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(env.WorkDir, "zk-audit.log"), zkAudit, 0o644); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(env.WorkDir, "zk-txn.log"), zkTxn, 0o644); err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Join(env.WorkDir, "testdata", "zardozbook"), 0o755); err != nil {
				return err
			}
			for _, f := range zardoz {
				b, err := os.ReadFile(f)
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(env.WorkDir, "testdata", "zardozbook", filepath.Base(f)), b, 0o644); err != nil {
					return err
				}
			}
			return os.WriteFile(filepath.Join(env.WorkDir, "testdata", "monitor.log"), capture, 0o644)
		},
	})
}

// TestFixturesAreGenerated checks that the committed generated logs are
// what their generators write, so a fixture cannot drift from the script
// that documents it.
func TestFixturesAreGenerated(t *testing.T) {
	for _, f := range []struct{ gen, log string }{
		{"testdata/multiservice/generate.go", "testdata/multiservice/app.log"},
		{"testdata/s3/generate.go", "testdata/s3/access.log"},
	} {
		want, err := os.ReadFile("../../" + f.log)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("go", "run", "./"+f.gen)
		cmd.Dir = "../.."
		got, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v", f.gen, err)
		}
		if string(got) != string(want) {
			t.Errorf("%s differs from what %s writes: run it again", f.log, f.gen)
		}
	}
	// ZardozBook's generator writes a directory of logs.
	dir := t.TempDir()
	cmd := exec.Command("go", "run", "./testdata/zardozbook/generate.go", dir)
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("zardozbook: %v: %s", err, out)
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	if len(logs) != 5 {
		t.Fatalf("zardozbook wrote %d logs, want 5", len(logs))
	}
	for _, l := range logs {
		got, _ := os.ReadFile(l)
		want, err := os.ReadFile(filepath.Join("../../testdata/zardozbook", filepath.Base(l)))
		if err != nil || string(got) != string(want) {
			t.Errorf("testdata/zardozbook/%s differs from what generate.go writes: run it again", filepath.Base(l))
		}
	}
}
