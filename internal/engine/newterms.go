package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/vigil-project/vigil/internal/alert"
)

// NewTerms is a new_terms rule's configuration (spec §4.7): an alert on the
// first document carrying a combination of values of Fields not seen in
// the History before the rule's look-back.
type NewTerms struct {
	Fields []string
	// History is how far before an execution the history window starts
	// (now - history_window_start); it ends where the look-back starts.
	History time.Duration
}

// Combos returns the value combinations of a document: one per element of
// the cartesian product of the fields' values (an array yields one term per
// value). A document lacking a field has none.
func (n *NewTerms) Combos(doc map[string]any) [][]any {
	combos := [][]any{nil}
	for _, f := range n.Fields {
		v, ok := alert.Lookup(doc, f)
		if !ok {
			return nil
		}
		var vals []any
		if arr, isArr := v.([]any); isArr {
			for _, x := range arr {
				if x != nil {
					vals = append(vals, scalar(x))
				}
			}
		} else {
			vals = []any{scalar(v)}
		}
		if len(vals) == 0 {
			return nil
		}
		var next [][]any
		for _, c := range combos {
			for _, x := range vals {
				next = append(next, append(append([]any(nil), c...), x))
			}
		}
		combos = next
	}
	return combos
}

// ComboKey is a stable key of a value combination.
func ComboKey(c []any) string {
	b, _ := json.Marshal(c)
	return string(b)
}

// NewTermsAlertID is the id of a new terms alert: a hash of the index,
// event id, space and rule, and the new values.
func NewTermsAlertID(index, eventID, space, ruleUUID string, values []any) string {
	b, _ := json.Marshal([]any{index, eventID, "undefined", space + ":" + ruleUUID, values})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// NewTermsDoc turns a match's alert document into the new terms alert for
// values.
func NewTermsDoc(m Match, space string, values []any) (string, map[string]any) {
	return newTermsDoc(m, m.Doc, space, values)
}

// newTermsDoc is NewTermsDoc with the match's alert document src.
func newTermsDoc(m Match, src map[string]any, space string, values []any) (string, map[string]any) {
	doc := make(map[string]any, len(src)+2)
	for k, v := range src {
		doc[k] = v
	}
	id := NewTermsAlertID(m.Index, m.EventID, space, m.Rule.Alert.UUID, values)
	doc["kibana.alert.uuid"] = id
	doc["kibana.alert.new_terms"] = values
	return id, doc
}

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
	// The combinations of every match, and when the store last saw those
	// this Session has not seen yet (once it has, its own time is the
	// later), in one look-up.
	combos := make([][][]any, len(ms))
	keys := make([][]string, len(ms))
	var ask []string
	asked := map[string]bool{}
	for i, m := range ms {
		evdoc, err := x.eventDoc(m)
		if err != nil {
			return nil, err
		}
		combos[i] = r.NewTerms.Combos(evdoc)
		for _, c := range combos[i] {
			k := ComboKey(c)
			keys[i] = append(keys[i], k)
			if _, ok := seen.last[k]; !ok && !asked[k] {
				asked[k] = true
				ask = append(ask, k)
			}
		}
	}
	var stored map[string]time.Time
	if len(ask) > 0 {
		var err error
		if stored, err = x.Store.TermsLastSeen(ctx, r.ID, ask); err != nil {
			return nil, err
		}
	}
	var built []Alert
	for i, m := range ms {
		if len(combos[i]) == 0 {
			x.drop(r, at, DropMissing)
			continue
		}
		var doc map[string]any // the match's alert document, built for its first new combination
		for j, c := range combos[i] {
			k := keys[i][j]
			last, ok := seen.last[k]
			if !ok {
				last, ok = stored[k]
			}
			if !ok || last.Before(historyStart) {
				if doc == nil {
					var err error
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
				last = m.Time
			}
			seen.last[k] = last
		}
	}
	return x.admitAll(ctx, built, nil)
}

// Run implements Executor: a new terms rule decides at each match.
func (newTermsExecutor) Run(context.Context, *Session, *Rule, time.Time) ([]Alert, error) {
	return nil, nil
}
