package provenance

import (
	"math/rand"
	"reflect"
	"slices"
	"testing"
)

// TestMinimalSetsByDefinition checks minimalSets against its definition
// on random families of small sets: a set is kept, once, when no set of
// the family is a proper subset of it; the kept sets come oldest first
// (back-indexes descending).
func TestMinimalSetsByDefinition(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for trial := 0; trial < 5000; trial++ {
		n := rng.Intn(12)
		var fam [][]int
		for i := 0; i < n; i++ {
			var s []int
			for v := 0; v < 7; v++ {
				if rng.Intn(3) == 0 {
					s = append(s, v)
				}
			}
			rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
			fam = append(fam, s)
		}
		want := minimalByDefinition(fam)
		got := minimalSets(clone2(fam))
		if len(got) == 0 && len(want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("minimalSets(%v) = %v, want %v", fam, got, want)
		}
	}
}

func clone2(fam [][]int) [][]int {
	out := make([][]int, len(fam))
	for i, s := range fam {
		out[i] = slices.Clone(s)
	}
	return out
}

func minimalByDefinition(fam [][]int) [][]int {
	mask := func(s []int) int {
		m := 0
		for _, v := range s {
			m |= 1 << v
		}
		return m
	}
	seen := map[int]bool{}
	var out [][]int
	for _, s := range fam {
		ms := mask(s)
		if seen[ms] {
			continue
		}
		minimal := true
		for _, u := range fam {
			if mu := mask(u); mu != ms && mu&ms == mu {
				minimal = false
			}
		}
		if minimal {
			seen[ms] = true
			out = append(out, slices.Clone(s))
		}
	}
	oldestFirst(out) // the order is minimalSets's own
	return out
}
