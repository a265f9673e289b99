package state

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func rowCount(t testing.TB, s *Store, table string) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// dbBytes is the size of the database and its write-ahead log.
func dbBytes(path string) int64 {
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// The new terms store holds at most the terms of one history window:
// terms last seen before it are pruned as the service saves each batch.
func TestTermsStoreBoundedByWindow(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const window = 24 * time.Hour
	const perHour = 100 // distinct new terms an hour, never seen again
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	maxRows := 0
	for h := range 24 * 5 { // five windows
		now := start.Add(time.Duration(h) * time.Hour)
		seen := map[string]time.Time{}
		for i := range perHour {
			seen[fmt.Sprintf(`["user-%d-%d"]`, h, i)] = now
		}
		if err := s.SaveTerms(ctx, "r", seen, now.Add(-window)); err != nil {
			t.Fatal(err)
		}
		maxRows = max(maxRows, rowCount(t, s, "new_terms"))
	}
	if limit := perHour * 25; maxRows > limit {
		t.Errorf("the store grew to %d terms, more than one window's %d", maxRows, limit)
	}
	if maxRows < perHour*24 {
		t.Errorf("the store held %d terms at most, fewer than one window's %d: pruned too much", maxRows, perHour*24)
	}
}

// BenchmarkTermsStore measures the new terms state as serve uses it: per
// batch of 1,000 matches, one lookup of their terms and one save (with
// pruning), with every term distinct. It reports matches per second and
// the database's bytes per distinct term; times one million gives the disk
// one million distinct terms take (memory stays the SQLite page cache's).
func BenchmarkTermsStore(b *testing.B) {
	for _, terms := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("terms=%d", terms), func(b *testing.B) {
			ctx := context.Background()
			path := filepath.Join(b.TempDir(), "v.db")
			s, err := Open(ctx, path)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			const batch = 1000
			n := 0
			for b.Loop() {
				for i := 0; i < terms; i += batch {
					combos := make([]string, batch)
					seen := make(map[string]time.Time, batch)
					for j := range combos {
						combos[j] = fmt.Sprintf(`["user-%d","host-%d"]`, n+i+j, (i+j)%97)
						seen[combos[j]] = now
					}
					if _, err := s.TermsLastSeen(ctx, "r", combos); err != nil {
						b.Fatal(err)
					}
					if err := s.SaveTerms(ctx, "r", seen, now.Add(-14*24*time.Hour)); err != nil {
						b.Fatal(err)
					}
				}
				n += terms
			}
			rows := rowCount(b, s, "new_terms")
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "matches/s")
			b.ReportMetric(float64(dbBytes(path))/float64(rows), "disk-B/term")
		})
	}
}

// BenchmarkThresholdStore measures the threshold state per execution:
// 1,000 held matches added, the look-back's matches read back, and the
// groups' last alert times saved.
func BenchmarkThresholdStore(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "v.db")
	s, err := Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	n := 0
	for b.Loop() {
		rows := make([]ThresholdRow, 1000)
		last := map[string]time.Time{}
		for i := range rows {
			rows[i] = ThresholdRow{Time: now, Data: []byte(fmt.Sprintf(`{"Groups":[["user-%d"]]}`, (n+i)%5000))}
			last[fmt.Sprintf(`["user-%d"]`, (n+i)%5000)] = now
		}
		if err := s.AddThresholdMatches(ctx, "r", rows); err != nil {
			b.Fatal(err)
		}
		if _, err := s.ThresholdMatches(ctx, "r", now.Add(-time.Hour)); err != nil {
			b.Fatal(err)
		}
		if err := s.SaveThresholdLast(ctx, "r", last, now.Add(-time.Hour)); err != nil {
			b.Fatal(err)
		}
		n += len(rows)
		now = now.Add(time.Minute)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "matches/s")
	b.ReportMetric(float64(dbBytes(path))/float64(max(1, rowCount(b, s, "threshold_matches")+rowCount(b, s, "threshold_last"))), "disk-B/row")
}
