package formats_test

import (
	"slices"
	"testing"

	"github.com/wat-project/wat/formats"
)

func TestLogName(t *testing.T) {
	for in, want := range map[string]string{
		"mon.log": "mon.log", "mon.log.1": "mon.log", "mon.log.2.gz": "mon.log", "./mon.log.gz": "mon.log",
		"mon.log-20261124": "mon.log", "mon.log-20261124.gz": "mon.log", "logs/cache-a.monitor.log.1": "logs/cache-a.monitor.log",
		"cache-b.monitor.log": "cache-b.monitor.log", "v1.2": "v1", "server-2": "server-2", "app.2026": "app",
	} {
		if got := formats.LogName(in); got != want {
			t.Errorf("LogName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRotationOrder(t *testing.T) {
	in := []string{"a.log", "b.log", "a.log.1", "a.log.2.gz", "a.log.10.gz", "-", "b.log-20261124", "b.log-20261123.gz",
		"tr.10530", "tr.9999", "tr.10528", "c.log.1", "c.log.2"}
	want := []string{"a.log.10.gz", "a.log.2.gz", "a.log.1", "a.log", "b.log-20261123.gz", "b.log-20261124", "b.log", "-",
		"tr.9999", "tr.10528", "tr.10530", "c.log.2", "c.log.1"}
	if got := formats.RotationOrder(in); !slices.Equal(got, want) {
		t.Errorf("RotationOrder(%q) = %q, want %q", in, got, want)
	}
}
