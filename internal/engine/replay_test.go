package engine

import (
	"fmt"
	"testing"
	"time"
)

func hitsEvery(start time.Time, n int, step time.Duration) []Hit {
	var hits []Hit
	for i := 0; i < n; i++ {
		hits = append(hits, Hit{Time: start.Add(time.Duration(i) * step), ID: fmt.Sprintf("h%03d", i)})
	}
	return hits
}

func TestReplayOverlappingWindowsAlertOnce(t *testing.T) {
	// The seed rule's schedule: every 5m over the last 25m. Each hit is in
	// five windows but alerts once.
	hits := hitsEvery(at("10:00"), 30, time.Minute)
	w := Window{Interval: 5 * time.Minute, Lookback: 25 * time.Minute, MaxSignals: 100}
	res := Replay(hits, ReplayOptions{Window: w, Start: at("10:00"), End: at("10:29")})
	n := 0
	for _, ex := range res.Executions {
		n += len(ex.Alerted)
		if ex.Truncated != 0 || len(ex.Warnings) != 0 {
			t.Errorf("run at %v: truncated %d, warnings %q", ex.StartedAt, ex.Truncated, ex.Warnings)
		}
	}
	if n != len(hits) || len(res.Dropped) != 0 || len(res.NeverSearched) != 0 {
		t.Errorf("alerted %d of %d, dropped %d, never searched %d", n, len(hits), len(res.Dropped), len(res.NeverSearched))
	}
}

func TestReplayMaxSignalsTruncatesOldestFirst(t *testing.T) {
	// 10 hits in one minute, max_signals 3, lookback = interval so that no
	// later window covers them again: 3 alerted, 7 dropped, with the warning.
	hits := hitsEvery(at("10:01"), 10, time.Second)
	w := Window{Interval: 5 * time.Minute, Lookback: 5 * time.Minute, MaxSignals: 3}
	res := Replay(hits, ReplayOptions{Window: w, Start: at("10:00"), End: at("10:05")})
	ex := res.Executions[1] // 10:05, searching 10:00-10:05
	if len(ex.Alerted) != 3 || ex.Alerted[0] != 0 || ex.Alerted[2] != 2 {
		t.Fatalf("alerted %v, want the 3 oldest", ex.Alerted)
	}
	if ex.Truncated != 7 || len(ex.Warnings) != 1 || ex.Warnings[0] != MaxSignalsWarning {
		t.Errorf("truncated %d, warnings %q", ex.Truncated, ex.Warnings)
	}
	if len(res.Dropped) != 7 {
		t.Errorf("dropped %d, want 7", len(res.Dropped))
	}
}

func TestReplayTruncatedHitsCaughtByLaterOverlappingWindow(t *testing.T) {
	// With a 25m lookback, the hits max_signals dropped in one run are
	// still in the next run's window and alert then.
	hits := hitsEvery(at("10:01"), 4, time.Second)
	w := Window{Interval: 5 * time.Minute, Lookback: 25 * time.Minute, MaxSignals: 2}
	res := Replay(hits, ReplayOptions{Window: w, Start: at("10:00"), End: at("10:10")})
	if len(res.Dropped) != 0 {
		t.Fatalf("dropped %v, want none", res.Dropped)
	}
	// Runs at 10:00 (nothing yet), 10:05 (2 alerted, 2 truncated), 10:10 (the other 2).
	if got := res.Executions[1]; len(got.Alerted) != 2 || got.Truncated != 2 {
		t.Errorf("run at 10:05 alerted %d truncated %d, want 2 and 2", len(got.Alerted), got.Truncated)
	}
	if got := res.Executions[2]; len(got.Alerted) != 2 || got.Truncated != 0 {
		t.Errorf("run at 10:10 alerted %d truncated %d, want 2 and 0", len(got.Alerted), got.Truncated)
	}
}

func TestReplayGapLosesEvents(t *testing.T) {
	// Kibana runs the rule every 45m instead of 5m, from now-6m: each run
	// searches 4 catch-up windows and the main one; 19m stay unsearched.
	hits := []Hit{{Time: at("10:10"), ID: "lost"}, {Time: at("10:40"), ID: "found"}}
	w := Window{Interval: 5 * time.Minute, Lookback: 6 * time.Minute, MaxSignals: 100}
	res := Replay(hits, ReplayOptions{Window: w, RunEvery: 45 * time.Minute, Start: at("10:00"), End: at("10:45")})
	if len(res.Executions) != 2 {
		t.Fatalf("%d executions, want 2", len(res.Executions))
	}
	second := res.Executions[1]
	if second.Gap != 39*time.Minute || second.Missed != 19*time.Minute || len(second.Tuples) != 5 {
		t.Errorf("second run: gap %v missed %v tuples %d", second.Gap, second.Missed, len(second.Tuples))
	}
	if len(res.NeverSearched) != 1 || hits[res.NeverSearched[0]].ID != "lost" || !res.Alerted[1] {
		t.Errorf("never searched %v, alerted %v", res.NeverSearched, res.Alerted)
	}
}
