package main

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
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
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		Setup: func(env *testscript.Env) error {
			// The bundled real capture, where the README's session finds it.
			if err := os.MkdirAll(filepath.Join(env.WorkDir, "testdata"), 0o755); err != nil {
				return err
			}
			env.Setenv("WAT_DB", filepath.Join(env.WorkDir, "wat.db"))
			env.Setenv("NO_COLOR", "1")
			if err := os.MkdirAll(filepath.Join(env.WorkDir, "testdata", "multiservice"), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(env.WorkDir, "testdata", "multiservice", "app.log"), app, 0o644); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(env.WorkDir, "testdata", "monitor.log"), capture, 0o644)
		},
	})
}

// TestMultiserviceFixtureIsGenerated checks that the committed API-server
// log is what its generator writes, so the fixture cannot drift from the
// script that documents it.
func TestMultiserviceFixtureIsGenerated(t *testing.T) {
	want, err := os.ReadFile("../../testdata/multiservice/app.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "run", "./testdata/multiservice/generate.go")
	cmd.Dir = "../.."
	got, err := cmd.Output()
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	if string(got) != string(want) {
		t.Error("testdata/multiservice/app.log differs from what generate.go writes: run it again")
	}
}
