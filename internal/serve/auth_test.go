package serve

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/vigil-project/vigil/internal/httpauth"
)

func testAuth() httpauth.Auth {
	return httpauth.Auth{APIKeys: []httpauth.APIKey{{ID: "beats", Secret: "k3y"}}, BearerToken: "s3cret", Username: "filebeat", Password: "pw"}
}

func basicHeader(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// TestAuthEveryEndpoint: /metrics and the ingest API share one check, with
// case-insensitive schemes, API keys sent encoded, and Elasticsearch's 401.
func TestAuthEveryEndpoint(t *testing.T) {
	ingest := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{}") })
	opts := &Options{Metrics: NewMetrics(), Ingest: ingest, Auth: testAuth()}
	ts := httptest.NewServer(opts.handler())
	defer ts.Close()
	for _, tt := range []struct {
		name, header string
		want         int
	}{
		{"nothing", "", 401},
		{"token", "Bearer s3cret", 200},
		{"token, scheme upper case", "BEARER s3cret", 200},
		{"token as apikey, lower case", "apikey s3cret", 200},
		{"token prefix", "Bearer s3cre", 401},
		{"token longer", "Bearer s3cret!", 401},
		{"api key encoded", "ApiKey " + base64.StdEncoding.EncodeToString([]byte("beats:k3y")), 200},
		{"api key unencoded", "ApiKey beats:k3y", 401},
		{"api key wrong", "ApiKey " + base64.StdEncoding.EncodeToString([]byte("beats:k3z")), 401},
		{"basic", basicHeader("filebeat", "pw"), 200},
		{"basic, wrong user right password", basicHeader("logstash", "pw"), 401},
		{"basic, right user wrong password", basicHeader("filebeat", "pW"), 401},
		{"basic, scheme lower case", "basic " + base64.StdEncoding.EncodeToString([]byte("filebeat:pw")), 200},
	} {
		for _, path := range []string{"/metrics", "/_bulk"} {
			req, _ := http.NewRequest("GET", ts.URL+path, nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("%s: %s: status %d, want %d", tt.name, path, resp.StatusCode, tt.want)
				continue
			}
			if tt.want != 401 {
				continue
			}
			var e struct {
				Error struct {
					Type      string
					RootCause []struct{ Type string } `json:"root_cause"`
				}
				Status int
			}
			if err := json.Unmarshal(body, &e); err != nil || e.Status != 401 || e.Error.Type != "security_exception" || len(e.Error.RootCause) != 1 {
				t.Errorf("%s: %s: 401 body %s (%v), want Elasticsearch's security_exception", tt.name, path, body, err)
			}
			if got := resp.Header.Get("X-Elastic-Product"); got != "Elasticsearch" {
				t.Errorf("%s: %s: X-Elastic-Product %q", tt.name, path, got)
			}
			if len(resp.Header.Values("WWW-Authenticate")) != 3 {
				t.Errorf("%s: %s: WWW-Authenticate %q, want Basic, Bearer and ApiKey", tt.name, path, resp.Header.Values("WWW-Authenticate"))
			}
		}
	}
	// /healthz needs none.
	resp, err := http.Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/healthz: %d", resp.StatusCode)
	}
}
