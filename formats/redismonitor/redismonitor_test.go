package redismonitor_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/formats/redismonitor"
)

func parse(t *testing.T, line string) (formats.Event, formats.Result, error) {
	t.Helper()
	var ev formats.Event
	r, err := redismonitor.Format.NewParser().Parse([]byte(line), &ev)
	return ev, r, err
}

func args(a ...string) [][]byte {
	var out [][]byte
	for _, s := range a {
		out = append(out, []byte(s))
	}
	return out
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name   string
		line   string
		time   int64
		ns     string
		client string
		op     string
		args   [][]byte
	}{
		{"Plain", `1795535140.886845 [0 127.0.0.1:50012] "SET" "k" "v"`,
			1795535140886845000, "0", "127.0.0.1:50012", "SET", args("k", "v")},
		{"LowerCaseCommand", `1795540872.197525 [0 127.0.0.1:35322] "set" "user:42:name" "alice" "EX" "3600"`,
			1795540872197525000, "0", "127.0.0.1:35322", "SET", args("user:42:name", "alice", "EX", "3600")},
		{"MixedCaseCommand", `1795540872.197525 [0 127.0.0.1:1] "hGetAll" "h"`,
			1795540872197525000, "0", "127.0.0.1:1", "HGETALL", args("h")},
		{"NoArgs", `1795540872.252316 [1 127.0.0.1:35460] "MULTI"`,
			1795540872252316000, "1", "127.0.0.1:35460", "MULTI", nil},
		{"Database", `1795540872.297120 [12 127.0.0.1:35582] "get" "k"`,
			1795540872297120000, "12", "127.0.0.1:35582", "GET", args("k")},
		{"Lua", `1795540872.247110 [0 lua] "SET" "user:42:seen" "1795540000"`,
			1795540872247110000, "0", "lua", "SET", args("user:42:seen", "1795540000")},
		{"Unix", `1795540667.978403 [0 unix:/tmp/rexp/r.sock] "set" "ku" "vu"`,
			1795540667978403000, "0", "unix:/tmp/rexp/r.sock", "SET", args("ku", "vu")},
		{"UnixPathWithSpace", `1795540667.978403 [0 unix:/tmp/my dir/r.sock] "get" "k"`,
			1795540667978403000, "0", "unix:/tmp/my dir/r.sock", "GET", args("k")},
		{"IPv6", `1795540667.975183 [0 [::1]:50182] "set" "k6" "v6"`,
			1795540667975183000, "0", "[::1]:50182", "SET", args("k6", "v6")},
		{"IPv6Full", `1795540667.975183 [0 [2001:db8::1]:6379] "get" "k"`,
			1795540667975183000, "0", "[2001:db8::1]:6379", "GET", args("k")},
		{"RESP", "+1795540668.203021 [0 127.0.0.1:59842] \"get\" \"k6\"\r",
			1795540668203021000, "0", "127.0.0.1:59842", "GET", args("k6")},
		{"TrailingCR", "1795540668.203021 [0 127.0.0.1:59842] \"get\" \"k6\"\r",
			1795540668203021000, "0", "127.0.0.1:59842", "GET", args("k6")},
		{"EmptyArgs", `1795540667.996934 [0 127.0.0.1:59822] "set" "" ""`,
			1795540667996934000, "0", "127.0.0.1:59822", "SET", args("", "")},
		{"Escapes", `1795540667.990110 [0 127.0.0.1:59796] "set" "bin" "h\xc3\xa9llo\x01\x7f \"q\" \\ \n\r\t\a\b end"`,
			1795540667990110000, "0", "127.0.0.1:59796", "SET", args("bin", "h\xc3\xa9llo\x01\x7f \"q\" \\ \n\r\t\a\b end")},
		{"UpperHex", `1795540667.990110 [0 127.0.0.1:1] "set" "\xFF\xAb"`,
			1795540667990110000, "0", "127.0.0.1:1", "SET", args("\xff\xab")},
		{"QuoteAndSpaceLiteral", `1795540872.288270 [0 127.0.0.1:35550] "set" "motd" "it's up"`,
			1795540872288270000, "0", "127.0.0.1:35550", "SET", args("motd", "it's up")},
		{"BracketInArg", `1795540872.288270 [0 127.0.0.1:1] "set" "a] \"b" "[0 x]"`,
			1795540872288270000, "0", "127.0.0.1:1", "SET", args("a] \"b", "[0 x]")},
		{"Redacted", `1795540667.993277 [0 127.0.0.1:59812] "auth" "(redacted)"`,
			1795540667993277000, "0", "127.0.0.1:59812", "AUTH", args("(redacted)")},
		{"ShortFraction", `1795535140.5 [0 lua] "PING"`,
			1795535140500000000, "0", "lua", "PING", nil},
		{"NanoFraction", `1795535140.123456789 [0 lua] "PING"`,
			1795535140123456789, "0", "lua", "PING", nil},
		{"LargestTime", `9223372035.999999 [0 lua] "PING"`,
			9223372035999999000, "0", "lua", "PING", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, r, err := parse(t, tc.line)
			if err != nil || r != formats.IsEvent {
				t.Fatalf("Parse() = %v, %v, want IsEvent", r, err)
			}
			if got, want := ev.Time, tc.time; got != want {
				t.Errorf("Time = %d, want %d", got, want)
			}
			if got, want := ev.System, "redis"; got != want {
				t.Errorf("System = %q, want %q", got, want)
			}
			if got, want := ev.NS, tc.ns; got != want {
				t.Errorf("NS = %q, want %q", got, want)
			}
			if got, want := ev.Client, tc.client; got != want {
				t.Errorf("Client = %q, want %q", got, want)
			}
			if got, want := ev.Op, tc.op; got != want {
				t.Errorf("Op = %q, want %q", got, want)
			}
			if !slices.EqualFunc(ev.Args, tc.args, bytes.Equal) {
				t.Errorf("Args = %q, want %q", ev.Args, tc.args)
			}
			if got, want := string(ev.Raw), tc.line; got != want {
				t.Errorf("Raw = %q, want %q", got, want)
			}
			if ev.Reply != nil {
				t.Errorf("Reply = %q, want nil", ev.Reply)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, line, want string
	}{
		{"NoTimestamp", `[0 127.0.0.1:1] "GET" "k"`, `no timestamp at start of line`},
		{"Text", `hello world`, `no timestamp at start of line`},
		{"TimestampNoFraction", `1795535140 [0 lua] "GET"`, `bad timestamp "1795535140": no fraction`},
		{"TimestampLetters", `1795535140.88x845 [0 lua] "GET"`, `bad timestamp "1795535140.88x845": not a number`},
		{"TimestampEmptyFraction", `1795535140. [0 lua] "GET"`, `bad timestamp "1795535140.": want 1 to 9 fractional digits`},
		{"TimestampLongFraction", `1795535140.1234567890 [0 lua] "GET"`, `bad timestamp "1795535140.1234567890": want 1 to 9 fractional digits`},
		{"TimestampTwoDots", `1795535140.1.2 [0 lua] "GET"`, `bad timestamp "1795535140.1.2": not a number`},
		{"TimestampOverflow", `9223372036.000000 [0 lua] "GET"`, `bad timestamp "9223372036.000000": out of range`},
		{"TimestampZero", `0.000000 [0 lua] "GET"`, `bad timestamp "0.000000": zero`},
		{"TimestampOnly", `1795535140.886845`, `missing " [" after timestamp`},
		{"NoBracket", `1795535140.886845 0 lua] "GET"`, `missing " [" after timestamp`},
		{"NoDatabase", `1795535140.886845 [lua] "GET"`, `missing database number after "["`},
		{"DatabaseTooLong", `1795535140.886845 [12345678901 lua] "GET"`, `database number "12345678901" too long`},
		{"DatabaseNoSpace", `1795535140.886845 [0] "GET"`, `missing space after database number`},
		{"DatabaseNotNumber", `1795535140.886845 [0x lua] "GET"`, `missing space after database number`},
		{"MissingCloseBracket", `1795535140.886845 [0 127.0.0.1:1 "GET" "k"`, `missing "]" after client`},
		{"MissingCloseBracketIPv6", `1795535140.886845 [0 [::1]:1`, `missing "]" after client`},
		{"NoClient", `1795535140.886845 [0 ] "GET"`, `missing client`},
		{"NoCommand", `1795535140.886845 [0 127.0.0.1:1]`, `no command after client`},
		{"NoCommandTrailingSpace", `1795535140.886845 [0 127.0.0.1:1] `, `argument 1 does not start with a quote`},
		{"UnquotedCommand", `1795535140.886845 [0 127.0.0.1:1] GET "k"`, `argument 1 does not start with a quote`},
		{"UnquotedArg", `1795535140.886845 [0 127.0.0.1:1] "GET" k`, `argument 2 does not start with a quote`},
		{"EmptyCommand", `1795535140.886845 [0 127.0.0.1:1] "" "k"`, `empty command name`},
		{"UnterminatedCommand", `1795535140.886845 [0 127.0.0.1:1] "GET`, `unterminated quoted argument 1`},
		{"Unterminated", `1795535140.886845 [0 127.0.0.1:1] "SET" "k" "v`, `unterminated quoted argument 3`},
		{"UnterminatedEscapedQuote", `1795535140.886845 [0 127.0.0.1:1] "SET" "k\"`, `unterminated quoted argument 2`},
		{"TrailingBackslash", `1795535140.886845 [0 127.0.0.1:1] "SET" "k\`, `trailing backslash in argument 2`},
		{"BadHex", `1795535140.886845 [0 127.0.0.1:1] "SET" "k" "\xZZ"`, `bad \x escape in argument 3: want two hex digits, got "ZZ"`},
		{"BadHexOneDigit", `1795535140.886845 [0 127.0.0.1:1] "SET" "k" "\xa"`, `bad \x escape in argument 3: want two hex digits, got "a\""`},
		{"ShortHex", `1795535140.886845 [0 127.0.0.1:1] "SET" "\x`, `bad \x escape in argument 2: want two hex digits, got ""`},
		{"UnknownEscape", `1795535140.886845 [0 127.0.0.1:1] "SET" "\q"`, `unknown escape "\\q" in argument 2`},
		{"GarbageBetweenArgs", `1795535140.886845 [0 127.0.0.1:1] "SET" "k"x"v"`, `garbage after argument 2`},
		{"NoSpaceBetweenArgs", `1795535140.886845 [0 127.0.0.1:1] "SET""k"`, `garbage after argument 1`},
		{"TrailingSpace", `1795535140.886845 [0 127.0.0.1:1] "SET" "k" `, `argument 3 does not start with a quote`},
		{"TrailingGarbage", `1795535140.886845 [0 127.0.0.1:1] "GET" "k" junk`, `argument 3 does not start with a quote`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, r, err := parse(t, tc.line)
			if err == nil {
				t.Fatalf("Parse() = %v, nil, want error %q (event %+v)", r, tc.want, ev)
			}
			var pe *formats.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error type is %T, want *formats.ParseError", err)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("error = %q, want %q", got, tc.want)
			}
			if ev.Op != "" || ev.Args != nil || ev.Raw != nil || ev.Time != 0 {
				t.Errorf("event after error = %+v, want zero", ev)
			}
		})
	}
}

