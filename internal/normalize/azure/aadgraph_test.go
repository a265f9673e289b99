package azure

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode"

	"github.com/vigil-project/vigil/internal/event"
)

// TestAADGraph checks the AAD Graph pipeline's steps on a record of the
// Event Hub shape Microsoft documents (written here): @timestamp from
// properties.timeGenerated, the derived event.action, the request as
// url.* and http.*, the outcome from the status, user and client ids,
// roles split at commas, empty values dropped.
func TestAADGraph(t *testing.T) {
	raw := []byte(`{"category":"AzureADGraphActivityLogs","location":"WestUS","operationName":"AAD Graph Activity","tenantId":"11111111-2222-3333-4444-555555555555","time":"2026-05-07T15:19:40Z","properties":{"__UDI_RequiredFields_UniqueId":"x","appId":"04b07795-8ddb-461a-bbee-02f9e1bf7b46","callerIpAddress":"203.0.113.9","durationMs":59,"httpMethod":"PATCH","httpStatusCode":403,"issuedAt":"5/7/2026 1:50:39 PM","requestId":"r-1","requestUri":"https://graph.windows.net/v2/11111111-2222-3333-4444-555555555555/servicePrincipals/abc?api-version=1.6","roles":" Group.Read.All, Directory.Read.All,","scopes":"","servicePrincipalId":"","sessionId":"s-1","timeGenerated":"2026-05-07T15:19:33.5368860Z","userAgent":"AADInternals","userId":"u-1"}}`)
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var rec map[string]any
	if err := d.Decode(&rec); err != nil {
		t.Fatal(err)
	}
	doc, _, err := AADGraph(rec, raw, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	flatten("", doc, got)
	want := map[string]string{
		"@timestamp":                  `"2026-05-07T15:19:33.536Z"`,
		"event.action":                `"service-principals-update"`,
		"event.outcome":               `"failure"`,
		"event.type":                  `["access","change"]`,
		"event.category":              `["iam","web"]`,
		"event.duration":              `59000000`,
		"event.id":                    `"r-1"`,
		"http.request.method":         `"PATCH"`,
		"http.response.status_code":   `403`,
		"url.path":                    `"/v2/11111111-2222-3333-4444-555555555555/servicePrincipals/abc"`,
		"url.domain":                  `"graph.windows.net"`,
		"url.query":                   `"api-version=1.6"`,
		"user.id":                     `"u-1"`,
		"client.user.id":              `"u-1"`,
		"related.user":                `["u-1","04b07795-8ddb-461a-bbee-02f9e1bf7b46"]`,
		"source.ip":                   `"203.0.113.9"`,
		"session.id":                  `"s-1"`,
		"user_agent.original":         `"AADInternals"`,
		"azure.tenant_id":             `"11111111-2222-3333-4444-555555555555"`,
		"cloud.account.id":            `"11111111-2222-3333-4444-555555555555"`,
		"cloud.region":                `"WestUS"`,
		"cloud.service.name":          `"Azure AD Graph"`,
		"data_stream.dataset":         `"azure.aadgraphactivitylogs"`,
		"destination.geo.region_name": `"WestUS"`,
		"azure.aadgraphactivitylogs.properties.roles":           `["Group.Read.All","Directory.Read.All"]`,
		"azure.aadgraphactivitylogs.properties.token_issued_at": `"2026-05-07T13:50:39.000Z"`,
		"azure.aadgraphactivitylogs.properties.time_generated":  `"2026-05-07T15:19:33.536Z"`,
		"azure.aadgraphactivitylogs.properties.app_id":          `"04b07795-8ddb-461a-bbee-02f9e1bf7b46"`,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %s, want %s", k, orNothing(got[k]), v)
		}
	}
	for _, k := range []string{"azure.aadgraphactivitylogs.properties.scopes", "azure.aadgraphactivitylogs.properties.service_principal_id",
		"azure.aadgraphactivitylogs.properties.__udi_required_fields_unique_id", "service.id", "azure.aadgraphactivitylogs.properties.request_uri"} {
		if v, ok := got[k]; ok {
			t.Errorf("%s: got %s, want nothing", k, v)
		}
	}
}

// TestAADGraphPaths: the AAD Graph's requestUri is a path; event.action
// comes from its directory collection and the method.
func TestAADGraphPaths(t *testing.T) {
	for _, c := range []struct{ method, uri, action, path string }{
		{"GET", "/v2/t-1/users", "users-read", "/v2/t-1/users"},
		{"GET", "/v2/t-1/tenantDetails?api-version=1.6", "tenant-details-read", "/v2/t-1/tenantDetails"},
		{"POST", "/t-1/$batch", "batch-execute", "/t-1/$batch"},
		{"DELETE", "/v2/t-1/applications/a-1", "applications-delete", "/v2/t-1/applications/a-1"},
		{"MERGE", "/myorganization/servicePrincipals", "service-principals-merge", "/myorganization/servicePrincipals"},
	} {
		raw := []byte(`{"category":"AzureADGraphActivityLogs","operationName":"AAD Graph Activity","properties":{"httpMethod":"` + c.method + `","requestUri":"` + c.uri + `","timeGenerated":"2026-05-07T15:19:33Z"}}`)
		var rec map[string]any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&rec); err != nil {
			t.Fatal(err)
		}
		doc, _, err := AADGraph(rec, raw, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		flatten("", doc, got)
		if got["event.action"] != `"`+c.action+`"` || got["url.path"] != `"`+c.path+`"` || got["url.original"] != `"`+c.uri+`"` || got["event.kind"] != `"event"` {
			t.Errorf("%s %s: event.action %s, url.path %s, url.original %s, event.kind %s", c.method, c.uri, got["event.action"], got["url.path"], got["url.original"], got["event.kind"])
		}
	}
}

