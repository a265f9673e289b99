package engine

import (
	"bytes"
	"fmt"
	"sort"
	"time"

	"github.com/vigil-project/vigil/internal/alert"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/sequence"
)

// Alert is one alert a hunt produced.
type Alert struct {
	ID        string
	Rule      *Rule
	EventTime time.Time // the rule's primary timestamp of the event (zero if none)
	Doc       map[string]any
	// Exec is the execution that raised the alert, for the alerts a
	// threshold or new_terms rule builds at its executions (zero
	// otherwise): alert suppression's window is counted from it.
	Exec time.Time

	esqlSup *esqlSuppression // an ES|QL alert's suppression group, with alert suppression
}

// HuntOptions configure a batch hunt.
type HuntOptions struct {
	Engine *Engine
	// Index names the index of every event (vigil hunt --index); empty
	// resolves it per event.
	Index string
	// Since and Until keep only events whose primary timestamp lies within
	// [Since, Until]; zero values do not bound.
	Since, Until time.Time
	// Replay simulates Kibana's schedule: alerts are those the scheduled
	// rule would have created. Without it every matching event alerts once.
	Replay   bool
	RunEvery time.Duration // with Replay: how often Kibana ran the rule (default: its interval)
	Space    string
	Now      func() time.Time // the alerts' creation time
	// Emit receives each alert; without Replay as soon as it is found,
	// with Replay at Finish, oldest first per rule.
	Emit func(Alert) error
	// ExplainRule and Explain report what became of each match of one rule
	// (vigil hunt --explain-rule): alerted, duplicate, out of range...
	ExplainRule *Rule
	Explain     func(where, verdict string)
	// SequenceMemory bounds the bytes of event JSON an eql sequence or
	// sample rule's events take in memory until Finish (default
	// DefaultSequenceMemory); past it they are sorted into run files in
	// SequenceTempDir ("": the system's temporary directory), removed by
	// Finish or Close.
	SequenceMemory  int
	SequenceTempDir string
}

// RuleStats is what one rule did in a hunt.
type RuleStats struct {
	Rule       *Rule
	Matches    int // matching events (each alert id counted once)
	Duplicates int // matches whose alert id was already raised
	NoTime     int // matches without a usable timestamp (a scheduled rule never sees them)
	OutOfRange int // matches outside --since/--until
	Alerts     int // alerts emitted
	Suppressed int // matches counted into another alert by alert suppression
	Excluded   int // matches removed by an exception
	NotNew     int // new_terms: value combinations already seen in the history window
	// NoIndicator counts threat_match query matches no indicator matched.
	NoIndicator int
	// Scheduled-rule view (computed for every hunt, enforced with Replay):
	Executions    int
	Capped        int // alerts max_signals would have dropped for good
	NeverSearched int // matches that fell in a schedule gap
	Warnings      []string
	// Ungrouped counts threshold and new_terms matches lacking a group-by
	// (or new terms) field: they count in no group.
	Ungrouped int
	// BestCount and BestDistinct are a threshold rule's largest group in
	// one execution: its matches, and its distinct cardinality values.
	BestCount, BestDistinct int
	// SequenceDropped counts the events or sequences an eql sequence or
	// sample rule's matcher dropped at its key and pending bounds.
	SequenceDropped int
}

// Hunt runs rules over events in batch.
type Hunt struct {
	opts  HuntOptions
	stats map[*Rule]*RuleStats
	seen  map[string]bool
	hits  map[*Rule][]pending
	held  map[*Rule][]Match // query matches held for alert suppression
	terms map[*Rule][]Match // new terms matches
	thr   map[*Rule][]ThresholdMatch
	esql  map[*Rule]*esqlState // ES|QL rules: each execution's run
	// The event the ES|QL rules read, its JSON and plan.
	esqlEv   *event.Event
	esqlRaw  []byte
	esqlPlan *event.Plan
	// esqlAlone makes each execution of an ES|QL rule read the event
	// whole (esql.Run.Add), not the query's head evaluated once for all
	// (esql.Shared): for tests that compare the two.
	esqlAlone bool
	esqlDisk  *esqlScratch // the documents of ES|QL rules with a long look-back
	seq       sequenceHold // the events eql sequence rules' steps select
	min       time.Time
	max       time.Time
	// store is the executors' state: a hunt's executions of a rule run
	// over it in time order at Finish.
	store  *MemoryStore
	budget *Budget
}

