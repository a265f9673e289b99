package alert

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/event"
)

func TestBuild(t *testing.T) {
	var src map[string]any
	d := json.NewDecoder(strings.NewReader(`{"@timestamp":"2026-03-14T09:22:41.987Z",
		"event":{"kind":"event","outcome":"success","dataset":"azure.activitylogs"},
		"data_stream":{"type":"logs","dataset":"azure.activitylogs","namespace":"default"},
		"source":{"ip":"203.0.113.45"},"user":{"name":"jane.doe"},"kibana.alert.uuid":"stale"}`))
	d.UseNumber()
	if err := d.Decode(&src); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	r := Rule{UUID: "r1", RuleID: "r1", Name: "Azure Command Execution on Virtual Machine", Severity: "medium", RiskScore: 47, Type: "query"}
	ev := Event{Doc: src, Index: "logs-azure.activitylogs-default", ID: EventID(src)}
	doc := Build(ev, r, Options{Now: now})

	want := map[string]any{
		"@timestamp":                                "2026-03-14T10:00:00.000Z",
		"kibana.alert.uuid":                         ID(ev.Index, ev.ID, "default", "r1"),
		"kibana.alert.original_time":                "2026-03-14T09:22:41.987Z",
		"kibana.alert.original_event.kind":          "event",
		"kibana.alert.original_event.outcome":       "success",
		"kibana.alert.original_data_stream.dataset": "azure.activitylogs",
		"kibana.alert.reason":                       "event with source 203.0.113.45 by jane.doe created medium alert Azure Command Execution on Virtual Machine.",
		"kibana.alert.status":                       "active",
		"kibana.alert.workflow_status":              "open",
		"kibana.alert.rule.rule_id":                 "r1",
		"kibana.alert.severity":                     "medium",
		"kibana.alert.risk_score":                   47,
		"kibana.alert.depth":                        1,
	}
	for k, v := range want {
		if got := doc[k]; got != v {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
	if kind := doc["event"].(map[string]any)["kind"]; kind != "signal" {
		t.Errorf("event.kind = %v, want signal", kind)
	}
	if src["event"].(map[string]any)["kind"] != "event" {
		t.Error("Build modified the source event")
	}
}

// TestPrepareSameBytes checks that a prepared rule's alerts encode to the
// bytes an unprepared one's do, with event.AppendJSON and encoding/json,
// for text that needs escaping and for empty lists.
func TestPrepareSameBytes(t *testing.T) {
	r := Rule{UUID: "r1", RuleID: "r1", Name: "n", Severity: "high", RiskScore: 73, Type: "query",
		Description: "quotes \" and <tags> & \\ back\tslash\n\u2028 \xff", Note: "## Triage\n\n- \"x\"\n",
		Tags: []string{"Domain: Cloud", "a<b"}, References: nil, Author: []string{"Elastic"}, License: "Elastic License v2",
		Index: []string{"logs-*"}}
	doc := map[string]any{"@timestamp": "2026-03-14T09:22:41.987Z", "event": map[string]any{"kind": "event"}}
	ev := Event{Doc: doc, Index: "logs-x", ID: EventID(doc)}
	now := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	plain, prepared := Build(ev, r, Options{Now: now}), Build(ev, Prepare(r), Options{Now: now})
	if _, ok := prepared["kibana.alert.rule.note"].(json.RawMessage); !ok {
		t.Fatalf("the prepared rule's note is a %T, not its encoding", prepared["kibana.alert.rule.note"])
	}
	a, err := event.AppendJSON(nil, plain)
	if err != nil {
		t.Fatal(err)
	}
	b, err := event.AppendJSON(nil, prepared)
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Errorf("AppendJSON differs:\n%s\n%s", a, b)
	}
	c, _ := json.Marshal(plain)
	d, _ := json.Marshal(prepared)
	if string(c) != string(d) {
		t.Errorf("encoding/json differs:\n%s\n%s", c, d)
	}
}

// TestPreparedAtFirstAlert checks that a prepared rule's parts, made at
// its first alert, are made once from the rule as Prepare had it, however
// many goroutines raise its first alerts at once (run with -race), and
// that later changes to the caller's copy do not reach them.
func TestPreparedAtFirstAlert(t *testing.T) {
	r := Prepare(Rule{UUID: "r1", RuleID: "r1", Name: "n", Severity: "high", Type: "query", Note: "guide", Tags: []string{"t"}})
	r.Note = "changed after Prepare"
	doc := map[string]any{"@timestamp": "2026-03-14T09:22:41.987Z"}
	ev := Event{Doc: doc, Index: "logs-x", ID: EventID(doc)}
	now := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	out := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range out {
		wg.Go(func() {
			b, err := event.AppendJSON(nil, Build(ev, r, Options{Now: now}))
			if err != nil {
				t.Error(err)
			}
			out[i] = b
		})
	}
	wg.Wait()
	for i := range out {
		if string(out[i]) != string(out[0]) {
			t.Fatalf("alert %d differs:\n%s\n%s", i, out[i], out[0])
		}
	}
	if !strings.Contains(string(out[0]), `"kibana.alert.rule.note":"guide"`) {
		t.Fatalf("the note is not the one Prepare had: %s", out[0])
	}
}

// TestThreatOfIsThreat checks that a rule's threat given by ThreatOf makes
// the alerts Threat does, prepared or not, and that a prepared rule calls
// it once, at its first alert, not before.
func TestThreatOfIsThreat(t *testing.T) {
	threat := []any{map[string]any{"framework": "MITRE ATT&CK", "tactic": map[string]any{"id": "TA0002", "name": "Execution", "reference": "https://attack.mitre.org/tactics/TA0002/"}}}
	doc := map[string]any{"@timestamp": "2026-03-14T09:22:41.987Z"}
	ev := Event{Doc: doc, Index: "logs-x", ID: EventID(doc)}
	now := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	base := Rule{UUID: "r1", RuleID: "r1", Name: "n", Severity: "high", Type: "query"}
	withThreat := base
	withThreat.Threat = threat
	want, err := event.AppendJSON(nil, Build(ev, withThreat, Options{Now: now}))
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	lazy := base
	lazy.ThreatOf = func() any { calls++; return threat }
	prepared := Prepare(lazy)
	if calls != 0 {
		t.Fatalf("Prepare called ThreatOf %d times, want none before the first alert", calls)
	}
	for i := range 3 {
		for _, r := range []Rule{lazy, prepared} {
			got, err := event.AppendJSON(nil, Build(ev, r, Options{Now: now}))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Fatalf("alert %d with ThreatOf differs:\n%s\n%s", i, got, want)
			}
		}
	}
	if calls != 4 { // three unprepared alerts, one for the prepared rule
		t.Errorf("ThreatOf called %d times, want 4", calls)
	}
}
