//go:build ignore

// generate writes app.log, the JSON-lines log of an API server that keeps
// user profiles in a versioned S3 bucket and caches them in Redis (read
// through: a cache miss reads S3 and fills the cache), with a planted
// bug: the handler that renames a user invalidates the cache under a
// misspelt key, so a later profile read serves the old name. Other users'
// traffic is noise. Run from the repository root:
//
//	go run testdata/multiservice/generate.go > testdata/multiservice/app.log
package main

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"time"
)

var (
	out   = json.NewEncoder(os.Stdout)
	clock = time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	ids   = 0
	rng   = rand.New(rand.NewSource(42))
)

func line(m map[string]any) {
	clock = clock.Add(time.Duration(3+rng.Intn(5)) * time.Millisecond)
	m["ts"] = clock.Format("2006-01-02T15:04:05.000Z")
	m["service"] = "api"
	if err := out.Encode(m); err != nil {
		panic(err)
	}
}

func id(prefix string) string { ids++; return fmt.Sprintf("%s%d", prefix, ids) }

func request(method, path string, body any) string {
	h := id("h")
	m := map[string]any{"kind": "http.request", "id": h, "method": method, "path": path, "remote_addr": "10.0.9.4:51000"}
	if body != nil {
		m["body"] = body
	}
	line(m)
	return h
}

func redis(parent, cmd string, args []any, reply any) {
	line(map[string]any{"kind": "redis.call", "id": id("c"), "parent_id": parent, "cmd": cmd, "args": args, "reply": reply})
}

func s3(parent, op, bucket, key, version string, size int, status int) {
	m := map[string]any{"kind": "s3.call", "id": id("c"), "parent_id": parent, "op": op, "bucket": bucket, "key": key, "status": status}
	if version != "" {
		m["version_id"] = version
	}
	if size > 0 {
		m["size"] = size
	}
	line(m)
}

func respond(h string, status int, body any) {
	line(map[string]any{"kind": "http.response", "id": h, "status": status, "body": body})
}

func profile(name string) string {
	b, _ := json.Marshal(map[string]string{"name": name})
	return string(b)
}

// noise is another user's profile read, cache hit or miss.
func noise() {
	u := fmt.Sprintf("u%d", 1+rng.Intn(9))
	h := request("GET", "/users/"+u+"/profile", nil)
	key := "profile:" + u
	name := fmt.Sprintf("user %s", u)
	if rng.Intn(2) == 0 {
		redis(h, "GET", []any{key}, nil)
		s3(h, "GetObject", "profiles", u+".json", "", 17, 200)
		redis(h, "SET", []any{key, profile(name), "EX", 3600}, "OK")
	} else {
		redis(h, "GET", []any{key}, profile(name))
	}
	respond(h, 200, map[string]string{"name": name})
}

func main() {
	line(map[string]any{"level": "info", "msg": "listening on :8080"})
	for i := 0; i < 4; i++ {
		noise()
	}
	// u42 signs up: the profile goes to S3 (version v1).
	h := request("PUT", "/users/u42/profile", map[string]string{"name": "alice"})
	s3(h, "PutObject", "profiles", "u42.json", "v1", 17, 200)
	respond(h, 201, map[string]string{"name": "alice"})
	for i := 0; i < 3; i++ {
		noise()
	}
	// The first read misses the cache, reads S3 and fills the cache.
	h = request("GET", "/users/u42/profile", nil)
	redis(h, "GET", []any{"profile:u42"}, nil)
	s3(h, "GetObject", "profiles", "u42.json", "v1", 17, 200)
	redis(h, "SET", []any{"profile:u42", profile("alice")}, "OK")
	respond(h, 200, map[string]string{"name": "alice"})
	for i := 0; i < 3; i++ {
		noise()
	}
	// u42 renames to alicia: S3 gets version v2, but the cache is
	// invalidated under a misspelt key.
	h = request("PUT", "/users/u42/profile", map[string]string{"name": "alicia"})
	s3(h, "PutObject", "profiles", "u42.json", "v2", 18, 200)
	redis(h, "DEL", []any{"profile:42"}, 0)
	respond(h, 200, map[string]string{"name": "alicia"})
	for i := 0; i < 3; i++ {
		noise()
	}
	// The stale read.
	h = request("GET", "/users/u42/profile", nil)
	redis(h, "GET", []any{"profile:u42"}, profile("alice"))
	respond(h, 200, map[string]string{"name": "alice"})
	line(map[string]any{"level": "info", "msg": "shutting down"})
}
