package match

import (
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
)

// specSchema is the mapping of spec §6: ECS-style keyword fields, a text
// message, a long status code, a date, an ip, a flattened object.
func specSchema(deltas ecs.Type) *ecs.Schema {
	return ecs.NewSchema(map[string]ecs.Type{
		"event.action": ecs.Keyword, "event.outcome": ecs.Keyword, "event.category": ecs.Keyword,
		"user.name": ecs.Keyword, "azure.resource.name": ecs.Keyword, "cloud.account.id": ecs.Keyword,
		"process.name": ecs.Keyword, "file.path": ecs.Keyword, "message": ecs.MatchOnlyText,
		"http.response.status_code": ecs.Long, "@timestamp": ecs.Date, "source.ip": ecs.IP,
		"azure.activitylogs.properties": ecs.Flattened,
		"deltas":                        deltas, "deltas.action": ecs.Keyword, "deltas.role": ecs.Keyword,
	})
}

func verdict(t *testing.T, schema *ecs.Schema, query, doc string) bool {
	t.Helper()
	q, err := kql.Parse(query)
	if err != nil {
		t.Fatalf("parse %q: %v", query, err)
	}
	plan := event.NewPlan()
	m, err := Compile(q, Options{Schema: schema, Plan: plan, Now: func() time.Time { return time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatalf("compile %q: %v", query, err)
	}
	return m.Match(event.New([]byte(doc), plan))
}

// TestSpecCases are the KQL cases of spec §6 with Elasticsearch's verdict.
func TestSpecCases(t *testing.T) {
	tests := []struct {
		n     int
		query string
		doc   string
		want  bool
	}{
		{1, `event.action:"MICROSOFT.RESOURCES/DEPLOYMENTS/WRITE"`, `{"event":{"action":"MICROSOFT.RESOURCES/DEPLOYMENTS/WRITE"}}`, true},
		{2, `event.action:"microsoft.resources/deployments/write"`, `{"event":{"action":"MICROSOFT.RESOURCES/DEPLOYMENTS/WRITE"}}`, false},
		{3, `event.action:MICROSOFT.RESOURCES*`, `{"event":{"action":"MICROSOFT.RESOURCES/DEPLOYMENTS/WRITE"}}`, true},
		{4, `event.action:*deployments*`, `{"event":{"action":"MICROSOFT.RESOURCES/DEPLOYMENTS/WRITE"}}`, false},
		{5, `event.action:(*Write or *write)`, `{"event":{"action":"MICROSOFT.KEYVAULT/VAULTS/WRITE"}}`, false},
		{6, `event.action:"MICROSOFT.RESOURCES*"`, `{"event":{"action":"MICROSOFT.RESOURCES*"}}`, true},
		{7, `event.action:"MICROSOFT.RESOURCES*"`, `{"event":{"action":"MICROSOFT.RESOURCES/DEPLOYMENTS/WRITE"}}`, false},
		{8, `event.action:MICROSOFT.RESOURCES\*`, `{"event":{"action":"MICROSOFT.RESOURCES/DEPLOYMENTS/WRITE"}}`, false},
		{9, `event.outcome:(success or Success)`, `{"event":{"outcome":"Success"}}`, true},
		{10, `event.outcome:(success and failure)`, `{"event":{"outcome":["success","failure"]}}`, true},
		{11, `event.category:authentication`, `{"event":{"category":["iam","authentication"]}}`, true},
		{12, `not event.category:authentication`, `{"event":{"category":["iam","authentication"]}}`, false},
		{13, `event.category:(not authentication)`, `{"event":{"category":["iam","authentication"]}}`, false},
		{14, `not user.name:admin`, `{"event":{"action":"x"}}`, true},
		{15, `user.name:(not admin)`, `{"event":{"action":"x"}}`, true},
		{16, `user.name:*`, `{"event":{"action":"x"}}`, false},
		{17, `user.name:*`, `{"user":{"name":""}}`, true},
		{18, `user.name:*`, `{"user":{"name":[]}}`, false},
		{19, `user.name:*`, `{"user":{"name":[null,"bob"]}}`, true},
		{20, `user.name:(* and not "")`, `{"user":{"name":""}}`, false},
		{21, `azure.resource.name:"vm 01"`, `{"azure":{"resource":{"name":"vm 01"}}}`, true},
		{22, `azure.resource.name:vm 01`, `{"azure":{"resource":{"name":"vm 01"}}}`, true},
		{23, `message:"failed login"`, `{"message":"User bob failed login from host"}`, true},
		{24, `message:failed`, `{"message":"User bob FAILED login"}`, true},
		{25, `message:login failed`, `{"message":"User bob failed login from host"}`, true},
		{26, `http.response.status_code >= 400`, `{"http":{"response":{"status_code":404}}}`, true},
		{27, `http.response.status_code >= 400`, `{"http":{"response":{"status_code":"1000"}}}`, true},
		{28, `http.response.status_code < 400`, `{"http":{"response":{"status_code":[200,500]}}}`, true},
		{29, `http.response.status_code:"404"`, `{"http":{"response":{"status_code":404}}}`, true},
		{30, `@timestamp >= "2024-05-01T00:00:00Z"`, `{"@timestamp":"2024-05-01T10:00:00Z"}`, true},
		{31, `@timestamp <= "2024-05-01"`, `{"@timestamp":"2024-05-01T10:00:00Z"}`, true},
		{38, `file.path:"C:\temp\x.exe"`, `{"file":{"path":"C:\\temp\\x.exe"}}`, false},
		{39, `process.name:cmd.exe or process.name:powershell.exe and user.name:bob`, `{"process":{"name":"cmd.exe"},"user":{"name":"alice"}}`, true},
		{40, `(process.name:cmd.exe or process.name:powershell.exe) and user.name:bob`, `{"process":{"name":"cmd.exe"},"user":{"name":"alice"}}`, false},
		{41, `process.name:cmd.exe AND NOT user.name:bob`, `{"process":{"name":"cmd.exe"},"user":{"name":"alice"}}`, true},
		{44, `event.action:"MICROSOFT.RESOURCES/DEPLOYMENTS/WRITE"`, `{"event.action":"MICROSOFT.RESOURCES/DEPLOYMENTS/WRITE"}`, true},
		{45, `cloud.account.id:01`, `{"cloud":{"account":{"id":"01"}}}`, true},
		{46, `event.action:true`, `{"event":{"action":"true"}}`, true},
		{47, `user.name:bob?`, `{"user":{"name":"bobX"}}`, false},
		{48, `user.*:bob`, `{"user":{"name":"bob"}}`, true},
		{49, `"failed login"`, `{"message":"failed login from bob"}`, true},
		{50, `bob*`, `{"user":{"name":"bobby"}}`, true},
		{51, `user.name:Bob`, `{"user":{"name":"bob"}}`, false},
		{52, `user.name:\and`, `{"user":{"name":"and"}}`, true},
		{53, `user.name:"\u0041lice"`, `{"user":{"name":"Alice"}}`, true},
	}
	for _, tt := range tests {
		if got := verdict(t, specSchema(ecs.Object), tt.query, tt.doc); got != tt.want {
			t.Errorf("#%d %s on %s = %v, want %v", tt.n, tt.query, tt.doc, got, tt.want)
		}
	}
	doc := `{"deltas":[{"action":"ADD","role":"roles/viewer"},{"action":"REMOVE","role":"roles/owner"}]}`
	if verdict(t, specSchema(ecs.Nested), `deltas:{ action:ADD and role:"roles/owner" }`, doc) {
		t.Error(`#42 nested: both conditions must hold in one element`)
	}
	if !verdict(t, specSchema(ecs.Object), `deltas.action:ADD and deltas.role:"roles/owner"`, doc) {
		t.Error(`#43 object arrays are flattened`)
	}
}

func TestRequired(t *testing.T) {
	q, _ := kql.Parse(`event.dataset:azure.activitylogs and azure.activitylogs.operation_name:"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION" and event.outcome:(Success or success)`)
	m, err := Compile(q, Options{Schema: ecs.NewSchema(nil)})
	if err != nil {
		t.Fatal(err)
	}
	got := m.Required()
	if len(got) != 3 || got[2].Field != "event.outcome" || len(got[2].Values) != 2 {
		t.Errorf("Required = %+v", got)
	}
	for _, query := range []string{`not a:1`, `a:1 or b:2`, `a:x*`, `a:*`} {
		q, _ := kql.Parse(query)
		m, _ := Compile(q, Options{Schema: ecs.NewSchema(nil)})
		if r := m.Required(); len(r) != 0 {
			t.Errorf("%s: Required = %+v, want none", query, r)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for _, query := range []string{
		`http.response.status_code:abc`,
		`http.response.status_code:4*`,
		`source.ip:not-an-ip`,
		`@timestamp > "yesterday"`,
		`user.name:{ x:1 }`,
	} {
		q, err := kql.Parse(query)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		if _, err := Compile(q, Options{Schema: specSchema(ecs.Object)}); err == nil {
			t.Errorf("%s: compiled, want an error", query)
		}
	}
}
