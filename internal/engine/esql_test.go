package engine

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/alert"
	"github.com/vigil-project/vigil/internal/esql"
	"github.com/vigil-project/vigil/internal/event"
)

// esqlRule compiles query as an ES|QL rule running every 5m over the last
// lookback.
func esqlRule(t testing.TB, plan *event.Plan, id, query string, lookback time.Duration) *Rule {
	t.Helper()
	q, err := esql.Parse(query)
	if err != nil {
		t.Fatal(err)
	}
	var now atomic.Int64
	p, err := esql.Compile(q, esql.Options{Plan: plan, Limit: 100, Now: func() time.Time { return time.Unix(0, now.Load()).UTC() }})
	if err != nil {
		t.Fatal(err)
	}
	return &Rule{
		ID: id, Index: p.Indices(),
		Window: Window{Interval: 5 * time.Minute, Lookback: lookback, MaxSignals: 100},
		Match:  func(*event.Event) bool { return true },
		Alert:  alert.Rule{UUID: id, RuleID: id, Name: "rule " + id, Type: "esql", Severity: "medium", RiskScore: 47},
		ESQL:   &ESQL{Program: p, SetNow: func(t time.Time) { now.Store(t.UnixNano()) }, Query: query},
	}
}

func TestESQLExecutionsHoldingAnEvent(t *testing.T) {
	r := &Rule{Window: Window{Interval: 5 * time.Minute, Lookback: 10 * time.Minute}}
	at := func(s string) time.Time { return time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC).Add(mustDur(t, s)) }
	for _, c := range []struct{ t, want string }{
		{"1m", "[09:05 09:10]"},
		{"5m", "[09:05 09:10 09:15]"}, // [from, to] is inclusive at both ends
		{"4m59s", "[09:05 09:10]"},
	} {
		var got []string
		for _, x := range esqlExecutions(r, at(c.t)) {
			got = append(got, x.Format("15:04"))
			if from, to := esqlTuple(r, x); at(c.t).Before(from) || at(c.t).After(to) {
				t.Errorf("event at %s fed to the execution at %s, whose range is [%s, %s]", c.t, x, from, to)
			}
		}
		if fmt.Sprint(got) != c.want {
			t.Errorf("event at 09:00+%s: executions %v, want %s", c.t, got, c.want)
		}
	}
}

