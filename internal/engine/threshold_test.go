package engine

import (
	"fmt"
	"strings"
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
		{`{"@timestamp":"2026-03-14T09:00:00Z","event":{"action":"LOGON_FAILED"},"user.name":"bob"}`, false, false}, // no cardinality field: counted all the same
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

// Kibana's threshold rule runs a composite aggregation whose sources are
// the group-by fields only (terms sources without missing_bucket: a
// document lacking one is in no bucket), with a cardinality sub-aggregation
// of the cardinality field and bucket selectors on _count and on that
// cardinality (x-pack/plugins/security_solution/server/lib/detection_engine/
// rule_types/threshold/build_threshold_aggregation.ts). So a document
// lacking the cardinality field still counts in its group's document count;
// it only adds no distinct value. Null values are not indexed: a null
// group-by value is a missing field, a null cardinality value no value.
// Every combination of missing group-by and cardinality fields:
func TestThresholdCardinalityCountsEveryDocument(t *testing.T) {
	ev := func(clock, rest string) string {
		return fmt.Sprintf(`{"@timestamp":"2026-03-14T09:%sZ","event":{"action":"LOGON_FAILED"}%s}`, clock, rest)
	}
	for _, tc := range []struct {
		name      string
		fields    []string // group-by
		value     int
		cardValue int
		docs      []string
		want      string // count and cardinality of each alert, "" for none
	}{
		{"a document without the cardinality field counts in its group", []string{"user.name"}, 3, 2, []string{
			ev("00:10", `,"user":{"name":"bob"},"source":{"ip":"10.0.0.1"}`),
			ev("00:20", `,"user":{"name":"bob"},"source":{"ip":"10.0.0.2"}`),
			ev("00:30", `,"user":{"name":"bob"}`),
		}, "bob count=3 card=2"},
		{"documents without it add no distinct value", []string{"user.name"}, 3, 2, []string{
			ev("00:10", `,"user":{"name":"bob"},"source":{"ip":"10.0.0.1"}`),
			ev("00:20", `,"user":{"name":"bob"}`),
			ev("00:30", `,"user":{"name":"bob"},"source":{"ip":null}`),
		}, ""},
		{"a null or empty cardinality value is no value", []string{"user.name"}, 1, 1, []string{
			ev("00:10", `,"user":{"name":"bob"},"source":{"ip":null}`),
			ev("00:20", `,"user":{"name":"bob"},"source":{"ip":[]}`),
		}, ""},
		{"an array of cardinality values counts each", []string{"user.name"}, 2, 3, []string{
			ev("00:10", `,"user":{"name":"bob"},"source":{"ip":["10.0.0.1","10.0.0.2"]}`),
			ev("00:20", `,"user":{"name":"bob"},"source":{"ip":"10.0.0.3"}`),
		}, "bob count=2 card=3"},
		{"a document without a group-by field is in no group", []string{"user.name"}, 3, 1, []string{
			ev("00:10", `,"user":{"name":"bob"},"source":{"ip":"10.0.0.1"}`),
			ev("00:20", `,"user":{"name":"bob"},"source":{"ip":"10.0.0.1"}`),
			ev("00:30", `,"source":{"ip":"10.0.0.2"}`),
			ev("00:40", `,"user":{"name":null},"source":{"ip":"10.0.0.2"}`),
		}, ""},
		{"neither field: in no group", []string{"user.name"}, 1, 1, []string{
			ev("00:10", ``),
		}, ""},
		{"no group-by fields: one group of every document, with or without the cardinality field", nil, 3, 2, []string{
			ev("00:10", `,"source":{"ip":"10.0.0.1"}`),
			ev("00:20", `,"source":{"ip":"10.0.0.2"}`),
			ev("00:30", ``),
		}, " count=3 card=2"},
		{"two group-by fields, one missing", []string{"user.name", "host.name"}, 2, 1, []string{
			ev("00:10", `,"user":{"name":"bob"},"host":{"name":"h1"},"source":{"ip":"10.0.0.1"}`),
			ev("00:20", `,"user":{"name":"bob"},"source":{"ip":"10.0.0.1"}`),
			ev("00:30", `,"user":{"name":"bob"},"host":{"name":"h1"}`),
		}, "bob,h1 count=2 card=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := event.NewPlan()
			r := testRule(plan, "th", "event.action", "LOGON_FAILED", nil)
			r.TimestampOverride = ""
			r.Alert.Type = "threshold"
			r.Window = Window{Interval: 5 * time.Minute, Lookback: 10 * time.Minute, MaxSignals: 100}
			r.Threshold = &Threshold{Fields: tc.fields, Value: tc.value, CardinalityField: "source.ip", CardinalityValue: tc.cardValue}
			got, _ := runSuppressed(t, plan, r, tc.docs)
			var s []string
			for _, a := range got {
				res := a.Doc["kibana.alert.threshold_result"].(map[string]any)
				var terms []string
				for _, x := range res["terms"].([]any) {
					terms = append(terms, fmt.Sprint(x.(map[string]any)["value"]))
				}
				card := res["cardinality"].([]any)[0].(map[string]any)["value"]
				s = append(s, fmt.Sprintf("%s count=%v card=%v", strings.Join(terms, ","), res["count"], card))
			}
			if got := strings.Join(s, "; "); got != tc.want {
				t.Errorf("alerts %q, want %q", got, tc.want)
			}
		})
	}
}
