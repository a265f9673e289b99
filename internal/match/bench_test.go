package match

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
)

// The seed rule's query over ~650-byte ECS Azure activity events, 1% of them
// matching, beside two baselines in the same run:
//
//   - ScanMinimal: a minimal JSON skimmer (strings, escapes, nesting; no
//     validation, no extraction), the floor of any reading of the bytes;
//   - ScanEvent: the event package's single validating pass extracting the
//     query's three fields, without matching.
//
// Measured on the development machine (2 cores shared with other builds,
// Xeon 2.8 GHz, go test -bench=Seed -count=5; medians, noisy to ±15%):
//
//	BenchmarkSeedScanMinimal   ~ 900 ns/op   0 allocs
//	BenchmarkSeedScanEvent     ~1150 ns/op   0 allocs
//	BenchmarkSeedMatch         ~1250 ns/op   0 allocs
//
// Matching adds about 10% over the event scan it needs (target: < 20%); the
// whole evaluation costs about 1.4x a minimal skim of the bytes.

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

func avgSize(evs [][]byte) int64 {
	var n int64
	for _, e := range evs {
		n += int64(len(e))
	}
	return n / int64(len(evs))
}

// skim is the minimal scanner: it walks the bytes once, skipping strings
// (with escapes) and tracking nesting, and returns the deepest nesting.
func skim(b []byte) int {
	depth, deepest := 0, 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			depth++
			deepest = max(deepest, depth)
		case '}', ']':
			depth--
		}
	}
	return deepest
}

func seedMatcher(b *testing.B) *Matcher {
	b.Helper()
	q, err := kql.Parse(seedQuery)
	if err != nil {
		b.Fatal(err)
	}
	m, err := Compile(q, Options{})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func BenchmarkSeedScanMinimal(b *testing.B) {
	evs := benchEvents(1000)
	b.SetBytes(avgSize(evs))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if skim(evs[i%len(evs)]) == 0 {
			b.Fatal("no nesting")
		}
		i++
	}
}

func BenchmarkSeedScanEvent(b *testing.B) {
	evs := benchEvents(1000)
	m := seedMatcher(b)
	ev := event.New(nil, m.Plan())
	b.SetBytes(avgSize(evs))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ev.Reset(evs[i%len(evs)])
		if ev.Err() != nil {
			b.Fatal(ev.Err())
		}
		i++
	}
}

func BenchmarkSeedMatch(b *testing.B) {
	evs := benchEvents(1000)
	m := seedMatcher(b)
	ev := event.New(nil, m.Plan())
	b.SetBytes(avgSize(evs))
	b.ReportAllocs()
	i, hits := 0, 0
	for b.Loop() {
		ev.Reset(evs[i%len(evs)])
		if m.Match(ev) {
			hits++
		}
		i++
	}
	if i >= 1000 && hits != (i+99)/100 {
		b.Fatalf("%d of %d events matched; want 1%%", hits, i)
	}
}

// BenchmarkMatchers measures single clauses on an already scanned event.
func BenchmarkMatchers(b *testing.B) {
	doc := []byte(`{"kw":"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION","txt":"User bob failed login from host 10.1.2.3","l":404,"dt":"2026-03-14T09:58:00Z","ip":"10.1.2.3"}`)
	for _, query := range []string{
		`kw:"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION"`,
		`kw:*RUNCOMMAND*`,
		`kw:MICROSOFT*/ACTION`,
		`kw:(a or b or c or d or e or f or g or MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION)`,
		`txt:"failed login"`,
		`l >= 400`,
		`dt > now-5m`,
		`ip:10.0.0.0/8`,
	} {
		b.Run(query, func(b *testing.B) {
			q, err := kql.Parse(query)
			if err != nil {
				b.Fatal(err)
			}
			m, err := Compile(q, Options{Schema: typesSchema, Now: clock})
			if err != nil {
				b.Fatal(err)
			}
			ev := event.New(doc, m.Plan())
			if !m.Match(ev) {
				b.Fatal("no match")
			}
			b.ReportAllocs()
			for b.Loop() {
				m.Match(ev)
			}
		})
	}
}
