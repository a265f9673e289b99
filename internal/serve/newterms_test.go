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

// newTermsDetector: today's Elastic version of the seed rule is a new_terms
// rule.
func newTermsDetector(t *testing.T, st *state.Store, rec *recorder, now *time.Time) *Detector {
	return seedDetector(t, st, rec, now, func(r *engine.Rule) {
		r.NewTerms = &engine.NewTerms{Fields: []string{"user.name"}, History: 7 * 24 * time.Hour}
	})
}

func TestNewTermsStreamingAcrossRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigil.db")
	now := time.Date(2026, 3, 14, 9, 31, 0, 0, time.UTC)
	rec := &recorder{}
	st, err := state.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	d := newTermsDetector(t, st, rec, &now)
	if err := d.Process(ctx, "in", batchOf([][]byte{runCommand("bob", 1), runCommand("bob", 2)}, nil)); err != nil {
		t.Fatal(err)
	}
	if len(rec.alerts) != 1 {
		t.Fatalf("%d alerts, want 1 (bob is new once)", len(rec.alerts))
	}
	st.Close()

	st, err = state.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now = now.Add(24 * time.Hour)
	d = newTermsDetector(t, st, rec, &now)
	if err := d.Process(ctx, "in", batchOf([][]byte{runCommand("bob", 3), runCommand("eve", 4)}, nil)); err != nil {
		t.Fatal(err)
	}
	if len(rec.alerts) != 2 {
		t.Fatalf("%d alerts after restart, want 2 (eve new, bob known)", len(rec.alerts))
	}
	// Beyond the history window bob is new again.
	now = now.Add(8 * 24 * time.Hour)
	if err := d.Process(ctx, "in", batchOf([][]byte{runCommand("bob", 5)}, nil)); err != nil {
		t.Fatal(err)
	}
	if len(rec.alerts) != 3 {
		t.Fatalf("%d alerts, want bob new again after the history window", len(rec.alerts))
	}
	var doc map[string]any
	if err := jsonUnmarshal(rec.alerts[2].Doc, &doc); err != nil {
		t.Fatal(err)
	}
	if terms, _ := doc["kibana.alert.new_terms"].([]any); len(terms) != 1 || terms[0] != "bob" {
		t.Errorf("kibana.alert.new_terms = %v", doc["kibana.alert.new_terms"])
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
