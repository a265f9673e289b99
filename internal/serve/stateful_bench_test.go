package serve

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/state"
)

// BenchmarkDetectorStateful streams 2,000 matching events in batches of
// 200 through a new terms, a suppressing and a threshold version of the
// seed rule, over SQLite, with a threshold execution after each batch.
func BenchmarkDetectorStateful(b *testing.B) {
	ctx := context.Background()
	var lines [][]byte
	for i := range 2000 {
		lines = append(lines, []byte(fmt.Sprintf(`{"@timestamp":"2026-03-14T09:%02d:%02dZ","event":{"dataset":"azure.activitylogs","outcome":"success","id":"%d"},"azure":{"activitylogs":{"operation_name":"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION"}},"user":{"name":"u%d"}}`,
			i/200+30, i%60, i, (i*7919)%300)))
	}
	adapt := []func(*engine.Rule){
		func(r *engine.Rule) { r.NewTerms = &engine.NewTerms{Fields: []string{"user.name"}, History: time.Hour} },
		func(r *engine.Rule) { r.Suppression = &engine.Suppression{GroupBy: []string{"user.name"}} },
		func(r *engine.Rule) {
			r.Alert.Type = "threshold"
			r.Threshold = &engine.Threshold{Fields: []string{"user.name"}, Value: 3}
		},
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		b.StartTimer()
		for i, a := range adapt {
			st, err := state.Open(ctx, fmt.Sprintf("%s/%d.db", dir, i))
			if err != nil {
				b.Fatal(err)
			}
			now := time.Date(2026, 3, 14, 9, 31, 0, 0, time.UTC)
			d := seedDetector(b, st, &recorder{}, &now, a)
			d.Tick(ctx)
			for j := 0; j < len(lines); j += 200 {
				if err := d.Process(ctx, "in", batchOf(lines[j:j+200], nil)); err != nil {
					b.Fatal(err)
				}
				now = now.Add(time.Minute)
				if err := d.Tick(ctx); err != nil {
					b.Fatal(err)
				}
			}
			st.Close()
		}
	}
}
