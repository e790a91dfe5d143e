package strace

import (
	"bufio"
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
)

func parseOne(t *testing.T, line string) formats.Event {
	t.Helper()
	var ev formats.Event
	r, err := NewParser().Parse([]byte(line), &ev)
	if err != nil || r != formats.IsEvent {
		t.Fatalf("%s: %v %v", line, r, err)
	}
	return ev
}

func TestSamples(t *testing.T) {
	var lines [][]byte
	for _, s := range Format.Samples {
		parseOne(t, s)
		lines = append(lines, []byte(s))
	}
	if Format.Sniff(lines) == 0 {
		t.Error("samples do not sniff")
	}
	if Format.Sniff([][]byte{[]byte(`{"a":1}`), []byte(`1795535140.000001 [0 127.0.0.1:5000] "GET" "k"`)}) != 0 {
		t.Error("other formats sniff as strace")
	}
}

func TestCalls(t *testing.T) {
	ev := parseOne(t, Format.Samples[0])
	if ev.Client != "19729" || ev.Op != "openat" || len(ev.Args) != 4 || string(ev.Args[0]) != "AT_FDCWD</tmp/stc/w>" ||
		string(ev.Args[1]) != "app.conf" || string(ev.Args[2]) != "O_WRONLY|O_CREAT|O_TRUNC" || string(ev.Reply) != "3</tmp/stc/w/app.conf>" ||
		ev.Time != (21*3600+52)*1e9+593544000 {
		t.Errorf("openat: %+v %q", ev, ev.Args)
	}
	ev = parseOne(t, `1795535324.237780 read(3, "\177ELF\2\1\1\0\0\0"..., 832) = 832`)
	if string(ev.Args[1]) != "\x7fELF\x02\x01\x01\x00\x00\x00" || len(ev.Partial) != 1 || ev.Partial[0] != 1 || ev.Time != 1795535324237780000 {
		t.Errorf("read: %q partial %v time %d", ev.Args, ev.Partial, ev.Time)
	}
	ev = parseOne(t, `write(1, "\x68\x69 \"q\" \\ \t\n", 9) = 9`)
	if string(ev.Args[1]) != "hi \"q\" \\ \t\n" {
		t.Errorf("hex and escapes: %q", ev.Args[1])
	}
	ev = parseOne(t, `19730 21:00:52.609391 renameat2(AT_FDCWD</tmp/stc/w>, "app.conf.tmp", AT_FDCWD</tmp/stc/w>, "app.conf", RENAME_NOREPLACE) = -1 EEXIST (File exists) <0.000036>`)
	if string(ev.Reply) != "-1 EEXIST (File exists)" || len(ev.Args) != 5 {
		t.Errorf("error return: %q %q", ev.Reply, ev.Args)
	}
	ev = parseOne(t, `connect(3<TCP:[127.0.0.1:5000->127.0.0.1:40000]>, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("1.2.3.4")}, 16) = 0`)
	if len(ev.Args) != 3 || !strings.HasPrefix(string(ev.Args[1]), "{sa_family") {
		t.Errorf("decorations and structs: %q", ev.Args)
	}
	ev = parseOne(t, `exit_group(0)                           = ?`)
	if string(ev.Reply) != "?" {
		t.Errorf("= ?: %q", ev.Reply)
	}
	ev = parseOne(t, `fcntl(3, F_GETFL)                       = 0x8002 (flags O_RDWR|O_LARGEFILE)`)
	if string(ev.Reply) != "0x8002 (flags O_RDWR|O_LARGEFILE)" {
		t.Errorf("decorated return: %q", ev.Reply)
	}
	ev = parseOne(t, `12027 +++ killed by SIGKILL (core dumped) +++`)
	if ev.Op != "KILLED" || string(ev.Args[0]) != "SIGKILL (core dumped)" {
		t.Errorf("killed: %+v", ev)
	}
	ev = parseOne(t, `     0.000123 getpid()                  = 42`)
	if ev.Op != "getpid" || ev.Time != 123000 || len(ev.Args) != 0 {
		t.Errorf("-r: %+v", ev)
	}
}

