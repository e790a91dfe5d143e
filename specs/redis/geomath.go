package redis

import (
	"math"
	"math/big"
	"sync"
)

// The floating point of Redis's geo commands.
//
// Redis computes distances with C doubles and glibc's sin, cos and asin
// (geohash_helper.c). Additions, products, quotients and square roots are
// IEEE operations that Go performs bit for bit the same (the code below
// wraps products in float64() so that no compiler fuses them into an
// FMA, which gcc does not do on x86-64 either). The transcendental
// functions are another matter: glibc's results are not always Go's.
//
// So the model does not guess them. It evaluates sin, cos and asin in
// double-double arithmetic (about 100 bits), far more precisely than
// either library, and takes as glibc's result every double within a few
// steps of that value: glibc documents, and the tests check on millions
// of inputs against the libm redis-server uses, that its sin, cos and
// asin are within 1 ULP of the true value. What follows from them is
// then a span of doubles that holds what redis-server computed, carried
// through the same operations with their rounding (round-to-nearest is
// monotonic, so the ends of a span map to the ends of the result). A
// reply or a decision that is the same over the whole span (a distance
// printed to 4 decimals, a point inside the radius) is known; one that is
// not (a point on the radius to the last bits) is labelled unknown.

// libmSteps is how many doubles on each side of the model's value (the
// true value rounded) a glibc result may be: glibc's error is below 1
// ULP, so one step would do; two leave a margin (the tests measure at
// most one).
const libmSteps = 2

// A span is the closed range of doubles that holds the value
// redis-server's C code computed. A span whose ends are both NaN is
// exactly NaN (C's comparisons with it are false); any marks a value the
// model cannot bound (it may be anything, NaN too).
type span struct {
	lo, hi float64
	any    bool
}

// point is a value the model knows exactly.
func point(x float64) span { return span{lo: x, hi: x} }

// exact reports whether the span is one known double (or exactly NaN).
func (s span) exact() bool {
	return !s.any && (s.lo == s.hi && math.Signbit(s.lo) == math.Signbit(s.hi) || math.IsNaN(s.lo) && math.IsNaN(s.hi))
}

// isNaN reports whether the value is certainly NaN.
func (s span) isNaN() bool { return !s.any && math.IsNaN(s.lo) && math.IsNaN(s.hi) }

// spanOf gathers the results of an operation at the corners of its
// inputs' spans: their least and greatest; any when some are NaN and
// some are not (the operation is not monotonic there).
func spanOf(xs ...float64) span {
	nan := 0
	out := span{lo: math.Inf(1), hi: math.Inf(-1)}
	for _, x := range xs {
		if math.IsNaN(x) {
			nan++
			continue
		}
		if x < out.lo || x == out.lo && math.Signbit(x) {
			out.lo = x
		}
		if x > out.hi || x == out.hi && !math.Signbit(x) {
			out.hi = x
		}
	}
	switch nan {
	case 0:
		return out
	case len(xs):
		return point(math.NaN())
	}
	return span{any: true}
}

func (s span) add(t span) span {
	if s.any || t.any {
		return span{any: true}
	}
	return spanOf(s.lo+t.lo, s.hi+t.hi)
}

func (s span) sub(t span) span {
	if s.any || t.any {
		return span{any: true}
	}
	return spanOf(s.lo-t.hi, s.hi-t.lo)
}

// mul is the product: for fixed signs, a product's rounding is monotonic
// in each factor, so its extremes are at the corners.
func (s span) mul(t span) span {
	if s.any || t.any {
		return span{any: true}
	}
	return spanOf(float64(s.lo*t.lo), float64(s.lo*t.hi), float64(s.hi*t.lo), float64(s.hi*t.hi))
}

// div is the quotient; a divisor whose span holds 0 makes it any.
func (s span) div(t span) span {
	if s.any || t.any || t.lo <= 0 && t.hi >= 0 {
		return span{any: true}
	}
	return spanOf(s.lo/t.lo, s.lo/t.hi, s.hi/t.lo, s.hi/t.hi)
}

func (s span) sqrt() span {
	if s.any {
		return s
	}
	return spanOf(math.Sqrt(s.lo), math.Sqrt(s.hi))
}

// gt is C's s > x: known is false when the span does not decide it.
func (s span) gt(x float64) (v, known bool) {
	switch {
	case s.any:
		return false, false
	case s.lo > x:
		return true, true
	case s.hi <= x || s.isNaN():
		return false, true
	}
	return false, false
}

// lt is C's s < x.
func (s span) lt(x float64) (v, known bool) {
	switch {
	case s.any:
		return false, false
	case s.hi < x:
		return true, true
	case s.lo >= x || s.isNaN():
		return false, true
	}
	return false, false
}

