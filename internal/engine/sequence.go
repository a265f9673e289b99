package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/vigil-project/vigil/internal/alert"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/sequence"
)

// DefaultSequenceMemory is how many bytes of event JSON a hunt holds in
// memory for its eql sequence and sample rules (HuntOptions.SequenceMemory):
// the events their steps select, each once whatever the number of rules,
// to be put in time order at the end of the input. Past it the events are
// sorted into run files on disk and merged at the end (sequence.Sorter):
// none is dropped.
const DefaultSequenceMemory = 512 << 20

// sequenceExecutor runs an eql sequence or sample rule as Kibana's
// schedule does:
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

// sequenceAlerts builds the alerts of the sequences (or samples) r found
// in the execution at at; get gives a hit's event and its time for r from
// the hit's Ref. Without alert suppression each sequence spends one alert
// of max_signals before it is built. With it, as Kibana does for EQL
// sequences (bulkCreateSuppressedSequencesInMemory): the shell is the
// alert suppressed (its group is the values of the group_by fields in the
// shell, which holds the fields common to the sequence's events); a shell
// folded into an open alert of its group is not written, nor are its
// building blocks; a shell lacking a group_by field with
// missing_fields_strategy doNotSuppress is an ordinary alert. known tells
// the ids of the alerts earlier executions wrote: a shell among them (a
// sequence found again) is dropped as a duplicate before suppression
// would count it, as Kibana drops alerts whose id exists before it
// suppresses (nil: none).
func (x *Session) sequenceAlerts(ctx context.Context, r *Rule, at time.Time, found []*sequence.Result, get func(ref any) (*heldEvent, time.Time), known func(id string) (bool, error)) ([]Alert, error) {
	var alerts []Alert
	for _, res := range found {
		if r.Suppression == nil && !x.take(r, at) {
			continue
		}
		evs := make([]alert.Event, 0, len(res.Events))
		times := make([]time.Time, 0, len(res.Events))
		for _, h := range res.Events {
			if h == nil {
				// A missing-event step (![...]): Kibana makes no
				// building block of it, and leaves it out of the
				// shell's common fields.
				continue
			}
			e, t := get(h.Ref)
			doc, err := event.New(e.raw, nil).Map()
			if err != nil {
				return nil, fmt.Errorf("rule %s: an event of a sequence: %w", r.ID, err)
			}
			if e.eventID == "" {
				e.eventID = alert.EventID(doc)
			}
			evs = append(evs, alert.Event{Doc: doc, Index: e.index, ID: e.eventID})
			times = append(times, t)
		}
		docs := alert.BuildSequence(evs, r.Alert, alert.Options{Space: x.space(), Now: x.Now})
		seq := make([]Alert, 0, len(docs))
		for i, doc := range docs {
			t := times[len(times)-1] // the shell: the sequence's last event
			if i < len(times) {
				t = times[i]
			}
			id, _ := doc["kibana.alert.uuid"].(string)
			seq = append(seq, Alert{ID: id, Rule: r, EventTime: t, Doc: doc, Exec: at})
		}
		if r.Suppression != nil && len(seq) > 0 {
			shell := seq[len(seq)-1]
			if known != nil {
				dup, err := known(shell.ID)
				if err != nil {
					return nil, err
				}
				if dup {
					x.drop(r, at, DropDuplicate)
					continue
				}
			}
			// The group's start and end are the shell's primary
			// timestamp (a field common to the events, or the
			// alert's own @timestamp).
			probe := shell
			probe.EventTime = shellSuppressionTime(r, shell)
			write, err := x.admitBuilt(ctx, probe)
			if err != nil {
				return nil, err
			}
			if !write {
				continue
			}
		}
		alerts = append(alerts, seq...)
	}
	return alerts, nil
}

