package sink

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func alerts(n, from int) []Alert {
	var out []Alert
	for i := from; i < from+n; i++ {
		id := fmt.Sprintf("a%03d", i)
		out = append(out, Alert{ID: id, RuleID: "r", Doc: json.RawMessage(fmt.Sprintf(`{"kibana.alert.uuid":%q,"pad":"%0100d"}`, id, i))})
	}
	return out
}

func noSleep(context.Context, time.Duration) error { return nil }

func TestFileRotationKeepsEveryAlertOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.ndjson")
	f, err := NewFile(FileOptions{Path: path, MaxBytes: 1000, MaxFiles: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		if err := f.Write(context.Background(), alerts(2, i*2)); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	seen := map[string]int{}
	files := []string{path, path + ".1", path + ".2", path + ".3"}
	for _, p := range files {
		fh, err := os.Open(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		st, _ := fh.Stat()
		if st.Size() > 1000 {
			t.Errorf("%s: %d bytes, over the limit", p, st.Size())
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			var doc map[string]any
			if err := json.Unmarshal(sc.Bytes(), &doc); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			seen[doc["kibana.alert.uuid"].(string)]++
		}
		fh.Close()
	}
	if _, err := os.Stat(path + ".4"); err == nil {
		t.Error("more rotated files than MaxFiles")
	}
	// 20 alerts of ~130 bytes, 7 per file at most: the 3 kept old files
	// and the current one hold the newest; older ones were dropped by
	// rotation, and none appears twice.
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s written %d times", id, n)
		}
	}
	if seen["a019"] != 1 || len(seen) < 10 {
		t.Errorf("kept %d alerts, newest present=%v", len(seen), seen["a019"] == 1)
	}
}

func TestWebhookRetriesTransientFailures(t *testing.T) {
	var calls atomic.Int32
	var mu sync.Mutex
	var got []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer t" || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if calls.Add(1) <= 3 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var docs []map[string]any
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &docs); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, docs...)
		mu.Unlock()
	}))
	defer srv.Close()
	var waits []time.Duration
	r := Retry(NewWebhook(WebhookOptions{URL: srv.URL, Headers: map[string]string{"Authorization": "Bearer t"}}),
		RetryOptions{Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }})
	if err := r.Write(context.Background(), alerts(3, 0)); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || calls.Load() != 4 || len(waits) != 3 || waits[0] < time.Second {
		t.Errorf("delivered %d, calls %d, waits %v", len(got), calls.Load(), waits)
	}
	if st := r.Stats(); st.Written != 3 || st.Failures != 3 || st.Retries != 3 {
		t.Errorf("stats %+v", st)
	}
}

func TestWebhookPermanentFailureIsNotRetried(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "no such hook", http.StatusNotFound)
	}))
	defer srv.Close()
	r := Retry(NewWebhook(WebhookOptions{URL: srv.URL}), RetryOptions{Sleep: noSleep})
	err := r.Write(context.Background(), alerts(1, 0))
	if err == nil || !IsPermanent(err) || calls.Load() != 1 {
		t.Fatalf("err %v, calls %d", err, calls.Load())
	}
}

func TestRetryStopsWithContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	r := Retry(NewWebhook(WebhookOptions{URL: srv.URL}), RetryOptions{Sleep: func(ctx context.Context, d time.Duration) error {
		n++
		if n == 5 {
			cancel()
		}
		return ctx.Err()
	}})
	if err := r.Write(ctx, alerts(1, 0)); err == nil || !errors.Is(err, context.Canceled) && n != 5 {
		t.Fatalf("err %v after %d waits", err, n)
	}
}

// failing fails its first n writes.
type failing struct {
	n     int
	calls int
	got   int
}

func (f *failing) Name() string { return "failing" }
func (f *failing) Close() error { return nil }
func (f *failing) Write(_ context.Context, as []Alert) error {
	f.calls++
	if f.calls <= f.n {
		return errors.New("down")
	}
	f.got += len(as)
	return nil
}

func TestMultiDoesNotRewriteSinksThatAccepted(t *testing.T) {
	ok, bad := &failing{}, &failing{n: 1}
	m := NewMulti(ok, bad)
	batch := alerts(2, 0)
	if err := m.Write(context.Background(), batch); err == nil {
		t.Fatal("want the failing sink's error")
	}
	if err := m.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	if ok.got != 2 || bad.got != 2 || ok.calls != 1 {
		t.Errorf("ok got %d in %d calls, bad got %d", ok.got, ok.calls, bad.got)
	}
}
