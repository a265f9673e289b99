package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/geoip"
	"github.com/vigil-project/vigil/internal/input"
	"github.com/vigil-project/vigil/internal/normalize"
	"github.com/vigil-project/vigil/internal/sink"
	"github.com/vigil-project/vigil/internal/source"
	"github.com/vigil-project/vigil/internal/state"
)

// LateEvents says what the detector does with a match whose time lies
// before the rule's look-back when it arrives (a scheduled Kibana rule
// would never search it).
type LateEvents string

// LateEvents policies.
const (
	LateDrop  LateEvents = "drop"  // as Kibana: counted, no alert (default)
	LateAlert LateEvents = "alert" // alert anyway (back-filling old logs)
)

// DetectorOptions configure a Detector.
type DetectorOptions struct {
	// Store is the state database: it de-duplicates alerts and is their
	// commit point (an alert is stored after every sink accepted it).
	Store *state.Store
	// Sink receives new alerts before they are stored (wrap it with
	// sink.Retry); nil stores them only.
	Sink   sink.Sink
	Now    func() time.Time
	Space  string
	Late   LateEvents
	Logger *slog.Logger
	// Metrics receives the detector's series; nil keeps a private registry.
	Metrics *Metrics
	// SinkTimeout bounds the delivery of a batch's alerts (retries
	// included, default 20s): past it the batch fails, unacknowledged, and
	// its input delivers it again later, so that a dead sink holds no
	// worker for ever (the ingest API answers 429 meanwhile).
	SinkTimeout time.Duration
	// GeoIP, when set, enriches the raw records normalized as Elastic's
	// integration pipelines do (Azure activity logs: geo, source.geo,
	// source.as from source.ip), with the databases in force at each
	// batch; with GeoIPECS, documents already in ECS too, where the
	// fields are absent (normalize.EnrichECS).
	GeoIP    *geoip.Source
	GeoIPECS bool
	// SequenceEvents is how many events the store holds per eql sequence
	// rule, those its steps selected within its look-back (0:
	// engine.DefaultSequenceEvents). Past it new events are dropped,
	// counted (reason sequence_cap) and logged, until executions expire
	// older ones.
	SequenceEvents int
}

// Detector evaluates batches of live events against the loaded rules with
// Kibana's view of time and limits, delivers the new alerts, and then
// acknowledges the batch. It is safe for concurrent use: several batches
// may be processed at once.
type Detector struct {
	opts  DetectorOptions
	rules atomic.Pointer[compiled]

	mu       sync.Mutex
	budget   *engine.Budget       // max_signals per rule and interval
	supMu    sync.Mutex           // one batch at a time updates suppression, new terms and threshold state
	nextExec map[string]time.Time // threshold and eql sequence rule id -> its next execution
	lastExec map[string]time.Time // and its last execution (else in the store)
	kept     *compiled            // the rules whose sequence events the store was last cut down to

	capMu     sync.Mutex
	capped    map[*engine.Rule]int // eql sequence events dropped, not yet logged
	capWarned map[string]time.Time // rule id -> when its drops were last logged

	events, bad, alerts, dropped, batches *Counter
}

// compiled is one generation of loaded rules.
type compiled struct {
	eng      *engine.Engine
	eval     *engine.Evaluator
	plan     *event.Plan
	ingested event.FieldID
	opName   event.FieldID // a top-level operationName: a raw Azure activity record
	// raw passes the raw Azure records a rule could match (the others are
	// checked and counted, not normalized), as in hunt.
	raw  *engine.AzureRawFilter
	pool sync.Pool // of *scratch
}

// scratch is what one goroutine's process reuses.
type scratch struct {
	ev    *event.Event
	items []input.Item
	raw   engine.RawScratch
	rec   normalize.Record // a record that may be raw Azure, read once (see prepare)
}

