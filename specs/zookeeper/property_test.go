package zookeeper_test

import (
	"context"
	"math/rand"
	"reflect"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/zookeeper"
)

var paths = []string{"/a", "/a/b", "/a/c", "/a/b/d"}

func randomEvent(r *rand.Rand, id int, read bool) *formats.Event {
	p := paths[r.Intn(len(paths))]
	data := []string{"x", "y"}[r.Intn(2)]
	sess := []string{"0x1", "0x2"}[r.Intn(2)]
	e := &formats.Event{ID: int64(id), Line: id, Source: "gen", System: "zookeeper", Client: sess}
	if read {
		e.Op = []string{"getData", "exists", "getChildren"}[r.Intn(3)]
		e.Args = [][]byte{[]byte(p)}
		return e
	}
	switch r.Intn(7) {
	case 0, 1, 2:
		eph := []string{"false", "false", "true"}[r.Intn(3)]
		e.Op, e.Args = "create", [][]byte{[]byte(p), []byte(data), []byte(eph), []byte("1")}
	case 3, 4:
		e.Op, e.Args = "setData", [][]byte{[]byte(p), []byte(data), []byte("1")}
	case 5:
		e.Op, e.Args = "delete", [][]byte{[]byte(p)}
	default:
		e.Op = "closeSession"
		for _, q := range paths {
			if r.Intn(2) == 0 {
				e.Args = append(e.Args, []byte(q))
			}
		}
	}
	return e
}

// TestSpecEqualsBruteForce: for thousands of random small traces the
// spec's witnesses are exactly the definition's.
func TestSpecEqualsBruteForce(t *testing.T) {
	per := 4000
	if testing.Short() {
		per = 500
	}
	for seed := 0; seed < per; seed++ {
		r := rand.New(rand.NewSource(int64(seed)))
		n := r.Intn(11)
		var trace []*formats.Event
		for i := 1; i <= n; i++ {
			trace = append(trace, randomEvent(r, i, false))
		}
		target := randomEvent(r, n+1, true)
		want, wantOut, err := provenance.BruteForce(zookeeper.Spec.Model(), trace, target)
		if err != nil {
			t.Fatal(err)
		}
		x, err := zookeeper.Spec.Explain(context.Background(), &provenance.MemHistory{Events: trace, Refs: zookeeper.Spec.Refs}, target)
		if err != nil {
			t.Fatal(err)
		}
		if x.Output != wantOut || !x.Exact {
			t.Fatalf("seed %d: output %q (exact %v), want %q", seed, x.Output, x.Exact, wantOut)
		}
		ws, _ := x.Witnesses(1 << 16)
		if got := provenance.WitnessPositions(ws, trace); !reflect.DeepEqual(got, want) {
			var lines []string
			for _, e := range append(trace, target) {
				lines = append(lines, e.Op+" "+string(e.Client)+" "+fmtArgs(e.Args))
			}
			t.Fatalf("seed %d:\n%v\nspec = %v\nbrute force = %v", seed, lines, got, want)
		}
	}
}

func fmtArgs(a [][]byte) string {
	s := ""
	for _, x := range a {
		s += string(x) + ","
	}
	return s
}
