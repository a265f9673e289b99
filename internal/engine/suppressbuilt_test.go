package engine

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/event"
)

// suppressionSummary prints each alert's suppression fields.
func suppressionSummary(as []Alert) string {
	var out []string
	for _, a := range as {
		terms := []string{}
		ts, _ := a.Doc["kibana.alert.suppression.terms"].([]any)
		for _, t := range ts {
			terms = append(terms, fmt.Sprint(t.(map[string]any)["value"]))
		}
		out = append(out, fmt.Sprintf("%s %v..%v docs=%v", strings.Join(terms, ","), a.Doc["kibana.alert.suppression.start"], a.Doc["kibana.alert.suppression.end"], a.Doc["kibana.alert.suppression.docs_count"]))
	}
	return strings.Join(out, "; ")
}

// A threshold rule with alert suppression (a duration; Kibana allows no
// other): an execution's bucket for a group whose alert an execution within
// the duration created is folded into that alert, which counts it
// (bulk_create_suppressed_threshold_alerts.ts, wrap_suppressed_threshold_
// alerts.ts: suppression terms the bucket's key, start and end its first
// and last event, docs_count 0; the rule registry's alertWithSuppression
// adds existing docs_count + 1 and moves the end).
func TestThresholdSuppressionInAHunt(t *testing.T) {
	plan := event.NewPlan()
	r := testRule(plan, "th", "event.action", "LOGON_FAILED", nil)
	r.TimestampOverride = ""
	r.Alert.Type = "threshold"
	r.Window = Window{Interval: 5 * time.Minute, Lookback: 5 * time.Minute, MaxSignals: 100}
	r.Threshold = &Threshold{Fields: []string{"user.name"}, Value: 2}
	ev := func(clock, user string) string {
		return fmt.Sprintf(`{"@timestamp":"2026-03-14T%sZ","event":{"action":"LOGON_FAILED"},"user":{"name":%q}}`, clock, user)
	}
	docs := []string{
		ev("09:00:10", "bob"), ev("09:04:00", "bob"), // execution 09:05: alert
		ev("09:10:00", "bob"), ev("09:14:00", "bob"), // 09:15: folded into it
		ev("09:11:00", "eve"), ev("09:12:00", "eve"), // 09:15: eve's own alert
		ev("10:30:00", "bob"), ev("10:31:00", "bob"), // 10:35: the hour is over, a new alert
	}
	got, st := runSuppressed(t, plan, r, docs)
	if n := len(got); n != 4 || st.Alerts != 4 {
		t.Fatalf("without suppression: %d alerts, want 4", n)
	}
	r.Suppression = &Suppression{Duration: time.Hour}
	got, st = runSuppressed(t, plan, r, docs)
	want := "bob 2026-03-14T09:00:10.000Z..2026-03-14T09:14:00.000Z docs=1; " +
		"eve 2026-03-14T09:11:00.000Z..2026-03-14T09:12:00.000Z docs=0; " +
		"bob 2026-03-14T10:30:00.000Z..2026-03-14T10:31:00.000Z docs=0"
	if s := suppressionSummary(got); s != want {
		t.Errorf("suppressed threshold alerts:\n got %s\nwant %s", s, want)
	}
	if st.Alerts != 3 || st.Suppressed != 1 {
		t.Errorf("stats: %d alerts, %d suppressed; want 3 and 1", st.Alerts, st.Suppressed)
	}
	if got[0].Doc["kibana.alert.last_detected"] != "2026-03-14T09:15:00.000Z" || got[0].Doc["kibana.alert.instance.id"] == got[1].Doc["kibana.alert.instance.id"] {
		t.Errorf("last_detected %v, instance ids %v %v", got[0].Doc["kibana.alert.last_detected"], got[0].Doc["kibana.alert.instance.id"], got[1].Doc["kibana.alert.instance.id"])
	}
	if res := got[0].Doc["kibana.alert.threshold_result"].(map[string]any); res["count"] != 2 {
		t.Errorf("the open alert's threshold_result changed: %v", res)
	}
}

