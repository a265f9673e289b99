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

func thresholdDetector(t *testing.T, st *state.Store, rec *recorder, now *time.Time) *Detector {
	return seedDetector(t, st, rec, now, func(r *engine.Rule) {
		r.Alert.Type = "threshold"
		r.Threshold = &engine.Threshold{Fields: []string{"user.name"}, Value: 3}
	})
}

func TestThresholdStreamingAcrossRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigil.db")
	now := time.Date(2026, 3, 14, 9, 31, 0, 0, time.UTC)
	rec := &recorder{}
	st, err := state.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	d := thresholdDetector(t, st, rec, &now)
	if err := d.Tick(ctx); err != nil { // schedules the first execution at 09:35
		t.Fatal(err)
	}
	if err := d.Process(ctx, "in", batchOf([][]byte{runCommand("bob", 1), runCommand("bob", 2), runCommand("eve", 3)}, nil)); err != nil {
		t.Fatal(err)
	}
	if len(rec.alerts) != 0 {
		t.Fatalf("a threshold rule alerted on a match: %d", len(rec.alerts))
	}
	st.Close()

	// Restart before the execution: the held matches are in the store.
	st, err = state.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d = thresholdDetector(t, st, rec, &now)
	now = now.Add(time.Minute)
	if err := d.Process(ctx, "in", batchOf([][]byte{runCommand("bob", 4)}, nil)); err != nil {
		t.Fatal(err)
	}
	d.Tick(ctx) // schedules
	now = time.Date(2026, 3, 14, 9, 35, 0, 0, time.UTC)
	if err := d.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if len(rec.alerts) != 1 {
		t.Fatalf("%d alerts at the execution, want bob's", len(rec.alerts))
	}
	var doc map[string]any
	json.Unmarshal(rec.alerts[0].Doc, &doc)
	res, _ := doc["kibana.alert.threshold_result"].(map[string]any)
	if res == nil || res["count"] != 3.0 {
		t.Fatalf("threshold_result %v", doc["kibana.alert.threshold_result"])
	}
	// The next execution: bob's matches were counted; two more do not reach 3.
	now = now.Add(time.Minute)
	d.Process(ctx, "in", batchOf([][]byte{runCommand("bob", 5), runCommand("bob", 6)}, nil))
	now = time.Date(2026, 3, 14, 9, 40, 0, 0, time.UTC)
	if err := d.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if len(rec.alerts) != 1 {
		t.Fatalf("%d alerts, want no second alert for bob", len(rec.alerts))
	}
	now = now.Add(time.Minute)
	d.Process(ctx, "in", batchOf([][]byte{runCommand("bob", 7)}, nil))
	now = time.Date(2026, 3, 14, 9, 45, 0, 0, time.UTC)
	d.Tick(ctx)
	if len(rec.alerts) != 2 {
		t.Fatalf("%d alerts, want a second one once 3 new matches arrived", len(rec.alerts))
	}
}
