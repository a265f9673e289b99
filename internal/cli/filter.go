package cli

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/datemath"
	"github.com/vigil-project/vigil/internal/rule"
)

// parseTimeBound reads a --since or --until value: a date (2026-03-14), an
// RFC 3339 / ISO 8601 time, epoch milliseconds, or Elastic date math
// (now-24h, now/d, 2026-03-14||+1d). As in Elasticsearch's range query,
// missing components and rounding round down for --since and up for
// --until: --until 2026-03-14 includes the whole day.
func parseTimeBound(s string, now time.Time, until bool) (time.Time, error) {
	e, err := datemath.Parse(strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, err
	}
	return e.Resolve(now, until), nil
}

// severityRank orders Elastic's severities.
var severityRank = map[string]int{"low": 1, "medium": 2, "high": 3, "critical": 4}

// ruleSelection is hunt's rule selection flags. Within a flag the values
// (repeated, or comma-separated) are alternatives; different flags must
// all hold. A rule --exclude-rule names is left out whatever the rest.
type ruleSelection struct {
	severity                string
	tags, ids, excluded     stringList
	tactics, techniques     stringList
	sevOK                   func(string) bool
	tagSet, idSet, exclSet  []string
	tacticSet, techniqueSet []string
}

func addRuleSelectionFlags(fs *flag.FlagSet, s *ruleSelection) {
	fs.StringVar(&s.severity, "severity", "", "only rules of these severities: `LEVELS` as high, critical,high or >=high (also >, <=, <; levels low, medium, high, critical)")
	fs.Var(&s.tags, "tags", "only rules with one of these tags, e.g. 'Domain: Cloud' (comma-separated or repeated; case-insensitive)")
	fs.Var(&s.ids, "rule-id", "only the rules of these rule_id or names (comma-separated or repeated)")
	fs.Var(&s.excluded, "exclude-rule", "leave out the rules of these rule_id or names (comma-separated or repeated)")
	fs.Var(&s.tactics, "tactic", "only rules mapped to one of these MITRE ATT&CK tactics, by id or name: TA0002, Execution (comma-separated or repeated)")
	fs.Var(&s.techniques, "technique", "only rules mapped to one of these MITRE ATT&CK techniques or subtechniques, by id or name: T1059 (its subtechniques too), T1059.001, PowerShell (comma-separated or repeated)")
}

// active reports whether any selection flag is set.
func (s *ruleSelection) active() bool {
	return s.severity != "" || len(s.tags)+len(s.ids)+len(s.excluded)+len(s.tactics)+len(s.techniques) > 0
}

// describe renders the flags set, for messages.
func (s *ruleSelection) describe() string {
	var parts []string
	if s.severity != "" {
		parts = append(parts, "--severity "+s.severity)
	}
	for _, f := range []struct {
		name string
		vals []string
	}{{"tags", s.tags}, {"rule-id", s.ids}, {"exclude-rule", s.excluded}, {"tactic", s.tactics}, {"technique", s.techniques}} {
		for _, v := range f.vals {
			parts = append(parts, fmt.Sprintf("--%s %q", f.name, v))
		}
	}
	return strings.Join(parts, " ")
}

// compile checks the flags' values.
func (s *ruleSelection) compile() error {
	sev, err := parseSeverityFilter(s.severity)
	if err != nil {
		return err
	}
	s.sevOK = sev
	s.tagSet = splitValues(s.tags)
	s.idSet = splitValues(s.ids)
	s.exclSet = splitValues(s.excluded)
	s.tacticSet = splitValues(s.tactics)
	s.techniqueSet = splitValues(s.techniques)
	return nil
}

// splitValues splits comma-separated values, trimmed, lower-cased.
func splitValues(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			if p = strings.ToLower(strings.TrimSpace(p)); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// parseSeverityFilter reads --severity: "" (all), a level, a list of
// levels, or a comparison (>=high, >medium, <=low, <critical, =high).
func parseSeverityFilter(s string) (func(string) bool, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" {
		return func(string) bool { return true }, nil
	}
	bad := func(v string) error {
		return fmt.Errorf("--severity %q: %q is not a severity; use low, medium, high or critical, a list (critical,high) or a comparison (>=high)", s, v)
	}
	for _, op := range []string{">=", "<=", ">", "<", "="} {
		rest, ok := strings.CutPrefix(s, op)
		if !ok {
			continue
		}
		rest = strings.TrimSpace(rest)
		n, known := severityRank[rest]
		if !known {
			return nil, bad(rest)
		}
		cmp := map[string]func(int) bool{
			">=": func(r int) bool { return r >= n }, "<=": func(r int) bool { return r <= n },
			">": func(r int) bool { return r > n }, "<": func(r int) bool { return r < n },
			"=": func(r int) bool { return r == n },
		}[op]
		return func(sev string) bool { return cmp(severityRank[strings.ToLower(sev)]) }, nil
	}
	var levels []string
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if _, known := severityRank[p]; !known {
			return nil, bad(p)
		}
		levels = append(levels, p)
	}
	return func(sev string) bool { return slices.Contains(levels, strings.ToLower(sev)) }, nil
}

