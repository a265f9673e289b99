//go:build unix

package main

import (
	"os"
	"runtime"
	"syscall"
	"time"
)

// usage returns a finished child's peak resident set size in bytes and the
// CPU time (user + system) it used.
func usage(ps *os.ProcessState) (maxRSS int64, cpu time.Duration) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, ps.UserTime() + ps.SystemTime()
	}
	maxRSS = int64(ru.Maxrss)
	if runtime.GOOS != "darwin" {
		maxRSS *= 1024 // Linux and the BSDs count KiB; macOS counts bytes
	}
	return maxRSS, ps.UserTime() + ps.SystemTime()
}