// shellSuppressionTime is the time Kibana gives a sequence's suppression
// group: the rule's primary timestamp (timestamp_override, else
// @timestamp) in the shell alert, then its secondary (@timestamp), which
// the shell always has (the alert's time).
func shellSuppressionTime(r *Rule, shell Alert) time.Time {
	fields := []string{"@timestamp"}
	if r.TimestampOverride != "" && r.TimestampOverride != "@timestamp" {
		fields = []string{r.TimestampOverride, "@timestamp"}
		if r.FallbackDisabled {
			fields = fields[:1]
		}
	}
	for _, f := range fields {
		if v, ok := alert.Lookup(shell.Doc, f); ok {
			if s, isStr := v.(string); isStr {
				if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
					return t
				}
			}
		}
	}
	if s, ok := shell.Doc["@timestamp"].(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t
		}
	}
	return shell.EventTime
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
	facts []byte // what the rule's steps make of the event (sequence.Query.AppendFacts)
}

// sequenceHold is what a hunt keeps for its sequence rules: for each order
// (timestamp and tiebreaker fields) the rules that share it and a Sorter
// of the events their steps select, each event once whatever the number
// of rules, with bounded memory (HuntOptions.SequenceMemory, split among
// the orders; past it sorted runs go to a temporary directory).
type sequenceHold struct {
	ready   bool
	cur     *heldEvent // the event whose matches are being added
	spare   heldEvent  // cur's storage: finishHeld keeps nothing of it
	orders  []*seqOrder
	byRule  map[*Rule]*seqOrder
	rules   []*Rule // a hold's rule is its place here in a run record
	ruleIdx map[*Rule]int
	found   map[*Rule]*seqFound // filled by runSequences
	meta    []byte
	slab    []byte            // where held events' meta records are copied
	names   map[string]string // heldFrom's interned index names
	// keys are, by rule (its place in rules), the join-key values its
	// steps saw: at the end, the events none of whose keys met every step
	// a result fills are skipped (sequence.KeySet). keyEntries counts the
	// values they hold, bounded by keyBudget.
	keys       []*sequence.KeySet
	keyEntries int
	keyBudget  int
	noKeys     bool          // tests: every event pushed, none skipped
	skipped    int           // holds skipped at the end (tests)
	scratch    heldWithHolds // runSequences' event being read
	factsEv    *event.Event  // holdSequence's reader of a match without facts
}

// heldWithHolds is a held event with room for two holds.
type heldWithHolds struct {
	e     heldEvent
	holds [2]seqHold
}

// seqOrder is the rules of one order and the events they hold, sorted.
type seqOrder struct {
	rules  []*Rule
	sorter sequence.Sorter
}

// init sets up the orders of the hunt's sequence rules.
func (s *sequenceHold) init(h *Hunt) {
	if s.ready {
		return
	}
	s.ready = true
	s.byRule = map[*Rule]*seqOrder{}
	s.ruleIdx = map[*Rule]int{}
	type orderKey struct{ ts, tb string }
	byKey := map[orderKey]*seqOrder{}
	for _, r := range h.opts.Engine.Rules() {
		if r.Sequence == nil {
			continue
		}
		ts, tb := r.Sequence.OrderFields()
		o := byKey[orderKey{ts, tb}]
		if o == nil {
			o = &seqOrder{}
			byKey[orderKey{ts, tb}] = o
			s.orders = append(s.orders, o)
		}
		o.rules = append(o.rules, r)
		s.byRule[r] = o
		s.ruleIdx[r] = len(s.rules)
		s.rules = append(s.rules, r)
	}
	limit := h.opts.SequenceMemory
	if limit <= 0 {
		limit = DefaultSequenceMemory
	}
	s.keys = make([]*sequence.KeySet, len(s.rules))
	// The key sets' values (a hash and step bits each, some 20 to 40
	// bytes in a map) take about an eighth of the events' bound.
	s.keyBudget = max(limit/keySetShare, 1<<12)
	for _, o := range s.orders {
		o.sorter.MemBytes = max(limit/len(s.orders), 1)
		o.sorter.TmpDir = h.opts.SequenceTempDir
	}
}

