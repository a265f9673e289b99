package sink

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMultiDoesNotRewriteSinksThatAccepted(t *testing.T) {
	ok := &scripted{name: "ok"}
	bad := &scripted{name: "bad", script: []func([]Alert) error{fail(errors.New("down"))}}
	m := NewMulti(ok, bad)
	batch := testAlerts(2, 0)
	err := m.Write(context.Background(), batch)
	if err == nil || !strings.Contains(err.Error(), "bad: down") || IsPermanent(err) {
		t.Fatalf("err = %v, want bad's transient failure", err)
	}
	if err := m.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	if n, m := len(ok.received()), len(bad.received()); n != 1 || m != 2 {
		t.Errorf("ok written %d times, bad %d; want 1 and 2", n, m)
	}
	// Another batch goes to both.
	if err := m.Write(context.Background(), testAlerts(2, 2)); err != nil {
		t.Fatal(err)
	}
	if n := len(ok.received()); n != 2 {
		t.Errorf("ok written %d times, want 2", n)
	}
	if got, want := m.Stats(), (Stats{Written: 4, Failures: 1, Retries: 1}); got != want {
		t.Errorf("stats %+v, want %+v", got, want)
	}
}

func TestMultiRewritesOnlyWhatASinkDidNotAccept(t *testing.T) {
	batch := testAlerts(4, 0)
	part := &scripted{name: "part", script: []func([]Alert) error{
		func(as []Alert) error { return &PartialError{Pending: as[2:], Err: errors.New("busy")} },
	}}
	m := NewMulti(&scripted{name: "ok"}, part)
	if err := m.Write(context.Background(), batch); err == nil {
		t.Fatal("want part's failure")
	}
	if err := m.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	calls := part.received()
	if len(calls) != 2 || !cmp.Equal(ids(calls[1]), []string{"a0002", "a0003"}) {
		t.Errorf("part's writes: %v", calls)
	}
}

func TestMultiErrorIsPermanentOnlyWhenNoSinkMayRecover(t *testing.T) {
	perm := func() Sink {
		return &scripted{name: "perm", script: []func([]Alert) error{fail(Permanent(errors.New("refused")))}}
	}
	trans := &scripted{name: "trans", script: []func([]Alert) error{fail(errors.New("down"))}}
	err := NewMulti(perm(), trans).Write(context.Background(), testAlerts(1, 0))
	if err == nil || IsPermanent(err) || !strings.Contains(err.Error(), "perm: refused") || !strings.Contains(err.Error(), "trans: down") {
		t.Errorf("mixed: err = %v, want a transient error naming both", err)
	}
	err = NewMulti(perm(), perm()).Write(context.Background(), testAlerts(1, 0))
	if !IsPermanent(err) {
		t.Errorf("all permanent: err = %v, want permanent", err)
	}
}

// blocking waits, in Write, until release is closed.
type blocking struct {
	scripted
	release chan struct{}
}

func (b *blocking) Write(ctx context.Context, as []Alert) error {
	select {
	case <-b.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return b.scripted.Write(ctx, as)
}

// releasing closes release when written.
type releasing struct {
	scripted
	release chan struct{}
}

func (r *releasing) Write(ctx context.Context, as []Alert) error {
	close(r.release)
	return r.scripted.Write(ctx, as)
}

func TestMultiWritesSinksConcurrently(t *testing.T) {
	release := make(chan struct{})
	slow := &blocking{scripted: scripted{name: "slow"}, release: release}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// slow comes first and waits for the second sink's Write: only a
	// concurrent Multi gets through.
	if err := NewMulti(slow, &releasing{scripted: scripted{name: "fast"}, release: release}).Write(ctx, testAlerts(1, 0)); err != nil {
		t.Fatal(err)
	}
}

func TestMultiOfRetriedSinksLosesNothing(t *testing.T) {
	srv := newHookServer(t, status(http.StatusServiceUnavailable), status(http.StatusInternalServerError), status(http.StatusBadGateway))
	path := filepath.Join(t.TempDir(), "alerts.ndjson")
	file, err := NewFile(FileOptions{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	hook := Retry(NewWebhook(WebhookOptions{URL: srv.URL}), RetryOptions{Sleep: noSleep})
	m := NewMulti(Retry(file, RetryOptions{Sleep: noSleep}), hook)
	defer m.Close()
	batch := testAlerts(5, 0)
	if err := m.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ids(batch), srv.received()); diff != "" {
		t.Errorf("webhook got (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(ids(batch), readIDs(t, path)); diff != "" {
		t.Errorf("file holds (-want +got):\n%s", diff)
	}
	if st := hook.Stats(); st.Written != 5 || st.Retries != 3 {
		t.Errorf("webhook stats %+v", st)
	}
}

func TestMultiForgetsOldBatches(t *testing.T) {
	s := &scripted{name: "down"}
	for range maxOpenBatches + 10 {
		s.script = append(s.script, fail(errors.New("down")))
	}
	m := NewMulti(s)
	for i := range maxOpenBatches + 10 {
		m.Write(context.Background(), testAlerts(1, i))
	}
	m.mu.Lock()
	open, order := len(m.open), len(m.order)
	m.mu.Unlock()
	if open != maxOpenBatches || order > 2*maxOpenBatches {
		t.Errorf("%d open batches, %d keys; want %d and at most %d", open, order, maxOpenBatches, 2*maxOpenBatches)
	}
}