type pending struct {
	hit Hit
	doc map[string]any
}

// NewHunt starts a hunt.
func NewHunt(opts HuntOptions) *Hunt {
	if opts.Now == nil {
		opts.Now = func() time.Time { return time.Time{} }
	}
	return &Hunt{opts: opts, stats: map[*Rule]*RuleStats{}, seen: map[string]bool{}, hits: map[*Rule][]pending{},
		held: map[*Rule][]Match{}, terms: map[*Rule][]Match{}, thr: map[*Rule][]ThresholdMatch{},
		esql:  map[*Rule]*esqlState{},
		store: NewMemoryStore(), budget: &Budget{}}
}

// Match is one rule matching one event, with the alert it would raise. It
// is produced by Evaluate, which is safe to run on many goroutines, and
// consumed by a Hunt (or the streaming service), which holds the state.
type Match struct {
	Rule    *Rule
	Index   string    // the event's index
	Time    time.Time // the rule's primary timestamp of the event
	HasTime bool      // false: the event has no usable time for the rule
	ID      string    // the alert id (kibana.alert.uuid)
	EventID string    // the event's id in the alert id (its _id, or a hash of it)
	// Doc is the alert document; for a threshold rule, whose alerts are
	// built per group at its executions, the event's own document.
	Doc   map[string]any
	Where string // where the event was read, for explanations (optional)
	// ExcludedBy names the exception item that removed the match; such a
	// match raises no alert (it is reported for statistics and explanations).
	ExcludedBy string
	// NoIndicator is set when a threat_match rule's query matches but no
	// indicator does: no alert either.
	NoIndicator bool
	// Ungrouped is set when a threshold or new_terms rule's query matches
	// an event lacking one of the rule's group-by (or new terms) fields:
	// the aggregation leaves it out, so it raises no alert and counts in
	// no group. Such a match has no ID (the event is not decoded).
	Ungrouped bool
	// Raw is the event's JSON, set instead of Doc by an Evaluator that
	// defers documents (Evaluator.Defer); Doc builds the document from it
	// when the match is to be written. It aliases the evaluated input.
	Raw []byte
	// Laid is where Raw's values lie when its writer knew (a raw record
	// Vigil normalized): the ES|QL rules read them without scanning Raw.
	Laid event.Laid
	// Enrichments are a deferred threat_match match's threat.enrichments.
	Enrichments []any
	// More are the other ES|QL rules that read the event at the same
	// time (Rule is the first): one match for them all, since every event
	// of their indices is a match of each.
	More []*Rule
	// Order is an eql sequence rule's match's place in the sequence's
	// order (its timestamp_field and tiebreaker_field), read when it is
	// evaluated.
	Order SequenceOrder
	// Facts are what an eql sequence rule's steps make of the event
	// (sequence.Query.AppendFacts), read when it is evaluated. When no
	// step selects the event with a join key (the steps' condition holds,
	// but a key field is null), the event takes part in no sequence: Raw
	// is nil then.
	Facts []byte
}

// noFacts are the facts of an event no step of a sequence selects with
// a join key.
var noFacts = []byte{0}

// keyless reports whether an eql sequence rule's match is of an event no
// step selects with a join key (its facts have no entry): it takes part
// in no sequence.
func (m *Match) keyless() bool { return len(m.Facts) == 1 && m.Facts[0] == 0 }

// SequenceOrder is an event's place in an eql sequence's order.
type SequenceOrder struct {
	Time       int64 // nanoseconds since the epoch
	Tiebreaker any   // nil without a tiebreaker field (or a value)
	OK         bool  // false: no readable timestamp
}

