package engine

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/vigil-project/vigil/internal/state"
)

// An Executor is a rule type: it turns the matches an execution of a rule
// sees into alerts, with Kibana's semantics for that type, over the state
// of a Session's Store. The same executor serves a hunt (executions on
// the event-time clock, over a MemoryStore) and serve (on the wall clock,
// over the SQLite store); tests drive it with a fake clock.
//
// A rule type that needs another executor (EQL sequences, ES|QL) adds a
// file with its Executor and a case in ExecutorFor; nothing else changes.
type Executor interface {
	// Add takes matches of rule r that the execution at at sees (the
	// matches of one batch in serve, of one scheduled execution in a hunt)
	// and returns the alerts they decide now. An executor that aggregates
	// (threshold) holds them in the Store instead and returns none.
	Add(ctx context.Context, x *Session, r *Rule, at time.Time, ms []Match) ([]Alert, error)
	// Run is the rule's scheduled execution at at: the alerts decided over
	// its window as a whole (threshold); none for the others.
	Run(ctx context.Context, x *Session, r *Rule, at time.Time) ([]Alert, error)
}

// ExecutorFor returns the executor of a rule's type.
func ExecutorFor(r *Rule) Executor {
	switch {
	case r.Threshold != nil:
		return thresholdExecutor{}
	case r.NewTerms != nil:
		return newTermsExecutor{}
	case r.ESQL != nil:
		return esqlExecutor{}
	case r.Sequence != nil:
		return sequenceExecutor{}
	default: // query, single-event EQL and threat_match (enriched when evaluated)
		return queryExecutor{}
	}
}

// Drop reasons: why a match or a built alert was not written.
const (
	DropMaxSignals  = "max_signals"   // past the execution's max_signals
	DropSuppressed  = "suppressed"    // counted into an open alert of its suppression group
	DropNotNew      = "not_new"       // new_terms: seen in the history window
	DropMissing     = "missing_field" // a threshold or new terms field is missing
	DropException   = "exception"     // an exception item removes the match
	DropNoIndicator = "no_indicator"  // threat_match: no indicator matches
	DropDuplicate   = "duplicate"     // its alert exists (the same event seen again)
	DropNoTime      = "no_timestamp"  // no usable time: a scheduled rule never selects it
	DropLate        = "late"          // older than the rule's look-back when it arrives
	DropSequenceCap = "sequence_cap"  // eql sequence: past the memory (hunt) or events (serve) held for sequences
)

// Session is a unit of work of the executors: one serve batch or Tick,
// or a hunt's executions of one rule. It caches the suppression groups it
// touched and the state it changed; Commit writes them to the Store once
// the alerts are stored. It is used by one goroutine at a time.
type Session struct {
	Store Store
	Space string    // Kibana space of the alerts (default "default")
	Now   time.Time // the alerts' creation time
	// Docs builds the documents of deferred matches (Evaluator.Defer);
	// nil: matches carry their documents.
	Docs *Evaluator
	// Budget counts each rule's alerts per execution against max_signals.
	Budget *Budget
	// KeepCapped keeps the alerts past max_signals (counted by Drop with
	// DropMaxSignals all the same): a hunt without --replay.
	KeepCapped bool
	// Drop, when set, is told of each match or built alert not written,
	// with the execution's time and the reason (Drop* constants).
	Drop func(r *Rule, at time.Time, reason string)
	// SequenceLimit is how many events the Store holds per eql sequence
	// rule (0: DefaultSequenceEvents; negative: no limit).
	SequenceLimit int

	groups  map[string]*group
	terms   map[*Rule]*termsSeen
	held    map[*Rule][]ThresholdMatch // threshold matches to hold
	counted map[*Rule]thresholdCounted // threshold groups counted
	seqHeld map[*Rule][]SequenceEvent  // eql sequence events to hold
}

// thresholdCounted is what a threshold execution counted: each group's
// newest counted match, and the start of its look-back.
type thresholdCounted struct {
	last  map[string]time.Time
	prune time.Time
}

// termsSeen is what a Session saw of a new terms rule's combinations.
type termsSeen struct {
	last map[string]time.Time // by ComboKey: the latest event time
	at   time.Time            // the latest execution: the history window starts History before
}

// group is a suppression group a Session touched.
type group struct {
	rec   state.Suppression
	terms []Term
	inst  string
	isNew bool           // opened by this Session
	doc   map[string]any // its alert's document
}

