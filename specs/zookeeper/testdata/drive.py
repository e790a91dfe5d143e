"""Drives a real ZooKeeper with kazoo for the live test and records every
reply kazoo reads, as a client log wat ingests (the zkclient JSON-lines
mapping, with the reply header's zxid as "zxid"): one JSON line per call,
{"ts", "kind": "zk.call", "session", "op", "args", "reply", "zxid"}.

Usage: drive.py HOST:PORT CLIENT_LOG            (the whole run)
       drive.py HOST:PORT CLIENT_LOG --expiring  (a session left to expire)

The reply is what the server sent, as JSON: {"path"}, {"stat"} (the Stat
without its times), {"data", "stat"}, {"children"}, {"acl", "stat"},
{"results": [...]} for a multi, {} for a delete or a close, or
{"error": "NoNode"} (the exception's name without "Error").
"""
import datetime
import json
import os
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import KazooException, LockTimeout
from kazoo.protocol import serialization as ser
from kazoo.protocol.connection import ConnectionHandler
from kazoo.security import make_acl, make_digest_acl

HOSTS, OUT = sys.argv[1], sys.argv[2]
out_lock = threading.Lock()
out = open(OUT, "a")

FLAGS = {0: "persistent", 1: "ephemeral", 2: "persistent_sequential", 3: "ephemeral_sequential", 4: "container"}


def acl_text(acls):
    return ",".join("%d:%s:%s" % (a.perms, a.id.scheme, a.id.id) for a in acls or [])


def data_text(b):
    return (b or b"").decode("utf-8", "replace")


def stat(s):
    if s is None:
        return None
    return {"czxid": s.czxid, "mzxid": s.mzxid, "pzxid": s.pzxid, "version": s.version, "cversion": s.cversion,
            "aversion": s.aversion, "ephemeralOwner": s.ephemeralOwner, "dataLength": s.dataLength,
            "numChildren": s.numChildren}


def err(e):
    return {"error": type(e).__name__.replace("Error", "")}


def sub_args(op):
    if isinstance(op, (ser.Create, ser.Create2)):
        return ["create", op.path, data_text(op.data), acl_text(op.acl), FLAGS.get(op.flags, str(op.flags))]
    if isinstance(op, ser.Delete):
        return ["delete", op.path, str(op.version)]
    if isinstance(op, ser.SetData):
        return ["setData", op.path, data_text(op.data), str(op.version)]
    if isinstance(op, ser.CheckVersion):
        return ["check", op.path, str(op.version)]
    return [type(op).__name__]


def call(request):
    """The op and arguments of a request, as the client log writes them."""
    if isinstance(request, ser.Transaction):
        args = []
        for op in request.operations:
            args += sub_args(op)
        return "multi", args
    if isinstance(request, (ser.Create, ser.Create2, ser.Delete, ser.SetData, ser.CheckVersion)):
        a = sub_args(request)
        return ("create2" if isinstance(request, ser.Create2) else a[0]), a[1:]
    names = {ser.GetData: "getData", ser.Exists: "exists", ser.GetChildren: "getChildren",
             ser.GetChildren2: "getChildren2", ser.GetACL: "getACL", ser.Sync: "sync", ser.Close: "close"}
    for t, name in names.items():
        if isinstance(request, t):
            return name, ([request.path] if hasattr(request, "path") else [])
    if isinstance(request, ser.SetACL):
        return "setACL", [request.path, acl_text(request.acls), str(request.version)]
    return type(request).__name__, []


def reply(request, value):
    if isinstance(value, Exception):
        return err(value)
    if isinstance(request, ser.Transaction):
        res = []
        for r in value:
            if isinstance(r, Exception):
                res.append(err(r))
            elif r is True:
                res.append({})
            elif hasattr(r, "czxid"):
                res.append({"stat": stat(r)})
            elif isinstance(r, str):
                res.append({"path": r})
            elif isinstance(r, tuple):
                res.append({"path": r[0], "stat": stat(r[1])})
            else:
                res.append({"stat": stat(r)})
        return {"results": res}
    if isinstance(request, ser.Create):
        return {"path": value}
    if isinstance(request, ser.Create2):
        return {"path": value[0], "stat": stat(value[1])}
    if isinstance(request, (ser.SetData, ser.SetACL)):
        return {"stat": stat(value)}
    if isinstance(request, ser.Exists):
        return {"stat": stat(value)}
    if isinstance(request, ser.GetData):
        return {"data": data_text(value[0]), "stat": stat(value[1])}
    if isinstance(request, ser.GetChildren):
        return {"children": list(value)}
    if isinstance(request, ser.GetChildren2):
        return {"children": list(value[0]), "stat": stat(value[1])}
    if isinstance(request, ser.GetACL):
        return {"acl": acl_text(value[0]), "stat": stat(value[1])}
    if isinstance(request, ser.Sync):
        return {"path": value}
    return {}


def write(session, op, args, rep, zxid):
    line = {"ts": datetime.datetime.now(datetime.timezone.utc).isoformat(), "kind": "zk.call",
            "session": session, "op": op, "args": args, "reply": rep, "zxid": zxid}
    with out_lock:
        out.write(json.dumps(line) + "\n")
        out.flush()


