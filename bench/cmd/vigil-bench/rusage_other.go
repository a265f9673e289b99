//go:build !unix

package main

import (
	"os"
	"time"
)

// usage returns the CPU time of a finished child; peak memory is not
// measured on this system (reported as 0).
func usage(ps *os.ProcessState) (maxRSS int64, cpu time.Duration) {
	return 0, ps.UserTime() + ps.SystemTime()
}
