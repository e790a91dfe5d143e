// Command watbench generates a large Redis MONITOR log and measures wat on
// it end to end: ingest rate, peak memory, store size, and explain latency
// for random reads, hot keys included. It then does the same on the real
// job-queue captures (RQ, Celery, BullMQ) committed under
// specs/redis/testdata/queues, explaining random lines of every command.
// 'make bench' runs it.
package main

import (
	"bufio"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

func main() {
	lines := flag.Int("lines", 1000000, "lines of MONITOR log to generate")
	dir := flag.String("dir", "bench", "work directory")
	wat := flag.String("wat", "./wat", "the wat binary")
	reads := flag.Int("reads", 200, "explain calls to time")
	pg := flag.String("pg", "", "also measure a PostgreSQL store on this server (a postgres:// URL; the schema wat_bench is dropped and made anew)")
	citus := flag.String("citus", "", "also measure stores on a Citus coordinator (a postgres:// URL), in both layouts of the README: schemas wat_bench_hash and wat_bench_schema are dropped and made anew")
	captures := flag.String("captures", "specs/redis/testdata/queues", "a directory of real MONITOR captures (*.monitor.log.gz) to explain random lines of; empty: none")
	capReads := flag.Int("capture-reads", 300, "explain calls to time on each real capture")
	mixLines := flag.String("mix-lines", "100000", "lines of the generated logs of every data type, comma-separated (each its own store; empty: none)")
	perCmd := flag.Int("mix-reads", 8, "explain calls to time per command of that log")
	programs := flag.String("programs", "specs/posix/testdata/programs/programs.sh", "a script that runs ordinary programs under strace into the directory it is given (empty: none)")
	progReads := flag.Int("program-reads", 30, "reads and copies to explain in each program's trace")
	distinct := flag.Int("distinct-lines", 3000000, "lines of a generated MONITOR log whose every SET names a key of its own, to ingest (0: none)")
	flag.Parse()
	o := options{lines: *lines, dir: *dir, wat: *wat, reads: *reads, pg: *pg, citus: *citus, mixLines: *mixLines, perCmd: *perCmd,
		captures: *captures, capReads: *capReads, distinct: *distinct, programs: *programs, progReads: *progReads}
	if err := benchAll(o); err != nil {
		fmt.Fprintln(os.Stderr, "watbench:", err)
		os.Exit(1)
	}
}

// options are the flags: which sections to run, and how much of each.
type options struct {
	lines, reads        int
	dir, wat, pg, citus string
	mixLines            string
	perCmd, capReads    int
	captures, programs  string
	distinct, progReads int
}

// benchAll runs every section the flags ask for, in order, and stops at
// the first that fails.
func benchAll(o options) error {
	if err := run(o.lines, o.dir, o.wat, o.reads, o.pg, o.citus); err != nil {
		return err
	}
	for _, f := range strings.FieldsFunc(o.mixLines, func(r rune) bool { return r == ',' }) {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return fmt.Errorf("-mix-lines: %q is not a positive number of lines", f)
		}
		if err := perCommand(n, o.dir, o.wat, o.perCmd); err != nil {
			return err
		}
	}
	if o.captures != "" {
		if err := realCaptures(o.captures, o.dir, o.wat, o.capReads); err != nil {
			return err
		}
	}
	if o.distinct > 0 {
		if err := distinctKeys(o.distinct, o.dir, o.wat); err != nil {
			return err
		}
	}
	if o.programs != "" {
		return programTraces(o.programs, o.dir, o.wat, o.progReads)
	}
	return nil
}

// removeStore removes a SQLite store and its WAL files, if they exist.
func removeStore(db string) {
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		os.Remove(f)
	}
}

// newLog removes the store NAME.db in dir and creates the log
// NAME.monitor.log there, buffered, with redis-cli's first line "OK"
// written: the caller writes the rest, flushes w and closes f.
func newLog(dir, name string) (log, db string, f *os.File, w *bufio.Writer, err error) {
	log, db = filepath.Join(dir, name+".monitor.log"), filepath.Join(dir, name+".db")
	removeStore(db)
	if f, err = os.Create(log); err != nil {
		return "", "", nil, nil, err
	}
	w = bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "OK")
	return log, db, f, w, nil
}

