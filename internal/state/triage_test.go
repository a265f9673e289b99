package state

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func triageAlert(i int, t0 time.Time, sev, rule, user string, extra map[string]any) Alert {
	doc := map[string]any{
		"kibana.alert.uuid":        fmt.Sprintf("a%04d", i),
		"kibana.alert.reason":      "reason " + user,
		"kibana.alert.rule.tags":   []string{"Tactic: Execution", "Domain: Cloud"},
		"kibana.alert.rule.threat": []map[string]any{{"tactic": map[string]any{"name": "Execution"}}},
		"user":                     map[string]any{"name": user},
		"source.ip":                "192.0.2.1",
	}
	for k, v := range extra {
		doc[k] = v
	}
	b, _ := json.Marshal(doc)
	et := t0.Add(time.Duration(i) * time.Minute)
	return Alert{ID: fmt.Sprintf("a%04d", i), RuleID: rule, RuleName: "Rule " + rule, Severity: sev, RiskScore: 47,
		EventTime: et, CreatedAt: et, Doc: b}
}

func TestTriage(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v.db")
	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t0 := time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC)
	var before []Alert
	for i := range 100 {
		sev := []string{"low", "medium", "high"}[i%3]
		before = append(before, triageAlert(i, t0, sev, fmt.Sprint("r", i%2), fmt.Sprint("u", i%5), nil))
	}
	before = append(before, triageAlert(100, t0, "low", "bb", "u0", map[string]any{"kibana.alert.building_block_type": "default"}))
	bad := triageAlert(101, t0, "low", "r0", "u0", nil)
	bad.Doc = []byte("not json")
	before = append(before, bad)
	if _, err := st.AddAlerts(ctx, before); err != nil {
		t.Fatal(err)
	}
	tr, err := OpenTriage(ctx, path) // fills the triage tables from the alerts
	if err != nil {
		t.Fatal(err)
	}
	// Alerts stored after the first open reach the tables by trigger.
	if _, err := st.AddAlerts(ctx, []Alert{triageAlert(102, t0, "critical", "r2", "eve", nil)}); err != nil {
		t.Fatal(err)
	}
	all := TriageFilter{}
	var ids []string
	after := ""
	for page := 0; ; page++ {
		rows, next, err := tr.List(ctx, all, after, 7)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			ids = append(ids, r.ID)
		}
		if next == "" {
			break
		}
		after = next
	}
	if len(ids) != 102 { // 103 stored, less the building block
		t.Fatalf("paged through %d alerts, want 102", len(ids))
	}
	if ids[0] != "a0102" || ids[1] != "a0101" {
		t.Errorf("newest first: got %v", ids[:3])
	}
	s, err := tr.Summarize(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	if s.Total != 102 || s.Severity["critical"] != 1 || s.Severity["high"] != 33 {
		t.Errorf("summary %+v", s.Severity)
	}
	// A time range whose edges cut hours: whole hours from the counts,
	// edges alert by alert, the same as a scan.
	rng := TriageFilter{From: t0.Add(30 * time.Minute), To: t0.Add(95*time.Minute + 30*time.Second)}
	s, err = tr.Summarize(ctx, rng)
	if err != nil {
		t.Fatal(err)
	}
	if s.Total != 66 { // minutes 30..95
		t.Errorf("range total %d, want 66", s.Total)
	}
	rows, _, err := tr.List(ctx, TriageFilter{Tactic: "Execution", Severity: "high", RuleID: "r1"}, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Severity != "high" || r.RuleID != "r1" {
			t.Errorf("filtered row %+v", r)
		}
	}
	if len(rows) != 16 { // i = 5 (mod 6)
		t.Errorf("high r1 alerts: %d, want 16", len(rows))
	}
	if n, err := tr.SetStatus(ctx, []string{"a0001", "a0002", "nope"}, "closed", "ann", "false_positive", t0); err != nil || n != 2 {
		t.Fatalf("SetStatus = %d, %v", n, err)
	}
	if _, err := tr.SetStatus(ctx, []string{"a0001"}, "gone", "ann", "", t0); err == nil {
		t.Error("an unknown status is accepted")
	}
	tr.Close()
	tr, err = OpenTriage(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	a, ok, err := tr.Alert(ctx, "a0001")
	if err != nil || !ok || a.Status != "closed" || a.Workflow == nil || a.Workflow.User != "ann" || a.Workflow.Reason != "false_positive" {
		t.Fatalf("after reopening: %+v %v %v", a, ok, err)
	}
	s, err = tr.Summarize(ctx, TriageFilter{Status: "open"})
	if err != nil || s.Total != 100 {
		t.Errorf("open alerts %d, %v; want 100", s.Total, err)
	}
	s, err = tr.Summarize(ctx, TriageFilter{Status: "open", Text: "reason u1"})
	if err != nil || s.Total != 19 { // a0001 is closed
		t.Errorf("open alerts with text: %d, %v; want 19", s.Total, err)
	}
	top, err := tr.Top(ctx, all, "user", 3)
	if err != nil || len(top) != 3 || top[0].Name != "u0" {
		t.Errorf("top users %v, %v", top, err)
	}
	rel, err := tr.Related(ctx, "user", "eve", "", 10)
	if err != nil || len(rel) != 1 {
		t.Errorf("related %v, %v", rel, err)
	}
	stats, err := tr.RuleStats(ctx)
	if err != nil || stats["r0"].Alerts != 51 || stats["r0"].Open != 50 {
		t.Errorf("rule stats %+v, %v", stats["r0"], err)
	}
}

// BenchmarkAddAlertsTriage is what the triage triggers add to the engine's
// writes: batches of 100 alerts of about 4 KB, into a plain store and into
// one opened for triage (compare the two).
func BenchmarkAddAlertsTriage(b *testing.B) {
	pad := strings.Repeat("x", 3500)
	for _, triage := range []bool{false, true} {
		b.Run(fmt.Sprintf("triage=%v", triage), func(b *testing.B) {
			ctx := context.Background()
			path := filepath.Join(b.TempDir(), "v.db")
			st, err := Open(ctx, path)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			if triage {
				tr, err := OpenTriage(ctx, path)
				if err != nil {
					b.Fatal(err)
				}
				defer tr.Close()
			}
			t0 := time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC)
			n := 0
			for b.Loop() {
				batch := make([]Alert, 100)
				for i := range batch {
					batch[i] = triageAlert(n, t0, "medium", fmt.Sprint("r", n%20), fmt.Sprint("u", n%100), map[string]any{"message": pad})
					n++
				}
				if _, err := st.AddAlerts(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