// Screen keeps the matches of a stream that an executor is to see at now,
// by rule, in the order the rules first come: it drops (and tells Drop)
// those an exception removed, without an indicator, lacking a group-by
// field, whose alert is stored or comes earlier in ms, without a time and,
// with dropLate, older than their rule's look-back at now.
func (x *Session) Screen(ctx context.Context, ms []Match, now time.Time, dropLate bool) ([]*Rule, map[*Rule][]Match, error) {
	ids := make([]string, 0, len(ms))
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	known, err := x.Store.KnownAlerts(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	byRule := map[*Rule][]Match{}
	var order []*Rule
	for _, m := range ms {
		r := m.Rule
		reason := ""
		switch {
		case m.ExcludedBy != "":
			reason = DropException
		case m.NoIndicator:
			reason = DropNoIndicator
		case m.Ungrouped:
			reason = DropMissing
		case m.ID != "" && known[m.ID]: // no id: a sequence's event (its alerts' ids come from the whole sequence)
			reason = DropDuplicate
		case !m.HasTime:
			reason = DropNoTime
		case dropLate && r.Late(m.Time, now):
			reason = DropLate
		}
		if reason != "" {
			x.drop(r, now, reason)
			continue
		}
		if m.ID != "" {
			known[m.ID] = true
		}
		if byRule[r] == nil {
			order = append(order, r)
		}
		byRule[r] = append(byRule[r], m)
	}
	return order, byRule, nil
}

// Add hands matches of r seen by the execution at at to r's executor.
func (x *Session) Add(ctx context.Context, r *Rule, at time.Time, ms []Match) ([]Alert, error) {
	return ExecutorFor(r).Add(ctx, x, r, at, ms)
}

// Run runs r's scheduled execution at at.
func (x *Session) Run(ctx context.Context, r *Rule, at time.Time) ([]Alert, error) {
	return ExecutorFor(r).Run(ctx, x, r, at)
}

// Commit stores the state the Session changed: the new terms seen, the
// threshold matches held and groups counted, the eql sequence events
// held, and the suppression groups
// (with the updated documents of alerts that existed before). Call it
// once the Session's alerts are stored: a Session that fails before
// leaves the Store as it was, and its input, delivered again, gives the
// same alerts.
func (x *Session) Commit(ctx context.Context) error {
	for r, seen := range x.terms {
		if err := x.Store.SaveTerms(ctx, r.ID, seen.last, seen.at.Add(-r.NewTerms.History)); err != nil {
			return err
		}
	}
	x.terms = nil
	for r, held := range x.held {
		if err := x.Store.HoldThreshold(ctx, r.ID, held); err != nil {
			return err
		}
	}
	x.held = nil
	for r, c := range x.counted {
		if err := x.Store.SaveThresholdLast(ctx, r.ID, c.last, c.prune); err != nil {
			return err
		}
	}
	x.counted = nil
	if err := x.commitSequences(ctx); err != nil {
		return err
	}
	keys := make([]string, 0, len(x.groups))
	for k := range x.groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g := x.groups[k]
		var doc map[string]any
		if !g.isNew {
			doc = g.doc
		}
		if err := x.Store.SaveSuppression(ctx, g.rec, doc); err != nil {
			return err
		}
		g.isNew = false
	}
	return nil
}

func (x *Session) space() string {
	if x.Space == "" {
		return "default"
	}
	return x.Space
}

func (x *Session) drop(r *Rule, at time.Time, reason string) {
	if x.Drop != nil {
		x.Drop(r, at, reason)
	}
}

// doc returns a match's alert document, built now for a deferred match.
func (x *Session) doc(m Match) (map[string]any, error) {
	if x.Docs == nil {
		return m.Doc, nil
	}
	return x.Docs.Doc(m)
}

// eventDoc returns a match's event document (or its alert document,
// whose source fields are the event's).
func (x *Session) eventDoc(m Match) (map[string]any, error) {
	if x.Docs == nil {
		return m.Doc, nil
	}
	return x.Docs.EventDoc(m)
}

// take spends one alert of r's max_signals budget for the execution at
// at; false: the alert is past it (kept anyway with KeepCapped).
func (x *Session) take(r *Rule, at time.Time) bool {
	if x.Budget == nil || x.Budget.Take(r, at) {
		return true
	}
	x.drop(r, at, DropMaxSignals)
	return x.KeepCapped
}

