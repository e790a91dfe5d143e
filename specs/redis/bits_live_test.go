package redis_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/specs/redis"
	"github.com/wat-project/wat/specs/redis/redistest"
)

// bitsGen generates random bitmap and HyperLogLog commands over tiny
// domains (three bitmap keys, three HLL keys, a string and a list for
// wrong types), with bad arguments, edge values, hand-made HLL strings
// (dense, sparse, corrupt) and, unless light, batches of elements large
// enough to turn an HLL dense.
type bitsGen struct {
	r     *rand.Rand
	light bool // no big batches or big values (for brute-force sessions)
	batch int  // numbers the big batches, so that they add new elements
	out   []redistest.Cmd
}

var (
	bitKeys = []string{"b0", "b1", "b2"}
	hllKeys = []string{"h0", "h1", "h2"}
	allBits = []string{"b0", "b1", "b2", "h0", "h1", "h2", "s0", "l0", "none"}
)

func (g *bitsGen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *bitsGen) key(dom []string) string {
	rate := 12
	if dom[0] == bitKeys[0] {
		// Bitmap writes would mostly wreck the HLLs they hit.
		rate = 40
	}
	if g.r.IntN(rate) == 0 {
		return g.pick(allBits)
	}
	return g.pick(dom)
}

func (g *bitsGen) emit(conn int, args ...string) {
	g.out = append(g.out, redistest.Cmd{Conn: conn, Args: redistest.Args(args...)})
}

func (g *bitsGen) bytes(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.r.IntN(256))
	}
	return string(b)
}

func (g *bitsGen) strValue() string {
	switch g.r.IntN(4) {
	case 0:
		return g.bytes(g.r.IntN(48))
	case 1:
		if !g.light {
			return g.bytes(32 + g.r.IntN(80))
		}
	}
	return g.pick([]string{"", "a", "\xff\x00", "\x00\xff\x0f", "123", "-1", "foobar", "\xaa\x55\xaa\x55\xaa\x55\xaa\x55", "\xff\xff\xff"})
}

func (g *bitsGen) offset() string {
	if g.r.IntN(12) == 0 {
		return g.pick([]string{"-1", "x", "4294967296", "1.5", "", " 1", "#1", "01", "99999999999999999999"})
	}
	if g.r.IntN(8) == 0 && !g.light {
		return g.pick([]string{"31", "32", "63", "64", "100", "255", "256", "1000", "40000"})
	}
	return strconv.Itoa(g.r.IntN(24))
}

func (g *bitsGen) index() string {
	if g.r.IntN(15) == 0 {
		return g.pick([]string{"x", "9223372036854775807", "-9223372036854775808", "1.0", ""})
	}
	return g.pick([]string{"-100", "-20", "-9", "-8", "-3", "-2", "-1", "0", "1", "2", "3", "5", "7", "8", "9", "15", "16", "23", "100"})
}

func (g *bitsGen) unit(args []string) []string {
	switch g.r.IntN(8) {
	case 0, 1, 2:
		return append(args, g.pick([]string{"BIT", "bit", "Bit"}))
	case 3, 4:
		return append(args, g.pick([]string{"BYTE", "byte"}))
	case 5:
		return append(args, g.pick([]string{"BITS", "x", "bit\x00x"}))
	}
	return args
}

// span appends a start and an end index and maybe a unit (BITCOUNT's and
// BITPOS's range), and one time in 20 an argument too many.
func (g *bitsGen) span(args []string) []string {
	args = g.unit(append(args, g.index(), g.index()))
	if g.r.IntN(20) == 0 {
		args = append(args, "extra")
	}
	return args
}

func (g *bitsGen) bitfieldType() string {
	if g.r.IntN(15) == 0 {
		return g.pick([]string{"u64", "i65", "i0", "x8", "u", "i08", "U8", "", "u8\x00z", "i-1"})
	}
	return g.pick([]string{"u1", "u2", "u3", "u4", "u7", "u8", "u16", "u31", "u32", "u63", "i1", "i2", "i3", "i5", "i8", "i16", "i32", "i63", "i64"})
}

