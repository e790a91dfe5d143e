package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/wat-project/wat/ingest/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/script")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"wat": main, // the command itself, signal handling included
	})
}

// TestScripts runs the end-to-end scripts in testdata/script: every
// README example and the golden witness trees. 'go test -update' rewrites
// their expected outputs (review the diff before committing it).
func TestScripts(t *testing.T) {
	files, err := scriptFixtures()
	if err != nil {
		t.Fatal(err)
	}
	// Every script runs on each backend against the same golden output:
	// the PostgreSQL store must answer byte for byte as SQLite does.
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			storetest.Require(t, backend)
			scripts(t, backend, files)
		})
	}
}

// scriptFixtures reads the repository's logs that every script finds in
// its work directory, by their path there: the bundled real capture where
// the README's session finds it, and the other formats' test logs.
func scriptFixtures() (map[string][]byte, error) {
	from := map[string]string{
		"testdata/monitor.log":          "../../testdata/monitor.log",
		"testdata/multiservice/app.log": "../../testdata/multiservice/app.log",
		"testdata/s3/access.log":        "../../testdata/s3/access.log",
		"trace.log":                     "../../formats/strace/testdata/trace.log",
		"plain.log":                     "../../formats/strace/testdata/plain.log",
		"zk-audit.log":                  "../../formats/zookeeper/testdata/audit.log",
		"zk-txn.log":                    "../../formats/zookeeper/testdata/txn.log",
	}
	zardoz, err := filepath.Glob("../../testdata/zardozbook/*.*")
	if err != nil {
		return nil, err
	}
	for _, f := range zardoz {
		from["testdata/zardozbook/"+filepath.Base(f)] = f
	}
	files := map[string][]byte{}
	for dst, src := range from {
		b, err := os.ReadFile(src)
		if err != nil {
			return nil, err
		}
		files[dst] = b
	}
	return files, nil
}

func scripts(t *testing.T, backend string, files map[string][]byte) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update && backend == "sqlite",
		// [postgres] marks what differs by backend: a store that is a
		// file, and wat sql's parsed view columns (SQLite only); [citus],
		// what differs on a Citus cluster (WAT_TEST_PG_LAYOUT).
		Condition: func(cond string) (bool, error) {
			if cond == "postgres" {
				return backend == "postgres", nil
			}
			if cond == "citus" { // the suite run by hand on a Citus cluster
				return backend == "postgres" && os.Getenv("WAT_TEST_PG_LAYOUT") != "", nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Setup: func(env *testscript.Env) error {
			st := filepath.Join(env.WorkDir, "wat.db")
			if backend == "postgres" {
				var err error
				if st, err = storetest.Postgres(t); err != nil {
					return err
				}
			}
			env.Setenv("WAT_DB", st)
			env.Setenv("NO_COLOR", "1")
			for name, b := range files {
				path := filepath.Join(env.WorkDir, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					return err
				}
				if err := os.WriteFile(path, b, 0o644); err != nil {
					return err
				}
			}
			return nil
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
