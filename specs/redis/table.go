package redis

import (
	"fmt"
	"sort"
	"strings"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// A Command is one entry of the command table: what Redis itself says of
// the command (COMMAND INFO: arity, flags, key specifications; COMMAND
// DOCS: its group), and how wat's model runs it. The table holds every
// command redis-server 7.0 knows (testdata/command-info.json, checked by
// TestTableMatchesCommandInfo); a command the model does not run says why.
//
// Adding a command is adding its Run (and, where its effect on a key is
// not what its key specification says, Refs or Resets) plus its tests.
type Command struct {
	// Name is the command in upper case; a subcommand is "CONTAINER|SUB"
	// ("CLIENT|SETNAME").
	Name string
	// Group is COMMAND DOCS's group: "string", "sorted-set", ...
	Group string
	// Arity counts the words of a call, the name (and subcommand)
	// included: n means exactly n, -n at least n.
	Arity int
	// Flags are COMMAND INFO's flags, space separated ("write denyoom").
	Flags string
	// Keys are Redis's key specifications, in COMMAND INFO's order.
	Keys []KeySpec
	// Run executes the command on the model and returns its reply (RESP2
	// bytes). Nil when the model does not run the command.
	Run func(*run) string
	// Why says, for a command the model does not run, what it would
	// need; a command that is not modelled taints every key it names.
	Why string
	// Resets reports whether a call with arguments args (the name not
	// among them) leaves the key at argument position pos (the name is 0)
	// in a state that does not depend on anything before it (SET without
	// options, DEL): the engine cuts that key's history there.
	Resets func(args [][]byte, pos int) bool
	// Refs, when set, replaces the refs the key specifications give (a
	// command that reaches into another database, or all of them).
	Refs func(e *formats.Event) []formats.Ref
	// Whole marks a reply that depends on every key of the database
	// (DBSIZE, KEYS): its history is the database's.
	Whole bool
	// Unknown, for a command that changes no data, says what its reply
	// depends on that no log holds ("the server's clock"): its answers
	// name it and are never exact.
	Unknown string
	// Random, for a modelled command, says what a call's reply depends on
	// that the log does not hold, or "" when this call depends on
	// nothing of the kind.
	Random func(argv [][]byte) string
	// Unsure, for a modelled command, says what the replies the model
	// gives as unknown (only some calls', decided by the data) depend on.
	Unsure string
	// Unmodelled, for a modelled command, says why a call of it is not
	// modelled after all (SORT with a BY pattern), or "" for a call the
	// model runs; Why then says it for `wat specs`. Such a call's output
	// is rNotRun, and Explain refuses it as it refuses an unmodelled
	// command.
	Unmodelled func(argv [][]byte) string
	// Sub declares the parts of its keys the command touches (fields,
	// members, entry ids, bits); zero for a command that touches its keys
	// whole.
	Sub SubKeys
}

// whyAdmin is why the table does not model an admin command: MONITOR
// never shows one ("too dangerous to be shown").
const whyAdmin = "an admin command: MONITOR never shows it"

// whyCluster is why the table does not model the cluster commands.
const whyCluster = "cluster commands are not modelled: wat models one standalone server"

// modelled reports whether the model runs the command (or knows that
// its reply is unknowable and that it changes nothing).
func (c *Command) modelled() bool { return c.Run != nil || c.Unknown != "" }

// hasFlag reports whether the command has the COMMAND INFO flag f.
func (c *Command) hasFlag(f string) bool { return hasWord(c.Flags, f) }

// readOnly reports whether the command changes no data.
func (c *Command) readOnly() bool { return !c.hasFlag("write") }

// container reports whether c only holds subcommands (CLIENT, CONFIG).
func (c *Command) container() bool { return len(subcommandsOf[c.Name]) > 0 }

// table is every command, by name (subcommands as "CONTAINER|SUB").
var table = map[string]*Command{}

// subcommandsOf lists the subcommands of each container command.
var subcommandsOf = map[string][]string{}

// groups lists the command groups in the order `wat specs` prints them.
var groups = [][]*Command{
	stringCommands, bitmapCommands, hyperloglogCommands, genericCommands, hashCommands, listCommands,
	setCommands, sortedSetCommands, geoCommands, streamCommands, scriptingCommands, functionCommands, pubsubCommands,
	transactionCommands, connectionCommands, serverCommands, clusterCommands,
}

func init() {
	for _, g := range groups {
		for _, c := range g {
			if table[c.Name] != nil {
				panic("redis: command " + c.Name + " is in the table twice")
			}
			table[c.Name] = c
			if parent, _, ok := strings.Cut(c.Name, "|"); ok {
				subcommandsOf[parent] = append(subcommandsOf[parent], c.Name)
				if containers[parent] == nil {
					containers[parent] = &Command{Name: parent, Group: c.Group, Arity: -2,
						Why: "a container: its subcommands are in the table"}
				}
			}
		}
	}
}

// Commands returns the command table, sorted by name.
func Commands() []*Command {
	out := make([]*Command, 0, len(table))
	for _, c := range table {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// lookup finds the table entry of a call: the command named op, or its
// subcommand named by the first argument. It returns nil for a command
// Redis does not know (such a call never reaches MONITOR: Redis rejects
// it). For a container command with an unknown subcommand it returns the
// container.
func lookup(op string, args [][]byte) *Command {
	if c := table[op]; c != nil {
		return c
	}
	subs := subcommandsOf[op]
	if len(subs) == 0 {
		return nil
	}
	if len(args) > 0 {
		if sub := table[op+"|"+optUpper(args[0])]; sub != nil {
			return sub
		}
	}
	return containers[op]
}

// containers holds an entry for each command that only holds subcommands
// (CLIENT, CONFIG): a call that names no known subcommand finds it.
var containers = map[string]*Command{}

// argv returns a call's words as Redis numbers them: the name first.
func argv(e *formats.Event) [][]byte {
	out := make([][]byte, 0, len(e.Args)+1)
	out = append(out, []byte(e.Op))
	return append(out, e.Args...)
}

// arityOK reports whether a call of n words (the name counted) fits
// the command's arity.
func (c *Command) arityOK(n int) bool {
	if c.Arity >= 0 {
		return n == c.Arity
	}
	return n >= -c.Arity
}

// describeKeys says in words where a command's keys are, for `wat specs`.
func (c *Command) describeKeys() string {
	if len(c.Keys) == 0 {
		return "no keys"
	}
	var parts []string
	for _, k := range c.Keys {
		if k.has("not_key") {
			continue
		}
		var s string
		switch {
		case k.Begin.Unknown || k.Find.Unknown:
			s = "keys found by the command itself"
		default:
			from := fmt.Sprintf("argument %d", k.Begin.Index)
			if k.Begin.Keyword != "" {
				from = "after " + k.Begin.Keyword
			}
			switch {
			case k.Find.KeyNum:
				s = fmt.Sprintf("a counted list of keys %s", from)
			case k.Find.LastKey == 0:
				s = "key at " + from
			default:
				s = "keys from " + from
				if k.Find.KeyStep > 1 {
					s += fmt.Sprintf(", every %d", k.Find.KeyStep)
				}
			}
		}
		mode := "written"
		if k.readOnly() {
			mode = "read"
		}
		parts = append(parts, s+" ("+mode+")")
	}
	return strings.Join(parts, "; ")
}

// Table implements provenance.Documented: the command table, one entry
// per command Redis 7.0 knows.
func (spec) Table() []provenance.OpDoc {
	var out []provenance.OpDoc
	for _, c := range Commands() {
		d := provenance.OpDoc{Name: strings.ReplaceAll(c.Name, "|", " "), Group: c.Group, Keys: c.describeKeys(), Parts: c.Sub.Doc}
		switch {
		case c.Unknown != "":
			d.Status, d.Note = "unknown", "its reply depends on "+c.Unknown
		case c.Run != nil:
			d.Status = "modelled"
			switch {
			case c.Unmodelled != nil:
				d.Note = "not modelled when " + c.Why
			case c.Random != nil:
				d.Note = "some calls' replies depend on what no log holds"
			}
		default:
			d.Status, d.Note = "not modelled", c.Why
		}
		out = append(out, d)
	}
	return out
}

var _ provenance.Documented = spec{}
