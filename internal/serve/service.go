package serve

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/vigil-project/vigil/internal/httpauth"
	"github.com/vigil-project/vigil/internal/sink"
	"github.com/vigil-project/vigil/internal/source"
	"github.com/vigil-project/vigil/internal/state"
)

// Options configure the service. The command line builds the parts (see
// internal/cli): the service runs them and stops them in order.
type Options struct {
	Store    *state.Store
	Detector *Detector
	Loader   *RuleLoader
	// ReloadEvery is how often rule files are checked for changes (0: never).
	ReloadEvery time.Duration
	Inputs      []source.Source
	// Sink is closed at shutdown, after the last batch (the detector
	// writes to it).
	Sink    sink.Sink
	Workers int // batches processed at once (default 2)

	// Listener serves /healthz, /metrics and Ingest (at /) when not nil.
	Listener net.Listener
	// TLSCert and TLSKey, when set, make the listener speak TLS.
	TLSCert, TLSKey string
	// Ingest is the Elasticsearch-compatible ingest API, mounted at /.
	Ingest http.Handler
	// Auth, when enabled, is required on every endpoint but /healthz,
	// Ingest included.
	Auth httpauth.Auth

	// Sinks are reported by /healthz: a failing one makes the service
	// "degraded" (HTTP 503) and is named with its last error.
	Sinks []SinkHealth

	// ReadTimeout bounds reading a request, body included (default 1m);
	// WriteTimeout bounds a request from the end of its headers to the end
	// of its answer (default 2m: longer than reading plus the ingest API's
	// wait for the engine); IdleTimeout closes idle keep-alive connections
	// (default 2m). Headers must arrive within 10s.
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// DrainTimeout bounds shutdown (default 30s): batches still being
	// processed then are given up, unacknowledged, and their inputs
	// deliver them again after a restart (a failing sink no longer keeps
	// the service from stopping).
	DrainTimeout time.Duration

	Metrics *Metrics
	Logger  *slog.Logger
	// Ready, if set, is called once inputs and the HTTP server run.
	Ready func()
}

// SinkHealth is a sink whose state /healthz reports (sink.Retrying).
type SinkHealth interface {
	Name() string
	Health() sink.Health
}

