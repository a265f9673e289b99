// Package sink defines where `vigil serve` delivers alerts (an NDJSON file,
// the SQLite store, a webhook, Elasticsearch's _bulk API, a Kafka topic, a
// NATS subject) and the retry policy that keeps a failing sink from losing
// any: the engine acknowledges its source only after every sink accepted
// the alerts of a batch.
package sink

import (
	"context"
	"encoding/json"
	"time"
)

// Alert is one alert document with the fields sinks route or key by.
type Alert struct {
	ID        string          // kibana.alert.uuid: deterministic, so a re-delivered alert can be de-duplicated
	RuleID    string          // the rule's rule_id
	RuleName  string          // kibana.alert.rule.name
	Severity  string          // kibana.alert.severity
	RiskScore int             // kibana.alert.risk_score
	EventTime time.Time       // kibana.alert.original_time; zero when unknown
	CreatedAt time.Time       // the alert's @timestamp
	Doc       json.RawMessage // the whole alert document
}

// Sink receives alerts.
type Sink interface {
	// Name identifies the sink in logs and metrics ("webhook https://…").
	Name() string
	// Write delivers alerts. A nil error means they are durably accepted
	// (written and flushed, acknowledged by the peer); an error means none
	// may be assumed delivered, and the caller will write them again, so
	// sinks must tolerate re-delivery (the alert id is stable).
	Write(ctx context.Context, alerts []Alert) error
	// Close flushes and releases the sink.
	Close() error
}
