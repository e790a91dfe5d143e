package redis

import (
	"bufio"
	"fmt"
	"math"
	"math/big"
	"math/rand"
	"os"
	oexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// bigSin is sin(x) (or cos(x)) from a Taylor series in 300-bit floats
// after a 1400-bit reduction by bigPi: the referee for ddSin and ddCos.
func bigSin(x float64, cos bool) *big.Float {
	const wide, prec = 1400, 300
	pi := new(big.Float).SetPrec(wide).Set(bigPi())
	two := new(big.Float).SetPrec(wide).Mul(pi, big.NewFloat(2))
	bx := new(big.Float).SetPrec(wide).SetFloat64(x)
	if cos {
		bx.Add(bx, new(big.Float).SetPrec(wide).Quo(pi, big.NewFloat(2)))
	}
	// Bring it to [-pi, pi].
	q := new(big.Float).SetPrec(wide).Quo(bx, two)
	k, _ := q.Int(nil)
	bx.Sub(bx, new(big.Float).SetPrec(wide).Mul(new(big.Float).SetInt(k), two))
	if bx.Cmp(pi) > 0 {
		bx.Sub(bx, two)
	}
	if bx.Cmp(new(big.Float).Neg(pi)) < 0 {
		bx.Add(bx, two)
	}
	bx.SetPrec(prec)
	sum := new(big.Float).SetPrec(prec)
	term := new(big.Float).SetPrec(prec).Set(bx)
	x2 := new(big.Float).SetPrec(prec).Mul(bx, bx)
	for n := 1; n < 160; n += 2 {
		sum.Add(sum, term)
		term.Mul(term, x2)
		term.Quo(term, new(big.Float).SetInt64(int64(-(n+1)*(n+2))))
	}
	return sum
}

// ulpsOff says how far a double-double is from a big float, in ULPs of
// the double nearest to it.
func ulpsOff(got dd, want *big.Float) float64 {
	w, _ := want.Float64()
	if w == 0 {
		return math.Abs(got.hi + got.lo)
	}
	diff := new(big.Float).SetPrec(300).Sub(want, new(big.Float).SetFloat64(got.hi))
	diff.Sub(diff, new(big.Float).SetFloat64(got.lo))
	d, _ := diff.Float64()
	ulp := math.Nextafter(math.Abs(w), math.Inf(1)) - math.Abs(w)
	return math.Abs(d) / ulp
}

// geoArgs are arguments of the kinds Redis's geo code gives sin, cos and
// asin: half differences of longitudes and latitudes in radians, cosines
// of latitudes, and of latitudes plus or minus any angle (the bounding
// box), near multiples of pi/2 too.
func geoArgs(r *rand.Rand, n int) (sins, coss, asins []float64) {
	dR := math.Pi / 180
	for i := 0; i < n; i++ {
		switch r.Intn(6) {
		case 0:
			sins = append(sins, (r.Float64()*360-180)*dR-(r.Float64()*360-180)*dR)
		case 1:
			sins = append(sins, ((r.Float64()*170-85)*dR-(r.Float64()*170-85)*dR)/2)
		case 2:
			sins = append(sins, math.Ldexp(r.Float64(), -r.Intn(1070)))
		case 3:
			// Near multiples of pi/2.
			k := float64(r.Intn(11) - 5)
			sins = append(sins, nudge(r, k*math.Pi/2))
		default:
			sins = append(sins, (r.Float64()*2-1)*math.Pi)
		}
		switch r.Intn(4) {
		case 0:
			coss = append(coss, (r.Float64()*170.2-85.1)*dR)
		case 1:
			coss = append(coss, (r.Float64()*400-200)*dR)
		case 2:
			coss = append(coss, math.Ldexp(r.Float64(), r.Intn(40)-20)*dR)
		default:
			k := float64(r.Intn(11) - 5)
			coss = append(coss, nudge(r, k*math.Pi/2))
		}
		switch r.Intn(4) {
		case 0:
			asins = append(asins, 1-math.Ldexp(r.Float64(), -r.Intn(53)))
		case 1:
			asins = append(asins, math.Ldexp(r.Float64(), -r.Intn(1070)))
		default:
			asins = append(asins, r.Float64())
		}
	}
	return
}

// nudge moves x a double up or down, or not.
func nudge(r *rand.Rand, x float64) float64 {
	switch r.Intn(3) {
	case 0:
		return math.Nextafter(x, math.Inf(1))
	case 1:
		return math.Nextafter(x, math.Inf(-1))
	}
	return x
}

// TestDoubleDoubleTrig checks ddSin, ddCos and ddAsin against 600-bit
// references: they must be within a hundredth of an ULP.
func TestDoubleDoubleTrig(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	sins, coss, asins := geoArgs(r, n)
	sins = append(sins, 1e300, -1e22, 1e9+0.5, math.Pi, math.Pi/2, 3*math.Pi/2, 1e-320)
	coss = append(coss, 1e300, 1e17, math.Pi/2, -math.Pi/2, 20*math.Pi, 0)
	worst := 0.0
	for _, x := range sins {
		if d := ulpsOff(ddSin(x), bigSin(x, false)); d > worst {
			worst = d
			if d > 0.01 {
				t.Errorf("sin(%v): %v ULPs off", x, d)
			}
		}
	}
	for _, x := range coss {
		if d := ulpsOff(ddCos(x), bigSin(x, true)); d > worst {
			worst = d
			if d > 0.01 {
				t.Errorf("cos(%v): %v ULPs off", x, d)
			}
		}
	}
	// asin: sin(asin(s)) must give s back, to far below an ULP of s.
	for _, s := range append(asins, 0, 1, 0.5, math.Nextafter(0.5, 1), math.Nextafter(1, 0)) {
		a := ddAsin(s)
		back := bigSinDD(a)
		diff := new(big.Float).SetPrec(300).Sub(back, new(big.Float).SetFloat64(s))
		d, _ := diff.Float64()
		// d/s relative; the derivative cos(a) shrinks it near 1, so
		// measure in ULPs of a through d/cos(a).
		c := math.Cos(a.hi)
		ulp := math.Nextafter(math.Abs(a.hi), math.Inf(1)) - math.Abs(a.hi)
		if s != 1 && math.Abs(d)/c/ulp > 0.01 {
			t.Errorf("asin(%v): %v ULPs off", s, math.Abs(d)/c/ulp)
		}
	}
	t.Logf("worst sin/cos error: %.2g ULP", worst)
}

func bigSinDD(a dd) *big.Float {
	// sin(hi+lo) = sin(hi) + lo cos(hi) (lo^2 is far below).
	s := bigSin(a.hi, false)
	c := bigSin(a.hi, true)
	c.Mul(c, new(big.Float).SetFloat64(a.lo))
	return s.Add(s, c)
}

// glibcLibm compiles a tiny C program against the system's libm (the one
// redis-server links) and returns a function that runs sin, cos or asin
// over many arguments.
func glibcLibm(t *testing.T) func(fn string, xs []float64) []float64 {
	cc, err := oexec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not installed")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "libm.c")
	prog := `#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>
int main(void) {
	char fn[8]; unsigned long long u;
	while (scanf("%7s %llu", fn, &u) == 2) {
		double x, y; memcpy(&x, &u, 8);
		if (!strcmp(fn, "sin")) y = sin(x); else if (!strcmp(fn, "cos")) y = cos(x); else y = asin(x);
		memcpy(&u, &y, 8); printf("%llu\n", u);
	}
	return 0;
}
`
	if err := os.WriteFile(src, []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "libm")
	if out, err := oexec.Command(cc, "-O2", "-o", bin, src, "-lm").CombinedOutput(); err != nil {
		t.Skipf("cannot compile a libm probe: %v\n%s", err, out)
	}
	return func(fn string, xs []float64) []float64 {
		var in strings.Builder
		for _, x := range xs {
			fmt.Fprintf(&in, "%s %d\n", fn, math.Float64bits(x))
		}
		cmd := oexec.Command(bin)
		cmd.Stdin = strings.NewReader(in.String())
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		var ys []float64
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		for sc.Scan() {
			u, err := strconv.ParseUint(sc.Text(), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			ys = append(ys, math.Float64frombits(u))
		}
		if len(ys) != len(xs) {
			t.Fatalf("libm probe answered %d of %d", len(ys), len(xs))
		}
		return ys
	}
}

// TestGlibcWithinSpans runs the system's glibc sin, cos and asin (what
// redis-server calls) on a million arguments of the kinds the geo code
// gives them and checks that every result is in the model's span, and
// within 1 ULP of the true value (the bound the spans rely on). It
// reports how often glibc is correctly rounded.
func TestGlibcWithinSpans(t *testing.T) {
	libm := glibcLibm(t)
	n := 400000
	if testing.Short() {
		n = 40000
	}
	r := rand.New(rand.NewSource(2))
	sins, coss, asins := geoArgs(r, n)
	for _, c := range []struct {
		fn string
		xs []float64
		f  func(float64) dd
	}{{"sin", sins, ddSin}, {"cos", coss, ddCos}, {"asin", asins, ddAsin}} {
		ys := libm(c.fn, c.xs)
		rounded, maxSteps := 0, 0
		for i, x := range c.xs {
			want := c.f(x)
			s := near(want)
			if c.fn == "sin" && x == 0 {
				s = sinSpan(x)
			}
			if ys[i] < s.lo || ys[i] > s.hi {
				t.Errorf("glibc %s(%v) = %v, outside the span [%v, %v]", c.fn, x, ys[i], s.lo, s.hi)
				continue
			}
			steps := 0
			for y := want.hi; y != ys[i]; steps++ {
				y = math.Nextafter(y, ys[i])
			}
			if steps == 0 {
				rounded++
			}
			if steps > maxSteps {
				maxSteps = steps
			}
			// Within 1 ULP of the true value: at most one double away
			// from the nearest, and on the true value's side.
			if steps > 1 || steps == 1 && (ys[i] > want.hi) != (want.lo > 0) {
				t.Errorf("glibc %s(%v) = %v, more than 1 ULP from %v%+v", c.fn, x, ys[i], want.hi, want.lo)
			}
		}
		t.Logf("%s: %d arguments, %d correctly rounded, at most %d step(s) off", c.fn, len(c.xs), rounded, maxSteps)
	}
	// glibc's sin is odd to the bit (distKey relies on it).
	neg := make([]float64, len(sins))
	for i, x := range sins {
		neg[i] = -x
	}
	pos, ngs := libm("sin", sins), libm("sin", neg)
	for i := range sins {
		if math.Float64bits(ngs[i]) != math.Float64bits(-pos[i]) {
			t.Errorf("glibc sin(-%v) = %v, not -sin(%v) = %v", sins[i], ngs[i], sins[i], -pos[i])
		}
	}
}
