package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/event"
)

func TestThresholdInAHunt(t *testing.T) {
	plan := event.NewPlan()
	r := testRule(plan, "th", "event.action", "LOGON_FAILED", nil)
	r.TimestampOverride = ""
	r.Alert.Type = "threshold"
	r.Window = Window{Interval: 5 * time.Minute, Lookback: 10 * time.Minute, MaxSignals: 100}
	r.Threshold = &Threshold{Fields: []string{"user.name"}, Value: 3, CardinalityField: "source.ip", CardinalityValue: 2}
	ev := func(clock, user, ip string) string {
		return fmt.Sprintf(`{"@timestamp":"2026-03-14T%sZ","event":{"action":"LOGON_FAILED"},"user":{"name":%q},"source":{"ip":%q}}`, clock, user, ip)
	}
	docs := []string{
		ev("09:00:10", "bob", "10.0.0.1"),
		ev("09:01:00", "bob", "10.0.0.2"),
		ev("09:02:00", "bob", "10.0.0.1"), // 3 matches, 2 addresses by 09:05: alert
		ev("09:03:00", "eve", "10.0.0.9"),
		ev("09:03:30", "eve", "10.0.0.9"),
		ev("09:04:00", "eve", "10.0.0.9"), // 3 matches but one address: no alert
		ev("09:06:00", "bob", "10.0.0.3"), // after the alert: counted anew, 1 match only
		ev("09:30:00", "bob", "10.0.0.4"),
		ev("09:31:00", "bob", "10.0.0.5"),
		ev("09:32:00", "bob", "10.0.0.4"), // a second burst: a second alert
	}
	got, st := runSuppressed(t, plan, r, docs)
	if len(got) != 2 || st.Alerts != 2 {
		for _, a := range got {
			t.Log(a.Doc["kibana.alert.threshold_result"])
		}
		t.Fatalf("%d alerts, want 2 (bob's two bursts)", len(got))
	}
	res := got[0].Doc["kibana.alert.threshold_result"].(map[string]any)
	if fmt.Sprint(res["terms"]) != "[map[field:user.name value:bob]]" || res["count"] != 3 || res["from"] != "2026-03-14T09:00:10.000Z" ||
		fmt.Sprint(res["cardinality"]) != "[map[field:source.ip value:2]]" {
		t.Errorf("threshold_result %v", res)
	}
	doc := got[0].Doc
	if doc["@timestamp"] == nil || doc["kibana.alert.rule.rule_type_id"] != "siem.thresholdRule" || doc["user"].(map[string]any)["name"] != "bob" {
		t.Errorf("alert source %v", doc)
	}
	if doc["source"] != nil {
		t.Error("the alert carries fields that are not grouped")
	}
	if reason := doc["kibana.alert.reason"].(string); reason != "event by bob created medium alert rule th." {
		t.Errorf("reason %q", reason)
	}
	if got[0].ID == got[1].ID {
		t.Error("two alerts with one id")
	}
	// No group field: every match counts in one group.
	r.Threshold = &Threshold{Value: 10}
	got, _ = runSuppressed(t, plan, r, docs)
	if len(got) != 0 {
		t.Errorf("value 10 over 10 matches spread over 30 minutes and a 10m look-back: %d alerts, want 0", len(got))
	}
	r.Threshold = &Threshold{Value: 6}
	got, _ = runSuppressed(t, plan, r, docs)
	if len(got) != 1 || got[0].Doc["kibana.alert.threshold_result"].(map[string]any)["count"] != 6 {
		t.Errorf("one group of all matches: %v", got)
	}
}

// A threshold or new_terms match lacking a group-by field is Ungrouped:
// told apart before the event is decoded, with no id and no document, and
// left out of the groups and of the data's span.
func TestUngroupedMatches(t *testing.T) {
	plan := event.NewPlan()
	th := testRule(plan, "th", "event.action", "LOGON_FAILED", nil)
	th.Threshold = &Threshold{Fields: []string{"user.name"}, Value: 1, CardinalityField: "source.ip", CardinalityValue: 1}
	nt := testRule(plan, "nt", "event.action", "LOGON_FAILED", nil)
	nt.NewTerms = &NewTerms{Fields: []string{"user.name"}, History: time.Hour}
	q := testRule(plan, "q", "event.action", "LOGON_FAILED", nil)
	e := New(Options{Rules: []*Rule{th, nt, q}, Plan: plan})
	x := Evaluator{Engine: e}
	for _, tc := range []struct {
		doc                string
		thUngrouped, ntUng bool
	}{
		{`{"@timestamp":"2026-03-14T09:00:00Z","event":{"action":"LOGON_FAILED"},"user":{"name":"bob"},"source":{"ip":"10.0.0.1"}}`, false, false},
		{`{"@timestamp":"2026-03-14T09:00:00Z","event":{"action":"LOGON_FAILED"},"user.name":"bob"}`, true, false}, // no cardinality field
		{`{"@timestamp":"2026-03-14T09:00:00Z","event":{"action":"LOGON_FAILED"},"user":{"name":null},"source":{"ip":"10.0.0.1"}}`, true, true},
		{`{"@timestamp":"2026-03-14T09:00:00Z","event":{"action":"LOGON_FAILED"},"user":{"name":[]}}`, true, true},
	} {
		ms, err := x.Evaluate(event.New([]byte(tc.doc), plan), nil)
		if err != nil || len(ms) != 3 {
			t.Fatalf("%s: %d matches, %v", tc.doc, len(ms), err)
		}
		for _, m := range ms {
			want := map[string]bool{"th": tc.thUngrouped, "nt": tc.ntUng, "q": false}[m.Rule.ID]
			if m.Ungrouped != want {
				t.Errorf("%s: rule %s Ungrouped %v, want %v", tc.doc, m.Rule.ID, m.Ungrouped, want)
			}
			if m.Ungrouped && (m.ID != "" || m.Doc != nil) {
				t.Errorf("%s: rule %s: an ungrouped match carries an id or a document", tc.doc, m.Rule.ID)
			}
		}
		h := NewHunt(HuntOptions{Engine: e})
		for _, m := range ms {
			if err := h.Add(m); err != nil {
				t.Fatal(err)
			}
		}
		if lo, _ := h.Span(); lo.IsZero() {
			t.Errorf("%s: the query rule's match is not in the span", tc.doc)
		}
	}
	// Only ungrouped matches: the span stays empty.
	h := NewHunt(HuntOptions{Engine: e})
	h.Add(Match{Rule: th, Time: time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC), HasTime: true, Ungrouped: true})
	if lo, hi := h.Span(); !lo.IsZero() || !hi.IsZero() {
		t.Errorf("span %v..%v from an ungrouped match", lo, hi)
	}
}
