package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/event"
)

// BenchmarkESQLHuntLookback compares a hunt of an aggregating ES|QL rule
// whose events are fed to the runs of its executions (a look-back of 12
// intervals, the most fed) with one whose documents are held on disk (13
// intervals, and 48: 4h at 5m), over 2 hours of events, one every second.
// Compare the ns/op of the sub-benchmarks as ratios.
func BenchmarkESQLHuntLookback(b *testing.B) {
	const events = 7200
	start := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	docs := make([][]byte, events)
	for i := range docs {
		ts := start.Add(time.Duration(i) * time.Second).Format(time.RFC3339)
		docs[i] = []byte(fmt.Sprintf(`{"@timestamp":%q,"data_stream":{"type":"logs","dataset":"system.auth","namespace":"default"},"event":{"outcome":"failure"},"user":{"name":"u%d"}}`, ts, i%50))
	}
	for _, c := range []struct {
		name     string
		lookback time.Duration
	}{{"fed-12", time.Hour}, {"held-13", 65 * time.Minute}, {"held-48", 4 * time.Hour}} {
		b.Run(c.name, func(b *testing.B) {
			plan := event.NewPlan()
			r := esqlRule(b, plan, "agg", `FROM logs-system.auth-* | WHERE event.outcome == "failure" | STATS n = COUNT(*) BY user.name | WHERE n > 1000`, c.lookback)
			e := New(Options{Rules: []*Rule{r}, Plan: plan})
			dir := b.TempDir()
			b.ResetTimer()
			for range b.N {
				h := NewHunt(HuntOptions{Engine: e, SequenceTempDir: dir, Emit: func(Alert) error { return nil }})
				for _, d := range docs {
					if err := h.Event(event.New(d, plan)); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := h.Finish(); err != nil {
					b.Fatal(err)
				}
				h.Close()
			}
		})
	}
}
