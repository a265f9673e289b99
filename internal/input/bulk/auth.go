package bulk

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// Auth is the authentication the API requires. With neither a token nor a
// username set, requests need none; with both, either is accepted.
type Auth struct {
	// BearerToken is accepted as "Authorization: Bearer <token>" and as
	// "Authorization: ApiKey <token>", what Elastic Agent and Filebeat's
	// api_key send (there the token is base64 of "id:key").
	BearerToken string
	// Username and Password are required as HTTP Basic auth when Username
	// is set.
	Username, Password string
}

func (a Auth) enabled() bool { return a.BearerToken != "" || a.Username != "" }

// challenges are the WWW-Authenticate values of a 401, one per configured
// scheme, as Elasticsearch sends them.
func (a Auth) challenges() []string {
	var c []string
	if a.Username != "" {
		c = append(c, `Basic realm="security", charset="UTF-8"`)
	}
	if a.BearerToken != "" {
		c = append(c, `Bearer realm="security"`, "ApiKey")
	}
	return c
}

// check reports whether r carries valid credentials, and if not, why.
func (a Auth) check(r *http.Request) (ok bool, why string) {
	if !a.enabled() {
		return true, ""
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return false, "missing authentication credentials for REST request [" + r.URL.Path + "]"
	}
	scheme, cred, _ := strings.Cut(h, " ")
	cred = strings.TrimSpace(cred)
	switch strings.ToLower(scheme) {
	case "bearer", "apikey":
		if a.BearerToken != "" && equal(cred, a.BearerToken) {
			return true, ""
		}
	case "basic":
		user, pass, parsed := r.BasicAuth()
		if parsed && a.Username != "" {
			// Both comparisons run, whatever the first gives.
			u, p := equal(user, a.Username), equal(pass, a.Password)
			if u && p {
				return true, ""
			}
		}
	}
	return false, "unable to authenticate with provided credentials for REST request [" + r.URL.Path + "]"
}

// equal compares in constant time, lengths included (both sides are hashed
// to the same size first).
func equal(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// authorize answers 401 and returns false unless r carries valid
// credentials.
func (in *Input) authorize(w http.ResponseWriter, r *http.Request) bool {
	ok, why := in.opts.Auth.check(r)
	if ok {
		return true
	}
	cs := in.opts.Auth.challenges()
	for _, c := range cs {
		w.Header().Add("WWW-Authenticate", c)
	}
	b := newErrorBody(http.StatusUnauthorized, "security_exception", why)
	b.Error.Header = map[string][]string{"WWW-Authenticate": cs}
	writeJSON(w, http.StatusUnauthorized, b)
	return false
}
