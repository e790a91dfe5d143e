//go:build !linux

package store

// hugePageCache reports that SQLite's page cache is not in huge pages:
// elsewhere than on Linux, stores are mapped (see pagecache_linux.go).
func hugePageCache() bool { return false }
