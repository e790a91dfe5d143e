package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// TestREADMEShowsGoldens: every README example whose command a script in
// testdata/script runs and compares with a golden file ('exec wat ARGS'
// then 'cmp stdout NAME') shows that golden's text as its output (up to
// a line "..." where the README cuts it), so the README cannot drift
// from what wat prints.
func TestREADMEShowsGoldens(t *testing.T) {
	goldens := map[string]string{} // "wat ARGS" -> golden text
	scripts, _ := filepath.Glob("testdata/script/*.txtar")
	cmp := regexp.MustCompile(`^cmp stdout (\S+)$`)
	for _, p := range scripts {
		a, err := txtar.ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files := map[string]string{}
		for _, f := range a.Files {
			files[f.Name] = string(f.Data)
		}
		lines := strings.Split(string(a.Comment), "\n")
		for i := 0; i+1 < len(lines); i++ {
			cmd, ok := strings.CutPrefix(lines[i], "exec ")
			m := cmp.FindStringSubmatch(lines[i+1])
			if ok && m != nil && strings.HasPrefix(cmd, "wat ") {
				goldens[cmd] = files[m[1]]
			}
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(readme), "\n")
	checked := 0
	for i, l := range lines {
		cmd, ok := strings.CutPrefix(l, "$ ")
		want, known := goldens[cmd]
		if !ok || !known {
			continue
		}
		var shown []string
		for _, o := range lines[i+1:] {
			if strings.HasPrefix(o, "$ ") || o == "```" {
				break
			}
			shown = append(shown, o)
		}
		got := strings.Join(shown, "\n") + "\n"
		if cut := strings.Index(got, "\n...\n"); cut >= 0 {
			got, want = got[:cut+1], want[:min(cut+1, len(want))]
		}
		if got != want {
			t.Errorf("README.md:%d: %s shows\n%s\nbut wat prints (%s)\n%s", i+1, cmd, got, "testdata/script", want)
		}
		checked++
	}
	if checked < 5 {
		t.Errorf("only %d README examples have a golden: the test is not checking the README", checked)
	}
	t.Logf("%d README examples checked against their goldens", checked)
}
