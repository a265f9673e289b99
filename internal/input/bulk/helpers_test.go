package bulk

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/source"
	"github.com/vigil-project/vigil/internal/source/sourcetest"
)

// run starts in.Run with a consumer that acknowledges each batch with what
// decide returns; both stop when the test ends, and the test fails if Run
// returned an error.
func run(t *testing.T, in *Input, decide func(source.Batch) error) *sourcetest.Consumer {
	t.Helper()
	c := &sourcetest.Consumer{Decide: decide}
	sourcetest.Run(t, in, c)
	waitRunning(t, in)
	return c
}

// hold starts in.Run with a consumer that hands every batch, unacknowledged,
// to the returned channel. cancel stops Run.
func hold(t *testing.T, in *Input) (batches <-chan source.Batch, cancel context.CancelFunc, runErr <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan source.Batch)
	errc := make(chan error, 1)
	go func() { errc <- in.Run(ctx, out) }()
	t.Cleanup(cancel)
	waitRunning(t, in)
	return out, cancel, errc
}

// waitRunning polls until Run has registered itself.
func waitRunning(t *testing.T, in *Input) {
	t.Helper()
	eventually(t, "Run to start", func() bool {
		in.mu.Lock()
		defer in.mu.Unlock()
		return in.run != nil
	})
}

// eventually polls cond until it holds, failing the test after 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func server(t *testing.T, in *Input) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(in.Handler())
	t.Cleanup(ts.Close)
	return ts
}

// do sends a request and returns the response with its body read.
func do(t *testing.T, method, url string, body []byte, header ...string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, url, err)
	}
	return resp, b
}

// esErr is Elasticsearch's error response, decoded.
type esErr struct {
	Error struct {
		RootCause []cause             `json:"root_cause"`
		Type      string              `json:"type"`
		Reason    string              `json:"reason"`
		Header    map[string][]string `json:"header"`
	} `json:"error"`
	Status int `json:"status"`
}

// wantError checks an Elasticsearch error response.
func wantError(t *testing.T, resp *http.Response, body []byte, status int, typ, reasonPart string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, status, body)
	}
	if got := resp.Header.Get("X-Elastic-Product"); got != "Elasticsearch" {
		t.Errorf("X-Elastic-Product = %q", got)
	}
	var e esErr
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	if e.Status != status || e.Error.Type != typ || !strings.Contains(e.Error.Reason, reasonPart) {
		t.Errorf("error = %d %s %q, want %d %s containing %q", e.Status, e.Error.Type, e.Error.Reason, status, typ, reasonPart)
	}
	if len(e.Error.RootCause) != 1 || e.Error.RootCause[0].Type != typ || e.Error.RootCause[0].Reason != e.Error.Reason {
		t.Errorf("root_cause = %+v", e.Error.RootCause)
	}
}

// ndjson joins lines into a bulk body.
func ndjson(lines ...string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }
