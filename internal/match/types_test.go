package match

import (
	"strings"
	"testing"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
)

// The integration fields' types (issue #18): each case gives Elastic's
// verdict with the type the rule's index maps the field with; treated as
// keyword, as Vigil did before, each family gets some wrong (runTyped
// checks that).

// runTyped runs cases on schema, and checks that treating every field as
// keyword (Vigil before integration types) gets at least one wrong.
func runTyped(t *testing.T, schema *ecs.Schema, cases []matchCase) {
	t.Helper()
	runCases(t, schema, cases)
	asKeyword := ecs.NewSchema(map[string]ecs.Type{})
	wrong := 0
	for _, tt := range cases {
		q, err := kql.Parse(tt.query)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Compile(q, Options{Schema: asKeyword, Now: clock})
		if err != nil || m.Match(event.New([]byte(tt.doc), m.Plan())) != tt.want {
			wrong++
		}
	}
	if wrong == 0 {
		t.Errorf("every case gives the same verdict with keyword types: the cases test nothing new")
	}
}

func TestPowerShellPatternAnalyzer(t *testing.T) {
	s := ecs.Default().ForIndices([]string{"winlogbeat-*", "logs-windows.powershell*"})
	script := `{"powershell":{"file":{"script_block_text":"$t = New-Object System.IdentityModel.Tokens.KerberosRequestorSecurityToken -ArgumentList $spn"}}}`
	runTyped(t, s, []matchCase{
		{`powershell.file.script_block_text : "KerberosRequestorSecurityToken"`, script, true},
		{`powershell.file.script_block_text : KerberosRequestorSecurityToken`, script, true},
		{`powershell.file.script_block_text : "New-Object"`, script, true}, // '-' stays inside tokens
		{`powershell.file.script_block_text : "New"`, script, false},
		{`powershell.file.script_block_text : "System.IdentityModel"`, script, true}, // a phrase of two tokens
		{`powershell.file.script_block_text : *Requestor*`, script, true},
		// The word only inside a longer token does not match.
		{`powershell.file.script_block_text : "KerberosRequestorSecurityToken"`,
			`{"powershell.file.script_block_text":"$x = MyKerberosRequestorSecurityTokenFactory"}`, false},
		{`powershell.file.script_block_text : "KerberosRequestorSecurityToken"`,
			`{"powershell.file.script_block_text":"Invoke-KerberosRequestorSecurityToken"}`, false},
	})
	// The standard analyzer keeps "a.b" (letters on both sides) as one token.
	std := ecs.NewSchema(nil).WithMapping(map[string]ecs.Field{"msg": {Type: ecs.Text}})
	runTyped(t, std, []matchCase{
		{`msg:"KerberosRequestorSecurityToken"`, `{"msg":"System.IdentityModel.Tokens.KerberosRequestorSecurityToken"}`, false},
		{`msg:"system.identitymodel.tokens.kerberosrequestorsecuritytoken"`, `{"msg":"System.IdentityModel.Tokens.KerberosRequestorSecurityToken"}`, true},
		{`msg:failed`, `{"msg":"Login FAILED for bob"}`, true},
		{`msg:"failed for"`, `{"msg":"Login FAILED for bob"}`, true},
		{`msg:"for failed"`, `{"msg":"Login FAILED for bob"}`, false},
	})
}

func TestAnalyzers(t *testing.T) {
	s := ecs.NewSchema(nil).WithMapping(map[string]ecs.Field{
		"ws":  {Type: ecs.Text, Analyzer: "whitespace"},
		"sim": {Type: ecs.Text, Analyzer: "simple"},
		"kwa": {Type: ecs.Text, Analyzer: "keyword"},
	})
	runTyped(t, s, []matchCase{
		{`ws:Foo.Bar`, `{"ws":"x Foo.Bar y"}`, true},
		{`ws:foo.bar`, `{"ws":"x Foo.Bar y"}`, false}, // whitespace does not lower-case
		{`ws:Fo*`, `{"ws":"x Foo.Bar y"}`, true},
		{`sim:bar`, `{"sim":"x Foo.Bar2 y"}`, true},  // letters only, lower-cased
		{`sim:bar2`, `{"sim":"x Foo.Bar2 y"}`, true}, // the query is analyzed too: bar
		{`sim:baz`, `{"sim":"x Foo.Bar2 y"}`, false},
		{`kwa:"a b"`, `{"kwa":"a b"}`, true},
		{`kwa:a`, `{"kwa":"a b"}`, false},
		{`kwa:A*`, `{"kwa":"a b"}`, false},
	})
}

