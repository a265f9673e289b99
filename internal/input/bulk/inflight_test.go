package bulk

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/source"
)

// bigBulk is a bulk body of n documents of about size bytes each.
func bigBulk(n, size int) []byte {
	var b bytes.Buffer
	pad := strings.Repeat("x", size)
	for i := range n {
		fmt.Fprintf(&b, "{\"create\":{\"_index\":\"a\"}}\n{\"n\":%d,\"pad\":%q}\n", i, pad)
	}
	return b.Bytes()
}

// Requests held at once are bounded in bytes: while one large body waits
// for the engine, the next that would pass the bound is answered 429 with
// es_rejected_execution_exception, not read into memory; once the first is
// acknowledged, the bytes are free again (issue #15: six concurrent 95 MB
// bodies passed 3.6 GB and kept growing).
func TestInFlightBytesAnswer429(t *testing.T) {
	in := New(Options{MaxBodyBytes: 1 << 20, MaxInFlightBytes: 1 << 20})
	batches, _, _ := hold(t, in)
	ts := server(t, in)
	body := bigBulk(100, 6000) // ~600 KB: one fits, two do not

	first := make(chan int, 1)
	go func() {
		resp, _ := do(t, "POST", ts.URL+"/_bulk", body)
		first <- resp.StatusCode
	}()
	b := <-batches // the first is read and waits for the engine
	if held, reqs := in.InFlight(); held < int64(len(body)) || reqs != 1 {
		t.Errorf("in flight: %d bytes in %d requests, want the first body (%d bytes) in 1", held, reqs, len(body))
	}
	resp, rb := do(t, "POST", ts.URL+"/_bulk", body)
	wantError(t, resp, rb, http.StatusTooManyRequests, "es_rejected_execution_exception", "in-flight bound")

	b.Ack(nil)
	if code := <-first; code != http.StatusOK {
		t.Fatalf("first request: %d", code)
	}
	eventually(t, "the first request's bytes to be returned", func() bool { n, r := in.InFlight(); return n == 0 && r == 0 })
	// The same body now gets in.
	go func() { (<-batches).Ack(nil) }()
	if resp, rb := do(t, "POST", ts.URL+"/_bulk", body); resp.StatusCode != http.StatusOK {
		t.Fatalf("after the first was acknowledged: %d %s", resp.StatusCode, rb)
	}
	if s := in.Stats(); s.Busy != 1 || s.Rejected != 1 {
		t.Errorf("stats %+v, want one busy rejection", s)
	}
}

// A gzip body is bounded by what it decompresses to, as it decompresses.
func TestInFlightBytesBoundGzip(t *testing.T) {
	in := New(Options{MaxBodyBytes: 8 << 20, MaxInFlightBytes: 8 << 20})
	batches, _, _ := hold(t, in)
	ts := server(t, in)
	small := bigBulk(10, 100)
	go func() { resp, _ := do(t, "POST", ts.URL+"/_bulk", small); resp.Body.Close() }()
	b := <-batches
	defer b.Ack(nil)
	// 5 MB of documents in a few KB of gzip: with 8 MB bounds and the
	// buffer doubling as it fills, the body cannot get the room it needs
	// beside the one held.
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(bigBulk(800, 6000))
	zw.Close()
	resp, rb := do(t, "POST", ts.URL+"/_bulk", z.Bytes(), "Content-Encoding", "gzip")
	wantError(t, resp, rb, http.StatusTooManyRequests, "es_rejected_execution_exception", "in-flight bound")
}

// The number of requests held at once is bounded too.
func TestInFlightRequestsAnswer429(t *testing.T) {
	in := New(Options{MaxInFlightRequests: 2})
	batches, _, _ := hold(t, in)
	ts := server(t, in)
	done := make(chan int, 2)
	for range 2 {
		go func() {
			resp, _ := do(t, "POST", ts.URL+"/_bulk", ndjson(`{"index":{"_index":"a"}}`, `{"n":1}`))
			done <- resp.StatusCode
		}()
	}
	held := []source.Batch{<-batches, <-batches}
	resp, rb := do(t, "PUT", ts.URL+"/a/_doc/1", []byte(`{"n":1}`))
	wantError(t, resp, rb, http.StatusTooManyRequests, "es_rejected_execution_exception", "too many requests in flight")
	for _, b := range held {
		b.Ack(nil)
	}
	for range 2 {
		if code := <-done; code != http.StatusOK {
			t.Errorf("held request: %d", code)
		}
	}
}

// A request whose events the engine does not take or finish within
// AckTimeout (the engine behind, a sink failing and retried) is answered
// 429, not left waiting until the shipper gives up; its bytes stay counted
// until the engine lets go of the batch.
func TestAckTimeoutAnswers429(t *testing.T) {
	in := New(Options{AckTimeout: 50 * time.Millisecond})
	batches, _, _ := hold(t, in)
	ts := server(t, in)
	go func() {
		resp, rb := do(t, "POST", ts.URL+"/_bulk", ndjson(`{"index":{"_index":"a"}}`, `{"n":1}`))
		wantError(t, resp, rb, http.StatusTooManyRequests, "es_rejected_execution_exception", "not processed in time")
	}()
	b := <-batches // taken, never acknowledged in time
	eventually(t, "the 429", func() bool { return in.Stats().Busy == 1 })
	if n, _ := in.InFlight(); n == 0 {
		t.Errorf("the batch's bytes were returned while the engine still holds it")
	}
	b.Ack(nil)
	eventually(t, "the bytes to be returned after the late ack", func() bool { n, r := in.InFlight(); return n == 0 && r == 0 })
	// Nobody takes the next batch at all: 429 as well.
	resp, rb := do(t, "POST", ts.URL+"/_bulk", ndjson(`{"index":{"_index":"a"}}`, `{"n":2}`))
	wantError(t, resp, rb, http.StatusTooManyRequests, "es_rejected_execution_exception", "not processed in time")
}

// A body announced large but sent slowly holds only what it sent: the
// buffer grows as the bytes arrive.
func TestSlowBodyHoldsWhatItSent(t *testing.T) {
	in := New(Options{MaxBodyBytes: 64 << 20})
	hold(t, in)
	ts := server(t, in)
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /_bulk HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nContent-Length: %d\r\n\r\n", 60<<20)
	io.WriteString(conn, "{\"create\":{\"_index\":\"a\"}}\n")
	eventually(t, "the request to be admitted", func() bool { _, r := in.InFlight(); return r == 1 })
	time.Sleep(20 * time.Millisecond)
	if n, _ := in.InFlight(); n > 2<<20 {
		t.Errorf("a slow body of 60 MB announced, 27 bytes sent, holds %d bytes", n)
	}
}
