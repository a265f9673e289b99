// Command vigil runs Elastic Security detection rules over logs, in batch and
// streaming, without Elasticsearch or Kibana. See `vigil help`.
package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/vigil-project/vigil/internal/cli"
)

func main() {
	code := cli.Main(os.Args[1:], cli.StdEnv())
	if os.Getenv("VIGIL_RUNTIME_STATS") != "" {
		// For bench/: the process's allocation totals, read by the script
		// to report allocations per event.
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		fmt.Fprintf(os.Stderr, "vigil-runtime-stats mallocs=%d total_alloc_bytes=%d num_gc=%d\n", m.Mallocs, m.TotalAlloc, m.NumGC)
	}
	os.Exit(code)
}
