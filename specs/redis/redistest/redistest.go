// Package redistest runs a real redis-server for live tests and records
// what it did: a MONITOR capture (as `redis-cli monitor` prints it) and the
// exact RESP2 reply of every command sent.
//
// Typical use:
//
//	srv := redistest.Start(t)
//	capture, replies := redistest.Run(t, srv, redistest.Workload(1, 2000))
//
// Start skips the test when redis-server is not on PATH, unless the
// environment variable WAT_REQUIRE_LIVE is non-empty, in which case it
// fails it.
//
// What redis-server 7.0.15 prints in MONITOR (checked by the tests here):
// the db in "[db src]" is the connection's db after the command ran (so
// `[2 ...] "SELECT" "2"`; a failed SELECT shows the old db; SWAPDB, MOVE,
// COPY ... DB and FLUSHALL show the connection's unchanged db); an EVAL
// line comes before its script's redis.call/pcall lines, which show
// `[db lua]` with the script's db, failing calls included; commands queued
// after MULTI appear only at EXEC time, right before the EXEC line, each
// with the db current when it ran (a queued SELECT changes the db of the
// lines after it); commands that fail at run time appear like any other.
package redistest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Databases is the number of databases Start configures (--databases).
const Databases = 16

// RequireLiveEnv names the environment variable that turns a missing
// redis-server from a skip into a failure.
const RequireLiveEnv = "WAT_REQUIRE_LIVE"

// Server is a running redis-server owned by a test.
type Server struct {
	Addr string // "127.0.0.1:PORT"
	Port int
	Pid  int

	cmd  *exec.Cmd
	out  *syncBuffer
	exit chan struct{} // closed when the process has been waited for
}

// Dial opens a new client connection to the server.
func (s *Server) Dial() (*Conn, error) { return Dial(s.Addr) }

// MustDial opens a new client connection to the server for a test,
// failing it when the server cannot be reached, and closes the
// connection when the test ends.
func (s *Server) MustDial(tb testing.TB) *Conn {
	tb.Helper()
	c, err := s.Dial()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// Output returns what redis-server has printed so far (its log).
func (s *Server) Output() string { return s.out.String() }

// Start starts redis-server on 127.0.0.1 on a free port with no
// persistence and Databases databases, waits until it answers PING and
// registers a cleanup that kills it. See the package comment for when it
// skips.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(RequireLiveEnv) != "" {
			tb.Fatalf("redis-server not installed (%s is set): %v", RequireLiveEnv, err)
		}
		tb.Skip("redis-server not installed")
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		s, err := start(tb, bin)
		if err == nil {
			return s
		}
		lastErr = err // most likely the port was taken in between; retry
	}
	tb.Fatalf("redistest: cannot start redis-server: %v", lastErr)
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func start(tb testing.TB, bin string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir := tb.TempDir()
	cmd := exec.Command(bin,
		"--save", "",
		"--appendonly", "no",
		"--bind", "127.0.0.1",
		"--port", strconv.Itoa(port),
		"--daemonize", "no",
		"--databases", strconv.Itoa(Databases),
		"--dir", dir,
	)
	cmd.Dir = dir
	out := &syncBuffer{}
	cmd.Stdout = out
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{
		Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Port: port,
		Pid:  cmd.Process.Pid,
		cmd:  cmd,
		out:  out,
		exit: make(chan struct{}),
	}
	go func() {
		_ = cmd.Wait()
		close(s.exit)
	}()
	if err := s.waitReady(); err != nil {
		s.kill()
		return nil, fmt.Errorf("%v; server output:\n%s", err, out.String())
	}
	tb.Cleanup(s.kill)
	return s, nil
}