// TestVectored: readv, writev, preadv and pwritev have the arguments of
// read, write, pread64 and pwrite64: the buffers' bytes (up to the first
// one strace cut short or did not print), their total length, then the
// rest as printed.
func TestVectored(t *testing.T) {
	for _, c := range []struct {
		line, data, count string
		rest              []string
		cut               bool
	}{
		{`writev(3</d/a>, [{iov_base="ab", iov_len=2}, {iov_base="c\n", iov_len=2}], 2) = 4`, "abc\n", "4", nil, false},
		{`pwritev(3</d/a>, [{iov_base="ab"..., iov_len=9}, {iov_base="z", iov_len=1}], 2, 100) = 10`, "ab", "10", []string{"100"}, true},
		{`readv(3, [{iov_base="xy", iov_len=8}, {iov_base="", iov_len=8}], 2) = 2`, "xy", "16", nil, false},
		{`preadv2(3, [{iov_base=0x7ffd, iov_len=8}], 1, 0, RWF_NOWAIT) = -1 EAGAIN (Resource temporarily unavailable)`, "", "8", []string{"0", "RWF_NOWAIT"}, true},
		{`writev(3, [{iov_base="a", iov_len=1}, ...], 1024) = 5000`, "a", "5000", nil, true},
	} {
		ev := parseOne(t, c.line)
		want := append([]string{strings.SplitN(strings.SplitN(c.line, "(", 2)[1], ",", 2)[0], c.data, c.count}, c.rest...)
		var got []string
		for _, a := range ev.Args {
			got = append(got, string(a))
		}
		if strings.Join(got, "|") != strings.Join(want, "|") || (len(ev.Partial) == 1) != c.cut || !strings.HasSuffix(c.line, " = "+string(ev.Reply)) {
			t.Errorf("%s: args %q partial %v reply %q, want %q cut %v", c.line, got, ev.Partial, ev.Reply, want, c.cut)
		}
	}
}

func TestUnfinished(t *testing.T) {
	p := NewParser()
	var ev formats.Event
	r, err := p.Parse([]byte(`11983 15:48:44.237780 read(3,  <unfinished ...>`), &ev)
	if err != nil || r != formats.IsSkipped {
		t.Fatalf("unfinished: %v %v", r, err)
	}
	if r, _ := p.Parse([]byte(`11984 15:48:44.237790 close(4) = 0`), &ev); r != formats.IsEvent {
		t.Fatal("an interleaved call")
	}
	r, err = p.Parse([]byte(`11983 15:48:44.238000 <... read resumed>"hello from forked child\n", 100) = 24`), &ev)
	if err != nil || r != formats.IsEvent || ev.Op != "read" || string(ev.Args[1]) != "hello from forked child\n" || string(ev.Reply) != "24" {
		t.Fatalf("resumed: %v %v %+v %q", r, err, ev, ev.Args)
	}
	// The stored raw text (both lines) parses again on its own.
	var again formats.Event
	if r, err := NewParser().Parse(ev.Raw, &again); err != nil || r != formats.IsEvent || string(again.Args[1]) != string(ev.Args[1]) {
		t.Errorf("raw %q does not parse again: %v", ev.Raw, err)
	}
	if _, err := NewParser().Parse([]byte(`5 <... read resumed>"x", 1) = 1`), &ev); err == nil {
		t.Error("a resumed call with no unfinished half is not rejected")
	}
}

// TestUnfinishedPipeWrite: the first half of a write to a pipe (-y) is
// an event with its bytes decoded, the second the whole call; a write to
// a file is one event, at its second half; a read of a pipe's first half
// is an event with the fd.
func TestUnfinishedPipeWrite(t *testing.T) {
	p := NewParser()
	var ev formats.Event
	r, err := p.Parse([]byte(`27251 14:14:23.860985 write(4<pipe:[2097794]>, "0000\n"..., 40 <unfinished ...>`), &ev)
	if err != nil || r != formats.IsEvent || ev.Op != "write" || string(ev.Reply) != Unfinished || ev.Client != "27251" ||
		len(ev.Args) != 3 || string(ev.Args[1]) != "0000\n" || string(ev.Args[2]) != "40" || len(ev.Partial) != 1 {
		t.Fatalf("first half: %v %v %+v %q", r, err, ev, ev.Args)
	}
	r, err = p.Parse([]byte(`27251 14:14:23.861083 <... write resumed>) = 40 <0.000072>`), &ev)
	if err != nil || r != formats.IsEvent || ev.Op != "write" || string(ev.Reply) != "40" || string(ev.Args[1]) != "0000\n" {
		t.Fatalf("second half: %v %v %+v %q", r, err, ev, ev.Args)
	}
	if r, err := p.Parse([]byte(`7 write(3</tmp/a>, "x", 1 <unfinished ...>`), &ev); err != nil || r != formats.IsSkipped {
		t.Errorf("a file's write's first half: %v %v", r, err)
	}
	if _, err := NewParser().Parse([]byte(`7 write(4<pipe:[7]>, "abc, 3 <unfinished ...>`), &ev); err == nil {
		t.Error("a pipe write's first half with an unterminated string is not rejected")
	}
	// A read of a pipe: its fd, the one argument the first half has.
	r, err = p.Parse([]byte(`17333 15:57:14.853149 read(4<pipe:[2351332]>,  <unfinished ...>`), &ev)
	if err != nil || r != formats.IsEvent || ev.Op != "read" || string(ev.Reply) != Unfinished || len(ev.Args) != 1 || string(ev.Args[0]) != "4<pipe:[2351332]>" {
		t.Fatalf("a read's first half: %v %v %+v %q", r, err, ev, ev.Args)
	}
	r, err = p.Parse([]byte(`17333 15:57:14.853203 <... read resumed>"*", 1) = 1 <0.000035>`), &ev)
	if err != nil || r != formats.IsEvent || ev.Op != "read" || string(ev.Args[1]) != "*" || string(ev.Reply) != "1" {
		t.Fatalf("a read's second half: %v %v %+v %q", r, err, ev, ev.Args)
	}
}

