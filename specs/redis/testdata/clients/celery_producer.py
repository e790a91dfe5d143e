"""Celery workload: a producer sending tasks to a worker started apart
(see queues_live_test.go): delay, apply_async with countdown and eta,
retries, failures, a chain, a group and a chord; it reads every result
back (the Redis result backend waits on pub/sub).

usage: WORKLOAD_REDIS_URL=redis://... /usr/bin/python3 celery_producer.py TASKS
Prints one JSON line with what it saw; exits non-zero on a timeout."""
import json
import sys
from datetime import datetime, timedelta, timezone

from celery import chain, chord, group

from celery_app import add, fail, flaky, hopeless, slow, xsum


def main():
    n = int(sys.argv[1])
    sent = []
    for i in range(n):
        kind = i % 12
        if kind in (0, 1, 2, 3):
            r = add.delay(i, i)
        elif kind == 4:
            r = fail.delay(i)
        elif kind == 5:
            r = add.apply_async((i, 1), countdown=1)
        elif kind == 6:
            r = add.apply_async((i, 2), eta=datetime.now(timezone.utc) + timedelta(seconds=1.5))
        elif kind == 7:
            r = flaky.delay(i)
        elif kind == 8:
            r = slow.apply_async((i, 0.01), queue="low", priority=3)
        elif kind == 9:
            r = chain(add.s(i, 1), add.s(2)).delay()
        elif kind == 10:
            r = hopeless.delay(i)
        else:
            r = add.apply_async((i, 3), expires=60)
        sent.append(r)
    ok = failed = 0
    for r in sent:
        r.get(timeout=60, propagate=False)
        if r.failed():
            failed += 1
        else:
            ok += 1
    g = group(add.s(i, i) for i in range(10))().get(timeout=60)
    c = chord((add.s(i, i) for i in range(10)), xsum.s())().get(timeout=60)
    print(json.dumps({"tasks": n, "ok": ok, "failed": failed, "group": sum(g), "chord": c}))


if __name__ == "__main__":
    main()
