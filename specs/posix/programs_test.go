package posix_test

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/formats/strace"
	"github.com/wat-project/wat/ingest"
	"github.com/wat-project/wat/ingest/store"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/specs/posix"
)

// TestPrograms is ground truth from ordinary programs (sed -i, cp, mv,
// cat, head, dd, install, ed, vim, git, sqlite3, tar with gzip, rsync,
// logrotate, a Python program with fork, sendfile, copy_file_range and
// splice), run under strace -f -yy by testdata/programs/programs.sh.
// Every read whose bytes the trace decides (by an oracle of the test's
// own, a byte-range replay that knows each byte's last writer) must be
// replayed by wat to the bytes strace printed, and every last writer of
// those bytes must be in wat's witnesses. It fails rather than skips
// when WAT_REQUIRE_LIVE is set and a program is missing. With
// WAT_PROGRAMS_OUT=DIR the traces are kept in DIR.
func TestPrograms(t *testing.T) {
	needPrograms(t, programsSh...)
	out := t.TempDir()
	if dir := os.Getenv("WAT_PROGRAMS_OUT"); dir != "" {
		out = dir // kept, to look at the traces
	}
	if b, err := exec.Command("sh", "testdata/programs/programs.sh", out).CombinedOutput(); err != nil {
		t.Fatalf("programs.sh: %v\n%s", err, b)
	}
	traces, _ := filepath.Glob(filepath.Join(out, "*.strace"))
	if len(traces) < 9 {
		t.Fatalf("programs.sh made %d traces", len(traces))
	}
	var all tally
	for _, file := range traces {
		name := strings.TrimSuffix(filepath.Base(file), ".strace")
		t.Run(name, func(t *testing.T) {
			evs := readTrace(t, file, name+".strace", true, true)
			got := checkProgram(t, evs, nil)
			t.Logf("%s: %s", name, got)
			all.add(got)
		})
	}
	t.Logf("all programs: %s", all)
}

// tally counts the outcomes of a program's reads.
type tally struct {
	knowable, agree, exact, unknown, differs, refused, missing, oracleWrong int
	// clocks counts the agreeing answers labelled not exact because the
	// clocks of files merged by time leave two calls' order open.
	clocks int
	sizes  []int
	others map[string]*[4]int // agree, unknown, differ, refused
	took   []time.Duration
}

func (a *tally) add(b tally) {
	a.knowable += b.knowable
	a.agree += b.agree
	a.exact += b.exact
	a.clocks += b.clocks
	a.unknown += b.unknown
	a.differs += b.differs
	a.refused += b.refused
	a.missing += b.missing
	a.oracleWrong += b.oracleWrong
	a.sizes = append(a.sizes, b.sizes...)
	a.took = append(a.took, b.took...)
	for op, n := range b.others {
		if a.others == nil {
			a.others = map[string]*[4]int{}
		}
		if a.others[op] == nil {
			a.others[op] = new([4]int)
		}
		for i := range n {
			a.others[op][i] += n[i]
		}
	}
}

func (a tally) String() string {
	med := 0
	if len(a.sizes) > 0 {
		s := slices.Clone(a.sizes)
		slices.Sort(s)
		med = s[len(s)/2]
	}
	took := slices.Clone(a.took)
	slices.Sort(took)
	p := func(q float64) time.Duration {
		if len(took) == 0 {
			return 0
		}
		return took[int(q*float64(len(took)-1))].Round(time.Millisecond)
	}
	var others []string
	for _, op := range slices.Sorted(maps.Keys(a.others)) {
		n := a.others[op]
		others = append(others, fmt.Sprintf("%s %d/%d/%d/%d", op, n[0], n[1], n[2], n[3]))
	}
	return fmt.Sprintf("other outputs (agree/unknown/differ/refused): %s; %d knowable reads and copies: %d agree (%d labelled exact, %d not for their clocks), %d shown unknown, %d differ, %d refused; %d without a last writer in the witnesses; median witness %d events; %d reads the oracle got wrong; explain p50 %v p99 %v max %v",
		strings.Join(others, ", "), a.knowable, a.agree, a.exact, a.clocks, a.unknown, a.differs, a.refused, a.missing, med, a.oracleWrong, p(0.5), p(0.99), p(1))
}

