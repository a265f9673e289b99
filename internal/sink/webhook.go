package sink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// WebhookOptions configure a Webhook.
type WebhookOptions struct {
	URL     string
	Headers map[string]string // sent with every request, e.g. Authorization
	Timeout time.Duration     // per request (default 10s)
	// PerAlert sends one POST per alert, its document as the body,
	// instead of one POST per batch whose body is a JSON array of them.
	PerAlert bool
	Client   *http.Client // default: a client with Timeout
}

// Webhook POSTs alert documents as JSON to a URL. A 2xx answer means
// accepted; 408, 429, 5xx and network errors are transient (the
// Retry-After header is honoured); any other status is permanent.
type Webhook struct {
	url      string
	display  string // url without its password
	urlErr   error
	headers  map[string]string
	perAlert bool
	client   *http.Client
	counters
}

// NewWebhook returns a webhook sink. An invalid URL makes every Write fail
// permanently.
func NewWebhook(opts WebhookOptions) *Webhook {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	c := opts.Client
	if c == nil {
		c = &http.Client{Timeout: opts.Timeout}
	}
	w := &Webhook{url: opts.URL, display: opts.URL, headers: opts.Headers, perAlert: opts.PerAlert, client: c}
	u, err := url.Parse(opts.URL)
	switch {
	case err != nil:
		w.urlErr = fmt.Errorf("webhook: invalid url: %w", err)
	case u.Scheme != "http" && u.Scheme != "https":
		w.urlErr = fmt.Errorf("webhook: url %q: want http:// or https://", u.Redacted())
	default:
		w.display = u.Redacted()
	}
	return w
}

// Name implements Sink.
func (w *Webhook) Name() string { return "webhook " + w.display }

// Close implements Sink.
func (w *Webhook) Close() error {
	w.client.CloseIdleConnections()
	return nil
}

// Write implements Sink. A document that is not a JSON object is rejected
// and the others are sent. With PerAlert, a transient failure leaves that
// alert and the following ones pending; a permanent one rejects that alert
// and the next are still sent, unless the status says the endpoint itself
// is wrong (401, 403, 404, 405, 407, 410), which rejects them all.
func (w *Webhook) Write(ctx context.Context, alerts []Alert) error {
	out := newOutcome(len(alerts))
	if w.urlErr != nil {
		for _, a := range alerts {
			out.reject(a, Permanent(w.urlErr))
		}
	} else if w.perAlert {
		w.writeEach(ctx, alerts, out)
	} else {
		w.writeBatch(ctx, alerts, out)
	}
	err := out.err()
	w.count(len(alerts), err)
	return err
}

func (w *Webhook) writeBatch(ctx context.Context, alerts []Alert, out *outcome) {
	var body bytes.Buffer
	body.WriteByte('[')
	kept := make([]Alert, 0, len(alerts))
	for _, a := range alerts {
		mark := body.Len()
		if len(kept) > 0 {
			body.WriteByte(',')
		}
		if err := appendDoc(&body, a); err != nil {
			body.Truncate(mark)
			out.reject(a, err)
			continue
		}
		kept = append(kept, a)
	}
	body.WriteByte(']')
	if len(kept) == 0 {
		return
	}
	if err := w.post(ctx, body.Bytes()); err != nil {
		if IsPermanent(err) {
			for _, a := range kept {
				out.reject(a, err)
			}
			return
		}
		out.retryAll(kept, err)
	}
}

func (w *Webhook) writeEach(ctx context.Context, alerts []Alert, out *outcome) {
	for i, a := range alerts {
		doc, err := compactDoc(a)
		if err == nil {
			err = w.post(ctx, doc)
		}
		switch {
		case err == nil:
		case IsPermanent(err):
			out.reject(a, err)
			var se *statusError
			if errors.As(err, &se) && endpointStatus(se.code) {
				for _, b := range alerts[i+1:] {
					out.reject(b, err)
				}
				return
			}
		default:
			out.retryAll(alerts[i:], err)
			return
		}
	}
}

// endpointStatus reports whether a status condemns the endpoint rather
// than one request.
func endpointStatus(code int) bool {
	switch code {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusMethodNotAllowed,
		http.StatusProxyAuthRequired, http.StatusGone:
		return true
	}
	return false
}

func (w *Webhook) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return Permanent(fmt.Errorf("webhook %s: %w", w.display, err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "vigil")
	for k, v := range w.headers {
		req.Header.Set(k, v)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", w.display, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
		return nil
	}
	return httpStatusError("webhook "+w.display, resp, "check the URL, the credentials and what the receiver expects")
}
