package alert

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
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
