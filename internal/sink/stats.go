package sink

import "sync/atomic"

// Stats counts what a sink did since it was created.
type Stats struct {
	Written  int64 // alerts accepted
	Rejected int64 // alerts refused for good (a PermanentError or PartialError said so)
	Failures int64 // failed Write calls (or attempts, for Retry)
	Retries  int64 // attempts made again after a transient failure (Retry, Multi)
}

// StatsReporter is implemented by every sink of this package: the
// counters behind `vigil serve`'s /metrics.
type StatsReporter interface {
	Stats() Stats
}

// counters are the atomic counters sinks embed.
type counters struct {
	written, rejected, failures, retries atomic.Int64
}

// Stats implements StatsReporter.
func (c *counters) Stats() Stats {
	return Stats{Written: c.written.Load(), Rejected: c.rejected.Load(), Failures: c.failures.Load(), Retries: c.retries.Load()}
}

// count records the outcome of one Write of n alerts that returned err.
func (c *counters) count(n int, err error) {
	if err == nil {
		c.written.Add(int64(n))
		return
	}
	c.failures.Add(1)
	var pe *PartialError
	switch {
	case asPartial(err, &pe):
		c.written.Add(int64(n - len(pe.Pending) - len(pe.Rejected)))
		c.rejected.Add(int64(len(pe.Rejected)))
	case IsPermanent(err):
		c.rejected.Add(int64(n))
	}
}

// Every sink of the package reports its counters.
var (
	_ Sink          = (*File)(nil)
	_ StatsReporter = (*File)(nil)
	_ Sink          = (*Store)(nil)
	_ StatsReporter = (*Store)(nil)
	_ Sink          = (*Webhook)(nil)
	_ StatsReporter = (*Webhook)(nil)
	_ Sink          = (*Elasticsearch)(nil)
	_ StatsReporter = (*Elasticsearch)(nil)
	_ Sink          = (*Kafka)(nil)
	_ StatsReporter = (*Kafka)(nil)
	_ Sink          = (*NATS)(nil)
	_ StatsReporter = (*NATS)(nil)
	_ Sink          = (*Retrying)(nil)
	_ StatsReporter = (*Retrying)(nil)
	_ Sink          = (*Multi)(nil)
	_ StatsReporter = (*Multi)(nil)
)
