package redis_test

import (
	"math/rand"
	"testing"

	"github.com/wat-project/wat/formats"
)

// TestExecEqualsBruteForce is the referee for EXEC's product (execProduct)
// on traces made of whole transactions: each client runs transactions of
// up to two commands (sometimes DISCARDed, sometimes empty), single
// commands, WATCH, QUIT and RESET, over three keys and a channel, so that
// the queued commands sometimes share a key (the target's sometimes runs
// one command twice), a key an earlier call wrote with a value another
// wrote too, and the MULTI before the target's sometimes has no command;
// the target is an EXEC, sometimes after a WATCH.
func TestExecEqualsBruteForce(t *testing.T) {
	const t0 = 1795535140000000000
	cmds := []string{"SET k v", "GET k", "INCR k", "DEL k", "SADD k v", "SCARD k", "HSET k f v", "HGET k f", "PUBLISH h v", "EXISTS k",
		"DEL k k", "MSET k v k v"}
	fam := family{name: "exec", words: map[string][]string{"k": {"a", "b", "c"}, "v": {"1", "2"}, "h": {"ch"}}}
	referee(t, scaled(400, 100), func(r *rand.Rand) ([]*formats.Event, *formats.Event) {
		var trace []*formats.Event
		add := func(client, tmpl string) {
			e := event(r, fam, len(trace)+1, tmpl, t0)
			e.Client, e.NS = client, "0"
			trace = append(trace, e)
		}
		target := clients[r.Intn(len(clients))]
		for len(trace) < 7+r.Intn(4) {
			c := clients[r.Intn(len(clients))]
			switch r.Intn(7) {
			case 0:
				add(c, cmds[r.Intn(len(cmds))])
			case 1:
				add(c, []string{"QUIT", "RESET", "WATCH k", "SUBSCRIBE h", "UNWATCH"}[r.Intn(5)])
			default:
				add(c, "MULTI")
				for n := r.Intn(3); n > 0; n-- {
					add(c, cmds[r.Intn(len(cmds))])
				}
				add(c, []string{"EXEC", "EXEC", "EXEC", "DISCARD"}[r.Intn(4)])
			}
		}
		// The target's transaction, sometimes after a WATCH and a write
		// by the other client, sometimes with its command twice.
		if r.Intn(3) == 0 {
			add(target, "WATCH k")
			if r.Intn(2) == 0 {
				add(clients[r.Intn(len(clients))], cmds[r.Intn(4)])
			}
		}
		add(target, "MULTI")
		add(target, cmds[r.Intn(len(cmds))])
		switch r.Intn(3) {
		case 0:
			add(target, cmds[r.Intn(len(cmds))])
		case 1:
			again := *trace[len(trace)-1]
			again.ID, again.Line, again.Time = again.ID+1, again.Line+1, again.Time+700e6
			trace = append(trace, &again)
		}
		ex := event(r, fam, len(trace)+1, "EXEC", t0)
		ex.Client, ex.NS = target, "0"
		return trace, ex
	})
}
