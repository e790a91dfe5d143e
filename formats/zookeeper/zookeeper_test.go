package zookeeper

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
)

func readAll(t *testing.T, f *formats.Format, file string) []formats.Event {
	t.Helper()
	fh, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	p := f.NewParser()
	var out []formats.Event
	sc := bufio.NewScanner(fh)
	for n := 1; sc.Scan(); n++ {
		var ev formats.Event
		r, err := p.Parse(sc.Bytes(), &ev)
		if err != nil {
			t.Fatalf("%s:%d: %v: %q", file, n, err, sc.Text())
		}
		if r == formats.IsEvent {
			var again formats.Event
			if r2, err := f.NewParser().Parse(ev.Raw, &again); err != nil || r2 != formats.IsEvent || again.Op != ev.Op ||
				len(again.Args) != len(ev.Args) {
				t.Fatalf("%s:%d: raw %q does not parse again: %v", file, n, ev.Raw, err)
			}
			out = append(out, ev)
		}
	}
	return out
}

// TestRealCaptures reads the real captures capture.sh makes.
func TestRealCaptures(t *testing.T) {
	au := readAll(t, AuditFormat, "testdata/audit.log")
	if len(au) != 30 || au[1].Op != "create" || string(au[1].Args[0]) != "/app" || string(au[1].Args[1]) != "persistent" ||
		!strings.HasPrefix(au[1].Client, "0x") || string(au[1].Reply) != "success" || au[1].Time == 0 {
		t.Errorf("audit: %d events, %+v", len(au), au[1])
	}
	tx := readAll(t, TxnFormat, "testdata/txn.log")
	ops := []string{}
	for _, e := range tx {
		ops = append(ops, e.Op)
	}
	want := "createSession create create setData error create error error create create delete setData closeSession " +
		"createSession create create delete create setData multi multi create error setACL error create create closeSession"
	if got := strings.Join(ops, " "); got != want {
		t.Errorf("txn ops: %s", got)
	}
	for i, e := range tx {
		if !strings.HasPrefix(e.NS, "0x") || e.NS != "0x"+strconv.FormatInt(int64(i+1), 16) {
			t.Errorf("txn %d: zxid %q", i, e.NS)
		}
	}
	// The failed multi: its create and setData as they would have been,
	// then the failing check and the delete after it as error records
	// whose codes were printed as U+FFFD.
	if got := fmt.Sprintf("%q", tx[19].Args); got != `["create" "/q/m1" "one\ntwo" "false" "3" "31:world:anyone" "setData" "/q" "m" "2" "error" "?" "error" "?"]` {
		t.Errorf("failed multi: %s", got)
	}
	if got := fmt.Sprintf("%q", tx[20].Args); got != `["create" "/q/m2" "x" "false" "3" "31:world:anyone" "delete" "/q/x-0000000001"]` {
		t.Errorf("multi: %s", got)
	}
	if got := fmt.Sprintf("%q", tx[21].Args); got != `["/sec" "s" "false" "3" "31:digest:alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E="]` {
		t.Errorf("create with an ACL: %s", got)
	}
	if got := fmt.Sprintf("%q", tx[23].Args); got != `["/sec" "1:world:anyone" "1"]` {
		t.Errorf("setACL: %s", got)
	}
	c := tx[2]
	if string(c.Args[0]) != "/app/config" || string(c.Args[1]) != "max_conn=100" || string(c.Args[2]) != "false" || string(c.Args[3]) != "1" {
		t.Errorf("create: %q", c.Args)
	}
	if s := tx[3]; string(s.Args[0]) != "/app/config" || string(s.Args[1]) != "max_conn=300" || string(s.Args[2]) != "1" {
		t.Errorf("setData: %q", s.Args)
	}
	if e := tx[4]; string(e.Reply) != "-110" {
		t.Errorf("error: %q", e.Reply)
	}
	if d := tx[10]; string(d.Args[0]) != "/app/old" {
		t.Errorf("delete: %q", d.Args)
	}
	if cs := tx[12]; len(cs.Args) != 1 || string(cs.Args[0]) != "/app/lock" {
		t.Errorf("closeSession: %q", cs.Args)
	}
	if AuditFormat.Sniff([][]byte{[]byte(AuditFormat.Samples[0])}) == 0 || TxnFormat.Sniff([][]byte{[]byte(TxnFormat.Samples[1])}) == 0 {
		t.Error("samples do not sniff")
	}
	if AuditFormat.Sniff([][]byte{[]byte(TxnFormat.Samples[1])}) != 0 || TxnFormat.Sniff([][]byte{[]byte(AuditFormat.Samples[0])}) != 0 {
		t.Error("one format sniffs as the other")
	}
}

func TestRejected(t *testing.T) {
	for _, c := range []struct {
		f          *formats.Format
		line, want string
	}{
		{AuditFormat, "2026-11-24 21:21:15,125 INFO something happened", "no key=value"},
		{AuditFormat, "x: session=1\tnot a field", "not key=value"},
		{TxnFormat, "11/24/26, 9:21:15 PM UTC cxid 0x3", "no session"},
		{TxnFormat, "yesterday session 0x1 cxid 0x2 zxid 0x3 create /a", "bad time"},
		{TxnFormat, "],false,1", "no create before it"},
		{TxnFormat, "11/24/26, 9:21:15 PM UTC session 0x1 cxid 0x2 zxid 0x3 multi create:\x00\x00\x00\uFFFD/a", "printed as U+FFFD"},
		{TxnFormat, "11/24/26, 9:21:15 PM UTC session 0x1 cxid 0x2 zxid 0x3 multi reconfig:\x00", "not read"},
		{TxnFormat, "11/24/26, 9:21:15 PM UTC session 0x1 cxid 0x2 zxid three delete '/a", "bad zxid"},
	} {
		var ev formats.Event
		if _, err := c.f.NewParser().Parse([]byte(c.line), &ev); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %q: %v, want %q", c.f.Name, c.line, err, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range append(AuditFormat.Samples, TxnFormat.Samples...) {
		f.Add([]byte(s))
	}
	f.Add([]byte("11/24/26, 9:21:15 PM UTC session 0x1 cxid 0x2 zxid 0x3 create /a,d,[31,s{'world,'anyone}\n],false,1"))
	f.Fuzz(func(t *testing.T, line []byte) {
		for _, fm := range []*formats.Format{AuditFormat, TxnFormat} {
			var ev formats.Event
			if r, err := fm.NewParser().Parse(line, &ev); err == nil && r == formats.IsEvent && ev.Op == "" {
				t.Fatalf("%s: event without op: %q", fm.Name, line)
			}
		}
	})
}