// closeLog flushes a generated log and syncs it to disk before closing
// it, so that the kernel does not write its pages back while ingest,
// timed, reads it: a user's logs are on disk already. (On 2026-12-07 the
// bench's ingest of a 600 MB log it had just written gave 451k lines/s;
// three ingests of the same log by hand after it, 494k-565k.)
func closeLog(f *os.File, w *bufio.Writer) error {
	err := w.Flush()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// distinctKeys generates a MONITOR log of n SETs, each of a key of its
// own (the worst case for the index's memory: a list per key), and
// reports its ingest.
func distinctKeys(n int, dir, wat string) error {
	log, db, f, w, err := newLog(dir, "distinct")
	if err != nil {
		return err
	}
	ts := int64(1795535140000000)
	for i := 0; i < n; i++ {
		ts += 10
		fmt.Fprintf(w, "%d.%06d [0 10.0.0.1:%d] \"SET\" \"key:%d\" \"v%d\"\n", ts/1e6, ts%1e6, 40000+i%10, i, i%100)
	}
	if err := closeLog(f, w); err != nil {
		return err
	}
	st, _ := os.Stat(log)
	fmt.Printf("== distinct keys: a generated log of %d lines (%.1f MB), every SET a key of its own\n", n+1, float64(st.Size())/1e6)
	return ingestOnce(n, log, st.Size(), wat, db, func() int64 {
		s, _ := os.Stat(db)
		return s.Size()
	})
}

// readCall matches a strace line of a call that reads or copies bytes
// and returned some: the question a user asks of a trace ("why did cat
// print this?").
var readCall = regexp.MustCompile(`^\d+ +[0-9:.]+ (read|pread64|readv|preadv|copy_file_range|sendfile|sendfile64|splice)\(.*\) = [1-9]`)

// programTraces runs ordinary programs under strace (script, with the
// directory to write NAME.strace files to), ingests each trace into a
// store of its own and times whole-process explains of random reads and
// copies of it, with the default --timeout.
func programTraces(script, dir, wat string, nreads int) error {
	if _, err := exec.LookPath("strace"); err != nil {
		fmt.Println("== programs under strace: not measured (strace is not installed)")
		return nil
	}
	out := filepath.Join(dir, "programs")
	os.RemoveAll(out)
	if b, err := exec.Command("sh", script, out).CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %v\n%s", script, err, b)
	}
	traces, _ := filepath.Glob(filepath.Join(out, "*.strace"))
	sort.Strings(traces)
	fmt.Printf("== programs under strace (%s): %d reads and copies of each trace, whole process\n", script, nreads)
	fmt.Printf("%-10s %6s %8s %6s %6s %7s %10s %10s %10s\n", "program", "lines", "ingest", "reads", "exact", "refused", "p50", "p99", "max")
	var all []time.Duration
	allExact, allN := 0, 0
	for _, tr := range traces {
		name := strings.TrimSuffix(filepath.Base(tr), ".strace")
		raw, err := os.ReadFile(tr)
		if err != nil {
			return err
		}
		lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
		db := filepath.Join(out, name+".db")
		t0 := time.Now()
		if b, err := exec.Command(wat, "--db", db, "ingest", "--quiet", tr).CombinedOutput(); err != nil {
			return fmt.Errorf("ingest %s: %v\n%s", tr, err, b)
		}
		rate := float64(len(lines)) / time.Since(t0).Seconds()
		var reads []int
		for i, l := range lines {
			if readCall.MatchString(l) {
				reads = append(reads, i+1)
			}
		}
		r := rand.New(rand.NewSource(5))
		r.Shuffle(len(reads), func(i, j int) { reads[i], reads[j] = reads[j], reads[i] })
		reads = reads[:min(nreads, len(reads))]
		var ds []time.Duration
		exact, refused := 0, 0
		for _, line := range reads {
			scan := &exactScan{}
			cmd := exec.Command(wat, "--db", db, "explain", "--json", "--at", fmt.Sprintf("%s:%d", tr, line))
			cmd.Stdout = scan
			t0 := time.Now()
			err := cmd.Run()
			ds = append(ds, time.Since(t0))
			switch {
			case err != nil && !scan.sawJSON():
				refused++
			case !scan.inexact:
				exact++
			}
		}
		all = append(all, ds...)
		allExact, allN = allExact+exact, allN+len(ds)
		if len(ds) == 0 {
			fmt.Printf("%-10s %6d %7.0fk %6d\n", name, len(lines), rate/1e3, 0)
			continue
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		fmt.Printf("%-10s %6d %7.0fk %6d %6d %7d %10s %10s %10s\n", name, len(lines), rate/1e3, len(ds), exact, refused,
			ds[len(ds)/2].Round(time.Millisecond), ds[len(ds)*99/100].Round(time.Millisecond), ds[len(ds)-1].Round(time.Millisecond))
	}
	if len(all) > 0 {
		sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
		fmt.Printf("%-10s %6s %8s %6d %6d %7s %10s %10s %10s\n", "all", "", "", allN, allExact, "",
			all[len(all)/2].Round(time.Millisecond), all[len(all)*99/100].Round(time.Millisecond), all[len(all)-1].Round(time.Millisecond))
	}
	fmt.Println("(ingest: lines/s of the whole process, small traces: start-up dominates)")
	return nil
}

// realCaptures ingests each real capture into a store of its own and
// times whole-process explains of random lines of it, any command.
func realCaptures(src, dir, wat string, nreads int) error {
	paths, err := filepath.Glob(filepath.Join(src, "*.monitor.log.gz"))
	if err != nil || len(paths) == 0 {
		return fmt.Errorf("no captures in %s: %v", src, err)
	}
	sort.Strings(paths)
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".monitor.log.gz")
		raw, err := exec.Command("gzip", "-dc", p).Output()
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		log := filepath.Join(dir, name+".monitor.log")
		if err := os.WriteFile(log, raw, 0o644); err != nil {
			return err
		}
		db := filepath.Join(dir, name+".db")
		removeStore(db)
		fmt.Printf("== %s: a real capture (%s)\n", name, p)
		n := strings.Count(string(raw), "\n")
		if err := ingestOnce(n-1, log, int64(len(raw)), wat, db, func() int64 {
			st, _ := os.Stat(db)
			return st.Size()
		}); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
		r := rand.New(rand.NewSource(3))
		var ds []time.Duration
		exact, inexact, refused := 0, 0, 0
		for i := 0; i < nreads; i++ {
			line := 2 + r.Intn(len(lines)-1) // line 1 is redis-cli's "OK"
			t0 := time.Now()
			scan := &exactScan{}
			cmd := exec.Command(wat, "--db", db, "explain", "--json", "--at", fmt.Sprintf("%s:%d", log, line))
			cmd.Stdout = scan
			err := cmd.Run()
			ds = append(ds, time.Since(t0))
			switch {
			case err != nil && !scan.sawJSON():
				refused++ // a command wat does not model
			case scan.inexact:
				inexact++
			default:
				exact++
			}
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		fmt.Printf("explain (whole process) random lines: n=%d p50 %s p99 %s max %s\n", len(ds),
			ds[len(ds)/2].Round(time.Microsecond), ds[len(ds)*99/100].Round(time.Microsecond), ds[len(ds)-1].Round(time.Microsecond))
		fmt.Printf("explain: %d exact, %d not exact, %d refused (not modelled)\n", exact, inexact, refused)
	}
	return nil
}