// Evaluator turns events into matches. It holds no mutable state: one
// Evaluator serves any number of goroutines, each with its own Event.
type Evaluator struct {
	Engine *Engine
	Index  string // the index of every event; empty resolves it per event
	Space  string // Kibana space of the alerts (default "default")
	Now    func() time.Time
	// RunAt gives the time of the execution that evaluates a match of r
	// at t (for a threat_match rule's threat_query); nil: the first
	// execution of the rule's schedule that covers t, as a hunt simulates.
	RunAt func(r *Rule, t time.Time) time.Time
	// Coverage, when set, records the index and the fields of every event
	// evaluated (see WhyNoAlert). It is not safe for concurrent use: an
	// Evaluator with one serves one goroutine.
	Coverage *Coverage
	// Defer leaves matches without a document: each carries the event's
	// JSON (Match.Raw) instead, and Doc builds the document of the few
	// that are written. A stream of matching events then holds no alert
	// document that de-duplication or max_signals would drop (an alert
	// document holds the whole event and the rule's parameters).
	Defer bool
	// Arena, when set, is where the JSON of the events that sequence and
	// ES|QL matches hold is copied (slabs shared by many events, where
	// each copy was an allocation of its own). An Arena serves one
	// goroutine: an Evaluator with one serves one goroutine.
	Arena *Arena
}

// Arena copies events' JSON into shared slabs. A slab lives as long as
// any copy in it: for events held until the end of a hunt (sequence
// steps' matches) it wastes nothing.
type Arena struct {
	slab []byte
}

// arenaSlab is the size of an Arena's allocations; larger events get an
// allocation of their own.
const arenaSlab = 256 << 10

// Clone returns a copy of b; a nil Arena allocates it alone.
func (a *Arena) Clone(b []byte) []byte {
	if a == nil || len(b) > arenaSlab/16 {
		return bytes.Clone(b)
	}
	if cap(a.slab)-len(a.slab) < len(b) {
		a.slab = make([]byte, 0, arenaSlab)
	}
	at := len(a.slab)
	a.slab = append(a.slab, b...)
	return a.slab[at:len(a.slab):len(a.slab)]
}

// runAt is the time of the execution that sees a match at t.
func (x *Evaluator) runAt(r *Rule, t time.Time, ok bool) time.Time {
	if x.RunAt != nil {
		return x.RunAt(r, t)
	}
	if !ok {
		if x.Now != nil {
			return x.Now()
		}
		return time.Time{} // no clock given: the engine never reads the wall clock
	}
	interval := r.Window.Interval
	if interval <= 0 {
		interval = 5 * time.Minute
	}
	exec := t.Truncate(interval)
	if exec.Before(t) {
		exec = exec.Add(interval)
	}
	return exec
}

// Evaluate appends to ms the matches of ev (read through the engine's plan)
// and returns them. The alert documents are built here, so that the costly
// part of a match runs in parallel.
func (x *Evaluator) Evaluate(ev *event.Event, ms []Match) ([]Match, error) {
	return x.EvaluateID(ev, "", ms)
}

