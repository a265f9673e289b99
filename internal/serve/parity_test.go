package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/ruleset"
	"github.com/vigil-project/vigil/internal/state"
	"github.com/vigil-project/vigil/internal/threatintel"
)

// The same events through hunt (--replay: executions on the event-time
// clock, in memory) and through serve (a batch per execution on a fake
// wall clock, the SQLite store, threshold executions at Tick) give the
// same alerts, for every rule type (eql sequences too), with alert
// suppression and max_signals: both run the engine's executors, over two
// stores.
func TestHuntAndServeGiveTheSameAlerts(t *testing.T) {
	dir := t.TempDir()
	for name, text := range parityRules {
		if err := os.WriteFile(filepath.Join(dir, name+".toml"), []byte(parityRuleHead(name)+text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ti := filepath.Join(dir, "indicators.ndjson")
	if err := os.WriteFile(ti, []byte(indicatorLine("203.0.113.7", "2026-03-14T08:00:00Z")), 0o644); err != nil {
		t.Fatal(err)
	}
	events, slots := parityEvents()
	start := slots[0].Add(-5 * time.Minute)
	// The hunt runs the next day: its alerts' creation time is its own.
	hunt, capped := huntAlerts(t, dir, ti, events, slots[0].Add(24*time.Hour))
	serve := serveAlerts(t, dir, ti, events, start, slots)

	for name := range parityRules {
		h, s := hunt[name], serve[name]
		if len(h) == 0 {
			t.Errorf("%s: hunt raised no alert: the case tests nothing", name)
		}
		if diff := cmp.Diff(h, s); diff != "" {
			t.Errorf("%s: hunt (-) and serve (+) differ:\n%s", name, diff)
		}
	}
	// The cases reach what they are meant to: max_signals cuts (in an
	// execution with more alerts than 3), suppression folds, new terms
	// recur, indicators enrich.
	for name, want := range map[string]string{
		"query_suppressed":        "docs_count=",
		"query_suppressed_window": "last_detected=2026",
		"threshold":               "count=",
		"threshold_suppressed":    "last_detected=2026",
		"new_terms":               "new_terms=",
		"new_terms_suppressed":    "docs_count=1",
		"threat_match":            "enrichments=1",
		"threat_match_suppressed": "docs_count=",
		"sequence":                "group_index=1",
	} {
		if got := strings.Join(hunt[name], "\n"); !strings.Contains(got, want) {
			t.Errorf("%s: no alert shows %q:\n%s", name, want, got)
		}
	}
	for _, name := range []string{"query", "query_suppressed", "query_suppressed_window", "threshold_capped", "new_terms", "threat_match"} {
		if capped[name] == 0 {
			t.Errorf("%s: max_signals cut nothing", name)
		}
	}
}

// parityRuleHead is the part every rule shares: five-minute executions
// over the last five minutes, at most three alerts each.
func parityRuleHead(name string) string {
	return fmt.Sprintf(`[metadata]
creation_date = "2026/01/01"
updated_date = "2026/01/01"

[rule]
author = ["T"]
description = "Parity case %[1]s."
name = "%[1]s"
risk_score = 47
rule_id = "parity-%[1]s"
severity = "medium"
index = ["logs-*"]
interval = "5m"
from = "now-5m"
max_signals = 3
`, name)
}

// parityThreatMatch is the threat_match rule of two cases.
const parityThreatMatch = `type = "threat_match"
query = 'destination.ip:*'
threat_index = ["logs-ti_*"]
threat_query = 'threat.indicator.ip:*'
[[rule.threat_mapping]]
[[rule.threat_mapping.entries]]
field = "destination.ip"
type = "mapping"
value = "threat.indicator.ip"
`

var parityRules = map[string]string{
	"query": `type = "query"
query = 'event.action:run'
`,
	"query_suppressed": `type = "query"
query = 'event.action:run'
[rule.alert_suppression]
group_by = ["user.name"]
`,
	"query_suppressed_window": `type = "query"
query = 'event.action:run'
[rule.alert_suppression]
group_by = ["user.name"]
missing_fields_strategy = "doNotSuppress"
[rule.alert_suppression.duration]
unit = "m"
value = 12
`,
	"threshold": `type = "threshold"
query = 'event.action:run'
[rule.threshold]
field = ["user.name"]
value = 2
`,
	"threshold_suppressed": `type = "threshold"
query = 'event.action:run'
[rule.threshold]
field = ["user.name"]
value = 2
[rule.alert_suppression.duration]
unit = "m"
value = 30
`,
	"threshold_capped": `type = "threshold"
query = 'event.action:run'
[rule.threshold]
field = ["user.name"]
value = 1
`,
	"new_terms": `type = "new_terms"
query = 'event.action:run'
[rule.new_terms]
field = "new_terms_fields"
value = ["user.name"]
[[rule.new_terms.history_window_start]]
field = "history_window_start"
value = "now-10m"
`,
	"new_terms_suppressed": `type = "new_terms"
query = 'event.action:run'
[rule.new_terms]
field = "new_terms_fields"
value = ["user.name"]
[[rule.new_terms.history_window_start]]
field = "history_window_start"
value = "now-1h"
[rule.alert_suppression]
group_by = ["host.name"]
[rule.alert_suppression.duration]
unit = "m"
value = 10
`,
	"sequence": `type = "eql"
language = "eql"
query = '''
sequence by host.name [any where user.name == "bob"] [any where user.name == "eve"]
'''
`,
	"threat_match": parityThreatMatch,
	"threat_match_suppressed": parityThreatMatch + `[rule.alert_suppression]
group_by = ["host.name"]
`,
}

// parityEvents returns events over five executions (09:05 to 09:25) and
// the executions. Users come and go so that new terms recur after their
// history, groups reach the threshold in some executions only, and one
// execution has more matches than max_signals; one event lacks user.name.
func parityEvents() (map[time.Time][][]byte, []time.Time) {
	t0 := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	plan := [][]string{
		{"bob", "bob", "eve", "ann", "joe", "kim", ""}, // 09:00-09:05: more users than max_signals
		{"bob", "bob", "bob"},                          // 09:05-09:10
		{"eve"},                                        // 09:10-09:15
		{"bob", "eve", "eve", "ann"},                   // 09:15-09:20: bob new again after 10m
		{"ann", "ann", "zed"},                          // 09:20-09:25
	}
	hosts := []string{"h1", "h2"}
	events := map[time.Time][][]byte{}
	var slots []time.Time
	n := 0
	for i, users := range plan {
		slot := t0.Add(time.Duration(i+1) * 5 * time.Minute)
		slots = append(slots, slot)
		for j, u := range users {
			n++
			at := slot.Add(-5 * time.Minute).Add(time.Duration(j*30+7) * time.Second).UTC().Format(time.RFC3339)
			user := ""
			if u != "" {
				user = fmt.Sprintf(`,"user":{"name":%q}`, u)
			}
			ip := "10.0.0.1"
			if n%3 != 0 {
				ip = "203.0.113.7"
			}
			events[slot] = append(events[slot], []byte(fmt.Sprintf(
				`{"@timestamp":%q,"event":{"action":"run","id":"e%d","ingested":%q},"data_stream":{"type":"logs","dataset":"app","namespace":"default"},"host":{"name":%q},"destination":{"ip":%q}%s}`,
				at, n, at, hosts[n%2], ip, user)))
		}
	}
	return events, slots
}

// loadParityRules loads the rules into a new plan, indicators attached.
func loadParityRules(t *testing.T, dir, ti string, now func() time.Time) ([]*engine.Rule, *event.Plan) {
	t.Helper()
	plan := event.NewPlan()
	rules, problems, err := ruleset.Load([]string{dir}, plan, now)
	if err != nil || len(problems.Errors) > 0 || len(rules) != len(parityRules) {
		t.Fatalf("load rules: %v %v (%d rules)", err, problems.Lines(), len(rules))
	}
	src, err := threatintel.NewSource([]string{ti})
	if err != nil {
		t.Fatal(err)
	}
	threatintel.Attach(rules, src)
	return rules, plan
}

// huntAlerts runs a hunt with --replay over every event and returns each
// rule's alerts (summarized).
func huntAlerts(t *testing.T, dir, ti string, events map[time.Time][][]byte, now time.Time) (map[string][]string, map[string]int) {
	t.Helper()
	rules, plan := loadParityRules(t, dir, ti, func() time.Time { return now })
	out := map[string][]string{}
	h := engine.NewHunt(engine.HuntOptions{Engine: engine.New(engine.Options{Rules: rules, Plan: plan}), Replay: true,
		Now: func() time.Time { return now },
		Emit: func(a engine.Alert) error {
			out[a.Rule.Alert.Name] = append(out[a.Rule.Alert.Name], paritySummary(a.ID, a.Doc))
			return nil
		}})
	var slots []time.Time
	for s := range events {
		slots = append(slots, s)
	}
	slices.SortFunc(slots, func(a, b time.Time) int { return a.Compare(b) })
	for _, s := range slots {
		for _, doc := range events[s] {
			if err := h.Event(event.New(doc, plan)); err != nil {
				t.Fatal(err)
			}
		}
	}
	stats, err := h.Finish()
	if err != nil {
		t.Fatal(err)
	}
	capped := map[string]int{}
	for _, st := range stats {
		capped[st.Rule.Alert.Name] = st.Capped
	}
	for _, v := range out {
		slices.Sort(v)
	}
	return out, capped
}

// serveAlerts runs a detector over a SQLite store: at each execution the
// events of the interval before it come as one batch, then the clock
// ticks. It returns each rule's stored alerts (summarized).
func serveAlerts(t *testing.T, dir, ti string, events map[time.Time][][]byte, start time.Time, slots []time.Time) map[string][]string {
	t.Helper()
	ctx := context.Background()
	now := start
	clock := func() time.Time { return now }
	rules, plan := loadParityRules(t, dir, ti, clock)
	st, err := state.Open(ctx, filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d := NewDetector(DetectorOptions{Store: st, Now: clock})
	d.SetRules(rules, plan)
	if err := d.Tick(ctx); err != nil { // schedules the first execution
		t.Fatal(err)
	}
	for _, s := range slots {
		now = s
		if err := d.Process(ctx, "in", batchOf(events[s], nil)); err != nil {
			t.Fatal(err)
		}
		if err := d.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// The threshold and sequence executions whose look-back still reaches
	// the last events.
	for i := 1; i <= 2; i++ {
		now = slots[len(slots)-1].Add(time.Duration(i) * 5 * time.Minute)
		if err := d.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	stored, err := st.Alerts(ctx, state.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, a := range stored {
		var doc map[string]any
		if err := json.Unmarshal(a.Doc, &doc); err != nil {
			t.Fatal(err)
		}
		out[a.RuleName] = append(out[a.RuleName], paritySummary(a.ID, doc))
	}
	for _, v := range out {
		slices.Sort(v)
	}
	return out
}

// paritySummary is what the comparison looks at in an alert: its id, the
// event it stands for, and the fields of its rule type's semantics.
func paritySummary(id string, doc map[string]any) string {
	get := func(k string) any {
		if v, ok := doc[k]; ok {
			return v
		}
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s event=%v", id, get("event"))
	// last_detected is the alert's creation time (the clock's), but when an
	// execution after the one that created it counted an alert or a match
	// into it.
	folded := get("kibana.alert.last_detected") != get("@timestamp")
	for _, k := range []string{"kibana.alert.suppression.terms", "kibana.alert.suppression.start", "kibana.alert.suppression.end",
		"kibana.alert.suppression.docs_count", "kibana.alert.last_detected", "kibana.alert.instance.id", "kibana.alert.new_terms"} {
		if v := get(k); v != nil && (folded || k != "kibana.alert.last_detected") {
			fmt.Fprintf(&b, " %s=%v", strings.TrimPrefix(strings.TrimPrefix(k, "kibana.alert."), "suppression."), v)
		}
	}
	if res, ok := get("kibana.alert.threshold_result").(map[string]any); ok {
		fmt.Fprintf(&b, " count=%v from=%v terms=%v", res["count"], res["from"], res["terms"])
	}
	if g := get("kibana.alert.group.index"); g != nil {
		fmt.Fprintf(&b, " group_index=%v", g)
	}
	if th, ok := get("threat").(map[string]any); ok {
		enr, _ := th["enrichments"].([]any)
		fmt.Fprintf(&b, " enrichments=%d", len(enr))
	}
	// Numbers as JSON renders them, whichever side decoded them.
	s := b.String()
	return strings.NewReplacer(".000Z", "Z").Replace(s)
}
