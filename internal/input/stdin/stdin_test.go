package stdin

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vigil-project/vigil/internal/source"
)

const deadline = 10 * time.Second

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

type running struct {
	in      *Stdin
	batches chan source.Batch
	cancel  context.CancelFunc
	done    chan struct{} // closed when Run returned, with err set
	err     error
}

// start runs a Stdin over r; the FlushDelay is long unless set, so that
// batches are cut by size or by the end of the input only.
func start(t *testing.T, opts Options) (*running, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	opts.Logger = slog.New(slog.NewTextHandler(logs, nil))
	if opts.FlushDelay == 0 {
		opts.FlushDelay = time.Hour
	}
	if opts.RetryDelay == 0 {
		opts.RetryDelay = 5 * time.Millisecond
	}
	in, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{in: in, batches: make(chan source.Batch), cancel: cancel, done: make(chan struct{})}
	go func() {
		r.err = in.Run(ctx, r.batches)
		close(r.done)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(deadline):
			t.Error("Run did not return after cancellation")
		}
	})
	return r, logs
}

func (r *running) next(t *testing.T) source.Batch {
	t.Helper()
	select {
	case b := <-r.batches:
		return b
	case <-r.done:
		t.Fatalf("Run returned %v while a batch was expected", r.err)
	case <-time.After(deadline):
		t.Fatal("no batch")
	}
	panic("unreachable")
}

// result waits for Run's result.
func (r *running) result(t *testing.T) error {
	t.Helper()
	select {
	case b := <-r.batches:
		t.Fatalf("unexpected batch: %v", origins(b.Records))
	case <-r.done:
		return r.err
	case <-time.After(deadline):
		t.Fatal("Run did not return")
	}
	panic("unreachable")
}

func data(recs []source.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, string(r.Data))
	}
	return out
}

func origins(recs []source.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.Origin)
	}
	return out
}

func docs(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf(`{"n":%d}`, i))
	}
	return out
}

func nd(ls []string) string { return strings.Join(ls, "\n") + "\n" }

func write(t *testing.T, w io.Writer, s string) {
	t.Helper()
	if _, err := io.WriteString(w, s); err != nil {
		t.Fatal(err)
	}
}

func TestBatchesInOrderAndEndsAfterTheLastAck(t *testing.T) {
	pr, pw := io.Pipe()
	r, _ := start(t, Options{Reader: pr, BatchLines: 3, Index: "logs-x"})
	go func() {
		pw.Write([]byte(nd(docs(1, 7))))
		pw.Close()
	}()
	var got []source.Record
	for _, want := range []int{3, 3, 1} {
		b := r.next(t)
		if len(b.Records) != want {
			t.Fatalf("batch of %d, want %d: %v", len(b.Records), want, origins(b.Records))
		}
		got = append(got, b.Records...)
		if len(got) == 7 {
			select {
			case <-r.done:
				t.Fatalf("Run returned (%v) before the last batch was acknowledged", r.err)
			case <-time.After(20 * time.Millisecond):
			}
		}
		b.Ack(nil)
	}
	if err := r.result(t); err != nil {
		t.Fatalf("Run = %v, want nil at the end of the input", err)
	}
	if diff := cmp.Diff(docs(1, 7), data(got)); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	if got[6].Origin != "stdin line 7" || got[6].Index != "logs-x" {
		t.Errorf("last record = %+v", got[6])
	}
	if s := r.in.Stats(); s.Lines != 7 || s.Gzip {
		t.Errorf("stats = %+v", s)
	}
}

func TestFlushDelaySendsAPartialBatch(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	r, _ := start(t, Options{Reader: pr, FlushDelay: 10 * time.Millisecond})
	write(t, pw, nd(docs(1, 2)))
	b := r.next(t)
	if diff := cmp.Diff(docs(1, 2), data(b.Records)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	b.Ack(nil)
	write(t, pw, nd(docs(3, 3)))
	if b := r.next(t); b.Records[0].Origin != "stdin line 3" {
		t.Fatalf("got %v", origins(b.Records))
	}
}

func TestLineShapes(t *testing.T) {
	pr, pw := io.Pipe()
	r, logs := start(t, Options{Reader: pr, MaxLineBytes: 16, Name: "pipe"})
	go func() {
		for _, part := range []string{`{"a":1}` + "\r\n", "\n", "   \n", strings.Repeat("x", 10), strings.Repeat("x", 10), "\n", `{"b":`, `2}`, "\n", `{"c":3}`} {
			pw.Write([]byte(part))
		}
		pw.Close()
	}()
	var got []source.Record
	for len(got) < 3 {
		b := r.next(t)
		got = append(got, b.Records...)
		b.Ack(nil)
	}
	if err := r.result(t); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{`{"a":1}`, `{"b":2}`, `{"c":3}`}, data(got)); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"pipe line 1", "pipe line 5", "pipe line 6"}, origins(got)); diff != "" {
		t.Errorf("origins (-want +got):\n%s", diff)
	}
	if s := r.in.Stats(); s.TooLong != 1 {
		t.Errorf("too long = %d, want 1", s.TooLong)
	}
	if !strings.Contains(logs.String(), "pipe line 4") || !strings.Contains(logs.String(), "bytes=20") {
		t.Errorf("the skipped line is not reported:\n%s", logs)
	}
}

