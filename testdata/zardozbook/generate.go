//go:build ignore

// generate writes the ZardozBook scenario of the paper (Whittaker et al.,
// SoCC 2018, section 3.1), with Redis as the store: a load balancer (lb)
// forwards users' requests to three application servers (app1, app2, app3),
// which keep friendships and feeds in Redis. Ava unfriends Bob (via app1),
// then posts "Bob is a big jerk!" (via app2, which checks the friendship
// and pushes the post to Bob's feed). The unfriend reaches Redis only
// after app2's check, so Bob (via app3) sees the post.
//
// It writes one JSON log per service and the Redis server's MONITOR
// capture, which gives the store's order; the services' records of their
// Redis calls are linked to it by content, connection and time. Run from
// the repository root:
//
//	go run testdata/zardozbook/generate.go testdata/zardozbook
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

var (
	dir   = os.Args[1]
	t0    = time.Date(2026, 11, 24, 18, 0, 0, 0, time.UTC)
	logs  = map[string]*os.File{}
	mon   *os.File
	conns = map[string]string{"app1": "10.0.1.1:40001", "app2": "10.0.1.2:40002", "app3": "10.0.1.3:40003"}
)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func logLine(service string, ms int, m map[string]any) {
	f := logs[service]
	if f == nil {
		var err error
		if f, err = os.Create(filepath.Join(dir, service+".log")); err != nil {
			panic(err)
		}
		logs[service] = f
	}
	m["ts"] = at(ms).Format("2006-01-02T15:04:05.000Z")
	m["service"] = service
	b, _ := json.Marshal(m)
	f.Write(append(b, '\n'))
}

// redis logs a call in the service's log (sent at ms) and, 1 ms later, the
// server's MONITOR line.
func redis(service string, ms int, id, parent string, reply any, args ...string) {
	logLine(service, ms, map[string]any{"kind": "redis.call", "id": id, "parent_id": parent, "cmd": args[0],
		"args": args[1:], "conn": conns[service], "reply": reply})
	t := at(ms + 1)
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = fmt.Sprintf("%q", a)
	}
	fmt.Fprintf(mon, "%d.%06d [0 %s] %s\n", t.Unix(), t.Nanosecond()/1000, conns[service], strings.Join(q, " "))
}

func main() {
	var err error
	if mon, err = os.Create(filepath.Join(dir, "monitor.log")); err != nil {
		panic(err)
	}
	fmt.Fprintln(mon, "OK")
	// Long ago, Ava and Bob became friends (through app1).
	logLine("lb", 0, map[string]any{"kind": "http.request", "id": "L1", "method": "POST", "path": "/friends", "user": "ava", "body": map[string]string{"friend": "bob"}})
	logLine("lb", 1, map[string]any{"kind": "http.call", "id": "L2", "parent_id": "L1", "to": "app1", "method": "POST", "path": "/friends"})
	logLine("app1", 2, map[string]any{"kind": "http.request", "id": "A1", "parent_id": "L2", "method": "POST", "path": "/friends"})
	redis("app1", 3, "A2", "A1", 1, "SADD", "friends:ava", "bob")
	logLine("app1", 5, map[string]any{"kind": "http.response", "id": "A1", "status": 200})
	// Ava unfriends Bob: app1 is slow to write it.
	logLine("lb", 1000, map[string]any{"kind": "http.request", "id": "L3", "method": "POST", "path": "/unfriend", "user": "ava", "body": map[string]string{"friend": "bob"}})
	logLine("lb", 1001, map[string]any{"kind": "http.call", "id": "L4", "parent_id": "L3", "to": "app1", "method": "POST", "path": "/unfriend"})
	logLine("app1", 1002, map[string]any{"kind": "http.request", "id": "A3", "parent_id": "L4", "method": "POST", "path": "/unfriend"})
	// Ava posts through app2, which checks the friendship and fans out.
	logLine("lb", 1010, map[string]any{"kind": "http.request", "id": "L5", "method": "POST", "path": "/status", "user": "ava", "body": map[string]string{"text": "Bob is a big jerk!"}})
	logLine("lb", 1011, map[string]any{"kind": "http.call", "id": "L6", "parent_id": "L5", "to": "app2", "method": "POST", "path": "/status"})
	logLine("app2", 1012, map[string]any{"kind": "http.request", "id": "B1", "parent_id": "L6", "method": "POST", "path": "/status", "body": map[string]string{"text": "Bob is a big jerk!"}})
	redis("app2", 1013, "B2", "B1", 1, "SISMEMBER", "friends:ava", "bob")
	redis("app2", 1015, "B3", "B1", 1, "RPUSH", "feed:bob", "ava: Bob is a big jerk!")
	logLine("app2", 1017, map[string]any{"kind": "http.response", "id": "B1", "status": 201})
	// The unfriend arrives at Redis only now.
	redis("app1", 1020, "A4", "A3", 1, "SREM", "friends:ava", "bob")
	logLine("app1", 1022, map[string]any{"kind": "http.response", "id": "A3", "status": 200})
	// Bob reads his feed through app3.
	logLine("lb", 2000, map[string]any{"kind": "http.request", "id": "L7", "method": "GET", "path": "/feed", "user": "bob"})
	logLine("lb", 2001, map[string]any{"kind": "http.call", "id": "L8", "parent_id": "L7", "to": "app3", "method": "GET", "path": "/feed"})
	logLine("app3", 2002, map[string]any{"kind": "http.request", "id": "C1", "parent_id": "L8", "method": "GET", "path": "/feed"})
	redis("app3", 2003, "C2", "C1", []string{"ava: Bob is a big jerk!"}, "LRANGE", "feed:bob", "0", "-1")
	logLine("app3", 2005, map[string]any{"kind": "http.response", "id": "C1", "status": 200, "body": []string{"ava: Bob is a big jerk!"}})
	for _, f := range logs {
		f.Close()
	}
	mon.Close()
}