// TestUnfinishedClone: a clone's first half is an event (its child's
// calls come before the second), and the second half is the call.
func TestUnfinishedClone(t *testing.T) {
	p := NewParser()
	var ev formats.Event
	r, err := p.Parse([]byte(`1491  19:24:49.656636 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|SIGCHLD <unfinished ...>`), &ev)
	if err != nil || r != formats.IsEvent || ev.Op != "clone" || string(ev.Reply) != Unfinished || ev.Client != "1491" ||
		len(ev.Args) != 2 || string(ev.Args[1]) != "flags=CLONE_CHILD_CLEARTID|SIGCHLD" {
		t.Fatalf("first half: %v %v %+v %q", r, err, ev, ev.Args)
	}
	if r, _ := p.Parse([]byte(`1492  19:24:49.656861 dup2(3, 0) = 0`), &ev); r != formats.IsEvent || ev.Client != "1492" {
		t.Fatal("the child's call")
	}
	r, err = p.Parse([]byte(`1491  19:24:49.656883 <... clone resumed>, child_tidptr=0x7ff711e96a10) = 1492 <0.000241>`), &ev)
	if err != nil || r != formats.IsEvent || ev.Op != "clone" || string(ev.Reply) != "1492" || len(ev.Args) != 3 {
		t.Fatalf("second half: %v %v %+v %q", r, err, ev, ev.Args)
	}
	var again formats.Event
	if r, err := NewParser().Parse(ev.Raw, &again); err != nil || r != formats.IsEvent || string(again.Reply) != "1492" {
		t.Errorf("raw %q does not parse again: %v %+v", ev.Raw, err, again)
	}
}

// TestDeleted: strace 6 prints an unlinked file's fd as 3</x>(deleted).
func TestDeleted(t *testing.T) {
	for _, line := range []string{
		`3923  19:31:24.842930 fcntl(3</tmp/#9978090>(deleted), F_GETFL) = 0x418002 (flags O_RDWR|O_LARGEFILE|O_TMPFILE) <0.000043>`,
		`3945  19:31:25.034542 close(5</tmp/w/wal.db-shm>(deleted)) = 0 <0.000017>`,
		`3945  19:31:25.034542 read(5</tmp/w/a (deleted)>, "x", 1) = 1`,
	} {
		ev := parseOne(t, line)
		if !strings.Contains(string(ev.Args[0]), "deleted") {
			t.Errorf("%s: args %q", line, ev.Args)
		}
	}
}

// TestShiftsAndLessThan: a "<" after a digit is an fd decoration only
// when one ends: capget prints its sets as 1<<CAP_CHOWN|..., which the
// parser first took for a decoration and so found no closing
// parenthesis (node under strace -f, line 154).
func TestShiftsAndLessThan(t *testing.T) {
	for line, args := range map[string]int{
		`capget({version=_LINUX_CAPABILITY_VERSION_3, pid=7}, {effective=1<<CAP_CHOWN|1<<CAP_KILL, permitted=1<<CAP_CHOWN, inheritable=0}) = 0`: 2,
		`prctl(PR_CAPBSET_READ, 1<<2) = 1`:   2,
		`write(1</dev/pts/0>, "a<b", 3) = 3`: 3,
		`ioctl(3, SOME_REQUEST, 0x1<x) = 0`:  3,
	} {
		ev := parseOne(t, line)
		if len(ev.Args) != args {
			t.Errorf("%s: %d args %q, want %d", line, len(ev.Args), ev.Args, args)
		}
	}
}

// TestUnnamedCall: strace prints ??? for a call it cannot name (a Go
// program's thread leaving while gofmt -w ran): an event like any other,
// not a rejected line.
func TestUnnamedCall(t *testing.T) {
	p := NewParser()
	for _, line := range []string{"29266 ???( <unfinished ...>", "29266 <... ??? resumed>) = ?", "29267 ???() = ?"} {
		var ev formats.Event
		if _, err := p.Parse([]byte(line), &ev); err != nil {
			t.Errorf("%s: %v", line, err)
		}
	}
}