// close removes what the sorters wrote.
func (s *sequenceHold) close() {
	for _, o := range s.orders {
		o.sorter.Close()
	}
	s.cur = nil
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

// holdSequence keeps a match of an eql sequence or sample rule for
// runSequences: the matches of one event (consecutive, sharing its JSON)
// make one record per order. An event seen again (same index, id, time
// and tiebreaker) is found a duplicate when sorted (dedupTies): nothing
// per event stays in memory past the sorter's bound.
func (h *Hunt) holdSequence(m Match, st *RuleStats, explain func(string, ...any)) error {
	r := m.Rule
	if !m.HasTime {
		return nil
	}
	s := &h.seq
	s.init(h)
	if m.keyless() {
		// No step selects the event with a join key: nothing to hold.
		st.Matches++
		if !m.Order.OK && !r.Sequence.IsSample() {
			st.NoTime++
		}
		explain("selected by a step of the sequence, but a join key of the step is null: the event takes part in no sequence")
		return nil
	}
	e := s.cur
	if e != nil && !(len(e.raw) > 0 && len(m.Raw) > 0 && &e.raw[0] == &m.Raw[0]) {
		if err := h.finishHeld(); err != nil {
			return err
		}
		e = nil
	}
	if e == nil {
		s.spare = heldEvent{raw: m.Raw, index: m.Index, eventID: m.EventID, holds: s.spare.holds[:0]}
		e = &s.spare
		s.cur = e
	}
	facts := m.Facts
	if facts == nil {
		// A match not made by an Evaluator: its facts read now.
		if s.factsEv == nil {
			s.factsEv = event.New(nil, h.opts.Engine.Plan())
		}
		s.factsEv.Reset(m.Raw)
		facts = r.Sequence.AppendFacts(nil, s.factsEv)
	}
	e.holds = append(e.holds, seqHold{r: r, t: m.Time, order: m.Order, facts: facts})
	st.Matches++
	explain("selected by a step of the sequence at %s; the sequences are decided at the end, in time order", m.Time.Format(time.RFC3339Nano))
	return nil
}

// finishHeld gives the event being held to the sorters of the orders of
// the rules that hold it.
func (h *Hunt) finishHeld() error {
	s := &h.seq
	e := s.cur
	if e == nil {
		return nil
	}
	s.cur = nil
	// A sample needs no order: its events without one sort first (their
	// order is then their id's).
	sorts := func(hd *seqHold) bool { return hd.order.OK || hd.r.Sequence.IsSample() }
	for i := range e.holds {
		if !sorts(&e.holds[i]) {
			h.stat(e.holds[i].r).NoTime++
		}
	}
	for _, o := range s.orders {
		var first *seqHold
		n := 0
		for i := range e.holds {
			if hd := &e.holds[i]; sorts(hd) && s.byRule[hd.r] == o {
				if first == nil {
					first = hd
				}
				n++
			}
		}
		if first == nil {
			continue
		}
		b := s.meta[:0]
		b = binary.AppendUvarint(b, uint64(len(e.index)))
		b = append(b, e.index...)
		b = binary.AppendUvarint(b, uint64(len(e.eventID)))
		b = append(b, e.eventID...)
		b = binary.AppendUvarint(b, uint64(n))
		for i := range e.holds {
			if hd := &e.holds[i]; sorts(hd) && s.byRule[hd.r] == o {
				ri := s.ruleIdx[hd.r]
				b = binary.AppendUvarint(b, uint64(ri))
				b = binary.AppendVarint(b, hd.t.Unix())
				b = binary.AppendUvarint(b, uint64(hd.t.Nanosecond()))
				b = binary.AppendUvarint(b, uint64(len(hd.facts)))
				b = append(b, hd.facts...)
				s.noteKeys(ri, hd.facts)
			}
		}
		s.meta = b
		err := o.sorter.Add(sequence.Sorted{Time: first.order.Time, Tiebreaker: first.order.Tiebreaker,
			Raw: e.raw, Meta: s.keep(b)})
		if err != nil {
			return fmt.Errorf("eql sequence rules: %w", err)
		}
	}
	return nil
}

// noteKeys adds the join-key values of a held event's facts to its rule's
// key set, within the hold's budget: past it, the largest set is dropped
// (its rule's events are all pushed).
func (s *sequenceHold) noteKeys(ri int, facts []byte) {
	ks := s.keys[ri]
	if ks == nil {
		ks = s.rules[ri].Sequence.NewKeySet()
		s.keys[ri] = ks
	}
	before := ks.Len()
	ks.Add(facts) // a corrupt record is reported when it is pushed
	s.keyEntries += ks.Len() - before
	for s.keyEntries > s.keyBudget {
		var big *sequence.KeySet
		for _, k := range s.keys {
			if k != nil && (big == nil || k.Len() > big.Len()) {
				big = k
			}
		}
		if big == nil || big.Len() == 0 {
			break
		}
		s.keyEntries -= big.Len()
		big.Stop()
	}
}

// keySetShare: the key sets' values are at most the hold's memory bound
// divided by this.
const keySetShare = 256

// keep copies a held event's meta record into the hold's slab (one
// allocation per many records, not one each).
func (s *sequenceHold) keep(b []byte) []byte {
	if len(b) > metaSlab/8 {
		return bytes.Clone(b)
	}
	if cap(s.slab)-len(s.slab) < len(b) {
		s.slab = make([]byte, 0, metaSlab)
	}
	at := len(s.slab)
	s.slab = append(s.slab, b...)
	return s.slab[at:len(s.slab):len(s.slab)]
}

// metaSlab is the size of sequenceHold.slab's allocations.
const metaSlab = 32 << 10

var errBadMeta = errors.New("eql sequence rules: a held event's record is corrupt")

// heldFrom rebuilds a held event from its sorted record.
func (s *sequenceHold) heldFrom(x *sequence.Sorted) (*heldEvent, error) {
	n, err := s.parseHeld(x, &s.scratch.e)
	if err != nil {
		return nil, err
	}
	return s.keepHeld(&s.scratch.e, n), nil
}

// keepHeld copies an event parsed into scratch storage (n holds).
func (s *sequenceHold) keepHeld(from *heldEvent, n int) *heldEvent {
	var e *heldEvent
	if n <= 2 {
		// Most events are held by one or two rules: the event and its
		// holds in one allocation.
		p := &heldWithHolds{}
		p.e = *from
		p.e.holds = append(p.holds[:0:n], from.holds...)
		e = &p.e
	} else {
		e = &heldEvent{raw: from.raw, index: from.index, eventID: from.eventID, holds: append([]seqHold(nil), from.holds...)}
	}
	return e
}

// parseHeld reads a held event's sorted record into e (its holds'
// storage reused) and returns the number of holds.
func (s *sequenceHold) parseHeld(x *sequence.Sorted, e *heldEvent) (int, error) {
	b := x.Meta
	str := func() (string, bool) {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return "", false
		}
		v := string(b[k : k+int(n)])
		b = b[k+int(n):]
		return v, true
	}
	uv := func() (uint64, bool) {
		n, k := binary.Uvarint(b)
		if k <= 0 {
			return 0, false
		}
		b = b[k:]
		return n, true
	}
	// The index names are few: interned, not a string per event.
	var index string
	ok1 := false
	if n, k := binary.Uvarint(b); k > 0 && uint64(len(b)-k) >= n {
		name := b[k : k+int(n)]
		if index, ok1 = s.names[string(name)]; !ok1 {
			index, ok1 = string(name), true
			if s.names == nil {
				s.names = map[string]string{}
			}
			if len(s.names) < maxNames {
				s.names[index] = index
			}
		}
		b = b[k+int(n):]
	}
	id, ok2 := str()
	n, ok3 := uv()
	if !ok1 || !ok2 || !ok3 || n > uint64(len(s.rules)) {
		return 0, errBadMeta
	}
	*e = heldEvent{raw: x.Raw, index: index, eventID: id, holds: e.holds[:0]}
	for range n {
		ri, ok := uv()
		if !ok || ri >= uint64(len(s.rules)) {
			return 0, errBadMeta
		}
		sec, k := binary.Varint(b)
		if k <= 0 {
			return 0, errBadMeta
		}
		b = b[k:]
		ns, ok := uv()
		if !ok {
			return 0, errBadMeta
		}
		fl, ok := uv()
		if !ok || uint64(len(b)) < fl {
			return 0, errBadMeta
		}
		facts := b[:fl:fl]
		b = b[fl:]
		e.holds = append(e.holds, seqHold{r: s.rules[ri], t: time.Unix(sec, int64(ns)).UTC(),
			order: SequenceOrder{Time: x.Time, Tiebreaker: x.Tiebreaker, OK: true}, facts: facts})
	}
	return int(n), nil
}

