package sequence

import (
	"errors"
	"strconv"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/match"
)

// Hit is an event a matcher keeps: a copy of its JSON, the caller's
// reference to it (an index name, an id, a file position...) and its place
// in the order of events.
type Hit struct {
	Raw        []byte
	Ref        any
	Time       int64 // nanoseconds since the epoch
	Tiebreaker any   // the tiebreaker field's value, nil without one
	Arrival    uint64
}

// Compare orders two hits as Elasticsearch orders events: timestamp, then
// tiebreaker (null last), then arrival.
func (h *Hit) Compare(o *Hit) int {
	switch {
	case h.Time < o.Time:
		return -1
	case h.Time > o.Time:
		return 1
	}
	if c := match.CompareKeys(h.Tiebreaker, o.Tiebreaker); c != 0 {
		return c
	}
	switch {
	case h.Arrival < o.Arrival:
		return -1
	case h.Arrival > o.Arrival:
		return 1
	}
	return 0
}

// Result is a completed sequence or a sample: its join key values (as
// Elasticsearch's join_keys: the query's keys, then the step's) and one
// event per step, nil at a missing-event step.
type Result struct {
	JoinKeys []any
	Events   []*Hit
	last     *Hit // the last event of a sequence: its place in the order
}

// Stats counts what a matcher did with its input.
type Stats struct {
	Events     uint64 // events pushed
	NoTime     uint64 // events without a readable timestamp (ignored)
	OutOfOrder uint64 // events before the previous one (ignored)
	Dropped    uint64 // events or sequences dropped at MaxKeys or MaxPending
	Discarded  uint64 // sequences discarded by a missing-event step
	Expired    uint64 // pending sequences dropped by maxspan or until
	Keys       int    // join-key values tracked now
	Pending    int    // sequences held now
}

// ErrOutOfOrder is returned by Push for an event that comes before the
// previous one in timestamp and tiebreaker order.
var ErrOutOfOrder = errors.New("event out of order: sequences need events in timestamp (then tiebreaker) order")

// ErrNoTimestamp is returned by Push for an event without a readable
// timestamp.
var ErrNoTimestamp = errors.New("event without a readable timestamp")

// partial is a sequence in progress (or, complete, waiting for a trailing
// missing-event step).
type partial struct {
	ks      *keyState
	hits    []*Hit
	stage   int   // last step filled
	start   int64 // time of the first event
	leading int64 // latest leading missing event (ms), if hasLead
	hasLead bool
	doomed  bool // a missing-event step between two steps saw an event
}

// missTrack remembers the two latest distinct timestamps (ms) of a
// missing-event step's events for one key: enough to answer "the latest
// before t" for any t at or after the latest event seen.
type missTrack struct {
	last, prev       int64
	hasLast, hasPrev bool
}

func (m *missTrack) add(ms int64) {
	switch {
	case !m.hasLast:
		m.last, m.hasLast = ms, true
	case ms > m.last:
		m.prev, m.hasPrev = m.last, true
		m.last = ms
	}
}

// before returns the latest timestamp strictly before ms.
func (m *missTrack) before(ms int64) (int64, bool) {
	switch {
	case m.hasLast && m.last < ms:
		return m.last, true
	case m.hasPrev && m.prev < ms:
		return m.prev, true
	}
	return 0, false
}

// keyState is everything held for one join-key value.
type keyState struct {
	key     string
	vals    []any
	pending []*partial // by step
	miss    []missTrack
	waiting []*partial // complete, waiting for a trailing missing step
	seen    int64      // time of the last event of this key (ns)
}

func (ks *keyState) empty() bool {
	if len(ks.waiting) > 0 {
		return false
	}
	for _, p := range ks.pending {
		if p != nil {
			return false
		}
	}
	for _, m := range ks.miss {
		if m.hasLast {
			return false
		}
	}
	return true
}

// SequenceMatcher matches a sequence over events pushed in order. It is not
// safe for concurrent use. Its memory is bounded: pending sequences expire
// with maxspan, and MaxKeys and MaxPending cap what is held, counting what
// they drop.
type SequenceMatcher struct {
	q       *Query
	keys    map[string]*keyState
	pending int
	arrival uint64
	last    *Hit
	now     int64
	sinceGC int
	gcEvery int // events between collections: the keys left by the last one, 4096 at least
	stats   Stats
	out     []*Result
	facts   []byte    // the facts of the event Push reads
	fk      []factKey // the current event's facts, by step as written (until last)
}

// NewSequenceMatcher returns a matcher for a sequence query.
func (q *Query) NewSequenceMatcher() (*SequenceMatcher, error) {
	if q.sample {
		return nil, errors.New("a sample is not a sequence: use NewSampler")
	}
	return &SequenceMatcher{q: q, keys: map[string]*keyState{}}, nil
}