func orNothing(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

// TestAppendAADGraphTakes: the byte-level writer takes the AAD Graph
// records it is meant to (so that TestAppendStreamIsNormalize compares
// something) and leaves the pipeline's errors to the general path.
func TestAppendAADGraphTakes(t *testing.T) {
	huge := hugeAADGraph()
	if len(huge) <= 1<<20 || event.New(huge, nil).Err() != nil {
		t.Fatalf("hugeAADGraph: %d bytes, %v: want valid JSON beyond 1 MiB", len(huge), event.New(huge, nil).Err())
	}
	take := [][]byte{huge}
	for _, c := range streamCases {
		if strings.Contains(c, `"AzureADGraphActivityLogs","operationName"`) {
			take = append(take, []byte(c))
		}
	}
	if len(take) < 4 {
		t.Fatalf("only %d records to take", len(take))
	}
	for _, raw := range take {
		if _, _, ok := AppendStream(nil, raw, AADGraphActivityLogs, Options{}); !ok {
			t.Errorf("declined: %.200s", raw)
		}
	}
	for _, c := range []string{
		`{"category":"AzureADGraphActivityLogs","properties":{"timeGenerated":"bad"}}`,
		`{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","properties":{"issuedAt":"bad"}}`,
		`{"category":"AzureADGraphActivityLogs","time":"2026-05-07T15:19:33Z","properties":{"requestUri":"not a uri"}}`,
	} {
		out, _, ok := AppendStream(nil, []byte(c), AADGraphActivityLogs, Options{})
		if ok {
			t.Errorf("%s: taken, but the pipeline fails it: %s", c, out)
		}
	}
}

// graphActionSplit is graphAction as first written (strings.Split,
// []rune): the reference appendGraphAction must match.
func graphActionSplit(path, method string) string {
	parts := strings.Split(path, "/")
	if len(parts) < 3 {
		return ""
	}
	coll := parts[2]
	if len(parts) >= 4 && parts[1] == "v2" {
		coll = parts[3]
	}
	coll = strings.TrimPrefix(coll, "$")
	if coll == "" {
		return ""
	}
	var b strings.Builder
	rs := []rune(coll)
	for i, r := range rs {
		if i > 0 && unicode.IsUpper(r) && !unicode.IsUpper(rs[i-1]) {
			b.WriteByte('-')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	verb := strings.ToLower(method)
	switch method {
	case "GET", "HEAD":
		verb = "read"
	case "POST":
		verb = "execute"
	case "PATCH", "PUT":
		verb = "update"
	case "DELETE":
		verb = "delete"
	}
	return b.String() + "-" + verb
}

// TestGraphActionIsSplit compares graphAction with its first form over
// paths of every part count, with and without v2, $, camel case runs,
// non-ASCII upper case and invalid UTF-8.
func TestGraphActionIsSplit(t *testing.T) {
	segs := []string{"", "v2", "V2", "t-1", "$batch", "$", "servicePrincipals", "URLs", "aBC", "ÉtéÀb", "\xff\xfeA", "x\u01c5y"}
	methods := []string{"GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "MERGE", "get", "", "Ünï"}
	var paths []string
	var build func(prefix string, depth int)
	build = func(prefix string, depth int) {
		paths = append(paths, prefix)
		if depth == 3 {
			return
		}
		for _, s := range segs {
			build(prefix+"/"+s, depth+1)
		}
	}
	build("", 0)
	build("x", 2)
	n := 0
	for _, p := range paths {
		for _, m := range methods {
			if got, want := graphAction(p, m), graphActionSplit(p, m); got != want {
				t.Fatalf("graphAction(%q, %q) = %q, want %q", p, m, got, want)
			}
			n++
		}
	}
	t.Logf("%d paths and methods", n)
}

// FuzzGraphAction: graphAction is its first form on any path and method.
func FuzzGraphAction(f *testing.F) {
	f.Add("/v2/t/servicePrincipals/x", "GET")
	f.Add("/t/$batch", "POST")
	f.Fuzz(func(t *testing.T, path, method string) {
		if got, want := graphAction(path, method), graphActionSplit(path, method); got != want {
			t.Fatalf("graphAction(%q, %q) = %q, want %q", path, method, got, want)
		}
	})
}
