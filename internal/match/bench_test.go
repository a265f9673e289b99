package match

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
)

const seedQuery = `event.dataset:azure.activitylogs and azure.activitylogs.operation_name:"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION" and event.outcome:(Success or success)`

// benchEvents returns n ECS Azure activity events of about 650 bytes, 1% of
// them successful Run Commands.
func benchEvents(n int) [][]byte {
	ops := []string{"MICROSOFT.COMPUTE/VIRTUALMACHINES/WRITE", "MICROSOFT.RESOURCES/DEPLOYMENTS/WRITE", "MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/WRITE"}
	out := make([][]byte, n)
	for i := range out {
		op := ops[i%len(ops)]
		if i%100 == 0 {
			op = "MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION"
		}
		doc := map[string]any{
			"@timestamp": fmt.Sprintf("2026-03-14T09:%02d:%02d.000Z", i/60%60, i%60),
			"event":      map[string]any{"dataset": "azure.activitylogs", "module": "azure", "kind": "event", "action": op, "outcome": "success", "duration": 0},
			"azure": map[string]any{
				"activitylogs":    map[string]any{"operation_name": op, "category": "Administrative", "result_type": "Success", "result_signature": "Succeeded.", "event_category": "Administrative"},
				"resource":        map[string]any{"id": "/SUBSCRIPTIONS/3F2B8C1D-5E6A-4B7C-8D9E-0A1B2C3D4E5F/RESOURCEGROUPS/PROD-APP-RG/PROVIDERS/MICROSOFT.COMPUTE/VIRTUALMACHINES/WEB-VM-01", "group": "PROD-APP-RG", "name": "WEB-VM-01"},
				"subscription_id": "3F2B8C1D-5E6A-4B7C-8D9E-0A1B2C3D4E5F",
				"correlation_id":  fmt.Sprintf("%08x-0000-4000-8000-000000000000", i),
			},
			"source":      map[string]any{"ip": "203.0.113.10"},
			"user":        map[string]any{"name": "alice.ng", "domain": "contoso.example"},
			"data_stream": map[string]any{"type": "logs", "dataset": "azure.activitylogs", "namespace": "default"},
		}
		out[i], _ = json.Marshal(doc)
	}
	return out
}

func totalBytes(evs [][]byte) int64 {
	var n int64
	for _, e := range evs {
		n += int64(len(e))
	}
	return n
}

// BenchmarkSeedBaselineScan only scans the events (a validating JSON scan):
// the floor a matcher is measured against.
func BenchmarkSeedBaselineScan(b *testing.B) {
	evs := benchEvents(1000)
	b.SetBytes(totalBytes(evs) / int64(len(evs)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if !json.Valid(evs[i%len(evs)]) {
			b.Fatal("invalid")
		}
		i++
	}
}

// BenchmarkSeedMatch matches the seed rule's query over the same events.
func BenchmarkSeedMatch(b *testing.B) {
	evs := benchEvents(1000)
	q, err := kql.Parse(seedQuery)
	if err != nil {
		b.Fatal(err)
	}
	plan := event.NewPlan()
	m, err := Compile(q, Options{Plan: plan})
	if err != nil {
		b.Fatal(err)
	}
	ev := event.New(nil, plan)
	b.SetBytes(totalBytes(evs) / int64(len(evs)))
	b.ReportAllocs()
	i, hits := 0, 0
	for b.Loop() {
		ev.Reset(evs[i%len(evs)])
		if m.Match(ev) {
			hits++
		}
		i++
	}
	if i >= 1000 && hits == 0 {
		b.Fatal("no event matched")
	}
}
