package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/event"
)

// hostAuthDoc is a system.auth failure of user (none when empty) on host.
func hostAuthDoc(clock, user, host string) string {
	u := ""
	if user != "" {
		u = fmt.Sprintf(`,"user":{"name":%q}`, user)
	}
	return fmt.Sprintf(`{"@timestamp":"2026-03-14T%sZ","data_stream":{"type":"logs","dataset":"system.auth","namespace":"default"},"event":{"outcome":"failure"},"host":{"name":%q}%s}`, clock, host, u)
}

// runESQLServe runs an ES|QL rule over docs as serve does, over a Store:
// the documents held in one batch, then every execution on the clock from
// the one that first sees the oldest to the last that sees the newest, each in
// its own Session (the store opened again before each: a restart), its
// alerts stored before the Session commits. It returns the alerts in the
// order they were written, their documents as the store holds them at
// the end (an open alert's suppression fields updated by later ones), and
// how many were suppressed.
func runESQLServe(t *testing.T, plan *event.Plan, r *Rule, docs []string, newStore func() Store) ([]Alert, int) {
	t.Helper()
	ctx := context.Background()
	e := New(Options{Rules: []*Rule{r}, Plan: plan})
	x := Evaluator{Engine: e, Defer: true}
	var ms []Match
	for _, d := range docs {
		var err error
		if ms, err = x.Evaluate(event.New([]byte(d), plan), ms); err != nil {
			t.Fatal(err)
		}
	}
	first, last := ms[0].Time, ms[0].Time
	for _, m := range ms {
		if m.Time.Before(first) {
			first = m.Time
		}
		if m.Time.After(last) {
			last = m.Time
		}
	}
	suppressed := 0
	drop := func(_ *Rule, _ time.Time, reason string) {
		if reason == DropSuppressed {
			suppressed++
		}
	}
	store := newStore()
	sess := &Session{Store: store, Docs: &x, Now: first, Drop: drop}
	_, byRule, err := sess.Screen(ctx, ms, first, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.Add(ctx, r, first, byRule[r]); err != nil {
		t.Fatal(err)
	}
	if err := sess.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var written []Alert
	for at := ExecutionAfter(r, first); !at.After(ExecutionAfter(r, last.Add(r.Window.Lookback))); at = at.Add(Interval(r)) {
		store = newStore()
		sess := &Session{Store: store, Docs: &x, Now: at, Drop: drop}
		as, err := sess.Run(ctx, r, at)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.AddAlerts(ctx, as, at); err != nil {
			t.Fatal(err)
		}
		if err := sess.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		written = append(written, as...)
	}
	for i, a := range written {
		doc, found, err := store.AlertDoc(ctx, a.ID)
		if err != nil || !found {
			t.Fatalf("alert %s: found %v, %v", a.ID, found, err)
		}
		written[i].Doc = doc
	}
	return written, suppressed
}

// ES|QL alert suppression as Kibana's ES|QL rule type does it
// (wrapSuppressedEsqlAlerts, bulkCreateSuppressedAlertsInMemory): each
// alert of a result row is in the group of the row's values of the
// group_by columns, a null cell is a missing value (a group of its own,
// or, with doNotSuppress, an ordinary alert); per execution without a
// duration, else for the duration from the execution that created the
// group's alert; the group's start and end are the rows' @timestamp
// column. The hunt and serve's executor over either store agree.
func TestESQLSuppression(t *testing.T) {
	query := `FROM logs-system.auth-* | WHERE event.outcome == "failure"
| STATS n = COUNT(*), @timestamp = MAX(@timestamp) BY user.name, host.name | SORT user.name, host.name`
	docs := []string{
		hostAuthDoc("09:01:00", "bob", "h1"),
		hostAuthDoc("09:02:00", "bob", "h1"), // 09:05: bob/h1 (09:02), bob/h2, eve/h1
		hostAuthDoc("09:03:00", "bob", "h2"),
		hostAuthDoc("09:04:00", "eve", "h1"),
		hostAuthDoc("09:06:00", "", "h1"), // 09:10: bob/h1, null/h1, null/h2
		hostAuthDoc("09:07:00", "", "h2"),
		hostAuthDoc("09:08:00", "bob", "h1"),
		hostAuthDoc("10:31:00", "bob", "h1"), // 10:35: more than an hour after 09:05
	}
	const (
		ts = "2026-03-14T"
		z  = ":00.000Z"
	)
	span := func(from, to string) string { return ts + from + z + ".." + ts + to + z }
	for _, tc := range []struct {
		name       string
		sup        Suppression
		want       string
		suppressed int
	}{
		{"per execution", Suppression{GroupBy: []string{"user.name"}},
			"bob " + span("09:02", "09:03") + " docs=1; eve " + span("09:04", "09:04") + " docs=0; " +
				"bob " + span("09:08", "09:08") + " docs=0; <nil> " + span("09:06", "09:07") + " docs=1; " +
				"bob " + span("10:31", "10:31") + " docs=0", 2},
		{"for an hour", Suppression{GroupBy: []string{"user.name"}, Duration: time.Hour},
			"bob " + span("09:02", "09:08") + " docs=2; eve " + span("09:04", "09:04") + " docs=0; " +
				"<nil> " + span("09:06", "09:07") + " docs=1; bob " + span("10:31", "10:31") + " docs=0", 3},
		{"missing fields do not suppress", Suppression{GroupBy: []string{"user.name"}, Duration: time.Hour, DoNotSuppress: true},
			"bob " + span("09:02", "09:08") + " docs=2; eve " + span("09:04", "09:04") + " docs=0; " +
				" <nil>..<nil> docs=<nil>;  <nil>..<nil> docs=<nil>; " + // the null rows, without suppression fields
				"bob " + span("10:31", "10:31") + " docs=0", 2},
		{"two fields", Suppression{GroupBy: []string{"host.name", "user.name"}, Duration: time.Hour},
			"h1,bob " + span("09:02", "09:08") + " docs=1; h2,bob " + span("09:03", "09:03") + " docs=0; h1,eve " + span("09:04", "09:04") + " docs=0; " +
				"h1,<nil> " + span("09:06", "09:06") + " docs=0; h2,<nil> " + span("09:07", "09:07") + " docs=0; " +
				"h1,bob " + span("10:31", "10:31") + " docs=0", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := event.NewPlan()
			r := esqlRule(t, plan, "sup", query, 5*time.Minute)
			sup := tc.sup
			r.Suppression = &sup
			got, st := runHunt(t, plan, r, docs, false)
			if s := suppressionSummary(got); s != tc.want {
				t.Errorf("hunt:\n got %s\nwant %s", s, tc.want)
			}
			if st.Suppressed != tc.suppressed || st.Alerts != len(got) || st.Alerts+st.Suppressed != 7 {
				t.Errorf("hunt: %d alerts, %d suppressed; want %d suppressed of the 7 rows", st.Alerts, st.Suppressed, tc.suppressed)
			}
			if tc.sup.Duration > 0 && got[0].Doc["kibana.alert.last_detected"] != ts+"09:10"+z {
				t.Errorf("bob's alert, last detected %v, want by the execution at 09:10", got[0].Doc["kibana.alert.last_detected"])
			}
			if got[0].Doc["kibana.alert.instance.id"] == got[1].Doc["kibana.alert.instance.id"] {
				t.Error("two groups, one instance id")
			}
			forEachStore(t, func(t *testing.T, newStore func() Store) {
				served, suppressed := runESQLServe(t, plan, r, docs, newStore)
				if s := suppressionSummary(served); s != tc.want {
					t.Errorf("serve:\n got %s\nwant %s", s, tc.want)
				}
				if suppressed != tc.suppressed {
					t.Errorf("serve: %d suppressed, want %d", suppressed, tc.suppressed)
				}
				for i := range min(len(served), len(got)) {
					if served[i].ID != got[i].ID {
						t.Errorf("alert %d: serve's id %s, the hunt's %s", i, served[i].ID, got[i].ID)
					}
				}
			})
		})
	}
}

