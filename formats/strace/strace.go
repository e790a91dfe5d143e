// Package strace reads strace output: one system call per line, with or
// without -f pid prefixes, -t/-tt/-ttt/-r timestamps and -T durations,
// -y/-yy fd decorations, -s truncated strings and -x/-xx hex strings.
//
// An event's Op is the syscall's name, Client the pid ("" without -f),
// Args its arguments split at top-level commas: quoted strings decoded to
// their bytes (C escapes, octal and \x escapes), everything else as
// printed ("AT_FDCWD</tmp>", "O_RDONLY|O_CLOEXEC", "[3, 4]"). A string
// strace cut short (-s) has its index in Partial. A vectored read or
// write (readv, writev, preadv, pwritev) has the arguments of its plain
// form: its buffers' bytes as one, the sum of their lengths as the
// count (see flatten). Reply is the return as
// printed ("3</tmp/a.conf>", "-1 ENOENT (No such file or directory)",
// "?"). A call strace split into "<unfinished ...>" and "<... resumed>"
// lines is one event at the resumed line; the unfinished line is counted
// as skipped, except for calls that create a process (clone, clone3,
// fork, vfork): the new process's calls often come between the halves,
// so the first half is an event too, with Reply Unfinished. So is the
// first half of a write to a pipe (-y): a reader may take its bytes,
// printed there, before it resumes; and of a read of one (its fd its one
// argument): the uses of the pipe while it ran come after it. An fd of an
// unlinked file is decorated 3</tmp/x (deleted)> or (strace 6)
// 3</tmp/x>(deleted). Signals are events with Op "SIGNAL", exits "EXIT" and
// "KILLED". Unknown syscalls are kept like any other.
package strace

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wat-project/wat/formats"
)

// Format is the strace output format.
var Format = &formats.Format{
	Name:      "strace",
	System:    "posix",
	Doc:       "strace output (-f, -ff, -t/-tt/-ttt/-r, -T, -y/-yy, -s, -x)",
	URL:       "https://man7.org/linux/man-pages/man1/strace.1.html",
	Sniff:     sniff,
	NewParser: func() formats.Parser { return NewParser() },
	Separate:  true,
	Samples: []string{
		`19729 21:00:52.593544 openat(AT_FDCWD</tmp/stc/w>, "app.conf", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3</tmp/stc/w/app.conf> <0.000093>`,
		`19729 21:00:52.594240 write(1</tmp/stc/w/app.conf>, "max_conn=100\n", 13) = 13 <0.000043>`,
		`19730 21:00:52.609391 renameat2(AT_FDCWD</tmp/stc/w>, "app.conf.tmp", AT_FDCWD</tmp/stc/w>, "app.conf", RENAME_NOREPLACE) = -1 EEXIST (File exists) <0.000036>`,
		`openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3`,
		`1795535324.237780 read(3, "\177ELF\2\1\1\0\0\0"..., 832) = 832`,
		`12026 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=12027, si_uid=0, si_status=0, si_utime=0, si_stime=0} ---`,
		`12027 +++ exited with 7 +++`,
		`close(3)                                = 0`,
	},
}

// sniff returns 85 when most non-blank first lines are strace lines.
func sniff(lines [][]byte) int {
	p := NewParser()
	var ev formats.Event
	good, seen := formats.CountLines(lines, func(l []byte) bool {
		r, err := p.Parse(l, &ev)
		return err == nil && (r == formats.IsEvent || r == formats.IsSkipped)
	})
	if good > 0 && 2*good > seen {
		return 85
	}
	return 0
}

type pendingCall struct {
	line string // the unfinished line, without " <unfinished ...>"
	name string
}

type parser struct {
	pending map[string]pendingCall // by pid
	rel     time.Duration          // -r: time so far
	filePID string                 // from an -ff file name, PREFIX.PID
	// What the file has shown so far of each process's fds and working
	// directory, to decorate fds of captures made without -y like -y
	// would (see decorate).
	fds map[string]map[int]string
	cwd map[string]string
}

// SetPath takes the pid from an -ff file name (trace.12345): its lines
// have no pid prefix.
func (p *parser) SetPath(path string) {
	p.filePID = ""
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		if s := path[i+1:]; s != "" && strings.Trim(s, "0123456789") == "" {
			p.filePID = s
		}
	}
}