// NewDetector returns a detector without rules; call SetRules.
func NewDetector(opts DetectorOptions) *Detector {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Late == "" {
		opts.Late = LateDrop
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics()
	}
	if opts.SinkTimeout <= 0 {
		opts.SinkTimeout = 20 * time.Second
	}
	m := opts.Metrics
	d := &Detector{
		opts:     opts,
		nextExec: map[string]time.Time{},
		lastExec: map[string]time.Time{},
		events:   m.Counter("vigil_events_total", "Events evaluated, per input.", "input"),
		bad:      m.Counter("vigil_bad_events_total", "Records that could not be read or normalized, per input.", "input"),
		alerts:   m.Counter("vigil_alerts_total", "New alerts delivered, per rule.", "rule_id", "rule_name"),
		dropped:  m.Counter("vigil_matches_not_alerted_total", "Matches that raised no alert, per rule and reason (duplicate, exception, no_indicator, max_signals, late, no_timestamp, ...).", "rule_id", "reason"),
		batches:  m.Counter("vigil_batches_total", "Batches processed, by result (ok, error).", "result"),
	}
	d.budget = &engine.Budget{Exhausted: func(r *engine.Rule, max int) {
		d.opts.Logger.Warn(engine.MaxSignalsWarning, "rule", r.Alert.Name, "rule_id", r.ID, "max_signals", max, "interval", engine.Interval(r))
	}}
	return d
}

// SetRules installs a new generation of rules; batches in progress finish
// with the previous one. The rules' matchers must have been compiled into
// plan.
func (d *Detector) SetRules(rules []*engine.Rule, plan *event.Plan) {
	c := &compiled{plan: plan}
	c.ingested = plan.Add("event.ingested")
	c.eng = engine.New(engine.Options{Rules: rules, Plan: plan})
	// Documents are built only for the matches that will be written:
	// a batch of matching events must not hold an alert document each
	// (with the event and the rule's parameters) before de-duplication and
	// max_signals drop most of them.
	c.eval = &engine.Evaluator{Engine: c.eng, Space: d.opts.Space, Now: d.opts.Now, Defer: true,
		RunAt: func(*engine.Rule, time.Time) time.Time { return d.opts.Now() }}
	c.opName = plan.Add("operationName")
	// With databases configured, the enrichment fields may be written
	// (whichever databases a reload brings): the conservative origins.
	c.raw = engine.NewAzureRawFilter(rules, "", d.opts.GeoIP != nil)
	c.pool.New = func() any { return &scratch{ev: event.New(nil, plan)} }
	d.rules.Store(c)
}

// Rules returns the rules in force.
func (d *Detector) Rules() []*engine.Rule {
	if c := d.rules.Load(); c != nil {
		return c.eng.Rules()
	}
	return nil
}

// Process evaluates a batch, delivers and stores its new alerts, and
// acknowledges it: Ack(nil) only once every alert is stored; on failure
// Ack(err), and the error is returned. Bad records are counted and logged;
// they do not fail the batch (re-reading them would fail the same way).
func (d *Detector) Process(ctx context.Context, name string, b source.Batch) error {
	err := d.process(ctx, name, b)
	if err != nil {
		d.batches.Add(1, "error")
	} else {
		d.batches.Add(1, "ok")
	}
	if b.Ack != nil {
		b.Ack(err)
	}
	return err
}

