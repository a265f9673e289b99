// Package engine runs compiled rules over events: it picks the rules whose
// index patterns select an event's index, narrows them with an index of the
// literals their queries require, evaluates queries and filters, applies
// Kibana's time semantics (timestamp_override with fallback, schedules,
// lookback windows, gaps, max_signals) and de-duplicates alerts by their
// deterministic id. The same engine serves `vigil hunt` (batch) and
// `vigil serve` (streaming).
package engine
