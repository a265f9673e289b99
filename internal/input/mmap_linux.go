package input

import (
	"os"
	"syscall"
)

func mapFile(f *os.File, size int64) ([]byte, error) {
	return syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
}

func unmapFile(data []byte) { _ = syscall.Munmap(data) }

// dropPages gives pages of a mapping back: they are read from the file
// again if touched.
func dropPages(b []byte) {
	if len(b) > 0 {
		_ = syscall.Madvise(b, syscall.MADV_DONTNEED)
	}
}

var pageSize = os.Getpagesize()

func pageDown(n int) int { return n &^ (pageSize - 1) }
