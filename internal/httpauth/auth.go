// Package httpauth is the authentication of Vigil's HTTP listeners (the
// Elasticsearch-compatible ingest API and /metrics), as Elasticsearch's
// clients and shippers speak it:
//
//   - "Authorization: ApiKey <base64(id:key)>": an API key, what Filebeat,
//     Logstash and Elastic Agent send for api_key: "id:key", the Python
//     client for api_key=(id, key) and the JavaScript client for
//     apiKey: {id, api_key}.
//   - "Authorization: Bearer <token>" (or "ApiKey <token>"): a shared token,
//     compared as sent.
//   - "Authorization: Basic ...": a user name and password.
//
// Schemes are case-insensitive. Every comparison takes the same time
// whatever the lengths and contents compared, and a Basic user name and
// password are both compared whichever is wrong. A refusal is
// Elasticsearch's 401: a security_exception body and one WWW-Authenticate
// challenge per configured scheme.
package httpauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
)

// APIKey is an Elasticsearch-style API key: the id it is known by (logged)
// and its secret (never logged).
type APIKey struct {
	ID, Secret string
}

// ParseAPIKey reads "id:key", the form Filebeat's api_key takes. The id is
// what precedes the first colon; neither part may be empty. Errors never
// quote s, which holds a secret.
func ParseAPIKey(s string) (APIKey, error) {
	id, secret, ok := strings.Cut(s, ":")
	if !ok {
		hint := ""
		if dec, err := decode(s); err == nil && strings.Contains(string(dec), ":") {
			hint = ` (it looks like the base64 "encoded" form: write it decoded, the output of: echo KEY | base64 -d)`
		}
		return APIKey{}, fmt.Errorf(`an API key has no colon: write it as "id:key"%s`, hint)
	}
	if id == "" || secret == "" {
		return APIKey{}, fmt.Errorf(`an API key has an empty id or secret: write it as "id:key"`)
	}
	return APIKey{ID: id, Secret: secret}, nil
}

// Auth is what a listener requires. With no API key, token or user name,
// it requires nothing; with several, any one of them is accepted.
type Auth struct {
	// APIKeys are accepted as "ApiKey <base64(id:secret)>" (or with the
	// Bearer scheme), padded or not.
	APIKeys []APIKey
	// BearerToken is accepted verbatim after "Bearer " or "ApiKey ". A
	// token of the form "id:key" is also an API key, so that it works both
	// as sent by curl (Bearer id:key) and by Elasticsearch clients.
	BearerToken string
	// Username and Password are required as Basic auth when Username is set.
	Username, Password string
	// Logger, when set, gets a debug line per request: which credential
	// (API key id, "bearer_token" or user name) was accepted, or why the
	// request was refused. Secrets are never logged.
	Logger *slog.Logger
}

// Enabled reports whether a credential is required.
func (a *Auth) Enabled() bool {
	return a != nil && (len(a.APIKeys) > 0 || a.BearerToken != "" || a.Username != "")
}

// Challenges are the WWW-Authenticate values of a 401, one per configured
// scheme, as Elasticsearch sends them.
func (a *Auth) Challenges() []string {
	var c []string
	if !a.Enabled() {
		return c
	}
	if a.Username != "" {
		c = append(c, `Basic realm="security", charset="UTF-8"`)
	}
	if a.BearerToken != "" || len(a.APIKeys) > 0 {
		c = append(c, `Bearer realm="security"`, "ApiKey")
	}
	return c
}

// Result is the outcome of Check.
type Result struct {
	OK bool
	// Who names the credential accepted: "api_key <id>", "bearer_token"
	// or "user <name>"; empty when refused or when none is required.
	Who string
	// Why is Elasticsearch's reason for a refusal.
	Why string
}

