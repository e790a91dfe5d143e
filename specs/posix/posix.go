// Package posix is the wat-provenance spec of a POSIX file system as
// strace shows it: which system calls produced the bytes a read returned,
// or made an open fail.
//
// The model replays per-process fd tables (open, dup, dup2, dup3, fcntl
// F_DUPFD, close, fork and clone sharing or copying them, execve closing
// O_CLOEXEC fds), open file descriptions with offsets and O_APPEND, files
// as inodes that survive rename and unlink, their bytes (write, pwrite64,
// truncate, O_TRUNC) and names (rename, renameat2 with RENAME_NOREPLACE,
// unlink). Paths are made absolute with strace's -y/-yy decorations. A
// file that existed before the trace has unknown content: a read of it
// shows those bytes as \?, and the trace's own results say whether a path
// existed.
//
// A read's history is every call on the paths the file had (following
// renames back), through any process; Solve then finds the minimal
// witnesses exactly, as for the other specs.
package posix

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// Spec is the POSIX spec.
var Spec provenance.Spec = spec{SpecInfo: provenance.SpecInfo{
	Name:    "posix",
	Summary: "POSIX files from strace: fd tables, offsets, pipes and FIFOs, eventfds, copies, directories, chdir/fchdir, rename, link, symlinks, unlink, fork/clone/execve (paths from -y/-yy); explains reads, writes, copies, opens, lseek, close, stat, access, rename, unlink, mkdir, rmdir, getdents64",
	Operations: []string{"open", "openat", "creat", "read", "pread64", "write", "pwrite64", "lseek", "close", "dup", "dup2",
		"dup3", "fcntl", "ftruncate", "truncate", "rename", "renameat", "renameat2", "unlink", "unlinkat", "clone",
		"clone3", "fork", "vfork", "execve", "exit_group", "copy_file_range", "sendfile", "chdir", "readv", "preadv",
		"writev", "pwritev", "pipe", "pipe2", "eventfd", "eventfd2", "close_range", "splice", "tee", "fstat", "newfstatat", "stat", "lstat", "statx",
		"link", "linkat", "symlink", "symlinkat", "mknod", "mknodat", "mmap", "fallocate", "mkdir", "mkdirat", "rmdir", "access", "faccessat", "faccessat2", "getdents64", "getcwd"},
	Replay: Model{},
}}

type spec struct {
	provenance.SpecInfo
	provenance.PlainOutput
}

// procKey is the index key of a process's lifecycle events.
func procKey(pid string) []byte { return []byte("proc:" + pid) }

// fdKey is the index key of the calls on one fd number of one process:
// in a subtrace that fd may be bound to another file, so they all matter.
func fdKey(pid string, fd int) []byte { return []byte("fd:" + pid + ":" + strconv.Itoa(fd)) }

// Refs indexes each call under the absolute paths it touches (from the
// -y/-yy decorations and path arguments), and process events under the
// process.
func (spec) Refs(e *formats.Event) []formats.Ref {
	c := parseCall(e)
	var out []formats.Ref
	ref := func(p string) formats.Ref {
		if !strings.HasPrefix(p, "/") {
			// A relative path of a call with no dirfd: the process's
			// directory is not in the line. Index it by its base name;
			// every absolute path is indexed by its base name too, so a
			// file's history finds it.
			return formats.Ref{Key: []byte("base:" + path.Base(p)), Kind: formats.KindWrite}
		}
		out = append(out, formats.Ref{Key: []byte("base:" + path.Base(p)), Kind: formats.KindWrite})
		return formats.Ref{Key: []byte(p), Kind: formats.KindWrite}
	}
	fdRef := func(fd int) {
		if fd >= 0 {
			out = append(out, formats.Ref{Key: fdKey(c.pid, fd), Kind: formats.KindWrite})
		}
	}
	addFD := func(a string) {
		fd, p := fdOf(a)
		if p != "" {
			out = append(out, ref(p))
		}
		fdRef(fd)
	}
	if c.ok() {
		switch c.op {
		case "open", "openat", "creat", "dup", "dup2", "dup3", "fcntl":
			fdRef(c.retFD)
		}
	}
	str := func(i int) string {
		if i < len(c.data) {
			return string(c.data[i])
		}
		return ""
	}
	if _, p := fdOf(num0(string(e.Reply))); strings.HasPrefix(p, "/") && isOpen(c.op) {
		out = append(out, ref(p)) // the kernel's name, an O_TMPFILE's too
	}
	switch c.op {
	case "openat":
		out = append(out, ref(resolve(c.arg(0), str(1))))
	case "open", "creat", "truncate", "unlink", "chdir", "mkdir", "rmdir", "mknod":
		out = append(out, ref(resolve("", str(0))))
	case "mkdirat", "mknodat":
		out = append(out, ref(resolve(c.arg(0), str(1))))
	case "access", "faccessat", "faccessat2":
		// It changes nothing (see stat by name below).
		p := resolve("", str(0))
		if c.op != "access" {
			p = resolve(c.arg(0), str(1))
		}
		out = append(out, ref(p))
		for i := range out {
			out[i].Kind = formats.KindRead
		}
	case "unlinkat":
		out = append(out, ref(resolve(c.arg(0), str(1))))
	case "rename", "link":
		out = append(out, ref(resolve("", str(0))), ref(resolve("", str(1))))
	case "symlink", "symlinkat":
		// And under the path it points to, whose history it is in: a
		// later call through the link reaches that file (see history).
		link, to := linkEnds(c)
		out = append(out, ref(link), ref(to))
	case "linkat":
		out = append(out, ref(resolve(c.arg(0), str(1))), ref(resolve(c.arg(2), str(3))))
	case "renameat", "renameat2":
		out = append(out, ref(resolve(c.arg(0), str(1))), ref(resolve(c.arg(2), str(3))))
	case "newfstatat", "statx", "stat", "lstat":
		if byFD(c) {
			break
		}
		// By name: it changes nothing, so it is in no other call's
		// history, and its own is the name's.
		p := resolve("", str(0))
		if c.op != "stat" && c.op != "lstat" {
			p = resolve(c.arg(0), str(1))
		}
		out = append(out, ref(p))
		for i := range out {
			out[i].Kind = formats.KindRead
		}
	case "pipe", "pipe2":
		for _, x := range strings.Split(strings.Trim(c.arg(0), "[]"), ",") {
			addFD(strings.TrimSpace(x))
		}
	case "eventfd", "eventfd2":
		if c.ok() {
			addFD(num0(string(e.Reply)))
		}
	case "close_range":
		out = append(out, formats.Ref{Key: procKey(c.pid), Kind: formats.KindWrite})
	case "clone", "clone3", "fork", "vfork":
		switch {
		case c.unfinished:
			out = append(out, formats.Ref{Key: procKey(c.pid), Kind: formats.KindWrite})
		case c.ok():
			// The child's, and the parent's: the call's first half is
			// there, which this one ends.
			out = append(out, formats.Ref{Key: procKey(strconv.FormatInt(c.ret, 10)), Kind: formats.KindWrite},
				formats.Ref{Key: procKey(c.pid), Kind: formats.KindWrite})
		}
	case "execve", "EXIT", "KILLED", "exit_group":
		out = append(out, formats.Ref{Key: procKey(c.pid), Kind: formats.KindWrite})
	}
	for _, a := range fdArgs(c) {
		addFD(a)
	}
	for _, fd := range bareNumbers(c) {
		out = append(out, formats.Ref{Key: bareKey(c.pid, fd), Kind: formats.KindWrite})
	}
	if showsDir(c) {
		out = append(out, formats.Ref{Key: cwdKey(c.pid), Kind: formats.KindWrite})
	}
	if changesNames(e) {
		// Every call that may make or remove a name, wherever: what an
		// rmdir finds in its directory (see history).
		out = append(out, formats.Ref{Key: []byte(namesKey), Kind: formats.KindWrite})
	}
	return out
}

// fdArgs returns a call's arguments that name the fds it reads, writes,
// moves, closes or duplicates, as printed: not the fds it returns, nor
// a dirfd (a path's directory), nor a number that is a count or a flag.
func fdArgs(c call) []string {
	switch c.op {
	case "read", "pread64", "write", "pwrite64", "lseek", "close", "ftruncate", "fallocate", "dup", "fcntl",
		"readv", "preadv", "writev", "pwritev", "fstat", "getdents64", "getdents":
		return []string{c.arg(0)}
	case "mmap":
		if sharedWritable(c) {
			return []string{c.arg(4)} // writes through it may come at any time
		}
	case "newfstatat", "statx", "stat", "lstat":
		if byFD(c) {
			return []string{c.arg(0)} // it learns the file's size
		}
	case "dup2", "dup3", "sendfile", "sendfile64", "tee":
		return []string{c.arg(0), c.arg(1)}
	case "copy_file_range", "splice":
		return []string{c.arg(0), c.arg(2)}
	}
	return nil
}

// bareKey is the index key of a process's failed calls that name fd
// number fd bare (namesBare): a few, where fdKey has every call on the
// number (index version 3).
func bareKey(pid string, fd int) []byte { return []byte("bare:" + pid + ":" + strconv.Itoa(fd)) }

// cwdKey is the index key of a process's calls that show its working
// directory (an AT_FDCWD decoration, getcwd) or change it (chdir,
// fchdir).
func cwdKey(pid string) []byte { return []byte("cwd:" + pid) }

// showsDir tells whether a call shows or changes its process's working
// directory (see cwdKey).
func showsDir(c call) bool {
	if c.op == "chdir" || c.op == "fchdir" || c.op == "getcwd" && c.ok() {
		return true
	}
	return slices.ContainsFunc(c.args, func(a string) bool { return strings.HasPrefix(a, "AT_FDCWD<") })
}

// relativeOps are the calls whose paths are relative to the working
// directory (they take no dirfd).
var relativeOps = map[string]bool{"open": true, "creat": true, "mkdir": true, "rmdir": true, "unlink": true, "rename": true,
	"link": true, "symlink": true, "access": true, "stat": true, "lstat": true, "truncate": true, "chdir": true, "mknod": true}

// cwdAt returns the working directory process pid had at the call with
// ID before: the newest of its calls before that shows it (an AT_FDCWD
// decoration) or changes it (chdir, fchdir); with none, its creator's
// when it made the process. "" when the trace does not show it.
func cwdAt(ctx context.Context, h provenance.History, pid string, before int64, depth int) (string, error) {
	if depth > 16 {
		return "", nil
	}
	evs, err := h.Touching(ctx, "posix", "", cwdKey(pid), before, 1)
	if err != nil || len(evs) == 0 {
		if err != nil {
			return "", err
		}
		// None: a new process starts in its creator's directory.
		made, err := h.Touching(ctx, "posix", "", procKey(pid), math.MaxInt64, 64)
		if err != nil {
			return "", err
		}
		for _, e := range made {
			if c := parseCall(e); creates(c.op) && c.ok() && strconv.FormatInt(c.ret, 10) == pid && e.Client != pid {
				return cwdAt(ctx, h, e.Client, e.ID, depth+1)
			}
		}
		return "", nil
	}
	e := evs[0]
	c := parseCall(e)
	switch {
	case (c.op == "chdir" || c.op == "fchdir") && !c.ok():
		return cwdAt(ctx, h, pid, e.ID, depth+1) // it changed nothing
	case c.op == "chdir" && strings.HasPrefix(c.str(0), "/"):
		return path.Clean(c.str(0)), nil
	case c.op == "chdir":
		base, err := cwdAt(ctx, h, pid, e.ID, depth+1)
		if base == "" || err != nil {
			return "", err
		}
		return path.Join(base, c.str(0)), nil
	case c.op == "fchdir":
		if _, d := fdOf(c.arg(0)); strings.HasPrefix(d, "/") && !strings.Contains(c.arg(0), "<"+formats.GuessedPath) {
			return d, nil
		}
		return "", nil
	case c.op == "getcwd" && strings.HasPrefix(c.str(0), "/"):
		return path.Clean(c.str(0)), nil // what the kernel answered (the one call that shows it without -y)
	}
	for _, a := range c.args {
		if strings.HasPrefix(a, "AT_FDCWD<") {
			_, d := fdOf(a)
			return d, nil
		}
	}
	return "", nil // a decoration ingest guessed (no -y), which the stored line does not hold
}

// workingDirs fills dirs with the working directory of each call on a
// relative path among evs (see Model.dirs), where the trace shows it.
func workingDirs(ctx context.Context, h provenance.History, evs []*formats.Event, dirs map[int64]string) error {
	for _, e := range evs {
		if _, done := dirs[e.ID]; done || !relativeOps[e.Op] {
			continue
		}
		d, err := cwdAt(ctx, h, e.Client, e.ID, 0)
		if err != nil {
			return err
		}
		dirs[e.ID] = d
	}
	return nil
}

// namesKey is the index key of every call that may make or remove a name.
const namesKey = "names:"

// readsNames tells whether a call's output depends on every name in a
// directory: an rmdir, a listing, a stat of a directory.
func readsNames(c call) bool {
	return removesDir(c) || c.op == "getdents64" || c.op == "getdents" || statsDir(c)
}

// statsDir tells whether a call is a stat the log shows of a directory:
// a directory's size counts its names (tmpfs's, 20 bytes each; ext4's
// grows a block at a time).
func statsDir(c call) bool {
	return strings.Contains(c.op, "stat") && c.ok() && statType(c) == "S_IFDIR"
}

// removesDir tells whether a call removes a directory (rmdir, unlinkat
// AT_REMOVEDIR): whether it does depends on the names in it.
func removesDir(c call) bool {
	return c.op == "rmdir" || c.op == "unlinkat" && has(c.arg(2), "AT_REMOVEDIR")
}

var errNoPath = errors.New("no path")

// errUnbound: no call in the trace bound a bare fd.
var errUnbound = errors.New("no open of the fd is in the trace")

// boundPaths finds the path a read's fd was opened on, for captures made
// without -y: the newest call of the process that bound that fd number.
func boundPaths(ctx context.Context, h provenance.History, target *formats.Event) ([]string, error) {
	c := parseCall(target)
	fd, _ := fdOf(c.arg(0))
	for depth := 0; depth < 8; depth++ {
		evs, err := h.Touching(ctx, "posix", "", fdKey(c.pid, fd), target.ID, 256)
		if err != nil {
			return nil, err
		}
		next := -1
		for _, e := range evs {
			b := parseCall(e)
			if !b.ok() || b.retFD != fd || e.Client != c.pid {
				continue
			}
			switch b.op {
			case "open", "creat":
				return []string{resolve("", string(b.data[0]))}, nil
			case "openat":
				return []string{resolve(b.arg(0), string(b.data[1]))}, nil
			case "dup", "dup2", "dup3", "fcntl":
				next, _ = fdOf(b.arg(0))
			}
			break
		}
		if next < 0 {
			break
		}
		fd = next
	}
	return nil, errUnbound
}

// targetPaths returns the paths whose history decides a call's output.
func targetPaths(e *formats.Event) ([]string, error) {
	c := parseCall(e)
	fdPaths := func(args ...int) ([]string, error) {
		var out []string
		for _, i := range args {
			if _, p := fdOf(c.arg(i)); p != "" {
				out = append(out, p)
			}
		}
		if len(out) < len(args) {
			return nil, errNoPath
		}
		return out, nil
	}
	if c.failsUnmodelled() {
		return nil, fmt.Errorf("%s: wat does not model why %s fails with %s: %w", e.Where(), c.op, c.errno, provenance.ErrNotExplainable)
	}
	switch c.op {
	case "read", "pread64", "readv", "preadv", "write", "pwrite64", "writev", "pwritev", "lseek", "close", "fstat", "getdents64", "getdents":
		return fdPaths(0)
	case "copy_file_range", "splice":
		return fdPaths(0, 2)
	case "sendfile", "sendfile64", "tee":
		return fdPaths(0, 1)
	case "newfstatat", "statx", "stat", "lstat":
		if byFD(c) {
			return fdPaths(0)
		}
		if c.op == "stat" || c.op == "lstat" {
			return []string{resolve("", c.str(0))}, nil
		}
		return []string{resolve(c.arg(0), c.str(1))}, nil
	case "rename", "unlink":
		var out []string
		for _, d := range c.data {
			out = append(out, resolve("", string(d)))
		}
		return out, nil
	case "renameat", "renameat2":
		return []string{resolve(c.arg(0), c.str(1)), resolve(c.arg(2), c.str(3))}, nil
	case "unlinkat", "mkdirat", "faccessat", "faccessat2":
		return []string{resolve(c.arg(0), c.str(1))}, nil
	case "mkdir", "rmdir", "access":
		return []string{resolve("", c.str(0))}, nil
	case "open", "openat", "creat":
		if len(c.data) == 0 || c.op == "openat" && len(c.data) < 2 {
			return nil, fmt.Errorf("%s: no path: %w", e.Where(), provenance.ErrNotExplainable)
		}
		p := resolve("", c.str(0))
		if c.op == "openat" {
			p = resolve(c.arg(0), c.str(1))
		}
		if c.retPath != "" && c.retPath != p {
			return []string{c.retPath, p}, nil
		}
		return []string{p}, nil
	}
	return nil, fmt.Errorf("%s: wat explains reads, writes, copies, opens, lseek, close, stat, access, rename, unlink, mkdir, rmdir and getdents64, not %s: %w",
		e.Where(), e.Op, provenance.ErrNotExplainable)
}

func isOpen(op string) bool { return op == "open" || op == "openat" || op == "creat" }

