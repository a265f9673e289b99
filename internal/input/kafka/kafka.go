// Package kafka is a Kafka input for `vigil serve`: a consumer-group member
// whose offsets are committed only after the alerts of the records are
// stored. Several vigil replicas in one group share the partitions; a
// rebalance waits for the batch in flight to be committed (rebalances are
// blocked while a batch is processed), so a partition moves with its
// progress. A batch that fails is read again from its first offset.
// Delivery is at-least-once; alert ids are deterministic, so a redelivered
// record raises no second alert.
//
// Azure Event Hubs speaks Kafka: brokers "<namespace>.servicebus.windows.net:9093",
// tls = true, sasl_mechanism = "PLAIN", username "$ConnectionString" and the
// connection string as the password; topics are event hub names. A message
// may hold one event or an Azure {"records":[...]} envelope (split later).
package kafka

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/vigil-project/vigil/internal/source"
)

// Options configure the input.
type Options struct {
	Name          string // input name (default "kafka")
	Brokers       []string
	Topics        []string
	Group         string // consumer group, shared by replicas
	Index         string // index of the events ("" resolves per event)
	ClientID      string
	StartOffset   string // for a group without committed offsets: earliest (default) or latest
	TLS           bool
	CAFile        string
	SASLMechanism string // "" or PLAIN
	Username      string
	Password      string
	MaxBatch      int // records per batch (default 500)
	Logger        *slog.Logger
}

// Input is the Kafka input.
type Input struct {
	opts Options

	records, bytes, batches, commits, commitErrors, empty atomic.Int64

	lagMu sync.Mutex
	lag   map[string]int64 // "topic/partition" -> high watermark minus the next offset to read
}

// New checks the options.
func New(opts Options) (*Input, error) {
	if len(opts.Brokers) == 0 || len(opts.Topics) == 0 || opts.Group == "" {
		return nil, errors.New("kafka: brokers, topics and group are required")
	}
	switch opts.StartOffset {
	case "", "earliest", "latest":
	default:
		return nil, fmt.Errorf("kafka: start_offset %q: use earliest or latest", opts.StartOffset)
	}
	switch opts.SASLMechanism {
	case "", "PLAIN":
	default:
		return nil, fmt.Errorf("kafka: sasl_mechanism %q: only PLAIN is supported", opts.SASLMechanism)
	}
	if opts.Name == "" {
		opts.Name = "kafka"
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 500
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Input{opts: opts}, nil
}

// Name implements source.Source.
func (in *Input) Name() string { return in.opts.Name }

// Stats are the input's counters.
type Stats struct{ Records, Bytes, Batches, Commits, CommitErrors, Empty int64 }

// Lag returns how many records the group has yet to read, summed over the
// partitions this member read from (from the last fetch's high watermarks).
func (in *Input) Lag() int64 {
	in.lagMu.Lock()
	defer in.lagMu.Unlock()
	var n int64
	for _, l := range in.lag {
		n += l
	}
	return n
}

// Stats returns the counters.
func (in *Input) Stats() Stats {
	return Stats{in.records.Load(), in.bytes.Load(), in.batches.Load(), in.commits.Load(), in.commitErrors.Load(), in.empty.Load()}
}

func (in *Input) clientOptions() ([]kgo.Opt, error) {
	o := in.opts
	reset := kgo.NewOffset().AtStart()
	if o.StartOffset == "latest" {
		reset = kgo.NewOffset().AtEnd()
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(o.Brokers...),
		kgo.ConsumerGroup(o.Group),
		kgo.ConsumeTopics(o.Topics...),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.ConsumeResetOffset(reset),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
			o.Logger.Warn("kafka: partitions lost; their uncommitted records will be read again by their new owner", "input", o.Name, "partitions", lost)
		}),
	}
	if o.ClientID != "" {
		opts = append(opts, kgo.ClientID(o.ClientID))
	}
	if o.TLS || o.CAFile != "" {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if o.CAFile != "" {
			pem, err := os.ReadFile(o.CAFile)
			if err != nil {
				return nil, fmt.Errorf("kafka: ca_file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("kafka: ca_file %s holds no PEM certificate", o.CAFile)
			}
			cfg.RootCAs = pool
		}
		opts = append(opts, kgo.DialTLSConfig(cfg))
	}
	if o.SASLMechanism == "PLAIN" {
		opts = append(opts, kgo.SASL(plain.Auth{User: o.Username, Pass: o.Password}.AsMechanism()))
	}
	return opts, nil
}

