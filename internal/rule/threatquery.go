package rule

import (
	"strings"
	"sync"
	"time"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
	"github.com/vigil-project/vigil/internal/match"
)

// threatQuery is a threat_match rule's compiled threat_query and
// threat_filters: which indicator documents the rule joins with. Its date
// math reads the clock of the execution being evaluated (a hunt passes
// the execution that covers the event, serve the wall clock), so the
// matcher's clock is set under a lock for each evaluation.
type threatQuery struct {
	plan    *event.Plan
	filters []filter

	mu      sync.Mutex
	now     time.Time
	matcher *match.Matcher // nil: no threat_query (every indicator passes)
}

// compileThreat compiles threat_query and threat_filters into their own
// field plan (indicator documents are read apart from events), registers
// the threat mapping's fields in both plans, and reports a broken query at
// its position under threat_query.
func (v *validator) compileThreat(opts LoadOptions) {
	r := v.r
	tq := &threatQuery{plan: event.NewPlan()}
	if strings.TrimSpace(r.ThreatQuery) != "" && r.ThreatLanguage == "kuery" {
		node, err := kql.Parse(r.ThreatQuery)
		if err != nil {
			v.keyQueryError("threat_query", err)
			return
		}
		m, err := match.Compile(node, match.Options{Schema: opts.Schema, Plan: tq.plan, Now: func() time.Time { return tq.now }})
		if err != nil {
			v.keyQueryError("threat_query", err)
			return
		}
		tq.matcher = m
	}
	fs, reason := compileFilters(r.Raw["threat_filters"])
	if reason != "" {
		v.unsupported("threat_filters: " + reason)
		return
	}
	tq.filters = fs
	for _, g := range r.ThreatMapping {
		for _, e := range g.Entries {
			tq.plan.Add(e.Value)
			if opts.Plan != nil {
				opts.Plan.Add(e.Field)
			}
		}
	}
	r.threat = tq
}

// ThreatPlan is the field plan indicator documents must be read with for
// MatchIndicator; nil for rules other than runnable threat_match rules.
func (r *Rule) ThreatPlan() *event.Plan {
	if r.threat == nil {
		return nil
	}
	return r.threat.plan
}

// MatchIndicator reports whether the indicator document ev (read with
// ThreatPlan) passes the rule's threat_filters and threat_query, whose date
// math (`@timestamp >= "now-30d/d"`) reads now. It is safe for concurrent
// use.
func (r *Rule) MatchIndicator(ev *event.Event, now time.Time) bool {
	tq := r.threat
	if tq == nil || r.Status != StatusOK {
		return false
	}
	for _, f := range tq.filters {
		if !f.match(ev) {
			return false
		}
	}
	if tq.matcher == nil {
		return true
	}
	tq.mu.Lock()
	defer tq.mu.Unlock()
	tq.now = now
	return tq.matcher.Match(ev)
}
