"""Counters as applications keep them, driven with redis-py for the live
queue test: page views counted by four clients at once, stock taken and
restocked, credits moved and a balance deleted now and then, a fixed
window rate limiter (INCR then EXPIRE), counts bumped inside
transactions (a MULTI/EXEC pipeline) and by a Lua script, and reads of
every counter; and logs: an audit stream (XADD with a new id) and an
activity list (LPUSH, deleted now and then), with their lengths read;
and a work queue polled without blocking (LPUSH of one job, RPOP by
every client, LLEN), whose jobs come from a few names so that equal
ones meet.

Usage: counters_workload.py REDIS_URL N
"""
import random
import sys
import threading

import redis

URL, N = sys.argv[1], int(sys.argv[2])


def visitor(seed):
    rnd = random.Random(seed)
    r = redis.Redis.from_url(URL)
    bump = r.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
    for i in range(N):
        k = rnd.random()
        if k < 0.35:
            r.incr("views:home")
        elif k < 0.45:
            r.incrby("views:about", rnd.choice([1, 1, 1, 5]))
        elif k < 0.55:
            r.decr("stock:42")
        elif k < 0.58:
            r.decrby("stock:42", rnd.choice([2, 3]))
        elif k < 0.59:
            r.set("stock:42", 100)  # restocked
        elif k < 0.64:
            r.incrby("credits:7", rnd.choice([10, -10, 25, 0]))
        elif k < 0.645:
            r.delete("credits:7")
        elif k < 0.68:
            n = r.incr("rate:%d" % (i // 50))
            if n == 1:
                r.expire("rate:%d" % (i // 50), 60)
        elif k < 0.70:
            p = r.pipeline(transaction=True)
            p.incr("views:home")
            p.get("views:home")
            p.execute()
        elif k < 0.71:
            bump(keys=["views:lua"], args=[2])
        elif k < 0.75:
            r.xadd("audit", {"user": str(rnd.randrange(50)), "action": rnd.choice(["login", "view", "buy"])})
        elif k < 0.76:
            r.xlen("audit")
        elif k < 0.79:
            n = r.lpush("activity", *["a%d" % rnd.randrange(9) for _ in range(rnd.choice([1, 1, 2]))])
            if n > 200:
                r.delete("activity")
        elif k < 0.80:
            r.llen("activity")
        elif k < 0.86:
            r.lpush("jobs", "job:%d" % rnd.randrange(12))
        elif k < 0.91:
            r.rpop("jobs")
        elif k < 0.92:
            r.llen("jobs")
        else:
            r.get(rnd.choice(["views:home", "views:about", "stock:42", "credits:7", "views:lua"]))


r = redis.Redis.from_url(URL)
r.set("stock:42", 100)
threads = [threading.Thread(target=visitor, args=(s,)) for s in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("views %s, stock %s, credits %s" % (r.get("views:home"), r.get("stock:42"), r.get("credits:7")))
