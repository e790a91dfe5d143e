package zookeeper_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// A tally counts the replies of one operation: replayed and exact
// (agree), labelled not exact with a reason (labelled), exact but
// replayed otherwise than the server answered (differs: a wrong answer),
// and refused as not explainable.
type tally struct{ agree, labelled, differs, refused int }

// TestLiveServer drives a real ZooKeeper with kazoo (testdata/drive.py:
// plain znodes, sequential and ephemeral nodes, multis, digest ACLs,
// kazoo's Lock, Election, Counter and Queue recipes, a session that
// expires), which records every reply it reads in a client log; captures
// the transaction and audit logs; ingests them; and checks every reply,
// writes included, against wat's replay: each must be replayed exactly
// or labelled not exact with the reason.
func TestLiveServer(t *testing.T) {
	s := startServer(t)
	if err := exec.Command("/usr/bin/python3", "-c", "import kazoo").Run(); err != nil {
		if os.Getenv("WAT_REQUIRE_LIVE") != "" {
			t.Fatal("python3-kazoo is not installed for /usr/bin/python3 and WAT_REQUIRE_LIVE is set")
		}
		t.Skip("python3-kazoo not installed")
	}
	clientLog := filepath.Join(s.dir, "client.log")
	drive := exec.Command("/usr/bin/python3", "testdata/drive.py", fmt.Sprintf("127.0.0.1:%d", s.port), clientLog)
	if out, err := drive.CombinedOutput(); err != nil {
		t.Fatalf("drive.py: %v\n%s", err, out)
	}
	s.stop()
	logs, _ := filepath.Glob(filepath.Join(s.dir, "data", "version-2", "log.*"))
	var txn []byte
	for _, l := range logs {
		out, err := exec.Command("java", "-cp", s.cp, "-Dlog4j.configuration=file:"+filepath.Join(s.dir, "conf", "log4j.properties"),
			"org.apache.zookeeper.server.persistence.TxnLogToolkit", l).Output()
		if err != nil {
			t.Fatalf("TxnLogToolkit %s: %v", l, err)
		}
		txn = append(txn, out...)
	}
	audit, err := os.ReadFile(filepath.Join(s.dir, "logs", "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	client, err := os.ReadFile(clientLog)
	if err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	all := []*formats.Format{zookeeper.TxnFormat, zookeeper.AuditFormat, jsonlines.Format}
	// The shipped client mapping, reading the reply header's zxid as the
	// event's NS (see the package comment).
	shipped, _ := jsonlines.ShippedMapping("zkclient")
	m, err := jsonlines.ParseMapping(shipped)
	if err != nil {
		t.Fatal(err)
	}
	if m.Rules[0].Fields["ns"] == nil {
		t.Fatal("the shipped zkclient mapping does not read the reply's zxid as ns")
	}
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			st, err := store.Open(ctx, storetest.New(t, backend), store.Options{Formats: all})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			opt := ingest.Options{Formats: all, Refs: map[string]func(*formats.Event) []formats.Ref{"zookeeper": zk.Spec.Refs},
				Config: map[string][]byte{"json-lines": m.Encode()}}
			for _, f := range []struct {
				name string
				b    []byte
			}{{"txn.log", txn}, {"audit.log", audit}, {"client.log", client}} {
				sum, err := ingest.Ingest(ctx, st, f.name, bytes.NewReader(f.b), 0, opt)
				if err != nil {
					t.Fatal(err)
				}
				if sum.Rejected > 0 {
					t.Errorf("%s: %d lines rejected", f.name, sum.Rejected)
				}
			}
			src, err := st.SourceByPath(ctx, "client.log")
			if err != nil {
				t.Fatal(err)
			}
			same := zk.Spec.(interface {
				SameOutput([]byte, provenance.Output) bool
			})
			table := map[string]*tally{}
			var sizes []int
			reasons := map[string]int{}
			sc := bufio.NewScanner(bytes.NewReader(client))
			sc.Buffer(nil, 1<<20)
			n := 0
			for line := 1; sc.Scan(); line++ {
				e, err := st.EventAt(ctx, src, line)
				if err != nil {
					t.Fatal(err)
				}
				op := strings.ToLower(e.Op)
				if table[op] == nil {
					table[op] = &tally{}
				}
				n++
				x, err := zk.Spec.Explain(ctx, st, e)
				switch {
				case errors.Is(err, provenance.ErrNotExplainable):
					table[op].refused++
					t.Errorf("%s: %v", e.Where(), err)
				case err != nil:
					t.Fatalf("%s: %v", e.Where(), err)
				case !x.Exact:
					sizes = append(sizes, len(x.Mentioned()))
					table[op].labelled++
					for _, note := range x.Notes {
						if r, ok := strings.CutPrefix(note, "not exact: "); ok {
							reasons[r[:min(len(r), 70)]]++
						}
					}
				case !same.SameOutput(e.Reply, x.Output):
					table[op].differs++
					t.Errorf("%s %s %q: replayed %s, the server returned %s", e.Where(), e.Op, e.Args, x.Output, e.Reply)
				default:
					sizes = append(sizes, len(x.Mentioned()))
					table[op].agree++
				}
			}
			var b strings.Builder
			fmt.Fprintf(&b, "%d replies\n%-14s %6s %9s %8s %8s\n", n, "operation", "agree", "labelled", "differs", "refused")
			for _, op := range slices.Sorted(maps.Keys(table)) {
				c := table[op]
				fmt.Fprintf(&b, "%-14s %6d %9d %8d %8d\n", op, c.agree, c.labelled, c.differs, c.refused)
			}
			slices.Sort(sizes)
			if len(sizes) > 0 {
				fmt.Fprintf(&b, "events in the witnesses: median %d, max %d\n", sizes[len(sizes)/2], sizes[len(sizes)-1])
			}
			for r, k := range reasons {
				fmt.Fprintf(&b, "labelled %d times: %s\n", k, r)
			}
			t.Log(b.String())
			if n < 100 {
				t.Fatalf("%d replies checked, want the whole run's (over 100)", n)
			}
		})
	}
}
