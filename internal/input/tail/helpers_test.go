package tail

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/source"
	"github.com/vigil-project/vigil/internal/state"
)

const deadline = 10 * time.Second

// logBuffer collects log output for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// fast returns options with short intervals, following patterns.
func fast(patterns ...string) (Options, *logBuffer) {
	logs := &logBuffer{}
	return Options{
		Name:       "test",
		Paths:      patterns,
		Poll:       10 * time.Millisecond,
		FlushDelay: 5 * time.Millisecond,
		CloseIdle:  150 * time.Millisecond,
		RetryDelay: 10 * time.Millisecond,
		Logger:     slog.New(slog.NewTextHandler(logs, nil)),
	}, logs
}

// running is a Tail whose Run is in progress.
type running struct {
	tail    *Tail
	batches chan source.Batch
	cancel  context.CancelFunc
	done    chan error
	once    sync.Once
	err     error
}

func start(t *testing.T, opts Options) *running {
	t.Helper()
	tl, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{tail: tl, batches: make(chan source.Batch), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- tl.Run(ctx, r.batches) }()
	t.Cleanup(func() {
		if err := r.stop(t); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return r
}

// stop cancels Run and waits for it to return.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.once.Do(func() {
		r.cancel()
		select {
		case r.err = <-r.done:
		case <-time.After(deadline):
			r.err = fmt.Errorf("run did not return within %v of cancellation", deadline)
		}
	})
	return r.err
}

// next returns the next batch, unacknowledged.
func (r *running) next(t *testing.T) source.Batch {
	t.Helper()
	select {
	case b := <-r.batches:
		if len(b.Records) == 0 {
			t.Fatal("empty batch")
		}
		return b
	case <-time.After(deadline):
		t.Fatalf("no batch within %v; stats %+v", deadline, r.tail.Stats())
	}
	panic("unreachable")
}

// take acknowledges batches until n records arrived and returns them.
func (r *running) take(t *testing.T, n int) []source.Record {
	t.Helper()
	var got []source.Record
	for len(got) < n {
		b := r.next(t)
		got = append(got, b.Records...)
		b.Ack(nil)
	}
	if len(got) != n {
		t.Fatalf("got %d records, want %d: %s", len(got), n, dump(got))
	}
	return got
}

// quiet fails if a batch arrives within a few poll intervals. It can only
// miss a late batch, never fail wrongly.
func (r *running) quiet(t *testing.T) {
	t.Helper()
	select {
	case b := <-r.batches:
		t.Fatalf("unexpected batch: %s", dump(b.Records))
	case <-time.After(10 * r.tail.opts.Poll):
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func dump(recs []source.Record) string {
	var b strings.Builder
	for _, r := range recs {
		fmt.Fprintf(&b, "\n  %s: %s", r.Origin, r.Data)
	}
	return b.String()
}

// data returns the records' Data as strings.
func data(recs []source.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.Data)
	}
	return out
}

func origins(recs []source.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Origin
	}
	return out
}

// doc is a small JSON line.
func doc(name string) string { return fmt.Sprintf(`{"msg":%q}`, name) }

// docs returns doc(prefix-i) for i in [from, to].
func docs(prefix string, from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, doc(fmt.Sprintf("%s-%d", prefix, i)))
	}
	return out
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func lines(ls ...string) string {
	if len(ls) == 0 {
		return ""
	}
	return strings.Join(ls, "\n") + "\n"
}

func openStore(t *testing.T, path string) *state.Store {
	t.Helper()
	s, err := state.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func tempFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
