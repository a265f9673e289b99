package httpauth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func basicHeader(user, pass string) string { return "Basic " + b64(user+":"+pass) }

func TestParseAPIKey(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    APIKey
		wantErr string
	}{
		{"beats:k3y", APIKey{ID: "beats", Secret: "k3y"}, ""},
		{"id:se:cret", APIKey{ID: "id", Secret: "se:cret"}, ""},
		{"nocolon", APIKey{}, `an API key has no colon: write it as "id:key"`},
		{b64("id:key"), APIKey{}, `base64 "encoded" form`},
		{":s3cr3t", APIKey{}, "empty id or secret"},
		{"fb-1:", APIKey{}, "empty id or secret"},
	} {
		got, err := ParseAPIKey(tt.in)
		if tt.wantErr == "" {
			if err != nil || got != tt.want {
				t.Errorf("ParseAPIKey(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ParseAPIKey(%q) error %v, want one containing %q", tt.in, err, tt.wantErr)
		}
		if err != nil && tt.in != "" && strings.Contains(err.Error(), tt.in) {
			t.Errorf("ParseAPIKey(%q): the error quotes the secret: %v", tt.in, err)
		}
	}
}

func TestCheck(t *testing.T) {
	keys := []APIKey{{ID: "fb-1", Secret: "k3y"}, {ID: "ls-1", Secret: "other"}}
	token := Auth{BearerToken: "s3cret"}
	idKeyToken := Auth{BearerToken: "legacy:t0ken"}
	preEncoded := Auth{BearerToken: b64("id:key")}
	user := Auth{Username: "beat", Password: "pw"}
	all := Auth{APIKeys: keys, BearerToken: "s3cret", Username: "beat", Password: "pw"}
	for _, tt := range []struct {
		name   string
		auth   Auth
		header string
		who    string // "-": refused
	}{
		{"none configured", Auth{}, "", ""},
		{"token missing", token, "", "-"},
		{"token right", token, "Bearer s3cret", "bearer_token"},
		{"token as ApiKey", token, "ApiKey s3cret", "bearer_token"},
		{"token scheme lower case", token, "bearer s3cret", "bearer_token"},
		{"token scheme upper case", token, "BEARER s3cret", "bearer_token"},
		{"token scheme apikey", token, "apikey s3cret", "bearer_token"},
		{"token prefix", token, "Bearer s3cre", "-"},
		{"token longer", token, "Bearer s3cret2", "-"},
		{"token empty", token, "Bearer ", "-"},
		{"token, basic sent", token, basicHeader("s3cret", "s3cret"), "-"},
		{"unknown scheme", token, "Token s3cret", "-"},
		{"id:key token verbatim", idKeyToken, "Bearer legacy:t0ken", "bearer_token"},
		{"id:key token encoded", idKeyToken, "ApiKey " + b64("legacy:t0ken"), "bearer_token"},
		{"id:key token encoded, unpadded", idKeyToken, "ApiKey " + strings.TrimRight(b64("legacy:t0ken"), "="), "bearer_token"},
		{"id:key token, wrong key", idKeyToken, "ApiKey " + b64("legacy:t0kem"), "-"},
		{"pre-encoded token", preEncoded, "ApiKey " + b64("id:key"), "bearer_token"},
		{"pre-encoded token, encoded twice", preEncoded, "ApiKey " + b64(b64("id:key")), "-"},
		{"api key", Auth{APIKeys: keys}, "ApiKey " + b64("fb-1:k3y"), "api_key fb-1"},
		{"second api key", Auth{APIKeys: keys}, "ApiKey " + b64("ls-1:other"), "api_key ls-1"},
		{"api key scheme lower case", Auth{APIKeys: keys}, "apikey " + b64("ls-1:other"), "api_key ls-1"},
		{"api key as bearer", Auth{APIKeys: keys}, "Bearer " + b64("fb-1:k3y"), "api_key fb-1"},
		{"api key, other key's secret", Auth{APIKeys: keys}, "ApiKey " + b64("fb-1:other"), "-"},
		{"api key unencoded", Auth{APIKeys: keys}, "ApiKey fb-1:k3y", "-"},
		{"api key not base64", Auth{APIKeys: keys}, "ApiKey !!!", "-"},
		{"api key as basic", Auth{APIKeys: keys}, basicHeader("fb-1", "k3y"), "-"},
		{"basic right", user, basicHeader("beat", "pw"), "user beat"},
		{"basic scheme lower case", user, "basic " + b64("beat:pw"), "user beat"},
		{"basic, right user wrong password", user, basicHeader("beat", "pW"), "-"},
		{"basic, wrong user right password", user, basicHeader("bea", "pw"), "-"},
		{"basic, password prefix", user, basicHeader("beat", "p"), "-"},
		{"basic, bearer sent", user, "Bearer pw", "-"},
		{"basic garbage", user, "Basic !!!", "-"},
		{"basic without colon", user, "Basic " + b64("beatpw"), "-"},
		{"user, empty password", Auth{Username: "u"}, basicHeader("u", ""), "user u"},
		{"user, empty bearer", Auth{Username: "u"}, "Bearer ", "-"},
		{"all, basic", all, basicHeader("beat", "pw"), "user beat"},
		{"all, token", all, "ApiKey s3cret", "bearer_token"},
		{"all, key", all, "ApiKey " + b64("fb-1:k3y"), "api_key fb-1"},
		{"all, nothing", all, "", "-"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/_bulk", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			res := tt.auth.Check(r)
			if tt.who == "-" {
				if res.OK {
					t.Fatalf("accepted as %q", res.Who)
				}
				want := "unable to authenticate with provided credentials for REST request [/_bulk]"
				if tt.header == "" {
					want = "missing authentication credentials for REST request [/_bulk]"
				}
				if res.Why != want {
					t.Errorf("why = %q, want %q", res.Why, want)
				}
				return
			}
			if !res.OK || res.Who != tt.who {
				t.Errorf("Check = %+v, want accepted as %q", res, tt.who)
			}
		})
	}
}

