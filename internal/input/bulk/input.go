package bulk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-project/vigil/internal/httpauth"
	"github.com/vigil-project/vigil/internal/source"
)

// Options configure the ingest API. The zero value is usable.
type Options struct {
	// Name identifies the input in logs and metrics (default "bulk").
	Name string
	// MaxBodyBytes bounds a request body, before and after gzip
	// decompression; larger requests get 413 (default 100 MiB).
	MaxBodyBytes int64
	// DefaultIndex is the index of documents whose action and URL name none.
	// When empty such documents are refused, as Elasticsearch refuses them.
	DefaultIndex string
	// Version is the Elasticsearch version the API claims to be (default
	// "8.19.0"). Shippers check it: Logstash and the Beats need 8.x to use
	// data streams and create actions.
	Version string
	// MaxInFlightBytes bounds the request bodies held at once (being read,
	// waiting for the engine, or processed until acknowledged), and
	// MaxInFlightRequests the requests: past either a request is answered
	// 429 es_rejected_execution_exception, which shippers retry with
	// backoff (defaults: 256 MiB, at least MaxBodyBytes; 256 requests).
	MaxInFlightBytes    int64
	MaxInFlightRequests int
	// AckTimeout bounds how long a request waits for the engine to process
	// its events (take them, evaluate them, store their alerts): past it
	// the request is answered 429, and the shipper sends it again, when
	// the engine is behind or a sink is failing (default 30s). Events the
	// engine finishes later are not lost, and alert ids being
	// deterministic, the shipper's retry raises no second alert.
	AckTimeout time.Duration
	// Auth, when enabled, is required on every request; a refusal is
	// counted as rejected. (`vigil serve` guards its whole listener with
	// the same httpauth.Auth instead, /metrics included.)
	Auth httpauth.Auth
	// Logger receives warnings about refused items and requests (default:
	// nothing is logged).
	Logger *slog.Logger
	// Now reads the clock, for the took field and dates in probe answers
	// (default time.Now).
	Now func() time.Time
}

const (
	defaultMaxInFlight     = 256 << 20
	defaultMaxInFlightReqs = 256
	defaultAckTimeout      = 30 * time.Second
	defaultMaxBody         = 100 << 20
	defaultVersion         = "8.19.0"
)

// Stats are the counters of an Input since New.
type Stats struct {
	Requests int64 // HTTP requests received, startup probes included
	Docs     int64 // documents delivered and acknowledged (answered "created")
	BadItems int64 // bulk items refused: malformed lines, bad documents, delete and update
	// Rejected counts requests refused as a whole: failed authentication, a
	// body too large or unreadable, the input not running, a failed
	// acknowledgement, the client gone before the answer.
	Rejected int64
	// Busy counts the requests among Rejected answered 429: past the
	// in-flight bounds, or not processed within AckTimeout.
	Busy int64
	// LastBadItem says where and what the latest refused item was, e.g.
	// "bulk 10.1.2.3:51234 line 7: the document is a JSON array, not an object".
	LastBadItem string
}

// Input is the ingest API: an http.Handler (Handler) and a source.Source
// (Name, Run). Requests are answered 503 while Run is not running.
type Input struct {
	opts Options
	log  *slog.Logger

	mu  sync.Mutex
	run *running // nil unless Run is running

	inflight inFlight

	seq                                      atomic.Int64 // _seq_no of the next created document
	requests, docs, badItems, rejected, busy atomic.Int64
	lastBad                                  atomic.Pointer[string]
}

// running is what a handler needs to hand a batch to Run's consumer.
type running struct {
	ctx context.Context
	out chan<- source.Batch
}

var _ source.Source = (*Input)(nil)

