package match

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
)

// testNow is the clock of every test: 2026-03-14T10:00:00Z.
var testNow = time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)

func clock() time.Time { return testNow }

// specSchema is the mapping spec §6 names: ECS-style keyword fields, a
// match_only_text message, a long status code, a date, an ip, a flattened
// object, and deltas as nested (#42) or object (#43).
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

// compile parses and compiles query, failing the test on an error.
func compile(t *testing.T, schema *ecs.Schema, query string) *Matcher {
	t.Helper()
	q, err := kql.Parse(query)
	if err != nil {
		t.Fatalf("parse %q: %v", query, err)
	}
	m, err := Compile(q, Options{Schema: schema, Now: clock})
	if err != nil {
		t.Fatalf("compile %q: %v", query, err)
	}
	return m
}

// verdict compiles query and matches it against doc.
func verdict(t *testing.T, schema *ecs.Schema, query, doc string) bool {
	t.Helper()
	m := compile(t, schema, query)
	ev := event.New([]byte(doc), m.Plan())
	if err := ev.Err(); err != nil {
		t.Fatalf("event %s: %v", doc, err)
	}
	got := m.Match(ev)
	if x := m.Explain(event.New([]byte(doc), m.Plan())); x.Match != got {
		t.Errorf("%s on %s: Explain says %v, Match %v\n%s", query, doc, x.Match, got, x)
	}
	return got
}

// compileError compiles query and returns its *CompileError, or nil.
func compileError(t *testing.T, schema *ecs.Schema, query string) *CompileError {
	t.Helper()
	q, err := kql.Parse(query)
	if err != nil {
		t.Fatalf("parse %q: %v", query, err)
	}
	_, err = Compile(q, Options{Schema: schema, Now: clock})
	if err == nil {
		return nil
	}
	var ce *CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("compile %q: error %v is not a *CompileError", query, err)
	}
	return ce
}

