package esql

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
)

// signIns makes n Entra ID sign-in documents: 500 users, 40 countries,
// 2000 source IPs.
func signIns(n int) [][]byte {
	docs := make([][]byte, n)
	for i := range docs {
		docs[i] = fmt.Appendf(nil, `{"@timestamp":"2024-05-01T%02d:%02d:00Z","event":{"dataset":"azure.signinlogs","outcome":"%s"},`+
			`"azure":{"signinlogs":{"category":"SignInLogs","properties":{"user_principal_name":"user%d@example.com","app_display_name":"app%d"}}},`+
			`"source":{"ip":"10.0.%d.%d","geo":{"country_name":"country%d"}},"user_agent":{"original":"agent%d"}}`,
			i/60%24, i%60, []string{"success", "failure"}[i%2], i%500, i%7, i/250%8, i%250, i%40, i%3)
	}
	return docs
}

const benchQuery = `FROM logs-azure.signinlogs-*
| WHERE event.dataset == "azure.signinlogs" AND event.outcome == "success"
| STATS Esql.country_count = COUNT_DISTINCT(source.geo.country_name),
        Esql.ip_values = VALUES(source.ip),
        Esql.apps = VALUES(azure.signinlogs.properties.app_display_name),
        Esql.first = MIN(@timestamp), Esql.events = COUNT(*)
  BY azure.signinlogs.properties.user_principal_name
| WHERE Esql.country_count >= 2
| KEEP azure.signinlogs.properties.user_principal_name, Esql.*`

// BenchmarkSignInStats runs an aggregating Entra ID query over sign-in
// documents; BenchmarkSignInRead only decodes the same documents and reads
// the same fields, the baseline the ratio is taken against.
func BenchmarkSignInStats(b *testing.B) {
	docs := signIns(10000)
	q, err := Parse(benchQuery)
	if err != nil {
		b.Fatal(err)
	}
	p, err := Compile(q, Options{Now: func() time.Time { return testNow }})
	if err != nil {
		b.Fatal(err)
	}
	ev := event.New(nil, p.Plan())
	b.ReportAllocs()
	for b.Loop() {
		r := p.Start()
		for _, d := range docs {
			ev.Reset(d)
			r.Add(Doc{Event: ev})
		}
		if res := r.Finish(); len(res.Rows) == 0 {
			b.Fatal("no rows")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(docs)), "ns/event")
}

func BenchmarkSignInRead(b *testing.B) {
	docs := signIns(10000)
	q, _ := Parse(benchQuery)
	p, err := Compile(q, Options{Now: func() time.Time { return testNow }})
	if err != nil {
		b.Fatal(err)
	}
	fields := p.Fields()
	ev := event.New(nil, p.Plan())
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, d := range docs {
			ev.Reset(d)
			for _, f := range fields {
				n += len(ev.Get(f))
			}
		}
	}
	if n == 0 {
		b.Fatal("nothing read")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(docs)), "ns/event")
}

var _ = ecs.Keyword
