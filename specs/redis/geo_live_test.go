package redis_test

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/wat-project/wat/specs/redis"
	"github.com/wat-project/wat/specs/redis/redistest"
)

// geoGen generates random geo commands: points around a few sites (the
// poles' limits, the antimeridian, the equator, anywhere), at every
// scale from the same point to the other side of the Earth, searched
// with radii and boxes from 0 to far beyond the Earth, in every unit,
// with every option (and bad ones), on geo sets that are listpacks or
// skiplists, on keys of other types, and on sorted sets holding scores
// no GEOADD gives.
type geoGen struct {
	liveGen
	sites [][2]float64
}

var (
	geoKeys    = []string{"g1", "g2", "g1", "g2", "g3"}
	geoOddKeys = []string{"big", "big", "odd", "str", "l1", "missing"}
	geoMembers = []string{"a", "b", "c", "d", "e", "a", "b", "1", "10", "", "é", strings.Repeat("L", 65)}
	geoUnits   = []string{"m", "km", "ft", "mi", "m", "km", "M", "Km", "FT", "mI"}
	geoRadii   = []float64{0, 0.001, 0.5, 1, 10, 100, 1000, 1e4, 1e5, 1e6, 5e6, 2e7, 1e9}
	geoBadNums = []string{"abc", "", " 1", "nan", "1e400", "1x", "0x"}
)

// newSites picks the session's sites: edge places and random ones.
func (g *geoGen) newSites() {
	edges := [][2]float64{
		{0, 0}, {180, 0}, {-180, 0}, {179.9999, 10}, {-179.99999, -10}, {0, 85.05112878}, {0, -85.05112878},
		{45, 85}, {-120, -84.9}, {13.361389, 38.115556}, {15.087269, 37.502669}, {2.3522, 48.8566}, {-0.1, 51.5},
		{-74.006, 40.7128}, {139.69, 35.69}, {0, 66.5}, {100, -80.5}, {-180, 85.05112878}, {180, -85.05112878},
	}
	g.sites = nil
	for i := 0; i < 6; i++ {
		if g.chance(2) {
			g.sites = append(g.sites, edges[g.r.Intn(len(edges))])
		} else {
			g.sites = append(g.sites, [2]float64{g.r.Float64()*360 - 180, g.r.Float64()*170.1 - 85.05})
		}
	}
}

// clamp keeps a point within Redis's limits.
func clamp(lon, lat float64) (float64, float64) {
	return math.Max(-180, math.Min(180, lon)), math.Max(-85.05112878, math.Min(85.05112878, lat))
}

// point is a point near a site: the site itself, or at some scale away.
func (g *geoGen) point() (float64, float64) {
	s := g.sites[g.r.Intn(len(g.sites))]
	scales := []float64{0, 0, 1e-7, 1e-5, 1e-3, 0.01, 0.1, 1, 5, 30, 90, 180}
	sc := scales[g.r.Intn(len(scales))]
	return clamp(s[0]+(g.r.Float64()*2-1)*sc, s[1]+(g.r.Float64()*2-1)*sc/2)
}

