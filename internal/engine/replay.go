package engine

import (
	"sort"
	"time"
)

// Hit is one event a rule matched, as the schedule replay sees it.
type Hit struct {
	Time time.Time // the rule's primary timestamp of the event (override or fallback)
	ID   string    // the alert id the hit would get
}

// ReplayOptions describe the simulated schedule.
type ReplayOptions struct {
	Window Window
	// RunEvery is how often Kibana actually started the rule; zero means
	// every Window.Interval. A larger value simulates an overloaded Kibana
	// and shows the gaps and catch-up windows that follow.
	RunEvery time.Duration
	// Start and End bound the data's time span. Runs are simulated as if
	// the rule had been enabled all along, starting on the clock at whole
	// multiples of its interval (a 5m rule at :00, :05, ...): the first run
	// is the first whose window ends at or after Start, the last the one
	// whose oldest window still reaches End.
	Start, End time.Time
}

// Execution is one simulated rule run.
type Execution struct {
	StartedAt time.Time
	Tuples    []Tuple
	Alerted   []int // indexes of the hits alerted in this run, oldest first
	Truncated int   // new hits max_signals kept out of this run
	Gap       time.Duration
	Missed    time.Duration // the part of the gap no window covered
	Warnings  []string
}

// ReplayResult is what a scheduled Kibana rule would have done.
type ReplayResult struct {
	Executions []Execution
	Alerted    []bool // per hit: alerted by some run
	// NeverSearched are hits that fell in a gap no window covered; the rest
	// of the hits that were not alerted were dropped by max_signals.
	NeverSearched []int
	Dropped       []int
}

// Replay simulates Kibana's schedule for one rule over its hits. hits must
// be sorted by Time (use SortHits). Each run searches its tuples oldest
// first; within a tuple the oldest new hits become alerts up to max_signals;
// a hit already alerted (same id) is skipped before the budget is counted,
// as Kibana filters duplicates before truncating.
func Replay(hits []Hit, opts ReplayOptions) ReplayResult {
	w := opts.Window
	every := opts.RunEvery
	if every <= 0 {
		every = w.Interval
	}
	res := ReplayResult{Alerted: make([]bool, len(hits))}
	if every <= 0 || opts.End.Before(opts.Start) {
		return res
	}
	covered := make([]bool, len(hits))
	seen := map[string]bool{}
	var prev time.Time
	first := opts.Start.Add(-w.ToOffset)
	if w.Interval > 0 {
		aligned := first.Truncate(w.Interval)
		if aligned.Before(first) {
			aligned = aligned.Add(w.Interval)
		}
		first = aligned
	}
	for startedAt := first; ; startedAt = startedAt.Add(every) {
		tuples, gap, missed := w.Tuples(startedAt, prev)
		if tuples[0].From.After(opts.End) {
			break
		}
		ex := Execution{StartedAt: startedAt, Tuples: tuples, Gap: gap, Missed: missed}
		if missed > 0 {
			ex.Warnings = append(ex.Warnings, "gap: "+missed.String()+" of events were not searched; increase the rule's look-back or run it more often")
		}
		for _, tp := range tuples {
			lo := sort.Search(len(hits), func(i int) bool { return !hits[i].Time.Before(tp.From) })
			budget := tp.MaxSignals
			truncated := 0
			for i := lo; i < len(hits) && !hits[i].Time.After(tp.To); i++ {
				covered[i] = true
				if seen[hits[i].ID] {
					continue
				}
				if budget <= 0 {
					truncated++
					continue
				}
				budget--
				seen[hits[i].ID] = true
				res.Alerted[i] = true
				ex.Alerted = append(ex.Alerted, i)
			}
			if truncated > 0 {
				ex.Truncated += truncated
			}
		}
		if ex.Truncated > 0 {
			ex.Warnings = append(ex.Warnings, MaxSignalsWarning)
		}
		res.Executions = append(res.Executions, ex)
		prev = startedAt
	}
	for i := range hits {
		switch {
		case res.Alerted[i]:
		case !covered[i]:
			res.NeverSearched = append(res.NeverSearched, i)
		default:
			res.Dropped = append(res.Dropped, i)
		}
	}
	return res
}

// SortHits sorts hits by time, then id, so replays are deterministic.
func SortHits(hits []Hit) {
	sort.SliceStable(hits, func(i, j int) bool {
		if !hits[i].Time.Equal(hits[j].Time) {
			return hits[i].Time.Before(hits[j].Time)
		}
		return hits[i].ID < hits[j].ID
	})
}