// Stats returns the matcher's counters.
func (m *SequenceMatcher) Stats() Stats {
	s := m.stats
	s.Keys = len(m.keys)
	s.Pending = m.pending
	return s
}

// Push gives the matcher the next event (built with Query.Plan) and
// returns the sequences it completes, in completion order. Events must come
// in timestamp, tiebreaker, arrival order; an event out of order or without
// a timestamp is ignored, counted, and reported by the error
// (ErrOutOfOrder, ErrNoTimestamp), and the matcher goes on. The matcher
// copies the event's JSON only when it keeps it. ref is the caller's handle
// on the event, returned in the results' hits.
func (m *SequenceMatcher) Push(ev *event.Event, ref any) ([]*Result, error) {
	q := m.q
	t, ok := q.ts.Time(ev)
	if !ok {
		m.stats.Events++
		m.stats.NoTime++
		return nil, ErrNoTimestamp
	}
	var tb any
	if q.tb != nil {
		tb = q.tb.Value(ev)
	}
	m.facts = q.AppendFacts(m.facts[:0], ev)
	return m.push(m.facts, t, tb, ref, ev.Raw())
}

// PushFacts is Push for an event read before (Query.AppendFacts, and
// Query.Order for its time t and tiebreaker tb): the matcher reads nothing
// more of it, and keeps no copy of its JSON (the results' hits have no
// Raw: ref is the caller's handle on it). The facts must stay unchanged
// while the matcher holds the event (until its sequences are returned or
// dropped).
func (m *SequenceMatcher) PushFacts(facts []byte, t int64, tb any, ref any) ([]*Result, error) {
	return m.push(facts, t, tb, ref, nil)
}

// Skip stands for an event left out because no result can use it
// (KeySet.Needed), at time t: the matcher counts it as it counts an event
// pushed, so that its results and their order are those it would give if
// the event had been pushed. Events skipped and pushed must come in
// order.
func (m *SequenceMatcher) Skip(t int64) []*Result {
	m.stats.Events++
	m.arrival++
	if t > m.now {
		m.now = t
	}
	m.out = m.out[:0]
	if m.sinceGC++; m.sinceGC >= max(4096, m.gcEvery) {
		m.gc()
	}
	if len(m.out) == 0 {
		return nil
	}
	return append([]*Result(nil), m.out...)
}

func (m *SequenceMatcher) push(facts []byte, t int64, tb any, ref any, raw []byte) ([]*Result, error) {
	q := m.q
	m.stats.Events++
	h := &Hit{Ref: ref, Time: t, Tiebreaker: tb, Arrival: m.arrival}
	if m.last != nil && h.Compare(m.last) < 0 {
		m.stats.OutOfOrder++
		return nil, ErrOutOfOrder
	}
	fk, err := q.loadFacts(facts, m.fk)
	m.fk = fk
	if err != nil {
		return nil, err
	}
	m.arrival++
	m.last = h
	m.now = t
	m.out = m.out[:0]
	if m.sinceGC++; m.sinceGC >= max(4096, m.gcEvery) {
		m.gc()
	}
	kept := false
	keep := func() *Hit {
		if !kept && raw != nil {
			h.Raw = append([]byte(nil), raw...)
			kept = true
		}
		return h
	}
	ms := floorMs(t)
	// Positive steps, last first: an event extends older sequences before
	// it starts or moves its own.
	for i := q.lastPos; i >= q.firstPos; i-- {
		s := q.steps[i]
		if s.missing {
			continue
		}
		f := fk[s.src]
		if !f.ok {
			continue
		}
		if i == q.firstPos {
			ks := m.state(f.key, t)
			if ks == nil {
				continue
			}
			if m.pending >= q.opts.MaxPending {
				m.gc()
				if m.pending >= q.opts.MaxPending {
					m.stats.Dropped++
					continue
				}
			}
			p := &partial{ks: ks, hits: make([]*Hit, len(q.steps)), stage: i, start: t}
			p.hits[i] = keep()
			for j := 0; j < q.firstPos; j++ { // leading missing steps
				if lt, ok := ks.miss[j].before(ms); ok && (!p.hasLead || lt > p.leading) {
					p.leading, p.hasLead = lt, true
				}
			}
			m.pending++
			if i == q.lastPos {
				m.complete(p)
			} else {
				m.place(ks, i, p)
			}
			continue
		}
		ks := m.keys[string(f.key)]
		if ks == nil {
			continue
		}
		ks.seen = t
		m.resolveWaiting(ks)
		prev := m.prevPos(i)
		p := ks.pending[prev]
		if p == nil {
			continue
		}
		ks.pending[prev] = nil
		if q.maxSpan > 0 && t-p.start > q.maxSpan {
			m.pending--
			m.stats.Expired++
			continue
		}
		for j := prev + 1; j < i; j++ { // missing steps in between
			if lt, ok := ks.miss[j].before(ms); ok && lt > floorMs(p.hits[prev].Time) {
				p.doomed = true
			}
		}
		p.hits[i] = keep()
		p.stage = i
		if i == q.lastPos {
			m.complete(p)
		} else {
			m.place(ks, i, p)
		}
	}
	// Missing-event steps: remember their events, and judge sequences
	// waiting for a trailing one.
	if q.hasMiss {
		for j, s := range q.steps {
			if !s.missing {
				continue
			}
			f := fk[s.src]
			if !f.ok {
				continue
			}
			ks := m.keys[string(f.key)]
			if ks == nil {
				if j > q.firstPos {
					continue // only leading steps need events of unknown keys
				}
				if ks = m.state(f.key, t); ks == nil {
					continue
				}
			}
			ks.seen = t
			ks.miss[j].add(ms)
			if j > q.lastPos {
				m.trailing(ks, t)
			}
		}
	}
	if q.until != nil {
		if f := fk[q.written]; f.ok {
			if ks := m.keys[string(f.key)]; ks != nil {
				for i, p := range ks.pending {
					if p != nil {
						ks.pending[i] = nil
						m.pending--
						m.stats.Expired++
					}
				}
				m.drop(ks)
			}
		}
	}
	if len(m.out) == 0 {
		return nil, nil
	}
	return append([]*Result(nil), m.out...), nil
}

