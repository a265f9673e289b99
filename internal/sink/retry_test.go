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
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// hookServer is a webhook receiver that answers the first len(fails)
// requests with those statuses and then records the documents it gets.
type hookServer struct {
	*httptest.Server
	calls atomic.Int32
	mu    sync.Mutex
	got   []string // ids received with a 2xx answer
}

func newHookServer(t *testing.T, fails ...func(w http.ResponseWriter)) *hookServer {
	t.Helper()
	h := &hookServer{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(h.calls.Add(1))
		if n <= len(fails) {
			fails[n-1](w)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var docs []json.RawMessage
		if err := json.Unmarshal(body, &docs); err != nil {
			docs = []json.RawMessage{body} // one alert per request
		}
		h.mu.Lock()
		for _, d := range docs {
			h.got = append(h.got, docID(t, d))
		}
		h.mu.Unlock()
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookServer) received() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.got...)
}

func status(code int, header ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		http.Error(w, http.StatusText(code), code)
	}
}

func TestRetryDeliversAfterThreeFailures(t *testing.T) {
	now := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	srv := newHookServer(t,
		status(http.StatusServiceUnavailable, "Retry-After", "3"),
		status(http.StatusTooManyRequests, "Retry-After", now.Add(7*time.Second).Format(http.TimeFormat)),
		status(http.StatusBadGateway))
	var slept sleeps
	r := Retry(NewWebhook(WebhookOptions{URL: srv.URL}), RetryOptions{Initial: 100 * time.Millisecond,
		Now: func() time.Time { return now }, Sleep: slept.sleep})
	batch := testAlerts(3, 0)
	if err := r.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ids(batch), srv.received()); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}
	waits := slept.all()
	if len(waits) != 3 || waits[0] != 3*time.Second || waits[1] != 7*time.Second || waits[2] < 200*time.Millisecond || waits[2] > 400*time.Millisecond {
		t.Errorf("waits %v, want [3s 7s 200ms..400ms]", waits)
	}
	if got, want := r.Stats(), (Stats{Written: 3, Failures: 3, Retries: 3}); got != want {
		t.Errorf("stats %+v, want %+v", got, want)
	}
}

func TestRetryDoesNotRetryPermanentFailures(t *testing.T) {
	srv := newHookServer(t, status(http.StatusBadRequest))
	var slept sleeps
	r := Retry(NewWebhook(WebhookOptions{URL: srv.URL}), RetryOptions{Sleep: slept.sleep})
	err := r.Write(context.Background(), testAlerts(2, 0))
	if !IsPermanent(err) || !strings.Contains(err.Error(), "400 Bad Request") {
		t.Fatalf("err = %v, want a permanent 400", err)
	}
	if n := srv.calls.Load(); n != 1 || len(slept.all()) != 0 {
		t.Errorf("%d requests, %d pauses; want 1 and 0", n, len(slept.all()))
	}
	if got, want := r.Stats(), (Stats{Rejected: 2, Failures: 1}); got != want {
		t.Errorf("stats %+v, want %+v", got, want)
	}
}

