// Package redismonitor reads the output of the Redis MONITOR command, as
// printed by `redis-cli monitor` or read off a raw RESP connection.
//
// # Grammar
//
// Each line is one command the server executed, in execution order:
//
//	line := ["+"] TS " [" DB " " SRC "]" (" " ARG)+ ["\r"]
//	TS   := SECONDS "." FRACTION        unix time, e.g. 1795535140.886845
//	DB   := decimal                     the database after the command ran
//	SRC  := IP ":" PORT | "[" IPv6 "]:" PORT | "lua" | "unix:" PATH
//	ARG  := '"' (CHAR | ESC)* '"'
//	ESC  := \\ | \" | \n | \r | \t | \a | \b | \xHH
//
// for example
//
//	1795535140.886845 [0 127.0.0.1:50012] "SET" "k" "v"
//	1795535140.886901 [0 [::1]:50182] "get" "k"
//	1795535140.887010 [3 lua] "SET" "h\xc3\xa9llo" ""
//
// The leading "+" and trailing "\r" are what a raw RESP connection shows
// (MONITOR replies are simple strings). Redis escapes every byte outside
// printable ASCII as \xHH, so values are decoded to bytes, never assumed to
// be UTF-8. The first argument is the command as the client sent it; it is
// upper-cased into [formats.Event.Op] and the rest become Args.
//
// redis-cli prints "OK" before the first command; that line and blank lines
// are [formats.IsSkipped]. Anything else that does not fit the grammar is a
// [*formats.ParseError]. Arguments are numbered from 1 (the command name) in
// error messages.
//
// MONITOR shows neither replies nor commands rejected before execution, so
// Reply is always nil. See https://redis.io/docs/latest/commands/monitor/.
package redismonitor

import (
	"bytes"
	"math"

	"github.com/wat-project/wat/formats"
)

// Format is the output of Redis MONITOR.
var Format = &formats.Format{
	Name:      "redis-monitor",
	System:    "redis",
	Doc:       "output of `redis-cli monitor` (or MONITOR over RESP): one executed Redis command per line",
	URL:       "https://redis.io/docs/latest/commands/monitor/",
	Sniff:     sniff,
	NewParser: func() formats.Parser { return newParser() },
	Separate:  true,
	// redis-server stamps a line by its clock as it feeds the command
	// to its monitors, after running it, one command after another.
	ServerClock: true,
	Samples: []string{
		`1795540667.975183 [0 127.0.0.1:59784] "SET" "user:42:name" "alice"`,
		`1795540667.981389 [0 127.0.0.1:59784] "eval" "return redis.call('SET', KEYS[1], ARGV[1])" "1" "kl" "vl"`,
		`1795540667.981433 [0 lua] "SET" "kl" "vl"`,
		`1795540667.975183 [0 [::1]:50182] "set" "k6" "v6"`,
		`1795540667.978403 [0 unix:/tmp/rexp/r.sock] "set" "ku" "vu"`,
		`1795540667.986503 [3 127.0.0.1:59790] "MULTI"`,
		`1795540667.990110 [0 127.0.0.1:59796] "set" "bin" "h\xc3\xa9llo\x01\x7f \"q\" \\ \n\r\t\a\b end"`,
		`1795540667.996934 [0 127.0.0.1:59822] "set" "" ""`,
		"+1795540668.203021 [0 127.0.0.1:59842] \"get\" \"k6\"\r",
	},
}

// sniffLines is how many non-blank lines Sniff looks at.
const sniffLines = 20

// sniff returns 90 when most of the first non-blank lines, other than
// redis-cli's "OK", are MONITOR lines.
func sniff(lines [][]byte) int {
	p := newParser()
	var ev formats.Event
	seen, good := 0, 0
	for _, l := range lines {
		if seen == sniffLines {
			break
		}
		l = bytes.TrimSuffix(l, []byte("\n"))
		r, err := p.Parse(l, &ev)
		if err == nil && r == formats.IsSkipped {
			continue
		}
		seen++
		if err == nil {
			good++
		}
	}
	if good > 0 && 2*good > seen {
		return 90
	}
	return 0
}

const (
	slabBytes   = 64 << 10 // bytes handed out for Raw and Args, per chunk
	slabHeaders = 1024     // Args headers per chunk
	maxInterned = 4096     // distinct strings kept for Op, NS and Client
)

