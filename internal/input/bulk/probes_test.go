package bulk

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-project/vigil/internal/httpauth"
)

// field follows a dotted path through decoded JSON.
func field(v any, path string) any {
	for k := range strings.SplitSeq(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func TestClusterInfo(t *testing.T) {
	in := New(Options{})
	ts := server(t, in)
	resp, rb := do(t, "GET", ts.URL+"/", nil)
	if resp.StatusCode != 200 || resp.Header.Get("X-Elastic-Product") != "Elasticsearch" {
		t.Fatalf("GET /: %d, product %q", resp.StatusCode, resp.Header.Get("X-Elastic-Product"))
	}
	var info any
	if err := json.Unmarshal(rb, &info); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]any{
		"version.number":                             "8.19.0",
		"version.build_flavor":                       "default",
		"version.minimum_wire_compatibility_version": "7.17.0",
		"tagline":      "You Know, for Search",
		"cluster_name": "vigil",
	} {
		if got := field(info, path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	for _, path := range []string{"name", "cluster_uuid", "version.lucene_version", "version.minimum_index_compatibility_version", "version.build_hash"} {
		if s, _ := field(info, path).(string); s == "" {
			t.Errorf("%s missing", path)
		}
	}

	resp, rb = do(t, "HEAD", ts.URL+"/", nil)
	if resp.StatusCode != 200 || len(rb) != 0 || resp.Header.Get("X-Elastic-Product") != "Elasticsearch" {
		t.Errorf("HEAD /: %d, %d body bytes, product %q", resp.StatusCode, len(rb), resp.Header.Get("X-Elastic-Product"))
	}

	in = New(Options{Version: "8.17.0"})
	ts = server(t, in)
	_, rb = do(t, "GET", ts.URL+"/", nil)
	if err := json.Unmarshal(rb, &info); err != nil || field(info, "version.number") != "8.17.0" {
		t.Errorf("Version option not used: %s", rb)
	}
}

func TestStartupProbes(t *testing.T) {
	in := New(Options{})
	ts := server(t, in)
	tests := []struct {
		method, path, body string
		status             int
		check              string // dotted path that must hold want
		want               any
	}{
		{"GET", "/_license", "", 200, "license.status", "active"},
		{"GET", "/_license?human=false", "", 200, "license.type", "basic"},
		{"GET", "/_xpack", "", 200, "features.ilm.available", true},
		{"GET", "/_xpack?filter_path=features.ilm", "", 200, "features.ilm.enabled", true},
		{"GET", "/_nodes/_local/ingest", "", 200, "_nodes.total", 1.0},
		{"GET", "/_nodes/http", "", 200, "cluster_name", "vigil"},
		{"GET", "/_cluster/health", "", 200, "status", "green"},
		{"HEAD", "/_index_template/filebeat-8.19.0", "", 200, "", nil},
		{"GET", "/_index_template/filebeat-8.19.0", "", 200, "", nil},
		{"PUT", "/_index_template/filebeat-8.19.0", `{"index_patterns":["filebeat-8.19.0"],"data_stream":{}}`, 200, "acknowledged", true},
		{"GET", "/_index_template", "", 200, "", nil},
		{"HEAD", "/_template/logstash", "", 200, "", nil},
		{"PUT", "/_template/logstash", `{"index_patterns":"logstash-*"}`, 200, "acknowledged", true},
		{"GET", "/_component_template/logs-settings", "", 200, "", nil},
		{"GET", "/_ilm/policy/filebeat", "", 200, "filebeat.version", 1.0},
		{"HEAD", "/_ilm/policy/logstash-policy", "", 200, "", nil},
		{"PUT", "/_ilm/policy/filebeat", `{"policy":{"phases":{}}}`, 200, "acknowledged", true},
		{"GET", "/_ilm/status", "", 200, "operation_mode", "RUNNING"},
		{"GET", "/_ingest/pipeline/filebeat-8.19.0-azure-activitylogs-pipeline", "", 200, "", nil},
		{"PUT", "/_ingest/pipeline/p1", `{"processors":[]}`, 200, "acknowledged", true},
		{"PUT", "/_data_stream/logs-azure-default", "", 200, "acknowledged", true},
		{"HEAD", "/_alias/logstash", "", 200, "", nil},
		{"HEAD", "/filebeat-8.19.0", "", 200, "", nil},
		{"GET", "/logs-x-default", "", 200, "logs-x-default.settings.index.number_of_shards", "1"},
		{"PUT", "/my-index", `{"settings":{}}`, 200, "index", "my-index"},
		{"PUT", "/%3Clogstash-%7Bnow%2Fd%7D-000001%3E", `{"aliases":{"logstash":{"is_write_index":true}}}`, 200, "index", "<logstash-{now/d}-000001>"},
		{"PUT", "/logstash-000001/_alias/logstash", "", 200, "acknowledged", true},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			var body []byte
			if tt.body != "" {
				body = []byte(tt.body)
			}
			resp, rb := do(t, tt.method, ts.URL+tt.path, body, "Content-Type", "application/json")
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, rb)
			}
			if resp.Header.Get("X-Elastic-Product") != "Elasticsearch" {
				t.Error("no X-Elastic-Product header")
			}
			if tt.method == "HEAD" {
				if len(rb) != 0 {
					t.Errorf("HEAD with a body: %s", rb)
				}
				return
			}
			var v any
			if err := json.Unmarshal(rb, &v); err != nil {
				t.Fatalf("not JSON: %s", rb)
			}
			if tt.check != "" {
				if got := field(v, tt.check); got != tt.want {
					t.Errorf("%s = %v, want %v; body %s", tt.check, got, tt.want, rb)
				}
			}
		})
	}
	if st := in.Stats(); st.Requests != int64(len(tests)) || st.Rejected != 0 {
		t.Errorf("stats = %+v", st)
	}
}

