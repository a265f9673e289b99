package engine

import (
	"context"
	"sort"
	"time"
)

// thresholdExecutor is the threshold rule type: its matches are held in
// the Store; each scheduled execution counts those within its look-back,
// per group, newer than the group's last alert, and alerts on the groups
// that reach the threshold (thresholdExecution); then alert suppression
// and max_signals (admitBuilt).
type thresholdExecutor struct{}

// Add implements Executor: the matches are held for the executions.
func (thresholdExecutor) Add(ctx context.Context, x *Session, r *Rule, at time.Time, ms []Match) ([]Alert, error) {
	held := make([]ThresholdMatch, 0, len(ms))
	for _, m := range ms {
		doc, err := x.eventDoc(m)
		if err != nil {
			return nil, err
		}
		m.Doc = doc
		tm, ok := r.Threshold.Hold(m)
		if !ok {
			x.drop(r, at, DropMissing)
			continue
		}
		held = append(held, tm)
	}
	x.hold(r, held)
	return nil, nil
}

// hold keeps threshold matches of r for the Store (at Commit).
func (x *Session) hold(r *Rule, held []ThresholdMatch) {
	if x.held == nil {
		x.held = map[*Rule][]ThresholdMatch{}
	}
	x.held[r] = append(x.held[r], held...)
	sort.SliceStable(x.held[r], func(i, j int) bool { return x.held[r][i].Time.Before(x.held[r][j].Time) })
}

// Run implements Executor: the execution at at (a whole multiple of the
// rule's interval), over the matches held by committed Sessions.
func (thresholdExecutor) Run(ctx context.Context, x *Session, r *Rule, at time.Time) ([]Alert, error) {
	return x.threshold(ctx, r, at, nil)
}

// threshold is Run; st, when set, gets the execution's largest group.
func (x *Session) threshold(ctx context.Context, r *Rule, at time.Time, st *RuleStats) ([]Alert, error) {
	alerts, err := x.runThreshold(ctx, r, at, st)
	if err != nil {
		return nil, err
	}
	return x.admitAll(ctx, alerts)
}

// runThreshold counts the held matches at the execution at and saves
// what it counted; st, when set, gets the largest group.
func (x *Session) runThreshold(ctx context.Context, r *Rule, at time.Time, st *RuleStats) ([]Alert, error) {
	from := at.Add(-thresholdLookback(r))
	matches, err := x.Store.ThresholdMatches(ctx, r.ID, from)
	if err != nil {
		return nil, err
	}
	if pending := x.held[r]; len(pending) > 0 { // held by this Session, not yet stored
		lo := sort.Search(len(pending), func(i int) bool { return !pending[i].Time.Before(from) })
		matches = append(append([]ThresholdMatch(nil), matches...), pending[lo:]...)
		sort.SliceStable(matches, func(i, j int) bool { return matches[i].Time.Before(matches[j].Time) })
	}
	hi := sort.Search(len(matches), func(i int) bool { return matches[i].Time.After(at) })
	var last map[string]time.Time
	if c, ok := x.counted[r]; ok { // an earlier execution of this Session
		last = c.last
	} else if last, err = x.Store.ThresholdLast(ctx, r.ID); err != nil {
		return nil, err
	}
	alerts := thresholdExecution(r, at, matches[:hi], last, x.space(), x.Now, st)
	if x.counted == nil {
		x.counted = map[*Rule]thresholdCounted{}
	}
	x.counted[r] = thresholdCounted{last: last, prune: from}
	return alerts, nil
}
