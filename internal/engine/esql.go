package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/vigil-project/vigil/internal/alert"
	"github.com/vigil-project/vigil/internal/esql"
	"github.com/vigil-project/vigil/internal/event"
)

// ESQL is an ES|QL rule's query as the engine runs it. The rule's other
// fields keep their meaning: Index is FROM's patterns (the events the
// query reads), Window the schedule, Match selects every event (the query
// filters itself).
type ESQL struct {
	// Program is the compiled query, its row limit max_signals.
	Program *esql.Program
	// SetNow sets the program's NOW() to the time of the execution about
	// to start (Program.Start reads it).
	SetNow func(time.Time)
	// Query is the query's text: part of an aggregating alert's id.
	Query string
}

// maxESQLWindows bounds the executions one event is fed to (a look-back
// of that many intervals): past it, the oldest windows are not fed.
const maxESQLWindows = 1000

// esqlWindow is one execution of an ES|QL rule: [From, To] of the rule's
// timestamp, and the query's run over the documents of that range.
type esqlWindow struct {
	from, to time.Time
	run      *esql.Run
}

// esqlTuple is the range the execution started at at searches: Kibana's
// [now - from, now + to offset].
func esqlTuple(r *Rule, at time.Time) (from, to time.Time) {
	to = at.Add(r.Window.ToOffset)
	lookback := r.Window.Lookback
	if lookback <= 0 {
		lookback = Interval(r)
	}
	return to.Add(-lookback), to
}

// esqlExecutions returns the executions (on the clock at whole multiples
// of the rule's interval) whose range holds an event at t, oldest first.
func esqlExecutions(r *Rule, t time.Time) []time.Time {
	return appendESQLExecutions(nil, r, t)
}

// appendESQLExecutions is esqlExecutions appending to out.
func appendESQLExecutions(out []time.Time, r *Rule, t time.Time) []time.Time {
	i := Interval(r)
	lookback := r.Window.Lookback
	if lookback <= 0 {
		lookback = i
	}
	// at + ToOffset - lookback <= t <= at + ToOffset
	lo := t.Add(-r.Window.ToOffset)
	first := lo.Truncate(i)
	if first.Before(lo) {
		first = first.Add(i)
	}
	last := lo.Add(lookback)
	for n := 0; !first.After(last) && n < maxESQLWindows; first, n = first.Add(i), n+1 {
		out = append(out, first)
	}
	return out
}

// esqlAlerts builds the alerts of one execution's result, as Kibana's
// ES|QL rule type does (wrapEsqlAlerts, generateAlertId): an aggregating
// query (STATS) makes one alert per row, its id from the execution's
// range, the query, the space and rule and the row's position, so that a
// re-run of the same execution makes the same ids; a non-aggregating
// query with METADATA _id makes one alert per source document, its id
// from _id, _index, the space and rule (and the values of the fields
// MV_EXPAND expanded), so that a document found again by a later
// execution is alerted on once; one without _id is treated as
// aggregating. The ids are Kibana's (alert.ESQLAggregatingID,
// alert.ESQLDocumentID). The row's columns are the alert's source fields
// (dotted names as flat keys; metadata columns left out).
func esqlAlerts(r *Rule, space string, now, from, to, at time.Time, res *esql.Result) []Alert {
	if space == "" {
		space = "default"
	}
	aggregating := r.ESQL.Program.Aggregating()
	// Kibana adds the expanded fields' values to the id only when all of
	// them are columns of the result (getMvExpandUsage).
	var expanded []int
	if !aggregating {
		for _, f := range r.ESQL.Program.ExpandedFields() {
			i := slices.IndexFunc(res.Columns, func(c esql.ColumnInfo) bool { return c.Name == f })
			if i < 0 {
				expanded = nil
				break
			}
			expanded = append(expanded, i)
		}
	}
	alerts := make([]Alert, 0, len(res.Rows))
	seen := make(map[string]bool, len(res.Rows))
	for n, row := range res.Rows {
		src := make(map[string]any, len(res.Columns))
		var id, index string
		for i, c := range res.Columns {
			var v any
			if i < len(row) {
				v = esql.JSONValue(row[i], c.Type)
			}
			switch c.Name {
			case "_id":
				id, _ = v.(string)
				continue
			case "_index":
				index, _ = v.(string)
				continue
			case "_version", "_source", "_score", "_ignored", "_index_mode":
				continue
			}
			src[c.Name] = v
		}
		var alertID string
		if !aggregating && id != "" {
			var values []any
			for _, i := range expanded {
				if i < len(row) {
					values = append(values, esql.JSONValue(row[i], res.Columns[i].Type))
				}
			}
			alertID = alert.ESQLDocumentID(id, index, space, r.Alert.UUID, values)
		} else {
			alertID = alert.ESQLAggregatingID(from, to, r.ESQL.Query, space, r.Alert.UUID, n)
			id, index = "", ""
		}
		// Kibana writes one alert per id of a result (uniqBy).
		if seen[alertID] {
			continue
		}
		seen[alertID] = true
		doc := alert.Build(alert.Event{Doc: src, Index: index, ID: id}, r.Alert, alert.Options{Space: space, Now: now})
		doc["kibana.alert.uuid"] = alertID
		if id == "" {
			// No source document: nothing to descend from.
			doc["kibana.alert.ancestors"] = []any{}
		}
		var evTime time.Time
		if ts, ok := src["@timestamp"].(string); ok {
			evTime, _ = time.Parse(time.RFC3339Nano, ts)
		}
		if evTime.IsZero() {
			evTime = to
		}
		a := Alert{ID: alertID, Rule: r, EventTime: evTime, Doc: doc, Exec: at}
		if r.Suppression != nil {
			a.esqlSup = esqlSuppressionOf(r, res.Columns, row, at)
		}
		alerts = append(alerts, a)
	}
	return alerts
}