// Explain computes the wat-provenance of a read or an open.
func (s spec) Explain(ctx context.Context, h provenance.History, target *formats.Event) (*provenance.Explanation, error) {
	if target.System != "posix" {
		return nil, fmt.Errorf("%s is a %s request, not posix: %w", target.Where(), target.System, provenance.ErrNotExplainable)
	}
	// ch answers the history search's lookups, which ask for many keys
	// more than once (a process's working directory once for each of its
	// calls; a file under its path and under its base name), from the
	// store's answers to the first. The checks after the search ask h
	// itself what else it knows (its order, its gaps, its index's
	// version), which ch does not pass on.
	ch := &provenance.CachedHistory{History: h, Ask: 32}
	paths, err := targetPaths(target)
	if errors.Is(err, errNoPath) {
		// A bare fd: the file the process last bound it to, if any; with
		// none, the history of the fd numbers alone (see everyFD).
		if paths, err = boundPaths(ctx, ch, target); errors.Is(err, errUnbound) {
			paths, err = nil, nil
		}
	}
	if err != nil {
		return nil, err
	}
	// Relative paths: in the directory the trace shows the process in.
	m := Model{dirs: map[int64]string{}, calls: &sync.Map{}, ends: map[int64]int64{}, doubt: &atomic.Bool{}, guessed: &atomic.Bool{}}
	if err := workingDirs(ctx, ch, []*formats.Event{target}, m.dirs); err != nil {
		return nil, err
	}
	for i, p := range paths {
		if d := m.dirs[target.ID]; d != "" && !strings.HasPrefix(p, "/") {
			paths[i] = path.Join(d, p)
		}
	}
	// learnFacts takes the facts of a history's calls (newest first):
	// each call's working directory, and what the whole history shows of
	// names, sizes and bytes before the trace (Model.older, Model.sizes,
	// Model.shown).
	learnFacts := func(facts []*formats.Event) error {
		if err := workingDirs(ctx, ch, facts, m.dirs); err != nil {
			return err
		}
		m = m.withFacts(m.recordOlder(provenance.Reversed(facts), target))
		_, _, m.shown = m.recordPrior(provenance.Reversed(facts), target, true)
		return nil
	}
	// walk makes the search of hist (newest first), a part of the
	// history whose facts learnFacts took.
	walk := func(hist []*formats.Event) provenance.Walk {
		back := &provenance.Backwards{Events: without(without(hist, quietHalves(hist, m.ends)), quietCalls(hist, target, m))}
		var takes map[takeKey]bool
		m.prior, takes, _ = m.recordPrior(provenance.Reversed(back.Events), target, false)
		m.takes = nil // the check of names taken from logs is only for outputs of names
		if ofNames(target) {
			m.takes = takes
		}
		return provenance.Walk{Problem: provenance.Problem{Model: m, Target: target, Older: back.Older,
			Reset: func(*formats.Event) bool { return false }}}
	}
	// Exactly: every call that can decide the read in some subtrace;
	// with a bare fd number, that includes every other file ever bound
	// to the same numbers.
	sc := byName
	if c := parseCall(target); c.takesFD() && (!strings.Contains(c.arg(0), "<") || strings.Contains(c.arg(0), "<"+formats.GuessedPath)) {
		sc = everyFD
	}
	// A store ingested before index version 3 has no bareKey: the calls
	// that name a number bare are found among all the calls on it. One
	// ingested by this version has every key (asked once: each asking
	// reads the store's list of files).
	bareIndexed, newest := true, true
	if ih, ok := h.(provenance.IndexedHistory); ok {
		if newest, err = ih.IndexedSince(ctx, provenance.IndexVersion); err != nil {
			return nil, err
		}
		if !newest {
			if bareIndexed, err = ih.IndexedSince(ctx, 3); err != nil {
				return nil, err
			}
		}
	}
	hist, err := history(ctx, ch, target, paths, sc, bareIndexed)
	if err != nil {
		return nil, err
	}
	if src, dst, ok := copyEnds(target); ok && sc == byName {
		// A copy's output is the bytes it moved from its source, a
		// write's its count: of the file written only whether the fd is
		// open on it matters.
		var srcHist []*formats.Event
		if src != "" {
			if srcHist, err = history(ctx, ch, target, []string{src}, sc, bareIndexed); err != nil {
				return nil, err
			}
		}
		hist = leaveDestination(hist, srcHist, target, dst)
	}
	if err := learnFacts(hist); err != nil {
		return nil, err
	}
	// With the sizes the trace shows of files older than it, a stat of
	// such a file learns nothing in any subtrace (sizedStat).
	search := leaveStrangers(hist, target, m.sizes)
	if by, bound := m.boundByTrace(target); unchangedRead(target, hist) || bound && unchangedOffsetRead(target, hist) {
		search = nil // every subtrace gives the output ε does
		if bound {
			search = descriptionHolders(hist, target, by) // but for the calls that may bind its fd or move its offset
		}
	}
	// The exact search gets half the time: the approximation needs some.
	first := walk(search)
	first.Budget = searchBudget
	if d := provenance.SearchDeadline(ctx); !d.IsZero() {
		first.Deadline = time.Now().Add(time.Until(d) / 2)
	}
	x, err := provenance.Explain(ctx, first)
	doubted, guessed := m.doubt.Load(), m.guessed.Load() // the exact search's verdicts only
	if errors.Is(err, provenance.ErrTooLarge) {
		// Too many: take the fds as bound to the files strace shows, and
		// say so; when even that is too large, the whole history.
		if hist, err = history(ctx, ch, target, paths, approx, bareIndexed); err != nil {
			return nil, err
		}
		if err := learnFacts(hist); err != nil {
			return nil, err
		}
		w := walk(hist)
		w.Fallback = func() ([]*formats.Event, string, error) {
			return provenance.Reversed(hist), "every call on the file's names and the calls that made the processes", nil
		}
		if x, err = provenance.Explain(ctx, w); err == nil && !x.FellBack {
			x.Exact = false
			x.Notes = append(x.Notes, "not exact: an approximation that takes each fd to be bound to the file the trace shows it on "+
				"(subtraces in which an fd number would reach another file, in which an exec would close an fd, or in which another "+
				"process's reads, seeks and closes would matter, are not considered: too many to enumerate)")
		}
	}
	if err != nil {
		return nil, err
	}
	// The checks below read the whole history's replay: made once.
	var whole *state
	replayed := func() *state {
		if whole == nil {
			whole = m.Init().(*state)
			for i := len(hist) - 1; i >= 0; i-- { // hist is newest first
				m.Apply(whole, hist[i])
			}
		}
		return whole
	}
	raced := false
	if racedAt(m, replayed, target) {
		raced = true
		x.Exact = false
		x.Notes = append(x.Notes, "not exact: strace split a call on this pipe (\"<unfinished ...>\", then \"<... resumed>\") while another "+
			"process used it, so the trace does not say which of the two came first: the bytes each took or put, and what the pipe "+
			"holds from then on, are unknown (shown as \\?)")
	}
	if f := aliasedFile(replayed, target); f != nil && f.mapped {
		raced = true
		x.Exact = false
		x.Notes = append(x.Notes, fmt.Sprintf("not exact: %s was mapped shared and writable (mmap MAP_SHARED, PROT_WRITE): what a "+
			"process wrote through the mapping is not in the trace, so its content is unknown from then on (shown as \\?)", shownName(f.name)))
	} else if f != nil {
		raced = true
		x.Exact = false
		x.Notes = append(x.Notes, fmt.Sprintf("not exact: %s and %s may name the same file: one is relative to a working directory the trace "+
			"does not show (strace without -y, and no chdir or getcwd), and the other ends with it; what was written through "+
			"either may be in the other, so its content and size are unknown (shown as \\? or ?)", shownName(f.name), shownName(f.aliased)))
	}
	pseudoFrom := pseudoSource(target)
	if pseudoFrom != "" {
		// A reason of its own, whatever other the answer gives.
		x.Exact = false
		x.Notes = append(x.Notes, "not exact: "+shownName(pseudoFrom)+" is no plain file (a device, or a file of /proc or /sys): what "+
			"a read of it gives is made as it is read, not kept from before the trace, so no set of calls decides it; the replay "+
			"takes its bytes for a file's from before the trace, unknown")
	}
	if strings.Contains(string(x.Output), `\?`) && !raced && pseudoFrom == "" {
		x.Notes = append(x.Notes, `bytes shown as \? come from before the trace started: their content is unknown`)
	}
	if ih, ok := h.(provenance.IndexedHistory); ok && !newest {
		// Files an older wat ingested lack keys the history looks up.
		devices := hasDevice(target) || slices.ContainsFunc(hist, hasDevice)
		for _, old := range []struct {
			version int
			applies bool
			lacks   string
		}{
			{5, true, "indexed a symbolic link under its own path alone, not the path it points to: the calls through a link " +
				"to these files may be missing"},
			{4, devices, "indexed a device's fd (strace -yy's \"/dev/null<char 1:3>\") under a name of its own, not its path's: " +
				"the calls on it may be missing"},
			{2, true, "did not index mkdir, rmdir, access, getdents64 and working directories: the calls that made or removed " +
				"directories, or showed a process's directory, may be missing"},
		} {
			if !x.Exact || !old.applies {
				continue
			}
			if ok, err := ih.IndexedSince(ctx, old.version); err != nil {
				return nil, err
			} else if !ok {
				x.Exact = false
				x.Notes = append(x.Notes, "not exact: some files of this store were ingested by an older wat, which "+old.lacks+
					" (ingest those files into a new store)")
			}
		}
	}
	if note := learnedInstead(m, x, hist, target); x.Exact && note != "" {
		x.Exact = false
		x.Notes = append(x.Notes, "not exact: "+note)
	}
	if x.Exact && guessed {
		x.Exact = false
		x.Notes = append(x.Notes, "not exact: in some subtraces a call's result rests on whether a name existed before the trace "+
			"(or whether a directory held names, or what type a file was), which neither those subtraces nor the rest of the trace "+
			"show: the answer takes it from the call's logged result, which the calls of the whole trace decided")
	}
	if x.Exact && doubted {
		x.Exact = false
		x.Notes = append(x.Notes, "not exact: in some subtraces the call reaches bytes, a size or an offset the trace does not show "+
			"(of a file older than the trace: another than in the whole trace, or the same one at another offset, or one the trace "+
			"changed): whether it then gives the same output is not known, and the answer guesses it from the bytes it knows")
	}
	if c := parseCall(target); !c.takesFD() && strings.HasPrefix(string(x.Output), "stat size=") && bareFDs(hist) {
		// A size by name: the writes that made it may be through fds
		// the trace does not name, which no name's history finds (a
		// reason of its own, whatever other the answer gives).
		x.Exact = false
		x.Notes = append(x.Notes, "not exact: the trace shows fds without their files (strace without -y), so writes through them, "+
			"which may have changed this file's size, are not in its history")
	}
	if x.Exact {
		if p := unresolved(replayed, paths, target); p != "" {
			x.Exact = false
			x.Notes = append(x.Notes, "not exact: the call names "+p+" relative to a working directory the calls before it do not show: "+
				"the calls that named the same file by another name (its absolute path) are not connected to it")
		}
	}
	x.Notes = append(x.Notes, "the explanation reaches the start of the trace: files it did not create existed before it, with unknown content")
	if _, p := fdOf(parseCall(target).arg(0)); m.shown[p] != nil && showsBytes(x.Output) {
		x.Notes = append(x.Notes, "the bytes "+shownName(p)+" held before the trace are the ones its reads in the trace showed (strace printed "+
			"them); bytes at offsets no read reached are unknown")
	}
	if err := provenance.DoubtOrder(ctx, h, x); err != nil {
		return nil, err
	}
	if err := provenance.DoubtMerged(ctx, h, x, hist, provenance.Interleaving{Refs: spec{}.Refs, Made: madeBy(hist), Commute: commute}); err != nil {
		return nil, err
	}
	return x, nil
}

// hasDevice tells whether a call names a device's fd as strace -yy
// prints it, with its numbers ("0</dev/null<char 1:3>>").
func hasDevice(e *formats.Event) bool {
	return bytes.Contains(e.Raw, []byte("<char ")) || bytes.Contains(e.Raw, []byte("<block "))
}

// pseudoSource returns the path of the file a read or a copy takes its
// bytes from when it is a device or a file of /proc or /sys (pseudo),
// as -y shows it; "" for any other.
func pseudoSource(target *formats.Event) string {
	c := parseCall(target)
	from, _ := copyArgs(c.op)
	if from < 0 {
		return ""
	}
	if _, p := fdOf(c.arg(from)); pseudo(p) {
		return p
	}
	return ""
}

// copyArgs returns the places of the fd arguments a call takes bytes
// from and puts them into, -1 for none: a read's source, a write's
// destination, a copy's both (copy_file_range, splice, sendfile).
func copyArgs(op string) (in, out int) {
	switch op {
	case "copy_file_range", "splice":
		return 0, 2
	case "sendfile", "sendfile64":
		return 1, 0
	case "read", "pread64", "readv", "preadv":
		return 0, -1
	case "write", "pwrite64", "writev", "pwritev":
		return -1, 0
	}
	return -1, -1
}

// showsBytes tells whether a read's output shows any byte: one not
// rendered as unknown (\? or a run \?{N}).
func showsBytes(o provenance.Output) bool {
	s, ok := strings.CutPrefix(string(o), "read ")
	if _, q, found := strings.Cut(s, " "); ok && found {
		return unknownRun.ReplaceAllString(q, "") != `""`
	}
	return false
}

// unknownRun matches render's unknown bytes: \? and \?{N}.
var unknownRun = regexp.MustCompile(`\\\?(\{[0-9]+\})?`)

// copyEnds returns the paths of a copy's source and destination
// (copy_file_range, splice, sendfile) as -y shows them, when both are
// absolute paths of files that exist (not deleted, not guessed) and not
// the same one; or of a write's file ("" for the source), when it is
// such a path. A call strace split is not one: it ran while other
// threads' calls did.
func copyEnds(target *formats.Event) (src, dst string, ok bool) {
	c := parseCall(target)
	if bytes.IndexByte(target.Raw, '\n') >= 0 {
		return "", "", false // split by strace: another thread's call may have taken the number meanwhile
	}
	i, o := copyArgs(c.op)
	if o < 0 {
		return "", "", false // a read, or no call that moves bytes
	}
	var in, out string
	if i >= 0 {
		in = c.arg(i)
	}
	out = c.arg(o)
	for _, a := range []string{in, out} {
		if strings.Contains(a, "(deleted)") || strings.Contains(a, "<"+formats.GuessedPath) {
			return "", "", false
		}
	}
	_, dst = fdOf(out)
	if in == "" {
		return "", dst, strings.HasPrefix(dst, "/")
	}
	_, src = fdOf(in)
	return src, dst, strings.HasPrefix(src, "/") && strings.HasPrefix(dst, "/") && src != dst
}

// leaveDestination returns the history (newest first) of a copy from
// src into dst, or of a write to dst, without the calls that only change
// dst's bytes or learn its size, and without the calls only they brought
// in (the histories of the files copied into dst): srcHist is the
// history of src alone (none for a write). A copy's output (its count,
// the bytes it moved, or EBADF) is decided by its source and by whether
// its fds are open on their files, a write's (its count or EBADF) by the
// latter alone. The calls that bind, pass and free the destination's fd
// name it and stay, as do the calls that make and end the processes
// whose fd tables the target's process had (another process's fds are
// not its own), and any process's calls that make or remove dst's name
// or a directory above it, which the open of dst finds (mkdir of the
// directory cp copies into). When a call of the history may make the
// destination's name, or a directory above it, reach another file (a
// rename, link, unlink, or a symbolic link to it or one of those
// directories, or any where a call reached dst by another name: in a
// subtrace dst might then be src), it returns the whole history.
func leaveDestination(hist, srcHist []*formats.Event, target *formats.Event, dst string) []*formats.Event {
	var bases []string
	for p := dst; p != "/" && p != "."; p = path.Dir(p) {
		bases = append(bases, path.Base(p))
	}
	touches := func(e *formats.Event) bool {
		for _, r := range (spec{}).Refs(e) {
			if string(r.Key) == dst {
				return true
			}
		}
		return false
	}
	above := func(p string) bool { return p == dst || strings.HasPrefix(dst, p+"/") }
	// Whether a call of the history reached dst by another name than
	// its own (a symbolic link on the way, made in the trace or before).
	byOtherName := slices.ContainsFunc(hist, func(e *formats.Event) bool {
		c := parseCall(e)
		return isOpen(c.op) && c.retPath == dst && slices.ContainsFunc(namedPaths(c), func(p string) bool { return p != dst })
	})
	for _, e := range hist {
		if !changesNames(e) || isOpen(e.Op) || e.Op == "mkdir" || e.Op == "mkdirat" {
			continue
		}
		if t := linkTarget(e); t != "" && (above(t) || byOtherName) {
			// A symbolic link to dst or a directory above it, by whose
			// name a call may reach dst; one at dst's name or above it
			// the paths below see.
			return hist
		}
		for _, r := range (spec{}).Refs(e) {
			k := string(r.Key)
			if b, ok := strings.CutPrefix(k, "base:"); ok && slices.Contains(bases, b) || above(k) {
				return hist
			}
		}
	}
	onDst := touchesAny([]string{dst})
	inSrc := map[int64]bool{}
	for _, e := range srcHist {
		inSrc[e.ID] = true
	}
	// The fd tables the target's process had, from the first of its
	// ancestors the history shows: no other process's call binds or
	// frees its fds.
	k := kinOf(hist)
	if k.unresumed || k.twice {
		return hist
	}
	line := map[string]bool{}
	for _, p := range k.lineOf(target.Client) {
		line[k.tables.owner(p)] = true
	}
	inLine := func(pid string) bool { return line[k.tables.owner(pid)] }
	makesLine := map[int64]bool{} // the creating calls, both halves, that made a process of those tables
	for _, e := range hist {
		if c := parseCall(e); creates(c.op) && c.ok() && c.ret > 0 && inLine(strconv.FormatInt(c.ret, 10)) {
			makesLine[e.ID] = true
			if half, ok := k.halves[e.ID]; ok {
				makesLine[half] = true
			}
		}
	}
	return slices.DeleteFunc(slices.Clone(hist), func(e *formats.Event) bool {
		c := parseCall(e)
		switch {
		case inSrc[e.ID]:
			return false
		case !inLine(e.Client):
			// Another fd table's, or in the history through a file copied
			// into dst; but a call that makes or removes dst's name or a
			// directory above it, which the open of dst finds (mkdir of
			// the directory cp copies into).
			return !changesNames(e) || !onDst(e)
		case creates(c.op):
			return !makesLine[e.ID]
		case c.op == "execve", c.op == "close_range", c.op == "exit_group", c.op == "EXIT", c.op == "KILLED":
			return false
		case !touches(e):
			return true
		}
		return onlyInto(e, dst)
	})
}

