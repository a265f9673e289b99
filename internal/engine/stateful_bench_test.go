package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/event"
)

// BenchmarkHuntStateful hunts 20,000 matching events with a new terms,
// a threshold and a suppressing query rule (the stateful rule types), over
// three hours and 500 users: what Finish runs through the executors.
func BenchmarkHuntStateful(b *testing.B) {
	plan := event.NewPlan()
	nt := testRule(plan, "nt", "event.action", "RUN", nil)
	nt.NewTerms = &NewTerms{Fields: []string{"user.name"}, History: time.Hour}
	th := testRule(plan, "th", "event.action", "RUN", nil)
	th.Threshold = &Threshold{Fields: []string{"user.name"}, Value: 3}
	sup := testRule(plan, "sup", "event.action", "RUN", nil)
	sup.Suppression = &Suppression{GroupBy: []string{"user.name"}}
	for _, r := range []*Rule{nt, th, sup} {
		r.TimestampOverride = ""
	}
	e := New(Options{Rules: []*Rule{nt, th, sup}, Plan: plan})
	t0 := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	var docs [][]byte
	for i := range 20000 {
		docs = append(docs, []byte(fmt.Sprintf(`{"@timestamp":%q,"event":{"action":"RUN","id":"%d"},"user":{"name":"u%d"}}`,
			t0.Add(time.Duration(i)*540*time.Millisecond).Format(time.RFC3339Nano), i, (i*7919)%500)))
	}
	ev := event.New(nil, plan)
	b.ReportAllocs()
	for b.Loop() {
		alerts := 0
		h := NewHunt(HuntOptions{Engine: e, Emit: func(Alert) error { alerts++; return nil }})
		for _, d := range docs {
			ev.Reset(d)
			if err := h.Event(ev); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := h.Finish(); err != nil {
			b.Fatal(err)
		}
		if alerts == 0 {
			b.Fatal("no alert")
		}
	}
}