// A row without the rule's timestamp column (here a non-aggregating query
// that KEEPs none) is suppressed at the alert's time, the execution's. A
// document's alert that an earlier execution wrote is a duplicate (Kibana
// removes the ids of existing alerts before suppression); one it
// suppressed was never written, so an execution that reads the document
// again (a look-back of three intervals) builds it again.
func TestESQLSuppressionWithoutATimestampColumn(t *testing.T) {
	plan := event.NewPlan()
	r := esqlRule(t, plan, "doc", `FROM logs-* METADATA _id, _index | WHERE event.outcome == "failure" | KEEP user.name, _id, _index`, 15*time.Minute)
	r.Suppression = &Suppression{GroupBy: []string{"user.name"}}
	docs := []string{hostAuthDoc("09:01:00", "bob", "h1"), hostAuthDoc("09:02:00", "bob", "h2"), hostAuthDoc("09:07:00", "bob", "h1")}
	got, st := runHunt(t, plan, r, docs, false)
	// 09:05 reads documents 1 and 2: 1 alerts, 2 is suppressed; 09:10
	// reads 1, 2 and 3: 1 is a duplicate, 2 alerts, 3 is suppressed;
	// 09:15 the same: 3 alerts; 09:20 reads 3: a duplicate.
	want := "bob 2026-03-14T09:05:00.000Z..2026-03-14T09:05:00.000Z docs=1; bob 2026-03-14T09:10:00.000Z..2026-03-14T09:10:00.000Z docs=1; " +
		"bob 2026-03-14T09:15:00.000Z..2026-03-14T09:15:00.000Z docs=0"
	if s := suppressionSummary(got); s != want {
		t.Errorf("\n got %s\nwant %s", s, want)
	}
	if st.Suppressed != 2 || st.Duplicates != 4 {
		t.Errorf("%d suppressed, %d duplicates; want 2 and 4", st.Suppressed, st.Duplicates)
	}
	forEachStore(t, func(t *testing.T, newStore func() Store) {
		served, suppressed := runESQLServe(t, plan, r, docs, newStore)
		if s := suppressionSummary(served); s != want || suppressed != 2 {
			t.Errorf("serve: %d suppressed\n got %s\nwant %s", suppressed, s, want)
		}
	})
}