func mustDur(t *testing.T, s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func authDoc(clock, user, outcome string) string {
	return fmt.Sprintf(`{"@timestamp":"2026-03-14T%sZ","data_stream":{"type":"logs","dataset":"system.auth","namespace":"default"},"event":{"outcome":%q},"user":{"name":%q}}`, clock, outcome, user)
}

func TestESQLAggregatingInAHunt(t *testing.T) {
	plan := event.NewPlan()
	r := esqlRule(t, plan, "agg", `FROM logs-system.auth-* | WHERE event.outcome == "failure" | STATS n = COUNT(*) BY user.name | WHERE n > 2 | SORT user.name`, 5*time.Minute)
	docs := []string{
		authDoc("09:01:00", "bob", "failure"),
		authDoc("09:02:00", "bob", "failure"),
		authDoc("09:03:00", "eve", "failure"),
		authDoc("09:03:30", "bob", "success"),
		authDoc("09:04:00", "bob", "failure"), // bob: 3 failures in [09:00, 09:05]
		authDoc("09:11:00", "eve", "failure"),
		authDoc("09:12:00", "eve", "failure"),
		authDoc("09:13:00", "eve", "failure"), // eve: 3 in [09:10, 09:15], 1 earlier
		`{"@timestamp":"2026-03-14T09:13:00Z","data_stream":{"type":"logs","dataset":"other","namespace":"default"},"event":{"outcome":"failure"},"user":{"name":"eve"}}`,
	}
	got, st := runHunt(t, plan, r, docs, false)
	if len(got) != 2 || st.Alerts != 2 {
		t.Fatalf("%d alerts (stats %+v), want 2: bob at 09:05, eve at 09:15", len(got), st)
	}
	for i, want := range []struct {
		user string
		exec string
	}{{"bob", "09:05"}, {"eve", "09:15"}} {
		a := got[i]
		if a.Doc["user.name"] != want.user || a.Doc["n"] != int64(3) || a.Exec.Format("15:04") != want.exec {
			t.Errorf("alert %d: user %v, n %v (%T), execution %s; want %s, 3, %s", i, a.Doc["user.name"], a.Doc["n"], a.Doc["n"], a.Exec.Format("15:04"), want.user, want.exec)
		}
		if a.Doc["kibana.alert.rule.rule_type_id"] != "siem.esqlRule" || a.Doc["kibana.alert.uuid"] != a.ID {
			t.Errorf("alert %d: %v", i, a.Doc)
		}
	}
	again, _ := runHunt(t, plan, r, docs, false)
	if again[0].ID != got[0].ID || again[1].ID != got[1].ID {
		t.Error("a re-run gives other alert ids")
	}
	if got[0].ID == got[1].ID {
		t.Error("two alerts with one id")
	}
}

func TestESQLDocumentsDeduplicatedByID(t *testing.T) {
	plan := event.NewPlan()
	// A 15m look-back at a 5m interval: each event is read by 3 executions.
	r := esqlRule(t, plan, "doc", `FROM logs-* METADATA _id, _index | WHERE event.outcome == "failure" | KEEP @timestamp, user.name, _id, _index`, 15*time.Minute)
	docs := []string{
		authDoc("09:01:00", "bob", "failure"),
		authDoc("09:02:00", "bob", "success"),
		authDoc("09:07:00", "eve", "failure"),
	}
	got, st := runHunt(t, plan, r, docs, false)
	if len(got) != 2 || st.Duplicates != 4 {
		t.Fatalf("%d alerts, %d duplicates; want 2 (one per failure), 4 duplicates (its other executions)", len(got), st.Duplicates)
	}
	ev := event.New([]byte(docs[0]), nil)
	m, err := ev.Map()
	if err != nil {
		t.Fatal(err)
	}
	anc := fmt.Sprint(got[0].Doc["kibana.alert.ancestors"])
	if want := fmt.Sprintf("[map[depth:0 id:%s index:logs-system.auth-default type:event]]", alert.EventID(m)); anc != want {
		t.Errorf("ancestors %s, want %s", anc, want)
	}
	if _, ok := got[0].Doc["_id"]; ok {
		t.Error("the alert carries the _id column")
	}
}

// The executor (serve's) holds the documents in the Store and, at each
// execution, runs the query over those of its range: the alerts the hunt
// gives, and none once they are stored; a document delivered again is
// held once.
func TestESQLExecutorOverAStore(t *testing.T) {
	plan := event.NewPlan()
	r := esqlRule(t, plan, "agg", `FROM logs-system.auth-* | STATS n = COUNT(*) BY user.name | WHERE n > 1`, 5*time.Minute)
	docs := []string{authDoc("09:01:00", "bob", "failure"), authDoc("09:02:00", "bob", "failure"), authDoc("09:06:00", "bob", "failure")}
	want, _ := runHunt(t, plan, r, docs, false)
	if len(want) != 1 {
		t.Fatalf("hunt: %d alerts, want 1", len(want))
	}
	e := New(Options{Rules: []*Rule{r}, Plan: plan})
	x := Evaluator{Engine: e, Defer: true}
	var ms []Match
	for _, d := range docs {
		var err error
		if ms, err = x.Evaluate(event.New([]byte(d), plan), ms); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := ExecutorFor(r).(esqlExecutor); !ok {
		t.Fatal("ExecutorFor: not the ES|QL executor")
	}
	ctx := context.Background()
	store := NewMemoryStore()
	at := time.Date(2026, 3, 14, 9, 5, 0, 0, time.UTC)
	dropped := 0
	sess := &Session{Store: store, Docs: &x, Drop: func(_ *Rule, _ time.Time, reason string) {
		if reason == DropDuplicate {
			dropped++
		}
	}}
	// Two batches: the second delivers the first document again.
	for _, batch := range [][]Match{ms[:2], ms} {
		order, byRule, err := sess.Screen(ctx, batch, at, false)
		if err != nil || len(order) != 1 || len(byRule[r]) != len(batch) {
			t.Fatalf("Screen: %v, %d matches of %d; want every ES|QL match kept", err, len(byRule[r]), len(batch))
		}
		if got, err := sess.Add(ctx, r, at, byRule[r]); err != nil || len(got) != 0 {
			t.Fatalf("Add: %d alerts, %v; want the documents held", len(got), err)
		}
		if err := sess.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	held := 0
	store.ESQLDocs(ctx, "agg", time.Time{}, at.Add(time.Hour), func(ESQLDoc) error { held++; return nil })
	if held != 3 {
		t.Fatalf("%d documents held, want 3 (one delivered twice)", held)
	}
	got, err := sess.Run(ctx, r, at)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != want[0].ID || got[0].Doc["n"] != int64(2) {
		t.Fatalf("execution at 09:05: %d alerts, want the hunt's one (%s, n = 2)", len(got), want[0].ID)
	}
	if err := store.AddAlerts(ctx, got, at); err != nil {
		t.Fatal(err)
	}
	if again, err := sess.Run(ctx, r, at); err != nil || len(again) != 0 || dropped != 1 {
		t.Errorf("re-run: %d alerts, %d duplicates, %v; want 0, 1", len(again), dropped, err)
	}
	// The next execution reads [09:05, 09:10]: bob's one failure there.
	if next, err := sess.Run(ctx, r, at.Add(5*time.Minute)); err != nil || len(next) != 0 {
		t.Errorf("execution at 09:10: %d alerts, %v; want none", len(next), err)
	}
}

// Executions run once the input's time has moved esqlSlack past them; an
// event read after its execution ran is counted late, with a warning.
func TestESQLExecutionsRunAsTheInputMovesOn(t *testing.T) {
	plan := event.NewPlan()
	r := esqlRule(t, plan, "agg", `FROM logs-system.auth-* | STATS n = COUNT(*) BY user.name | WHERE n > 1`, 5*time.Minute)
	e := New(Options{Rules: []*Rule{r}, Plan: plan})
	var got []Alert
	h := NewHunt(HuntOptions{Engine: e, Emit: func(a Alert) error { got = append(got, a); return nil }})
	add := func(d string) {
		t.Helper()
		if err := h.Event(event.New([]byte(d), plan)); err != nil {
			t.Fatal(err)
		}
	}
	add(authDoc("09:01:00", "bob", "failure"))
	add(authDoc("09:02:00", "bob", "failure"))
	add(authDoc("10:04:00", "carol", "failure")) // 09:00's execution may run, not 09:05's
	if len(got) != 0 {
		t.Fatalf("%d alerts before the input moved an hour past 09:05", len(got))
	}
	if st := h.stat(r); st.Matches != 3 {
		t.Fatalf("%d matches, want 3", st.Matches)
	}
	add(authDoc("10:06:00", "eve", "failure"))
	add(authDoc("10:07:00", "eve", "failure"))
	if len(got) != 1 || got[0].Doc["user.name"] != "bob" {
		t.Fatalf("%d alerts once the input reached 10:06, want bob's (the execution at 09:05 ran)", len(got))
	}
	add(authDoc("09:03:00", "bob", "failure")) // its execution ran: late
	stats, err := h.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Doc["user.name"] != "eve" {
		t.Fatalf("%d alerts at the end, want bob's and eve's", len(got))
	}
	if st := stats[0]; st.NeverSearched != 1 || len(st.Warnings) != 1 {
		t.Errorf("late events %d, warnings %q; want 1 and the warning", st.NeverSearched, st.Warnings)
	}
}

// Alert ids are Kibana's: an aggregating row's from the execution's
// range, the query, the space and rule and the row's position; a
// source document's from its _id, _index, the space and rule, the same
// whichever execution found it.
func TestESQLAlertIDsAreKibanas(t *testing.T) {
	plan := event.NewPlan()
	query := `FROM logs-system.auth-* | WHERE event.outcome == "failure" | STATS n = COUNT(*) BY user.name | WHERE n > 2 | SORT user.name`
	r := esqlRule(t, plan, "agg", query, 5*time.Minute)
	docs := []string{
		authDoc("09:01:00", "bob", "failure"), authDoc("09:02:00", "bob", "failure"), authDoc("09:04:00", "bob", "failure"),
		authDoc("09:01:00", "eve", "failure"), authDoc("09:02:00", "eve", "failure"), authDoc("09:04:00", "eve", "failure"),
	}
	got, _ := runHunt(t, plan, r, docs, false)
	if len(got) != 2 {
		t.Fatalf("%d alerts, want bob's and eve's", len(got))
	}
	from := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	to := from.Add(5 * time.Minute)
	for n, a := range got {
		want := alert.ObjectHash([]any{"2026-03-14T09:00:00.000Z2026-03-14T09:05:00.000Z", query, "default:agg", n})
		if a.ID != want || a.ID != alert.ESQLAggregatingID(from, to, query, "default", "agg", n) {
			t.Errorf("row %d (%v): id %s, want %s", n, a.Doc["user.name"], a.ID, want)
		}
	}

	docRule := esqlRule(t, plan, "doc", `FROM logs-* METADATA _id, _index | WHERE event.outcome == "failure" | KEEP @timestamp, user.name, _id, _index`, 15*time.Minute)
	bulk := `{"_id":"doc-1","@timestamp":"2026-03-14T09:01:00Z","data_stream":{"type":"logs","dataset":"system.auth","namespace":"default"},"event":{"outcome":"failure"},"user":{"name":"bob"}}`
	got, st := runHunt(t, plan, docRule, []string{bulk}, false)
	if len(got) != 1 || st.Duplicates != 2 {
		t.Fatalf("%d alerts, %d duplicates; want 1 (3 executions read the document)", len(got), st.Duplicates)
	}
	want := alert.ObjectHash([]any{"doc-1", alert.Undefined, "logs-system.auth-default", "default:doc"})
	if got[0].ID != want {
		t.Errorf("document alert id %s, want %s", got[0].ID, want)
	}
}

// With MV_EXPAND, each expanded row of one document is an alert of its
// own: the expanded values are part of its id.
func TestESQLExpandedRowsAreAlertsOfTheirOwn(t *testing.T) {
	plan := event.NewPlan()
	r := esqlRule(t, plan, "mv", `FROM logs-* METADATA _id, _index | MV_EXPAND user.name | KEEP _id, _index, user.name`, 5*time.Minute)
	doc := `{"_id":"doc-1","@timestamp":"2026-03-14T09:01:00Z","data_stream":{"type":"logs","dataset":"system.auth","namespace":"default"},"user":{"name":["bob","eve"]}}`
	got, _ := runHunt(t, plan, r, []string{doc}, false)
	if len(got) != 2 {
		t.Fatalf("%d alerts, want 2 (one per expanded user)", len(got))
	}
	for _, a := range got {
		want := alert.ObjectHash([]any{"doc-1", alert.Undefined, "logs-system.auth-default", "default:mv", a.Doc["user.name"]})
		if a.ID != want {
			t.Errorf("%v: id %s, want %s", a.Doc["user.name"], a.ID, want)
		}
	}
}
