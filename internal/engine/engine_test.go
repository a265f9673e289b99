package engine

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/alert"
	"github.com/vigil-project/vigil/internal/event"
)

// fieldEquals is a stand-in for a compiled query: field == value.
func fieldEquals(plan *event.Plan, field, value string) func(*event.Event) bool {
	id := plan.Add(field)
	return func(ev *event.Event) bool {
		for _, v := range ev.Values(id) {
			if v.String() == value {
				return true
			}
		}
		return false
	}
}

func testRule(plan *event.Plan, id, field, value string, index []string) *Rule {
	return &Rule{
		ID:                id,
		Index:             index,
		TimestampOverride: "event.ingested",
		Window:            Window{Interval: 5 * time.Minute, Lookback: 25 * time.Minute, MaxSignals: 100},
		Match:             fieldEquals(plan, field, value),
		Required:          []Requirement{{Field: field, Values: []string{value}}},
		Alert:             alert.Rule{UUID: id, RuleID: id, Name: "rule " + id, Severity: "medium", RiskScore: 47},
	}
}

func evalIDs(e *Engine, doc, index string) []string {
	var ids []string
	ev := event.New([]byte(doc), e.Plan())
	e.Eval(ev, index, func(r *Rule) { ids = append(ids, r.ID) })
	return ids
}

func TestEvalSelectsByIndexAndLiteral(t *testing.T) {
	plan := event.NewPlan()
	azure := testRule(plan, "azure", "event.action", "RUN", []string{"filebeat-*", "logs-azure*"})
	aws := testRule(plan, "aws", "event.action", "RUN", []string{"logs-aws*"})
	deflt := testRule(plan, "default", "event.action", "RUN", nil)
	other := testRule(plan, "other", "event.action", "STOP", []string{"logs-*"})
	e := New(Options{Rules: []*Rule{azure, aws, deflt, other}, Plan: plan})

	doc := `{"event":{"action":"RUN"},"data_stream":{"type":"logs","dataset":"azure.activitylogs","namespace":"default"}}`
	ev := event.New([]byte(doc), plan)
	if got := e.ResolveIndex(ev); got != "logs-azure.activitylogs-default" {
		t.Fatalf("ResolveIndex = %q", got)
	}
	if got := fmt.Sprint(evalIDs(e, doc, "logs-azure.activitylogs-default")); got != "[azure default]" {
		t.Errorf("rules = %s, want [azure default]", got)
	}
	if got := fmt.Sprint(evalIDs(e, doc, "")); got != "[azure aws default]" {
		t.Errorf("no index: rules = %s, want every matching rule", got)
	}
	if got := fmt.Sprint(evalIDs(e, `{"event":{"action":["STOP","RUN"]}}`, "logs-x")); got != "[default other]" {
		t.Errorf("array: rules = %s", got)
	}
	beats := `{"agent":{"type":"filebeat","version":"8.11.0"}}`
	if got := e.ResolveIndex(event.New([]byte(beats), plan)); got != "filebeat-8.11.0" {
		t.Errorf("beats index = %q", got)
	}
}

func TestEventTimeFallback(t *testing.T) {
	plan := event.NewPlan()
	r := testRule(plan, "r", "a", "b", nil)
	noFallback := testRule(plan, "n", "a", "b", nil)
	noFallback.FallbackDisabled = true
	New(Options{Rules: []*Rule{r, noFallback}, Plan: plan})
	tests := []struct {
		doc      string
		rule     *Rule
		want     string
		wantNone bool
	}{
		{`{"@timestamp":"2026-03-14T09:00:00Z","event":{"ingested":"2026-03-14T09:05:00.123Z"}}`, r, "2026-03-14T09:05:00.123Z", false},
		{`{"@timestamp":"2026-03-14T09:00:00Z"}`, r, "2026-03-14T09:00:00Z", false},
		{`{"@timestamp":"2026-03-14T09:00:00Z"}`, noFallback, "", true},
		{`{"@timestamp":1773478800000}`, r, "2026-03-14T09:00:00Z", false},
		{`{}`, r, "", true},
	}
	for _, tt := range tests {
		got, ok := tt.rule.EventTime(event.New([]byte(tt.doc), plan))
		if ok == tt.wantNone || (ok && got.Format(time.RFC3339Nano) != tt.want) {
			t.Errorf("%s %s: EventTime = %v, %v; want %q", tt.rule.ID, tt.doc, got, ok, tt.want)
		}
	}
}

