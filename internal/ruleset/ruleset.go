// Package ruleset turns loaded rule files into the engine's runnable rules:
// the one place where a rule's TOML fields become its schedule, its index
// selection, its matcher and the rule part of its alerts. `vigil hunt`,
// `vigil serve` and `vigil test` all load rules through it.
package ruleset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vigil-project/vigil/internal/alert"
	"github.com/vigil-project/vigil/internal/datemath"
	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/match"
	"github.com/vigil-project/vigil/internal/rule"
	"github.com/vigil-project/vigil/internal/threatintel"
)

// LoadSet loads rules from paths, or the built-in pack without paths.
func LoadSet(paths []string, plan *event.Plan, now func() time.Time) (*rule.Set, error) {
	return LoadSetOptions(paths, rule.LoadOptions{Plan: plan, Now: now})
}

// LoadSetOptions is LoadSet with all of the loading options (the schema of
// the user's index mappings).
func LoadSetOptions(paths []string, opts rule.LoadOptions) (*rule.Set, error) {
	if len(paths) == 0 {
		return rule.Builtin(opts)
	}
	return rule.LoadPaths(paths, opts)
}

// Problems are the rules of a set that will not run.
type Problems struct {
	Errors      []*rule.Error  // rules with errors (each error positioned)
	Unsupported map[string]int // reason -> number of rules
}

// Lines renders problems one line each, errors first, then the skipped
// rules grouped by reason (sorted, so output is stable).
func (p Problems) Lines() []string {
	var out []string
	for _, e := range p.Errors {
		out = append(out, fmt.Sprintf("rule error: %v (rule skipped)", e))
	}
	reasons := make([]string, 0, len(p.Unsupported))
	for r := range p.Unsupported {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		n := p.Unsupported[r]
		noun := "rules"
		if n == 1 {
			noun = "rule"
		}
		out = append(out, fmt.Sprintf("skipped %d %s: %s", n, noun, r))
	}
	return out
}

// Runnable splits a set into engine rules and the problems of the rest.
func Runnable(set *rule.Set) ([]*engine.Rule, Problems) {
	var rules []*engine.Rule
	p := Problems{Unsupported: map[string]int{}}
	for _, r := range set.Rules {
		switch r.Status {
		case rule.StatusError:
			p.Errors = append(p.Errors, r.Errors...)
		case rule.StatusUnsupported:
			p.Unsupported[r.Reason]++
		case rule.StatusOK:
			rules = append(rules, EngineRule(r))
		}
	}
	return rules, p
}

// Load is LoadSet and Runnable.
func Load(paths []string, plan *event.Plan, now func() time.Time) ([]*engine.Rule, Problems, error) {
	set, err := LoadSet(paths, plan, now)
	if err != nil {
		return nil, Problems{}, err
	}
	rules, p := Runnable(set)
	return rules, p, nil
}

