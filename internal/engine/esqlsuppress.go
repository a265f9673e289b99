package engine

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/vigil-project/vigil/internal/esql"
)

// Alert suppression of ES|QL rules, as Kibana's ES|QL rule type does it
// (esql.ts with wrapSuppressedEsqlAlerts and
// bulkCreateSuppressedAlertsInMemory): the alerts an execution builds from
// its result rows, ids and all as without suppression, go through the
// persistence wrapper's alertWithSuppression like new terms alerts
// (admitBuilt here), each in the group of its values of the rule's
// group_by fields:
//
//   - a group_by field's value is the row's column of that name (a
//     multi-valued one its values sorted; a null cell is a missing field,
//     as Kibana leaves null cells out of the row's document);
//   - a row missing a group_by field is in the group whose value is null,
//     or, with missing_fields_strategy doNotSuppress, is an ordinary
//     alert without suppression fields;
//   - the group's start and end are the row's primary timestamp (the
//     column named as the rule's timestamp_override, else @timestamp), else
//     the alert's time: the execution's (an aggregating row has no
//     @timestamp unless the query keeps one);
//   - without a duration a group takes the alerts of one execution; with
//     one, those of the executions that run within it after the group's
//     alert was created.

// esqlSuppression is what alert suppression reads of an ES|QL alert's row.
type esqlSuppression struct {
	terms []Term
	time  time.Time
	ok    bool // false: a group_by field is missing and missing fields do not suppress
}

// esqlSuppressionOf reads the suppression group of a result row of the
// execution at at.
func esqlSuppressionOf(r *Rule, cols []esql.ColumnInfo, row []any, at time.Time) *esqlSuppression {
	s := r.Suppression
	value := func(name string) (any, bool) {
		// The last column of a name is the row's (ES|QL keeps one).
		for i := len(cols) - 1; i >= 0; i-- {
			if cols[i].Name == name && i < len(row) {
				if row[i] == nil {
					return nil, false
				}
				return esql.JSONValue(row[i], cols[i].Type), true
			}
		}
		return nil, false
	}
	out := &esqlSuppression{ok: true, time: at}
	for _, f := range s.GroupBy {
		v, found := value(f)
		if !found {
			if s.DoNotSuppress {
				out.ok = false
			}
			out.terms = append(out.terms, Term{Field: f, Value: nil})
			continue
		}
		if arr, isArr := v.([]any); isArr {
			vals := make([]any, len(arr))
			for i, x := range arr {
				vals[i] = termValue(x)
			}
			sortTermValues(vals)
			out.terms = append(out.terms, Term{Field: f, Value: vals})
			continue
		}
		out.terms = append(out.terms, Term{Field: f, Value: termValue(v)})
	}
	fields := []string{"@timestamp"}
	if o := r.TimestampOverride; o != "" && o != "@timestamp" {
		fields = []string{o}
		if !r.FallbackDisabled {
			fields = append(fields, "@timestamp")
		}
	}
	for _, f := range fields {
		if v, found := value(f); found {
			if t, ok := suppressionTime(v); ok {
				out.time = t
				break
			}
		}
	}
	return out
}

// termValue is a row value as a suppression term holds it: a double as a
// float64 (ES|QL's JSON writes it as raw text).
func termValue(v any) any {
	if raw, ok := v.(json.RawMessage); ok {
		if f, err := strconv.ParseFloat(string(raw), 64); err == nil {
			return f
		}
		return string(raw)
	}
	return v
}

// sortTermValues sorts a multi-value as lodash's sortBy does values of one
// type: numbers by value, strings by their text, false before true.
func sortTermValues(vals []any) {
	rank := func(v any) int {
		switch v.(type) {
		case bool:
			return 0
		case int64, float64:
			return 1
		case string:
			return 2
		}
		return 3
	}
	num := func(v any) float64 {
		switch x := v.(type) {
		case int64:
			return float64(x)
		case float64:
			return x
		}
		return 0
	}
	sort.SliceStable(vals, func(i, j int) bool {
		a, b := vals[i], vals[j]
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra < rb
		}
		switch x := a.(type) {
		case bool:
			return !x && b.(bool)
		case string:
			return x < b.(string)
		case int64, float64:
			return num(a) < num(b)
		}
		return false
	})
}

// suppressionTime reads a timestamp column's value as JavaScript's
// new Date does: a date's ISO-8601 text, or milliseconds since the epoch.
func suppressionTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
			if t, err := time.Parse(layout, x); err == nil {
				return t.UTC(), true
			}
		}
	case int64:
		return time.UnixMilli(x).UTC(), true
	case float64:
		return time.UnixMilli(int64(x)).UTC(), true
	}
	return time.Time{}, false
}

// esqlSuppressionGroup is SuppressionGroup for an ES|QL alert.
func esqlSuppressionGroup(a Alert) (terms []Term, start, end time.Time, ok bool) {
	s := a.esqlSup
	if s == nil || !s.ok {
		return nil, a.EventTime, a.EventTime, false
	}
	return s.terms, s.time, s.time, true
}

// esqlSuppressor applies alert suppression to a hunt's ES|QL alerts: a
// Session over an empty MemoryStore decides (its groups are the open
// ones), and the alerts it writes are held until no later execution can
// fold another into them, then emitted, so that each is emitted once,
// final. It holds the alerts of the groups still open: those of the last
// suppression duration (or of the execution, without one).
type esqlSuppressor struct {
	sess    *Session
	pending []Alert // written, oldest first: emitted once their group closed
}

func newESQLSuppressor(h *Hunt, st *RuleStats) *esqlSuppressor {
	sess := &Session{Store: NewMemoryStore(), Space: h.opts.Space,
		Drop: func(_ *Rule, _ time.Time, reason string) {
			if reason == DropSuppressed {
				st.Suppressed++
			}
		}}
	if h.opts.Now != nil {
		sess.Now = h.opts.Now()
	}
	return &esqlSuppressor{sess: sess}
}

// admit decides an alert of the execution a.Exec: false when an open
// alert of its group counts it instead.
func (s *esqlSuppressor) admit(a Alert) (bool, error) {
	write, err := s.sess.admitBuilt(context.Background(), a)
	if write {
		s.pending = append(s.pending, a)
	}
	return write, err
}

// closed returns, oldest first, the held alerts whose groups can take no
// alert of the execution at at or later (all when at is zero), and
// forgets them and their groups.
func (s *esqlSuppressor) closed(r *Rule, at time.Time) []Alert {
	var out []Alert
	keep := s.pending[:0]
	for _, a := range s.pending {
		if at.IsZero() || !r.SuppressionOpen(a.Exec, at) || r.Suppression.Duration == 0 && at.After(a.Exec) {
			out = append(out, a)
			continue
		}
		keep = append(keep, a)
	}
	clear(s.pending[len(keep):])
	s.pending = keep
	if len(out) > 0 {
		open := map[string]bool{}
		for _, a := range s.pending {
			open[a.ID] = true
		}
		for k, g := range s.sess.groups {
			if !open[g.rec.AlertID] {
				delete(s.sess.groups, k)
			}
		}
	}
	return slices.Clip(out)
}