// needed reports whether a hold's event can take part in its rule's
// results (sequence.KeySet).
func (s *sequenceHold) needed(hd *seqHold) bool {
	ks := s.keys[s.ruleIdx[hd.r]]
	return ks == nil || s.noKeys || ks.Needed(hd.facts)
}

// dedupTies orders events of the same time and tiebreaker by event id,
// index and JSON, for a result that does not depend on the input's order
// (ids are computed only here and for the events of a sequence); tying
// events with the same index and id are one event seen twice: the first
// is kept, the copies are dropped and counted for the rules that held
// them.
func (h *Hunt) dedupTies(run []*heldEvent) []*heldEvent {
	if len(run) < 2 {
		return run
	}
	for _, e := range run {
		e.ensureID()
	}
	sort.SliceStable(run, func(i, j int) bool {
		a, b := run[i], run[j]
		if a.eventID != b.eventID {
			return a.eventID < b.eventID
		}
		if a.index != b.index {
			return a.index < b.index
		}
		return bytes.Compare(a.raw, b.raw) < 0
	})
	out := run[:1]
	for _, e := range run[1:] {
		if last := out[len(out)-1]; e.eventID == last.eventID && e.index == last.index {
			for _, hd := range e.holds {
				h.stat(hd.r).Duplicates++
			}
			continue
		}
		out = append(out, e)
	}
	return out
}

