#!/usr/bin/env bash
# Regenerates command-info.json and command-docs.json: what a real
# redis-server says of every command it knows (COMMAND INFO and COMMAND
# DOCS), sorted by name so that the files only change when Redis does.
# The command table (specs/redis/table_*.go) is checked against them by
# TestTableMatchesCommandInfo. Needs redis-server, redis-cli (7.0 or later,
# for --json) and python3; the server listens on 127.0.0.1 only and is
# stopped by its pid.
set -euo pipefail
cd "$(dirname "$0")"
dir=$(mktemp -d)
port=$((20000 + RANDOM % 10000))
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" --daemonize no >"$dir/server.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 50); do redis-cli -p "$port" PING >/dev/null 2>&1 && break; sleep 0.1; done
version=$(redis-cli -p "$port" INFO server | tr -d '\r' | sed -n 's/^redis_version://p')
redis-cli -p "$port" --json COMMAND INFO >"$dir/info.json"
redis-cli -p "$port" --json COMMAND DOCS >"$dir/docs.json"
python3 - "$dir" "$version" <<'PY'
import json, sys
d, version = sys.argv[1], sys.argv[2]
info = json.load(open(d + "/info.json"))
def norm(c):
    c = list(c)
    c[9] = sorted((norm(s) for s in c[9]), key=lambda s: s[0])
    return c
info = sorted((norm(c) for c in info), key=lambda c: c[0])
def dump(path, items):
    # One command a line, so that a diff names the commands that changed.
    with open(path, "w") as f:
        f.write('{"redis_version": %s, "commands": [\n' % json.dumps(version))
        f.write(",\n".join(json.dumps(x, sort_keys=True) for x in items))
        f.write("\n]}\n")
dump("command-info.json", info)
docs = json.load(open(d + "/docs.json"))
dump("command-docs.json", [dict(doc, name=name) for name, doc in sorted(docs.items())])
PY
echo "redis $version: $(python3 -c 'import json; print(len(json.load(open("command-info.json"))["commands"]))') commands"