func TestRetryStopsWhenContextIsCancelled(t *testing.T) {
	srv := newHookServer(t, status(502), status(502), status(502), status(502), status(502))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pauses := 0
	r := Retry(NewWebhook(WebhookOptions{URL: srv.URL}), RetryOptions{Sleep: func(ctx context.Context, d time.Duration) error {
		if pauses++; pauses == 2 {
			cancel()
		}
		return ctx.Err()
	}})
	err := r.Write(ctx, testAlerts(1, 0))
	if !errors.Is(err, context.Canceled) || IsPermanent(err) || !strings.Contains(err.Error(), "502") {
		t.Fatalf("err = %v, want a transient error wrapping context.Canceled and the last failure", err)
	}
	if n := srv.calls.Load(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	if len(srv.received()) != 0 {
		t.Error("alerts delivered by a failing server")
	}
}

func TestRetryRealSleepEndsWithContext(t *testing.T) {
	called := make(chan struct{}, 10)
	s := &scripted{name: "down"}
	for range 10 {
		s.script = append(s.script, func([]Alert) error { called <- struct{}{}; return errors.New("down") })
	}
	r := Retry(s, RetryOptions{Initial: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Write(ctx, testAlerts(1, 0)) }()
	<-called
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Write did not return after the context was cancelled")
	}
}

func TestRetryBackoffDoublesWithJitterUpToMax(t *testing.T) {
	s := &scripted{name: "flaky"}
	for range 8 {
		s.script = append(s.script, fail(errors.New("flaky")))
	}
	var slept sleeps
	r := Retry(s, RetryOptions{Initial: 100 * time.Millisecond, Max: time.Second, Sleep: slept.sleep})
	if err := r.Write(context.Background(), testAlerts(1, 0)); err != nil {
		t.Fatal(err)
	}
	waits := slept.all()
	if len(waits) != 8 {
		t.Fatalf("%d pauses, want 8", len(waits))
	}
	pause := 100 * time.Millisecond
	for i, w := range waits {
		if w < pause/2 || w > pause {
			t.Errorf("pause %d = %v, want within [%v, %v]", i, w, pause/2, pause)
		}
		pause = min(2*pause, time.Second)
	}
}

func TestRetryCapsRetryAfter(t *testing.T) {
	s := &scripted{name: "slow down", script: []func([]Alert) error{
		fail(&RetryAfterError{Err: errors.New("busy"), After: time.Hour}),
	}}
	var slept sleeps
	r := Retry(s, RetryOptions{MaxRetryAfter: time.Minute, Sleep: slept.sleep})
	if err := r.Write(context.Background(), testAlerts(1, 0)); err != nil {
		t.Fatal(err)
	}
	if w := slept.all(); len(w) != 1 || w[0] != time.Minute {
		t.Errorf("pauses %v, want [1m]", w)
	}
}

func TestRetryWritesOnlyPendingAlertsAfterPartialFailure(t *testing.T) {
	batch := testAlerts(5, 0)
	s := &scripted{name: "partial", script: []func([]Alert) error{
		func(as []Alert) error {
			return &PartialError{Pending: []Alert{as[1], as[3]}, Err: errors.New("busy"),
				Rejected: []Alert{as[4]}, Reason: Permanent(errors.New("a0004: mapping conflict"))}
		},
		func(as []Alert) error { return &PartialError{Pending: as[1:], Err: errors.New("still busy")} },
	}}
	r := Retry(s, RetryOptions{Sleep: noSleep})
	err := r.Write(context.Background(), batch)
	if !IsPermanent(err) || !strings.Contains(err.Error(), "mapping conflict") || !strings.Contains(err.Error(), "1 of 5") {
		t.Fatalf("err = %v, want the rejection of a0004", err)
	}
	var got [][]string
	for _, c := range s.received() {
		got = append(got, ids(c))
	}
	want := [][]string{ids(batch), {"a0001", "a0003"}, {"a0003"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	if got, want := r.Stats(), (Stats{Written: 4, Rejected: 1, Failures: 2, Retries: 2}); got != want {
		t.Errorf("stats %+v, want %+v", got, want)
	}
}

func TestPartialErrorIsBothTransientAndPermanent(t *testing.T) {
	as := testAlerts(3, 0)
	o := newOutcome(3)
	o.retry(as[0], context.DeadlineExceeded)
	o.reject(as[1], Permanent(errors.New("bad")))
	err := o.err()
	var pe *PartialError
	if !errors.As(err, &pe) || !errors.Is(err, context.DeadlineExceeded) || !IsPermanent(err) {
		t.Fatalf("err = %#v", err)
	}
	if len(pe.Pending) != 1 || len(pe.Rejected) != 1 {
		t.Errorf("pending %v, rejected %v", ids(pe.Pending), ids(pe.Rejected))
	}

	all := newOutcome(2)
	all.retryAll(as[:2], errors.New("down"))
	if err := all.err(); err == nil || errors.As(err, &pe) || IsPermanent(err) {
		t.Errorf("all pending: err = %#v, want the plain cause", err)
	}
	none := newOutcome(2)
	none.reject(as[0], Permanent(errors.New("x")))
	none.reject(as[1], Permanent(errors.New("y")))
	if err := none.err(); !IsPermanent(err) || errors.As(err, &pe) {
		t.Errorf("all rejected: err = %#v, want a PermanentError", err)
	}
	if err := newOutcome(2).err(); err != nil {
		t.Errorf("all accepted: err = %v", err)
	}
}

func TestRetryAfterHeader(t *testing.T) {
	date := time.Date(2026, 3, 14, 10, 0, 7, 0, time.UTC)
	cause := errors.New("busy")
	for _, tc := range []struct {
		header string
		want   *RetryAfterError
	}{
		{"", nil},
		{"5", &RetryAfterError{Err: cause, After: 5 * time.Second}},
		{" 0 ", &RetryAfterError{Err: cause}},
		{"-3", nil},
		{"soon", nil},
		{date.Format(http.TimeFormat), &RetryAfterError{Err: cause, Until: date}},
	} {
		err := withRetryAfter(cause, tc.header)
		var ra *RetryAfterError
		if !errors.As(err, &ra) {
			ra = nil
		}
		if tc.want == nil && ra != nil || tc.want != nil && (ra == nil || ra.After != tc.want.After || !ra.Until.Equal(tc.want.Until)) {
			t.Errorf("Retry-After %q: got %+v, want %+v", tc.header, ra, tc.want)
		}
		if !errors.Is(err, cause) {
			t.Errorf("Retry-After %q: the cause is lost", tc.header)
		}
	}
}

// A sink that keeps failing is reported failing, with when it began and
// why, until an attempt succeeds (serve's /healthz names it).
func TestRetryHealth(t *testing.T) {
	now := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	srv := newHookServer(t, status(http.StatusInternalServerError), status(http.StatusInternalServerError))
	var checked []Health
	var r *Retrying
	r = Retry(NewWebhook(WebhookOptions{URL: srv.URL}), RetryOptions{Now: func() time.Time { return now },
		Sleep: func(context.Context, time.Duration) error {
			checked = append(checked, r.Health())
			now = now.Add(time.Second)
			return nil
		}})
	if h := r.Health(); h.Failing {
		t.Fatalf("before any write: %+v", h)
	}
	if err := r.Write(context.Background(), testAlerts(1, 0)); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	if len(checked) != 2 || !checked[0].Failing || !checked[1].Failing || !checked[1].Since.Equal(start) ||
		!strings.Contains(checked[1].LastError, "500") {
		t.Errorf("health while failing: %+v", checked)
	}
	if h := r.Health(); h.Failing || h.LastError != "" {
		t.Errorf("health after the success: %+v", h)
	}
}
