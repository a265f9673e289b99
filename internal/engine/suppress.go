package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
