//go:build unix

package bench

import (
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-project/vigil/bench/gen"
	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/rule"
	"github.com/vigil-project/vigil/internal/ruleset"
)

// BenchmarkSequenceRules measures the corpus's eql sequence and sample
// rules in a hunt over the benchmark's mixed data (its ECS lines,
// VIGIL_BENCH_EVENTS of them, default 100,000), in-process on one
// goroutine, against the plain scan of the same lines (one field read per
// event, vigil-scan's baseline): compare the ns/op as ratios.
//
//   - scan: the baseline;
//   - sequences: the 196 sequence and sample rules of the corpus's rules
//     directory alone, their events
//     held in memory;
//   - sequences-spill: the same with a 1 MiB memory bound (the events
//     sorted through run files on disk);
//   - corpus-without-sequences and corpus: every runnable rule of the
//     corpus without and with them (what the sequence rules add to a
//     whole-corpus hunt).
//
// heap-MiB is the heap in use at the end of the input, before Finish (the
// rules and the events held); seq-matches the sequence rules' matches;
// cpu-ns/event the process's CPU time (user and system, the garbage
// collector's included) per event, steadier than the wall time on a busy
// machine.
func BenchmarkSequenceRules(b *testing.B) {
	n := 100_000
	if s := os.Getenv("VIGIL_BENCH_EVENTS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	path, _ := writeEvents(b, gen.Options{Seed: 1, Events: n})
	ecsPath, _, _ := ecsOnly(b, path)
	data, err := os.ReadFile(ecsPath)
	if err != nil {
		b.Fatal(err)
	}
	var lines [][]byte
	for start := 0; start < len(data); {
		end := start
		for end < len(data) && data[end] != '\n' {
			end++
		}
		if end > start {
			lines = append(lines, data[start:end])
		}
		start = end + 1
	}
	now := func() time.Time { return time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC) }
	plan := event.NewPlan()
	set, err := ruleset.LoadSetOptions([]string{corpusDir(b)}, rule.LoadOptions{Plan: plan, Now: now, RunESQL: true})
	if err != nil {
		b.Fatal(err)
	}
	all, _ := ruleset.Runnable(set)
	var seqs, others []*engine.Rule
	for _, r := range all {
		if r.Sequence != nil {
			seqs = append(seqs, r)
		} else if r.Threat == nil { // no indicators here: a hunt does not run them
			others = append(others, r)
		}
	}
	if len(seqs) < 190 {
		b.Fatalf("%d sequence and sample rules runnable, want the 196 of the corpus's rules directory", len(seqs))
	}
	cpuNs := func() int64 {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			b.Fatal(err)
		}
		return ru.Utime.Nano() + ru.Stime.Nano()
	}
	perEvent := func(b *testing.B, cpu0 int64) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(lines)), "ns/event")
		b.ReportMetric(float64(cpuNs()-cpu0)/float64(b.N)/float64(len(lines)), "cpu-ns/event")
	}
	huntWith := func(b *testing.B, rules []*engine.Rule, memory int) {
		eng := engine.New(engine.Options{Rules: rules, Plan: plan})
		ev := event.New(nil, plan)
		tmp := b.TempDir()
		b.ReportAllocs()
		var heldMiB float64
		var cpu0 int64
		for b.Loop() {
			if cpu0 == 0 {
				cpu0 = cpuNs()
			}
			h := engine.NewHunt(engine.HuntOptions{Engine: eng, Now: now, SequenceMemory: memory, SequenceTempDir: tmp,
				Emit: func(engine.Alert) error { return nil }})
			for _, l := range lines {
				ev.Reset(l)
				if err := h.Event(ev); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			c := cpuNs()
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			heldMiB = float64(ms.HeapInuse) / (1 << 20)
			cpu0 += cpuNs() - c // not the forced collection's
			b.StartTimer()
			stats, err := h.Finish()
			if err != nil {
				b.Fatal(err)
			}
			held := 0
			for _, st := range stats {
				if st.Rule.Sequence != nil {
					held += st.Matches
				}
			}
			b.ReportMetric(float64(held), "seq-matches")
		}
		b.ReportMetric(heldMiB, "heap-MiB")
		perEvent(b, cpu0)
	}
	b.Run("scan", func(b *testing.B) {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		scanPlan := event.NewPlan() // vigil-scan's: one field
		id := scanPlan.Add("event.action")
		ev := event.New(nil, scanPlan)
		b.ReportAllocs()
		var cpu0 int64
		for b.Loop() {
			if cpu0 == 0 {
				cpu0 = cpuNs()
			}
			for _, l := range lines {
				ev.Reset(l)
				_ = ev.Values(id)
			}
		}
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB") // after b.Loop, which resets metrics
		perEvent(b, cpu0)
	})
	b.Run("sequences", func(b *testing.B) { huntWith(b, seqs, 0) })
	b.Run("sequences-spill", func(b *testing.B) { huntWith(b, seqs, 1<<20) })
}
