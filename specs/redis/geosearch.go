package redis

import (
	"math"
	"sort"
	"strings"
)

// The geo searches: GEORADIUS, GEORADIUSBYMEMBER (and their _RO forms),
// GEOSEARCH and GEOSEARCHSTORE, all georadiusGeneric in Redis.

// Search kinds and restrictions, as georadiusGeneric's flags.
const (
	geoCoords      = 1 << iota // around a longitude and latitude (GEORADIUS)
	geoMember                  // around a member (GEORADIUSBYMEMBER)
	geoNoStore                 // STORE and STOREDIST refused (_RO)
	geoSearch                  // GEOSEARCH's options
	geoSearchStore             // GEOSEARCHSTORE: the destination first
)

// Sort orders of a search.
const (
	geoUnsorted = iota
	geoAsc
	geoDesc
)

// A geoPoint is one point a search found, as Redis's geoPoint.
type geoPoint struct {
	lon, lat float64
	dist     span    // meters from the center
	key      distKey // what decides dist's bits
	score    float64
	member   string
}

// geoSearchCommand runs a search of the given kind.
func geoSearchCommand(flags int) func(*run) string {
	return func(r *run) string { return r.geoSearch(flags) }
}

// typedName is the command's name as the client spelled it (Redis puts
// argv[0] in some errors): from a MONITOR line (it starts with its
// timestamp and quotes the name), or as a script passed it; ok is false
// when the log does not show it (another format keeps only the name).
func (r *run) typedName() (string, bool) {
	if r.inScript {
		return string(r.argv[0]), true
	}
	raw := string(r.e.Raw)
	if raw == "" || !isDigit(raw[0]) {
		return "", false
	}
	if _, rest, ok := strings.Cut(raw, "] \""); ok {
		if name, _, ok := strings.Cut(rest, "\""); ok && !strings.Contains(name, "\\") && strings.EqualFold(name, r.op) {
			return name, true
		}
	}
	return "", false
}

// quoteName ends an error with the command's spelling, or is unknown.
func (r *run) quoteName(e string) string {
	name, ok := r.typedName()
	if !ok {
		return rUnknown
	}
	return e + name + "\r\n"
}

