// A small HTTP service written the way Node services are: express,
// ioredis and pino-http. It keeps users in a "database" (the Redis hash
// users, filled when it starts) and caches them in Redis on read (user:ID); updating a user invalidates the cache
// under a misspelt key (the planted bug: later reads serve the old
// name). It rate-limits each client, and queues a job per update for a
// worker connection.
//
// It logs, through pino: each Redis command when it completes (with the
// request's child logger, so the record carries the request), and each
// HTTP request when it completes (pino-http).
//
// Usage: node app.js REDIS_PORT LOG_FILE   (prints the address it serves
// on; stops when standard input closes)
'use strict';
const express = require('express');
const Redis = require('ioredis');
const pino = require('pino');
const pinoHttp = require('pino-http');

const [port, logFile] = process.argv.slice(2);
const logger = pino(pino.destination({ dest: logFile, sync: true }));

// logged wraps a client so that every command it sends is logged, when
// it completes, with log (the request's child logger).
function logged(client, log) {
  return new Proxy(client, {
    get(target, prop) {
      const v = target[prop];
      if (typeof v !== 'function' || !(prop in Redis.prototype) || ['sendCommand', 'disconnect', 'quit', 'on', 'once'].includes(prop)) {
        return typeof v === 'function' ? v.bind(target) : v;
      }
      return async (...args) => {
        try {
          const reply = await v.apply(target, args);
          log.info({ cmd: prop, args, reply }, 'redis command');
          return reply;
        } catch (err) {
          log.info({ cmd: prop, args, err: err.message }, 'redis command');
          throw err;
        }
      };
    },
  });
}

const redis = new Redis({ port: Number(port), host: '127.0.0.1', lazyConnect: false });
const app = express();
app.use(pinoHttp({ logger }));

app.use(async (req, res, next) => {
  const r = logged(redis, req.log);
  const key = `rl:${req.socket.remoteAddress}:${Math.floor(Date.now() / 60000)}`;
  const n = await r.incr(key);
  if (n === 1) await r.expire(key, 60);
  if (n > 1000) return res.status(429).send('slow down');
  req.r = r;
  next();
});

app.get('/users/:id', async (req, res) => {
  const r = req.r;
  let name = await r.get(`user:${req.params.id}`);
  if (name === null) {
    name = await r.hget('users', req.params.id);
    if (name === null) return res.status(404).send('no such user\n');
    await r.set(`user:${req.params.id}`, Buffer.from(name), 'EX', 3600);
  }
  res.send(name + '\n');
});

app.put('/users/:id', async (req, res) => {
  const r = req.r;
  await r.hset('users', req.params.id, req.query.name);
  await r.del(`users:${req.params.id}`); // the planted bug: the cache key is user:ID
  await r.lpush('jobs', `reindex:${req.params.id}`);
  res.send('ok\n');
});

// The worker: its own connection, its own logger.
const worker = logged(new Redis({ port: Number(port), host: '127.0.0.1' }), logger.child({ worker: true }));
let stopping = false;
(async () => {
  while (!stopping) {
    const job = await worker.brpop('jobs', 1);
    if (job) await worker.hincrby('reindexed', job[1].replace('reindex:', ''), 1);
  }
})();

const server = app.listen(0, '127.0.0.1', async () => {
  await logged(redis, logger).hset('users', { 1: 'alice', 2: 'bob', 3: 'carol' });
  const a = server.address();
  process.stdout.write(`${a.address}:${a.port}\n`);
});
process.stdin.on('end', () => {
  stopping = true;
  server.close();
  setTimeout(() => process.exit(0), 1500);
});
process.stdin.resume();
