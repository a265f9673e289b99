// Package natsjs is a NATS JetStream input: a durable pull consumer whose
// messages (one event or one Azure {"records":[...]} envelope each) are
// acknowledged only after the alerts they caused are stored. Several vigil
// replicas on the same durable consumer share the messages; a message whose
// batch fails is negatively acknowledged and redelivered. Delivery is
// at-least-once; alert ids are deterministic, so a redelivered message
// raises no second alert.
//
// AckWait (default 60s) must exceed the time a batch can take, sinks'
// retries included: while a batch waits, the input tells the server it is
// still in progress every AckWait/3, so slow sinks do not cause redelivery.
package natsjs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigil-project/vigil/internal/source"
)

// Options configure the input.
type Options struct {
	Name          string   // input name (default "nats")
	URL           string   // e.g. nats://127.0.0.1:4222 (comma-separated for a cluster)
	Stream        string   // the stream to consume
	Subjects      []string // with CreateStream: the stream's subjects
	CreateStream  bool     // create the stream (file storage) if it does not exist
	Durable       string   // the durable consumer's name, shared by replicas
	FilterSubject string
	Index         string // index of the events ("" resolves per event)
	MaxBatch      int    // messages per batch (default 500)
	AckWait       time.Duration
	User          string
	Password      string
	Token         string
	CredsFile     string
	Logger        *slog.Logger
}

// Input is the JetStream input.
type Input struct {
	opts Options

	messages, bytes, batches, acks, naks, redeliveries atomic.Int64
	pending                                            atomic.Int64
}

// Lag returns the messages of the consumer not delivered yet, as of the
// last message received.
func (in *Input) Lag() int64 { return in.pending.Load() }

// New checks the options.
func New(opts Options) (*Input, error) {
	if opts.URL == "" || opts.Stream == "" || opts.Durable == "" {
		return nil, errors.New("nats: url, stream and durable are required")
	}
	if opts.Name == "" {
		opts.Name = "nats"
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 500
	}
	if opts.AckWait <= 0 {
		opts.AckWait = 60 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Input{opts: opts}, nil
}

// Name implements source.Source.
func (in *Input) Name() string { return in.opts.Name }

// Stats are the input's counters.
type Stats struct{ Messages, Bytes, Batches, Acks, Naks, Redeliveries int64 }

// Stats returns the counters.
func (in *Input) Stats() Stats {
	return Stats{in.messages.Load(), in.bytes.Load(), in.batches.Load(), in.acks.Load(), in.naks.Load(), in.redeliveries.Load()}
}

// Run implements source.Source.
func (in *Input) Run(ctx context.Context, out chan<- source.Batch) error {
	o := in.opts
	nopts := []nats.Option{nats.Name("vigil " + o.Name), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				o.Logger.Warn("nats: disconnected; reconnecting", "input", o.Name, "error", err)
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) { o.Logger.Info("nats: reconnected", "input", o.Name) })}
	switch {
	case o.CredsFile != "":
		nopts = append(nopts, nats.UserCredentials(o.CredsFile))
	case o.Token != "":
		nopts = append(nopts, nats.Token(o.Token))
	case o.User != "":
		nopts = append(nopts, nats.UserInfo(o.User, o.Password))
	}
	nc, err := nats.Connect(o.URL, nopts...)
	if err != nil {
		return fmt.Errorf("nats: connect to %s: %w", o.URL, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("nats: %w", err)
	}
	if o.CreateStream {
		if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: o.Stream, Subjects: o.Subjects, Storage: jetstream.FileStorage}); err != nil {
			return fmt.Errorf("nats: create stream %s: %w", o.Stream, err)
		}
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, o.Stream, jetstream.ConsumerConfig{
		Durable: o.Durable, AckPolicy: jetstream.AckExplicitPolicy, AckWait: o.AckWait,
		FilterSubject: o.FilterSubject, MaxAckPending: o.MaxBatch * 4, DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return fmt.Errorf("nats: consumer %s on stream %s: %w (does the stream exist? set create_stream = true to create it)", o.Durable, o.Stream, err)
	}
	for ctx.Err() == nil {
		msgs, err := cons.Fetch(o.MaxBatch, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			o.Logger.Warn("nats: fetch failed; retrying", "input", o.Name, "error", err)
			sleep(ctx, time.Second)
			continue
		}
		var batch []jetstream.Msg
		for m := range msgs.Messages() {
			batch = append(batch, m)
		}
		if err := msgs.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) && len(batch) == 0 {
			o.Logger.Debug("nats: fetch ended", "input", o.Name, "error", err)
		}
		if len(batch) == 0 {
			continue
		}
		if !in.deliver(ctx, batch, out) {
			return nil
		}
	}
	return nil
}

// deliver sends one batch and acks or naks its messages; false when ctx
// ended first (the messages are then redelivered after AckWait).
func (in *Input) deliver(ctx context.Context, batch []jetstream.Msg, out chan<- source.Batch) bool {
	o := in.opts
	recs := make([]source.Record, 0, len(batch))
	for _, m := range batch {
		origin := "nats " + o.Stream + "/" + m.Subject()
		if md, err := m.Metadata(); err == nil {
			origin = fmt.Sprintf("nats %s/%s seq %d", o.Stream, m.Subject(), md.Sequence.Stream)
			if md.NumDelivered > 1 {
				in.redeliveries.Add(1)
			}
			in.pending.Store(int64(md.NumPending))
		}
		in.messages.Add(1)
		in.bytes.Add(int64(len(m.Data())))
		recs = append(recs, source.Record{Data: m.Data(), Index: o.Index, Origin: origin})
	}
	done := make(chan error, 1)
	select {
	case out <- source.Batch{Records: recs, Ack: func(err error) { done <- err }}:
	case <-ctx.Done():
		return false
	}
	in.batches.Add(1)
	keepAlive := time.NewTicker(o.AckWait / 3)
	defer keepAlive.Stop()
	for {
		select {
		case err := <-done:
			for _, m := range batch {
				if err == nil {
					// A synchronous ack: the server has it before the next fetch.
					if aerr := m.DoubleAck(context.WithoutCancel(ctx)); aerr != nil {
						o.Logger.Warn("nats: ack failed; the message will be redelivered (no duplicate alert)", "input", o.Name, "error", aerr)
					} else {
						in.acks.Add(1)
					}
				} else {
					m.NakWithDelay(time.Second)
					in.naks.Add(1)
				}
			}
			return true
		case <-keepAlive.C:
			for _, m := range batch {
				m.InProgress()
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
