package provenance_test

import (
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

func TestFactorizeProduct(t *testing.T) {
	ev := make([]*formats.Event, 6)
	for i := range ev {
		ev[i] = &formats.Event{ID: int64(i + 1)}
	}
	a, b, c, d, e, f := ev[0], ev[1], ev[2], ev[3], ev[4], ev[5]
	// e is in every witness; {a|b} x {c|d}: four witnesses.
	ws := [][]*formats.Event{{a, c, e}, {a, d, e}, {b, c, e}, {b, d, e}}
	fs, ok := provenance.Factorize(ws)
	if !ok {
		t.Fatal("not ok")
	}
	if len(fs) != 3 || len(fs[0]) != 1 || len(fs[1]) != 2 || len(fs[2]) != 2 {
		t.Fatalf("factors = %v, want [e] x {a|b} x {c|d}", fs)
	}
	x := &provenance.Explanation{Factors: fs}
	if x.Count().Int64() != 4 {
		t.Errorf("Count = %v", x.Count())
	}
	got, complete := x.Witnesses(10)
	if !complete || len(got) != 4 {
		t.Errorf("Witnesses = %v, %v", got, complete)
	}
	// Not a product: {a,c}, {b,d}, {f}.
	fs, _ = provenance.Factorize([][]*formats.Event{{a, c}, {b, d}, {f}})
	if len(fs) != 1 || len(fs[0]) != 3 {
		t.Errorf("non-product factors = %v, want one group of 3", fs)
	}
	// {ε}: one empty witness, no factors.
	if fs, ok := provenance.Factorize([][]*formats.Event{nil}); !ok || len(fs) != 0 {
		t.Errorf("Factorize({ε}) = %v, %v", fs, ok)
	}
	if _, ok := provenance.Factorize(nil); ok {
		t.Error("Factorize of no witnesses must fail: the definition never yields it")
	}
}
