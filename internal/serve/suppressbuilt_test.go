package serve

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/state"
)

// storedDocsCount returns the docs_count of the stored alert id.
func storedDocsCount(t *testing.T, st *state.Store, id string) any {
	t.Helper()
	raw, ok, err := st.AlertDoc(context.Background(), id)
	if err != nil || !ok {
		t.Fatalf("alert %s not stored: %v", id, err)
	}
	var doc map[string]any
	json.Unmarshal(raw, &doc)
	return doc["kibana.alert.suppression.docs_count"]
}

// A threshold rule with alert suppression in serve: a later execution's
// bucket for the same group, within the duration, updates the stored
// alert's docs_count instead of raising a new alert, across restarts
// (Kibana: wrap_suppressed_threshold_alerts.ts and the rule registry's
// alertWithSuppression; see internal/engine/suppressbuilt.go).
func TestThresholdSuppressionAcrossRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigil.db")
	now := time.Date(2026, 3, 14, 9, 31, 0, 0, time.UTC)
	rec := &recorder{}
	adapt := func(r *engine.Rule) {
		r.Alert.Type = "threshold"
		r.Threshold = &engine.Threshold{Fields: []string{"user.name"}, Value: 2}
		r.Suppression = &engine.Suppression{Duration: time.Hour}
	}
	st, err := state.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	d := seedDetector(t, st, rec, &now, adapt)
	burst := func(at time.Time, n int) {
		t.Helper()
		now = at
		d.Tick(ctx) // schedules the next execution after a restart
		if err := d.Process(ctx, "in", batchOf([][]byte{runCommand("bob", n), runCommand("bob", n+1)}, nil)); err != nil {
			t.Fatal(err)
		}
		now = at.Truncate(5 * time.Minute).Add(5 * time.Minute)
		if err := d.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	burst(time.Date(2026, 3, 14, 9, 31, 0, 0, time.UTC), 1)
	if len(rec.alerts) != 1 {
		t.Fatalf("%d alerts at 09:35, want bob's", len(rec.alerts))
	}
	first := rec.alerts[0].ID
	burst(time.Date(2026, 3, 14, 9, 36, 0, 0, time.UTC), 3)
	if len(rec.alerts) != 1 || storedDocsCount(t, st, first) != 1.0 {
		t.Fatalf("09:40: %d alerts, docs_count %v; want the first alert counting the second bucket", len(rec.alerts), storedDocsCount(t, st, first))
	}
	st.Close()
	if st, err = state.Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d = seedDetector(t, st, rec, &now, adapt)
	burst(time.Date(2026, 3, 14, 9, 41, 0, 0, time.UTC), 5)
	if len(rec.alerts) != 1 || storedDocsCount(t, st, first) != 2.0 {
		t.Fatalf("after a restart: %d alerts, docs_count %v; want the open alert counting it", len(rec.alerts), storedDocsCount(t, st, first))
	}
	burst(time.Date(2026, 3, 14, 10, 41, 0, 0, time.UTC), 7)
	if len(rec.alerts) != 2 {
		t.Fatalf("10:45, more than an hour after 09:35: %d alerts, want a new one", len(rec.alerts))
	}
	if c := storedDocsCount(t, st, rec.alerts[1].ID); c != 0.0 {
		t.Errorf("the new alert's docs_count %v", c)
	}
}

// A new_terms rule with alert suppression in serve: new terms alerts of
// one group_by value fold into the first within the duration, across
// restarts.
func TestNewTermsSuppressionAcrossRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigil.db")
	now := time.Date(2026, 3, 14, 9, 31, 0, 0, time.UTC)
	rec := &recorder{}
	adapt := func(r *engine.Rule) {
		r.Alert.Type = "new_terms"
		r.NewTerms = &engine.NewTerms{Fields: []string{"user.name"}, History: 24 * time.Hour}
		r.Suppression = &engine.Suppression{GroupBy: []string{"event.dataset"}, Duration: time.Hour}
	}
	st, err := state.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	d := seedDetector(t, st, rec, &now, adapt)
	if err := d.Process(ctx, "in", batchOf([][]byte{runCommand("a", 1), runCommand("b", 2), runCommand("a", 3)}, nil)); err != nil {
		t.Fatal(err)
	}
	if len(rec.alerts) != 1 || storedDocsCount(t, st, rec.alerts[0].ID) != 1.0 {
		t.Fatalf("%d alerts; want a's, counting b's", len(rec.alerts))
	}
	first := rec.alerts[0].ID
	st.Close()
	if st, err = state.Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d = seedDetector(t, st, rec, &now, adapt)
	now = now.Add(20 * time.Minute)
	if err := d.Process(ctx, "in", batchOf([][]byte{runCommand("c", 4)}, nil)); err != nil {
		t.Fatal(err)
	}
	if len(rec.alerts) != 1 || storedDocsCount(t, st, first) != 2.0 {
		t.Fatalf("after a restart: %d alerts, docs_count %v; want c folded into a's alert", len(rec.alerts), storedDocsCount(t, st, first))
	}
	now = now.Add(time.Hour)
	if err := d.Process(ctx, "in", batchOf([][]byte{runCommand("d", 5)}, nil)); err != nil {
		t.Fatal(err)
	}
	if len(rec.alerts) != 2 {
		t.Fatalf("an hour later: %d alerts, want a new one", len(rec.alerts))
	}
}
