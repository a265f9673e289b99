package cli

import (
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestServeUI: serve mounts the triage UI under /ui/ behind the listener's
// credentials, and the ingest API keeps every other path (an index named
// "ui" included).
func TestServeUI(t *testing.T) {
	cfg, err := loadConfigText(t, `
data_dir = "DIR"
[http]
listen = "127.0.0.1:0"
username = "ann"
password = "s3cret"
[[sinks]]
type = "file"
path = "DIR/alerts.ndjson"
`)
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := startServe(t, cfg)
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("ann:s3cret"))
	get := func(method, path, auth, body string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/x-ndjson")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if resp, _ := get("GET", "/ui/alerts", "", ""); resp.StatusCode != 401 {
		t.Errorf("the UI without credentials: %d, want 401", resp.StatusCode)
	}
	resp, page := get("GET", "/ui/alerts", basic, "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") == "" || !strings.Contains(page, `data-live="1"`) {
		t.Errorf("the UI with credentials: %d, CSP %q, live: %v", resp.StatusCode, resp.Header.Get("Content-Security-Policy"), strings.Contains(page, `data-live="1"`))
	}
	if resp, body := get("GET", "/ui/overview", basic, ""); resp.StatusCode != 200 || !strings.Contains(body, "alerts.ndjson</td><td>ok") {
		t.Errorf("the overview lacks the sink's health: %d", resp.StatusCode)
	}
	if resp, body := get("GET", "/ui/api/total", basic, ""); resp.StatusCode != 200 || !strings.Contains(body, `"total":0`) {
		t.Errorf("/ui/api/total: %d %s", resp.StatusCode, body)
	}
	if resp, body := get("GET", "/", basic, ""); resp.StatusCode != 200 || !strings.Contains(body, "tagline") {
		t.Errorf("GET / is no longer the ingest API's: %d %s", resp.StatusCode, body)
	}
	for p, bulk := range map[string]string{
		"/_bulk":    `{"create":{"_index":"logs-a"}}` + "\n" + `{"n":1}` + "\n",
		"/ui/_bulk": `{"create":{}}` + "\n" + `{"n":1}` + "\n", // index "ui", from the path
	} {
		if resp, body := get("POST", p, basic, bulk); resp.StatusCode != 200 || !strings.Contains(body, `"errors":false`) {
			t.Errorf("POST %s: %d %s", p, resp.StatusCode, body)
		}
	}
	if resp, _ := get("POST", "/ui/status", basic, "id=x&status=closed"); resp.StatusCode != 403 {
		t.Errorf("a status change without the CSRF token: %d, want 403", resp.StatusCode)
	}
}
