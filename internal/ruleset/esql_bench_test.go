package ruleset

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/rule"
)

// entraRule is an aggregating Entra ID rule in the manner of Elastic's
// sign-in rules: failed sign-ins per user, with their distinct source
// addresses, countries and applications, over a 5-minute window.
const entraRule = `[metadata]
creation_date = "2026/12/07"
updated_date = "2026/12/07"

[rule]
author = ["Vigil"]
description = "A user failing to sign in from many addresses in one execution."
from = "now-5m"
interval = "5m"
language = "esql"
license = "Elastic License v2"
name = "Entra ID Sign-in Failures from Many Addresses"
risk_score = 47
rule_id = "bench-entra-esql"
severity = "medium"
type = "esql"
query = '''
FROM logs-azure.signinlogs-* METADATA _id, _index
| WHERE event.dataset == "azure.signinlogs" AND event.category == "authentication" AND event.outcome == "failure"
| STATS Esql.event_count = COUNT(*),
        Esql.source_ip_count_distinct = COUNT_DISTINCT(source.ip),
        Esql.source_ip_values = VALUES(source.ip),
        Esql.country_values = VALUES(source.geo.country_name),
        Esql.app_values = VALUES(azure.signinlogs.properties.app_display_name),
        Esql.first_seen = MIN(@timestamp), Esql.last_seen = MAX(@timestamp)
  BY user.name
| WHERE Esql.source_ip_count_distinct >= 5
| SORT Esql.event_count DESC
| LIMIT 100
'''
`

// millionEvents is the benchmark's event count: all of them in the one
// window [09:00, 09:05] of the execution at 09:05.
const millionEvents = 1_000_000

// appendSignIn appends Entra ID sign-in event i of n: 50,000 users, every
// third event a failure, 65,536 source addresses, 40 countries, 7 apps.
func appendSignIn(buf []byte, i, n int) []byte {
	at := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * (5 * time.Minute) / time.Duration(n+1))
	outcome := "success"
	if i%3 == 0 {
		outcome = "failure"
	}
	return fmt.Appendf(buf, `{"@timestamp":%q,"data_stream":{"type":"logs","dataset":"azure.signinlogs","namespace":"default"},`+
		`"event":{"dataset":"azure.signinlogs","category":["authentication"],"outcome":%q},`+
		`"azure":{"signinlogs":{"category":"SignInLogs","properties":{"app_display_name":"app%d","user_principal_name":"user%d@contoso.example"}}},`+
		`"user":{"name":"user%d@contoso.example"},"source":{"ip":"10.%d.%d.%d","geo":{"country_name":"country%d"}}}`,
		at.Format("2006-01-02T15:04:05.000Z"), outcome, i%7, i%50000, i%50000, i/65536%256, i/256%256, i%256, i%40)
}

// BenchmarkEntraIDMillion runs the aggregating Entra ID rule in a hunt
// over a million sign-in events in one window (rule index, leading-WHERE
// filter, query, alerts); BenchmarkEntraIDMillionRead makes and decodes
// the same events and reads the query's fields, the baseline the ratio
// is taken against. live-MB is the heap the hunt holds once every event
// is read, before the execution runs (after a collection): the query's
// groups. Run with -benchtime 1x.
func BenchmarkEntraIDMillion(b *testing.B) {
	plan := event.NewPlan()
	r := rule.Parse("bench.toml", []byte(entraRule), rule.LoadOptions{Plan: plan, Now: time.Now, RunESQL: true})
	if r.Status != rule.StatusOK {
		b.Fatalf("rule: %v %s", r.Errors, r.Reason)
	}
	er := EngineRule(r)
	eng := engine.New(engine.Options{Rules: []*engine.Rule{er}, Plan: plan})
	ev := event.New(nil, plan)
	var buf []byte
	var live float64
	b.ReportAllocs()
	for b.Loop() {
		alerts := 0
		h := engine.NewHunt(engine.HuntOptions{Engine: eng, Emit: func(engine.Alert) error { alerts++; return nil }})
		var before runtime.MemStats
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()
		for i := range millionEvents {
			buf = appendSignIn(buf[:0], i, millionEvents)
			ev.Reset(buf)
			if err := h.Event(ev); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		var after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&after)
		live = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / (1 << 20)
		b.StartTimer()
		if _, err := h.Finish(); err != nil {
			b.Fatal(err)
		}
		if alerts != 100 {
			b.Fatalf("%d alerts, want 100 (LIMIT 100 of the users failing from 5 or more addresses)", alerts)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*millionEvents), "ns/event")
	b.ReportMetric(live, "live-MB")
}

func BenchmarkEntraIDMillionRead(b *testing.B) {
	plan := event.NewPlan()
	r := rule.Parse("bench.toml", []byte(entraRule), rule.LoadOptions{Plan: plan, Now: time.Now, RunESQL: true})
	if r.Status != rule.StatusOK {
		b.Fatalf("rule: %v %s", r.Errors, r.Reason)
	}
	fields := r.ESQL().Program.Fields()
	ev := event.New(nil, plan)
	var buf []byte
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		for i := range millionEvents {
			buf = appendSignIn(buf[:0], i, millionEvents)
			ev.Reset(buf)
			for _, f := range fields {
				n += len(ev.Get(f))
			}
		}
	}
	if n == 0 {
		b.Fatal("no field read")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*millionEvents), "ns/event")
}