// EvaluateID is Evaluate for an event whose id its sender gave (a _bulk
// _id): alert ids then use it, as Kibana's use Elasticsearch's _id.
func (x *Evaluator) EvaluateID(ev *event.Event, id string, ms []Match) ([]Match, error) {
	if err := ev.Err(); err != nil {
		return ms, err
	}
	index := x.Index
	if index == "" {
		index = x.Engine.ResolveIndex(ev)
	}
	if x.Coverage != nil {
		x.Coverage.note(index, ev)
	}
	space := x.Space
	if space == "" {
		space = "default"
	}
	// The document is decoded once, by the first match that needs it:
	// most events match nothing and cost no allocation.
	var lz *lazyDoc
	var order sequence.TimeMemo // the sequence rules' timestamp, parsed once
	var times timeMemo          // the rules' event times (EventTime), parsed once
	x.Engine.eval(ev, index, func(r *Rule, at reached) {
		if lz != nil && lz.err != nil {
			return
		}
		if r.Exclude != nil {
			if excluded, item := r.Exclude(ev); excluded {
				ms = append(ms, Match{Rule: r, Index: index, ExcludedBy: item})
				return
			}
		}
		t, ok := r.eventTime(ev, &times)
		if !r.grouped(ev) {
			ms = append(ms, Match{Rule: r, Index: index, Time: t, HasTime: ok, Ungrouped: true})
			return
		}
		if lz == nil {
			lz = &lazyDoc{ev: ev, eventID: id, esql: -1}
		}
		if r.ESQL != nil {
			// The query reads the event at its executions: its JSON
			// (copied: the input's buffer is reused) and its _id.
			if lz.raw == nil {
				lz.raw = x.Arena.Clone(ev.Raw())
			}
			if !r.ESQL.Program.Aggregating() && lz.eventID == "" && lz.get() == nil {
				return
			}
			if lz.esql >= 0 && lz.esql < len(ms) {
				if first := &ms[lz.esql]; first.Time.Equal(t) && first.HasTime == ok && first.EventID == lz.eventID {
					first.More = append(first.More, r)
					return
				}
			}
			lz.esql = len(ms)
			ms = append(ms, Match{Rule: r, Index: index, Time: t, HasTime: ok, EventID: lz.eventID, Raw: lz.raw})
			return
		}
		var enrichments []any
		if r.Threat != nil {
			if enrichments = r.Threat.Enrich(ev, lz.get, x.runAt(r, t, ok)); len(enrichments) == 0 {
				ms = append(ms, Match{Rule: r, Index: index, Time: t, HasTime: ok, NoIndicator: true})
				return
			}
		}
		if r.Sequence != nil {
			// What the sequence's steps make of the event (which select
			// it, with which join keys) is read now, once, on the event
			// already scanned: the sequence matcher works from it at the
			// end (sequence.Query.AppendFacts).
			var fb [256]byte
			// The steps of parts the rule index did not reach select
			// nothing, and those of parts it evaluated select the
			// event as the part's verdict says: neither is evaluated
			// again.
			facts := r.Sequence.AppendFactsKnown(fb[:0], ev, at.verdict)
			ns, tb, tok := r.Sequence.OrderMemo(ev, &order)
			m := Match{Rule: r, Index: index, Time: t, HasTime: ok, EventID: lz.eventID,
				Order: SequenceOrder{Time: ns, Tiebreaker: tb, OK: tok}, Facts: noFacts}
			if len(facts) > 1 || facts[0] != 0 {
				// The sequence executor reads the event again once the
				// matches are in time order: it keeps the event's JSON
				// (one copy, whatever the number of sequence rules),
				// unless no step gives it a join key (a key field is
				// null): it then takes part in no sequence.
				if lz.raw == nil {
					lz.raw = x.Arena.Clone(ev.Raw())
				}
				m.Raw, m.Facts = lz.raw, x.Arena.Clone(facts)
			}
			// No alert id: a sequence's alerts get theirs from all its
			// events (alert.BuildSequence); the hunt de-duplicates the
			// events themselves. The event id (a hash of the decoded
			// document, when the sender gave none) is computed later,
			// only where needed (sortHeld).
			ms = append(ms, m)
			return
		}
		if x.Defer {
			if lz.eventID == "" && lz.get() == nil {
				return
			}
			ms = append(ms, Match{Rule: r, Index: index, Time: t, HasTime: ok, EventID: lz.eventID,
				ID: alert.ID(index, lz.eventID, space, r.Alert.UUID), Raw: ev.Raw(), Enrichments: enrichments})
			return
		}
		doc := lz.get()
		if doc == nil {
			return
		}
		var now time.Time
		if x.Now != nil {
			now = x.Now()
		}
		id := alert.ID(index, lz.eventID, space, r.Alert.UUID)
		if r.Threshold != nil {
			// A threshold rule alerts per group, from its terms: its
			// matches carry the event's own document, not an alert.
			ms = append(ms, Match{Rule: r, Index: index, Time: t, HasTime: ok, EventID: lz.eventID, ID: id, Doc: doc})
			return
		}
		a := alert.Event{Doc: doc, Index: index, ID: lz.eventID}
		built := alert.Build(a, r.Alert, alert.Options{Space: space, Now: now})
		if enrichments != nil {
			alert.AddEnrichments(built, enrichments)
		}
		ms = append(ms, Match{Rule: r, Index: index, Time: t, HasTime: ok, EventID: lz.eventID, ID: id, Doc: built})
	})
	if lz != nil {
		return ms, lz.err
	}
	return ms, nil
}

