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

	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/rule"
	"github.com/vigil-project/vigil/internal/ruleset"
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

// A look-back of 24 intervals: serve's executions read their documents
// from the store (a hunt holds them in a scratch database).
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

// Hunt and serve give the same ES|QL alerts (Kibana's ids) for the same
// events: hunt on the event-time clock in memory, serve on the wall clock
// over documents held in SQLite; with a look-back of two executions, and
// with one of 24 (2h at 5m), whose documents a hunt holds on disk.
func TestESQLHuntAndServeAgree(t *testing.T) {
	for _, from := range []string{"now-10m", "now-2h"} {
		t.Run(from, func(t *testing.T) { esqlHuntAndServeAgree(t, from) })
	}
}

func esqlHuntAndServeAgree(t *testing.T, from string) {
	ctx := context.Background()
	dir := t.TempDir()
	doc := strings.Replace(esqlDocRule, `from = "now-2h"`, `from = "`+from+`"`, 1)
	for name, text := range map[string]string{"agg.toml": esqlAggRule, "doc.toml": doc} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	batches := map[string][][]byte{ // the events of the interval before each execution
		"09:05:00": {authLine("09:01:00", "bob", "failure"), authLine("09:02:00", "bob", "failure"), authLine("09:02:10", "breakglass", "failure"), authLine("09:03:00", "bob", "failure")},
		"09:10:00": {authLine("09:06:00", "eve", "failure"), authLine("09:07:00", "eve", "failure"), authLine("09:08:00", "eve", "success")},
		"09:15:00": {authLine("09:11:00", "eve", "failure"), authLine("09:12:00", "eve", "failure"), authLine("09:13:00", "eve", "failure"), authLine("09:14:00", "breakglass", "failure")},
	}
	execs := []string{"09:05:00", "09:10:00", "09:15:00"}
	at := func(clock string) time.Time {
		ts, _ := time.Parse(time.RFC3339, "2026-03-14T"+clock+"Z")
		return ts
	}

	// Hunt.
	now := at("10:00:00")
	plan := event.NewPlan()
	set, err := ruleset.LoadSetOptions([]string{dir}, rule.LoadOptions{Plan: plan, Now: func() time.Time { return now }, RunESQL: true})
	if err != nil {
		t.Fatal(err)
	}
	rules, _ := ruleset.Runnable(set)
	var hunt []string
	h := engine.NewHunt(engine.HuntOptions{Engine: engine.New(engine.Options{Rules: rules, Plan: plan}),
		Emit: func(a engine.Alert) error { hunt = append(hunt, a.Rule.ID+" "+a.ID); return nil }})
	for _, e := range execs {
		for _, l := range batches[e] {
			if err := h.Event(event.New(l, plan)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := h.Finish(); err != nil {
		t.Fatal(err)
	}

	// Serve.
	st, err := state.Open(ctx, filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now = at("09:00:30")
	d := esqlDetector(t, dir, st, &recorder{}, &now)
	d.Tick(ctx) // schedules
	for _, e := range execs {
		now = at(e).Add(-time.Second)
		if err := d.Process(ctx, "in", batchOf(batches[e], nil)); err != nil {
			t.Fatal(err)
		}
		now = at(e)
		if err := d.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	stored, err := st.Alerts(ctx, state.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var serve []string
	for _, a := range stored {
		serve = append(serve, a.RuleID+" "+a.ID)
	}
	slices.Sort(hunt)
	slices.Sort(serve)
	// bob at 09:05, eve at 09:15 (aggregating); two break-glass failures.
	if len(hunt) != 4 {
		t.Fatalf("hunt: %d alerts %v, want 4", len(hunt), hunt)
	}
	if !slices.Equal(hunt, serve) {
		t.Errorf("hunt and serve differ:\nhunt  %v\nserve %v", hunt, serve)
	}
}
