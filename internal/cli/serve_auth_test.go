package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer the service's logger and the test share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServe runs serveWith on cfg until the test ends and returns the
// HTTP address and the log.
func startServe(t *testing.T, cfg *serveConfig) (addr string, log *lockedBuffer) {
	t.Helper()
	addr, log, _ = serveForTest(t, cfg)
	return addr, log
}

// serveForTest runs serveWith on cfg until the test ends or stop is called;
// stop returns serveWith's error, or fails the test when serve does not
// stop within 20s of the signal.
func serveForTest(t *testing.T, cfg *serveConfig) (addr string, log *lockedBuffer, stop func() error) {
	t.Helper()
	log = &lockedBuffer{}
	env := &Env{Stdout: &bytes.Buffer{}, Stderr: log, Now: time.Now}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	addrc := make(chan string, 1)
	go func() { errc <- serveWith(ctx, env, cfg, func(a string) { addrc <- a }) }()
	select {
	case addr = <-addrc:
	case err := <-errc:
		cancel()
		t.Fatalf("serve did not start: %v\n%s", err, log)
	}
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-errc:
			case <-time.After(20 * time.Second):
				t.Error("serve did not stop within 20s of SIGTERM")
			}
		})
		return err
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	return addr, log, stop
}

// loadConfigText writes text as vigil.toml in a new directory whose path
// replaces DIR in it, and loads it.
func loadConfigText(t *testing.T, text string) (*serveConfig, error) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "vigil.toml")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(text, "DIR", dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	return loadServeConfig(path)
}

// status is the status of an empty _bulk request to addr with an
// Authorization header (none when empty).
func bulkStatus(t *testing.T, addr, authorization string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", "http://"+addr+"/_bulk", strings.NewReader(`{"create":{"_index":"a"}}`+"\n"+`{"n":1}`+"\n"))
	req.Header.Set("Content-Type", "application/x-ndjson")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func apiKeyHeader(idKey string) string {
	return "ApiKey " + base64.StdEncoding.EncodeToString([]byte(idKey))
}

// TestServeAPIKeys: api_keys from the config file are accepted as
// Elasticsearch clients send them (ApiKey base64(id:key)); removing one
// revokes that shipper only; the key id is logged at debug level, the
// secret never.
func TestServeAPIKeys(t *testing.T) {
	cfg, err := loadConfigText(t, `
data_dir = "DIR"
[log]
level = "debug"
[http]
listen = "127.0.0.1:0"
api_keys = ["filebeat-1:fb-s3cret", "logstash-1:ls-s3cret"]
`)
	if err != nil {
		t.Fatal(err)
	}
	addr, log := startServe(t, cfg)
	for _, tt := range []struct {
		header string
		want   int
	}{
		{apiKeyHeader("filebeat-1:fb-s3cret"), 200},
		{apiKeyHeader("logstash-1:ls-s3cret"), 200},
		{"apikey " + apiKeyHeader("logstash-1:ls-s3cret")[len("ApiKey "):], 200},
		{apiKeyHeader("filebeat-1:ls-s3cret"), 401},
		{"ApiKey filebeat-1:fb-s3cret", 401},
		{"Bearer filebeat-1:fb-s3cret", 401},
		{"", 401},
	} {
		if got := bulkStatus(t, addr, tt.header); got != tt.want {
			t.Errorf("Authorization %q: %d, want %d", tt.header, got, tt.want)
		}
	}
	logs := log.String()
	if !strings.Contains(logs, `credential="api_key filebeat-1"`) || !strings.Contains(logs, `credential="api_key logstash-1"`) {
		t.Errorf("the log does not name the key ids:\n%s", logs)
	}
	if strings.Contains(logs, "s3cret") {
		t.Errorf("a secret is in the log:\n%s", logs)
	}

	// Filebeat's key revoked: it is refused, Logstash goes on.
	cfg.HTTP.APIKeys = []string{"logstash-1:ls-s3cret"}
	cfg.DataDir = t.TempDir()
	addr, _ = startServe(t, cfg)
	if got := bulkStatus(t, addr, apiKeyHeader("filebeat-1:fb-s3cret")); got != 401 {
		t.Errorf("revoked key: %d, want 401", got)
	}
	if got := bulkStatus(t, addr, apiKeyHeader("logstash-1:ls-s3cret")); got != 200 {
		t.Errorf("remaining key: %d, want 200", got)
	}
}

// TestServeBearerTokenIDKey: a bearer_token of the form "id:key" works as
// sent by Elasticsearch clients (encoded) and as before (verbatim), and a
// pre-encoded token as before.
func TestServeBearerTokenIDKey(t *testing.T) {
	addr, _ := startServe(t, &serveConfig{DataDir: t.TempDir(), HTTP: httpConfig{Listen: "127.0.0.1:0", BearerToken: "vigil:t0ken"}})
	for _, tt := range []struct {
		header string
		want   int
	}{
		{apiKeyHeader("vigil:t0ken"), 200},
		{"Bearer vigil:t0ken", 200},
		{"ApiKey vigil:t0ken", 200},
		{"BEARER vigil:t0ken", 200},
		{apiKeyHeader("vigil:t0kem"), 401},
	} {
		if got := bulkStatus(t, addr, tt.header); got != tt.want {
			t.Errorf("id:key token, Authorization %q: %d, want %d", tt.header, got, tt.want)
		}
	}
	encoded := base64.StdEncoding.EncodeToString([]byte("vigil:t0ken"))
	addr, _ = startServe(t, &serveConfig{DataDir: t.TempDir(), HTTP: httpConfig{Listen: "127.0.0.1:0", BearerToken: encoded}})
	if got := bulkStatus(t, addr, "ApiKey "+encoded); got != 200 {
		t.Errorf("pre-encoded token: %d, want 200", got)
	}
}

func TestServeConfigAPIKeyProblems(t *testing.T) {
	for _, tt := range []struct {
		name, http string
		want       []string
		secret     string // must not be in the error
	}{
		{"no colon", `api_keys = ["fb:ok", "n0-colon-s3cret"]`, []string{`vigil.toml: http.api_keys[1]: an API key has no colon: write it as "id:key"`}, "n0-colon-s3cret"},
		{"encoded form", `api_keys = ["` + base64.StdEncoding.EncodeToString([]byte("fb:s3cret")) + `"]`,
			[]string{`http.api_keys[0]: an API key has no colon`, `base64 "encoded" form`}, "s3cret"},
		{"empty secret", `api_keys = ["fb:"]`, []string{`http.api_keys[0]: an API key has an empty id or secret`}, ""},
		{"same id twice", `api_keys = ["fb:s3cret1", "fb:s3cret2"]`, []string{`http.api_keys[1]: the id "fb" is listed twice`}, "s3cret"},
		{"allow and credentials", "api_keys = [\"fb:s3cret\"]\nallow_unauthenticated = true", []string{"allow_unauthenticated = true and credentials"}, "s3cret"},
		{"misspelt", `api_key = ["fb:s3cret"]`, []string{`unknown key http.api_key (did you mean "api_keys"?)`}, ""},
		{"misspelt allow", `allow_unauthenticate = true`, []string{`(did you mean "allow_unauthenticated"?)`}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfigText(t, "data_dir = \"DIR\"\n[http]\nlisten = \"127.0.0.1:9200\"\n"+tt.http+"\n")
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error %q shows the secret", err)
			}
		})
	}
}

