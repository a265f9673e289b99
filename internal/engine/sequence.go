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
// steps select, each once whatever the number of rules, kept until the
// end of the input to be put in time order. Events past it are dropped,
// counted for each rule they would have fed (RuleStats.SequenceDropped),
// and warned about.
const DefaultSequenceMemory = 512 << 20

// sequenceExecutor runs an eql sequence rule as Kibana's schedule does:
// Add holds the matches of the rule (the events one of the sequence's
// steps selects: Rule.Match is sequence.Query.Relevant) in the Session's
// Store, at Commit; Run, the rule's scheduled execution at at, is one EQL
// search over the held events whose time lies in [at - look-back, at],
// with size = max_signals (runSequenceExecution). The events are put in
// the sequence's order there (timestamp_field, tiebreaker_field, then the
// event's id), so that events arriving out of order within the look-back
// still complete their sequences.
//
// A hunt does not go through Add and Run: it runs all its sequence rules
// over the events it held in one pass per order (Hunt.runSequences),
// reading each event once, then builds the alerts the same way
// (sequenceAlerts).
type sequenceExecutor struct{}

// Add implements Executor: the matches are held for the executions.
func (sequenceExecutor) Add(_ context.Context, x *Session, r *Rule, at time.Time, ms []Match) ([]Alert, error) {
	x.holdSequence(r, at, ms)
	return nil, nil
}

// Run implements Executor: the execution at at over the events held.
func (sequenceExecutor) Run(ctx context.Context, x *Session, r *Rule, at time.Time) ([]Alert, error) {
	return x.runSequence(ctx, r, at)
}

// seqItem is a held event in one rule's (or order's) stream.
type seqItem struct {
	e *heldEvent
	t time.Time // the rule's primary timestamp
	o SequenceOrder
}

// sortHeld orders events as a sequence's search sorts them: by timestamp,
// then tiebreaker (null last), then, for a result that does not depend on
// the input's order, by event id and index. Event ids are computed only
// for events that tie on timestamp and tiebreaker (decoding the others is
// left to the few that end up in a sequence); tying events with the same
// index and id are one event seen twice: the copies are dropped and
// counted.
func sortHeld(items []seqItem) ([]seqItem, int) {
	hit := func(o SequenceOrder) sequence.Hit { return sequence.Hit{Time: o.Time, Tiebreaker: o.Tiebreaker} }
	sort.SliceStable(items, func(i, j int) bool {
		a, b := hit(items[i].o), hit(items[j].o)
		return a.Compare(&b) < 0
	})
	out := items[:0]
	dups := 0
	for lo := 0; lo < len(items); {
		hi := lo + 1
		first := hit(items[lo].o)
		for hi < len(items) {
			h := hit(items[hi].o)
			if first.Compare(&h) != 0 {
				break
			}
			hi++
		}
		run := items[lo:hi]
		if len(run) > 1 {
			for _, it := range run {
				it.e.ensureID()
			}
			sort.SliceStable(run, func(i, j int) bool {
				a, b := run[i].e, run[j].e
				if a.eventID != b.eventID {
					return a.eventID < b.eventID
				}
				return a.index < b.index
			})
		}
		for i, it := range run {
			if i > 0 && len(run) > 1 && it.e.eventID == run[i-1].e.eventID && it.e.index == run[i-1].e.index {
				dups++
				continue
			}
			out = append(out, it)
		}
		lo = hi
	}
	return out, dups
}