func TestSkipped(t *testing.T) {
	for _, line := range []string{"OK", "+OK\r", "+OK", "OK\r", "", "\r", "+", "  ", "\t"} {
		ev, r, err := parse(t, line)
		if err != nil || r != formats.IsSkipped {
			t.Errorf("Parse(%q) = %v, %v, want IsSkipped", line, r, err)
		}
		if ev.Op != "" || ev.Raw != nil {
			t.Errorf("Parse(%q) filled the event: %+v", line, ev)
		}
	}
	for _, line := range []string{"ok", "OK OK", "OKAY"} {
		if _, _, err := parse(t, line); err == nil {
			t.Errorf("Parse(%q) = nil error, want one", line)
		}
	}
}

func TestSamples(t *testing.T) {
	f := redismonitor.Format
	if f.Name != "redis-monitor" || f.System != "redis" || f.Doc == "" || f.URL == "" {
		t.Errorf("Format = %+v, want name, system, doc and URL", f)
	}
	if len(f.Samples) == 0 {
		t.Fatal("no samples")
	}
	for _, s := range f.Samples {
		if got := f.Sniff([][]byte{[]byte(s)}); got <= 0 {
			t.Errorf("Sniff(%q) = %d, want > 0", s, got)
		}
		if _, r, err := parse(t, s); err != nil || r != formats.IsEvent {
			t.Errorf("Parse(%q) = %v, %v, want IsEvent", s, r, err)
		}
	}
}