func TestRejected(t *testing.T) {
	for line, want := range map[string]string{
		`open("/x", O_RDONLY`:                            "no closing parenthesis",
		`open("/x, O_RDONLY) = 3`:                        "unterminated string",
		`open("/x", O_RDONLY)`:                           `no " = "`,
		`hello world`:                                    "not a system call",
		`write(1, "\x4", 1) = 1`:                         "bad \\x escape",
		`12 +++ vanished +++`:                            "unknown process event",
		`writev(3, [{iov_base="a"}], 1) = 1`:             "writev: an iovec without iov_len",
		`readv(3, [{iov_base="\x4", iov_len=1}], 1) = 1`: "readv: iov_base: bad \\x escape",
	} {
		var ev formats.Event
		if _, err := NewParser().Parse([]byte(line), &ev); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", line, err, want)
		}
	}
}

// TestRealCapture parses the bundled real capture (testdata/capture.sh
// regenerates it): every line is an event or a counted unfinished half,
// and every event's raw text parses again into the same call.
func TestRealCapture(t *testing.T) {
	f, err := os.Open("testdata/trace.log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := NewParser()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n, events, skipped := 0, 0, 0
	for sc.Scan() {
		n++
		var ev formats.Event
		r, err := p.Parse(sc.Bytes(), &ev)
		if err != nil {
			t.Fatalf("line %d: %v: %s", n, err, sc.Text())
		}
		if r == formats.IsSkipped {
			skipped++
			continue
		}
		events++
		var again formats.Event
		if r, err := NewParser().Parse(ev.Raw, &again); err != nil || r != formats.IsEvent || again.Op != ev.Op ||
			len(again.Args) != len(ev.Args) || !bytes.Equal(again.Reply, ev.Reply) {
			t.Fatalf("line %d: raw does not parse again: %v", n, err)
		}
	}
	if n < 500 || events < 400 {
		t.Fatalf("%d lines, %d events: the capture is too small", n, events)
	}
	t.Logf("%d lines: %d events, %d skipped (unfinished halves)", n, events, skipped)
}

func FuzzParse(f *testing.F) {
	for _, s := range Format.Samples {
		f.Add([]byte(s))
	}
	f.Add([]byte("1 read(3,  <unfinished ...>\n1 <... read resumed>\"x\", 1) = 1"))
	f.Fuzz(func(t *testing.T, line []byte) {
		var ev formats.Event
		r, err := NewParser().Parse(line, &ev)
		if err == nil && r == formats.IsEvent && ev.Op == "" {
			t.Fatalf("event without op: %q", line)
		}
	})
}

func TestPerProcessFiles(t *testing.T) {
	p := NewParser()
	p.(formats.PathParser).SetPath("/tmp/trace.12345")
	var ev formats.Event
	if _, err := p.Parse([]byte(`21:00:52.593544 close(3) = 0`), &ev); err != nil || ev.Client != "12345" {
		t.Errorf("-ff pid: %q %v", ev.Client, err)
	}
	p.(formats.PathParser).SetPath("/tmp/trace.log")
	if _, err := p.Parse([]byte(`close(3) = 0`), &ev); err != nil || ev.Client != "" {
		t.Errorf("no pid: %q %v", ev.Client, err)
	}
}

// TestStr: strace's C strings decoded, escape by escape, and what is not
// one string.
func TestStr(t *testing.T) {
	for _, c := range []struct {
		in             string
		out            string
		partial, isStr bool
		err            string
	}{
		{in: `3</etc/x>`},
		{in: `""`, isStr: true},
		{in: `"plain text"`, out: "plain text", isStr: true},
		{in: `"a\nb\tc\r\v\f\a\b"`, out: "a\nb\tc\r\v\f\a\b", isStr: true},
		{in: `"\x41\x7a\xFF\x00"`, out: "Az\xff\x00", isStr: true},
		{in: `"\0\1\101\377\0123"`, out: "\x00\x01A\xff\n3", isStr: true},
		{in: `"say \"hi\" \\ \q"`, out: `say "hi" \ q`, isStr: true},
		{in: `"abc"...`, out: "abc", partial: true, isStr: true},
		{in: `"a" "b"`},
		{in: `"a"x`},
		{in: `"\400"`, isStr: true, err: "octal escape out of range"},
		{in: `"\xg1"`, isStr: true, err: `bad \x escape "g1"`},
		{in: `"\x4"`, isStr: true, err: `bad \x escape "4\""`},
		{in: `"\x4`, isStr: true, err: `a short \x escape`},
		{in: `"abc\`, isStr: true, err: "a backslash at the end of a string"},
		{in: `"abc`, isStr: true, err: "unterminated string"},
	} {
		out, partial, isStr, err := Str(c.in)
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if string(out) != c.out || partial != c.partial || isStr != c.isStr || msg != c.err {
			t.Errorf("Str(%s) = %q, %v, %v, %v; want %q, %v, %v, %q", c.in, out, partial, isStr, err, c.out, c.partial, c.isStr, c.err)
		}
	}
}
