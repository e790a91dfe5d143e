package redis

import (
	"math/big"
	"strconv"

	"github.com/wat-project/wat/formats"
)

// The geo commands. A geo set is a sorted set whose scores are 52-bit
// geohashes (geohash.go): GEOADD is ZADD with those scores, and every
// sorted-set command works on it. Coordinates are replied as Redis
// prints a long double (%.17Lf, trailing zeros removed), distances with 4
// decimals. A distance comes from glibc's sin, cos and asin, which the
// model bounds rather than reproduces (geomath.go): a reply the bounds do
// not decide (a point on the radius, a distance that rounds either way at
// the 4th decimal, an order between two almost equal distances, a
// distance stored with STOREDIST) is labelled unknown.
var geoCommands = inGroup("geo", []*Command{
	{Name: "GEOADD", Arity: -5, Flags: "write denyoom",
		Keys: key1("RW update"),
		Run:  geoadd, Unsure: whyGeo,
		Sub: geoaddSubs},
	{Name: "GEODIST", Arity: -4, Flags: "readonly",
		Keys: key1("RO access"),
		Run:  geodist, Unsure: whyGeo,
		Sub: geodistSubs},
	{Name: "GEOHASH", Arity: -2, Flags: "readonly",
		Keys: key1("RO access"),
		Run:  geohash, Unsure: whyGeo,
		Sub: subsFrom("members", 2, 1, formats.KindRead)},
	{Name: "GEOPOS", Arity: -2, Flags: "readonly",
		Keys: key1("RO access"),
		Run:  geopos, Unsure: whyGeo,
		Sub: subsFrom("members", 2, 1, formats.KindRead)},
	geoRadius("GEORADIUS", -6, geoCoords, false),
	geoRadius("GEORADIUS", -6, geoCoords, true),
	geoRadius("GEORADIUSBYMEMBER", -5, geoMember, false),
	geoRadius("GEORADIUSBYMEMBER", -5, geoMember, true),
	{Name: "GEOSEARCH", Arity: -7, Flags: "readonly",
		Keys: key1("RO access"),
		Run:  geoSearchCommand(geoSearch), Unsure: whyGeo},
	{Name: "GEOSEARCHSTORE", Arity: -8, Flags: "write denyoom",
		Keys: []KeySpec{keyAt(1, "OW update"), keyAt(2, "RO access")},
		Run:  geoSearchCommand(geoSearch | geoSearchStore), Unsure: whyGeo},
})

// geoRadius is the table entry of GEORADIUS or GEORADIUSBYMEMBER (how:
// geoCoords, geoMember), whose STORE or STOREDIST may follow the
// arguments its arity requires, or with ro, of its _RO form.
func geoRadius(name string, arity, how int, ro bool) *Command {
	if ro {
		return &Command{Name: name + "_RO", Arity: arity, Flags: "readonly",
			Keys: key1("RO access"),
			Run:  geoSearchCommand(how | geoNoStore), Unsure: whyGeo}
	}
	from := -arity
	return &Command{Name: name, Arity: arity, Flags: "write denyoom movablekeys",
		Keys: []KeySpec{keyAt(1, "RO access"), {Flags: "OW update", Begin: Keyword("STORE", from), Find: Range(0, 1, 0)}, {Flags: "OW update", Begin: Keyword("STOREDIST", from), Find: Range(0, 1, 0)}},
		Run:  geoSearchCommand(how), Refs: geoStoreRefs(from - 1), Unsure: whyGeo}
}

// whyGeo is what a geo reply the model gives as unknown depends on.
const whyGeo = "the last bits of glibc's sin, cos and asin, which wat bounds but does not reproduce (a point on the edge of the search, a distance that rounds either way at the 4th decimal, two almost equal distances), a sorted set whose contents are not known, or (in GEOSEARCH's errors that quote it) how the client spelt the command, which only a MONITOR line shows"

// Error replies of the geo commands.
const (
	eGeoUnit   = "-ERR unsupported unit provided. please use M, KM, FT, MI\r\n"
	eGeoMember = "-ERR could not decode requested zset member\r\n"
)

// geoStoreRefs are GEORADIUS's and GEORADIUSBYMEMBER's keys: the source,
// and every key after STORE or STOREDIST among the options (from the
// argument after the first `from` arguments), the last of which Redis
// writes. Redis's key specs find only the first STORE; the model parses
// as georadiusGeneric does, which takes the last.
func geoStoreRefs(from int) func(e *formats.Event) []formats.Ref {
	return func(e *formats.Event) []formats.Ref {
		if len(e.Args) == 0 {
			return nil
		}
		out := []formats.Ref{{NS: e.NS, Key: e.Args[0], Kind: formats.KindRead}}
		for i := from; i+1 < len(e.Args); i++ {
			if cEqual(e.Args[i], "store") || cEqual(e.Args[i], "storedist") {
				out = append(out, formats.Ref{NS: e.NS, Key: e.Args[i+1], Kind: formats.KindWrite})
			}
		}
		return out
	}
}

