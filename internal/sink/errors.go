package sink

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The three ways a Write fails:
//
//   - a transient error (any error not marked otherwise): nothing may be
//     assumed delivered; writing the same alerts again may succeed;
//   - a PermanentError: writing the same alerts again cannot succeed (a
//     webhook answering 400, a document Elasticsearch cannot map);
//   - a PartialError: some alerts were accepted, others failed (transiently,
//     permanently, or both); it says which, so that only those are written
//     again.
//
// A transient error may be or wrap a RetryAfterError when the peer asked
// for a pause.

// PermanentError marks a failure that writing the same alerts again cannot
// fix: Retry returns it at once.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent marks err as permanent (nil stays nil).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err is or wraps a PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// RetryAfterError is a transient failure whose peer asked to wait before
// the next attempt (an HTTP Retry-After header): After, or until Until
// when the peer gave a date.
type RetryAfterError struct {
	Err   error
	After time.Duration
	Until time.Time
}

func (e *RetryAfterError) Error() string { return e.Err.Error() }
func (e *RetryAfterError) Unwrap() error { return e.Err }

// PartialError reports a Write that accepted some of its alerts but not
// all: Pending failed transiently (write only those again), Rejected were
// refused for good (writing them again cannot succeed). Alerts in neither
// were accepted. Both lists hold alerts of the failed Write, in its order.
type PartialError struct {
	Pending []Alert
	Err     error // why Pending failed; nil when none did
	// Rejected alerts and the PermanentError saying why; nil when none.
	Rejected []Alert
	Reason   error
}

func (e *PartialError) Error() string {
	var parts []string
	if len(e.Pending) > 0 {
		parts = append(parts, fmt.Sprintf("%d alert(s) not accepted yet: %v", len(e.Pending), e.Err))
	}
	if len(e.Rejected) > 0 {
		parts = append(parts, fmt.Sprintf("%d alert(s) rejected: %v", len(e.Rejected), e.Reason))
	}
	return strings.Join(parts, "; ")
}

// Unwrap returns the transient cause and the permanent reason, so that
// errors.Is and IsPermanent see both.
func (e *PartialError) Unwrap() []error {
	var errs []error
	for _, err := range []error{e.Err, e.Reason} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// outcome collects the per-alert verdicts of one Write and turns them into
// its error.
type outcome struct {
	total    int
	pending  []Alert
	cause    error // the first transient failure
	causes   int
	rejected []Alert
	reasons  []error
}

func newOutcome(total int) *outcome { return &outcome{total: total} }

// retry records that a must be written again because of err.
func (o *outcome) retry(a Alert, err error) {
	o.pending = append(o.pending, a)
	if o.cause == nil {
		o.cause = err
	}
	o.causes++
}

// retryAll records that as must be written again because of err.
func (o *outcome) retryAll(as []Alert, err error) {
	for _, a := range as {
		o.retry(a, err)
	}
}

// reject records that a can never be written, because of err.
func (o *outcome) reject(a Alert, err error) {
	o.rejected = append(o.rejected, a)
	o.reasons = append(o.reasons, err)
}

// accepted is the number of alerts neither pending nor rejected.
func (o *outcome) accepted() int { return o.total - len(o.pending) - len(o.rejected) }

// err is nil when every alert was accepted, the cause when none was and
// all may be retried, a PermanentError when none was and none may, and a
// PartialError otherwise.
func (o *outcome) err() error {
	var reason error
	if len(o.rejected) > 0 {
		reason = Permanent(summarize(o.reasons))
	}
	var cause error
	if len(o.pending) > 0 {
		cause = o.cause
		if o.causes > 1 {
			cause = fmt.Errorf("%w (and %d more)", o.cause, o.causes-1)
		}
	}
	switch {
	case len(o.pending) == 0 && len(o.rejected) == 0:
		return nil
	case len(o.pending) == o.total:
		return cause
	case len(o.rejected) == o.total:
		return reason
	}
	return &PartialError{Pending: o.pending, Err: cause, Rejected: o.rejected, Reason: reason}
}

// summarize joins errs, listing the first few and counting the rest.
func summarize(errs []error) error {
	const shown = 5
	if len(errs) <= shown {
		return errors.Join(errs...)
	}
	return fmt.Errorf("%w\n(and %d more)", errors.Join(errs[:shown]...), len(errs)-shown)
}

// httpStatusError classifies a non-2xx HTTP answer: 408, 429 and 5xx are
// transient (with the peer's Retry-After), anything else is permanent.
// what names the request in the message; hint says what to do about a
// permanent failure.
func httpStatusError(what string, resp *http.Response, hint string) error {
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	msg := strings.TrimSpace(string(snippet))
	if msg != "" {
		msg = ": " + msg
	}
	if transientStatus(resp.StatusCode) {
		err := &statusError{code: resp.StatusCode, err: fmt.Errorf("%s: %s%s", what, resp.Status, msg)}
		return withRetryAfter(err, resp.Header.Get("Retry-After"))
	}
	return Permanent(&statusError{code: resp.StatusCode, err: fmt.Errorf("%s: %s%s (%s; not retried)", what, resp.Status, msg, hint)})
}

// statusError carries the HTTP status of a failed request.
type statusError struct {
	code int
	err  error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// transientStatus reports whether an HTTP status may go away by itself.
func transientStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}

// withRetryAfter wraps err in a RetryAfterError when header, an HTTP
// Retry-After value (delay-seconds or an HTTP-date), is valid.
func withRetryAfter(err error, header string) error {
	header = strings.TrimSpace(header)
	if header == "" {
		return err
	}
	if secs, perr := strconv.ParseInt(header, 10, 64); perr == nil {
		if secs < 0 {
			return err
		}
		return &RetryAfterError{Err: err, After: time.Duration(min(secs, 1<<31)) * time.Second}
	}
	if t, perr := http.ParseTime(header); perr == nil {
		return &RetryAfterError{Err: err, Until: t}
	}
	return err
}