// coord spells a coordinate: shortest, fixed, or with trailing digits.
func (g *geoGen) coord(x float64) string {
	switch g.r.Intn(6) {
	case 0:
		return strconv.FormatFloat(x, 'f', 6, 64)
	case 1:
		return strconv.FormatFloat(x, 'e', 10, 64)
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

// lonLat is a longitude and a latitude, now and then out of range or not
// a number.
func (g *geoGen) lonLat() []string {
	switch {
	case g.chance(30):
		return []string{g.pick([]string{"180.0001", "-180.5", "200", "inf", "-inf"}), "0"}
	case g.chance(30):
		return []string{"10", g.pick([]string{"85.05112879", "-85.06", "90", "-inf", "1e300"})}
	case g.chance(40):
		return []string{g.pick(geoBadNums), "1"}
	case g.chance(40):
		return []string{"1", g.pick(geoBadNums)}
	}
	x, y := g.point()
	if g.chance(2) {
		// Near a site, where the clusters are.
		s := g.sites[g.r.Intn(len(g.sites))]
		x, y = clamp(s[0]+(g.r.Float64()*2-1)*0.01, s[1]+(g.r.Float64()*2-1)*0.01)
	}
	return []string{g.coord(x), g.coord(y)}
}

func (g *geoGen) member() string { return g.memberOf(geoMembers, 10) }

func (g *geoGen) key() string { return g.mostly(geoKeys, geoOddKeys, 8) }

// radius is a distance in some unit, now and then negative or bad.
func (g *geoGen) radius() string {
	switch {
	case g.chance(40):
		return g.pick([]string{"-1", "-0.5"})
	case g.chance(40):
		return g.pick(geoBadNums)
	case g.chance(30):
		return "inf"
	}
	r := geoRadii[g.r.Intn(len(geoRadii))]
	if g.chance(2) {
		r *= g.r.Float64() * 2
	}
	return strconv.FormatFloat(r, 'g', -1, 64)
}

func (g *geoGen) unit() string {
	if g.chance(40) {
		return g.pick([]string{"yd", "", "meters"})
	}
	return g.pick(geoUnits)
}

func (g *geoGen) kw(s string) string {
	if g.chance(6) {
		return strings.ToLower(s)
	}
	return s
}

// options are a search's options in some order: WITH*, ASC or DESC,
// COUNT [ANY], and for the commands that store, STORE or STOREDIST.
func (g *geoGen) options(store, storedist bool) []string {
	var opts [][]string
	for _, w := range []string{"WITHCOORD", "WITHDIST", "WITHHASH"} {
		if g.chance(3) && (!store || g.chance(8)) {
			opts = append(opts, []string{g.kw(w)})
		}
	}
	if g.chance(2) {
		opts = append(opts, []string{g.kw(g.pick([]string{"ASC", "DESC"}))})
	}
	if g.chance(2) {
		c := []string{g.kw("COUNT"), g.pick([]string{"1", "2", "3", "5", "100"})}
		if g.chance(20) {
			c[1] = g.pick([]string{"0", "-1", "abc"})
		}
		if g.chance(3) {
			c = append(c, g.kw("ANY"))
		}
		opts = append(opts, c)
	} else if g.chance(30) {
		opts = append(opts, []string{"ANY"})
	}
	if store && g.chance(2) {
		opts = append(opts, []string{g.kw(g.pick([]string{"STORE", "STOREDIST"})), g.pick([]string{"d1", "d2", "g3", "str"})})
	}
	if storedist && g.chance(3) {
		opts = append(opts, []string{g.kw("STOREDIST")})
	}
	if g.chance(40) {
		opts = append(opts, []string{g.pick([]string{"COUNT", "STORE", "BYBOX", "WITHSCORES"})})
	}
	return g.inAnyOrder(opts)
}

// shape is GEOSEARCH's FROM and BY options, in either order, now and
// then both FROMs, both BYs, or neither.
func (g *geoGen) shape() []string {
	var from, by []string
	if g.chance(2) {
		from = []string{g.kw("FROMMEMBER"), g.member()}
	} else {
		from = append([]string{g.kw("FROMLONLAT")}, g.lonLat()...)
	}
	if g.chance(2) {
		by = []string{g.kw("BYRADIUS"), g.radius(), g.unit()}
	} else {
		by = []string{g.kw("BYBOX"), g.radius(), g.radius(), g.unit()}
	}
	parts := [][]string{from, by}
	switch {
	case g.chance(30):
		parts = [][]string{from}
	case g.chance(30):
		parts = [][]string{by}
	case g.chance(30):
		parts = append(parts, []string{"FROMLONLAT", "0", "0"})
	case g.chance(30):
		parts = append(parts, []string{"BYRADIUS", "1", "km"})
	}
	return g.inAnyOrder(parts)
}

// command returns one random geo (or helper) command.
func (g *geoGen) command() []string {
	k := g.key()
	switch g.r.Intn(32) {
	case 0, 1, 2:
		args := []string{"GEOADD", k}
		for _, o := range []string{"NX", "XX", "CH"} {
			if g.chance(8) {
				args = append(args, g.kw(o))
			}
		}
		for i := 0; i <= g.r.Intn(3); i++ {
			args = append(args, g.lonLat()...)
			args = append(args, g.member())
		}
		if g.chance(30) && len(args) > 5 {
			args = args[:len(args)-1]
		}
		return args
	case 5, 6:
		args := []string{"GEOPOS", k}
		for i := 0; i <= g.r.Intn(3); i++ {
			args = append(args, g.member())
		}
		return args
	case 7:
		args := []string{"GEOHASH", k}
		for i := 0; i <= g.r.Intn(3); i++ {
			args = append(args, g.member())
		}
		return args
	case 8, 9, 10:
		args := []string{"GEODIST", k, g.member(), g.member()}
		if g.chance(2) {
			args = append(args, g.unit())
		}
		if g.chance(40) {
			args = append(args, "km")
		}
		return args
	case 11, 12, 13, 14, 15, 16:
		op := g.pick([]string{"GEOSEARCH", "GEOSEARCH", "GEOSEARCHSTORE"})
		args := []string{op}
		if op == "GEOSEARCHSTORE" {
			args = append(args, g.pick([]string{"d1", "d2", "g3", "str"}))
		}
		args = append(args, k)
		args = append(args, g.shape()...)
		args = append(args, g.options(false, op == "GEOSEARCHSTORE")...)
		// Redis refuses a wrong arity before MONITOR sees it.
		for len(args) < 7 || op == "GEOSEARCHSTORE" && len(args) < 8 {
			args = append(args, "ASC")
		}
		return args
	case 17, 18, 19:
		op := g.pick([]string{"GEORADIUS", "GEORADIUS_RO"})
		args := append([]string{op, k}, g.lonLat()...)
		args = append(args, g.radius(), g.unit())
		return append(args, g.options(op == "GEORADIUS" || g.chance(10), false)...)
	case 20, 21:
		op := g.pick([]string{"GEORADIUSBYMEMBER", "GEORADIUSBYMEMBER_RO"})
		args := []string{op, k, g.member(), g.radius(), g.unit()}
		return append(args, g.options(op == "GEORADIUSBYMEMBER" || g.chance(10), false)...)
	case 22:
		return []string{g.pick([]string{"ZRANGE", "ZRANGE", "ZREVRANGE"}), g.pick([]string{"g1", "g2", "g3", "d1", "d2"}), "0", "-1", "WITHSCORES"}
	case 23:
		return []string{g.pick([]string{"ZSCORE", "ZREM"}), g.pick([]string{"g1", "g2", "g3", "d1", "d2"}), g.member()}
	case 24:
		return []string{g.pick([]string{"ZCARD", "TYPE", "DEL", "EXISTS"}), g.pick([]string{"g1", "g2", "g3", "d1", "d2"})}
	case 25:
		// Scores no GEOADD gives: negative, fractional, huge, infinite.
		return []string{"ZADD", g.pick([]string{"odd", "g1", "g2"}), g.pick([]string{"-1", "1.5", "-inf", "inf", "4503599627370496",
			"9007199254740992", "1e30", "-1e30", "18446744073709551616", "9223372036854775808", "3471579339700058"}), g.member()}
	case 26:
		switch g.r.Intn(3) {
		case 0:
			return []string{"SET", "str", "v"}
		case 1:
			return []string{"RPUSH", "l1", "v"}
		}
		return []string{"COPY", g.pick([]string{"g1", "g2"}), g.pick([]string{"g3", "d1"}), "REPLACE"}
	}
	// A cluster: points around one site at one scale.
	args := []string{"GEOADD", g.pick(geoKeys)}
	site := g.sites[g.r.Intn(len(g.sites))]
	sc := []float64{1e-4, 1e-3, 0.01, 0.1, 1, 3}[g.r.Intn(6)]
	for i := 0; i <= 2+g.r.Intn(6); i++ {
		x, y := clamp(site[0]+(g.r.Float64()*2-1)*sc, site[1]+(g.r.Float64()*2-1)*sc/2)
		args = append(args, g.coord(x), g.coord(y), g.member())
	}
	return args
}

// bigAdd fills a key past the listpack encoding (over 128 members).
func (g *geoGen) bigAdd(conn int, key string, n int) {
	args := []string{"GEOADD", key}
	for i := 0; i < n; i++ {
		x, y := g.point()
		args = append(args, g.coord(x), g.coord(y), fmt.Sprintf("m%03d", i))
	}
	g.emit(conn, args...)
}

// transaction is a MULTI block of geo commands, sometimes WATCHed.
func (g *geoGen) transaction(conn int) {
	if g.chance(2) {
		g.emit(conn, "WATCH", g.pick(geoKeys))
		if g.chance(2) {
			g.emit(1-conn, g.command()...)
		}
	}
	g.emit(conn, "MULTI")
	for i := 0; i <= g.r.Intn(4); i++ {
		g.emit(conn, g.command()...)
	}
	g.emit(conn, "EXEC")
}

// session is one FLUSHALL-separated run of n commands.
func (g *geoGen) session(n int) []redistest.Cmd {
	g.out = nil
	g.newSites()
	if g.chance(2) {
		g.bigAdd(0, "big", 130+g.r.Intn(30))
	}
	for len(g.out) < n {
		conn := g.r.Intn(2)
		switch x := g.r.Intn(40); {
		case x == 0:
			g.transaction(conn)
		case x == 1:
			// A geo command from a script.
			g.emit(conn, pcallScript(g.command())...)
		default:
			g.emit(conn, g.command()...)
		}
	}
	return g.out
}

// geoEdges is a session of chosen cases: Redis's own example points,
// the limits, points that decode the same, searches whose boxes wrap the
// antimeridian and the poles, radius 0, ties in distance with COUNT (the
// partial sort's order), scores no GEOADD gives, errors in their order,
// the spelling of the command in GEOSEARCH's errors, and STORE over keys
// of other types.
func geoEdges() []redistest.Cmd {
	c0 := [][]string{
		{"GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"},
		{"GEODIST", "Sicily", "Palermo", "Catania"}, {"GEODIST", "Sicily", "Palermo", "Catania", "km"},
		{"GEODIST", "Sicily", "Palermo", "Catania", "mi"}, {"GEODIST", "Sicily", "Foo", "Bar"},
		{"GEORADIUS", "Sicily", "15", "37", "100", "km"}, {"GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHCOORD", "WITHHASH"},
		{"GEOPOS", "Sicily", "Palermo", "Catania", "NonExisting"}, {"GEOHASH", "Sicily", "Palermo", "Catania"},
		{"GEOADD", "Sicily", "13.583333", "37.316667", "Agrigento"},
		{"GEORADIUSBYMEMBER", "Sicily", "Agrigento", "100", "km"},
		{"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "ASC", "WITHCOORD", "WITHDIST"},
		{"GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "ASC", "COUNT", "3"},
		{"ZRANGE", "dst", "0", "-1", "WITHSCORES"},
		{"GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "ASC", "COUNT", "3", "STOREDIST"},
		{"ZCARD", "dst"}, {"TYPE", "dst"},
		{"GEOADD", "lim", "180", "85.05112878", "ne", "-180", "-85.05112878", "sw", "180", "-85.05112878", "se", "-180", "85.05112878", "nw", "0", "0", "o"},
		{"GEOPOS", "lim", "ne", "sw", "se", "nw", "o"}, {"GEOHASH", "lim", "ne", "sw", "se", "nw", "o"},
		{"ZRANGE", "lim", "0", "-1", "WITHSCORES"},
		{"GEORADIUS", "lim", "179", "85", "500", "km", "WITHCOORD"}, {"GEORADIUS", "lim", "-179", "-85", "500", "km", "WITHDIST"},
		{"GEOSEARCH", "lim", "FROMMEMBER", "ne", "BYBOX", "1000", "1000", "km", "WITHDIST"},
		{"GEOSEARCH", "lim", "FROMLONLAT", "0", "0", "BYRADIUS", "0", "m", "WITHDIST"},
		{"GEOSEARCH", "lim", "FROMLONLAT", "0", "0", "BYRADIUS", "30000", "km", "WITHDIST", "DESC"},
		{"GEOSEARCH", "lim", "FROMLONLAT", "0", "0", "BYRADIUS", "inf", "km", "COUNT", "2"},
		{"GEOADD", "dup", "1", "1", "a", "1", "1", "b", "1", "1", "c", "2", "2", "d", "1", "1", "e", "1", "1", "f", "1", "1", "g", "1", "1", "h",
			"1", "1", "i", "0", "0", "j", "1.0000001", "1", "k"},
		{"GEORADIUS", "dup", "1.5", "1.5", "200", "km", "COUNT", "3"}, {"GEORADIUS", "dup", "1.5", "1.5", "200", "km", "COUNT", "3", "DESC"},
		{"GEORADIUS", "dup", "1.5", "1.5", "200", "km", "COUNT", "8", "WITHDIST"}, {"GEORADIUS", "dup", "1.5", "1.5", "200", "km"},
		{"GEORADIUS", "dup", "1.5", "1.5", "200", "km", "COUNT", "2", "ANY"}, {"GEORADIUS", "dup", "1.5", "1.5", "200", "km", "COUNT", "2", "ANY", "DESC"},
		{"GEORADIUS", "dup", "1", "1", "0", "m", "WITHDIST", "COUNT", "4"}, {"GEORADIUS", "dup", "1.5", "1.5", "200", "km", "ASC"},
		{"GEORADIUS", "dup", "1.5", "1.5", "200", "km", "DESC", "WITHDIST"},
		{"GEOSEARCH", "dup", "FROMLONLAT", "1", "1", "BYBOX", "500", "500", "km", "COUNT", "3", "DESC"},
		{"ZADD", "weird", "-1", "neg", "1.5", "frac", "inf", "inf", "-inf", "minf", "4503599627370496", "b52", "1e30", "huge",
			"9223372036854775808", "two63", "18446744073709551616", "two64", "4503599627370495.5", "half"},
		{"GEOPOS", "weird", "neg", "frac", "inf", "minf", "b52", "huge", "two63", "two64", "half"},
		{"GEOHASH", "weird", "neg", "frac", "inf", "minf", "b52", "huge", "two63", "two64", "half"},
		{"GEODIST", "weird", "neg", "frac"}, {"GEODIST", "weird", "inf", "minf", "km"},
		{"GEOSEARCH", "weird", "FROMMEMBER", "frac", "BYRADIUS", "20000", "km", "WITHHASH", "WITHCOORD"},
		{"GEORADIUS", "weird", "0", "0", "1", "km", "WITHHASH"},
		{"GEOADD", "e", "200", "1", "x"}, {"GEOADD", "e", "1", "86", "x"}, {"GEOADD", "e", "inf", "0", "x"}, {"GEOADD", "e", "-0", "-0", "x"},
		{"GEOADD", "e", "1e-320", "0", "y"}, {"GEOADD", "e", "1", "1", "x", "181", "1", "y"}, {"GEOADD", "e", "XX", "NX", "1", "1", "x"},
		{"GEOADD", "e", "NX", "CH", "CH"}, {"GEOADD", "e", "GT", "1", "1", "x"}, {"GEOADD", "e", "INCR", "1", "1"}, {"GEOADD", "e", "1", "1", "x", "2"},
		{"GEOADD", "e", "abc", "1", "x"}, {"GEOADD", "e", "1", "abc", "x"}, {"GEOADD", "e", "1e400", "1", "x"},
		{"GEOPOS", "e", "x", "y"}, {"GEOADD", "e", "CH", "2", "2", "x", "3", "3", "z"}, {"GEOADD", "e", "XX", "CH", "4", "4", "x", "5", "5", "w"},
		{"GEOADD", "e", "NX", "6", "6", "x", "7", "7", "v"}, {"ZRANGE", "e", "0", "-1", "WITHSCORES"},
		{"SET", "str", "v"}, {"GEOADD", "str", "1", "1", "x"}, {"GEOADD", "str", "200", "1", "x"}, {"GEOPOS", "str", "x"}, {"GEODIST", "str", "a", "b"},
		{"GEODIST", "str", "a", "b", "yd"}, {"GEODIST", "missing", "a", "b", "yd"}, {"GEODIST", "missing", "a", "b"}, {"GEODIST", "e", "x", "z", "km", "x"},
		{"GEOHASH", "missing", "a"}, {"GEOPOS", "missing", "a"}, {"GEORADIUS", "str", "x", "y", "z", "w"},
		{"GEORADIUS", "missing", "200", "0", "1", "km"}, {"GEORADIUS", "missing", "0", "0", "-1", "km"}, {"GEORADIUS", "missing", "0", "0", "1", "yd"},
		{"GEORADIUS", "missing", "0", "0", "x", "yd"}, {"GEORADIUS", "missing", "0", "0", "1", "km", "STORE", "str"}, {"EXISTS", "str"},
		{"GEORADIUSBYMEMBER", "missing", "nomember", "x", "yd", "WITHDIST"}, {"GEORADIUSBYMEMBER", "e", "nomember", "1", "km"},
		{"GEORADIUSBYMEMBER", "e", "x", "x", "km"}, {"GEORADIUSBYMEMBER", "e", "x", "1", "km", "COUNT", "0"}, {"GEORADIUSBYMEMBER", "e", "x", "1", "km", "COUNT", "x"},
		{"GEORADIUSBYMEMBER", "e", "x", "1", "km", "ANY"}, {"GEORADIUSBYMEMBER", "e", "x", "1", "km", "STORE", "d", "WITHDIST"},
		{"GEORADIUSBYMEMBER_RO", "e", "x", "1", "km", "STORE", "d"}, {"GEORADIUSBYMEMBER", "e", "x", "1000", "km", "STORE", "d", "STOREDIST", "d2"},
		{"EXISTS", "d", "d2"}, {"ZRANGE", "d2", "0", "-1", "WITHSCORES"}, {"GEORADIUS", "e", "1", "1", "1", "km", "COUNT"},
		{"GEORADIUS", "e", "1", "1", "1", "km", "FROMMEMBER", "x"},
		{"GEOSEARCH", "e", "BYRADIUS", "1", "km", "ASC", "ASC"}, {"geosearch", "e", "FROMMEMBER", "x", "ASC", "WITHDIST", "WITHCOORD"}, {"GeoSearch", "e", "BYRADIUS", "1", "km", "ASC", "DESC"},
		{"GEOSEARCHSTORE", "d", "e", "BYBOX", "1", "1", "km", "ASC"}, {"geosearchstore", "d", "missing", "BYBOX", "1", "1", "km", "ASC"},
		{"GEOSEARCH", "e", "FROMMEMBER", "x", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km"}, {"GEOSEARCH", "e", "FROMLONLAT", "1", "1", "FROMMEMBER", "x", "BYRADIUS", "1", "km"},
		{"GEOSEARCH", "e", "FROMMEMBER", "x", "BYRADIUS", "1", "km", "BYBOX", "1", "1", "km"}, {"GEOSEARCH", "e", "FROMMEMBER", "nomember", "BYRADIUS", "1", "km"},
		{"GEOSEARCH", "missing", "FROMMEMBER", "nomember", "BYRADIUS", "1", "km"}, {"GEOSEARCH", "e", "FROMMEMBER", "x", "BYBOX", "1", "-1", "km"},
		{"GEOSEARCH", "e", "FROMMEMBER", "x", "BYBOX", "x", "1", "km"}, {"GEOSEARCH", "e", "FROMMEMBER", "x", "BYBOX", "1", "y", "km"},
		{"GEOSEARCH", "e", "FROMMEMBER", "x", "BYBOX", "1", "1", "yd"}, {"GEOSEARCH", "e", "FROMMEMBER", "x", "BYRADIUS", "1", "km", "STORE", "d"},
		{"GEOSEARCH", "e", "FROMMEMBER", "x", "BYRADIUS", "1", "km", "STOREDIST"}, {"GEOSEARCHSTORE", "d", "e", "FROMMEMBER", "x", "BYRADIUS", "1", "km", "WITHCOORD"},
		{"GEOSEARCHSTORE", "d", "e", "FROMMEMBER", "x", "BYRADIUS", "100000", "km", "STOREDIST", "STORE", "q"},
		{"GEOSEARCHSTORE", "str", "e", "FROMMEMBER", "x", "BYRADIUS", "100000", "km"}, {"TYPE", "str"},
		{"GEOSEARCHSTORE", "str", "e", "FROMMEMBER", "x", "BYRADIUS", "0", "km"}, {"EXISTS", "str"},
		{"GEOSEARCHSTORE", "str", "missing", "FROMMEMBER", "x", "BYRADIUS", "0", "km"},
		{"EVAL", "return redis.pcall('geosearch', 'e', 'frommember', 'x')", "0"},
		{"EVAL", "return redis.call('GEOPOS', 'e', 'x', 'v')", "0"},
		{"EVAL", "return redis.call('GEODIST', 'Sicily', 'Palermo', 'Catania')", "0"},
		{"MULTI"}, {"GEOADD", "t", "1", "2", "a"}, {"GEOSEARCH", "t", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "m", "WITHCOORD"},
		{"geoSearch", "t", "FROMLONLAT", "1", "2", "ASC", "DESC"}, {"EXEC"},
	}
	// Many points at a few places: ties everywhere, for the partial sort
	// of more than 40 points (its pivots are medians of medians).
	many := []string{"GEOADD", "many"}
	for i := 0; i < 60; i++ {
		many = append(many, strconv.Itoa(i%4), strconv.Itoa(i%3), fmt.Sprintf("p%02d", i))
	}
	c0 = append(c0, many)
	for _, c := range []string{"1", "5", "7", "13", "41", "59", "60"} {
		c0 = append(c0, []string{"GEORADIUS", "many", "1.2", "0.9", "1000", "km", "COUNT", c},
			[]string{"GEORADIUS", "many", "1.2", "0.9", "1000", "km", "COUNT", c, "DESC"},
			[]string{"GEOSEARCH", "many", "FROMMEMBER", "p07", "BYRADIUS", "1000", "km", "COUNT", c, "WITHDIST"})
	}
	return cmdsOf(0, c0...)
}

// TestGeoLive drives a real redis-server with thousands of random geo
// commands in FLUSHALL-separated sessions (and a session of chosen
// cases), replays each MONITOR capture with the model and requires every
// reply to agree or be labelled unknown (a replay that differs, after a
// store whose outcome the model did not know, must be labelled not exact
// when explained); it also explains a sample of the replies through the
// store and requires the explanation's output to be the real reply,
// exact only when the model knows it.
func TestGeoLive(t *testing.T) {
	g := &geoGen{liveGen: newLiveGen(envSeed("GEOSEED", 11))}
	found := 0
	lr := &liveRun{session: withEdges(g.session, 150, geoEdges), compareEval: true, minTotal: 5000}
	lr.judge = func(c liveReply) {
		if strings.HasPrefix(c.e.Op, "GEORADIUS") || strings.HasPrefix(c.e.Op, "GEOSEARCH") {
			if pv, _, err := redistest.Parse(c.r); err == nil && len(pv.Elems) >= 2 || pv.Type == ':' && string(c.r) != ":0\r\n" && string(c.r) != ":1\r\n" {
				found++
			}
		}
		if c.v == redis.NotModelled {
			lr.wrong(t, c, "not modelled")
			return
		}
		if c.v != redis.Differs && c.j >= 25 && c.j%6 != 0 {
			return
		}
		x := lr.explain(t, c)
		if c.v == redis.Differs {
			// A replay may differ only where what it read is labelled
			// (a store whose outcome the model did not know).
			if x.Exact {
				lr.wrong(t, c, "model replies %q, redis replied %q, labelled exact", c.out, c.r)
			} else {
				lr.laterLabel++
			}
			return
		}
		lr.count(x)
		lr.checkExplained(t, c, x)
	}
	lr.run(t, redistest.Start(t))
	lr.log(t, fmt.Sprintf("; %d searches found 2 points or more", found))
}

// readRESP3 reads one RESP2 or RESP3 reply, raw.
func readRESP3(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadBytes('\n')
	if err != nil {
		return nil, err
	}
	out := line
	body := strings.TrimSuffix(string(line[1:]), "\r\n")
	switch line[0] {
	case '$', '!', '=':
		n, _ := strconv.Atoi(body)
		if n < 0 {
			return out, nil
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		return append(out, b...), nil
	case '*', '~', '>', '%', '|':
		n, _ := strconv.Atoi(body)
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			x, err := readRESP3(r)
			if err != nil {
				return nil, err
			}
			out = append(out, x...)
		}
	}
	return out, nil
}

// TestGeoResp3Live checks the geo replies of a RESP3 connection (after
// HELLO 3: coordinates as doubles, a missing member's position as null)
// against the model's RESP2 replies, as a recording proxy would see them.
func TestGeoResp3Live(t *testing.T) {
	srv := redistest.Start(t)
	stop := monitor(t, srv.Addr)
	c, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rd := bufio.NewReader(c)
	cmds := [][]string{
		{"HELLO", "3"}, {"GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"},
		{"GEOPOS", "Sicily", "Palermo", "nosuch"}, {"GEODIST", "Sicily", "Palermo", "Catania"}, {"GEODIST", "Sicily", "Palermo", "nosuch"},
		{"GEOHASH", "Sicily", "Palermo", "nosuch"}, {"GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHCOORD", "WITHHASH", "ASC"},
		{"GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "500", "500", "km", "WITHCOORD"}, {"GEOPOS", "missing", "x"},
		{"RPUSH", "l", "b", "a"}, {"SORT", "l", "ALPHA", "GET", "#", "GET", "nokey"}, {"SORT", "nosuch"},
	}
	replies := map[string][]byte{}
	for _, a := range cmds {
		if _, err := c.Write(redistest.EncodeCommand(redistest.Args(a...)...)); err != nil {
			t.Fatal(err)
		}
		r, err := readRESP3(rd)
		if err != nil {
			t.Fatal(err)
		}
		replies[strings.Join(a, " ")] = r
	}
	_, evs := ingestCapture(t, "sqlite", stop())
	m := redis.Spec.Model()
	st := m.Init()
	for _, e := range evs {
		out := m.Apply(st, e)
		args := []string{e.Op}
		for _, a := range e.Args {
			args = append(args, string(a))
		}
		r := replies[strings.Join(args, " ")]
		if e.Op == "HELLO" || r == nil {
			continue
		}
		if v := redis.CompareReply(e, out, r); v != redis.Agree {
			t.Errorf("%s %q: model %q, redis (RESP3) %q: %s", e.Op, e.Args, out, r, v)
		}
	}
}

// TestGeoDistanceBoundsLive checks the model's bounds on distances
// against the bits redis-server computes: GEOSEARCHSTORE ... STOREDIST
// stores each distance as a score, which ZRANGE WITHSCORES prints with
// all 17 digits. Every one must lie within the model's span.
func TestGeoDistanceBoundsLive(t *testing.T) {
	srv := redistest.Start(t)
	c, err := srv.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	g := &geoGen{liveGen: newLiveGen(5)}
	rounds := scaled(60, 10)
	checked, exact, widest := 0, 0, 0
	for round := 0; round < rounds; round++ {
		g.newSites()
		args := []string{"GEOADD", "src"}
		for i := 0; i < 100; i++ {
			x, y := g.point()
			args = append(args, g.coord(x), g.coord(y), fmt.Sprintf("p%d", i))
		}
		if _, err := c.DoStrings("DEL", "src", "dst"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.DoStrings(args...); err != nil {
			t.Fatal(err)
		}
		x, y := g.point()
		cx, cy := g.coord(x), g.coord(y)
		if _, err := c.DoStrings("GEOSEARCHSTORE", "dst", "src", "FROMLONLAT", cx, cy, "BYRADIUS", "30000000", "m", "STOREDIST"); err != nil {
			t.Fatal(err)
		}
		pos, err := c.DoStrings("ZRANGE", "src", "0", "-1", "WITHSCORES")
		if err != nil {
			t.Fatal(err)
		}
		dist, err := c.DoStrings("ZRANGE", "dst", "0", "-1", "WITHSCORES")
		if err != nil {
			t.Fatal(err)
		}
		score := map[string]float64{}
		pv, _, _ := redistest.Parse(pos)
		for i := 0; i+1 < len(pv.Elems); i += 2 {
			f, _ := strconv.ParseFloat(string(pv.Elems[i+1].Str), 64)
			score[string(pv.Elems[i].Str)] = f
		}
		clon, _ := strconv.ParseFloat(cx, 64)
		clat, _ := strconv.ParseFloat(cy, 64)
		dv, _, _ := redistest.Parse(dist)
		for i := 0; i+1 < len(dv.Elems); i += 2 {
			m := string(dv.Elems[i].Str)
			d, _ := strconv.ParseFloat(string(dv.Elems[i+1].Str), 64)
			lon, lat := redis.GeoScoreLonLat(score[m])
			lo, hi, ex := redis.GeoDistanceBounds(clon, clat, lon, lat)
			checked++
			if ex {
				exact++
			}
			if d < lo || d > hi {
				t.Errorf("distance from (%s, %s) to %s (%v, %v): redis %v, outside the model's [%v, %v]", cx, cy, m, lon, lat, d, lo, hi)
			}
			steps := 0
			for v := lo; v < hi && steps < 100000; steps++ {
				v = math.Nextafter(v, hi)
			}
			if steps > widest {
				widest = steps
				t.Logf("widest so far: %d doubles, from (%s, %s) to (%v, %v): [%v, %v], redis %v", steps, cx, cy, lon, lat, lo, hi, d)
			}
		}
	}
	if checked < 1000 && !testing.Short() {
		t.Errorf("checked %d distances, want at least 1000", checked)
	}
	t.Logf("%d distances checked against redis-server's bits, %d of them exact in the model; widest span %d doubles", checked, exact, widest)
}

// TestGeoSearchStressLive searches a set of thousands of points spread
// over the globe (and clustered, and on its limits) with hundreds of
// random shapes of every scale, where Redis's choice of boxes and its
// approximations decide which points it finds: every reply must agree or
// be labelled unknown.
func TestGeoSearchStressLive(t *testing.T) {
	srv := redistest.Start(t)
	g := &geoGen{liveGen: newLiveGen(9)}
	g.newSites()
	n, searches := scaled(3000, 600), scaled(600, 100)
	var cmds []redistest.Cmd
	for i := 0; i < n; i += 100 {
		args := []string{"GEOADD", "world"}
		for j := i; j < i+100; j++ {
			x, y := g.r.Float64()*360-180, g.r.Float64()*170.2-85.1
			if j%3 == 0 {
				x, y = g.point()
			}
			x, y = clamp(x, y)
			args = append(args, g.coord(x), g.coord(y), fmt.Sprintf("p%d", j))
		}
		cmds = append(cmds, redistest.Cmd{Args: redistest.Args(args...)})
	}
	scales := []float64{1, 100, 1e4, 1e5, 5e5, 1e6, 3e6, 6e6, 1e7, 2e7}
	for i := 0; i < searches; i++ {
		x, y := g.r.Float64()*360-180, g.r.Float64()*170.2-85.1
		if g.chance(2) {
			x, y = g.point()
		}
		x, y = clamp(x, y)
		r := scales[g.r.Intn(len(scales))] * (0.5 + g.r.Float64())
		opts := []string{"WITHDIST"}
		if g.chance(2) {
			opts = append(opts, "ASC", "COUNT", strconv.Itoa(1+g.r.Intn(20)))
		}
		var args []string
		switch g.r.Intn(3) {
		case 0:
			args = []string{"GEORADIUS", "world", g.coord(x), g.coord(y), strconv.FormatFloat(r, 'f', 3, 64), "m"}
		case 1:
			args = []string{"GEOSEARCH", "world", "FROMLONLAT", g.coord(x), g.coord(y), "BYBOX",
				strconv.FormatFloat(r, 'f', 3, 64), strconv.FormatFloat(r*(0.2+g.r.Float64()*2), 'f', 3, 64), "m"}
		default:
			args = []string{"GEOSEARCH", "world", "FROMMEMBER", fmt.Sprintf("p%d", g.r.Intn(n)), "BYRADIUS", strconv.FormatFloat(r/1000, 'f', 6, 64), "km"}
		}
		cmds = append(cmds, redistest.Cmd{Args: redistest.Args(append(args, opts...)...)})
	}
	_, evs, real := runStored(t, srv, cmds)
	m := redis.Spec.Model()
	st := m.Init()
	compared, labelled, found := 0, 0, 0
	for _, e := range evs {
		out := m.Apply(st, e)
		if e.Op == "GEOADD" {
			continue
		}
		compared++
		switch v := redis.CompareReply(e, out, real[e]); v {
		case redis.Agree:
			if pv, _, err := redistest.Parse(real[e]); err == nil {
				found += len(pv.Elems)
			}
		case redis.Labelled:
			labelled++
		default:
			t.Errorf("%s %q: model %.300q, redis %.300q (%s)", e.Op, e.Args, out, real[e], v)
		}
	}
	t.Logf("%d points, %d searches compared (%d points found in all), %d labelled unknown", n, compared, found, labelled)
}
