package exception

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vigil-project/vigil/internal/event"
)

func parseKibanaFile(t *testing.T, path string) []*List {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lists, err := ParseKibana(f, path)
	if err != nil {
		t.Fatalf("ParseKibana:\n%v", err)
	}
	return lists
}

func TestParseKibanaSharedList(t *testing.T) {
	const path = "testdata/kibana/shared_list_export.ndjson"
	lists := parseKibanaFile(t, path)
	src := func(line int) string { return source(path, line) }
	want := []*List{{
		ID:            "5b1d8f40-3c2e-11ef-9a5d-6f2a1c0e4b11",
		ListID:        "azure-ops-exceptions",
		Name:          "Azure operations exceptions",
		Description:   "Known-good Azure operations: automation accounts, jump hosts and signed tooling.",
		Type:          "detection",
		NamespaceType: "single",
		Source:        src(1),
		Items: []*Item{
			{
				ItemID: "azure-ops-1", ListID: "azure-ops-exceptions", Name: "Backup automation runs commands on VMs",
				Description: "The backup runbook uses Run Command on every VM nightly.",
				Comments:    []string{"Approved in CHG-20931."}, Tags: []string{"automation"}, Source: src(2),
				Entries: []Entry{
					{Field: "user.name", Type: TypeMatch, Operator: Included, Value: "svc-backup@corp.example", Source: src(2)},
					{Field: "event.action", Type: TypeMatchAny, Operator: Included, Source: src(2),
						Values: []string{"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION", "MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMANDS/WRITE"}},
				},
			},
			{
				ItemID: "azure-ops-2", ListID: "azure-ops-exceptions", Name: "Jump hosts",
				Description: "Administration from the jump-host ranges.", Source: src(3),
				Entries: []Entry{
					{Field: "source.ip", Type: TypeList, Operator: Included, List: &ListRef{ID: "jump-hosts.txt", Type: "ip_range"}, Source: src(3)},
					{Field: "user.name", Type: TypeMatchAny, Operator: Excluded, Values: []string{"guest", "anonymous"}, Source: src(3)},
				},
			},
			{
				ItemID: "azure-ops-3", ListID: "azure-ops-exceptions", Name: "Signed deployment scripts",
				Description: "Deployment scripts under the scripts share, except the ad-hoc ones.",
				OSTypes:     []string{"windows"}, Source: src(4),
				Entries: []Entry{
					{Field: "process.command_line", Type: TypeWildcard, Operator: Included, Value: `powershell.exe -File \\\\deploy01\\scripts\\*.ps1`, Source: src(4)},
					{Field: "process.name", Type: TypeWildcard, Operator: Excluded, Value: "adhoc-*.exe", Source: src(4)},
					{Field: "process.parent.name", Type: TypeExists, Operator: Included, Source: src(4)},
				},
			},
			{
				ItemID: "azure-ops-4", ListID: "azure-ops-exceptions", Name: "Pen test window",
				Description: "Red team engagement RT-7, ends 30 June 2025.",
				ExpireTime:  time.Date(2025, 6, 30, 22, 0, 0, 0, time.UTC), Source: src(5),
				Entries: []Entry{
					{Field: "source.ip", Type: TypeMatch, Operator: Included, Value: "203.0.113.0/24", Source: src(5)},
					{Field: "user.name", Type: TypeList, Operator: Excluded, List: &ListRef{ID: "vip-users.txt", Type: "keyword"}, Source: src(5)},
					{Field: "event.outcome", Type: TypeMatch, Operator: Excluded, Value: "failure", Source: src(5)},
				},
			},
			{
				ItemID: "azure-ops-5", ListID: "azure-ops-exceptions", Name: "Elastic-signed binaries",
				Description: "Binaries signed by Elastic.", OSTypes: []string{"windows", "macos"}, Source: src(6),
				Entries: []Entry{
					{Field: "file.Ext.code_signature", Type: TypeNested, Source: src(6), Entries: []Entry{
						{Field: "subject_name", Type: TypeMatch, Operator: Included, Value: "Elastic N.V.", Source: src(6)},
						{Field: "trusted", Type: TypeMatch, Operator: Included, Value: "true", Source: src(6)},
					}},
					{Field: "process.executable", Type: TypeExists, Operator: Excluded, Source: src(6)},
				},
			},
			{
				ItemID: "azure-ops-6", ListID: "azure-ops-exceptions", Name: "Health probes",
				Description: "Load balancer probes, when they carry no user.", Source: src(7),
				Entries: []Entry{
					{Field: "user_agent.original", Type: TypeMatchAny, Operator: Included, Source: src(7),
						Values: []string{"AzureLoadBalancer/1.0", "Azure Traffic Manager Endpoint Monitor"}},
					{Field: "user.name", Type: TypeExists, Operator: Excluded, Source: src(7)},
				},
			},
		},
	}}
	if diff := cmp.Diff(want, lists, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("ParseKibana (-want +got):\n%s", diff)
	}
}

