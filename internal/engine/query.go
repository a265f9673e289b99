package engine

import (
	"context"
	"time"
)

// queryExecutor is the query rule type (KQL, Lucene-free single-event EQL)
// and threat_match (whose matches were enriched with their indicators when
// evaluated): each match is an alert, up to max_signals per execution;
// with alert suppression, the matches of a group share one alert per
// execution or per duration, which counts the others (Kibana's
// bulkCreateWithSuppression).
type queryExecutor struct{}

// Add implements Executor.
func (queryExecutor) Add(ctx context.Context, x *Session, r *Rule, at time.Time, ms []Match) ([]Alert, error) {
	sortMatches(ms)
	var alerts []Alert
	// pending are the groups this call opens: their alert is built once
	// every match of the call is counted, from the earliest.
	type pending struct {
		first      Match
		terms      []Term
		inst, key  string
		start, end time.Time
		count      int
	}
	var opened []*pending
	byKey := map[string]*pending{}
	for _, m := range ms {
		if r.Suppression != nil {
			doc, err := x.eventDoc(m)
			if err != nil {
				return nil, err
			}
			if groups, ok := r.Suppression.Groups(doc); ok {
				for _, terms := range groups {
					inst := InstanceID(terms, r.Alert.UUID, x.space())
					key := inst
					if r.Suppression.Duration == 0 {
						key += "@" + at.Truncate(Interval(r)).Format(time.RFC3339Nano)
					}
					if p := byKey[key]; p != nil {
						p.count++
						p.end = m.Time
						x.drop(r, at, DropSuppressed)
						continue
					}
					g, err := x.openGroup(ctx, r, key, terms, inst, at)
					if err != nil {
						return nil, err
					}
					if g != nil {
						g.fold(m.Time, m.Time, at)
						x.drop(r, at, DropSuppressed)
						continue
					}
					p := &pending{first: m, terms: terms, inst: inst, key: key, start: m.Time, end: m.Time, count: 1}
					byKey[key] = p
					opened = append(opened, p)
				}
				continue
			}
		}
		if !x.take(r, at) {
			continue
		}
		doc, err := x.doc(m)
		if err != nil {
			return nil, err
		}
		alerts = append(alerts, Alert{ID: m.ID, Rule: r, EventTime: m.Time, Doc: doc, Exec: at})
	}
	for _, p := range opened {
		if !x.take(r, at) {
			continue
		}
		src, err := x.doc(p.first)
		if err != nil {
			return nil, err
		}
		doc := make(map[string]any, len(src)+8)
		for k, v := range src {
			doc[k] = v
		}
		id := SuppressedAlertID(p.first.Index, p.first.EventID, x.space(), r.Alert.UUID, p.terms, p.start, p.end)
		doc["kibana.alert.uuid"] = id
		SuppressionFields(doc, p.terms, p.inst, p.start, p.end, p.count-1)
		g := x.newGroup(p.key, p.terms, p.inst, at, p.start, p.end, id, doc)
		g.rec.DocsCount = p.count - 1
		alerts = append(alerts, Alert{ID: id, Rule: r, EventTime: p.start, Doc: doc, Exec: at})
	}
	return alerts, nil
}

// Run implements Executor: a query rule decides at each match.
func (queryExecutor) Run(context.Context, *Session, *Rule, time.Time) ([]Alert, error) {
	return nil, nil
}
