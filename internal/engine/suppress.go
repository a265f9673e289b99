package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"time"

	"github.com/vigil-project/vigil/internal/alert"
)

// Suppression is a query rule's alert_suppression (spec §4.6): matches
// that share the values of GroupBy raise one alert per rule execution, or
// per Duration, which counts the others.
type Suppression struct {
	GroupBy  []string
	Duration time.Duration // 0: per rule execution
	// DoNotSuppress: events lacking a group-by field alert one by one
	// (missing_fields_strategy doNotSuppress); otherwise missing values form
	// their own group (suppress, Kibana's default).
	DoNotSuppress bool
}

// Term is one group-by field's value in a suppression group; Value is nil
// for a missing field.
type Term struct {
	Field string `json:"field"`
	Value any    `json:"value"`
}

// Groups returns the suppression groups an event belongs to: one per
// combination of its group-by values (a multi-valued field makes a group
// per value, as Kibana's composite aggregation does for query rules). ok
// is false when the event lacks a group-by field and missing fields do not
// suppress: it then alerts on its own.
func (s *Suppression) Groups(doc map[string]any) (groups [][]Term, ok bool) {
	groups = [][]Term{nil}
	for _, f := range s.GroupBy {
		var vals []any
		if v, found := alert.Lookup(doc, f); found {
			if arr, isArr := v.([]any); isArr {
				for _, x := range arr {
					if x != nil {
						vals = append(vals, x)
					}
				}
			} else {
				vals = []any{v}
			}
		}
		if len(vals) == 0 {
			if s.DoNotSuppress {
				return nil, false
			}
			vals = []any{nil}
		}
		var next [][]Term
		for _, g := range groups {
			for _, v := range vals {
				t := append(append([]Term(nil), g...), Term{Field: f, Value: scalar(v)})
				next = append(next, t)
			}
		}
		groups = next
	}
	return groups, true
}

func scalar(v any) any {
	if n, ok := v.(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			return i
		}
		f, _ := n.Float64()
		return f
	}
	return v
}

// InstanceID is kibana.alert.instance.id of a suppression group: a hash of
// its terms, the rule and the space (Kibana hashes the same parts with the
// object-hash library; Vigil uses SHA-256 over their canonical JSON).
func InstanceID(terms []Term, ruleUUID, space string) string {
	b, _ := json.Marshal([]any{terms, ruleUUID, space})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// SuppressedAlertID is the id of a suppressed alert: a hash of the index,
// event id, space and rule, terms, and the group's start and end.
func SuppressedAlertID(index, eventID, space, ruleUUID string, terms []Term, start, end time.Time) string {
	b, _ := json.Marshal([]any{index, eventID, "undefined", space + ":" + ruleUUID, terms, start.UTC().Format(time.RFC3339Nano), end.UTC().Format(time.RFC3339Nano)})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// SuppressionFields sets the kibana.alert.suppression.* fields and the
// instance id on an alert document.
func SuppressionFields(doc map[string]any, terms []Term, instanceID string, start, end time.Time, docsCount int) {
	ts := make([]any, len(terms))
	for i, t := range terms {
		ts[i] = map[string]any{"field": t.Field, "value": t.Value}
	}
	doc["kibana.alert.suppression.terms"] = ts
	doc["kibana.alert.suppression.start"] = start.UTC().Format("2006-01-02T15:04:05.000Z")
	doc["kibana.alert.suppression.end"] = end.UTC().Format("2006-01-02T15:04:05.000Z")
	doc["kibana.alert.suppression.docs_count"] = docsCount
	doc["kibana.alert.instance.id"] = instanceID
}

// suppressed is a match held for suppression in a hunt.
type suppressed struct {
	m     Match
	terms []Term
	inst  string
	exec  time.Time // the execution that would have seen it (the end of its interval)
}

// suppressionGroup is one alert being built from suppressed matches.
type suppressionGroup struct {
	first      Match // the earliest match: the alert is built from it
	terms      []Term
	inst       string
	start, end time.Time // earliest and latest event time
	count      int       // matches in the group
	created    time.Time // the execution that created the alert
}

// finishSuppressed turns a rule's held matches into suppressed alerts:
// per execution (the interval the event falls in) or, with a duration, one
// alert per group until an execution comes later than the alert's creation
// plus the duration. Matches are taken in time order, ties by id.
func (h *Hunt) finishSuppressed(r *Rule, held []suppressed) []Alert {
	s := r.Suppression
	sort.SliceStable(held, func(i, j int) bool {
		if !held[i].m.Time.Equal(held[j].m.Time) {
			return held[i].m.Time.Before(held[j].m.Time)
		}
		return held[i].m.ID < held[j].m.ID
	})
	open := map[string]*suppressionGroup{}
	var groups []*suppressionGroup
	for _, x := range held {
		key := x.inst
		if s.Duration == 0 {
			key += "@" + x.exec.Format(time.RFC3339Nano)
		}
		g := open[key]
		if g != nil && s.Duration > 0 && x.exec.Sub(g.created) > s.Duration {
			g = nil // the window ended: a new alert
		}
		if g == nil {
			g = &suppressionGroup{first: x.m, terms: x.terms, inst: x.inst, start: x.m.Time, created: x.exec}
			open[key] = g
			groups = append(groups, g)
		}
		g.count++
		g.end = x.m.Time
	}
	alerts := make([]Alert, 0, len(groups))
	for _, g := range groups {
		doc := make(map[string]any, len(g.first.Doc)+8)
		for k, v := range g.first.Doc {
			doc[k] = v
		}
		id := SuppressedAlertID(g.first.Index, g.first.EventID, h.space(), r.Alert.UUID, g.terms, g.start, g.end)
		doc["kibana.alert.uuid"] = id
		SuppressionFields(doc, g.terms, g.inst, g.start, g.end, g.count-1)
		alerts = append(alerts, Alert{ID: id, Rule: r, EventTime: g.start, Doc: doc})
	}
	return alerts
}
