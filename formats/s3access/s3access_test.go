package s3access

import (
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
)

func TestSamples(t *testing.T) {
	var lines [][]byte
	for _, s := range Format.Samples {
		lines = append(lines, []byte(s))
		var ev formats.Event
		if r, err := (&parser{}).Parse([]byte(s), &ev); err != nil || r != formats.IsEvent {
			t.Errorf("%s: %v %v", s, r, err)
		}
	}
	if Format.Sniff(lines) == 0 {
		t.Error("samples do not sniff")
	}
	if Format.Sniff([][]byte{[]byte(`{"a":1}`), []byte(`1795535140.000001 [0 127.0.0.1:5000] "GET" "k"`)}) != 0 {
		t.Error("other formats sniff as S3")
	}
}

func TestFields(t *testing.T) {
	var ev formats.Event
	if _, err := (&parser{}).Parse([]byte(Format.Samples[1]), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.NS != "photos" || ev.Op != "REST.PUT.OBJECT" || string(ev.Args[0]) != "avatars/u42 new.png" ||
		string(ev.Args[1]) != "3HL4kqtJvjVBH40Nrjfkd" || string(ev.Args[2]) != "2048" || string(ev.Args[3]) != "" ||
		string(ev.Args[4]) != "PUT /photos/avatars/u42%20new.png HTTP/1.1" || string(ev.Reply) != "200" ||
		ev.ReqID != "7C1A0B2D3E4F5061" || ev.Client != "10.0.9.4" || ev.Time != 1795532401000000000 {
		t.Errorf("event = %+v args %q", ev, ev.Args)
	}
	// An older, shorter record; an error record.
	if _, err := (&parser{}).Parse([]byte(Format.Samples[2]), &ev); err != nil || string(ev.Reply) != "404 NoSuchKey" || string(ev.Args[1]) != "" {
		t.Errorf("404: %+v %v", ev, err)
	}
	// Fields appended in the future are ignored.
	more := Format.Samples[0] + " us-west-2 future"
	if _, err := (&parser{}).Parse([]byte(more), &ev); err != nil || ev.Op != "REST.GET.VERSIONING" {
		t.Errorf("future fields: %v", err)
	}
}

func TestRejected(t *testing.T) {
	good := Format.Samples[2]
	for line, want := range map[string]string{
		"owner bucket": "field 3 (Time)",
		strings.Replace(good, "[24/Nov/2026:15:00:02 +0000]", "[yesterday]", 1): "field 3 (Time)",
		strings.Replace(good, " 404 ", " abc ", 1):                              "field 10 (HTTP status)",
		good[:strings.Index(good, `HTTP/1.1"`)]:                                 "Request-URI",
		strings.Replace(good, "nothere.png", "bad%zzkey", 1):                    "field 8 (Key)",
	} {
		var ev formats.Event
		_, err := (&parser{}).Parse([]byte(line), &ev)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", line, err, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range Format.Samples {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var ev formats.Event
		r, err := (&parser{}).Parse(line, &ev)
		if err == nil && r == formats.IsEvent && (ev.Op == "" || len(ev.Args) != 5) {
			t.Fatalf("event without op or args: %q", line)
		}
	})
}
