package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// runCommandBulk is a _bulk body with one event the built-in seed rule
// alerts on.
func runCommandBulk(user string) string {
	now := time.Now().UTC().Format(time.RFC3339)
	doc := `{"@timestamp":"` + now + `","event":{"dataset":"azure.activitylogs","outcome":"success"},"azure":{"activitylogs":{"operation_name":"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION"}},"user":{"name":"` + user + `"}}`
	return `{"create":{"_index":"logs-azure.activitylogs-default"}}` + "\n" + doc + "\n"
}

// deadWebhook answers every request 500 and counts them.
func deadWebhook(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "down for maintenance", http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// A sink that answers 500 must reach the shipper as back pressure (429,
// which shippers retry), be named by /healthz, and not keep serve from
// stopping (issue #15: requests hung until the client gave up, /healthz said
// ok, and SIGTERM no longer stopped serve).
func TestServeDeadSinkBackpressure(t *testing.T) {
	hook, calls := deadWebhook(t)
	cfg := &serveConfig{DataDir: t.TempDir(), Sinks: []sinkConfig{{Type: "webhook", URL: hook.URL}},
		SinkTimeout: duration{300 * time.Millisecond}, DrainTimeout: duration{time.Second},
		HTTP: httpConfig{Listen: "127.0.0.1:0", AckTimeout: duration{5 * time.Second}}}
	addr, _, stop := serveForTest(t, cfg)
	client := &http.Client{Timeout: 15 * time.Second}

	resp, err := client.Post("http://"+addr+"/_bulk", "application/x-ndjson", strings.NewReader(runCommandBulk("mallory")))
	if err != nil {
		t.Fatalf("bulk with a dead sink: %v (want a 429 answer, not a wait)", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(b), "es_rejected_execution_exception") {
		t.Fatalf("bulk with a dead sink: %d %s, want 429 es_rejected_execution_exception", resp.StatusCode, b)
	}
	if calls.Load() == 0 {
		t.Fatal("the sink was never tried")
	}

	resp, err = client.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var health struct {
		Status string
		Sinks  []struct {
			Name, Status string
			LastError    string `json:"last_error"`
		}
	}
	json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || health.Status != "degraded" || len(health.Sinks) != 1 ||
		health.Sinks[0].Status != "failing" || !strings.HasPrefix(health.Sinks[0].Name, "webhook") || !strings.Contains(health.Sinks[0].LastError, "500") {
		t.Errorf("/healthz with a dead sink: %d %+v", resp.StatusCode, health)
	}
	if err := stop(); err != nil {
		t.Errorf("serve: %v", err)
	}
}

// With a sink retried for as long as it takes (sink_timeout long), shutdown
// still ends within drain_timeout: the batch is given up unacknowledged
// (the shipper is answered, and sends it again to the next run).
func TestServeStopsWithinDrainTimeout(t *testing.T) {
	hook, calls := deadWebhook(t)
	cfg := &serveConfig{DataDir: t.TempDir(), Sinks: []sinkConfig{{Type: "webhook", URL: hook.URL}},
		SinkTimeout: duration{time.Hour}, DrainTimeout: duration{500 * time.Millisecond},
		HTTP: httpConfig{Listen: "127.0.0.1:0", AckTimeout: duration{time.Hour}}}
	addr, _, stop := serveForTest(t, cfg)
	answered := make(chan int, 1)
	go func() {
		resp, err := http.Post("http://"+addr+"/_bulk", "application/x-ndjson", strings.NewReader(runCommandBulk("mallory")))
		if err != nil {
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	deadline := time.Now().Add(10 * time.Second)
	for calls.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Errorf("serve: %v", err)
	}
	if code := <-answered; code == http.StatusOK {
		t.Errorf("the request whose alert was never delivered was answered 200")
	}
}

// A body sent slowly is cut at read_timeout instead of holding a
// connection and its buffer for ever (issue #15: 200 slowly fed bodies
// stayed open indefinitely).
func TestServeReadTimeout(t *testing.T) {
	cfg := &serveConfig{DataDir: t.TempDir(), HTTP: httpConfig{Listen: "127.0.0.1:0", ReadTimeout: duration{300 * time.Millisecond}}}
	addr, _, _ := serveForTest(t, cfg)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /_bulk HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nContent-Length: %d\r\n\r\n", 1<<20)
	io.WriteString(conn, "{\"create\":{\"_index\":\"a\"}}\n")
	conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	// The server answers the unreadable body and closes the connection.
	if _, err := io.ReadAll(conn); err != nil {
		t.Fatalf("the slow request's connection was not closed by the server: %v", err)
	}
}