// NewParser returns a parser for one strace output file.
func NewParser() formats.Parser {
	return &parser{pending: map[string]pendingCall{}, fds: map[string]map[int]string{}, cwd: map[string]string{}}
}

// Unfinished is the Reply of the event at the first line of a call that
// creates a process (clone, clone3, fork, vfork) when strace split it:
// the call has started; its event at the resumed line has the result.
const Unfinished = formats.ReplyUnfinished

// inFlight tells whether the first half of a call strace split is an
// event of its own (Reply Unfinished) though the call creates no
// process: a write to a pipe or an eventfd -y showed, or a read of one.
// A write's bytes are printed there, and a read of the pipe in another
// process may take them before the write resumes; where a read began
// tells which other uses of the pipe came while it ran.
func inFlight(name, args string) bool {
	fd, _, _ := strings.Cut(args, ",")
	return (name == "write" || name == "read") && (strings.Contains(fd, "<pipe:[") || strings.Contains(fd, "<anon_inode:[eventfd]>"))
}

// Creates tells whether a system call creates a process or thread.
func Creates(name string) bool {
	return name == "clone" || name == "clone3" || name == "fork" || name == "vfork"
}

const (
	unfinished = " <unfinished ...>"
	resumedPre = "<... "
	resumedSuf = " resumed>"
)

func (p *parser) Parse(line []byte, ev *formats.Event) (formats.Result, error) {
	s := strings.TrimRight(string(line), "\r")
	if strings.TrimSpace(s) == "" || strings.HasPrefix(s, "strace: ") {
		return formats.IsSkipped, nil
	}
	// A stored event of a call strace split: the two lines joined.
	if first, second, ok := strings.Cut(s, "\n"); ok {
		q := &parser{pending: map[string]pendingCall{}, filePID: p.filePID}
		return formats.ParseJoined(q, line, first, second, ev)
	}
	pid, t, body, err := p.prefix(s)
	if err != nil {
		return 0, err
	}
	if pid == "" {
		pid = p.filePID
	}
	*ev = formats.Event{System: "posix", Client: pid, Time: t, Raw: append([]byte(nil), line...)}
	switch {
	case strings.HasPrefix(body, "--- "):
		if !strings.HasSuffix(body, " ---") {
			return 0, formats.Errorf("a signal line must end with ---")
		}
		sig, info, _ := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(body, "--- "), " ---"), " ")
		ev.Op, ev.Args = "SIGNAL", [][]byte{[]byte(sig), []byte(info)}
		return formats.IsEvent, nil
	case strings.HasPrefix(body, "+++ "):
		in := strings.TrimSuffix(strings.TrimPrefix(body, "+++ "), " +++")
		switch {
		case strings.HasPrefix(in, "exited with "):
			ev.Op, ev.Args = "EXIT", [][]byte{[]byte(strings.TrimPrefix(in, "exited with "))}
		case strings.HasPrefix(in, "killed by "):
			ev.Op, ev.Args = "KILLED", [][]byte{[]byte(strings.TrimPrefix(in, "killed by "))}
		default:
			return 0, formats.Errorf("unknown process event %q", in)
		}
		delete(p.pending, pid)
		return formats.IsEvent, nil
	case strings.HasSuffix(body, unfinished):
		name, args, ok := strings.Cut(body, "(")
		if !ok || !isName(name) {
			return 0, formats.Errorf("an unfinished call without a name")
		}
		p.pending[pid] = pendingCall{line: strings.TrimSuffix(s, unfinished), name: name}
		if inFlight(name, args) {
			// A write to a pipe (or an eventfd): its bytes may be read
			// before it resumes, and they are printed here. A read of
			// one: the other processes' uses of the pipe after this line
			// cross it, those before do not.
			if name == "read" {
				fd, _, _ := strings.Cut(args, ",")
				ev.Op, ev.Args, ev.Reply = name, [][]byte{[]byte(strings.TrimSpace(fd))}, []byte(Unfinished)
				return formats.IsEvent, nil
			}
			if _, err := call(strings.TrimSuffix(body, unfinished)+") = 0", ev); err != nil {
				return 0, err
			}
			ev.Reply = []byte(Unfinished)
			return formats.IsEvent, nil
		}
		if !Creates(name) {
			return formats.IsSkipped, nil
		}
		// A new process's calls may come before its creator's call
		// resumes: the call's start is an event of its own, so a model
		// knows whose child the process is.
		ev.Op, ev.Reply = name, []byte(Unfinished)
		for _, a := range strings.Split(strings.TrimSuffix(args, unfinished), ", ") {
			if a = strings.TrimSpace(a); a != "" {
				ev.Args = append(ev.Args, []byte(a))
			}
		}
		return formats.IsEvent, nil
	case strings.HasPrefix(body, resumedPre):
		name, rest, ok := strings.Cut(strings.TrimPrefix(body, resumedPre), resumedSuf)
		if !ok {
			return 0, formats.Errorf("a resumed call without %q", resumedSuf)
		}
		pc, ok := p.pending[pid]
		if !ok || pc.name != name {
			return 0, formats.Errorf("%s resumed, but no unfinished %s of pid %q came before", name, name, pid)
		}
		delete(p.pending, pid)
		head, tail := strings.TrimRight(pc.line, " "), strings.TrimLeft(rest, " ")
		joined := head + tail
		if !strings.HasSuffix(head, "(") && !strings.HasSuffix(head, ",") && !strings.HasPrefix(tail, ")") && !strings.HasPrefix(tail, ",") {
			joined = head + ", " + tail
		} else if strings.HasSuffix(head, ",") {
			joined = head + " " + tail
		}
		q := &parser{pending: map[string]pendingCall{}, filePID: p.filePID}
		if _, err := q.Parse([]byte(joined), ev); err != nil {
			return 0, err
		}
		ev.Raw = []byte(pc.line + unfinished + "\n" + s)
		ev.Time = t // the resumed half is where the call's result is
		return formats.IsEvent, nil
	}
	return call(body, ev)
}