// checkProgram replays a trace with the oracle and explains with wat
// every read whose bytes the oracle knows.
//
// With ff (files of strace -ff, merged by their clocks), a read of a
// pipe may show unknown bytes: a read that blocked until a write came
// starts before it, and the merge places calls by their start, so the
// replay finds the pipe empty and says it cannot know what the read
// took. Such reads are counted as shown unknown, not failed. The answers
// then come from the store the files were ingested into (stored, its
// events evs), which also says when their clocks leave an order open
// (provenance.MergedHistory).
func checkProgram(t *testing.T, evs []*formats.Event, stored provenance.History) tally {
	t.Helper()
	ff := stored != nil
	var h provenance.History = &provenance.MemHistory{Events: evs, Refs: posix.Spec.Refs}
	if ff {
		h = stored
	}
	o := newOracle(evs)
	var got tally
	for i, e := range evs {
		r := o.apply(i, e)
		if r == nil {
			if otherOutput[e.Op] && string(e.Reply) != formats.ReplyUnfinished && (strings.Contains(string(joinArgs(e)), "/wat-programs.") || relative(e)) && got.sampled(e.Op) {
				checkOther(t, h, e, &got)
			}
			continue
		}
		if r.kernel != nil && !r.sameAs(r.kernel) {
			got.oracleWrong++
			t.Logf("%s: the oracle replays %q, strace printed %q", e.Where(), r.bytes(), r.kernel)
			continue
		}
		got.knowable++
		start := time.Now()
		x, err := posix.Spec.Explain(searchFor(300*time.Millisecond), h, e)
		got.took = append(got.took, time.Since(start))
		if d := time.Since(start); d > 500*time.Millisecond && testing.Verbose() {
			t.Logf("%s %s: %v to explain", e.Where(), e.Op, d.Round(time.Millisecond))
		}
		if err != nil {
			got.refused++
			t.Errorf("%s %s: %v", e.Where(), e.Op, err)
			continue
		}
		logged, replayed := same.LoggedOutput(e), string(x.Output)
		if r.copy {
			// A copy's bytes are not in the trace: the oracle's are.
			logged = same.LoggedOutput(&formats.Event{Op: "read", Args: [][]byte{nil, r.bytes(), nil}, Reply: []byte(fmt.Sprint(len(r.cells)))})
			replayed = "read " + strings.TrimPrefix(replayed, "copy ")
		}
		switch {
		case string(logged) == replayed:
			got.agree++
			if x.Exact {
				got.exact++
			}
			if slices.ContainsFunc(x.Notes, func(n string) bool { return strings.Contains(n, "by their clocks, ") }) {
				got.clocks++
			}
		case same.SameOutput(logged, provenance.Output(replayed)) && strings.Contains(replayed, `\?`):
			got.unknown++
			if ff && strings.Contains(string(e.Args[0]), "<pipe:") {
				t.Logf("%s %s: a pipe read ordered by its start, before the write it waited for: shown unknown: %.200s", e.Where(), e.Op, x.Output)
				continue
			}
			t.Errorf("%s %s: bytes the trace wrote shown unknown: %.200s", e.Where(), e.Op, x.Output)
			continue
		default:
			got.differs++
			t.Errorf("%s %s (exact %v): replayed %.200s, strace printed %.200s", e.Where(), e.Op, x.Exact, x.Output, logged)
			continue
		}
		in := map[int64]bool{}
		for _, m := range x.Mentioned() {
			in[m.ID] = true
		}
		for _, id := range r.writers() {
			if !in[id] && !in[o.resumed[id]] {
				got.missing++
				k, _ := slices.BinarySearchFunc(evs, id, func(e *formats.Event, id int64) int { return cmp.Compare(e.ID, id) })
				t.Errorf("%s %s: the last writer %s is in no witness", e.Where(), e.Op, evs[k].Where())
				break
			}
		}
		ws, _ := x.Witnesses(1)
		if len(ws) > 0 {
			got.sizes = append(got.sizes, len(ws[0]))
		}
	}
	return got
}

// searchFor bounds an exact search as wat explain --timeout does: past
// it, the answer is the labelled approximation or fallback, whose output
// must still agree.
func searchFor(d time.Duration) context.Context {
	return provenance.WithSearchDeadline(context.Background(), time.Now().Add(d))
}

// sampled tells whether to check one more call of op's output: the first
// 20 of each kind in a program (each takes an explanation).
func (a *tally) sampled(op string) bool {
	if a.others[op] == nil {
		return true
	}
	n := a.others[op]
	return n[0]+n[1]+n[2]+n[3] < 20
}

// relative tells whether a call with no dirfd names a relative path: a
// scratch file, since the programs run in their scratch directories.
func relative(e *formats.Event) bool {
	switch e.Op {
	case "mkdir", "rmdir", "access", "unlink", "rename":
		return len(e.Args) > 0 && !strings.HasPrefix(string(e.Args[0]), "/")
	}
	return false
}

// otherOutput are the calls whose output is not bytes the oracle
// knows: each one's output must agree with the trace's.
var otherOutput = map[string]bool{"write": true, "pwrite64": true, "writev": true, "lseek": true, "close": true,
	"fstat": true, "newfstatat": true, "rename": true, "renameat": true, "renameat2": true, "unlink": true, "unlinkat": true,
	"mkdir": true, "mkdirat": true, "rmdir": true, "access": true, "faccessat": true, "faccessat2": true, "getdents64": true}

// checkOther explains a call whose output is a count, an offset, a size
// or a result: it must agree with what strace printed, or say that wat
// cannot know it.
func checkOther(t *testing.T, h provenance.History, e *formats.Event, got *tally) {
	t.Helper()
	if got.others == nil {
		got.others = map[string]*[4]int{}
	}
	n := got.others[e.Op]
	if n == nil {
		n = new([4]int)
		got.others[e.Op] = n
	}
	x, err := posix.Spec.Explain(searchFor(300*time.Millisecond), h, e)
	switch {
	case err != nil:
		n[3]++
		t.Errorf("%s %s: %v", e.Where(), e.Op, err)
	case same.SameOutput(same.LoggedOutput(e), x.Output) && !unknownOutput(x.Output):
		n[0]++
	case same.SameOutput(same.LoggedOutput(e), x.Output):
		n[1]++
	default:
		n[2]++
		t.Errorf("%s %s: replayed %.200s, strace printed %.200s", e.Where(), e.Op, x.Output, same.LoggedOutput(e))
	}
}

var unknownOutput = posix.Spec.(interface{ UnknownOutput(provenance.Output) bool }).UnknownOutput

// The oracle: the test's own byte-range replay of a -yy trace. Files are
// named by the paths strace's decorations show; each byte remembers the
// calls that decided it (its last writer, and the copy that moved it).

