package state

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-project/vigil/internal/source"
)

func TestAddAlertsIsIdempotentAcrossReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigil.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 14, 9, 22, 41, 987_000_000, time.UTC)
	a := Alert{ID: "a1", RuleID: "r", RuleName: "R", Severity: "medium", RiskScore: 47, EventTime: t0, CreatedAt: t0, Doc: []byte(`{}`)}
	b := a
	b.ID = "b2"
	added, err := s.AddAlerts(ctx, []Alert{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if !added[0] || !added[1] {
		t.Fatalf("first insert: added = %v, want both", added)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := a
	c.ID = "c3"
	added, err = s.AddAlerts(ctx, []Alert{a, c})
	if err != nil {
		t.Fatal(err)
	}
	if added[0] || !added[1] {
		t.Fatalf("second insert: added = %v, want [false true]", added)
	}
	n, err := s.CountAlerts(ctx)
	if err != nil || n != 3 {
		t.Fatalf("count = %d, %v; want 3", n, err)
	}
	got, err := s.Alerts(ctx, AlertFilter{RuleID: "r"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || !got[0].EventTime.Equal(t0) || got[0].RiskScore != 47 {
		t.Fatalf("alerts = %+v", got)
	}
	if ok, err := s.HasAlert(ctx, "b2"); err != nil || !ok {
		t.Fatalf("HasAlert(b2) = %v, %v", ok, err)
	}
	if ok, err := s.HasAlert(ctx, "zz"); err != nil || ok {
		t.Fatalf("HasAlert(zz) = %v, %v", ok, err)
	}
}

func TestOpenRejectsNonDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "not.db")
	if err := os.WriteFile(path, []byte("this is not sqlite"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), path); err == nil {
		t.Fatal("Open of a text file succeeded")
	}
}

func TestCheckpointsSurviveReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigil.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var _ source.Checkpoints = s
	if _, ok, err := s.LoadCheckpoint(ctx, "tail:/a"); ok || err != nil {
		t.Fatalf("fresh store has checkpoint: ok=%v err=%v", ok, err)
	}
	if err := s.SaveCheckpoint(ctx, "tail:/a", "1"); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCheckpoint(ctx, "tail:/a", "42"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v, ok, err := s.LoadCheckpoint(ctx, "tail:/a")
	if !ok || err != nil || v != "42" {
		t.Fatalf("after reopen: %q %v %v, want 42", v, ok, err)
	}
}

func TestListCheckpoints(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for k, v := range map[string]string{"a|1": "x", "a|2": "y", "ab|1": "z", "b|1": "w", "A|1": "v", "a%|1": "u", "é|1": "t", "éé|1": "s"} {
		if err := s.SaveCheckpoint(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	for prefix, want := range map[string]map[string]string{
		"a|":  {"a|1": "x", "a|2": "y"},
		"a%|": {"a%|1": "u"}, // no pattern characters
		"c|":  {},
		"é|":  {"é|1": "t"},
	} {
		got, err := s.ListCheckpoints(ctx, prefix)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("prefix %q (-want +got):\n%s", prefix, diff)
		}
	}
}

func TestKnownAlerts(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var alerts []Alert
	var ids []string
	for i := range 1200 {
		id := fmt.Sprintf("id-%04d", i)
		ids = append(ids, id)
		if i%3 == 0 {
			alerts = append(alerts, Alert{ID: id, RuleID: "r", RuleName: "R", Severity: "low", CreatedAt: time.Now(), Doc: []byte(`{}`)})
		}
	}
	if _, err := s.AddAlerts(ctx, alerts); err != nil {
		t.Fatal(err)
	}
	known, err := s.KnownAlerts(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(known) != 400 {
		t.Fatalf("%d known, want 400", len(known))
	}
	for i, id := range ids {
		if known[id] != (i%3 == 0) {
			t.Fatalf("%s: known=%v", id, known[id])
		}
	}
}

// Every connection commits durably: serve acknowledges inputs once their
// alerts are committed, so a commit must survive an OS crash (issue #15:
// synchronous=NORMAL in WAL mode could lose acknowledged alerts).
func TestCommitsAreDurable(t *testing.T) {
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var mode string
	if err := st.db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q (%v), want wal", mode, err)
	}
	var sync int
	if err := st.db.QueryRow("PRAGMA synchronous").Scan(&sync); err != nil || sync != 2 {
		t.Errorf("synchronous = %d (%v), want 2 (FULL)", sync, err)
	}
}

// TestSequenceEventsOrderAndExpiry: held sequence events come back in time
// order, fractions of a second included, and expire by time: 09:00:00Z is
// before 09:00:00.5Z although RFC 3339 text with trimmed zeros sorts the
// other way.
func TestSequenceEventsOrderAndExpiry(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	rows := []SequenceRow{
		{Index: "i", EventID: "half", Time: t0.Add(500 * time.Millisecond), Data: []byte(`{}`)},
		{Index: "i", EventID: "whole", Time: t0, Data: []byte(`{}`)},
		{Index: "i", EventID: "half", Time: t0.Add(500 * time.Millisecond), Data: []byte(`{}`)}, // again
	}
	if dropped, err := s.AddSequenceEvents(ctx, "r", rows, 0); err != nil || dropped != 0 {
		t.Fatalf("add: %d dropped, %v", dropped, err)
	}
	got, err := s.SequenceEvents(ctx, "r", time.Time{})
	if err != nil || len(got) != 2 || got[0].EventID != "whole" || got[1].EventID != "half" || !got[1].Time.Equal(rows[0].Time) {
		t.Fatalf("held %+v (%v), want whole then half, each once", got, err)
	}
	if got, _ = s.SequenceEvents(ctx, "r", t0.Add(250*time.Millisecond)); len(got) != 1 || got[0].EventID != "half" {
		t.Fatalf("after expiring before 09:00:00.25: %+v, want half only", got)
	}
	// The limit counts what is held: one more fits, the next is dropped;
	// an event held already is neither.
	more := []SequenceRow{rows[0], {Index: "i", EventID: "b", Time: t0, Data: []byte(`{}`)}, {Index: "i", EventID: "c", Time: t0, Data: []byte(`{}`)}}
	if dropped, err := s.AddSequenceEvents(ctx, "r", more, 2); err != nil || dropped != 1 {
		t.Fatalf("add past the limit: %d dropped (%v), want 1", dropped, err)
	}
}
