package redistest

import (
	"bytes"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/formats/redismonitor"
)

// rawClient talks RESP through a net.Conn and keeps every byte it read.
type rawClient struct {
	t   *testing.T
	c   net.Conn
	buf []byte
	got int // bytes read in all
}

// startProxied starts a server, a proxy to it, and a raw client of the
// proxy.
func startProxied(t *testing.T) (*Server, *Proxy, *rawClient) {
	t.Helper()
	srv := Start(t)
	p := StartProxy(t, srv.Addr)
	return srv, p, dialRaw(t, p.Addr)
}

func dialRaw(t *testing.T, addr string) *rawClient {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, Timeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawClient{t: t, c: c}
}

// send writes the commands in one write (a pipeline).
func (rc *rawClient) send(cmds ...[]string) {
	rc.t.Helper()
	var b []byte
	for _, c := range cmds {
		b = append(b, EncodeCommand(Args(c...)...)...)
	}
	rc.write(b)
}

func (rc *rawClient) write(b []byte) {
	rc.t.Helper()
	_ = rc.c.SetWriteDeadline(time.Now().Add(Timeout))
	if _, err := rc.c.Write(b); err != nil {
		rc.t.Fatal(err)
	}
}

// read returns the next value's bytes.
func (rc *rawClient) read() string {
	rc.t.Helper()
	s, err := rc.readErr()
	if err != nil {
		rc.t.Fatalf("read: %v", err)
	}
	return s
}

func (rc *rawClient) readErr() (string, error) {
	for {
		if len(rc.buf) > 0 {
			_, n, need, err := parseRESP(rc.buf, 0)
			if err != nil {
				return "", err
			}
			if need == 0 {
				s := string(rc.buf[:n])
				rc.buf = rc.buf[n:]
				return s, nil
			}
		}
		_ = rc.c.SetReadDeadline(time.Now().Add(Timeout))
		var chunk [4096]byte
		n, err := rc.c.Read(chunk[:])
		rc.buf = append(rc.buf, chunk[:n]...)
		rc.got += n
		if err != nil {
			return "", err
		}
	}
}

// skip reads n values and drops them.
func (rc *rawClient) skip(n int) {
	rc.t.Helper()
	for i := 0; i < n; i++ {
		rc.read()
	}
}

// expectAfter runs args on c, another client, and requires rc's next
// value to be want (what the command sent rc).
func (rc *rawClient) expectAfter(c *Conn, want string, args ...string) {
	rc.t.Helper()
	if _, err := c.DoStrings(args...); err != nil {
		rc.t.Fatal(err)
	}
	if got := rc.read(); got != want {
		rc.t.Errorf("after %q: %q, want %q", args, got, want)
	}
}

// rec returns the proxy's recording of the connection whose peer is rc.
func (rc *rawClient) rec(p *Proxy) (Recording, bool) {
	for _, r := range p.Recordings() {
		if r.Peer == rc.c.LocalAddr().String() {
			return r, true
		}
	}
	return Recording{}, false
}

// checkBytes checks that the recording holds every byte the client read.
func checkBytes(t *testing.T, rc *rawClient, r Recording) {
	t.Helper()
	n := 0
	for _, x := range r.Commands {
		for _, y := range x.Replies {
			n += len(y)
		}
	}
	for _, p := range r.Pushes {
		n += len(p.RESP)
	}
	if n != rc.got-len(rc.buf) {
		t.Errorf("recorded %d reply bytes, the client read %d", n, rc.got-len(rc.buf))
	}
	if r.Err != "" {
		t.Errorf("recording error: %s", r.Err)
	}
}

func replies(x Exchange) []string {
	var out []string
	for _, r := range x.Replies {
		out = append(out, string(r))
	}
	return out
}

func names(r Recording) string {
	var out []string
	for _, x := range r.Commands {
		out = append(out, x.Name())
	}
	return strings.Join(out, " ")
}

