package engine

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestSequenceStateAcrossSessions: serve's way of running a sequence
// rule, over each Store. Events held by one batch complete, at a later
// execution and after a restart, a sequence whose first event arrives
// later (out of order within the look-back); an execution run again finds
// the same sequence with the same ids and writes nothing; an event
// delivered again is held once; executions forget events older than the
// look-back; past SequenceLimit events are dropped and counted.
func TestSequenceStateAcrossSessions(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func() Store) {
		ctx := context.Background()
		r, plan := seqRule(t, `sequence by host.id with maxspan=1m [process where true] [network where true]`)
		r.Window = Window{Interval: 5 * time.Minute, Lookback: 10 * time.Minute, MaxSignals: 100}
		ev := func(id, ts, cat, host string) Match {
			m := seqMatch(t, r, plan, id, fmt.Sprintf(`{"@timestamp":%q,"event":{"category":%q},"host":{"id":%q}}`, ts, cat, host))
			m.Index = "logs-a"
			return m
		}
		drops := map[string]int{}
		session := func(s Store) *Session {
			return &Session{Store: s, Budget: &Budget{}, Now: t0, Drop: func(_ *Rule, _ time.Time, reason string) { drops[reason]++ }}
		}
		exec1 := t0.Add(5 * time.Minute) // 09:05
		exec2 := exec1.Add(5 * time.Minute)

		// The network event arrives first: no sequence yet.
		s := newStore()
		if got := runSeq(t, session(s), r, exec1, []Match{ev("n1", "2026-03-14T09:03:10Z", "network", "a")}); len(got) != 0 {
			t.Fatalf("first execution: %d alerts, want none", len(got))
		}
		// A restart; the process event that precedes it arrives.
		s = newStore()
		got := runSeq(t, session(s), r, exec2, []Match{ev("p1", "2026-03-14T09:03:00Z", "process", "a")})
		if len(got) != 3 {
			t.Fatalf("second execution: %d alerts, want 3 (a sequence: two building blocks and the shell)", len(got))
		}
		if err := s.AddAlerts(ctx, got, exec2); err != nil {
			t.Fatal(err)
		}
		// Run again (a crash before the state was saved, or the next
		// execution whose look-back overlaps): nothing new.
		s = newStore()
		again := runSeq(t, session(s), r, exec2.Add(time.Minute), []Match{ev("p1", "2026-03-14T09:03:00Z", "process", "a")})
		if len(again) != 0 || drops[DropDuplicate] != 1 {
			t.Fatalf("run again: %d alerts and %d duplicates, want none and 1", len(again), drops[DropDuplicate])
		}
		held, err := s.SequenceEvents(ctx, r.ID, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(held) != 2 || held[0].EventID != "p1" || held[1].EventID != "n1" {
			t.Fatalf("held %+v, want p1 then n1, each once", held)
		}
		// Past the look-back the events are forgotten.
		if got := runSeq(t, session(s), r, exec2.Add(time.Hour), nil); len(got) != 0 {
			t.Fatalf("an hour later: %d alerts", len(got))
		}
		if held, _ = s.SequenceEvents(ctx, r.ID, time.Time{}); len(held) != 0 {
			t.Fatalf("an hour later, %d events still held", len(held))
		}

		// The limit: the first event is held, the others dropped and counted.
		x := session(s)
		x.SequenceLimit = 1
		runSeq(t, x, r, exec2.Add(time.Hour), []Match{
			ev("p2", "2026-03-14T10:09:00Z", "process", "b"),
			ev("n2", "2026-03-14T10:09:01Z", "network", "b"),
			ev("n3", "2026-03-14T10:09:02Z", "network", "b"),
		})
		if drops[DropSequenceCap] != 2 {
			t.Errorf("%d events dropped past the limit, want 2", drops[DropSequenceCap])
		}
		if held, _ = s.SequenceEvents(ctx, r.ID, time.Time{}); len(held) != 1 {
			t.Errorf("%d events held with a limit of 1", len(held))
		}
	})
}

