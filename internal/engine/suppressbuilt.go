package engine

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/vigil-project/vigil/internal/alert"
)

// Alert suppression of the alerts a rule builds at its executions
// (threshold and new_terms rules), as Kibana's persistence wrapper does it
// for every rule type but query (alertWithSuppression in the rule registry's
// create_persistence_rule_type_wrapper.ts): each built alert belongs to one
// suppression group (its instance id); when an alert of the group, created
// by an execution no longer ago than the duration (or by the same
// execution, without one), is open, the new alert is not written and the
// open one counts it: docs_count + 1, suppression end moved to the later
// end, last_detected the execution's time.
//
// The group of a threshold alert is its bucket (the threshold fields'
// values, wrap_suppressed_threshold_alerts.ts), its start and end the
// bucket's first and last event; a threshold rule suppresses only with a
// duration. The group of a new terms alert is the values of the rule's
// group_by fields in the event (a multi-valued field is one value, its
// values sorted; a missing field a null value, or no suppression at all
// with missing_fields_strategy doNotSuppress), its start and end the
// event's time.

// SuppressionGroup returns the suppression group of an alert a threshold,
// new_terms or ES|QL rule built: its terms, and the event times it covers.
// ok is false when the alert is not suppressed (a new terms event or an
// ES|QL row lacking a group_by field with missing_fields_strategy
// doNotSuppress).
func (r *Rule) SuppressionGroup(a Alert) (terms []Term, start, end time.Time, ok bool) {
	if r.ESQL != nil {
		return esqlSuppressionGroup(a)
	}
	if r.Threshold != nil {
		res, _ := a.Doc["kibana.alert.threshold_result"].(map[string]any)
		for _, t := range asSlice(res["terms"]) {
			if m, isMap := t.(map[string]any); isMap {
				terms = append(terms, Term{Field: fmt.Sprint(m["field"]), Value: m["value"]})
			}
		}
		start = a.EventTime
		if from, isStr := res["from"].(string); isStr {
			if t, err := time.Parse(time.RFC3339Nano, from); err == nil {
				start = t
			}
		}
		return terms, start, a.EventTime, true
	}
	s := r.Suppression
	for _, f := range s.GroupBy {
		var vals []any
		if v, found := alert.Lookup(a.Doc, f); found {
			if arr, isArr := v.([]any); isArr {
				for _, x := range arr {
					if x != nil {
						vals = append(vals, scalar(x))
					}
				}
			} else if v != nil {
				vals = []any{scalar(v)}
			}
		}
		var value any
		switch len(vals) {
		case 0:
			if s.DoNotSuppress {
				return nil, a.EventTime, a.EventTime, false
			}
		case 1:
			value = vals[0]
		default:
			sort.Slice(vals, func(i, j int) bool { return fmt.Sprint(vals[i]) < fmt.Sprint(vals[j]) })
			value = vals
		}
		terms = append(terms, Term{Field: f, Value: value})
	}
	return terms, a.EventTime, a.EventTime, true
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// SuppressionKey is the key of an alert's open group: its instance id, and
// without a duration the execution too (suppression per execution).
func (r *Rule) SuppressionKey(inst string, exec time.Time) string {
	if r.Suppression.Duration > 0 {
		return inst
	}
	return inst + "@" + exec.UTC().Format(time.RFC3339Nano)
}

// SuppressionOpen reports whether a group created by the execution at
// created still takes the alerts of the execution at exec.
func (r *Rule) SuppressionOpen(created, exec time.Time) bool {
	d := r.Suppression.Duration
	return d == 0 || !exec.After(created.Add(d))
}

// admitAll keeps the built alerts that are not stored already (an
// execution done again after a crash before its state was saved, or an
// earlier execution's alert on the same document) and that admitBuilt
// writes. stored, when set, is told of each alert left out as stored.
func (x *Session) admitAll(ctx context.Context, built []Alert, stored func(Alert)) ([]Alert, error) {
	if len(built) == 0 {
		return nil, nil
	}
	ids := make([]string, len(built))
	for i, a := range built {
		ids[i] = a.ID
	}
	known, err := x.Store.KnownAlerts(ctx, ids)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(built))
	out := built[:0]
	for _, a := range built {
		if seen[a.ID] {
			continue
		}
		seen[a.ID] = true // once
		if known[a.ID] {
			if stored != nil {
				stored(a)
			}
			continue
		}
		write, err := x.admitBuilt(ctx, a)
		if err != nil {
			return nil, err
		}
		if write {
			out = append(out, a)
		}
	}
	return out, nil
}

// admitBuilt decides whether an alert a threshold or new_terms rule built
// at an execution is written: alert suppression first (it may fold into
// an open alert of its group), then max_signals, as Kibana's
// alertWithSuppression truncates to maxAlerts last.
func (x *Session) admitBuilt(ctx context.Context, a Alert) (bool, error) {
	r := a.Rule
	var g *group
	if r.Suppression != nil {
		write, gg, err := x.suppressBuilt(ctx, a)
		if err != nil || !write {
			if err == nil {
				x.drop(r, a.Exec, DropSuppressed)
			}
			return false, err
		}
		g = gg
	}
	if !x.take(r, a.Exec) {
		if g != nil {
			delete(x.groups, g.rec.Key) // its alert is not written: no group
		}
		return false, nil
	}
	return true, nil
}

// suppressBuilt applies alert suppression to an alert a threshold or
// new_terms rule built at the execution a.Exec (see suppressbuilt.go for
// Kibana's semantics): write is false when an open alert of its group, in
// this Session or in the store, counts it instead; otherwise the alert
// opens a group (returned) and gets its suppression fields.
func (x *Session) suppressBuilt(ctx context.Context, a Alert) (write bool, g *group, err error) {
	r := a.Rule
	terms, start, end, ok := r.SuppressionGroup(a)
	if !ok {
		return true, nil, nil
	}
	inst := InstanceID(terms, r.Alert.UUID, x.space())
	key := r.SuppressionKey(inst, a.Exec.Truncate(Interval(r)))
	if g, err := x.openGroup(ctx, r, key, terms, inst, a.Exec); err != nil || g != nil {
		if g != nil {
			g.fold(start, end, a.Exec)
		}
		return false, g, err
	}
	g = x.newGroup(key, terms, inst, a.Exec, start, end, a.ID, a.Doc)
	SuppressionFields(a.Doc, terms, inst, start, end, 0)
	return true, g, nil
}
