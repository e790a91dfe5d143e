//go:build linux

package hugepages

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// TestHeap: after Heap, the arrays of a big answer are made in memory
// that asks for huge pages (its mapping's VmFlags hold "hg").
func TestHeap(t *testing.T) {
	if !Offered() {
		t.Skip("the kernel offers no transparent huge pages")
	}
	flags := func(p uintptr) string {
		b, err := os.ReadFile("/proc/self/smaps")
		if err != nil {
			t.Fatal(err)
		}
		in := false
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) > 0 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") {
				lo, hi, _ := strings.Cut(f[0], "-")
				l, _ := strconv.ParseUint(lo, 16, 64)
				h, _ := strconv.ParseUint(hi, 16, 64)
				in = uint64(p) >= l && uint64(p) < h
			} else if in && strings.HasPrefix(line, "VmFlags:") {
				return line
			}
		}
		t.Fatalf("no mapping holds %#x", p)
		return ""
	}
	Heap()
	ids := make([]int64, 2<<20) // 16 MiB, as a hot queue's
	// Its first pages too: they may lie below the stretch's first 2 MiB
	// boundary, in a block Heap asks to collapse.
	for _, i := range []int{0, len(ids) / 2} {
		if f := flags(uintptr(unsafe.Pointer(&ids[i]))); !strings.Contains(f, " hg") {
			t.Errorf("a hot answer's array, at element %d, is in a mapping with %q, want hg (MADV_HUGEPAGE) among them", i, f)
		}
	}
}