// Annotate implements formats.Annotator: see decorate.
func (p *parser) Annotate(ev *formats.Event) { p.decorate(ev) }

// prefix splits the pid and the timestamp off a line.
func (p *parser) prefix(s string) (pid string, t int64, body string, err error) {
	rest := s
	// -r: leading spaces, then seconds.micro.
	if strings.HasPrefix(rest, " ") {
		tr := strings.TrimLeft(rest, " ")
		tok, after, _ := strings.Cut(tr, " ")
		if d, ok := seconds(tok); ok {
			p.rel += d
			return "", int64(p.rel), strings.TrimLeft(after, " "), nil
		}
	}
	tok, after, _ := strings.Cut(rest, " ")
	if tok != "" && strings.Trim(tok, "0123456789") == "" && after != "" {
		pid, rest = tok, strings.TrimLeft(after, " ")
		tok, after, _ = strings.Cut(rest, " ")
	}
	switch {
	case len(tok) >= 8 && tok[2] == ':' && tok[5] == ':': // -t, -tt
		var h, m int
		var sec float64
		if _, err := fmt.Sscanf(tok[:8], "%d:%d:%d", &h, &m, new(int)); err != nil {
			return "", 0, "", formats.Errorf("bad time %q", tok)
		}
		f, err := strconv.ParseFloat(tok[6:], 64)
		if err != nil {
			return "", 0, "", formats.Errorf("bad time %q", tok)
		}
		sec = f
		ns := (int64(h)*3600+int64(m)*60)*1e9 + int64(sec*1e9+0.5)
		return pid, ns, strings.TrimLeft(after, " "), nil
	case strings.Contains(tok, ".") && strings.Trim(tok, "0123456789.") == "" && after != "": // -ttt
		sec, frac, _ := strings.Cut(tok, ".")
		n, err1 := strconv.ParseInt(sec, 10, 64)
		f, err2 := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
		if err1 != nil || err2 != nil {
			return "", 0, "", formats.Errorf("bad time %q", tok)
		}
		return pid, n*1e9 + f, strings.TrimLeft(after, " "), nil
	}
	return pid, 0, rest, nil
}