// TestRevokedKey: removing one shipper's key refuses that shipper and no
// other.
func TestRevokedKey(t *testing.T) {
	before := Auth{APIKeys: []APIKey{{ID: "a", Secret: "1"}, {ID: "b", Secret: "2"}}}
	after := Auth{APIKeys: []APIKey{{ID: "b", Secret: "2"}}}
	for _, tt := range []struct {
		auth Auth
		key  string
		ok   bool
	}{
		{before, "a:1", true}, {before, "b:2", true},
		{after, "a:1", false}, {after, "b:2", true},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "ApiKey "+b64(tt.key))
		if got := tt.auth.Check(r).OK; got != tt.ok {
			t.Errorf("keys %+v, sent %s: ok = %v, want %v", tt.auth.APIKeys, tt.key, got, tt.ok)
		}
	}
}

func TestEqualIgnoresLengthDifferences(t *testing.T) {
	// Unequal lengths go through the same comparison (of digests), so the
	// comparison cannot stop early on a length mismatch.
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"", "", true}, {"s3cret", "s3cret", true}, {"s3cret", "s3cre", false}, {"s", "s3cret", false}, {"", "x", false},
	} {
		if got := equal(tt.a, tt.b); got != tt.want {
			t.Errorf("equal(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}

func TestWrapRefusesLikeElasticsearch(t *testing.T) {
	var logs bytes.Buffer
	a := &Auth{APIKeys: []APIKey{{ID: "fb-1", Secret: "k3y-secret"}}, Username: "beat", Password: "pw",
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	h := a.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "in") }))

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/_bulk", nil))
	if w.Code != 401 {
		t.Fatalf("status %d", w.Code)
	}
	wantChallenges := []string{`Basic realm="security", charset="UTF-8"`, `Bearer realm="security"`, "ApiKey"}
	if diff := cmp.Diff(wantChallenges, w.Header().Values("WWW-Authenticate")); diff != "" {
		t.Errorf("WWW-Authenticate (-want +got):\n%s", diff)
	}
	if got := w.Header().Get("X-Elastic-Product"); got != "Elasticsearch" {
		t.Errorf("X-Elastic-Product = %q", got)
	}
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	reason := "missing authentication credentials for REST request [/_bulk]"
	want := map[string]any{
		"error": map[string]any{
			"root_cause": []any{map[string]any{"type": "security_exception", "reason": reason}},
			"type":       "security_exception", "reason": reason,
			"header": map[string]any{"WWW-Authenticate": []any{wantChallenges[0], wantChallenges[1], wantChallenges[2]}},
		},
		"status": float64(401),
	}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("401 body (-want +got):\n%s", diff)
	}

	w = httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/_bulk", nil)
	r.Header.Set("Authorization", "ApiKey "+b64("fb-1:k3y-secret"))
	h.ServeHTTP(w, r)
	if w.Code != 200 || w.Body.String() != "in" {
		t.Errorf("with the key: %d %s", w.Code, w.Body)
	}
	if !strings.Contains(logs.String(), "credential=\"api_key fb-1\"") {
		t.Errorf("debug log does not name the key id:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "k3y-secret") || strings.Contains(logs.String(), b64("fb-1:k3y-secret")) {
		t.Errorf("the secret is in the log:\n%s", logs.String())
	}

	// No credentials configured: the handler itself, unwrapped.
	var none *Auth
	if none.Enabled() || len(none.Challenges()) != 0 {
		t.Error("a nil Auth requires credentials")
	}
}
