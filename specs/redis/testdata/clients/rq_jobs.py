"""Job functions for the RQ workload (rq_producer.py); the workers import
this module, so they run with this directory on PYTHONPATH."""
import time

from rq import get_current_job


def add(x, y):
    return x + y


def fail(i):
    raise ValueError("job %d fails on purpose" % i)


def slow(i, seconds):
    time.sleep(seconds)
    return {"i": i, "slept": seconds}


def flaky(i):
    """Fails on its first attempt, succeeds on the retry (counts attempts in
    Redis, through the worker's own connection)."""
    job = get_current_job()
    n = job.connection.incr("workload:flaky:%d" % i)
    job.connection.expire("workload:flaky:%d" % i, 300)
    if n < 2:
        raise RuntimeError("flaky job %d: attempt %d fails" % (i, n))
    return n


def total(*xs):
    return sum(xs)