// EngineRule adapts a loaded, runnable rule for the engine and its alerts.
func EngineRule(r *rule.Rule) *engine.Rule {
	er := &engine.Rule{
		ID:                r.RuleID,
		Index:             r.Index,
		AllIndices:        r.Index == nil && r.DataViewID != "",
		TimestampOverride: r.TimestampOverride,
		FallbackDisabled:  r.TimestampOverrideFallbackDisabled,
		Window:            engine.Window{Interval: r.Interval, Lookback: r.Lookback, MaxSignals: r.MaxSignals},
		Match:             r.Match,
		Alert: alert.Prepare(alert.Rule{
			UUID: r.RuleID, RuleID: r.RuleID, Name: r.Name, Description: r.Description, Type: r.Type,
			Severity: r.Severity, RiskScore: r.RiskScore, Tags: r.Tags, References: r.References,
			Author: r.Author, License: r.License, Note: r.Note, Interval: IntervalText(r.Interval),
			From: r.From, To: r.To, Index: r.Index, MaxSignals: r.MaxSignals, Version: r.Version,
			ThreatOf: func() any { return plainThreat(r.Threat) }, Params: encodedParams(r), BuildingBlockType: r.BuildingBlockType,
			TimestampOverride: r.TimestampOverride, FalsePositives: r.FalsePositives,
			Overrides: overrides(r),
		}),
	}
	switch r.Type {
	case "query", "saved_query", "threat_match", "new_terms", "eql", "esql":
		er.Suppression = suppression(r.AlertSuppression)
	case "threshold":
		// A threshold rule suppresses by its threshold fields (no
		// group_by), and only for a duration (Kibana's
		// wrap_suppressed_threshold_alerts.ts).
		if s := r.AlertSuppression; s != nil && s.Duration != nil {
			er.Suppression = &engine.Suppression{Duration: s.Duration.TimeDuration()}
		}
	}
	if q := r.ESQL(); q != nil {
		// The query reads the documents of FROM's patterns and filters
		// them itself: every such event is a match.
		er.ESQL = &engine.ESQL{Program: q.Program, SetNow: q.Clock.Set, Query: q.Query}
		er.Index = q.Program.Indices()
		er.Match = func(*event.Event) bool { return true }
		er.Explain = func(*event.Event) string { return "" }
		if f := q.Filter; f != nil {
			// The leading WHERE's necessary condition: the events
			// failing it change no result, and its literals feed the
			// rule index and the raw line filter.
			er.Match = f.Match
			er.Explain = func(ev *event.Event) string {
				if f.Match(ev) {
					return ""
				}
				return "the query's leading WHERE drops the event:\n" + f.Explain(ev).String()
			}
			er.Prefilter = f.Prefilter
			for _, req := range f.Required() {
				er.Required = append(er.Required, engineRequirement(req))
			}
		}
		return er
	}
	if r.Type == "threat_match" {
		er.Threat = threatintel.NewMatcher(r, nil)
	}
	if q := r.Sequence(); q != nil {
		er.Sequence = q
	}
	if r.Type == "threshold" {
		if th, reason := r.ThresholdConfig(); reason == "" {
			er.Threshold = &engine.Threshold{Fields: th.Fields, Value: th.Value, CardinalityField: th.CardinalityField, CardinalityValue: th.CardinalityValue}
		}
	}
	if r.Type == "new_terms" {
		if nt, reason := r.NewTermsConfig(); reason == "" {
			er.NewTerms = &engine.NewTerms{Fields: nt.Fields, History: history(nt.HistoryWindowStart)}
		}
	}
	er.Explain = func(ev *event.Event) string {
		if m := r.Matcher(); m != nil && !m.Match(ev) {
			return "the query does not match:\n" + m.Explain(ev).String()
		}
		if q := r.Sequence(); q != nil && !q.Relevant(ev) {
			return "no step of the sequence (nor until) selects the event"
		}
		if !r.Match(ev) {
			return "the query matches, but one of the rule's filters excludes the event"
		}
		return ""
	}
	if r.TypesVaryByIndex() {
		// The verdict depends on the event's index, and the query's
		// necessary conditions hold only for some indices: no rule-index
		// keys, no raw prefilter.
		er.MatchIndex = r.MatchIndex
		return er
	}
	if q := r.Sequence(); q != nil {
		er.Prefilter = q.Prefilter
		for _, req := range q.Required() {
			er.Required = append(er.Required, engineRequirement(req))
		}
		for _, p := range r.SequenceParts() {
			ep := engine.Part{Match: p.Match}
			for _, req := range p.Required {
				ep.Required = append(ep.Required, engineRequirement(req))
			}
			er.Parts = append(er.Parts, ep)
		}
	}
	if m := r.Matcher(); m != nil {
		er.Prefilter = m.Prefilter
		for _, req := range m.Required() {
			er.Required = append(er.Required, engineRequirement(req))
		}
	}
	return er
}

// engineRequirement adapts a query's requirement for the rule index.
func engineRequirement(r match.Requirement) engine.Requirement {
	out := engine.Requirement{Field: r.Field, Values: r.Values, Fold: r.Fold, Exists: r.Exists, Prefix: r.Prefix}
	for _, a := range r.Any {
		out.Any = append(out.Any, engineRequirement(a))
	}
	return out
}

// IntervalText renders a schedule interval as rule files write it ("5m").
func IntervalText(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}

// overrides reads severity_mapping, risk_score_mapping and
// rule_name_override.
func overrides(r *rule.Rule) alert.Overrides {
	o := alert.Overrides{RuleNameOverride: r.RuleNameOverride}
	for _, m := range r.SeverityMapping {
		o.SeverityMapping = append(o.SeverityMapping, alert.SeverityMapping{Field: m.Field, Value: m.Value, Severity: m.Severity})
	}
	if len(r.RiskScoreMapping) > 0 {
		o.RiskScoreField = r.RiskScoreMapping[0].Field
	}
	return o
}