// TestSpecCases runs every case of spec §6 with its ES column.
func TestSpecCases(t *testing.T) {
	const deltasDoc = `{"deltas":[{"action":"ADD","role":"roles/viewer"},{"action":"REMOVE","role":"roles/owner"}]}`
	tests := []struct {
		n      int
		query  string
		doc    string
		deltas ecs.Type // the mapping of deltas (object unless a case says nested)
		want   bool
	}{
		{1, `event.action:"MICROSOFT.RESOURCES/DEPLOYMENTS/WRITE"`, `{"event":{"action":"MICROSOFT.RESOURCES/DEPLOYMENTS/WRITE"}}`, ecs.Object, true},
		{2, `event.action:"microsoft.resources/deployments/write"`, `{"event":{"action":"MICROSOFT.RESOURCES/DEPLOYMENTS/WRITE"}}`, ecs.Object, false},
		{3, `event.action:MICROSOFT.RESOURCES*`, `{"event":{"action":"MICROSOFT.RESOURCES/DEPLOYMENTS/WRITE"}}`, ecs.Object, true},
		{4, `event.action:*deployments*`, `{"event":{"action":"MICROSOFT.RESOURCES/DEPLOYMENTS/WRITE"}}`, ecs.Object, false},
		{5, `event.action:(*Write or *write)`, `{"event":{"action":"MICROSOFT.KEYVAULT/VAULTS/WRITE"}}`, ecs.Object, false},
		{6, `event.action:"MICROSOFT.RESOURCES*"`, `{"event":{"action":"MICROSOFT.RESOURCES*"}}`, ecs.Object, true},
		{7, `event.action:"MICROSOFT.RESOURCES*"`, `{"event":{"action":"MICROSOFT.RESOURCES/DEPLOYMENTS/WRITE"}}`, ecs.Object, false},
		{8, `event.action:MICROSOFT.RESOURCES\*`, `{"event":{"action":"MICROSOFT.RESOURCES/DEPLOYMENTS/WRITE"}}`, ecs.Object, false},
		{9, `event.outcome:(success or Success)`, `{"event":{"outcome":"Success"}}`, ecs.Object, true},
		{10, `event.outcome:(success and failure)`, `{"event":{"outcome":["success","failure"]}}`, ecs.Object, true},
		{11, `event.category:authentication`, `{"event":{"category":["iam","authentication"]}}`, ecs.Object, true},
		{12, `not event.category:authentication`, `{"event":{"category":["iam","authentication"]}}`, ecs.Object, false},
		{13, `event.category:(not authentication)`, `{"event":{"category":["iam","authentication"]}}`, ecs.Object, false},
		{14, `not user.name:admin`, `{"event":{"action":"x"}}`, ecs.Object, true},
		{15, `user.name:(not admin)`, `{"event":{"action":"x"}}`, ecs.Object, true},
		{16, `user.name:*`, `{"event":{"action":"x"}}`, ecs.Object, false},
		{17, `user.name:*`, `{"user":{"name":""}}`, ecs.Object, true},
		{18, `user.name:*`, `{"user":{"name":[]}}`, ecs.Object, false},
		{19, `user.name:*`, `{"user":{"name":[null,"bob"]}}`, ecs.Object, true},
		{20, `user.name:(* and not "")`, `{"user":{"name":""}}`, ecs.Object, false},
		{21, `azure.resource.name:"vm 01"`, `{"azure":{"resource":{"name":"vm 01"}}}`, ecs.Object, true},
		{22, `azure.resource.name:vm 01`, `{"azure":{"resource":{"name":"vm 01"}}}`, ecs.Object, true},
		{23, `message:"failed login"`, `{"message":"User bob failed login from host"}`, ecs.Object, true},
		{24, `message:failed`, `{"message":"User bob FAILED login"}`, ecs.Object, true},
		{25, `message:login failed`, `{"message":"User bob failed login from host"}`, ecs.Object, true},
		{26, `http.response.status_code >= 400`, `{"http":{"response":{"status_code":404}}}`, ecs.Object, true},
		{27, `http.response.status_code >= 400`, `{"http":{"response":{"status_code":"1000"}}}`, ecs.Object, true},
		{28, `http.response.status_code < 400`, `{"http":{"response":{"status_code":[200,500]}}}`, ecs.Object, true},
		{29, `http.response.status_code:"404"`, `{"http":{"response":{"status_code":404}}}`, ecs.Object, true},
		{30, `@timestamp >= "2024-05-01T00:00:00Z"`, `{"@timestamp":"2024-05-01T10:00:00Z"}`, ecs.Object, true},
		{31, `@timestamp <= "2024-05-01"`, `{"@timestamp":"2024-05-01T10:00:00Z"}`, ecs.Object, true},
		{32, `@timestamp > now-5m`, `{"@timestamp":"2099-01-01T00:00:00Z"}`, ecs.Object, true},
		{33, `source.ip:10.0.0.0/8`, `{"source":{"ip":"10.1.2.3"}}`, ecs.Object, true},
		{34, `not source.ip:("10.0.0.0/8" or "192.168.0.0/16")`, `{"source":{"ip":"8.8.8.8"}}`, ecs.Object, true},
		{35, `azure.activitylogs.properties.callerIpAddress:"10.0.0.0/8"`, `{"azure":{"activitylogs":{"properties":{"callerIpAddress":"10.1.2.3"}}}}`, ecs.Object, false},
		{36, `azure.activitylogs.properties.responseBody:*\"allowBlobPublicAccess\"\:true*`, `{"azure":{"activitylogs":{"properties":{"responseBody":"{\"allowBlobPublicAccess\":true}"}}}}`, ecs.Object, true},
		{37, `file.path:C\:\\Windows\\*`, `{"file":{"path":"C:\\Windows\\system32\\cmd.exe"}}`, ecs.Object, true},
		{38, `file.path:"C:\temp\x.exe"`, `{"file":{"path":"C:\\temp\\x.exe"}}`, ecs.Object, false},
		{39, `process.name:cmd.exe or process.name:powershell.exe and user.name:bob`, `{"process":{"name":"cmd.exe"},"user":{"name":"alice"}}`, ecs.Object, true},
		{40, `(process.name:cmd.exe or process.name:powershell.exe) and user.name:bob`, `{"process":{"name":"cmd.exe"},"user":{"name":"alice"}}`, ecs.Object, false},
		{41, `process.name:cmd.exe AND NOT user.name:bob`, `{"process":{"name":"cmd.exe"},"user":{"name":"alice"}}`, ecs.Object, true},
		{42, `deltas:{ action:ADD and role:"roles/owner" }`, deltasDoc, ecs.Nested, false},
		{43, `deltas.action:ADD and deltas.role:"roles/owner"`, deltasDoc, ecs.Object, true},
		{44, `event.action:"MICROSOFT.RESOURCES/DEPLOYMENTS/WRITE"`, `{"event.action":"MICROSOFT.RESOURCES/DEPLOYMENTS/WRITE"}`, ecs.Object, true},
		{45, `cloud.account.id:01`, `{"cloud":{"account":{"id":"01"}}}`, ecs.Object, true},
		{46, `event.action:true`, `{"event":{"action":"true"}}`, ecs.Object, true},
		{47, `user.name:bob?`, `{"user":{"name":"bobX"}}`, ecs.Object, false},
		{48, `user.*:bob`, `{"user":{"name":"bob"}}`, ecs.Object, true},
		{49, `"failed login"`, `{"message":"failed login from bob"}`, ecs.Object, true},
		{50, `bob*`, `{"user":{"name":"bobby"}}`, ecs.Object, true},
		{51, `user.name:Bob`, `{"user":{"name":"bob"}}`, ecs.Object, false},
		{52, `user.name:\and`, `{"user":{"name":"and"}}`, ecs.Object, true},
		{53, `user.name:"\u0041lice"`, `{"user":{"name":"Alice"}}`, ecs.Object, true},
	}
	for _, tt := range tests {
		if got := verdict(t, specSchema(tt.deltas), tt.query, tt.doc); got != tt.want {
			t.Errorf("#%d %s on %s = %v, want %v (Elasticsearch)", tt.n, tt.query, tt.doc, got, tt.want)
		}
	}
}

// TestSpecNestedRejected: with deltas mapped nested, #43's flat query is
// one Kibana rejects (a nested field outside its group).
func TestSpecNestedRejected(t *testing.T) {
	ce := compileError(t, specSchema(ecs.Nested), `deltas.action:ADD and deltas.role:"roles/owner"`)
	if ce == nil || !strings.Contains(ce.Msg, "inside the nested field deltas") || !strings.Contains(ce.Hint, "deltas:{ action:") {
		t.Errorf("got %v; want a nested-field error with a deltas:{ ... } hint", ce)
	}
}

// TestSpecExtraCases are spec §6's extra edge cases.
func TestSpecExtraCases(t *testing.T) {
	s := ecs.NewSchema(map[string]ecs.Type{
		"a": ecs.Long, "status": ecs.Long, "obj": ecs.Object, "d": ecs.Nested, "d.x": ecs.Long, "message": ecs.MatchOnlyText,
	})
	// a:1* on a long field: Elasticsearch fails the search.
	if ce := compileError(t, s, `a:1*`); ce == nil || !strings.Contains(ce.Msg, "wildcard") {
		t.Errorf("a:1* on a long: got %v, want a wildcard error", ce)
	}
	// status >= abc on a long field: a number parse failure.
	if ce := compileError(t, s, `status >= abc`); ce == nil || !strings.Contains(ce.Msg, "not a number") {
		t.Errorf("status >= abc: got %v, want a number error", ce)
	}
	// An empty object has no indexed sub-field.
	if verdict(t, s, `obj:*`, `{"obj":{}}`) {
		t.Error(`obj:* on {"obj":{}} matched; an empty object has no value`)
	}
	if !verdict(t, s, `obj:*`, `{"obj":{"k":""}}`) {
		t.Error(`obj:* on an object with a value did not match`)
	}
	// not d:{ x:1 } is "no element has x=1"; d:{ not x:1 } is "some element
	// has x≠1 or lacks x".
	for _, tt := range []struct {
		doc           string
		notOut, notIn bool
	}{
		{`{"d":[{"x":1},{"x":2}]}`, false, true},
		{`{"d":[{"x":1}]}`, false, false},
		{`{"d":[{"x":2}]}`, true, true},
		{`{"d":[{"y":1}]}`, true, true},
		{`{"e":1}`, true, false},
	} {
		if got := verdict(t, s, `not d:{ x:1 }`, tt.doc); got != tt.notOut {
			t.Errorf("not d:{ x:1 } on %s = %v, want %v", tt.doc, got, tt.notOut)
		}
		if got := verdict(t, s, `d:{ not x:1 }`, tt.doc); got != tt.notIn {
			t.Errorf("d:{ not x:1 } on %s = %v, want %v", tt.doc, got, tt.notIn)
		}
	}
	// Free text searches every field; the field form only message.
	doc := `{"message":"nothing here","user":{"name":"failed login"}}`
	if !verdict(t, s, `"failed login"`, doc) || verdict(t, s, `message:"failed login"`, doc) {
		t.Error(`"failed login" must find the keyword value, message:"failed login" must not`)
	}
}