type cell struct {
	b     byte
	known bool
	by    []int64
}

type ofile struct {
	cells []cell
	pipe  bool
	old   bool // it existed before the trace: bytes past cells are unknown
	// mapped: mapped shared and writable; what was written through the
	// mapping is not in the trace, so its bytes are not knowable.
	mapped bool
}

type odesc struct {
	f      *ofile
	off    int64
	append bool
}

type ofd struct {
	d       *odesc
	cloexec bool
}

type otable map[int]*ofd

type oracle struct {
	evs   []*formats.Event
	names map[string]*ofile
	pipes map[string]*ofile
	procs map[string]otable
	cwd   map[string]string // by pid, from AT_FDCWD decorations and chdir
	// flying holds, by pid, the first half of a write to a pipe strace
	// split, whose bytes the oracle put there; resumed maps such a half
	// to the event of its second: a witness may name either.
	flying  map[string]int64
	resumed map[int64]int64
}

func newOracle(evs []*formats.Event) *oracle {
	return &oracle{evs: evs, names: map[string]*ofile{}, pipes: map[string]*ofile{}, procs: map[string]otable{}, cwd: map[string]string{},
		flying: map[string]int64{}, resumed: map[int64]int64{}}
}

// A read the oracle knows: its bytes, and what strace printed of them
// (nil when cut short by -s).
type oread struct {
	cells  []cell
	kernel []byte
	copy   bool // a copy's bytes, which strace does not print
}

func (r *oread) bytes() []byte {
	var b []byte
	for _, c := range r.cells {
		b = append(b, c.b)
	}
	return b
}

func (r *oread) sameAs(k []byte) bool { return string(r.bytes()) == string(k) }

