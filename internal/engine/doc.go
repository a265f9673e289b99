// Package engine runs compiled rules over events: it picks the rules whose
// index patterns select an event's index, narrows them with an index of the
// literals their queries require, evaluates queries and filters
// (Evaluator, stateless), and applies Kibana's semantics to the matches.
//
// Each rule type is an Executor, written once for batch and streaming:
// query.go (KQL, single-event EQL, threat_match, with alert suppression),
// threshold.go and newterms.go; suppressbuilt.go is the alert suppression
// and max_signals of the alerts the last two build. Executors work in a
// Session over a Store (store.go): MemoryStore for `vigil hunt`,
// SQLStore (internal/state) for `vigil serve`. Time comes from the caller:
// a hunt runs each rule's executions on the event-time clock at Finish
// (huntexec.go; replay.go simulates the schedule of query rules), serve at
// its wall clock, tests at a fake one. Nothing here reads the wall clock.
package engine
