// Package source defines what every live input of `vigil serve` delivers
// (files tailed, stdin, the Elasticsearch-compatible HTTP ingest API, Kafka,
// NATS JetStream) and how it is acknowledged.
//
// An input reads records and hands them to the engine in batches. Each batch
// carries an Ack function: the engine calls it exactly once, after every
// alert the batch caused is durably stored (err == nil), or with the error
// that prevented it. Only then may the input commit its position (file
// checkpoint, Kafka offset, JetStream ack, HTTP response), so a crash never
// loses an event: it is read again and, alert ids being deterministic,
// produces no duplicate alert.
package source

import (
	"context"
	"sync"
	"time"
)

// Record is one event as an input read it.
type Record struct {
	// Data is one JSON document: an ECS event or a raw source record (an
	// Azure {"records":[...]} envelope is split by the engine's decoder).
	// The engine does not keep Data after the batch is acknowledged.
	Data []byte
	// Index is the index name the input gives the event ("" when it gives
	// none): the _index of a _bulk action, a configured name for a topic.
	Index string
	// Origin says where the record came from, for error messages and
	// metrics: "file /var/log/a.json line 12", "kafka azure/3@1234".
	Origin string
	// ID is the document id the sender chose (a _bulk action's _id), ""
	// when none: it then identifies the event in alert ids, as Elasticsearch's
	// _id does in Kibana's.
	ID string
}

// Batch is a group of records acknowledged together.
type Batch struct {
	Records []Record
	// Ack is called once by the consumer of the batch: nil when every alert
	// caused by the batch is stored, else the error. Inputs redeliver (or
	// answer with an error) what was not acknowledged with nil.
	Ack func(err error)
}

// Source is a live input.
type Source interface {
	// Name identifies the input in logs, metrics and checkpoints
	// (e.g. "tail:/var/log/azure", "kafka:azure-activity").
	Name() string
	// Run reads until ctx is done or a fatal error occurs, sending batches
	// to out. It returns nil when ctx was cancelled. Run must not return
	// before the batches it sent were acknowledged or ctx is done.
	Run(ctx context.Context, out chan<- Batch) error
}

// Checkpoints persist an input's position (a file offset, for instance)
// under a key. The state store implements it in SQLite.
type Checkpoints interface {
	LoadCheckpoint(ctx context.Context, key string) (value string, ok bool, err error)
	SaveCheckpoint(ctx context.Context, key, value string) error
}

// Deliver sends recs as one batch on out and waits for its
// acknowledgement, sending the batch again after a pause (retry, doubling up
// to maxRetry) each time it is acknowledged with an error; onRetry, when
// set, hears of each failure first. It reports whether the batch was
// acknowledged: false when ctx ended before (an acknowledgement already
// given when ctx ends still counts).
func Deliver(ctx context.Context, out chan<- Batch, recs []Record, retry, maxRetry time.Duration, onRetry func(err error, wait time.Duration)) bool {
	for {
		acked := make(chan error, 1)
		var once sync.Once
		b := Batch{Records: recs, Ack: func(err error) { once.Do(func() { acked <- err }) }}
		select {
		case out <- b:
		case <-ctx.Done():
			return false
		}
		var err error
		select {
		case err = <-acked:
		case <-ctx.Done():
			select {
			case err = <-acked:
			default:
				return false
			}
		}
		if err == nil {
			return true
		}
		if onRetry != nil {
			onRetry(err, retry)
		}
		t := time.NewTimer(retry)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return false
		}
		retry = min(2*retry, maxRetry)
	}
}
