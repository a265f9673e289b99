package engine

import (
	"time"
)

// maxRuleGapRatio is Kibana's MAX_RULE_GAP_RATIO: at most this many
// catch-up windows are searched after a gap.
const maxRuleGapRatio = 4

// Tuple is one searched time window of a rule execution, inclusive at both
// ends, with its own max_signals budget.
type Tuple struct {
	From, To   time.Time
	MaxSignals int
}

// Window is a rule's schedule: how often it runs and what each run searches,
// relative to the run's start (from = now-25m gives Lookback 25m; to = now
// gives ToOffset 0).
type Window struct {
	Interval   time.Duration
	Lookback   time.Duration // to - from
	ToOffset   time.Duration // to - startedAt (usually 0)
	MaxSignals int
}

// Tuples returns the windows Kibana's detection engine searches in the run
// that starts at startedAt, given the previous run's start (zero for the
// first run), oldest first: the catch-up windows after a gap, then the main
// window. remaining is the part of the gap that no window covers; Kibana
// fails the run with a gap warning when it is positive.
//
// The gap is (startedAt - previous) - (to - from): the lookback beyond the
// interval absorbs late runs. After a gap, min(ceil(gap/interval), 4)
// catch-up windows are the main window shifted back by k intervals.
func (w Window) Tuples(startedAt, previous time.Time) (tuples []Tuple, gap, remaining time.Duration) {
	to := startedAt.Add(w.ToOffset)
	main := Tuple{From: to.Add(-w.Lookback), To: to, MaxSignals: w.MaxSignals}
	if !previous.IsZero() {
		gap = startedAt.Sub(previous) - w.Lookback
		if gap < 0 {
			gap = 0
		}
	}
	catchup := 0
	if gap > 0 && w.Interval > 0 {
		catchup = int((gap + w.Interval - 1) / w.Interval)
		catchup = min(catchup, maxRuleGapRatio)
	}
	for k := catchup; k >= 1; k-- {
		shift := time.Duration(k) * w.Interval
		tuples = append(tuples, Tuple{From: main.From.Add(-shift), To: main.To.Add(-shift), MaxSignals: w.MaxSignals})
	}
	tuples = append(tuples, main)
	remaining = gap - time.Duration(catchup)*w.Interval
	if remaining < 0 {
		remaining = 0
	}
	return tuples, gap, remaining
}

// MaxSignalsWarning is the warning Kibana adds to a rule execution that hit
// max_signals.
const MaxSignalsWarning = "This rule reached the maximum alert limit for the rule execution. Some alerts were not created."
