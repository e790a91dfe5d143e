package redis

import (
	"math"
	"strconv"
)

// Redis's geohashes (geohash.c, geohash_helper.c): a point is a sorted
// set score, its latitude's and longitude's bits interleaved, 26 of each.
// Everything here is integer arithmetic or IEEE double arithmetic without
// transcendental functions, so it is exactly Redis's; products are wrapped
// in float64() so that no compiler fuses them with an addition.

// The coordinate limits (geohash.h) and the WGS-84 constants
// (geohash_helper.c).
const (
	geoLongMin  = -180.0
	geoLongMax  = 180.0
	geoLatMin   = -85.05112878
	geoLatMax   = 85.05112878
	geoStepMax  = 26
	mercatorMax = 20037726.37
	earthRadius = 6372797.560856
)

// degRad is D_R, M_PI / 180.0 as a C double expression; written with a
// variable so that Go rounds pi first, as C does, not the exact ratio.
var degRad = func() float64 { pi := math.Pi; return pi / 180.0 }()

func degToRad(a float64) float64 { return float64(a * degRad) }

func radToDeg(a float64) float64 { return a / degRad }

// A geoHash is GeoHashBits: step bits of latitude and of longitude.
type geoHash struct {
	bits uint64
	step uint8
}

// zero is HASHISZERO: a neighbor Redis excluded from a search.
func (h geoHash) zero() bool { return h.bits == 0 && h.step == 0 }

// A geoRange is one coordinate's range, min to max.
type geoRange struct{ min, max float64 }

var (
	geoLongRange = geoRange{geoLongMin, geoLongMax}
	geoLatRange  = geoRange{geoLatMin, geoLatMax}
)

// interleave puts x's bits in the even positions and y's in the odd ones.
func interleave(x, y uint32) uint64 {
	spread := func(v uint64) uint64 {
		v = (v | v<<16) & 0x0000FFFF0000FFFF
		v = (v | v<<8) & 0x00FF00FF00FF00FF
		v = (v | v<<4) & 0x0F0F0F0F0F0F0F0F
		v = (v | v<<2) & 0x3333333333333333
		return (v | v<<1) & 0x5555555555555555
	}
	return spread(uint64(x)) | spread(uint64(y))<<1
}

// deinterleave returns the even bits in the low 32 and the odd bits in
// the high 32.
func deinterleave(v uint64) uint64 {
	squash := func(v uint64) uint64 {
		v &= 0x5555555555555555
		v = (v | v>>1) & 0x3333333333333333
		v = (v | v>>2) & 0x0F0F0F0F0F0F0F0F
		v = (v | v>>4) & 0x00FF00FF00FF00FF
		v = (v | v>>8) & 0x0000FFFF0000FFFF
		return (v | v>>16) & 0x00000000FFFFFFFF
	}
	return squash(v) | squash(v>>1)<<32
}

// geoEncode is geohashEncode with the given ranges; the point is inside
// them (the callers check it).
func geoEncode(lon, lat geoRange, x, y float64, step uint8) geoHash {
	latOff := (y - lat.min) / (lat.max - lat.min)
	lonOff := (x - lon.min) / (lon.max - lon.min)
	scale := float64(uint64(1) << step)
	latOff = float64(latOff * scale)
	lonOff = float64(lonOff * scale)
	return geoHash{bits: interleave(uint32(latOff), uint32(lonOff)), step: step}
}

// align52 is geohashAlign52Bits: the hash as a 52-bit score.
func (h geoHash) align52() uint64 { return h.bits << (52 - uint(h.step)*2) }

// A geoArea is a hash's box.
type geoArea struct{ lon, lat geoRange }

// geoDecode is geohashDecode over Redis's ranges.
func geoDecode(h geoHash) geoArea {
	sep := deinterleave(h.bits)
	latScale := geoLatMax - geoLatMin
	lonScale := geoLongMax - geoLongMin
	ilat := uint32(sep)
	ilon := uint32(sep >> 32)
	div := float64(uint64(1) << h.step)
	at := func(min, scale float64, i uint32) float64 {
		return min + float64(float64(i)*1.0/div*scale)
	}
	return geoArea{
		lat: geoRange{at(geoLatMin, latScale, ilat), at(geoLatMin, latScale, ilat+1)},
		lon: geoRange{at(geoLongMin, lonScale, ilon), at(geoLongMin, lonScale, ilon+1)},
	}
}

