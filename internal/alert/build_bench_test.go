package alert

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/event"
)

// BenchmarkAlert measures what a hunt does for each match of a query rule:
// the event decoded and hashed for its id, its alert document built and
// encoded, with a rule as big as Elastic's (an investigation guide of 2
// KB, 4 KB of parameters).
func BenchmarkAlert(b *testing.B) {
	raw := []byte(`{"@timestamp":"2026-03-12T07:14:03.512Z","azure":{"activitylogs":{"category":"Administrative","identity":{"authorization":{"evidence":{"principal_id":"0f1e2d3c","role":"Contributor"}},"claims_initiated_by_user":{"name":"jane.doe@contoso.com"}},"operation_name":"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION","result_type":"Success"},"resource":{"group":"RG-PROD","id":"/SUBSCRIPTIONS/1234/RESOURCEGROUPS/RG-PROD/PROVIDERS/MICROSOFT.COMPUTE/VIRTUALMACHINES/VM-01","name":"VM-01","provider":"MICROSOFT.COMPUTE/VIRTUALMACHINES"},"subscription_id":"1234"},"data_stream":{"dataset":"azure.activitylogs","namespace":"default","type":"logs"},"event":{"action":"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION","dataset":"azure.activitylogs","duration":0,"ingested":"2026-03-12T07:15:10.000Z","kind":"event","outcome":"success"},"source":{"ip":"203.0.113.45"},"user":{"name":"jane.doe@contoso.com"}}`)
	params := json.RawMessage(`{"description":"` + strings.Repeat("x", 4000) + `"}`)
	r := Rule{UUID: "r1", RuleID: "r1", Name: "Azure Command Execution on Virtual Machine", Severity: "medium", RiskScore: 47, Type: "query",
		Description: strings.Repeat("Identifies command execution on a virtual machine. ", 8),
		Note:        strings.Repeat("## Triage and analysis\n\n- Review the \"caller\" and its sign-ins.\n", 30),
		Tags:        []string{"Domain: Cloud", "Data Source: Azure", "Use Case: Log Auditing", "Tactic: Execution"},
		References:  []string{"https://adsecurity.org/?p=4277", "https://posts.specterops.io/attacking-azure-azure-ad-and-part-1"},
		Author:      []string{"Elastic"}, License: "Elastic License v2", Interval: "5m", From: "now-25m", To: "now",
		Index: []string{"filebeat-*", "logs-azure*"}, MaxSignals: 100, Version: 105, Params: params,
		Threat: []any{map[string]any{"framework": "MITRE ATT&CK", "tactic": map[string]any{"id": "TA0002", "name": "Execution", "reference": "https://attack.mitre.org/tactics/TA0002/"},
			"technique": []any{map[string]any{"id": "T1651", "name": "Cloud Administration Command", "reference": "https://attack.mitre.org/techniques/T1651/"}}}}}
	r = Prepare(r) // as ruleset.EngineRule does
	now := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	var out []byte
	b.ReportAllocs()
	for b.Loop() {
		doc, err := event.New(raw, nil).Map()
		if err != nil {
			b.Fatal(err)
		}
		built := Build(Event{Doc: doc, Index: "logs-azure.activitylogs-default", ID: EventID(doc)}, r, Options{Now: now})
		if out, err = event.AppendJSON(out[:0], built); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(out)))
}
