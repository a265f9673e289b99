package esql

import (
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
)

func filterProgram(t *testing.T, query string) *Program {
	t.Helper()
	q, err := Parse(query)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(q, Options{Schema: ecs.Default().ForIndices([]string{"logs-*"}), Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The filter is the leading WHERE's conjuncts Vigil can say in KQL.
func TestFilterFromLeadingWhere(t *testing.T) {
	for _, c := range []struct{ query, want string }{
		{`FROM logs-* | WHERE event.dataset == "azure.signinlogs" AND event.outcome == "failure" | STATS n = COUNT(*) BY user.name`,
			`event.dataset:"azure.signinlogs" and event.outcome:"failure"`},
		{`FROM logs-* | WHERE event.category IN ("process", "network") AND process.name LIKE "*.exe" | KEEP process.name`,
			`event.category:("process" or "network") and process.name:*.exe`},
		{`FROM logs-* | WHERE (event.action == "a" OR event.code == "4624") AND @timestamp > NOW() - 1 hour`,
			`event.action:"a" or event.code:"4624"`},
		{`FROM logs-* | WHERE KQL("event.dataset: azure.auditlogs") | WHERE "x" == host.name`,
			`event.dataset:azure.auditlogs and host.name:"x"`},
		// None: an OR with a side Vigil cannot say, NOT, a text field,
		// a computed value, RLIKE, ? in LIKE, a WHERE after EVAL.
		{`FROM logs-* | WHERE event.action == "a" OR process.pid > 4`, ``},
		{`FROM logs-* | WHERE NOT event.action == "a"`, ``},
		{`FROM logs-* | WHERE message == "a"`, ``},
		{`FROM logs-* | WHERE TO_LOWER(user.name) == "a"`, ``},
		{`FROM logs-* | WHERE user.name RLIKE "a.*"`, ``},
		{`FROM logs-* | WHERE user.name LIKE "a?"`, ``},
		{`FROM logs-* | EVAL user.name = TO_LOWER(user.name) | WHERE user.name == "a"`, ``},
		// EVAL, KEEP, MV_EXPAND, LIMIT may come between; a column EVAL
		// made is not the source field; DISSECT ends the leading part.
		{`FROM logs-* | EVAL x = "1" | KEEP event.category, event.action, x, host.name | MV_EXPAND event.category | WHERE event.category == "process" AND x == "1" | LIMIT 5 | WHERE host.name LIKE "srv-*" | DISSECT host.name "%{a}" | WHERE event.action == "b"`,
			`event.category:"process" and host.name:srv-*`},
	} {
		p := filterProgram(t, c.query)
		got := ""
		if m := p.Filter(); m != nil {
			got = m.String()
		}
		if got != c.want {
			t.Errorf("%s\nfilter %q, want %q", c.query, got, c.want)
		}
	}
}

// Every document a leading WHERE keeps matches the filter: the filter
// never drops a document the query would read.
func TestFilterIsNecessary(t *testing.T) {
	docs := []string{
		`{"event":{"dataset":"azure.signinlogs","outcome":"failure","category":"authentication","action":"a","code":"4624"},"user":{"name":"bob"}}`,
		`{"event":{"dataset":"azure.signinlogs","outcome":["failure","success"]},"user":{"name":"a1"}}`,
		`{"event":{"dataset":"Azure.SigninLogs","outcome":"failure","code":4624},"process":{"name":"x.exe","pid":7}}`,
		`{"event":{"dataset":"azure.auditlogs","category":["process","network"],"action":"b"},"process":{"name":"cmd.EXE"},"host":{"name":"x"}}`,
		`{"event":{"category":"network"},"process":{"name":"a.exe"},"host":{"name":"x"}}`,
		`{}`,
	}
	for _, query := range []string{
		`FROM logs-* | WHERE event.dataset == "azure.signinlogs" AND event.outcome == "failure"`,
		`FROM logs-* | WHERE event.category IN ("process", "network") AND process.name LIKE "*.exe"`,
		`FROM logs-* | WHERE event.action == "a" OR event.code == "4624"`,
		`FROM logs-* | WHERE KQL("event.dataset: azure.auditlogs") | WHERE "x" == host.name`,
		`FROM logs-* | WHERE event.category == "network" | SORT @timestamp | WHERE host.name == "x"`,
	} {
		p := filterProgram(t, query)
		m := p.Filter()
		if m == nil {
			t.Fatalf("%s: no filter", query)
		}
		kept := 0
		for _, d := range docs {
			r := p.Start()
			r.Add(Doc{Event: event.New([]byte(d), p.Plan())})
			if len(r.Finish().Rows) != 1 {
				continue
			}
			kept++
			if !m.Match(event.New([]byte(d), m.Plan())) {
				t.Errorf("%s\nkeeps %s, which the filter %s drops", query, d, m)
			}
		}
		if kept == 0 {
			t.Errorf("%s keeps no document: the test shows nothing", query)
		}
	}
}
