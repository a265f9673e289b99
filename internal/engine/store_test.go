package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/state"
)

// forEachStore runs a test once over each Store: in memory (hunt) and
// over a SQLite database (serve). newStore opens the test's store again,
// over the same state (a restart, for the SQLite one).
func forEachStore(t *testing.T, test func(t *testing.T, newStore func() Store)) {
	t.Run("memory", func(t *testing.T) {
		m := NewMemoryStore()
		test(t, func() Store { return m })
	})
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "vigil.db")
		var open *state.Store
		t.Cleanup(func() {
			if open != nil {
				open.Close()
			}
		})
		test(t, func() Store {
			if open != nil {
				open.Close()
			}
			s, err := state.Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			open = s
			return SQLStore{Store: s}
		})
	})
}

var t0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

func TestStoreAlerts(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func() Store) {
		ctx := context.Background()
		s := newStore()
		r := &Rule{ID: "r"}
		a := Alert{ID: "a1", Rule: r, EventTime: t0, Doc: map[string]any{"kibana.alert.uuid": "a1", "n": "first"}}
		if err := s.AddAlerts(ctx, []Alert{a}, t0); err != nil {
			t.Fatal(err)
		}
		again := a
		again.Doc = map[string]any{"kibana.alert.uuid": "a1", "n": "second"}
		if err := s.AddAlerts(ctx, []Alert{again}, t0); err != nil {
			t.Fatal(err)
		}
		s = newStore()
		known, err := s.KnownAlerts(ctx, []string{"a1", "b2"})
		if err != nil || !cmp.Equal(known, map[string]bool{"a1": true}) {
			t.Errorf("known %v, %v", known, err)
		}
		doc, found, err := s.AlertDoc(ctx, "a1")
		if err != nil || !found || doc["n"] != "first" {
			t.Errorf("doc %v found %v err %v: want the first version kept", doc, found, err)
		}
		if _, found, _ := s.AlertDoc(ctx, "b2"); found {
			t.Error("an alert never stored was found")
		}
	})
}

func TestStoreSuppression(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func() Store) {
		ctx := context.Background()
		s := newStore()
		if _, found, err := s.LoadSuppression(ctx, "k"); found || err != nil {
			t.Fatalf("empty store: found %v, %v", found, err)
		}
		s.AddAlerts(ctx, []Alert{{ID: "a1", Rule: &Rule{ID: "r"}, Doc: map[string]any{"kibana.alert.suppression.docs_count": 0}}}, t0)
		g := state.Suppression{Key: "k", AlertID: "a1", CreatedAt: t0, Start: t0, End: t0.Add(time.Minute), DocsCount: 2}
		if err := s.SaveSuppression(ctx, g, map[string]any{"kibana.alert.suppression.docs_count": 2}); err != nil {
			t.Fatal(err)
		}
		s = newStore()
		got, found, err := s.LoadSuppression(ctx, "k")
		if err != nil || !found || got.AlertID != "a1" || !got.CreatedAt.Equal(t0) || !got.End.Equal(t0.Add(time.Minute)) || got.DocsCount != 2 {
			t.Errorf("loaded %+v found %v err %v", got, found, err)
		}
		doc, _, _ := s.AlertDoc(ctx, "a1")
		if fmt.Sprint(doc["kibana.alert.suppression.docs_count"]) != "2" {
			t.Errorf("the alert's document was not updated: %v", doc)
		}
	})
}

func TestStoreNewTerms(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func() Store) {
		ctx := context.Background()
		s := newStore()
		if err := s.SaveTerms(ctx, "r", map[string]time.Time{`["bob"]`: t0.Add(time.Hour), `["eve"]`: t0}, time.Time{}); err != nil {
			t.Fatal(err)
		}
		// An older sighting does not move a later one back.
		if err := s.SaveTerms(ctx, "r", map[string]time.Time{`["bob"]`: t0}, time.Time{}); err != nil {
			t.Fatal(err)
		}
		s = newStore()
		got, err := s.TermsLastSeen(ctx, "r", []string{`["bob"]`, `["eve"]`, `["ann"]`})
		if err != nil || len(got) != 2 || !got[`["bob"]`].Equal(t0.Add(time.Hour)) || !got[`["eve"]`].Equal(t0) {
			t.Errorf("last seen %v, %v", got, err)
		}
		if other, _ := s.TermsLastSeen(ctx, "other", []string{`["bob"]`}); len(other) != 0 {
			t.Errorf("another rule sees %v", other)
		}
		// Pruning forgets what is older than every history window.
		if err := s.SaveTerms(ctx, "r", nil, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, _ = s.TermsLastSeen(ctx, "r", []string{`["bob"]`, `["eve"]`})
		if len(got) != 1 || got[`["eve"]`] != (time.Time{}) {
			t.Errorf("after pruning: %v", got)
		}
	})
}