// runSequences runs the hunt's sequence and sample rules over the events
// held: for each order, the events merged from the sorter once, each read
// once and pushed to the matchers of the rules that hold it.
func (h *Hunt) runSequences() error {
	s := &h.seq
	defer s.close()
	if err := h.finishHeld(); err != nil {
		return err
	}
	s.found = map[*Rule]*seqFound{}
	for _, o := range s.orders {
		runs := map[*Rule]*seqRun{}
		for _, r := range o.rules {
			run, err := h.newSeqRun(r)
			if err != nil {
				return err
			}
			runs[r] = run
		}
		// Each event is given to the rules that hold it: pushed, from
		// the facts read when it was evaluated, or skipped when none of
		// its join keys met every step a result fills.
		give := func(e *heldEvent) error {
			for i := range e.holds {
				hd := &e.holds[i]
				run := runs[hd.r]
				if !s.needed(hd) {
					s.skipped++
					if err := run.skip(hd.t, hd.order.Time); err != nil {
						return err
					}
					continue
				}
				if err := run.push(e, hd); err != nil {
					return err
				}
			}
			return nil
		}
		var tie []sequence.Sorted
		var tieAt sequence.Hit
		flush := func() error {
			defer func() {
				clear(tie)
				tie = tie[:0]
			}()
			if len(tie) == 1 {
				// Most events: read into the scratch storage, kept
				// only when a rule needs it.
				sc := &s.scratch.e
				n, err := s.parseHeld(&tie[0], sc)
				if err != nil {
					return err
				}
				e := sc
				for i := range sc.holds {
					if s.needed(&sc.holds[i]) {
						e = s.keepHeld(sc, n)
						break
					}
				}
				return give(e)
			}
			evs := make([]*heldEvent, 0, len(tie))
			for i := range tie {
				e, err := s.heldFrom(&tie[i])
				if err != nil {
					return err
				}
				evs = append(evs, e)
			}
			for _, e := range h.dedupTies(evs) {
				if err := give(e); err != nil {
					return err
				}
			}
			return nil
		}
		err := o.sorter.Each(func(x *sequence.Sorted) error {
			at := sequence.Hit{Time: x.Time, Tiebreaker: x.Tiebreaker}
			if len(tie) > 0 && tieAt.Compare(&at) != 0 {
				if err := flush(); err != nil {
					return err
				}
			}
			tie, tieAt = append(tie, *x), at
			return nil
		})
		if err == nil {
			err = flush()
		}
		if err != nil {
			return err
		}
		for _, r := range o.rules {
			runs[r].finish(h)
		}
	}
	for _, r := range h.opts.Engine.Rules() {
		if st := h.stats[r]; r.Sequence != nil && st != nil && st.SequenceDropped > 0 {
			st.Warnings = append(st.Warnings, fmt.Sprintf("%d events or sequences dropped at the matcher's bounds (%d join keys, %d pending sequences at most): sequences may be missed", st.SequenceDropped, sequence.DefaultMaxKeys, sequence.DefaultMaxPending))
		}
	}
	return nil
}

