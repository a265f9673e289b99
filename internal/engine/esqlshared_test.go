package engine

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/event"
)

// A hunt evaluates an ES|QL query's head once per event for all the
// executions that read it (esql.Shared): its alerts, their documents and
// ids, and its statistics and warnings are those of a hunt where each
// execution reads the event itself.
func TestESQLSharedHeadIsAlone(t *testing.T) {
	queries := []struct {
		query    string
		lookback time.Duration
	}{
		{`FROM logs-* | WHERE event.outcome == "failure" | STATS n = COUNT(*), ips = VALUES(source.ip), d = COUNT_DISTINCT(source.ip) BY user.name | WHERE n > 2`, 30 * time.Minute},
		{`FROM logs-* METADATA _id, _index | WHERE event.outcome == "success" AND source.ip IS NOT NULL | KEEP @timestamp, user.name, source.ip, _id, _index`, 15 * time.Minute},
		{`FROM logs-* | WHERE @timestamp > NOW() - 20 minutes | EVAL u = TO_LOWER(user.name) | STATS n = COUNT(*) BY u | WHERE n > 3`, 60 * time.Minute},
		{`FROM logs-* | EVAL r = 100 / n | WHERE r > 10 | KEEP user.name, r, event.outcome | STATS c = COUNT(*), v = VALUES(r) BY event.outcome`, 20 * time.Minute},
		{`FROM logs-* METADATA _id | WHERE event.outcome == "failure" | EVAL x = n * 2 | KEEP _id, x, @timestamp, user.name | SORT x DESC, @timestamp | LIMIT 5`, 15 * time.Minute},
		{`FROM logs-* | WHERE KQL("event.outcome:failure") | EVAL h = DATE_TRUNC(10 minutes, @timestamp) | STATS n = COUNT(*) BY h, user.name | WHERE n >= 2 | SORT h, user.name`, 10 * time.Minute},
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	var docs []string
	at := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	for range 600 {
		at = at.Add(time.Duration(rnd.IntN(30)) * time.Second)
		outcome := []string{"success", "failure", "failure"}[rnd.IntN(3)]
		docs = append(docs, fmt.Sprintf(`{"@timestamp":%q,"data_stream":{"type":"logs","dataset":"azure.signinlogs","namespace":"default"},"event":{"outcome":%q},"user":{"name":"User%d"},"source":{"ip":"10.0.0.%d"},"n":%d}`,
			at.Format(time.RFC3339), outcome, rnd.IntN(6), rnd.IntN(5), rnd.IntN(12)))
	}
	run := func(alone bool) (alerts []string, stats []string) {
		plan := event.NewPlan()
		var rules []*Rule
		for i, q := range queries {
			rules = append(rules, esqlRule(t, plan, fmt.Sprint("r", i), q.query, q.lookback))
		}
		h := NewHunt(HuntOptions{Engine: New(Options{Rules: rules, Plan: plan}), Emit: func(a Alert) error {
			alerts = append(alerts, fmt.Sprint(a.ID, " ", a.Exec.Format("15:04"), " ", a.Doc))
			return nil
		}})
		h.esqlAlone = alone
		for _, d := range docs {
			if err := h.Event(event.New([]byte(d), plan)); err != nil {
				t.Fatal(err)
			}
		}
		st, err := h.Finish()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range st {
			c := *s
			c.Rule = nil // another pointer in each hunt
			stats = append(stats, fmt.Sprintf("%s %+v", s.Rule.ID, c))
		}
		return alerts, stats
	}
	wantAlerts, wantStats := run(true)
	gotAlerts, gotStats := run(false)
	if len(wantAlerts) < 20 {
		t.Fatalf("only %d alerts: the test data should make more", len(wantAlerts))
	}
	if fmt.Sprint(gotStats) != fmt.Sprint(wantStats) {
		t.Errorf("statistics:\n got %v\nwant %v", gotStats, wantStats)
	}
	if len(gotAlerts) != len(wantAlerts) {
		t.Fatalf("%d alerts, want %d", len(gotAlerts), len(wantAlerts))
	}
	for i := range gotAlerts {
		if gotAlerts[i] != wantAlerts[i] {
			t.Errorf("alert %d:\n got %s\nwant %s", i, gotAlerts[i], wantAlerts[i])
		}
	}
}