func (d *Detector) process(ctx context.Context, name string, b source.Batch) error {
	c := d.rules.Load()
	if c == nil {
		return errors.New("no rules loaded")
	}
	sc := c.pool.Get().(*scratch)
	ev := sc.ev
	defer func() {
		ev.Reset(nil)
		sc.rec.Release() // no reference to the batch kept in the pool
		c.pool.Put(sc)
	}()
	now := d.opts.Now().UTC()
	var matches, ms []engine.Match
	for ri, rec := range b.Records {
		if ri > 0 && ri%deliverEvery == 0 && len(matches) > 0 {
			// A large batch (a 100 MB _bulk request) is delivered in
			// parts, so that what its matches hold (event copies with
			// event.ingested, ids) stays bounded; the batch is
			// acknowledged once every part is stored, and a part stored
			// before a failure is a duplicate when the batch comes again.
			if err := d.deliver(ctx, c.eval, matches, now); err != nil {
				return err
			}
			clear(matches)
			matches = matches[:0]
		}
		data := bytes.TrimSpace(rec.Data)
		if len(data) == 0 {
			continue
		}
		if data[0] != '{' {
			d.badRecord(name, rec.Origin, "expected a JSON object")
			continue
		}
		sc.items = input.AppendExpanded(sc.items[:0], input.Record{Data: data, Source: rec.Origin, Index: -1, Unchecked: true})
		for _, it := range sc.items {
			if it.Err != nil {
				d.badRecord(name, rec.Origin, it.Err.Err.Error())
				continue
			}
			skip, err := d.prepare(c, sc, it.Record.Data, rec.Index, now)
			if err != nil {
				d.badRecord(name, it.Record.Location(), err.Error())
				continue
			}
			if skip {
				d.events.Add(1, name)
				continue
			}
			ev2 := c.eval
			if rec.Index != "" {
				x := *c.eval
				x.Index = rec.Index
				ev2 = &x
			}
			id := rec.ID
			if it.Record.Index >= 0 {
				id = "" // an element of an envelope: the id names the envelope
			}
			ms, err = ev2.EvaluateID(ev, id, ms[:0])
			if err != nil {
				d.badRecord(name, it.Record.Location(), err.Error())
				continue
			}
			d.events.Add(1, name)
			matches = append(matches, ms...)
		}
	}
	if len(matches) == 0 {
		return nil
	}
	return d.deliver(ctx, c.eval, matches, now)
}

// opNameKey is what a raw Azure record's text holds (see prepare).
var opNameKey = []byte(`"operationName"`)

// deliverEvery is how many records of a batch are evaluated before their
// matches are delivered.
const deliverEvery = 4096

// prepare leaves sc.ev on the document to evaluate: the record checked to
// be JSON, normalized when it is a raw Azure activity record, given
// event.ingested (the arrival time) when it has none, as Elastic's ingest
// pipelines do. skip reports a raw record no rule could match (the
// normalizer's index is its index, unless the sender names another): it
// is checked and counted, not normalized, as in hunt.
func (d *Detector) prepare(c *compiled, sc *scratch, raw []byte, index string, now time.Time) (skip bool, err error) {
	ev := sc.ev
	dbs := d.opts.GeoIP.Databases()
	var r *normalize.Record // the record read once, when it is raw Azure
	if !input.FirstKeyIs(raw, `"@timestamp"`) && bytes.Contains(raw, opNameKey) {
		// Maybe raw Azure: one walk checks the record as the scan would
		// and tells its top-level operationName; the normalized document
		// is then read at its values (its writer knows where they lie).
		if err := sc.rec.Read(raw); err != nil {
			return false, err // the scanner's error
		}
		if has, sure := sc.rec.Operation(); has && sure {
			r = &sc.rec
		}
		// Otherwise not raw, or the walk cannot tell: the scan decides.
	}
	if r == nil {
		ev.Reset(raw)
		if err := ev.Err(); err != nil {
			return false, err
		}
	}
	if r != nil || ev.Has(c.opName) {
		if index == "" && !c.raw.Pass(raw, &sc.raw) {
			return true, nil
		}
		opts := normalize.Options{Ingested: now, Strict: true, GeoIP: dbs}
		var doc []byte
		var err error
		if r != nil {
			doc, _, err = r.Append(nil, normalize.AzureActivity, opts)
		} else {
			doc, _, err = normalize.Normalize(raw, normalize.AzureActivity, opts)
		}
		if err != nil {
			return false, err
		}
		l, _ := r.Laid(doc) // the zero Laid (a scan) for Normalize's
		ev.ResetLaid(doc, l)
		if err := ev.Err(); err != nil {
			return false, err
		}
	} else if d.opts.GeoIPECS && dbs != nil {
		normalize.EnrichECS(raw, ev, dbs) // leaves ev on the enriched document
	}
	if !ev.Has(c.ingested) {
		ev.Reset(withIngested(ev.Raw(), now))
	}
	return false, nil
}

