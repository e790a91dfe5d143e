#!/usr/bin/env bash
# capture-monitor.sh [OUT] records a real `redis-cli monitor` capture of a
# small session into OUT (default: monitor.log next to this script).
#
# It starts a throwaway redis-server on 127.0.0.1 (a free port, no
# persistence), drives a session with redis-cli, and always stops the
# server and the monitor by pid, even on error.
#
# The session is an incident: the profile of user 42 is renamed in the
# primary store (db 1) inside a MULTI/EXEC that also "invalidates" the
# cache key user:42:name, but the DEL runs in db 1 while the cache lives
# in db 0, so the last GET of user:42:name still returns "alice" from the
# SET made at the start. The counter page:views is bumped by clients and
# by a Lua script; one INCR hits a non-integer value and fails, which
# MONITOR still logs.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/monitor.log}
command -v redis-server >/dev/null || { echo "capture-monitor.sh: redis-server not found" >&2; exit 1; }
command -v redis-cli >/dev/null || { echo "capture-monitor.sh: redis-cli not found" >&2; exit 1; }

tmp=$(mktemp -d)
server_pid=
monitor_pid=
cleanup() {
	if [ -n "$monitor_pid" ]; then kill "$monitor_pid" 2>/dev/null || true; wait "$monitor_pid" 2>/dev/null || true; fi
	if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# A free TCP port on 127.0.0.1: ask the kernel, or probe for one nobody
# listens on.
free_port() {
	if command -v python3 >/dev/null; then
		python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
		return
	fi
	local p
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	echo "capture-monitor.sh: no free port found" >&2
	return 1
}
port=$(free_port)

redis-server --bind 127.0.0.1 --port "$port" --dir "$tmp" \
	--save '' --appendonly no --daemonize no --logfile "$tmp/server.log" &
server_pid=$!

cli() { redis-cli -h 127.0.0.1 -p "$port" "$@"; }

for _ in $(seq 100); do
	cli ping >/dev/null 2>&1 && break
	sleep 0.05
done
cli ping >/dev/null

# redis-cli itself, not a subshell running cli, so that $! is its pid.
redis-cli -h 127.0.0.1 -p "$port" monitor >"$tmp/monitor.log" &
monitor_pid=$!
for _ in $(seq 100); do
	[ -s "$tmp/monitor.log" ] && break
	sleep 0.05
done
[ -s "$tmp/monitor.log" ] || { echo "capture-monitor.sh: monitor did not attach" >&2; exit 1; }

# Quiet: the replies are not part of the capture.
{
	# db 1 is the primary store, db 0 the cache.
	cli -n 1 hset user:42 name alice email alice@example.com
	cli -n 1 hset user:7 name bob email bob@example.com
	cli set user:42:name alice EX 3600
	cli get user:42:name
	cli ttl user:42:name
	cli incr page:views
	cli incr page:views
	cli mset user:7:name bob user:8:name $'h\xc3\xa9l\xc3\xa8ne' # unicode, sent as UTF-8 bytes
	cli expire user:7:name 60
	cli append log:42 'login;'
	cli append log:42 'view:/home;'
	cli sadd online 42 7
	cli -n 1 lpush queue:emails welcome:42
	cli incr page:views
	cli incrby page:views 10
	cli smembers online
	cli mget user:7:name user:8:name
	cli eval "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('INCR', KEYS[2])" 2 user:42:seen page:views 1795540000

	# The profile update: the cache DEL runs in db 1, not db 0.
	cli -n 1 <<'EOF'
MULTI
HSET user:42 name Alicia
DEL user:42:name
LPUSH queue:emails renamed:42
EXEC
EOF

	cli -n 1 hgetall user:42
	cli -n 1 lrange queue:emails 0 -1
	# A page render: three reads pipelined on one connection.
	printf '%s\n' 'GET user:42:name' 'GET page:views' 'GET log:42' | cli
	cli get user:42:name # still "alice": stale
	cli -n 1 hget user:42 name
	cli incr page:views
	cli incr user:42:name || true # fails: not an integer, still logged
	cli set note:42 $'said "hi" \\o/\nthen left' # quote, backslash, newline
	cli set blob:42 $'\x01\x02\xff\xfe' # binary
	cli set greeting:42 $'h\xc3\xa9llo \xe2\x98\x83' # unicode
	cli set motd "it's up" # an apostrophe and a space stay literal
	cli get || true # wrong arity: rejected before execution, not logged
	cli rename user:8:name user:8:display
	cli -n 2 set session:9f1c alice EX 1800
	cli -n 2 get session:9f1c
	cli del log:42
	cli exists user:7:name
	cli get page:views
	cli get user:42:name
} >/dev/null 2>&1

sleep 0.2 # let the monitor print the last lines
kill "$monitor_pid"
wait "$monitor_pid" 2>/dev/null || true
monitor_pid=
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=

mkdir -p "$(dirname "$out")"
cp "$tmp/monitor.log" "$out"
echo "capture-monitor.sh: $(wc -l <"$out") lines in $out" >&2