// Doc returns a match's document: the one it carries, or for a deferred
// match (Evaluator.Defer) the one it would have carried, built now: its
// alert document, or for a threshold rule the event's own.
func (x *Evaluator) Doc(m Match) (map[string]any, error) {
	if m.Doc != nil || m.Raw == nil {
		return m.Doc, nil
	}
	doc, err := event.New(m.Raw, nil).Map()
	if err != nil {
		return nil, err
	}
	if m.Rule.Threshold != nil {
		return doc, nil
	}
	space := x.Space
	if space == "" {
		space = "default"
	}
	var now time.Time
	if x.Now != nil {
		now = x.Now()
	}
	built := alert.Build(alert.Event{Doc: doc, Index: m.Index, ID: m.EventID}, m.Rule.Alert, alert.Options{Space: space, Now: now})
	if m.Enrichments != nil {
		alert.AddEnrichments(built, m.Enrichments)
	}
	return built, nil
}

// EventDoc returns the event's own document of a deferred match, or the
// alert document a match carries (whose source fields are the event's).
func (x *Evaluator) EventDoc(m Match) (map[string]any, error) {
	if m.Doc != nil || m.Raw == nil {
		return m.Doc, nil
	}
	return event.New(m.Raw, nil).Map()
}

// lazyDoc decodes an event's document and its id (the sender's, else a
// hash of the document) on first use.
type lazyDoc struct {
	ev      *event.Event
	doc     map[string]any
	eventID string
	err     error
	raw     []byte // the event's JSON, copied for ES|QL and sequence rules
	esql    int    // the index of the event's ES|QL match in ms, -1: none
}

// get returns the document, nil after a decoding error (kept in err).
func (l *lazyDoc) get() map[string]any {
	if l.doc == nil && l.err == nil {
		l.doc, l.err = l.ev.Map()
		if l.err == nil && l.eventID == "" {
			l.eventID = alert.EventID(l.doc)
		}
	}
	return l.doc
}

// Event evaluates one ECS event (raw JSON, read through ev, which must use
// the engine's plan) and adds its matches: Evaluate and Add in one call.
func (h *Hunt) Event(ev *event.Event) error {
	x := Evaluator{Engine: h.opts.Engine, Index: h.opts.Index, Space: h.opts.Space, Now: h.opts.Now}
	ms, err := x.Evaluate(ev, nil)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := h.Add(m); err != nil {
			return err
		}
	}
	return nil
}

