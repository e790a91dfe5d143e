package redistest

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/wat-project/wat/formats"
)

// A PairStatus says what a MONITOR line was paired with.
type PairStatus int

const (
	// Replied: the line's command got the reply in Paired.Reply.
	Replied PairStatus = iota
	// NoReply: the command was sent and ran, but its connection closed
	// before the server answered (a client that left while blocked).
	NoReply
	// Suppressed: CLIENT REPLY OFF or SKIP was in force.
	Suppressed
	// FromScript: a "[db lua]" line, a script's call; no client reply.
	FromScript
	// Unpaired: no recorded command matches the line.
	Unpaired
)

func (s PairStatus) String() string {
	return [...]string{"replied", "no reply", "suppressed", "from a script", "unpaired"}[s]
}

// Paired is the recorded command a MONITOR line is the log of.
type Paired struct {
	Status PairStatus
	Conn   int // Recording.ID, -1 when none
	Cmd    int // index in the Recording's Commands, -1 when none
	// Reply is what the client got for the line's command: its reply (the
	// replies concatenated, for (un)subscribe), or, for a command queued
	// in MULTI, its element of EXEC's array (its own reply was +QUEUED).
	Reply  []byte
	Queued bool
	Proto  int // 2 or 3, as the connection spoke when the reply came
	// Sent is when the client sent the command, Got when the reply came
	// (the EXEC's, for a queued command).
	Sent, Got time.Time
}

// An Unlogged is a recorded command with no MONITOR line, and why.
type Unlogged struct {
	Conn, Cmd int
	Args      [][]byte
	Reply     []byte
	// Reason: "rejected" (an error reply: refused before it ran),
	// "rejected when queued", "not run: transaction aborted" (+QUEUED in a
	// transaction whose EXEC ran nothing), "admin" (MONITOR never shows
	// admin commands), "no reply" (the connection closed first), or
	// "unexplained".
	Reason string
}

// A Pairing gives every MONITOR line of a capture the reply its client
// got, and lists what did not pair.
type Pairing struct {
	Events   []Paired   // one per event, in the order given
	Unlogged []Unlogged // recorded commands without a MONITOR line
	Unpaired []int      // indexes of events no recorded command matched
}

// Unexplained returns the unpaired events and the unlogged commands whose
// absence from MONITOR nothing explains, one line each.
func (p *Pairing) Unexplained(evs []*formats.Event) []string {
	var out []string
	for _, i := range p.Unpaired {
		e := evs[i]
		out = append(out, fmt.Sprintf("MONITOR line %d (%s) %s %.80q: no recorded command", i, e.Client, e.Op, e.Args))
	}
	for _, u := range p.Unlogged {
		if u.Reason == "unexplained" {
			out = append(out, fmt.Sprintf("connection %d command %d %.80q (reply %.80q): no MONITOR line", u.Conn, u.Cmd, u.Args, u.Reply))
		}
	}
	return out
}

// adminCommands are the commands (or "COMMAND SUBCOMMAND"s) Redis 7.0
// flags admin: MONITOR never shows them.
var adminCommands = map[string]bool{
	"BGREWRITEAOF": true, "BGSAVE": true, "DEBUG": true, "FAILOVER": true, "MONITOR": true, "PFDEBUG": true,
	"PFSELFTEST": true, "PSYNC": true, "REPLCONF": true, "REPLICAOF": true, "SAVE": true, "SHUTDOWN": true,
	"SLAVEOF": true, "SYNC": true,
	"ACL DELUSER": true, "ACL DRYRUN": true, "ACL GETUSER": true, "ACL LIST": true, "ACL LOAD": true,
	"ACL LOG": true, "ACL SAVE": true, "ACL SETUSER": true, "ACL USERS": true,
	"CLIENT KILL": true, "CLIENT LIST": true, "CLIENT NO-EVICT": true, "CLIENT PAUSE": true,
	"CLIENT UNBLOCK": true, "CLIENT UNPAUSE": true,
	"CONFIG GET": true, "CONFIG RESETSTAT": true, "CONFIG REWRITE": true, "CONFIG SET": true,
	"LATENCY DOCTOR": true, "LATENCY GRAPH": true, "LATENCY HISTOGRAM": true, "LATENCY HISTORY": true,
	"LATENCY LATEST": true, "LATENCY RESET": true,
	"MODULE LIST": true, "MODULE LOAD": true, "MODULE LOADEX": true, "MODULE UNLOAD": true,
	"SLOWLOG GET": true, "SLOWLOG LEN": true, "SLOWLOG RESET": true,
	"CLUSTER ADDSLOTS": true, "CLUSTER ADDSLOTSRANGE": true, "CLUSTER BUMPEPOCH": true,
	"CLUSTER COUNT-FAILURE-REPORTS": true, "CLUSTER DELSLOTS": true, "CLUSTER DELSLOTSRANGE": true,
	"CLUSTER FAILOVER": true, "CLUSTER FLUSHSLOTS": true, "CLUSTER FORGET": true, "CLUSTER MEET": true,
	"CLUSTER REPLICAS": true, "CLUSTER REPLICATE": true, "CLUSTER RESET": true, "CLUSTER SAVECONFIG": true,
	"CLUSTER SET-CONFIG-EPOCH": true, "CLUSTER SETSLOT": true, "CLUSTER SLAVES": true,
}