// openGroup returns the open group under key whose alert exists (in this
// Session or in the store, created no longer ago than the rule's
// suppression duration before at), or nil.
func (x *Session) openGroup(ctx context.Context, r *Rule, key string, terms []Term, inst string, at time.Time) (*group, error) {
	if g, ok := x.groups[key]; ok && r.SuppressionOpen(g.rec.CreatedAt, at) {
		return g, nil
	}
	rec, found, err := x.Store.LoadSuppression(ctx, key)
	if err != nil || !found || !r.SuppressionOpen(rec.CreatedAt, at) {
		return nil, err
	}
	doc, found, err := x.Store.AlertDoc(ctx, rec.AlertID)
	if err != nil || !found {
		return nil, err
	}
	g := &group{rec: rec, terms: terms, inst: inst, doc: doc}
	x.cache(g)
	return g, nil
}

// newGroup opens a group whose alert (id, doc) the execution at created
// writes.
func (x *Session) newGroup(key string, terms []Term, inst string, created, start, end time.Time, id string, doc map[string]any) *group {
	g := &group{terms: terms, inst: inst, isNew: true, doc: doc, rec: state.Suppression{
		Key: key, CreatedAt: created, Start: start, End: end, AlertID: id,
	}}
	x.cache(g)
	return g
}

func (x *Session) cache(g *group) {
	if x.groups == nil {
		x.groups = map[string]*group{}
	}
	x.groups[g.rec.Key] = g
}

// fold counts one more suppressed alert or match, covering start..end,
// into the group's alert, detected by the execution at at (its
// last_detected, when later than the execution that created it).
func (g *group) fold(start, end, at time.Time) {
	g.rec.DocsCount++
	if start.Before(g.rec.Start) {
		g.rec.Start = start
	}
	if end.After(g.rec.End) {
		g.rec.End = end
	}
	SuppressionFields(g.doc, g.terms, g.inst, g.rec.Start, g.rec.End, g.rec.DocsCount)
	if at.After(g.rec.CreatedAt) { // within its own execution, it was detected when created
		g.doc["kibana.alert.last_detected"] = at.UTC().Format("2006-01-02T15:04:05.000Z")
	}
}

// Interval is how often a rule runs (Kibana's default: 5m).
func Interval(r *Rule) time.Duration {
	if r.Window.Interval > 0 {
		return r.Window.Interval
	}
	return 5 * time.Minute
}

// ExecutionAfter is the execution of r that first sees an event at t:
// the end of the interval t falls in (executions run on the clock at
// whole multiples of the interval).
func ExecutionAfter(r *Rule, t time.Time) time.Time {
	i := Interval(r)
	return t.Truncate(i).Add(i)
}

// Budget is max_signals: how many alerts each rule wrote in its current
// execution (the interval its execution time falls in). It is safe for
// concurrent use.
type Budget struct {
	// Exhausted, when set, is called once per rule and execution when the
	// limit is first reached.
	Exhausted func(r *Rule, max int)

	mu sync.Mutex
	m  map[string]*budget
}

type budget struct {
	bucket time.Time
	used   int
	warned bool
}

// Take spends one alert of r's budget for the execution at at.
func (b *Budget) Take(r *Rule, at time.Time) bool {
	max := r.Window.MaxSignals
	if max <= 0 {
		max = 100
	}
	bucket := at.Truncate(Interval(r))
	b.mu.Lock()
	if b.m == nil {
		b.m = map[string]*budget{}
	}
	u := b.m[r.ID]
	if u == nil || !u.bucket.Equal(bucket) {
		u = &budget{bucket: bucket}
		b.m[r.ID] = u
	}
	ok := u.used < max
	warn := !ok && !u.warned
	if ok {
		u.used++
	} else {
		u.warned = true
	}
	b.mu.Unlock()
	if warn && b.Exhausted != nil {
		b.Exhausted(r, max)
	}
	return ok
}

// sortMatches orders matches by time, then alert id: an execution sees
// its matches oldest first, whatever the order they were read in.
func sortMatches(ms []Match) {
	sort.SliceStable(ms, func(i, j int) bool {
		if !ms[i].Time.Equal(ms[j].Time) {
			return ms[i].Time.Before(ms[j].Time)
		}
		return ms[i].ID < ms[j].ID
	})
}

// Late reports whether a match at t arrives, at now, before the rule's
// look-back: a scheduled Kibana rule would never search it.
func (r *Rule) Late(t, now time.Time) bool {
	return r.Window.Lookback > 0 && t.Before(now.Add(-r.Window.Lookback))
}
