package redistest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wat-project/wat/specs/redis"
)

// A Proxy is a recording RESP proxy for live tests: real client programs
// connect to it instead of to redis-server, and it forwards every byte
// both ways unchanged while it parses both directions and records, per
// connection, each command with the reply (or replies) the client got and
// when, and apart from them the values the server pushed (pub/sub
// messages, RESP3 pushes, MONITOR lines).
//
// For each client it opens its own connection to the server; the local
// address of that outbound socket is what MONITOR prints as the client
// (Recording.Client), which is how Pair matches MONITOR lines with
// recorded commands.
//
// Replies are paired with commands in order, with the exceptions Redis
// has:
//   - SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBEs get one
//     reply per argument; without arguments an UNSUBSCRIBE gets one per
//     channel (pattern, shard channel) the connection was subscribed to
//     then, or one when it was subscribed to none;
//   - a message pushed to a subscribed client (a RESP2
//     ["message"|"pmessage"|"smessage", ...] array while the connection is
//     subscribed; any RESP3 ">" push other than a (un)subscribe
//     confirmation) is not a reply;
//   - CLIENT REPLY OFF and SKIP suppress replies (OFF up to CLIENT REPLY
//     ON or RESET; SKIP for itself and the next command);
//   - after MONITOR's +OK every simple string is a MONITOR line, a push;
//   - a blocking command's reply comes when the server sends it, still in
//     order; a command whose connection closed before its reply has none;
//   - HELLO 3 switches the connection to RESP3, HELLO 2 and RESET back.
//
// Not handled (no job-queue library does it): CLIENT REPLY or SUBSCRIBE
// queued inside MULTI, and RESP3 streamed aggregates (Redis never sends
// them). A parse error stops the recording of that connection (noted in
// Recording.Err); the bytes are still forwarded.
type Proxy struct {
	// Addr is the address clients connect to ("127.0.0.1:PORT").
	Addr string

	target string
	ln     net.Listener
	mu     sync.Mutex
	conns  []*proxyConn
	closed bool
	wg     sync.WaitGroup
}

// StartProxy starts a proxy to the server at target on 127.0.0.1 (a free
// port) and registers a cleanup that closes it.
func StartProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	p, err := NewProxy(target)
	if err != nil {
		tb.Fatalf("redistest: proxy: %v", err)
	}
	tb.Cleanup(func() { _ = p.Close() })
	return p
}

// NewProxy starts a proxy to target listening on 127.0.0.1 (a free port).
// Close stops it.
func NewProxy(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{Addr: ln.Addr().String(), target: target, ln: ln}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Port is the port of Addr.
func (p *Proxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		s, err := net.DialTimeout("tcp", p.target, Timeout)
		if err != nil {
			c.Close()
			continue
		}
		pc := &proxyConn{
			client: c,
			server: s,
			rec: Recording{
				Client: s.LocalAddr().String(),
				Peer:   c.RemoteAddr().String(),
				Opened: time.Now(),
			},
			proto:    2,
			channels: map[string]bool{}, patterns: map[string]bool{}, shards: map[string]bool{},
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			s.Close()
			return
		}
		pc.rec.ID = len(p.conns)
		p.conns = append(p.conns, pc)
		p.wg.Add(2)
		p.mu.Unlock()
		go pc.clientToServer(&p.wg)
		go pc.serverToClient(&p.wg)
	}
}

// Close stops accepting, closes every connection (both sides) and waits
// for the proxy's goroutines to end. It may be called more than once.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.wg.Wait()
		return nil
	}
	p.closed = true
	conns := append([]*proxyConn(nil), p.conns...)
	p.mu.Unlock()
	err := p.ln.Close()
	for _, c := range conns {
		c.client.Close()
		c.server.Close()
	}
	p.wg.Wait()
	return err
}

// Recordings returns a copy of what the proxy has recorded so far, one
// Recording per accepted connection in the order they were accepted.
func (p *Proxy) Recordings() []Recording {
	p.mu.Lock()
	conns := append([]*proxyConn(nil), p.conns...)
	p.mu.Unlock()
	out := make([]Recording, len(conns))
	for i, c := range conns {
		out[i] = c.snapshot()
	}
	return out
}

// A Recording is what the proxy saw on one client connection.
type Recording struct {
	ID     int    // the connection's index in accept order
	Client string // the proxy's outbound local address: MONITOR's client
	Peer   string // the real client's address
	Opened time.Time
	Closed time.Time // zero while open
	// Commands are the commands the client sent, in order, with their
	// replies.
	Commands []Exchange
	// Pushes are the values the server sent that answer no command.
	Pushes []Push
	// Err is why the proxy stopped parsing this connection, if it did.
	Err string
}