func (d *Detector) badRecord(input, where, msg string) {
	d.bad.Add(1, input)
	d.opts.Logger.Warn("bad record skipped", "input", input, "where", where, "error", msg)
}

// deliver hands the matches to the engine in one engine.Session at now
// (Screen drops exceptions, missing fields, alerts already stored, no
// time, late events; the rules' executors decide the rest), delivers the
// new alerts to the sink, then stores them and the state the executors
// changed.
//
// Matches come from a deferring evaluator (x): the executors build the
// documents of the few matches that are written.
func (d *Detector) deliver(ctx context.Context, x *engine.Evaluator, matches []engine.Match, now time.Time) error {
	stateful := false
	for _, m := range matches {
		stateful = stateful || m.Rule.Suppression != nil || m.Rule.NewTerms != nil || m.Rule.Threshold != nil || m.Rule.Sequence != nil
	}
	if stateful {
		// Groups are read, updated and written back: one batch at a time.
		d.supMu.Lock()
		defer d.supMu.Unlock()
	}
	sess := d.session(x, now)
	defer d.warnSequenceCap(now)
	order, byRule, err := sess.Screen(ctx, matches, now, d.opts.Late == LateDrop)
	if err != nil {
		return err
	}
	var news []engine.Alert
	for _, r := range order {
		alerts, err := sess.Add(ctx, r, now, byRule[r])
		if err != nil {
			return err
		}
		news = append(news, alerts...)
	}
	return d.deliverBuilt(ctx, sess, news, now)
}

// session is an engine.Session of the detector at now.
func (d *Detector) session(x *engine.Evaluator, now time.Time) *engine.Session {
	return &engine.Session{Store: engine.SQLStore{Store: d.opts.Store}, Space: d.opts.Space, Now: now, Docs: x, Budget: d.budget,
		SequenceLimit: d.opts.SequenceEvents,
		Drop: func(r *engine.Rule, _ time.Time, reason string) {
			d.dropped.Add(1, r.ID, dropReason(r, reason))
			switch reason {
			case engine.DropLate:
				d.opts.Logger.Debug("match older than the rule's look-back: a scheduled rule would not see it",
					"rule", r.Alert.Name, "lookback", r.Window.Lookback)
			case engine.DropSequenceCap:
				d.capMu.Lock()
				if d.capped == nil {
					d.capped = map[*engine.Rule]int{}
				}
				d.capped[r]++
				d.capMu.Unlock()
			}
		}}
}

// capWarnEvery is how often, at most, the events an eql sequence rule
// dropped are logged.
const capWarnEvery = time.Minute

// warnSequenceCap logs the events eql sequence rules dropped past the
// limit since the last warning, once a minute at most per rule (each is
// counted by vigil_matches_not_alerted_total{reason="sequence_cap"}).
func (d *Detector) warnSequenceCap(now time.Time) {
	d.capMu.Lock()
	defer d.capMu.Unlock()
	for r, n := range d.capped {
		if last, ok := d.capWarned[r.ID]; ok && now.Sub(last) < capWarnEvery {
			continue
		}
		limit := d.opts.SequenceEvents
		if limit == 0 {
			limit = engine.DefaultSequenceEvents
		}
		d.opts.Logger.Warn("eql sequence rule: events dropped, past the events held per rule or the matcher's bounds; sequences may be missed (raise sequence_events, or shorten the rule's look-back)",
			"rule", r.Alert.Name, "rule_id", r.ID, "dropped", n, "sequence_events", limit)
		if d.capWarned == nil {
			d.capWarned = map[string]time.Time{}
		}
		d.capWarned[r.ID] = now
		delete(d.capped, r)
	}
}