original = ConnectionHandler._read_response


def recording(self, header, buffer, offset):
    request, async_object, xid = self.client._pending[0]
    ret = original(self, header, buffer, offset)
    if async_object is not None and async_object.ready():
        value = async_object.exception if not async_object.successful() else async_object.get_nowait()
    else:
        value = None
    op, args = call(request)
    write(hex(self.client._session_id or 0), op, args, reply(request, value), hex(header.zxid))
    return ret


ConnectionHandler._read_response = recording


def client(timeout=10.0):
    zk = KazooClient(hosts=HOSTS, timeout=timeout)
    zk.start()
    return zk


def add_auth(zk, scheme, credential):
    zk.add_auth(scheme, credential)
    write(hex(zk._session_id), "addAuth", [scheme, credential], {}, hex(zk.last_zxid))


def attempt(f, *a, **k):
    try:
        return f(*a, **k)
    except KazooException:
        return None


def expiring():
    """A session that creates ephemeral nodes and then vanishes without
    closing: the server expires it."""
    zk = client(timeout=4.0)
    zk.ensure_path("/expiring")
    zk.create("/expiring/e-", b"gone soon", ephemeral=True, sequence=True)
    zk.create("/expiring/fixed", b"also", ephemeral=True)
    os._exit(0)


def main():
    a, b = client(), client()
    # Plain znodes: creates, reads, writes with and without a version.
    a.create("/app", b"")
    a.create("/app/config", b"max_conn=100")
    a.get("/app/config")
    a.set("/app/config", b"max_conn=300")
    attempt(a.create, "/app/config", b"dup")
    attempt(a.set, "/app/config", b"bad", version=9)
    a.set("/app/config", b"max_conn=400", version=1)
    attempt(a.delete, "/app/missing")
    attempt(a.delete, "/app")
    attempt(a.create, "/nope/child", b"")
    b.get("/app/config")
    b.exists("/app/missing")
    b.get_children("/app")
    b.get_children("/app", include_data=True)
    a.create("/app/tmp", b"t")
    a.delete("/app/tmp", version=0)
    b.exists("/app/tmp")
    a.sync("/app")
    # Sequential and ephemeral nodes, and a delete between them.
    a.create("/seq", b"")
    s0 = a.create("/seq/n-", b"", sequence=True)
    a.delete(s0)
    a.create("/seq/n-", b"", sequence=True)
    b.create("/seq/e-", b"", sequence=True, ephemeral=True)
    attempt(a.create, "/seq/e-0000000002/child", b"")
    a.create("/seq/plain", b"", include_data=True)
    a.get_children("/seq")
    a.exists("/seq")
    # Multi: one that succeeds, one that fails on a check.
    t = a.transaction()
    t.create("/app/m1", b"one")
    t.set_data("/app/config", b"multi")
    t.check("/app/config", 3)
    t.commit()
    t = a.transaction()
    t.create("/app/m2", b"two")
    t.check("/app/config", 99)
    t.delete("/app/m1")
    t.commit()
    a.get("/app/config")
    a.exists("/app/m2")
    # ACLs: a digest ACL, NoAuth before the auth, then setACL.
    a.create("/sec", b"secret", acl=[make_digest_acl("alice", "pw", all=True)])
    attempt(b.get, "/sec")
    attempt(b.set, "/sec", b"x")
    attempt(b.create, "/sec/child", b"")
    add_auth(b, "digest", "alice:pw")
    b.get("/sec")
    b.set_acls("/sec", [make_acl("world", "anyone", read=True), make_digest_acl("alice", "pw", all=True)])
    a.get("/sec")
    attempt(a.set, "/sec", b"y")
    b.get_acls("/sec")
    # Recipes: a lock two clients contend for, an election, a counter
    # two clients bump at once (versioned setData, BadVersion retries), a
    # queue.
    la, lb = a.Lock("/lock", "a"), b.Lock("/lock", "b")
    la.acquire()
    lb.acquire(blocking=False)
    la.release()
    lb.acquire(timeout=5)
    lb.release()
    for who, zk in (("a", a), ("b", b)):
        zk.Election("/election", who).run(lambda: None)
    ca, cb = a.Counter("/counter"), b.Counter("/counter")

    def bump(c, n):
        for _ in range(n):
            c += 1
    threads = [threading.Thread(target=bump, args=(c, 15)) for c in (ca, cb)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    a.get("/counter")
    q = a.Queue("/queue")
    q.put(b"first")
    q.put(b"second", priority=10)
    bq = b.Queue("/queue")
    bq.get()
    q.get()
    a.get_children("/queue")
    # A session that expires with its ephemeral nodes.
    os.spawnv(os.P_WAIT, sys.executable, [sys.executable, __file__, HOSTS, OUT, "--expiring"])
    deadline = time.time() + 30
    while time.time() < deadline and a.exists("/expiring/fixed") is not None:
        time.sleep(0.5)
    a.get_children("/expiring")
    a.exists("/expiring", watch=lambda ev: None)
    b.stop()
    b.close()
    a.get_children("/seq")
    a.stop()
    a.close()


if __name__ == "__main__":
    if sys.argv[3:] == ["--expiring"]:
        expiring()
    else:
        main()
