package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/state"
)

const esqlAggRule = `[metadata]
creation_date = "2026/12/07"
updated_date = "2026/12/07"

[rule]
author = ["Vigil"]
description = "A user failing to authenticate more than twice in one execution."
from = "now-5m"
interval = "5m"
language = "esql"
license = "Elastic License v2"
name = "Repeated Authentication Failures"
risk_score = 47
rule_id = "serve-esql-agg"
severity = "medium"
type = "esql"
query = '''
FROM logs-system.auth-*
| WHERE event.outcome == "failure"
| STATS failures = COUNT(*) BY user.name
| WHERE failures > 2
'''
`

// A look-back of 24 intervals: more than a hunt allows, runnable in serve,
// whose executions read their documents from the store.
const esqlDocRule = `[metadata]
creation_date = "2026/12/07"
updated_date = "2026/12/07"

[rule]
author = ["Vigil"]
description = "A failure of the break-glass account."
from = "now-2h"
interval = "5m"
language = "esql"
license = "Elastic License v2"
name = "Break-glass Account Failure"
risk_score = 73
rule_id = "serve-esql-doc"
severity = "high"
type = "esql"
query = '''
FROM logs-system.auth-* METADATA _id, _index
| WHERE event.outcome == "failure" AND user.name == "breakglass"
| KEEP @timestamp, user.name, _id, _index
'''
`

func authLine(clock, user, outcome string) []byte {
	return []byte(fmt.Sprintf(`{"@timestamp":"2026-03-14T%sZ","data_stream":{"type":"logs","dataset":"system.auth","namespace":"default"},"event":{"outcome":%q},"user":{"name":%q}}`, clock, outcome, user))
}

// esqlDetector loads the ES|QL rules of dir into a detector over st.
func esqlDetector(t *testing.T, dir string, st *state.Store, rec *recorder, now *time.Time) *Detector {
	t.Helper()
	d := NewDetector(DetectorOptions{Store: st, Sink: rec, Now: func() time.Time { return *now }})
	l := &RuleLoader{Paths: []string{dir}, Now: func() time.Time { return *now },
		Install: func(rules []*engine.Rule, plan *event.Plan) { d.SetRules(rules, plan) }}
	if err := l.Load(); err != nil {
		t.Fatal(err)
	}
	if s := l.Status(); s.Runnable != 2 || s.Unsupported != 0 || s.Errors != 0 {
		t.Fatalf("rules: %+v, want both ES|QL rules runnable", s)
	}
	return d
}

// serve runs ES|QL rules every interval over the documents of the
// execution's range, held in the store (across a restart); an aggregating
// rule alerts once per execution and row, a non-aggregating one once per
// document however many executions read it.
func TestESQLRulesInServe(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for name, text := range map[string]string{"agg.toml": esqlAggRule, "doc.toml": esqlDocRule} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "vigil.db")
	st, err := state.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	now := time.Date(2026, 3, 14, 9, 2, 30, 0, time.UTC)
	d := esqlDetector(t, dir, st, rec, &now)
	if err := d.Tick(ctx); err != nil { // schedules the first executions at 09:05
		t.Fatal(err)
	}
	batch := [][]byte{authLine("09:01:00", "bob", "failure"), authLine("09:02:00", "bob", "failure"), authLine("09:02:10", "breakglass", "failure")}
	if err := d.Process(ctx, "in", batchOf(batch, nil)); err != nil {
		t.Fatal(err)
	}
	if len(rec.alerts) != 0 {
		t.Fatalf("%d alerts before any execution", len(rec.alerts))
	}
	st.Close()

	// Restart: the documents wait in the store.
	if st, err = state.Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d = esqlDetector(t, dir, st, rec, &now)
	now = time.Date(2026, 3, 14, 9, 4, 0, 0, time.UTC)
	// bob's third failure, and the first one delivered again (held once).
	if err := d.Process(ctx, "in", batchOf([][]byte{authLine("09:03:00", "bob", "failure"), batch[0]}, nil)); err != nil {
		t.Fatal(err)
	}
	d.Tick(ctx) // schedules
	now = time.Date(2026, 3, 14, 9, 5, 0, 0, time.UTC)
	if err := d.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	byRule := map[string][]map[string]any{}
	for _, a := range rec.alerts {
		var doc map[string]any
		if err := json.Unmarshal(a.Doc, &doc); err != nil {
			t.Fatal(err)
		}
		byRule[a.RuleID] = append(byRule[a.RuleID], doc)
	}
	if agg := byRule["serve-esql-agg"]; len(agg) != 1 || agg[0]["user.name"] != "bob" || agg[0]["failures"] != 3.0 {
		t.Fatalf("aggregating rule at 09:05: %v, want bob with 3 failures (one delivered twice)", agg)
	}
	if doc := byRule["serve-esql-doc"]; len(doc) != 1 || doc[0]["user.name"] != "breakglass" {
		t.Fatalf("document rule at 09:05: %v, want the break-glass failure", doc)
	}

	// Later executions: the aggregating rule's range no longer holds
	// bob's failures; the document rule's 2h look-back reads the
	// break-glass failure again and writes nothing new.
	for _, clock := range []string{"09:10:00", "09:15:00"} {
		now, _ = time.Parse(time.RFC3339, "2026-03-14T"+clock+"Z")
		if err := d.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(rec.alerts) != 2 {
		t.Fatalf("%d alerts after the executions at 09:10 and 09:15, want still 2", len(rec.alerts))
	}
	n, err := st.CountAlerts(ctx)
	if err != nil || n != 2 {
		t.Fatalf("%d alerts stored, %v; want 2", n, err)
	}
}
