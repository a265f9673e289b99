package engine

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func at(hhmm string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", "2026-03-14 "+hhmm)
	if err != nil {
		panic(err)
	}
	return t
}

// The worked example of spec §4.1: interval 5m, from now-6m, previous run at
// 10:00, this run at 10:20.
func TestTuplesGapAndCatchUp(t *testing.T) {
	w := Window{Interval: 5 * time.Minute, Lookback: 6 * time.Minute, MaxSignals: 100}
	got, gap, remaining := w.Tuples(at("10:20"), at("10:00"))
	want := []Tuple{
		{From: at("09:59"), To: at("10:05"), MaxSignals: 100},
		{From: at("10:04"), To: at("10:10"), MaxSignals: 100},
		{From: at("10:09"), To: at("10:15"), MaxSignals: 100},
		{From: at("10:14"), To: at("10:20"), MaxSignals: 100},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tuples (-want +got):\n%s", diff)
	}
	if gap != 14*time.Minute || remaining != 0 {
		t.Errorf("gap, remaining = %v, %v; want 14m, 0", gap, remaining)
	}
}

func TestTuples(t *testing.T) {
	seed := Window{Interval: 5 * time.Minute, Lookback: 25 * time.Minute, MaxSignals: 100}
	tests := []struct {
		name              string
		w                 Window
		start, prev       time.Time
		wantN             int
		wantGap, wantRest time.Duration
	}{
		{"first run", seed, at("10:00"), time.Time{}, 1, 0, 0},
		{"on time", seed, at("10:05"), at("10:00"), 1, 0, 0},
		{"late within drift tolerance", seed, at("10:25"), at("10:00"), 1, 0, 0},
		{"a gap smaller than an interval", seed, at("10:29"), at("10:00"), 2, 4 * time.Minute, 0},
		// 45m between runs, lookback 6m: gap 39m, 4 catch-ups cover 20m, 19m are lost.
		{"gap beyond catch-up", Window{Interval: 5 * time.Minute, Lookback: 6 * time.Minute}, at("10:45"), at("10:00"), 5, 39 * time.Minute, 19 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, gap, rest := tt.w.Tuples(tt.start, tt.prev)
			if len(got) != tt.wantN || gap != tt.wantGap || rest != tt.wantRest {
				t.Errorf("got %d tuples, gap %v, remaining %v; want %d, %v, %v", len(got), gap, rest, tt.wantN, tt.wantGap, tt.wantRest)
			}
			if last := got[len(got)-1]; !last.To.Equal(tt.start) {
				t.Errorf("main tuple ends at %v, want %v", last.To, tt.start)
			}
		})
	}
}
