package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/event"
)

func TestNewTermsInAHunt(t *testing.T) {
	plan := event.NewPlan()
	r := testRule(plan, "nt", "event.action", "RUN", nil)
	r.TimestampOverride = ""
	r.Alert.Type = "new_terms"
	r.NewTerms = &NewTerms{Fields: []string{"user.name", "host.name"}, History: 24 * time.Hour}
	ev := func(day, clock, user, host string, n int) string {
		return fmt.Sprintf(`{"@timestamp":"2026-03-%sT%sZ","event":{"action":"RUN"},"user":{"name":%s},"host":{"name":%q},"n":%d}`, day, clock, user, host, n)
	}
	docs := []string{
		ev("14", "09:00:00", `"bob"`, "vm1", 1),         // new: alert
		ev("14", "09:01:00", `"bob"`, "vm1", 2),         // the same window: not the first document
		ev("14", "12:00:00", `"bob"`, "vm1", 3),         // seen 3h before: not new
		ev("14", "12:00:00", `"bob"`, "vm2", 4),         // new combination: alert
		ev("16", "12:00:00", `"bob"`, "vm1", 5),         // last seen 2 days before, beyond the 24h history: new again
		ev("16", "13:00:00", `["eve","bob"]`, "vm1", 6), // an array: eve/vm1 new, bob/vm1 seen an hour ago
		ev("16", "13:30:00", `null`, "vm1", 7),          // a missing field: no term
	}
	got, st := runSuppressed(t, plan, r, docs)
	var terms []string
	for _, a := range got {
		terms = append(terms, fmt.Sprintf("%v@n=%v", a.Doc["kibana.alert.new_terms"], a.Doc["n"]))
		if a.Doc["kibana.alert.uuid"] != a.ID || a.Doc["kibana.alert.rule.rule_type_id"] != nil && a.Doc["kibana.alert.rule.rule_type_id"] == "siem.queryRule" {
			t.Errorf("alert %s: ids or type wrong", a.ID)
		}
	}
	want := "[[bob vm1]@n=1 [bob vm2]@n=4 [bob vm1]@n=5 [eve vm1]@n=6]"
	if fmt.Sprint(terms) != want {
		t.Errorf("new terms alerts %v\nwant %s", terms, want)
	}
	if st.NotNew != 3 {
		t.Errorf("not new: %d, want 3", st.NotNew)
	}
	// Input order does not matter: terms are replayed in time order.
	rev := make([]string, len(docs))
	for i := range docs {
		rev[i] = docs[len(docs)-1-i]
	}
	again, _ := runSuppressed(t, plan, r, rev)
	if len(again) != len(got) {
		t.Fatalf("reversed input: %d alerts, want %d", len(again), len(got))
	}
	for i := range got {
		if again[i].ID != got[i].ID {
			t.Errorf("reversed input: alert %d id differs", i)
		}
	}
}
