#!/bin/sh
# postgres.sh start DIR [PORT] — start a throwaway PostgreSQL cluster for
# wat's tests and benchmarks: Debian's postgresql server, its own data
# directory under DIR (made the first time; started again after), on
# 127.0.0.1 only (and a socket in DIR); prints the DSN. Run as root, the
# server runs as the postgres user.
# postgres.sh stop DIR — stop that server by its pid and wait for it.
set -eu
cmd=${1:?start|stop}
dir=${2:?directory}
port=${3:-25432}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] || { echo "postgres.sh: no /usr/lib/postgresql/*/bin: apt-get install postgresql" >&2; exit 1; }
as=""
if [ "$(id -u)" = 0 ]; then
	as="runuser -u postgres --"
fi
case $cmd in
start)
	mkdir -p "$dir"
	[ -z "$as" ] || chown postgres "$dir"
	if [ ! -f "$dir/data/PG_VERSION" ]; then # else: start the cluster made before
		$as "$bindir/initdb" -D "$dir/data" -U wat --auth=trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
			{ cat "$dir/initdb.log" >&2; exit 1; }
	fi
	$as "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $dir" start >/dev/null ||
		{ cat "$dir/server.log" >&2; exit 1; }
	head -n 1 "$dir/data/postmaster.pid" >"$dir/pid"
	echo "postgres://wat@127.0.0.1:$port/postgres?sslmode=disable"
	;;
stop)
	pid=$(cat "$dir/pid")
	kill -INT "$pid" 2>/dev/null || exit 0 # fast shutdown
	i=0
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 300 ] || { echo "postgres.sh: server $pid did not stop" >&2; exit 1; }
		sleep 0.1
	done
	;;
*)
	echo "postgres.sh: start|stop DIR [PORT]" >&2
	exit 2
	;;
esac