// An Exchange is one command and what the server answered.
type Exchange struct {
	Args   [][]byte // the command as sent (its name first)
	Inline bool     // sent as an inline command, not a RESP array
	Sent   time.Time
	// Replies are the values that answered the command, as the bytes the
	// server sent (RESP2 or RESP3, an attribute included with the value
	// it precedes): one, except for the (un)subscribe commands; none when
	// the reply was suppressed or the connection closed first.
	Replies [][]byte
	// Got is when the last reply arrived (zero without one).
	Got time.Time
	// Suppressed: CLIENT REPLY OFF or SKIP was in force; no reply comes.
	Suppressed bool
	// Proto is the connection's protocol (2 or 3) when the reply came.
	Proto int
}

// Reply returns the replies concatenated (usually the one reply).
func (x Exchange) Reply() []byte {
	if len(x.Replies) == 1 {
		return x.Replies[0]
	}
	return bytes.Join(x.Replies, nil)
}

// Answered reports whether the command got its reply (or all of them).
func (x Exchange) Answered() bool { return !x.Got.IsZero() }

// Name is the command's name, upper case.
func (x Exchange) Name() string {
	if len(x.Args) == 0 {
		return ""
	}
	return strings.ToUpper(string(x.Args[0]))
}

// A Push is a value the server sent that answers no command.
type Push struct {
	Time time.Time
	RESP []byte
	// After is how many of the connection's commands had been answered
	// (or suppressed) when it came.
	After int
}

// proxyConn is one proxied connection.
type proxyConn struct {
	client, server net.Conn

	mu  sync.Mutex
	rec Recording
	// client -> server parsing
	cbuf  []byte
	cneed int
	// server -> client parsing
	sbuf  []byte
	sneed int
	// awaiting lists the indexes of commands still waiting for a reply,
	// oldest first; expect is how many replies the first one needs (0
	// until its first reply came).
	awaiting []int
	expect   int
	answered int
	// connection state as the replies show it
	proto                      int
	channels, patterns, shards map[string]bool
	monitoring                 bool
	// CLIENT REPLY state as the commands sent set it
	replyOff, skipNext bool
}

func (pc *proxyConn) snapshot() Recording {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	r := pc.rec
	r.Commands = append([]Exchange(nil), pc.rec.Commands...)
	for i := range r.Commands {
		r.Commands[i].Replies = append([][]byte(nil), r.Commands[i].Replies...)
	}
	r.Pushes = append([]Push(nil), pc.rec.Pushes...)
	return r
}

const proxyBuf = 64 << 10

func (pc *proxyConn) clientToServer(wg *sync.WaitGroup) {
	defer wg.Done()
	// Record first, forward after: the reply cannot come before the
	// command is in the queue.
	pump(pc.client, pc.server, pc.feedClient)
	// The client is done sending (or gone): pass its FIN on, as if it
	// had been connected to the server itself.
	if tc, ok := pc.server.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	} else {
		pc.server.Close()
	}
}

func (pc *proxyConn) serverToClient(wg *sync.WaitGroup) {
	defer wg.Done()
	pump(pc.server, pc.client, pc.feedServer)
	pc.client.Close()
	pc.server.Close()
	pc.mu.Lock()
	pc.rec.Closed = time.Now()
	pc.mu.Unlock()
}