// New returns the ingest API described by opts.
func New(opts Options) *Input {
	if opts.Name == "" {
		opts.Name = "bulk"
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = defaultMaxBody
	}
	if opts.Version == "" {
		opts.Version = defaultVersion
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxInFlightBytes <= 0 {
		opts.MaxInFlightBytes = defaultMaxInFlight
	}
	// A body of the largest size must be able to get in.
	opts.MaxInFlightBytes = max(opts.MaxInFlightBytes, opts.MaxBodyBytes+1)
	if opts.MaxInFlightRequests <= 0 {
		opts.MaxInFlightRequests = defaultMaxInFlightReqs
	}
	if opts.AckTimeout <= 0 {
		opts.AckTimeout = defaultAckTimeout
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Input{opts: opts, log: log.With("input", opts.Name),
		inflight: inFlight{maxBytes: opts.MaxInFlightBytes, maxReqs: opts.MaxInFlightRequests}}
}

// Name identifies the input.
func (in *Input) Name() string { return in.opts.Name }

// Handler returns the HTTP handler of the API, to mount at the root of a
// server.
func (in *Input) Handler() http.Handler { return http.HandlerFunc(in.serveHTTP) }

// Stats returns the counters so far.
func (in *Input) Stats() Stats {
	s := Stats{
		Requests: in.requests.Load(),
		Docs:     in.docs.Load(),
		BadItems: in.badItems.Load(),
		Rejected: in.rejected.Load(),
		Busy:     in.busy.Load(),
	}
	if p := in.lastBad.Load(); p != nil {
		s.LastBadItem = *p
	}
	return s
}

// Run sends one batch per ingest request to out until ctx is done, then
// returns nil. Requests still waiting for an acknowledgement when ctx ends
// are answered 503. Only one Run may run at a time.
func (in *Input) Run(ctx context.Context, out chan<- source.Batch) error {
	in.mu.Lock()
	if in.run != nil {
		in.mu.Unlock()
		return fmt.Errorf("ingest input %s: already running", in.opts.Name)
	}
	in.run = &running{ctx: ctx, out: out}
	in.mu.Unlock()

	<-ctx.Done()

	in.mu.Lock()
	in.run = nil
	in.mu.Unlock()
	return nil
}

// InFlight returns the request bytes and requests held now.
func (in *Input) InFlight() (bytes int64, requests int) { return in.inflight.usage() }

// admit takes a request's slot within the in-flight bounds, or answers 429
// and returns nil.
func (in *Input) admit(w http.ResponseWriter, r *http.Request) *lease {
	l := in.inflight.admit()
	if l == nil {
		in.reject(w, r, "too many requests in flight")
	}
	return l
}

var (
	errNotRunning = errors.New("the ingest input is not running")
	errStopping   = errors.New("vigil is shutting down")
	errBehind     = errors.New("the events were not processed in time")
)

// ackError is a failed acknowledgement: the consumer could not store the
// alerts of the batch.
type ackError struct{ err error }

func (e *ackError) Error() string { return "events not processed: " + e.err.Error() }
func (e *ackError) Unwrap() error { return e.err }

// deliver hands recs to Run's consumer as one batch and waits for its
// acknowledgement, AckTimeout at most. It returns ctx's error when the
// client went away first, errNotRunning or errStopping when Run is not (or
// no longer) running, errBehind past AckTimeout, or an *ackError. It never
// blocks past these: a late Ack lands in a buffered channel nobody reads.
// The batch holds l (its records alias the body) until it is acknowledged.
func (in *Input) deliver(ctx context.Context, l *lease, recs []source.Record) error {
	in.mu.Lock()
	rs := in.run
	in.mu.Unlock()
	if rs == nil {
		return errNotRunning
	}
	acked := make(chan error, 1)
	var once sync.Once
	b := source.Batch{Records: recs, Ack: func(err error) {
		once.Do(func() {
			acked <- err
			l.release()
		})
	}}
	timer := time.NewTimer(in.opts.AckTimeout)
	defer timer.Stop()
	l.hold()
	select {
	case rs.out <- b:
	case <-rs.ctx.Done():
		l.release()
		return errStopping
	case <-ctx.Done():
		l.release()
		return ctx.Err()
	case <-timer.C:
		l.release()
		return errBehind
	}
	select {
	case err := <-acked:
		if err != nil {
			return &ackError{err}
		}
		return nil
	case <-rs.ctx.Done():
		return errStopping
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return errBehind
	}
}

// answerUndelivered answers a request whose batch was not acknowledged with
// nil, and counts it.
func (in *Input) answerUndelivered(w http.ResponseWriter, r *http.Request, n int, err error) {
	if r.Context().Err() != nil {
		in.rejected.Add(1)
		in.log.Warn("ingest client went away before its events were processed; it should send them again",
			"remote", r.RemoteAddr, "docs", n)
		return
	}
	var ae *ackError
	if errors.Is(err, errBehind) || errors.As(err, &ae) {
		// The engine is behind or could not deliver alerts (a failing
		// sink): back pressure, which shippers retry with backoff.
		in.reject(w, r, fmt.Sprintf("%d documents not processed: %v", n, err))
		return
	}
	in.rejected.Add(1)
	in.log.Warn("ingest request answered 503; the shipper should send it again",
		"remote", r.RemoteAddr, "docs", n, "err", err)
	writeError(w, http.StatusServiceUnavailable, "unavailable_shards_exception",
		fmt.Sprintf("%d documents not accepted: %v; send them again", n, err))
}

// noteBad counts refused items and remembers the last one.
func (in *Input) noteBad(remote string, n int, last string) {
	if n == 0 {
		return
	}
	in.badItems.Add(int64(n))
	s := "bulk " + remote + " " + last
	in.lastBad.Store(&s)
}
