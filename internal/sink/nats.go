package sink

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NATSOptions configure a NATS sink.
type NATSOptions struct {
	URL     string // e.g. nats://127.0.0.1:4222 (comma-separated for a cluster)
	Subject string
	// JetStream publishes through JetStream and waits for the PubAck of
	// the stream that captures Subject (one must). Without it, alerts are
	// published on core NATS and Write returns once the server has them
	// (a flush), which is not storage.
	JetStream bool
	Timeout   time.Duration // per alert acknowledgement, or per flush (default 10s)
	User      string
	Password  string
	Token     string
	CredsFile string
}

// NATS publishes each alert as one message on a subject: the document as
// data, headers Nats-Msg-Id (the alert id, so a stream's duplicate window
// drops a re-delivered alert), Vigil-Rule-Id and Vigil-Severity.
type NATS struct {
	subject string
	display string
	timeout time.Duration
	nc      *nats.Conn
	js      jetstream.JetStream // nil: core NATS
	counters
}

// NewNATS connects (in the background, reconnecting for ever: a server
// that is down fails Writes transiently, not the start).
func NewNATS(opts NATSOptions) (*NATS, error) {
	if opts.URL == "" || opts.Subject == "" {
		return nil, errors.New("nats: url and subject are required")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	nopts := []nats.Option{
		nats.Name("vigil alerts"),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
	}
	if opts.User != "" || opts.Password != "" {
		nopts = append(nopts, nats.UserInfo(opts.User, opts.Password))
	}
	if opts.Token != "" {
		nopts = append(nopts, nats.Token(opts.Token))
	}
	if opts.CredsFile != "" {
		nopts = append(nopts, nats.UserCredentials(opts.CredsFile))
	}
	nc, err := nats.Connect(opts.URL, nopts...)
	if err != nil {
		return nil, fmt.Errorf("nats %s: %w", redactURLs(opts.URL), err)
	}
	s := &NATS{subject: opts.Subject, display: opts.Subject + "@" + redactURLs(opts.URL), timeout: opts.Timeout, nc: nc}
	if opts.JetStream {
		if s.js, err = jetstream.New(nc); err != nil {
			nc.Close()
			return nil, fmt.Errorf("nats %s: %w", redactURLs(opts.URL), err)
		}
		s.display = "jetstream " + s.display
	}
	return s, nil
}

// Name implements Sink.
func (s *NATS) Name() string { return "nats " + s.display }

// Close implements Sink. Every accepted alert is on the server already,
// so nothing is lost by closing a connection that cannot drain.
func (s *NATS) Close() error {
	if err := s.nc.Drain(); err != nil {
		s.nc.Close()
	}
	return nil
}

// Write implements Sink. A message over the server's payload limit
// rejects its alert; other failures leave alerts pending.
func (s *NATS) Write(ctx context.Context, alerts []Alert) error {
	out := newOutcome(len(alerts))
	if st := s.nc.Status(); st != nats.CONNECTED {
		out.retryAll(alerts, fmt.Errorf("nats %s: not connected to the server (%s)", s.display, st))
	} else if s.js != nil {
		s.publishJS(ctx, alerts, out)
	} else {
		s.publish(ctx, alerts, out)
	}
	err := out.err()
	s.count(len(alerts), err)
	return err
}

func (s *NATS) message(a Alert) (*nats.Msg, error) {
	doc, err := compactDoc(a)
	if err != nil {
		return nil, err
	}
	m := nats.NewMsg(s.subject)
	m.Data = doc
	if a.ID != "" {
		m.Header.Set(jetstream.MsgIDHeader, a.ID)
	}
	m.Header.Set("Vigil-Rule-Id", a.RuleID)
	m.Header.Set("Vigil-Severity", a.Severity)
	return m, nil
}

// publish sends alerts on core NATS, then flushes: until the server
// answers the flush, none of them counts as delivered.
func (s *NATS) publish(ctx context.Context, alerts []Alert, out *outcome) {
	sent := make([]Alert, 0, len(alerts))
	for i, a := range alerts {
		m, err := s.message(a)
		if err == nil {
			err = s.nc.PublishMsg(m)
		}
		switch {
		case err == nil:
			sent = append(sent, a)
		case IsPermanent(err):
			out.reject(a, err)
		case errors.Is(err, nats.ErrMaxPayload):
			out.reject(a, Permanent(fmt.Errorf("nats %s: alert %s: %w (%d bytes; the server's max_payload is %d)",
				s.display, a.ID, err, len(m.Data), s.nc.MaxPayload())))
		default:
			out.retryAll(append(sent, alerts[i:]...), fmt.Errorf("nats %s: %w", s.display, err))
			return
		}
	}
	if len(sent) == 0 {
		return
	}
	fctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.nc.FlushWithContext(fctx); err != nil {
		out.retryAll(sent, fmt.Errorf("nats %s: flush: %w", s.display, err))
	}
}

// publishJS publishes each alert through JetStream and waits for its
// PubAck; a duplicate (already stored) counts as accepted.
func (s *NATS) publishJS(ctx context.Context, alerts []Alert, out *outcome) {
	for i, a := range alerts {
		m, err := s.message(a)
		if err != nil {
			out.reject(a, err)
			continue
		}
		actx, cancel := context.WithTimeout(ctx, s.timeout)
		_, err = s.js.PublishMsg(actx, m)
		cancel()
		switch {
		case err == nil:
		case errors.Is(err, nats.ErrMaxPayload):
			out.reject(a, Permanent(fmt.Errorf("nats %s: alert %s: %w (%d bytes; the server's max_payload is %d)",
				s.display, a.ID, err, len(m.Data), s.nc.MaxPayload())))
		case errors.Is(err, jetstream.ErrNoStreamResponse):
			out.retryAll(alerts[i:], fmt.Errorf("nats %s: no stream answered for subject %s (create a stream that captures it, or publish without jetstream): %w",
				s.display, s.subject, err))
			return
		default:
			out.retryAll(alerts[i:], fmt.Errorf("nats %s: alert %s: %w", s.display, a.ID, err))
			return
		}
	}
}

// redactURLs hides the passwords of a comma-separated list of URLs.
func redactURLs(list string) string {
	parts := strings.Split(list, ",")
	for i, p := range parts {
		if u, err := url.Parse(strings.TrimSpace(p)); err == nil && u.User != nil {
			parts[i] = u.Redacted()
		}
	}
	return strings.Join(parts, ",")
}
