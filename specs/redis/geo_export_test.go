package redis

// GeoDistanceBounds exposes to the live tests the span the model gives
// the distance in meters between two points that Redis computes (with
// glibc), and whether it is one known double.
func GeoDistanceBounds(lon1, lat1, lon2, lat2 float64) (lo, hi float64, exact bool) {
	d := geoDistance(lon1, lat1, lon2, lat2)
	return d.lo, d.hi, d.exact() && !d.any
}

// GeoScoreLonLat exposes the point a sorted-set score decodes to.
func GeoScoreLonLat(score float64) (lon, lat float64) { return scoreLonLat(score) }