// center is geohashDecodeAreaToLongLat: the box's middle, clamped.
func (a geoArea) center() (lon, lat float64) {
	lon = (a.lon.min + a.lon.max) / 2
	lon = math.Max(geoLongMin, math.Min(lon, geoLongMax))
	lat = (a.lat.min + a.lat.max) / 2
	lat = math.Max(geoLatMin, math.Min(lat, geoLatMax))
	return lon, lat
}

// cUint64 is C's (uint64_t) of a double as gcc compiles it for x86-64
// (cvttsd2si, after subtracting 2^63 from values at or above it): exact
// for 0 <= x < 2^64; a negative x wraps as its truncation in two's
// complement; NaN and values out of range give 2^63, or 0 from 2^64 up.
func cUint64(x float64) uint64 {
	const two63 = 9223372036854775808.0
	if x >= two63 {
		x -= two63
		if x >= two63 || math.IsInf(x, 0) {
			return 0
		}
		return uint64(int64(x)) ^ 1<<63
	}
	return uint64(cInt64(x))
}

// cInt64 is C's (long long) of a double on x86-64 (cvttsd2si): the
// truncation, or the "integer indefinite" -2^63 for NaN and values out of
// range.
func cInt64(x float64) int64 {
	if math.IsNaN(x) || x >= 9223372036854775808.0 || x < -9223372036854775808.0 {
		return math.MinInt64
	}
	return int64(x)
}

// scoreLonLat is decodeGeohash: the point a sorted set score stands for
// (any score decodes to some point, clamped to the limits).
func scoreLonLat(score float64) (lon, lat float64) {
	return geoDecode(geoHash{bits: cUint64(score), step: geoStepMax}).center()
}

// lonLatScore is the score GEOADD gives a point.
func lonLatScore(lon, lat float64) float64 {
	return float64(geoEncode(geoLongRange, geoLatRange, lon, lat, geoStepMax).align52())
}

// geohashString is GEOHASH's standard 11-character geohash of a score:
// the point decoded, then encoded again over latitudes -90 to 90.
func geohashString(score float64) string {
	const alphabet = "0123456789bcdefghjkmnpqrstuvwxyz"
	lon, lat := scoreLonLat(score)
	h := geoEncode(geoRange{-180, 180}, geoRange{-90, 90}, lon, lat, geoStepMax)
	var b [11]byte
	for i := 0; i < 10; i++ {
		b[i] = alphabet[(h.bits>>(52-(uint(i)+1)*5))&0x1f]
	}
	b[10] = alphabet[0]
	return string(b[:])
}

// moveX and moveY are geohash_move_x and geohash_move_y: the next box east
// (d > 0) or west, north or south, wrapping around.
func (h geoHash) moveX(d int) geoHash { return h.move(d, 0xaaaaaaaaaaaaaaaa) }

func (h geoHash) moveY(d int) geoHash { return h.move(d, 0x5555555555555555) }

// move steps the coordinate whose interleaved bits are mask (the odd bits
// for longitude, the even ones for latitude) by one box in d's direction:
// the other coordinate's bits are set to carry a +1 (or borrow a -1)
// across them, then cleared.
func (h geoHash) move(d int, mask uint64) geoHash {
	if d == 0 {
		return h
	}
	shift := 64 - uint(h.step)*2
	own, other := h.bits&mask, h.bits&^mask
	zz := ^mask >> shift
	if d > 0 {
		own += zz + 1
	} else {
		own |= zz
		own -= zz + 1
	}
	own &= mask >> shift
	h.bits = own | other
	return h
}