func lines(s string) [][]byte {
	return bytes.Split([]byte(s), []byte("\n"))
}

func TestSniff(t *testing.T) {
	real, err := os.ReadFile("testdata/real.log")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := os.ReadFile("testdata/resp.log")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		lines [][]byte
		want  int
	}{
		{"Real", lines(string(real)), 90},
		{"RESP", lines(string(resp)), 90},
		{"MostlyGood", lines("OK\n" +
			"1795535140.886845 [0 127.0.0.1:50012] \"SET\" \"k\" \"v\"\n" +
			"1795535140.886846 [0 127.0.0.1:50012] \"GET\" \"k\"\n" +
			"1795535140.886847 [0 127.0.0.1:50012] \"GET\" \"trunc"), 90},
		{"HalfBad", lines("1795535140.886845 [0 lua] \"GET\" \"k\"\nnot a log line"), 0},
		{"OnlyOK", lines("OK\n\n"), 0},
		{"Empty", nil, 0},
		{"JSON", lines(`{"ts":"2026-11-24T15:49:28.905Z","kind":"redis.call","cmd":"GET"}`), 0},
		{"Strace", lines(`1795535324.237780 openat(AT_FDCWD, "config.ini", O_RDONLY) = 3`), 0},
		{"S3", lines(`79a5 bucket [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /bucket?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" -`), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := redismonitor.Format.Sniff(tc.lines); got != tc.want {
				t.Errorf("Sniff() = %d, want %d", got, tc.want)
			}
		})
	}
}

