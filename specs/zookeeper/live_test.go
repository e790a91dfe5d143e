package zookeeper_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/formats/jsonlines"
	"github.com/wat-project/wat/formats/zookeeper"
	"github.com/wat-project/wat/ingest"
	"github.com/wat-project/wat/ingest/store"
	"github.com/wat-project/wat/ingest/store/storetest"
	"github.com/wat-project/wat/provenance"
	zk "github.com/wat-project/wat/specs/zookeeper"
)

const javaDir = "/usr/share/java"

// server is a real ZooKeeper started for a test.
type server struct {
	dir, cp string
	port    int
	cmd     *exec.Cmd
}

func startServer(t *testing.T) *server {
	t.Helper()
	if _, err := exec.LookPath("java"); err != nil || !exists(filepath.Join(javaDir, "zookeeper.jar")) ||
		!exists(filepath.Join(javaDir, "slf4j-log4j12.jar")) {
		if os.Getenv("WAT_REQUIRE_LIVE") != "" {
			t.Fatal("ZooKeeper (the Debian zookeeper package, java, slf4j-log4j12) is not installed and WAT_REQUIRE_LIVE is set")
		}
		t.Skip("ZooKeeper not installed")
	}
	s := &server{dir: t.TempDir()}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	for _, d := range []string{"data", "conf", "logs"} {
		os.Mkdir(filepath.Join(s.dir, d), 0o755)
	}
	os.WriteFile(filepath.Join(s.dir, "conf", "zoo.cfg"), []byte(fmt.Sprintf(
		"tickTime=2000\ndataDir=%s/data\nclientPort=%d\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\naudit.enable=true\n", s.dir, s.port)), 0o644)
	os.WriteFile(filepath.Join(s.dir, "conf", "log4j.properties"), []byte(fmt.Sprintf(`log4j.rootLogger=INFO, SERVER
log4j.appender.SERVER=org.apache.log4j.FileAppender
log4j.appender.SERVER.File=%[1]s/logs/server.log
log4j.appender.SERVER.layout=org.apache.log4j.PatternLayout
log4j.appender.SERVER.layout.ConversionPattern=%%d{ISO8601} %%p %%c{2}: %%m%%n
log4j.logger.org.apache.zookeeper.audit.Slf4jAuditLogger=INFO, AUDIT
log4j.additivity.org.apache.zookeeper.audit.Slf4jAuditLogger=false
log4j.appender.AUDIT=org.apache.log4j.FileAppender
log4j.appender.AUDIT.File=%[1]s/logs/audit.log
log4j.appender.AUDIT.layout=org.apache.log4j.PatternLayout
log4j.appender.AUDIT.layout.ConversionPattern=%%d{ISO8601} %%p %%c{2}: %%m%%n
`, s.dir)), 0o644)
	var jars []string
	for _, j := range []string{"zookeeper", "zookeeper-jute", "slf4j-api", "slf4j-log4j12", "log4j-1.2", "netty-all", "commons-cli", "metrics-core", "jline", "snappy-java"} {
		jars = append(jars, filepath.Join(javaDir, j+".jar"))
	}
	s.cp = filepath.Join(s.dir, "conf") + ":" + strings.Join(jars, ":")
	s.cmd = exec.Command("java", "-cp", s.cp, "-Dlog4j.configuration=file:"+filepath.Join(s.dir, "conf", "log4j.properties"),
		"org.apache.zookeeper.server.ZooKeeperServerMain", filepath.Join(s.dir, "conf", "zoo.cfg"))
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.stop() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(s.dir, "logs", "server.log"))
		if bytes.Contains(b, []byte("audit is enabled")) {
			if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.port)); err == nil {
				c.Close()
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("ZooKeeper did not start: %s", b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop stops the server by its pid.
func (s *server) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

// cli runs zkCli commands in one session and returns its output.
func (s *server) cli(t *testing.T, cmds ...string) string {
	t.Helper()
	cmd := exec.Command("java", "-cp", s.cp, "-Dlog4j.configuration=file:"+filepath.Join(s.dir, "conf", "log4j.properties"),
		"org.apache.zookeeper.ZooKeeperMain", "-server", fmt.Sprintf("127.0.0.1:%d", s.port))
	cmd.Stdin = strings.NewReader(strings.Join(cmds, "\n") + "\nquit\n")
	// zkCli exits 1 when its last command failed (as the failed create
	// here does); its output says what happened.
	out, err := cmd.CombinedOutput()
	if _, isExit := err.(*exec.ExitError); err != nil && !isExit {
		t.Fatalf("zkCli: %v: %s", err, out)
	}
	return string(out)
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// getReply reads what zkCli printed for "get -s PATH": the data and the
// dataVersion, or NoNode.
func getReply(out, p string) string {
	if strings.Contains(out, "Node does not exist: "+p) {
		return "NoNode"
	}
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "cZxid = ") && i > 0 {
			// The session's connection event is printed by another
			// thread and may land between the data and its stat.
			j := i - 1
			for j > 0 && watcherLine(lines[j]) {
				j--
			}
			data := strings.TrimSpace(lines[j])
			if j := strings.LastIndex(data, "] "); j >= 0 && strings.Contains(data, "[zk:") {
				data = data[j+2:]
			}
			for _, m := range lines[i:] {
				if v, ok := strings.CutPrefix(m, "dataVersion = "); ok {
					return fmt.Sprintf("%q version=%s", data, strings.TrimSpace(v))
				}
			}
		}
	}
	return "?"
}

// watcherLine reports whether zkCli printed l for a watch event rather
// than for the command.
func watcherLine(l string) bool {
	l = strings.TrimSpace(l)
	return l == "" || l == "WATCHER::" || strings.HasPrefix(l, "WatchedEvent ")
}

// TestLiveServer drives a real ZooKeeper (writes with zkCli, reads one
// second later in another session, recorded as a client's JSON log),
// captures its audit and transaction logs, ingests them, and checks
// every read's replayed output against what the server returned.
func TestLiveServer(t *testing.T) {
	s := startServer(t)
	var client bytes.Buffer
	read := func(paths ...string) {
		time.Sleep(1100 * time.Millisecond) // a second of its own: the txn log has one-second times
		at := time.Now().UTC()
		for i, p := range paths {
			out := s.cli(t, "get -s "+p)
			line, _ := json.Marshal(map[string]any{"ts": at.Add(time.Duration(i) * time.Millisecond).Format(time.RFC3339Nano),
				"kind": "zk.call", "session": "reader", "op": "getData", "args": []string{p}, "reply": getReply(out, p)})
			client.Write(append(line, '\n'))
		}
	}
	s.cli(t, `create /app ""`, `create /app/config "max_conn=100"`, `create /app/flag "on"`, `set /app/config "max_conn=300"`,
		`create /app/config "dup"`, `set -v 9 /app/config "bad"`)
	read("/app/config", "/app/flag", "/app/missing")
	s.cli(t, `set /app/config "max_conn=100"`, `delete /app/flag`, `create /app/flag "off"`, `set /app/config "max_conn=100"`)
	read("/app/config", "/app/flag")
	s.stop()
	txn, err := exec.Command("java", "-cp", s.cp, "-Dlog4j.configuration=file:"+filepath.Join(s.dir, "conf", "log4j.properties"),
		"org.apache.zookeeper.server.persistence.TxnLogToolkit", filepath.Join(s.dir, "data", "version-2", "log.1")).Output()
	if err != nil {
		t.Fatalf("TxnLogToolkit: %v", err)
	}
	audit, err := os.ReadFile(filepath.Join(s.dir, "logs", "audit.log"))
	if err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	all := []*formats.Format{zookeeper.TxnFormat, zookeeper.AuditFormat, jsonlines.Format}
	// The same checks through each store backend.
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			st, err := store.Open(ctx, storetest.New(t, backend), store.Options{Formats: all})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			mapping, _ := jsonlines.ShippedMapping("zkclient")
			m, _ := jsonlines.ParseMapping(mapping)
			opt := ingest.Options{Formats: all, Refs: map[string]func(*formats.Event) []formats.Ref{"zookeeper": zk.Spec.Refs},
				Config: map[string][]byte{"json-lines": m.Encode()}}
			for name, b := range map[string][]byte{"txn.log": txn, "audit.log": audit} {
				if _, err := ingest.Ingest(ctx, st, name, bytes.NewReader(b), 0, opt); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := ingest.Ingest(ctx, st, "client.log", bytes.NewReader(client.Bytes()), 0, opt); err != nil {
				t.Fatal(err)
			}
			src, err := st.SourceByPath(ctx, "client.log")
			if err != nil {
				t.Fatal(err)
			}
			same := zk.Spec.(interface {
				SameOutput([]byte, provenance.Output) bool
			})
			sc := bufio.NewScanner(bytes.NewReader(client.Bytes()))
			n := 0
			for line := 1; sc.Scan(); line++ {
				e, err := st.EventAt(ctx, src, line)
				if err != nil {
					t.Fatal(err)
				}
				x, err := zk.Spec.Explain(ctx, st, e)
				if err != nil {
					t.Fatalf("%s: %v", e.Where(), err)
				}
				if !same.SameOutput(e.Reply, x.Output) {
					t.Errorf("%s %q: replayed %s, the server returned %s", e.Where(), e.Args[0], x.Output, e.Reply)
				}
				if !x.Exact {
					t.Errorf("%s: not exact: %v", e.Where(), x.Notes)
				}
				n++
			}
			if n != 5 {
				t.Fatalf("%d reads checked, want 5", n)
			}
			t.Logf("%d reads: replayed outputs equal the server's replies", n)
		})
	}
}
