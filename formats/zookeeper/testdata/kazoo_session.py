"""The kazoo part of capture.sh: sequential nodes, a delete between them,
multis that succeed and fail (one holding data with a newline), a digest
ACL with NoAuth before the auth, setACL, a bad-version setData and
ephemeral nodes deleted by the session's close."""
import sys

from kazoo.client import KazooClient
from kazoo.exceptions import BadVersionError, NoAuthError
from kazoo.security import make_acl, make_digest_acl

zk = KazooClient(hosts=sys.argv[1])
zk.start()
zk.create("/q", b"")
first = zk.create("/q/x-", b"a", sequence=True)
zk.delete(first)
second = zk.create("/q/x-", b"a", sequence=True)
zk.set("/q", b"zz")
t = zk.transaction()
t.create("/q/m1", b"one\ntwo")
t.set_data("/q", b"m")
t.check("/q", 1)
t.delete(second)
t.commit()
t = zk.transaction()
t.create("/q/m2", b"x")
t.delete(second)
t.commit()
zk.create("/sec", b"s", acl=[make_digest_acl("alice", "secret", all=True)])
try:
    zk.set("/sec", b"t")
except NoAuthError:
    pass
zk.add_auth("digest", "alice:secret")
zk.set_acls("/sec", [make_acl("world", "anyone", read=True)])
try:
    zk.set("/q", b"bad", version=42)
except BadVersionError:
    pass
zk.create("/e", b"", ephemeral=True)
zk.create("/q/e-", b"", ephemeral=True, sequence=True)
zk.stop()