// onlyInto tells whether a call changes nothing but the bytes of the
// file at dst, or only learns its size: a write, a truncation or a seek
// through an fd -y shows on it, a copy into it from another file, a stat
// of it.
func onlyInto(e *formats.Event, dst string) bool {
	c := parseCall(e)
	on := func(i int) bool { _, p := fdOf(c.arg(i)); return p == dst }
	switch c.op {
	case "write", "pwrite64", "writev", "pwritev", "pwritev2", "ftruncate", "fallocate", "lseek", "fstat":
		return on(0)
	case "newfstatat", "statx":
		return byFD(c) && on(0)
	case "copy_file_range", "splice", "sendfile", "sendfile64":
		in, out := copyArgs(c.op)
		return on(out) && !on(in)
	}
	return false
}

// unchangedRead tells whether a call's output depends only on a file
// older than the trace that no call of its history can change, in any
// subtrace: then no subset of the history changes its output, and the
// empty subtrace is its one minimal witness, closed. The calls: a
// pread64 or preadv, or a stat (fstat, or newfstatat and statx with
// AT_EMPTY_PATH, as glibc's fstat), through an fd -y shows on a path
// (the model binds the fd to the file -y names whatever number it has; a
// pread reads at the call's own offset), and an open that cannot create
// or truncate (of an absolute path, or one relative to a directory -y
// shows: the same name in every subtrace). The file's bytes, size and
// names are the same in every subtrace when every call of the history
// is one that changes no file's bytes, size or name (changesNothing).
// The history of ld.so's pread64 of libc in a shell's later programs
// (every program's opens, reads, stats, private mmaps and closes of
// libc) holds more calls that could each be left out than the search
// tries the subsets of (16).
func unchangedRead(target *formats.Event, hist []*formats.Event) bool {
	c := parseCall(target)
	if c.unfinished || c.inflight {
		return false
	}
	switch {
	case (c.op == "pread64" || c.op == "preadv" || byFD(c)) && c.ok():
		a := c.arg(0)
		if fd, name := fdOf(a); fd < 0 || !strings.HasPrefix(name, "/") || strings.Contains(a, "(deleted)") || strings.Contains(a, "<"+formats.GuessedPath) {
			return false
		}
	case (c.op == "open" || c.op == "openat") && (c.ok() || c.errno == "ENOENT"):
		p, dir := c.str(0), ""
		if c.op == "openat" {
			p, dir = c.str(1), c.arg(0)
		}
		// Relative, it must be to a working directory -y shows (not to
		// a directory fd, whose file may be another's in a subtrace).
		shown := strings.HasPrefix(dir, "AT_FDCWD<") && !strings.Contains(dir, "<"+formats.GuessedPath)
		if !changesNothing(target) || p == "" || !strings.HasPrefix(p, "/") && !shown {
			return false
		}
	default:
		return false
	}
	for _, e := range hist {
		if !changesNothing(e) {
			return false
		}
	}
	return true
}

// unchangedOffsetRead tells whether a call is a read at its fd's offset
// (read, readv) of a file no call of its history changes, through an fd
// -y shows on a path: its output depends only on where the offset of its
// open file description is, and whether it is bound (see
// descriptionHolders).
func unchangedOffsetRead(target *formats.Event, hist []*formats.Event) bool {
	c := parseCall(target)
	if c.unfinished || c.inflight || c.op != "read" && c.op != "readv" || !c.ok() {
		return false
	}
	a := c.arg(0)
	if fd, name := fdOf(a); fd < 0 || !strings.HasPrefix(name, "/") || strings.Contains(a, "(deleted)") || strings.Contains(a, "<"+formats.GuessedPath) {
		return false
	}
	return !slices.ContainsFunc(hist, func(e *formats.Event) bool { return !changesNothing(e) })
}

// descriptionHolders returns the calls of a history (newest first) that
// can decide the output of an unchangedRead or unchangedOffsetRead
// target whose fd the whole trace shows on the open file description
// the call from made (Model.bindings): from itself and the later calls
// of the processes that may hold that description, which bind and free
// the target's fd and whose reads and seeks move its offset (the process
// that made it, those that share its fd table, and those that such a
// process made after it, with the calls that made them, and the calls,
// earlier ones too, that made the threads among them). A replay takes
// the fd as open only on that description, and every call changes no
// file, so no other call reaches the output. The whole
// history where a creating call strace split has no second half (the
// model then gives the creator's fds to whichever process calls next),
// or where the target's process holds no such description by the
// history's calls.
func descriptionHolders(hist []*formats.Event, target *formats.Event, from int64) []*formats.Event {
	k := kinOf(hist)
	i := slices.IndexFunc(hist, func(e *formats.Event) bool { return e.ID == from })
	if k.unresumed || i < 0 {
		return hist
	}
	holders := map[string]bool{k.tables.owner(hist[i].Client): true}
	made := map[int64]bool{}  // the creating calls (both halves) that made a holder
	for j := i; j >= 0; j-- { // oldest first, from on
		e := hist[j]
		c := parseCall(e)
		if !creates(c.op) || c.unfinished || !c.ok() || c.ret <= 0 || !holders[k.tables.owner(e.Client)] {
			continue
		}
		at := e.ID
		if half, ok := k.halves[e.ID]; ok {
			at = half // the child is made at the first half
		}
		if at > from {
			holders[k.tables.owner(strconv.FormatInt(c.ret, 10))] = true
			made[e.ID], made[at] = true, true
		}
	}
	if !holders[k.tables.owner(target.Client)] || k.twice {
		return hist
	}
	// A thread shares its table only where the calls that made it, from
	// its table's owner down, are in the subtrace: those are kept
	// whenever they ran (a thread made before the description was, which
	// binds the fd or reads through it).
	sharing := map[string][]int64{} // a thread -> the creating call that made it, both halves
	for _, e := range hist {
		if c := parseCall(e); creates(c.op) && c.ok() && c.ret > 0 && c.sharesFiles() {
			child := strconv.FormatInt(c.ret, 10)
			sharing[child] = append(sharing[child], e.ID)
			if half, ok := k.halves[e.ID]; ok {
				sharing[child] = append(sharing[child], half)
			}
		}
	}
	for _, e := range append([]*formats.Event{target}, hist...) {
		if e.ID < from || !holders[k.tables.owner(e.Client)] {
			continue
		}
		for p, n := e.Client, 0; n < 64 && sharing[p] != nil; n++ {
			for _, id := range sharing[p] {
				made[id] = true
			}
			p = k.creator[p]
		}
	}
	return slices.DeleteFunc(slices.Clone(hist), func(e *formats.Event) bool {
		return !made[e.ID] && (e.ID < from || !holders[k.tables.owner(e.Client)])
	})
}

// changesNothing tells whether a call changes no file's bytes or size
// and makes or removes no name, whatever the subtrace: it reads, moves
// an offset, binds or frees fd numbers, maps privately, or makes, execs
// or ends a process. An open that may create or truncate (O_CREAT,
// O_TRUNC, O_TMPFILE) is not among them, nor any call not listed.
func changesNothing(e *formats.Event) bool {
	c := parseCall(e)
	switch c.op {
	case "read", "pread64", "readv", "preadv", "lseek", "close", "close_range", "fstat", "newfstatat", "stat", "lstat", "statx",
		"access", "faccessat", "faccessat2", "getdents64", "getdents", "readlink", "readlinkat", "dup", "dup2", "dup3", "fcntl",
		"munmap", "execve", "clone", "clone3", "fork", "vfork", "exit_group", "EXIT", "KILLED", "getcwd", "chdir", "fchdir":
		return true
	case "mmap":
		return !sharedWritable(c)
	case "open", "openat":
		return !slices.ContainsFunc(c.args, func(a string) bool {
			return strings.Contains(a, "O_CREAT") || strings.Contains(a, "O_TRUNC") || strings.Contains(a, "O_TMPFILE")
		})
	}
	return false
}

// madeBy returns whether y's process is one that x, a call of hist that
// made a process, made, or one that a process it made made: as far as
// the calls of hist that made processes tell.
func madeBy(hist []*formats.Event) func(x, y *formats.Event) bool {
	var maker map[string]*formats.Event // a process's creating call; made at the first call
	return func(x, y *formats.Event) bool {
		if !creates(x.Op) {
			return false
		}
		if maker == nil {
			maker = map[string]*formats.Event{}
			for _, e := range hist {
				if c := parseCall(e); creates(c.op) && c.ok() && c.ret > 0 {
					maker[strconv.FormatInt(c.ret, 10)] = e
				}
			}
		}
		pid := y.Client
		for range 64 { // a chain of forks, bounded
			m, ok := maker[pid]
			if !ok {
				return false
			}
			if m.ID == x.ID {
				return true
			}
			pid = m.Client
		}
		return false
	}
}

// commute tells whether two calls give the same outputs and leave the
// same state in either order: calls that only bind or free fd numbers
// they name (close, dup2, dup3), naming none in common. Whether two
// processes share one fd table or not, each acts on its own numbers,
// and a file's count of open descriptors ends the same. (dup is not
// among them: it takes the lowest free number, which another's close
// may free.)
func commute(x, y *formats.Event) bool {
	numbers := func(e *formats.Event) map[int]bool {
		c := parseCall(e)
		switch c.op {
		case "close", "dup2", "dup3":
		default:
			return nil
		}
		out := map[int]bool{}
		for i := 0; i < 2 && i < len(c.args); i++ {
			fd, _ := fdOf(c.arg(i))
			out[fd] = true
			if c.op == "close" {
				break
			}
		}
		return out
	}
	nx, ny := numbers(x), numbers(y)
	if nx == nil || ny == nil {
		return false
	}
	for n := range nx {
		if ny[n] {
			return false
		}
	}
	return true
}

// onlyMovesOwnFD are the calls that change nothing but the calling
// process's own fd offset or binding; with fds taken as strace shows them,
// another process's such calls cannot reach the target.
var onlyMovesOwnFD = map[string]bool{"read": true, "pread64": true, "readv": true, "lseek": true, "close": true}

// fdFile names the file an fd argument is bound to: its -y path, or
// the fd's number without one; "" for an argument that is no fd.
func fdFile(a string) string {
	fd, p := fdOf(a)
	switch {
	case p != "":
		return p
	case fd >= 0 && strings.TrimLeft(a, "0123456789") == "":
		return a
	}
	return ""
}

// movesOffset are the calls of onlyMovesOwnFD that move an fd's offset
// (a close and a pread64 move none).
var movesOffset = map[string]bool{"read": true, "readv": true, "lseek": true}

// writesAtOffset are the calls that write at an fd's offset, by the
// argument that names that fd (a copy's, also when it is given an offset
// of its own, which this does not tell apart).
var writesAtOffset = map[string]int{"write": 0, "writev": 0, "copy_file_range": 2, "splice": 2, "sendfile": 0, "sendfile64": 0, "tee": 1}

// approxSkips tells whether the approximation leaves a call out: stats,
// which only learn the size of a file older than the trace, and fcntl
// calls that set close-on-exec, which only execs (left out) act on.
func approxSkips(e *formats.Event) bool {
	switch e.Op {
	case "fstat", "newfstatat", "statx", "stat", "lstat":
		return true
	case "fcntl":
		return !strings.HasPrefix(parseCall(e).arg(1), "F_DUPFD")
	}
	return false
}

// namesAbsolutely tells whether a call names a file of base name base by
// an absolute path (then its absolute key finds it), not by a relative
// one (which only the base name indexes).
func namesAbsolutely(e *formats.Event, base string) bool {
	for _, r := range (spec{}).Refs(e) {
		if k := string(r.Key); strings.HasPrefix(k, "/") && path.Base(k) == base {
			return true
		}
	}
	return false
}

// searchBudget bounds the calls the exact search replays (a file's bytes
// make a replay dear): past it the answer is the labelled approximation
// (whose search has the default budget), the same on every machine,
// rather than whatever --timeout allowed. 2^20 lets a history of 30
// calls of which 15 could each be left out (a shell's redirections,
// closes and execs around a cat) be searched: on make bench's program
// traces it took exact answers from 12 to 28 of 257 reads, and p99 from
// 1.3 s to 1.7 s.
const searchBudget = 1 << 20

// maxHistory bounds the calls a read's history may hold.
const maxHistory = 1 << 16

// A scope says which calls can decide a target.
type scope int

const (
	// everyFD: the target's fd is a bare number. In a subtrace it may
	// reach any file that number was ever bound to, so every call on
	// those files and numbers can decide it.
	everyFD scope = iota
	// byName: the target's fd carries strace's -y path, which the model
	// holds it to (see state.bound). The calls on the file's names
	// decide it, with the lifecycles (fork, exec) of the processes
	// that made them, the earlier names of renamed files and the
	// sources of copies.
	byName
	// approx: the fallback when those are too many: fds taken as bound
	// to the files the trace shows; of the processes' lifecycles only
	// the calls that made them (their fds are their parents'); other
	// processes' reads, seeks and closes, stats and close-on-exec flags
	// left out. Not exact.
	approx
)

