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

// heldThreshold is one match of a threshold rule held until Finish.
type heldThreshold struct {
	t      time.Time
	groups [][]any // the group-by value combinations of the event
	card   []any   // its values of the cardinality field
}

func (th *Threshold) hold(m Match) (heldThreshold, bool) {
	x := heldThreshold{t: m.Time}
	nt := NewTerms{Fields: th.Fields}
	if len(th.Fields) == 0 {
		x.groups = [][]any{nil}
	} else if x.groups = nt.Combos(m.Doc); len(x.groups) == 0 {
		return x, false // a group-by field is missing: the aggregation leaves it out
	}
	if th.CardinalityField != "" {
		v, ok := alert.Lookup(m.Doc, th.CardinalityField)
		if !ok {
			return x, false
		}
		if arr, isArr := v.([]any); isArr {
			for _, e := range arr {
				x.card = append(x.card, scalar(e))
			}
		} else {
			x.card = []any{scalar(v)}
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

// finishThreshold simulates the rule's executions (every interval, each
// over its look-back) over the held matches: a group with at least Value
// matches (and the cardinality) alerts; later executions count only
// matches newer than the group's last alert (Kibana's lastSignalTimestamp).
func (h *Hunt) finishThreshold(r *Rule, held []heldThreshold) []Alert {
	th := r.Threshold
	sort.SliceStable(held, func(i, j int) bool { return held[i].t.Before(held[j].t) })
	interval, lookback := r.Window.Interval, r.Window.Lookback
	if interval <= 0 {
		interval = 5 * time.Minute
	}
	if lookback < interval {
		lookback = interval
	}
	last := map[string]time.Time{} // group -> the newest match already alerted
	var alerts []Alert
	first := held[0].t.Truncate(interval).Add(interval)
	end := held[len(held)-1].t.Add(lookback)
	lo := 0
	for exec := first; !exec.After(end.Add(interval)); exec = exec.Add(interval) {
		from := exec.Add(-lookback)
		for lo < len(held) && held[lo].t.Before(from) {
			lo++
		}
		buckets := map[string]*thresholdBucket{}
		var order []string
		for i := lo; i < len(held) && !held[i].t.After(exec); i++ {
			x := held[i]
			for _, g := range x.groups {
				k := ComboKey(g)
				if l, ok := last[k]; ok && !x.t.After(l) {
					continue
				}
				b := buckets[k]
				if b == nil {
					b = &thresholdBucket{terms: g, min: x.t, distinct: map[string]bool{}}
					buckets[k] = b
					order = append(order, k)
				}
				b.count++
				b.max = x.t
				for _, c := range x.card {
					b.distinct[ComboKey([]any{c})] = true
				}
			}
		}
		sort.Strings(order)
		for _, k := range order {
			b := buckets[k]
			if b.count < th.Value || (th.CardinalityField != "" && len(b.distinct) < th.CardinalityValue) {
				continue
			}
			last[k] = b.max
			alerts = append(alerts, h.thresholdAlert(r, exec, b))
		}
	}
	return alerts
}

// thresholdAlert builds the synthetic alert of a bucket: the group's
// fields, @timestamp the newest match, and kibana.alert.threshold_result.
func (h *Hunt) thresholdAlert(r *Rule, exec time.Time, b *thresholdBucket) Alert {
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
	now := time.Time{}
	if h.opts.Now != nil {
		now = h.opts.Now()
	}
	doc := alert.Build(alert.Event{Doc: src, ID: eventID}, r.Alert, alert.Options{Space: h.space(), Now: now})
	doc["kibana.alert.threshold_result"] = result
	id := doc["kibana.alert.uuid"].(string)
	return Alert{ID: id, Rule: r, EventTime: b.max, Doc: doc}
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
