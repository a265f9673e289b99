package esclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/input/bulk"
	"github.com/vigil-project/vigil/internal/source"
)

// generatedID is the shape of a document id the input chose.
var generatedID = regexp.MustCompile(`^[A-Za-z0-9_-]{20}$`)

// readyIndex receives the document run posts to learn that Run is running;
// the consumer acknowledges it without recording it.
const readyIndex = "esclient-test-ready"

// consumer stands for the engine: it receives the batches of a running
// Input and acknowledges each with what decide returns (nil by default),
// after recording it.
type consumer struct {
	decide func(b source.Batch) error
	base   bulk.Stats // the input's counters once it ran, before the test's requests

	mu      sync.Mutex
	batches int             // batches received
	failed  int             // batches acknowledged with an error
	acked   []source.Record // records of batches acknowledged with nil
}

func (c *consumer) snapshot() (batches, failed int, acked []source.Record) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.batches, c.failed, append([]source.Record(nil), c.acked...)
}

// stats returns in's counters since run returned (the readiness document
// left out).
func (c *consumer) stats(in *bulk.Input) bulk.Stats {
	s := in.Stats()
	s.Requests -= c.base.Requests
	s.Docs -= c.base.Docs
	s.BadItems -= c.base.BadItems
	s.Rejected -= c.base.Rejected
	return s
}

// run starts in.Run with a consumer and returns once requests reach it;
// both stop when the test ends, and the test fails if Run returned an error.
func run(t *testing.T, in *bulk.Input, decide func(source.Batch) error) *consumer {
	t.Helper()
	c := &consumer{decide: decide}
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan source.Batch)
	runErr := make(chan error, 1)
	go func() { runErr <- in.Run(ctx, out) }()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case b := <-out:
				if len(b.Records) == 1 && b.Records[0].Index == readyIndex {
					b.Ack(nil)
					continue
				}
				var err error
				if c.decide != nil {
					err = c.decide(b)
				}
				c.mu.Lock()
				c.batches++
				if err != nil {
					c.failed++
				} else {
					c.acked = append(c.acked, b.Records...)
				}
				c.mu.Unlock()
				b.Ack(err)
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		if err := <-runErr; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	waitRunning(t, in)
	c.base = in.Stats()
	return c
}

// waitRunning posts a document until it is accepted: the input answers 503
// until Run has registered itself. Credentials are not needed: only inputs
// without them are run.
func waitRunning(t *testing.T, in *bulk.Input) {
	t.Helper()
	h := in.Handler()
	deadline := time.Now().Add(10 * time.Second)
	for {
		req := httptest.NewRequest(http.MethodPost, "/"+readyIndex+"/_doc", strings.NewReader(`{"ready":true}`))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		switch {
		case w.Code == http.StatusCreated:
			return
		case w.Code != http.StatusServiceUnavailable:
			t.Fatalf("readiness document: status %d: %s", w.Code, w.Body)
		case time.Now().After(deadline):
			t.Fatal("timed out waiting for Run to start")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func server(t *testing.T, in *bulk.Input) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(in.Handler())
	t.Cleanup(ts.Close)
	return ts
}
