package redis_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/redis"
)

// bitsFamilies are the bitmap and HyperLogLog commands over tiny domains:
// two keys, bit offsets within two bytes, four HLL elements, so that
// writes overlap and override each other.
var bitsFamilies = []family{
	{name: "bitmaps", writes: []string{
		"SETBIT k o b", "SETBIT k o b", "SETBIT k 12 1", "BITOP AND k k k", "BITOP OR k k", "BITOP XOR k k k",
		"BITOP NOT k k", "BITFIELD k SET u4 o n", "BITFIELD k INCRBY i3 o n", "BITFIELD k OVERFLOW FAIL INCRBY u2 o n",
		"BITFIELD k OVERFLOW SAT INCRBY i2 #1 n", "BITFIELD k GET u4 0 SET i8 o n", "SET k v", "DEL k", "APPEND k v",
	}, targets: []string{
		"GETBIT k o", "BITCOUNT k", "BITCOUNT k 0 -1 BIT", "BITCOUNT k 1 9 BIT", "BITPOS k 0", "BITPOS k 1",
		"BITPOS k 1 0 -1", "BITPOS k 0 1 10 BIT", "BITPOS k 0 1", "GET k", "BITFIELD_RO k GET u8 0", "BITFIELD k GET i4 o",
		"SETBIT k o b", "BITFIELD k OVERFLOW FAIL INCRBY u2 o n", "BITOP AND k k k",
	}, words: map[string][]string{"o": {"0", "1", "7", "8", "9"}, "b": {"0", "1"}}},
	{name: "hll", writes: []string{
		"PFADD k e", "PFADD k e e", "PFADD k", "PFMERGE k k", "PFMERGE k k k", "PFMERGE k", "DEL k", "SET k v",
		"PFCOUNT k", "PFCOUNT k k", "APPEND k v", "SETRANGE k 15 v", "SET k h", "SETBIT k 100 1",
	}, targets: []string{"PFCOUNT k", "PFCOUNT k k", "GET k", "PFADD k e", "PFADD k", "STRLEN k", "PFMERGE k k"},
		words: map[string][]string{"e": {"x", "y", "z", "w", "a"}, "h": {
			// Hand-made sparse HLLs: runs of VALs (some to merge), and one
			// whose last XZERO lost its second byte (hyperloglog.go's tail).
			"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\x00\x88\x89\x88\x3f\x3f\x3f\x3a",
			"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x3f\x3f\x3f\x3e\x7f",
		}}},
}

// TestBitsEqualBruteForce checks the bitmap and HyperLogLog commands'
// witnesses against the definition on thousands of random traces.
func TestBitsEqualBruteForce(t *testing.T) { runFamilies(t, bitsFamilies) }

// bitsState replays commands on a fresh model state, one client, db 0.
type bitsState struct {
	m  provenance.Model
	st provenance.State
	id int
}

func newBitsState() *bitsState {
	m := redis.Spec.Model()
	return &bitsState{m: m, st: m.Init()}
}

func (b *bitsState) do(args ...string) string {
	b.id++
	e := &formats.Event{ID: int64(b.id), Source: "unit", Line: b.id, System: "redis", NS: "0",
		Time: 1795535140000000000 + int64(b.id)*1e6, Op: strings.ToUpper(args[0]), Client: "127.0.0.1:1"}
	for _, a := range args[1:] {
		e.Args = append(e.Args, []byte(a))
	}
	return string(b.m.Apply(b.st, e))
}

// bitsBulk returns a bulk reply's bytes.
func bitsBulk(t *testing.T, resp string) string {
	t.Helper()
	head, body, ok := strings.Cut(resp, "\r\n")
	if !ok || !strings.HasPrefix(head, "$") || !strings.HasSuffix(body, "\r\n") {
		t.Fatalf("not a bulk reply: %q", resp)
	}
	return strings.TrimSuffix(body, "\r\n")
}

