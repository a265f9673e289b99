package bulk

import (
	"fmt"
	"net/http"
	"sync"
)

// inFlight bounds what the API holds at once: request bodies being read,
// waiting for the engine or being processed, in bytes and in requests. A
// request past either bound is answered 429 with Elasticsearch's
// es_rejected_execution_exception, which every shipper retries with
// backoff (Elasticsearch's indexing pressure limit answers the same way);
// the API never grows instead.
type inFlight struct {
	maxBytes int64
	maxReqs  int

	mu    sync.Mutex
	bytes int64
	reqs  int
}

// lease is one request's share of the bounds: its body's bytes (grown as
// the body is read) and one request. It is returned when its last holder
// lets go: the handler, and the engine when the request's batch was handed
// to it (the batch aliases the body until it is acknowledged).
type lease struct {
	f     *inFlight
	mu    sync.Mutex
	bytes int64
	refs  int
}

// admit takes a request slot, or returns nil when every slot is taken.
func (f *inFlight) admit() *lease {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.reqs >= f.maxReqs {
		return nil
	}
	f.reqs++
	return &lease{f: f, refs: 1}
}

// grow adds n bytes to the lease, or reports false (taking nothing) when
// that would pass the byte bound.
func (l *lease) grow(n int64) bool {
	f := l.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.bytes+n > f.maxBytes {
		return false
	}
	f.bytes += n
	l.mu.Lock()
	l.bytes += n
	l.mu.Unlock()
	return true
}

// hold adds a holder: the engine, given the request's batch.
func (l *lease) hold() {
	l.mu.Lock()
	l.refs++
	l.mu.Unlock()
}

// release lets go of one hold; the last one returns the bytes and the slot.
func (l *lease) release() {
	l.mu.Lock()
	l.refs--
	last := l.refs == 0
	n := l.bytes
	l.mu.Unlock()
	if !last {
		return
	}
	l.f.mu.Lock()
	l.f.bytes -= n
	l.f.reqs--
	l.f.mu.Unlock()
}

// usage returns the bytes and requests held now.
func (f *inFlight) usage() (int64, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bytes, f.reqs
}

// reject answers 429 as Elasticsearch does when indexing pressure is too
// high, and counts the request.
func (in *Input) reject(w http.ResponseWriter, r *http.Request, why string) {
	in.rejected.Add(1)
	in.busy.Add(1)
	bytes, reqs := in.inflight.usage()
	in.log.Warn("ingest request answered 429; the shipper will send it again", "remote", r.RemoteAddr,
		"why", why, "in_flight_bytes", bytes, "in_flight_requests", reqs)
	writeError(w, http.StatusTooManyRequests, "es_rejected_execution_exception",
		fmt.Sprintf("rejected execution of bulk request: %s [in_flight_bytes=%d, max_in_flight_bytes=%d, in_flight_requests=%d, max_in_flight_requests=%d]; send it again later",
			why, bytes, in.inflight.maxBytes, reqs, in.inflight.maxReqs))
}