// Neighbor indexes, in the order Redis searches them.
const (
	nbCenter = iota
	nbNorth
	nbSouth
	nbEast
	nbWest
	nbNorthEast
	nbNorthWest
	nbSouthEast
	nbSouthWest
)

// neighbors returns the box and its eight neighbors, in search order.
func (h geoHash) neighbors() [9]geoHash {
	return [9]geoHash{
		h,
		h.moveY(1), h.moveY(-1), h.moveX(1), h.moveX(-1),
		h.moveX(1).moveY(1), h.moveX(-1).moveY(1), h.moveX(1).moveY(-1), h.moveX(-1).moveY(-1),
	}
}

// estimateSteps is geohashEstimateStepsByRadius.
func estimateSteps(meters, lat float64) uint8 {
	if meters == 0 {
		return 26
	}
	step := 1
	for meters < mercatorMax {
		meters = float64(meters * 2)
		step++
	}
	step -= 2
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	if step < 1 {
		step = 1
	}
	if step > 26 {
		step = 26
	}
	return uint8(step)
}

// A geoShape is GeoShape: the center and the radius or the box, in the
// unit (conv meters each).
type geoShape struct {
	lon, lat      float64
	box           bool
	radius        float64
	width, height float64
	conv          float64
}

// boundingBox is geohashBoundingBox: the min and max longitude (spans:
// they use cos) and latitude.
func (s geoShape) boundingBox() (minLon, maxLon span, minLat, maxLat float64) {
	height, width := float64(s.conv*s.radius), float64(s.conv*s.radius)
	if s.box {
		height, width = float64(s.conv*(s.height/2)), float64(s.conv*(s.width/2))
	}
	latDelta := radToDeg(height / earthRadius)
	w := point(width / earthRadius)
	d := point(degRad)
	deltaTop := w.div(cosSpan(degToRad(s.lat + latDelta))).div(d)
	deltaBottom := w.div(cosSpan(degToRad(s.lat - latDelta))).div(d)
	delta := deltaTop
	if s.lat < 0 {
		delta = deltaBottom
	}
	return point(s.lon).sub(delta), point(s.lon).add(delta), s.lat - latDelta, s.lat + latDelta
}

// radiusMeters is the radius the search's step is estimated from: the
// radius, or half the box's diagonal.
func (s geoShape) radiusMeters() float64 {
	r := s.radius
	if s.box {
		r = math.Sqrt(float64((s.width/2)*(s.width/2)) + float64((s.height/2)*(s.height/2)))
	}
	return float64(r * s.conv)
}

// searchBoxes is geohashCalculateAreasByShapeWGS84 and the skips of
// membersOfAllNeighbors: the boxes to scan, in order (a neighbor Redis
// excluded is gone, one equal to the box scanned just before it too). ok
// is false when a comparison of the bounding box (which uses cos) with a
// box's edge is too close for the model to tell which way it went.
func (s geoShape) searchBoxes() (out []geoHash, ok bool) {
	minLon, maxLon, minLat, maxLat := s.boundingBox()
	steps := estimateSteps(s.radiusMeters(), s.lat)
	hash := geoEncode(geoLongRange, geoLatRange, s.lon, s.lat, steps)
	nb := hash.neighbors()
	area := geoDecode(hash)
	if steps > 1 {
		north, south := geoDecode(nb[nbNorth]), geoDecode(nb[nbSouth])
		east, west := geoDecode(nb[nbEast]), geoDecode(nb[nbWest])
		decrease := north.lat.max < maxLat || south.lat.min > minLat
		if !decrease {
			eastShort, ok1 := maxLon.gt(east.lon.max)
			westShort, ok2 := minLon.lt(west.lon.min)
			switch {
			case ok1 && eastShort, ok2 && westShort:
				decrease = true
			case !ok1 || !ok2:
				return nil, false
			}
		}
		if decrease {
			steps--
			hash = geoEncode(geoLongRange, geoLatRange, s.lon, s.lat, steps)
			nb = hash.neighbors()
			area = geoDecode(hash)
		}
	}
	if steps >= 2 {
		// drop excludes neighbors when cond holds; an undecided cond
		// matters only if some of them are still there.
		drop := func(cond, known bool, ix ...int) bool {
			for _, i := range ix {
				if !known && !nb[i].zero() {
					return false
				}
				if cond {
					nb[i] = geoHash{}
				}
			}
			return true
		}
		westOut, ok1 := minLon.gt(area.lon.min)
		eastOut, ok2 := maxLon.lt(area.lon.max)
		if !drop(area.lat.min < minLat, true, nbSouth, nbSouthWest, nbSouthEast) ||
			!drop(area.lat.max > maxLat, true, nbNorth, nbNorthEast, nbNorthWest) ||
			!drop(westOut, ok1, nbWest, nbSouthWest, nbNorthWest) ||
			!drop(eastOut, ok2, nbEast, nbSouthEast, nbNorthEast) {
			return nil, false
		}
	}
	last := 0
	for i, h := range nb {
		if h.zero() {
			continue
		}
		if last != 0 && h == nb[last] {
			continue
		}
		out = append(out, h)
		last = i
	}
	return out, true
}

