package posix_test

import (
	"context"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
	"github.com/wat-project/wat/provenance/provenancetest"
	"github.com/wat-project/wat/specs/posix"
)

// TestExactWhateverOlderBytes: an answer labelled exact must not depend
// on the bytes files held before the trace, which the trace shows only
// in part. Random traces of one process open two files older than the
// trace, read them (read, pread64), write them, seek (to an absolute
// offset or the end), truncate them by an O_TRUNC open and close them,
// with -y, logged as a small kernel in the test gives it with hidden
// contents; the target is a read. Where the spec says exact, every other
// content of the two files (up to 3 bytes of x and y) with which that
// kernel gives the same log is tried: the model, seeded with that
// content (a process outside the trace writes it first), must have the
// same witnesses by brute force. Contents of repeated bytes (a run of
// x) and bytes the trace writes over with the same ones are among them:
// the cases where unknown bytes could be alike.
func TestExactWhateverOlderBytes(t *testing.T) {
	contents := []string{""}
	for n := 1; n <= 3; n++ {
		for i := range 1 << n {
			s := ""
			for b := range n {
				s += string("xy"[i>>b&1])
			}
			contents = append(contents, s)
		}
	}
	exact, checked := 0, 0
	for seed := int64(0); seed < 3000; seed++ {
		r := rand.New(rand.NewSource(seed))
		hidden := map[string]string{"a": contents[r.Intn(len(contents))], "b": contents[r.Intn(len(contents))]}
		lines := drawOlder(r, hidden)
		trace, _ := traceOf(t, lines)
		target := trace[len(trace)-1]
		trace = trace[:len(trace)-1]
		h := &provenance.MemHistory{Events: append(slices.Clone(trace), target), Refs: posix.Spec.Refs}
		x, err := posix.Spec.Explain(context.Background(), h, target)
		if err != nil {
			t.Fatalf("seed %d: %v\n%s", seed, err, strings.Join(lines, "\n"))
		}
		if !x.Exact {
			continue
		}
		exact++
		got := provenancetest.Positions(x, trace)
		for _, a := range contents {
			for _, b := range contents {
				other := map[string]string{"a": a, "b": b}
				if !sameLog(lines, other) {
					continue
				}
				checked++
				m := seeded{Model: posix.Model{}, prefix: prefixOf(t, other)}
				want, _, err := provenance.BruteForce(m, trace, target)
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("seed %d: exact witnesses %v, but with a=%q b=%q before the trace (as consistent with the log as %q %q) the definition gives %v; notes %q\n%s",
						seed, got, a, b, hidden["a"], hidden["b"], want, x.Notes, provenancetest.Dump(trace, target))
				}
			}
		}
	}
	t.Logf("%d of 3000 answers exact, checked against %d contents in all", exact, checked)
	if exact < 300 || checked < 1000 {
		t.Fatalf("only %d exact answers, %d contents checked: the test tries too little", exact, checked)
	}
}

// seeded is the model whose start state holds what a prefix of calls (a
// process outside the trace writing the files) made.
type seeded struct {
	posix.Model
	prefix []*formats.Event
}

func (s seeded) Init() provenance.State {
	st := s.Model.Init()
	for _, e := range s.prefix {
		s.Model.Apply(st, e)
	}
	return st
}

// prefixOf writes each file's content by process 0, as strace -y logs it.
func prefixOf(t *testing.T, content map[string]string) []*formats.Event {
	var lines []string
	for _, n := range []string{"a", "b"} {
		lines = append(lines, fmt.Sprintf(`0 openat(AT_FDCWD</d>, "%s", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 9</d/%s>`, n, n))
		if c := content[n]; c != "" {
			lines = append(lines, fmt.Sprintf(`0 write(9</d/%s>, "%s", %d) = %d`, n, c, len(c), len(c)))
		}
		lines = append(lines, fmt.Sprintf(`0 close(9</d/%s>) = 0`, n))
	}
	evs, _ := traceOf(t, lines)
	for _, e := range evs {
		e.ID -= 100 // before the trace's
	}
	return evs
}