// A parser reads one source. To keep the allocation count near zero per
// line, Raw and the decoded arguments of many events are carved out of one
// shared chunk (a region, once handed out, is never written again, so
// events stay valid after the next Parse), and the strings for Op, NS and
// Client are interned.
type parser struct {
	buf   []byte   // the unused rest of the current byte chunk
	hdrs  [][]byte // the unused rest of the current header chunk
	ends  []int    // scratch: where each decoded argument ends
	upper []byte   // scratch: the upper-cased command name
	strs  map[string]string
	last  [3]string // the string interned last for Op, NS and Client
}

func newParser() *parser {
	return &parser{strs: make(map[string]string)}
}

// Parse reads one MONITOR line. For an event it sets Time, System, NS,
// Client, Op, Args, Reply (nil) and Raw, and zeroes ID; Source, Line and
// Offset are the caller's and are left as they are. For a skipped or bad
// line the same fields are zeroed.
func (p *parser) Parse(line []byte, ev *formats.Event) (formats.Result, error) {
	*ev = formats.Event{Source: ev.Source, Line: ev.Line, Offset: ev.Offset}

	s := line
	if len(s) > 0 && s[len(s)-1] == '\r' {
		s = s[:len(s)-1]
	}
	if len(s) > 0 && s[0] == '+' {
		s = s[1:]
	}
	if isBlank(s) || string(s) == "OK" {
		return formats.IsSkipped, nil
	}

	// TS
	i := 0
	for i < len(s) && s[i] != ' ' {
		i++
	}
	if s[0] < '0' || s[0] > '9' {
		return 0, formats.Errorf("no timestamp at start of line")
	}
	t, reason := parseTime(s[:i])
	if reason != "" {
		return 0, formats.Errorf("bad timestamp %q: %s", clip(s[:i]), reason)
	}
	if i+1 >= len(s) || s[i+1] != '[' {
		return 0, formats.Errorf("missing \" [\" after timestamp")
	}
	i += 2

	// DB
	db := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	switch {
	case i == db:
		return 0, formats.Errorf("missing database number after \"[\"")
	case i-db > 10:
		return 0, formats.Errorf("database number %q too long", clip(s[db:i]))
	case i == len(s) || s[i] != ' ':
		return 0, formats.Errorf("missing space after database number")
	}
	ns := s[db:i]
	i++

	// SRC ends at the first "]" followed by a space or the end of the line,
	// which skips the brackets of an IPv6 address ("[::1]:6379").
	src := i
	for i < len(s) && !(s[i] == ']' && (i+1 == len(s) || s[i+1] == ' ')) {
		i++
	}
	switch {
	case i == len(s):
		return 0, formats.Errorf("missing \"]\" after client")
	case i == src:
		return 0, formats.Errorf("missing client")
	case i+1 == len(s):
		return 0, formats.Errorf("no command after client")
	}
	client := s[src:i]
	i++

	// ARGs, decoded into mem after a copy of the line. Decoding never
	// grows an argument, so twice the line is always enough.
	need := 2 * len(line)
	var mem []byte
	chunked := need <= slabBytes/4
	if !chunked {
		mem = make([]byte, need)
	} else {
		if need > len(p.buf) {
			p.buf = make([]byte, slabBytes)
		}
		mem = p.buf
	}
	n := copy(mem, line)

	// The command name is decoded into mem too, then given back: it lives
	// on as an interned string.
	if i+1 == len(s) || s[i+1] != '"' { // s[i] is the space after "]"
		return 0, formats.Errorf("argument 1 does not start with a quote")
	}
	i, w, err := unquote(s, i+2, mem, n, 1)
	if err != nil {
		return 0, err
	}
	if w == n {
		return 0, formats.Errorf("empty command name")
	}
	p.upper = append(p.upper[:0], mem[n:w]...)
	for j, c := range p.upper {
		if 'a' <= c && c <= 'z' {
			p.upper[j] = c - ('a' - 'A')
		}
	}
	op := p.intern(0, p.upper)

	w = n
	p.ends = p.ends[:0]
	for i < len(s) {
		arg := len(p.ends) + 2
		if s[i] != ' ' {
			return 0, formats.Errorf("garbage after argument %d", arg-1)
		}
		if i+1 == len(s) || s[i+1] != '"' {
			return 0, formats.Errorf("argument %d does not start with a quote", arg)
		}
		if i, w, err = unquote(s, i+2, mem, w, arg); err != nil {
			return 0, err
		}
		p.ends = append(p.ends, w)
	}
	if len(p.ends) > 0 {
		args := p.headers(len(p.ends))
		off := n
		for j, end := range p.ends {
			args[j] = mem[off:end:end]
			off = end
		}
		ev.Args = args
	}
	if chunked {
		p.buf = p.buf[w:]
	}

	ev.Time = t
	ev.System = "redis"
	ev.NS = p.intern(1, ns)
	ev.Client = p.intern(2, client)
	ev.Op = op
	ev.Raw = mem[:n:n]
	return formats.IsEvent, nil
}