// geoSearch is georadiusGeneric: the source's type first, then the
// center and shape of the older commands, the options in order (each
// checked as it comes), their conflicts, the search, its sort, and the
// reply or the stored set.
func (r *run) geoSearch(flags int) string {
	argv := r.argv
	src := 1
	if flags&geoSearchStore != 0 {
		src = 2
	}
	v, e := r.container(argv[src], tZSet, false)
	if e != "" {
		return e
	}
	lost := v != nil && v.zset.lost
	var store []byte
	storedist := false
	// unknown ends a search whose outcome the model cannot tell: a
	// stored set is then not known either.
	unknown := func() string {
		if store != nil {
			r.storeZset(store, lostValue().zset)
		}
		return rUnknown
	}
	// memberUnknown is set once a member of a set whose contents are
	// lost was looked up: whether it was there (or Redis replied that it
	// could not decode it) is not known, and so neither is which error a
	// later one is.
	memberUnknown := false
	fail := func(e string) string {
		if memberUnknown {
			return rUnknown
		}
		return e
	}
	var sh geoShape
	base := 0
	switch {
	case flags&geoCoords != 0:
		base = 6
		x, y, e := lonLatArgs(argv[2], argv[3])
		if e != "" {
			return e
		}
		sh.lon, sh.lat = x, y
		if e := sh.radiusArgs(argv[4], argv[5]); e != "" {
			return e
		}
	case flags&geoMember != 0:
		base = 5
		if v == nil {
			break // parse the options, then reply as for no key
		}
		if lost {
			memberUnknown = true
		} else if x, y, ok := memberLonLat(v.zset, argv[2]); ok {
			sh.lon, sh.lat = x, y
		} else {
			return eGeoMember
		}
		if e := sh.radiusArgs(argv[3], argv[4]); e != "" {
			return fail(e)
		}
	default:
		base = 2
		if flags&geoSearchStore != 0 {
			base = 3
			store = argv[1]
		}
	}
	search := flags&geoSearch != 0
	canStore := flags&(geoNoStore|geoSearch) == 0
	var withDist, withHash, withCoord, any bool
	var fromMember, fromLonLat, byRadius, byBox bool
	order := geoUnsorted
	var count int64
	rem := len(argv) - base
	for i := 0; i < rem; i++ {
		arg := argv[base+i]
		next := func(k int) []byte { return argv[base+i+k] }
		switch {
		case cEqual(arg, "withdist"):
			withDist = true
		case cEqual(arg, "withhash"):
			withHash = true
		case cEqual(arg, "withcoord"):
			withCoord = true
		case cEqual(arg, "any"):
			any = true
		case cEqual(arg, "asc"):
			order = geoAsc
		case cEqual(arg, "desc"):
			order = geoDesc
		case cEqual(arg, "count") && i+1 < rem:
			n, ok := parseInt(next(1))
			if !ok {
				return fail(eNotInt)
			}
			if n <= 0 {
				return fail("-ERR COUNT must be > 0\r\n")
			}
			count = n
			i++
		case cEqual(arg, "store") && i+1 < rem && canStore:
			store, storedist = next(1), false
			i++
		case cEqual(arg, "storedist") && i+1 < rem && canStore:
			store, storedist = next(1), true
			i++
		case cEqual(arg, "storedist") && search && flags&geoSearchStore != 0:
			storedist = true
		case cEqual(arg, "frommember") && i+1 < rem && search && !fromLonLat:
			switch {
			case v == nil:
			case lost:
				memberUnknown = true
			default:
				x, y, ok := memberLonLat(v.zset, next(1))
				if !ok {
					return fail(eGeoMember)
				}
				sh.lon, sh.lat = x, y
			}
			fromMember = true
			i++
		case cEqual(arg, "fromlonlat") && i+2 < rem && search && !fromMember:
			x, y, e := lonLatArgs(next(1), next(2))
			if e != "" {
				return fail(e)
			}
			sh.lon, sh.lat = x, y
			fromLonLat = true
			i += 2
		case cEqual(arg, "byradius") && i+2 < rem && search && !byBox:
			if e := sh.radiusArgs(next(1), next(2)); e != "" {
				return fail(e)
			}
			byRadius = true
			i += 2
		case cEqual(arg, "bybox") && i+3 < rem && search && !byRadius:
			if e := sh.boxArgs(next(1), next(2), next(3)); e != "" {
				return fail(e)
			}
			byBox = true
			i += 3
		default:
			return fail(eSyntax)
		}
	}
	switch {
	case store != nil && (withDist || withHash || withCoord):
		what := "STORE option in GEORADIUS"
		if flags&geoSearchStore != 0 {
			what = "GEOSEARCHSTORE"
		}
		return fail("-ERR " + what + " is not compatible with WITHDIST, WITHHASH and WITHCOORD options\r\n")
	case search && !fromMember && !fromLonLat:
		return fail(r.quoteName("-ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for "))
	case search && !byRadius && !byBox:
		return fail(r.quoteName("-ERR exactly one of BYRADIUS and BYBOX can be specified for "))
	case any && count == 0:
		return fail("-ERR the ANY argument requires COUNT argument\r\n")
	case v == nil && store != nil:
		r.del(store)
		return rZero
	case v == nil:
		return rEmpty
	case lost:
		return unknown()
	}
	if count != 0 && order == geoUnsorted && !any {
		order = geoAsc
	}
	limit := int64(0)
	if any {
		limit = count
	}
	pts, ok := sh.scan(v.zset, limit)
	if !ok {
		return unknown()
	}
	if len(pts) == 0 && store == nil {
		return rEmpty
	}
	n := len(pts)
	if count != 0 && count < int64(n) {
		n = int(count)
	}
	if order != geoUnsorted && !sortPoints(pts, n, order == geoDesc) {
		return unknown()
	}
	pts = pts[:n]
	if store != nil {
		return r.storePoints(store, pts, sh.conv, storedist)
	}
	items := make([]string, len(pts))
	for i, p := range pts {
		if !withDist && !withHash && !withCoord {
			items[i] = bulkString(p.member)
			continue
		}
		sub := []string{bulkString(p.member)}
		if withDist {
			d, ok := fixed4Span(p.dist.div(point(sh.conv)))
			if !ok {
				return rUnknown
			}
			sub = append(sub, bulkString(d))
		}
		if withHash {
			sub = append(sub, integer(cInt64(p.score)))
		}
		if withCoord {
			sub = append(sub, array([]string{coordReply(p.lon), coordReply(p.lat)}))
		}
		items[i] = array(sub)
	}
	return array(items)
}

