//go:build linux

package hugepages

import (
	"runtime"
	"runtime/debug"
	"sync"
	"syscall"
	"unsafe"
)

// HeapBytes is how much of the heap Heap makes huge pages.
const HeapBytes = 32 << 20

// heapOnce makes Heap's work happen once a process.
var heapOnce sync.Once

// Heap makes the next HeapBytes of the Go heap ask for huge pages, once a
// process, where the kernel offers them: it allocates that much (fresh
// memory, not yet touched), marks its 2 MiB-aligned part MADV_HUGEPAGE
// and frees it with a collection, while the heap is still small; what is
// allocated next lands in it. It costs that collection, about a
// millisecond.
func Heap() {
	heapOnce.Do(func() {
		if !Offered() {
			return
		}
		// Allocating it must not start a collection of its own (the
		// heap's goal is still a few megabytes): every collection
		// sweeps into sets of spans whose blocks are fresh pages.
		gc := debug.SetGCPercent(-1)
		b := make([]byte, HeapBytes)
		const huge = 2 << 20
		p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		lo, hi := (p+huge-1)&^(huge-1), (p+HeapBytes)&^(huge-1)
		syscall.Madvise(b[lo-p:hi-p], MadvHugePage)
		if lo > p {
			// The stretch's head, below its first boundary, is where the
			// heap puts the next big array (it gives the lowest free
			// pages first): in small pages, a 1.7 MB array took 258
			// faults. Its 2 MiB holds older objects' pages too, so it
			// gets a huge page only by collapsing them into one
			// (MADV_COLLAPSE, Linux 6.1; elsewhere an error, ignored).
			if madvise(lo-huge, huge, MadvHugePage) == 0 {
				madvise(lo-huge, huge, MadvCollapse)
			}
		}
		b = nil
		debug.SetGCPercent(gc)
		runtime.GC()
	})
}

// madvise advises on memory the Go heap holds but no slice of this
// package's reaches (older objects'), by address; it returns the errno.
func madvise(addr, n uintptr, advice int) syscall.Errno {
	_, _, errno := syscall.Syscall(syscall.SYS_MADVISE, addr, n, uintptr(advice))
	return errno
}

// MadvHugePage is MADV_HUGEPAGE, which package syscall does not name.
const MadvHugePage = 14

// MadvCollapse is MADV_COLLAPSE, which package syscall does not name.
const MadvCollapse = 25