// generate writes a MONITOR log: mostly SET/GET on many keys, a few hot
// counters, sets and lists that are written throughout with no resetting
// write, multi-key MSET/DEL, and escaped values. It returns the line
// numbers of the reads.
func generate(path string, n int) ([]int, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	r := rand.New(rand.NewSource(1))
	fmt.Fprintln(w, "OK")
	var reads []int
	ts := int64(1795535140000000)
	for i := 2; i <= n+1; i++ {
		ts += int64(1 + r.Intn(20))
		// 400 connections from 4 app servers, as a pooled client has.
		c := r.Intn(400)
		client := fmt.Sprintf("10.0.0.%d:%d", c%4+10, 40000+c)
		key := fmt.Sprintf("user:%d:name", r.Intn(50000))
		var cmd string
		switch x := r.Intn(100); {
		case x < 30:
			cmd = fmt.Sprintf(`"SET" %q "v%d"`, key, r.Intn(1000))
		case x < 35:
			cmd = fmt.Sprintf(`"SET" %q "h\xc3\xa9llo \"%d\"\n"`, key, r.Intn(10))
		case x < 55:
			cmd = fmt.Sprintf(`"GET" %q`, key)
			reads = append(reads, i)
		case x < 70:
			cmd = fmt.Sprintf(`"INCR" "hot:counter:%d"`, r.Intn(3))
		case x < 75:
			cmd = fmt.Sprintf(`"GET" "hot:counter:%d"`, r.Intn(3))
			reads = append(reads, i)
		case x < 80:
			cmd = fmt.Sprintf(`"RPUSH" "hot:queue" "job%d"`, i)
		case x < 82:
			cmd = `"LLEN" "hot:queue"`
			reads = append(reads, i)
		case x < 88:
			cmd = fmt.Sprintf(`"MSET" %q "a%d" "user:%d:name" "b"`, key, i%7, r.Intn(50000))
		case x < 91:
			cmd = fmt.Sprintf(`"DEL" %q "user:%d:name"`, key, r.Intn(50000))
		case x < 96:
			cmd = fmt.Sprintf(`"HSET" "user:%d" "name" "n%d"`, r.Intn(5000), r.Intn(3))
		default:
			cmd = fmt.Sprintf(`"HGET" "user:%d" "name"`, r.Intn(5000))
			reads = append(reads, i)
		}
		fmt.Fprintf(w, "%d.%06d [0 %s] %s\n", ts/1e6, ts%1e6, client, cmd)
	}
	return reads, closeLog(f, w)
}

