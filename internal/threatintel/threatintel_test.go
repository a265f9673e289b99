package threatintel_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/rule"
	"github.com/vigil-project/vigil/internal/ruleset"
	"github.com/vigil-project/vigil/internal/threatintel"
)

const ruleHead = `[metadata]
creation_date = "2026/01/01"
updated_date = "2026/01/01"

[rule]
author = ["T"]
description = "d"
from = "now-65m"
interval = "1h"
name = "Indicator Match"
risk_score = 73
rule_id = "tm-1"
severity = "high"
type = "threat_match"
index = ["logs-*"]
threat_index = ["logs-ti_*"]
`

// ipRule joins source.ip and destination.ip with threat.indicator.ip, for
// indicators of the last 30 days marked as enrichment documents.
const ipRule = ruleHead + `query = "source.ip:* or destination.ip:*"
threat_query = '@timestamp >= "now-30d/d" and threat.indicator.ip:*'

[[rule.threat_filters]]
[rule.threat_filters.meta]
negate = false
[rule.threat_filters.query.match_phrase]
"event.kind" = "enrichment"

[[rule.threat_mapping]]
[[rule.threat_mapping.entries]]
field = "source.ip"
type = "mapping"
value = "threat.indicator.ip"

[[rule.threat_mapping]]
[[rule.threat_mapping.entries]]
field = "destination.ip"
type = "mapping"
value = "threat.indicator.ip"
`

// fixture is a loaded rule with its evaluator.
type fixture struct {
	t    *testing.T
	rule *engine.Rule
	eval *engine.Evaluator
	plan *event.Plan
	dir  string
}

func newFixture(t *testing.T, ruleText string, indicators ...string) *fixture {
	t.Helper()
	plan := event.NewPlan()
	now := time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	r := rule.Parse("tm.toml", []byte(ruleText), rule.LoadOptions{Plan: plan, Now: func() time.Time { return now }})
	if r.Status != rule.StatusOK {
		t.Fatalf("rule status %s (%s): %v", r.Status, r.Reason, r.Errors)
	}
	er := ruleset.EngineRule(r)
	eng := engine.New(engine.Options{Rules: []*engine.Rule{er}, Plan: plan})
	f := &fixture{t: t, rule: er, plan: plan, dir: t.TempDir(),
		eval: &engine.Evaluator{Engine: eng, Index: "logs-network-default", Now: func() time.Time { return now }}}
	if len(indicators) > 0 {
		f.attach(indicators...)
	}
	return f
}

// attach writes the indicator lines to a file and gives it to the rule.
func (f *fixture) attach(lines ...string) *threatintel.Source {
	f.t.Helper()
	path := filepath.Join(f.dir, "indicators.ndjson")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		f.t.Fatal(err)
	}
	src, err := threatintel.NewSource([]string{path})
	if err != nil {
		f.t.Fatal(err)
	}
	threatintel.Attach([]*engine.Rule{f.rule}, src)
	return src
}

// run evaluates one event and returns its match (nil: the query did not
// match).
func (f *fixture) run(doc string) *engine.Match {
	f.t.Helper()
	ms, err := f.eval.Evaluate(event.New([]byte(doc), f.plan), nil)
	if err != nil {
		f.t.Fatal(err)
	}
	if len(ms) == 0 {
		return nil
	}
	return &ms[0]
}

// enrichments returns the alert's threat.enrichments, nil when the event
// raised no alert.
func (f *fixture) enrichments(doc string) []map[string]any {
	f.t.Helper()
	m := f.run(doc)
	if m == nil || m.NoIndicator {
		return nil
	}
	threat, _ := m.Doc["threat"].(map[string]any)
	list, _ := threat["enrichments"].([]any)
	var out []map[string]any
	for _, e := range list {
		out = append(out, e.(map[string]any))
	}
	if len(out) == 0 {
		f.t.Fatalf("an alert without enrichments: %v", m.Doc)
	}
	return out
}

func matched(e map[string]any) map[string]any { return e["matched"].(map[string]any) }