func (g *bitsGen) bitfieldOffset() string {
	if g.r.IntN(15) == 0 {
		return g.pick([]string{"-1", "#-1", "x", "#", "##1", "4294967296", "#2305843009213693953"})
	}
	if g.r.IntN(3) == 0 {
		return "#" + strconv.Itoa(g.r.IntN(5))
	}
	return g.pick([]string{"0", "1", "3", "5", "7", "8", "13", "16", "30", "64"})
}

func (g *bitsGen) bitfieldValue() string {
	if g.r.IntN(20) == 0 {
		return g.pick([]string{"x", "1.5", ""})
	}
	return g.pick([]string{"0", "1", "-1", "2", "3", "7", "8", "15", "16", "-8", "100", "127", "128", "-128", "255", "256", "-129",
		"9223372036854775807", "-9223372036854775808", "4294967295", "-4294967296", "4611686018427387904"})
}

func (g *bitsGen) bitfield(conn int) {
	args := []string{g.pick([]string{"BITFIELD", "BITFIELD", "BITFIELD", "BITFIELD_RO"}), g.key(bitKeys)}
	ro := args[0] == "BITFIELD_RO"
	for n := g.r.IntN(4); n >= 0; n-- {
		switch x := g.r.IntN(20); {
		case x < 3:
			args = append(args, g.pick([]string{"OVERFLOW", "overflow"}), g.pick([]string{"WRAP", "SAT", "FAIL", "fail", "sat", "wrapx"}))
		case x < 9 || (ro && x < 18):
			args = append(args, g.pick([]string{"GET", "get"}), g.bitfieldType(), g.bitfieldOffset())
		case x < 13:
			args = append(args, "SET", g.bitfieldType(), g.bitfieldOffset(), g.bitfieldValue())
		case x < 19:
			args = append(args, g.pick([]string{"INCRBY", "incrby"}), g.bitfieldType(), g.bitfieldOffset(), g.bitfieldValue())
		default:
			args = append(args, g.pick([]string{"GET", "SET", "INCRBY", "OVERFLOW", "NOPE"}))
		}
	}
	g.emit(conn, args...)
}

// element returns an HLL element from a small domain.
func (g *bitsGen) element() string {
	if g.r.IntN(20) == 0 {
		return g.pick([]string{"", "\x00", "a longer element of more than eight bytes", "\xff\xfe\xfd"})
	}
	return "e" + strconv.Itoa(g.r.IntN(60))
}

// denseHLL makes a dense HLL string: a few registers set (any 6-bit value,
// past 51 included), the cache valid or not.
func (g *bitsGen) denseHLL() string {
	b := make([]byte, 16+12288)
	copy(b, "HYLL")
	if g.r.IntN(2) == 0 {
		b[15] = 0x80
	} else {
		b[8] = byte(g.r.IntN(256))
	}
	for n := g.r.IntN(60); n > 0; n-- {
		b[16+g.r.IntN(12288)] = byte(g.r.IntN(256))
	}
	return string(b)
}

// sparseHLL makes a sparse HLL of random (not always canonical) opcodes;
// sometimes corrupt (coverage short or long).
func (g *bitsGen) sparseHLL() string {
	b := []byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80")
	left := 16384
	if g.r.IntN(6) == 0 {
		left += g.pick2(-1, 3)
	}
	for left > 0 {
		switch x := g.r.IntN(10); {
		case x < 4:
			n := 1 + g.r.IntN(4)
			if n > left {
				n = left
			}
			b = append(b, byte(0x80|g.r.IntN(32)<<2|(n-1)))
			left -= n
		case x < 7:
			n := 1 + g.r.IntN(64)
			if n > left {
				n = left
			}
			b = append(b, byte(n-1))
			left -= n
		default:
			n := 1 + g.r.IntN(3000)
			if n > left {
				n = left
			}
			b = append(b, byte(0x40|(n-1)>>8), byte(n-1))
			left -= n
		}
	}
	if g.r.IntN(8) == 0 {
		b = append(b, byte(0x80|g.r.IntN(128)))
	}
	return string(b)
}

func (g *bitsGen) pick2(a, b int) int {
	if g.r.IntN(2) == 0 {
		return a
	}
	return b
}

