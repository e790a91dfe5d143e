// Command goslog is a small HTTP service, written the way Go services are:
// net/http, github.com/redis/go-redis/v9 and log/slog's JSON handler, or
// with -zap go.uber.org/zap's production logger. It
// keeps users in a "database" (the Redis hash users, filled when it
// starts) and caches them in Redis on read (user:ID); updating a user
// invalidates the cache under a misspelt key (the
// planted bug: later reads serve the old name). It rate-limits each
// client, and queues a job per update for a worker goroutine.
//
// It logs, as slog records: each Redis command after it completes (a
// go-redis hook: the command's args as go-redis holds them, the reply or
// the error), and each HTTP request when it completes, with a request
// id that its Redis commands carry too.
//
// With -otel it logs nothing but traces them instead, the way Go
// services are traced: otelhttp's server spans and redisotel's client
// spans, exported as the OpenTelemetry SDK's stdouttrace exporter writes
// them (-otel stdout), or sent by the SDK's OTLP/HTTP exporter to a
// receiver that writes each export as the Collector's file exporter
// does, one OTLP JSON export per line, encoded by the Collector's own
// pdata library (-otel otlp).
//
// Usage: goslog [-zap | -otel stdout|otlp] -listen 127.0.0.1:PORT -redis 127.0.0.1:PORT -log app.log
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
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
}

// newService fills the users database and returns the service.
func newService(rdb *redis.Client, log logger) *service {
	rdb.HSet(context.Background(), "users", "1", "alice", "2", "bob", "3", "carol")
	return &service{rdb: rdb, log: log}
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
			name, err = s.rdb.HGet(ctx, "users", id).Result()
			if errors.Is(err, redis.Nil) {
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
		s.rdb.HSet(ctx, "users", id, name)
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
	otel := flag.String("otel", "", "trace with OpenTelemetry instead of logging: stdout (stdouttrace) or otlp (OTLP JSON lines)")
	flag.Parse()
	if *otel != "" {
		traced(*otel, *listen, *addr, *logPath)
		return
	}
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
	s := newService(rdb, log)
	serve(s, s, *listen)
}

// serve runs s's worker and serves h on listen until a line (or the end)
// on standard input.
func serve(s *service, h http.Handler, listen string) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.worker(ctx); close(done) }()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String()) // the test reads where to send requests
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	buf := make([]byte, 1)
	os.Stdin.Read(buf)
	cancel()
	<-done
	srv.Shutdown(context.Background())
}

// nopLog logs nothing: a traced service's record is its spans.
type nopLog struct{}

func (nopLog) Info(string, ...any) {}

// traced runs the service traced with OpenTelemetry, its spans written
// to logPath as exporter ("stdout" or "otlp") writes them.
func traced(exporter, listen, addr, logPath string) {
	f, err := os.Create(logPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	var exp sdktrace.SpanExporter
	switch exporter {
	case "stdout":
		exp, err = stdouttrace.New(stdouttrace.WithWriter(f))
	case "otlp":
		endpoint := fileReceiver(f)
		exp, err = otlptracehttp.New(context.Background(), otlptracehttp.WithEndpoint(endpoint), otlptracehttp.WithInsecure())
	default:
		err = fmt.Errorf("-otel %q: stdout or otlp", exporter)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	res := resource.NewSchemaless(attribute.String("service.name", "goslog"))
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	rdb := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true})
	if err := redisotel.InstrumentTracing(rdb, redisotel.WithTracerProvider(tp)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	s := newService(rdb, nopLog{})
	serve(s, otelhttp.NewHandler(s, "users", otelhttp.WithTracerProvider(tp)), listen)
	if err := tp.Shutdown(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// fileReceiver serves OTLP/HTTP trace exports on a port of 127.0.0.1 and
// writes each to f as one line of OTLP JSON, as the Collector's file
// exporter does; it returns the address to export to.
func fileReceiver(f *os.File) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var mu sync.Mutex
	var enc ptrace.JSONMarshaler
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		req := ptraceotlp.NewExportRequest()
		if err == nil {
			err = req.UnmarshalProto(body)
		}
		var line []byte
		if err == nil {
			line, err = enc.MarshalTraces(req.Traces())
		}
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		mu.Lock()
		f.Write(append(line, '\n'))
		mu.Unlock()
		resp, _ := ptraceotlp.NewExportResponse().MarshalProto()
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(resp)
	}))
	return ln.Addr().String()
}
