package ruleset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/rule"
	"github.com/vigil-project/vigil/internal/sharedtestdata"
)

// The corpus's Azure ES|QL rules give the line filter literals from their
// leading WHERE: a hunt over events none of them reads parses none of
// those lines, where without the literals (each ES|QL rule reading every
// event of its indices) it parsed them all. The rule index skips them too.
func TestESQLRulesFeedTheLineFilter(t *testing.T) {
	dir := filepath.Join(sharedtestdata.Dir(t, "detection-rules"), "rules", "integrations", "azure")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), `type = "esql"`) {
			paths = append(paths, filepath.Join(dir, e.Name()))
		}
	}
	plan := event.NewPlan()
	set, err := LoadSetOptions(paths, rule.LoadOptions{Plan: plan, Now: time.Now, RunESQL: true})
	if err != nil {
		t.Fatal(err)
	}
	rules, problems := Runnable(set)
	if len(rules) < 15 || len(problems.Errors) > 0 {
		t.Fatalf("%d runnable ES|QL rules of %d files, errors %v", len(rules), len(paths), problems.Errors)
	}
	shape := engine.Shape{Origin: engine.ECSOrigin(nil)}
	lines := []string{
		`{"@timestamp":"2026-03-14T10:00:00Z","event":{"category":"host","outcome":"success"},"user":{"name":"u1"},"host":{"name":"h"}}`,
		`{"@timestamp":"2026-03-14T10:00:00Z","data_stream":{"type":"logs","dataset":"system.auth","namespace":"default"},"event":{"category":"authentication","outcome":"failure"},"user":{"name":"bob"}}`,
	}
	signin := `{"@timestamp":"2026-03-14T10:00:00Z","data_stream":{"type":"logs","dataset":"azure.signinlogs","namespace":"default"},"event":{"dataset":"azure.signinlogs","category":["authentication"],"outcome":"failure"},"azure":{"signinlogs":{"category":"SignInLogs"}}}`

	f := engine.NewLineFilter(rules, shape)
	if f.All() {
		t.Fatal("the line filter passes every line: an ES|QL rule gave no literal")
	}
	var scratch engine.RawScratch
	for _, l := range lines {
		if f.Pass([]byte(l), &scratch) {
			t.Errorf("parsed, though no rule reads it: %s", l)
		}
	}
	if !f.Pass([]byte(signin), &scratch) {
		t.Errorf("a sign-in event not parsed: %s", signin)
	}

	// Without the literals (as before), every line is parsed.
	bare := make([]*engine.Rule, len(rules))
	for i, r := range rules {
		c := *r
		c.Prefilter, c.Required = nil, nil
		bare[i] = &c
	}
	if !engine.NewLineFilter(bare, shape).All() {
		t.Error("without the literals, the line filter still skips lines")
	}

	// The rule index: no ES|QL rule is a candidate for the event of no
	// index none reads.
	eng := engine.New(engine.Options{Rules: rules, Plan: plan})
	n := 0
	eng.Eval(event.New([]byte(lines[0]), plan), "", func(*engine.Rule) { n++ })
	if n != 0 {
		t.Errorf("%d ES|QL rules read an event none of their leading WHEREs keeps", n)
	}
}

// An ES|QL rule's alert_suppression reaches the engine (Kibana suppresses
// ES|QL alerts by the result row's columns).
func TestESQLRuleSuppression(t *testing.T) {
	const text = `[metadata]
creation_date = "2026/12/07"
updated_date = "2026/12/07"

[rule]
author = ["Vigil"]
description = "Failures per user and host."
from = "now-5m"
interval = "5m"
language = "esql"
license = "Elastic License v2"
name = "Failures"
risk_score = 47
rule_id = "esql-suppressed"
severity = "medium"
type = "esql"
query = '''
FROM logs-system.auth-* | STATS n = COUNT(*) BY user.name, host.name
'''

[rule.alert_suppression]
group_by = ["user.name"]
missing_fields_strategy = "doNotSuppress"

[rule.alert_suppression.duration]
unit = "m"
value = 30
`
	r := rule.Parse("sup.toml", []byte(text), rule.LoadOptions{Plan: event.NewPlan(), Now: time.Now, RunESQL: true})
	if r.Status != rule.StatusOK {
		t.Fatalf("status %s %s %v", r.Status, r.Reason, r.Errors)
	}
	er := EngineRule(r)
	if er.ESQL == nil || er.Suppression == nil {
		t.Fatalf("ESQL %v, suppression %v: want both", er.ESQL != nil, er.Suppression)
	}
	if s := er.Suppression; len(s.GroupBy) != 1 || s.GroupBy[0] != "user.name" || s.Duration != 30*time.Minute || !s.DoNotSuppress {
		t.Errorf("suppression %+v", *s)
	}
}
