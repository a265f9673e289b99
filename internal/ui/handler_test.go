package ui_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// The handlers without a browser: errors are pages, state changes need the
// form's token and a same-site request.
func TestHandlers(t *testing.T) {
	srv, _ := server(t, hunt(t, "", sample), "")
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/ui/alerts/nope"); code != 404 || !strings.Contains(body, "No alert has the id nope") || !strings.Contains(body, "<title>Not Found") {
		t.Errorf("an unknown alert: %d %s", code, body)
	}
	if code, body := get("/ui/alerts?from=yesterday&status=gone"); code != 200 || !strings.Contains(body, "is not of the form 2026-03-14T08:30") ||
		!strings.Contains(body, `unknown status &#34;gone&#34;`) {
		t.Errorf("a bad filter: %d, want the page with the problems named", code)
	}
	if code, body := get("/ui/alerts?after=garbage"); code != 200 || !strings.Contains(body, "bad page cursor") {
		t.Errorf("a bad cursor: %d", code)
	}
	if code, _ := get("/ui/rules/60884af6-f553-4a6c-af13-300047455491"); code != 200 {
		t.Errorf("the seed rule's page: %d", code)
	}
	if code, _ := get("/ui/nowhere"); code != 404 {
		t.Errorf("an unknown page: %d", code)
	}
	_, page := get("/ui/alerts")
	token := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(page)
	ids := regexp.MustCompile(`name="id" value="([0-9a-f]+)"`).FindAllStringSubmatch(page, -1)
	if token == nil || len(ids) != 4 {
		t.Fatalf("no token or not 4 alerts in the page")
	}
	post := func(form url.Values, site string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+"/ui/status", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if site != "" {
			req.Header.Set("Sec-Fetch-Site", site)
		}
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	good := url.Values{"csrf": {token[1]}, "id": {ids[0][1]}, "status": {"acknowledged"}, "back": {"https://evil.example/"}}
	for _, tt := range []struct {
		name string
		form url.Values
		site string
		want int
	}{
		{"no token", url.Values{"id": {ids[0][1]}, "status": {"closed"}}, "", 403},
		{"a wrong token", url.Values{"csrf": {"00"}, "id": {ids[0][1]}, "status": {"closed"}}, "", 403},
		{"cross-site", good, "cross-site", 403},
		{"an unknown status", url.Values{"csrf": {token[1]}, "id": {ids[0][1]}, "status": {"gone"}}, "", 400},
		{"no alert", url.Values{"csrf": {token[1]}, "status": {"closed"}}, "", 400},
		{"same-origin", good, "same-origin", 303},
	} {
		if got := post(tt.form, tt.site); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
	if _, body := get("/ui/alerts?status=acknowledged"); strings.Count(body, `class="pick"`) != 1 {
		t.Errorf("one alert should be acknowledged")
	}
}