// pump copies from to to until either fails, handing every chunk to
// record (with the time it was read) before it forwards it.
func pump(from, to net.Conn, record func([]byte, time.Time)) {
	buf := make([]byte, proxyBuf)
	for {
		n, err := from.Read(buf)
		if n > 0 {
			record(buf[:n], time.Now())
			if _, werr := to.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (pc *proxyConn) fail(err error) {
	if pc.rec.Err == "" {
		pc.rec.Err = err.Error()
	}
}

func (pc *proxyConn) feedClient(b []byte, t time.Time) {
	pc.feed("client", &pc.cbuf, &pc.cneed, b, func(rest []byte) (int, int, error) {
		args, inline, n, need, err := parseCommand(rest)
		if err == nil && need == 0 && args != nil {
			pc.addCommand(args, inline, t)
		}
		return n, need, err
	})
}

// feed appends b, bytes one side sent, to that side's buffer and, once
// it holds as much as the parser last said it needs, hands take the
// buffer from each whole message on: take parses one and files it, and
// says its length, or how many bytes a whole one needs (then the rest
// waits for more), or the error that ends the recording. need counts
// from the start of what is left, which becomes the buffer's start.
func (pc *proxyConn) feed(side string, buf *[]byte, need *int, b []byte, take func(rest []byte) (n, need int, err error)) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.rec.Err != "" {
		return
	}
	*buf = append(*buf, b...)
	if len(*buf) < *need {
		return
	}
	*need = 0
	off := 0
	for off < len(*buf) {
		n, more, err := take((*buf)[off:])
		if err != nil {
			pc.fail(fmt.Errorf("%s: %v", side, err))
			*buf = nil
			return
		}
		if more > 0 {
			*need = more
			break
		}
		off += n
	}
	*buf = append((*buf)[:0], (*buf)[off:]...)
}

// addCommand records a command the client sent (args alias the buffer).
func (pc *proxyConn) addCommand(args [][]byte, inline bool, t time.Time) {
	x := Exchange{Args: make([][]byte, len(args)), Inline: inline, Sent: t}
	for i, a := range args {
		x.Args[i] = append([]byte{}, a...)
	}
	name := x.Name()
	switch {
	case name == "CLIENT" && len(args) == 3 && strings.EqualFold(string(args[1]), "REPLY"):
		switch strings.ToUpper(string(args[2])) {
		case "ON":
			pc.replyOff, pc.skipNext = false, false
		case "OFF":
			x.Suppressed = true
			pc.replyOff, pc.skipNext = true, false
		case "SKIP":
			x.Suppressed = true
			pc.skipNext = !pc.replyOff
		default: // a syntax error, replied to unless replies are off
			x.Suppressed = pc.replyOff || pc.skipNext
			pc.skipNext = false
		}
	case name == "RESET":
		pc.replyOff, pc.skipNext = false, false
	default:
		x.Suppressed = pc.replyOff || pc.skipNext
		pc.skipNext = false
	}
	pc.rec.Commands = append(pc.rec.Commands, x)
	if x.Suppressed {
		pc.answered++
	} else {
		pc.awaiting = append(pc.awaiting, len(pc.rec.Commands)-1)
	}
}

func (pc *proxyConn) feedServer(b []byte, t time.Time) {
	pc.feed("server", &pc.sbuf, &pc.sneed, b, func(rest []byte) (int, int, error) {
		v, n, need, err := parseRESP(rest, 0)
		if err == nil && need == 0 {
			pc.onValue(append([]byte{}, rest[:n]...), v, t)
		}
		return n, need, err
	})
}

// subscribeKinds are the first elements of (un)subscribe confirmations.
var subscribeKinds = map[string]bool{"subscribe": true, "psubscribe": true, "ssubscribe": true,
	"unsubscribe": true, "punsubscribe": true, "sunsubscribe": true}

// messageKinds are the first elements of published messages.
var messageKinds = map[string]bool{"message": true, "pmessage": true, "smessage": true}

func isSubscribeCommand(name string) bool { return subscribeKinds[strings.ToLower(name)] }

// kind returns the lower-cased first element of an aggregate, or "".
func (v *respValue) kind() string {
	if (v.typ != '*' && v.typ != '>') || v.null || len(v.elems) == 0 {
		return ""
	}
	e := v.elems[0]
	switch e.typ {
	case '$', '+':
		return strings.ToLower(string(e.str))
	}
	return ""
}

func (pc *proxyConn) subscribed() bool {
	return len(pc.channels)+len(pc.patterns)+len(pc.shards) > 0
}

func (pc *proxyConn) push(raw []byte, t time.Time) {
	pc.rec.Pushes = append(pc.rec.Pushes, Push{Time: t, RESP: raw, After: pc.answered})
}

// onValue files one value the server sent.
func (pc *proxyConn) onValue(raw []byte, v respValue, t time.Time) {
	kind := v.kind()
	switch {
	case pc.monitoring && v.typ == '+':
		pc.push(raw, t)
		return
	case v.typ == '>' && (!subscribeKinds[kind] || len(pc.awaiting) == 0 ||
		!isSubscribeCommand(pc.rec.Commands[pc.awaiting[0]].Name())):
		pc.push(raw, t)
		return
	case v.typ == '*' && pc.proto == 2 && pc.subscribed() && messageKinds[kind]:
		pc.push(raw, t)
		return
	}
	if len(pc.awaiting) == 0 {
		// Nothing asked for it: keep it, as a push, rather than lose it.
		pc.push(raw, t)
		return
	}
	i := pc.awaiting[0]
	x := &pc.rec.Commands[i]
	x.Replies = append(x.Replies, raw)
	x.Proto = pc.proto
	done := true
	if isSubscribeCommand(x.Name()) && subscribeKinds[kind] {
		pc.trackSubscription(kind, v)
		if pc.expect == 0 {
			pc.expect = len(x.Args) - 1
			if pc.expect == 0 {
				// UNSUBSCRIBE without arguments: one per subscription it
				// dropped (this one included), or one when there was none.
				n := 1
				switch kind {
				case "unsubscribe":
					n += len(pc.channels)
				case "punsubscribe":
					n += len(pc.patterns)
				case "sunsubscribe":
					n += len(pc.shards)
				}
				if len(v.elems) > 1 && v.elems[1].null {
					n = 1
				}
				pc.expect = n
			}
		}
		done = len(x.Replies) >= pc.expect
	}
	if !done {
		return
	}
	x.Got = t
	pc.awaiting = pc.awaiting[1:]
	pc.expect = 0
	pc.answered++
	if v.typ == '-' || v.typ == '!' {
		return
	}
	// HELLO's and RESET's replies are already in the protocol they set.
	defer func() { x.Proto = pc.proto }()
	switch x.Name() {
	case "HELLO":
		if len(x.Args) > 1 {
			if n, err := strconv.Atoi(string(x.Args[1])); err == nil && (n == 2 || n == 3) {
				pc.proto = n
			}
		}
	case "RESET":
		pc.proto = 2
		pc.monitoring = false
		pc.channels, pc.patterns, pc.shards = map[string]bool{}, map[string]bool{}, map[string]bool{}
	case "MONITOR":
		pc.monitoring = true
	}
}

// trackSubscription updates the connection's subscriptions from a
// confirmation [kind, channel, count].
func (pc *proxyConn) trackSubscription(kind string, v respValue) {
	if len(v.elems) < 2 || v.elems[1].null {
		return
	}
	name := string(v.elems[1].str)
	switch kind {
	case "subscribe":
		pc.channels[name] = true
	case "psubscribe":
		pc.patterns[name] = true
	case "ssubscribe":
		pc.shards[name] = true
	case "unsubscribe":
		delete(pc.channels, name)
	case "punsubscribe":
		delete(pc.patterns, name)
	case "sunsubscribe":
		delete(pc.shards, name)
	}
}

// respValue is a parsed RESP2 or RESP3 value. Its str aliases the
// parsed buffer.
type respValue struct {
	typ   byte // + - : $ * _ , # ! = ( % ~ > (an attribute | is skipped)
	str   []byte
	null  bool
	elems []respValue // for %, keys and values alternate
	raw   []byte      // the value's bytes (with the attribute before it, if any)
}

// maxDepth bounds nesting in parseRESP.
const maxDepth = 128

// parseRESP parses the RESP2 or RESP3 value at the start of b (an
// attribute "|" and the value it precedes count as one value). It returns
// the value and its length, or need > len(b) when b holds only part of
// it (a lower bound of the length the value needs), or an error.
func parseRESP(b []byte, depth int) (v respValue, n, need int, err error) {
	v, n, need, err = parseValue(b, depth)
	if err == nil && need == 0 {
		v.raw = b[:n]
	}
	return v, n, need, err
}

func parseValue(b []byte, depth int) (v respValue, n, need int, err error) {
	if depth > maxDepth {
		return v, 0, 0, errors.New("resp: nesting too deep")
	}
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return v, 0, len(b) + 1, nil
	}
	if i < 2 || b[i-1] != '\r' {
		return v, 0, 0, fmt.Errorf("resp: malformed line %.40q", b[:i+1])
	}
	v.typ = b[0]
	body := b[1 : i-1]
	n = i + 1
	switch v.typ {
	case '+', '-':
		v.str = body
		return v, n, 0, nil
	case ':', '(':
		if !isInteger(body) {
			return v, 0, 0, fmt.Errorf("resp: bad number %q", body)
		}
		v.str = body
		return v, n, 0, nil
	case ',':
		v.str = body
		return v, n, 0, nil
	case '#':
		if len(body) != 1 || (body[0] != 't' && body[0] != 'f') {
			return v, 0, 0, fmt.Errorf("resp: bad boolean %q", body)
		}
		v.str = body
		return v, n, 0, nil
	case '_':
		if len(body) != 0 {
			return v, 0, 0, fmt.Errorf("resp: bad null %q", body)
		}
		v.null = true
		return v, n, 0, nil
	case '$', '!', '=', '*', '~', '>', '%', '|':
		// A length: of a bulk string's bytes, or of an aggregate's
		// elements; -1 (null) only in RESP2's bulk string and array.
		l, err := strconv.Atoi(string(body))
		if err != nil || l < -1 || l > maxBulk || (l == -1 && v.typ != '$' && v.typ != '*') {
			return v, 0, 0, fmt.Errorf("resp: bad length %q", body)
		}
		if l < 0 {
			v.null = true
			return v, n, 0, nil
		}
		if v.typ == '$' || v.typ == '!' || v.typ == '=' { // a bulk string
			if len(b) < n+l+2 {
				return v, 0, n + l + 2, nil
			}
			if b[n+l] != '\r' || b[n+l+1] != '\n' {
				return v, 0, 0, errors.New("resp: bulk string not terminated by CRLF")
			}
			v.str = b[n : n+l]
			return v, n + l + 2, 0, nil
		}
		if v.typ == '%' || v.typ == '|' {
			l *= 2
		}
		for j := 0; j < l; j++ {
			e, m, need, err := parseRESP(b[n:], depth+1)
			if err != nil || need > 0 {
				return v, 0, n + need, err
			}
			v.elems = append(v.elems, e)
			n += m
		}
		if v.typ == '|' {
			// The attribute belongs to the value that follows it.
			w, m, need, err := parseRESP(b[n:], depth+1)
			if err != nil || need > 0 {
				return v, 0, n + need, err
			}
			return w, n + m, 0, nil
		}
		return v, n, 0, nil
	}
	return v, 0, 0, fmt.Errorf("resp: unknown type %q", v.typ)
}

func isInteger(b []byte) bool {
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		b = b[1:]
	}
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// maxInline is Redis's limit on an inline command (PROTO_INLINE_MAX_SIZE).
const maxInline = 64 << 10

// parseCommand parses the command at the start of b as redis-server
// does: a RESP array of bulk strings, or an inline command (a line split
// into arguments like sdssplitargs). It returns its arguments (aliasing
// b; nil for an empty command, which the server ignores) and length, or
// need > len(b) when b holds only part of it, or an error for what the
// server would reject as a protocol error (and close the connection).
func parseCommand(b []byte) (args [][]byte, inline bool, n, need int, err error) {
	if len(b) == 0 {
		return nil, false, 0, 1, nil
	}
	if b[0] != '*' {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			if len(b) > maxInline {
				return nil, true, 0, 0, errors.New("inline command too long")
			}
			return nil, true, 0, len(b) + 1, nil
		}
		line := b[:i]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		args, err := splitArgs(line)
		if err != nil {
			return nil, true, 0, 0, err
		}
		return args, true, i + 1, 0, nil
	}
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return nil, false, 0, len(b) + 1, nil
	}
	if i < 2 || b[i-1] != '\r' {
		return nil, false, 0, 0, fmt.Errorf("malformed multibulk header %.40q", b[:i+1])
	}
	count, err := strconv.Atoi(string(b[1 : i-1]))
	if err != nil || count > 1024*1024 {
		return nil, false, 0, 0, fmt.Errorf("invalid multibulk length %q", b[1:i-1])
	}
	n = i + 1
	if count <= 0 {
		return nil, false, n, 0, nil
	}
	args = make([][]byte, 0, count)
	for j := 0; j < count; j++ {
		rest := b[n:]
		k := bytes.IndexByte(rest, '\n')
		if k < 0 {
			return nil, false, 0, n + len(rest) + 1, nil
		}
		if k < 2 || rest[0] != '$' || rest[k-1] != '\r' {
			return nil, false, 0, 0, fmt.Errorf("expected '$', got %.40q", rest[:k+1])
		}
		l, err := strconv.Atoi(string(rest[1 : k-1]))
		if err != nil || l < 0 || l > maxBulk {
			return nil, false, 0, 0, fmt.Errorf("invalid bulk length %q", rest[1:k-1])
		}
		n += k + 1
		if len(b) < n+l+2 {
			return nil, false, 0, n + l + 2, nil
		}
		args = append(args, b[n:n+l])
		n += l + 2
	}
	return args, false, n, 0, nil
}

// splitArgs splits an inline command's line into arguments as Redis's
// sdssplitargs does (redis.SplitArgs).
func splitArgs(line []byte) ([][]byte, error) {
	words, ok := redis.SplitArgs(string(line))
	if !ok {
		return nil, errors.New("unbalanced quotes in request")
	}
	var args [][]byte // nil for a blank line, which Redis skips
	for _, w := range words {
		args = append(args, []byte(w))
	}
	return args, nil
}
