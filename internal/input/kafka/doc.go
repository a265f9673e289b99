// Package kafka is the Kafka input of `vigil serve`: a consumer-group member
// that reads one or more topics and hands their messages to the engine as
// source.Batch values. It also reads Azure Event Hubs through its Kafka
// endpoint.
//
// # Records
//
// Each Kafka message becomes one source.Record: Data is the message value,
// unchanged (an Azure {"records":[...]} envelope holding many events stays
// one record; the engine's decoder splits it), Index is Options.Index, and
// Origin is "kafka <topic>/<partition>@<offset>". Keys and headers are not
// read. Messages with an empty value (tombstones) are counted in
// Stats.Empty, logged with their offsets, skipped and committed.
//
// # Delivery
//
// Delivery is at least once. Offsets are never committed automatically: a
// partition's offset moves past a batch only after the engine called the
// batch's Ack(nil), that is after every alert the batch caused is stored.
// A batch acknowledged with an error is sent again, the same records, after
// a backoff (Options.RetryBackoff, doubling up to 30s), until it succeeds.
// After a crash, a restart or a rebalance, what was read but not committed
// is read again. Alert ids being deterministic (a hash of the event, the
// rule and the space), a record read twice produces no duplicate alert
// downstream: at-least-once delivery gives exactly-once alerts.
//
// Each batch holds records of one partition, in offset order, at most
// Options.MaxBatchRecords of them, and a partition has at most one batch in
// flight: its next batch is sent once the previous one is acknowledged, so
// the engine sees a partition's records in order. Fetching a partition is
// paused while it has records waiting. Several partitions' batches are in
// flight at once, which lets the engine's workers run them in parallel.
//
// # Scale-out and rebalances
//
// Several vigil replicas (or several inputs) configured with the same
// Group share the topics' partitions, each partition read by one member at
// a time; add partitions to add parallelism. When a rebalance takes a
// partition away, the member stops sending its batches, waits (at most
// Options.DrainTimeout) for the batch in flight to be acknowledged, commits
// it, and only then lets the partition go (kgo.BlockRebalanceOnPoll keeps a
// rebalance from slipping in between a poll and the moment its records are
// accounted for). So the next owner starts after everything acknowledged:
// records are read twice only when a batch was not acknowledged within
// DrainTimeout, or when a member is evicted (its partitions "lost") or
// crashes. Keep the engine's batch time well below the group's rebalance
// timeout (60s).
//
// Stateful rules (threshold, new_terms, suppression) keep their state in
// each replica: to keep it whole, partition the topic by the rule's group-by
// fields, or run one replica.
//
// # Azure Event Hubs
//
// Event Hubs (Standard tier or above) speaks the Kafka protocol on port 9093
// of the namespace, over TLS, with SASL PLAIN: the username is the literal
// string "$ConnectionString" and the password is a connection string of a
// shared access policy with the Listen right, either the namespace's or the
// event hub's:
//
//	Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=vigil;SharedAccessKey=...;EntityPath=activity-logs
//
// The event hub is the Kafka topic; Event Hubs creates the Kafka consumer
// group on first use. EventHubs builds these Options from the namespace and
// the connection string. Azure diagnostic settings export activity logs to
// an event hub as {"records":[...]} envelopes, which this input passes on
// unchanged. The input refreshes metadata every 3 minutes, below the 4
// minutes after which Event Hubs closes idle connections.
package kafka
