// Command vigil runs Elastic Security detection rules over logs, in batch and
// streaming, without Elasticsearch or Kibana. See `vigil help`.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/vigil-project/vigil/internal/cli"
)

func main() {
	if path := os.Getenv("VIGIL_CPUPROFILE"); path != "" {
		// For performance work: a CPU profile of the whole run.
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			defer f.Close()
		}
	}
	code := cli.Main(os.Args[1:], cli.StdEnv())
	pprof.StopCPUProfile()
	if path := os.Getenv("VIGIL_MEMPROFILE"); path != "" {
		// For performance work: where the run allocated (alloc_space).
		if f, err := os.Create(path); err == nil {
			pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
	}
	if os.Getenv("VIGIL_RUNTIME_STATS") != "" {
		// For bench/: the process's allocation totals, read by the script
		// to report allocations per event.
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		fmt.Fprintf(os.Stderr, "vigil-runtime-stats mallocs=%d total_alloc_bytes=%d num_gc=%d\n", m.Mallocs, m.TotalAlloc, m.NumGC)
	}
	os.Exit(code)
}