// Flush ends the input: sequences waiting for a trailing missing-event step
// complete (none came), pending ones are dropped. The matcher is empty
// afterwards and may take more events (after the last one pushed).
func (m *SequenceMatcher) Flush() []*Result {
	m.out = m.out[:0]
	for _, ks := range m.keys {
		for _, p := range ks.waiting {
			m.accept(p)
		}
	}
	clear(m.keys)
	m.pending = 0
	if len(m.out) == 0 {
		return nil
	}
	out := append([]*Result(nil), m.out...)
	sortResults(out)
	return out
}

// Advance tells the matcher that time has reached now (ns) without an
// event: sequences waiting for a trailing missing-event step whose window
// has passed complete, and expired state is freed. A live stream calls it
// on its clock's ticks.
func (m *SequenceMatcher) Advance(now int64) []*Result {
	if now > m.now {
		m.now = now
	}
	m.out = m.out[:0]
	m.gc()
	if len(m.out) == 0 {
		return nil
	}
	return append([]*Result(nil), m.out...)
}

func floorMs(ns int64) int64 {
	if ns < 0 && ns%1e6 != 0 {
		return ns/1e6 - 1
	}
	return ns / 1e6
}

func (m *SequenceMatcher) prevPos(i int) int {
	for j := i - 1; j >= 0; j-- {
		if !m.q.steps[j].missing {
			return j
		}
	}
	return -1
}

func readKey(s *step, ev *event.Event, buf *[]any) (string, []any, bool) {
	vals, ok := readVals(s, ev, buf)
	if !ok {
		return "", nil, false
	}
	return encodeKey(vals), vals, true
}

// readVals reads a step's join-key values of ev into *buf; ok is false
// when a non-optional key is null.
func readVals(s *step, ev *event.Event, buf *[]any) ([]any, bool) {
	vals, ok := appendVals((*buf)[:0], s, ev)
	if ok {
		*buf = vals
	}
	return vals, ok
}

// appendVals appends a step's join-key values of ev to vals; ok is false
// when a non-optional key is null.
func appendVals(vals []any, s *step, ev *event.Event) ([]any, bool) {
	for i, k := range s.keys {
		v := k.Value(ev)
		if v == nil && !s.optional[i] {
			return nil, false
		}
		vals = append(vals, v)
	}
	return vals, true
}

// encodeKey writes key values as a map key: each value typed and
// length-prefixed, so that "1" (keyword) and 1 (long) differ.
func encodeKey(vals []any) string {
	if len(vals) == 0 {
		return ""
	}
	var buf [64]byte
	return string(appendKey(buf[:0], vals))
}

// appendKey appends encodeKey's form of vals to b (decodeKey reads it).
func appendKey(b []byte, vals []any) []byte {
	for _, v := range vals {
		switch x := v.(type) {
		case nil:
			b = append(b, 'z')
		case bool:
			if x {
				b = append(b, 'T')
			} else {
				b = append(b, 'F')
			}
		case int64:
			b = strconv.AppendInt(append(b, 'i'), x, 10)
			b = append(b, ';')
		case float64:
			b = strconv.AppendFloat(append(b, 'f'), x, 'g', -1, 64)
			b = append(b, ';')
		case string:
			b = strconv.AppendInt(append(b, 's'), int64(len(x)), 10)
			b = append(append(b, ':'), x...)
		}
	}
	return b
}

