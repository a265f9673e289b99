package sink

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// KafkaOptions configure a Kafka sink.
type KafkaOptions struct {
	Brokers  []string // seed brokers, host:port
	Topic    string
	ClientID string // default "vigil"
	// Timeout bounds how long a record may wait for the brokers before its
	// Write fails transiently (default 30s, at least 1s).
	Timeout time.Duration
	// MaxMessageBytes is the largest record the sink sends (default
	// 1000000, Kafka's default message.max.bytes); a larger alert is
	// rejected.
	MaxMessageBytes int32
	TLS             *tls.Config // nil: plaintext
	// ClientOptions are appended to the client's options (SASL, say).
	ClientOptions []kgo.Opt
}

// Kafka produces each alert as one record (key = alert id, value = the
// document, headers rule_id and severity) and waits for every in-sync
// replica to acknowledge it (acks=all, idempotent producer).
type Kafka struct {
	topic   string
	display string
	client  *kgo.Client
	counters
}

// NewKafka creates the client; it connects on first use.
func NewKafka(opts KafkaOptions) (*Kafka, error) {
	if len(opts.Brokers) == 0 || opts.Topic == "" {
		return nil, errors.New("kafka: brokers and topic are required")
	}
	if opts.ClientID == "" {
		opts.ClientID = "vigil"
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	opts.Timeout = max(opts.Timeout, time.Second) // the least kgo allows
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = 1_000_000
	}
	kopts := []kgo.Opt{
		kgo.SeedBrokers(opts.Brokers...),
		kgo.ClientID(opts.ClientID),
		kgo.DefaultProduceTopic(opts.Topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordDeliveryTimeout(opts.Timeout),
		kgo.ProducerBatchMaxBytes(opts.MaxMessageBytes),
	}
	if opts.TLS != nil {
		kopts = append(kopts, kgo.DialTLSConfig(opts.TLS))
	}
	kopts = append(kopts, opts.ClientOptions...)
	cl, err := kgo.NewClient(kopts...)
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	return &Kafka{topic: opts.Topic, display: opts.Topic + "@" + strings.Join(opts.Brokers, ","), client: cl}, nil
}

// Name implements Sink.
func (k *Kafka) Name() string { return "kafka " + k.display }

// Close implements Sink.
func (k *Kafka) Close() error {
	k.client.Close()
	return nil
}

// Write implements Sink. Records that fail with a retriable Kafka error,
// a timeout or a cancelled ctx are pending; other failures (a record too
// large, no authorization for the topic) reject their alerts.
func (k *Kafka) Write(ctx context.Context, alerts []Alert) error {
	out := newOutcome(len(alerts))
	recs := make([]*kgo.Record, 0, len(alerts))
	kept := make([]Alert, 0, len(alerts))
	for _, a := range alerts {
		doc, err := compactDoc(a)
		if err != nil {
			out.reject(a, err)
			continue
		}
		recs = append(recs, &kgo.Record{
			Topic: k.topic,
			Key:   []byte(a.ID),
			Value: doc,
			Headers: []kgo.RecordHeader{
				{Key: "rule_id", Value: []byte(a.RuleID)},
				{Key: "severity", Value: []byte(a.Severity)},
			},
		})
		kept = append(kept, a)
	}
	if len(recs) > 0 {
		index := make(map[*kgo.Record]int, len(recs))
		for i, r := range recs {
			index[r] = i
		}
		// Results come in completion order: find each one's alert.
		failed := make([]error, len(recs))
		for _, r := range k.client.ProduceSync(ctx, recs...) {
			if i, ok := index[r.Record]; ok {
				failed[i] = r.Err
			}
		}
		for i, ferr := range failed {
			if ferr == nil {
				continue
			}
			err := fmt.Errorf("kafka %s: alert %s: %w", k.display, kept[i].ID, ferr)
			if kafkaTransient(ferr) {
				out.retry(kept[i], err)
			} else {
				out.reject(kept[i], Permanent(err))
			}
		}
	}
	err := out.err()
	k.count(len(alerts), err)
	return err
}

// kafkaTransient reports whether producing a record again may succeed.
func kafkaTransient(err error) bool {
	var ke *kerr.Error
	switch {
	case errors.Is(err, kgo.ErrClientClosed):
		return false
	case errors.As(err, &ke):
		return ke.Retriable
	}
	// Timeouts, exhausted retries, cancelled contexts, network errors.
	return true
}
