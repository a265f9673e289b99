package normalize

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"testing"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/input"
)

// BenchmarkPasses measures, one by one, the passes `vigil normalize`
// makes over each line of a raw file (bench/run's azure-raw*.ndjson,
// named by VIGIL_BENCH_RAW; skipped without it): the baseline's scan of
// the line, the envelope split, the pipeline's validating scan of each
// record, the writer (Append with Options.Valid), and the validating
// writer that stands for the last two (Record). Each sub-benchmark
// reports ns per record, so that they add up to the command's CPU per
// record (reading and writing aside) and compare with the scan's.
// VIGIL_BENCH_LINES sets how many lines are read (20,000 by default).
//
//	VIGIL_BENCH_RAW=/tmp/lb2/azure-raw-audit.ndjson go test -run X -bench Passes ./internal/normalize
func BenchmarkPasses(b *testing.B) {
	path := os.Getenv("VIGIL_BENCH_RAW")
	if path == "" {
		b.Skip("VIGIL_BENCH_RAW names no raw file")
	}
	n := 20000
	if s := os.Getenv("VIGIL_BENCH_LINES"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	lines, records := passesInput(b, path, n)
	per := func(b *testing.B, n int) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/record")
	}
	b.Run("scan", func(b *testing.B) {
		plan := event.NewPlan()
		id := plan.Add("records.operationName")
		ev := event.New(nil, plan)
		for b.Loop() {
			for _, l := range lines {
				ev.Reset(l)
				if len(ev.Values(id)) == 0 || ev.Err() != nil {
					b.Fatal("no value")
				}
			}
		}
		per(b, len(records))
	})
	b.Run("split", func(b *testing.B) {
		var items []input.Item
		for b.Loop() {
			for _, l := range lines {
				items = input.AppendExpanded(items[:0], input.Record{Data: l, Line: 1, Index: -1, Unchecked: true})
			}
		}
		per(b, len(records))
	})
	b.Run("validate", func(b *testing.B) {
		plan := event.NewPlan()
		plan.Add("operationName")
		ev := event.New(nil, plan)
		for b.Loop() {
			for _, r := range records {
				ev.Reset(r)
				if ev.Err() != nil {
					b.Fatal(ev.Err())
				}
			}
		}
		per(b, len(records))
	})
	b.Run("append", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf = buf[:0]
			for _, r := range records {
				var err error
				if buf, _, err = Append(buf, r, Auto, Options{Valid: true}); err != nil {
					b.Fatal(err)
				}
				if len(buf) > 8<<20 {
					buf = buf[:0]
				}
			}
		}
		per(b, len(records))
	})
	b.Run("record", func(b *testing.B) {
		// The command's path now: validate and append in one walk.
		var buf []byte
		var rec Record
		defer rec.Release()
		for b.Loop() {
			buf = buf[:0]
			for _, r := range records {
				if err := rec.Read(r); err != nil {
					b.Fatal(err)
				}
				var err error
				if buf, _, err = rec.Append(buf, Auto, Options{}); err != nil {
					b.Fatal(err)
				}
				if len(buf) > 8<<20 {
					buf = buf[:0]
				}
			}
		}
		per(b, len(records))
	})
}

// passesInput reads up to n lines of the raw file at path and splits them
// into their records.
func passesInput(b *testing.B, path string, n int) (lines, records [][]byte) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for len(lines) < n && sc.Scan() {
		l := bytes.Clone(sc.Bytes())
		lines = append(lines, l)
		for _, it := range input.Expand(input.Record{Data: l, Line: 1, Index: -1, Unchecked: true}) {
			if it.Err != nil {
				b.Fatal(it.Err)
			}
			records = append(records, it.Record.Data)
		}
	}
	if err := sc.Err(); err != nil {
		b.Fatal(err)
	}
	return lines, records
}
