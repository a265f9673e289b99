package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-project/vigil/internal/alert"
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
}

// Detector evaluates batches of live events against the loaded rules with
// Kibana's view of time and limits, delivers the new alerts, and then
// acknowledges the batch. It is safe for concurrent use: several batches
// may be processed at once.
type Detector struct {
	opts  DetectorOptions
	rules atomic.Pointer[compiled]

	mu       sync.Mutex
	budgets  map[string]*budget   // rule id -> this interval's max_signals budget
	supMu    sync.Mutex           // one batch at a time updates suppression, new terms and threshold state
	nextExec map[string]time.Time // threshold rule id -> its next execution

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
}

type budget struct {
	bucket time.Time
	used   int
	warned bool
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
		budgets:  map[string]*budget{},
		nextExec: map[string]time.Time{},
		events:   m.Counter("vigil_events_total", "Events evaluated, per input.", "input"),
		bad:      m.Counter("vigil_bad_events_total", "Records that could not be read or normalized, per input.", "input"),
		alerts:   m.Counter("vigil_alerts_total", "New alerts delivered, per rule.", "rule_id", "rule_name"),
		dropped:  m.Counter("vigil_matches_not_alerted_total", "Matches that raised no alert, per rule and reason (duplicate, exception, no_indicator, max_signals, late, no_timestamp, ...).", "rule_id", "reason"),
		batches:  m.Counter("vigil_batches_total", "Batches processed, by result (ok, error).", "result"),
	}
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
	ev.Reset(raw)
	if err := ev.Err(); err != nil {
		return false, err
	}
	dbs := d.opts.GeoIP.Databases()
	if ev.Has(c.opName) {
		if index == "" && !c.raw.Pass(raw, &sc.raw) {
			return true, nil
		}
		doc, _, err := normalize.Normalize(raw, normalize.AzureActivity, normalize.Options{Ingested: now, Strict: true, GeoIP: dbs})
		if err != nil {
			return false, err
		}
		ev.Reset(doc)
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

// deliver applies Kibana's view of time and max_signals, drops alerts
// already stored, folds suppressed matches into their group's alert, hands
// the new alerts to the sink and then stores them.
//
// Matches come from a deferring evaluator (x): documents are decoded and
// built here, one match at a time, and kept only for the alerts written.
func (d *Detector) deliver(ctx context.Context, x *engine.Evaluator, matches []engine.Match, now time.Time) error {
	ids := make([]string, 0, len(matches))
	suppressing := false
	for _, m := range matches {
		ids = append(ids, m.ID)
		suppressing = suppressing || m.Rule.Suppression != nil || m.Rule.NewTerms != nil || m.Rule.Threshold != nil
	}
	if suppressing {
		// Groups are read, updated and written back: one batch at a time.
		d.supMu.Lock()
		defer d.supMu.Unlock()
	}
	known, err := d.opts.Store.KnownAlerts(ctx, ids)
	if err != nil {
		return err
	}
	type fresh struct {
		m   engine.Match
		doc map[string]any
	}
	var news []fresh
	var derived []string // ids of new terms alerts, checked against the store at once
	groups := map[string]*group{}
	terms := map[*engine.Rule]map[string]time.Time{} // new terms seen by this batch
	held := map[*engine.Rule][]state.ThresholdRow{}  // threshold matches for the next execution
	seen := map[string]bool{}
	for _, m := range matches {
		r := m.Rule
		switch {
		case m.ExcludedBy != "":
			d.dropped.Add(1, r.ID, "exception")
			continue
		case m.NoIndicator:
			d.dropped.Add(1, r.ID, "no_indicator")
			continue
		case m.Ungrouped && r.Threshold != nil:
			d.dropped.Add(1, r.ID, "threshold_missing_field")
			continue
		case m.Ungrouped:
			d.dropped.Add(1, r.ID, "new_terms_missing_field")
			continue
		case known[m.ID] || seen[m.ID]:
			d.dropped.Add(1, r.ID, "duplicate")
			continue
		case !m.HasTime:
			d.dropped.Add(1, r.ID, "no_timestamp")
			continue
		case d.opts.Late == LateDrop && r.Window.Lookback > 0 && m.Time.Before(now.Add(-r.Window.Lookback)):
			d.dropped.Add(1, r.ID, "late")
			d.opts.Logger.Debug("match older than the rule's look-back: a scheduled rule would not see it",
				"rule", r.Alert.Name, "event_time", m.Time, "lookback", r.Window.Lookback)
			continue
		}
		seen[m.ID] = true
		if r.Threshold != nil {
			if m.Doc, err = x.EventDoc(m); err != nil {
				return err
			}
			tm, ok := r.Threshold.Hold(m)
			if !ok {
				d.dropped.Add(1, r.ID, "threshold_missing_field")
				continue
			}
			data, err := json.Marshal(tm)
			if err != nil {
				return err
			}
			held[r] = append(held[r], state.ThresholdRow{Time: m.Time, Data: data})
			continue
		}
		if r.NewTerms != nil {
			newAlerts, err := d.newTerms(ctx, x, terms, m, now)
			if err != nil {
				return err
			}
			for _, f := range newAlerts {
				f.Exec = now
				if write, err := d.admitBuilt(ctx, groups, f, now); err != nil {
					return err
				} else if !write {
					continue
				}
				derived = append(derived, f.ID)
				news = append(news, fresh{m: engine.Match{Rule: r, Index: m.Index, Time: m.Time, HasTime: true, ID: f.ID}, doc: f.Doc})
			}
			continue
		}
		if r.Suppression != nil {
			evdoc, err := x.EventDoc(m)
			if err != nil {
				return err
			}
			if terms, ok := r.Suppression.Groups(evdoc); ok {
				for _, t := range terms {
					g, err := d.group(ctx, groups, m, t, now)
					if err != nil {
						return err
					}
					if g.doc != nil {
						continue // counted into its group's alert
					}
					if !d.take(r, now) {
						d.dropped.Add(1, r.ID, "max_signals")
						delete(groups, g.rec.Key)
						continue
					}
					if m.Doc, err = x.Doc(m); err != nil {
						return err
					}
					g.doc = suppressedDoc(m, g)
					news = append(news, fresh{m: engine.Match{Rule: r, Index: m.Index, Time: m.Time, HasTime: true, ID: g.rec.AlertID}, doc: g.doc})
				}
				continue
			}
		}
		if !d.take(r, now) {
			d.dropped.Add(1, r.ID, "max_signals")
			continue
		}
		news = append(news, fresh{m: m}) // its document is built below
	}
	if len(derived) > 0 {
		// New terms alerts have ids of their own: drop those already stored
		// (a batch delivered again after a crash before its terms were saved).
		stored, err := d.opts.Store.KnownAlerts(ctx, derived)
		if err != nil {
			return err
		}
		kept := news[:0]
		for _, f := range news {
			if !stored[f.m.ID] {
				kept = append(kept, f)
			}
		}
		news = kept
	}
	var out []sink.Alert
	var stored []state.Alert
	var ruleNames []string // the rules' own names, for metrics (an override may vary per alert)
	for _, f := range news {
		r := f.m.Rule
		if f.doc == nil {
			if f.doc, err = x.Doc(f.m); err != nil {
				return fmt.Errorf("build alert of rule %q: %w", r.Alert.Name, err)
			}
		}
		doc, err := engine.MarshalAlert(f.doc)
		if err != nil {
			return fmt.Errorf("render alert of rule %q: %w", r.Alert.Name, err)
		}
		name, severity, risk := alert.Headline(f.doc)
		out = append(out, sink.Alert{ID: f.m.ID, RuleID: r.ID, RuleName: name, Severity: severity,
			RiskScore: risk, EventTime: f.m.Time, CreatedAt: now, Doc: doc})
		stored = append(stored, state.Alert{ID: f.m.ID, RuleID: r.ID, RuleName: name, Severity: severity,
			RiskScore: risk, EventTime: f.m.Time, CreatedAt: now, Doc: doc})
		ruleNames = append(ruleNames, r.Alert.Name)
	}
	if len(out) > 0 && d.opts.Sink != nil {
		if err := d.write(ctx, out); err != nil {
			return fmt.Errorf("deliver %d alert(s): %w", len(out), err)
		}
	}
	if len(stored) > 0 {
		if _, err := d.opts.Store.AddAlerts(ctx, stored); err != nil {
			return err
		}
	}
	for r, rows := range held {
		if err := d.opts.Store.AddThresholdMatches(ctx, r.ID, rows); err != nil {
			return err
		}
	}
	for r, seen := range terms {
		if err := d.opts.Store.SaveTerms(ctx, r.ID, seen, now.Add(-r.NewTerms.History)); err != nil {
			return err
		}
	}
	if err := d.saveGroups(ctx, groups); err != nil {
		return err
	}
	for i, a := range out {
		d.alerts.Add(1, a.RuleID, ruleNames[i])
	}
	return nil
}

// saveGroups stores the suppression groups a batch or an execution
// touched, with the updated document of the alerts that existed before.
func (d *Detector) saveGroups(ctx context.Context, groups map[string]*group) error {
	for _, g := range groups {
		var doc []byte
		if !g.isNew {
			var err error
			if doc, err = engine.MarshalAlert(g.doc); err != nil {
				return err
			}
		}
		if err := d.opts.Store.SaveSuppression(ctx, g.rec, doc); err != nil {
			return err
		}
	}
	return nil
}

// admitBuilt decides whether an alert a threshold or new_terms rule built
// at an execution is written: alert suppression first (it may fold into an
// open alert of its group), then max_signals, as Kibana's
// alertWithSuppression truncates to maxAlerts last. What it drops is
// counted.
func (d *Detector) admitBuilt(ctx context.Context, groups map[string]*group, a engine.Alert, now time.Time) (bool, error) {
	r := a.Rule
	var g *group
	if r.Suppression != nil {
		write, gg, err := d.suppressBuilt(ctx, groups, a, now)
		if err != nil || !write {
			if err == nil {
				d.dropped.Add(1, r.ID, "suppressed")
			}
			return false, err
		}
		g = gg
	}
	if !d.take(r, now) {
		d.dropped.Add(1, r.ID, "max_signals")
		if g != nil {
			delete(groups, g.rec.Key) // its alert is not written: no group
		}
		return false, nil
	}
	return true, nil
}

// suppressBuilt applies alert suppression to an alert a threshold or
// new_terms rule built at the execution a.Exec (see engine.SuppressBuilt
// for Kibana's semantics): write is false when an open alert of its group,
// in this batch or in the store, counts it instead; otherwise the alert
// opens a group (returned) and gets its suppression fields.
func (d *Detector) suppressBuilt(ctx context.Context, groups map[string]*group, a engine.Alert, now time.Time) (write bool, g *group, err error) {
	r := a.Rule
	terms, start, end, ok := r.SuppressionGroup(a)
	if !ok {
		return true, nil, nil
	}
	inst := engine.InstanceID(terms, r.Alert.UUID, d.space())
	interval := r.Window.Interval
	if interval <= 0 {
		interval = 5 * time.Minute
	}
	key := r.SuppressionKey(inst, a.Exec.Truncate(interval))
	detected := now.UTC().Format("2006-01-02T15:04:05.000Z")
	if g, ok := groups[key]; ok {
		g.fold(start, end, detected)
		return false, g, nil
	}
	rec, found, err := d.opts.Store.LoadSuppression(ctx, key)
	if err != nil {
		return false, nil, err
	}
	if found && r.SuppressionOpen(rec.CreatedAt, a.Exec) {
		raw, stored, err := d.opts.Store.AlertDoc(ctx, rec.AlertID)
		if err != nil {
			return false, nil, err
		}
		doc := map[string]any{}
		if stored && json.Unmarshal(raw, &doc) == nil {
			g := &group{rec: rec, terms: terms, inst: inst, doc: doc}
			groups[key] = g
			g.fold(start, end, detected)
			return false, g, nil
		}
	}
	g = &group{terms: terms, inst: inst, isNew: true, doc: a.Doc, rec: state.Suppression{
		Key: key, CreatedAt: a.Exec, Start: start, End: end, AlertID: a.ID,
	}}
	engine.SuppressionFields(a.Doc, terms, inst, start, end, 0)
	groups[key] = g
	return true, g, nil
}

func (d *Detector) space() string {
	if d.opts.Space == "" {
		return "default"
	}
	return d.opts.Space
}

// newTerms returns the alerts of a new terms match: one per value
// combination not seen since the history window began (now - history),
// in the store or earlier in this batch.
func (d *Detector) newTerms(ctx context.Context, x *engine.Evaluator, batch map[*engine.Rule]map[string]time.Time, m engine.Match, now time.Time) ([]engine.Alert, error) {
	r := m.Rule
	evdoc, err := x.EventDoc(m)
	if err != nil {
		return nil, err
	}
	combos := r.NewTerms.Combos(evdoc)
	if len(combos) == 0 {
		d.dropped.Add(1, r.ID, "new_terms_missing_field")
		return nil, nil
	}
	keys := make([]string, len(combos))
	for i, c := range combos {
		keys[i] = engine.ComboKey(c)
	}
	stored, err := d.opts.Store.TermsLastSeen(ctx, r.ID, keys)
	if err != nil {
		return nil, err
	}
	if batch[r] == nil {
		batch[r] = map[string]time.Time{}
	}
	historyStart := now.Add(-r.NewTerms.History)
	space := d.opts.Space
	if space == "" {
		space = "default"
	}
	var out []engine.Alert
	for i, c := range combos {
		k := keys[i]
		last, ok := batch[r][k]
		if s, sok := stored[k]; sok && (!ok || s.After(last)) {
			last, ok = s, true
		}
		if !ok || last.Before(historyStart) {
			if m.Doc == nil || m.Raw != nil {
				if m.Doc, err = x.Doc(m); err != nil { // built once, for the first new combination
					return nil, err
				}
				m.Raw = nil
			}
			id, doc := engine.NewTermsDoc(m, space, c)
			out = append(out, engine.Alert{ID: id, Rule: r, EventTime: m.Time, Doc: doc})
		} else {
			d.dropped.Add(1, r.ID, "not_new")
		}
		if !ok || m.Time.After(last) {
			batch[r][k] = m.Time
		} else if _, inBatch := batch[r][k]; !inBatch {
			batch[r][k] = last
		}
	}
	return out, nil
}

// group is a suppression group touched by a batch.
type group struct {
	rec   state.Suppression
	terms []engine.Term
	inst  string
	isNew bool           // created by this batch
	doc   map[string]any // its alert's document, once known
}

// group finds (or opens) the suppression group of a match and counts the
// match into it when the group's alert already exists.
func (d *Detector) group(ctx context.Context, groups map[string]*group, m engine.Match, terms []engine.Term, now time.Time) (*group, error) {
	detected := now.UTC().Format("2006-01-02T15:04:05.000Z")
	r := m.Rule
	space := d.opts.Space
	if space == "" {
		space = "default"
	}
	inst := engine.InstanceID(terms, r.Alert.UUID, space)
	key := inst
	if r.Suppression.Duration == 0 {
		interval := r.Window.Interval
		if interval <= 0 {
			interval = 5 * time.Minute
		}
		key += "@" + now.Truncate(interval).Format(time.RFC3339)
	}
	if g, ok := groups[key]; ok {
		g.count(m, detected)
		return g, nil
	}
	rec, ok, err := d.opts.Store.LoadSuppression(ctx, key)
	if err != nil {
		return nil, err
	}
	if ok && (r.Suppression.Duration == 0 || now.Sub(rec.CreatedAt) <= r.Suppression.Duration) {
		raw, found, err := d.opts.Store.AlertDoc(ctx, rec.AlertID)
		if err != nil {
			return nil, err
		}
		if found {
			doc := map[string]any{}
			if err := json.Unmarshal(raw, &doc); err == nil {
				g := &group{rec: rec, terms: terms, inst: inst, doc: doc}
				groups[key] = g
				g.count(m, detected)
				return g, nil
			}
		}
	}
	// A new group: its alert is built from this match.
	g := &group{terms: terms, inst: inst, isNew: true, rec: state.Suppression{
		Key: key, CreatedAt: now, Start: m.Time, End: m.Time,
		AlertID: engine.SuppressedAlertID(m.Index, m.EventID, space, r.Alert.UUID, terms, m.Time, m.Time),
	}}
	groups[key] = g
	return g, nil
}

// count adds a match to a group whose alert exists.
func (g *group) count(m engine.Match, detected string) {
	if g.doc == nil {
		return
	}
	g.fold(m.Time, m.Time, detected)
}

// fold counts one more suppressed alert or match, covering start..end,
// into the group's alert.
func (g *group) fold(start, end time.Time, detected string) {
	g.rec.DocsCount++
	if start.Before(g.rec.Start) {
		g.rec.Start = start
	}
	if end.After(g.rec.End) {
		g.rec.End = end
	}
	engine.SuppressionFields(g.doc, g.terms, g.inst, g.rec.Start, g.rec.End, g.rec.DocsCount)
	g.doc["kibana.alert.last_detected"] = detected
}

func suppressedDoc(m engine.Match, g *group) map[string]any {
	doc := make(map[string]any, len(m.Doc)+8)
	for k, v := range m.Doc {
		doc[k] = v
	}
	doc["kibana.alert.uuid"] = g.rec.AlertID
	engine.SuppressionFields(doc, g.terms, g.inst, g.rec.Start, g.rec.End, 0)
	return doc
}

// Tick runs the threshold rules whose execution is due at now (every
// interval, on the clock): each counts its held matches over its look-back
// and alerts on the groups that reach the threshold; the alerts are
// delivered and stored like any other. Serve calls it every second.
func (d *Detector) Tick(ctx context.Context) error {
	c := d.rules.Load()
	if c == nil {
		return nil
	}
	now := d.opts.Now().UTC()
	d.supMu.Lock()
	defer d.supMu.Unlock()
	space := d.opts.Space
	if space == "" {
		space = "default"
	}
	for _, r := range c.eng.Rules() {
		if r.Threshold == nil {
			continue
		}
		interval := r.Window.Interval
		if interval <= 0 {
			interval = 5 * time.Minute
		}
		d.mu.Lock()
		next, ok := d.nextExec[r.ID]
		if !ok {
			next = now.Truncate(interval).Add(interval)
			d.nextExec[r.ID] = next
		}
		d.mu.Unlock()
		if now.Before(next) {
			continue
		}
		exec := now.Truncate(interval)
		lookback := r.Window.Lookback
		if lookback < interval {
			lookback = interval
		}
		rows, err := d.opts.Store.ThresholdMatches(ctx, r.ID, exec.Add(-lookback))
		if err != nil {
			return err
		}
		matches := make([]engine.ThresholdMatch, 0, len(rows))
		for _, row := range rows {
			var x engine.ThresholdMatch
			if json.Unmarshal(row.Data, &x) == nil {
				x.Time = row.Time
				matches = append(matches, x)
			}
		}
		last, err := d.opts.Store.ThresholdLast(ctx, r.ID)
		if err != nil {
			return err
		}
		alerts := engine.ThresholdExecution(r, exec, matches, last, space, now)
		groups := map[string]*group{}
		kept := alerts[:0]
		for _, a := range alerts {
			write, err := d.admitBuilt(ctx, groups, a, now)
			if err != nil {
				return err
			}
			if write {
				kept = append(kept, a)
			}
		}
		alerts = kept
		if err := d.deliverBuilt(ctx, alerts, now); err != nil {
			return err // the execution runs again at the next tick
		}
		if err := d.saveGroups(ctx, groups); err != nil {
			return err
		}
		if err := d.opts.Store.SaveThresholdLast(ctx, r.ID, last, exec.Add(-lookback)); err != nil {
			return err
		}
		d.mu.Lock()
		d.nextExec[r.ID] = exec.Add(interval)
		d.mu.Unlock()
	}
	return nil
}

// deliverBuilt delivers alerts built outside a batch (threshold
// executions): new ones to the sinks, then the store.
func (d *Detector) deliverBuilt(ctx context.Context, alerts []engine.Alert, now time.Time) error {
	if len(alerts) == 0 {
		return nil
	}
	ids := make([]string, len(alerts))
	for i, a := range alerts {
		ids[i] = a.ID
	}
	known, err := d.opts.Store.KnownAlerts(ctx, ids)
	if err != nil {
		return err
	}
	var out []sink.Alert
	var stored []state.Alert
	for _, a := range alerts {
		if known[a.ID] {
			continue
		}
		doc, err := engine.MarshalAlert(a.Doc)
		if err != nil {
			return err
		}
		name, severity, risk := alert.Headline(a.Doc)
		out = append(out, sink.Alert{ID: a.ID, RuleID: a.Rule.ID, RuleName: name, Severity: severity, RiskScore: risk, EventTime: a.EventTime, CreatedAt: now, Doc: doc})
		stored = append(stored, state.Alert{ID: a.ID, RuleID: a.Rule.ID, RuleName: name, Severity: severity, RiskScore: risk, EventTime: a.EventTime, CreatedAt: now, Doc: doc})
	}
	if len(out) == 0 {
		return nil
	}
	if d.opts.Sink != nil {
		if err := d.write(ctx, out); err != nil {
			return fmt.Errorf("deliver %d threshold alert(s): %w", len(out), err)
		}
	}
	if _, err := d.opts.Store.AddAlerts(ctx, stored); err != nil {
		return err
	}
	for _, a := range alerts {
		if !known[a.ID] {
			d.alerts.Add(1, a.Rule.ID, a.Rule.Alert.Name)
		}
	}
	return nil
}

// write hands alerts to the sink, SinkTimeout at most.
func (d *Detector) write(ctx context.Context, out []sink.Alert) error {
	ctx, cancel := context.WithTimeout(ctx, d.opts.SinkTimeout)
	defer cancel()
	return d.opts.Sink.Write(ctx, out)
}

// take spends one alert of the rule's max_signals budget for the current
// interval (Kibana's per-execution limit, with executions every interval).
func (d *Detector) take(r *engine.Rule, now time.Time) bool {
	interval := r.Window.Interval
	if interval <= 0 {
		interval = 5 * time.Minute
	}
	max := r.Window.MaxSignals
	if max <= 0 {
		max = 100
	}
	bucket := now.Truncate(interval)
	d.mu.Lock()
	defer d.mu.Unlock()
	b := d.budgets[r.ID]
	if b == nil || !b.bucket.Equal(bucket) {
		b = &budget{bucket: bucket}
		d.budgets[r.ID] = b
	}
	if b.used >= max {
		if !b.warned {
			b.warned = true
			d.opts.Logger.Warn(engine.MaxSignalsWarning, "rule", r.Alert.Name, "rule_id", r.ID, "max_signals", max, "interval", interval)
		}
		return false
	}
	b.used++
	return true
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
