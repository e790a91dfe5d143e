"""Celery application for the Celery workload: the Redis broker and the
Redis result backend at WORKLOAD_REDIS_URL (the recording proxy)."""
import os
import time

from celery import Celery

url = os.environ.get("WORKLOAD_REDIS_URL", "redis://127.0.0.1:6379/0")
app = Celery("workload", broker=url, backend=url)
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_expires=600,
    broker_connection_retry_on_startup=True,
    worker_prefetch_multiplier=4,
    task_default_queue="celery",
)


@app.task
def add(x, y):
    return x + y


@app.task
def fail(i):
    raise ValueError("task %d fails on purpose" % i)


@app.task(bind=True, max_retries=3)
def flaky(self, i):
    """Fails twice, then succeeds (retries with a countdown)."""
    if self.request.retries < 2:
        raise self.retry(exc=RuntimeError("flaky %d" % i), countdown=0.3)
    return i


@app.task(bind=True, max_retries=1)
def hopeless(self, i):
    """Retries once, then fails for good."""
    raise self.retry(exc=RuntimeError("hopeless %d" % i), countdown=0.2)


@app.task
def slow(i, seconds):
    time.sleep(seconds)
    return i


@app.task
def xsum(xs):
    return sum(xs)
