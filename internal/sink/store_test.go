package sink

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-project/vigil/internal/state"
)

func TestStoreWritesAlertsIdempotently(t *testing.T) {
	ctx := context.Background()
	st, err := state.Open(ctx, filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := NewStore(st)
	batch := testAlerts(3, 0)
	if err := s.Write(ctx, batch); err != nil {
		t.Fatal(err)
	}
	// Re-delivery of the batch plus one new alert.
	if err := s.Write(ctx, append(batch, testAlerts(1, 3)...)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	stored, err := st.Alerts(ctx, state.AlertFilter{}) // the store stays open
	if err != nil {
		t.Fatal(err)
	}
	want := testAlerts(4, 0)
	if len(stored) != 4 {
		t.Fatalf("%d alerts stored, want 4", len(stored))
	}
	for i, a := range stored {
		w := want[i]
		got := Alert{ID: a.ID, RuleID: a.RuleID, RuleName: a.RuleName, Severity: a.Severity, RiskScore: a.RiskScore,
			EventTime: a.EventTime, CreatedAt: a.CreatedAt, Doc: json.RawMessage(a.Doc)}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("alert %d (-want +got):\n%s", i, diff)
		}
	}
	if got, want := s.Stats(), (Stats{Written: 7}); got != want {
		t.Errorf("stats %+v, want %+v", got, want)
	}
}

func TestStoreRejectsAlertsWithoutIDOrDocument(t *testing.T) {
	ctx := context.Background()
	st, err := state.Open(ctx, filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	batch := testAlerts(3, 0)
	batch[0].ID = ""
	batch[2].Doc = json.RawMessage(`{"x":`)
	err = NewStore(st).Write(ctx, batch)
	var pe *PartialError
	if !errors.As(err, &pe) || len(pe.Rejected) != 2 || len(pe.Pending) != 0 {
		t.Fatalf("err = %v, want two rejected", err)
	}
	if n, _ := st.CountAlerts(ctx); n != 1 {
		t.Errorf("%d alerts stored, want 1", n)
	}
}

func TestStoreFailureIsTransient(t *testing.T) {
	ctx := context.Background()
	st, err := state.Open(ctx, filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	st.Close() // a closed database fails every write
	err = NewStore(st).Write(ctx, testAlerts(2, 0))
	if err == nil || IsPermanent(err) {
		t.Errorf("err = %v, want transient", err)
	}
}