// Add records one match: time bounds, de-duplication by alert id, and
// either immediate emission or, with Replay, the schedule simulation at
// Finish. Matches must be added in input order for a deterministic result.
func (h *Hunt) Add(m Match) error {
	if len(m.More) > 0 {
		more := m.More
		m.More = nil
		if err := h.Add(m); err != nil {
			return err
		}
		for _, r := range more {
			m.Rule = r
			if err := h.Add(m); err != nil {
				return err
			}
		}
		return nil
	}
	r := m.Rule
	st := h.stat(r)
	explain := func(format string, args ...any) {
		if h.opts.Explain != nil && r == h.opts.ExplainRule {
			h.opts.Explain(m.Where, fmt.Sprintf(format, args...))
		}
	}
	if m.ExcludedBy != "" {
		st.Excluded++
		explain("matches, but the exception item %q removes it", m.ExcludedBy)
		return nil
	}
	if m.NoIndicator {
		st.NoIndicator++
		explain("the query matches, but no indicator meets the threat mapping (or the indicators that do fail threat_query at the execution's time)")
		return nil
	}
	if m.Ungrouped {
		st.Ungrouped++
		// Not in the data's span either: the rule's aggregation never
		// sees the event (and a raw record the prefilter let go, which
		// could only be such a match, must count alike).
		explain("matches, but lacks a value of %v: the rule groups by them, so the event counts in no group", r.groupFields())
		return nil
	}
	if !m.HasTime {
		st.NoTime++
		explain("matches, but has no usable timestamp for the rule (%s): a scheduled Kibana rule would never select it", timeField(r))
	} else {
		if (!h.opts.Since.IsZero() && m.Time.Before(h.opts.Since)) || (!h.opts.Until.IsZero() && m.Time.After(h.opts.Until)) {
			st.OutOfRange++
			explain("matches, but its time %s is outside --since/--until", m.Time.Format(time.RFC3339Nano))
			return nil
		}
		h.span(m.Time)
	}
	if r.ESQL != nil {
		// Every event of the rule's indices is a match: each execution's
		// query decides (no per-event de-duplication, which would hold
		// an id per event).
		if m.HasTime {
			st.Matches++
			explain("read at %s by the ES|QL query of the executions whose range holds it (decided at the end)", m.Time.Format(time.RFC3339Nano))
			return h.addESQL(m)
		}
		return nil
	}
	if r.Sequence != nil {
		return h.holdSequence(m, st, explain)
	}
	if h.seen[m.ID] {
		st.Duplicates++
		explain("matches, but an earlier event had the same alert id %s: the same event seen again", m.ID)
		return nil
	}
	h.seen[m.ID] = true
	st.Matches++
	if r.Threshold != nil {
		if !m.HasTime {
			return nil
		}
		x, ok := r.Threshold.Hold(m)
		if !ok {
			explain("matches, but lacks a group-by or cardinality field of the threshold")
			return nil
		}
		explain("matches at %s, counted in threshold groups %v (decided per execution at the end)", m.Time.Format(time.RFC3339Nano), x.Groups)
		h.thr[r] = append(h.thr[r], x)
		return nil
	}
	if r.NewTerms != nil {
		if !m.HasTime {
			return nil
		}
		// The executor reads the terms at Finish; they are read here only
		// to explain.
		if h.opts.Explain != nil && r == h.opts.ExplainRule {
			combos := r.NewTerms.Combos(m.Doc)
			if len(combos) == 0 {
				explain("matches, but lacks a value of %v: a new terms rule needs them all", r.NewTerms.Fields)
				return nil
			}
			explain("matches at %s with terms %v; new if not seen in the history window (decided at the end)", m.Time.Format(time.RFC3339Nano), combos)
		}
		h.terms[r] = append(h.terms[r], m)
		return nil
	}
	if r.Suppression != nil && m.HasTime {
		// Its executions decide, under one max_signals with the rule's
		// suppressed alerts (the groups are read here only to explain).
		if h.opts.Explain != nil && r == h.opts.ExplainRule {
			if groups, ok := r.Suppression.Groups(m.Doc); ok {
				explain("matches at %s; held for alert suppression by %v (groups %v): one alert per group and period, counted in the summary", m.Time.Format(time.RFC3339Nano), r.Suppression.GroupBy, groups)
			} else {
				explain("matches at %s; lacks a value of %v, which does not suppress: an alert of its own (decided at the end)", m.Time.Format(time.RFC3339Nano), r.Suppression.GroupBy)
			}
		}
		h.held[r] = append(h.held[r], m)
		return nil
	}
	if h.opts.Replay {
		if m.HasTime {
			h.hits[r] = append(h.hits[r], pending{hit: Hit{Time: m.Time, ID: m.ID}, doc: m.Doc})
			explain("matches at %s; the schedule replay decides whether a run alerts on it (see the summary)", m.Time.Format(time.RFC3339Nano))
		}
		return nil
	}
	explain("matches at %s: alert %s", m.Time.Format(time.RFC3339Nano), m.ID)
	if m.HasTime {
		h.hits[r] = append(h.hits[r], pending{hit: Hit{Time: m.Time, ID: m.ID}})
	}
	st.Alerts++
	return h.emit(Alert{ID: m.ID, Rule: r, EventTime: m.Time, Doc: m.Doc})
}

func (h *Hunt) space() string {
	if h.opts.Space == "" {
		return "default"
	}
	return h.opts.Space
}

func (h *Hunt) span(t time.Time) {
	if h.min.IsZero() || t.Before(h.min) {
		h.min = t
	}
	if h.max.IsZero() || t.After(h.max) {
		h.max = t
	}
}

