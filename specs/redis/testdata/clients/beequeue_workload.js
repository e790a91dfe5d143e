// Bee-Queue workload for wat's live Redis test (specs/redis/queues_live_test.go).
//
//   node beequeue_workload.js worker NAME    a worker process (concurrency 2); SIGTERM closes it
//   node beequeue_workload.js producer JOBS  creates JOBS jobs (some delayed, some retried,
//                                            some failing), waits for every one, checks health
//
// Both connect to REDIS_HOST:REDIS_PORT (the recording proxy) with the
// node-redis 3 client Bee-Queue depends on.
'use strict';

const Queue = require('bee-queue');

const redis = {
  host: process.env.REDIS_HOST || '127.0.0.1',
  port: Number(process.env.REDIS_PORT || 6379),
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function worker(name) {
  const q = new Queue('work', { redis, activateDelayedJobs: true, removeOnSuccess: false, stallInterval: 2000 });
  q.process(2, async (job) => {
    switch (job.data.kind) {
      case 'add':
        return job.data.a + job.data.b;
      case 'fail':
        throw new Error(`job ${job.data.i} fails on purpose`);
      case 'flaky':
        if (job.options.retries > 0) throw new Error(`flaky ${job.data.i}: retries left ${job.options.retries}`);
        return 'recovered';
      case 'slow':
        await sleep(job.data.ms);
        job.reportProgress(100);
        return job.data.i;
      default:
        throw new Error(`unknown job ${job.data.kind}`);
    }
  });
  await q.ready();
  console.log(`${name} ready`);
  process.on('SIGTERM', async () => {
    await q.close(5000);
    console.log(`${name} closed`);
    process.exit(0);
  });
}

async function producer(jobs) {
  const q = new Queue('work', { redis, isWorker: false, getEvents: true, activateDelayedJobs: false });
  await q.ready();
  let done = 0, failed = 0;
  const waits = [];
  for (let i = 0; i < jobs; i++) {
    let job;
    switch (i % 6) {
      case 0: job = q.createJob({ kind: 'fail', i }); break;
      case 1: job = q.createJob({ kind: 'flaky', i }).retries(1); break;
      case 2: job = q.createJob({ kind: 'slow', i, ms: 20 }).timeout(5000); break;
      case 3: job = q.createJob({ kind: 'add', a: i, b: 1 }).delayUntil(Date.now() + 300); break;
      default: job = q.createJob({ kind: 'add', a: i, b: 2 }).setId(`job-${i}`);
    }
    waits.push(new Promise((resolve) => {
      job.on('succeeded', () => { done++; resolve(); });
      job.on('failed', () => { failed++; resolve(); });
    }));
    await job.save();
    if (i % 10 === 9) await sleep(20);
  }
  await Promise.race([Promise.all(waits), sleep(15000)]);
  const counts = await q.checkHealth();
  const got = await q.getJobs('succeeded', { start: 0, end: 25 });
  await q.removeJob(got.length ? got[0].id : 'none');
  console.log(`producer: ${done} succeeded, ${failed} failed; health ${JSON.stringify(counts)}; ${got.length} read back`);
  await q.close();
}

const [role, arg] = process.argv.slice(2);
(role === 'worker' ? worker(arg) : producer(Number(arg))).catch((e) => {
  console.error(e);
  process.exit(1);
});
