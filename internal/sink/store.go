package sink

import (
	"context"
	"errors"

	"github.com/vigil-project/vigil/internal/state"
)

// Store writes alerts into Vigil's SQLite store (state.AddAlerts), where
// the web UI reads them. An alert whose id is stored already is skipped,
// so re-delivery is harmless.
type Store struct {
	st *state.Store
	counters
}

// NewStore returns a sink writing into st. Closing the sink does not
// close st: its owner does.
func NewStore(st *state.Store) *Store { return &Store{st: st} }

// Name implements Sink.
func (s *Store) Name() string { return "store" }

// Close implements Sink.
func (s *Store) Close() error { return nil }

// Write implements Sink: the accepted alerts are stored in one
// transaction. An alert with no id, or whose document is not a JSON
// object, is rejected.
func (s *Store) Write(ctx context.Context, alerts []Alert) error {
	out := newOutcome(len(alerts))
	rows := make([]state.Alert, 0, len(alerts))
	kept := make([]Alert, 0, len(alerts))
	for _, a := range alerts {
		if a.ID == "" {
			out.reject(a, Permanent(errors.New("alert without an id")))
			continue
		}
		doc, err := compactDoc(a)
		if err != nil {
			out.reject(a, err)
			continue
		}
		rows = append(rows, state.Alert{ID: a.ID, RuleID: a.RuleID, RuleName: a.RuleName, Severity: a.Severity,
			RiskScore: a.RiskScore, EventTime: a.EventTime, CreatedAt: a.CreatedAt, Doc: doc})
		kept = append(kept, a)
	}
	if len(rows) > 0 {
		if _, err := s.st.AddAlerts(ctx, rows); err != nil {
			out.retryAll(kept, err)
		}
	}
	err := out.err()
	s.count(len(alerts), err)
	return err
}
