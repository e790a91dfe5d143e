package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/wat-project/wat/formats/jsonlines"
	"github.com/wat-project/wat/ingest/store/storetest"
)

// TestREADMEExamples runs every example of README.md, a line "$ COMMAND"
// in a fenced block, with sh in a directory holding the logs the README
// names, and checks that what it prints (standard output and error, in
// order) is what the README shows under it. A line "..." in the README
// stands for any lines; timings ("in 4ms (14786 lines/s, 0.9 MB/s)") are
// not compared. A block whose first command is 'wat ingest' begins with
// an empty store; any other goes on with the store of the block before.
// It runs on each backend: the README's answers are both's. The
// repository's files are where the README names them (the work directory
// is a copy of the parts it uses).
func TestREADMEExamples(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := readmeExamples(string(readme))
	n := 0
	for _, b := range blocks {
		n += len(b)
	}
	if n < 20 {
		t.Fatalf("only %d README examples found: the test is not reading the README", n)
	}
	files, err := readmeFiles()
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, st string) {
		dir := t.TempDir()
		for name, b := range files {
			path := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		backend := filepath.Base(t.Name())
		for _, b := range blocks {
			if strings.HasPrefix(b[0].cmd, "wat ingest ") {
				st = storetest.New(t, backend)
			}
			for _, ex := range b {
				cmd := exec.Command("sh", "-c", ex.cmd+" 2>&1")
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "WAT_STORE="+st, "NO_COLOR=1", "WAT_MAPPINGS="+filepath.Join(dir, "no-mappings"))
				out, _ := cmd.Output() // a failing example shows its error
				if !linesMatch(normalizeTimes(ex.want), normalizeTimes(strings.Split(strings.TrimSuffix(string(out), "\n"), "\n"))) {
					t.Errorf("README.md:%d: $ %s\nshows:\n%s\nbut prints:\n%s", ex.line, ex.cmd, strings.Join(ex.want, "\n"), out)
				}
			}
		}
	})
}

// A readmeExample is one "$ COMMAND" of the README and the lines shown
// under it.
type readmeExample struct {
	line int
	cmd  string
	want []string
}

// readmeExamples returns the README's examples, by fenced block.
func readmeExamples(readme string) [][]readmeExample {
	var blocks [][]readmeExample
	var cur []readmeExample
	in := false
	for i, l := range strings.Split(readme, "\n") {
		switch {
		case strings.HasPrefix(l, "```"):
			if in && len(cur) > 0 {
				blocks = append(blocks, cur)
			}
			in, cur = !in, nil
		case !in:
		case strings.HasPrefix(l, "$ "):
			cur = append(cur, readmeExample{line: i + 1, cmd: l[2:]})
		case len(cur) > 0:
			cur[len(cur)-1].want = append(cur[len(cur)-1].want, l)
		}
	}
	return blocks
}

// readmeFiles are the logs the README's examples name, by the path they
// name them by: the bundled captures where they are, and the others from
// the test logs and scripts that hold them.
func readmeFiles() (map[string][]byte, error) {
	files, err := scriptFixtures()
	if err != nil {
		return nil, err
	}
	for name, from := range map[string]string{"app.log": "jsonlines.txtar", "client.log": "zookeeper.txtar", "shop.log": "mapping.txtar", "shop.json": "mapping.txtar"} {
		a, err := txtar.ParseFile(filepath.Join("testdata/script", from))
		if err != nil {
			return nil, err
		}
		for _, f := range a.Files {
			if f.Name == name {
				files[name] = f.Data
			}
		}
	}
	rq := "specs/redis/testdata/queues/rq.monitor.log.gz"
	if files[rq], err = os.ReadFile("../../" + rq); err != nil {
		return nil, err
	}
	return files, nil
}

var timingRE = regexp.MustCompile(`in [0-9.]+[µmn]?s \([^)]*\)|in [0-9.m]+s \([^)]*\)`)

// normalizeTimes replaces ingest's timings, which differ run to run,
// and drops trailing blanks (an empty last column of a table), which a
// README does not keep.
func normalizeTimes(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.TrimRight(timingRE.ReplaceAllString(l, "in TIME"), " \t")
	}
	return out
}

// linesMatch tells whether got is want, a line "..." of want standing for
// any lines.
func linesMatch(want, got []string) bool {
	if len(want) == 0 {
		return len(got) == 0
	}
	if want[0] == "..." {
		for i := 0; i <= len(got); i++ {
			if linesMatch(want[1:], got[i:]) {
				return true
			}
		}
		return false
	}
	return len(got) > 0 && got[0] == want[0] && linesMatch(want[1:], got[1:])
}

// TestREADMEMappingKeys: the README's table of a mapping rule's keys
// names every key a rule takes and every field it reads.
func TestREADMEMappingKeys(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(readme), "Every key of a rule")
	_, table, _ = strings.Cut(table, "\n\n") // the sentence that begins it
	table, _, _ = strings.Cut(table, "\n\n")
	keys, fields := jsonlines.RuleKeys()
	for _, k := range keys {
		if !strings.Contains(table, "| `"+k+"` |") {
			t.Errorf("the README's table of rule keys does not document %q", k)
		}
	}
	_, row, _ := strings.Cut(table, "| `fields` |")
	row, _, _ = strings.Cut(row, "\n")
	for _, f := range fields {
		if !strings.Contains(row, "`"+f+"`") {
			t.Errorf("the README's table of rule keys does not document the field %q", f)
		}
	}
}