// TestServeRefusesOpenListener: a listener reachable from other machines
// without credentials is refused with what to do, unless
// allow_unauthenticated says so; loopback needs nothing.
func TestServeRefusesOpenListener(t *testing.T) {
	for _, listen := range []string{":0", "0.0.0.0:0", "[::]:0"} {
		cfg := &serveConfig{DataDir: t.TempDir(), HTTP: httpConfig{Listen: listen}}
		err := serveWith(context.Background(), &Env{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Now: time.Now}, cfg, func(string) {
			t.Errorf("%s: started", listen)
		})
		want := `http: listen = "` + listen + `" is reachable from other machines and no credentials are set: set api_keys = ["id:key"] (or bearer_token, or username and password) under [http], listen on a loopback address (127.0.0.1:9200), or, to accept anyone on purpose, set allow_unauthenticated = true under [http]`
		if err == nil || err.Error() != want {
			t.Errorf("%s: error %v\nwant %s", listen, err, want)
		}
	}

	// The command says so and fails, before touching the data directory.
	var stderr bytes.Buffer
	dataDir := filepath.Join(t.TempDir(), "state")
	code := Main([]string{"serve", "--data-dir", dataDir, "--listen", "0.0.0.0:0"}, &Env{Stdout: &bytes.Buffer{}, Stderr: &stderr, Now: time.Now})
	if code != exitFailure || !strings.Contains(stderr.String(), "allow_unauthenticated = true") {
		t.Errorf("vigil serve --listen 0.0.0.0:0: exit %d, stderr %s", code, stderr.String())
	}
	if _, err := os.Stat(dataDir); err == nil {
		t.Error("the data directory was created")
	}

	// Said explicitly: it starts, with a warning.
	_, log := startServe(t, &serveConfig{DataDir: t.TempDir(), HTTP: httpConfig{Listen: "0.0.0.0:0", AllowUnauthenticated: true}})
	if !strings.Contains(log.String(), "requires no credentials (allow_unauthenticated = true)") {
		t.Errorf("no warning:\n%s", log)
	}
	// With credentials but no TLS: it starts, with a warning.
	_, log = startServe(t, &serveConfig{DataDir: t.TempDir(), HTTP: httpConfig{Listen: "0.0.0.0:0", APIKeys: []string{"fb:k"}}})
	if !strings.Contains(log.String(), "credentials travel in clear text") {
		t.Errorf("no clear-text warning:\n%s", log)
	}
	// Loopback: neither needed nor warned about.
	_, log = startServe(t, &serveConfig{DataDir: t.TempDir(), HTTP: httpConfig{Listen: "127.0.0.1:0"}})
	if strings.Contains(log.String(), "level=WARN") {
		t.Errorf("loopback warned:\n%s", log)
	}
}

func TestLoopback(t *testing.T) {
	for listen, want := range map[string]bool{
		"127.0.0.1:9200": true, "127.1.2.3:9200": true, "[::1]:9200": true, "localhost:9200": true, "LOCALHOST:9200": true,
		":9200": false, "0.0.0.0:9200": false, "[::]:9200": false, "192.168.1.10:9200": false, "10.0.0.1:9200": false,
		"[fe80::1%eth0]:9200": false, "127.0.0.1": false, "": false,
	} {
		if got := loopback(context.Background(), listen); got != want {
			t.Errorf("loopback(%q) = %v, want %v", listen, got, want)
		}
	}
}
