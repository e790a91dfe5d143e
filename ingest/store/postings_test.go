package store

import (
	"math/rand"
	"slices"
	"testing"
)

// TestIDsRoundTrip encodes increasing ids with gaps of every varint
// length and decodes them back; decodeIDs reads one-byte gaps apart
// from longer ones.
func TestIDsRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for trial := range 500 {
		n := 1 + r.Intn(300)
		ids := make([]int64, n)
		ids[0] = r.Int63n(1 << 40)
		for i := 1; i < n; i++ {
			var gap int64
			switch r.Intn(4) {
			case 0:
				gap = 1 + r.Int63n(127) // one byte
			case 1:
				gap = 127 + r.Int63n(3) // the edge of one byte
			case 2:
				gap = 128 + r.Int63n(1<<20)
			default:
				gap = 1 << (7 * (1 + r.Intn(5)))
			}
			ids[i] = ids[i-1] + gap
		}
		blob := encodeIDs(nil, ids)
		got, err := decodeIDs(nil, ids[0], n, blob)
		if err != nil || !slices.Equal(got, ids) {
			t.Fatalf("trial %d: decode(encode(%v)) = %v, %v", trial, ids, got, err)
		}
		if err := checkIDs(ids[0], ids[n-1], n, blob); err != nil {
			t.Fatalf("trial %d: checkIDs: %v", trial, err)
		}
	}
}

// TestIDsCorrupt: a block whose bytes do not hold its n ids is an error,
// whichever way they are wrong.
func TestIDsCorrupt(t *testing.T) {
	ids := []int64{10, 11, 200, 201, 100000}
	blob := encodeIDs(nil, ids)
	for _, c := range []struct {
		name string
		n    int
		blob []byte
	}{
		{"short", 5, blob[:len(blob)-1]},
		{"trailing bytes", 5, append(slices.Clone(blob), 1)},
		{"fewer ids than bytes", 4, blob},
		{"a zero gap", 3, []byte{1, 0}},
		{"a cut varint", 2, []byte{0x80}},
		{"empty", 2, nil},
	} {
		if _, err := decodeIDs(nil, 10, c.n, c.blob); err == nil {
			t.Errorf("%s: decoded %x as %d ids", c.name, c.blob, c.n)
		}
	}
}