// suppression adapts a query rule's alert_suppression.
func suppression(s *rule.AlertSuppression) *engine.Suppression {
	if s == nil || len(s.GroupBy) == 0 {
		return nil
	}
	return &engine.Suppression{GroupBy: s.GroupBy, Duration: s.Duration.TimeDuration(), DoNotSuppress: s.MissingFieldsStrategy == rule.DoNotSuppress}
}

// history turns history_window_start (date math relative to now) into how
// far before an execution the history window starts.
func history(start string) time.Duration {
	e, err := datemath.Parse(start)
	if err != nil {
		return 0
	}
	ref := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	return ref.Sub(e.Resolve(ref, false))
}

// plainThreat gives a rule's MITRE ATT&CK entries as the maps and slices
// encoding/json decodes them into, once per rule, at its first alert
// (alert.Rule.ThreatOf): alert documents, which carry them, then encode
// without reflection. No entries keep their value.
// The maps are built directly (a round trip through encoding/json was a
// tenth of loading Elastic's corpus); text that is not valid UTF-8, which
// encoding/json would change, takes the round trip.
func plainThreat(t []rule.Threat) any {
	if len(t) == 0 {
		return t
	}
	out := make([]any, 0, len(t))
	for _, th := range t {
		m := map[string]any{"framework": th.Framework, "tactic": plainRef(th.Tactic, 3)}
		if len(th.Technique) > 0 {
			techs := make([]any, 0, len(th.Technique))
			for _, tech := range th.Technique {
				tm := plainRef(tech.ThreatRef, 4)
				if len(tech.Subtechnique) > 0 {
					subs := make([]any, 0, len(tech.Subtechnique))
					for _, sub := range tech.Subtechnique {
						subs = append(subs, plainRef(sub, 3))
					}
					tm["subtechnique"] = subs
				}
				techs = append(techs, tm)
			}
			m["technique"] = techs
		}
		out = append(out, m)
	}
	for _, v := range out {
		if !validText(v) {
			return threatRoundTrip(t)
		}
	}
	return out
}

// plainRef is a tactic, technique or subtechnique reference as
// encoding/json decodes it, with room for n keys.
func plainRef(r rule.ThreatRef, n int) map[string]any {
	m := make(map[string]any, n)
	m["id"], m["name"], m["reference"] = r.ID, r.Name, r.Reference
	return m
}

// validText reports whether every string in v (maps, slices, strings) is
// valid UTF-8.
func validText(v any) bool {
	switch t := v.(type) {
	case string:
		return utf8.ValidString(t)
	case map[string]any:
		for _, x := range t {
			if !validText(x) {
				return false
			}
		}
	case []any:
		for _, x := range t {
			if !validText(x) {
				return false
			}
		}
	}
	return true
}

// threatRoundTrip is plainThreat through encoding/json.
func threatRoundTrip(t []rule.Threat) any {
	b, err := json.Marshal(t)
	if err != nil {
		return t
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var out any
	if d.Decode(&out) != nil {
		return t
	}
	return out
}

// encodedParams returns a rule's parameters for its alerts, encoded once,
// when the first alert is written: every alert of the rule carries them
// (they are most of an alert's bytes), and encoding them for every rule
// loaded was a sixth of loading Elastic's corpus, most of whose rules
// never alert in a hunt.
func encodedParams(r *rule.Rule) any { return &lazyParams{r: r} }

// lazyParams is a rule's kibana.alert.rule.parameters, encoded on first
// use (safe for concurrent use).
type lazyParams struct {
	r    *rule.Rule
	once sync.Once
	b    []byte
	err  error
}

func (p *lazyParams) encode() {
	params := p.r.Params()
	if p.b, p.err = event.AppendJSON(nil, params); p.err != nil {
		p.b, p.err = json.Marshal(params)
	}
}

// AppendJSON appends the parameters' JSON (event.JSONAppender).
func (p *lazyParams) AppendJSON(b []byte) ([]byte, error) {
	p.once.Do(p.encode)
	if p.err != nil {
		return nil, p.err
	}
	return append(b, p.b...), nil
}

// MarshalJSON returns the parameters' JSON (json.Marshaler).
func (p *lazyParams) MarshalJSON() ([]byte, error) {
	p.once.Do(p.encode)
	return p.b, p.err
}