func seconds(tok string) (time.Duration, bool) {
	if tok == "" || strings.Trim(tok, "0123456789.") != "" || !strings.Contains(tok, ".") {
		return 0, false
	}
	f, err := strconv.ParseFloat(tok, 64)
	if err != nil {
		return 0, false
	}
	return time.Duration(f*1e9 + 0.5), true
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	if s == "???" {
		return true // a call strace could not name (a thread leaving in it)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// call parses NAME(ARGS) = RET [<DUR>].
func call(body string, ev *formats.Event) (formats.Result, error) {
	name, rest, ok := strings.Cut(body, "(")
	if !ok || !isName(name) {
		return 0, formats.Errorf("not a system call: no NAME(")
	}
	args, after, err := splitArgs(rest)
	if err != nil {
		return 0, formats.Errorf("%s: %v", name, err)
	}
	after = strings.TrimLeft(after, " ")
	if !strings.HasPrefix(after, "=") {
		return 0, formats.Errorf("%s: no \" = \" after the arguments", name)
	}
	ret := strings.TrimSpace(strings.TrimPrefix(after, "="))
	if i := strings.LastIndex(ret, " <"); i >= 0 && strings.HasSuffix(ret, ">") {
		if _, ok := seconds(ret[i+2 : len(ret)-1]); ok {
			ret = strings.TrimSpace(ret[:i])
		}
	}
	if ret == "" {
		return 0, formats.Errorf("%s: no return value", name)
	}
	ev.Op, ev.Reply = name, []byte(ret)
	if vectored(name) && len(args) >= 3 {
		if err := flatten(args, ret, ev); err != nil {
			return 0, formats.Errorf("%s: %v", name, err)
		}
		return formats.IsEvent, nil
	}
	for i, a := range args {
		b, partial, isStr, err := Str(a)
		if err != nil {
			return 0, formats.Errorf("%s: argument %d: %v", name, i+1, err)
		}
		if isStr {
			ev.Args = append(ev.Args, b)
			if partial {
				ev.Partial = append(ev.Partial, i)
			}
			continue
		}
		ev.Args = append(ev.Args, []byte(a))
	}
	ev.Reply = []byte(ret)
	return formats.IsEvent, nil
}

// vectored tells whether a call reads or writes through an iovec array.
func vectored(name string) bool {
	switch name {
	case "readv", "writev", "preadv", "pwritev", "preadv2", "pwritev2":
		return true
	}
	return false
}

// flatten hands a vectored call on as its plain form would be (read,
// write, pread64, pwrite64): the buffers' bytes as one argument, up to
// the first one strace cut short or did not print (then the argument is
// in Partial), and the sum of their lengths in place of the count of
// buffers; the other arguments (the fd, the offset, the flags) as
// printed. A count strace left out of an abbreviated array ("...") is
// taken to be at least the return.
func flatten(args []string, ret string, ev *formats.Event) error {
	var data []byte
	var total int64
	cut := false
	arr := strings.TrimSpace(args[1])
	items, _, err := splitArgs(strings.TrimSuffix(strings.TrimPrefix(arr, "["), "]") + ")")
	if err != nil || !strings.HasPrefix(arr, "[") || !strings.HasSuffix(arr, "]") {
		// Not an array strace printed (an address): nothing known.
		items, cut = nil, true
	}
	for _, it := range items {
		it = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(it), "{"), "}")
		if it == "..." || it == "" {
			cut = true
			continue
		}
		base, l, ok := strings.Cut(it, ", iov_len=")
		base = strings.TrimPrefix(base, "iov_base=")
		n, err := strconv.ParseInt(strings.TrimSpace(l), 10, 64)
		if !ok || err != nil {
			return fmt.Errorf("an iovec without iov_len: %q", it)
		}
		total += n
		b, partial, isStr, err := Str(base)
		if err != nil {
			return fmt.Errorf("iov_base: %v", err)
		}
		if !cut {
			if !isStr {
				cut = true
			} else {
				data = append(data, b...)
				cut = partial
			}
		}
	}
	if r, err := strconv.ParseInt(strings.Fields(ret + " x")[0], 10, 64); err == nil && total < r {
		total = r
	}
	ev.Args = [][]byte{[]byte(args[0]), data, []byte(strconv.FormatInt(total, 10))}
	for _, a := range args[3:] {
		ev.Args = append(ev.Args, []byte(a))
	}
	if cut {
		ev.Partial = []int{1}
	}
	return nil
}

