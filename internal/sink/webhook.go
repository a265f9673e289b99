package sink

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Webhook POSTs each batch of alerts as a JSON array to a URL. 2xx means
// accepted; 408, 429 and 5xx are transient (Retry-After honoured); other
// statuses are permanent.
type Webhook struct {
	url     string
	headers map[string]string
	client  *http.Client
}

// WebhookOptions configure a Webhook.
type WebhookOptions struct {
	URL     string
	Headers map[string]string // e.g. Authorization
	Timeout time.Duration     // per request (default 10s)
	Client  *http.Client      // default: a client with Timeout
}

// NewWebhook returns a webhook sink.
func NewWebhook(opts WebhookOptions) *Webhook {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	c := opts.Client
	if c == nil {
		c = &http.Client{Timeout: opts.Timeout}
	}
	return &Webhook{url: opts.URL, headers: opts.Headers, client: c}
}

// Name implements Sink.
func (w *Webhook) Name() string { return "webhook " + w.url }

// Close implements Sink.
func (w *Webhook) Close() error { return nil }

// Write implements Sink.
func (w *Webhook) Write(ctx context.Context, alerts []Alert) error {
	var body bytes.Buffer
	body.WriteByte('[')
	for i, a := range alerts {
		if i > 0 {
			body.WriteByte(',')
		}
		body.Write(a.Doc)
	}
	body.WriteByte(']')
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, &body)
	if err != nil {
		return Permanent(fmt.Errorf("webhook %s: %w", w.url, err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "vigil")
	for k, v := range w.headers {
		req.Header.Set(k, v)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", w.url, err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		err := fmt.Errorf("webhook %s: %s: %s", w.url, resp.Status, bytes.TrimSpace(snippet))
		if secs, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && secs > 0 {
			return &RetryAfterError{Err: err, After: time.Duration(secs) * time.Second}
		}
		return err
	default:
		return Permanent(fmt.Errorf("webhook %s: %s: %s (fix the URL or credentials; not retried)", w.url, resp.Status, bytes.TrimSpace(snippet)))
	}
}
