package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/alert"
)

// Threshold is a threshold rule's configuration (spec §4.7).
type Threshold struct {
	Fields           []string // group-by fields; none: one group of every match
	Value            int      // matches a group needs
	CardinalityField string   // optional: distinct values a group needs...
	CardinalityValue int      // ...at least this many
}

// Hold turns a match into what a threshold execution needs; ok is false
// when the event lacks a group-by field (the aggregation leaves it out).
func (th *Threshold) Hold(m Match) (ThresholdMatch, bool) {
	x := ThresholdMatch{Time: m.Time}
	nt := NewTerms{Fields: th.Fields}
	if len(th.Fields) == 0 {
		x.Groups = [][]any{nil}
	} else if x.Groups = nt.Combos(m.Doc); len(x.Groups) == 0 {
		return x, false // a group-by field is missing: the aggregation leaves it out
	}
	// The cardinality field is a sub-aggregation of the group's bucket,
	// not a source of it: a document lacking it (or holding only nulls,
	// which are not indexed) counts in the group's document count and adds
	// no distinct value (Kibana's build_threshold_aggregation.ts).
	if th.CardinalityField != "" {
		if v, ok := alert.Lookup(m.Doc, th.CardinalityField); ok {
			if arr, isArr := v.([]any); isArr {
				for _, e := range arr {
					if e != nil {
						x.Card = append(x.Card, scalar(e))
					}
				}
			} else if v != nil {
				x.Card = []any{scalar(v)}
			}
		}
	}
	return x, true
}

// thresholdBucket is one group within one execution.
type thresholdBucket struct {
	terms    []any
	count    int
	min, max time.Time
	distinct map[string]bool
}

// ThresholdMatch is one match of a threshold rule, as held between
// executions: its time, its group-by value combinations and its values of
// the cardinality field.
type ThresholdMatch struct {
	Time   time.Time
	Groups [][]any
	Card   []any
}

// thresholdExecution runs one execution of a threshold rule at exec over
// matches (sorted by time; those outside the look-back are ignored): each
// group with enough matches newer than its last alert (last, by ComboKey
// of the group, updated here) yields an alert document. When st is not
// nil, it records the execution's largest group in st.BestCount and
// BestDistinct.
func thresholdExecution(r *Rule, exec time.Time, matches []ThresholdMatch, last map[string]time.Time, space string, now time.Time, st *RuleStats) []Alert {
	th := r.Threshold
	lookback := thresholdLookback(r)
	from := exec.Add(-lookback)
	buckets := map[string]*thresholdBucket{}
	var order []string
	for _, x := range matches {
		if x.Time.Before(from) || x.Time.After(exec) {
			continue
		}
		for _, g := range x.Groups {
			k := ComboKey(g)
			if l, ok := last[k]; ok && !x.Time.After(l) {
				continue
			}
			b := buckets[k]
			if b == nil {
				b = &thresholdBucket{terms: g, min: x.Time, max: x.Time, distinct: map[string]bool{}}
				buckets[k] = b
				order = append(order, k)
			}
			b.count++
			if x.Time.Before(b.min) {
				b.min = x.Time
			}
			if x.Time.After(b.max) {
				b.max = x.Time
			}
			for _, c := range x.Card {
				b.distinct[ComboKey([]any{c})] = true
			}
		}
	}
	sort.Strings(order)
	var alerts []Alert
	for _, k := range order {
		b := buckets[k]
		if st != nil && (b.count > st.BestCount || b.count == st.BestCount && len(b.distinct) > st.BestDistinct) {
			st.BestCount, st.BestDistinct = b.count, len(b.distinct)
		}
		if b.count < th.Value || (th.CardinalityField != "" && len(b.distinct) < th.CardinalityValue) {
			continue
		}
		last[k] = b.max
		alerts = append(alerts, thresholdAlert(r, exec, b, space, now))
	}
	return alerts
}

func thresholdLookback(r *Rule) time.Duration {
	return max(r.Window.Lookback, Interval(r))
}

