package main

import (
	"context"
	"flag"
	"os"
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
			return os.WriteFile(filepath.Join(env.WorkDir, "testdata", "monitor.log"), capture, 0o644)
		},
	})
}