// TestBitsHLLHashAgainstServer checks MurmurHash64A (seed 0xadc83b19) and
// the register/pattern split through what the real server stored: the
// sparse opcodes (after the 16-byte header) of an HLL holding one element
// name its register and its pattern's length. Element lengths 0 to 17
// cover every tail length of the hash's 8-byte words. The values were
// read from redis-server 7.0.15 (PFADD k <element>; GET k).
func TestBitsHLLHashAgainstServer(t *testing.T) {
	for _, c := range []struct{ ele, opcodes string }{
		{"", "57318468cc"},
		{"a", "71a6844e57"},
		{"ab", "42ce807d2f"},
		{"abc", "6501805afc"},
		{"abcd", "6b3d9c54c0"},
		{"abcde", "4e8d8c7170"},
		{"abcdef", "754e844aaf"},
		{"abcdefg", "56018469fc"},
		{"abcdefgh", "4566807a97"},
		{"abcdefghi", "5af6806507"},
		{"abcdefghijklmno", "70588c4fa5"},
		{"abcdefghijklmnop", "646f805b8e"},
		{"abcdefghijklmnopq", "50ae806f4f"},
		{"\x00", "6287845d76"},
		{"\xff\xff\xff\xff\xff\xff\xff\xff\xff", "684b8057b2"},
		{"hello world", "64b68c5b47"},
		{"e0", "4525807ad8"},
		{"e1", "7e4c8441b1"},
		{"12345", "796f80468e"},
		{"-1", "6b058454f8"},
		{strings.Repeat("x", 100), "7bb7804446"},
	} {
		b := newBitsState()
		if got := b.do("PFADD", "k", c.ele); got != ":1\r\n" {
			t.Fatalf("PFADD %q: %q", c.ele, got)
		}
		got := bitsBulk(t, b.do("GET", "k"))
		if h := hex.EncodeToString([]byte(got[16:])); h != c.opcodes || got[:16] != "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80" {
			t.Errorf("PFADD %q: HLL %x, redis-server holds header 48594c4c01000000000000000000008 and opcodes %s", c.ele, got, c.opcodes)
		}
	}
}