// seqRun is one rule's matching in runSequences: its sequence matcher or
// sampler over all the events, or with --replay one per execution.
type seqRun struct {
	h  *Hunt
	r  *Rule
	f  *seqFound
	sm *sequence.SequenceMatcher
	sp *sequence.Sampler
	// --replay: the executions' searches, and their indices by From.
	sched  ReplayResult
	tuples []*replaySearch
	byFrom []*replaySearch
	span   time.Duration // the longest search range
}

// replaySearch is one EQL search of a replayed execution.
type replaySearch struct {
	exec     int
	from, to time.Time
	size     int
	sm       *sequence.SequenceMatcher
	sp       *sequence.Sampler
	sel      *sequence.Selection
}

func (h *Hunt) newSeqRun(r *Rule) (*seqRun, error) {
	run := &seqRun{h: h, r: r}
	if !h.opts.Replay {
		var err error
		if r.Sequence.IsSample() {
			run.sp, err = r.Sequence.NewSampler()
		} else {
			run.sm, err = r.Sequence.NewSequenceMatcher()
		}
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.ID, err)
		}
		return run, nil
	}
	return run, nil
}

// schedule sets up a replayed rule's searches, at its first event:
// Kibana's schedule over the data's span, each execution one EQL search
// per range, size = max_signals, over the events of its range (the rule's
// primary timestamp within [from, to]).
func (run *seqRun) schedule() {
	h, r := run.h, run.r
	run.sched = Replay(nil, ReplayOptions{Window: r.Window, RunEvery: h.opts.RunEvery, Start: h.min, End: h.max})
	for i, ex := range run.sched.Executions {
		for _, tp := range ex.Tuples {
			size := tp.MaxSignals
			if size <= 0 {
				size = 100
			}
			rs := &replaySearch{exec: i, from: tp.From, to: tp.To, size: size}
			run.tuples = append(run.tuples, rs)
			run.span = max(run.span, tp.To.Sub(tp.From))
		}
	}
	run.byFrom = append([]*replaySearch(nil), run.tuples...)
	sort.SliceStable(run.byFrom, func(i, j int) bool { return run.byFrom[i].from.Before(run.byFrom[j].from) })
}

// push gives the rule an event of its order, from the facts of its hold.
func (run *seqRun) push(e *heldEvent, hd *seqHold) error {
	return run.each(hd.t, func(sm *sequence.SequenceMatcher, sp *sequence.Sampler, sel *sequence.Selection) error {
		return run.pushTo(sm, sp, sel, e, hd)
	})
}

// skip stands for an event of the rule's order that none of its results
// can use (sequence.KeySet): t is its primary time, ns its time in the
// order.
func (run *seqRun) skip(t time.Time, ns int64) error {
	return run.each(t, func(sm *sequence.SequenceMatcher, sp *sequence.Sampler, sel *sequence.Selection) error {
		if sp != nil {
			sp.Skip()
			return nil
		}
		run.found(sel, sm.Skip(ns))
		return nil
	})
}

