package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/alert"
	"github.com/vigil-project/vigil/internal/eql"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/sequence"
)

// seqRule compiles an eql sequence rule for the engine.
func seqRule(t *testing.T, query string) (*Rule, *event.Plan) {
	t.Helper()
	st, err := eql.Parse(query)
	if err != nil {
		t.Fatal(err)
	}
	plan := event.NewPlan()
	q, err := sequence.Compile(st, sequence.Options{Plan: plan})
	if err != nil {
		t.Fatal(err)
	}
	return &Rule{ID: "seq", Sequence: q, Match: q.Relevant, Alert: alert.Rule{UUID: "seq", Name: "Seq", Type: "eql", Severity: "low"},
		Window: Window{Interval: 5 * time.Minute, MaxSignals: 100}}, plan
}

// seqMatch is a match of r on the event raw, as the Evaluator makes it.
func seqMatch(t *testing.T, r *Rule, plan *event.Plan, id, raw string) Match {
	t.Helper()
	ev := event.New([]byte(raw), plan)
	ns, tb, ok := r.Sequence.Order(ev)
	if !ok {
		t.Fatalf("%s: no time", raw)
	}
	return Match{Rule: r, Time: time.Unix(0, ns).UTC(), HasTime: true, EventID: id, Raw: []byte(raw),
		Order: SequenceOrder{Time: ns, Tiebreaker: tb, OK: ok}}
}

// runSeq holds ms and runs r's execution at at, in one Session over a
// new MemoryStore.
func runSeq(t *testing.T, x *Session, r *Rule, at time.Time, ms []Match) []Alert {
	t.Helper()
	ctx := context.Background()
	if _, err := x.Add(ctx, r, at, ms); err != nil {
		t.Fatal(err)
	}
	if err := x.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	alerts, err := x.Run(ctx, r, at)
	if err != nil {
		t.Fatal(err)
	}
	return alerts
}

// TestSequenceExecutor: the executor, given one execution's matches in
// any order, finds the sequences and returns for each its building
// blocks and shell; max_signals counts sequences.
func TestSequenceExecutor(t *testing.T) {
	r, plan := seqRule(t, `sequence by host.id with maxspan=1m [process where true] [network where true]`)
	ev := func(id, ts, cat, host string) Match {
		return seqMatch(t, r, plan, id, fmt.Sprintf(`{"@timestamp":%q,"event":{"category":%q},"host":{"id":%q}}`, ts, cat, host))
	}
	ms := []Match{ // input order is not time order
		ev("n1", "2026-03-14T09:00:10Z", "network", "a"),
		ev("p1", "2026-03-14T09:00:00Z", "process", "a"),
		ev("n2", "2026-03-14T09:03:00Z", "network", "b"), // past maxspan
		ev("p2", "2026-03-14T09:00:00Z", "process", "b"),
		ev("n3", "2026-03-14T09:00:30Z", "network", "c"),
		ev("p3", "2026-03-14T09:00:20Z", "process", "c"),
	}
	at := time.Date(2026, 3, 14, 9, 5, 0, 0, time.UTC)
	x := &Session{Store: NewMemoryStore(), Budget: &Budget{}}
	alerts := runSeq(t, x, r, at, ms)
	if len(alerts) != 6 {
		t.Fatalf("%d alerts, want 6 (two sequences: a and c)", len(alerts))
	}
	for i, want := range []string{"p1", "n1", "", "p3", "n3", ""} {
		a := alerts[i]
		if want == "" {
			if a.Doc["kibana.alert.building_block_type"] != nil || a.Doc["kibana.alert.group.id"] != a.ID {
				t.Errorf("alert %d: not a shell: %v", i, a.Doc["kibana.alert.building_block_type"])
			}
			continue
		}
		anc := a.Doc["kibana.alert.ancestors"].([]any)[0].(map[string]any)
		if anc["id"] != want || a.Doc["kibana.alert.building_block_type"] != "default" {
			t.Errorf("alert %d: ancestor %v, want building block of %s", i, anc["id"], want)
		}
		if a.Exec != at {
			t.Errorf("alert %d: execution %v, want %v", i, a.Exec, at)
		}
	}

	// max_signals 1: the first sequence only.
	r.Window.MaxSignals = 1
	x = &Session{Store: NewMemoryStore(), Budget: &Budget{}}
	var dropped int
	x.Drop = func(_ *Rule, _ time.Time, reason string) {
		if reason == DropMaxSignals {
			dropped++
		}
	}
	alerts = runSeq(t, x, r, at, ms)
	if len(alerts) != 3 || dropped != 0 {
		t.Errorf("max_signals 1: %d alerts, %d dropped; want 3 (one sequence: the search's size) and 0", len(alerts), dropped)
	}
}

// TestHuntSequenceMemoryBound: past HuntOptions.SequenceMemory the events a
// sequence rule selects are dropped, counted and warned about; the
// sequences of the events held still alert.
func TestHuntSequenceMemoryBound(t *testing.T) {
	r, plan := seqRule(t, `sequence by host.id [process where true] [network where true]`)
	eng := New(Options{Rules: []*Rule{r}, Plan: plan})
	line := func(ts, cat, host string) []byte {
		return fmt.Appendf(nil, `{"@timestamp":%q,"event":{"category":%q},"host":{"id":%q}}`, ts, cat, host)
	}
	lines := [][]byte{
		line("2026-03-14T09:00:00Z", "process", "a"),
		line("2026-03-14T09:00:01Z", "network", "a"),
		line("2026-03-14T09:00:02Z", "process", "b"),
		line("2026-03-14T09:00:03Z", "network", "b"),
	}
	limit := len(lines[0]) + len(lines[1]) // the first two events only
	var alerts []Alert
	h := NewHunt(HuntOptions{Engine: eng, SequenceMemory: limit, Emit: func(a Alert) error {
		alerts = append(alerts, a)
		return nil
	}})
	for _, l := range lines {
		if err := h.Event(event.New(l, eng.Plan())); err != nil {
			t.Fatal(err)
		}
	}
	stats, err := h.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 3 {
		t.Errorf("%d alerts, want 3 (host a's sequence)", len(alerts))
	}
	if len(stats) != 1 || stats[0].SequenceDropped != 2 || len(stats[0].Warnings) != 1 {
		t.Fatalf("stats %+v, want 2 events dropped and a warning", stats)
	}
}
