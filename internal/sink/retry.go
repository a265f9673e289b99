package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// PermanentError marks a failure that retrying cannot fix (a 400 from a
// webhook, say): Retry returns it at once.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err as a PermanentError.
func Permanent(err error) error { return &PermanentError{Err: err} }

// IsPermanent reports whether err is (or wraps) a PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// RetryOptions configure Retry.
type RetryOptions struct {
	Initial time.Duration // first pause (default 200ms)
	Max     time.Duration // longest pause (default 30s)
	Logger  *slog.Logger
	// Sleep waits d or until ctx is done (tests replace it).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Stats counts what a sink did.
type Stats struct {
	Written, Failures, Retries int64
}

// Retrying is a sink that retries transient failures of another.
type Retrying struct {
	s    Sink
	opts RetryOptions

	written, failures, retries atomic.Int64
}

// Retry wraps s: Write retries transient failures with exponential backoff
// and jitter until ctx is done; permanent failures return at once.
func Retry(s Sink, opts RetryOptions) *Retrying {
	if opts.Initial <= 0 {
		opts.Initial = 200 * time.Millisecond
	}
	if opts.Max <= 0 {
		opts.Max = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Sleep == nil {
		opts.Sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return &Retrying{s: s, opts: opts}
}

// Name implements Sink.
func (r *Retrying) Name() string { return r.s.Name() }

// Close implements Sink.
func (r *Retrying) Close() error { return r.s.Close() }

// Stats returns the counters.
func (r *Retrying) Stats() Stats {
	return Stats{Written: r.written.Load(), Failures: r.failures.Load(), Retries: r.retries.Load()}
}

// Write implements Sink.
func (r *Retrying) Write(ctx context.Context, alerts []Alert) error {
	pause := r.opts.Initial
	for attempt := 1; ; attempt++ {
		err := r.s.Write(ctx, alerts)
		if err == nil {
			r.written.Add(int64(len(alerts)))
			return nil
		}
		r.failures.Add(1)
		if IsPermanent(err) {
			return fmt.Errorf("%s: %w", r.s.Name(), err)
		}
		var after *RetryAfterError
		wait := pause/2 + rand.N(pause/2+1)
		if errors.As(err, &after) && after.After > wait {
			wait = after.After
		}
		r.opts.Logger.Warn("sink failed; retrying", "sink", r.s.Name(), "attempt", attempt, "in", wait, "error", err)
		if serr := r.opts.Sleep(ctx, wait); serr != nil {
			return fmt.Errorf("%s: %w (gave up: %v)", r.s.Name(), err, serr)
		}
		r.retries.Add(1)
		pause = min(pause*2, r.opts.Max)
	}
}

// RetryAfterError is a transient failure whose peer asked to wait (an
// HTTP Retry-After).
type RetryAfterError struct {
	Err   error
	After time.Duration
}

func (e *RetryAfterError) Error() string { return e.Err.Error() }
func (e *RetryAfterError) Unwrap() error { return e.Err }

// Multi writes to every sink; it succeeds when all did. On a retry of the
// same alerts, sinks that already accepted them are not asked again.
type Multi struct {
	sinks []Sink
	mu    sync.Mutex
	done  map[string][]bool // a batch's key -> which sinks hold it
}

// NewMulti returns a sink writing to all of sinks.
func NewMulti(sinks ...Sink) *Multi { return &Multi{sinks: sinks, done: map[string][]bool{}} }

// Name implements Sink.
func (m *Multi) Name() string { return fmt.Sprintf("%d sinks", len(m.sinks)) }

// Write implements Sink. Sinks are written one after the other.
func (m *Multi) Write(ctx context.Context, alerts []Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	key := alerts[0].ID + "/" + alerts[len(alerts)-1].ID + fmt.Sprint(len(alerts))
	m.mu.Lock()
	done := m.done[key]
	delete(m.done, key)
	m.mu.Unlock()
	if done == nil {
		done = make([]bool, len(m.sinks))
	}
	var errs []error
	for i, s := range m.sinks {
		if done[i] {
			continue
		}
		if err := s.Write(ctx, alerts); err != nil {
			errs = append(errs, err)
			continue
		}
		done[i] = true
	}
	if len(errs) > 0 {
		m.mu.Lock()
		m.done[key] = done
		m.mu.Unlock()
		return errors.Join(errs...)
	}
	return nil
}

// Close implements Sink.
func (m *Multi) Close() error {
	var errs []error
	for _, s := range m.sinks {
		if err := s.Close(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.Name(), err))
		}
	}
	return errors.Join(errs...)
}
