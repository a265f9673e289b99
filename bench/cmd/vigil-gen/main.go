// Command vigil-gen writes the benchmark's events: a seeded, deterministic
// mix of ECS documents (Azure activity, sign-in and audit logs, Elastic
// Defend process events) and raw Azure activity records in Event Hub
// envelopes, as NDJSON (gzip when the file name ends in .gz). About 1% of
// the events are planted to match detection rules.
//
//	go run ./bench/cmd/vigil-gen -n 100000 -o /tmp/events.ndjson
//	go run ./bench/cmd/vigil-gen -raw -n 20000 -o /tmp/azure-raw.ndjson.gz
//	go run ./bench/cmd/vigil-gen -raw -raw-stream signin -n 20000 -o /tmp/signin-raw.ndjson
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"

	"github.com/vigil-project/vigil/bench/gen"
)

func main() {
	n := flag.Int("n", 1_000_000, "number of events (records) to write")
	seed := flag.Uint64("seed", 1, "seed of the generator: the same seed and -n give the same file")
	out := flag.String("o", "", "output file (.gz: gzip); default: standard output")
	raw := flag.Bool("raw", false, "only raw Azure activity records in {\"records\":[...]} envelopes (input of vigil normalize)")
	rawStream := flag.String("raw-stream", "", "with -raw, raw records of another stream: signin (Entra ID SignInLogs) or audit (AuditLogs)")
	quiet := flag.Bool("q", false, "no summary on standard error")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "vigil-gen: unexpected arguments; use -o FILE")
		os.Exit(2)
	}
	switch *rawStream {
	case "", "activity", gen.RawSignIn, gen.RawAudit:
	default:
		fmt.Fprintf(os.Stderr, "vigil-gen: -raw-stream %q: use signin or audit\n", *rawStream)
		os.Exit(2)
	}
	if *rawStream == "activity" {
		*rawStream = ""
	}
	o := gen.Options{Seed: *seed, Events: *n, Raw: *raw, RawStream: *rawStream}
	var st gen.Stats
	var err error
	if *out == "" {
		st, err = gen.Write(os.Stdout, o)
	} else {
		st, err = gen.WriteFile(*out, o)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "vigil-gen: %v\n", err)
		os.Exit(1)
	}
	if *quiet {
		return
	}
	fmt.Fprintf(os.Stderr, "vigil-gen: %d events in %d lines, %d bytes (%.0f bytes/event)\n",
		st.Events, st.Lines, st.Bytes, float64(st.Bytes)/float64(st.Events))
	printCounts("by kind", st.ByKind)
	planted := 0
	for _, c := range st.Planted {
		planted += c
	}
	printCounts(fmt.Sprintf("planted to match a rule (%d, %.2f%%)", planted, 100*float64(planted)/float64(st.Events)), st.Planted)
}

func printCounts(title string, m map[string]int) {
	fmt.Fprintf(os.Stderr, "  %s:\n", title)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(os.Stderr, "    %8d  %s\n", m[k], k)
	}
}
