package rule

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-project/vigil/internal/event"
)

func activityEvent(op, outcome string) string {
	o := ""
	if outcome != "" {
		o = fmt.Sprintf(`,"outcome":%q`, outcome)
	}
	return fmt.Sprintf(`{"event":{"dataset":"azure.activitylogs","action":%q%s},"azure":{"activitylogs":{"operation_name":%q}}}`, op, o, op)
}

// TestBuiltinPack checks every built-in rule: it loads as runnable and fires
// on a successful record of its operation only.
func TestBuiltinPack(t *testing.T) {
	plan := event.NewPlan()
	set, err := Builtin(LoadOptions{Plan: plan, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]string{
		"Azure Command Execution on Virtual Machine": "MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION",
		"Azure Storage Account Keys Listed":          "MICROSOFT.STORAGE/STORAGEACCOUNTS/LISTKEYS/ACTION",
		"Azure Diagnostic Settings Deleted":          "MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE",
		"Azure VM Extension Written":                 "MICROSOFT.COMPUTE/VIRTUALMACHINES/EXTENSIONS/WRITE",
		"Azure VM Managed Run Command Written":       "MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMANDS/WRITE",
		"Azure Resource Group Deleted":               "MICROSOFT.RESOURCES/SUBSCRIPTIONS/RESOURCEGROUPS/DELETE",
	}
	// The Entra ID rules read sign-in and audit logs; their rule tests
	// (rules/azure/*.test.toml) check what they match.
	entra := map[string]bool{"Entra ID Sign-in with Device Code Flow": true, "Entra ID Service Principal Credentials Added": true}
	if len(set.Rules) != len(ops)+len(entra) {
		t.Fatalf("pack has %d rules, want %d", len(set.Rules), len(ops)+len(entra))
	}
	ids := map[string]bool{}
	for _, r := range set.Rules {
		if r.Status != StatusOK {
			t.Fatalf("%s: status %s: %v", r.File, r.Status, r.Errors)
		}
		if ids[r.RuleID] {
			t.Errorf("%s: duplicate rule_id %s", r.File, r.RuleID)
		}
		ids[r.RuleID] = true
		if len(r.Threat) == 0 || r.Note == "" || r.TimestampOverride != "event.ingested" {
			t.Errorf("%s: needs MITRE mapping, an investigation guide and timestamp_override", r.File)
		}
		if entra[r.Name] {
			continue
		}
		op, ok := ops[r.Name]
		if !ok {
			t.Errorf("unexpected rule %q", r.Name)
			continue
		}
		cases := []struct {
			doc  string
			want bool
		}{
			{activityEvent(op, "success"), true},
			{activityEvent(op, "Success"), true},
			{activityEvent(op, ""), false},        // Start / Accept records
			{activityEvent(op, "failure"), false}, // failed operation
			{activityEvent(strings.ToLower(op), "success"), false},
			{activityEvent("MICROSOFT.COMPUTE/VIRTUALMACHINES/WRITE", "success"), false},
			{strings.Replace(activityEvent(op, "success"), "azure.activitylogs", "azure.signinlogs", 1), false},
		}
		for _, c := range cases {
			if got := r.Match(event.New([]byte(c.doc), plan)); got != c.want {
				t.Errorf("%s on %s = %v, want %v", r.Name, c.doc, got, c.want)
			}
		}
	}
	seed := set.ByID("60884af6-f553-4a6c-af13-300047455491")
	if seed == nil || seed.From != "now-25m" || seed.Lookback.Minutes() != 25 || seed.Interval.Minutes() != 5 ||
		seed.RiskScore != 47 || seed.Severity != "medium" || seed.Threat[0].Technique[0].ID != "T1059" || seed.Threat[0].Tactic.ID != "TA0002" {
		t.Errorf("seed rule fields: %+v", seed)
	}
}