func (g *bitsGen) hll(conn int) {
	hk := func() string { return g.key(hllKeys) }
	switch x := g.r.IntN(40); {
	case x < 10:
		args := []string{"PFADD", hk()}
		for n := g.r.IntN(4); n > 0; n-- {
			args = append(args, g.element())
		}
		g.emit(conn, args...)
	case x < 12 && !g.light:
		g.batch++
		args := []string{"PFADD", hk()}
		for n := 30 + g.r.IntN(700); n > 0; n-- {
			args = append(args, "b"+strconv.Itoa(g.batch)+"."+strconv.Itoa(n))
		}
		g.emit(conn, args...)
	case x < 18:
		args := []string{"PFCOUNT", hk()}
		for n := g.r.IntN(3); n > 0 && g.r.IntN(2) == 0; n-- {
			args = append(args, hk())
		}
		g.emit(conn, args...)
	case x < 22:
		args := []string{"PFMERGE", hk()}
		for n := g.r.IntN(3); n > 0; n-- {
			args = append(args, hk())
		}
		g.emit(conn, args...)
	case x < 26:
		g.emit(conn, "GET", hk())
	case x < 28:
		g.emit(conn, "DEL", g.pick(hllKeys))
	case x < 29:
		g.emit(conn, "STRLEN", hk())
	case x < 30 && !g.light:
		g.emit(conn, "SET", g.pick(hllKeys), g.denseHLL())
	case x < 31:
		g.emit(conn, "SET", g.pick(hllKeys), g.sparseHLL())
	case x < 32 && g.r.IntN(2) == 0:
		g.emit(conn, "SET", g.pick(hllKeys), g.pick([]string{"HYLL", "junk", "HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff",
			"HYLL\x01\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00", "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff"}))
	case x < 34:
		// Hand edits of an HLL's bytes: the cache made valid, the
		// encoding changed, the opcodes corrupted.
		k := g.pick(hllKeys)
		switch g.r.IntN(6) {
		case 0:
			g.emit(conn, "SETRANGE", k, "15", "\x00")
		case 1:
			g.emit(conn, "SETRANGE", k, "4", g.pick([]string{"\x00", "\x01", "\x02"}))
		case 2:
			g.emit(conn, "SETRANGE", k, "16", g.pick([]string{"\x00", "\x80", "\x41", "\x3f"}))
		case 3:
			g.emit(conn, "APPEND", k, g.pick([]string{"\x80", "\x00", "\x84\x84"}))
		case 4:
			g.emit(conn, "SETRANGE", k, "8", "\x07\x00\x00\x00\x00\x00\x00\x00")
		default:
			g.emit(conn, "SETBIT", k, strconv.Itoa(128+g.r.IntN(40)), strconv.Itoa(g.r.IntN(2)))
		}
	case x < 35:
		g.emit(conn, "GETRANGE", hk(), "0", "40")
	default:
		// PFADD of every element of a key's domain, in one go: collisions
		// of registers and merges of VAL runs.
		args := []string{"PFADD", hk()}
		for i := g.r.IntN(60); i < 60; i += 1 + g.r.IntN(3) {
			args = append(args, "e"+strconv.Itoa(i))
		}
		g.emit(conn, args...)
	}
}