// dropReason is the metric's reason of an engine drop.
func dropReason(r *engine.Rule, reason string) string {
	if reason != engine.DropMissing {
		return reason
	}
	if r.Threshold != nil {
		return "threshold_missing_field"
	}
	return "new_terms_missing_field"
}

// Tick runs the threshold, eql sequence and ES|QL rules whose execution is
// due at now (every interval, on the clock): the engine's threshold executor
// counts the held matches over the look-back, its sequence executor searches
// the held events of the look-back for sequences, its ES|QL executor runs the
// query over the held documents of the execution's range; the alerts are
// delivered and stored like any other. Serve calls it every second.
func (d *Detector) Tick(ctx context.Context) error {
	c := d.rules.Load()
	if c == nil {
		return nil
	}
	now := d.opts.Now().UTC()
	d.supMu.Lock()
	defer d.supMu.Unlock()
	if d.kept != c {
		// A new generation of rules: forget the events held for sequence
		// rules no longer loaded (no execution would expire them).
		var ids []string
		for _, r := range c.eng.Rules() {
			if r.Sequence != nil {
				ids = append(ids, r.ID)
			}
		}
		if err := d.opts.Store.KeepSequenceRules(ctx, ids); err != nil {
			return err
		}
		d.kept = c
	}
	for _, r := range c.eng.Rules() {
		if r.Threshold == nil && r.Sequence == nil && r.ESQL == nil {
			continue
		}
		d.mu.Lock()
		next, ok := d.nextExec[r.ID]
		if !ok {
			next = engine.ExecutionAfter(r, now)
			d.nextExec[r.ID] = next
		}
		d.mu.Unlock()
		if now.Before(next) {
			continue
		}
		// The execution due: the latest on the clock. After a gap (a pause,
		// a sink down, a restart) it searches Kibana's catch-up windows
		// first, as a late Kibana execution does.
		exec := engine.ExecutionAfter(r, now).Add(-engine.Interval(r))
		runs, err := d.executions(ctx, r, exec)
		if err != nil {
			return err
		}
		for _, at := range runs {
			sess := d.session(c.eval, now)
			alerts, err := sess.Run(ctx, r, at)
			if err == nil {
				err = d.deliverBuilt(ctx, sess, alerts, now)
			}
			d.warnSequenceCap(now)
			if err != nil {
				return err // the execution runs again at the next tick
			}
		}
		if err := d.opts.Store.SaveCheckpoint(ctx, executionKey(r), exec.Format(time.RFC3339Nano)); err != nil {
			return err
		}
		d.mu.Lock()
		d.lastExec[r.ID] = exec
		d.nextExec[r.ID] = exec.Add(engine.Interval(r))
		d.mu.Unlock()
	}
	return nil
}

// executionKey is where the store keeps the time of a scheduled rule's
// last execution, so that a restart knows the gap since.
func executionKey(r *engine.Rule) string { return "execution/" + r.ID }

// executions returns the times of the executions r runs now that exec is
// due, oldest first: Kibana's catch-up windows after a gap since the
// previous execution (each the main window shifted back by whole
// intervals, at most 4 of them, each with its own max_signals), then exec.
// What no window covers is logged as Kibana's gap warning.
func (d *Detector) executions(ctx context.Context, r *engine.Rule, exec time.Time) ([]time.Time, error) {
	d.mu.Lock()
	prev, ok := d.lastExec[r.ID]
	d.mu.Unlock()
	if !ok {
		v, found, err := d.opts.Store.LoadCheckpoint(ctx, executionKey(r))
		if err != nil {
			return nil, err
		}
		if found {
			prev, _ = time.Parse(time.RFC3339Nano, v)
		}
	}
	w := r.Window
	w.Interval = engine.Interval(r)
	if w.Lookback <= 0 || prev.IsZero() || !prev.Before(exec) {
		return []time.Time{exec}, nil
	}
	tuples, _, missed := w.Tuples(exec, prev)
	runs := make([]time.Time, 0, len(tuples))
	for _, t := range tuples {
		runs = append(runs, t.To.Add(-w.ToOffset))
	}
	if missed > 0 {
		d.opts.Logger.Warn("gap: events of this span were not searched by the rule's executions; increase its look-back or run it more often",
			"rule", r.Alert.Name, "rule_id", r.ID, "gap", missed.String(), "previous_execution", prev, "execution", exec)
	}
	return runs, nil
}