func run(n int, dir, wat string, nreads int, pg, citus string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	log := filepath.Join(dir, "monitor.log")
	db := filepath.Join(dir, "wat.db")
	os.Remove(db)
	os.Remove(db + "-wal")
	os.Remove(db + "-shm")
	t0 := time.Now()
	reads, err := generate(log, n)
	if err != nil {
		return err
	}
	st, _ := os.Stat(log)
	fmt.Printf("generated %d lines (%.1f MB) in %s\n", n+1, float64(st.Size())/1e6, time.Since(t0).Round(time.Millisecond))
	type target struct {
		name, store string
		size        func() int64
	}
	targets := []target{{"SQLite", db, func() int64 {
		dbst, _ := os.Stat(db)
		return dbst.Size()
	}}}
	if citus != "" {
		for _, layout := range []string{"hash", "schema"} {
			tg, err := citusTarget(citus, layout, wat)
			if err != nil {
				return fmt.Errorf("citus (%s): %w", layout, err)
			}
			defer tg.admin.Close()
			targets = append(targets, target{"Citus (" + layout + ")", tg.store, tg.size})
		}
	}
	if pg != "" {
		admin, err := sql.Open("pgx", pg)
		if err != nil {
			return err
		}
		defer admin.Close()
		if _, err := admin.Exec("DROP SCHEMA IF EXISTS wat_bench CASCADE; CREATE SCHEMA wat_bench"); err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		u, err := url.Parse(pg)
		if err != nil {
			return err
		}
		q := u.Query()
		q.Set("search_path", "wat_bench")
		u.RawQuery = q.Encode()
		targets = append(targets, target{"PostgreSQL", u.String(), func() int64 {
			var b int64
			admin.QueryRow(`SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c
				JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'wat_bench' AND c.relkind = 'r'`).Scan(&b)
			return b
		}})
	}
	// Both ingests first, then the explains: peak RSS is read from the
	// child's own VmHWM, which an earlier large explain output held by
	// this process cannot inflate.
	for _, tg := range targets {
		fmt.Printf("== %s ingest\n", tg.name)
		if err := ingestOnce(n, log, st.Size(), wat, tg.store, tg.size); err != nil {
			return fmt.Errorf("%s: %w", tg.name, err)
		}
	}
	for _, tg := range targets {
		fmt.Printf("== %s explain\n", tg.name)
		if err := explains(log, reads, wat, tg.store, nreads); err != nil {
			return fmt.Errorf("%s: %w", tg.name, err)
		}
	}
	if pg == "" {
		fmt.Println("== PostgreSQL: not measured (no -pg URL; make bench starts a server when postgresql is installed)")
	} else {
		fmt.Println("(PostgreSQL: peak RSS is wat's, not the server's)")
	}
	return nil
}

