"""RQ workload: a producer that enqueues jobs on three queues (jobs that
succeed, fail, retry, depend on others, are scheduled), waits until the
workers (started apart, see queues_live_test.go) have run them all, and
reads the results back.

usage: /usr/bin/python3 rq_producer.py REDIS_URL JOBS
Prints one JSON line with what it saw; exits non-zero on a timeout."""
import json
import sys
import time
from datetime import datetime, timedelta, timezone

from redis import Redis
from rq import Queue, Retry
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, FinishedJobRegistry, ScheduledJobRegistry

import rq_jobs


def main():
    url, n = sys.argv[1], int(sys.argv[2])
    r = Redis.from_url(url)
    queues = [Queue(name, connection=r) for name in ("high", "default", "low")]
    jobs = []
    expect_fail = set()
    for i in range(n):
        q = queues[i % 3]
        kind = i % 12
        if kind in (0, 1, 2):
            j = q.enqueue(rq_jobs.add, i, i + 1, result_ttl=300)
        elif kind == 3:
            j = q.enqueue(rq_jobs.fail, i, failure_ttl=300)
            expect_fail.add(j.id)
        elif kind == 4:
            # Depends on the last job that succeeds: WATCH/MULTI on enqueue
            # and on completion.
            j = q.enqueue(rq_jobs.add, i, 1, depends_on=jobs[-2])
        elif kind == 5:
            j = q.enqueue_in(timedelta(seconds=1), rq_jobs.add, i, 2)
        elif kind == 6:
            j = q.enqueue(rq_jobs.flaky, i, retry=Retry(max=2))
        elif kind == 7:
            j = q.enqueue_at(datetime.now(timezone.utc) + timedelta(seconds=2), rq_jobs.slow, i, 0.01)
        elif kind == 8:
            j = q.enqueue(rq_jobs.total, i, 1, 2, depends_on=[jobs[-8], jobs[-7]], meta={"kind": "fan-in"})
        elif kind == 9:
            j = q.enqueue(rq_jobs.slow, i, 0.02, job_timeout=30, description="slow %d" % i, at_front=True)
        elif kind == 10:
            j = q.enqueue(rq_jobs.flaky, i, retry=Retry(max=2, interval=1))
        else:
            j = q.enqueue(rq_jobs.add, i, 0, ttl=300, result_ttl=0)  # result not kept
        jobs.append(j)
        if i % 50 == 49:
            # What a dashboard would look at now and then.
            [len(q) for q in queues]
            ScheduledJobRegistry(queue=queues[0]).get_job_ids()

    deadline = time.time() + 120
    pending = list(jobs)
    while pending and time.time() < deadline:
        still = []
        for j in pending:
            st = j.get_status(refresh=True)
            if st not in (JobStatus.FINISHED, JobStatus.FAILED) and not (st is None and j.result_ttl == 0):
                still.append(j)
        pending = still
        if pending:
            time.sleep(0.2)
    if pending:
        print(json.dumps({"error": "timeout", "pending": [j.id for j in pending][:20]}))
        sys.exit(1)

    ok = failed = 0
    for j in Job.fetch_many([j.id for j in jobs], connection=r):
        if j is None:
            continue
        if j.get_status(refresh=False) == JobStatus.FAILED:
            failed += 1
            j.exc_info
        else:
            ok += 1
            j.return_value()
            j.latest_result()
    summary = {
        "jobs": len(jobs),
        "finished": ok,
        "failed": failed,
        "finished_registry": [FinishedJobRegistry(queue=q).count for q in queues],
        "failed_registry": [FailedJobRegistry(queue=q).count for q in queues],
        "queued": [q.count for q in queues],
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