// history returns every call that can decide the target in some
// subtrace within scope, newest first.
func history(ctx context.Context, h provenance.History, target *formats.Event, paths []string, sc scope, bareIndexed bool) ([]*formats.Event, error) {
	seen := map[int64]bool{}
	var out []*formats.Event
	// others: another process's reads, seeks and closes, which the
	// approximation leaves out unless that process is a thread sharing
	// the target's fd table, or it then writes where they moved it.
	var others []*formats.Event
	type key struct {
		k      string
		before int64
	}
	var queue []key
	tracked := map[string]bool{}
	// bareOnly holds the keys tracked for the calls that name their
	// number bare (namesBare), by the number: bareKeys, or with an older
	// index the fd keys, whose other calls name their own files, whose
	// histories find them if they matter. bareOwner holds their
	// processes.
	bareOnly, bareOwner := map[string]int{}, map[string]string{}
	namesOnly := ofNamesOnly(target.Op)
	parents := map[string]string{} // a process's creator, once found
	// ancestorOnly: the keys of a tracked path's directories, tracked
	// for whether they exist and what names they hold: their chdirs are
	// left out (Model.dirs gives every call its directory).
	ancestorOnly := map[string]bool{}
	// links holds the symbolic links the history met, by their paths:
	// the paths they point to, through which a tracked path has another
	// (see below).
	links := map[string]string{}
	var track func(k string, before int64)
	track = func(k string, before int64) {
		for link, to := range links {
			if rest, ok := strings.CutPrefix(k, to); ok && (rest == "" || strings.HasPrefix(rest, "/")) && !tracked[link+rest] {
				defer track(link+rest, before)
			}
		}
		if tracked[k] && ancestorOnly[k] {
			delete(ancestorOnly, k) // wanted whole now: again, unfiltered
			queue = append(queue, key{k, before})
			return
		}
		if !tracked[k] {
			tracked[k] = true
			queue = append(queue, key{k, before})
			// An fd's process: its fork (the fd may be inherited) and execs.
			if rest, ok := strings.CutPrefix(k, "fd:"); ok && sc == everyFD {
				pid, fd, _ := strings.Cut(rest, ":")
				track("proc:"+pid, target.ID)
				if parent, ok := parents[pid]; ok {
					track("fd:"+parent+":"+fd, target.ID)
				}
			}
		}
	}
	// trackBare tracks the calls of process pid that name fd number fd
	// bare (see namesBare), and those of the process that made pid.
	var trackBare func(pid string, fd int)
	trackBare = func(pid string, fd int) {
		k := string(bareKey(pid, fd))
		if !bareIndexed {
			k = string(fdKey(pid, fd))
		}
		if _, ok := bareOnly[k]; ok || tracked[k] {
			return
		}
		bareOnly[k], bareOwner[k] = fd, pid
		track(k, target.ID)
		if parent, ok := parents[pid]; ok {
			trackBare(parent, fd)
		}
	}
	// adopt notes that parent made child: the child's fds may be the
	// parent's.
	adopt := func(child, parent string) {
		if _, ok := parents[child]; ok {
			return
		}
		parents[child] = parent
		for t := range tracked {
			if n, bare := bareOnly[t]; bare {
				if bareOwner[t] == child {
					trackBare(parent, n) // the number the child inherited: its bare calls before the fork
				}
				continue
			}
			if fd, ok := strings.CutPrefix(t, "fd:"+child+":"); ok {
				track("fd:"+parent+":"+fd, target.ID)
			}
		}
		track("proc:"+parent, target.ID)
	}
	track("proc:"+target.Client, target.ID)
	// named: base names known only as parts of absolute paths, for which
	// a call naming another absolute path of that base is another file's.
	named := map[string]bool{}
	// trackDirs tracks the directories p is in: whether a call may make
	// or find p depends on them (a directory the trace made holds only
	// the names it made).
	trackDirs := func(p string, before int64) {
		for d := path.Dir(p); d != "/" && d != "."; d = path.Dir(d) {
			keys := []string{"base:" + path.Base(d)}
			if strings.HasPrefix(d, "/") {
				keys = append(keys, d) // a relative one is indexed by its base name only
			}
			for _, k := range keys {
				if !tracked[k] {
					ancestorOnly[k] = true
					track(k, before)
				}
			}
			if _, seen := named[path.Base(d)]; !seen {
				named[path.Base(d)] = strings.HasPrefix(d, "/")
			}
		}
	}
	for _, p := range paths {
		track(p, target.ID)
		track("base:"+path.Base(p), target.ID)
		named[path.Base(p)] = strings.HasPrefix(p, "/")
	}
	for _, p := range paths {
		trackDirs(p, target.ID)
	}
	// listed: the names of the directories whose names decide the target,
	// with the names it had before a rename: the target's directory, and
	// that of every rmdir in the history (whether it removed it depends
	// on them); nil when there is none.
	var listed map[string]bool
	listDirs := func(dirs []string) {
		grew := false
		for _, d := range dirs {
			if listed == nil {
				listed = map[string]bool{}
			}
			grew = grew || !listed[d]
			listed[d] = true
		}
		switch {
		case !grew:
		case tracked[namesKey]:
			queue = append(queue, key{namesKey, target.ID}) // again, for the new directory's
		default:
			track(namesKey, target.ID)
		}
	}
	if readsNames(parseCall(target)) {
		// Every name made or removed in it, under any of its names, by
		// relative names too: the calls that make or remove names.
		listDirs(paths)
	}
	if _, to := renamed(target); to != "" {
		listDirs([]string{to}) // a directory over one that holds names fails (Model's renameFails)
	}
	if sc == everyFD {
		for _, r := range (spec{}).Refs(target) {
			track(string(r.Key), target.ID)
		}
	}
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		before := k.before
		if pid, ok := strings.CutPrefix(k.k, "proc:"); ok {
			// A process whose creating call returns after the target
			// (strace printed the process's calls between its halves).
			later, err := h.Touching(ctx, "posix", "", []byte(k.k), math.MaxInt64, 16)
			if err != nil {
				return nil, err
			}
			for _, e := range later {
				if c := parseCall(e); e.ID > target.ID && creates(c.op) && c.ok() && strconv.FormatInt(c.ret, 10) == pid {
					adopt(pid, c.pid)
				}
			}
		}
		for {
			evs, err := h.Touching(ctx, "posix", "", []byte(k.k), before, 4096)
			if err != nil {
				return nil, err
			}
			for _, e := range evs {
				if k.k == namesKey {
					// A relative name is in its process's working
					// directory, where the trace shows it (as Model.dirs
					// takes it): a git in another repository, a shell's
					// temporary files.
					cwd := ""
					if slices.ContainsFunc(namedPaths(parseCall(e)), func(p string) bool { return !strings.HasPrefix(p, "/") }) {
						if cwd, err = cwdAt(ctx, h, e.Client, e.ID, 0); err != nil {
							return nil, err
						}
					}
					if !mayName(e, listed, cwd) {
						continue // a name in another directory
					}
				}
				if fd, ok := bareOnly[k.k]; ok && !namesBare(e, fd) {
					continue // on a file of its own
				}
				if ancestorOnly[k.k] && (e.Op == "chdir" || e.Op == "fchdir") {
					continue // the directory's names are the same (and the calls' directories, Model.dirs)
				}
				if sc == approx && ancestorOnly[k.k] && (e.Op == "getdents64" || e.Op == "getdents") {
					// A listing of a directory the target's path is in:
					// it learns only which names existed before the
					// trace, and taken in it brings every name made in the
					// directory (listDirs below): mv -b's listing of the
					// shell's directory put all 150 calls there in the
					// history of ar's read of an object file. The exact
					// search keeps it (a listing that shows the target's
					// name is a witness that it existed).
					continue
				}
				if ancestorOnly[k.k] && strings.HasPrefix(e.Op, "rename") {
					// A directory renamed: the paths in it had other names before.
					if from, to := renamed(e); to != "" {
						for _, p := range paths {
							if p == to && listed[p] {
								listDirs([]string{from}) // the directory whose names the target reads
							}
							if rest, ok := strings.CutPrefix(p, to+"/"); ok {
								old := from + "/" + rest
								track(old, e.ID)
								track("base:"+path.Base(old), e.ID)
								trackDirs(old, e.ID)
								if listed[p] {
									listDirs([]string{old}) // its names were made under the old name
								}
							}
						}
					}
				}
				if sc == approx && e.Client != target.Client && onlyMovesOwnFD[e.Op] {
					// Another process's reads, seeks and closes: left out,
					// unless it shares the target's fds or writes (below).
					others = append(others, e)
					continue
				}
				if sc == approx && strings.HasPrefix(k.k, "proc:") && !creates(e.Op) {
					continue // an exec, an exit
				}
				if sc == approx && e != target && approxSkips(e) {
					continue // a stat learning a size, an fd's close-on-exec flag (execs are left out)
				}
				if base, ok := strings.CutPrefix(k.k, "base:"); ok && sc != everyFD && named[base] && namesAbsolutely(e, base) {
					continue // another file of that name: found by its path if it matters
				}
				if !seen[e.ID] {
					seen[e.ID] = true
					out = append(out, e)
				}
				if sc != everyFD {
					track("proc:"+e.Client, target.ID)
				}
				if _, ok := bareOnly[k.k]; ok {
					continue // what it does to other numbers and files reaches the target only through theirs
				}
				// A number -y shows on a tracked file: a call of the
				// process that names it bare reaches the file in a
				// subtrace in which the number is still open on it,
				// where it moves an offset, writes or frees the number:
				// nothing an output of names alone depends on.
				if sc != everyFD && !namesOnly {
					c := parseCall(e)
					for _, a := range append(slices.Clip(c.args), num0(string(e.Reply))) {
						if fd, name := fdOf(a); fd >= 0 && tracked[name] {
							trackBare(e.Client, fd)
						}
					}
				}
				copies := e.Op == "copy_file_range" || e.Op == "splice" || e.Op == "tee" || strings.HasPrefix(e.Op, "sendfile")
				refs := (spec{}).Refs(e)
				relative := relativeBases(refs)
				for _, r := range refs {
					k := string(r.Key)
					switch {
					case strings.HasPrefix(k, "proc:") || strings.HasPrefix(k, "cwd:") || k == namesKey:
					case sc == everyFD:
						// Its whole history before the target: in a subtrace
						// the later calls on it may reach the target's file.
						track(k, target.ID)
					case strings.HasPrefix(k, "fd:"):
					case strings.HasPrefix(e.Op, "rename") || strings.HasPrefix(e.Op, "link") || copies:
						track(k, e.ID) // the name the file had before; a copy's source
						if b, isBase := strings.CutPrefix(k, "base:"); isBase {
							if relative[b] {
								named[b] = false // a relative name: any file of that base may be it
							}
						} else {
							trackDirs(k, e.ID)
							track("base:"+path.Base(k), e.ID)
							if _, seen := named[path.Base(k)]; !seen {
								named[path.Base(k)] = true
							}
						}
					}
				}
				// A symlink to a tracked path or a directory above one:
				// a call through the link reaches it by the link's path
				// (an unlink of l/f, with l a link to e, removes e/f),
				// which is tracked too, and listed where it is.
				if link, to := linkEnds(parseCall(e)); strings.HasPrefix(link, "/") && strings.HasPrefix(to, "/") {
					links[link] = to
					var via []string
					for k := range tracked {
						if rest, ok := strings.CutPrefix(k, to); ok && (rest == "" || strings.HasPrefix(rest, "/")) {
							via = append(via, k)
						}
					}
					for _, k := range via {
						alias := link + strings.TrimPrefix(k, to)
						track(alias, target.ID)
						track("base:"+path.Base(alias), target.ID)
						trackDirs(alias, target.ID)
						if listed[k] {
							listDirs([]string{alias})
						}
					}
				}
				// A symlink the trace made: the file it points to is
				// what a call through it reads or writes.
				if t := linkTarget(e); t != "" {
					track("base:"+path.Base(t), target.ID)
					if strings.HasPrefix(t, "/") {
						track(t, target.ID)
						trackDirs(t, target.ID)
						if _, seen := named[path.Base(t)]; !seen {
							named[path.Base(t)] = true
						}
					} else {
						named[path.Base(t)] = false // a relative name: any file of that base may be it
					}
				}
				// A fork that made a tracked process: its fds came from
				// the parent.
				c := parseCall(e)
				if creates(c.op) && c.ok() {
					adopt(strconv.FormatInt(c.ret, 10), c.pid)
				}
				// An rmdir removes its directory or not by the names in
				// it: they are the target's history too. Not a
				// listing's: it changes only its fd's offset, which only
				// a later listing through that fd reads, of that
				// directory, whose names such a target's history holds
				// already (ls's listing of a shell's directory put every
				// program's calls there in the history of ar's read of
				// an object file).
				if removesDir(c) {
					if dirs, err := targetPaths(e); err == nil {
						listDirs(dirs)
					}
				}
				if _, to := renamed(e); to != "" && (c.errno == "ENOTEMPTY" || c.errno == "EEXIST") {
					listDirs([]string{to}) // a directory over one that held names: which (Model's renameFails)
				}
			}
			if len(out) > maxHistory {
				return nil, fmt.Errorf("%s: more than %d calls can decide it: %w", target.Where(), maxHistory, provenance.ErrNotExplainable)
			}
			if len(evs) < 4096 {
				break
			}
			before = evs[len(evs)-1].ID
		}
	}
	// A process that writes a file after it read or seeks in it moves the
	// offset its writes land at: as (the assembler) seeks past the end of
	// the object it writes, writes, seeks back and reads. Such reads and
	// seeks stay: those before a write of the same process to the same
	// file (by the fds' -y paths, or their numbers without them).
	type fileOf struct{ pid, file string }
	lastWrite := map[fileOf]int64{}
	for _, e := range out {
		if i, ok := writesAtOffset[e.Op]; ok && i < len(e.Args) {
			if f := fdFile(string(e.Args[i])); f != "" {
				k := fileOf{e.Client, f}
				lastWrite[k] = max(lastWrite[k], e.ID)
			}
		}
	}
	// A thread (a clone with CLONE_FILES) shares its creator's fds: its
	// reads, seeks and closes move and end the target's.
	tables := tablesOf(out)
	for _, e := range others {
		if seen[e.ID] || len(e.Args) == 0 {
			continue // kept already (found under another key)
		}
		f := fdFile(string(e.Args[0]))
		if tables.same(e.Client, target.Client) || movesOffset[e.Op] && f != "" && lastWrite[fileOf{e.Client, f}] > e.ID {
			seen[e.ID] = true
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	out = leaveBystanders(out, target)
	out = leaveExits(out, target)
	out = leaveLocks(out, target)
	if sc == approx {
		out = leaveIdle(leaveRewound(out, target, tables), target, paths, parents, tables)
	}
	return out, nil
}

// namesBare tells whether a call names fd number fd without a file: a
// failed call on a number no file was open on, which strace -y prints
// bare. In a subtrace in which the number is open, the model replays it
// on the number's file (state.bound). A successful call prints a number
// bare only as a dup2's or dup3's new fd, which it closes first: in such
// a subtrace that changes no file's bytes or offset.
func namesBare(e *formats.Event, fd int) bool {
	return slices.Contains(bareNumbers(parseCall(e)), fd)
}

// bareNumbers returns the fd numbers a call names bare (see namesBare)
// where the model would replay it on them: a failed call that
// replaysFailed, by its fdArgs without -y's name. Refs indexes the call
// under bareKey for each.
func bareNumbers(c call) []int {
	if c.ok() || !replaysFailed(c.op) {
		return nil
	}
	var out []int
	for _, a := range fdArgs(c) {
		if fd, name := fdOf(a); fd >= 0 && name == "" {
			out = append(out, fd)
		}
	}
	return out
}

// ofNames tells whether a call's output is one of names alone
// (ofNamesOnly), or a stat's of a name: whether it exists, and a size.
func ofNames(e *formats.Event) bool {
	c := parseCall(e)
	return ofNamesOnly(c.op) || strings.Contains(c.op, "stat") && !byFD(c)
}

// ofNamesOnly tells whether a call's output depends on names alone
// (which exist, and which are directories), not on any file's bytes or
// size, offsets or fd numbers: an open's (its fd's number is not in its
// output), a mkdir's, an rmdir's, an unlink's, a rename's, a link's, an
// access's.
func ofNamesOnly(op string) bool {
	switch op {
	case "open", "openat", "creat", "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat", "renameat2",
		"link", "linkat", "symlink", "symlinkat", "access", "faccessat", "faccessat2":
		return true
	}
	return false
}

// replaysFailed tells whether the model replays a call that failed on
// an fd number no file was open on as the call it would have been had
// the number been open (a read takes bytes and moves the offset, a
// close frees the number): in a subtrace in which it is. The others
// (dup2, fcntl, ftruncate, fallocate, a stat, mmap) do nothing in the
// model when the trace shows them failed.
func replaysFailed(op string) bool {
	switch op {
	case "read", "pread64", "readv", "preadv", "write", "pwrite64", "writev", "pwritev", "lseek", "close",
		"getdents64", "getdents", "copy_file_range", "sendfile", "sendfile64", "splice", "tee":
		return true
	}
	return false
}

// relativeBases returns the base names of a call's refs (Refs) that
// stand for a relative path. Refs indexes an absolute path under its
// base name too, so a base name is a relative path's only where the
// call has more refs of that base name than absolute paths ending in it.
func relativeBases(refs []formats.Ref) map[string]bool {
	n := map[string]int{}
	for _, r := range refs {
		k := string(r.Key)
		if b, ok := strings.CutPrefix(k, "base:"); ok {
			n[b]++
		} else if strings.HasPrefix(k, "/") {
			n[path.Base(k)]--
		}
	}
	out := map[string]bool{}
	for b, c := range n {
		if c > 0 {
			out[b] = true
		}
	}
	return out
}

// lockOrQuery holds the fcntl commands the model replays as nothing: a
// record lock taken, dropped or tested (locks are not modelled: a call
// that failed for one replays as logged), and the fd's or the open
// file's flags read.
var lockOrQuery = map[string]bool{"F_SETLK": true, "F_SETLKW": true, "F_GETLK": true,
	"F_OFD_SETLK": true, "F_OFD_SETLKW": true, "F_OFD_GETLK": true, "F_GETFD": true, "F_GETFL": true}

// leaveLocks drops from a history (newest first) the fcntl calls that
// take, drop or test locks or read flags (lockOrQuery), but the target
// and its process's first call in the history: the model replays them
// as nothing, so no subtrace replays differently with one or without
// it. (A process's first call may be the one that shows it exists
// before its creating call returned; and a process's next call ends the
// crossings of its calls on a pipe, so a history with a pipe, a socket,
// an eventfd or a FIFO keeps them all.) Left in, each is one more call the exact search may leave out:
// sqlite3 takes and drops locks around every transaction, and a read of
// its database's header had 16 of them in its history, past the
// search's limit (TestLocksLeftOut).
func leaveLocks(hist []*formats.Event, target *formats.Event) []*formats.Event {
	if holdsPipes(hist) {
		return hist
	}
	first := map[string]int64{}
	for _, e := range hist {
		first[e.Client] = e.ID // newest first: the last one set is the first
	}
	out := hist[:0:0]
	for _, e := range hist {
		if e != target && e.Op == "fcntl" && len(e.Args) > 1 && lockOrQuery[string(e.Args[1])] && first[e.Client] != e.ID {
			continue
		}
		out = append(out, e)
	}
	return out
}

// holdsPipes tells whether a history has a call on what the replay takes
// for a pipe ("pipe:[7]", "socket:[9]", "anon_inode:[eventfd]": -y's
// names of them) or one that makes one: a read of it takes what it
// reads away, and a process that holds it open keeps it from its end.
func holdsPipes(hist []*formats.Event) bool {
	return slices.ContainsFunc(hist, func(e *formats.Event) bool {
		return makesPipe(e) || strings.HasPrefix(e.Op, "eventfd") || bytes.Contains(e.Raw, []byte(":["))
	})
}

// makesPipe tells whether a call makes a pipe, a socket pair or a FIFO.
func makesPipe(e *formats.Event) bool {
	return strings.Contains(e.Op, "pipe") || e.Op == "socketpair" || e.Op == "mkfifo" || e.Op == "mknod" || e.Op == "mknodat"
}

// leaveStrangers drops from the exact search's history (newest first)
// the calls of strangers to the target, which change nothing it sees in
// any subtrace. A stranger is a process that is neither the target's
// nor an ancestor of it (by the history's calls that made processes),
// shares an fd table with none of them, descends from no process with a
// call on an fd in the history or is sealed (sealedProcesses: it and the
// processes it made move no description's offset), and neither it nor a
// process it made has a call that may change a file (whose offset its
// reads and seeks decide: a shell's program that reads a file and writes
// it).
//
// Every fd a stranger uses is then its own, in every subtrace: bound by
// its own calls, or anew on the file -y names (state.bound), an open
// file description that no process of the target's line holds. So a
// stranger's call that changes no file's bytes, size or names
// (changesNothing: an open that cannot create or truncate, a read, a
// seek, a close, an exec, an exit; not one that learns what a file older
// than the trace holds, learnsOlder, but a stat of one whose size the
// trace shows, sizedStat) moves no offset and binds no number the target
// uses. Then the calls that made a process left with no call go too (its
// two halves, where strace split one, unless a call of a process the
// history does not make came between them: see strangerBetween), but for
// those of a process with a creating call strace split that failed,
// whose table may hold an fd: another of its creating calls ends the
// first's wait for its child's first call (state.pending), in a subtrace
// without its second half.
//
// Not for a history with a pipe (holdsPipes): reading one takes bytes
// away. A target whose output is of names (ofNames) gets it too: a
// stranger's call makes and removes no name, and what the calls left
// take from the log (Model.takes) is weighed without it, as every
// subtrace without it weighs it (git's processes each open "." O_PATH,
// 17 of them in an unlink's history). Left in, each such
// call doubles the subtraces the search tries: every program a shell ran
// opened, read and closed the locale files the target's program reads
// too (coreutils's read of /etc/locale.alias had 56 calls of 7 such
// programs in its history, past the search's limit: an approximation).
// TestStrangersEqualBruteForce is its referee.
func leaveStrangers(hist []*formats.Event, target *formats.Event, sizes map[string]int64) []*formats.Event {
	if holdsPipes(hist) {
		return hist
	}
	renames := slices.ContainsFunc(hist, changesNames)
	k := kinOf(hist)
	if k.unresumed || k.twice {
		// A process made by a call never resumed: the model takes the
		// next stranger for it. A pid made twice: which calls are whose
		// is not plain.
		return hist
	}
	tables := k.tables
	line := map[string]bool{} // the fd tables of the target's process and its ancestors
	for _, p := range k.lineOf(target.Client) {
		line[tables.owner(p)] = true
	}
	// The fd tables with a call that may change a file: their offsets
	// decide where it lands, and so do those of every process that
	// shares their open file descriptions (their ancestors').
	changers := map[string]bool{}
	for _, e := range hist {
		if !changesNothing(e) {
			for _, p := range k.lineOf(e.Client) {
				changers[tables.owner(p)] = true
			}
		}
	}
	sealed := sealedProcesses(hist, k)
	stranger := map[string]bool{}
	isStranger := func(pid string) bool {
		if s, ok := stranger[pid]; ok {
			return s
		}
		s := !line[tables.owner(pid)] && !changers[tables.owner(pid)] && (!k.inherits(pid) || sealed[pid])
		stranger[pid] = s
		return s
	}
	// A stranger's call after the first half of a creating call strace
	// split whose second half made no process (it failed), by a process
	// that may hold fds, stays: in a subtrace without that second half
	// the creator waits for a child (state.pending), and the model takes
	// the next process it has not seen for it, with the creator's fds. A
	// split call that made one makes it at its first half, in every
	// subtrace (Model.children), and leaves no wait.
	splitFrom := int64(math.MaxInt64)
	waits := map[string]bool{} // the processes with such a call
	for _, e := range hist {
		half, ok := k.halves[e.ID]
		if c := parseCall(e); ok && (!c.ok() || c.ret <= 0) && (k.holders[tables.owner(e.Client)] || k.inherits(e.Client)) {
			splitFrom = min(splitFrom, half)
			waits[e.Client] = true
		}
	}
	var drop map[int64]bool
	calls := map[string]int{} // each process's calls left
	for _, e := range hist {
		if e != target && e.ID < splitFrom && !creates(e.Op) && isStranger(e.Client) && changesNothing(e) && (!learnsOlder(e) || sizedStat(e, sizes, renames)) {
			setKey(&drop, e.ID, true)
			continue
		}
		calls[e.Client]++
	}
	// Newest first: a process's creation comes after its children's, so
	// a stranger that only made strangers goes too.
	for _, e := range hist {
		c := parseCall(e)
		if !creates(c.op) || c.unfinished || !c.ok() || c.ret <= 0 || drop[e.ID] {
			continue
		}
		child := strconv.FormatInt(c.ret, 10)
		half, isSplit := k.halves[e.ID]
		if calls[child] > 0 || child == target.Client || isSplit && strangerBetween(hist, half, e.ID, k.creator) ||
			waits[e.Client] {
			continue
		}
		setKey(&drop, e.ID, true)
		calls[e.Client]--
		if isSplit {
			setKey(&drop, half, true)
			calls[e.Client]--
		}
	}
	return without(hist, drop)
}

// sealedProcesses returns the processes of a history (newest first)
// that leave every open file description they may have inherited as it
// was, in any subtrace: neither they, nor a process sharing their fd
// table, nor one they made (and so on down) has a call of the history
// that reads through an fd, seeks, lists a directory, writes, or sets a
// description's flags (keepsDescriptions). Such a process may hold the
// descriptions of the target's processes (inherited from a common
// ancestor), but none of its calls moves their offsets: its opens, dups,
// closes and execs bind and free numbers of its own table only. So it
// is a stranger though an ancestor of it holds fds (kin.inherits): rsync
// forks twice and each process opens "." O_PATH, which a read of a file
// in that directory has in its history.
func sealedProcesses(hist []*formats.Event, k kin) map[string]bool {
	open := map[string]bool{} // the fd tables with a call that may move or change a description
	pids := map[string]bool{}
	for _, e := range hist {
		pids[e.Client] = true
		if !creates(e.Op) && !keepsDescriptions(e) {
			open[k.tables.owner(e.Client)] = true
		}
	}
	for child := range k.creator {
		pids[child] = true
	}
	// A process is sealed when no process of its line downwards (itself,
	// its children, theirs) uses a table with such a call: mark the
	// line of every process that does, upwards from it.
	unsealed := map[string]bool{}
	for p := range pids {
		if open[k.tables.owner(p)] {
			for _, q := range k.lineOf(p) {
				unsealed[q] = true
			}
		}
	}
	// A table shared by threads is unsealed with any of them.
	owners := map[string]bool{}
	for p := range unsealed {
		owners[k.tables.owner(p)] = true
	}
	sealed := map[string]bool{}
	for p := range pids {
		sealed[p] = !owners[k.tables.owner(p)]
	}
	return sealed
}

// keepsDescriptions tells whether a call that changes nothing leaves
// every open file description as it was: an open, a dup, a close, an
// fcntl that sets an fd's own flag or duplicates it, an exec, an exit,
// a stat by name. Not a read or a seek (they move the offset), a
// directory listing (its offset), a stat of an fd, or another fcntl
// (F_SETFL sets the description's O_APPEND).
func keepsDescriptions(e *formats.Event) bool {
	if !changesNothing(e) {
		return false
	}
	c := parseCall(e)
	switch c.op {
	case "open", "openat", "close", "close_range", "dup", "dup2", "dup3", "execve", "exit_group", "EXIT", "KILLED",
		"stat", "lstat", "access", "faccessat", "faccessat2", "getcwd":
		return true
	case "fcntl":
		switch c.arg(1) {
		case "F_SETFD", "F_GETFD", "F_GETFL", "F_DUPFD", "F_DUPFD_CLOEXEC":
			return true
		}
	}
	return false
}

// sizedStat tells whether a call is a stat of an fd on a regular file
// whose size before the trace the trace shows (Model.sizes), in a
// history that makes and removes no names: it learns nothing then, in any
// subtrace, as the file its fd reaches there is that one (made that size
// as the replay reaches it) or one the trace made or truncated, whose
// size the replay knows.
func sizedStat(e *formats.Event, sizes map[string]int64, renames bool) bool {
	c := parseCall(e)
	if renames || !byFD(c) || statType(c) != "S_IFREG" {
		return false
	}
	a := c.arg(0)
	_, name := fdOf(a)
	_, sized := sizes[name]
	return sized && !strings.Contains(a, "(deleted)") && !strings.Contains(a, "<"+formats.GuessedPath)
}

// kin is what a history's calls that make processes tell of them.
type kin struct {
	creator map[string]string // a process's creator, where the history made it
	halves  map[int64]int64   // a creating call's second half -> its first, where strace split it
	splits  map[string]bool   // the processes with a creating call strace split
	// unresumed: a creating call strace split has no second half; twice:
	// a pid was made twice.
	unresumed, twice bool
	tables           fdTables
	holders          map[string]bool // the fd tables with a call on an fd, or one that returns one (onFD)
}

// kinOf reads a history (newest first).
func kinOf(hist []*formats.Event) kin {
	k := kin{creator: map[string]string{}, halves: map[int64]int64{}, splits: map[string]bool{}, tables: tablesOf(hist), holders: map[string]bool{}}
	split := map[string]int64{}
	for i := len(hist) - 1; i >= 0; i-- { // oldest first
		c := parseCall(hist[i])
		if onFD(c) {
			k.holders[k.tables.owner(c.pid)] = true
		}
		if !creates(c.op) {
			continue
		}
		if c.unfinished {
			split[c.pid] = hist[i].ID
			k.splits[c.pid] = true
			continue
		}
		if half, ok := split[c.pid]; ok {
			k.halves[hist[i].ID] = half
			delete(split, c.pid)
		}
		if c.ok() && c.ret > 0 {
			child := strconv.FormatInt(c.ret, 10)
			_, again := k.creator[child]
			k.twice = k.twice || again
			k.creator[child] = c.pid
		}
	}
	k.unresumed = len(split) > 0
	return k
}

// lineOf returns pid and its ancestors, nearest first, by the history's
// creating calls (at most 64: a trace that reuses pids may loop).
func (k kin) lineOf(pid string) []string {
	var out []string
	for p := pid; p != "" && len(out) < 64; p = k.creator[p] {
		out = append(out, p)
	}
	return out
}

// inherits tells whether an ancestor of pid (by the history's creating
// calls) has a call on an fd: then pid's table may hold, in a subtrace,
// an open file description another process holds too.
func (k kin) inherits(pid string) bool {
	line := k.lineOf(pid)
	return len(line) > 1 && slices.ContainsFunc(line[1:], func(p string) bool { return k.holders[k.tables.owner(p)] })
}

// learnsOlder tells whether a call that changes nothing may teach the
// replay what a file older than the trace holds, which any process's
// later calls then see: a stat of an fd learns its size and type, a
// directory listing its names, an lseek to the end (or to data or a
// hole) an offset the file's size decides; a mapping and a link's
// reading are not weighed.
func learnsOlder(e *formats.Event) bool {
	c := parseCall(e)
	switch c.op {
	case "fstat", "newfstatat", "statx", "stat", "lstat", "getdents", "getdents64", "mmap", "readlink", "readlinkat":
		return true
	case "lseek":
		return c.arg(2) != "SEEK_SET" && c.arg(2) != "SEEK_CUR"
	}
	return false
}

// onFD tells whether a call names an fd number (as a directory too) or
// may return one.
func onFD(c call) bool {
	if len(fdArgs(c)) > 0 || c.retPath != "" {
		return true
	}
	switch c.op {
	case "dup", "fcntl", "close_range", "fchdir", "open", "openat", "openat2", "creat":
		return true
	}
	for i := range c.args {
		if fd, _ := fdOf(c.arg(i)); fd >= 0 && strings.Contains(c.arg(i), "<") {
			return true
		}
	}
	return false
}

// leaveExits drops from a history (newest first) the exits of processes
// that make no later call in it: the model's exit forgets the process's
// fd table, which no later call of the history reads (a later process of
// the same pid, which a fork makes anew, but for one that calls before
// the fork returned: then the exit stays). An exit closes no file's
// bytes, size or name, and the model counts no pipe's writers. Not the
// exit of a process with a creating call strace split whose table may
// hold an fd, either (see pending): TestStrangersEqualBruteForce found
// it. Left in, each process's exit_group and "+++ exited" line double
// the subtraces the exact search tries (every writer of a file a shell's
// commands append to, and every ld.so that read libc).
func leaveExits(hist []*formats.Event, target *formats.Event) []*formats.Event {
	var drop map[int64]bool
	later := map[string]bool{} // processes with a call newer than the one at hand
	k := kinOf(hist)
	for p := range k.splits {
		// A process's first call, where it comes after a creating call
		// began and before it resumed, makes it a copy of the creator's
		// table (state.pending): in a subtrace without the second half,
		// after the exit too, when the table is gone. That matters to a
		// table that may hold an fd.
		if k.holders[k.tables.owner(p)] || k.inherits(p) {
			later[p] = true
		}
	}
	for _, e := range hist { // newest first
		switch e.Op {
		case "EXIT", "KILLED", "exit_group":
			if e != target && !later[e.Client] {
				setKey(&drop, e.ID, true)
				continue
			}
		}
		later[e.Client] = true
	}
	return without(hist, drop)
}

// leaveBystanders drops from a history (newest first) the calls that
// made a bystander: a process with no other call in the history, that is
// neither the target's process nor an ancestor of it, made before every
// call of the history but those that make processes and execs. It got
// copies of its creator's fds before anything the history is about was
// opened or made, made nothing itself, and the model counts no pipe's
// writers, so no subtrace replays differently with it or without it.
// Left in, each doubles the subtraces the exact search tries (a shell
// of make bench's programs had made 13 before the pipeline whose sort
// read a pipe; TestBystanders: 20 took a pipe read past the search's
// limit).
func leaveBystanders(hist []*formats.Event, target *formats.Event) []*formats.Event {
	k := kinOf(hist)
	if k.twice {
		return hist // a pid made twice: which calls are whose is not plain
	}
	first := int64(math.MaxInt64) // the first call that is not a creation or an exec
	calls := map[string]int{}     // each process's calls in the history
	for _, e := range hist {
		calls[e.Client]++
		if c := parseCall(e); !creates(c.op) && c.op != "execve" && c.op != "execveat" {
			first = min(first, e.ID)
		}
	}
	lineage := map[string]bool{}
	for _, p := range k.lineOf(target.Client) {
		lineage[p] = true
	}
	var drop map[int64]bool
	for _, e := range hist {
		c := parseCall(e)
		if !creates(c.op) || c.unfinished || !c.ok() || e.ID >= first {
			continue
		}
		child := strconv.FormatInt(c.ret, 10)
		half, split := k.halves[e.ID]
		if lineage[child] || calls[child] > 0 || split && strangerBetween(hist, half, e.ID, k.creator) {
			continue
		}
		setKey(&drop, e.ID, true)
		if split {
			setKey(&drop, half, true)
		}
	}
	return without(hist, drop)
}

// strangerBetween tells whether a history (newest first) holds, between
// the halves of a creating call that strace split (ids from and to), a
// call of a process the history does not make: the model takes such a
// process to be the one that call made (state.pending), so the call
// stays.
func strangerBetween(hist []*formats.Event, from, to int64, creator map[string]string) bool {
	for _, e := range hist {
		if e.ID > from && e.ID < to {
			if _, made := creator[e.Client]; !made {
				return true
			}
		}
	}
	return false
}

// leaveRewound is a cut of the approximation's history (newest first)
// for a target that reads or writes at its fd's offset: the reads and
// seeks of that fd before an lseek to an absolute offset (SEEK_SET), by
// the target's process or a thread sharing its fds, back to the fd's
// last binding or to another call on it (a write, which lands where
// they put the offset), change nothing the target sees once that lseek
// is in a subtrace (ar reads an object, seeks back to 0 and reads it
// again, 40 times). Left in, each is a call the search must try with
// and without.
func leaveRewound(hist []*formats.Event, target *formats.Event, tables fdTables) []*formats.Event {
	tc := parseCall(target)
	if !movesOffset[tc.op] && tc.op != "write" && tc.op != "writev" {
		return hist
	}
	fd, _ := fdOf(tc.arg(0))
	if fd < 0 {
		return hist
	}
	var drop map[int64]bool
	rewound := false
	for _, e := range hist {
		if e.ID >= target.ID || !tables.same(e.Client, target.Client) {
			continue
		}
		c := parseCall(e)
		n, _ := fdOf(c.arg(0))
		binds := isOpen(c.op) || c.op == "dup" || c.op == "dup2" || c.op == "dup3" || c.op == "fcntl" && strings.HasPrefix(c.arg(1), "F_DUPFD")
		if binds && c.ok() && c.retFD == fd || c.op == "close" && n == fd {
			break // bound or ended here: what came before is another fd's
		}
		if n != fd {
			continue
		}
		if !movesOffset[c.op] {
			if rewound {
				break // a write where the moves before it put the offset
			}
			continue
		}
		switch {
		case rewound:
			setKey(&drop, e.ID, true) // an earlier SEEK_SET too
		case c.op == "lseek" && c.ok() && c.arg(2) == "SEEK_SET":
			rewound = true
		}
	}
	return without(hist, drop)
}

// TraceModel returns the model with the facts of a whole trace (oldest
// first, its target last) that a call has in any of its subtraces: each
// call's working directory (Model.dirs), where each write in flight
// resumed (Model.ends), which names the calls before the target show
// to have existed before the trace (Model.older), their sizes and the
// bytes the reads showed of them (Model.sizes, Model.shown). The
// brute-force tests replay subtraces with it.
func (spec) TraceModel(trace []*formats.Event) provenance.Model {
	m := Model{dirs: map[int64]string{}, ends: map[int64]int64{}}
	h := &provenance.MemHistory{Events: trace, Refs: Spec.Refs}
	if err := workingDirs(context.Background(), h, trace, m.dirs); err != nil {
		m.dirs = nil // the replay's own view of the directories
	}
	flightEnds(provenance.Reversed(trace), m.ends)
	if len(trace) > 0 {
		m = m.withFacts(m.recordOlder(trace[:len(trace)-1], trace[len(trace)-1]))
		_, _, m.shown = m.recordPrior(trace[:len(trace)-1], trace[len(trace)-1], true)
	}
	return m
}

// flightEnds fills ends with the event where each write in flight of
// hist (newest first) resumed (see Model.ends): the process's next call
// in it, the process being inside the write until then. It returns
// those first halves that no copy from their pipe (splice, sendfile,
// tee, copy_file_range) crossed, which the search leaves out.
//
// Only a read between the two halves takes bytes from the first, and a
// read that finds the pipe short without it takes as many bytes
// (state.take's ahead), which the second half skips as it skips what was
// taken from its flight (or settle counts, when a subtrace lacks the
// second half): past the second half, every subtrace with the first
// holds what it holds without it, but for bytes a copy took from the
// flight, known with it and unknown without, and whether the pipe is
// marked raced. That mark labels an answer and changes no output: the
// label is the whole history's (Explain replays it with every half).
// TestQuietHalvesChangeNothing replays every subtrace both ways.
func flightEnds(hist []*formats.Event, ends map[int64]int64) (landed map[int64]bool) {
	flying := map[string]*formats.Event{}
	copied := map[int64]bool{}
	for i := len(hist) - 1; i >= 0; i-- { // oldest first
		e := hist[i]
		for pid, half := range flying {
			switch {
			case pid == e.Client && e.Op == "write":
				ends[half.ID] = e.ID
				if !copied[half.ID] {
					setKey(&landed, half.ID, true)
				}
				delete(flying, pid)
			case copies(e.Op) && sharesPipe(e, half):
				copied[half.ID] = true
			}
		}
		if string(e.Reply) == formats.ReplyUnfinished && e.Op == "write" {
			flying[e.Client] = e
		}
	}
	return landed
}

// quietCalls returns the calls of hist (newest first) that change
// nothing in any replay, or nothing the target's output depends on,
// which the search leaves out:
//   - the second halves of creating calls strace split whose first half
//     made the process (Model.resumed);
//   - the execs that close no fd: one that failed, or one of a process
//     no fd of whose table may be close-on-exec (neither it, nor a
//     process of its table or of its line up, has a call before it that
//     may make one);
//   - the reads at an offset of their own (pread64, preadv: SQLite reads
//     its header at every transaction), and the stats of an fd on a file
//     whose size every replay knows (sizeKnown), through fds a call of
//     the trace bound (Model.bindings; an fd it did not bind, the call
//     binds itself, state.bound);
//   - the seeks of a description other than the target's that only
//     appends;
//   - for a target whose output is of names alone (ofNamesOnly), the
//     calls through fds the trace bound that only write or read bytes,
//     set sizes, move offsets or bind numbers (fdOnly), in a history
//     whose paths the model resolves by names alone (pathsByName); and
//     the calls that make, exec or end processes, where the trace shows
//     every working directory such a path is relative to
//     (Model.dirsShown);
//   - for a target whose output is whether its fd is open (ofBinding:
//     a close, a seek to an offset of its own, a write) of an fd a call
//     of the trace bound, the calls through fds the trace bound that
//     only read or write bytes, set sizes, move offsets or stat the fd
//     (movesBytes); and, where an open of the target's own fd table
//     bound it, the calls of other tables that change no name and make
//     no process, but failed ones on that open's path;
//   - for a target whose output is bytes of a file (readsFile: a read,
//     a copy from it), the calls through fds the trace bound that only
//     move bytes of other files than it and those copied into it
//     (sourcesOf); and, where an open of its own fd table bound its
//     source, the calls of other tables that touch none of the paths or
//     descriptions its answer rests on, and the calls that made the
//     processes none of whose calls stay.
//
// But for two things any call does, which make the whole history keep
// them: it ends its process's marks on pipes (state.uncross), and, from
// a process the replay has not seen, it ends the wait of a creating
// call strace split that made no process (state.pending). So not in a
// history with a call strace split that moves a pipe's bytes, the only
// kind that sees those marks (splitOnPipe), or with the first half of
// a creating call that made no process. Left in, each doubles the
// subtraces the exact search tries: every program a shell runs is a
// vfork strace split and an exec (and a compiler's search of PATH for
// as, execs that fail).
func quietCalls(hist []*formats.Event, target *formats.Event, m Model) map[int64]bool {
	if slices.ContainsFunc(append(slices.Clip(hist), target), splitOnPipe) {
		return nil
	}
	k := kinOf(hist)
	targetBy, targetBound := m.boundByTrace(target)
	bound := func(e *formats.Event) bool { _, ok := m.boundByTrace(e); return ok }
	marked := map[string]int64{} // by fd table, its first call that may make an fd close-on-exec
	// appenders: the opens in hist that made a description only written
	// at the end of its file (O_WRONLY|O_APPEND), but the target's;
	// none counts where a call may set a description's flags (F_SETFL).
	appenders := map[int64]bool{}
	setsFlags, aliases := false, false
	// loose: the files a call may change through an fd no call of the
	// trace bound, at an offset a replay may not know (state.put), after
	// which it knows neither their bytes nor their size.
	loose := map[string]bool{}
	for _, e := range hist {
		c := parseCall(e)
		if creates(c.op) && c.unfinished && m.children[e.ID] == "" {
			return nil // a wait for a child
		}
		if bytes.Contains(e.Raw, []byte("CLOEXEC")) {
			o := k.tables.owner(e.Client)
			if id, ok := marked[o]; !ok || e.ID < id {
				marked[o] = e.ID
			}
		}
		if (c.op == "open" || c.op == "openat") && c.ok() && e.ID != targetBy &&
			slices.ContainsFunc(c.args, func(a string) bool { return has(a, "O_WRONLY") && has(a, "O_APPEND") }) {
			appenders[e.ID] = true
		}
		setsFlags = setsFlags || c.op == "fcntl" && !keepsDescriptions(e)
		aliases = aliases || aliasesFile(e)
		if !changesNothing(e) && !bound(e) {
			if _, name := fdOf(c.arg(0)); name != "" {
				loose[name] = true
			}
		}
	}
	appends := func(e *formats.Event) bool {
		by, ok := m.boundByTrace(e)
		return ok && appenders[by] && !setsFlags
	}
	// A target whose output is of names alone, in a history whose paths
	// the model resolves by names (pathsByName): a call that makes,
	// removes and renames no name decides nothing it sees. Where the
	// trace shows the working directory of every call that names a path
	// relative to it (Model.dirs), no replay takes one from a process's
	// creator either: then neither does a call that makes, execs or ends
	// a process.
	all := append(slices.Clip(hist), target)
	namesOnly := ofNamesOnly(target.Op) && pathsByName(all)
	lifecycle := namesOnly && m.dirsShown(all)
	// Of such a target, where the trace shows every working directory a
	// name is relative to (lifecycle), the output rests on the names of
	// its paths and of the directories above and below them: a call that
	// changes names elsewhere decides nothing it sees, but a call on
	// those paths that may change names (changesNames) brings in the
	// paths it names (a rename or link onto one: its other name shares
	// the file; an rmdir above one: the names below it; a symbolic link
	// to one, which Refs puts under the path it points to: the link's
	// path, by which a call reaches it), to a fixed point; a call that
	// changes none brings in nothing (sort's open of the directory it
	// renames in would bring in every name there). The shell's creates
	// of other files go; the calls that make, exec or end processes go
	// by lifecycle's rule. A relative name counts by its path in its
	// call's directory (pathSet.touchesIn). Not where a call that may
	// change names on those paths names one relative to a directory the
	// trace does not show.
	var onNames *pathSet
	if lifecycle {
		onNames = newPathSet(nil)
		// add adds a call's paths to onNames, relative ones in its
		// directory; ok is false where one stays relative.
		add := func(e *formats.Event, paths []string) (grew, ok bool) {
			for _, p := range paths {
				if p = inDir(m.dirs[e.ID], p); !strings.HasPrefix(p, "/") {
					return grew, false
				}
				grew = onNames.add(p) || grew
			}
			return grew, true
		}
		if paths, err := targetPaths(target); err != nil || len(paths) == 0 {
			onNames = nil
		} else if _, ok := add(target, paths); !ok {
			onNames = nil
		}
		for grew := onNames != nil; grew; {
			grew = false
			for _, e := range hist {
				c := parseCall(e)
				if !changesNames(e) || !onNames.touchesIn(e, m.dirs[e.ID]) {
					continue
				}
				g, ok := add(e, namedPaths(c))
				if !ok {
					onNames, grew = nil, false
					break
				}
				grew = grew || g
			}
		}
	}
	// A close's output is whether its fd is open, and so is that of a
	// seek to an offset of its own (SEEK_SET) and of a write, on a file
	// -y shows by its path (ofBinding): of an fd a call of the trace bound,
	// whether that call is in the subtrace and no call freed the number
	// since. A call that reads, writes, seeks or stats through a number
	// the trace bound (that one too) frees none, binds none, and reaches
	// no name (state.bound): where its binding is not in the subtrace, it
	// finds the fd not open (Model.bindings).
	onBinding := targetBound && ofBinding(parseCall(target))
	// Of such a target whose fd an open of its own fd table bound, by a
	// path the model resolves by name (pathsByName, Model.dirs), the
	// output rests on that open finding its file and on its table alone:
	// a call of another table frees and binds none of its numbers, and
	// one that changes no name (changesNothing) and made no process
	// changes neither, but for a failed call on that path or a directory
	// above it, which shows a name absent (the dynamic loader's of
	// ld.so.cache in every other program a shell ran).
	table := k.tables.owner(target.Client)
	// ownOpen returns the open of the target's own fd table that bound
	// its use of fd, where there is one and its path resolves by name.
	ownOpen := func(fd int) (*formats.Event, bool) {
		by, ok := m.bindings[fdUse{target.ID, fd}]
		i := slices.IndexFunc(hist, func(e *formats.Event) bool { return e.ID == by })
		if !ok || i < 0 || !isOpen(hist[i].Op) || k.tables.owner(hist[i].Client) != table || !pathsByName(all) || !m.dirsShown(all) {
			return nil, false
		}
		return hist[i], true
	}
	var elsewhere func(e *formats.Event, c call) bool
	if fd, _ := fdOf(parseCall(target).arg(0)); onBinding {
		if open, ok := ownOpen(fd); ok {
			onPath := touchesAny(namedPaths(parseCall(open)))
			elsewhere = func(e *formats.Event, c call) bool {
				return k.tables.owner(e.Client) != table && changesNothing(e) && !creates(c.op) && (c.ok() || !onPath(e))
			}
		}
	}
	// A target whose output is bytes of one file, on a path -y shows (a
	// read's, a copy's source), and of the files copied into it, whose
	// offsets the copies read (sourcesOf), in a history no call of which
	// may give one of them another name, or move a directory above one
	// (a rename or link on their paths, whatever its result: in a
	// subtrace a failed one may succeed): a call through an fd the trace
	// bound, on another path, reaches that path's file or finds the fd
	// not open (state.bound), and no replay makes that file one of
	// theirs. Its bytes, its size and its descriptions' offsets are not
	// theirs. The shell's and sort's writes to s, in the history of cat's
	// copy from s2 (its stdout was s before).
	var from []string
	if f := readsFile(target); f != "" {
		from = sourcesOf(hist, []string{f})
		if on := touchesAny(from); slices.ContainsFunc(hist, func(e *formats.Event) bool { return renamesOrLinks(e.Op) && on(e) }) {
			from = nil
		}
	}
	// Of such a target whose source fd an open of its own table bound, the
	// output rests on that open finding its file, on that table, on the
	// descriptions its calls use (a copy's destination, which the shell
	// may have opened), and on the bytes of the file and of the files and
	// pipes copied into it (sourcesOf). A call of another table that
	// makes no process and no symbolic link (by whose name an open may
	// reach another file), names none of those paths, nor the open's, nor
	// a directory above them, and makes, passes or uses none of those
	// descriptions, frees and binds none of the target's numbers and
	// changes none of those bytes: the shell's opens of other files, and
	// cat's copies of them to stdout, before the one of s2 asked about.
	if c := parseCall(target); from != nil && !onBinding && elsewhere == nil {
		in, _ := copyArgs(c.op)
		inFD, _ := fdOf(c.arg(in))
		open, ok := ownOpen(inFD)
		// No process the target's table made after that open shares
		// its description (a child that reads it moves the target's
		// offset, or would, but for the exec that closed it).
		ok = ok && !slices.ContainsFunc(hist, func(e *formats.Event) bool {
			return e.ID > open.ID && creates(e.Op) && k.tables.owner(e.Client) == table
		})
		if ok && !k.twice {
			paths := newPathSet(sourcesOf(hist, append(namedPaths(parseCall(open)), from...)))
			onPath := paths.touches
			// A call on those paths that succeeded and changes none of
			// them: a read-only open, a read, a seek, a stat, a close, a
			// copy out of them into another file (another cat of the file
			// before), through fds on descriptions (Model.bindings) no
			// call that stays uses (the open's, cp's open of its source,
			// its O_PATH open of the directory it makes the copy in). An
			// fd the trace did not bind (cat's stdout), such a call binds
			// in its own table on the file -y shows (state.bound), where
			// a call that stays and uses the number finds it so bound, or
			// binds it itself.
			looksAt := func(e *formats.Event, c call) ([]int64, bool) {
				if !c.ok() {
					return nil, false
				}
				descs := fdDescriptions(e, c, m)
				switch c.op {
				case "open", "openat":
					return append(descs, e.ID), !slices.ContainsFunc(c.args, func(a string) bool {
						return has(a, "O_CREAT") || has(a, "O_TRUNC") || has(a, "O_TMPFILE")
					})
				case "read", "pread64", "readv", "preadv", "lseek", "fstat", "close", "access", "faccessat", "faccessat2",
					"newfstatat", "statx", "stat", "lstat":
					return descs, true
				}
				if in, out := copyArgs(c.op); in >= 0 && out >= 0 {
					_, dst := fdOf(c.arg(out))
					return descs, !slices.Contains(paths.paths, dst)
				}
				return nil, false
			}
			away := func(e *formats.Event, c call) bool {
				return k.tables.owner(e.Client) != table && !creates(c.op) && c.op != "symlink" && c.op != "symlinkat"
			}
			// The calls that stay: the target's table's, the calls that
			// change those paths, and the calls that made, passed or used
			// a description one of those uses (the shell's open and dup2
			// of the file it gave a program as stdout); the paths the
			// calls that stay name are those paths too (cp's open of the
			// directory it copies into, which mkdir made): to a fixed
			// point.
			used := map[int64]bool{open.ID: true}
			stays := func(e *formats.Event, c call) bool {
				_, looks := looksAt(e, c)
				descs := fdDescriptions(e, c, m)
				return !away(e, c) || onPath(e) && !looks || used[e.ID] || slices.ContainsFunc(descs, func(d int64) bool { return used[d] })
			}
			every := append(slices.Clip(hist), target)
			calls := make([]call, len(every))
			for i, e := range every {
				calls[i] = parseCall(e)
			}
			for grew := true; grew; {
				grew = false
				for i, e := range every {
					if c := calls[i]; stays(e, c) {
						descs := fdDescriptions(e, c, m)
						for _, d := range descs {
							grew = grew || !used[d]
							used[d] = true
						}
						if lookup := !c.takesFD() && !slices.Contains([]string{"dup", "dup2", "dup3", "fcntl"}, c.op); lookup {
							for _, p := range namedPaths(c) { // not the file of a number it passes
								grew = paths.add(p) || grew
							}
						}
					}
				}
			}
			apart := func(e *formats.Event, c call) bool { return away(e, c) && !stays(e, c) }
			// The processes whose calls stay, and their ancestors: the
			// calls that made another process (a program the shell ran
			// before) go too.
			needed := map[string]bool{}
			for i, e := range every {
				if c := calls[i]; !creates(c.op) && !apart(e, c) {
					for _, p := range k.lineOf(e.Client) {
						needed[p] = true
					}
				}
			}
			elsewhere = func(e *formats.Event, c call) bool {
				if !creates(c.op) {
					return apart(e, c)
				}
				child := m.children[e.ID]
				if child == "" && c.ok() && c.ret > 0 {
					child = strconv.FormatInt(c.ret, 10)
				}
				return k.tables.owner(e.Client) != table && child != "" && !needed[child]
			}
		}
	}
	var quiet map[int64]bool
	for _, e := range hist {
		c := parseCall(e)
		switch {
		case m.resumed[e.ID]:
			setKey(&quiet, e.ID, true)
		case (c.op == "pread64" || c.op == "preadv") && bound(e):
			// A read at an offset of its own through an fd a call of the
			// trace bound: in any replay it reads the description that
			// call made, or finds the fd not open (Model.bindings), and
			// moves no offset.
			setKey(&quiet, e.ID, true)
		case c.op == "lseek" && appends(e):
			// A seek of a description that only writes at the end of its
			// file, not the target's: what its offset is no other call
			// reads (an appender's writes land at the end whatever it
			// is), only its own seeks, which show it (Python's logging
			// asks where it is before each record).
			setKey(&quiet, e.ID, true)
		case byFD(c) && statType(c) == "S_IFREG" && bound(e) && !aliases && m.sizeKnown(c.arg(0), loose):
			// A stat of such an fd on a file whose size every replay
			// knows: it learns none.
			setKey(&quiet, e.ID, true)
		case onBinding && e != target && movesBytes(c) && bound(e):
			// The dynamic loader's reads and seeks of the library whose
			// fd it closes.
			setKey(&quiet, e.ID, true)
		case from != nil && movesBytes(c) && bound(e) && onOtherFile(c.arg(0), from):
			// The shell's and sort's writes to s, in the history of cat's
			// copy from s2.
			setKey(&quiet, e.ID, true)
		case elsewhere != nil && elsewhere(e, c):
			// Another program's loader's open, read and close of
			// ld.so.cache (never the target or the call that bound its
			// fd: those are of the target's table).
			setKey(&quiet, e.ID, true)
		case onNames != nil && e != target && !onNames.touchesIn(e, m.dirs[e.ID]):
			// The shell's creates of other files, in the history of
			// sort's rename of its temporary file over s2.
			setKey(&quiet, e.ID, true)
		case namesOnly && e != target && (fdOnly(c) && bound(e) || lifecycle && changesProcesses(c)):
			// SQLite's writes to its -shm file, in the history of the
			// unlink that removes it; the vforks that ran each git, in
			// the history of a rename of a ref.
			setKey(&quiet, e.ID, true)
		case c.op == "execve":
			// One that failed, or the first half of one strace split,
			// which closes nothing until it resumes.
			if !c.ok() || !slices.ContainsFunc(k.lineOf(e.Client), func(p string) bool {
				id, ok := marked[k.tables.owner(p)]
				return ok && id < e.ID
			}) {
				setKey(&quiet, e.ID, true)
			}
		}
	}
	return quiet
}

// pathsByName tells whether the model resolves every path of a
// history's calls by names alone, never by what a replay bound an fd
// to: by the directory strace shows for a dirfd (state.at), or by the
// working directory, the trace's (Model.dirs) or one no call of the
// history changes. That is where every fd and dirfd shows its file (-y)
// and no call changes a working directory.
func pathsByName(hist []*formats.Event) bool {
	if bareFDs(hist) {
		return false
	}
	for _, e := range hist {
		c := parseCall(e)
		if c.op == "chdir" || c.op == "fchdir" {
			return false
		}
		for _, i := range dirFDArgs(c.op) {
			if fd, name := fdOf(c.arg(i)); fd >= 0 && name == "" {
				return false
			}
		}
	}
	return true
}

// dirsShown tells whether the trace shows the working directory
// (Model.dirs) of every call of hist that names a path relative to it.
func (m Model) dirsShown(hist []*formats.Event) bool {
	for _, e := range hist {
		if m.dirs[e.ID] == "" && byWorkingDir(parseCall(e)) {
			return false
		}
	}
	return true
}

// byWorkingDir tells whether a call names a path relative to its
// process's working directory: a relative path of a call that takes no
// dirfd (relativeOps), or of an *at call whose dirfd is AT_FDCWD without
// the directory -y shows.
func byWorkingDir(c call) bool {
	rel := func(i int) bool { p := c.str(i); return p != "" && !strings.HasPrefix(p, "/") }
	switch {
	case c.op == "rename" || c.op == "link":
		return rel(0) || rel(1)
	case c.op == "symlink":
		return rel(1) // its first argument is the link's content
	case relativeOps[c.op]:
		return rel(0)
	}
	for _, i := range dirFDArgs(c.op) {
		if c.arg(i) == "AT_FDCWD" && rel(i+1) {
			return true
		}
	}
	return false
}

// changesProcesses tells whether a call makes, execs or ends a process.
func changesProcesses(c call) bool {
	switch c.op {
	case "execve", "execveat", "exit_group", "EXIT", "KILLED":
		return true
	}
	return creates(c.op)
}

// dirFDArgs returns the places of a call's dirfd arguments.
func dirFDArgs(op string) []int {
	switch op {
	case "renameat", "renameat2", "linkat":
		return []int{0, 2}
	case "symlinkat":
		return []int{1}
	case "openat", "openat2", "mkdirat", "mknodat", "unlinkat", "newfstatat", "statx", "faccessat", "faccessat2",
		"readlinkat", "fchmodat", "fchownat", "utimensat":
		return []int{0}
	}
	return nil
}

// movesBytes tells whether a call, through the fd it names first, only
// reads or writes bytes, sets a size, moves an offset or stats the fd:
// it frees no fd number and binds none but that one.
func movesBytes(c call) bool {
	switch c.op {
	case "write", "pwrite64", "writev", "pwritev", "pwritev2", "ftruncate", "fallocate",
		"read", "pread64", "readv", "preadv", "lseek", "fstat":
		return true
	case "newfstatat", "statx":
		return byFD(c)
	}
	return false
}

// ofBinding tells whether a call's output is whether its fd is open: a
// close's, and, on an fd -y shows on a path, that of an lseek that
// succeeded to an offset it gives (SEEK_SET: that offset, whatever the
// file's size and the fd's offset before) and of a write that succeeded
// (its count: ENOSPC and EPIPE, which a file on a path cannot give but a
// full disk, the model does not replay).
func ofBinding(c call) bool {
	_, name := fdOf(c.arg(0))
	onFile := c.ok() && !c.unfinished && !c.inflight && strings.HasPrefix(name, "/") && !strings.Contains(c.arg(0), "<"+formats.GuessedPath)
	seeksToOwn := c.op == "lseek" && c.arg(2) == "SEEK_SET" && c.ret >= 0
	return c.op == "close" || onFile && (seeksToOwn || slices.Contains([]string{"write", "pwrite64", "writev", "pwritev"}, c.op))
}

// fdOnly tells whether a call, through the fd it names first, only
// writes or reads bytes, sets a size, moves an offset, stats the fd, or
// binds and frees numbers: it makes, removes and renames no name. Through
// an fd a call of the trace bound (Model.bindings) it reaches no name
// either: an fd the trace did not bind, the call binds itself on the
// file -y names (state.bound), which a replay that has not reached that
// name takes to have existed before the trace; so does an open of a
// name, which is not among these.
func fdOnly(c call) bool {
	switch c.op {
	case "close", "fcntl", "dup", "dup2", "dup3":
		return true
	}
	return movesBytes(c)
}

// fdDescriptions returns the descriptions (by the open that made each,
// Model.bindings) of the fds a call names with -y's decoration that the
// trace bound.
func fdDescriptions(e *formats.Event, c call, m Model) []int64 {
	var out []int64
	for _, a := range c.args {
		if !strings.Contains(a, "<") {
			continue
		}
		if fd, _ := fdOf(a); fd >= 0 {
			if by, ok := m.bindings[fdUse{e.ID, fd}]; ok {
				out = append(out, by)
			}
		}
	}
	return out
}

// touchesAny returns a test of whether a call names one of paths, or a
// directory above or a name below one, by its Refs: a relative name,
// which Refs knows by its base alone, where that base is any element of
// one (mkdir("x") and x/d/a).
func touchesAny(paths []string) func(e *formats.Event) bool {
	return newPathSet(paths).touches
}

// refKeys returns the keys of a call's Refs, but the base of an absolute
// path, which Refs gives too (so that a relative name's history finds
// the path): the relative names' alone stay "base:" keys.
func refKeys(e *formats.Event) []string {
	var keys, bases []string
	for _, r := range (spec{}).Refs(e) {
		if k := string(r.Key); strings.HasPrefix(k, "base:") {
			bases = append(bases, k)
		} else {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		if i := slices.Index(bases, "base:"+path.Base(k)); strings.HasPrefix(k, "/") && i >= 0 {
			bases = slices.Delete(bases, i, i+1) // the absolute path's own
		}
	}
	return append(keys, bases...)
}

// A pathSet is a set of paths, growing, that tells whether a call names
// one of them as touchesAny does, each call's Refs read once.
type pathSet struct {
	paths []string
	elems map[string]bool    // the elements of the paths, for relative names
	keys  map[int64][]string // by call, its Refs' keys
}

func newPathSet(paths []string) *pathSet {
	s := &pathSet{elems: map[string]bool{}, keys: map[int64][]string{}}
	for _, p := range paths {
		s.add(p)
	}
	return s
}

// add adds p and reports whether it is new.
func (s *pathSet) add(p string) bool {
	if slices.Contains(s.paths, p) {
		return false
	}
	s.paths = append(s.paths, p)
	for _, el := range strings.Split(p, "/") {
		s.elems[el] = true
	}
	return true
}

// touches is touchesAny(s.paths)(e).
func (s *pathSet) touches(e *formats.Event) bool {
	for _, k := range s.keysOf(e) {
		if key, relative := strings.CutPrefix(k, "base:"); relative {
			if s.elems[key] {
				return true
			}
			continue
		}
		if s.near(k) {
			return true
		}
	}
	return false
}

// touchesIn is touches, but for a call with a relative name, which Refs
// knows by its base alone: its paths (namedPaths, targetPaths) are made
// absolute in dir, its directory (Model.dirs), and compared whole. By
// its base a name below the paths would be missed (node's
// mkdir("sub/deeper"), in the history of its rmdir("sub")). With dir
// "", or no path to make absolute, such a call touches.
func (s *pathSet) touchesIn(e *formats.Event, dir string) bool {
	keys := s.keysOf(e)
	if !slices.ContainsFunc(keys, func(k string) bool { return strings.HasPrefix(k, "base:") }) {
		return s.touches(e)
	}
	c := parseCall(e)
	paths := namedPaths(c)
	if more, err := targetPaths(e); err == nil {
		paths = append(paths, more...)
	}
	if len(paths) == 0 {
		return true
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, "base:") {
			paths = append(paths, k)
		}
	}
	for _, p := range paths {
		if p = inDir(dir, p); !strings.HasPrefix(p, "/") || s.near(p) {
			return true
		}
	}
	return false
}

// keysOf returns a call's Refs' keys (refKeys), read once.
func (s *pathSet) keysOf(e *formats.Event) []string {
	keys, ok := s.keys[e.ID]
	if !ok {
		keys = refKeys(e)
		s.keys[e.ID] = keys
	}
	return keys
}

// near tells whether the absolute path p is one of the paths, or a
// directory above or a name below one.
func (s *pathSet) near(p string) bool {
	for _, q := range s.paths {
		if p == q || strings.HasPrefix(q, p+"/") || strings.HasPrefix(p, q+"/") {
			return true
		}
	}
	return false
}

// inDir makes a relative path absolute in the directory dir, where the
// trace shows it; an absolute one, or one with dir "", stays as it is.
func inDir(dir, p string) string {
	if dir == "" || strings.HasPrefix(p, "/") {
		return p
	}
	return path.Join(dir, p)
}

// sourcesOf returns paths with the names (-y's: a file's path, a pipe's
// pipe:[N]) of everything a call of hist copied into one of them
// (copy_file_range, splice, sendfile, tee), and into those, and so on.
func sourcesOf(hist []*formats.Event, paths []string) []string {
	for grew := true; grew; {
		grew = false
		for _, e := range hist {
			c := parseCall(e)
			in, out := copyArgs(c.op)
			if c.op == "tee" {
				in, out = 0, 1
			}
			if in < 0 || out < 0 {
				continue
			}
			_, src := fdOf(c.arg(in))
			if _, dst := fdOf(c.arg(out)); slices.Contains(paths, dst) && src != "" && !slices.Contains(paths, src) {
				paths, grew = append(paths, src), true
			}
		}
	}
	return paths
}

// readsFile returns the path of the file whose bytes a call's output
// shows, as -y shows it: a read's, a copy's source (copy_file_range,
// splice, sendfile); "" for another call, or a path that is no file's
// (deleted, guessed, a pipe's).
func readsFile(target *formats.Event) string {
	c := parseCall(target)
	from, _ := copyArgs(c.op)
	if from < 0 {
		return ""
	}
	return filePath(c.arg(from))
}

// filePath returns the path -y shows for an fd argument a, "" where it
// is no file's path that exists (deleted, guessed, a pipe's).
func filePath(a string) string {
	if _, p := fdOf(a); strings.HasPrefix(p, "/") && !strings.Contains(a, "(deleted)") && !strings.Contains(a, "<"+formats.GuessedPath) {
		return p
	}
	return ""
}

// onOtherFile tells whether an fd argument a (with -y's path) is on a
// file's path other than those of paths.
func onOtherFile(a string, paths []string) bool {
	p := filePath(a)
	return p != "" && !slices.Contains(paths, p)
}

// renamesOrLinks tells whether a call of op may give a file another name
// (rename, link), or move a directory and the names below it.
func renamesOrLinks(op string) bool {
	switch op {
	case "rename", "renameat", "renameat2", "link", "linkat":
		return true
	}
	return false
}

// aliasesFile tells whether a call may give a file that exists another
// name (a rename, a link), or make one that is no plain file the trace
// writes (a symbolic link, a device, a FIFO).
func aliasesFile(e *formats.Event) bool {
	switch e.Op {
	case "rename", "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat", "mknod", "mknodat":
		return true
	}
	return false
}

// sizeKnown tells whether every replay knows the size of the file an
// fd argument a (with -y's path) reaches, as long as no call gives a
// file another name (aliasesFile) and none changes it through an fd the
// trace did not bind (loose): its size before the trace is a fact of
// the trace (Model.sizes), or the trace shows that no file had its name
// before it (Model.older), so every file of that name is one a replay
// made.
func (m Model) sizeKnown(a string, loose map[string]bool) bool {
	_, name := fdOf(a)
	if !strings.HasPrefix(name, "/") || loose[name] || strings.Contains(a, "(deleted)") || strings.Contains(a, "<"+formats.GuessedPath) {
		return false
	}
	if _, sized := m.sizes[name]; sized {
		return true
	}
	existed, shown := m.older[name]
	return shown && !existed
}

// marksPipes tells whether a call may use or make a pipe (or a socket,
// or a FIFO), whose uses mark the other processes (state.cross) until
// their next call: holdsPipes but for eventfds, whose calls mark none.
func marksPipes(e *formats.Event) bool {
	// A kernel object's name other than an eventfd's (pipe:[7], socket:[9]).
	return makesPipe(e) || bytes.Count(e.Raw, []byte(":[")) > bytes.Count(e.Raw, []byte(eventfdName))
}

// splitOnPipe tells whether a call strace split (or its first half, in
// flight) may read or write bytes of a pipe (marksPipes): only such a
// call sees the marks other processes' uses left on a pipe (state.cross),
// which every call of a process ends (state.uncross).
func splitOnPipe(e *formats.Event) bool {
	in, out := copyArgs(e.Op)
	takes := in >= 0 || out >= 0 || e.Op == "tee"
	return takes && marksPipes(e) && (bytes.IndexByte(e.Raw, '\n') >= 0 || string(e.Reply) == formats.ReplyUnfinished)
}

// quietHalves returns the first halves of calls strace split in hist
// (newest first) that the search leaves out, no subtrace replaying
// differently with them or without them: the writes flightEnds returns
// (filling ends), and quietReads.
func quietHalves(hist []*formats.Event, ends map[int64]int64) map[int64]bool {
	quiet := flightEnds(hist, ends)
	for id := range quietReads(hist) {
		setKey(&quiet, id, true)
	}
	return quiet
}

// quietReads returns the first halves of reads of a pipe in hist (newest
// first) that change no replay. Such a half only ends its process's
// marks on the pipe (state.crossed), which other processes' uses of it
// set. They decide whether another read crossed the read when it
// resumes (or a later split read of the process), and, for the process's
// writes to the pipe, whether another write crossed one, whether a read
// took bytes of one ahead, and the order of one in flight. With no other
// process's read of the pipe before the half, and either no other
// process's use of it before the half or no write to it by the process
// after, the marks it ends decide nothing. TestQuietHalvesChangeNothing
// replays every subtrace both ways.
func quietReads(hist []*formats.Event) map[int64]bool {
	type use struct{ pipe, pid string }
	isHalf := func(e *formats.Event) bool { return string(e.Reply) == formats.ReplyUnfinished && e.Op == "read" }
	if !slices.ContainsFunc(hist, isHalf) {
		return nil
	}
	// Newest first: whether the process writes to the half's pipe after it.
	writesAfter := map[int64]bool{}
	wrote := map[use]bool{}
	for _, e := range hist {
		if isHalf(e) {
			for _, p := range pipesNamed(e) {
				writesAfter[e.ID] = writesAfter[e.ID] || wrote[use{p, e.Client}]
			}
		}
		if puts(e.Op) {
			for _, p := range pipesNamed(e) {
				wrote[use{p, e.Client}] = true
			}
		}
	}
	// Oldest first: the processes that used each pipe before, and
	// whether they took bytes from it. Only a call that takes or puts
	// bytes marks (state.cross).
	users := map[string]map[string]bool{}
	var quiet map[int64]bool
	for i := len(hist) - 1; i >= 0; i-- {
		e := hist[i]
		if !isHalf(e) && !takes(e.Op) && !puts(e.Op) {
			continue
		}
		pipes := pipesNamed(e)
		if isHalf(e) {
			if len(pipes) == 1 {
				otherRead, otherUse := false, false
				for pid, took := range users[pipes[0]] {
					if pid != e.Client {
						otherUse, otherRead = true, otherRead || took
					}
				}
				if !otherRead && !(otherUse && writesAfter[e.ID]) {
					setKey(&quiet, e.ID, true)
				}
			}
			continue // a half marks nothing: it only ends its process's marks
		}
		for _, p := range pipes {
			if users[p] == nil {
				users[p] = map[string]bool{}
			}
			users[p][e.Client] = users[p][e.Client] || takes(e.Op)
		}
	}
	return quiet
}

// pipesNamed returns the pipes a call names in its arguments, as -y
// shows them ("pipe:[N]").
func pipesNamed(e *formats.Event) []string {
	var out []string
	for _, a := range e.Args {
		for rest := a; ; {
			i := bytes.Index(rest, []byte("<pipe:["))
			if i < 0 {
				break
			}
			rest = rest[i+1:]
			j := bytes.Index(rest, []byte("]>"))
			if j < 0 {
				break
			}
			if p := string(rest[:j+1]); !slices.Contains(out, p) {
				out = append(out, p)
			}
			rest = rest[j+2:]
		}
	}
	return out
}

// takes tells whether a call may take bytes from a pipe it names; puts,
// whether it may put bytes into one.
func takes(op string) bool {
	switch op {
	case "read", "readv", "pread64", "preadv":
		return true
	}
	return copies(op)
}

func puts(op string) bool {
	switch op {
	case "write", "writev", "pwrite64", "pwritev":
		return true
	}
	return copies(op)
}

// copies tells whether a call moves bytes from one fd to another.
func copies(op string) bool {
	switch op {
	case "splice", "tee", "sendfile", "sendfile64", "copy_file_range":
		return true
	}
	return false
}

// sharesPipe tells whether a call names, in any argument, the pipe a
// write in flight (half) writes to, as -y shows it; when the half names
// none, it may.
func sharesPipe(e, half *formats.Event) bool {
	p := pipesNamed(half)
	return len(p) != 1 || slices.Contains(pipesNamed(e), p[0])
}

// without returns hist less the events whose ids drop holds.
func without(hist []*formats.Event, drop map[int64]bool) []*formats.Event {
	if len(drop) == 0 {
		return hist
	}
	out := make([]*formats.Event, 0, len(hist)-len(drop))
	for _, e := range hist {
		if !drop[e.ID] {
			out = append(out, e)
		}
	}
	return out
}

// fdTables maps each thread that calls show made (a clone with
// CLONE_FILES, which shares its creator's fd table) to its creator.
type fdTables map[string]string

func tablesOf(hist []*formats.Event) fdTables {
	t := fdTables{}
	for _, e := range hist {
		if c := parseCall(e); creates(c.op) && c.ok() && c.sharesFiles() {
			t[strconv.FormatInt(c.ret, 10)] = c.pid
		}
	}
	return t
}

// owner returns the process whose fd table pid uses.
func (t fdTables) owner(pid string) string {
	for i := 0; i < 1000; i++ { // a bound, for a trace that reuses pids
		p, ok := t[pid]
		if !ok {
			break
		}
		pid = p
	}
	return pid
}

// same tells whether two processes use one fd table.
func (t fdTables) same(a, b string) bool { return a == b || t.owner(a) == t.owner(b) }

// linkTarget returns the path a successful symlink or symlinkat points
// to, relative to the link's directory where the trace shows it (and
// the path as written where it does not), or "" for another call.
func linkTarget(e *formats.Event) string {
	c := parseCall(e)
	if !c.ok() {
		return ""
	}
	_, to := linkEnds(c)
	return to
}

// linkEnds returns the path of the link a symlink or symlinkat makes,
// or would make (in a subtrace, one that failed may not), and the path
// it points to, relative to the link's directory where the trace shows
// it (and as written where it does not); "" for another call.
func linkEnds(c call) (link, to string) {
	if (c.op != "symlink" && c.op != "symlinkat") || len(c.data) < 2 {
		return "", ""
	}
	to, link = c.str(0), resolve("", c.str(1))
	if c.op == "symlinkat" {
		link = resolve(c.arg(1), c.str(2))
	}
	if !strings.HasPrefix(to, "/") && strings.HasPrefix(link, "/") {
		to = path.Join(path.Dir(link), to)
	}
	return link, path.Clean(to)
}

// leaveIdle is the approximation's last cut of a history (newest first):
// it leaves out another process's read-only opens of the target's files
// when neither that process nor any it made has another call in the
// history, and is not the target's process, a thread sharing its fds
// (tables) or one that made it; then the
// calls that made processes left with no call. Such an open binds an fd
// of its own process, whose reads, seeks and closes the approximation
// leaves out already, and learns that the file exists, as the target's
// own call does; yet each is a call the search must try with and
// without (ld.so opens libc in every process a shell starts: 2^16
// subtraces for a read of it). Opens of directories, O_PATH opens and
// failed ones stay: they decide what the name is.
func leaveIdle(hist []*formats.Event, target *formats.Event, paths []string, parents map[string]string, tables fdTables) []*formats.Event {
	parent := maps.Clone(parents) // a process -> its creator
	if parent == nil {
		parent = map[string]string{}
	}
	for _, e := range hist {
		if c := parseCall(e); creates(c.op) && c.ok() {
			parent[strconv.FormatInt(c.ret, 10)] = c.pid
		}
	}
	idle := func(e *formats.Event) bool {
		if tables.same(e.Client, target.Client) || e.Op != "open" && e.Op != "openat" {
			return false
		}
		c := parseCall(e)
		flags := c.arg(1)
		if c.op == "openat" {
			flags = c.arg(2)
		}
		if !c.ok() || !has(flags, "O_RDONLY") {
			return false
		}
		for _, f := range []string{"O_CREAT", "O_TRUNC", "O_TMPFILE", "O_DIRECTORY", "O_PATH"} {
			if has(flags, f) {
				return false
			}
		}
		return slices.Contains(paths, c.retPath)
	}
	// busy: the processes that must stay, with their creators.
	busy := map[string]bool{}
	mark := func(p string) {
		for p != "" && !busy[p] {
			busy[p] = true
			p = parent[p]
		}
	}
	mark(target.Client)
	for _, e := range hist {
		if !creates(e.Op) && !idle(e) {
			mark(e.Client)
		}
	}
	// The first half of a call that made a process (strace's
	// "<unfinished ...>") goes with the whole call after it, by the same
	// process: pending holds, by process, the halves not yet matched,
	// walking oldest first.
	drop := map[int64]bool{}
	pending := map[string]*formats.Event{}
	for i := len(hist) - 1; i >= 0; i-- {
		e := hist[i]
		c := parseCall(e)
		switch {
		case idle(e) && !busy[e.Client]:
			drop[e.ID] = true
		case creates(c.op) && c.unfinished:
			pending[c.pid] = e
		case creates(c.op):
			half := pending[c.pid]
			delete(pending, c.pid)
			if c.ok() && !busy[strconv.FormatInt(c.ret, 10)] {
				drop[e.ID] = true
				if half != nil {
					drop[half.ID] = true
				}
			}
		}
	}
	return without(hist, drop)
}

// changesNames tells whether a call makes or removes a name: a
// directory's such calls decide what a path in it is.
func changesNames(e *formats.Event) bool {
	switch e.Op {
	case "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat", "creat",
		"mknod", "mknodat":
		return true
	case "open", "openat":
		return slices.ContainsFunc(e.Args, func(a []byte) bool { return has(string(a), "O_CREAT") })
	}
	return false
}

// mayName tells whether a call that makes or removes names may make or
// remove one in a directory of the given names (newest first: a
// directory renamed to one of them adds its earlier name). A relative
// name is in cwd, the call's working directory, where it is known ("":
// not); else it may be in any directory its parent's base name fits,
// and a bare one in any.
func mayName(e *formats.Event, dirs map[string]bool, cwd string) bool {
	abs := func(p string) string {
		if cwd != "" && p != "" && !strings.HasPrefix(p, "/") {
			return path.Join(cwd, p)
		}
		return p
	}
	if from, to := renamed(e); dirs[abs(to)] {
		dirs[abs(from)] = true
		return true
	}
	for _, p := range namedPaths(parseCall(e)) {
		p = abs(p)
		d := path.Dir(p)
		switch {
		case strings.HasPrefix(p, "/"):
			if dirs[d] {
				return true
			}
		case d == ".":
			return true
		default:
			for n := range dirs {
				if path.Base(n) == path.Base(d) {
					return true
				}
			}
		}
	}
	return false
}

// namedPaths returns the paths a call that makes or removes names names,
// absolute where its dirfd's decoration makes them so.
func namedPaths(c call) []string {
	var out []string
	if c.retPath != "" {
		out = append(out, c.retPath)
	}
	switch c.op {
	case "mkdir", "rmdir", "unlink", "creat", "open", "mknod":
		out = append(out, resolve("", c.str(0)))
	case "mkdirat", "unlinkat", "openat", "mknodat":
		out = append(out, resolve(c.arg(0), c.str(1)))
	case "rename", "link":
		out = append(out, resolve("", c.str(0)), resolve("", c.str(1)))
	case "renameat", "renameat2", "linkat":
		out = append(out, resolve(c.arg(0), c.str(1)), resolve(c.arg(2), c.str(3)))
	case "symlink":
		out = append(out, resolve("", c.str(1)))
	case "symlinkat":
		out = append(out, resolve(c.arg(1), c.str(2)))
	}
	return out
}

// renamed returns the paths a rename moved a file from and to ("" when
// it names no path).
func renamed(e *formats.Event) (from, to string) {
	c := parseCall(e)
	switch c.op {
	case "rename":
		return resolve("", c.str(0)), resolve("", c.str(1))
	case "renameat", "renameat2":
		return resolve(c.arg(0), c.str(1)), resolve(c.arg(2), c.str(3))
	}
	return "", ""
}

// learnedInstead returns the note for a name that a witness's replay
// took, at some call, to exist before the trace from that call's logged
// result (state.learned), where the whole history's replay knew the name
// from an earlier call: whether such a witness is one depends on whether
// the file existed before the trace, which the log does not show (an
// O_CREAT open may have made it or found it). The same for a directory
// an rmdir's logged ENOTEMPTY showed to hold names, where the whole
// history's replay knew of names the trace made in it. "" when there is
// none, or x is not exact anyway. A name no earlier call touched is the
// trace's own evidence that the file existed before it: that is no
// assumption.
func learnedInstead(m Model, x *provenance.Explanation, hist []*formats.Event, target *formats.Event) string {
	if !x.Exact {
		return ""
	}
	learnedAt := map[int64][]string{} // by the call whose result taught it
	ws, _ := x.Witnesses(64)
	for _, w := range ws {
		w = slices.Clone(w)
		slices.SortFunc(w, func(a, b *formats.Event) int { return cmp.Compare(a.ID, b.ID) })
		st := m.Init().(*state)
		for _, e := range append(w, target) {
			seen := maps.Clone(st.learned)
			m.Apply(st, e)
			for p := range st.learned {
				if _, was := seen[p]; !was && !slices.Contains(learnedAt[e.ID], p) {
					learnedAt[e.ID] = append(learnedAt[e.ID], p)
				}
			}
		}
	}
	full := m.Init().(*state)
	for _, e := range append(provenance.Reversed(hist), target) {
		for _, p := range learnedAt[e.ID] {
			if e == target && !outputReads(target, p) {
				continue // a copy's destination, a write's file: not what its output shows
			}
			if dir, ok := strings.CutSuffix(p, "/"); ok {
				if made := madeIn(full, dir); made != "" {
					return "a witness takes the directory " + dir + " to have held names before the trace, as an rmdir's logged " +
						"ENOTEMPTY allows, though earlier calls of the trace made " + made + " in it, or may have: whether it held others " +
						"before them is not known, and if it did not, the calls that made them belong in the witnesses"
				}
				continue
			}
			if pr := full.procs[e.Client]; !strings.HasPrefix(p, "/") && pr != nil && pr.cwd != "" {
				p = path.Join(pr.cwd, p) // a name the witness could not make absolute, the whole history can
			}
			if !outputReads(target, p) && opensEither(e, p) {
				// An open that makes the file or finds it succeeds either
				// way, and the output shows nothing of the file's bytes.
				continue
			}
			if _, named := full.names[p]; named && !full.learned[p] {
				// The whole history made it (or may have): not known to be there before.
				return "a witness takes " + p + " to have existed before the trace, as the call's logged result allows, though " +
					"earlier calls of the trace made it, or may have: whether it existed before them is not known, and if it did " +
					"not, the calls that made it belong in the witnesses"
			}
		}
		m.Apply(full, e)
	}
	return ""
}

// opensEither tells whether a call is an open of p that succeeds whether
// p existed or not (O_CREAT without O_EXCL; -y shows p as the file it
// opened). Not of the directories it names: the open fails without
// them.
func opensEither(e *formats.Event, p string) bool {
	c := parseCall(e)
	if c.op != "open" && c.op != "openat" || !c.ok() || c.retPath != p {
		return false
	}
	flags := c.arg(1)
	if c.op == "openat" {
		flags = c.arg(2)
	}
	return has(flags, "O_CREAT") && !has(flags, "O_EXCL")
}

// outputReads tells whether the output of a call may depend on the file
// named p: for a write, none does (its count); for a copy, its source
// (the bytes it moved); for any other call, any may.
func outputReads(target *formats.Event, p string) bool {
	c := parseCall(target)
	switch c.op {
	case "write", "pwrite64", "writev", "pwritev":
		return false
	case "copy_file_range", "splice", "tee", "sendfile", "sendfile64":
		from, _ := sourceArg(c)
		_, name := fdOf(from)
		return name == p
	}
	return true
}

// madeIn returns a name in directory dir that the replay st holds and
// did not learn from the log (the trace made it, or may have), "" when
// there is none.
func madeIn(st *state, dir string) string {
	for _, n := range slices.Sorted(maps.Keys(st.names)) {
		if st.names[n] > 0 && path.Dir(n) == dir && !st.learned[n] {
			return n
		}
	}
	return ""
}

// An aliasedTarget is the file a target's output reads, by the name it
// had, when that file is aliased (file.aliased) or mapped.
type aliasedTarget struct {
	name, aliased string
	mapped        bool // file.mapped
}

// aliasedFile returns the file, in the replay of the history before
// target, whose bytes or size target's output shows (a read's or copy's
// source, an fstat's or lseek's fd), when it is aliased or mapped; else
// nil.
func aliasedFile(replayed func() *state, target *formats.Event) *aliasedTarget {
	c := parseCall(target)
	from, bytes := sourceArg(c)
	switch {
	case bytes:
	case c.op == "lseek" || (strings.Contains(c.op, "stat") && byFD(c)):
		from = c.arg(0) // the output shows the size, which a mapping does not change
	default:
		return nil
	}
	st := replayed()
	en := st.bound(c.pid, from)
	if en == nil {
		return nil
	}
	if f := st.files[en.o.ino]; f != nil && (f.aliased != "" || f.mapped && bytes) {
		return &aliasedTarget{name: st.last[en.o.ino], aliased: f.aliased, mapped: f.mapped}
	}
	return nil
}

// shownName writes a name of the replay for people: one under a
// directory the replay does not know ("?pid/...") as the relative name
// the process used.
func shownName(p string) string {
	if k, rest := aliasKind(p); k == underUnknown {
		return strconv.Quote(rest)
	}
	return strconv.Quote(p)
}

// sourceFile returns the file, in the replay of the history before
// target, whose bytes target's output holds: nil for a call whose output
// holds none.
func sourceFile(replayed func() *state, target *formats.Event) *file {
	c := parseCall(target)
	from, ok := sourceArg(c)
	if !ok {
		return nil
	}
	st := replayed()
	en := st.bound(c.pid, from)
	if en == nil {
		return nil
	}
	return st.files[en.o.ino]
}

// racedAt tells whether the pipe a read or a copy takes from is raced
// once it has run (in a copy of the replay): by the calls before it, or
// by itself, when it took bytes of a write strace split and resumed only
// after it (state.take), which the replay has not put yet.
func racedAt(m Model, replayed func() *state, target *formats.Event) bool {
	if _, ok := sourceArg(parseCall(target)); !ok {
		return false
	}
	c := m.Clone(replayed()).(*state)
	m.Apply(c, target)
	f := sourceFile(func() *state { return c }, target)
	return f != nil && f.raced
}

// sourceArg returns the argument of c that names the fd whose bytes its
// output holds, and false for a call whose output holds none.
func sourceArg(c call) (string, bool) {
	switch {
	case strings.HasPrefix(c.op, "read") || strings.HasPrefix(c.op, "pread"):
	case c.op == "copy_file_range" || c.op == "splice" || c.op == "tee":
	case strings.HasPrefix(c.op, "sendfile"):
		return c.arg(1), true
	default:
		return "", false
	}
	return c.arg(0), true
}

// bareFDs tells whether a history shows a call on an fd without the
// file strace names with -y.
func bareFDs(hist []*formats.Event) bool {
	for _, e := range hist {
		c := parseCall(e)
		if isOpen(c.op) && c.ok() && !strings.Contains(string(e.Reply), "<") {
			return true // an open's fd, returned without its file
		}
		if c.takesFD() || c.op == "dup2" || c.op == "dup3" || c.op == "dup" {
			if fd, name := fdOf(c.arg(0)); fd >= 0 && name == "" {
				return true
			}
		}
	}
	return false
}

// unresolved returns a relative path of the target's that the replay of
// its history cannot make absolute (no call of the process before it
// shows its working directory), "" when there is none.
func unresolved(replayed func() *state, paths []string, target *formats.Event) string {
	i := slices.IndexFunc(paths, func(p string) bool { return !strings.HasPrefix(p, "/") && !objectName(p) })
	if i < 0 {
		return ""
	}
	// A call on a relative path takes no dirfd: the replay before it
	// has its process's directory, if any call showed it.
	if p := replayed().procs[target.Client]; p != nil && !strings.HasPrefix(p.cwd, "?") {
		return ""
	}
	return paths[i]
}

// objectName tells whether a name strace's -y shows for an fd is a
// kernel object's, not a path: pipe:[7], socket:[9], anon_inode:[eventfd],
// and -yy's sockets (UNIX-STREAM:[704103->704102], TCP:[1.2.3.4:80->...],
// TCPv6, UDP, NETLINK and the like): a word, a colon, a bracket.
func objectName(p string) bool {
	if strings.HasPrefix(p, "anon_inode:") {
		return true
	}
	kind, rest, ok := strings.Cut(p, ":")
	return ok && kind != "" && strings.HasPrefix(rest, "[") && strings.Trim(kind, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == ""
}

// UnknownOutput tells whether a replayed output holds bytes wat cannot
// know (\?): a file's content from before the trace.
func (spec) UnknownOutput(o provenance.Output) bool {
	return strings.Contains(string(o), `\?`) || strings.HasSuffix(string(o), "?")
}

// LoggedOutput renders what strace printed of a call's result in the
// model's words.
func (spec) LoggedOutput(e *formats.Event) []byte {
	c := parseCall(e)
	fail := func(what string) []byte { return []byte(what + " -1 " + c.errno) }
	switch c.op {
	case "read", "pread64", "readv", "preadv":
		if !c.ok() {
			return fail("read")
		}
		data := []byte(c.str(1)) // past it, bytes -s cut
		return []byte("read " + render(chunk{data: data[:min(int64(len(data)), c.ret)], n: c.ret}))
	case "open", "openat", "creat":
		if !c.ok() {
			return fail("open")
		}
		return []byte("open 0")
	case "write", "pwrite64", "writev", "pwritev", "copy_file_range", "splice", "tee", "sendfile", "sendfile64", "lseek", "close":
		what := map[string]string{"pwrite64": "write", "writev": "write", "pwritev": "write", "copy_file_range": "copy",
			"splice": "copy", "tee": "copy", "sendfile": "copy", "sendfile64": "copy"}[c.op]
		if what == "" {
			what = c.op
		}
		if !c.ok() {
			return fail(what)
		}
		return []byte(what + " " + strconv.FormatInt(c.ret, 10)) // a copy's bytes are not printed
	case "getdents64", "getdents":
		if !c.ok() {
			return fail("getdents")
		}
		return []byte(fmt.Sprintf("getdents %d entries %d", entries(c.arg(1)), c.ret))
	case "fstat", "newfstatat", "stat", "lstat", "statx":
		if !c.ok() {
			return fail("stat")
		}
		switch statType(c) {
		case "S_IFIFO", "S_IFSOCK":
			return []byte("stat pipe")
		case "S_IFDIR":
			return []byte("stat size=?") // a directory's: the file system's
		}
		if n, ok := statSize(c); ok {
			return []byte("stat size=" + strconv.FormatInt(n, 10))
		}
		return []byte("stat ?") // a size strace did not print (a device's)
	case "link", "linkat", "symlink", "symlinkat":
		what := strings.TrimSuffix(c.op, "at")
		if !c.ok() {
			return fail(what)
		}
		return []byte(what + " 0")
	case "rename", "renameat", "renameat2", "unlink", "unlinkat", "mkdir", "mkdirat", "rmdir", "access", "faccessat", "faccessat2":
		what := map[string]string{"renameat": "rename", "renameat2": "rename", "unlinkat": "unlink", "mkdirat": "mkdir",
			"faccessat": "access", "faccessat2": "access"}[c.op]
		switch {
		case c.op == "unlinkat" && has(c.arg(2), "AT_REMOVEDIR"):
			what = "rmdir"
		case what == "":
			what = c.op
		}
		if !c.ok() {
			return fail(what)
		}
		return []byte(what + " 0")
	}
	return e.Reply
}

// entries reads how many entries a getdents64's buffer holds as strace
// printed it: "0x55d0 /* 4 entries */", or with -v the array itself.
func entries(a string) int {
	if i := strings.Index(a, "/* "); i >= 0 {
		n, _, _ := strings.Cut(a[i+3:], " ")
		v, _ := strconv.Atoi(n)
		return v
	}
	return strings.Count(a, "d_name=")
}

// SameOutput compares a logged result with a replayed one: equal, or
// equal where the replay knows the bytes (\?) and values (?); a copy's
// log shows its count only.
func (spec) SameOutput(given []byte, o provenance.Output) bool {
	a, b := string(given), string(o)
	if a == b {
		return true
	}
	if n, ok := strings.CutPrefix(a, "copy "); ok && strings.HasPrefix(b, "copy ") {
		m, _, _ := strings.Cut(strings.TrimPrefix(b, "copy "), " ")
		return n == m
	}
	if head, ok := strings.CutSuffix(b, "?"); ok && !strings.HasSuffix(head, `\`) && strings.HasPrefix(a, head) {
		return true // "stat ?": a size or an error
	}
	if head, ok := strings.CutSuffix(a, "?"); ok && !strings.HasSuffix(head, `\`) && strings.HasPrefix(b, head) {
		return true // what the log did not print (a device's size)
	}
	if !strings.HasPrefix(a, "read ") || !strings.HasPrefix(b, "read ") {
		return false
	}
	na, qa, _ := strings.Cut(strings.TrimPrefix(a, "read "), " ")
	nb, qb, _ := strings.Cut(strings.TrimPrefix(b, "read "), " ")
	if na != nb {
		return false
	}
	xa, xb := unrender(qa), unrender(qb)
	if len(xa) != len(xb) {
		return false
	}
	for i := range xa {
		if xa[i].known && xb[i].known && xa[i].b != xb[i].b {
			return false
		}
	}
	return true
}

func unrender(q string) []rbyte {
	q = strings.TrimSuffix(strings.TrimPrefix(q, `"`), `"`)
	var out []rbyte
	for i := 0; i < len(q); i++ {
		if q[i] != '\\' || i+1 >= len(q) {
			out = append(out, rbyte{q[i], true})
			continue
		}
		i++
		switch q[i] {
		case '?':
			n := 1
			if rest, ok := strings.CutPrefix(q[i+1:], "{"); ok { // a run: \?{N}
				if num, _, ok := strings.Cut(rest, "}"); ok {
					if v, err := strconv.Atoi(num); err == nil {
						n = v
						i += len(num) + 2
					}
				}
			}
			out = append(out, make([]rbyte, n)...)
		case 'x':
			v, _ := strconv.ParseUint(q[i+1:min(i+3, len(q))], 16, 8)
			out = append(out, rbyte{byte(v), true})
			i += 2
		default:
			out = append(out, rbyte{q[i], true})
		}
	}
	return out
}
