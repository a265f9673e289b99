package esclient

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/input/bulk"
	"github.com/vigil-project/vigil/internal/source"
	"github.com/vigil-project/vigil/internal/source/sourcetest"
)

// generatedID is the shape of a document id the input chose.
var generatedID = regexp.MustCompile(`^[A-Za-z0-9_-]{20}$`)

// readyIndex receives the document run posts to learn that Run is running;
// the consumer acknowledges it without recording it.
const readyIndex = "esclient-test-ready"

// consumer is the test's engine (sourcetest.Consumer) and the input's
// counters once it ran, before the test's requests.
type consumer struct {
	*sourcetest.Consumer
	base bulk.Stats
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
	c := &consumer{Consumer: &sourcetest.Consumer{Decide: decide, Skip: func(b source.Batch) bool {
		return len(b.Records) == 1 && b.Records[0].Index == readyIndex
	}}}
	sourcetest.Run(t, in, c.Consumer)
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
