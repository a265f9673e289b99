package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/event"
)

// runSuppressed hunts docs with rule r and returns the alerts, in order.
func runSuppressed(t *testing.T, plan *event.Plan, r *Rule, docs []string) ([]Alert, *RuleStats) {
	t.Helper()
	return runHunt(t, plan, r, docs, false)
}

// runHunt hunts docs with the one rule r, with or without --replay.
func runHunt(t *testing.T, plan *event.Plan, r *Rule, docs []string, replay bool) ([]Alert, *RuleStats) {
	t.Helper()
	e := New(Options{Rules: []*Rule{r}, Plan: plan})
	var got []Alert
	h := NewHunt(HuntOptions{Engine: e, Replay: replay, Emit: func(a Alert) error { got = append(got, a); return nil }})
	for _, d := range docs {
		if err := h.Event(event.New([]byte(d), plan)); err != nil {
			t.Fatal(err)
		}
	}
	stats, err := h.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return got, stats[0]
}

func doc(ts, user string, n int) string {
	u := ""
	if user != "" {
		u = fmt.Sprintf(`,"user":{"name":%s}`, user)
	}
	return fmt.Sprintf(`{"@timestamp":"2026-03-14T%s","event":{"action":"RUN"},"n":%d%s}`, ts, n, u)
}

func summary(a Alert) string {
	return fmt.Sprintf("%v start=%v end=%v count=%v", a.Doc["kibana.alert.suppression.terms"],
		a.Doc["kibana.alert.suppression.start"], a.Doc["kibana.alert.suppression.end"], a.Doc["kibana.alert.suppression.docs_count"])
}

func TestSuppressionPerExecution(t *testing.T) {
	plan := event.NewPlan()
	r := testRule(plan, "r", "event.action", "RUN", nil)
	r.TimestampOverride = ""
	r.Suppression = &Suppression{GroupBy: []string{"user.name"}}
	docs := []string{
		doc("09:01:00Z", `"bob"`, 1),
		doc("09:02:00Z", `"bob"`, 2),
		doc("09:03:00Z", `"eve"`, 3),
		doc("09:00:30Z", `"bob"`, 4),         // earlier, read later: the alert is built from it
		doc("09:06:00Z", `"bob"`, 5),         // the next execution (09:05-09:10): a new alert
		doc("09:04:00Z", "", 6),              // missing: its own (null) group
		doc("09:04:30Z", "null", 7),          // null counts as missing
		doc("09:04:40Z", `["bob","eve"]`, 8), // a group per value
	}
	got, st := runSuppressed(t, plan, r, docs)
	want := []string{
		"[map[field:user.name value:bob]] start=2026-03-14T09:00:30.000Z end=2026-03-14T09:04:40.000Z count=3",
		"[map[field:user.name value:eve]] start=2026-03-14T09:03:00.000Z end=2026-03-14T09:04:40.000Z count=1",
		"[map[field:user.name value:<nil>]] start=2026-03-14T09:04:00.000Z end=2026-03-14T09:04:30.000Z count=1",
		"[map[field:user.name value:bob]] start=2026-03-14T09:06:00.000Z end=2026-03-14T09:06:00.000Z count=0",
	}
	if len(got) != len(want) {
		for _, a := range got {
			t.Log(summary(a))
		}
		t.Fatalf("%d alerts, want %d", len(got), len(want))
	}
	for i, a := range got {
		if s := summary(a); s != want[i] {
			t.Errorf("alert %d: %s\nwant      %s", i, s, want[i])
		}
		if a.Doc["kibana.alert.instance.id"] == "" || a.ID == "" || a.Doc["kibana.alert.uuid"] != a.ID {
			t.Errorf("alert %d: ids %v %v", i, a.ID, a.Doc["kibana.alert.instance.id"])
		}
	}
	if got[0].Doc["n"] == nil || fmt.Sprint(got[0].Doc["n"]) != "4" {
		t.Errorf("bob's alert built from n=%v, want the earliest (4)", got[0].Doc["n"])
	}
	if got[0].Doc["kibana.alert.instance.id"] != got[3].Doc["kibana.alert.instance.id"] || got[0].ID == got[3].ID {
		t.Error("same group in two executions: same instance id, different alert ids expected")
	}
	if st.Alerts != 4 || st.Suppressed != 5 {
		t.Errorf("stats: alerts %d suppressed %d", st.Alerts, st.Suppressed)
	}

	// Alert ids are stable across runs and input order.
	rev := append([]string(nil), docs...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	again, _ := runSuppressed(t, plan, r, rev)
	ids := map[string]bool{}
	for _, a := range got {
		ids[a.ID] = true
	}
	for _, a := range again {
		if !ids[a.ID] {
			t.Errorf("reversed input: new alert id %s (%s)", a.ID, summary(a))
		}
	}
}

func TestSuppressionDurationAndDoNotSuppress(t *testing.T) {
	plan := event.NewPlan()
	r := testRule(plan, "r", "event.action", "RUN", nil)
	r.TimestampOverride = ""
	r.Suppression = &Suppression{GroupBy: []string{"user.name"}, Duration: 30 * time.Minute, DoNotSuppress: true}
	docs := []string{
		doc("09:01:00Z", `"bob"`, 1), // execution 09:05 creates the alert
		doc("09:20:00Z", `"bob"`, 2), // execution 09:25: within 30m of 09:05
		doc("09:34:00Z", `"bob"`, 3), // execution 09:35: 30m after 09:05, still within
		doc("09:36:00Z", `"bob"`, 4), // execution 09:40: beyond: a new alert
		doc("09:02:00Z", "", 5),      // doNotSuppress: an ordinary alert each
		doc("09:03:00Z", "", 6),
	}
	got, st := runSuppressed(t, plan, r, docs)
	var plain, sup []Alert
	for _, a := range got {
		if _, ok := a.Doc["kibana.alert.suppression.docs_count"]; ok {
			sup = append(sup, a)
		} else {
			plain = append(plain, a)
		}
	}
	if len(plain) != 2 {
		t.Errorf("%d ordinary alerts for events lacking user.name, want 2", len(plain))
	}
	if len(sup) != 2 || summary(sup[0]) != "[map[field:user.name value:bob]] start=2026-03-14T09:01:00.000Z end=2026-03-14T09:34:00.000Z count=2" ||
		summary(sup[1]) != "[map[field:user.name value:bob]] start=2026-03-14T09:36:00.000Z end=2026-03-14T09:36:00.000Z count=0" {
		for _, a := range sup {
			t.Log(summary(a))
		}
		t.Errorf("suppressed alerts wrong")
	}
	if st.Alerts != 4 || st.Suppressed != 2 {
		t.Errorf("stats %+v", *st)
	}
}
