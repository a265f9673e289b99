package alert

import (
	"encoding/json"
	"strings"
	"testing"
)

func doc(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	d := json.NewDecoder(stringsReader(s))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSeverityMapping(t *testing.T) {
	// Elastic's endpoint rules map event.severity 21/47/73/99.
	o := Overrides{SeverityMapping: []SeverityMapping{
		{Field: "event.severity", Value: "99", Severity: "critical"},
		{Field: "event.severity", Value: "21", Severity: "low"},
		{Field: "event.severity", Value: "73", Severity: "high"},
		{Field: "event.severity", Value: "47.9", Severity: "medium"}, // floor(Number(value))
		{Field: "user.name", Value: "admin", Severity: "high"},
		{Field: "process.pid", Value: "4", Severity: "medium"},
	}}
	for _, c := range []struct {
		doc, want string
	}{
		{`{"event":{"severity":73}}`, "high"},
		{`{"event":{"severity":47}}`, "medium"},
		{`{"event":{"severity":"73"}}`, "low"},         // numeric strings do not count for event.severity
		{`{"event":{"severity":73.5}}`, "low"},         // not a safe integer
		{`{"event":{"severity":[21,99]}}`, "critical"}, // any value; the highest wins
		{`{"event.severity":99}`, "critical"},          // a literal dotted key
		{`{"user":{"name":["bob","admin"]}}`, "high"},  // arrays: any element
		{`{"user":{"name":"Admin"}}`, "low"},           // exact text
		{`{"process":{"pid":4}}`, "medium"},            // safe integers compared as text
		{`{"process":{"pid":"4"}}`, "medium"},          // strings as text
		{`{"event":{"severity":21},"user":{"name":"admin"}}`, "high"},
		{`{}`, "low"},
	} {
		if got := o.severity(doc(t, c.doc), "low"); got != c.want {
			t.Errorf("%s: severity %s, want %s", c.doc, got, c.want)
		}
	}
}

func TestRiskScoreMapping(t *testing.T) {
	o := Overrides{RiskScoreField: "event.risk_score"}
	for _, c := range []struct {
		doc  string
		want int
	}{
		{`{"event":{"risk_score":73}}`, 73},
		{`{"event":{"risk_score":"88"}}`, 88},
		{`{"event":{"risk_score":[12,"90",101,-1]}}`, 90}, // the max of those in [0,100]
		{`{"event":{"risk_score":150}}`, 21},              // out of range: the rule's
		{`{"event":{"risk_score":"high"}}`, 21},
		{`{"event":{"risk_score":""}}`, 0}, // Number("") is 0
		{`{}`, 21},
	} {
		if got := o.riskScore(doc(t, c.doc), 21); got != c.want {
			t.Errorf("%s: risk %d, want %d", c.doc, got, c.want)
		}
	}
}

func TestRuleNameOverrideInAlert(t *testing.T) {
	ev := Event{Doc: doc(t, `{"rule":{"name":"Ransomware detected"},"event":{"severity":99,"risk_score":95}}`), Index: "logs-endpoint.alerts-default", ID: "e1"}
	r := Rule{UUID: "u", RuleID: "u", Name: "Endpoint Security", Severity: "medium", RiskScore: 47,
		Overrides: Overrides{RuleNameOverride: "rule.name", RiskScoreField: "event.risk_score",
			SeverityMapping: []SeverityMapping{{Field: "event.severity", Value: "99", Severity: "critical"}}}}
	a := Build(ev, r, Options{})
	if a["kibana.alert.rule.name"] != "Ransomware detected" || a["kibana.alert.severity"] != "critical" || a["kibana.alert.risk_score"] != 95 {
		t.Errorf("overrides not applied: name %v severity %v risk %v", a["kibana.alert.rule.name"], a["kibana.alert.severity"], a["kibana.alert.risk_score"])
	}
	if a["kibana.alert.rule.severity"] != "medium" || a["kibana.alert.rule.risk_score"] != 47 {
		t.Errorf("rule's own values changed: %v %v", a["kibana.alert.rule.severity"], a["kibana.alert.rule.risk_score"])
	}
	if reason := a["kibana.alert.reason"].(string); reason != "event created critical alert Ransomware detected." {
		t.Errorf("reason %q", reason)
	}
	// A non-string name is ignored.
	ev.Doc = doc(t, `{"rule":{"name":["a","b"]}}`)
	if a := Build(ev, r, Options{}); a["kibana.alert.rule.name"] != "Endpoint Security" {
		t.Errorf("array name used: %v", a["kibana.alert.rule.name"])
	}
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