// A new_terms rule with alert suppression: each new terms alert belongs to
// the group of its event's group_by values; per execution without a
// duration, else for the duration from the alert's execution; a missing
// group_by field is a group of its own (suppress) or no suppression
// (doNotSuppress); a multi-valued field is one value.
func TestNewTermsSuppressionInAHunt(t *testing.T) {
	ev := func(clock, user, host string) string {
		h := ""
		if host != "" {
			h = fmt.Sprintf(`,"host":{"name":%s}`, host)
		}
		return fmt.Sprintf(`{"@timestamp":"2026-03-14T%sZ","event":{"action":"LOGON"},"user":{"name":%q}%s}`, clock, user, h)
	}
	docs := []string{
		ev("09:01:00", "a", `"h1"`),
		ev("09:02:00", "b", `"h1"`), // same host, same execution (09:05)
		ev("09:03:00", "c", `"h2"`),
		ev("09:07:00", "d", `"h1"`), // same host, next execution (09:10)
		ev("09:08:00", "a", `"h1"`), // not new
		ev("09:09:00", "e", ``),     // no host
		ev("09:09:30", "f", ``),     // no host
		ev("10:30:00", "g", `"h1"`), // more than an hour after 09:05
		ev("10:31:00", "h", `["h3","h1"]`),
		ev("10:32:00", "i", `["h1","h3"]`), // the same values, another order
	}
	for _, tc := range []struct {
		name string
		sup  Suppression
		want string
	}{
		{"per execution", Suppression{GroupBy: []string{"host.name"}},
			"h1 2026-03-14T09:01:00.000Z..2026-03-14T09:02:00.000Z docs=1; h2 2026-03-14T09:03:00.000Z..2026-03-14T09:03:00.000Z docs=0; " +
				"h1 2026-03-14T09:07:00.000Z..2026-03-14T09:07:00.000Z docs=0; <nil> 2026-03-14T09:09:00.000Z..2026-03-14T09:09:30.000Z docs=1; " +
				"h1 2026-03-14T10:30:00.000Z..2026-03-14T10:30:00.000Z docs=0; [h1 h3] 2026-03-14T10:31:00.000Z..2026-03-14T10:32:00.000Z docs=1"},
		{"for an hour", Suppression{GroupBy: []string{"host.name"}, Duration: time.Hour},
			"h1 2026-03-14T09:01:00.000Z..2026-03-14T09:07:00.000Z docs=2; h2 2026-03-14T09:03:00.000Z..2026-03-14T09:03:00.000Z docs=0; " +
				"<nil> 2026-03-14T09:09:00.000Z..2026-03-14T09:09:30.000Z docs=1; " +
				"h1 2026-03-14T10:30:00.000Z..2026-03-14T10:30:00.000Z docs=0; [h1 h3] 2026-03-14T10:31:00.000Z..2026-03-14T10:32:00.000Z docs=1"},
		{"missing fields do not suppress", Suppression{GroupBy: []string{"host.name"}, Duration: time.Hour, DoNotSuppress: true},
			" <nil>..<nil> docs=<nil>; " + // e and f alert on their own, without suppression fields
				" <nil>..<nil> docs=<nil>; " +
				"h1 2026-03-14T09:01:00.000Z..2026-03-14T09:07:00.000Z docs=2; h2 2026-03-14T09:03:00.000Z..2026-03-14T09:03:00.000Z docs=0; " +
				"h1 2026-03-14T10:30:00.000Z..2026-03-14T10:30:00.000Z docs=0; [h1 h3] 2026-03-14T10:31:00.000Z..2026-03-14T10:32:00.000Z docs=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := event.NewPlan()
			r := testRule(plan, "nt", "event.action", "LOGON", nil)
			r.TimestampOverride = ""
			r.Alert.Type = "new_terms"
			r.Window = Window{Interval: 5 * time.Minute, Lookback: 5 * time.Minute, MaxSignals: 100}
			r.NewTerms = &NewTerms{Fields: []string{"user.name"}, History: 24 * time.Hour}
			sup := tc.sup
			r.Suppression = &sup
			got, st := runSuppressed(t, plan, r, docs)
			if s := suppressionSummary(sortedByDoc(got)); s != tc.want {
				t.Errorf("\n got %s\nwant %s", s, tc.want)
			}
			if st.Alerts+st.Suppressed != 9 {
				t.Errorf("%d alerts + %d suppressed, want the 9 new terms", st.Alerts, st.Suppressed)
			}
		})
	}
}

// sortedByDoc orders alerts as the hunt emits them, unsuppressed first
// (they have no suppression start).
func sortedByDoc(as []Alert) []Alert {
	var plain, sup []Alert
	for _, a := range as {
		if a.Doc["kibana.alert.suppression.start"] == nil {
			plain = append(plain, a)
		} else {
			sup = append(sup, a)
		}
	}
	return append(plain, sup...)
}

// max_signals caps the alerts a threshold rule raises per execution: a
// replay drops the rest, a plain hunt keeps them and counts them as
// capped, with Kibana's warning.
func TestThresholdMaxSignalsPerExecution(t *testing.T) {
	ev := func(clock, user string) string {
		return fmt.Sprintf(`{"@timestamp":"2026-03-14T%sZ","event":{"action":"LOGON_FAILED"},"user":{"name":%q}}`, clock, user)
	}
	docs := []string{ev("09:00:10", "bob"), ev("09:01:00", "eve"), ev("09:02:00", "ann"), ev("09:07:00", "bob")}
	for _, replay := range []bool{false, true} {
		plan := event.NewPlan()
		r := testRule(plan, "th", "event.action", "LOGON_FAILED", nil)
		r.TimestampOverride = ""
		r.Alert.Type = "threshold"
		r.Window = Window{Interval: 5 * time.Minute, Lookback: 5 * time.Minute, MaxSignals: 2}
		r.Threshold = &Threshold{Fields: []string{"user.name"}, Value: 1}
		got, st := runHunt(t, plan, r, docs, replay)
		want := 4
		if replay {
			want = 3 // two of the three at 09:05, bob's at 09:10
		}
		if len(got) != want || st.Capped != 1 || len(st.Warnings) != 1 || !strings.Contains(st.Warnings[0], "1 of 2 runs") {
			t.Errorf("replay %v: %d alerts (want %d), capped %d, warnings %q", replay, len(got), want, st.Capped, st.Warnings)
		}
	}
}