// sequenceAlerts builds the alerts of the sequences r found in the
// execution at at; event gives a hit's event and its time for r from the
// hit's Ref.
func (x *Session) sequenceAlerts(r *Rule, at time.Time, found []*sequence.Result, get func(ref any) (*heldEvent, time.Time)) ([]Alert, error) {
	var alerts []Alert
	for _, res := range found {
		if !x.take(r, at) {
			continue
		}
		evs := make([]alert.Event, len(res.Events))
		times := make([]time.Time, len(res.Events))
		for i, h := range res.Events {
			e, t := get(h.Ref)
			doc, err := event.New(e.raw, nil).Map()
			if err != nil {
				return nil, fmt.Errorf("rule %s: an event of a sequence: %w", r.ID, err)
			}
			if e.eventID == "" {
				e.eventID = alert.EventID(doc)
			}
			evs[i] = alert.Event{Doc: doc, Index: e.index, ID: e.eventID}
			times[i] = t
		}
		docs := alert.BuildSequence(evs, r.Alert, alert.Options{Space: x.space(), Now: x.Now})
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

// heldEvent is an event a hunt holds for its sequence rules: its JSON
// (one copy for all the rules), and for each rule whose steps select it,
// its time and place in the rule's order.
type heldEvent struct {
	raw            []byte
	index, eventID string
	holds          []seqHold
}

// ensureID computes the event's id (alert.EventID) when its sender gave
// none: only for events that tie in a sequence's order or end up in a
// sequence.
func (e *heldEvent) ensureID() {
	if e.eventID != "" {
		return
	}
	if doc, err := event.New(e.raw, nil).Map(); err == nil {
		e.eventID = alert.EventID(doc)
	}
}

type seqHold struct {
	r     *Rule
	t     time.Time // the rule's primary timestamp
	order SequenceOrder
}

// sequenceHold is what a hunt keeps for its sequence rules.
type sequenceHold struct {
	events []*heldEvent
	seen   map[string]bool // index and event id of the events held
	bytes  int
	found  map[*Rule]*seqFound // filled by runSequences
}

// seqFound is what runSequences found for one rule.
type seqFound struct {
	r       *Rule
	results []*sequence.Result // refs: *heldEvent
	newest  time.Time          // the newest event time the rule held
	// batches, with --replay: the sequences each execution found, in
	// execution order (results is then unused).
	batches []seqBatch
}

// seqBatch is what one execution of a replayed sequence rule found.
type seqBatch struct {
	at      time.Time
	results []*sequence.Result
}

func (f *seqFound) event(ref any) (*heldEvent, time.Time) {
	e := ref.(*heldEvent)
	for _, h := range e.holds {
		if h.r == f.r {
			return e, h.t
		}
	}
	return e, time.Time{}
}

// holdSequence keeps a match of an eql sequence rule for runSequences: the
// matches of one event (consecutive, sharing its JSON) share one
// heldEvent; an event seen again (same index and id) is a duplicate.
func (h *Hunt) holdSequence(m Match, st *RuleStats, explain func(string, ...any)) error {
	r := m.Rule
	if !m.HasTime {
		return nil
	}
	s := &h.seq
	var e *heldEvent
	if n := len(s.events); n > 0 {
		if last := s.events[n-1]; len(last.raw) > 0 && len(m.Raw) > 0 && &last.raw[0] == &m.Raw[0] {
			e = last
		}
	}
	if e == nil {
		// An event whose sender gave its id is de-duplicated here; the
		// others when sorted (sortHeld), among the events of the same
		// time.
		key := m.Index + "\x00" + m.EventID
		if m.EventID != "" && s.seen[key] {
			st.Duplicates++
			explain("selected by a step of the sequence, but an earlier event had the same id: the same event seen again")
			return nil
		}
		limit := h.opts.SequenceMemory
		if limit <= 0 {
			limit = DefaultSequenceMemory
		}
		if s.bytes+len(m.Raw) > limit {
			st.SequenceDropped++
			explain("selected by a step of the sequence, but dropped: the hunt holds at most %d bytes of events for sequence rules", limit)
			return nil
		}
		if m.EventID != "" {
			if s.seen == nil {
				s.seen = map[string]bool{}
			}
			s.seen[key] = true
		}
		s.bytes += len(m.Raw)
		e = &heldEvent{raw: m.Raw, index: m.Index, eventID: m.EventID}
		s.events = append(s.events, e)
	}
	e.holds = append(e.holds, seqHold{r: r, t: m.Time, order: m.Order})
	st.Matches++
	explain("selected by a step of the sequence at %s; the sequences are decided at the end, in time order", m.Time.Format(time.RFC3339Nano))
	return nil
}

// runSequences runs the hunt's sequence rules over the events held: for
// each order (timestamp and tiebreaker fields), the events sorted once,
// each read once and pushed to the matchers of the rules that hold it.
func (h *Hunt) runSequences() error {
	s := &h.seq
	if len(s.events) == 0 {
		return nil
	}
	type orderKey struct{ ts, tb string }
	var keys []orderKey
	byKey := map[orderKey]map[*Rule]*sequence.SequenceMatcher{}
	for _, r := range h.opts.Engine.Rules() {
		if r.Sequence == nil {
			continue
		}
		ts, tb := r.Sequence.OrderFields()
		k := orderKey{ts, tb}
		if byKey[k] == nil {
			byKey[k] = map[*Rule]*sequence.SequenceMatcher{}
			keys = append(keys, k)
		}
		sm, err := r.Sequence.NewSequenceMatcher()
		if err != nil {
			return fmt.Errorf("rule %s: %w", r.ID, err)
		}
		byKey[k][r] = sm
	}
	s.found = map[*Rule]*seqFound{}
	plan := h.opts.Engine.Plan()
	if h.opts.Replay {
		for _, k := range keys {
			for _, r := range h.opts.Engine.Rules() {
				if byKey[k][r] != nil {
					if err := h.replaySequence(r); err != nil {
						return err
					}
				}
			}
		}
		keys = nil
	}
	for _, k := range keys {
		matchers := byKey[k]
		var items []seqItem
		for _, e := range s.events {
			for _, hd := range e.holds {
				if matchers[hd.r] == nil {
					continue
				}
				if hd.order.OK {
					items = append(items, seqItem{e: e, t: hd.t, o: hd.order})
				}
				break
			}
		}
		items, dups := sortHeld(items)
		if dups > 0 {
			for r := range matchers {
				h.stat(r).Duplicates += dups // an over-count for rules that did not hold them
			}
		}
		ev := event.New(nil, plan) // one event, reset for each: the matchers keep none
		for _, it := range items {
			ev.Reset(it.e.raw)
			for _, hd := range it.e.holds {
				sm := matchers[hd.r]
				if sm == nil {
					continue
				}
				f := s.found[hd.r]
				if f == nil {
					f = &seqFound{r: hd.r}
					s.found[hd.r] = f
				}
				if hd.t.After(f.newest) {
					f.newest = hd.t
				}
				rs, err := sm.Push(ev, it.e)
				if err != nil && !errors.Is(err, sequence.ErrNoTimestamp) && !errors.Is(err, sequence.ErrOutOfOrder) {
					return fmt.Errorf("rule %s: %w", hd.r.ID, err)
				}
				f.results = append(f.results, rs...)
			}
		}
		for r, sm := range matchers {
			f := s.found[r]
			if f == nil {
				continue
			}
			f.results = append(f.results, sm.Flush()...)
			st := h.stat(r)
			st.SequenceDropped += int(sm.Stats().Dropped)
			st.NoTime += int(sm.Stats().NoTime)
		}
	}
	for _, e := range s.events {
		for _, hd := range e.holds {
			if !hd.order.OK {
				h.stat(hd.r).NoTime++
			}
		}
	}
	s.events, s.seen = nil, nil
	for _, r := range h.opts.Engine.Rules() {
		if st := h.stats[r]; r.Sequence != nil && st != nil && st.SequenceDropped > 0 {
			st.Warnings = append(st.Warnings, fmt.Sprintf("dropped %s its sequence's steps selected (past the memory a hunt holds for sequences, or the matcher's key and pending bounds): sequences may be missed", plural(st.SequenceDropped, "event")))
		}
	}
	return nil
}

// replaySequence runs a sequence rule as Kibana's schedule does (--replay):
// each execution (Replay's schedule over the data's span) is one EQL
// search over its window's events (the rule's primary timestamp within
// [from, to]) with size = max_signals, the first sequences found; a
// sequence found again by a later execution gets the same ids and is
// written once (Hunt.execute). Sequences straddling two windows are found
// or missed as Kibana finds or misses them.
func (h *Hunt) replaySequence(r *Rule) error {
	var items []seqItem
	for _, e := range h.seq.events {
		for _, hd := range e.holds {
			if hd.r == r && hd.order.OK {
				items = append(items, seqItem{e: e, t: hd.t, o: hd.order})
			}
		}
	}
	if len(items) == 0 {
		return nil
	}
	items, dups := sortHeld(items)
	h.stat(r).Duplicates += dups
	f := &seqFound{r: r}
	h.seq.found[r] = f
	sched := Replay(nil, ReplayOptions{Window: r.Window, RunEvery: h.opts.RunEvery, Start: h.min, End: h.max})
	ev := event.New(nil, h.opts.Engine.Plan())
	st := h.stat(r)
	for _, ex := range sched.Executions {
		b := seqBatch{at: ex.StartedAt}
		for _, tp := range ex.Tuples {
			sm, err := r.Sequence.NewSequenceMatcher()
			if err != nil {
				return fmt.Errorf("rule %s: %w", r.ID, err)
			}
			size := tp.MaxSignals
			if size <= 0 {
				size = 100
			}
			sel := r.Sequence.NewSelection(size, false)
			for _, it := range items {
				if it.t.Before(tp.From) || it.t.After(tp.To) {
					continue
				}
				ev.Reset(it.e.raw)
				rs, err := sm.Push(ev, it.e)
				if err != nil && !errors.Is(err, sequence.ErrNoTimestamp) && !errors.Is(err, sequence.ErrOutOfOrder) {
					return fmt.Errorf("rule %s: %w", r.ID, err)
				}
				sel.Add(rs...)
			}
			sel.Add(sm.Flush()...)
			st.SequenceDropped += int(sm.Stats().Dropped)
			b.results = append(b.results, sel.Results()...)
		}
		if len(b.results) > 0 {
			f.batches = append(f.batches, b)
		}
	}
	st.Executions = len(sched.Executions)
	return nil
}