// TestBitsHLLEstimatorAgainstServer checks the estimator, the sparse
// representation and its promotion to dense (past 3000 bytes) against
// values read from redis-server 7.0.15: PFADD k u0..u<n-1> (in batches of
// 5000), then the HLL's length and SHA-256, PFCOUNT k, and PFCOUNT k k2
// where k2 holds v0..v<min(n,3000)-1>. Then hand-made dense HLLs whose
// registers reach the estimator's edges (a value of 51 runs hllTau; 50 and
// more everywhere overflow llroundl).
func TestBitsHLLEstimatorAgainstServer(t *testing.T) {
	for _, c := range []struct {
		n, count, union, size int
		sha                   string
	}{
		{1, 1, 2, 21, "f30b54059b19b351d6249ec922d3b0dd4d940ca853325d5d9758471807be6c25"},
		{2, 2, 4, 24, "0ab173736438137301c4ae36b10a3fa9bad1d62d046664bc631fc1fa5435bac2"},
		{3, 3, 6, 27, "634deecdf34ae802b15b3de6120fff24b10be4323b262c910d0c5029c158dccd"},
		{10, 10, 20, 45, "1cc851151d6ff0925f89af42c3e32292290012d87912ee4d82b3d051fea84ec0"},
		{100, 99, 200, 279, "9515e47378c96647340e75f183f7f74b1b770454fbec0b9c210eb434e14e2efc"},
		{500, 500, 1007, 1040, "ff102ccbf416afb0946835cc131e7538e8169a07cfe891cf58f39b39e0432ed5"},
		{1000, 994, 2002, 1885, "8201cbb34da30fb166f6958954db4cdd0260518cf481664e41c480d78cd4611a"},
		{2000, 2006, 4001, 12304, "81284a19c3479ee9a6e501bed7295f92c09986fab2cf0819ce6fba524cebe031"},
		{3000, 2987, 5997, 12304, "97df95cda8e481a3b0f0d5390e8e4d82d5b9d8fb8d3b8610e255fdc463185df5"},
		{10000, 9977, 12943, 12304, "2f8147399caca11967a6df8fe57f72500f775b727f4b2172690373381e1b50af"},
		{50000, 49982, 52963, 12304, "23a3dd90380701647bc9e502618f7ebd65f5b051d66eeeb1b4481d25d3d647d1"},
		{200000, 200361, 203345, 12304, "37b2e1287d49b50483ebed7674a356f77fc4aaf322a7fa046425aa142e1f2d46"},
	} {
		if testing.Short() && c.n > 10000 {
			continue
		}
		b := newBitsState()
		for i := 0; i < c.n; i += 5000 {
			args := []string{"PFADD", "k"}
			for j := i; j < c.n && j < i+5000; j++ {
				args = append(args, "u"+strconv.Itoa(j))
			}
			b.do(args...)
		}
		hll := bitsBulk(t, b.do("GET", "k"))
		sum := sha256.Sum256([]byte(hll))
		if len(hll) != c.size || hex.EncodeToString(sum[:]) != c.sha {
			t.Errorf("n=%d: HLL of %d bytes, sha256 %x; redis-server holds %d bytes, %s", c.n, len(hll), sum, c.size, c.sha)
		}
		if got, want := b.do("PFCOUNT", "k"), ":"+strconv.Itoa(c.count)+"\r\n"; got != want {
			t.Errorf("n=%d: PFCOUNT k = %q, redis-server %q", c.n, got, want)
		}
		args := []string{"PFADD", "k2"}
		for j := 0; j < c.n && j < 3000; j++ {
			args = append(args, "v"+strconv.Itoa(j))
		}
		b.do(args...)
		if got, want := b.do("PFCOUNT", "k", "k2"), ":"+strconv.Itoa(c.union)+"\r\n"; got != want {
			t.Errorf("n=%d: PFCOUNT k k2 = %q, redis-server %q", c.n, got, want)
		}
	}
	for _, c := range []struct {
		name  string
		reg   func(i int) int
		count string
		cache string // the cached cardinality PFCOUNT leaves
	}{
		{"all 1", func(int) int { return 1 }, "23637", "555c000000000000"},
		{"half 0, half 51", func(i int) int { return 51 * (i % 2) }, "13268", "d433000000000000"},
		{"i mod 64", func(i int) int { return i % 64 }, "375261", "ddb9050000000000"},
		{"one 1", func(i int) int { return 1 - min(i, 1) }, "1", "0100000000000000"},
		{"all 50", func(int) int { return 50 }, "-9223372036854775808", "0000000000000080"},
		{"all 51", func(int) int { return 51 }, "-9223372036854775808", "0000000000000080"},
		{"all 52", func(int) int { return 52 }, "-9223372036854775808", "0000000000000080"},
		{"all 63", func(int) int { return 63 }, "-9223372036854775808", "0000000000000080"},
	} {
		b := newBitsState()
		b.do("SET", "k", bitsDenseHLL(c.reg))
		if got := b.do("PFCOUNT", "k", "k"); got != ":"+c.count+"\r\n" {
			t.Errorf("%s: PFCOUNT k k = %q, redis-server %s", c.name, got, c.count)
		}
		if got := b.do("PFCOUNT", "k"); got != ":"+c.count+"\r\n" {
			t.Errorf("%s: PFCOUNT k = %q, redis-server %s", c.name, got, c.count)
		}
		if got := hex.EncodeToString([]byte(bitsBulk(t, b.do("GETRANGE", "k", "8", "15")))); got != c.cache {
			t.Errorf("%s: cached cardinality %s, redis-server %s", c.name, got, c.cache)
		}
	}
}

// bitsDenseHLL makes a dense HLL string (cache invalid) with register i
// set to reg(i).
func bitsDenseHLL(reg func(i int) int) string {
	b := make([]byte, 16+12288+1)
	copy(b, "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80")
	r := b[16:]
	for i := 0; i < 16384; i++ {
		v, at, fb := reg(i), i*6/8, uint(i*6%8)
		r[at] &^= byte(63 << fb)
		r[at] |= byte(v << fb)
		r[at+1] &^= byte(63 >> (8 - fb))
		r[at+1] |= byte(v >> (8 - fb))
	}
	return string(b[:16+12288])
}
