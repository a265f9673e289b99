package state

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestTimesCompareAsTimes checks that stored times order as times do,
// also for rows an earlier version wrote with trailing zeros trimmed
// ("…:00Z" then sorted after "…:00.5Z"): pruning keeps a threshold match
// half a second newer than its bound, and a new term's last sighting is
// the later of two.
func TestTimesCompareAsTimes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigil.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	// What an earlier version wrote, then a database of that version.
	for _, q := range []string{
		`INSERT INTO threshold_matches (rule_id, t, data) VALUES ('r', '2026-03-14T08:00:00.5Z', '1'), ('r', '2026-03-14T07:59:59Z', '2')`,
		`INSERT INTO new_terms (rule_id, combo, last_seen) VALUES ('n', '["a"]', '2026-03-14T08:00:00Z')`,
		`INSERT INTO alerts (id, rule_id, rule_name, severity, risk_score, event_time, created_at, doc) VALUES ('x', 'r', 'R', 'low', 21, '2026-03-14T08:00:00.123Z', '2026-03-14T09:00:00Z', '{}')`,
		`DELETE FROM meta WHERE key = 'time_text_fixed_width'`,
	} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	if s, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var et, ct string
	if err := s.db.QueryRowContext(ctx, `SELECT event_time, created_at FROM alerts`).Scan(&et, &ct); err != nil {
		t.Fatal(err)
	}
	if et != "2026-03-14T08:00:00.123000000Z" || ct != "2026-03-14T09:00:00.000000000Z" {
		t.Errorf("stored times rewritten as %q, %q", et, ct)
	}
	bound := time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC)
	rows, err := s.ThresholdMatches(ctx, "r", bound)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || string(rows[0].Data) != "1" {
		t.Errorf("matches since %s: %+v, want the one at 08:00:00.5 only", bound, rows)
	}
	later := bound.Add(500 * time.Millisecond)
	if err := s.SaveTerms(ctx, "n", map[string]time.Time{`["a"]`: later}, bound); err != nil {
		t.Fatal(err)
	}
	seen, err := s.TermsLastSeen(ctx, "n", []string{`["a"]`})
	if err != nil {
		t.Fatal(err)
	}
	if !seen[`["a"]`].Equal(later) {
		t.Errorf("last seen %s, want the later %s", seen[`["a"]`], later)
	}
}