// unquote decodes the quoted argument number arg of s, starting after its
// opening quote at i, into mem at w. It returns the index after the
// closing quote and the new end of mem.
func unquote(s []byte, i int, mem []byte, w, arg int) (int, int, error) {
	for {
		rest := s[i:]
		q := bytes.IndexByte(rest, '"')
		plain := rest
		if q >= 0 {
			plain = rest[:q]
		}
		b := bytes.IndexByte(plain, '\\')
		if b < 0 {
			if q < 0 {
				return 0, 0, formats.Errorf("unterminated quoted argument %d", arg)
			}
			w += copy(mem[w:], plain)
			return i + q + 1, w, nil
		}
		w += copy(mem[w:], rest[:b])
		i += b
		if i+1 == len(s) {
			return 0, 0, formats.Errorf("trailing backslash in argument %d", arg)
		}
		var c byte
		switch e := s[i+1]; e {
		case '"', '\\':
			c = e
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		case 'a':
			c = '\a'
		case 'b':
			c = '\b'
		case 'x':
			if i+3 >= len(s) {
				return 0, 0, formats.Errorf("bad \\x escape in argument %d: want two hex digits, got %q", arg, s[i+2:])
			}
			hi, ok1 := formats.Unhex(s[i+2])
			lo, ok2 := formats.Unhex(s[i+3])
			if !ok1 || !ok2 {
				return 0, 0, formats.Errorf("bad \\x escape in argument %d: want two hex digits, got %q", arg, s[i+2:i+4])
			}
			mem[w] = hi<<4 | lo
			w++
			i += 4
			continue
		default:
			return 0, 0, formats.Errorf("unknown escape %q in argument %d", s[i:i+2], arg)
		}
		mem[w] = c
		w++
		i += 2
	}
}

// headers returns n fresh slice headers for Args.
func (p *parser) headers(n int) [][]byte {
	if n > slabHeaders/4 {
		return make([][]byte, n)
	}
	if n > len(p.hdrs) {
		p.hdrs = make([][]byte, slabHeaders)
	}
	h := p.hdrs[:n:n]
	p.hdrs = p.hdrs[n:]
	return h
}

// intern returns b as a string, the same string for the same bytes; a
// field (0 Op, 1 NS, 2 Client) that holds what it held on the line
// before costs no lookup (a log's namespace seldom changes).
func (p *parser) intern(field int, b []byte) string {
	if s := p.last[field]; s == string(b) {
		return s
	}
	s, ok := p.strs[string(b)]
	if !ok {
		s = string(b)
		if len(p.strs) >= maxInterned {
			clear(p.strs)
		}
		p.strs[s] = s
	}
	p.last[field] = s
	return s
}

// maxSec is the last second whose nanoseconds fit in an int64.
const maxSec = (math.MaxInt64 - 999_999_999) / 1_000_000_000

// parseTime reads SECONDS "." FRACTION (1 to 9 digits) as Unix nanoseconds,
// exactly. It returns a reason when ts is not one.
func parseTime(ts []byte) (int64, string) {
	dot := bytes.IndexByte(ts, '.')
	if dot < 0 {
		return 0, "no fraction"
	}
	if dot == 0 {
		return 0, "no seconds"
	}
	var sec int64
	for _, c := range ts[:dot] {
		if c < '0' || c > '9' {
			return 0, "not a number"
		}
		sec = sec*10 + int64(c-'0')
		if sec > maxSec {
			return 0, "out of range"
		}
	}
	frac := ts[dot+1:]
	if len(frac) == 0 || len(frac) > 9 {
		return 0, "want 1 to 9 fractional digits"
	}
	var ns int64
	for _, c := range frac {
		if c < '0' || c > '9' {
			return 0, "not a number"
		}
		ns = ns*10 + int64(c-'0')
	}
	for range 9 - len(frac) {
		ns *= 10
	}
	t := sec*1e9 + ns
	if t == 0 {
		return 0, "zero"
	}
	return t, ""
}

func isBlank(s []byte) bool {
	for _, c := range s {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// clip shortens a token for an error message.
func clip(b []byte) []byte {
	if len(b) > 32 {
		return b[:32]
	}
	return b
}