func TestHuntDedupAndReplay(t *testing.T) {
	plan := event.NewPlan()
	r := testRule(plan, "r", "event.action", "RUN", nil)
	r.Window = Window{Interval: 5 * time.Minute, Lookback: 5 * time.Minute, MaxSignals: 2}
	e := New(Options{Rules: []*Rule{r}, Plan: plan})
	docs := []string{
		`{"@timestamp":"2026-03-14T09:01:00Z","event":{"action":"RUN"},"n":1}`,
		`{"@timestamp":"2026-03-14T09:01:01Z","event":{"action":"RUN"},"n":2}`,
		`{"@timestamp":"2026-03-14T09:01:02Z","event":{"action":"RUN"},"n":3}`,
		`{"@timestamp":"2026-03-14T09:01:00Z","event":{"action":"RUN"},"n":1}`, // the first event again
		`{"@timestamp":"2026-03-14T09:01:03Z","event":{"action":"STOP"},"n":4}`,
	}
	for _, replay := range []bool{false, true} {
		var got []Alert
		h := NewHunt(HuntOptions{Engine: e, Replay: replay, Emit: func(a Alert) error { got = append(got, a); return nil }})
		for _, d := range docs {
			if err := h.Event(event.New([]byte(d), plan)); err != nil {
				t.Fatal(err)
			}
		}
		stats, err := h.Finish()
		if err != nil {
			t.Fatal(err)
		}
		st := stats[0]
		wantAlerts := 3
		if replay {
			wantAlerts = 2
		}
		if len(got) != wantAlerts || st.Alerts != wantAlerts || st.Matches != 3 || st.Duplicates != 1 || st.Capped != 1 {
			t.Errorf("replay=%v: %d alerts, stats %+v", replay, len(got), *st)
		}
		if len(st.Warnings) != 1 {
			t.Errorf("replay=%v: warnings %q", replay, st.Warnings)
		}
	}
}

// Rules sharing a key value are split by their other requirements; Eval
// still finds exactly the rules that match, each once, in rule order.
func TestEvalSplitsCrowdedKeys(t *testing.T) {
	plan := event.NewPlan()
	and := func(a, b func(*event.Event) bool) func(*event.Event) bool {
		return func(ev *event.Event) bool { return a(ev) && b(ev) }
	}
	var rules []*Rule
	for i := range 8 {
		app := fmt.Sprintf("app%d", i%5) // two pairs of rules share a second key
		r := testRule(plan, fmt.Sprintf("r%d", i), "log.source", "signin", nil)
		r.Match = and(r.Match, fieldEquals(plan, "app", app))
		r.Required = append(r.Required, Requirement{Field: "app", Values: []string{app}})
		rules = append(rules, r)
	}
	only := testRule(plan, "dataset-only", "log.source", "signin", nil) // no other key: always in its bucket
	multi := testRule(plan, "two-values", "log.source", "signin", nil)
	multi.Match = and(multi.Match, func(ev *event.Event) bool {
		return fieldEquals(plan, "app", "app1")(ev) || fieldEquals(plan, "app", "app9")(ev)
	})
	multi.Required = append(multi.Required, Requirement{Field: "app", Values: []string{"app1", "app9"}})
	rules = append(rules, only, multi)
	for i := range 10 { // more distinct datasets than apps: log.source is the first key
		rules = append(rules, testRule(plan, fmt.Sprintf("d%d", i), "log.source", fmt.Sprintf("d%d", i), nil))
	}
	e := New(Options{Rules: rules, Plan: plan})
	if k := e.candidatesFor("").keys; len(k) != 1 || k[0].rules["signin"].sub == nil {
		t.Fatal("10 rules under one value are not split")
	}
	for _, doc := range []string{
		`{"log":{"source":"signin"},"app":"app1"}`,
		`{"log":{"source":"signin"},"app":["app9","app1","app3"]}`,
		`{"log":{"source":"signin"},"app":"none"}`,
		`{"log":{"source":"audit"},"app":"app1"}`,
		`{"app":"app1"}`,
		`{"log":{"source":["d3","signin"]},"app":"app2"}`,
	} {
		var want []string
		ev := event.New([]byte(doc), plan)
		for _, r := range rules {
			if r.Match(ev) {
				want = append(want, r.ID)
			}
		}
		if got := evalIDs(e, doc, ""); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %v, want %v", doc, got, want)
		}
	}
}

