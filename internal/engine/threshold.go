package engine

import (
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
	interval, lookback := r.Window.Interval, r.Window.Lookback
	if interval <= 0 {
		interval = 5 * time.Minute
	}
	if lookback < interval {
		lookback = interval
	}
	return lookback
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
