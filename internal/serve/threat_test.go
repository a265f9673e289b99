package serve

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/threatintel"
)

const threatRuleFile = `[metadata]
creation_date = "2026/01/01"
updated_date = "2026/01/01"

[rule]
author = ["T"]
description = "A connection to a known bad address."
from = "now-65m"
interval = "1h"
name = "Address Indicator Match"
risk_score = 73
rule_id = "serve-threat-match"
severity = "high"
type = "threat_match"
index = ["logs-*"]
query = "destination.ip:*"
threat_index = ["logs-ti_*"]
threat_query = '@timestamp >= "now-30d/d" and threat.indicator.ip:*'

[[rule.threat_mapping]]
[[rule.threat_mapping.entries]]
field = "destination.ip"
type = "mapping"
value = "threat.indicator.ip"
`

func indicatorLine(ip, ts string) string {
	return `{"@timestamp":"` + ts + `","data_stream":{"type":"logs","dataset":"ti_custom.ip","namespace":"default"},"threat":{"indicator":{"ip":"` + ip + `"}}}` + "\n"
}

func connection(ip string, minute int) []byte {
	return []byte(`{"@timestamp":"2026-03-14T11:` + twoDigits(minute) + `:00Z","data_stream":{"type":"logs","dataset":"network","namespace":"default"},"destination":{"ip":"` + ip + `"}}`)
}

func twoDigits(n int) string { return string([]byte{byte('0' + n/10), byte('0' + n%10)}) }

// A threat_match rule in serve: indicators from a file, joined with live
// events at the wall clock, the file read again when it changes.
func TestThreatMatchStreaming(t *testing.T) {
	dir := t.TempDir()
	rulePath := filepath.Join(dir, "rule.toml")
	tiPath := filepath.Join(dir, "ti.ndjson")
	if err := os.WriteFile(rulePath, []byte(threatRuleFile), 0o644); err != nil {
		t.Fatal(err)
	}
	// One fresh indicator and one older than 30 days at the wall clock.
	if err := os.WriteFile(tiPath, []byte(indicatorLine("203.0.113.7", "2026-03-10T00:00:00Z")+indicatorLine("192.0.2.1", "2026-01-02T00:00:00Z")), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := threatintel.NewSource([]string{tiPath})
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	rec := &recorder{}
	now := fixedNow
	m := NewMetrics()
	d := NewDetector(DetectorOptions{Store: st, Sink: rec, Now: func() time.Time { return now }, Metrics: m})
	loader := &RuleLoader{Paths: []string{rulePath}, Now: func() time.Time { return now }, Install: d.SetRules, Indicators: src}
	if err := loader.Load(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	lines := [][]byte{connection("203.0.113.7", 1), connection("192.0.2.1", 2), connection("10.0.0.1", 3)}
	if err := d.Process(ctx, "in", batchOf(lines, nil)); err != nil {
		t.Fatal(err)
	}
	if len(rec.alerts) != 1 {
		t.Fatalf("%d alerts, want 1 (the fresh indicator only)", len(rec.alerts))
	}
	var doc map[string]any
	if err := jsonUnmarshal(rec.alerts[0].Doc, &doc); err != nil {
		t.Fatal(err)
	}
	enr, _ := doc["threat"].(map[string]any)["enrichments"].([]any)
	if len(enr) != 1 || doc["kibana.alert.rule.rule_type_id"] != "siem.indicatorRule" {
		t.Fatalf("alert: enrichments %v, rule_type_id %v", enr, doc["kibana.alert.rule.rule_type_id"])
	}
	var text strings.Builder
	if _, err := m.WriteTo(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), `reason="no_indicator"} 2`) {
		t.Errorf("metrics do not count the two matches without an indicator:\n%s", text.String())
	}

	// A new indicator in the file: after the reload, 10.0.0.1 alerts.
	if err := os.WriteFile(tiPath, []byte(indicatorLine("10.0.0.1", "2026-03-13T00:00:00Z")), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(tiPath, later, later); err != nil {
		t.Fatal(err)
	}
	loader.reloadIndicators()
	if err := d.Process(ctx, "in", batchOf([][]byte{connection("10.0.0.1", 4), connection("203.0.113.7", 5)}, nil)); err != nil {
		t.Fatal(err)
	}
	if len(rec.alerts) != 2 {
		t.Fatalf("%d alerts after the reload, want 2 (10.0.0.1 now listed, 203.0.113.7 no longer)", len(rec.alerts))
	}
}
