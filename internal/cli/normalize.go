package cli

import (
	"bufio"
	"fmt"
	"time"

	"github.com/vigil-project/vigil/internal/input"
	"github.com/vigil-project/vigil/internal/normalize"
)

const normalizeSynopsis = `normalize [--source auto|azure-activity] [--ingested now|T] PATH...

Turns raw cloud log records into the ECS documents Elastic's integrations index, as NDJSON on stdout.
Azure activity logs are read from diagnostic-settings exports (Event Hub {"records":[...]} batches,
storage-account JSON lines) and from 'az monitor activity-log list' / portal JSON exports.
Records already in ECS pass through unchanged. PATH '-' (or none) is stdin.

Example:
  vigil normalize testdata/sample/azure-activity.json > ecs.ndjson`

func runNormalize(env *Env, args []string) int {
	fs := newFlagSet(env, "normalize", normalizeSynopsis)
	source := fs.String("source", "auto", "record kind: auto (detect per record) or azure-activity (every record must be one)")
	ingested := fs.String("ingested", "", "set event.ingested: 'now' or an RFC 3339 time (default: leave it out, as batch ingestion of files would)")
	paths, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	src, err := normalize.ParseSource(*source)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil normalize: --source: %v\n", err)
		return exitUsage
	}
	var opts normalize.Options
	switch *ingested {
	case "":
	case "now":
		opts.Ingested = env.Now()
	default:
		t, err := time.Parse(time.RFC3339Nano, *ingested)
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil normalize: --ingested %q: use 'now' or an RFC 3339 time such as 2026-03-14T09:00:00Z\n", *ingested)
			return exitUsage
		}
		opts.Ingested = t
	}
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	w := bufio.NewWriter(env.Stdout)
	defer w.Flush()
	records := 0
	bad := eachRecord(env, "normalize", paths, func(rec input.Record) bool {
		out, warnings, err := normalize.Normalize(rec.Data, src, opts)
		for _, warn := range warnings {
			fmt.Fprintf(env.Stderr, "vigil normalize: %s: warning: %s\n", rec.Location(), warn)
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil normalize: %s: %v (record skipped)\n", rec.Location(), err)
			return false
		}
		records++
		w.Write(out)
		w.WriteByte('\n')
		return true
	})
	if bad > 0 {
		fmt.Fprintf(env.Stderr, "vigil normalize: %d record(s) written, %d failed\n", records, bad)
		return exitFailure
	}
	return exitOK
}