// olderKernel is the test's own kernel of drawOlder's calls: two files
// and one process's fds, each with its own offset.
type olderKernel struct {
	files map[string][]byte
	fds   map[int]*olderFD
}

type olderFD struct {
	name string
	off  int
}

func newOlderKernel(content map[string]string) *olderKernel {
	return &olderKernel{files: map[string][]byte{"a": []byte(content["a"]), "b": []byte(content["b"])}, fds: map[int]*olderFD{}}
}

// read returns what a read of up to n bytes at off gives, as strace
// prints it.
func (k *olderKernel) read(name string, off, n int) string {
	f := k.files[name]
	if off >= len(f) {
		return ""
	}
	return strings.ReplaceAll(string(f[off:min(off+n, len(f))]), "\x00", `\0`)
}

// count is how many bytes a read of up to n at off gives.
func (k *olderKernel) count(name string, off, n int) int {
	return max(0, min(off+n, len(k.files[name]))-off)
}

// write puts s at off, with zeros before it past the end.
func (k *olderKernel) write(name string, off int, s string) {
	f := k.files[name]
	for len(f) < off {
		f = append(f, 0)
	}
	f = append(f[:off], append([]byte(s), f[min(off+len(s), len(f)):]...)...)
	k.files[name] = f
}

// drawOlder draws a trace of process 1 on /d/a and /d/b, files older than
// the trace with the given contents, logged as olderKernel gives it; its
// last line is a read or a pread64.
func drawOlder(r *rand.Rand, content map[string]string) []string {
	k := newOlderKernel(content)
	var lines []string
	free := func() int {
		for fd := 3; ; fd++ {
			if k.fds[fd] == nil {
				return fd
			}
		}
	}
	open := func() []int {
		var fds []int
		for fd := range k.fds {
			fds = append(fds, fd)
		}
		slices.Sort(fds)
		return fds
	}
	dec := func(fd int) string { return fmt.Sprintf("%d</d/%s>", fd, k.fds[fd].name) }
	n := 2 + r.Intn(8)
	for i := 0; i <= n; i++ {
		fds := open()
		last := i == n
		op := r.Intn(9)
		if len(fds) == 0 || !last && op == 0 || len(fds) < 2 && !last && op == 1 {
			name := []string{"a", "b"}[r.Intn(2)]
			fd := free()
			flags := []string{"O_RDONLY", "O_RDWR", "O_RDWR", "O_WRONLY|O_TRUNC"}[r.Intn(4)]
			if flags == "O_WRONLY|O_TRUNC" {
				k.files[name] = nil
			}
			k.fds[fd] = &olderFD{name: name}
			lines = append(lines, fmt.Sprintf(`1 openat(AT_FDCWD</d>, "%s", %s) = %d</d/%s>`, name, flags, fd, name))
			if !last {
				continue
			}
			fds = open()
		}
		fd := fds[r.Intn(len(fds))]
		o := k.fds[fd]
		if last {
			op = 2 + r.Intn(2)
		}
		switch op {
		case 2: // read at the offset
			c := 1 + r.Intn(2)
			got := k.read(o.name, o.off, c)
			n := k.count(o.name, o.off, c)
			o.off += n
			lines = append(lines, fmt.Sprintf(`1 read(%s, "%s", %d) = %d`, dec(fd), got, c, n))
		case 3: // pread64 at an offset of its own
			c, at := 1+r.Intn(2), r.Intn(3)
			got := k.read(o.name, at, c)
			lines = append(lines, fmt.Sprintf(`1 pread64(%s, "%s", %d, %d) = %d`, dec(fd), got, c, at, k.count(o.name, at, c)))
		case 4: // write at the offset
			s := []string{"x", "y"}[r.Intn(2)]
			k.write(o.name, o.off, s)
			o.off++
			lines = append(lines, fmt.Sprintf(`1 write(%s, "%s", 1) = 1`, dec(fd), s))
		case 5: // an lseek to an absolute offset
			at := r.Intn(3)
			o.off = at
			lines = append(lines, fmt.Sprintf(`1 lseek(%s, %d, SEEK_SET) = %d`, dec(fd), at, at))
		case 6: // an lseek to the end
			o.off = len(k.files[o.name])
			lines = append(lines, fmt.Sprintf(`1 lseek(%s, 0, SEEK_END) = %d`, dec(fd), o.off))
		default:
			lines = append(lines, fmt.Sprintf(`1 close(%s) = 0`, dec(fd)))
			delete(k.fds, fd)
		}
	}
	return lines
}