// A citusStore is a store on a Citus cluster made for the bench.
type citusStore struct {
	admin *sql.DB
	store string
	size  func() int64
}

// citusTarget makes an empty store in the schema wat_bench_LAYOUT of
// the Citus coordinator at dsn, laid out as the README says: "hash"
// creates it with wat init --distribute; "schema" makes the schema a distributed schema
// (schema-based sharding) before wat creates its tables.
func citusTarget(dsn, layout, wat string) (*citusStore, error) {
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	schema := "wat_bench_" + layout
	create := "CREATE SCHEMA " + schema
	if layout == "schema" {
		create = "SET citus.enable_schema_based_sharding TO on; " + create
	}
	if _, err := admin.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE; " + create); err != nil {
		admin.Close()
		return nil, err
	}
	u, err := url.Parse(dsn)
	if err != nil {
		admin.Close()
		return nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	if layout == "hash" {
		if out, err := exec.Command(wat, "--db", u.String(), "init", "--distribute").CombinedOutput(); err != nil {
			admin.Close()
			return nil, fmt.Errorf("wat init --distribute: %v: %s", err, out)
		}
	}
	return &citusStore{admin, u.String(), func() int64 {
		var b int64
		admin.QueryRow(`SELECT coalesce(sum(citus_total_relation_size(table_name)), 0) FROM citus_tables
			WHERE table_name::text LIKE $1`, schema+".%").Scan(&b)
		return b
	}}, nil
}

// ingestOnce ingests log into store and reports the rate, wat's peak RSS
// and the store's size.
func ingestOnce(n int, log string, logSize int64, wat, db string, storeSize func() int64) error {
	cmd := exec.Command(wat, "--db", db, "ingest", "--quiet", log)
	cmd.Stderr = os.Stderr
	rss, el, err := runPeak(cmd, "VmHWM:")
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	sz := storeSize()
	fmt.Printf("ingest: %.0f lines/s, %.1f MB/s, %s, peak RSS %d MB, store %.1f MB = %.2fx the log\n",
		float64(n+1)/el.Seconds(), float64(logSize)/1e6/el.Seconds(), el.Round(time.Millisecond),
		rss/1024, float64(sz)/1e6, float64(sz)/float64(logSize))
	return nil
}