// state returns the key's state, creating it (nil past MaxKeys).
func (m *SequenceMatcher) state(key []byte, t int64) *keyState {
	if ks := m.keys[string(key)]; ks != nil {
		ks.seen = t
		m.resolveWaiting(ks)
		return ks
	}
	if len(m.keys) >= m.q.opts.MaxKeys {
		m.gc()
		if len(m.keys) >= m.q.opts.MaxKeys {
			m.stats.Dropped++
			return nil
		}
	}
	k := string(key)
	ks := &keyState{key: k, vals: decodeKey(k), pending: make([]*partial, len(m.q.steps)), seen: t}
	if m.q.hasMiss {
		ks.miss = make([]missTrack, len(m.q.steps))
	}
	m.keys[k] = ks
	return ks
}

// place puts p at step i of its key, replacing an older sequence there.
func (m *SequenceMatcher) place(ks *keyState, i int, p *partial) {
	if old := ks.pending[i]; old != nil {
		m.pending--
	}
	ks.pending[i] = p
}

// complete ends a sequence's positive steps: it is a result, or waits for a
// trailing missing-event step, or is discarded by missing events.
func (m *SequenceMatcher) complete(p *partial) {
	q := m.q
	if p.doomed {
		m.pending--
		m.stats.Discarded++
		m.drop(p.ks)
		return
	}
	if !q.hasMiss {
		m.accept(p)
		return
	}
	leading := q.firstPos > 0
	trailing := q.lastPos < len(q.steps)-1
	last := p.hits[q.lastPos].Time
	switch {
	case !leading && !trailing, leading && !p.hasLead:
		m.accept(p)
	case !trailing:
		// Leading only: the latest leading event must be over maxspan
		// before the last event.
		if q.maxSpan > 0 && last-p.leading*1e6 > q.maxSpan {
			m.accept(p)
		} else {
			m.pending--
			m.stats.Discarded++
			m.drop(p.ks)
		}
	default:
		p.ks.waiting = append(p.ks.waiting, p)
		m.resolveWaiting(p.ks)
	}
}

// anchor is the time a trailing missing event is measured from: the
// leading missing event when there are leading steps, else the start.
func (m *SequenceMatcher) anchor(p *partial) int64 {
	if m.q.firstPos > 0 {
		return p.leading * 1e6
	}
	return p.start
}

// resolveWaiting completes the key's waiting sequences whose window for a
// trailing missing event has passed.
func (m *SequenceMatcher) resolveWaiting(ks *keyState) {
	if len(ks.waiting) == 0 || m.q.maxSpan == 0 {
		return
	}
	kept := ks.waiting[:0]
	for _, p := range ks.waiting {
		if m.now-m.anchor(p) > m.q.maxSpan {
			m.accept(p)
			continue
		}
		kept = append(kept, p)
	}
	clear(ks.waiting[len(kept):])
	ks.waiting = kept
}

// trailing judges the key's waiting sequences on a trailing missing event
// at t: it discards those it falls within maxspan of.
func (m *SequenceMatcher) trailing(ks *keyState, t int64) {
	kept := ks.waiting[:0]
	for _, p := range ks.waiting {
		if floorMs(t) <= floorMs(p.hits[m.q.lastPos].Time) {
			kept = append(kept, p)
			continue
		}
		if m.q.maxSpan > 0 && t-m.anchor(p) > m.q.maxSpan {
			m.accept(p)
		} else {
			m.pending--
			m.stats.Discarded++
		}
	}
	clear(ks.waiting[len(kept):])
	ks.waiting = kept
}

// accept makes p a result.
func (m *SequenceMatcher) accept(p *partial) {
	m.pending--
	m.out = append(m.out, &Result{JoinKeys: p.ks.vals, Events: p.hits, last: p.hits[m.q.lastPos]})
}

// drop forgets an empty key.
func (m *SequenceMatcher) drop(ks *keyState) {
	if ks.empty() && m.keys[ks.key] == ks {
		delete(m.keys, ks.key)
	}
}

// gc frees what time has made useless: pending sequences past maxspan,
// missing-event trackers no sequence can need, and empty keys; it
// completes sequences whose trailing window has passed.
func (m *SequenceMatcher) gc() {
	m.sinceGC = 0
	span := m.q.maxSpan
	for _, ks := range m.keys {
		m.resolveWaiting(ks)
		if span > 0 {
			for i, p := range ks.pending {
				if p != nil && m.now-p.start > span {
					ks.pending[i] = nil
					m.pending--
					m.stats.Expired++
				}
			}
			for j := range ks.miss {
				// A missing event over maxspan (plus the millisecond
				// rounding) before now can no longer discard anything.
				if mt := &ks.miss[j]; mt.hasLast && m.now-mt.last*1e6 > span+2e6 {
					*mt = missTrack{}
				}
			}
		}
		m.drop(ks)
	}
	m.gcEvery = len(m.keys)
}