// sameLog tells whether olderKernel with other contents logs the same
// replies to lines: a content the trace allows.
func sameLog(lines []string, content map[string]string) bool {
	return strings.Join(relog(lines, content), "\n") == strings.Join(lines, "\n")
}

// relog replays lines (drawOlder's) on olderKernel with contents, and
// returns them with its replies.
func relog(lines []string, content map[string]string) []string {
	k := newOlderKernel(content)
	var out []string
	for _, l := range lines {
		var fd, c, at int
		var name, s string
		switch {
		case strings.Contains(l, "openat("):
			fmt.Sscanf(l[strings.Index(l, `"`)+1:], `%1s`, &name)
			fmt.Sscanf(l[strings.LastIndex(l, "= ")+2:], "%d", &fd)
			if strings.Contains(l, "O_TRUNC") {
				k.files[name] = nil
			}
			k.fds[fd] = &olderFD{name: name}
			out = append(out, l)
		case strings.Contains(l, " read("), strings.Contains(l, " pread64("):
			fmt.Sscanf(l[strings.Index(l, "(")+1:], "%d", &fd)
			o := k.fds[fd]
			fields := strings.Split(l[strings.Index(l, `", `)+3:], ", ")
			fmt.Sscanf(fields[0], "%d", &c)
			if strings.Contains(l, "pread64(") {
				fmt.Sscanf(fields[1], "%d", &at)
				got := k.read(o.name, at, c)
				out = append(out, fmt.Sprintf(`1 pread64(%s, "%s", %d, %d) = %d`, fmt.Sprintf("%d</d/%s>", fd, o.name), got, c, at, k.count(o.name, at, c)))
				continue
			}
			got, n := k.read(o.name, o.off, c), k.count(o.name, o.off, c)
			o.off += n
			out = append(out, fmt.Sprintf(`1 read(%s, "%s", %d) = %d`, fmt.Sprintf("%d</d/%s>", fd, o.name), got, c, n))
		case strings.Contains(l, " write("):
			fmt.Sscanf(l[strings.Index(l, "(")+1:], "%d", &fd)
			o := k.fds[fd]
			s = l[strings.Index(l, `"`)+1 : strings.Index(l, `"`)+2]
			k.write(o.name, o.off, s)
			o.off++
			out = append(out, l)
		case strings.Contains(l, "SEEK_SET"):
			fmt.Sscanf(l[strings.Index(l, "(")+1:], "%d", &fd)
			fmt.Sscanf(l[strings.Index(l, ">, ")+3:], "%d", &at)
			k.fds[fd].off = at
			out = append(out, l)
		case strings.Contains(l, "SEEK_END"):
			fmt.Sscanf(l[strings.Index(l, "(")+1:], "%d", &fd)
			o := k.fds[fd]
			o.off = len(k.files[o.name])
			out = append(out, fmt.Sprintf(`1 lseek(%s, 0, SEEK_END) = %d`, fmt.Sprintf("%d</d/%s>", fd, o.name), o.off))
		default: // close
			fmt.Sscanf(l[strings.Index(l, "(")+1:], "%d", &fd)
			delete(k.fds, fd)
			out = append(out, l)
		}
	}
	return out
}
