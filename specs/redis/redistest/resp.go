package redistest

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Timeout bounds every network round trip made by this package.
const Timeout = 10 * time.Second

// maxBulk bounds the bulk-string and array lengths ReadReply accepts.
const maxBulk = 512 << 20

// EncodeCommand encodes a command as a RESP array of bulk strings, which is
// how clients send commands to the server.
func EncodeCommand(args ...[]byte) []byte {
	b := make([]byte, 0, 16+16*len(args))
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, '\r', '\n')
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}

// Args converts strings to the [][]byte form taken by Do and stored in Cmd.
func Args(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, a := range s {
		out[i] = []byte(a)
	}
	return out
}

// Canonical RESP2 reply constructors. Their output is byte-for-byte what
// redis-server writes on the wire for the same reply.

// SimpleString returns "+s\r\n".
func SimpleString(s string) []byte { return []byte("+" + s + "\r\n") }

// Error returns "-msg\r\n"; msg includes the error code, e.g. "ERR syntax error".
func Error(msg string) []byte { return []byte("-" + msg + "\r\n") }

// Integer returns ":n\r\n".
func Integer(n int64) []byte {
	b := []byte{':'}
	b = strconv.AppendInt(b, n, 10)
	return append(b, '\r', '\n')
}

// Bulk returns "$len\r\nb\r\n".
func Bulk(b []byte) []byte {
	out := []byte{'$'}
	out = strconv.AppendInt(out, int64(len(b)), 10)
	out = append(out, '\r', '\n')
	out = append(out, b...)
	return append(out, '\r', '\n')
}

// NullBulk returns "$-1\r\n" (RESP2 nil, e.g. GET on a missing key).
func NullBulk() []byte { return []byte("$-1\r\n") }

// NullArray returns "*-1\r\n" (RESP2 nil array, e.g. LPOP missing 2).
func NullArray() []byte { return []byte("*-1\r\n") }

// Array returns "*n\r\n" followed by the already-encoded elements.
func Array(elems ...[]byte) []byte {
	out := []byte{'*'}
	out = strconv.AppendInt(out, int64(len(elems)), 10)
	out = append(out, '\r', '\n')
	for _, e := range elems {
		out = append(out, e...)
	}
	return out
}

