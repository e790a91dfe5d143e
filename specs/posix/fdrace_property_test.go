package posix_test

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wat-project/wat/specs/posix"
)

// TestSplitClosesAgainstKernel draws traces of threads that share one fd
// table and open, write, seek and close files, with some closes split by
// strace ("<unfinished ...>", other threads' calls, "<... resumed>"), and
// checks the replay of each against a small kernel of its own: a number
// is the lowest free one when an open returns it, and a close frees its
// number as it begins (strace prints the unfinished line before the
// kernel runs the call). Every other call is whole on its line, so the
// trace decides every reply: each write's count, each lseek's end of
// file, and each file's size at the end must replay as the kernel gave
// them. It is the sequence CI caught on redis-server (a thread's close in
// flight while the main thread took the number, gave it back and took it
// again), drawn at random; with and without -y. The main thread may also
// fork a process (as redis-server does for BGSAVE while its threads close
// files), whose table is a copy without the numbers being closed, and
// which opens, writes and closes files of its own.
func TestSplitClosesAgainstKernel(t *testing.T) {
	dir := t.TempDir()
	for seed := int64(0); seed < 2000; seed++ {
		for _, y := range []bool{false, true} {
			trace, want := drawFDRace(rand.New(rand.NewSource(seed)), y)
			file := filepath.Join(dir, "t.strace")
			if err := os.WriteFile(file, []byte(trace), 0o644); err != nil {
				t.Fatal(err)
			}
			m := posix.Model{}
			st := m.Init()
			for _, e := range readTrace(t, file, "t.strace", true, false) {
				o := m.Apply(st, e)
				if w, ok := want[e.Line]; ok && string(o) != w {
					t.Fatalf("seed %d, -y %v: line %d replays %q, the kernel's reply is %q\n%s", seed, y, e.Line, o, w, numbered(trace))
				}
			}
		}
	}
}

// drawFDRace draws one trace for TestSplitClosesAgainstKernel and the
// replies it decides, by line.
func drawFDRace(r *rand.Rand, y bool) (string, map[int]string) {
	names := []string{"/w/a", "/w/b", "/w/c"}
	size := map[string]int{}
	tables := map[int]map[int]string{100: {}} // the kernel's, by process: number -> file
	var b strings.Builder
	want := map[int]string{}
	lines := 0
	emit := func(l, w string) {
		b.WriteString(l + "\n")
		lines++
		if w != "" {
			want[lines] = w
		}
	}
	dec := func(fd int, name string) string {
		if y {
			return fmt.Sprintf("%d<%s>", fd, name)
		}
		return fmt.Sprint(fd)
	}
	lowest := func(table map[int]string) int {
		fd := 3
		for table[fd] != "" {
			fd++
		}
		return fd
	}
	for _, n := range names {
		fd := lowest(tables[100])
		emit(fmt.Sprintf("100 openat(AT_FDCWD, %q, O_WRONLY|O_CREAT|O_TRUNC, 0644) = %s", n, dec(fd, n)), "")
		emit(fmt.Sprintf("100 close(%s) = 0", dec(fd, n)), "close 0")
	}
	threads := []int{100, 101, 102}
	for _, tid := range threads[1:] {
		emit(fmt.Sprintf("100 clone(child_stack=0x7f00, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM) = %d", tid), "")
	}
	type thread struct {
		table   int    // its process, whose fd table it uses
		fd      int    // the number it holds, 0 for none
		name    string // its file
		closing bool   // inside a close strace split
	}
	th := map[int]*thread{}
	for _, tid := range threads {
		th[tid] = &thread{table: 100}
	}
	for step := 0; step < 40; step++ {
		tid := threads[r.Intn(len(threads))]
		t := th[tid]
		table := tables[t.table]
		if tid == 100 && th[200] == nil && r.Intn(8) == 0 {
			// A fork: the child's table is a copy of what the kernel's
			// holds now, without the numbers being closed.
			child := map[int]string{}
			for fd, n := range table {
				child[fd] = n
			}
			tables[200], th[200] = child, &thread{table: 200}
			threads = append(threads, 200)
			emit("100 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f10) = 200", "")
			continue
		}
		switch {
		case t.closing:
			if r.Intn(2) == 0 {
				continue // still in flight
			}
			emit(fmt.Sprintf("%d <... close resumed>) = 0", tid), "close 0")
			t.closing, t.fd, t.name = false, 0, ""
		case t.fd == 0:
			n := names[r.Intn(len(names))]
			fd := lowest(table)
			table[fd] = n
			t.fd, t.name = fd, n
			emit(fmt.Sprintf("%d openat(AT_FDCWD, %q, O_WRONLY|O_APPEND) = %s", tid, n, dec(fd, n)), "")
		default:
			switch r.Intn(4) {
			case 0:
				k := 1 + r.Intn(3)
				size[t.name] += k
				emit(fmt.Sprintf("%d write(%s, %q, %d) = %d", tid, dec(t.fd, t.name), strings.Repeat("x", k), k, k), fmt.Sprintf("write %d", k))
			case 1:
				emit(fmt.Sprintf("%d lseek(%s, 0, SEEK_END) = %d", tid, dec(t.fd, t.name), size[t.name]), fmt.Sprintf("lseek %d", size[t.name]))
			case 2:
				delete(table, t.fd) // the number is free as close begins
				emit(fmt.Sprintf("%d close(%s <unfinished ...>", tid, dec(t.fd, t.name)), "")
				t.closing = true
			default:
				delete(table, t.fd)
				emit(fmt.Sprintf("%d close(%s) = 0", tid, dec(t.fd, t.name)), "close 0")
				t.fd, t.name = 0, ""
			}
		}
	}
	for _, tid := range threads {
		if th[tid].closing {
			emit(fmt.Sprintf("%d <... close resumed>) = 0", tid), "close 0")
		}
	}
	for _, n := range names {
		emit(fmt.Sprintf("100 newfstatat(AT_FDCWD, %q, {st_mode=S_IFREG|0644, st_size=%d, ...}, 0) = 0", n, size[n]), fmt.Sprintf("stat size=%d", size[n]))
	}
	return b.String(), want
}

// numbered prefixes each line of s with its number.
func numbered(s string) string {
	var b strings.Builder
	for i, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		fmt.Fprintf(&b, "%3d  %s\n", i+1, l)
	}
	return b.String()
}