// latDistance is geohashGetLatDistance: exact, no transcendental function.
func latDistance(lat1, lat2 float64) float64 {
	return float64(earthRadius * math.Abs(degToRad(lat2)-degToRad(lat1)))
}

// geoDistance is geohashGetDistance, the haversine distance in meters:
// a span, since it uses sin, cos and asin; exact when the longitudes are
// the same (then Redis measures along the meridian).
func geoDistance(lon1, lat1, lon2, lat2 float64) span {
	lon1r, lon2r := degToRad(lon1), degToRad(lon2)
	varg := (lon2r - lon1r) / 2
	// glibc's sin is 0 only for ±0 (it returns x itself for tiny x).
	if varg == 0 {
		return point(latDistance(lat1, lat2))
	}
	v := sinSpan(varg)
	lat1r, lat2r := degToRad(lat1), degToRad(lat2)
	u := sinSpan((lat2r - lat1r) / 2)
	a := u.mul(u).add(cosSpan(lat1r).mul(cosSpan(lat2r)).mul(v).mul(v))
	return point(2.0 * earthRadius).mul(asinSpan(a.sqrt()))
}

// A distKey is what decides geohashGetDistance's result, bit for bit,
// from a given first point: the absolute halves of the differences of
// longitude and of latitude (in radians) and the second latitude. Two
// points with the same key (the same place, or mirrors across the first
// point's meridian) are at the same distance, whatever glibc's last
// bits: its sin is odd, sin(-x) = -sin(x), and the rest squares it.
type distKey [3]float64

func geoDistKey(lon1, lat1, lon2, lat2 float64) distKey {
	return distKey{math.Abs((degToRad(lon2) - degToRad(lon1)) / 2), math.Abs((degToRad(lat2) - degToRad(lat1)) / 2), degToRad(lat2)}
}

// fixed4 is fixedpoint_d2string(d, 4), how GEODIST and WITHDIST print a
// distance: d times 10^4 rounded by llrint (to even on ties; -2^63 for
// NaN, infinities and overflow), with 4 decimals.
func fixed4(d float64) string {
	if d == 0 {
		return "0.0000"
	}
	v := float64(d * 10000)
	var sv int64
	if math.IsNaN(v) || v >= 9223372036854775808.0 || v < -9223372036854775808.0 {
		sv = math.MinInt64
	} else {
		sv = int64(math.RoundToEven(v))
	}
	neg := sv < 0
	u := uint64(sv)
	if neg {
		u = -u
	}
	digits := strconv.FormatUint(u, 10)
	for len(digits) < 5 {
		digits = "0" + digits
	}
	s := digits[:len(digits)-4] + "." + digits[len(digits)-4:]
	if neg {
		s = "-" + s
	}
	return s
}

// fixed4Span prints a span of distances, or reports that its ends print
// differently.
func fixed4Span(d span) (string, bool) {
	if d.any {
		return "", false
	}
	lo, hi := fixed4(d.lo), fixed4(d.hi)
	return lo, lo == hi
}
