package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/vigil-project/vigil/internal/alert"
	"github.com/vigil-project/vigil/internal/event"
)

// Alert is one alert a hunt produced.
type Alert struct {
	ID        string
	Rule      *Rule
	EventTime time.Time // the rule's primary timestamp of the event (zero if none)
	Doc       map[string]any
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
}

// RuleStats is what one rule did in a hunt.
type RuleStats struct {
	Rule       *Rule
	Matches    int // matching events (each alert id counted once)
	Duplicates int // matches whose alert id was already raised
	NoTime     int // matches without a usable timestamp (a scheduled rule never sees them)
	OutOfRange int // matches outside --since/--until
	Alerts     int // alerts emitted
	// Scheduled-rule view (computed for every hunt, enforced with Replay):
	Executions    int
	Capped        int // alerts max_signals would have dropped for good
	NeverSearched int // matches that fell in a schedule gap
	Warnings      []string
}

// Hunt runs rules over events in batch.
type Hunt struct {
	opts  HuntOptions
	stats map[*Rule]*RuleStats
	seen  map[string]bool
	hits  map[*Rule][]pending
	min   time.Time
	max   time.Time
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
	return &Hunt{opts: opts, stats: map[*Rule]*RuleStats{}, seen: map[string]bool{}, hits: map[*Rule][]pending{}}
}

// Event evaluates one ECS event (raw JSON, read through ev, which must use
// the engine's plan).
func (h *Hunt) Event(ev *event.Event) error {
	if err := ev.Err(); err != nil {
		return err
	}
	index := h.opts.Index
	if index == "" {
		index = h.opts.Engine.ResolveIndex(ev)
	}
	var firstErr error
	var doc map[string]any
	h.opts.Engine.Eval(ev, index, func(r *Rule) {
		st := h.stat(r)
		t, ok := r.EventTime(ev)
		if !ok {
			st.NoTime++
		} else {
			if (!h.opts.Since.IsZero() && t.Before(h.opts.Since)) || (!h.opts.Until.IsZero() && t.After(h.opts.Until)) {
				st.OutOfRange++
				return
			}
			h.span(t)
		}
		if doc == nil {
			m, err := ev.Map()
			if err != nil {
				firstErr = err
				return
			}
			doc = m
		}
		a := alert.Event{Doc: doc, Index: index, ID: alert.EventID(doc)}
		id := alert.ID(a.Index, a.ID, h.space(), r.Alert.UUID)
		if h.seen[id] {
			st.Duplicates++
			return
		}
		h.seen[id] = true
		st.Matches++
		if ok {
			h.hits[r] = append(h.hits[r], pending{hit: Hit{Time: t, ID: id}, doc: nil})
		}
		if h.opts.Replay {
			if ok {
				h.hits[r][len(h.hits[r])-1].doc = alert.Build(a, r.Alert, alert.Options{Space: h.space(), Now: h.opts.Now()})
			}
			return
		}
		st.Alerts++
		if err := h.emit(Alert{ID: id, Rule: r, EventTime: t, Doc: alert.Build(a, r.Alert, alert.Options{Space: h.space(), Now: h.opts.Now()})}); err != nil && firstErr == nil {
			firstErr = err
		}
	})
	return firstErr
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
			st.Warnings = append(st.Warnings, fmt.Sprintf("%d of %d runs: %s", truncatedRuns, len(res.Executions), MaxSignalsWarning))
		}
		if gapRuns > 0 {
			st.Warnings = append(st.Warnings, fmt.Sprintf("%d runs had a gap: %d matching events were never searched; increase the rule's look-back or run it more often", gapRuns, len(res.NeverSearched)))
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
	var out []*RuleStats
	for _, r := range h.opts.Engine.Rules() {
		if st, ok := h.stats[r]; ok {
			out = append(out, st)
		}
	}
	return out, firstErr
}

// Span is the time span of the matching events seen so far.
func (h *Hunt) Span() (time.Time, time.Time) { return h.min, h.max }

// MarshalAlert renders an alert document as one line of JSON (keys sorted).
func MarshalAlert(doc map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