func (r *oread) writers() []int64 {
	var out []int64
	for _, c := range r.cells {
		for _, id := range c.by {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// table returns a process's fds; a process first seen before the clone
// that made it returns (strace prints the clone resumed later) gets its
// parent's table from that clone, found ahead in the trace.
func (o *oracle) table(pid string, at int) otable {
	if t, ok := o.procs[pid]; ok {
		return t
	}
	t := otable{}
	for _, e := range o.evs[at:] {
		if isClone(e.Op) && e.Client != pid && (strings.HasPrefix(string(e.Reply), pid+" ") || string(e.Reply) == pid) {
			t = o.fork(o.table(e.Client, at), e)
			break
		}
	}
	o.procs[pid] = t
	return t
}

func isClone(op string) bool {
	return op == "clone" || op == "clone3" || op == "fork" || op == "vfork"
}

func (o *oracle) fork(parent otable, e *formats.Event) otable {
	if strings.Contains(string(joinArgs(e)), "CLONE_FILES") {
		return parent
	}
	t := otable{}
	for fd, x := range parent {
		t[fd] = &ofd{d: x.d, cloexec: x.cloexec}
	}
	return t
}

func joinArgs(e *formats.Event) []byte {
	var b []byte
	for _, a := range e.Args {
		b = append(append(b, a...), ',')
	}
	return b
}

// decoration splits "3</a/b>" into 3 and "/a/b".
func decoration(a string) (int, string) {
	num, dec, _ := strings.Cut(a, "<")
	n, err := strconv.Atoi(num)
	if err != nil {
		n = -1
	}
	return n, strings.TrimSuffix(dec, ">")
}

func ret(e *formats.Event) (int64, string) {
	r := string(e.Reply)
	num, _, _ := strings.Cut(r, " ")
	n, dec := decoration(num)
	if n < 0 {
		v, err := strconv.ParseInt(num, 0, 64)
		if err != nil {
			return -1, ""
		}
		return v, dec
	}
	return int64(n), dec
}

func (o *oracle) desc(t otable, a []byte) *odesc {
	fd, _ := decoration(string(a))
	if x := t[fd]; x != nil {
		return x.d
	}
	return nil
}

// apply replays one event; for a read whose every byte the oracle knows
// it returns them.
func (o *oracle) apply(i int, e *formats.Event) *oread {
	t := o.table(e.Client, i)
	n, rdec := ret(e)
	arg := func(k int) []byte {
		if k < len(e.Args) {
			return e.Args[k]
		}
		return nil
	}
	for _, a := range e.Args {
		if d, ok := strings.CutPrefix(string(a), "AT_FDCWD<"); ok {
			o.cwd[e.Client] = strings.TrimSuffix(d, ">")
		}
	}
	rel := func(p []byte) string {
		if strings.HasPrefix(string(p), "/") {
			return filepath.Clean(string(p))
		}
		return filepath.Join(o.cwd[e.Client], string(p))
	}
	switch e.Op {
	case "chdir":
		if n == 0 {
			o.cwd[e.Client] = rel(arg(0))
		}
	case "link", "linkat":
		from, to := rel(arg(0)), rel(arg(1))
		if e.Op == "linkat" {
			from, to = atPath(arg(0), arg(1)), atPath(arg(2), arg(3))
		}
		if f := o.names[from]; n == 0 && f != nil {
			o.names[to] = f
		}
	case "open", "openat", "creat":
		if n < 0 || rdec == "" {
			return nil
		}
		flags := string(arg(2))
		if e.Op == "open" {
			flags = string(arg(1))
		}
		trunc := (strings.Contains(flags, "O_TRUNC") && !strings.Contains(flags, "O_RDONLY")) || e.Op == "creat"
		creat := strings.Contains(flags, "O_CREAT") || e.Op == "creat"
		if strings.Contains(flags, "O_TMPFILE") {
			t[int(n)] = &ofd{d: &odesc{f: &ofile{}}, cloexec: strings.Contains(flags, "O_CLOEXEC")}
			return nil
		}
		f := o.names[rdec]
		switch {
		case f == nil && creat && (trunc || strings.Contains(flags, "O_EXCL")):
			f = &ofile{}
		case f == nil:
			f = &ofile{old: true} // it may have existed before the trace
		case trunc:
			f.cells, f.old = nil, false
		}
		o.names[rdec] = f
		t[int(n)] = &ofd{d: &odesc{f: f, append: strings.Contains(flags, "O_APPEND")}, cloexec: strings.Contains(flags, "O_CLOEXEC")}
	case "pipe", "pipe2":
		if n < 0 {
			return nil
		}
		p := &ofile{pipe: true}
		for _, x := range strings.Split(strings.Trim(string(arg(0)), "[]"), ",") {
			fd, _ := decoration(strings.TrimSpace(x))
			t[fd] = &ofd{d: &odesc{f: p}, cloexec: strings.Contains(string(arg(1)), "O_CLOEXEC")}
		}
	case "dup", "dup2", "dup3", "fcntl":
		if n < 0 || e.Op == "fcntl" && !strings.HasPrefix(string(arg(1)), "F_DUPFD") {
			if e.Op == "fcntl" && n >= 0 && string(arg(1)) == "F_SETFD" {
				if x := t[fdNum(arg(0))]; x != nil {
					x.cloexec = strings.Contains(string(arg(2)), "FD_CLOEXEC")
				}
			}
			if e.Op == "fcntl" && n >= 0 && string(arg(1)) == "F_SETFL" {
				if x := t[fdNum(arg(0))]; x != nil {
					x.d.append = strings.Contains(string(arg(2)), "O_APPEND") // the description's, on or off
				}
			}
			return nil
		}
		if d := o.desc(t, arg(0)); d != nil {
			t[int(n)] = &ofd{d: d, cloexec: strings.Contains(string(joinArgs(e)), "CLOEXEC")}
		} else {
			delete(t, int(n)) // a copy of an fd from before the trace: unknown
		}
	case "close":
		delete(t, fdNum(arg(0)))
	case "close_range":
		if n == 0 {
			lo, _ := strconv.Atoi(string(arg(0)))
			hi, _ := strconv.ParseUint(string(arg(1)), 0, 32)
			for fd, x := range t {
				if fd >= lo && uint64(fd) <= hi {
					if strings.Contains(string(arg(2)), "CLOEXEC") {
						x.cloexec = true
					} else {
						delete(t, fd)
					}
				}
			}
		}
	case "execve":
		if n == 0 {
			for fd, x := range t {
				if x.cloexec {
					delete(t, fd)
				}
			}
		}
	case "clone", "clone3", "fork", "vfork":
		if n > 0 {
			child := strconv.FormatInt(n, 10)
			if _, ok := o.procs[child]; !ok {
				o.procs[child] = o.fork(t, e)
			}
			if _, ok := o.cwd[child]; !ok {
				o.cwd[child] = o.cwd[e.Client]
			}
		}
	case "lseek":
		if d := o.desc(t, arg(0)); d != nil && n >= 0 {
			d.off = n
		}
	case "fallocate":
		d := o.desc(t, arg(0))
		if d == nil || n != 0 {
			return nil
		}
		mode := string(arg(1))
		off, _ := strconv.ParseInt(string(arg(2)), 0, 64)
		size, _ := strconv.ParseInt(string(arg(3)), 0, 64)
		f, end := d.f, off+size
		grow := !strings.Contains(mode, "KEEP_SIZE")
		switch {
		case mode == "0" || mode == "FALLOC_FL_KEEP_SIZE" || strings.Contains(mode, "ZERO_RANGE") || strings.Contains(mode, "PUNCH_HOLE"):
			for at := int64(0); at < end; at++ {
				switch {
				case at >= int64(len(f.cells)) && (!grow || f.old):
					// Past the end: the file stays as long, or is older
					// than the trace and may already be longer.
					if grow {
						f.cells = append(f.cells, cell{})
					}
				case at >= int64(len(f.cells)):
					f.cells = append(f.cells, cell{known: true, by: []int64{e.ID}})
				case at >= off && mode != "0" && mode != "FALLOC_FL_KEEP_SIZE":
					f.cells[at] = cell{known: true, by: []int64{e.ID}} // zeroed
				}
			}
		default:
			for k := range f.cells {
				f.cells[k] = cell{}
			}
			f.old = true
		}
	case "ftruncate", "truncate":
		var f *ofile
		if e.Op == "ftruncate" {
			if d := o.desc(t, arg(0)); d != nil {
				f = d.f
			}
		} else {
			f = o.names[rel(arg(0))]
		}
		if f != nil && n == 0 {
			size, _ := strconv.ParseInt(string(arg(1)), 0, 64)
			o.resize(f, size, int64(e.ID))
		}
	case "rename", "renameat", "renameat2":
		if n != 0 {
			return nil
		}
		from, to := rel(arg(0)), rel(arg(1))
		if e.Op != "rename" {
			from, to = atPath(arg(0), arg(1)), atPath(arg(2), arg(3))
		}
		if f := o.names[from]; f != nil {
			o.names[to] = f
			delete(o.names, from)
		} else {
			delete(o.names, to)
		}
	case "unlink", "unlinkat":
		if n == 0 {
			p := rel(arg(0))
			if e.Op == "unlinkat" {
				p = atPath(arg(0), arg(1))
			}
			delete(o.names, p)
		}
	case "write", "pwrite64", "writev", "pwritev":
		d := o.desc(t, arg(0))
		if half, ok := o.flying[e.Client]; ok {
			// Its bytes went into the pipe as it began.
			delete(o.flying, e.Client)
			o.resumed[half] = int64(e.ID)
			return nil
		}
		if string(e.Reply) == formats.ReplyUnfinished && d != nil && d.f.pipe {
			// A write to a pipe that strace split: a reader may take
			// its bytes before it resumes, so the oracle puts them as
			// it begins.
			o.flying[e.Client] = int64(e.ID)
			n, _ = strconv.ParseInt(string(arg(2)), 0, 64)
		}
		if d == nil || n <= 0 {
			return nil
		}
		data := arg(1)
		cut := slices.Contains(e.Partial, 1)
		cells := make([]cell, n)
		for k := range cells {
			if k < len(data) && !(cut && k >= len(data)) {
				cells[k] = cell{b: data[k], known: true, by: []int64{e.ID}}
			}
		}
		o.put(d, e.Op, arg(3), cells, e.ID)
	case "read", "pread64", "readv", "preadv":
		d := o.desc(t, arg(0))
		if d == nil || n < 0 {
			return nil
		}
		cells := o.take(d, e.Op, arg(3), n)
		if d.f.mapped {
			return nil
		}
		r := &oread{cells: cells}
		data := arg(1)
		cut := slices.Contains(e.Partial, 1)
		if !cut {
			r.kernel = data[:min(len(data), int(n))]
		}
		for _, c := range cells {
			if !c.known {
				return nil
			}
		}
		if int64(len(cells)) != n {
			return nil
		}
		return r
	case "mmap":
		if d := o.desc(t, arg(4)); d != nil && n != -1 && strings.Contains(string(arg(2)), "PROT_WRITE") &&
			strings.Contains(string(arg(3)), "MAP_SHARED") {
			d.f.mapped = true
		}
	case "tee":
		// A pipe's first bytes copied into another, and left in it.
		src, dst := o.desc(t, arg(0)), o.desc(t, arg(1))
		if src == nil || dst == nil || n <= 0 || !src.f.pipe {
			return nil
		}
		return o.copied(slices.Clone(src.f.cells[:min(int(n), len(src.f.cells))]), dst, "write", nil, n, e.ID)
	case "copy_file_range", "sendfile", "sendfile64", "splice":
		in, inOff, out, outOff := arg(0), arg(1), arg(2), arg(3)
		if strings.HasPrefix(e.Op, "sendfile") {
			in, inOff, out, outOff = arg(1), arg(2), arg(0), []byte("NULL")
		}
		src, dst := o.desc(t, in), o.desc(t, out)
		if src == nil || dst == nil || n <= 0 {
			return nil
		}
		cells := o.take(src, "pread64", inOff, n)
		if src.f.mapped {
			for k := range cells {
				cells[k].known = false
			}
		}
		return o.copied(cells, dst, "pwrite64", outOff, n, e.ID)
	}
	return nil
}

// copied writes cells, the bytes a copy (id) took, through dst as op
// writes at off, each with the copy among its writers, and returns them
// as the copy's output when the trace decides all n of them.
func (o *oracle) copied(cells []cell, dst *odesc, op string, off []byte, n, id int64) *oread {
	moved := &oread{cells: slices.Clone(cells), copy: true}
	for k := range cells {
		cells[k].by = append(slices.Clip(cells[k].by), id)
	}
	o.put(dst, op, off, cells, id)
	for _, c := range moved.cells {
		if !c.known {
			return nil
		}
	}
	if int64(len(moved.cells)) != n {
		return nil
	}
	return moved
}

func fdNum(a []byte) int {
	n, _ := decoration(string(a))
	return n
}

// atPath is the path of a *at call's dirfd and name.
func atPath(dirfd, name []byte) string {
	if strings.HasPrefix(string(name), "/") {
		return filepath.Clean(string(name))
	}
	_, dir := decoration(strings.Replace(string(dirfd), "AT_FDCWD", "-100", 1))
	return filepath.Join(dir, string(name))
}

// position is where a call reads or writes: its offset argument
// ("[N]", "N") when it has one, else the description's offset.
func position(d *odesc, op string, off []byte) (int64, bool) {
	a := strings.TrimSpace(string(off))
	if op != "pread64" && op != "preadv" && op != "pwrite64" && op != "pwritev" || a == "NULL" || a == "" {
		return d.off, false
	}
	a = strings.TrimPrefix(a, "[")
	a, _, _ = strings.Cut(a, " ")
	a = strings.TrimSuffix(a, "]")
	v, _ := strconv.ParseInt(a, 0, 64)
	return v, true
}

// put writes cells at a call's position (the end for O_APPEND and
// pipes); a gap it leaves is zeros written by the call.
func (o *oracle) put(d *odesc, op string, offArg []byte, cells []cell, id int64) {
	f := d.f
	off, explicit := position(d, op, offArg)
	if f.pipe || d.append && !explicit {
		off = int64(len(f.cells))
		if f.old {
			// The end of a file older than the trace is unknown: so
			// are the offsets of what is appended, and this fd's.
			d.off = -1
			return
		}
	}
	if off < 0 {
		for k := range f.cells {
			f.cells[k] = cell{}
		}
		f.old = true
		return
	}
	for int64(len(f.cells)) < off {
		f.cells = append(f.cells, cell{known: !f.old, by: []int64{id}})
	}
	for k, c := range cells {
		if at := off + int64(k); at < int64(len(f.cells)) {
			f.cells[at] = c
		} else {
			f.cells = append(f.cells, c)
		}
	}
	if !explicit && !f.pipe {
		d.off = off + int64(len(cells))
	}
}

// take returns the n cells a call read (unknown ones where the file
// is older than the trace), consuming them from a pipe.
func (o *oracle) take(d *odesc, op string, offArg []byte, n int64) []cell {
	f := d.f
	if f.pipe {
		k := min(int(n), len(f.cells))
		got := slices.Clone(f.cells[:k])
		f.cells = f.cells[k:]
		return got
	}
	off, explicit := position(d, op, offArg)
	if off < 0 {
		return make([]cell, n)
	}
	var got []cell
	for at := off; at < off+n; at++ {
		if at < int64(len(f.cells)) {
			got = append(got, f.cells[at])
		} else if f.old {
			got = append(got, cell{})
		}
	}
	if !explicit {
		d.off = off + int64(len(got))
	}
	return got
}

// resize truncates or extends a file with zeros the call wrote.
func (o *oracle) resize(f *ofile, size, id int64) {
	if size <= int64(len(f.cells)) {
		f.cells = f.cells[:size]
		f.old = false
		return
	}
	for int64(len(f.cells)) < size {
		f.cells = append(f.cells, cell{known: !f.old, by: []int64{id}})
	}
	f.old = false
}

// programsSh are the programs programs.sh runs.
var programsSh = []string{"strace", "sed", "ed", "vim", "perl", "make", "cc", "patch", "git", "sqlite3", "tar", "gzip", "rsync", "logrotate", "fallocate", "redis-server", "redis-cli", "zip", "unzip", "xz", "bzip2", "node", "gofmt", "shred", "ar", "zstd", "/usr/bin/python3"}

// needPrograms skips a test when a program it runs is not installed, or
// fails it when WAT_REQUIRE_LIVE is set (as CI does).
func needPrograms(t *testing.T, bins ...string) {
	t.Helper()
	for _, bin := range bins {
		if _, err := exec.LookPath(bin); err != nil {
			if os.Getenv("WAT_REQUIRE_LIVE") != "" {
				t.Fatalf("%s not installed (WAT_REQUIRE_LIVE is set)", bin)
			}
			t.Skipf("%s not installed", bin)
		}
	}
}

// TestProgramReplies checks the model reply by reply on real programs:
// every call's output the replay of the whole trace gives (a read's
// bytes, an open's, a write's, a stat's, an rmdir's, a getdents64's...)
// must be what strace printed, or say that wat cannot know it. The
// programs run twice: with -f -yy (the paths of fds) and with plain -f,
// as a capture made without thinking of wat would be, its lines read
// back one by one as the store reads them (no guessed paths). Without
// -y a process's directory is known only where an absolute chdir shows
// it, so a file one process names relatively and another absolutely may
// be one file or two: the replay says its content and size are unknown
// (file.aliased), and no reply may differ.
func TestProgramReplies(t *testing.T) {
	needPrograms(t, programsSh...)
	listed := 0
	for _, flags := range [][]string{nil, {"-f", "-tt", "-s", "65536"}} {
		traces, _ := filepath.Glob(filepath.Join(runPrograms(t, flags...), "*.strace"))
		r := replyTally{label: fmt.Sprintf("strace %v", flags), by: map[string]*[3]int{}}
		for _, file := range traces {
			overlaps := splitOverlaps(t, file)
			// Another process's call was in flight (strace split it)
			// while this one ran, or this one was while another ran: the
			// trace does not say which took effect first, and the replay
			// takes the order of the resumed lines.
			evs := readTrace(t, file, filepath.Base(file), true, false)
			r.check(t, evs, func(e *formats.Event) bool { return overlaps[e.Line] })
			listed += listingsReplayed(t, evs)
		}
		r.report(t)
	}
	// Python lists its library's directories at each import, every one
	// of its programs: the second and later listings of each.
	t.Logf("%d listings of directories older than the trace replayed from its facts", listed)
	if listed < 10 {
		t.Errorf("only %d listings replayed from the trace's facts: the captures list too little to check Model.listings", listed)
	}
}

// listingsReplayed replays a trace with the facts it shows of the state
// before it (posix.WithFacts: the listings of directories older than it
// among them), as an explanation's search does, and checks every
// getdents64's output against what strace printed. It returns how many
// listings the replay knew from the facts (Model.listings), which a replay
// without them does not know.
func listingsReplayed(t *testing.T, evs []*formats.Event) int {
	t.Helper()
	m, bare := posix.WithFacts(posix.Model{}, evs), posix.Model{}
	st, bst, n := m.Init(), bare.Init(), 0
	for _, e := range evs {
		o, without := m.Apply(st, e), bare.Apply(bst, e)
		if !strings.HasPrefix(e.Op, "getdents") {
			continue
		}
		switch logged := same.LoggedOutput(e); {
		case !same.SameOutput(logged, o):
			t.Errorf("%s: %s replayed with the trace's facts gives %q, strace printed %q", e.Where(), e.Raw, o, logged)
		case !strings.Contains(string(o), "?") && strings.Contains(string(without), "?"):
			n++
		}
	}
	return n
}

// runPrograms runs programs.sh with strace's flags (its defaults with
// none) and returns the directory of its traces.
func runPrograms(t *testing.T, flags ...string) string {
	t.Helper()
	out := t.TempDir()
	if b, err := exec.Command("sh", append([]string{"testdata/programs/programs.sh", out}, flags...)...).CombinedOutput(); err != nil {
		t.Fatalf("programs.sh: %v\n%s", err, b)
	}
	return out
}

// A replyTally counts, by call, the replies a whole trace's replay gives
// that agree with what strace printed, that the replay says it cannot
// know, and that differ.
type replyTally struct {
	label                     string
	by                        map[string]*[3]int // agree, unknown, differ
	replies, differ, inFlight int
}

// check replays evs and compares every call's output with the logged
// one. A reply that differs where undetermined says the trace does not
// order the call against another process's is counted apart: wat
// explain labels such an answer not exact, as it does any replay that
// differs from the logged reply (checkOutput).
func (r *replyTally) check(t *testing.T, evs []*formats.Event, undetermined func(*formats.Event) bool) {
	t.Helper()
	m := posix.Model{}
	st := m.Init()
	for _, e := range evs {
		o := m.Apply(st, e)
		if o == "" || e.Op == "SIGNAL" {
			continue
		}
		n := r.by[e.Op]
		if n == nil {
			n = new([3]int)
			r.by[e.Op] = n
		}
		r.replies++
		switch logged := same.LoggedOutput(e); {
		case !same.SameOutput(logged, o) && undetermined(e):
			n[1]++
			r.inFlight++
			t.Logf("%s %s %s: order undetermined (another process's call overlaps it): replayed %.80s, strace printed %.80s", r.label, e.Where(), e.Op, o, logged)
		case !same.SameOutput(logged, o):
			n[2]++
			r.differ++
			t.Errorf("%s %s %s: replayed %.150s, strace printed %.150s", r.label, e.Where(), e.Op, o, logged)
		case unknownOutput(o):
			n[1]++
		default:
			n[0]++
		}
	}
}

// report logs the counts, and fails when replies differ, or when more
// than the odd one differs where the order is undetermined.
func (r *replyTally) report(t *testing.T) {
	t.Helper()
	var parts []string
	for _, op := range slices.Sorted(maps.Keys(r.by)) {
		parts = append(parts, fmt.Sprintf("%s %d/%d/%d", op, r.by[op][0], r.by[op][1], r.by[op][2]))
	}
	if r.inFlight*100 > r.replies {
		t.Errorf("%s: %d of %d replies differ where another process's call overlaps them: more than the odd one a loaded machine makes", r.label, r.inFlight, r.replies)
	}
	t.Logf("%s: %d replies, %d differ, %d more differ where another process's call overlaps them; by call (agree/unknown/differ): %s", r.label, r.replies, r.differ, r.inFlight, strings.Join(parts, ", "))
	if r.replies < 1000 || r.differ*200 > r.replies {
		t.Errorf("%s: %d replies, %d differ", r.label, r.replies, r.differ)
	}
}

// TestProgramsFF runs the programs under strace -ff, as a daemon's
// capture often is: a file per process (NAME.strace.PID), no pid on the
// lines, no "<unfinished ...>" halves, each process's calls in its own
// file. Each program's files are ingested into a real store, which
// merges them by their clocks (-tt), and the store's trace is checked as
// TestPrograms checks one file's: every read whose bytes the trace
// decides replays them with its last writers in the witnesses (or, for
// a pipe read that waited for a write, shows them unknown: see
// checkProgram), and the replay of the whole merged trace gives every
// call the output strace printed (or says it cannot know it).
func TestProgramsFF(t *testing.T) {
	needPrograms(t, programsSh...)
	files, _ := filepath.Glob(filepath.Join(runPrograms(t, "-ff", "-tt", "-T", "-yy", "-s", "65536"), "*.strace.*"))
	progs := map[string][]string{}
	for _, f := range files {
		name, _, _ := strings.Cut(filepath.Base(f), ".strace.")
		progs[name] = append(progs[name], f)
	}
	if len(progs) < 9 {
		t.Fatalf("programs.sh -ff made traces of %d programs", len(progs))
	}
	var all tally
	r := replyTally{label: "strace -ff", by: map[string]*[3]int{}}
	for _, name := range slices.Sorted(maps.Keys(progs)) {
		t.Run(name, func(t *testing.T) {
			evs, stored := ingestFF(t, progs[name])
			// Another process's call ran while this one did (-T): the
			// files give their starts, not which took effect first.
			r.check(t, evs, func(e *formats.Event) bool { return overlapsAnother(evs, e) })
			got := checkProgram(t, evs, stored)
			t.Logf("%s (%d files): %s", name, len(progs[name]), got)
			all.add(got)
		})
	}
	r.report(t)
	t.Logf("all programs, strace -ff: %s", all)
}

// overlapsAnother tells whether another process's call that may touch a
// file may have run while e did: their times (-tt, the start) and
// durations (-T, "<0.000020>" at the line's end) overlap; or, as wat's
// own order check has it (durations are strace's view, not the
// kernel's), a call is known to have ended only when its thread's next
// call began, so one logged before the other may have been running
// when the other began, unless its thread logged another call before.
func overlapsAnother(evs []*formats.Event, e *formats.Event) bool {
	span := func(x *formats.Event) (int64, int64) {
		r := string(x.Raw)
		i := strings.LastIndexByte(r, '<')
		d, err := strconv.ParseFloat(strings.TrimSuffix(r[i+1:], ">"), 64)
		if i < 0 || err != nil {
			return x.Time, x.Time
		}
		return x.Time, x.Time + int64(d*1e9)
	}
	inert := map[string]bool{"wait4": true, "waitid": true, "vfork": true, "fork": true, "clone": true, "clone3": true, "futex": true,
		"rt_sigprocmask": true, "rt_sigsuspend": true, "rt_sigaction": true, "nanosleep": true, "clock_nanosleep": true,
		"epoll_wait": true, "epoll_pwait": true, "poll": true, "ppoll": true, "select": true, "pselect6": true}
	// next[i]: when the thread of evs[i] began its next call.
	next := make([]int64, len(evs))
	began := map[string]int64{}
	for i := len(evs) - 1; i >= 0; i-- {
		next[i] = math.MaxInt64
		if t, ok := began[evs[i].Client]; ok {
			next[i] = t
		}
		began[evs[i].Client] = evs[i].Time
	}
	k := slices.Index(evs, e)
	s, end := span(e)
	for i, x := range evs {
		if x.Client == e.Client || inert[x.Op] {
			continue // waiting for a child, a signal, a lock: it touches no file
		}
		if xs, xe := span(x); xs <= end && s <= xe {
			return true
		}
		if i < k && next[i] > e.Time || i > k && k >= 0 && next[k] > x.Time {
			return true
		}
	}
	return false
}

// ingestFF ingests a program's -ff files into a new SQLite store, as wat
// ingest does, and returns the store's posix events in trace order,
// numbered from 1.
func ingestFF(t *testing.T, files []string) ([]*formats.Event, *store.Store) {
	t.Helper()
	ctx := context.Background()
	opt := ingest.Options{Format: strace.Format, Formats: []*formats.Format{strace.Format},
		Refs: map[string]func(*formats.Event) []formats.Ref{"posix": posix.Spec.Refs}}
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "ff.db"), store.Options{Formats: opt.Formats, Index: opt.NewIndex})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, f := range files {
		in, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := in.Stat()
		_, err = ingest.Ingest(ctx, s, f, in, fi.Size(), opt)
		in.Close()
		if err != nil {
			t.Fatalf("ingest %s: %v", f, err)
		}
	}
	evs, err := s.Events(ctx, store.Filter{System: "posix"})
	if err != nil {
		t.Fatal(err)
	}
	return evs, s
}

// splitOverlaps returns the lines of the strace log at path (written with
// -f, with or without -t/-tt) whose call's order against another
// process's is not in the trace: a call of one process that comes while
// another process's call is in flight (between its "<unfinished ...>" and
// "<... resumed>" lines), and the resumed line of a call in whose flight
// another process's call came. Calls that neither read nor change files
// (waiting for a child, a signal mask, making a process) cross nothing.
func splitOverlaps(t *testing.T, path string) map[int]bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	inert := map[string]bool{"wait4": true, "waitid": true, "vfork": true, "fork": true, "clone": true, "clone3": true,
		"rt_sigprocmask": true, "rt_sigsuspend": true, "rt_sigaction": true, "nanosleep": true, "clock_nanosleep": true, "futex": true}
	open := map[string]bool{}    // processes with a call in flight
	crossed := map[string]bool{} // those whose call another's crossed
	out := map[int]bool{}
	for i, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 1 && f[0] == "[pid" {
			f = append([]string{strings.TrimSuffix(f[1], "]")}, f[2:]...)
		}
		if len(f) > 1 && strings.ContainsAny(f[1][:1], "0123456789") {
			f = append(f[:1], f[2:]...) // a time
		}
		if len(f) < 2 {
			continue
		}
		pid, body := f[0], strings.Join(f[1:], " ")
		name, _, _ := strings.Cut(body, "(")
		resumed := strings.HasPrefix(body, "<... ")
		if resumed {
			name = strings.TrimSuffix(strings.Fields(strings.TrimPrefix(body, "<... "))[0], " resumed>")
		}
		if inert[name] || strings.HasPrefix(body, "---") || strings.HasPrefix(body, "+++") {
			continue
		}
		for q := range open {
			if q != pid {
				out[i+1] = true
				crossed[q] = true
			}
		}
		switch {
		case strings.HasSuffix(body, "<unfinished ...>"):
			open[pid], crossed[pid] = true, len(open) > 0
		case resumed:
			if crossed[pid] {
				out[i+1] = true
			}
			delete(open, pid)
		}
	}
	return out
}

// readTrace parses the strace log at path: its events, numbered from 1,
// from source. With strict, a line that does not parse fails the test;
// otherwise it is passed over. With annotate, fds get the paths earlier
// lines showed, as wat ingest's index sees them; without, each line is
// read as the store reads a stored line back (no path guessed).
func readTrace(t *testing.T, path, source string, strict, annotate bool) []*formats.Event {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := strace.NewParser() // one for the file: a call strace split is joined
	var evs []*formats.Event
	for i, l := range strings.Split(string(b), "\n") {
		var ev formats.Event
		r, err := p.Parse([]byte(l), &ev)
		if err != nil && strict {
			t.Fatalf("line %d: %v: %s", i+1, err, l)
		}
		if err != nil || r != formats.IsEvent {
			continue
		}
		if annotate {
			p.(formats.Annotator).Annotate(&ev)
		}
		ev.ID, ev.Line, ev.Source = int64(len(evs)+1), i+1, source
		evs = append(evs, &ev)
	}
	return evs
}