// deliverBuilt delivers the alerts of a session: to the sinks, then the
// store (the commit point), then the state the session changed.
func (d *Detector) deliverBuilt(ctx context.Context, sess *engine.Session, alerts []engine.Alert, now time.Time) error {
	var out []sink.Alert
	var stored []state.Alert
	var ruleNames []string // the rules' own names, for metrics (an override may vary per alert)
	for _, a := range alerts {
		row, err := engine.StoredAlert(a, now)
		if err != nil {
			return err
		}
		out = append(out, sink.Alert{ID: row.ID, RuleID: row.RuleID, RuleName: row.RuleName, Severity: row.Severity,
			RiskScore: row.RiskScore, EventTime: row.EventTime, CreatedAt: now, Doc: row.Doc})
		stored = append(stored, row)
		ruleNames = append(ruleNames, a.Rule.Alert.Name)
	}
	if len(out) > 0 && d.opts.Sink != nil {
		if err := d.write(ctx, out); err != nil {
			return fmt.Errorf("delivering the alerts (%d): %w", len(out), err)
		}
	}
	if len(stored) > 0 {
		if _, err := d.opts.Store.AddAlerts(ctx, stored); err != nil {
			return err
		}
	}
	if err := sess.Commit(ctx); err != nil {
		return err
	}
	for i, a := range out {
		d.alerts.Add(1, a.RuleID, ruleNames[i])
	}
	return nil
}

// write hands alerts to the sink, SinkTimeout at most.
func (d *Detector) write(ctx context.Context, out []sink.Alert) error {
	ctx, cancel := context.WithTimeout(ctx, d.opts.SinkTimeout)
	defer cancel()
	return d.opts.Sink.Write(ctx, out)
}

// withIngested adds event.ingested to a JSON object: inside its top-level
// "event" object when it has one, else as a new "event" object.
func withIngested(doc []byte, t time.Time) []byte {
	ts := t.UTC().Format("2006-01-02T15:04:05.000000000Z")
	if at, ok := topLevelObject(doc, "event"); ok {
		out := make([]byte, 0, len(doc)+len(`"ingested":"",`)+len(ts))
		out = append(out, doc[:at+1]...)
		out = append(out, `"ingested":"`...)
		out = append(out, ts...)
		out = append(out, '"')
		rest := bytes.TrimLeft(doc[at+1:], " \t\r\n")
		if len(rest) > 0 && rest[0] != '}' {
			out = append(out, ',')
		}
		return append(out, doc[at+1:]...)
	}
	if _, clash := normalize.TopLevelValue(doc, "event"); clash {
		// "event" is not an object: keep it, use the dotted key.
		return insertFirst(doc, `"event.ingested":"`+ts+`"`)
	}
	return insertFirst(doc, `"event":{"ingested":"`+ts+`"}`)
}

func insertFirst(doc []byte, member string) []byte {
	i := bytes.IndexByte(doc, '{')
	out := make([]byte, 0, len(doc)+len(member)+1)
	out = append(out, doc[:i+1]...)
	out = append(out, member...)
	if rest := bytes.TrimLeft(doc[i+1:], " \t\r\n"); len(rest) > 0 && rest[0] != '}' {
		out = append(out, ',')
	}
	return append(out, doc[i+1:]...)
}

// topLevelObject returns the offset of the '{' opening the value of key at
// the top level of a valid JSON object.
func topLevelObject(doc []byte, key string) (int, bool) {
	at, ok := normalize.TopLevelValue(doc, key)
	if !ok || at >= len(doc) || doc[at] != '{' {
		return 0, false
	}
	return at, true
}