// near returns the doubles within libmSteps of a precise value: what a
// libm function within 1 ULP may return for it.
func near(t dd) span {
	if math.IsNaN(t.hi) || math.IsInf(t.hi, 0) {
		return point(t.hi)
	}
	lo, hi := t.hi, t.hi
	for i := 0; i < libmSteps; i++ {
		lo = math.Nextafter(lo, math.Inf(-1))
		hi = math.Nextafter(hi, math.Inf(1))
	}
	return span{lo: lo, hi: hi}
}

// sinSpan is glibc's sin(x).
func sinSpan(x float64) span {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return point(math.NaN())
	}
	if x == 0 {
		return point(x) // sin(±0) is ±0
	}
	return near(ddSin(x))
}

// cosSpan is glibc's cos(x).
func cosSpan(x float64) span {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return point(math.NaN())
	}
	return near(ddCos(x))
}

// asinSpan is glibc's asin over a span of arguments (asin increases).
func asinSpan(s span) span {
	switch {
	case s.any:
		return s
	case s.isNaN() || s.lo > 1 || s.hi < -1:
		return point(math.NaN())
	case s.hi > 1 || s.lo < -1 || math.IsNaN(s.lo) || math.IsNaN(s.hi):
		return span{any: true} // NaN or not
	}
	return span{lo: asinNear(s.lo).lo, hi: asinNear(s.hi).hi}
}

func asinNear(x float64) span {
	if x == 0 {
		return point(x)
	}
	a := ddAsin(math.Abs(x))
	if x < 0 {
		a = dd{-a.hi, -a.lo}
	}
	return near(a)
}

// Double-double arithmetic: a value is hi+lo, |lo| at most half an ULP
// of hi, about 106 bits in all.

type dd struct{ hi, lo float64 }

func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	return dd{s, (a - (s - bb)) + (b - bb)}
}

func quickTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

func twoProd(a, b float64) dd {
	p := a * b
	return dd{p, math.FMA(a, b, -p)}
}

func (x dd) add(y dd) dd {
	s := twoSum(x.hi, y.hi)
	t := twoSum(x.lo, y.lo)
	s = quickTwoSum(s.hi, s.lo+t.hi)
	return quickTwoSum(s.hi, s.lo+t.lo)
}

func (x dd) neg() dd { return dd{-x.hi, -x.lo} }

func (x dd) mul(y dd) dd {
	p := twoProd(x.hi, y.hi)
	return quickTwoSum(p.hi, p.lo+(x.hi*y.lo+x.lo*y.hi))
}

func (x dd) div(y dd) dd {
	q1 := x.hi / y.hi
	r := x.add(y.mul(dd{q1, 0}).neg())
	q2 := r.hi / y.hi
	r = r.add(y.mul(dd{q2, 0}).neg())
	q3 := r.hi / y.hi
	return quickTwoSum(q1, q2).add(dd{q3, 0})
}

// invFact[n] is 1/n! as a double-double.
var invFact = func() [30]dd {
	var out [30]dd
	f := dd{1, 0}
	for n := range out {
		if n > 0 {
			f = f.mul(dd{float64(n), 0})
		}
		out[n] = dd{1, 0}.div(f)
	}
	return out
}()

// kernelSin and kernelCos are the Taylor series for |r| <= pi/4, summed
// from the last term that still counts (below 2^-112 of the first).
func kernelSin(r dd) dd { return taylorSum(r.mul(r), 1).mul(r) }

func kernelCos(r dd) dd { return taylorSum(r.mul(r), 0) }

// taylorSum sums the alternating series 1/first! - r2/(first+2)! + ...
// (first is 1 for the sine's terms over r, 0 for the cosine's), from the
// last term that counts back to the first, in Horner form.
func taylorSum(r2 dd, first int) dd {
	top := taylorTop(r2.hi, first)
	sum := invFact[top]
	for n := top - 2; n >= first; n -= 2 {
		sum = invFact[n].add(sum.mul(r2).neg())
	}
	return sum
}

// taylorTop is the index of the last Taylor term to sum for r^2 = r2,
// from first (1 for sin, 0 for cos): the first n whose term r^(n-first)/n!
// is below 2^-112, at most 27 or 28.
func taylorTop(r2 float64, first int) int {
	t := 1.0
	n := first
	for n+2 <= 26+first && t > 0x1p-112 {
		n += 2
		t *= r2 / float64(n*(n-1))
	}
	return n
}

// reduce returns r and the quadrant q with x = r + q*pi/2, |r| <= pi/4
// (about): in double-double from a three-part pi/2 for moderate x, in
// big floats for large x or when r is small (x near a multiple of pi/2,
// where the double-double cancellation would cost precision).
func reduce(x float64) (dd, int) {
	if math.Abs(x) <= 8 {
		k := math.Round(x * (2 / math.Pi))
		if k == 0 {
			return dd{x, 0}, 0
		}
		p := piHalf3()
		r := dd{x, 0}.add(twoProd(k, p[0]).neg())
		r = r.add(twoProd(k, p[1]).neg())
		r = r.add(twoProd(k, p[2]).neg())
		if math.Abs(r.hi) >= 1.0/256 {
			return r, int(k) & 3
		}
	}
	return reduceBig(x)
}

