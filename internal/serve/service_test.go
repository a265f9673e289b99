package serve

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/httpauth"
	"github.com/vigil-project/vigil/internal/source"
)

// feed is a source that sends the batches it is given and records acks.
type feed struct {
	batches []source.Batch
	mu      sync.Mutex
	acks    []error
	done    chan struct{}
}

func (f *feed) Name() string { return "feed" }

func (f *feed) Run(ctx context.Context, out chan<- source.Batch) error {
	for _, b := range f.batches {
		b.Ack = func(err error) {
			f.mu.Lock()
			f.acks = append(f.acks, err)
			n := len(f.acks)
			f.mu.Unlock()
			if n == len(f.batches) {
				close(f.done)
			}
		}
		select {
		case out <- b:
		case <-ctx.Done():
			return nil
		}
	}
	<-ctx.Done()
	return nil
}

func TestServiceEndToEnd(t *testing.T) {
	st := openStore(t)
	rec := &recorder{}
	m := NewMetrics()
	d := builtinDetector(t, st, rec)
	d2 := NewDetector(DetectorOptions{Store: st, Sink: rec, Now: func() time.Time { return fixedNow }, Metrics: m})
	d2.SetRules(d.Rules(), d.rules.Load().plan)
	lines := sampleLines(t)
	f := &feed{done: make(chan struct{})}
	for _, l := range lines {
		f.batches = append(f.batches, batchOf([][]byte{l}, nil))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- Run(ctx, Options{Store: st, Detector: d2, Inputs: []source.Source{f}, Sink: rec, Listener: ln,
			Metrics: m, Auth: httpauth.Auth{BearerToken: "s3cret"}, Ready: func() { close(ready) }})
	}()
	<-ready
	select {
	case <-f.done:
	case <-time.After(10 * time.Second):
		t.Fatal("batches not acknowledged")
	}
	base := "http://" + ln.Addr().String()
	get := func(path, token string) (int, string) {
		req, _ := http.NewRequest("GET", base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz", ""); code != 200 || !strings.Contains(body, `"status":"ok"`) {
		t.Errorf("/healthz: %d %s", code, body)
	}
	if code, _ := get("/metrics", ""); code != 401 {
		t.Errorf("/metrics without token: %d, want 401", code)
	}
	code, body := get("/metrics", "s3cret")
	if code != 200 || !strings.Contains(body, `vigil_events_total{input="feed"} 70`) ||
		!strings.Contains(body, `vigil_alerts_total{rule_id="60884af6-f553-4a6c-af13-300047455491",rule_name="Azure Command Execution on Virtual Machine"} 2`) {
		t.Errorf("/metrics: %d\n%s", code, body)
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("service did not stop")
	}
	for _, a := range f.acks {
		if a != nil {
			t.Errorf("ack error %v", a)
		}
	}
}
