package engine

import (
	"context"
	"time"
)

// newTermsExecutor is the new_terms rule type: an alert per value
// combination of the rule's fields not seen since the history window
// began (the execution's time minus history_window_start), one per
// combination of a multi-valued event; then alert suppression and
// max_signals (admitBuilt).
type newTermsExecutor struct{}

// Add implements Executor.
func (newTermsExecutor) Add(ctx context.Context, x *Session, r *Rule, at time.Time, ms []Match) ([]Alert, error) {
	sortMatches(ms)
	if x.terms == nil {
		x.terms = map[*Rule]*termsSeen{}
	}
	seen := x.terms[r]
	if seen == nil {
		seen = &termsSeen{last: map[string]time.Time{}}
		x.terms[r] = seen
	}
	if at.After(seen.at) {
		seen.at = at
	}
	historyStart := at.Add(-r.NewTerms.History)
	var built []Alert
	for _, m := range ms {
		evdoc, err := x.eventDoc(m)
		if err != nil {
			return nil, err
		}
		combos := r.NewTerms.Combos(evdoc)
		if len(combos) == 0 {
			x.drop(r, at, DropMissing)
			continue
		}
		keys := make([]string, len(combos))
		for i, c := range combos {
			keys[i] = ComboKey(c)
		}
		stored, err := x.Store.TermsLastSeen(ctx, r.ID, keys)
		if err != nil {
			return nil, err
		}
		var doc map[string]any // the match's alert document, built for its first new combination
		for i, c := range combos {
			k := keys[i]
			last, ok := seen.last[k]
			if s, sok := stored[k]; sok && (!ok || s.After(last)) {
				last, ok = s, true
			}
			if !ok || last.Before(historyStart) {
				if doc == nil {
					if doc, err = x.doc(m); err != nil {
						return nil, err
					}
				}
				id, d := newTermsDoc(m, doc, x.space(), c)
				built = append(built, Alert{ID: id, Rule: r, EventTime: m.Time, Doc: d, Exec: at})
			} else {
				x.drop(r, at, DropNotNew)
			}
			if !ok || m.Time.After(last) {
				seen.last[k] = m.Time
			} else if _, here := seen.last[k]; !here {
				seen.last[k] = last
			}
		}
	}
	return x.admitAll(ctx, built)
}

// Run implements Executor: a new terms rule decides at each match.
func (newTermsExecutor) Run(context.Context, *Session, *Rule, time.Time) ([]Alert, error) {
	return nil, nil
}

// admitAll keeps the built alerts that are not stored already (an
// execution done again after a crash before its state was saved) and that
// admitBuilt writes.
func (x *Session) admitAll(ctx context.Context, built []Alert) ([]Alert, error) {
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
	out := built[:0]
	for _, a := range built {
		if known[a.ID] {
			continue
		}
		known[a.ID] = true // once
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