// TestEvaluateTimesPerField evaluates rules reading their times from
// different fields on one event: each match has its own field's time
// (the evaluator parses each field once), and a field whose text is no
// date gives none.
func TestEvaluateTimesPerField(t *testing.T) {
	plan := event.NewPlan()
	ingested := testRule(plan, "ingested", "event.action", "RUN", nil)
	created := testRule(plan, "created", "event.action", "RUN", nil)
	created.TimestampOverride = "event.created"
	bad := testRule(plan, "bad", "event.action", "RUN", nil)
	bad.TimestampOverride = "event.bad"
	plain := testRule(plan, "plain", "event.action", "RUN", nil)
	plain.TimestampOverride = ""
	plain2 := testRule(plan, "plain2", "event.action", "RUN", nil)
	plain2.TimestampOverride = "@timestamp"
	rules := []*Rule{ingested, created, bad, plain, plain2}
	x := &Evaluator{Engine: New(Options{Rules: rules, Plan: plan}), Defer: true}
	for _, tt := range []struct {
		doc  string
		want string
	}{
		{`{"@timestamp":"2026-03-14T09:00:00Z","event":{"action":"RUN","ingested":"2026-03-14T09:05:00.123Z","created":"2026-03-14T08:00:00Z","bad":"soon"}}`,
			"ingested 2026-03-14T09:05:00.123Z, created 2026-03-14T08:00:00Z, bad none, plain 2026-03-14T09:00:00Z, plain2 2026-03-14T09:00:00Z"},
		{`{"@timestamp":"2026-03-14T09:00:00Z","event":{"action":"RUN","created":"2026-03-14T08:00:00Z"}}`,
			"ingested 2026-03-14T09:00:00Z, created 2026-03-14T08:00:00Z, bad 2026-03-14T09:00:00Z, plain 2026-03-14T09:00:00Z, plain2 2026-03-14T09:00:00Z"},
	} {
		ms, err := x.Evaluate(event.New([]byte(tt.doc), plan), nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range ms {
			s := "none"
			if m.HasTime {
				s = m.Time.Format(time.RFC3339Nano)
			}
			got = append(got, m.Rule.ID+" "+s)
		}
		if s := strings.Join(got, ", "); s != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.doc, s, tt.want)
		}
	}
}

// utcTimeCases are timestamps of utcTime's shape and near it.
func utcTimeCases() []string {
	out := []string{
		"2026-03-12T00:01:45.417Z", "2026-03-12T00:01:45Z", "2026-03-12T00:01:45,5Z", "2026-03-12T00:01:45.Z",
		"2026-03-12T00:01:45.123456789Z", "2026-03-12T00:01:45.1234567890Z", "2026-03-12T00:01:45.12a4Z",
		"2026-03-12T00:01:45.417+00:00", "2026-03-12T00:01:45.417", "2026-03-12 00:01:45.417Z", "2026-03-12T00:01Z",
		"2026-03-12T00:01:45.417ZZ", "2026-03-12T00:01:45:417Z", "2026-3-12T00:01:45.417Z", "+026-03-12T00:01:45Z",
		"0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "1969-12-31T23:59:59.999999999Z",
		"2024-02-29T12:00:00Z", "2023-02-29T12:00:00Z", "2100-02-29T12:00:00Z", "2000-02-29T12:00:00Z",
	}
	for m := 0; m <= 13; m++ {
		for _, d := range []int{0, 1, 28, 29, 30, 31, 32} {
			out = append(out, fmt.Sprintf("2024-%02d-%02dT12:00:00Z", m, d), fmt.Sprintf("2023-%02d-%02dT12:00:00.5Z", m, d))
		}
	}
	for _, hms := range []string{"00:00:00", "23:59:59", "24:00:00", "23:60:00", "23:59:60", "99:99:99", "0a:00:00"} {
		out = append(out, "2026-03-12T"+hms+".5Z")
	}
	return out
}

// TestUTCTime checks utcTime against time.Parse(time.RFC3339Nano), which
// parseTime tried first before it, and that it reads the common texts.
func TestUTCTime(t *testing.T) {
	for _, s := range utcTimeCases() {
		checkUTCTime(t, s)
	}
	for _, s := range []string{"2026-03-12T00:01:45.417Z", "2026-03-12T00:01:45Z", "2024-02-29T00:00:00.000000001Z"} {
		if _, ok := utcTime(s); !ok {
			t.Errorf("utcTime(%q) reads nothing", s)
		}
	}
}

func checkUTCTime(t *testing.T, s string) {
	t.Helper()
	got, ok := utcTime(s)
	if !ok {
		return
	}
	want, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Errorf("utcTime(%q) = %v; time.Parse: %v", s, got, err)
		return
	}
	if want = want.UTC(); got != want {
		t.Errorf("utcTime(%q) = %v; time.Parse: %v", s, got, want)
	}
}

// FuzzUTCTime compares utcTime with time.Parse on any text it reads.
func FuzzUTCTime(f *testing.F) {
	for _, s := range utcTimeCases() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkUTCTime(t, s) })
}