// esqlExecutor is the ES|QL rule type of serve: Add holds the documents
// of the rule's index patterns (in the Store, at Commit), and Run, the
// scheduled execution every interval, runs the query over the documents
// of its range [from, to], read from the Store one at a time, and
// returns the alerts of its result (those already stored left out, then
// alert suppression and max_signals). A hunt streams the documents into
// each window's run instead (Hunt.Add), which holds no document.
type esqlExecutor struct{}

// Add implements Executor: the documents are held for the executions.
func (esqlExecutor) Add(ctx context.Context, x *Session, r *Rule, at time.Time, ms []Match) ([]Alert, error) {
	for _, m := range ms {
		if !m.HasTime {
			continue
		}
		raw, id := m.Raw, m.EventID
		if id == "" && len(raw) > 0 {
			id = x.esqlIDs[&raw[0]] // another ES|QL rule read the same event
		}
		if raw == nil || id == "" {
			doc, err := x.eventDoc(m)
			if err != nil {
				return nil, err
			}
			if id == "" {
				id = alert.EventID(doc)
				if len(raw) > 0 {
					if x.esqlIDs == nil {
						x.esqlIDs = map[*byte]string{}
					}
					x.esqlIDs[&raw[0]] = id
				}
			}
			if raw == nil {
				if raw, err = event.AppendJSON(nil, doc); err != nil {
					return nil, err
				}
			}
		}
		if x.esql == nil {
			x.esql = map[*Rule][]ESQLDoc{}
		}
		x.esql[r] = append(x.esql[r], ESQLDoc{Time: m.Time, ID: id, Index: m.Index, Data: raw})
	}
	return nil, nil
}

// Run implements Executor: the execution at at over the documents held
// by committed Sessions and by this one.
func (esqlExecutor) Run(ctx context.Context, x *Session, r *Rule, at time.Time) ([]Alert, error) {
	from, to := esqlTuple(r, at)
	r.ESQL.SetNow(at)
	run := r.ESQL.Program.Start()
	ev := event.New(nil, r.ESQL.Program.Plan())
	feed := func(d ESQLDoc) error {
		if !run.Done() {
			ev.Reset(d.Data)
			run.Add(esql.Doc{Event: ev, ID: d.ID, Index: d.Index})
		}
		return nil
	}
	if err := x.Store.ESQLDocs(ctx, r.ID, from, to, feed); err != nil {
		return nil, err
	}
	for _, d := range x.esql[r] { // held by this Session, not yet stored
		if !d.Time.Before(from) && !d.Time.After(to) {
			feed(d)
		}
	}
	res := run.Finish()
	if err := run.Err(); err != nil {
		return nil, fmt.Errorf("rule %s: ES|QL execution at %s: %w", r.ID, at.UTC().Format(time.RFC3339), err)
	}
	built := esqlAlerts(r, x.space(), x.Now, from, to, at, res)
	return x.admitAll(ctx, built, func(Alert) {
		x.drop(r, at, DropDuplicate) // a document an earlier execution alerted on
	})
}

