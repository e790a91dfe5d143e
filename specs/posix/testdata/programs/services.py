"""services.py: what a Python service does to its files with the
standard library: a rotating log (logging.handlers.RotatingFileHandler,
renaming app.log to app.log.1 and app.log.2 as it fills), a
TimedRotating-style manual rollover with WatchedFileHandler reopening a
moved log, shelve (dbm), zipfile in append mode (rewrites the central
directory), tarfile append, a gzip'd JSON state file, and a lock file
held with fcntl.flock while two processes append."""
import dbm
import fcntl
import gzip
import json
import logging
import logging.handlers
import os
import shelve
import tarfile
import zipfile

log = logging.getLogger("svc")
log.setLevel(logging.INFO)
h = logging.handlers.RotatingFileHandler("app.log", maxBytes=200, backupCount=2)
log.addHandler(h)
for i in range(12):
    log.info("request %d handled with status %d", i, 200 + i % 3)
h.close()
log.removeHandler(h)

w = logging.handlers.WatchedFileHandler("watched.log")
log.addHandler(w)
log.info("before move")
os.rename("watched.log", "watched.log.old")
log.info("after move")
w.close()
log.removeHandler(w)

with shelve.open("state") as db:
    db["users"] = ["ann", "bob"]
    db["count"] = 2
with shelve.open("state") as db:
    db["count"] = db["count"] + 1
    print(sorted(db.keys()), db["count"])

with zipfile.ZipFile("a.zip", "w") as z:
    z.writestr("one.txt", "first\n")
with zipfile.ZipFile("a.zip", "a") as z:
    z.writestr("two.txt", "second\n")
with zipfile.ZipFile("a.zip") as z:
    print(z.namelist(), z.read("two.txt"))

with open("m1", "w") as f:
    f.write("member one\n")
with tarfile.open("a.tar", "w") as t:
    t.add("m1")
with open("m2", "w") as f:
    f.write("member two\n")
with tarfile.open("a.tar", "a") as t:
    t.add("m2")
with tarfile.open("a.tar") as t:
    print(t.getnames(), t.extractfile("m2").read())

with gzip.open("state.json.gz", "wt") as f:
    json.dump({"n": 1}, f)
with gzip.open("state.json.gz", "rt") as f:
    print(json.load(f))

# Each process opens the lock file itself: flock locks an open file
# description, and one opened before the fork would be both processes'
# (neither would wait, and the appends would race).
pid = os.fork()
lock = open("lock", "w")
for i in range(3):
    fcntl.flock(lock, fcntl.LOCK_EX)
    with open("shared.log", "a") as f:
        f.write("%s %d\n" % ("child" if pid == 0 else "parent", i))
    fcntl.flock(lock, fcntl.LOCK_UN)
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
with open("shared.log") as f:
    print(sorted(f.read().split("\n")))
with open("app.log") as f:
    print(f.read().count("\n"), os.path.exists("app.log.2"))