// splitArgs splits "a, b, c) = ..." at top-level commas up to the closing
// parenthesis, and returns what follows it.
func splitArgs(s string) ([]string, string, error) {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' {
					j++
				}
			}
			if j >= len(s) {
				return nil, "", fmt.Errorf("unterminated string")
			}
			i = j
		case '/':
			if strings.HasPrefix(s[i:], "/*") {
				end := strings.Index(s[i:], "*/")
				if end < 0 {
					return nil, "", fmt.Errorf("unterminated comment")
				}
				i += end + 1
			}
		case '<':
			// An fd decoration (-y, -yy): 3</etc/app.conf>, 4<TCP:[a->b]>;
			// not a shift (capget's 1<<CAP_CHOWN), and not a "<" no
			// decoration's end follows.
			if strings.HasPrefix(s[i:], "<<") {
				i++
				continue
			}
			if i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
				j := i + 1
				for ; j < len(s); j++ {
					if s[j] == '>' && strings.HasPrefix(s[j+1:], deleted) {
						j += len(deleted) // strace 6: 3</tmp/x>(deleted)
					}
					if s[j] == '>' && (j+1 == len(s) || strings.ContainsRune(",) ]}", rune(s[j+1]))) ||
						s[j] == ')' && strings.HasSuffix(s[:j+1], deleted) {
						break
					}
				}
				if j < len(s) {
					i = j
				}
			}
		case '(', '[', '{':
			depth++
		case ']', '}':
			depth--
		case ')':
			if depth == 0 {
				if a := strings.TrimSpace(s[start:i]); a != "" || len(out) > 0 {
					out = append(out, a)
				}
				return out, s[i+1:], nil
			}
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return nil, "", fmt.Errorf("no closing parenthesis")
}

// Guessed begins the decoration Annotate gives an fd of a capture made
// without -y ("3<?/etc/app.conf>"): the path earlier lines showed, which
// the kernel did not print.
const Guessed = formats.GuessedPath

// deleted follows the path of an unlinked file's fd (strace 6).
const deleted = "(deleted)"

// Str decodes an argument printed as a C string: its bytes, whether
// strace cut it short ("..." after the quote), and whether it is a string
// at all. C escapes (\n \t \r \v \f \a \b \" \\), octal (\0, \377) and hex
// (\x1f) are decoded.
func Str(a string) (b []byte, partial, isStr bool, err error) {
	if !strings.HasPrefix(a, `"`) {
		return nil, false, false, nil
	}
	rest := a[1:]
	out := make([]byte, 0, len(rest)) // at most that many
	for i := 0; i < len(rest); i++ {
		// The bytes up to the next quote or backslash, at once.
		j := i
		for j < len(rest) && rest[j] != '"' && rest[j] != '\\' {
			j++
		}
		out = append(out, rest[i:j]...)
		i = j
		if i == len(rest) {
			break
		}
		switch c := rest[i]; {
		case c == '"':
			tail := rest[i+1:]
			if tail != "" && tail != "..." {
				return nil, false, false, nil // not one string ("a" "b", "x"...y)
			}
			if len(out) == 0 {
				out = nil // "" is no bytes
			}
			return out, tail == "...", true, nil
		case i+1 >= len(rest):
			return nil, false, true, fmt.Errorf("a backslash at the end of a string")
		}
		i++
		switch e := rest[i]; e {
		case 'n', 't', 'r', 'v', 'f', 'a', 'b':
			out = append(out, cEscapes[e])
		case 'x':
			if i+2 >= len(rest) {
				return nil, false, true, fmt.Errorf("a short \\x escape")
			}
			hi, ok1 := formats.Unhex(rest[i+1])
			lo, ok2 := formats.Unhex(rest[i+2])
			if !ok1 || !ok2 {
				return nil, false, true, fmt.Errorf("bad \\x escape %q", rest[i+1:i+3])
			}
			out = append(out, hi<<4|lo)
			i += 2
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v, j := 0, i
			for j < len(rest) && j < i+3 && rest[j] >= '0' && rest[j] <= '7' {
				v = v*8 + int(rest[j]-'0')
				j++
			}
			if v > 255 {
				return nil, false, true, fmt.Errorf("octal escape out of range")
			}
			out = append(out, byte(v))
			i = j - 1
		default:
			out = append(out, e) // \" \\ and anything else as itself
		}
	}
	return nil, false, true, fmt.Errorf("unterminated string")
}

// cEscapes maps the letter of each one-letter C escape to its byte.
var cEscapes = map[byte]byte{'n': '\n', 't': '\t', 'r': '\r', 'v': '\v', 'f': '\f', 'a': '\a', 'b': '\b'}

