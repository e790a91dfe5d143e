package redis_test

import "testing"

// geoWords are the geo family's placeholders: longitudes "x" and
// latitudes "y" on a coarse grid with the limits (so that points
// coincide, sit on the antimeridian and at the poles' limits), members
// "m", radii "r" from 0 to beyond the Earth, units "u", and scores "s"
// no GEOADD gives.
var geoWords = map[string][]string{
	"x": {"0", "1", "180", "-180", "0.5"},
	"y": {"0", "1", "85.05112878", "-85.05112878"},
	"m": {"p", "q"},
	"r": {"0", "100", "200000", "30000000"},
	"u": {"km", "m"},
	"s": {"1", "-1", "3471579339700058", "inf"},
}

var geoFamilies = []family{
	{name: "geo", words: geoWords, writes: []string{
		"GEOADD k x y m", "GEOADD k x y m x y m", "GEOADD k NX x y m", "GEOADD k XX CH x y m", "GEOADD k x y m",
		"ZADD k s m", "ZREM k m", "DEL k", "SET k v",
		"GEORADIUS k x y r u STORE k", "GEORADIUS k x y r u COUNT 1 STORE k", "GEORADIUSBYMEMBER k m r u STORE k",
		"GEOSEARCHSTORE k k FROMMEMBER m BYRADIUS r u", "GEOSEARCHSTORE k k FROMLONLAT x y BYBOX r r u COUNT 1",
		"GEOSEARCHSTORE k k FROMMEMBER m BYRADIUS 0 m STOREDIST",
	}, targets: []string{
		"GEOPOS k m m", "GEODIST k m m", "GEODIST k m m u", "GEOHASH k m m", "GEORADIUS k x y r u WITHDIST",
		"GEORADIUS_RO k x y r u COUNT 1", "GEORADIUS k x y r u ASC WITHHASH", "GEORADIUSBYMEMBER k m r u WITHCOORD",
		"GEORADIUSBYMEMBER_RO k m r u DESC", "GEOSEARCH k FROMMEMBER m BYBOX r r u ASC", "GEOSEARCH k FROMLONLAT x y BYRADIUS r u COUNT 1 ANY",
		"GEOSEARCHSTORE k k FROMMEMBER m BYRADIUS r u", "GEORADIUS k x y r u STORE k", "GEOADD k CH x y m",
		"ZRANGE k 0 -1 WITHSCORES", "ZCARD k", "TYPE k",
	}},
}

// TestGeoEqualsBruteForce checks the geo commands' witnesses against the
// definition on thousands of random traces.
func TestGeoEqualsBruteForce(t *testing.T) { runFamilies(t, geoFamilies) }
