#!/bin/sh
# capture.sh regenerates audit.log and txn.log: a real ZooKeeper (the
# Debian zookeeper package, with slf4j-log4j12 and log4j 1.2 on the
# classpath so it logs at all) started on 127.0.0.1 on a free port with
# audit logging on, driven by zkCli (creates, a config update, a failed
# create, an ephemeral node, a failed delete, a bad-version setData, a
# sequential node, a delete), then by kazoo (kazoo_session.py: multis,
# ACLs, sequential and ephemeral nodes; python3-kazoo for /usr/bin/python3),
# stopped by its pid; txn.log is what TxnLogToolkit prints of its
# transaction log.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/data" "$work/conf" "$work/logs"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/conf/zoo.cfg" <<CFG
tickTime=2000
dataDir=$work/data
clientPort=$port
clientPortAddress=127.0.0.1
admin.enableServer=false
audit.enable=true
CFG
cat > "$work/conf/log4j.properties" <<CFG
log4j.rootLogger=INFO, SERVER
log4j.appender.SERVER=org.apache.log4j.FileAppender
log4j.appender.SERVER.File=$work/logs/server.log
log4j.appender.SERVER.layout=org.apache.log4j.PatternLayout
log4j.appender.SERVER.layout.ConversionPattern=%d{ISO8601} %p %c{2}: %m%n
log4j.logger.org.apache.zookeeper.audit.Slf4jAuditLogger=INFO, AUDIT
log4j.additivity.org.apache.zookeeper.audit.Slf4jAuditLogger=false
log4j.appender.AUDIT=org.apache.log4j.FileAppender
log4j.appender.AUDIT.File=$work/logs/audit.log
log4j.appender.AUDIT.layout=org.apache.log4j.PatternLayout
log4j.appender.AUDIT.layout.ConversionPattern=%d{ISO8601} %p %c{2}: %m%n
CFG
j=/usr/share/java
cp="$work/conf:$j/zookeeper.jar:$j/zookeeper-jute.jar:$j/slf4j-api.jar:$j/slf4j-log4j12.jar:$j/log4j-1.2.jar:$j/netty-all.jar:$j/commons-cli.jar:$j/metrics-core.jar:$j/jline.jar:$j/snappy-java.jar"
java -cp "$cp" -Dlog4j.configuration="file:$work/conf/log4j.properties" org.apache.zookeeper.server.ZooKeeperServerMain "$work/conf/zoo.cfg" > "$work/logs/stdout.log" 2>&1 &
pid=$!
for i in $(seq 50); do grep -q "audit is enabled" "$work/logs/server.log" 2>/dev/null && break; sleep 0.2; done
java -cp "$cp" -Dlog4j.configuration="file:$work/conf/log4j.properties" org.apache.zookeeper.ZooKeeperMain -server "127.0.0.1:$port" > "$work/logs/cli.log" 2>&1 <<CLI
create /app ""
create /app/config "max_conn=100"
set /app/config "max_conn=300"
get /app/config
create /app/config "dup"
create -e /app/lock "me"
delete /app/missing
set -v 9 /app/config "bad"
create -s /app/seq- "x"
create /app/old "gone"
delete /app/old
set /app/config "max_conn=300"
get /app/config
quit
CLI
/usr/bin/python3 "$here/kazoo_session.py" "127.0.0.1:$port"
sleep 0.5
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
cp "$work/logs/audit.log" "$here/audit.log"
java -cp "$cp" -Dlog4j.configuration="file:$work/conf/log4j.properties" org.apache.zookeeper.server.persistence.TxnLogToolkit "$work/data/version-2/log.1" > "$here/txn.log"
wc -l "$here/audit.log" "$here/txn.log"