func (g *bitsGen) bitmap(conn int) {
	bk := func() string { return g.key(bitKeys) }
	switch x := g.r.IntN(40); {
	case x < 7:
		g.emit(conn, "SETBIT", bk(), g.offset(), g.pick([]string{"0", "1", "1", "0", "1", "2", "-1", "a"}))
	case x < 10:
		g.emit(conn, "GETBIT", bk(), g.offset())
	case x < 14:
		args := []string{"BITCOUNT", bk()}
		switch g.r.IntN(6) {
		case 0:
		case 1:
			args = append(args, g.index())
		default:
			args = g.span(args)
		}
		g.emit(conn, args...)
	case x < 19:
		args := []string{"BITPOS", bk(), g.pick([]string{"0", "1", "0", "1", "2", "x", "-1"})}
		switch g.r.IntN(5) {
		case 0:
		case 1:
			args = append(args, g.index())
		case 2:
			args = append(args, g.index(), g.index())
		default:
			args = g.span(args)
		}
		g.emit(conn, args...)
	case x < 23:
		op := g.pick([]string{"AND", "OR", "XOR", "NOT", "and", "Or", "nand", "NOT"})
		args := []string{"BITOP", op, bk()}
		n := 1 + g.r.IntN(3)
		if op == "NOT" && g.r.IntN(5) != 0 {
			n = 1
		}
		for ; n > 0; n-- {
			args = append(args, bk())
		}
		g.emit(conn, args...)
	case x < 30:
		g.bitfield(conn)
	case x < 33:
		g.emit(conn, "SET", bk(), g.strValue())
	case x < 36:
		g.emit(conn, "GET", bk())
	case x < 37:
		g.emit(conn, "DEL", bk())
	case x < 38:
		g.emit(conn, "APPEND", bk(), g.strValue())
	default:
		g.emit(conn, "SETRANGE", bk(), strconv.Itoa(g.r.IntN(20)), g.strValue())
	}
}

// watched emits WATCH, a write from another client, and a transaction,
// so that EXEC tells whether the write signalled the key.
func (g *bitsGen) watched() {
	k := g.pick(append(append([]string{}, bitKeys...), hllKeys...))
	g.emit(1, "WATCH", k)
	switch g.r.IntN(6) {
	case 0:
		g.emit(0, "BITFIELD", k, "OVERFLOW", "FAIL", "INCRBY", "u2", g.pick([]string{"0", "100"}), "9")
	case 1:
		g.emit(0, "SETBIT", k, g.offset(), g.pick([]string{"0", "1"}))
	case 2:
		g.emit(0, "PFCOUNT", k)
	case 3:
		g.emit(0, "PFADD", k, g.element())
	case 4:
		g.emit(0, "BITFIELD", k, "SET", "u8", "0", g.bitfieldValue())
	default:
		g.bitmap(0)
	}
	g.emit(1, "MULTI")
	g.emit(1, "GET", k)
	g.emit(1, "EXEC")
}

func bitsWorkload(seed uint64, n int, light bool) []redistest.Cmd {
	g := &bitsGen{r: rand.New(rand.NewPCG(seed, 0x62697473)), light: light}
	g.emit(0, "LPUSH", "l0", "x")
	g.emit(0, "SET", "s0", "\x0f\xf0")
	for len(g.out) < n {
		conn := g.r.IntN(2)
		switch x := g.r.IntN(20); {
		case x < 9:
			g.bitmap(conn)
		case x < 19:
			g.hll(conn)
		default:
			if !light {
				g.watched()
			}
		}
	}
	return g.out
}

// bitsReads are the commands that change nothing (the brute-force
// referee leaves them out of the trace).
var bitsReads = map[string]bool{"GET": true, "GETBIT": true, "BITCOUNT": true, "BITPOS": true, "BITFIELD_RO": true,
	"STRLEN": true, "GETRANGE": true}

// bitsPair matches each event with the server's reply, as pairReplies
// does, but also gives EXEC its own reply and copes with a transaction
// that a watched key aborted (its queued commands never reach MONITOR).
func bitsPair(t *testing.T, evs []*formats.Event, replies []redistest.Reply) map[*formats.Event][]byte {
	t.Helper()
	return pairCapture(t, evs, replies, true, func(e *formats.Event, q []redistest.Reply, inMulti bool) []redistest.Reply {
		if e.Op == "EXEC" && inMulti {
			for len(q) > 0 && !strings.EqualFold(string(q[0].Args[0]), "EXEC") {
				q = q[1:]
			}
		}
		return q
	})
}

// A bitsTally counts a live test's verdicts per command, and what the
// real replies show was covered: errors per command and code, HLL strings
// read back (sparse, dense), aborted transactions.
type bitsTally struct {
	table         liveVerdicts
	seen          map[string]int
	compared, bad int
}