// commitESQL stores the ES|QL documents the Session held.
func (x *Session) commitESQL(ctx context.Context) error {
	for r, docs := range x.esql {
		if err := x.Store.HoldESQL(ctx, r.ID, docs); err != nil {
			return err
		}
	}
	x.esql = nil
	x.esqlIDs = nil
	return nil
}

// withMore returns ms with each ES|QL match that stands for several rules
// (Match.More) repeated for each of them.
func withMore(ms []Match) []Match {
	n := 0
	for _, m := range ms {
		n += len(m.More)
	}
	if n == 0 {
		return ms
	}
	out := make([]Match, 0, len(ms)+n)
	for _, m := range ms {
		more := m.More
		m.More = nil
		out = append(out, m)
		for _, r := range more {
			m.Rule = r
			out = append(out, m)
		}
	}
	return out
}

// esqlState is what a hunt holds of an ES|QL rule: the run of each
// execution its events fell in, open until the input's time has moved
// past it by esqlSlack (or until Finish).
type esqlState struct {
	windows  map[time.Time]*esqlWindow
	newest   time.Time // the newest event time read
	finished time.Time // executions at or before it have run
	late     int       // events read after an execution of theirs had run
	warned   map[string]bool
	sup      *esqlSuppressor // with alert suppression: the alerts of the open groups
	held     *esqlHeld       // a long look-back: the documents, held on disk
	// shared evaluates the query's head once per event for the
	// executions that read it (their ranges overlap when the look-back
	// spans several intervals); ats is the event's executions.
	shared *esql.Shared
	ats    []time.Time
}

// esqlSlack is how far the input's time must have moved past an
// execution's range before the hunt runs it: the disorder of the input
// (files or records out of time order) a hunt absorbs. An event older
// than that, read after its execution ran, is counted as late, as an
// event ingested after its window is never searched in Kibana.
func esqlSlack(r *Rule) time.Duration {
	lookback := r.Window.Lookback
	if lookback <= 0 {
		lookback = Interval(r)
	}
	return max(time.Hour, 2*lookback)
}

// addESQL feeds an event of an ES|QL rule to the run of each execution
// whose range holds it, then runs the executions the input's time has
// moved past.
func (h *Hunt) addESQL(m Match) error {
	r := m.Rule
	s := h.esql[r]
	if s == nil {
		s = &esqlState{windows: map[time.Time]*esqlWindow{}, warned: map[string]bool{}}
		h.esql[r] = s
	}
	if esqlLongLookback(r) {
		return h.holdESQL(r, s, m)
	}
	if len(m.Raw) == 0 {
		return nil
	}
	// The ES|QL rules an event is read by come one after the other with
	// the same copy of its JSON: they share one read of it (their
	// programs share the loader's plan).
	if h.esqlEv == nil || h.esqlPlan != r.ESQL.Program.Plan() {
		h.esqlPlan = r.ESQL.Program.Plan()
		h.esqlEv = event.New(nil, h.esqlPlan)
		h.esqlRaw = nil
	}
	if len(h.esqlRaw) == 0 || &h.esqlRaw[0] != &m.Raw[0] || len(h.esqlRaw) != len(m.Raw) {
		h.esqlEv.ResetLaid(m.Raw, m.Laid)
		h.esqlRaw = m.Raw
	}
	late, read := false, false
	s.ats = appendESQLExecutions(s.ats[:0], r, m.Time)
	for _, at := range s.ats {
		if !s.finished.IsZero() && !at.After(s.finished) {
			late = true
			continue
		}
		w := s.windows[at]
		if w == nil {
			from, to := esqlTuple(r, at)
			r.ESQL.SetNow(at)
			w = &esqlWindow{from: from, to: to, run: r.ESQL.Program.Start()}
			s.windows[at] = w
		}
		if w.run.Done() {
			continue
		}
		if h.esqlAlone {
			w.run.Add(esql.Doc{Event: h.esqlEv, ID: m.EventID, Index: m.Index})
			continue
		}
		if !read {
			if s.shared == nil {
				s.shared = r.ESQL.Program.Share()
			}
			s.shared.Reset(esql.Doc{Event: h.esqlEv, ID: m.EventID, Index: m.Index})
			read = true
		}
		w.run.AddShared(s.shared)
	}
	if late {
		s.late++
	}
	if m.Time.After(s.newest) {
		s.newest = m.Time
		// Run the executions whose range ended esqlSlack before the
		// newest event, one interval at a time.
		if due := s.newest.Add(-esqlSlack(r)).Truncate(Interval(r)); due.After(s.finished) {
			return h.runESQL(r, s, due)
		}
	}
	return nil
}