func TestStoreThreshold(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func() Store) {
		ctx := context.Background()
		s := newStore()
		m := func(min int, user string) ThresholdMatch {
			return ThresholdMatch{Time: t0.Add(time.Duration(min) * time.Minute), Groups: [][]any{{user}}, Card: []any{"x"}}
		}
		if err := s.HoldThreshold(ctx, "r", []ThresholdMatch{m(3, "bob"), m(1, "bob")}); err != nil {
			t.Fatal(err)
		}
		if err := s.HoldThreshold(ctx, "r", []ThresholdMatch{m(2, "eve")}); err != nil {
			t.Fatal(err)
		}
		s = newStore()
		got, err := s.ThresholdMatches(ctx, "r", t0.Add(2*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		want := []ThresholdMatch{m(2, "eve"), m(3, "bob")}
		if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
			t.Errorf("held matches (-want +got):\n%s", diff)
		}
		// What was older than the look-back is forgotten.
		if got, _ := s.ThresholdMatches(ctx, "r", t0); len(got) != 2 {
			t.Errorf("%d matches after pruning, want 2", len(got))
		}
		if err := s.SaveThresholdLast(ctx, "r", map[string]time.Time{`["bob"]`: t0.Add(3 * time.Minute), `["eve"]`: t0}, t0); err != nil {
			t.Fatal(err)
		}
		// The last counted is replaced, not merged; old groups go.
		if err := s.SaveThresholdLast(ctx, "r", map[string]time.Time{`["bob"]`: t0.Add(time.Minute)}, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		s = newStore()
		last, err := s.ThresholdLast(ctx, "r")
		if err != nil || len(last) != 1 || !last[`["bob"]`].Equal(t0.Add(time.Minute)) {
			t.Errorf("last %v, %v", last, err)
		}
	})
}

// The executors' state survives between Sessions (a restart for the
// SQLite store): new terms stay known, an open suppression group counts
// a later execution's alert, a threshold counts matches held earlier.
func TestExecutorsAcrossSessions(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func() Store) {
		ctx := context.Background()
		plan := event.NewPlan()
		r := testRule(plan, "nt", "event.action", "RUN", nil)
		r.TimestampOverride = ""
		r.NewTerms = &NewTerms{Fields: []string{"user.name"}, History: time.Hour}
		r.Suppression = &Suppression{GroupBy: []string{"host.name"}, Duration: 30 * time.Minute}
		th := testRule(plan, "th", "event.action", "RUN", nil)
		th.TimestampOverride = ""
		th.Threshold = &Threshold{Fields: []string{"user.name"}, Value: 2}
		New(Options{Rules: []*Rule{r, th}, Plan: plan})
		x := Evaluator{Engine: New(Options{Rules: []*Rule{r, th}, Plan: plan})}
		matches := func(rule *Rule, min int, user string) []Match {
			doc := fmt.Sprintf(`{"@timestamp":%q,"event":{"action":"RUN"},"user":{"name":%q},"host":{"name":"vm1"}}`,
				t0.Add(time.Duration(min)*time.Minute).Format(time.RFC3339), user)
			ms, err := x.Evaluate(event.New([]byte(doc), plan), nil)
			if err != nil {
				t.Fatal(err)
			}
			var out []Match
			for _, m := range ms {
				if m.Rule == rule {
					out = append(out, m)
				}
			}
			return out
		}
		session := func(at time.Time, rule *Rule, ms []Match) []Alert {
			t.Helper()
			s := newStore()
			sess := &Session{Store: s, Now: at, Budget: &Budget{}}
			alerts, err := sess.Add(ctx, rule, at, ms)
			if err != nil {
				t.Fatal(err)
			}
			more, err := sess.Run(ctx, rule, at)
			if err != nil {
				t.Fatal(err)
			}
			alerts = append(alerts, more...)
			if err := s.AddAlerts(ctx, alerts, at); err != nil {
				t.Fatal(err)
			}
			if err := sess.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			return alerts
		}
		first := session(t0.Add(5*time.Minute), r, matches(r, 1, "bob"))
		if len(first) != 1 {
			t.Fatalf("%d alerts for a new term, want 1", len(first))
		}
		if got := session(t0.Add(10*time.Minute), r, matches(r, 6, "bob")); len(got) != 0 {
			t.Errorf("bob again: %d alerts", len(got))
		}
		// eve is new, but its alert folds into bob's (same host, within 30m).
		if got := session(t0.Add(15*time.Minute), r, matches(r, 11, "eve")); len(got) != 0 {
			t.Errorf("eve within the suppression duration: %d alerts", len(got))
		}
		doc, _, _ := newStore().AlertDoc(ctx, first[0].ID)
		if fmt.Sprint(doc["kibana.alert.suppression.docs_count"]) != "1" || doc["kibana.alert.last_detected"] != "2026-03-14T09:15:00.000Z" {
			t.Errorf("bob's alert after eve's folded into it: docs_count %v last_detected %v",
				doc["kibana.alert.suppression.docs_count"], doc["kibana.alert.last_detected"])
		}
		// Threshold: one match per session; the execution at 09:10 counts both.
		session(t0.Add(5*time.Minute), th, matches(th, 6, "ann"))
		if got := session(t0.Add(10*time.Minute), th, matches(th, 7, "ann")); len(got) != 1 {
			t.Errorf("threshold reached across sessions: %d alerts, want 1", len(got))
		}
		if got := session(t0.Add(15*time.Minute), th, nil); len(got) != 0 {
			t.Errorf("matches counted once: %d alerts at the next execution", len(got))
		}
	})
}