func TestIntegrationNumbers(t *testing.T) {
	s := ecs.Default().ForIndices([]string{"logs-endpoint.events.library-*"})
	runTyped(t, s, []matchCase{
		{`dll.Ext.relative_file_creation_time <= 500`, `{"dll":{"Ext":{"relative_file_creation_time":60.5}}}`, true},
		{`dll.Ext.relative_file_creation_time <= 500`, `{"dll":{"Ext":{"relative_file_creation_time":1000}}}`, false}, // "1000" < "500" as text
		{`dll.Ext.relative_file_creation_time <= 500`, `{"dll":{"Ext":{"relative_file_creation_time":"90"}}}`, true},
		{`dll.Ext.relative_file_creation_time:60.5`, `{"dll.Ext.relative_file_creation_time":60.50}`, true},
		{`dll.Ext.relative_file_creation_time > 5 and dll.Ext.relative_file_creation_time < 10`, `{"dll.Ext.relative_file_creation_time":7}`, true},
	})
	l := ecs.Default().ForIndices([]string{"logs-azure.signinlogs-*"})
	runTyped(t, l, []matchCase{
		{`azure.signinlogs.properties.status.error_code:50126`, `{"azure.signinlogs.properties.status.error_code":50126.0}`, true},
		{`azure.signinlogs.properties.status.error_code >= 50000`, `{"azure.signinlogs.properties.status.error_code":"50126"}`, true},
		{`azure.signinlogs.properties.status.error_code >= 50000`, `{"azure.signinlogs.properties.status.error_code":7000}`, false},
	})
}

func TestIntegrationBooleanAndIP(t *testing.T) {
	s := ecs.Default().ForIndices([]string{"logs-github.audit-*"})
	runTyped(t, s, []matchCase{
		{`github.repository_public:true`, `{"github":{"repository_public":true}}`, true},
		{`github.repository_public:true`, `{"github":{"repository_public":"true"}}`, true},
		{`github.repository_public:false`, `{"github":{"repository_public":true}}`, false},
		{`github.actor_ip:10.0.0.0/8`, `{"github":{"actor_ip":"10.1.2.3"}}`, true},
		{`github.actor_ip:10.0.0.0/8`, `{"github":{"actor_ip":"11.1.2.3"}}`, false},
		{`github.actor_ip:"2001:db8::1"`, `{"github":{"actor_ip":"2001:0db8:0:0::1"}}`, true},
	})
	if ce := compileError(t, s, `github.repository_public:yes`); ce == nil {
		t.Error("github.repository_public:yes compiled; Elasticsearch rejects a non-boolean on a boolean field")
	}
}

func TestIntegrationFlattened(t *testing.T) {
	s := ecs.Default().ForIndices([]string{"logs-auditd_manager.auditd-*"})
	doc := `{"auditd":{"data":{"a0":"3","syscall":"execve","any":{"deep":"Key"}}}}`
	runTyped(t, s, []matchCase{
		{`auditd.data.a0:3`, doc, true},
		{`auditd.data.any.deep:Key`, doc, true},
		{`auditd.data.any.deep:key`, doc, false}, // exact, case-sensitive
		{`auditd.data.any.deep:K*`, doc, true},
		{`auditd.data.any.deep:*`, doc, true},
		// No ignore_above on flattened leaves: a long value is indexed.
		{`auditd.data.a0:*`, `{"auditd.data.a0":"` + strings.Repeat("x", 1100) + `"}`, true},
		// A wildcard goes through query_string, split at spaces.
		{`auditd.data.any.deep:K* nothing*`, doc, true},
	})
	if got, _ := s.Known("auditd.data.any.deep"); got != ecs.Flattened {
		t.Errorf("auditd.data.any.deep is %s, want flattened", got)
	}
}

func TestCaselessMultiField(t *testing.T) {
	s := ecs.Default().ForIndices([]string{"logs-endpoint.events.process-*"})
	doc := `{"process":{"name":"PowerShell.EXE"}}`
	runTyped(t, s, []matchCase{
		{`process.name.caseless:powershell.exe`, doc, true},
		{`process.name.caseless:"POWERSHELL.exe"`, doc, true},
		{`process.name.caseless:power*`, doc, true},
		{`process.name.caseless:pwsh.exe`, doc, false},
		{`process.name.caseless:*`, doc, true},
		{`process.name:powershell.exe`, doc, false}, // the keyword itself stays case-sensitive
		{`process.name.caseless:powershell.exe`, `{"process":{"executable":"x"}}`, false},
		// More than four values become one set lookup.
		{`process.name.caseless:(a.exe or b.exe or c.exe or d.exe or PowerShell.exe)`, doc, true},
		{`process.name.caseless:(a.exe or b.exe or c.exe or d.exe or e.exe)`, doc, false},
		{`process.name.caseless:"POWERSHELL.ÉXE"`, `{"process":{"name":"powershell.éxe"}}`, true},
	})
	m := compile(t, s, `process.name.caseless:powershell.exe and event.category:process`)
	for _, r := range m.Required() {
		if r.Field == "process.name.caseless" {
			t.Errorf("requirement on the multi-field %s: events never hold it", r.Field)
		}
	}
}
