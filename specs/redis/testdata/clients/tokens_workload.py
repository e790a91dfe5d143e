"""A semaphore and a job list whose ids recur, driven with redis-py for
the live queue test: a producer pushes one value ("token") to a
semaphore's list and jobs from seven ids to a queue; two consumers pop
both without blocking, often finding them empty.

Usage: tokens_workload.py REDIS_URL N
"""
import sys
import threading

import redis

URL, N = sys.argv[1], int(sys.argv[2])


def producer():
    r = redis.Redis.from_url(URL)
    for i in range(N):
        r.lpush("sem:tokens", "token")
        r.lpush("jobs", "job%d" % (i % 7))
        if i % 25 == 0:
            r.llen("jobs")


def consumer():
    r = redis.Redis.from_url(URL)
    for _ in range(N):
        r.rpop("sem:tokens")
        r.rpop("jobs")


threads = [threading.Thread(target=f) for f in (producer, consumer, consumer)]
for t in threads:
    t.start()
for t in threads:
    t.join()
r = redis.Redis.from_url(URL)
print("left: %d tokens, %d jobs" % (r.llen("sem:tokens"), r.llen("jobs")))