// Check reports whether r carries valid credentials.
func (a *Auth) Check(r *http.Request) Result {
	if !a.Enabled() {
		return Result{OK: true}
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return Result{Why: "missing authentication credentials for REST request [" + r.URL.Path + "]"}
	}
	scheme, cred, _ := strings.Cut(h, " ")
	cred = strings.TrimSpace(cred)
	switch strings.ToLower(scheme) {
	case "bearer", "apikey":
		if who := a.token(cred); who != "" {
			return Result{OK: true, Who: who}
		}
	case "basic":
		user, pass, parsed := basic(cred)
		if parsed && a.Username != "" {
			// Both comparisons run, whatever the first gives.
			u, p := equal(user, a.Username), equal(pass, a.Password)
			if u && p {
				return Result{OK: true, Who: "user " + a.Username}
			}
		}
	}
	return Result{Why: "unable to authenticate with provided credentials for REST request [" + r.URL.Path + "]"}
}

// token matches the credential of a Bearer or ApiKey header: verbatim
// against the bearer token, and decoded against every API key (and the
// bearer token when it is "id:key"). Every comparison runs.
func (a *Auth) token(cred string) (who string) {
	if cred == "" {
		return ""
	}
	decoded, err := decode(cred)
	if err != nil {
		decoded = nil // compared all the same, and matches nothing configured
	}
	if a.BearerToken != "" {
		verbatim := equal(cred, a.BearerToken)
		asKey := strings.Contains(a.BearerToken, ":") && equal(string(decoded), a.BearerToken)
		if verbatim || asKey {
			who = "bearer_token"
		}
	}
	for _, k := range a.APIKeys {
		if equal(string(decoded), k.ID+":"+k.Secret) && who == "" {
			who = "api_key " + k.ID
		}
	}
	return who
}

// decode reads base64, padded or not.
func decode(s string) ([]byte, error) {
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// basic reads the credential of a Basic header.
func basic(cred string) (user, pass string, ok bool) {
	b, err := base64.StdEncoding.DecodeString(cred)
	if err != nil {
		return "", "", false
	}
	user, pass, ok = strings.Cut(string(b), ":")
	return user, pass, ok
}

// equal compares in constant time, lengths included: both sides are hashed
// to the same size first.
func equal(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// Authorize lets r through when it carries valid credentials; otherwise it
// answers Elasticsearch's 401 and returns false.
func (a *Auth) Authorize(w http.ResponseWriter, r *http.Request) bool {
	res := a.Check(r)
	if res.OK {
		if res.Who != "" && a.Logger != nil {
			a.Logger.Debug("authenticated", "credential", res.Who, "path", r.URL.Path, "remote", r.RemoteAddr)
		}
		return true
	}
	if a.Logger != nil {
		a.Logger.Debug("request refused", "reason", res.Why, "remote", r.RemoteAddr)
	}
	cs := a.Challenges()
	for _, c := range cs {
		w.Header().Add("WWW-Authenticate", c)
	}
	writeRefusal(w, res.Why, cs)
	return false
}

// Wrap requires valid credentials on h.
func (a *Auth) Wrap(h http.Handler) http.Handler {
	if !a.Enabled() {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.Authorize(w, r) {
			h.ServeHTTP(w, r)
		}
	})
}

// refusal is Elasticsearch's 401 body.
type refusal struct {
	Error struct {
		RootCause []cause             `json:"root_cause"`
		Type      string              `json:"type"`
		Reason    string              `json:"reason"`
		Header    map[string][]string `json:"header"`
	} `json:"error"`
	Status int `json:"status"`
}

type cause struct {
	Type   string `json:"type"`
	Reason string `json:"reason"`
}

func writeRefusal(w http.ResponseWriter, why string, challenges []string) {
	var b refusal
	b.Status = http.StatusUnauthorized
	b.Error.RootCause = []cause{{Type: "security_exception", Reason: why}}
	b.Error.Type, b.Error.Reason = "security_exception", why
	b.Error.Header = map[string][]string{"WWW-Authenticate": challenges}
	body, _ := json.Marshal(b) // strings and slices only: cannot fail
	h := w.Header()
	h.Set("X-Elastic-Product", "Elasticsearch")
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write(body)
}
