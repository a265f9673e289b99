package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/vigil-project/vigil/internal/alert"
	"github.com/vigil-project/vigil/internal/state"
)

// SQLStore is the Store of serve (and of any run that must survive a
// restart): internal/state's SQLite database, documents and held matches
// as JSON.
type SQLStore struct{ *state.Store }

var _ Store = SQLStore{}

// AddAlerts implements Store.
func (s SQLStore) AddAlerts(ctx context.Context, alerts []Alert, now time.Time) error {
	rows := make([]state.Alert, 0, len(alerts))
	for _, a := range alerts {
		row, err := StoredAlert(a, now)
		if err != nil {
			return err
		}
		rows = append(rows, row)
	}
	_, err := s.Store.AddAlerts(ctx, rows)
	return err
}

// StoredAlert is the row of an alert in the state database, created at now.
func StoredAlert(a Alert, now time.Time) (state.Alert, error) {
	doc, err := MarshalAlert(a.Doc)
	if err != nil {
		return state.Alert{}, fmt.Errorf("render alert of rule %q: %w", a.Rule.Alert.Name, err)
	}
	name, severity, risk := alert.Headline(a.Doc)
	return state.Alert{ID: a.ID, RuleID: a.Rule.ID, RuleName: name, Severity: severity,
		RiskScore: risk, EventTime: a.EventTime, CreatedAt: now, Doc: doc}, nil
}

// AlertDoc implements Store.
func (s SQLStore) AlertDoc(ctx context.Context, id string) (map[string]any, bool, error) {
	raw, found, err := s.Store.AlertDoc(ctx, id)
	if err != nil || !found {
		return nil, false, err
	}
	doc := map[string]any{}
	if json.Unmarshal(raw, &doc) != nil {
		return nil, false, nil // unreadable: as if absent, a new alert replaces it
	}
	return doc, true, nil
}

// SaveSuppression implements Store.
func (s SQLStore) SaveSuppression(ctx context.Context, g state.Suppression, doc map[string]any) error {
	var raw []byte
	if doc != nil {
		var err error
		if raw, err = MarshalAlert(doc); err != nil {
			return err
		}
	}
	return s.Store.SaveSuppression(ctx, g, raw)
}

// HoldThreshold implements Store.
func (s SQLStore) HoldThreshold(ctx context.Context, ruleID string, ms []ThresholdMatch) error {
	rows := make([]state.ThresholdRow, 0, len(ms))
	for _, m := range ms {
		data, err := json.Marshal(m)
		if err != nil {
			return err
		}
		rows = append(rows, state.ThresholdRow{Time: m.Time, Data: data})
	}
	return s.Store.AddThresholdMatches(ctx, ruleID, rows)
}

// ThresholdMatches implements Store; a row that does not decode is
// skipped.
func (s SQLStore) ThresholdMatches(ctx context.Context, ruleID string, since time.Time) ([]ThresholdMatch, error) {
	rows, err := s.Store.ThresholdMatches(ctx, ruleID, since)
	if err != nil {
		return nil, err
	}
	out := make([]ThresholdMatch, 0, len(rows))
	for _, row := range rows {
		var x ThresholdMatch
		if json.Unmarshal(row.Data, &x) == nil {
			x.Time = row.Time
			out = append(out, x)
		}
	}
	return out, nil
}

// HoldSequence implements Store.
func (s SQLStore) HoldSequence(ctx context.Context, ruleID string, evs []SequenceEvent, limit int) (int, error) {
	rows := make([]state.SequenceRow, len(evs))
	for i, e := range evs {
		rows[i] = state.SequenceRow{Index: e.Index, EventID: e.EventID, Time: e.Time, Data: e.Raw}
	}
	return s.Store.AddSequenceEvents(ctx, ruleID, rows, limit)
}

// SequenceEvents implements Store.
func (s SQLStore) SequenceEvents(ctx context.Context, ruleID string, since time.Time) ([]SequenceEvent, error) {
	rows, err := s.Store.SequenceEvents(ctx, ruleID, since)
	if err != nil {
		return nil, err
	}
	out := make([]SequenceEvent, len(rows))
	for i, r := range rows {
		out[i] = SequenceEvent{Index: r.Index, EventID: r.EventID, Time: r.Time, Raw: r.Data}
	}
	return out, nil
}