func TestGzipIsDetected(t *testing.T) {
	var buf bytes.Buffer
	for _, part := range []string{nd(docs(1, 2)), nd(docs(3, 4))} { // two members
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte(part))
		zw.Close()
	}
	pr, pw := io.Pipe()
	r, _ := start(t, Options{Reader: pr})
	go func() {
		for _, c := range bytes.SplitAfter(buf.Bytes(), []byte{0}) { // in pieces
			pw.Write(c)
		}
		pw.Close()
	}()
	b := r.next(t)
	b.Ack(nil)
	if err := r.result(t); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(docs(1, 4), data(b.Records)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !r.in.Stats().Gzip {
		t.Error("gzip not reported in stats")
	}
}

func TestTruncatedGzipIsAnError(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(nd(docs(1, 200)) + `{"partial"`))
	zw.Close()
	cut := buf.Bytes()[:buf.Len()-12] // the trailer and some data lost
	r, _ := start(t, Options{Reader: bytes.NewReader(cut)})
	var got []source.Record
	var err error
	for err == nil {
		select {
		case b := <-r.batches:
			got = append(got, b.Records...)
			b.Ack(nil)
			continue
		case <-r.done:
			err = r.err
		case <-time.After(deadline):
			t.Fatal("Run did not return")
		}
		break
	}
	if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("Run = %v, want an unexpected EOF", err)
	}
	if len(got) == 0 {
		t.Fatal("no line delivered before the error")
	}
	if diff := cmp.Diff(docs(1, len(got)), data(got)); diff != "" {
		t.Errorf("want complete lines only, in order (-want +got):\n%s", diff)
	}
	if !strings.Contains(err.Error(), "dropped") {
		t.Errorf("error does not say the partial line was dropped: %v", err)
	}
}

type failing struct {
	data []byte
	err  error
}

func (f *failing) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestReadErrorEndsRunAfterTheLinesBefore(t *testing.T) {
	boom := errors.New("boom")
	r, _ := start(t, Options{Reader: &failing{data: []byte(nd(docs(1, 2))), err: boom}})
	b := r.next(t)
	b.Ack(nil)
	if err := r.result(t); !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want boom", err)
	}
	if diff := cmp.Diff(docs(1, 2), data(b.Records)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestAckErrorRedelivers(t *testing.T) {
	r, logs := start(t, Options{Reader: strings.NewReader(nd(docs(1, 2)))})
	first := r.next(t)
	first.Ack(errors.New("sink down"))
	again := r.next(t)
	if diff := cmp.Diff(origins(first.Records), origins(again.Records)); diff != "" {
		t.Fatalf("redelivery differs (-first +again):\n%s", diff)
	}
	if diff := cmp.Diff(data(first.Records), data(again.Records)); diff != "" {
		t.Fatalf("redelivery differs (-first +again):\n%s", diff)
	}
	again.Ack(nil)
	if err := r.result(t); err != nil {
		t.Fatal(err)
	}
	if s := r.in.Stats(); s.Redeliveries != 1 || s.Lines != 2 {
		t.Errorf("stats = %+v", s)
	}
	if !strings.Contains(logs.String(), "sink down") {
		t.Errorf("not logged:\n%s", logs)
	}
}

func TestCancelWhileReadBlocks(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close() // ends the blocked Read
	r, _ := start(t, Options{Reader: pr})
	r.cancel()
	if err := r.result(t); err != nil {
		t.Fatalf("Run = %v, want nil on cancellation", err)
	}
}

func TestEmptyInput(t *testing.T) {
	r, _ := start(t, Options{Reader: strings.NewReader("")})
	if err := r.result(t); err != nil {
		t.Fatal(err)
	}
}

func TestRunOnce(t *testing.T) {
	r, _ := start(t, Options{Reader: strings.NewReader("")})
	if err := r.result(t); err != nil {
		t.Fatal(err)
	}
	if err := r.in.Run(context.Background(), nil); err == nil {
		t.Error("second Run did not fail")
	}
}

func TestNewDefaults(t *testing.T) {
	in, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if in.Name() != "stdin" || in.opts.BatchLines != DefaultBatchLines || in.opts.MaxLineBytes != DefaultMaxLineBytes {
		t.Errorf("defaults not applied: %+v", in.opts)
	}
	if _, err := New(Options{BatchLines: -1}); err == nil {
		t.Error("negative BatchLines accepted")
	}
}
