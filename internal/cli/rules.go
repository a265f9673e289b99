package cli

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/rule"
	"github.com/vigil-project/vigil/internal/ruleset"
)

const rulesSynopsis = `rules validate [--mapping FILE]... [PATH...]   load and compile rules; print every error and warning; summary by type and status
       rules list [--format table|ndjson] [PATH...]   one line per rule: id, name, type, severity, status
       rules show [--rules PATH]... ID|NAME    a rule's metadata, query, schedule, MITRE mapping and investigation guide

Without PATH the built-in pack is used. PATH is a rule file or a directory (searched recursively for *.toml).`

func runRules(env *Env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(env.Stderr, "Usage: vigil %s\n", rulesSynopsis)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	switch args[0] {
	case "validate":
		return rulesValidate(env, args[1:])
	case "list":
		return rulesList(env, args[1:])
	case "show":
		return rulesShow(env, args[1:])
	}
	fmt.Fprintf(env.Stderr, "vigil rules: unknown subcommand %q", args[0])
	if s := suggest(args[0], rulesSubcommands); s != "" {
		fmt.Fprintf(env.Stderr, "; did you mean %q?", s)
	}
	fmt.Fprintln(env.Stderr)
	return exitUsage
}

func loadForCLI(env *Env, paths []string, schema ...*ecs.Schema) (*rule.Set, bool) {
	now := env.Now()
	opts := rule.LoadOptions{Plan: event.NewPlan(), Now: func() time.Time { return now }, RunESQL: true}
	if len(schema) > 0 {
		opts.Schema = schema[0]
	}
	set, err := ruleset.LoadSetOptions(paths, opts)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil rules: %v\n", err)
		return nil, false
	}
	return set, true
}

func rulesValidate(env *Env, args []string) int {
	fs := newFlagSet(env, "rules validate", rulesSynopsis)
	var mappings stringList
	fs.Var(&mappings, "mapping", "an Elasticsearch index mapping `FILE` giving the types of the events' fields (repeatable)")
	paths, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	schema, err := loadMappings(mappings)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil rules validate: %v\n", err)
		return exitFailure
	}
	set, ok := loadForCLI(env, paths, schema)
	if !ok {
		return exitFailure
	}
	byType := map[string]map[rule.Status]int{}
	errs := 0
	untyped := map[string]bool{}
	untypedRules := 0
	for _, r := range set.Rules {
		key := r.Type + "/" + r.Language
		if byType[key] == nil {
			byType[key] = map[rule.Status]int{}
		}
		byType[key][r.Status]++
		for _, e := range r.Errors {
			errs++
			fmt.Fprintln(env.Stdout, e.Error())
			if e.Detail != "" {
				for _, l := range strings.Split(strings.TrimRight(e.Detail, "\n"), "\n") {
					fmt.Fprintln(env.Stdout, "    "+l)
				}
			} else if e.Hint != "" {
				fmt.Fprintln(env.Stdout, "    hint: "+e.Hint)
			}
		}
		if r.Status == rule.StatusError {
			continue
		}
		for _, w := range r.Warnings {
			fmt.Fprintln(env.Stdout, strings.Replace(w.Error(), ": ", ": warning: ", 1))
		}
		if len(r.Untyped) > 0 {
			untypedRules++
		}
		for _, f := range r.Untyped {
			untyped[f] = true
		}
	}
	var keys []string
	for k := range byType {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE/LANGUAGE\tOK\tUNSUPPORTED\tERROR")
	for _, k := range keys {
		c := byType[k]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", strings.TrimSuffix(k, "/"), c[rule.StatusOK], c[rule.StatusUnsupported], c[rule.StatusError])
	}
	tw.Flush()
	fmt.Fprintf(env.Stdout, "%s, %d runnable, %s\n", plural(len(set.Rules), "rule"), len(set.Runnable()), plural(errs, "error"))
	if len(untyped) > 0 {
		fmt.Fprintf(env.Stdout, "%s of unknown type, taken as keyword, in %s (see the warnings; --mapping gives types)\n", plural(len(untyped), "field"), plural(untypedRules, "rule"))
	}
	if errs > 0 {
		return exitFailure
	}
	return exitOK
}

func rulesList(env *Env, args []string) int {
	fs := newFlagSet(env, "rules list", rulesSynopsis)
	format := fs.String("format", "", "table or ndjson (default: table on a terminal, else ndjson)")
	paths, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	set, ok := loadForCLI(env, paths)
	if !ok {
		return exitFailure
	}
	table := *format == "table" || (*format == "" && env.IsTerminal)
	if *format != "" && *format != "table" && *format != "ndjson" {
		fmt.Fprintf(env.Stderr, "vigil rules list: --format %q: use table or ndjson\n", *format)
		return exitUsage
	}
	if table {
		tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "RULE_ID\tNAME\tTYPE\tSEVERITY\tRISK\tSTATUS\tREASON")
		for _, r := range set.Rules {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.RuleID, r.Name, r.Type, r.Severity, r.RiskScore, r.Status, r.Reason)
		}
		tw.Flush()
		return exitOK
	}
	enc := json.NewEncoder(env.Stdout)
	enc.SetEscapeHTML(false)
	for _, r := range set.Rules {
		enc.Encode(map[string]any{
			"file": r.File, "rule_id": r.RuleID, "name": r.Name, "type": r.Type, "language": r.Language,
			"severity": r.Severity, "risk_score": r.RiskScore, "status": r.Status, "reason": r.Reason,
		})
	}
	return exitOK
}

