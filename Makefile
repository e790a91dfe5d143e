# wat — see README.md. mattn/go-sqlite3 needs cgo.
export CGO_ENABLED := 1
# SQLite is built without extension loading (load_extension() does not
# exist); ingest's tests fail on a build that has it. urfave/cli is built
# without its Markdown and man page writers, which wat does not use: their
# Markdown library's start-up was a fifth of a short answer's whole
# process (wat explain of a SET on a 10M-event store: 25.6 ms with them,
# 20.2 ms without, median of 60).
TAGS := sqlite_omit_load_extension,urfave_cli_no_docs
export GOFLAGS := -tags=$(TAGS)
GO ?= go

.PHONY: build test check bench fuzz demo clean

# On Linux, the wat binary is linked statically, with Go's own DNS
# resolver and user lookup (netgo, osusergo: nothing of glibc that loads
# shared libraries at run time). Every command is a short process, and
# the dynamic loader's work was a fifth of the shortest ones: wat
# --version 17.1 -> 13.5 ms, wat explain of a SET on a 10M-event store
# 22.9 -> 17.7 ms (perf stat, means of 60 runs, the two builds
# alternating). Elsewhere (macOS has no static libc), or where the static
# link fails (a system without a static C library: Fedora's glibc-static
# is a package of its own), it is linked as go build links it.
ifeq ($(shell uname -s),Linux)
STATIC := -tags=$(TAGS),netgo,osusergo \
	-ldflags='-linkmode external -extldflags -static'
endif

build:
ifneq ($(STATIC),)
	$(GO) build $(STATIC) -o wat ./cmd/wat || { \
		echo "make: linking wat statically failed (no static C library?): linking it dynamically" >&2; \
		$(GO) build -o wat ./cmd/wat; }
else
	$(GO) build -o wat ./cmd/wat
endif

# With Debian's postgresql installed and no WAT_TEST_PG_DSN given, the
# suite's PostgreSQL half runs on a throwaway server (127.0.0.1, stopped
# by its pid after).
test:
	@if [ -z "$$WAT_TEST_PG_DSN" ] && ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then \
		pgdir=$$(mktemp -d /tmp/wat-test-pg.XXXXXX); chmod 755 $$pgdir; \
		dsn=$$(testdata/postgres.sh start $$pgdir $${WAT_TEST_PG_PORT:-25433}) || { rm -rf $$pgdir; exit 1; }; \
		echo "PostgreSQL for the suite: $$dsn"; \
		WAT_TEST_PG_DSN=$$dsn $(GO) test -timeout 30m ./...; rc=$$?; \
		testdata/postgres.sh stop $$pgdir; rm -rf $$pgdir; exit $$rc; \
	else \
		$(GO) test -timeout 30m ./...; \
	fi

check:
	$(GO) vet ./...
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt -l:"; echo "$$out"; exit 1; fi
	$(GO) test -race ./formats/... ./provenance/...

# Go benchmarks, then an end-to-end run on a generated MONITOR log
# (BENCH_LINES lines; 10000000 for the full figure), into a SQLite store
# and, when Debian's postgresql is installed, into a throwaway PostgreSQL
# server on 127.0.0.1 (testdata/postgres.sh; stopped by its pid after).
BENCH_LINES ?= 1000000
# The per-command table's generated logs of every data type (lines each).
BENCH_MIX ?= 100000,10000000
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./formats/...
	$(GO) test -run '^$$' -bench QueueReplay ./specs/redis
	@pgdir=$$(mktemp -d /tmp/wat-bench-pg.XXXXXX); chmod 755 $$pgdir; \
	dsn=$$(testdata/postgres.sh start $$pgdir $${WAT_BENCH_PG_PORT:-25434}) || dsn=""; \
	$(GO) run ./cmd/watbench -lines $(BENCH_LINES) -mix-lines $(BENCH_MIX) -wat ./wat $${dsn:+-pg "$$dsn"}; rc=$$?; \
	[ -z "$$dsn" ] || testdata/postgres.sh stop $$pgdir; rm -rf $$pgdir; exit $$rc

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 30s ./formats/redismonitor
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 30s ./formats/jsonlines
	$(GO) test -run '^$$' -fuzz FuzzMapping -fuzztime 30s ./formats/jsonlines
	$(GO) test -run '^$$' -fuzz FuzzOTLP -fuzztime 30s ./formats/jsonlines
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 30s ./formats/s3access
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 30s ./formats/strace
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 30s ./formats/zookeeper

# Ingest the bundled real MONITOR capture and explain the stale read.
demo: build
	rm -f demo.db demo.db-wal demo.db-shm
	./wat --db demo.db ingest testdata/monitor.log
	./wat --db demo.db explain --at testdata/monitor.log:57 --output alice
	./wat --db demo.db events --key user:42:name

clean:
	rm -rf wat bench demo.db demo.db-wal demo.db-shm
