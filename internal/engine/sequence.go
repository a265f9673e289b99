package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/vigil-project/vigil/internal/alert"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/sequence"
)

// DefaultSequenceMemory is how many bytes of event JSON a hunt holds for
// its eql sequence rules (HuntOptions.SequenceMemory): the events their
// steps select, kept until the end of the input to be put in time order.
// Events past it are dropped, counted per rule (RuleStats.SequenceDropped)
// and warned about.
const DefaultSequenceMemory = 512 << 20

// sequenceExecutor runs an eql sequence rule: the matches an execution
// sees are the events one of the sequence's steps selects (Rule.Match is
// sequence.Query.Relevant); it puts them in the sequence's order
// (timestamp_field, tiebreaker_field, then the rule's time and alert id,
// so that the result does not depend on the input's order), runs
// Elasticsearch's sequence matcher over them and returns, for each
// sequence found, Kibana's alerts: a building block per event and the
// shell that groups them (alert.BuildSequence). Each sequence spends one
// alert of the execution's max_signals. It holds no state between
// executions: like Kibana's, each execution is one EQL search over the
// matches it is given.
type sequenceExecutor struct{}

// Add finds the sequences among ms and returns their alerts.
func (sequenceExecutor) Add(_ context.Context, x *Session, r *Rule, at time.Time, ms []Match) ([]Alert, error) {
	q := r.Sequence
	plan := q.Plan()
	sortMatches(ms)
	type ordered struct {
		hit sequence.Hit
		i   int
	}
	hits := make([]ordered, 0, len(ms))
	for i, m := range ms {
		ns, tb, ok := q.Order(event.New(m.Raw, plan))
		if !ok {
			x.drop(r, at, DropNoTime)
			continue
		}
		hits = append(hits, ordered{hit: sequence.Hit{Time: ns, Tiebreaker: tb, Arrival: uint64(i)}, i: i})
	}
	sort.SliceStable(hits, func(a, b int) bool { return hits[a].hit.Compare(&hits[b].hit) < 0 })
	sm, err := q.NewSequenceMatcher()
	if err != nil {
		return nil, fmt.Errorf("rule %s: %w", r.ID, err)
	}
	var found []*sequence.Result
	for _, h := range hits {
		rs, err := sm.Push(event.New(ms[h.i].Raw, plan), h.i)
		if err != nil && !errors.Is(err, sequence.ErrNoTimestamp) && !errors.Is(err, sequence.ErrOutOfOrder) {
			return nil, fmt.Errorf("rule %s: %w", r.ID, err)
		}
		found = append(found, rs...)
	}
	found = append(found, sm.Flush()...)
	for range sm.Stats().Dropped {
		x.drop(r, at, DropSequenceCap)
	}
	now := x.Now
	var alerts []Alert
	for _, res := range found {
		if !x.take(r, at) {
			continue
		}
		evs := make([]alert.Event, len(res.Events))
		times := make([]time.Time, len(res.Events))
		for i, h := range res.Events {
			m := ms[h.Ref.(int)]
			doc, err := event.New(m.Raw, nil).Map()
			if err != nil {
				return nil, fmt.Errorf("rule %s: an event of a sequence: %w", r.ID, err)
			}
			evs[i] = alert.Event{Doc: doc, Index: m.Index, ID: m.EventID}
			times[i] = m.Time
		}
		docs := alert.BuildSequence(evs, r.Alert, alert.Options{Space: x.space(), Now: now})
		for i, doc := range docs {
			t := times[len(times)-1] // the shell: the sequence's last event
			if i < len(times) {
				t = times[i]
			}
			id, _ := doc["kibana.alert.uuid"].(string)
			alerts = append(alerts, Alert{ID: id, Rule: r, EventTime: t, Doc: doc, Exec: at})
		}
	}
	return alerts, nil
}

// Run does nothing: a sequence rule's alerts are decided by Add.
func (sequenceExecutor) Run(context.Context, *Session, *Rule, time.Time) ([]Alert, error) {
	return nil, nil
}
