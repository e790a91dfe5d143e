package redismonitor_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/formats/redismonitor"
)

func FuzzParse(f *testing.F) {
	for _, s := range redismonitor.Format.Samples {
		f.Add([]byte(s))
	}
	files, err := filepath.Glob("testdata/*.log")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range bytes.Split(data, []byte("\n")) {
			f.Add(line)
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		orig := bytes.Clone(line)
		var ev formats.Event
		r, err := redismonitor.Format.NewParser().Parse(line, &ev)
		if !bytes.Equal(line, orig) {
			t.Fatalf("Parse changed its input")
		}
		if err != nil {
			var pe *formats.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error type is %T: %v", err, err)
			}
			return
		}
		if r != formats.IsEvent {
			return
		}
		if ev.Op == "" || ev.Time <= 0 || ev.Client == "" || ev.NS == "" || ev.System != "redis" {
			t.Fatalf("Parse(%q) = bad event %+v", line, ev)
		}
		if !bytes.Equal(ev.Raw, line) {
			t.Fatalf("Raw = %q, want %q", ev.Raw, line)
		}
		// The event owns its bytes.
		var args [][]byte
		for _, a := range ev.Args {
			args = append(args, bytes.Clone(a))
		}
		for i := range line {
			line[i] ^= 0xff
		}
		if !bytes.Equal(ev.Raw, orig) {
			t.Fatalf("Raw aliases the line")
		}
		for i, a := range ev.Args {
			if !bytes.Equal(a, args[i]) {
				t.Fatalf("Args[%d] aliases the line", i)
			}
		}
	})
}