// exportEvents are events for the fixture exports and testdata/exceptions.toml,
// which hold the same exceptions (the TOML file in Vigil's form), with the
// item that should exclude each ("" = kept). The clock is 2025-06-01.
var exportEvents = []struct {
	doc          string
	kibana, toml string // the excluding item in each form
}{
	{`{"user.name":"svc-backup@corp.example","event.action":"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION","azure.resource.group":"RG-PROD-APP"}`,
		"Backup automation runs commands on VMs", "Backup runbook"},
	{`{"user.name":"svc-backup@corp.example","event.action":"MICROSOFT.STORAGE/STORAGEACCOUNTS/LISTKEYS/ACTION","azure.resource.group":"RG-DEV"}`, "", ""},
	{`{"source.ip":"10.20.3.4","user.name":"alice"}`, "Jump hosts", "Administration from jump hosts"},
	{`{"source.ip":"192.168.100.29"}`, "Jump hosts", "Administration from jump hosts"},
	{`{"source.ip":"10.20.3.4","user.name":"guest"}`, "", ""},
	{`{"source.ip":"10.21.3.4","user.name":"alice"}`, "", ""},
	{`{"host.os.type":"windows","process.command_line":"powershell.exe -File \\\\deploy01\\scripts\\rotate.ps1","process.name":"powershell.exe","process.parent.name":"svchost.exe"}`,
		"Signed deployment scripts", "Deployment scripts"},
	{`{"host.os.type":"linux","process.command_line":"powershell.exe -File \\\\deploy01\\scripts\\rotate.ps1","process.name":"powershell.exe","process.parent.name":"svchost.exe"}`, "", ""},
	{`{"host.os.type":"windows","process.command_line":"powershell.exe -File \\\\deploy01\\scripts\\rotate.ps1","process.name":"adhoc-7.exe","process.parent.name":"svchost.exe"}`, "", ""},
	{`{"host.os.type":"windows","process.command_line":"powershell.exe -File \\\\deploy01\\scripts\\rotate.ps1","process.name":"powershell.exe"}`, "", ""},
	{`{"source.ip":"203.0.113.50","user.name":"pentester","event.outcome":"success"}`, "Pen test window", "Red team engagement RT-7"},
	{`{"source.ip":"203.0.113.50","event.outcome":"unknown"}`, "Pen test window", "Red team engagement RT-7"},
	{`{"source.ip":"203.0.113.50","user.name":"cfo@corp.example","event.outcome":"success"}`, "", ""},
	{`{"source.ip":"203.0.113.50","user.name":"pentester","event.outcome":"failure"}`, "", ""},
	{`{"host.os.type":"macos","file":{"Ext":{"code_signature":[{"subject_name":"Elastic N.V.","trusted":true}]}}}`, "Elastic-signed binaries", "Elastic-signed binaries"},
	{`{"host.os.type":"macos","file":{"Ext":{"code_signature":[{"subject_name":"Elastic N.V.","trusted":false},{"subject_name":"x","trusted":true}]}}}`, "", ""},
	{`{"host.os.type":"windows","process.executable":"C:\\x.exe","file":{"Ext":{"code_signature":[{"subject_name":"Elastic N.V.","trusted":true}]}}}`, "", ""},
	{`{"user_agent.original":"AzureLoadBalancer/1.0"}`, "Health probes", "Load balancer probes"},
	{`{"user_agent.original":"AzureLoadBalancer/1.0","user.name":"x"}`, "", ""},
}

func loadFixtureValueLists(t *testing.T, ids map[string]string) map[string]*ValueList {
	t.Helper()
	out := map[string]*ValueList{}
	for id, file := range map[string]string{"jump-hosts": "jump-hosts.txt", "vip-users": "vip-users.txt"} {
		typ := map[string]string{"jump-hosts": "ip_range", "vip-users": "keyword"}[id]
		if ids != nil {
			id = ids[id]
		}
		vl, err := LoadValueList(id, typ, filepath.Join("testdata", "valuelists", file))
		if err != nil {
			t.Fatal(err)
		}
		out[id] = vl
	}
	return out
}

func TestKibanaExportHonoured(t *testing.T) {
	lists := parseKibanaFile(t, "testdata/kibana/shared_list_export.ndjson")
	// Kibana value lists are named by the uploaded file's name.
	vls := loadFixtureValueLists(t, map[string]string{"jump-hosts": "jump-hosts.txt", "vip-users": "vip-users.txt"})
	checkExportEvents(t, lists, vls, func(i int) string { return exportEvents[i].kibana })
}