// selects reports whether the selection keeps r.
func (s *ruleSelection) selects(r *rule.Rule) bool {
	id, name := strings.ToLower(r.RuleID), strings.ToLower(r.Name)
	if slices.Contains(s.exclSet, id) || slices.Contains(s.exclSet, name) {
		return false
	}
	if len(s.idSet) > 0 && !slices.Contains(s.idSet, id) && !slices.Contains(s.idSet, name) {
		return false
	}
	if !s.sevOK(r.Severity) {
		return false
	}
	if len(s.tagSet) > 0 && !slices.ContainsFunc(r.Tags, func(t string) bool { return slices.Contains(s.tagSet, strings.ToLower(t)) }) {
		return false
	}
	if len(s.tacticSet) > 0 && !slices.ContainsFunc(r.Threat, func(t rule.Threat) bool { return refIn(t.Tactic, s.tacticSet, false) }) {
		return false
	}
	if len(s.techniqueSet) > 0 && !slices.ContainsFunc(r.Threat, s.hasTechnique) {
		return false
	}
	return true
}

func (s *ruleSelection) hasTechnique(t rule.Threat) bool {
	for _, tech := range t.Technique {
		if refIn(tech.ThreatRef, s.techniqueSet, false) {
			return true
		}
		for _, sub := range tech.Subtechnique {
			if refIn(sub, s.techniqueSet, true) {
				return true
			}
		}
	}
	return false
}

// refIn reports whether the reference's id or name is one of vals
// (lower-cased); sub: ref is a subtechnique, which its technique's id
// selects too (T1059 selects T1059.001).
func refIn(ref rule.ThreatRef, vals []string, sub bool) bool {
	id, name := strings.ToLower(ref.ID), strings.ToLower(ref.Name)
	for _, v := range vals {
		if v == id || v == name {
			return true
		}
		if sub && id != "" && strings.HasPrefix(id, v+".") {
			return true
		}
	}
	return false
}

// apply keeps the rules the selection selects in set and returns how many
// it left out. Values of --rule-id and --exclude-rule that name no rule
// of the set are returned, for a usage error.
func (s *ruleSelection) apply(set *rule.Set) (deselected int, unknown []string) {
	seen := map[string]bool{}
	for _, r := range set.Rules {
		seen[strings.ToLower(r.RuleID)] = true
		seen[strings.ToLower(r.Name)] = true
	}
	for _, v := range append(slices.Clone(s.idSet), s.exclSet...) {
		if !seen[v] {
			unknown = append(unknown, v)
		}
	}
	kept := make([]*rule.Rule, 0, len(set.Rules))
	for _, r := range set.Rules {
		if s.selects(r) {
			kept = append(kept, r)
		} else {
			deselected++
		}
	}
	set.Rules = kept
	return deselected, unknown
}

// selectRules applies the selection to set, saying on stderr (unless
// quiet) how many rules it left out. false: a usage error was reported
// (a --rule-id or --exclude-rule naming no rule, or nothing selected).
func selectRules(env *Env, cmd string, sel *ruleSelection, set *rule.Set, quiet bool) bool {
	total := len(set.Rules)
	var names []string
	for _, r := range set.Rules {
		names = append(names, r.RuleID)
	}
	deselected, unknown := sel.apply(set)
	for _, u := range unknown {
		msg := fmt.Sprintf("vigil %s: --rule-id/--exclude-rule %q: no rule has that rule_id or name (see 'vigil rules list')", cmd, u)
		if s := suggest(u, names); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		fmt.Fprintln(env.Stderr, msg)
	}
	if len(unknown) > 0 {
		return false
	}
	if len(set.Rules) == 0 {
		fmt.Fprintf(env.Stderr, "vigil %s: %s selects none of the %s\n", cmd, sel.describe(), plural(total, "rule"))
		return false
	}
	if !quiet {
		fmt.Fprintf(env.Stderr, "vigil %s: %s selects %d of %s (%d deselected)\n", cmd, sel.describe(), len(set.Rules), plural(total, "rule"), deselected)
	}
	return true
}
