// BullMQ workload for wat's live Redis test (specs/redis/queues_live_test.go).
//
//   node bullmq_workload.js worker NAME    a Worker process; SIGTERM closes it
//   node bullmq_workload.js producer JOBS  a Queue, QueueEvents and a FlowProducer:
//                                          adds JOBS jobs, waits for every one, reads results
//
// Both connect to REDIS_HOST:REDIS_PORT (the recording proxy) with ioredis.
'use strict';

const { Queue, Worker, QueueEvents, FlowProducer } = require('bullmq');

const connection = {
  host: process.env.REDIS_HOST || '127.0.0.1',
  port: Number(process.env.REDIS_PORT || 6379),
  maxRetriesPerRequest: null,
};
const QUEUE = 'work';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function process_(job) {
  switch (job.name) {
    case 'add':
      return job.data.a + job.data.b;
    case 'fail':
      throw new Error(`job ${job.data.i} fails on purpose`);
    case 'flaky':
      if (job.attemptsMade < 1) throw new Error(`flaky ${job.data.i}: attempt ${job.attemptsMade + 1}`);
      return job.attemptsMade;
    case 'slow':
      await sleep(job.data.ms);
      await job.updateProgress(100);
      return job.data.i;
    case 'parent': {
      const values = await job.getChildrenValues();
      return Object.values(values).reduce((s, v) => s + v, 0);
    }
    default:
      throw new Error(`unknown job ${job.name}`);
  }
}

async function worker(name) {
  const w = new Worker(QUEUE, process_, { connection, concurrency: 4, name });
  w.on('error', (err) => console.error('worker error', err.message));
  await w.waitUntilReady();
  console.log(`worker ${name} ready`);
  let closing = false;
  const stop = async () => {
    if (closing) return;
    closing = true;
    console.log(`worker ${name} closing`);
    await w.close();
    console.log(`worker ${name} closed`);
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function producer(n) {
  const queue = new Queue(QUEUE, { connection });
  const events = new QueueEvents(QUEUE, { connection });
  const flows = new FlowProducer({ connection });
  await events.waitUntilReady();
  const jobs = [];
  const bulk = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 12;
    let job;
    switch (kind) {
      case 0:
      case 1:
        job = await queue.add('add', { a: i, b: 1 });
        break;
      case 2:
        job = await queue.add('add', { a: i, b: 2 }, { removeOnComplete: true });
        break;
      case 3:
        job = await queue.add('fail', { i }, { attempts: 2, backoff: { type: 'fixed', delay: 100 } });
        break;
      case 4:
        job = await queue.add('add', { a: i, b: 3 }, { delay: 1000 });
        break;
      case 5:
        job = await queue.add('add', { a: i, b: 4 }, { priority: 1 + (i % 5) });
        break;
      case 6:
        job = await queue.add('flaky', { i }, { attempts: 3, backoff: { type: 'exponential', delay: 100 } });
        break;
      case 7:
        job = await queue.add('slow', { i, ms: 20 }, { removeOnComplete: { age: 3600 }, removeOnFail: 50 });
        break;
      case 8:
        bulk.push({ name: 'add', data: { a: i, b: 5 }, opts: { jobId: `bulk-${i}` } });
        break;
      case 9: {
        const tree = await flows.add({
          name: 'parent',
          queueName: QUEUE,
          data: { i },
          children: [
            { name: 'add', queueName: QUEUE, data: { a: i, b: 6 } },
            { name: 'add', queueName: QUEUE, data: { a: i, b: 7 } },
          ],
        });
        job = tree.job;
        break;
      }
      case 10:
        job = await queue.add('add', { a: i, b: 8 }, { delay: 300, priority: 2, lifo: false });
        break;
      default:
        job = await queue.add('add', { a: i, b: 9 }, { lifo: true });
    }
    if (job) jobs.push(job);
    if (bulk.length === 5) {
      jobs.push(...(await queue.addBulk(bulk.splice(0))));
    }
    if (i % 50 === 49) {
      await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'completed', 'failed');
    }
  }
  if (bulk.length) jobs.push(...(await queue.addBulk(bulk.splice(0))));

  let ok = 0;
  let failed = 0;
  let removed = 0; // removeOnComplete: done, and gone before we asked
  const deadline = Date.now() + 90000;
  for (const job of jobs) {
    try {
      await job.waitUntilFinished(events, Math.max(1, deadline - Date.now()));
      ok++;
    } catch (err) {
      if (/timed out/i.test(err.message)) throw err;
      if (/Missing key/.test(err.message) && job.opts.removeOnComplete === true) removed++;
      else failed++;
    }
  }
  const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'completed', 'failed');
  const completed = await queue.getCompleted(0, 20);
  const failedJobs = await queue.getFailed(0, 20);
  for (const j of completed.slice(0, 10)) await j.getState();
  await queue.getJob(jobs[0].id);
  console.log(JSON.stringify({ jobs: jobs.length, ok, failed, removed, counts, completed: completed.length, failedListed: failedJobs.length }));
  await flows.close();
  await events.close();
  await queue.close();
}

const [role, arg] = process.argv.slice(2);
(role === 'worker' ? worker(arg || 'w') : producer(Number(arg || 100))).catch((err) => {
  console.error(err);
  process.exit(1);
});