// Screen drops, once and with its reason, each match no executor is to
// see, over either store.
func TestScreen(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func() Store) {
		ctx := context.Background()
		r := &Rule{ID: "r", Window: Window{Interval: 5 * time.Minute, Lookback: 10 * time.Minute}}
		s := newStore()
		if err := s.AddAlerts(ctx, []Alert{{ID: "stored", Rule: r, Doc: map[string]any{}}}, t0); err != nil {
			t.Fatal(err)
		}
		now := t0.Add(time.Hour)
		m := func(id string, at time.Time) Match { return Match{Rule: r, ID: id, Time: at, HasTime: true} }
		ms := []Match{
			m("a", now.Add(-time.Minute)),
			{Rule: r, ExcludedBy: "item"},
			{Rule: r, NoIndicator: true},
			{Rule: r, Ungrouped: true},
			m("stored", now),
			m("a", now), // the same event again in the batch
			{Rule: r, ID: "b"},
			m("old", now.Add(-11*time.Minute)),
			m("c", now.Add(-9*time.Minute)),
		}
		var reasons []string
		sess := &Session{Store: s, Drop: func(_ *Rule, _ time.Time, reason string) { reasons = append(reasons, reason) }}
		order, byRule, err := sess.Screen(ctx, ms, now, true)
		if err != nil {
			t.Fatal(err)
		}
		var kept []string
		for _, x := range byRule[r] {
			kept = append(kept, x.ID)
		}
		want := []string{DropException, DropNoIndicator, DropMissing, DropDuplicate, DropDuplicate, DropNoTime, DropLate}
		if len(order) != 1 || !cmp.Equal(kept, []string{"a", "c"}) || !cmp.Equal(reasons, want) {
			t.Errorf("kept %v, dropped %v; want [a c], %v", kept, reasons, want)
		}
		// Without dropLate the late match goes on.
		_, byRule, _ = (&Session{Store: s}).Screen(ctx, ms[7:], now, false)
		if len(byRule[r]) != 2 {
			t.Errorf("late events kept: %d matches, want 2", len(byRule[r]))
		}
	})
}

// ES|QL documents: held once per id, read in time order within the range
// (both ends inclusive), forgotten before it, kept across a restart.
func TestStoreESQLDocs(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func() Store) {
		ctx := context.Background()
		s := newStore()
		doc := func(id string, d time.Duration) ESQLDoc {
			return ESQLDoc{Time: t0.Add(d), ID: id, Index: "logs-x", Data: []byte(`{"id":"` + id + `"}`)}
		}
		if err := s.HoldESQL(ctx, "r", []ESQLDoc{doc("b", 2*time.Minute), doc("a", time.Minute), doc("c", 5*time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if err := s.HoldESQL(ctx, "r", []ESQLDoc{doc("a", time.Minute), doc("d", 7*time.Minute)}); err != nil {
			t.Fatal(err)
		}
		s = newStore()
		read := func(from, to time.Duration) string {
			t.Helper()
			var got []string
			if err := s.ESQLDocs(ctx, "r", t0.Add(from), t0.Add(to), func(d ESQLDoc) error {
				got = append(got, d.ID+":"+string(d.Data))
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			return fmt.Sprint(got)
		}
		if got, want := read(time.Minute, 5*time.Minute), `[a:{"id":"a"} b:{"id":"b"} c:{"id":"c"}]`; got != want {
			t.Errorf("[09:01, 09:05]: %s, want %s", got, want)
		}
		if got, want := read(2*time.Minute, 10*time.Minute), `[b:{"id":"b"} c:{"id":"c"} d:{"id":"d"}]`; got != want {
			t.Errorf("[09:02, 09:10]: %s, want %s", got, want)
		}
		if got, want := read(0, 10*time.Minute), `[b:{"id":"b"} c:{"id":"c"} d:{"id":"d"}]`; got != want {
			t.Errorf("[09:00, 09:10] after a read from 09:02: %s, want %s (a forgotten)", got, want)
		}
	})
}
