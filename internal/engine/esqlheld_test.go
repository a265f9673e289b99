package engine

import (
	"os"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/event"
)

// huntHeld runs a hunt of r over docs with its scratch files in dir.
func huntHeld(t *testing.T, plan *event.Plan, r *Rule, docs []string, dir string) ([]Alert, *RuleStats) {
	t.Helper()
	e := New(Options{Rules: []*Rule{r}, Plan: plan})
	var got []Alert
	h := NewHunt(HuntOptions{Engine: e, SequenceTempDir: dir, Emit: func(a Alert) error { got = append(got, a); return nil }})
	defer h.Close()
	for _, d := range docs {
		if err := h.Event(event.New([]byte(d), plan)); err != nil {
			t.Fatal(err)
		}
	}
	stats, err := h.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the hunt left %d files in its temporary directory", len(entries))
	}
	return got, stats[0]
}

// An ES|QL rule whose look-back spans more than MaxFedESQLWindows
// intervals (2h at 5m: 24) runs in a hunt from a scratch database of its
// documents, execution by execution, as serve runs it from its store: the
// same alerts, ids and all; the scratch database is removed at the end.
func TestESQLLongLookbackInAHunt(t *testing.T) {
	plan := event.NewPlan()
	agg := esqlRule(t, plan, "agg", `FROM logs-system.auth-* | WHERE event.outcome == "failure" | STATS n = COUNT(*) BY user.name | WHERE n > 2 | SORT user.name`, 2*time.Hour)
	if !esqlLongLookback(agg) {
		t.Fatal("a 2h look-back at 5m is not held")
	}
	docs := []string{
		authDoc("09:01:00", "bob", "failure"),
		authDoc("09:40:00", "eve", "failure"),
		authDoc("10:30:00", "bob", "failure"),
		authDoc("09:40:00", "bob", "failure"), // out of order, within the slack
		authDoc("10:31:00", "eve", "failure"),
		authDoc("13:00:00", "bob", "success"),
		// The input moved 4h (twice the look-back) past 09:00: every
		// execution that could read this one ran.
		authDoc("06:50:00", "eve", "failure"),
	}
	got, st := huntHeld(t, plan, agg, docs, t.TempDir())
	// bob's 3 failures are in the ranges [at-2h, at] of the executions at
	// 10:30 to 11:00: 7 alerts (a row of another execution is another
	// alert); eve has 2.
	if len(got) != 7 || st.Alerts != 7 || st.NeverSearched != 1 {
		t.Fatalf("%d alerts, %d late (stats %+v), want 7 and 1", len(got), st.NeverSearched, st)
	}
	for i, a := range got {
		if want := time.Date(2026, 3, 14, 10, 30+5*i, 0, 0, time.UTC); !a.Exec.Equal(want) || a.Doc["user.name"] != "bob" || a.Doc["n"] != int64(3) {
			t.Errorf("alert %d: execution %s, %v n=%v; want %s, bob, 3", i, a.Exec.Format("15:04"), a.Doc["user.name"], a.Doc["n"], want.Format("15:04"))
		}
	}
	forEachStore(t, func(t *testing.T, newStore func() Store) {
		served, _ := runESQLServe(t, plan, agg, docs, newStore)
		if len(served) != len(got) {
			t.Fatalf("serve: %d alerts, the hunt %d", len(served), len(got))
		}
		for i := range served {
			if served[i].ID != got[i].ID {
				t.Errorf("alert %d: serve's id %s, the hunt's %s", i, served[i].ID, got[i].ID)
			}
		}
	})

	// A non-aggregating query: each document alerts once, though 24
	// executions read it (25 when its time is on the clock: both ends of
	// a range are in it): 123 reads of 5 documents.
	doc := esqlRule(t, plan, "doc", `FROM logs-* METADATA _id, _index | WHERE event.outcome == "failure" | KEEP @timestamp, user.name, _id, _index`, 2*time.Hour)
	got, st = huntHeld(t, plan, doc, docs, t.TempDir())
	if len(got) != 5 || st.Duplicates != 118 {
		t.Errorf("%d alerts, %d duplicates; want 5 (one per failure) and 118", len(got), st.Duplicates)
	}
}