// runPeak runs cmd and returns how long it took and the largest value
// (in kB) of a field of its /proc status seen while it ran, read every
// 10 ms: VmHWM, or RssAnon (its own memory, without the store's pages it
// maps).
func runPeak(cmd *exec.Cmd, field string) (int64, time.Duration, error) {
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	hwm := make(chan int64)
	done := make(chan struct{})
	go func() {
		var peak int64
		status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
		for {
			if b, err := os.ReadFile(status); err == nil {
				for _, l := range strings.Split(string(b), "\n") {
					if f := strings.Fields(l); len(f) >= 2 && f[0] == field {
						kb, _ := strconv.ParseInt(f[1], 10, 64)
						peak = max(peak, kb)
					}
				}
			}
			select {
			case <-done:
				hwm <- peak
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	err := cmd.Wait()
	el := time.Since(t0)
	close(done)
	return <-hwm, el, err
}

// exactScan watches an explain's NDJSON output go by for an inexact
// answer, without keeping it (a hot key's answer is hundreds of MB).
type exactScan struct {
	tail    []byte
	inexact bool
	n       int
}

// sawJSON reports whether any answer was written.
func (w *exactScan) sawJSON() bool { return w.n > 0 }

func (w *exactScan) Write(p []byte) (int, error) {
	w.n += len(p)
	buf := append(w.tail, p...)
	if strings.Contains(string(buf), `"exact":false`) {
		w.inexact = true
	}
	w.tail = append(w.tail[:0], buf[max(0, len(buf)-16):]...)
	return len(p), nil
}

// explains times explain calls on random reads.
func explains(log string, reads []int, wat, db string, nreads int) error {
	r := rand.New(rand.NewSource(2))
	byKind := map[string][]time.Duration{}
	inexact := 0
	for i := 0; i < nreads; i++ {
		line := reads[r.Intn(len(reads))]
		out, err := exec.Command("sed", "-n", fmt.Sprintf("%dp", line), log).Output()
		if err != nil {
			return err
		}
		kind := "key"
		if strings.Contains(string(out), "hot:") {
			kind = "hot"
		}
		t0 := time.Now()
		scan := &exactScan{}
		cmd := exec.Command(wat, "--db", db, "explain", "--json", "--at", fmt.Sprintf("%s:%d", log, line))
		cmd.Stdout = scan
		err = cmd.Run()
		d := time.Since(t0)
		if err != nil {
			return fmt.Errorf("explain line %d: %w", line, err)
		}
		if scan.inexact {
			inexact++
		}
		byKind[kind] = append(byKind[kind], d)
		byKind["all"] = append(byKind["all"], d)
	}
	for _, k := range []string{"key", "hot", "all"} {
		ds := byKind[k]
		if len(ds) == 0 {
			continue
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		fmt.Printf("explain (whole process) %-3s reads: n=%d p50 %s p99 %s max %s\n", k, len(ds),
			ds[len(ds)/2].Round(time.Microsecond), ds[len(ds)*99/100].Round(time.Microsecond), ds[len(ds)-1].Round(time.Microsecond))
	}
	fmt.Printf("explain: %d of %d answers not exact\n", inexact, nreads)
	return nil
}

// mixCommands are the commands of the generated log of every data type,
// on a few hot keys each, as a MONITOR line's arguments: {k} is the
// key's number (one of three; for SET and GET one of 1000), {n} a
// member's or field's (one of 1000: they recur).
var mixCommands = []struct{ name, format string }{
	{"SET", `"SET" "k:{k}" "v{n}"`},
	{"GET", `"GET" "k:{k}"`},
	{"INCR", `"INCR" "counter:{k}"`},
	{"LPUSH", `"LPUSH" "queue:{k}" "job{n}"`},
	{"RPOP", `"RPOP" "queue:{k}"`},
	{"SADD", `"SADD" "set:{k}" "m{n}"`},
	{"SISMEMBER", `"SISMEMBER" "set:{k}" "m{n}"`},
	{"HSET", `"HSET" "hash:{k}" "f{n}" "v"`},
	{"HGET", `"HGET" "hash:{k}" "f{n}"`},
	{"ZADD", `"ZADD" "zset:{k}" "{n}" "m{n}"`},
	{"ZSCORE", `"ZSCORE" "zset:{k}" "m{n}"`},
	{"XADD", `"XADD" "stream:{k}" "*" "f" "v{n}"`},
	{"XLEN", `"XLEN" "stream:{k}"`},
	{"GET ctr", `"GET" "counter:{k}"`},
}

// perCommand generates a log of every data type on hot keys (n lines),
// ingests it, and explains perCmd random lines of each command with the
// default --timeout: per command, how many were answered, how many
// exactly, whole-process latency and the largest --json answer.
func perCommand(n int, dir, wat string, perCmd int) error {
	log, db, f, w, err := newLog(dir, "mix")
	if err != nil {
		return err
	}
	r := rand.New(rand.NewSource(4))
	lines := map[string][]int{}
	ts := int64(1795535140000000)
	for i := 2; i <= n+1; i++ {
		ts += int64(1 + r.Intn(20))
		c := mixCommands[r.Intn(len(mixCommands))]
		// A few hot keys of each kind; members and fields from a small
		// range, so that they recur.
		k := r.Intn(3)
		if c.name == "SET" || c.name == "GET" { // not "GET ctr": a counter's
			k = r.Intn(1000)
		}
		line := strings.NewReplacer("{k}", strconv.Itoa(k), "{n}", strconv.Itoa(r.Intn(1000))).Replace(c.format)
		fmt.Fprintf(w, "%d.%06d [0 10.0.0.%d:%d] %s\n", ts/1e6, ts%1e6, 10+r.Intn(4), 40000+r.Intn(400), line)
		lines[c.name] = append(lines[c.name], i)
	}
	if err := closeLog(f, w); err != nil {
		return err
	}
	st, _ := os.Stat(log)
	fmt.Printf("== every data type: a generated log of %d lines (%.1f MB), hot keys of each kind\n", n+1, float64(st.Size())/1e6)
	if err := ingestOnce(n, log, st.Size(), wat, db, func() int64 {
		s, _ := os.Stat(db)
		return s.Size()
	}); err != nil {
		return err
	}
	fmt.Printf("%-10s %7s %8s %6s %10s %10s %10s %12s %9s\n", "command", "sampled", "answered", "exact", "p50", "p99", "max", "max output", "slowest")
	for _, c := range mixCommands {
		ls := lines[c.name]
		var ds []time.Duration
		answered, exact, biggest := 0, 0, 0
		slowest, worst := 0, time.Duration(0) // the slowest answer's line, to look into
		for i := 0; i < perCmd && len(ls) > 0; i++ {
			line := ls[r.Intn(len(ls))]
			scan := &exactScan{}
			cmd := exec.Command(wat, "--db", db, "explain", "--json", "--at", fmt.Sprintf("%s:%d", log, line))
			cmd.Stdout = scan
			t0 := time.Now()
			cmd.Run() // exit 3 or 5 still answer; a refusal prints nothing
			d := time.Since(t0)
			if d > worst {
				slowest, worst = line, d
			}
			ds = append(ds, d)
			if scan.sawJSON() {
				answered++
				if !scan.inexact {
					exact++
				}
			}
			biggest = max(biggest, scan.n)
		}
		if len(ds) == 0 {
			continue
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		fmt.Printf("%-10s %7d %8d %6d %10s %10s %10s %10.1fKB %9d\n", c.name, len(ds), answered, exact,
			ds[len(ds)/2].Round(time.Millisecond), ds[len(ds)*99/100].Round(time.Millisecond), ds[len(ds)-1].Round(time.Millisecond), float64(biggest)/1e3, slowest)
	}
	// --all of the hot counter's and the hot queue's last request: every
	// event listed, read a chunk at a time as the answer is written.
	fmt.Println("--all (the last INCR and LPUSH: every request listed; memory is wat's own, RssAnon, not the store's pages it maps)")
	for _, name := range []string{"INCR", "LPUSH"} {
		ls := lines[name]
		if len(ls) == 0 {
			continue
		}
		for _, format := range [][]string{nil, {"--json"}} {
			count := &exactScan{}
			cmd := exec.Command(wat, append([]string{"--db", db, "explain", "--all", "--at", fmt.Sprintf("%s:%d", log, ls[len(ls)-1])}, format...)...)
			cmd.Stdout = count
			anon, el, err := runPeak(cmd, "RssAnon:")
			var exit *exec.ExitError
			note := ""
			switch {
			case errors.As(err, &exit):
				note = fmt.Sprintf(" (exit %d)", exit.ExitCode()) // a mismatch or --timeout still answers
			case err != nil:
				return fmt.Errorf("explain --all of %s: %w", name, err)
			}
			kind := "text"
			if format != nil {
				kind = "json"
			}
			fmt.Printf("%-10s %-5s %10s %9.1f MB written, peak memory %d MB%s\n", name, kind, el.Round(time.Millisecond), float64(count.n)/1e6, anon/1024, note)
		}
	}
	return nil
}