func (ta *bitsTally) cover(e *formats.Event, r []byte) {
	body := ""
	if i := strings.IndexByte(string(r), '\n'); i >= 0 {
		body = string(r[i+1:])
	}
	switch {
	case len(r) > 0 && r[0] == '-':
		code, _, _ := strings.Cut(string(r[1:]), " ")
		ta.seen[e.Op+" "+code]++
	case e.Op == "GET" && strings.HasPrefix(body, "HYLL\x00") && len(body) == 12304+2:
		ta.seen["GET dense HLL"]++
	case e.Op == "GET" && strings.HasPrefix(body, "HYLL\x01"):
		ta.seen["GET sparse HLL"]++
	case e.Op == "EXEC" && string(r) == "*-1\r\n":
		ta.seen["EXEC aborted"]++
	}
}

// replay runs cmds on the server from an empty database, ingests the
// capture, replays it with the model and compares every reply.
func (ta *bitsTally) replay(t *testing.T, srv *redistest.Server, admin *redistest.Conn, label string, cmds []redistest.Cmd) {
	t.Helper()
	if _, err := admin.DoStrings("FLUSHALL"); err != nil {
		t.Fatal(err)
	}
	capture, replies := redistest.Run(t, srv, cmds)
	_, evs := ingestCapture(t, "sqlite", capture)
	real := bitsPair(t, evs, replies)
	m := redis.Spec.Model()
	st := m.Init()
	for _, e := range evs {
		out := m.Apply(st, e)
		r, ok := real[e]
		if !ok || e.Op == "MULTI" {
			continue
		}
		ta.compared++
		ta.cover(e, r)
		v := redis.CompareReply(e, out, r)
		ta.table.add(e.Op, v)
		if v == redis.Differs || v == redis.NotModelled {
			ta.bad++
			if ta.bad <= 10 {
				t.Errorf("%s %s: %s %s: model replies %s, redis replied %s (%s)", label, e.Where(), e.Op, bitsShort(fmt.Sprintf("%q", e.Args)),
					bitsShort(fmt.Sprintf("%q", out)), bitsShort(fmt.Sprintf("%q", r)), v)
			}
		}
	}
}

