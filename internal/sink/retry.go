package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// RetryOptions configure Retry. The zero value is ready to use.
type RetryOptions struct {
	Initial time.Duration // first pause (default 200ms); each next one doubles
	Max     time.Duration // longest pause between attempts (default 30s)
	// MaxRetryAfter caps the pause a peer may ask for with Retry-After
	// (default 5m); a shorter request than the backoff is ignored.
	MaxRetryAfter time.Duration
	Logger        *slog.Logger // failed attempts as warnings (default: none)
	// Now reads the clock, for Retry-After dates (default time.Now).
	Now func() time.Time
	// Sleep waits d, or until ctx is done and then returns its error
	// (default: a timer).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Retrying is a sink that retries the transient failures of another.
type Retrying struct {
	s    Sink
	opts RetryOptions
	counters

	mu      sync.Mutex
	failing time.Time // when the current run of failures began; zero: healthy
	lastErr string
}

// Health is what a sink's state is now, for health checks.
type Health struct {
	// Failing is set from a failed attempt until the next success.
	Failing bool
	// Since is when the failures began.
	Since time.Time
	// LastError is the latest failure.
	LastError string
}

// Health returns whether the wrapped sink is failing now: its latest
// attempt failed (a permanent refusal of some alerts does not count: the
// sink is up and answering).
func (r *Retrying) Health() Health {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Health{Failing: !r.failing.IsZero(), Since: r.failing, LastError: r.lastErr}
}

// note records the outcome of one attempt for Health.
func (r *Retrying) note(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil {
		r.failing, r.lastErr = time.Time{}, ""
		return
	}
	if r.failing.IsZero() {
		r.failing = r.opts.Now()
	}
	r.lastErr = err.Error()
}

// Retry wraps s: Write tries again after transient failures, with
// exponential backoff and jitter, until it succeeds or ctx is done. A
// permanent failure returns at once. After a PartialError only the
// alerts still pending are written again; the rejected ones are reported
// (as a PermanentError) once the others are accepted.
func Retry(s Sink, opts RetryOptions) *Retrying {
	if opts.Initial <= 0 {
		opts.Initial = 200 * time.Millisecond
	}
	if opts.Max <= 0 {
		opts.Max = 30 * time.Second
	}
	opts.Max = max(opts.Max, opts.Initial)
	if opts.MaxRetryAfter <= 0 {
		opts.MaxRetryAfter = 5 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	return &Retrying{s: s, opts: opts}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Name implements Sink.
func (r *Retrying) Name() string { return r.s.Name() }

// Close implements Sink: it closes the wrapped sink.
func (r *Retrying) Close() error { return r.s.Close() }

// Unwrap returns the wrapped sink.
func (r *Retrying) Unwrap() Sink { return r.s }

// Write implements Sink. Stats count alerts written and rejected, failed
// attempts (Failures) and attempts made again (Retries).
func (r *Retrying) Write(ctx context.Context, alerts []Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	pending := alerts
	var rejected int
	var reasons []error
	finish := func() error {
		if rejected == 0 {
			return nil
		}
		return Permanent(fmt.Errorf("%d of %d alert(s) rejected: %w", rejected, len(alerts), summarize(reasons)))
	}
	pause := r.opts.Initial
	for attempt := 1; ; attempt++ {
		err := r.s.Write(ctx, pending)
		var pe *PartialError
		if err == nil || IsPermanent(err) || (asPartial(err, &pe) && len(pe.Pending) == 0) {
			r.note(nil) // the sink answered
		} else {
			r.note(err)
		}
		if err == nil {
			r.written.Add(int64(len(pending)))
			return finish()
		}
		r.failures.Add(1)
		switch {
		case asPartial(err, &pe):
			r.written.Add(int64(len(pending) - len(pe.Pending) - len(pe.Rejected)))
			if len(pe.Rejected) > 0 {
				r.rejected.Add(int64(len(pe.Rejected)))
				rejected += len(pe.Rejected)
				reasons = append(reasons, pe.Reason)
			}
			if len(pe.Pending) == 0 {
				return finish()
			}
			pending, err = pe.Pending, pe.Err
			if err == nil {
				err = errors.New("alerts not accepted")
			}
		case IsPermanent(err):
			r.rejected.Add(int64(len(pending)))
			if rejected == 0 {
				return err // the usual case: the whole batch refused at once
			}
			rejected += len(pending)
			reasons = append(reasons, err)
			return finish()
		}
		wait := pause/2 + rand.N(pause/2+1)
		if after := r.retryAfter(err); after > wait {
			wait = after
		}
		if ctx.Err() != nil {
			return r.giveUp(ctx.Err(), err, attempt, rejected)
		}
		r.opts.Logger.Warn("sink failed; retrying", "sink", r.s.Name(), "attempt", attempt,
			"alerts", len(pending), "in", wait, "error", err)
		if serr := r.opts.Sleep(ctx, wait); serr != nil {
			return r.giveUp(serr, err, attempt, rejected)
		}
		r.retries.Add(1)
		pause = min(pause*2, r.opts.Max)
	}
}

// retryAfter is the pause a RetryAfterError in err asks for, capped.
func (r *Retrying) retryAfter(err error) time.Duration {
	var ra *RetryAfterError
	if !errors.As(err, &ra) {
		return 0
	}
	d := ra.After
	if !ra.Until.IsZero() {
		d = ra.Until.Sub(r.opts.Now())
	}
	return min(max(d, 0), r.opts.MaxRetryAfter)
}

func (r *Retrying) giveUp(why, last error, attempts, rejected int) error {
	err := fmt.Errorf("gave up after %d attempt(s): %w; last failure: %w", attempts, why, last)
	if rejected > 0 {
		err = fmt.Errorf("%w; besides, %d alert(s) were rejected", err, rejected)
	}
	return err
}