// decorate gives the fds (and AT_FDCWD) of a call from a capture made
// without -y the paths -y would have shown, from what the file showed
// before: opens, dups, closes, forks, chdirs and renames, marked as
// guessed ("3<?/etc/x>", see Guessed). It only changes Args, which index
// the call; a stored line parsed again on its own is not decorated, and
// the specs track fds themselves.
func (p *parser) decorate(ev *formats.Event) {
	if p.fds == nil {
		return
	}
	pid := ev.Client
	t := p.fds[pid]
	if t == nil {
		t = map[int]string{}
		p.fds[pid] = t
	}
	arg := func(i int) string {
		if i < len(ev.Args) {
			return string(ev.Args[i])
		}
		return ""
	}
	fdArg := func(i int) {
		a := arg(i)
		if a == "" || strings.Contains(a, "<") {
			return
		}
		if a == "AT_FDCWD" {
			if c := p.cwd[pid]; c != "" {
				ev.Args[i] = []byte("AT_FDCWD<" + c + ">")
			}
			return
		}
		if n, err := strconv.Atoi(a); err == nil {
			if path, ok := t[n]; ok {
				ev.Args[i] = []byte(a + "<" + Guessed + path + ">")
			}
		}
	}
	dirOf := func(a string) string {
		if _, d, ok := strings.Cut(a, "<"); ok {
			return strings.TrimSuffix(d, ">")
		}
		if strings.HasPrefix(a, "AT_FDCWD") {
			return p.cwd[pid]
		}
		return ""
	}
	abs := func(dir, path string) string {
		if strings.HasPrefix(path, "/") || dir == "" {
			return path
		}
		return strings.TrimSuffix(dir, "/") + "/" + strings.TrimPrefix(path, "./")
	}
	ret, err := strconv.Atoi(strings.SplitN(strings.SplitN(string(ev.Reply), " ", 2)[0], "<", 2)[0])
	ok := err == nil && ret >= 0
	switch ev.Op {
	case "openat", "unlinkat", "newfstatat", "faccessat", "faccessat2", "readlinkat", "mkdirat":
		fdArg(0)
	case "renameat", "renameat2":
		fdArg(0)
		fdArg(2)
	case "read", "write", "pread64", "pwrite64", "lseek", "close", "fstat", "ftruncate", "fcntl", "dup", "fsync", "readv", "writev",
		"preadv", "pwritev", "getdents64":
		fdArg(0)
	case "dup2", "dup3", "sendfile", "sendfile64":
		fdArg(0)
		fdArg(1)
	case "copy_file_range":
		fdArg(0)
		fdArg(2)
	}
	fdNum := func(a string) int {
		n, _ := strconv.Atoi(strings.SplitN(a, "<", 2)[0])
		return n
	}
	switch ev.Op {
	case "open", "creat":
		if ok {
			t[ret] = abs(p.cwd[pid], arg(0))
		}
	case "openat":
		if ok {
			t[ret] = abs(dirOf(arg(0)), arg(1))
		}
	case "dup", "dup2", "dup3", "fcntl":
		if ok && (ev.Op != "fcntl" || strings.HasPrefix(arg(1), "F_DUPFD")) {
			if path, known := t[fdNum(arg(0))]; known {
				t[ret] = path
			}
		}
	case "close":
		delete(t, fdNum(arg(0)))
	case "chdir":
		if ok {
			p.cwd[pid] = abs(p.cwd[pid], arg(0))
		}
	case "clone", "clone3", "fork", "vfork":
		if ok {
			child := strconv.Itoa(ret)
			ct := make(map[int]string, len(t))
			for k, v := range t {
				ct[k] = v
			}
			p.fds[child] = ct
			p.cwd[child] = p.cwd[pid]
		}
	case "rename", "renameat", "renameat2":
		if ok {
			from, to := abs(p.cwd[pid], arg(0)), abs(p.cwd[pid], arg(1))
			if ev.Op != "rename" {
				from, to = abs(dirOf(arg(0)), arg(1)), abs(dirOf(arg(2)), arg(3))
			}
			for _, tt := range p.fds {
				for k, v := range tt {
					if v == from {
						tt[k] = to
					}
				}
			}
		}
	}
}
