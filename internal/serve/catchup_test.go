package serve

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/state"
)

// at is 14 March 2026, hh:mm UTC.
func at(hh, mm int) time.Time { return time.Date(2026, 3, 14, hh, mm, 0, 0, time.UTC) }

func alertUsers(t *testing.T, rec *recorder) []string {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var users []string
	for _, a := range rec.alerts {
		var doc struct {
			Result struct {
				Terms []struct {
					Value any `json:"value"`
				} `json:"terms"`
			} `json:"kibana.alert.threshold_result"`
		}
		if err := json.Unmarshal(a.Doc, &doc); err != nil || len(doc.Result.Terms) != 1 {
			t.Fatalf("alert without one threshold term: %s", a.Doc)
		}
		users = append(users, doc.Result.Terms[0].Value.(string))
	}
	return users
}

// A sink down for 40 minutes makes the threshold rule's executions fail;
// when it is back, the execution due searches Kibana's catch-up windows
// too (up to 4 intervals back), so matches that only an earlier window
// held still alert, once.
func TestCatchUpAfterFailedExecutions(t *testing.T) {
	ctx := context.Background()
	st, err := state.Open(ctx, filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := at(9, 31)
	rec := &recorder{}
	d := thresholdDetector(t, st, rec, &now)
	d.Tick(ctx) // schedules 09:35
	d.Process(ctx, "in", batchOf([][]byte{runCommand("bob", 1), runCommand("bob", 2), runCommand("bob", 3)}, nil))
	now = at(9, 35)
	if err := d.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	now = at(9, 36)
	d.Process(ctx, "in", batchOf([][]byte{runCommand("eve", 10), runCommand("eve", 11), runCommand("eve", 12)}, nil))

	rec.mu.Lock()
	rec.fail = errors.New("sink down")
	rec.mu.Unlock()
	for m := 40; m < 80; m += 5 {
		now = at(9, 0).Add(time.Duration(m) * time.Minute)
		if err := d.Tick(ctx); err == nil {
			t.Fatalf("%s: an execution succeeded with the sink down", now.Format("15:04"))
		}
	}
	rec.mu.Lock()
	rec.fail = nil
	rec.mu.Unlock()
	// 10:20: the look-back (25m) reaches 09:55; eve's matches at 09:36 are
	// in the catch-up window ending 10:00 ([09:35, 10:00]).
	now = at(10, 20)
	if err := d.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if got := alertUsers(t, rec); len(got) != 2 || got[0] != "bob" || got[1] != "eve" {
		t.Fatalf("alerts for %v, want bob then eve", got)
	}
	now = at(10, 25)
	if err := d.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if got := alertUsers(t, rec); len(got) != 2 {
		t.Fatalf("alerts for %v after the next execution, want no new one", got)
	}
}

// The time of the last execution is in the store: after a restart, the
// first execution searches the catch-up windows of the gap since.
func TestCatchUpAfterRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigil.db")
	st, err := state.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	now := at(9, 31)
	rec := &recorder{}
	d := thresholdDetector(t, st, rec, &now)
	d.Tick(ctx)
	now = at(9, 35)
	if err := d.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	now = at(9, 42)
	d.Process(ctx, "in", batchOf([][]byte{runCommand("eve", 10), runCommand("eve", 11), runCommand("eve", 12)}, nil))
	st.Close() // stopped before the 09:45 execution

	st, err = state.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now = at(10, 21)
	d = thresholdDetector(t, st, rec, &now)
	d.Tick(ctx) // schedules 10:25
	if got := alertUsers(t, rec); len(got) != 0 {
		t.Fatalf("alerts for %v before the first execution", got)
	}
	// 10:25, 50 minutes after the last execution: four catch-up windows
	// reach back to [09:40, 10:05], which holds eve's matches.
	now = at(10, 25)
	if err := d.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if got := alertUsers(t, rec); len(got) != 1 || got[0] != "eve" {
		t.Fatalf("alerts for %v, want eve's", got)
	}
}