// each calls fn with the matcher (or sampler) that sees an event of
// primary time t: the rule's, or with --replay those of the searches
// whose range holds t.
func (run *seqRun) each(t time.Time, fn func(*sequence.SequenceMatcher, *sequence.Sampler, *sequence.Selection) error) error {
	if run.f == nil {
		run.f = &seqFound{r: run.r}
		if run.h.opts.Replay {
			run.schedule()
		}
	}
	if t.After(run.f.newest) {
		run.f.newest = t
	}
	if !run.h.opts.Replay {
		return fn(run.sm, run.sp, nil)
	}
	// The searches whose range holds t: those starting at or before it,
	// back to the longest range before it.
	i := sort.Search(len(run.byFrom), func(i int) bool { return run.byFrom[i].from.After(t) })
	for i--; i >= 0 && !run.byFrom[i].from.Before(t.Add(-run.span)); i-- {
		rs := run.byFrom[i]
		if t.Before(rs.from) || t.After(rs.to) {
			continue
		}
		if rs.sel == nil {
			var err error
			if run.r.Sequence.IsSample() {
				rs.sp, err = run.r.Sequence.NewSampler()
			} else {
				rs.sm, err = run.r.Sequence.NewSequenceMatcher()
			}
			if err != nil {
				return fmt.Errorf("rule %s: %w", run.r.ID, err)
			}
			rs.sel = run.r.Sequence.NewSelection(rs.size, false)
		}
		if err := fn(rs.sm, rs.sp, rs.sel); err != nil {
			return err
		}
	}
	return nil
}

func (run *seqRun) pushTo(sm *sequence.SequenceMatcher, sp *sequence.Sampler, sel *sequence.Selection, e *heldEvent, hd *seqHold) error {
	if sp != nil {
		if err := sp.PushFacts(hd.facts, e); err != nil {
			return fmt.Errorf("rule %s: %w", run.r.ID, err)
		}
		return nil
	}
	rs, err := sm.PushFacts(hd.facts, hd.order.Time, hd.order.Tiebreaker, e)
	if err != nil && !errors.Is(err, sequence.ErrNoTimestamp) && !errors.Is(err, sequence.ErrOutOfOrder) {
		return fmt.Errorf("rule %s: %w", run.r.ID, err)
	}
	run.found(sel, rs)
	return nil
}

// found keeps sequences a matcher returned: in the search's selection
// (--replay), else in the rule's results.
func (run *seqRun) found(sel *sequence.Selection, rs []*sequence.Result) {
	if len(rs) == 0 {
		return
	}
	if sel != nil {
		sel.Add(rs...)
	} else {
		run.f.results = append(run.f.results, rs...)
	}
}

// finish flushes the rule's matchers and records what they found.
func (run *seqRun) finish(h *Hunt) {
	if run.f == nil {
		return // no event: no stats either
	}
	st := h.stat(run.r)
	count := func(s sequence.Stats) {
		st.SequenceDropped += int(s.Dropped)
		st.NoTime += int(s.NoTime)
	}
	if h.opts.Replay {
		st.Executions = len(run.sched.Executions)
		var b *seqBatch
		for _, rs := range run.tuples {
			if rs.sel == nil {
				continue
			}
			if b == nil || b.at != run.sched.Executions[rs.exec].StartedAt {
				run.f.batches = append(run.f.batches, seqBatch{at: run.sched.Executions[rs.exec].StartedAt})
				b = &run.f.batches[len(run.f.batches)-1]
			}
			if rs.sp != nil {
				rs.sel.Add(rs.sp.Flush()...)
				count(rs.sp.Stats())
			} else {
				rs.sel.Add(rs.sm.Flush()...)
				count(rs.sm.Stats())
			}
			b.results = append(b.results, rs.sel.Results()...)
		}
		h.seq.found[run.r] = run.f
		return
	}
	if run.sp != nil {
		run.f.results = append(run.f.results, run.sp.Flush()...)
		count(run.sp.Stats())
	} else {
		run.f.results = append(run.f.results, run.sm.Flush()...)
		// In Elasticsearch's order: a sequence that ends with a missing
		// event is complete once time has passed its window, which the
		// matcher may find after later sequences.
		sequence.SortResults(run.f.results)
		count(run.sm.Stats())
	}
	h.seq.found[run.r] = run.f
}
