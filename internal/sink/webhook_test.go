package sink

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWebhookPostsBatchAsJSONArrayWithHeaders(t *testing.T) {
	var mu sync.Mutex
	var bodies [][]json.RawMessage
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Authorization") != "Bearer s3cret" ||
			r.Header.Get("Content-Type") != "application/json" || r.Header.Get("X-Team") != "soc" {
			http.Error(w, "bad request shape", http.StatusUnauthorized)
			return
		}
		var docs []json.RawMessage
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &docs); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		bodies = append(bodies, docs)
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	w := NewWebhook(WebhookOptions{URL: srv.URL, Headers: map[string]string{"Authorization": "Bearer s3cret", "X-Team": "soc"}})
	defer w.Close()
	batch := testAlerts(3, 0)
	if err := w.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 1 || len(bodies[0]) != 3 {
		t.Fatalf("bodies %v, want one array of 3", bodies)
	}
	for i, d := range bodies[0] {
		if !jsonEqual(t, d, batch[i].Doc) {
			t.Errorf("document %d = %s, want %s", i, d, batch[i].Doc)
		}
	}
	if got, want := w.Stats(), (Stats{Written: 3}); got != want {
		t.Errorf("stats %+v, want %+v", got, want)
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return cmp.Equal(x, y)
}

func TestWebhookPerAlertSendsOnlyWhatFailed(t *testing.T) {
	srv := newHookServer(t, okStatus, status(http.StatusServiceUnavailable))
	w := NewWebhook(WebhookOptions{URL: srv.URL, PerAlert: true})
	batch := testAlerts(4, 0)
	err := w.Write(context.Background(), batch)
	var pe *PartialError
	if !errors.As(err, &pe) || !cmp.Equal(ids(pe.Pending), []string{"a0001", "a0002", "a0003"}) || IsPermanent(err) {
		t.Fatalf("err = %v, want a0001.. pending", err)
	}
	// The first request was answered 200 by the script, not recorded; the
	// Retry wrapper writes only the pending ones.
	r := Retry(w, RetryOptions{Sleep: noSleep})
	if err := r.Write(context.Background(), pe.Pending); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a0001", "a0002", "a0003"}, srv.received()); diff != "" {
		t.Errorf("received (-want +got):\n%s", diff)
	}
	if n := srv.calls.Load(); n != 5 {
		t.Errorf("%d requests, want 5", n)
	}
}

func okStatus(w http.ResponseWriter) { w.WriteHeader(http.StatusOK) }

func TestWebhookPerAlertPermanentFailures(t *testing.T) {
	// 422 is about one document: the others still go.
	srv := newHookServer(t, status(http.StatusUnprocessableEntity))
	w := NewWebhook(WebhookOptions{URL: srv.URL, PerAlert: true})
	err := w.Write(context.Background(), testAlerts(3, 0))
	var pe *PartialError
	if !errors.As(err, &pe) || !cmp.Equal(ids(pe.Rejected), []string{"a0000"}) || len(pe.Pending) != 0 {
		t.Fatalf("err = %v, want a0000 rejected", err)
	}
	if got := srv.received(); !cmp.Equal(got, []string{"a0001", "a0002"}) {
		t.Errorf("received %v", got)
	}

	// 401 is about the endpoint: one request, every alert rejected.
	srv = newHookServer(t, status(http.StatusUnauthorized), status(http.StatusUnauthorized))
	w = NewWebhook(WebhookOptions{URL: srv.URL, PerAlert: true})
	err = w.Write(context.Background(), testAlerts(3, 0))
	if !IsPermanent(err) || errors.As(err, &pe) || !strings.Contains(err.Error(), "401 Unauthorized") {
		t.Errorf("err = %v, want a permanent 401", err)
	}
	if n := srv.calls.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestWebhookNetworkErrorIsTransient(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	err := NewWebhook(WebhookOptions{URL: url}).Write(context.Background(), testAlerts(1, 0))
	if err == nil || IsPermanent(err) {
		t.Errorf("err = %v, want a transient error", err)
	}
}

func TestWebhookBadURLIsPermanentAndNameHidesPassword(t *testing.T) {
	for _, u := range []string{"ftp://example.com/x", "http://a b.example/\x7f"} {
		if err := NewWebhook(WebhookOptions{URL: u}).Write(context.Background(), testAlerts(1, 0)); !IsPermanent(err) {
			t.Errorf("%q: err = %v, want permanent", u, err)
		}
	}
	w := NewWebhook(WebhookOptions{URL: "https://bot:hunter2@hooks.example.com/x"})
	if n := w.Name(); strings.Contains(n, "hunter2") || !strings.Contains(n, "hooks.example.com/x") {
		t.Errorf("Name() = %q", n)
	}
}

func TestWebhookInvalidDocumentIsRejectedOthersSent(t *testing.T) {
	srv := newHookServer(t)
	batch := testAlerts(3, 0)
	batch[1].Doc = json.RawMessage(`[1,2]`)
	err := NewWebhook(WebhookOptions{URL: srv.URL}).Write(context.Background(), batch)
	var pe *PartialError
	if !errors.As(err, &pe) || !cmp.Equal(ids(pe.Rejected), []string{"a0001"}) || !strings.Contains(err.Error(), "not a JSON object") {
		t.Fatalf("err = %v", err)
	}
	if got := srv.received(); !cmp.Equal(got, []string{"a0000", "a0002"}) {
		t.Errorf("received %v", got)
	}
}