// radiusArgs reads a radius and its unit as extractDistanceOrReply.
func (s *geoShape) radiusArgs(radius, unit []byte) string {
	d, ok := parseScore(radius)
	if !ok {
		return "-ERR need numeric radius\r\n"
	}
	if d < 0 {
		return "-ERR radius cannot be negative\r\n"
	}
	conv, ok := geoUnit(unit)
	if !ok {
		return eGeoUnit
	}
	s.box, s.radius, s.conv = false, d, conv
	return ""
}

// boxArgs reads a width, a height and their unit as extractBoxOrReply.
func (s *geoShape) boxArgs(width, height, unit []byte) string {
	w, ok := parseScore(width)
	if !ok {
		return "-ERR need numeric width\r\n"
	}
	h, ok := parseScore(height)
	if !ok {
		return "-ERR need numeric height\r\n"
	}
	if h < 0 || w < 0 {
		return "-ERR height or width cannot be negative\r\n"
	}
	conv, ok := geoUnit(unit)
	if !ok {
		return eGeoUnit
	}
	s.box, s.width, s.height, s.conv = true, w, h, conv
	return ""
}

// contains is geoWithinShape for a point: whether it is in the shape,
// and its distance from the center. known is false when the bounds of
// glibc's results do not decide it.
func (s geoShape) contains(lon, lat float64) (in bool, dist span, known bool) {
	if !s.box {
		d := geoDistance(s.lon, s.lat, lon, lat)
		out, ok := d.gt(float64(s.radius * s.conv))
		return !out, d, ok
	}
	widthM, heightM := float64(s.width*s.conv), float64(s.height*s.conv)
	if latDistance(lat, s.lat) > heightM/2 {
		return false, span{}, true
	}
	out, ok := geoDistance(lon, lat, s.lon, lat).gt(widthM / 2)
	if !ok || out {
		return false, span{}, ok
	}
	return true, geoDistance(s.lon, s.lat, lon, lat), true
}

// scan is membersOfAllNeighbors: the members of each box in turn, in
// score order, that are in the shape; with a limit (ANY) it stops as soon
// as it has that many. ok is false when the model cannot tell the boxes
// or whether a point is in.
func (s geoShape) scan(z *zset, limit int64) (pts []geoPoint, ok bool) {
	boxes, ok := s.searchBoxes()
	if !ok {
		return nil, false
	}
	full := func() bool { return len(pts) > 0 && limit > 0 && int64(len(pts)) >= limit }
	for _, h := range boxes {
		if full() {
			break
		}
		min := float64(h.align52())
		max := float64(geoHash{bits: h.bits + 1, step: h.step}.align52())
		i := sort.Search(len(z.sorted), func(i int) bool { return z.sorted[i].score >= min })
		for ; i < len(z.sorted) && z.sorted[i].score < max; i++ {
			m := z.sorted[i]
			lon, lat := scoreLonLat(m.score)
			in, d, known := s.contains(lon, lat)
			if !known {
				return nil, false
			}
			if in {
				pts = append(pts, geoPoint{lon: lon, lat: lat, dist: d, key: geoDistKey(s.lon, s.lat, lon, lat), score: m.score, member: m.member})
			}
			if full() {
				break
			}
		}
	}
	return pts, true
}

// cmpDist is sort_gp_asc over what the model knows: 0 for points whose
// distances come from the same computation (the same place, or its
// mirror across the center's meridian), otherwise by the distances'
// spans; ok is false when the spans overlap.
func cmpDist(a, b *geoPoint) (int, bool) {
	switch {
	case a.key == b.key:
		return 0, true
	case a.dist.any || b.dist.any || math.IsNaN(a.dist.lo) || math.IsNaN(b.dist.lo):
		return 0, false
	case a.dist.hi < b.dist.lo:
		return -1, true
	case a.dist.lo > b.dist.hi:
		return 1, true
	case a.dist.exact() && b.dist.exact() && a.dist.lo == b.dist.lo:
		return 0, true
	}
	return 0, false
}

// sortPoints sorts a search's points as Redis does: all of them with
// glibc's qsort (a stable merge sort), or, when only the first n are
// returned, with Redis's pqsort, which leaves those n in order. It
// reports false when a comparison it made was not decided.
func sortPoints(pts []geoPoint, n int, desc bool) bool {
	decided := true
	cmp := func(a, b *geoPoint) int {
		c, ok := cmpDist(a, b)
		if !ok {
			decided = false
		}
		if desc {
			return -c
		}
		return c
	}
	if n == len(pts) {
		sort.SliceStable(pts, func(i, j int) bool { return cmp(&pts[i], &pts[j]) < 0 })
	} else {
		pqsort(pts, cmp, 0, n-1)
	}
	return decided
}

// storePoints writes a search's points to dst as a sorted set (scores
// the geohashes, or with STOREDIST the distances in the unit), or deletes
// dst when there are none; the reply is their count. Distances the model
// knows only within bounds make the stored set's scores unknown.
func (r *run) storePoints(dst []byte, pts []geoPoint, conv float64, storedist bool) string {
	if len(pts) == 0 {
		r.del(dst)
		return rZero
	}
	ms := make([]zmember, 0, len(pts))
	seen := make(map[string]bool, len(pts))
	for _, p := range pts {
		score := p.score
		if storedist {
			d := p.dist.div(point(conv))
			if !d.exact() {
				r.storeZset(dst, lostValue().zset)
				return integer(int64(len(pts)))
			}
			score = d.lo
		}
		if !seen[p.member] {
			seen[p.member] = true
			ms = append(ms, zmember{p.member, score})
		}
	}
	r.storeZset(dst, newZset(ms))
	return integer(int64(len(pts)))
}

// pqsort is Redis's pqsort.c (Bentley and McIlroy's quicksort that only
// recurses into the parts overlapping positions lrange to rrange), so
// that the points it leaves there, and the order of equal ones, are
// Redis's.
func pqsort(a []geoPoint, cmp func(x, y *geoPoint) int, lrange, rrange int) {
	swap := func(i, j int) { a[i], a[j] = a[j], a[i] }
	vecswap := func(i, j, n int) {
		for k := 0; k < n; k++ {
			swap(i+k, j+k)
		}
	}
	c := func(i, j int) int { return cmp(&a[i], &a[j]) }
	med3 := func(x, y, z int) int {
		if c(x, y) < 0 {
			if c(y, z) < 0 {
				return y
			}
			if c(x, z) < 0 {
				return z
			}
			return x
		}
		if c(y, z) > 0 {
			return y
		}
		if c(x, z) < 0 {
			return x
		}
		return z
	}
	// outside reports whether the part [base, base+n) is wholly before or
	// wholly after the range to sort.
	outside := func(base, n int) bool {
		return lrange < base && rrange < base || lrange >= base+n && rrange >= base+n
	}
	var sortPart func(base, n int)
	sortPart = func(base, n int) {
		for {
			if n < 7 {
				for m := base + 1; m < base+n; m++ {
					for l := m; l > base && c(l-1, l) > 0; l-- {
						swap(l, l-1)
					}
				}
				return
			}
			pm := base + n/2
			if n > 7 {
				pl, pn := base, base+n-1
				if n > 40 {
					d := n / 8
					pl = med3(pl, pl+d, pl+2*d)
					pm = med3(pm-d, pm, pm+d)
					pn = med3(pn-2*d, pn-d, pn)
				}
				pm = med3(pl, pm, pn)
			}
			swap(base, pm)
			pa, pb := base+1, base+1
			pc, pd := base+n-1, base+n-1
			for {
				for pb <= pc {
					r := c(pb, base)
					if r > 0 {
						break
					}
					if r == 0 {
						swap(pa, pb)
						pa++
					}
					pb++
				}
				for pb <= pc {
					r := c(pc, base)
					if r < 0 {
						break
					}
					if r == 0 {
						swap(pc, pd)
						pd--
					}
					pc--
				}
				if pb > pc {
					break
				}
				swap(pb, pc)
				pb++
				pc--
			}
			pn := base + n
			r := min(pa-base, pb-pa)
			vecswap(base, pb-r, r)
			r = min(pd-pc, pn-pd-1)
			vecswap(pb, pn-r, r)
			if r := pb - pa; r > 1 && !outside(base, r) {
				sortPart(base, r)
			}
			r = pd - pc
			if r <= 1 {
				return
			}
			base, n = pn-r, r
			if outside(base, n) {
				return
			}
		}
	}
	sortPart(0, len(a))
}
