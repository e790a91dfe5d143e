package posix

import (
	"math/rand"
	"strings"
	"testing"
)

// TestRenderRoundTrip: a read's rendering (runs of more than 8 unknown
// bytes as \?{N}) reads back to the same bytes, known and unknown, also
// when a known "{" follows an unknown byte; and a run is short text.
func TestRenderRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for range 2000 {
		n := r.Intn(40)
		c := chunk{data: make([]byte, r.Intn(n+1)), n: int64(n)}
		c.known = make([]bool, len(c.data))
		for i := range c.data {
			c.data[i] = "ab{}\\\"?9\x00\xff"[r.Intn(10)]
			c.known[i] = r.Intn(3) > 0 || i > 20
		}
		text := render(c)
		_, q, _ := strings.Cut(text, " ")
		got := unrender(q)
		if len(got) != n {
			t.Fatalf("%q: %d bytes back, want %d", text, len(got), n)
		}
		for i, x := range got {
			if x.known != c.knownAt(i) || x.known && x.b != c.data[i] {
				t.Fatalf("%q: byte %d back as %v, want %q known %v", text, i, x, c.data[min(i, len(c.data)-1)], c.knownAt(i))
			}
		}
	}
	if got := render(chunk{n: 1 << 20}); got != `1048576 "\?{1048576}"` {
		t.Errorf("a megabyte unknown: %q", got)
	}
}

// TestSameBytesIsRenderEquality: sameBytes, the searches' test of a
// read's bytes, says two chunks are alike exactly when they render alike,
// over chunks with and without known marks, data shorter than the count,
// unknown bytes holding stale data, and lengths across its blocks.
func TestSameBytesIsRenderEquality(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	gen := func(n int, base *chunk) chunk {
		c := chunk{data: make([]byte, n-r.Intn(3)*r.Intn(n/4+1)), n: int64(n)}
		if r.Intn(3) > 0 {
			c.known = make([]bool, len(c.data))
		}
		for i := range c.data {
			c.data[i] = "ab\x00"[r.Intn(3)]
			if base != nil && i < len(base.data) && r.Intn(8) > 0 {
				c.data[i] = base.data[i] // mostly alike, to make equal pairs
			}
			if c.known != nil {
				c.known[i] = r.Intn(6) > 0
				if base != nil && r.Intn(8) > 0 {
					c.known[i] = base.knownAt(i)
				}
			}
		}
		return c
	}
	equal := 0
	for range 20000 {
		n := []int{0, 1, 7, 63, 64, 65, 130, 300}[r.Intn(8)]
		a := gen(n, nil)
		b := gen(n, &a)
		if r.Intn(10) == 0 {
			b = gen(n+r.Intn(2), nil)
		}
		want := render(a) == render(b)
		if want {
			equal++
		}
		if got := sameBytes(a, b); got != want {
			t.Fatalf("sameBytes = %v, renders %q and %q", got, render(a), render(b))
		}
	}
	if equal < 1000 {
		t.Fatalf("only %d of 20000 pairs render alike: the test compares too few equal pairs", equal)
	}
}