// IsAdmin reports whether Redis 7.0 flags a command admin (so MONITOR
// does not show it).
func IsAdmin(args [][]byte) bool {
	if len(args) == 0 {
		return false
	}
	name := strings.ToUpper(string(args[0]))
	if adminCommands[name] {
		return true
	}
	return len(args) > 1 && adminCommands[name+" "+strings.ToUpper(string(args[1]))]
}

// redacted is what MONITOR prints for AUTH's and HELLO's secrets.
const redacted = "(redacted)"

// pairSlack allows for the rounding of MONITOR's microsecond clock.
const pairSlack = time.Millisecond

// A unit is one recorded command as the pairing sees it.
type unit struct {
	conn, cmd int
	x         *Exchange
	reply     []byte
	queued    bool
	notRun    string // why it cannot have a MONITOR line, when known
	lo, hi    int64  // the window (Unix ns) its MONITOR line must fall in
	proto     int
	sent, got time.Time
}

// units lays out one recording's commands: a command queued in MULTI
// gets its element of EXEC's array and EXEC's time window.
func units(r *Recording) []unit {
	out := make([]unit, len(r.Commands))
	closed := int64(math.MaxInt64)
	if !r.Closed.IsZero() {
		closed = r.Closed.UnixNano()
	}
	inMulti := false
	var queued []int
	for i := range r.Commands {
		x := &r.Commands[i]
		u := unit{conn: r.ID, cmd: i, x: x, reply: x.Reply(), proto: x.Proto, sent: x.Sent, got: x.Got,
			lo: x.Sent.UnixNano() - int64(pairSlack), hi: closed}
		if x.Answered() {
			u.hi = x.Got.UnixNano() + int64(pairSlack)
		}
		isErr := len(u.reply) > 0 && (u.reply[0] == '-' || u.reply[0] == '!')
		name := x.Name()
		switch {
		case !inMulti && name == "MULTI" && string(u.reply) == "+OK\r\n":
			inMulti, queued = true, nil
		case inMulti && (name == "EXEC" || name == "DISCARD"):
			v, n, need, err := parseRESP(u.reply, 0)
			ok := name == "EXEC" && err == nil && need == 0 && n == len(u.reply) && v.typ == '*' && !v.null && len(v.elems) == len(queued)
			for j, q := range queued {
				if ok {
					out[q].reply = append([]byte{}, v.elems[j].raw...)
					out[q].lo, out[q].hi, out[q].got, out[q].proto = u.lo, u.hi, u.got, u.proto
				} else {
					out[q].notRun = "not run: transaction aborted"
				}
			}
			if !x.Answered() && !x.Suppressed {
				// Closed before EXEC answered: the queued commands may
				// or may not have run.
				for _, q := range queued {
					out[q].notRun = ""
					out[q].lo, out[q].hi = u.lo, u.hi
				}
			}
			inMulti, queued = false, nil
		case inMulti && name == "RESET":
			for _, q := range queued {
				out[q].notRun = "not run: transaction aborted"
			}
			inMulti, queued = false, nil
		case inMulti && string(u.reply) == "+QUEUED\r\n":
			u.queued = true
			queued = append(queued, i)
		case inMulti && isErr:
			u.notRun = "rejected when queued"
		}
		if u.notRun == "" && IsAdmin(x.Args) {
			u.notRun = "admin"
		}
		out[i] = u
	}
	for _, q := range queued { // MULTI never ended
		if out[q].notRun == "" {
			out[q].notRun = "not run: transaction aborted"
		}
	}
	return out
}