// runESQL runs the open executions of r at or before upTo (all when
// upTo is zero), oldest first, and emits their alerts, each id once.
func (h *Hunt) runESQL(r *Rule, s *esqlState, upTo time.Time) error {
	if s.held != nil {
		return h.runHeldESQL(r, s, upTo)
	}
	var ats []time.Time
	for at := range s.windows {
		if upTo.IsZero() || !at.After(upTo) {
			ats = append(ats, at)
		}
	}
	if !upTo.IsZero() {
		s.finished = upTo
	}
	sort.Slice(ats, func(i, j int) bool { return ats[i].Before(ats[j]) })
	var firstErr error
	for _, at := range ats {
		w := s.windows[at]
		delete(s.windows, at) // its groups are no longer needed once run
		if err := h.esqlExecuted(r, s, at, w.from, w.to, w.run); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if upTo.IsZero() {
		if err := h.esqlFlush(r, s); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// esqlExecuted finishes the run of r's execution at at (its range from,
// to) and emits its alerts, each id once (or hands them to alert
// suppression, which emits them once their group closed).
func (h *Hunt) esqlExecuted(r *Rule, s *esqlState, at, from, to time.Time, run *esql.Run) error {
	st := h.stat(r)
	var now time.Time
	if h.opts.Now != nil {
		now = h.opts.Now()
	}
	warn := func(w string) {
		if !s.warned[w] && len(s.warned) < 5 {
			s.warned[w] = true
			st.Warnings = append(st.Warnings, w)
		}
	}
	res := run.Finish()
	st.Executions++
	if err := run.Err(); err != nil {
		warn(fmt.Sprintf("execution at %s stopped: %v (its result is incomplete)", at.UTC().Format(time.RFC3339), err))
	}
	for _, x := range res.Warnings {
		warn("ES|QL: " + x)
	}
	var firstErr error
	if r.Suppression != nil && s.sup == nil {
		s.sup = newESQLSuppressor(h, st)
	}
	if s.sup != nil {
		// The alerts no execution from this one on can fold into.
		firstErr = h.esqlEmit(st, s.sup.closed(r, at))
	}
	for _, a := range esqlAlerts(r, h.opts.Space, now, from, to, at, res) {
		if h.seen[a.ID] {
			st.Duplicates++
			continue
		}
		if s.sup != nil {
			// Only a written alert's id is known to later executions
			// (Kibana's de-duplication reads the alerts index): a
			// suppressed document read again is suppressed or alerts
			// again.
			write, err := s.sup.admit(a)
			if err != nil && firstErr == nil {
				firstErr = err
			}
			h.seen[a.ID] = write
			continue
		}
		h.seen[a.ID] = true
		if err := h.esqlEmit(st, []Alert{a}); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// esqlFlush emits the alerts alert suppression still holds: the input is
// over.
func (h *Hunt) esqlFlush(r *Rule, s *esqlState) error {
	if s.sup == nil {
		return nil
	}
	return h.esqlEmit(h.stat(r), s.sup.closed(r, time.Time{}))
}

func (h *Hunt) esqlEmit(st *RuleStats, as []Alert) error {
	var firstErr error
	for _, a := range as {
		st.Alerts++
		if err := h.emit(a); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// finishESQL runs the executions of an ES|QL rule still open at the end
// of the input.
func (h *Hunt) finishESQL(r *Rule) error {
	s := h.esql[r]
	if s == nil {
		return nil
	}
	err := h.runESQL(r, s, time.Time{})
	if s.late > 0 {
		st := h.stat(r)
		st.NeverSearched += s.late
		st.Warnings = append(st.Warnings, fmt.Sprintf("%d event(s) were read more than %s after newer ones, once their executions had run: give the input in time order", s.late, esqlSlack(r)))
	}
	delete(h.esql, r)
	return err
}