func reduceBig(x float64) (dd, int) {
	const prec = 1400
	pi := bigPi()
	half := new(big.Float).SetPrec(prec).Quo(pi, big.NewFloat(2))
	bx := new(big.Float).SetPrec(prec).SetFloat64(x)
	q := new(big.Float).SetPrec(prec).Quo(bx, half)
	q.Add(q, big.NewFloat(0.5))
	k, _ := q.Int(nil)
	if q.Sign() < 0 && !q.IsInt() {
		k.Sub(k, big.NewInt(1)) // floor
	}
	kf := new(big.Float).SetPrec(prec).SetInt(k)
	r := new(big.Float).SetPrec(prec).Sub(bx, kf.Mul(kf, half))
	hi, _ := r.Float64()
	rest := new(big.Float).SetPrec(prec).Sub(r, big.NewFloat(hi))
	lo, _ := rest.Float64()
	quad := new(big.Int).And(k, big.NewInt(3))
	return dd{hi, lo}, int(quad.Int64())
}

// ddSin is sin(x) to about 100 bits.
func ddSin(x float64) dd {
	r, q := reduce(x)
	return quadrantSin(r, q)
}

// ddCos is cos(x) to about 100 bits: the sine a quadrant on.
func ddCos(x float64) dd {
	r, q := reduce(x)
	return quadrantSin(r, q+1)
}

// quadrantSin is sin(r + q*pi/2) for a reduced argument r.
func quadrantSin(r dd, q int) dd {
	switch q % 4 {
	case 0:
		return kernelSin(r)
	case 1:
		return kernelCos(r)
	case 2:
		return kernelSin(r).neg()
	}
	return kernelCos(r).neg()
}

// ddAsin is asin(s) for 0 <= s <= 1, to about 100 bits: a Newton step
// from Go's asin for s <= 1/2; above, asin(s) = pi/2 - 2 asin(t) with
// t = sqrt((1-s)/2), which 1-s (exact) keeps well conditioned up to 1.
func ddAsin(s float64) dd {
	if s <= 0.5 {
		return asinNewton(dd{s, 0})
	}
	q := (1 - s) / 2
	t0 := math.Sqrt(q)
	t := dd{t0, 0}
	if t0 != 0 {
		t = quickTwoSum(t0, math.FMA(-t0, t0, q)/(2*t0))
	}
	p := piHalf3()
	return dd{p[0], p[1]}.add(asinNewton(t).mul(dd{-2, 0}))
}

// asinNewton refines Go's asin of a small t (|t| <= 1/2) by one Newton
// step in double-double: y - (sin y - t)/cos y.
func asinNewton(t dd) dd {
	y0 := math.Asin(t.hi)
	if y0 == 0 {
		return t
	}
	y := dd{y0, 0}
	f := kernelSin(y).add(t.neg())
	c := kernelCos(y)
	return y.add(f.div(c).neg())
}

var (
	piOnce   sync.Once
	piBig    *big.Float
	piHalves [3]float64
)

// bigPi is pi to 1400 bits, by Machin's formula.
func bigPi() *big.Float {
	piOnce.Do(func() {
		const prec = 1400
		atanInv := func(n int64) *big.Float {
			// atan(1/n) = sum (-1)^k / ((2k+1) n^(2k+1))
			sum := new(big.Float).SetPrec(prec)
			x := new(big.Float).SetPrec(prec).Quo(big.NewFloat(1), new(big.Float).SetInt64(n))
			n2 := new(big.Float).SetPrec(prec).SetInt64(n * n)
			eps := new(big.Float).SetPrec(prec).SetMantExp(big.NewFloat(1), -prec-8)
			for k := int64(0); ; k++ {
				term := new(big.Float).SetPrec(prec).Quo(x, new(big.Float).SetInt64(2*k+1))
				if k%2 == 0 {
					sum.Add(sum, term)
				} else {
					sum.Sub(sum, term)
				}
				if term.Cmp(eps) < 0 {
					break
				}
				x.Quo(x, n2)
			}
			return sum
		}
		a := atanInv(5)
		a.Mul(a, big.NewFloat(16))
		b := atanInv(239)
		b.Mul(b, big.NewFloat(4))
		piBig = new(big.Float).SetPrec(prec).Sub(a, b)
		h := new(big.Float).SetPrec(prec).Quo(piBig, big.NewFloat(2))
		for i := range piHalves {
			piHalves[i], _ = h.Float64()
			h.Sub(h, big.NewFloat(piHalves[i]))
		}
	})
	return piBig
}

// piHalf3 is pi/2 as three doubles, their sum good to about 160 bits.
func piHalf3() [3]float64 {
	bigPi()
	return piHalves
}