func TestUnknownEndpoints(t *testing.T) {
	ts := server(t, New(Options{}))
	for _, tt := range []struct{ method, path string }{
		{"GET", "/_search"},
		{"POST", "/logs-a/_search"},
		{"GET", "/_cat/indices"},
		{"DELETE", "/a/b/c/d"},
	} {
		resp, rb := do(t, tt.method, ts.URL+tt.path, nil)
		wantError(t, resp, rb, 400, "illegal_argument_exception",
			fmt.Sprintf("no handler found for uri [%s] and method [%s]", tt.path, tt.method))
	}

	resp, rb := do(t, "GET", ts.URL+"/_bulk", nil)
	wantError(t, resp, rb, 405, "illegal_argument_exception", "Incorrect HTTP method for uri [/_bulk] and method [GET], allowed: [POST, PUT]")
	if got := resp.Header.Get("Allow"); got != "POST, PUT" {
		t.Errorf("Allow = %q", got)
	}
	resp, rb = do(t, "DELETE", ts.URL+"/", nil)
	wantError(t, resp, rb, 405, "illegal_argument_exception", "allowed: [GET, HEAD]")
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func TestAuth(t *testing.T) {
	tests := []struct {
		name       string
		auth       httpauth.Auth
		header     string
		ok         bool
		challenges []string
	}{
		{"none configured", httpauth.Auth{}, "", true, nil},
		{"token missing", httpauth.Auth{BearerToken: "s3cret"}, "", false, []string{`Bearer realm="security"`, "ApiKey"}},
		{"token wrong", httpauth.Auth{BearerToken: "s3cret"}, "Bearer s3cre", false, nil},
		{"token right", httpauth.Auth{BearerToken: "s3cret"}, "Bearer s3cret", true, nil},
		{"token as ApiKey", httpauth.Auth{BearerToken: "aWQ6a2V5"}, "ApiKey aWQ6a2V5", true, nil},
		{"token scheme case", httpauth.Auth{BearerToken: "s3cret"}, "bearer s3cret", true, nil},
		{"api key sent encoded", httpauth.Auth{APIKeys: []httpauth.APIKey{{ID: "id", Secret: "key"}}}, "ApiKey aWQ6a2V5", true, []string{`Bearer realm="security"`, "ApiKey"}},
		{"api key revoked", httpauth.Auth{APIKeys: []httpauth.APIKey{{ID: "other", Secret: "key"}}}, "ApiKey aWQ6a2V5", false, []string{`Bearer realm="security"`, "ApiKey"}},
		{"id:key token sent encoded", httpauth.Auth{BearerToken: "id:key"}, "ApiKey aWQ6a2V5", true, nil},
		{"token, basic sent", httpauth.Auth{BearerToken: "s3cret"}, basic("s3cret", "s3cret"), false, nil},
		{"basic missing", httpauth.Auth{Username: "beat", Password: "pw"}, "", false, []string{`Basic realm="security", charset="UTF-8"`}},
		{"basic right", httpauth.Auth{Username: "beat", Password: "pw"}, basic("beat", "pw"), true, nil},
		{"basic wrong password", httpauth.Auth{Username: "beat", Password: "pw"}, basic("beat", "pW"), false, nil},
		{"basic wrong user", httpauth.Auth{Username: "beat", Password: "pw"}, basic("bea", "pw"), false, nil},
		{"basic, bearer sent", httpauth.Auth{Username: "beat", Password: "pw"}, "Bearer pw", false, nil},
		{"basic garbage", httpauth.Auth{Username: "beat", Password: "pw"}, "Basic !!!", false, nil},
		{"both, basic sent", httpauth.Auth{BearerToken: "t", Username: "beat", Password: "pw"}, basic("beat", "pw"), true, nil},
		{"both, token sent", httpauth.Auth{BearerToken: "t", Username: "beat", Password: "pw"}, "ApiKey t", true, nil},
		{"both, nothing sent", httpauth.Auth{BearerToken: "t", Username: "beat", Password: "pw"}, "", false,
			[]string{`Basic realm="security", charset="UTF-8"`, `Bearer realm="security"`, "ApiKey"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := New(Options{Auth: tt.auth})
			c := run(t, in, nil)
			ts := server(t, in)
			var hdr []string
			if tt.header != "" {
				hdr = []string{"Authorization", tt.header}
			}
			for _, req := range []struct{ method, path, body string }{
				{"GET", "/", ""},
				{"POST", "/_bulk", "{\"index\":{\"_index\":\"a\"}}\n{\"n\":1}\n"},
			} {
				resp, rb := do(t, req.method, ts.URL+req.path, []byte(req.body), hdr...)
				if tt.ok {
					if resp.StatusCode != 200 {
						t.Errorf("%s %s: status %d, want 200: %s", req.method, req.path, resp.StatusCode, rb)
					}
					continue
				}
				reason := "unable to authenticate with provided credentials for REST request [" + req.path + "]"
				if tt.header == "" {
					reason = "missing authentication credentials for REST request [" + req.path + "]"
				}
				wantError(t, resp, rb, 401, "security_exception", reason)
				got := resp.Header.Values("WWW-Authenticate")
				if len(got) == 0 {
					t.Error("401 without WWW-Authenticate")
				}
				if tt.challenges != nil && !slices.Equal(got, tt.challenges) {
					t.Errorf("WWW-Authenticate = %q, want %q", got, tt.challenges)
				}
			}
			st := in.Stats()
			_, _, acked := c.Snapshot()
			if tt.ok && (len(acked) != 1 || st.Rejected != 0) {
				t.Errorf("authorized: %d records, stats %+v", len(acked), st)
			}
			if !tt.ok && (len(acked) != 0 || st.Rejected != 2) {
				t.Errorf("refused: %d records, stats %+v", len(acked), st)
			}
		})
	}
}
