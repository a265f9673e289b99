package engine

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// execute runs the executions of a stateful rule (threshold, new_terms,
// a query rule with alert suppression) over the matches a hunt held, on
// the event-time clock: each execution, oldest first, sees the matches of
// the interval before it (the executors' semantics are serve's, over a
// MemoryStore), and the alerts are emitted once all ran, final.
func (h *Hunt) execute(r *Rule) error {
	if len(h.thr[r]) == 0 && len(h.terms[r]) == 0 && len(h.held[r]) == 0 && h.seq.found[r] == nil {
		return nil
	}
	ctx := context.Background()
	st := h.stat(r)
	truncated := map[time.Time]bool{}
	sess := &Session{Store: h.store, Space: h.opts.Space, Budget: h.budget, KeepCapped: !h.opts.Replay,
		Drop: func(_ *Rule, at time.Time, reason string) {
			switch reason {
			case DropMaxSignals:
				st.Capped++
				truncated[at] = true
			case DropSuppressed:
				st.Suppressed++
			case DropNotNew:
				st.NotNew++
			case DropNoTime:
				st.NoTime++
			case DropSequenceCap:
				st.SequenceDropped++
			case DropDuplicate:
				st.Duplicates++
			}
		}}
	if h.opts.Now != nil {
		sess.Now = h.opts.Now()
	}
	var alerts []Alert
	add := func(as []Alert, err error) error {
		if err != nil {
			return err
		}
		alerts = append(alerts, as...)
		return h.store.AddAlerts(ctx, as, sess.Now)
	}
	switch {
	case len(h.thr[r]) > 0:
		held := h.thr[r]
		sort.SliceStable(held, func(i, j int) bool { return held[i].Time.Before(held[j].Time) })
		sess.hold(r, held)
		if err := sess.Commit(ctx); err != nil {
			return err
		}
		// Executions every interval on the clock, from the first that
		// sees the oldest match to the last whose look-back reaches the
		// newest.
		i := Interval(r)
		end := held[len(held)-1].Time.Add(thresholdLookback(r)).Add(i)
		for exec := ExecutionAfter(r, held[0].Time); !exec.After(end); exec = exec.Add(i) {
			if err := add(sess.threshold(ctx, r, exec, st)); err != nil {
				return err
			}
		}
	case h.seq.found[r] != nil:
		// One execution over every event the steps selected (a hunt
		// without --replay alerts on every sequence in the data), at
		// the execution that sees the newest.
		f := h.seq.found[r]
		delete(h.seq.found, r)
		if f.batches == nil {
			if err := add(sess.sequenceAlerts(ctx, r, ExecutionAfter(r, f.newest), f.results, f.event, nil)); err != nil {
				return err
			}
			break
		}
		// --replay: each execution's sequences; one found again by a
		// later execution has the same ids and is written once.
		written := map[string]bool{}
		for _, b := range f.batches {
			as, err := sess.sequenceAlerts(ctx, r, b.at, b.results, f.event, func(id string) (bool, error) { return written[id], nil })
			if err != nil {
				return err
			}
			fresh := as[:0]
			for _, a := range as {
				if written[a.ID] {
					if a.Doc["kibana.alert.building_block_type"] == nil {
						st.Duplicates++ // the shell: one per sequence
					}
					continue
				}
				written[a.ID] = true
				fresh = append(fresh, a)
			}
			if err := add(fresh, nil); err != nil {
				return err
			}
		}
	default:
		ms := h.terms[r]
		if r.NewTerms == nil {
			ms = h.held[r]
		}
		sortMatches(ms)
		for lo := 0; lo < len(ms); {
			exec := ExecutionAfter(r, ms[lo].Time)
			hi := lo
			for hi < len(ms) && ms[hi].Time.Before(exec) {
				hi++
			}
			if err := add(sess.Add(ctx, r, exec, ms[lo:hi])); err != nil {
				return err
			}
			lo = hi
		}
	}
	// No Commit: the Session holds all a hunt's executions of the rule
	// need, and nothing runs after them.
	if len(truncated) > 0 {
		runs := map[time.Time]bool{}
		for _, a := range alerts {
			runs[a.Exec] = true
		}
		st.Warnings = append(st.Warnings, fmt.Sprintf("%d of %s: %s", len(truncated), plural(len(runs), "run"), MaxSignalsWarning))
	}
	var firstErr error
	for _, a := range alerts {
		st.Alerts++
		if err := h.emit(a); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}
