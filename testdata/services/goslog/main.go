// Command goslog is a small HTTP service, written the way Go services are:
// net/http, github.com/redis/go-redis/v9 and log/slog's JSON handler, or
// with -zap go.uber.org/zap's production logger. It
// keeps users in an in-memory "database" and caches them in Redis on
// read; updating a user invalidates the cache under a misspelt key (the
// planted bug: later reads serve the old name). It rate-limits each
// client, and queues a job per update for a worker goroutine.
//
// It logs, as slog records: each Redis command after it completes (a
// go-redis hook: the command's args as go-redis holds them, the reply or
// the error), and each HTTP request when it completes, with a request
// id that its Redis commands carry too.
//
// Usage: goslog [-zap] -listen 127.0.0.1:PORT -redis 127.0.0.1:PORT -log app.log
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

type ctxKey struct{}

// A logger is slog's or zap's: a message and key-value pairs.
type logger interface {
	Info(msg string, kv ...any)
}

// zapLog logs through zap's sugared logger.
type zapLog struct{ *zap.SugaredLogger }

func (z zapLog) Info(msg string, kv ...any) { z.Infow(msg, kv...) }

// logHook logs every command go-redis runs, when it completes.
type logHook struct{ log logger }

func (logHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h logHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmd)
		rid, _ := ctx.Value(ctxKey{}).(string)
		attrs := []any{"request_id", rid, "cmd", cmd.Name(), "args", cmd.Args(), "duration_ms", time.Since(start).Milliseconds()}
		if err != nil {
			attrs = append(attrs, "err", err.Error())
		} else {
			attrs = append(attrs, "reply", reply(cmd))
		}
		h.log.Info("redis command", attrs...)
		return err
	}
}

func (h logHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// reply is a command's value as the service would log it.
func reply(cmd redis.Cmder) any {
	switch c := cmd.(type) {
	case *redis.StringCmd:
		return c.Val()
	case *redis.IntCmd:
		return c.Val()
	case *redis.StatusCmd:
		return c.Val()
	case *redis.BoolCmd:
		return c.Val()
	case *redis.StringSliceCmd:
		return c.Val()
	}
	return fmt.Sprint(cmd)
}

type service struct {
	rdb *redis.Client
	log logger
	mu  sync.Mutex
	db  map[string]string // user id -> name
}

func newID() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rid := newID()
	ctx := context.WithValue(r.Context(), ctxKey{}, rid)
	status := s.handle(ctx, w, r)
	s.log.Info("request", "request_id", rid, "method", r.Method, "path", r.URL.Path,
		"status", status, "remote_addr", r.RemoteAddr, "duration_ms", time.Since(start).Milliseconds())
}

func (s *service) handle(ctx context.Context, w http.ResponseWriter, r *http.Request) int {
	client, _, _ := net.SplitHostPort(r.RemoteAddr)
	key := fmt.Sprintf("rl:%s:%d", client, time.Now().Unix()/60)
	n, err := s.rdb.Incr(ctx, key).Result()
	if err != nil {
		http.Error(w, err.Error(), 500)
		return 500
	}
	if n == 1 {
		s.rdb.Expire(ctx, key, time.Minute)
	}
	if n > 1000 {
		http.Error(w, "slow down", 429)
		return 429
	}
	id := strings.TrimPrefix(r.URL.Path, "/users/")
	switch r.Method {
	case http.MethodGet:
		name, err := s.rdb.Get(ctx, "user:"+id).Result()
		if errors.Is(err, redis.Nil) {
			s.mu.Lock()
			name = s.db[id]
			s.mu.Unlock()
			if name == "" {
				http.Error(w, "no such user", 404)
				return 404
			}
			s.rdb.Set(ctx, "user:"+id, []byte(name), time.Hour)
		} else if err != nil {
			http.Error(w, err.Error(), 500)
			return 500
		}
		fmt.Fprintln(w, name)
		return 200
	case http.MethodPut:
		name := r.URL.Query().Get("name")
		s.mu.Lock()
		s.db[id] = name
		s.mu.Unlock()
		s.rdb.Del(ctx, "users:"+id) // the planted bug: the cache key is user:ID
		s.rdb.LPush(ctx, "jobs", "reindex:"+id)
		fmt.Fprintln(w, "ok")
		return 200
	}
	return 405
}

// worker pops the jobs the updates queue.
func (s *service) worker(ctx context.Context) {
	for ctx.Err() == nil {
		wctx := context.WithValue(ctx, ctxKey{}, "worker")
		res, err := s.rdb.BRPop(wctx, time.Second, "jobs").Result()
		if err == nil && len(res) == 2 {
			s.rdb.HIncrBy(wctx, "reindexed", strings.TrimPrefix(res[1], "reindex:"), 1)
		}
	}
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to serve HTTP on")
	addr := flag.String("redis", "127.0.0.1:6379", "Redis server")
	logPath := flag.String("log", "app.log", "log file")
	useZap := flag.Bool("zap", false, "log with zap's production logger, not log/slog")
	flag.Parse()
	f, err := os.Create(*logPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	var log logger = slog.New(slog.NewJSONHandler(f, nil))
	if *useZap {
		cfg := zap.NewProductionConfig()
		cfg.OutputPaths = []string{*logPath}
		cfg.Sampling = nil // every record
		z, err := cfg.Build()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer z.Sync()
		log = zapLog{z.Sugar()}
	}
	rdb := redis.NewClient(&redis.Options{Addr: *addr, Protocol: 2, DisableIdentity: true})
	rdb.AddHook(logHook{log})
	s := &service{rdb: rdb, log: log, db: map[string]string{"1": "alice", "2": "bob", "3": "carol"}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.worker(ctx)
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String()) // the test reads where to send requests
	srv := &http.Server{Handler: s}
	go srv.Serve(ln)
	// Stop on a line on standard input (or its end).
	buf := make([]byte, 1)
	os.Stdin.Read(buf)
	cancel()
	srv.Shutdown(context.Background())
}