func rulesShow(env *Env, args []string) int {
	fs := newFlagSet(env, "rules show", rulesSynopsis)
	var paths stringList
	fs.Var(&paths, "rules", "rule file or directory (repeatable; default: the built-in pack)")
	ids, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	if len(ids) != 1 {
		fmt.Fprintln(env.Stderr, "vigil rules show: name one rule, by its rule_id or its name (see 'vigil rules list')")
		return exitUsage
	}
	set, ok := loadForCLI(env, paths)
	if !ok {
		return exitFailure
	}
	r, code := findRule(env, set, ids[0])
	if r == nil {
		return code
	}
	w := env.Stdout
	fmt.Fprintf(w, "%s\n%s\n\n", r.Name, strings.Repeat("=", len(r.Name)))
	fmt.Fprintf(w, "rule_id:    %s\nfile:       %s\ntype:       %s (%s)\nstatus:     %s %s\n", r.RuleID, r.File, r.Type, r.Language, r.Status, r.Reason)
	fmt.Fprintf(w, "severity:   %s (risk score %d)\n", r.Severity, r.RiskScore)
	fmt.Fprintf(w, "indices:    %s\n", strings.Join(r.Index, ", "))
	fmt.Fprintf(w, "schedule:   every %s, searching %s to %s, at most %s per run\n", ruleset.IntervalText(r.Interval), r.From, r.To, plural(r.MaxSignals, "alert"))
	if r.TimestampOverride != "" {
		fmt.Fprintf(w, "timestamp:  %s (falls back to @timestamp: %v)\n", r.TimestampOverride, !r.TimestampOverrideFallbackDisabled)
	}
	if len(r.Tags) > 0 {
		fmt.Fprintf(w, "tags:       %s\n", strings.Join(r.Tags, ", "))
	}
	for _, th := range r.Threat {
		fmt.Fprintf(w, "MITRE:      %s %s (%s)\n", th.Tactic.ID, th.Tactic.Name, th.Framework)
		for _, tech := range th.Technique {
			fmt.Fprintf(w, "              %s %s\n", tech.ID, tech.Name)
			for _, sub := range tech.Subtechnique {
				fmt.Fprintf(w, "                %s %s\n", sub.ID, sub.Name)
			}
		}
	}
	fmt.Fprintf(w, "\nDescription\n-----------\n%s\n", strings.TrimSpace(r.Description))
	if r.Query != "" {
		fmt.Fprintf(w, "\nQuery\n-----\n%s\n", strings.TrimSpace(r.Query))
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "\nerror: %v\n", e)
	}
	if len(r.FalsePositives) > 0 {
		fmt.Fprintf(w, "\nFalse positives\n---------------\n")
		for _, fp := range r.FalsePositives {
			fmt.Fprintf(w, "- %s\n", strings.Join(strings.Fields(fp), " "))
		}
	}
	if r.Note != "" {
		fmt.Fprintf(w, "\nInvestigation guide\n-------------------\n%s\n", strings.TrimSpace(r.Note))
	}
	if r.Setup != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(r.Setup))
	}
	if len(r.References) > 0 {
		fmt.Fprintf(w, "\nReferences\n----------\n")
		for _, ref := range r.References {
			fmt.Fprintf(w, "- %s\n", ref)
		}
	}
	return exitOK
}

// findRule finds the rule `rules show` names, as `hunt --explain-rule`
// does: by rule_id, else by name (exactly, then ignoring case). A name
// several rules share is an error that lists their rule_ids.
func findRule(env *Env, set *rule.Set, key string) (*rule.Rule, int) {
	if r := set.ByID(key); r != nil {
		return r, exitOK
	}
	for _, fold := range []bool{false, true} {
		var found []*rule.Rule
		for _, r := range set.Rules {
			if r.Name == key || fold && strings.EqualFold(r.Name, key) {
				found = append(found, r)
			}
		}
		if len(found) == 1 {
			return found[0], exitOK
		}
		if len(found) > 1 {
			fmt.Fprintf(env.Stderr, "vigil rules show: %d rules are named %q; name one by its rule_id:\n", len(found), key)
			for _, r := range found {
				fmt.Fprintf(env.Stderr, "  %s  %s\n", r.RuleID, r.File)
			}
			return nil, exitUsage
		}
	}
	names := make([]string, 0, len(set.Rules))
	for _, r := range set.Rules {
		names = append(names, r.Name)
	}
	fmt.Fprintf(env.Stderr, "vigil rules show: no rule has the rule_id or name %q", key)
	if s := suggest(key, names); s != "" {
		fmt.Fprintf(env.Stderr, "; did you mean %q?", s)
	}
	fmt.Fprintln(env.Stderr, " ('vigil rules list' shows them all)")
	return nil, exitFailure
}