const (
	badIP   = `{"@timestamp":"2026-03-10T00:00:00Z","event":{"kind":"enrichment","type":["indicator"]},"data_stream":{"type":"logs","dataset":"ti_abusech.ip","namespace":"default"},"threat":{"feed":{"name":"AbuseCH"},"indicator":{"ip":"203.0.113.7","type":"ipv4-addr","confidence":"High"}}}`
	badNet  = `{"@timestamp":"2026-03-10T00:00:00Z","event":{"kind":"enrichment"},"data_stream":{"type":"logs","dataset":"ti_custom.net","namespace":"default"},"threat":{"indicator":{"ip":"198.51.100.0/24"}}}`
	staleIP = `{"@timestamp":"2026-01-01T00:00:00Z","event":{"kind":"enrichment"},"data_stream":{"type":"logs","dataset":"ti_abusech.ip","namespace":"default"},"threat":{"indicator":{"ip":"192.0.2.1"}}}`
	notTI   = `{"@timestamp":"2026-03-10T00:00:00Z","event":{"kind":"enrichment"},"data_stream":{"type":"logs","dataset":"firewall.log","namespace":"default"},"threat":{"indicator":{"ip":"192.0.2.2"}}}`
	noKind  = `{"@timestamp":"2026-03-10T00:00:00Z","data_stream":{"type":"logs","dataset":"ti_abusech.ip","namespace":"default"},"threat":{"indicator":{"ip":"192.0.2.3"}}}`
)

func netEvent(src, dst string) string {
	return `{"@timestamp":"2026-03-14T11:30:00Z","source":{"ip":` + src + `},"destination":{"ip":` + dst + `}}`
}

func TestIPIndicatorMatch(t *testing.T) {
	f := newFixture(t, ipRule, badIP, badNet, staleIP, notTI, noKind)

	enr := f.enrichments(netEvent(`"10.0.0.1"`, `"203.0.113.7"`))
	if len(enr) != 1 {
		t.Fatalf("got %d enrichments, want 1: %v", len(enr), enr)
	}
	m := matched(enr[0])
	if m["field"] != "destination.ip" || m["atomic"] != "203.0.113.7" || m["type"] != "indicator_match_rule" ||
		m["index"] != "logs-ti_abusech.ip-default" || m["id"] == "" {
		t.Errorf("matched = %v", m)
	}
	ind := enr[0]["indicator"].(map[string]any)
	if ind["ip"] != "203.0.113.7" || ind["confidence"] != "High" {
		t.Errorf("indicator = %v, want the document's threat.indicator", ind)
	}
	if feed := enr[0]["feed"].(map[string]any); feed["name"] != "AbuseCH" {
		t.Errorf("feed = %v", feed)
	}

	// Both groups match: one enrichment per group.
	if enr := f.enrichments(netEvent(`"203.0.113.7"`, `"203.0.113.7"`)); len(enr) != 2 {
		t.Errorf("both fields on the indicator: %d enrichments, want 2", len(enr))
	}
	// A CIDR indicator matches the addresses it holds, as a term query
	// on an ip field does.
	if enr := f.enrichments(netEvent(`"198.51.100.42"`, `"10.0.0.1"`)); len(enr) != 1 || matched(enr[0])["field"] != "source.ip" {
		t.Errorf("CIDR indicator: %v", enr)
	}
	// Arrays match on any element; an IPv4-mapped IPv6 address is the
	// IPv4 address.
	if enr := f.enrichments(netEvent(`["10.0.0.1","::ffff:203.0.113.7"]`, `"10.0.0.2"`)); len(enr) != 1 {
		t.Errorf("array with a mapped address: %v", enr)
	}
	for name, ev := range map[string]string{
		"no indicator":                   netEvent(`"10.0.0.1"`, `"10.0.0.2"`),
		"indicator older than 30 days":   netEvent(`"192.0.2.1"`, `"10.0.0.2"`),
		"indicator outside threat_index": netEvent(`"192.0.2.2"`, `"10.0.0.2"`),
		"indicator failing the filter":   netEvent(`"192.0.2.3"`, `"10.0.0.2"`),
	} {
		m := f.run(ev)
		if m == nil || !m.NoIndicator {
			t.Errorf("%s: match %+v, want the query to match without an indicator", name, m)
		}
	}
	// The query does not match: no match at all.
	if m := f.run(`{"@timestamp":"2026-03-14T11:30:00Z","host":{"name":"a"}}`); m != nil {
		t.Errorf("event without addresses: %+v", m)
	}
}