// Run implements source.Source.
func (in *Input) Run(ctx context.Context, out chan<- source.Batch) error {
	o := in.opts
	copts, err := in.clientOptions()
	if err != nil {
		return err
	}
	cl, err := kgo.NewClient(copts...)
	if err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	defer func() {
		cl.AllowRebalance() // a blocked rebalance would keep Close from leaving the group
		cl.Close()
	}()
	// Reach the brokers (and authenticate) before joining the group, so that
	// a wrong address or password is an error at start, not silence.
	for attempt := 1; ; attempt++ {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = cl.Ping(pctx)
		cancel()
		if err == nil || ctx.Err() != nil {
			break
		}
		if attempt == 3 || isAuthError(err) {
			return fmt.Errorf("kafka: cannot reach or authenticate to %s: %w (check brokers, tls, sasl_mechanism, username and password)", strings.Join(o.Brokers, ","), err)
		}
		o.Logger.Warn("kafka: brokers not reachable yet; retrying", "input", o.Name, "brokers", o.Brokers, "error", err)
	}
	authFailures := 0
	for {
		fetches := cl.PollRecords(ctx, o.MaxBatch)
		if fetches.IsClientClosed() || ctx.Err() != nil {
			return nil
		}
		var fatal error
		fetches.EachError(func(topic string, p int32, err error) {
			if errors.Is(err, context.Canceled) {
				return
			}
			o.Logger.Warn("kafka: fetch error", "input", o.Name, "topic", topic, "partition", p, "error", err)
			if isAuthError(err) {
				fatal = err
			}
		})
		if fatal != nil {
			if authFailures++; authFailures >= 3 {
				return fmt.Errorf("kafka: %w (check sasl_mechanism, username and password)", fatal)
			}
		}
		in.lagMu.Lock()
		if in.lag == nil {
			in.lag = map[string]int64{}
		}
		fetches.EachPartition(func(p kgo.FetchTopicPartition) {
			if n := len(p.Records); n > 0 {
				in.lag[fmt.Sprintf("%s/%d", p.Topic, p.Partition)] = p.HighWatermark - (p.Records[n-1].Offset + 1)
			}
		})
		in.lagMu.Unlock()
		recs := fetches.Records()
		if len(recs) == 0 {
			cl.AllowRebalance()
			continue
		}
		authFailures = 0
		if !in.deliver(ctx, cl, recs, out) {
			return nil
		}
		cl.AllowRebalance()
	}
}

func isAuthError(err error) bool {
	s := err.Error()
	return strings.Contains(s, "SASL") || strings.Contains(strings.ToLower(s), "authentication")
}

// deliver sends one batch until it is acknowledged, then commits its
// offsets; false when ctx ended first (nothing is committed then).
func (in *Input) deliver(ctx context.Context, cl *kgo.Client, recs []*kgo.Record, out chan<- source.Batch) bool {
	o := in.opts
	var batch []source.Record
	for _, r := range recs {
		in.records.Add(1)
		in.bytes.Add(int64(len(r.Value)))
		if len(r.Value) == 0 {
			in.empty.Add(1)
			continue
		}
		batch = append(batch, source.Record{Data: r.Value, Index: o.Index, Origin: fmt.Sprintf("kafka %s/%d@%d", r.Topic, r.Partition, r.Offset)})
	}
	for attempt := 0; len(batch) > 0; attempt++ {
		done := make(chan error, 1)
		select {
		case out <- source.Batch{Records: batch, Ack: func(err error) { done <- err }}:
		case <-ctx.Done():
			return false
		}
		in.batches.Add(1)
		// Once sent, the batch is finished even during shutdown (serve
		// processes what it was given), so the commit can follow.
		err := <-done
		if err == nil {
			break
		}
		o.Logger.Warn("kafka: batch not processed; sending it again", "input", o.Name, "error", err, "attempt", attempt+1)
		select {
		case <-time.After(min(time.Duration(attempt+1)*time.Second, 30*time.Second)):
		case <-ctx.Done():
			return false
		}
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := cl.CommitRecords(cctx, recs...); err != nil {
		in.commitErrors.Add(1)
		o.Logger.Warn("kafka: commit failed; the records may be read again (no duplicate alert)", "input", o.Name, "error", err)
		return true
	}
	in.commits.Add(1)
	return true
}