func TestTOMLExampleHonoured(t *testing.T) {
	data, err := os.ReadFile("testdata/exceptions.toml")
	if err != nil {
		t.Fatal(err)
	}
	lists, err := ParseTOML("testdata/exceptions.toml", data)
	if err != nil {
		t.Fatal(err)
	}
	checkExportEvents(t, lists, loadFixtureValueLists(t, nil), func(i int) string { return exportEvents[i].toml })
}

func checkExportEvents(t *testing.T, lists []*List, vls map[string]*ValueList, want func(int) string) {
	t.Helper()
	plan := event.NewPlan()
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	f, err := Compile(lists, CompileOptions{Plan: plan, Now: func() time.Time { return now }, ValueLists: vls})
	if err != nil {
		t.Fatalf("Compile:\n%v", err)
	}
	for i, tt := range exportEvents {
		got, item := f.Excludes(event.New([]byte(tt.doc), plan))
		name := ""
		if got {
			name = item.Name
		}
		if name != want(i) {
			t.Errorf("event %d %s: excluded by %q, want %q", i, tt.doc, name, want(i))
		}
	}
	// After the pen test window, its item no longer applies.
	now = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	if got, item := f.Excludes(event.New([]byte(exportEvents[10].doc), plan)); got {
		t.Errorf("after expire_time, the pen test event is still excluded by %q", item.Name)
	}
}

func TestRuleExport(t *testing.T) {
	const path = "testdata/kibana/rule_export.ndjson"
	lists := parseKibanaFile(t, path)
	if len(lists) != 2 {
		t.Fatalf("%d lists, want 2 (the rule's default list and the Endpoint list)", len(lists))
	}
	const ruleID = "60884af6-f553-4a6c-af13-300047455491"
	for _, l := range lists {
		if diff := cmp.Diff([]string{ruleID}, l.Rules); diff != "" {
			t.Errorf("list %s: Rules (-want +got):\n%s", l.ListID, diff)
		}
	}
	if lists[0].Type != "rule_default" || lists[1].ListID != EndpointListID || lists[1].NamespaceType != "agnostic" {
		t.Errorf("lists: %+v, %+v", *lists[0], *lists[1])
	}
	sel := Select(lists, ruleID, nil)
	if len(sel) != 2 {
		t.Errorf("Select by rule id: %d lists, want 2", len(sel))
	}
	plan := event.NewPlan()
	f, err := Compile(sel, CompileOptions{Plan: plan})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Skipped) != 1 || f.Skipped[0].ListID != EndpointListID || !strings.Contains(f.Skipped[0].Reason, "Endpoint") {
		t.Errorf("Skipped = %+v, want the Endpoint list", f.Skipped)
	}
	if f.Len() != 1 {
		t.Errorf("%d items compiled, want 1 (the Endpoint list's item is skipped)", f.Len())
	}
	for _, tt := range []struct {
		doc  string
		want bool
	}{
		{`{"azure.resource.group":"RG-CI-RUNNERS","user.name":"svc-ci-07@corp.example"}`, true},
		{`{"azure.resource.group":"RG-CI-RUNNERS","user.name":"svc-ci-107@corp.example"}`, false},
		{`{"azure.resource.group":"rg-ci-runners","user.name":"svc-ci-07@corp.example"}`, false},
		// The Endpoint list's item would match this one, but it is skipped.
		{`{"process.executable.caseless":"c:\\program files\\backup\\agent.exe","host.os.type":"windows"}`, false},
	} {
		if got, _ := f.Excludes(event.New([]byte(tt.doc), plan)); got != tt.want {
			t.Errorf("%s: excluded = %v, want %v", tt.doc, got, tt.want)
		}
	}
}

// FuzzParseKibana: no input makes ParseKibana (or Compile of what it
// returns) panic; every error names the stream.
func FuzzParseKibana(f *testing.F) {
	for _, file := range []string{"testdata/kibana/shared_list_export.ndjson", "testdata/kibana/rule_export.ndjson"} {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		for _, line := range strings.Split(string(data), "\n") {
			f.Add([]byte(line))
		}
	}
	f.Add([]byte(`{"entries":[{"type":"nested","entries":[{"type":"nested"}]}],"list_id":"l"}` + "\n" + `{"list_id":"l","type":"detection"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		lists, err := ParseKibana(strings.NewReader(string(data)), "f.ndjson")
		if err != nil {
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error %T is not Errors: %v", err, err)
			}
			for _, e := range es {
				if e.File != "f.ndjson" || e.Msg == "" || e.Line < 1 {
					t.Fatalf("error without a place or message: %+v", *e)
				}
			}
			return
		}
		_, _ = Compile(lists, CompileOptions{Now: func() time.Time { return time.Unix(0, 0) }})
	})
}