// matches reports whether a recorded command is the one a MONITOR line
// shows.
func (u *unit) matches(e *formats.Event) bool {
	args := u.x.Args
	if len(args) != len(e.Args)+1 || !strings.EqualFold(string(args[0]), e.Op) {
		return false
	}
	for i, a := range e.Args {
		if !bytes.Equal(a, args[i+1]) && string(a) != redacted {
			return false
		}
	}
	return e.Time == 0 || (u.lo <= e.Time && e.Time <= u.hi)
}

// reason says why a skipped command has no MONITOR line.
func (u *unit) reason() string {
	switch {
	case u.notRun != "":
		return u.notRun
	case len(u.reply) > 0 && (u.reply[0] == '-' || u.reply[0] == '!') && !u.queued:
		return "rejected"
	case !u.x.Answered() && !u.x.Suppressed:
		return "no reply"
	}
	return "unexplained"
}

// Pair gives each MONITOR event (as formats/redismonitor parses a capture,
// in order) the reply its client got, from the proxy's recordings of the
// same run.
//
// Events and commands are matched per client address in order, by name
// and arguments (MONITOR's "(redacted)" matches any argument) and by time
// (the line's timestamp falls between the command's sending and its
// reply, or EXEC's for a queued command). Recorded commands that MONITOR
// does not show are skipped: those Redis refused before running them
// (an error reply), those queued in a transaction that did not run,
// admin commands; each is listed in Unlogged with its reason, and any
// other skipped command as "unexplained". An event with no matching
// command is listed in Unpaired. "[db lua]" lines are FromScript.
func Pair(evs []*formats.Event, recs []Recording) *Pairing {
	// Per client address, the commands of its connections in accept order
	// (a port may be reused by a later connection).
	byClient := map[string][]unit{}
	sorted := append([]Recording(nil), recs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Opened.Before(sorted[j].Opened) })
	for i := range sorted {
		r := &sorted[i]
		byClient[r.Client] = append(byClient[r.Client], units(r)...)
	}
	p := &Pairing{Events: make([]Paired, len(evs))}
	for i, e := range evs {
		pe := &p.Events[i]
		pe.Conn, pe.Cmd = -1, -1
		if e.Client == "lua" {
			pe.Status = FromScript
			continue
		}
		q := byClient[e.Client]
		found := -1
		for j := range q {
			if q[j].matches(e) {
				found = j
				break
			}
			if e.Time != 0 && q[j].lo > e.Time {
				break // sent after the line was logged, as all after it
			}
		}
		if found < 0 {
			pe.Status = Unpaired
			p.Unpaired = append(p.Unpaired, i)
			continue
		}
		for _, u := range q[:found] {
			p.Unlogged = append(p.Unlogged, Unlogged{Conn: u.conn, Cmd: u.cmd, Args: u.x.Args, Reply: u.reply, Reason: u.reason()})
		}
		u := q[found]
		byClient[e.Client] = q[found+1:]
		pe.Conn, pe.Cmd, pe.Queued, pe.Proto, pe.Sent, pe.Got = u.conn, u.cmd, u.queued, u.proto, u.sent, u.got
		switch {
		case u.x.Suppressed:
			pe.Status = Suppressed
		case u.queued && u.got.IsZero() || !u.queued && !u.x.Answered():
			pe.Status = NoReply
		default:
			pe.Status = Replied
			pe.Reply = u.reply
		}
	}
	for _, q := range byClient {
		for _, u := range q {
			p.Unlogged = append(p.Unlogged, Unlogged{Conn: u.conn, Cmd: u.cmd, Args: u.x.Args, Reply: u.reply, Reason: u.reason()})
		}
	}
	sort.SliceStable(p.Unlogged, func(i, j int) bool {
		a, b := p.Unlogged[i], p.Unlogged[j]
		return a.Conn < b.Conn || a.Conn == b.Conn && a.Cmd < b.Cmd
	})
	return p
}