// The threat_query's now is the time of the execution that sees the
// event: an indicator ages out for later events, not for earlier ones.
func TestThreatQueryNowIsTheExecution(t *testing.T) {
	f := newFixture(t, ipRule, staleIP) // indicator of 2026-01-01
	early := `{"@timestamp":"2026-01-20T10:10:00Z","source":{"ip":"192.0.2.1"}}`
	late := `{"@timestamp":"2026-03-14T10:10:00Z","source":{"ip":"192.0.2.1"}}`
	if enr := f.enrichments(early); len(enr) != 1 {
		t.Errorf("event 19 days after the indicator: %d enrichments, want 1", len(enr))
	}
	if enr := f.enrichments(late); enr != nil {
		t.Errorf("event 72 days after the indicator: %v, want none", enr)
	}
	// Streaming: the wall clock decides.
	f.eval.RunAt = func(*engine.Rule, time.Time) time.Time { return time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC) }
	if enr := f.enrichments(late); len(enr) != 1 {
		t.Errorf("RunAt 4 days after the indicator: %d enrichments, want 1", len(enr))
	}
}

const andRule = ruleHead + `query = "file.hash.sha256:*"
threat_query = "*:*"

[[rule.threat_mapping]]
[[rule.threat_mapping.entries]]
field = "file.hash.sha256"
type = "mapping"
value = "threat.indicator.file.hash.sha256"
[[rule.threat_mapping.entries]]
field = "host.name"
type = "mapping"
value = "threat.indicator.observer.hostname"
[[rule.threat_mapping.entries]]
field = "user.name"
type = "mapping"
value = "threat.indicator.user.name"
negate = true
`

func TestAndGroupAndNegate(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	ind := `{"@timestamp":"2026-03-10T00:00:00Z","data_stream":{"type":"logs","dataset":"ti_x.file","namespace":"default"},"threat":{"indicator":{"file":{"hash":{"sha256":"` + hash + `"}},"observer":{"hostname":"web-1"},"user":{"name":"svc"}}}}`
	multi := `{"@timestamp":"2026-03-10T00:00:00Z","data_stream":{"type":"logs","dataset":"ti_x.file","namespace":"default"},"threat":{"indicator":{"file":{"hash":{"sha256":"` + strings.Repeat("cd", 32) + `"}},"observer":{"hostname":["web-2","web-3"]}}}}`
	f := newFixture(t, andRule, ind, multi)
	ev := func(h, host, user string) string {
		return `{"@timestamp":"2026-03-14T11:30:00Z","file":{"hash":{"sha256":"` + h + `"}},"host":{"name":"` + host + `"},"user":{"name":"` + user + `"}}`
	}
	enr := f.enrichments(ev(hash, "web-1", "alice"))
	if len(enr) != 2 {
		t.Fatalf("got %d enrichments, want one per distinct entry that is not negated (2): %v", len(enr), enr)
	}
	if matched(enr[0])["field"] != "file.hash.sha256" || matched(enr[1])["field"] != "host.name" || matched(enr[1])["atomic"] != "web-1" {
		t.Errorf("enrichments = %v", enr)
	}
	for name, doc := range map[string]string{
		"other host":            ev(hash, "web-9", "alice"),
		"negated entry equal":   ev(hash, "web-1", "svc"),
		"keyword is exact":      ev(strings.ToUpper(hash), "web-1", "alice"),
		"multi-valued in AND":   ev(strings.Repeat("cd", 32), "web-2", "alice"),
		"hostname case differs": ev(hash, "WEB-1", "alice"),
	} {
		if enr := f.enrichments(doc); enr != nil {
			t.Errorf("%s: %v, want no alert", name, enr)
		}
	}
}

const textRule = ruleHead + `query = "message:*"
threat_query = "*:*"

[[rule.threat_mapping]]
[[rule.threat_mapping.entries]]
field = "message"
type = "mapping"
value = "threat.indicator.description"

[[rule.threat_mapping]]
[[rule.threat_mapping.entries]]
field = "url.domain"
type = "mapping"
value = "threat.indicator.url.domain"
`

