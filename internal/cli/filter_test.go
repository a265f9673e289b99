package cli

import (
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/rule"
)

func TestSeverityFilter(t *testing.T) {
	for _, c := range []struct {
		flag string
		want string // the severities among low, medium, high, critical it keeps
	}{
		{"", "low medium high critical"},
		{"high", "high"},
		{"critical, High", "high critical"},
		{">=high", "high critical"},
		{">medium", "high critical"},
		{"<=medium", "low medium"},
		{"<low", ""},
		{"=medium", "medium"},
	} {
		ok, err := parseSeverityFilter(c.flag)
		if err != nil {
			t.Fatalf("%q: %v", c.flag, err)
		}
		got := ""
		for _, s := range []string{"low", "medium", "high", "critical"} {
			if ok(s) {
				if got != "" {
					got += " "
				}
				got += s
			}
		}
		if got != c.want {
			t.Errorf("--severity %q keeps %q, want %q", c.flag, got, c.want)
		}
	}
	for _, bad := range []string{">=", "urgent", "high,,x", "=>high"} {
		if _, err := parseSeverityFilter(bad); err == nil {
			t.Errorf("--severity %q accepted", bad)
		}
	}
}

func TestTimeBound(t *testing.T) {
	now := time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in    string
		until bool
		want  string
	}{
		{"2026-03-14", false, "2026-03-14T00:00:00Z"},
		{"2026-03-14", true, "2026-03-14T23:59:59.999999999Z"},
		{"2026-03-14T09:00:00+01:00", false, "2026-03-14T08:00:00Z"},
		{"now-24h", false, "2026-03-19T12:00:00Z"},
		{"now/d", true, "2026-03-20T23:59:59.999Z"},
	} {
		got, err := parseTimeBound(c.in, now, c.until)
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		if s := got.UTC().Format(time.RFC3339Nano); s != c.want {
			t.Errorf("parseTimeBound(%q, until %v) = %s, want %s", c.in, c.until, s, c.want)
		}
	}
}

func TestRuleSelectionMITRE(t *testing.T) {
	r := &rule.Rule{RuleID: "r1", Name: "R", Severity: "medium", Threat: []rule.Threat{{
		Tactic: rule.ThreatRef{ID: "TA0005", Name: "Defense Evasion"},
		Technique: []rule.Technique{{ThreatRef: rule.ThreatRef{ID: "T1562", Name: "Impair Defenses"},
			Subtechnique: []rule.ThreatRef{{ID: "T1562.008", Name: "Disable or Modify Cloud Logs"}}}},
	}}}
	for _, c := range []struct {
		tactic, technique string
		want              bool
	}{
		{"TA0005", "", true},
		{"defense evasion", "", true},
		{"TA0002", "", false},
		{"", "T1562", true},
		{"", "T1562.008", true},
		{"", "T1562.001", false},
		{"", "T156", false}, // not a prefix match
		{"", "impair defenses", true},
		{"TA0002", "T1562", false}, // both must hold
	} {
		var s ruleSelection
		if c.tactic != "" {
			s.tactics = stringList{c.tactic}
		}
		if c.technique != "" {
			s.techniques = stringList{c.technique}
		}
		if err := s.compile(); err != nil {
			t.Fatal(err)
		}
		if got := s.selects(r); got != c.want {
			t.Errorf("--tactic %q --technique %q: selects %v, want %v", c.tactic, c.technique, got, c.want)
		}
	}
}