// repr quotes b as redis does (sdscatrepr).
func repr(b []byte) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, c := range b {
		switch c {
		case '\\', '"':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case '\n':
			sb.WriteString(`\n`)
		case '\r':
			sb.WriteString(`\r`)
		case '\t':
			sb.WriteString(`\t`)
		case '\a':
			sb.WriteString(`\a`)
		case '\b':
			sb.WriteString(`\b`)
		default:
			if c >= 0x20 && c < 0x7f {
				sb.WriteByte(c)
			} else {
				const hex = "0123456789abcdef"
				sb.WriteString(`\x`)
				sb.WriteByte(hex[c>>4])
				sb.WriteByte(hex[c&15])
			}
		}
	}
	sb.WriteByte('"')
	return sb.String()
}

func TestBinaryRoundTrip(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	values := [][]byte{all, {}, []byte("h\xc3\xa9llo \xe2\x98\x83"), []byte(`\x41"\`)}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		v := make([]byte, rng.IntN(40))
		for i := range v {
			v[i] = byte(rng.UintN(256))
		}
		values = append(values, v)
	}
	p := redismonitor.Format.NewParser()
	var ev formats.Event
	for _, v := range values {
		line := `1795535140.886845 [0 127.0.0.1:1] "SET" ` + repr(v) + " " + repr(v)
		r, err := p.Parse([]byte(line), &ev)
		if err != nil || r != formats.IsEvent {
			t.Fatalf("Parse(%q) = %v, %v", line, r, err)
		}
		if len(ev.Args) != 2 || !bytes.Equal(ev.Args[0], v) || !bytes.Equal(ev.Args[1], v) {
			t.Errorf("Parse(%q).Args = %q, want [%q %q]", line, ev.Args, v, v)
		}
	}
}

// TestNoAliasing checks that an event owns its bytes: changing the line, or
// parsing more lines with the same parser and event, leaves it intact.
func TestNoAliasing(t *testing.T) {
	p := redismonitor.Format.NewParser()
	var events []formats.Event
	var ev formats.Event
	var want []string
	for i := range 3000 {
		line := []byte(`1795535140.886845 [0 127.0.0.1:1] "SET" "k` + strings.Repeat("x", i%300) + `" "v\x00"`)
		if _, err := p.Parse(line, &ev); err != nil {
			t.Fatal(err)
		}
		want = append(want, string(line))
		for j := range line {
			line[j] = '#'
		}
		events = append(events, ev)
		ev.Args = append(ev.Args, []byte("appended")) // must not reach the next event's bytes
		ev.Raw = append(ev.Raw, "appended to raw"...) // nor the args
	}
	for i, e := range events {
		if got := string(e.Raw); got != want[i] {
			t.Fatalf("event %d: Raw = %q, want %q", i, got, want[i])
		}
		k := "k" + strings.Repeat("x", i%300)
		if len(e.Args) != 2 || string(e.Args[0]) != k || string(e.Args[1]) != "v\x00" {
			t.Fatalf("event %d: Args = %q, want [%q %q]", i, e.Args, k, "v\x00")
		}
	}
}

func TestLongLine(t *testing.T) {
	v := bytes.Repeat([]byte{0xff, '"', 'a'}, 50000)
	line := `1795535140.886845 [0 127.0.0.1:1] "SET" "k" ` + repr(v)
	ev, _, err := parse(t, line)
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Args) != 2 || !bytes.Equal(ev.Args[1], v) {
		t.Errorf("Args[1] has %d bytes, want %d", len(ev.Args[1]), len(v))
	}
}

func TestResetsEvent(t *testing.T) {
	p := redismonitor.Format.NewParser()
	stale := formats.Event{
		ID: 7, Source: "monitor.log", Line: 3, Offset: 99, Time: 1, System: "x", NS: "9",
		Client: "c", Op: "OLD", Args: args("a", "b"), Reply: []byte("r"), Raw: []byte("raw"),
	}
	ev := stale
	if _, err := p.Parse([]byte(`1795535140.886845 [0 lua] "PING"`), &ev); err != nil {
		t.Fatal(err)
	}
	want := formats.Event{Source: "monitor.log", Line: 3, Offset: 99, Time: 1795535140886845000,
		System: "redis", NS: "0", Client: "lua", Op: "PING", Raw: []byte(`1795535140.886845 [0 lua] "PING"`)}
	if ev.ID != want.ID || ev.Args != nil || ev.Reply != nil || ev.Op != want.Op || ev.Source != want.Source ||
		ev.Line != want.Line || ev.Offset != want.Offset || ev.Time != want.Time || ev.NS != want.NS {
		t.Errorf("event = %+v, want %+v", ev, want)
	}
	for _, line := range []string{"OK", "garbage"} {
		ev = stale
		p.Parse([]byte(line), &ev)
		if ev.Op != "" || ev.Args != nil || ev.Reply != nil || ev.Raw != nil || ev.Time != 0 || ev.ID != 0 || ev.Source != "monitor.log" {
			t.Errorf("Parse(%q): event = %+v, want only Source, Line, Offset kept", line, ev)
		}
	}
}

// TestRealLogs parses every line of the captures in testdata.
func TestRealLogs(t *testing.T) {
	files, err := filepath.Glob("testdata/*.log")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/*.log: %v", err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		p := redismonitor.Format.NewParser()
		var ev formats.Event
		events := 0
		for i, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
			r, err := p.Parse(line, &ev)
			if err != nil {
				t.Errorf("%s:%d: %v", name, i+1, err)
			}
			if r == formats.IsEvent {
				events++
			}
		}
		if events == 0 {
			t.Errorf("%s: no events", name)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile("testdata/real.log")
	if err != nil {
		b.Fatal(err)
	}
	ls := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	size := 0
	for _, l := range ls {
		size += len(l) + 1
	}
	p := redismonitor.Format.NewParser()
	var ev formats.Event
	b.SetBytes(int64(size / len(ls)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := p.Parse(ls[i%len(ls)], &ev); err != nil {
			b.Fatal(err)
		}
	}
}
