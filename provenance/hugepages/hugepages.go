// Package hugepages asks the kernel to back memory with transparent huge
// pages where an answer is about to grow its heap by many megabytes.
//
// wat answers a question in one short process, whose every fresh page of
// memory is a page fault when first written. On a virtual machine a fault
// of a 4 KiB page costs 10-30 µs; an answer that grows its heap by 20 MB
// (a hot queue's arrays, a search over 2^14 subsets of a file system's
// history) spent more on faults than on computing. With huge pages, a
// fault brings in 2 MiB. Go's runtime asked for them itself until 1.21.1;
// Heap asks for a stretch of the heap once, when a caller knows its
// answer is a big one (small answers would pay for zeroing 2 MiB to use a
// few pages of it).
package hugepages

import (
	"bytes"
	"os"
)

// Offered tells whether the kernel gives transparent huge pages to
// memory that asks for them (MADV_HUGEPAGE): the enabled mode is always
// or madvise.
func Offered() bool {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	return err == nil && (bytes.Contains(b, []byte("[always]")) || bytes.Contains(b, []byte("[madvise]")))
}
