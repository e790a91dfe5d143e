"""A small HTTP service written the way Python services are: http.server,
redis-py and structlog's JSON renderer. It keeps users in a "database"
(the Redis hash users, filled when it starts) and caches them in Redis on
read (user:ID); updating a user invalidates
the cache under a misspelt key (the planted bug: later reads serve the old
name). It rate-limits each client, and queues a job per update for a
worker thread.

It logs, through structlog: each Redis command when it completes (its
arguments and reply as redis-py gives them: bytes values, which the JSON
renderer writes as Python's repr), and each HTTP request when it
completes, with a request id its Redis commands carry too. With --stdlib
it logs the same through the standard logging module and
python-json-logger's JsonFormatter (which writes bytes as their repr too;
a record's extra fields cannot be named "args", so the arguments are
"arguments").

Usage: python3 app.py REDIS_PORT LOG_FILE [--stdlib]   (prints the address it
serves on; stops when standard input closes)
"""
import contextvars
import http.server
import secrets
import sys
import threading
import time

import logging

import redis
import structlog

request_id = contextvars.ContextVar("request_id", default="worker")


class StdlibLog:
    """Logs as structlog's logger is called, through the logging module."""

    def __init__(self, logger):
        self.logger = logger

    def info(self, event, **kw):
        if "args" in kw:
            kw["arguments"] = kw.pop("args")
        self.logger.info(event, extra=kw)


log_factory = structlog.get_logger


class LoggedRedis(redis.Redis):
    """redis.Redis that logs every command it executes."""

    def execute_command(self, *args, **options):
        log = log_factory()
        try:
            reply = super().execute_command(*args, **options)
        except redis.RedisError as e:
            log.info("redis command", command=args[0], args=list(args[1:]), error=str(e), request_id=request_id.get())
            raise
        log.info("redis command", command=args[0], args=list(args[1:]), reply=reply, request_id=request_id.get())
        return reply




def make_handler(r):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def handle_one(self, method):
            rid = secrets.token_hex(6)
            request_id.set(rid)
            status, body = self.serve(method)
            self.send_response(status)
            self.end_headers()
            self.wfile.write(body.encode() + b"\n")
            log_factory().info("request", method=method, path=self.path.split("?")[0], status=status,
                                        request_id=rid, remote_addr="%s:%d" % self.client_address)

        def serve(self, method):
            client = self.client_address[0]
            key = "rl:%s:%d" % (client, int(time.time()) // 60)
            n = r.incr(key)
            if n == 1:
                r.expire(key, 60)
            if n > 1000:
                return 429, "slow down"
            path, _, query = self.path.partition("?")
            uid = path.removeprefix("/users/")
            if method == "GET":
                name = r.get("user:" + uid)
                if name is None:
                    name = r.hget("users", uid)
                    if name is None:
                        return 404, "no such user"
                    r.set("user:" + uid, name, ex=3600)
                    return 200, name.decode()
                return 200, name.decode()
            if method == "PUT":
                name = query.removeprefix("name=")
                r.hset("users", uid, name)
                r.delete("users:" + uid)  # the planted bug: the cache key is user:ID
                r.lpush("jobs", "reindex:" + uid)
                return 200, "ok"
            return 405, "no"

        def do_GET(self):
            self.handle_one("GET")

        def do_PUT(self):
            self.handle_one("PUT")

    return Handler


def worker(r, stop):
    while not stop.is_set():
        job = r.brpop("jobs", timeout=1)
        if job:
            r.hincrby("reindexed", job[1].decode().removeprefix("reindex:"), 1)


def main():
    global log_factory
    port, log_file = int(sys.argv[1]), sys.argv[2]
    out = open(log_file, "w")
    if sys.argv[3:] == ["--stdlib"]:
        from pythonjsonlogger import jsonlogger
        handler = logging.StreamHandler(out)
        handler.setFormatter(jsonlogger.JsonFormatter("%(levelname)s %(message)s", timestamp=True))
        logger = logging.getLogger("app")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        log_factory = lambda: StdlibLog(logger)
    else:
        structlog.configure(
            processors=[structlog.processors.add_log_level,
                        structlog.processors.TimeStamper(fmt="iso", utc=True),
                        structlog.processors.JSONRenderer()],
            logger_factory=structlog.WriteLoggerFactory(file=out))
    r = LoggedRedis(host="127.0.0.1", port=port)
    r.hset("users", mapping={"1": "alice", "2": "bob", "3": "carol"})
    stop = threading.Event()
    w = threading.Thread(target=worker, args=(r, stop))
    w.start()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(r))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("%s:%d" % srv.server_address, flush=True)
    sys.stdin.read()
    srv.shutdown()
    stop.set()
    w.join()
    out.close()


if __name__ == "__main__":
    main()
