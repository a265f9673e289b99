package cli

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/vigil-project/vigil/internal/alert"
	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/input"
	"github.com/vigil-project/vigil/internal/normalize"
	"github.com/vigil-project/vigil/internal/rule"
)

// loadRuleSet loads rules from paths, or the built-in pack without paths.
func loadRuleSet(paths []string, plan *event.Plan, now func() time.Time) (*rule.Set, error) {
	opts := rule.LoadOptions{Plan: plan, Now: now}
	if len(paths) == 0 {
		return rule.Builtin(opts)
	}
	return rule.LoadPaths(paths, opts)
}

// loadEngineRules loads rules and turns the runnable ones into engine
// rules. problems lists, one line each, rules that will not run and why.
func loadEngineRules(paths []string, plan *event.Plan, now func() time.Time) (rules []*engine.Rule, problems []string, err error) {
	set, err := loadRuleSet(paths, plan, now)
	if err != nil {
		return nil, nil, err
	}
	unsupported := map[string]int{}
	for _, r := range set.Rules {
		switch r.Status {
		case rule.StatusError:
			for _, e := range r.Errors {
				problems = append(problems, fmt.Sprintf("rule error: %v (rule skipped)", e))
			}
		case rule.StatusUnsupported:
			unsupported[r.Reason]++
		case rule.StatusOK:
			rules = append(rules, engineRule(r))
		}
	}
	for reason, n := range unsupported {
		problems = append(problems, fmt.Sprintf("skipped %d rule(s): %s", n, reason))
	}
	return rules, problems, nil
}

// engineRule adapts a loaded rule for the engine and its alerts.
func engineRule(r *rule.Rule) *engine.Rule {
	er := &engine.Rule{
		ID:                r.RuleID,
		Index:             r.Index,
		AllIndices:        r.Index == nil && r.DataViewID != "",
		TimestampOverride: r.TimestampOverride,
		FallbackDisabled:  r.TimestampOverrideFallbackDisabled,
		Window:            engine.Window{Interval: r.Interval, Lookback: r.Lookback, MaxSignals: r.MaxSignals},
		Match:             r.Match,
		Alert: alert.Rule{
			UUID: r.RuleID, RuleID: r.RuleID, Name: r.Name, Description: r.Description, Type: r.Type,
			Severity: r.Severity, RiskScore: r.RiskScore, Tags: r.Tags, References: r.References,
			Author: r.Author, License: r.License, Note: r.Note, Interval: intervalText(r.Interval),
			From: r.From, To: r.To, Index: r.Index, MaxSignals: r.MaxSignals, Version: r.Version,
			Threat: r.Threat, Params: r.Params(), BuildingBlockType: r.BuildingBlockType,
			TimestampOverride: r.TimestampOverride, FalsePositives: r.FalsePositives,
		},
	}
	if m := r.Matcher(); m != nil {
		for _, req := range m.Required() {
			er.Required = append(er.Required, engine.Requirement{Field: req.Field, Values: req.Values})
		}
	}
	return er
}

func intervalText(d time.Duration) string {
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

// normalizeRecord turns a raw record into ECS (Azure activity logs are
// detected per record; ECS passes through).
func normalizeRecord(raw []byte) ([]byte, error) {
	out, _, err := normalize.Normalize(raw, normalize.Auto, normalize.Options{})
	return out, err
}

func lookupDoc(doc map[string]any, path string) (any, bool) { return alert.Lookup(doc, path) }

// eachRecord reads every record of paths ('-' is stdin), reporting bad
// records and unreadable files on stderr as "vigil <cmd>: ..." and counting
// them. fn gets each good record; it returns false to count the record as
// bad (it has reported why).
func eachRecord(env *Env, cmd string, paths []string, fn func(rec input.Record) bool) (bad int) {
	for _, p := range paths {
		r, err := input.Open(p, env.Stdin)
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil %s: %v\n", cmd, err)
			bad++
			continue
		}
		for {
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			var de *input.DecodeError
			if errors.As(err, &de) {
				bad++
				fmt.Fprintf(env.Stderr, "vigil %s: %v (record skipped)\n", cmd, de)
				continue
			}
			if err != nil {
				bad++
				fmt.Fprintf(env.Stderr, "vigil %s: %s: %v\n", cmd, p, err)
				break
			}
			if !fn(rec) {
				bad++
			}
		}
		r.Close()
	}
	return bad
}
