package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/ruleset"
	"github.com/vigil-project/vigil/internal/state"
)

// seedDetector runs the built-in seed rule, changed by adapt (to give it
// suppression, new terms or a threshold), over store, at the time *now.
func seedDetector(t testing.TB, st *state.Store, rec *recorder, now *time.Time, adapt func(*engine.Rule)) *Detector {
	t.Helper()
	plan := event.NewPlan()
	rules, _, err := ruleset.Load(nil, plan, func() time.Time { return *now })
	if err != nil {
		t.Fatal(err)
	}
	var seed *engine.Rule
	for _, r := range rules {
		if r.ID == "60884af6-f553-4a6c-af13-300047455491" {
			seed = r
		}
	}
	adapt(seed)
	d := NewDetector(DetectorOptions{Store: st, Sink: rec, Now: func() time.Time { return *now }})
	d.SetRules([]*engine.Rule{seed}, plan)
	return d
}

func suppressingDetector(t *testing.T, st *state.Store, rec *recorder, now *time.Time, s engine.Suppression) *Detector {
	return seedDetector(t, st, rec, now, func(r *engine.Rule) { r.Suppression = &s })
}

func runCommand(user string, n int) []byte {
	return []byte(fmt.Sprintf(`{"@timestamp":"2026-03-14T09:%02d:00Z","event":{"dataset":"azure.activitylogs","outcome":"success","id":"%d"},"azure":{"activitylogs":{"operation_name":"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION"}},"user":{"name":%q}}`, n%60, n, user))
}

func storedGroups(t *testing.T, st *state.Store) map[string]float64 {
	t.Helper()
	as, err := st.Alerts(context.Background(), state.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, a := range as {
		var doc map[string]any
		json.Unmarshal(a.Doc, &doc)
		terms := doc["kibana.alert.suppression.terms"].([]any)
		user := terms[0].(map[string]any)["value"]
		out[fmt.Sprintf("%v#%s", user, a.ID[:6])] = doc["kibana.alert.suppression.docs_count"].(float64)
	}
	return out
}

func TestSuppressionSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	ctx := context.Background()
	now := time.Date(2026, 3, 14, 9, 31, 0, 0, time.UTC)
	rec := &recorder{}
	sup := engine.Suppression{GroupBy: []string{"user.name"}, Duration: time.Hour}

	st, err := state.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	d := suppressingDetector(t, st, rec, &now, sup)
	if err := d.Process(ctx, "in", batchOf([][]byte{runCommand("bob", 1), runCommand("bob", 2), runCommand("eve", 3)}, nil)); err != nil {
		t.Fatal(err)
	}
	if len(rec.alerts) != 2 {
		t.Fatalf("%d alerts delivered, want 2 (bob, eve)", len(rec.alerts))
	}
	st.Close()

	// Restart: the groups are in the store.
	st, err = state.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now = now.Add(20 * time.Minute)
	d = suppressingDetector(t, st, rec, &now, sup)
	if err := d.Process(ctx, "in", batchOf([][]byte{runCommand("bob", 4), runCommand("bob", 5)}, nil)); err != nil {
		t.Fatal(err)
	}
	if len(rec.alerts) != 2 {
		t.Fatalf("%d alerts delivered after restart, want still 2", len(rec.alerts))
	}
	groups := storedGroups(t, st)
	var bob, eve float64 = -1, -1
	for k, v := range groups {
		switch k[:3] {
		case "bob":
			bob = v
		case "eve":
			eve = v
		}
	}
	if len(groups) != 2 || bob != 3 || eve != 0 {
		t.Fatalf("stored groups %v, want bob with docs_count 3 and eve with 0", groups)
	}

	// Beyond the duration: a new alert for bob.
	now = now.Add(time.Hour)
	if err := d.Process(ctx, "in", batchOf([][]byte{runCommand("bob", 6)}, nil)); err != nil {
		t.Fatal(err)
	}
	if len(rec.alerts) != 3 {
		t.Fatalf("%d alerts, want a new one for bob after the duration", len(rec.alerts))
	}
	// Redelivery of an event already alerted: nothing new.
	if err := d.Process(ctx, "in", batchOf([][]byte{runCommand("bob", 6)}, nil)); err != nil || len(rec.alerts) != 3 {
		t.Fatalf("redelivery: %v, %d alerts", err, len(rec.alerts))
	}
}

func TestSuppressionPerExecutionStreaming(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	now := time.Date(2026, 3, 14, 9, 31, 0, 0, time.UTC)
	rec := &recorder{}
	d := suppressingDetector(t, st, rec, &now, engine.Suppression{GroupBy: []string{"user.name"}, DoNotSuppress: true})
	noUser := []byte(`{"@timestamp":"2026-03-14T09:30:00Z","event":{"dataset":"azure.activitylogs","outcome":"success","id":"x"},"azure":{"activitylogs":{"operation_name":"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION"}}}`)
	if err := d.Process(ctx, "in", batchOf([][]byte{runCommand("bob", 10), runCommand("bob", 11), noUser}, nil)); err != nil {
		t.Fatal(err)
	}
	if len(rec.alerts) != 2 {
		t.Fatalf("%d alerts, want bob's and the unsuppressed one", len(rec.alerts))
	}
	now = now.Add(5 * time.Minute) // the next execution
	if err := d.Process(ctx, "in", batchOf([][]byte{runCommand("bob", 12)}, nil)); err != nil {
		t.Fatal(err)
	}
	if len(rec.alerts) != 3 {
		t.Fatalf("%d alerts, want a new one in the next execution", len(rec.alerts))
	}
}
