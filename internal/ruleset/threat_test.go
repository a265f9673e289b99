package ruleset

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-project/vigil/internal/rule"
	"github.com/vigil-project/vigil/internal/sharedtestdata"
)

// plainThreat builds the maps encoding/json's round trip gives: the
// alerts' kibana.alert.rule.threat must not change.
func TestPlainThreatIsRoundTrip(t *testing.T) {
	cases := [][]rule.Threat{
		nil,
		{},
		{{Framework: "MITRE ATT&CK", Tactic: rule.ThreatRef{ID: "TA0002", Name: "Execution", Reference: "https://attack.mitre.org/tactics/TA0002/"}}},
		{{Framework: "MITRE ATT&CK", Technique: []rule.Technique{}}},
		{{Framework: "x", Technique: []rule.Technique{{ThreatRef: rule.ThreatRef{ID: "T1059"}, Subtechnique: []rule.ThreatRef{}}}}},
		{{Framework: "x", Technique: []rule.Technique{{ThreatRef: rule.ThreatRef{ID: "T1059", Name: "<&>"}, Subtechnique: []rule.ThreatRef{{ID: "T1059.001", Name: "PowerShell"}}}}}, {Framework: "y"}},
		{{Framework: "bad \xff utf-8", Tactic: rule.ThreatRef{Name: "\xc3"}}},
		{{Framework: "x", Technique: []rule.Technique{{Subtechnique: []rule.ThreatRef{{Reference: "a\xffb"}}}}}},
	}
	dir := filepath.Join(sharedtestdata.Dir(t, "detection-rules"), "rules")
	set, err := rule.LoadPaths([]string{dir}, rule.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range set.Rules {
		cases = append(cases, r.Threat)
	}
	for i, c := range cases {
		var want any = c // no entries keep their value
		if len(c) > 0 {
			want = threatRoundTrip(c)
		}
		if diff := cmp.Diff(want, plainThreat(c)); diff != "" {
			t.Errorf("case %d: plainThreat differs from the round trip (-want +got):\n%s", i, diff)
		}
	}
}
