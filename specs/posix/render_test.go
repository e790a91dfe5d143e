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
