package redis

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
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
		{formats.DoubtJoined, "SET k", "may not hold them all"},
		{formats.DoubtBase64, "GET user:1", "base64"},
		{formats.DoubtStructured, "HSET users {}", "JSON object or array"},
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

// TestWrongArity: a call with a number of arguments its command does not
// take (a service's log can hold one; MONITOR never does) is indexed
// under no key and replayed as the server's refusal, for every command.
func TestWrongArity(t *testing.T) {
	for name, c := range table {
		if strings.Contains(name, "|") {
			continue // subcommands: their container is looked up
		}
		n := c.Arity
		if n < 0 {
			n = -n
		}
		for words := 1; words < n; words++ {
			e := &formats.Event{ID: 1, System: "redis", NS: "0", Op: name}
			for i := 1; i < words; i++ {
				e.Args = append(e.Args, []byte("k"))
			}
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s with %d words: %v", name, words, r)
					}
				}()
				if refs := keyRefs(e); len(refs) != 0 && c.Arity != 0 {
					t.Errorf("%s with %d words: refs %v", name, words, refs)
				}
				out := Model{}.Apply(Model{}.Init(), e)
				if !strings.Contains(string(out), "wrong number of arguments") && !strings.HasPrefix(string(out), "-") {
					t.Errorf("%s with %d words: replayed %q", name, words, out)
				}
			}()
		}
	}
}

// TestOutOfTime: past the search deadline its context carries, an
// explanation answers with a closed witness, labelled not exact, saying
// it ran out of time.
func TestOutOfTime(t *testing.T) {
	var evs []*formats.Event
	for i := 1; i <= 40; i++ {
		evs = append(evs, &formats.Event{ID: int64(i), System: "redis", NS: "0", Op: "INCR", Args: [][]byte{[]byte("n")}})
	}
	get := &formats.Event{ID: 41, System: "redis", NS: "0", Op: "GET", Args: [][]byte{[]byte("n")}}
	h := &provenance.MemHistory{Events: append(evs, get), Refs: Spec.Refs}
	ctx := provenance.WithSearchDeadline(context.Background(), time.Now().Add(-time.Second))
	x, err := Spec.Explain(ctx, h, get)
	if err != nil {
		t.Fatal(err)
	}
	if x.Exact || string(x.Output) != "$2\r\n40\r\n" || !strings.Contains(strings.Join(x.Notes, "\n"), provenance.ErrOutOfTime.Error()) {
		t.Errorf("exact %v, output %q, notes %q", x.Exact, x.Output, x.Notes)
	}
	if x, err := Spec.Explain(context.Background(), h, get); err != nil || !x.Exact {
		t.Errorf("with time: exact %v, %v", x != nil && x.Exact, err)
	}
}