// bitsEdges are hand-picked calls at the edges of bitops.c and
// hyperloglog.c, run in order on one connection (and a second one for
// WATCH).
var bitsEdges = [][]string{
	// BITFIELD's overflow checks with extreme values, and SET of a value
	// below the minimum that the C code classifies as an overflow.
	{"BITFIELD", "e", "OVERFLOW", "SAT", "SET", "i8", "0", "-9223372036854775808", "GET", "i8", "0"},
	{"BITFIELD", "e", "OVERFLOW", "WRAP", "SET", "i8", "0", "-9223372036854775808", "GET", "i8", "0"},
	{"BITFIELD", "e", "OVERFLOW", "SAT", "SET", "i8", "0", "-129", "SET", "i8", "8", "9223372036854775807"},
	{"BITFIELD", "e", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0", "1"},
	{"BITFIELD", "e", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-9223372036854775808", "INCRBY", "i64", "0", "-1"},
	{"BITFIELD", "e", "OVERFLOW", "WRAP", "INCRBY", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0", "9223372036854775807"},
	{"BITFIELD", "e", "OVERFLOW", "FAIL", "INCRBY", "u63", "1", "-1", "INCRBY", "u63", "1", "9223372036854775807", "GET", "u63", "1"},
	{"BITFIELD", "e", "OVERFLOW", "SAT", "SET", "u8", "0", "-1", "INCRBY", "u8", "0", "-300", "INCRBY", "u1", "#3", "5"},
	{"BITFIELD", "e", "SET", "u8", "#2305843009213693953", "1", "GET", "u8", "8"},
	{"BITFIELD", "e", "GET", "i64", "4294967295", "GET", "u63", "#68174084"},
	{"GET", "e"},
	// A new key that BITFIELD creates though every write fails; WATCH
	// does not see it.
	{"WATCH", "f"},
	{"BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u2", "20", "5"},
	{"MULTI"}, {"GET", "f"}, {"EXEC"},
	{"WATCH", "f"},
	{"SETBIT", "f", "3", "0"},
	{"MULTI"}, {"GET", "f"}, {"EXEC"},
	{"BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u2", "100", "5"},
	{"GET", "f"},
	{"BITFIELD_RO", "f", "GET", "u8", "0", "SET", "u8", "0", "x"},
	{"BITFIELD_RO", "f", "GET", "u8", "0", "SET", "u8", "0", "1"},
	{"BITFIELD", "f", "GET", "u8\x00junk", "0", "get\x00x", "i8", "0"},
	{"BITFIELD", "f"},
	{"BITFIELD", "nokey"},
	{"BITFIELD_RO", "nokey", "GET", "i5", "3"},
	// The 512 MB limit.
	{"SETBIT", "g", "4294967296", "1"},
	{"GETBIT", "g", "4294967296"},
	{"GETBIT", "g", "4294967295"},
	{"BITFIELD", "g", "GET", "u8", "4294967296"},
	{"BITFIELD", "g", "GET", "u8", "#536870912"},
	// BITPOS and BITCOUNT on empty and short strings.
	{"SET", "z", ""},
	{"BITPOS", "z", "0"}, {"BITPOS", "z", "1"}, {"BITPOS", "z", "0", "0"}, {"BITPOS", "z", "0", "0", "-1"},
	{"BITPOS", "z", "0", "0", "-1", "BIT"}, {"BITCOUNT", "z"}, {"BITCOUNT", "z", "0", "-1", "BIT"},
	{"SET", "y", "\xff\xff"},
	{"BITPOS", "y", "0"}, {"BITPOS", "y", "0", "1"}, {"BITPOS", "y", "0", "1", "1"}, {"BITPOS", "y", "0", "0", "15", "BIT"},
	{"BITPOS", "y", "0", "3", "12", "BIT"}, {"BITPOS", "y", "1", "3", "12", "BIT"}, {"BITPOS", "y", "1", "-3", "-1", "BIT"},
	{"BITPOS", "y", "0", "9", "8", "BIT"}, {"BITPOS", "y", "1", "9", "9", "bit"}, {"BITPOS", "y", "0", "9", "9", "bit"},
	{"BITPOS", "nokey", "0", "x", "y", "z", "w"}, {"BITPOS", "nokey", "2"}, {"BITPOS", "y", "0", "0", "0", "0"},
	{"BITCOUNT", "y", "-1", "-2", "nonsense"}, {"BITCOUNT", "y", "1"}, {"BITCOUNT", "nokey", "1"}, {"BITCOUNT", "y", "0", "0", "0"},
	{"BITCOUNT", "y", "-9223372036854775808", "9223372036854775807", "BIT"}, {"BITCOUNT", "y", "3", "12", "BIT"},
	{"SET", "n", "12345"},
	{"BITCOUNT", "n"}, {"BITPOS", "n", "1", "2"}, {"SETBIT", "n", "7", "0"}, {"GET", "n"},
	// BITOP: empty results delete the destination; NOT's arity; the
	// word-at-a-time path (32 bytes and more).
	{"SET", "d", "x"}, {"BITOP", "AND", "d", "nokey", "nokey2"}, {"GET", "d"},
	{"SET", "d", "x"}, {"BITOP", "NOT", "d", "nokey"}, {"GET", "d"},
	{"BITOP", "NOT", "d", "y", "y"}, {"BITOP", "not\x00", "d", "y"}, {"GET", "d"},
	{"SET", "w1", "0123456789abcdefghijklmnopqrstuvwxyz0123456789"},
	{"SET", "w2", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!"},
	{"BITOP", "AND", "d", "w1", "w2"}, {"GET", "d"}, {"BITOP", "OR", "d", "w1", "w2", "w1"}, {"GET", "d"},
	{"BITOP", "XOR", "d", "w1", "w2"}, {"GET", "d"}, {"BITOP", "NOT", "d", "w2"}, {"GET", "d"},
	{"BITOP", "AND", "d", "w1", "nokey"}, {"GET", "d"},
	// HLL: an empty PFADD creates the key; PFMERGE of the key alone
	// invalidates the cache; PFCOUNT writes the cache back.
	{"PFADD", "h"}, {"GET", "h"}, {"PFCOUNT", "h"}, {"GET", "h"}, {"PFMERGE", "h"}, {"GET", "h"},
	{"PFADD", "h", "a", "b", "c"}, {"PFCOUNT", "h"}, {"GET", "h"}, {"PFADD", "h", "a"}, {"GET", "h"},
	{"WATCH", "h"}, {"PFCOUNT", "h"}, {"MULTI"}, {"GET", "h"}, {"EXEC"},
	{"WATCH", "h"}, {"PFADD", "h", "d"}, {"PFCOUNT", "h"}, {"MULTI"}, {"GET", "h"}, {"EXEC"},
	// A hand-made dense HLL with registers past 51 and at 63; merged into
	// a sparse one, it turns it dense (a value over 32).
	{"SET", "hd", "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80" + strings.Repeat("\xff\xfd\x3c", 4) + strings.Repeat("\x00", 12288-12)},
	{"PFCOUNT", "hd"}, {"PFCOUNT", "hd", "h"}, {"PFMERGE", "h", "hd"}, {"STRLEN", "h"}, {"PFCOUNT", "h"}, {"GETRANGE", "h", "0", "40"},
	{"PFADD", "hd", "x", "y", "z"}, {"PFCOUNT", "hd"},
	// The cached cardinality is believed when its top bit is clear.
	{"SET", "hc", "HYLL\x01\x00\x00\x00\x39\x30\x00\x00\x00\x00\x00\x00"}, {"PFCOUNT", "hc"}, {"PFCOUNT", "hc", "hc"}, {"PFADD", "hc", "a"},
	{"SET", "hc", "HYLL\x01\x00\x00\x00\x39\x30\x00\x00\x00\x00\x00\x80"}, {"PFCOUNT", "hc"},
	{"SET", "hc", "HYLL\x00\x00\x00\x00\x39\x30\x00\x00\x00\x00\x00\x00"}, {"PFCOUNT", "hc"},
	{"SET", "hc", "HYLL\x02\x00\x00\x00\x39\x30\x00\x00\x00\x00\x00\x00"}, {"PFCOUNT", "hc"},
	{"SET", "hc", "HYL"}, {"PFCOUNT", "hc"}, {"PFADD", "hc"}, {"PFMERGE", "hc2", "hc"}, {"EXISTS", "hc2"},
	{"SET", "hc", "1234567890123456789"}, {"PFADD", "hc", "a"},
	{"LPUSH", "hl", "a"}, {"PFADD", "hl", "a"}, {"PFCOUNT", "hl"}, {"PFMERGE", "h", "hl"}, {"PFMERGE", "hl"},
	{"BITOP", "AND", "d", "w1", "hl"}, {"BITOP", "AND", "hl", "w1"}, {"TYPE", "hl"}, {"BITOP", "OR", "hl", "nokey"}, {"EXISTS", "hl"},
	{"SETBIT", "hl", "1", "1"}, {"GETBIT", "hl", "1"}, {"BITCOUNT", "hl"}, {"BITPOS", "hl", "1"}, {"BITFIELD", "hl", "GET", "u8", "0"},
	{"BITFIELD", "hl", "SET", "u8", "0", "1"}, {"BITFIELD_RO", "hl", "GET", "u8", "0"},
	// A sparse HLL whose last opcode, an XZERO, lost its second byte:
	// read as if the byte were the string's terminating zero.
	{"SET", "ht", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x3f\x3f\x3f\x3e\x7f"},
	{"PFCOUNT", "ht"}, {"PFCOUNT", "ht", "ht"}, {"GET", "ht"},
	{"PFADD", "ht", "a"}, {"GET", "ht"}, {"PFCOUNT", "ht"}, {"PFADD", "ht", "b"}, {"GET", "ht"}, {"PFCOUNT", "ht"}, {"PFADD", "ht", "c"}, {"GET", "ht"}, {"PFCOUNT", "ht"},
	{"PFADD", "ht", "d", "e", "f"}, {"GET", "ht"}, {"PFCOUNT", "ht"},
	{"SET", "hu", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x3f\x3f\x3f\x3e\x7f"},
	{"PFADD", "hu", "a"}, {"SETBIT", "hu", "100", "1"}, {"PFCOUNT", "hu"}, {"BITFIELD", "hu", "SET", "u8", "96", "0", "SET", "i1", "120", "-1"},
	{"PFCOUNT", "hu"}, {"PFMERGE", "hu"}, {"PFCOUNT", "hu", "hu"}, {"RENAME", "hu", "hv"}, {"PFCOUNT", "hv"}, {"PFADD", "hv", "a"},
	{"APPEND", "hv", ""}, {"PFCOUNT", "hv", "hv"}, {"PFMERGE", "hw", "hv"},
	{"SET", "hu", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x3f\x3f\x3f\x3e\x7f"},
	{"PFMERGE", "hu", "h"}, {"GET", "hu"}, {"PFCOUNT", "hu"},
	{"SET", "hu", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x3f\x3f\x3f\x3e\x7f"},
	{"PFADD", "hu", "a"}, {"SETBIT", "hu", "400", "1"}, {"PFCOUNT", "hu"}, {"GET", "hu"},
}

// TestBitsLiveReplies runs thousands of random bitmap and HyperLogLog
// commands, and the edge cases above, against a real redis-server and
// replays the captures with the model: no reply may differ.
func TestBitsLiveReplies(t *testing.T) {
	srv := redistest.Start(t)
	admin := srv.MustDial(t)
	ta := &bitsTally{table: liveVerdicts{}, seen: map[string]int{}}
	var edges []redistest.Cmd
	for _, c := range bitsEdges {
		args := c
		conn := 0
		switch args[0] {
		case "WATCH", "MULTI", "EXEC":
			conn = 1
		case "GET":
			if len(edges) > 0 && string(edges[len(edges)-1].Args[0]) == "MULTI" {
				conn = 1
			}
		}
		edges = append(edges, redistest.Cmd{Conn: conn, Args: redistest.Args(args...)})
	}
	ta.replay(t, srv, admin, "edges", edges)
	runs := []struct {
		seed uint64
		n    int
	}{{1, 2500}, {2, 1500}, {3, 1500}, {4, 3000}}
	if testing.Short() {
		runs = runs[:1]
	}
	for _, run := range runs {
		ta.replay(t, srv, admin, fmt.Sprintf("seed %d", run.seed), bitsWorkload(run.seed, run.n, false))
	}
	if ta.compared < 2000 {
		t.Errorf("compared %d replies, want at least 2000", ta.compared)
	}
	t.Logf("verdicts per command:\n%s", ta.table.table())
	t.Logf("%d replies compared, %d bad; covered: %v", ta.compared, ta.bad, ta.seen)
	for _, k := range []string{"GET dense HLL", "GET sparse HLL", "EXEC aborted", "PFADD INVALIDOBJ", "PFADD WRONGTYPE",
		"PFCOUNT INVALIDOBJ", "PFMERGE INVALIDOBJ", "BITFIELD ERR", "BITFIELD_RO ERR", "BITOP ERR", "BITOP WRONGTYPE",
		"BITPOS ERR", "BITCOUNT ERR", "SETBIT ERR"} {
		if ta.seen[k] == 0 {
			t.Errorf("the workload never produced %q", k)
		}
	}
}

func bitsShort(s string) string {
	if len(s) > 300 {
		return s[:150] + fmt.Sprintf("...(%d bytes)...", len(s)) + s[len(s)-150:]
	}
	return s
}

// TestBitsLiveWitnesses runs short sessions from an empty server and
// checks, for every request, that the replay gives the real reply and
// that the spec's witnesses through the store are the brute-force
// definition's.
func TestBitsLiveWitnesses(t *testing.T) {
	sessions := scaled(120, 30)
	checkWitnessSessions(t, witnessSessions{backend: "sqlite", sessions: sessions, firstSeed: 1000,
		workload: func(seed int64) []redistest.Cmd { return bitsWorkload(uint64(seed), 12, true) },
		target:   func(string) bool { return true },
		write:    func(op string) bool { return !bitsReads[op] },
		maxTrace: 14, minTargets: 300})
}
