//go:build !linux

package hugepages

// Heap does nothing elsewhere than on Linux.
func Heap() {}
