package natsjs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigil-project/vigil/internal/source"
)

// server is a real nats-server with JetStream, started for a test.
type server struct {
	t    *testing.T
	port int
	dir  string
	cmd  *exec.Cmd
	log  bytes.Buffer
}

func startServer(t *testing.T) *server {
	t.Helper()
	if _, err := exec.LookPath("nats-server"); err != nil {
		if os.Getenv("VIGIL_REQUIRE_NATS") != "" {
			t.Fatal("nats-server not found: apt-get install nats-server")
		}
		t.Skip("nats-server not found: apt-get install nats-server to run the JetStream tests")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &server{t: t, port: port, dir: t.TempDir()}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *server) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.port) }

func (s *server) start() {
	s.t.Helper()
	s.cmd = exec.Command("nats-server", "-js", "-a", "127.0.0.1", "-p", fmt.Sprint(s.port), "-sd", s.dir)
	s.cmd.Stdout, s.cmd.Stderr = &s.log, &s.log
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if nc, err := nats.Connect(s.url()); err == nil {
			nc.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("nats-server did not start:\n%s", s.log.String())
}

func (s *server) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

func publish(t *testing.T, url string, from, to int) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "LOGS", Subjects: []string{"logs.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	for i := from; i < to; i++ {
		if _, err := js.Publish(ctx, "logs.azure", []byte(fmt.Sprintf(`{"n":%d}`, i))); err != nil {
			t.Fatal(err)
		}
	}
}

// run consumes with a new input until stop is called; ack decides each
// batch's acknowledgement. Acked records are counted in seen.
type run struct {
	cancel context.CancelFunc
	done   chan error
}

func consume(t *testing.T, url string, seen *sync.Map, acked *atomic.Int64, ack func() error) *run {
	in, err := New(Options{URL: url, Stream: "LOGS", Durable: "vigil", Index: "logs-x", MaxBatch: 50})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan source.Batch)
	r := &run{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- in.Run(ctx, out) }()
	go func() {
		for {
			select {
			case b := <-out:
				err := ack()
				if err == nil {
					for _, rec := range b.Records {
						if rec.Index != "logs-x" {
							t.Errorf("index %q", rec.Index)
						}
						v, _ := seen.LoadOrStore(string(rec.Data), new(atomic.Int32))
						v.(*atomic.Int32).Add(1)
					}
					acked.Add(int64(len(b.Records)))
				}
				b.Ack(err)
			case <-ctx.Done():
				return
			}
		}
	}()
	return r
}

func (r *run) stop(t *testing.T) {
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(10 * time.Second):
		t.Error("input did not stop")
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func count(m *sync.Map) (distinct int, dup int) {
	m.Range(func(_, v any) bool {
		distinct++
		if v.(*atomic.Int32).Load() > 1 {
			dup++
		}
		return true
	})
	return
}

func pending(t *testing.T, url string) (uint64, int) {
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	c, err := js.Consumer(context.Background(), "LOGS", "vigil")
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.NumPending, info.NumAckPending
}

func TestConsumeAckRedeliverResume(t *testing.T) {
	s := startServer(t)
	publish(t, s.url(), 0, 1000)
	var seen sync.Map
	var acked atomic.Int64
	var fails atomic.Int32
	fails.Store(2) // the first two batches fail: they must come again
	r := consume(t, s.url(), &seen, &acked, func() error {
		if fails.Add(-1) >= 0 {
			return errors.New("sink down")
		}
		return nil
	})
	waitFor(t, "1000 messages", func() bool { n, _ := count(&seen); return n == 1000 })
	r.stop(t)
	if _, dup := count(&seen); dup != 0 {
		t.Errorf("%d messages acked twice", dup)
	}
	if p, ap := pending(t, s.url()); p != 0 || ap != 0 {
		t.Errorf("pending %d, ack pending %d after all were acked", p, ap)
	}
	// A new input on the same durable resumes after what was acked.
	publish(t, s.url(), 1000, 1100)
	r = consume(t, s.url(), &seen, &acked, func() error { return nil })
	waitFor(t, "the 100 new messages", func() bool { n, _ := count(&seen); return n == 1100 })
	r.stop(t)
	if _, dup := count(&seen); dup != 0 {
		t.Errorf("%d messages delivered again after a restart", dup)
	}
}

func TestTwoReplicasShareAndServerRestart(t *testing.T) {
	s := startServer(t)
	publish(t, s.url(), 0, 500)
	var seen sync.Map
	var a, b atomic.Int64
	slow := func() error { time.Sleep(2 * time.Millisecond); return nil }
	r1 := consume(t, s.url(), &seen, &a, slow)
	r2 := consume(t, s.url(), &seen, &b, slow)
	waitFor(t, "500 messages", func() bool { n, _ := count(&seen); return n == 500 })
	if a.Load() == 0 || b.Load() == 0 {
		t.Errorf("replicas got %d and %d messages: both should share", a.Load(), b.Load())
	}
	// The server restarts mid-stream (file storage keeps the stream).
	s.stop()
	s.start()
	publish(t, s.url(), 500, 700)
	waitFor(t, "the messages after the restart", func() bool { n, _ := count(&seen); return n == 700 })
	r1.stop(t)
	r2.stop(t)
}