// Run runs the service until ctx is done, then shuts down in order: inputs
// stop reading, queued batches are processed, sinks are closed, and the
// store is closed by the caller. It returns the first fatal error.
func Run(ctx context.Context, opts Options) error {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics()
	}
	if opts.Workers < 1 {
		opts.Workers = 2
	}
	opts.ReadTimeout = cmp.Or(opts.ReadTimeout, time.Minute)
	opts.WriteTimeout = cmp.Or(opts.WriteTimeout, 2*time.Minute)
	opts.IdleTimeout = cmp.Or(opts.IdleTimeout, 2*time.Minute)
	opts.DrainTimeout = cmp.Or(opts.DrainTimeout, 30*time.Second)
	log := opts.Logger
	inCtx, stopInputs := context.WithCancel(ctx)
	defer stopInputs()
	// Batches are finished even during shutdown, on a context of their
	// own, so that what was read is acknowledged; until the drain time is
	// over.
	procCtx, stopProcessing := context.WithCancel(context.WithoutCancel(ctx))
	defer stopProcessing()

	if opts.Loader != nil {
		go opts.Loader.Watch(inCtx, opts.ReloadEvery)
	}

	type tagged struct {
		name string
		b    source.Batch
	}
	queue := make(chan tagged, opts.Workers)
	var workers sync.WaitGroup
	for range opts.Workers {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for t := range queue {
				if err := opts.Detector.Process(procCtx, t.name, t.b); err != nil {
					log.Error("batch failed; its input will deliver it again", "input", t.name, "error", err)
				}
			}
		}()
	}

	errc := make(chan error, len(opts.Inputs)+1)
	var inputs, forwarders sync.WaitGroup
	for _, in := range opts.Inputs {
		inputs.Add(1)
		forwarders.Add(1)
		out := make(chan source.Batch)
		go func() {
			defer forwarders.Done()
			for b := range out {
				queue <- tagged{name: in.Name(), b: b}
			}
		}()
		go func() {
			defer inputs.Done()
			defer close(out)
			err := in.Run(inCtx, out)
			if err != nil && inCtx.Err() == nil {
				log.Error("input stopped", "input", in.Name(), "error", err)
				errc <- fmt.Errorf("input %s: %w", in.Name(), err)
				return
			}
			log.Info("input stopped", "input", in.Name())
		}()
	}

	var srv *http.Server
	if opts.Listener != nil {
		srv = &http.Server{Handler: opts.handler(), ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout: opts.ReadTimeout, WriteTimeout: opts.WriteTimeout, IdleTimeout: opts.IdleTimeout,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		go func() {
			var err error
			if opts.TLSCert != "" {
				err = srv.ServeTLS(opts.Listener, opts.TLSCert, opts.TLSKey)
			} else {
				err = srv.Serve(opts.Listener)
			}
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("http: %w", err)
			}
		}()
		log.Info("listening", "addr", opts.Listener.Addr().String(), "tls", opts.TLSCert != "")
	}
	// Threshold rules run on a schedule: every interval, on the clock.
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-inCtx.Done():
				return
			case <-t.C:
				if err := opts.Detector.Tick(inCtx); err != nil && inCtx.Err() == nil {
					log.Error("threshold execution failed; it runs again at the next tick", "error", err)
				}
			}
		}
	}()
	if opts.Ready != nil {
		opts.Ready()
	}

	// Without a listener, the service ends when every input has ended
	// (standard input at its end, say).
	inputsDone := make(chan struct{})
	if opts.Listener == nil {
		go func() {
			inputs.Wait()
			close(inputsDone)
		}()
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	case <-inputsDone:
		log.Info("every input ended")
	}
	log.Info("shutting down: inputs, engine, sinks, state", "drain_timeout", opts.DrainTimeout)
	stopInputs()
	drain, cancelDrain := context.WithTimeout(context.WithoutCancel(ctx), opts.DrainTimeout)
	defer cancelDrain()
	giveUp := context.AfterFunc(drain, func() {
		log.Warn("drain time over: batches still being processed are given up unacknowledged; their inputs deliver them again",
			"drain_timeout", opts.DrainTimeout)
		stopProcessing()
	})
	if srv != nil {
		// Requests in flight are answered: their batches' acknowledgement,
		// or 503 now that the ingest input stopped.
		if err := srv.Shutdown(drain); err != nil {
			srv.Close()
		}
	}
	inputs.Wait()
	forwarders.Wait() // every batch read is queued
	close(queue)
	workers.Wait() // and processed, or given up
	giveUp()

	if opts.Sink != nil {
		if err := opts.Sink.Close(); err != nil {
			log.Error("closing sinks", "error", err)
		}
	}
	return runErr
}

func (opts *Options) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		st := LoadStatus{}
		if opts.Loader != nil {
			st = opts.Loader.Status()
		}
		status, code := "ok", http.StatusOK
		sinks := make([]map[string]any, 0, len(opts.Sinks))
		for _, s := range opts.Sinks {
			h := s.Health()
			if !h.Failing {
				sinks = append(sinks, map[string]any{"name": s.Name(), "status": "ok"})
				continue
			}
			// Alerts cannot be delivered: batches that raise any wait,
			// and the ingest API answers 429.
			status, code = "degraded", http.StatusServiceUnavailable
			sinks = append(sinks, map[string]any{"name": s.Name(), "status": "failing",
				"failing_since": h.Since.UTC().Format(time.RFC3339), "last_error": h.LastError})
		}
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(map[string]any{
			"status": status, "rules": map[string]any{"runnable": st.Runnable, "unsupported": st.Unsupported, "errors": st.Errors, "loaded_at": st.LoadedAt},
			"sinks": sinks,
		})
	})
	mux.Handle("GET /metrics", opts.Auth.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		opts.Metrics.WriteTo(w)
	})))
	if opts.Ingest != nil {
		mux.Handle("/", opts.Auth.Wrap(opts.Ingest))
	}
	return mux
}
