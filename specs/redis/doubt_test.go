package redis

import (
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
)

// TestArgsDoubt: a call read from arguments joined by spaces is in doubt
// unless it has the fewest words its command takes and no argument may
// be hex, hidden or cut; one that may hold base64 always is.
func TestArgsDoubt(t *testing.T) {
	for _, c := range []struct {
		doubt, call, want string // want: a part of the reason; "" none
	}{
		{formats.DoubtJoined, "GET user:1", ""},
		{formats.DoubtJoined, "EXPIRE rl:1 60", ""},
		{formats.DoubtJoined, "LPUSH jobs reindex:1", ""},
		{formats.DoubtJoined, "HINCRBY reindexed 1 1", ""},
		{formats.DoubtJoined, "GET a b", "argument holding a space"},                // GET "a b"
		{formats.DoubtJoined, "SET user:1 alice ex 60", "argument holding a space"}, // SET user:1 "alice ex 60"
		{formats.DoubtJoined, "LPUSH jobs a b", "argument holding a space"},
		{formats.DoubtJoined, "SET k 3600", "may be hex"}, // []byte{'6', 0}
		{formats.DoubtJoined, "SET k ?", "hid or cut"},
		{formats.DoubtJoined, "SET k abc...", "hid or cut"},
		{formats.DoubtJoined, "NOSUCHCMD k", "argument holding a space"},
		{formats.DoubtBase64, "GET user:1", "base64"},
		{"", "SET user:1 alice ex 60", ""},
	} {
		w := strings.Fields(c.call)
		e := &formats.Event{Op: w[0], Doubt: c.doubt}
		for _, a := range w[1:] {
			e.Args = append(e.Args, []byte(a))
		}
		got := argsDoubt(e)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s %s: %q, want %q", c.doubt, c.call, got, c.want)
		}
	}
}
