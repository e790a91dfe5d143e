//go:build linux

package store

/*
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

int sqlite3_config(int, ...);

// wat_huge_pagecache gives SQLite n page slots for pages of up to size
// bytes, in memory the kernel is asked to back with huge pages; 0 when
// SQLite took them. 24 is SQLITE_CONFIG_PCACHE_HDRSZ, 7
// SQLITE_CONFIG_PAGECACHE; both are refused once SQLite is initialized.
static int wat_huge_pagecache(int size, int n) {
	int hdr = 0;
	if (sqlite3_config(24, &hdr) != 0) {
		return -1;
	}
	size_t sz = ((size_t)size + hdr + 7) & ~(size_t)7, huge = (size_t)2 << 20;
	size_t want = sz * n;
	char *p = mmap(NULL, want + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		return -1;
	}
	char *a = (char *)(((uintptr_t)p + huge - 1) & ~(uintptr_t)(huge - 1));
	if (madvise(a, want, MADV_HUGEPAGE) != 0 || sqlite3_config(7, a, (int)sz, n) != 0) {
		munmap(p, want + huge);
		return -1;
	}
	return 0;
}
*/
import "C"

import (
	"sync"

	"github.com/wat-project/wat/provenance/hugepages"
)

// Reading a store, wat copies its pages into SQLite's page cache (pread)
// rather than mapping the file (mmap), when that cache can be in huge
// pages. An explanation reads a few hundred events scattered over a
// gigabyte store, each on a page of its own; what a page costs is most
// of all the memory it lands in. Mapped, each page is a page fault (the
// kernel maps the file's pages around it too); copied into fresh memory,
// each is four. On a virtual machine a fault costs 10-30 µs (measured
// here: a mapped 16 KiB page 29 µs, a copy into fresh memory 58 µs, a
// copy into memory already faulted in 5 µs). In huge pages the whole
// cache is faulted in by a few faults, when SQLite sets it up.
//
// The cache's pageCacheSlots pages are shared by the process's
// connections; past them SQLite allocates pages as before. Setting up
// slots costs every process, reading or not: 512 (8 MB) made answers
// 1-3 ms slower than 256, and 128 (2 MB) are as fast as 256, hot keys'
// answers included, which read more pages than that. Where the
// kernel does not offer transparent huge pages, or SQLite was already
// initialized (a process that wrote a store before it read one), stores
// are mapped as before.
const (
	pageCacheSlots = 128
	pageCacheSize  = 16384 // the largest page: the store's
)

// hugePageCache sets up the page cache in huge pages, once, and reports
// whether it is: only then do reading connections not map the store.
var hugePageCache = sync.OnceValue(func() bool {
	return hugepages.Offered() && C.wat_huge_pagecache(pageCacheSize, pageCacheSlots) == 0
})