// A text field is matched by analyzed tokens (any one shared, as a match
// query does); a multi-valued indicator of a one-entry group gives its
// first value, as Kibana's terms query does.
func TestTextFieldAndFirstValue(t *testing.T) {
	f := newFixture(t, textRule,
		`{"threat":{"indicator":{"description":"Cobalt STRIKE beacon"}}}`,
		`{"threat":{"indicator":{"url":{"domain":["evil.example","other.example"]}}}}`,
	)
	if enr := f.enrichments(`{"@timestamp":"2026-03-14T11:30:00Z","message":"saw a strike today"}`); len(enr) != 1 {
		t.Errorf("text shares a token: %v", enr)
	}
	if enr := f.enrichments(`{"@timestamp":"2026-03-14T11:30:00Z","message":"nothing here","url":{"domain":"evil.example"}}`); len(enr) != 1 {
		t.Errorf("first value of a multi-valued indicator: %v", enr)
	}
	if enr := f.enrichments(`{"@timestamp":"2026-03-14T11:30:00Z","message":"nothing here","url":{"domain":"other.example"}}`); enr != nil {
		t.Errorf("second value of a multi-valued indicator: %v, want none", enr)
	}
}

func TestExistingEnrichmentsKept(t *testing.T) {
	f := newFixture(t, ipRule, badIP)
	enr := f.enrichments(`{"@timestamp":"2026-03-14T11:30:00Z","source":{"ip":"203.0.113.7"},"threat":{"enrichments":[{"matched":{"type":"indicator_match_rule","field":"x"}}]}}`)
	if len(enr) != 2 || matched(enr[0])["field"] != "x" || matched(enr[1])["field"] != "source.ip" {
		t.Errorf("enrichments = %v, want the event's own first, then the new one", enr)
	}
}

func TestReadExportsAndBadLines(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ti.ndjson")
	data := `{"_index":".ds-logs-ti_abusech.url-default-2026.03.01-000001","_id":"abc123","_source":{"threat":{"indicator":{"ip":"203.0.113.9"}}}}
{"threat": {"indicator": {"ip": 
{"threat":{"indicator":{"ip":"203.0.113.10"}}}
`
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := threatintel.Read([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Items) != 2 || set.Bad != 1 {
		t.Fatalf("items %d bad %d, want 2 and 1", len(set.Items), set.Bad)
	}
	if !strings.Contains(set.Problems[0].Error(), "ti.ndjson:2:") {
		t.Errorf("problem %q does not say file and line", set.Problems[0])
	}
	if it := set.Items[0]; it.ID != "abc123" || it.Index != ".ds-logs-ti_abusech.url-default-2026.03.01-000001" || !json.Valid(it.Raw) || strings.Contains(string(it.Raw), "_source") {
		t.Errorf("export hit read as %+v", it)
	}
	if it := set.Items[1]; it.ID == "" || it.Index != "" {
		t.Errorf("plain document read as %+v", it)
	}
	if _, err := threatintel.Read([]string{filepath.Join(dir, "missing.ndjson")}); err == nil {
		t.Error("a missing file is not an error")
	}
}

func TestReloadOnChange(t *testing.T) {
	f := newFixture(t, ipRule)
	src := f.attach(badIP)
	ev := netEvent(`"192.0.2.77"`, `"10.0.0.1"`)
	if enr := f.enrichments(ev); enr != nil {
		t.Fatalf("before the change: %v", enr)
	}
	if changed, err := src.Reload(); err != nil || changed {
		t.Fatalf("Reload without a change: %v %v", changed, err)
	}
	path := src.Paths()[0]
	line := strings.Replace(badIP, "203.0.113.7", "192.0.2.77", 1)
	if err := os.WriteFile(path, []byte(badIP+"\n"+line+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	if changed, err := src.Reload(); err != nil || !changed {
		t.Fatalf("Reload after a change: %v %v", changed, err)
	}
	if enr := f.enrichments(ev); len(enr) != 1 {
		t.Errorf("after the change: %v, want the new indicator", enr)
	}
	n, ok := f.rule.Threat.(*threatintel.Matcher).Indicators()
	if !ok || n != 2 {
		t.Errorf("Indicators() = %d %v, want 2 true", n, ok)
	}
}