// waitRecorded waits until the recording of rc satisfies ok (the proxy
// records a reply before it forwards it, but the test reads the recording
// from another goroutine, and the proxy may not have accepted a new
// connection yet).
func waitRecorded(t *testing.T, p *Proxy, rc *rawClient, ok func(Recording) bool) Recording {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for {
		r, found := rc.rec(p)
		if found && ok(r) {
			return r
		}
		if time.Now().After(deadline) {
			if !found {
				t.Fatalf("no recording for %s", rc.c.LocalAddr())
			}
			return r
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// startMonitored starts a server with a proxy in front of it, and
// MONITOR's capture of the server into mon until stop.
func startMonitored(t *testing.T) (p *Proxy, mon *bytes.Buffer, stop func() error) {
	t.Helper()
	srv := Start(t)
	p = StartProxy(t, srv.Addr)
	mon = &bytes.Buffer{}
	stop, err := Monitor(srv.Addr, mon)
	if err != nil {
		t.Fatal(err)
	}
	return p, mon, stop
}

func TestProxyPipelineAndMonitor(t *testing.T) {
	p, mon, stop := startMonitored(t)
	rc := dialRaw(t, p.Addr)
	var cmds [][]string
	for i := 0; i < 200; i++ {
		k := fmt.Sprintf("k%d", i%7)
		switch i % 6 {
		case 0:
			cmds = append(cmds, []string{"SET", k, strings.Repeat("v", i)})
		case 1:
			cmds = append(cmds, []string{"GET", k})
		case 2:
			cmds = append(cmds, []string{"INCR", "n"})
		case 3:
			cmds = append(cmds, []string{"NOSUCHCOMMAND", k}) // rejected: not in MONITOR
		case 4:
			cmds = append(cmds, []string{"GET"}) // wrong arity: rejected
		case 5:
			cmds = append(cmds, []string{"LRANGE", k, "0", "-1"}) // WRONGTYPE: runs
		}
	}
	cmds = append(cmds, []string{"CLIENT", "INFO"})
	rc.send(cmds...)
	var got []string
	for range cmds {
		got = append(got, rc.read())
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	r := waitRecorded(t, p, rc, func(r Recording) bool { return len(r.Commands) == len(cmds) && r.Commands[len(cmds)-1].Answered() })
	if len(r.Commands) != len(cmds) {
		t.Fatalf("recorded %d commands, sent %d", len(r.Commands), len(cmds))
	}
	for i, x := range r.Commands {
		if !slices.EqualFunc(x.Args, Args(cmds[i]...), bytes.Equal) {
			t.Errorf("command %d: recorded %q, sent %q", i, x.Args, cmds[i])
		}
		if len(x.Replies) != 1 || string(x.Replies[0]) != got[i] {
			t.Errorf("command %d %q: recorded %q, client read %q", i, cmds[i], replies(x), got[i])
		}
		if x.Sent.After(x.Got) || x.Proto != 2 {
			t.Errorf("command %d: sent %v got %v proto %d", i, x.Sent, x.Got, x.Proto)
		}
	}
	checkBytes(t, rc, r)
	// The server sees the proxy's outbound socket.
	if info := got[len(got)-1]; !strings.Contains(info, "addr="+r.Client+" ") {
		t.Errorf("CLIENT INFO %q does not show addr=%s", info, r.Client)
	}
	lines := strings.Split(strings.TrimSpace(mon.String()), "\n")[1:]
	want := 0
	for _, c := range cmds {
		if c[0] != "NOSUCHCOMMAND" && len(c) > 1 {
			want++
		}
	}
	if len(lines) != want {
		t.Errorf("MONITOR shows %d lines, want %d", len(lines), want)
	}
	for _, l := range lines {
		if !strings.Contains(l, " "+r.Client+"] ") {
			t.Errorf("MONITOR line %q is not from %s", l, r.Client)
			break
		}
	}
}

func TestProxyByteByByteAndLarge(t *testing.T) {
	_, p, rc := startProxied(t)
	big := strings.Repeat("0123456789\r\n", 100000)
	var b []byte
	b = append(b, EncodeCommand(Args("SET", "a\r\nb", "x\x00y")...)...)
	b = append(b, EncodeCommand(Args("GET", "a\r\nb")...)...)
	b = append(b, EncodeCommand(Args("MGET", "a\r\nb", "nokey")...)...)
	for _, c := range b {
		rc.write([]byte{c})
	}
	rc.skip(3)
	rc.send([]string{"SET", "big", big}, []string{"GET", "big"}, []string{"STRLEN", "big"})
	rc.skip(3)
	r := waitRecorded(t, p, rc, func(r Recording) bool { return len(r.Commands) == 6 && r.Commands[5].Answered() })
	want := []string{"+OK\r\n", "$3\r\nx\x00y\r\n", "*2\r\n$3\r\nx\x00y\r\n$-1\r\n", "+OK\r\n",
		"$" + fmt.Sprint(len(big)) + "\r\n" + big + "\r\n", ":1200000\r\n"}
	if len(r.Commands) != len(want) {
		t.Fatalf("recorded %s", names(r))
	}
	for i, x := range r.Commands {
		if x.Reply() == nil || string(x.Reply()) != want[i] {
			t.Errorf("command %d %.20q: reply %.40q, want %.40q", i, x.Args, x.Reply(), want[i])
		}
	}
	if string(r.Commands[3].Args[2]) != big {
		t.Errorf("large argument recorded wrong")
	}
	checkBytes(t, rc, r)
}

func TestProxyMultiExec(t *testing.T) {
	_, p, rc := startProxied(t)
	cmds := [][]string{
		{"MULTI"}, {"SET", "k", "1"}, {"INCR", "k"}, {"NOSUCH"}, {"EXEC"}, // EXECABORT
		{"WATCH", "w"}, {"MULTI"}, {"SET", "k", "1"}, {"INCR", "k"}, {"LPOP", "k"}, {"EXEC"},
		{"MULTI"}, {"GET", "k"}, {"DISCARD"},
	}
	rc.send(cmds...)
	rc.skip(len(cmds))
	r := waitRecorded(t, p, rc, func(r Recording) bool { return len(r.Commands) == len(cmds) && r.Commands[len(cmds)-1].Answered() })
	want := []string{"+OK\r\n", "+QUEUED\r\n", "+QUEUED\r\n", "-ERR unknown command 'NOSUCH', with args beginning with: \r\n",
		"-EXECABORT Transaction discarded because of previous errors.\r\n",
		"+OK\r\n", "+OK\r\n", "+QUEUED\r\n", "+QUEUED\r\n", "+QUEUED\r\n",
		"*3\r\n+OK\r\n:2\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
		"+OK\r\n", "+QUEUED\r\n", "+OK\r\n"}
	for i, x := range r.Commands {
		if string(x.Reply()) != want[i] {
			t.Errorf("command %d %q: reply %q, want %q", i, x.Args, x.Reply(), want[i])
		}
	}
	checkBytes(t, rc, r)
}

func TestProxyPubSubRESP2(t *testing.T) {
	srv, p, rc := startProxied(t)
	pub := srv.MustDial(t)
	rc.send([]string{"SUBSCRIBE", "a", "b", "a"}, []string{"PSUBSCRIBE", "p*"}, []string{"PING"}, []string{"GET", "x"})
	rc.skip(6)
	if _, err := pub.DoStrings("PUBLISH", "a", "hello"); err != nil {
		t.Fatal(err)
	}
	if _, err := pub.DoStrings("PUBLISH", "pq", "world"); err != nil {
		t.Fatal(err)
	}
	if m := rc.read(); m != "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$5\r\nhello\r\n" {
		t.Errorf("message %q", m)
	}
	if m := rc.read(); m != "*4\r\n$8\r\npmessage\r\n$2\r\np*\r\n$2\r\npq\r\n$5\r\nworld\r\n" {
		t.Errorf("pmessage %q", m)
	}
	rc.send([]string{"UNSUBSCRIBE"}, []string{"PUNSUBSCRIBE"}, []string{"UNSUBSCRIBE"}, []string{"SUNSUBSCRIBE", "s"},
		[]string{"RPUSH", "l", "message", "a", "b"}, []string{"LRANGE", "l", "0", "-1"})
	rc.skip(7)
	r := waitRecorded(t, p, rc, func(r Recording) bool { return len(r.Commands) == 10 && r.Commands[9].Answered() })
	counts := []int{3, 1, 1, 1, 2, 1, 1, 1, 1, 1}
	if len(r.Commands) != len(counts) {
		t.Fatalf("recorded %s", names(r))
	}
	for i, x := range r.Commands {
		if len(x.Replies) != counts[i] || !x.Answered() {
			t.Errorf("command %d %q: %d replies %q, want %d", i, x.Args, len(x.Replies), replies(x), counts[i])
		}
	}
	if got := string(r.Commands[2].Reply()); got != "*2\r\n$4\r\npong\r\n$0\r\n\r\n" {
		t.Errorf("PING while subscribed: %q", got)
	}
	if got := string(r.Commands[3].Reply()); !strings.HasPrefix(got, "-ERR Can't execute 'get'") {
		t.Errorf("GET while subscribed: %q", got)
	}
	if got := string(r.Commands[6].Reply()); got != "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n" {
		t.Errorf("UNSUBSCRIBE with none: %q", got)
	}
	// Not subscribed any more: an array that looks like a message is a reply.
	if got := string(r.Commands[9].Reply()); got != "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nb\r\n" {
		t.Errorf("LRANGE: %q", got)
	}
	if len(r.Pushes) != 2 || r.Pushes[0].After != 4 {
		t.Errorf("pushes %+v", r.Pushes)
	}
	checkBytes(t, rc, r)
}

func TestProxyRESP3(t *testing.T) {
	srv, p, rc := startProxied(t)
	pub := srv.MustDial(t)
	rc.send([]string{"HSET", "h", "f", "1"}, []string{"HELLO", "3"}, []string{"HGETALL", "h"}, []string{"SUBSCRIBE", "a", "b"},
		[]string{"RPUSH", "l", "message", "a", "b"}, []string{"LRANGE", "l", "0", "-1"}, []string{"CLIENT", "TRACKING", "on"},
		[]string{"GET", "t"}, []string{"ZADD", "z", "1.5", "m"}, []string{"ZSCORE", "z", "m"}, []string{"GET", "nokey"})
	rc.skip(12)
	rc.expectAfter(pub, ">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$5\r\nhello\r\n", "PUBLISH", "a", "hello")
	rc.expectAfter(pub, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nt\r\n", "SET", "t", "1")
	rc.send([]string{"UNSUBSCRIBE"}, []string{"HELLO", "2"}, []string{"ZSCORE", "z", "m"}, []string{"SUBSCRIBE", "c"})
	rc.skip(5)
	rc.expectAfter(pub, "*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nx\r\n", "PUBLISH", "c", "x")
	rc.send([]string{"RESET"}, []string{"GET", "nokey"})
	rc.read()
	rc.read()
	r := waitRecorded(t, p, rc, func(r Recording) bool { return len(r.Commands) == 17 && r.Commands[16].Answered() })
	type want struct {
		n     int
		proto int
		reply string
	}
	wants := []want{{1, 2, ":1\r\n"}, {1, 3, ""}, {1, 3, "%1\r\n$1\r\nf\r\n$1\r\n1\r\n"}, {2, 3, ""}, {1, 3, ":3\r\n"},
		{1, 3, "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nb\r\n"}, {1, 3, "+OK\r\n"}, {1, 3, "_\r\n"}, {1, 3, ":1\r\n"},
		{1, 3, ",1.5\r\n"}, {1, 3, "_\r\n"}, {2, 3, ""}, {1, 2, ""}, {1, 2, "$3\r\n1.5\r\n"}, {1, 2, ""}, {1, 2, "+RESET\r\n"},
		{1, 2, "$-1\r\n"}}
	if len(r.Commands) != len(wants) {
		t.Fatalf("recorded %s", names(r))
	}
	for i, x := range r.Commands {
		w := wants[i]
		if len(x.Replies) != w.n || x.Proto != w.proto || (w.reply != "" && string(x.Reply()) != w.reply) {
			t.Errorf("command %d %q: replies %q proto %d, want %d %d %q", i, x.Args, replies(x), x.Proto, w.n, w.proto, w.reply)
		}
	}
	if hello := string(r.Commands[1].Reply()); !strings.HasPrefix(hello, "%7\r\n") {
		t.Errorf("HELLO 3: %q", hello)
	}
	if len(r.Pushes) != 3 {
		t.Errorf("pushes %d, want 3", len(r.Pushes))
	}
	checkBytes(t, rc, r)
}

func TestProxyBlockingReplyOffQuitInline(t *testing.T) {
	srv, p, rc := startProxied(t)
	other := srv.MustDial(t)
	rc.send([]string{"BLPOP", "q1", "q2", "5"}, []string{"GET", "after"})
	time.Sleep(100 * time.Millisecond)
	if _, err := other.DoStrings("RPUSH", "q2", "job"); err != nil {
		t.Fatal(err)
	}
	if got := rc.read(); got != "*2\r\n$2\r\nq2\r\n$3\r\njob\r\n" {
		t.Errorf("BLPOP %q", got)
	}
	rc.read()
	rc.send([]string{"CLIENT", "REPLY", "SKIP"}, []string{"SET", "a", "1"}, []string{"GET", "a"},
		[]string{"CLIENT", "REPLY", "OFF"}, []string{"SET", "b", "2"}, []string{"NOSUCH"}, []string{"CLIENT", "REPLY", "ON"},
		[]string{"GET", "b"})
	rc.skip(3)
	rc.write([]byte("PING\r\nSET \"a b\" 'c d'\r\n\r\n  \nGET \"a\\x20b\"\r\n"))
	rc.skip(3)
	rc.send([]string{"QUIT"})
	rc.read()
	if _, err := rc.readErr(); err == nil {
		t.Errorf("connection still open after QUIT")
	}
	r := waitRecorded(t, p, rc, func(r Recording) bool { return !r.Closed.IsZero() })
	want := []string{"*2\r\n$2\r\nq2\r\n$3\r\njob\r\n", "$-1\r\n", "", "", "$1\r\n1\r\n", "", "", "", "+OK\r\n", "$1\r\n2\r\n",
		"+PONG\r\n", "+OK\r\n", "$3\r\nc d\r\n", "+OK\r\n"}
	if len(r.Commands) != len(want) {
		t.Fatalf("recorded %s", names(r))
	}
	for i, x := range r.Commands {
		if string(x.Reply()) != want[i] || x.Suppressed != (want[i] == "") {
			t.Errorf("command %d %q: reply %q suppressed %v, want %q", i, x.Args, x.Reply(), x.Suppressed, want[i])
		}
	}
	if d := r.Commands[0].Got.Sub(r.Commands[0].Sent); d < 90*time.Millisecond {
		t.Errorf("BLPOP answered after %v", d)
	}
	if x := r.Commands[11]; !x.Inline || string(x.Args[1]) != "a b" || string(x.Args[2]) != "c d" {
		t.Errorf("inline SET recorded as %q", x.Args)
	}
	checkBytes(t, rc, r)

	// A client that leaves while blocked never gets its reply.
	rc2 := dialRaw(t, p.Addr)
	rc2.send([]string{"BLPOP", "never", "0"})
	r2 := waitRecorded(t, p, rc2, func(r Recording) bool { return len(r.Commands) == 1 })
	rc2.c.Close()
	r2 = waitRecorded(t, p, rc2, func(r Recording) bool { return !r.Closed.IsZero() })
	if len(r2.Commands) != 1 || r2.Commands[0].Answered() || r2.Closed.IsZero() {
		t.Errorf("blocked client that left: %+v", r2)
	}
	// The server has dropped it.
	list, err := other.DoStrings("CLIENT", "LIST")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(list, []byte(r2.Client)) {
		t.Errorf("the server still lists %s: %s", r2.Client, list)
	}
}

func TestProxyClose(t *testing.T) {
	srv := Start(t)
	p, err := NewProxy(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, p.Addr)
	rc.send([]string{"BLPOP", "q", "0"})
	waitRecorded(t, p, rc, func(r Recording) bool { return len(r.Commands) == 1 })
	done := make(chan error, 1)
	go func() { done <- p.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(Timeout):
		t.Fatal("Close hangs with a blocked client")
	}
	if _, err := rc.readErr(); err == nil {
		t.Errorf("client connection still open")
	}
	if c, err := net.DialTimeout("tcp", p.Addr, time.Second); err == nil {
		c.Close()
		t.Errorf("proxy still accepts")
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestParseRESPIncremental(t *testing.T) {
	vals := []string{
		"+OK\r\n", "-ERR x\r\n", ":12\r\n", "$-1\r\n", "$0\r\n\r\n", "$3\r\na\nb\r\n", "*-1\r\n", "*0\r\n",
		"_\r\n", ",1.5\r\n", ",inf\r\n", "#t\r\n", "(123456789012345678901234567890\r\n", "!5\r\nERR x\r\n",
		"=7\r\ntxt:abc\r\n", "%1\r\n+k\r\n*2\r\n:1\r\n_\r\n", "~2\r\n:1\r\n:2\r\n", ">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nb\r\n",
		"|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n", "*2\r\n|1\r\n+a\r\n:1\r\n:5\r\n:6\r\n",
	}
	for _, s := range vals {
		for cut := 0; cut < len(s); cut++ {
			_, n, need, err := parseRESP([]byte(s[:cut]), 0)
			if err != nil || n != 0 || need <= cut {
				t.Errorf("%q cut at %d: n %d need %d err %v", s, cut, n, need, err)
			}
		}
		v, n, need, err := parseRESP([]byte(s+"+NEXT\r\n"), 0)
		if err != nil || need != 0 || n != len(s) {
			t.Errorf("%q: n %d need %d err %v", s, n, need, err)
		}
		if s[0] == '|' && (v.typ != '$' || string(v.str) != "v") {
			t.Errorf("attribute: value %+v", v)
		}
	}
	for _, s := range []string{"?\r\n", "+OK\n", ":x\r\n", "$2\r\nabc\r\n", "#x\r\n", "_1\r\n", "%-1\r\n"} {
		if _, _, _, err := parseRESP([]byte(s), 0); err == nil {
			t.Errorf("%q: no error", s)
		}
	}
	cmds := []struct {
		in   string
		args []string
	}{
		{"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", []string{"GET", "k"}},
		{"*0\r\n", nil},
		{"PING\r\n", []string{"PING"}},
		{"\r\n", nil},
		{"set  \"a\\\"b\\x41\\n\" 'c\\'d'  \n", []string{"set", "a\"bA\n", "c'd"}},
	}
	for _, c := range cmds {
		for cut := 0; cut < len(c.in); cut++ {
			if _, _, n, need, err := parseCommand([]byte(c.in[:cut])); err != nil || n != 0 || need <= cut {
				t.Errorf("%q cut at %d: n %d need %d err %v", c.in, cut, n, need, err)
			}
		}
		args, _, n, need, err := parseCommand([]byte(c.in))
		if err != nil || need != 0 || n != len(c.in) || !slices.EqualFunc(args, Args(c.args...), bytes.Equal) {
			t.Errorf("%q: %q n %d need %d err %v", c.in, args, n, need, err)
		}
	}
	for _, s := range []string{"*1\r\n:1\r\n", "*x\r\n", "GET \"a\r\n", "GET \"a\"b\r\n"} {
		if _, _, _, _, err := parseCommand([]byte(s)); err == nil {
			t.Errorf("%q: no error", s)
		}
	}
}

// parseCapture parses a MONITOR capture with formats/redismonitor.
func parseCapture(t *testing.T, capture []byte) []*formats.Event {
	t.Helper()
	p := redismonitor.Format.NewParser()
	var evs []*formats.Event
	for i, line := range bytes.Split(capture, []byte("\n")) {
		ev := &formats.Event{Line: i + 1}
		r, err := p.Parse(line, ev)
		if err != nil {
			t.Fatalf("line %d %q: %v", i+1, line, err)
		}
		if r == formats.IsEvent {
			evs = append(evs, ev)
		}
	}
	return evs
}

func TestPair(t *testing.T) {
	p, mon, stop := startMonitored(t)
	a := dialRaw(t, p.Addr)
	b := dialRaw(t, p.Addr)
	do := func(rc *rawClient, cmds ...[]string) {
		rc.send(cmds...)
		rc.skip(len(cmds))
	}
	do(a, []string{"SET", "k", "1"}, []string{"NOSUCH", "k"}, []string{"GET"}, []string{"GET", "k"}, []string{"AUTH", "secret"},
		[]string{"CONFIG", "GET", "maxmemory"}, []string{"HELLO", "3"}, []string{"GET", "k"})
	do(a, []string{"MULTI"}, []string{"INCR", "k"}, []string{"NOSUCH"}, []string{"GET", "k"}, []string{"EXEC"}) // aborted
	do(a, []string{"WATCH", "k"})
	do(b, []string{"SET", "k", "5"})
	do(a, []string{"MULTI"}, []string{"INCR", "k"}, []string{"EXEC"}) // WATCH failed
	do(a, []string{"MULTI"}, []string{"INCR", "k"}, []string{"LPOP", "k"}, []string{"GET", "k"}, []string{"EXEC"})
	do(a, []string{"EVAL", "redis.call('SET', KEYS[1], 'x'); return redis.call('GET', KEYS[1])", "1", "s"})
	a.send([]string{"CLIENT", "REPLY", "SKIP"}, []string{"SET", "skipped", "1"}, []string{"GET", "skipped"})
	a.read()
	a.send([]string{"BLPOP", "q", "0"})
	time.Sleep(50 * time.Millisecond)
	do(b, []string{"RPUSH", "q", "job"})
	a.read()
	b.send([]string{"BLPOP", "ghost", "0"})
	waitRecorded(t, p, b, func(r Recording) bool { return len(r.Commands) == 3 })
	time.Sleep(50 * time.Millisecond)
	b.c.Close()
	waitRecorded(t, p, b, func(r Recording) bool { return !r.Closed.IsZero() })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	evs := parseCapture(t, mon.Bytes())
	recs := p.Recordings()
	pr := Pair(evs, recs)
	if u := pr.Unexplained(evs); len(u) > 0 {
		t.Errorf("unexplained:\n%s", strings.Join(u, "\n"))
	}
	var got []string
	for i, e := range evs {
		pe := pr.Events[i]
		got = append(got, fmt.Sprintf("%s %s %q", e.Op, pe.Status, pe.Reply))
	}
	want := []string{
		`SET replied "+OK\r\n"`,
		`GET replied "$1\r\n1\r\n"`,
		`AUTH replied "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"`,
		`HELLO replied ""`, // checked below
		`GET replied "$1\r\n1\r\n"`,
		`MULTI replied "+OK\r\n"`,
		`EXEC replied "-EXECABORT Transaction discarded because of previous errors.\r\n"`,
		`WATCH replied "+OK\r\n"`,
		`SET replied "+OK\r\n"`,
		`MULTI replied "+OK\r\n"`,
		`EXEC replied "_\r\n"`,
		`MULTI replied "+OK\r\n"`,
		`INCR replied ":6\r\n"`,
		`LPOP replied "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"`,
		`GET replied "$1\r\n6\r\n"`,
		`EXEC replied "*3\r\n:6\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n$1\r\n6\r\n"`,
		`EVAL replied "$1\r\nx\r\n"`,
		`SET from a script ""`,
		`GET from a script ""`,
		`CLIENT suppressed ""`,
		`SET suppressed ""`,
		`GET replied "$1\r\n1\r\n"`,
		`BLPOP replied "*2\r\n$1\r\nq\r\n$3\r\njob\r\n"`,
		`RPUSH replied ":1\r\n"`,
		`BLPOP no reply ""`,
	}
	if strings.HasPrefix(got[3], "HELLO replied \"%7") {
		got[3] = `HELLO replied ""`
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("pairing:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var reasons []string
	for _, u := range pr.Unlogged {
		reasons = append(reasons, fmt.Sprintf("%s:%s", u.Args[0], u.Reason))
	}
	wantReasons := "NOSUCH:rejected GET:rejected CONFIG:admin INCR:not run: transaction aborted NOSUCH:rejected when queued GET:not run: transaction aborted INCR:not run: transaction aborted"
	if strings.Join(reasons, " ") != wantReasons {
		t.Errorf("unlogged: %s\nwant %s", strings.Join(reasons, " "), wantReasons)
	}
	// The AUTH line shows "(redacted)".
	if string(evs[2].Args[0]) != redacted {
		t.Errorf("AUTH line args %q", evs[2].Args)
	}
}