func (s *Server) waitReady() error {
	deadline := time.Now().Add(Timeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.exit:
			return errors.New("redis-server exited during startup")
		default:
		}
		c, err := Dial(s.Addr)
		if err == nil {
			reply, err := c.DoStrings("PING")
			c.Close()
			if err == nil && string(reply) == "+PONG\r\n" {
				return nil
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return errors.New("redis-server did not answer PING in time")
}

// kill sends SIGKILL to the server's pid and waits for it to exit.
func (s *Server) kill() {
	select {
	case <-s.exit:
		return
	default:
	}
	_ = syscall.Kill(s.Pid, syscall.SIGKILL)
	<-s.exit
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Reply is the outcome of one command sent by Run.
type Reply struct {
	Conn   int      // logical connection (Cmd.Conn)
	Seq    int      // index of the command in the slice given to Run
	Args   [][]byte // the command as sent
	Client string   // the connection's local address, as MONITOR prints it
	RESP   []byte   // the reply, canonical RESP2 bytes
}

// Run executes cmds against srv, strictly one after the other in slice
// order (each command's reply is read before the next is sent, whatever
// its connection), so the server's execution order is the slice order.
// It opens one connection per logical Conn index (all starting in db 0),
// captures MONITOR output for the whole run and returns the capture (as
// `redis-cli monitor` prints it, starting with the line "OK") and one
// Reply per command, in order. Commands queued inside MULTI are recorded
// with their "+QUEUED" reply and EXEC with its array reply.
func Run(tb testing.TB, srv *Server, cmds []Cmd) (capture []byte, replies []Reply) {
	tb.Helper()
	nconn := 0
	for _, c := range cmds {
		if c.Conn < 0 {
			tb.Fatalf("redistest: negative Conn %d", c.Conn)
		}
		if c.Conn+1 > nconn {
			nconn = c.Conn + 1
		}
	}
	conns := make([]*Conn, nconn)
	for i := range conns {
		c, err := srv.Dial()
		if err != nil {
			tb.Fatalf("redistest: dial: %v", err)
		}
		defer c.Close()
		conns[i] = c
	}
	var buf bytes.Buffer
	stop, err := Monitor(srv.Addr, &buf)
	if err != nil {
		tb.Fatalf("redistest: monitor: %v", err)
	}
	replies = make([]Reply, 0, len(cmds))
	for i, c := range cmds {
		conn := conns[c.Conn]
		resp, err := conn.Do(c.Args...)
		if err != nil {
			_ = stop()
			tb.Fatalf("redistest: command %d %q on conn %d: %v", i, c.Args, c.Conn, err)
		}
		replies = append(replies, Reply{
			Conn:   c.Conn,
			Seq:    i,
			Args:   c.Args,
			Client: conn.LocalAddr(),
			RESP:   resp,
		})
	}
	if err := stop(); err != nil {
		tb.Fatalf("redistest: stopping monitor: %v", err)
	}
	return buf.Bytes(), replies
}

// RunConcurrent is Run with one goroutine per logical connection, so the
// server interleaves the connections as it likes: each connection sends its
// own commands in order, and MONITOR records the order the server chose.
// Replies have Seq numbered per connection and are sorted by Conn, Seq.
func RunConcurrent(tb testing.TB, srv *Server, cmds []Cmd) (capture []byte, replies []Reply) {
	tb.Helper()
	per := map[int][]Cmd{}
	for _, c := range cmds {
		per[c.Conn] = append(per[c.Conn], c)
	}
	var buf bytes.Buffer
	stop, err := Monitor(srv.Addr, &buf)
	if err != nil {
		tb.Fatalf("redistest: monitor: %v", err)
	}
	results := make(map[int][]Reply, len(per))
	errs := make(chan error, len(per))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for conn, list := range per {
		wg.Add(1)
		go func(conn int, list []Cmd) {
			defer wg.Done()
			c, err := srv.Dial()
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			var out []Reply
			for i, cmd := range list {
				resp, err := c.Do(cmd.Args...)
				if err != nil {
					errs <- fmt.Errorf("conn %d command %d %q: %w", conn, i, cmd.Args, err)
					return
				}
				out = append(out, Reply{Conn: conn, Seq: i, Args: cmd.Args, Client: c.LocalAddr(), RESP: resp})
			}
			mu.Lock()
			results[conn] = out
			mu.Unlock()
		}(conn, list)
	}
	wg.Wait()
	close(errs)
	if err := stop(); err != nil {
		tb.Fatalf("redistest: stopping monitor: %v", err)
	}
	for err := range errs {
		tb.Fatalf("redistest: %v", err)
	}
	var conns []int
	for conn := range results {
		conns = append(conns, conn)
	}
	sort.Ints(conns)
	for _, conn := range conns {
		replies = append(replies, results[conn]...)
	}
	return buf.Bytes(), replies
}