func (h *Hunt) stat(r *Rule) *RuleStats {
	st := h.stats[r]
	if st == nil {
		st = &RuleStats{Rule: r}
		h.stats[r] = st
	}
	return st
}

func (h *Hunt) emit(a Alert) error {
	if h.opts.Emit == nil {
		return nil
	}
	return h.opts.Emit(a)
}

// Finish simulates each rule's schedule over the data's time span, emits
// the alerts of a replay, and returns per-rule statistics in rule order.
func (h *Hunt) Finish() ([]*RuleStats, error) {
	var firstErr error
	for _, r := range h.opts.Engine.Rules() {
		ps := h.hits[r]
		if len(ps) == 0 {
			continue
		}
		st := h.stat(r)
		sort.SliceStable(ps, func(i, j int) bool {
			if !ps[i].hit.Time.Equal(ps[j].hit.Time) {
				return ps[i].hit.Time.Before(ps[j].hit.Time)
			}
			return ps[i].hit.ID < ps[j].hit.ID
		})
		hits := make([]Hit, len(ps))
		for i, p := range ps {
			hits[i] = p.hit
		}
		res := Replay(hits, ReplayOptions{Window: r.Window, RunEvery: h.opts.RunEvery, Start: h.min, End: h.max})
		st.Executions = len(res.Executions)
		st.Capped = len(res.Dropped)
		st.NeverSearched = len(res.NeverSearched)
		truncatedRuns, gapRuns := 0, 0
		for _, ex := range res.Executions {
			if ex.Truncated > 0 {
				truncatedRuns++
			}
			if ex.Missed > 0 {
				gapRuns++
			}
		}
		if truncatedRuns > 0 {
			st.Warnings = append(st.Warnings, fmt.Sprintf("%d of %s: %s", truncatedRuns, plural(len(res.Executions), "run"), MaxSignalsWarning))
		}
		if gapRuns > 0 {
			st.Warnings = append(st.Warnings, fmt.Sprintf("%s a gap: %s never searched; increase the rule's look-back or run it more often", pluralVerb(gapRuns, "run", "had", "had"), pluralVerb(len(res.NeverSearched), "matching event", "was", "were")))
		}
		if !h.opts.Replay {
			continue
		}
		for _, ex := range res.Executions {
			for _, i := range ex.Alerted {
				st.Alerts++
				if err := h.emit(Alert{ID: hits[i].ID, Rule: r, EventTime: hits[i].Time, Doc: ps[i].doc}); err != nil && firstErr == nil {
					firstErr = err
				}
			}
		}
	}
	if err := h.runSequences(); err != nil && firstErr == nil {
		firstErr = err
	}
	for _, r := range h.opts.Engine.Rules() {
		if err := h.execute(r); err != nil && firstErr == nil {
			firstErr = err
		}
		if err := h.finishESQL(r); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	h.closeScratch()
	var out []*RuleStats
	for _, r := range h.opts.Engine.Rules() {
		if st, ok := h.stats[r]; ok {
			out = append(out, st)
		}
	}
	return out, firstErr
}

// Close removes the files a hunt that did not Finish wrote (the sorted
// runs of its sequence rules' events, the documents of its ES|QL rules
// with a long look-back). It may be called after Finish.
func (h *Hunt) Close() {
	h.seq.close()
	h.closeScratch()
}

// Span is the time span of the matching events seen so far.
func (h *Hunt) Span() (time.Time, time.Time) { return h.min, h.max }

// MarshalAlert renders an alert document as one line of JSON (keys sorted).
func MarshalAlert(doc map[string]any) ([]byte, error) {
	return event.AppendJSON(nil, doc)
}

func timeField(r *Rule) string {
	if r.TimestampOverride != "" && r.TimestampOverride != "@timestamp" {
		if r.FallbackDisabled {
			return r.TimestampOverride
		}
		return r.TimestampOverride + ", else @timestamp"
	}
	return "@timestamp"
}

// plural renders "1 run", "2 runs".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// pluralVerb renders "1 event was", "2 events were".
func pluralVerb(n int, noun, one, many string) string {
	if n == 1 {
		return plural(n, noun) + " " + one
	}
	return plural(n, noun) + " " + many
}