// thresholdAlert builds the synthetic alert of a bucket: the group's
// fields, @timestamp the newest match, and kibana.alert.threshold_result.
func thresholdAlert(r *Rule, exec time.Time, b *thresholdBucket, space string, now time.Time) Alert {
	th := r.Threshold
	src := map[string]any{"@timestamp": b.max.UTC().Format("2006-01-02T15:04:05.000Z")}
	var terms []any
	var kv []string
	for i, f := range th.Fields {
		setPath(src, f, b.terms[i])
		terms = append(terms, map[string]any{"field": f, "value": b.terms[i]})
		kv = append(kv, fmt.Sprintf("%s:%v", f, b.terms[i]))
	}
	sort.Strings(kv)
	result := map[string]any{"terms": terms, "count": b.count, "from": b.min.UTC().Format("2006-01-02T15:04:05.000Z")}
	if th.CardinalityField != "" {
		result["cardinality"] = []any{map[string]any{"field": th.CardinalityField, "value": len(b.distinct)}}
	}
	sum := sha256.Sum256([]byte(r.ID + exec.UTC().Format(time.RFC3339Nano) + strings.Join(th.Fields, ",") + strings.Join(kv, ",")))
	eventID := hex.EncodeToString(sum[:])
	doc := alert.Build(alert.Event{Doc: src, ID: eventID}, r.Alert, alert.Options{Space: space, Now: now})
	doc["kibana.alert.threshold_result"] = result
	id := doc["kibana.alert.uuid"].(string)
	return Alert{ID: id, Rule: r, EventTime: b.max, Doc: doc, Exec: exec}
}

// setPath sets a dotted path in nested maps.
func setPath(m map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

// thresholdExecutor is the threshold rule type: its matches are held in
// the Store; each scheduled execution counts those within its look-back,
// per group, newer than the group's last alert, and alerts on the groups
// that reach the threshold (thresholdExecution); then alert suppression
// and max_signals (admitBuilt).
type thresholdExecutor struct{}

// Add implements Executor: the matches are held for the executions.
func (thresholdExecutor) Add(ctx context.Context, x *Session, r *Rule, at time.Time, ms []Match) ([]Alert, error) {
	held := make([]ThresholdMatch, 0, len(ms))
	for _, m := range ms {
		doc, err := x.eventDoc(m)
		if err != nil {
			return nil, err
		}
		m.Doc = doc
		tm, ok := r.Threshold.Hold(m)
		if !ok {
			x.drop(r, at, DropMissing)
			continue
		}
		held = append(held, tm)
	}
	x.hold(r, held)
	return nil, nil
}

// hold keeps threshold matches of r for the Store (at Commit).
func (x *Session) hold(r *Rule, held []ThresholdMatch) {
	if x.held == nil {
		x.held = map[*Rule][]ThresholdMatch{}
	}
	x.held[r] = append(x.held[r], held...)
	sort.SliceStable(x.held[r], func(i, j int) bool { return x.held[r][i].Time.Before(x.held[r][j].Time) })
}

// Run implements Executor: the execution at at (a whole multiple of the
// rule's interval), over the matches held by committed Sessions.
func (thresholdExecutor) Run(ctx context.Context, x *Session, r *Rule, at time.Time) ([]Alert, error) {
	return x.threshold(ctx, r, at, nil)
}

// threshold is Run; st, when set, gets the execution's largest group.
func (x *Session) threshold(ctx context.Context, r *Rule, at time.Time, st *RuleStats) ([]Alert, error) {
	alerts, err := x.runThreshold(ctx, r, at, st)
	if err != nil {
		return nil, err
	}
	return x.admitAll(ctx, alerts, nil)
}

// runThreshold counts the held matches at the execution at and saves
// what it counted; st, when set, gets the largest group.
func (x *Session) runThreshold(ctx context.Context, r *Rule, at time.Time, st *RuleStats) ([]Alert, error) {
	from := at.Add(-thresholdLookback(r))
	matches, err := x.Store.ThresholdMatches(ctx, r.ID, from)
	if err != nil {
		return nil, err
	}
	if pending := x.held[r]; len(pending) > 0 { // held by this Session, not yet stored
		lo := sort.Search(len(pending), func(i int) bool { return !pending[i].Time.Before(from) })
		matches = append(append([]ThresholdMatch(nil), matches...), pending[lo:]...)
		sort.SliceStable(matches, func(i, j int) bool { return matches[i].Time.Before(matches[j].Time) })
	}
	hi := sort.Search(len(matches), func(i int) bool { return matches[i].Time.After(at) })
	var last map[string]time.Time
	if c, ok := x.counted[r]; ok { // an earlier execution of this Session
		last = c.last
	} else if last, err = x.Store.ThresholdLast(ctx, r.ID); err != nil {
		return nil, err
	}
	alerts := thresholdExecution(r, at, matches[:hi], last, x.space(), x.Now, st)
	if x.counted == nil {
		x.counted = map[*Rule]thresholdCounted{}
	}
	x.counted[r] = thresholdCounted{last: last, prune: from}
	return alerts, nil
}