// ReadReply reads exactly one RESP2 reply from r and returns its wire
// bytes (nested arrays included). The bytes are validated: a line ends in
// CRLF, lengths are decimal, a bulk string is followed by CRLF.
func ReadReply(r *bufio.Reader) ([]byte, error) {
	var out []byte
	err := readReply(r, &out, 0)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func readLine(r *bufio.Reader, out *[]byte) ([]byte, error) {
	start := len(*out)
	for {
		chunk, err := r.ReadSlice('\n')
		*out = append(*out, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF && len(*out) > start {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		break
	}
	line := (*out)[start:]
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("resp: malformed line %q", line)
	}
	return line[1 : len(line)-2], nil // without type byte and CRLF
}

func parseLen(b []byte) (int64, error) {
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || n < -1 || n > maxBulk {
		return 0, fmt.Errorf("resp: bad length %q", b)
	}
	return n, nil
}

func readReply(r *bufio.Reader, out *[]byte, depth int) error {
	if depth > 64 {
		return errors.New("resp: nesting too deep")
	}
	start := len(*out)
	body, err := readLine(r, out)
	if err != nil {
		return err
	}
	switch (*out)[start] {
	case '+', '-':
		return nil
	case ':':
		if _, err := strconv.ParseInt(string(body), 10, 64); err != nil {
			return fmt.Errorf("resp: bad integer %q", body)
		}
		return nil
	case '$':
		n, err := parseLen(body)
		if err != nil || n < 0 {
			return err
		}
		s := len(*out)
		*out = append(*out, make([]byte, n+2)...)
		if _, err := io.ReadFull(r, (*out)[s:]); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		if !bytes.HasSuffix(*out, []byte("\r\n")) {
			return errors.New("resp: bulk string not terminated by CRLF")
		}
		return nil
	case '*':
		n, err := parseLen(body)
		if err != nil {
			return err
		}
		for i := int64(0); i < n; i++ {
			if err := readReply(r, out, depth+1); err != nil {
				return err
			}
		}
		return nil
	default:
		return fmt.Errorf("resp: unknown reply type %q", (*out)[start])
	}
}

// Value is a decoded RESP2 reply.
type Value struct {
	Type  byte    // '+', '-', ':', '$' or '*'
	Str   []byte  // '+', '-' (without the type byte), '$'
	Int   int64   // ':'
	Elems []Value // '*'
	Null  bool    // "$-1" or "*-1"
}

// Parse decodes the first RESP2 reply in b and returns it and the number
// of bytes it occupies.
func Parse(b []byte) (Value, int, error) {
	r := bufio.NewReader(bytes.NewReader(b))
	raw, err := ReadReply(r)
	if err != nil {
		return Value{}, 0, err
	}
	v, n := parseValid(raw)
	return v, n, nil
}

// parseValid decodes a reply already validated by ReadReply.
func parseValid(b []byte) (Value, int) {
	e := bytes.Index(b, []byte("\r\n"))
	v := Value{Type: b[0]}
	body := b[1:e]
	n := e + 2
	switch v.Type {
	case '+', '-':
		v.Str = append([]byte{}, body...)
	case ':':
		v.Int, _ = strconv.ParseInt(string(body), 10, 64)
	case '$':
		l, _ := strconv.Atoi(string(body))
		if l < 0 {
			v.Null = true
			break
		}
		v.Str = append([]byte{}, b[n:n+l]...)
		n += l + 2
	case '*':
		l, _ := strconv.Atoi(string(body))
		if l < 0 {
			v.Null = true
			break
		}
		v.Elems = make([]Value, 0, l)
		for i := 0; i < l; i++ {
			el, m := parseValid(b[n:])
			v.Elems = append(v.Elems, el)
			n += m
		}
	}
	return v, n
}

// Encode returns the canonical RESP2 bytes of v.
func (v Value) Encode() []byte {
	switch v.Type {
	case '+':
		return SimpleString(string(v.Str))
	case '-':
		return Error(string(v.Str))
	case ':':
		return Integer(v.Int)
	case '$':
		if v.Null {
			return NullBulk()
		}
		return Bulk(v.Str)
	case '*':
		if v.Null {
			return NullArray()
		}
		el := make([][]byte, len(v.Elems))
		for i, e := range v.Elems {
			el[i] = e.Encode()
		}
		return Array(el...)
	}
	return nil
}

// Conn is a minimal synchronous RESP2 client connection.
type Conn struct {
	nc net.Conn
	r  *bufio.Reader
}

// Dial connects to a Redis server at addr ("127.0.0.1:6379").
func Dial(addr string) (*Conn, error) {
	nc, err := net.DialTimeout("tcp", addr, Timeout)
	if err != nil {
		return nil, err
	}
	return &Conn{nc: nc, r: bufio.NewReaderSize(nc, 64<<10)}, nil
}

// Do sends one command and returns its reply as canonical RESP2 bytes.
// A Redis error reply is returned as bytes ("-ERR ...\r\n"), not as an
// error; err is reserved for network and protocol failures.
func (c *Conn) Do(args ...[]byte) ([]byte, error) {
	if len(args) == 0 {
		return nil, errors.New("redistest: empty command")
	}
	if err := c.nc.SetDeadline(time.Now().Add(Timeout)); err != nil {
		return nil, err
	}
	if _, err := c.nc.Write(EncodeCommand(args...)); err != nil {
		return nil, err
	}
	return ReadReply(c.r)
}

// DoStrings is Do with string arguments.
func (c *Conn) DoStrings(args ...string) ([]byte, error) { return c.Do(Args(args...)...) }

// LocalAddr is the client side address, as MONITOR prints it
// ("127.0.0.1:54321").
func (c *Conn) LocalAddr() string { return c.nc.LocalAddr().String() }

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }

// sentinelPrefix starts the ECHO argument Monitor's stop function sends.
const sentinelPrefix = "wat-monitor-sentinel-"

// Monitor opens a connection to addr, sends MONITOR and writes every line
// the server pushes to w as `redis-cli monitor` prints it: the first line
// is "OK", then one line per command ("1795535140.886845 [0
// 127.0.0.1:54321] \"SET\" \"k\" \"v\""), each terminated by "\n".
// Monitor returns once the server has acknowledged MONITOR, so every
// command sent afterwards is captured.
//
// stop sends `ECHO wat-monitor-sentinel-<random>` on a separate connection,
// waits until the monitor has received that line (hence everything the
// server executed before it), closes the connection and returns the first
// error seen. The sentinel line is not written to w. w is written only by
// the monitor's goroutine and not after stop returns.
func Monitor(addr string, w io.Writer) (stop func() error, err error) {
	c, err := Dial(addr)
	if err != nil {
		return nil, err
	}
	var rb [12]byte
	if _, err := rand.Read(rb[:]); err != nil {
		c.Close()
		return nil, err
	}
	sentinel := sentinelPrefix + hex.EncodeToString(rb[:])
	first, err := c.DoStrings("MONITOR")
	if err != nil {
		c.Close()
		return nil, err
	}
	if string(first) != "+OK\r\n" {
		c.Close()
		return nil, fmt.Errorf("redistest: MONITOR replied %q", first)
	}
	if _, err := io.WriteString(w, "OK\n"); err != nil {
		c.Close()
		return nil, err
	}
	_ = c.nc.SetDeadline(time.Time{})

	suffix := []byte(` "ECHO" "` + sentinel + `"`)
	done := make(chan error, 1)
	go func() {
		for {
			raw, err := ReadReply(c.r)
			if err != nil {
				done <- fmt.Errorf("redistest: monitor read: %w", err)
				return
			}
			if raw[0] != '+' {
				done <- fmt.Errorf("redistest: monitor got non-status reply %q", raw)
				return
			}
			line := raw[1 : len(raw)-2]
			if bytes.HasSuffix(line, suffix) {
				done <- nil
				return
			}
			if _, err := w.Write(append(line, '\n')); err != nil {
				done <- fmt.Errorf("redistest: monitor write: %w", err)
				return
			}
		}
	}()

	var once sync.Once
	var stopErr error
	stop = func() error {
		once.Do(func() {
			defer c.Close()
			sc, err := Dial(addr)
			if err != nil {
				stopErr = err
				return
			}
			defer sc.Close()
			if _, err := sc.DoStrings("ECHO", sentinel); err != nil {
				stopErr = err
				return
			}
			select {
			case stopErr = <-done:
			case <-time.After(Timeout):
				stopErr = errors.New("redistest: monitor did not see the sentinel")
				c.Close()
				<-done
			}
		})
		return stopErr
	}
	return stop, nil
}

// SortArray returns the array reply resp with its elements sorted by their
// encoded bytes; any other reply is returned unchanged. Use it on both
// sides when comparing replies whose order Redis leaves unspecified:
// SMEMBERS of a set that is not an intset (in 7.0 any set with a
// non-integer member) lists members in hash-table order, which depends on
// a per-process random hash seed.
func SortArray(resp []byte) ([]byte, error) {
	v, n, err := Parse(resp)
	if err != nil {
		return nil, err
	}
	if n != len(resp) {
		return nil, errors.New("resp: trailing bytes after reply")
	}
	if v.Type != '*' || v.Null {
		return resp, nil
	}
	el := make([][]byte, len(v.Elems))
	for i, e := range v.Elems {
		el[i] = e.Encode()
	}
	sort.Slice(el, func(i, j int) bool { return bytes.Compare(el[i], el[j]) < 0 })
	return Array(el...), nil
}
