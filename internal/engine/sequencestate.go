package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/sequence"
)

// DefaultSequenceEvents is how many events serve holds per eql sequence
// rule for its executions (Session.SequenceLimit): the events its steps
// selected within its look-back. Past it, new events are dropped, counted
// (DropSequenceCap) and logged until executions expire older ones.
const DefaultSequenceEvents = 100_000

// SequenceEvent is an event an eql sequence rule's steps selected, held in
// the Store for the rule's executions: its index and id (one event is
// held once, however often it is delivered), its time for the rule, and
// its JSON. Its place in the sequence's order is read from the JSON again
// when an execution runs.
type SequenceEvent struct {
	Index, EventID string
	Time           time.Time
	Raw            []byte
}

// holdSequence keeps matches of a sequence rule for the Store (at
// Commit); the events without the id their sender gave get the hash of
// their document (alert.EventID), as their alerts' ancestors will.
func (x *Session) holdSequence(r *Rule, at time.Time, ms []Match) {
	if x.seqHeld == nil {
		x.seqHeld = map[*Rule][]SequenceEvent{}
	}
	for _, m := range ms {
		if m.keyless() {
			continue // no step gives it a join key: it takes part in no sequence
		}
		if (!m.Order.OK && !r.Sequence.IsSample()) || len(m.Raw) == 0 && m.Doc == nil {
			x.drop(r, at, DropNoTime)
			continue
		}
		raw := m.Raw
		if raw == nil {
			var err error
			if raw, err = MarshalAlert(m.Doc); err != nil {
				x.drop(r, at, DropNoTime)
				continue
			}
		}
		e := &heldEvent{raw: raw, index: m.Index, eventID: m.EventID}
		e.ensureID()
		// Kept until Commit as it is: the Evaluator gives a sequence
		// rule's match its own copy of the event (shared by the event's
		// matches), not the input's buffer.
		x.seqHeld[r] = append(x.seqHeld[r], SequenceEvent{Index: m.Index, EventID: e.eventID, Time: m.Time, Raw: raw})
	}
}

// commitSequences stores the events the Session held, at most
// SequenceLimit per rule; those past it are dropped and counted.
func (x *Session) commitSequences(ctx context.Context) error {
	limit := x.SequenceLimit
	if limit == 0 {
		limit = DefaultSequenceEvents
	}
	rules := make([]*Rule, 0, len(x.seqHeld))
	for r := range x.seqHeld {
		rules = append(rules, r)
	}
	sort.Slice(rules, func(i, j int) bool { return rules[i].ID < rules[j].ID })
	for _, r := range rules {
		dropped, err := x.Store.HoldSequence(ctx, r.ID, x.seqHeld[r], max(limit, 0))
		if err != nil {
			return err
		}
		for range dropped {
			x.drop(r, x.Now, DropSequenceCap)
		}
	}
	x.seqHeld = nil
	return nil
}

// runSequence is a sequence rule's execution at at, as Kibana runs it:
// one EQL search over the events whose time for the rule lies within
// [at - look-back, at] (held in the Store, or by this Session), in the
// sequence's order, size = max_signals (the first sequences found, or the
// last with a tail pipe). Events older than the look-back are forgotten.
// A sequence whose alerts are stored already (found by an earlier
// execution: look-backs overlap, and a crash may run one again) gets the
// same ids and is not written again.
func (x *Session) runSequence(ctx context.Context, r *Rule, at time.Time) ([]Alert, error) {
	from := at.Add(-thresholdLookback(r)) // the look-back: max(from, interval)
	held, err := x.Store.SequenceEvents(ctx, r.ID, from)
	if err != nil {
		return nil, err
	}
	held = append(held[:len(held):len(held)], x.seqHeld[r]...)
	ev := event.New(nil, r.Sequence.Plan())
	items := make([]seqItem, 0, len(held))
	for _, h := range held {
		if h.Time.Before(from) || h.Time.After(at) {
			continue
		}
		ev.Reset(h.Raw)
		ns, tb, ok := r.Sequence.Order(ev)
		if !ok && !r.Sequence.IsSample() { // a sample needs no order
			x.drop(r, at, DropNoTime)
			continue
		}
		o := SequenceOrder{Time: ns, Tiebreaker: tb, OK: true}
		e := &heldEvent{raw: h.Raw, index: h.Index, eventID: h.EventID, holds: []seqHold{{r: r, t: h.Time, order: o}}}
		items = append(items, seqItem{e: e, t: h.Time, o: o})
	}
	items, dups := sortHeld(items)
	for range dups {
		x.drop(r, at, DropDuplicate)
	}
	size := r.Window.MaxSignals
	if size <= 0 {
		size = 100
	}
	sel := r.Sequence.NewSelection(size, false)
	if r.Sequence.IsSample() {
		sp, err := r.Sequence.NewSampler()
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.ID, err)
		}
		for _, it := range items {
			ev.Reset(it.e.raw)
			sp.Push(ev, it.e)
		}
		sel.Add(sp.Flush()...)
		for range sp.Stats().Dropped {
			x.drop(r, at, DropSequenceCap)
		}
		return x.sequenceResults(ctx, r, at, sel.Results())
	}
	sm, err := r.Sequence.NewSequenceMatcher()
	if err != nil {
		return nil, fmt.Errorf("rule %s: %w", r.ID, err)
	}
	for _, it := range items {
		ev.Reset(it.e.raw)
		rs, err := sm.Push(ev, it.e)
		if err != nil && !errors.Is(err, sequence.ErrNoTimestamp) && !errors.Is(err, sequence.ErrOutOfOrder) {
			return nil, fmt.Errorf("rule %s: %w", r.ID, err)
		}
		sel.Add(rs...)
	}
	sel.Add(sm.Flush()...)
	for range sm.Stats().Dropped {
		x.drop(r, at, DropSequenceCap)
	}
	return x.sequenceResults(ctx, r, at, sel.Results())
}

// sequenceResults builds the alerts of an execution's sequences (or
// samples) and keeps those not stored already.
func (x *Session) sequenceResults(ctx context.Context, r *Rule, at time.Time, results []*sequence.Result) ([]Alert, error) {
	if len(results) == 0 {
		return nil, nil
	}
	f := &seqFound{r: r}
	stored := func(id string) (bool, error) {
		known, err := x.Store.KnownAlerts(ctx, []string{id})
		return known[id], err
	}
	alerts, err := x.sequenceAlerts(ctx, r, at, results, f.event, stored)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(alerts))
	for i, a := range alerts {
		ids[i] = a.ID
	}
	known, err := x.Store.KnownAlerts(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := alerts[:0]
	for _, a := range alerts {
		if known[a.ID] {
			if a.Doc["kibana.alert.building_block_type"] == nil {
				x.drop(r, at, DropDuplicate) // one per sequence: its shell
			}
			continue
		}
		known[a.ID] = true
		out = append(out, a)
	}
	return out, nil
}