// cFixed6 is C's printf("%f", x).
func cFixed6(x float64) string {
	return cFinite(x, func(x float64) string { return strconv.FormatFloat(x, 'f', 6, 64) })
}

// lonLatArgs reads a longitude and a latitude as extractLongLatOrReply:
// each a float, then both within Redis's limits.
func lonLatArgs(lon, lat []byte) (x, y float64, e string) {
	x, ok := parseScore(lon)
	if !ok {
		return 0, 0, eNotFloat
	}
	y, ok = parseScore(lat)
	if !ok {
		return 0, 0, eNotFloat
	}
	if x < geoLongMin || x > geoLongMax || y < geoLatMin || y > geoLatMax {
		return 0, 0, "-ERR invalid longitude,latitude pair " + cFixed6(x) + "," + cFixed6(y) + "\r\n"
	}
	return x, y, ""
}

// geoUnit is extractUnitOrReply: meters per unit.
func geoUnit(b []byte) (float64, bool) {
	switch {
	case cEqual(b, "m"):
		return 1, true
	case cEqual(b, "km"):
		return 1000, true
	case cEqual(b, "ft"):
		return 0.3048, true
	case cEqual(b, "mi"):
		return 1609.34, true
	}
	return 0, false
}

// geoadd is GEOADD: its options (NX, XX, CH), then longitude, latitude
// and member triples, every point checked before anything is added, then
// ZADD with the points' scores.
func geoadd(r *run) string {
	a := r.args
	flags, i := leadingFlags(a, 1, "nx", "xx", "ch")
	if (len(a)-i)%3 != 0 || flags["nx"] && flags["xx"] {
		return eSyntax
	}
	zargs := append([][]byte(nil), a[:i]...)
	for j := i; j < len(a); j += 3 {
		x, y, e := lonLatArgs(a[j], a[j+1])
		if e != "" {
			return e
		}
		score := strconv.FormatUint(uint64(lonLatScore(x, y)), 10)
		zargs = append(zargs, []byte(score), a[j+2])
	}
	saved := r.args
	r.args = zargs
	defer func() { r.args = saved }()
	return zadd(r)
}

// memberLonLat is longLatFromMember: a member's point, or false when the
// set has no such member.
func memberLonLat(z *zset, m []byte) (lon, lat float64, ok bool) {
	s, ok := z.score[string(m)]
	if !ok {
		return 0, 0, false
	}
	lon, lat = scoreLonLat(s)
	return lon, lat, true
}

// coordReply is a coordinate as addReplyHumanLongDouble sends it.
func coordReply(x float64) string { return bulkString(formatLongDouble(big.NewFloat(x))) }

func geopos(r *run) string {
	v, e := r.zsetValue(r.args[0])
	if e != "" {
		return e
	}
	items := make([]string, 0, len(r.args)-1)
	for _, m := range r.args[1:] {
		if v == nil {
			items = append(items, rNilArray)
			continue
		}
		lon, lat, ok := memberLonLat(v.zset, m)
		if !ok {
			items = append(items, rNilArray)
			continue
		}
		items = append(items, array([]string{coordReply(lon), coordReply(lat)}))
	}
	return array(items)
}

func geohash(r *run) string {
	v, e := r.zsetValue(r.args[0])
	if e != "" {
		return e
	}
	items := make([]string, 0, len(r.args)-1)
	for _, m := range r.args[1:] {
		s, ok := 0.0, false
		if v != nil {
			s, ok = v.zset.score[string(m)]
		}
		if !ok {
			items = append(items, rNil)
			continue
		}
		items = append(items, bulkString(geohashString(s)))
	}
	return array(items)
}

// geodist is GEODIST: the unit is checked first, then the key.
func geodist(r *run) string {
	a := r.args
	conv := 1.0
	switch {
	case len(a) == 4:
		c, ok := geoUnit(a[3])
		if !ok {
			return eGeoUnit
		}
		conv = c
	case len(a) > 4:
		return eSyntax
	}
	v, e := r.existing(r.zsetValue, a[0], rNil)
	if e != "" {
		return e
	}
	lon1, lat1, ok1 := memberLonLat(v.zset, a[1])
	lon2, lat2, ok2 := memberLonLat(v.zset, a[2])
	if !ok1 || !ok2 {
		return rNil
	}
	s, ok := fixed4Span(geoDistance(lon1, lat1, lon2, lat2).div(point(conv)))
	if !ok {
		return rUnknown
	}
	return bulkString(s)
}