// TestSequenceExecutionWindow: an execution searches only the events of
// its window [at - look-back, at], as Kibana's: a sequence straddling the
// window's start is missed, an event after at waits for the next
// execution.
func TestSequenceExecutionWindow(t *testing.T) {
	r, plan := seqRule(t, `sequence by host.id [process where true] [network where true]`)
	r.Window = Window{Interval: 5 * time.Minute, Lookback: 10 * time.Minute, MaxSignals: 100}
	ev := func(id, ts, cat string) Match {
		return seqMatch(t, r, plan, id, fmt.Sprintf(`{"@timestamp":%q,"event":{"category":%q},"host":{"id":"a"}}`, ts, cat))
	}
	at := t0.Add(10 * time.Minute) // window 09:00 - 09:10
	x := &Session{Store: NewMemoryStore(), Budget: &Budget{}}
	got := runSeq(t, x, r, at, []Match{
		ev("p0", "2026-03-14T08:59:59Z", "process"), // before the window
		ev("n1", "2026-03-14T09:06:00Z", "network"),
		ev("n2", "2026-03-14T09:10:01Z", "network"), // after it
	})
	if len(got) != 0 {
		t.Fatalf("%d alerts, want none: the sequence starts before the window", len(got))
	}
	got = runSeq(t, x, r, at, []Match{ev("p1", "2026-03-14T09:07:00Z", "process")})
	if len(got) != 0 {
		t.Fatalf("%d alerts, want none: the network event after p1 is after the window", len(got))
	}
	got = runSeq(t, x, r, at.Add(5*time.Minute), nil)
	if len(got) != 3 {
		t.Fatalf("next execution (09:05 - 09:15): %d alerts, want 3 (p1 then n2)", len(got))
	}
}

// TestSequenceExecutionSuppression: a scheduled execution (serve's way)
// suppresses a sequence rule's shells by group_by, over each Store: a
// later execution's sequence of the same group, within the duration, is
// folded into the stored shell (docs_count 1), its alerts not written.
// A sample rule runs as an execution too.
func TestSequenceExecutionSuppression(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func() Store) {
		ctx := context.Background()
		r, plan := seqRule(t, `sequence by host.id with maxspan=1m [process where true] [network where true]`)
		r.Window = Window{Interval: 5 * time.Minute, Lookback: 5 * time.Minute, MaxSignals: 100}
		r.Suppression = &Suppression{GroupBy: []string{"host.id"}, Duration: time.Hour}
		ev := func(id, ts, cat string) Match {
			return seqMatch(t, r, plan, id, fmt.Sprintf(`{"@timestamp":%q,"event":{"category":%q},"host":{"id":"a"}}`, ts, cat))
		}
		drops := map[string]int{}
		s := newStore()
		session := func() *Session {
			return &Session{Store: s, Budget: &Budget{}, Now: t0, Drop: func(_ *Rule, _ time.Time, reason string) { drops[reason]++ }}
		}
		exec1 := t0.Add(5 * time.Minute) // 09:05
		x := session()
		first := runSeq(t, x, r, exec1, []Match{ev("p1", "2026-03-14T09:01:00Z", "process"), ev("n1", "2026-03-14T09:01:10Z", "network")})
		if len(first) != 3 {
			t.Fatalf("first execution: %d alerts, want 3", len(first))
		}
		if err := s.AddAlerts(ctx, first, exec1); err != nil {
			t.Fatal(err)
		}
		if err := x.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		shell := first[2]
		x = session()
		second := runSeq(t, x, r, exec1.Add(5*time.Minute), []Match{ev("p2", "2026-03-14T09:06:00Z", "process"), ev("n2", "2026-03-14T09:06:10Z", "network")})
		if len(second) != 0 || drops[DropSuppressed] != 1 {
			t.Fatalf("second execution: %d alerts, %d suppressed; want none and 1", len(second), drops[DropSuppressed])
		}
		if err := x.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		doc, found, err := s.AlertDoc(ctx, shell.ID)
		if err != nil || !found {
			t.Fatalf("the first shell: %v, found %v", err, found)
		}
		if c := fmt.Sprint(doc["kibana.alert.suppression.docs_count"]); c != "1" {
			t.Errorf("the first shell's docs_count %s, want 1", c)
		}

		sr, splan := seqRule(t, `sample by host.id [process where true] [network where true]`)
		sr.Window = r.Window
		sm := func(id, ts, cat string) Match {
			return seqMatch(t, sr, splan, id, fmt.Sprintf(`{"@timestamp":%q,"event":{"category":%q},"host":{"id":"b"}}`, ts, cat))
		}
		if got := runSeq(t, session(), sr, exec1, []Match{sm("n9", "2026-03-14T09:02:00Z", "network"), sm("p9", "2026-03-14T09:03:00Z", "process")}); len(got) != 3 {
			t.Errorf("sample execution: %d alerts, want 3", len(got))
		}
	})
}
