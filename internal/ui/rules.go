package ui

import (
	"cmp"
	"html/template"
	"net/http"
	"slices"
	"strings"

	"github.com/vigil-project/vigil/internal/rule"
	"github.com/vigil-project/vigil/internal/state"
)

type ruleRow struct {
	ID, Name, URL, Type, Language, Severity, Status, Reason string
	Loaded                                                  bool
	Stat                                                    state.RuleStat
	AlertsURL                                               string
}

type rulesPage struct {
	Title, Nav string
	Rows       []ruleRow
	Counts     map[string]int
	Status     string
}

func (s *Server) rules(w http.ResponseWriter, r *http.Request) {
	stats, err := s.opts.Triage.RuleStats(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	want := r.URL.Query().Get("status")
	p := rulesPage{Title: "Rules", Nav: "rules", Counts: map[string]int{}, Status: want}
	seen := map[string]bool{}
	for _, rl := range s.loadedRules() {
		seen[rl.RuleID] = true
		row := ruleRow{ID: rl.RuleID, Name: rl.Name, URL: ruleURL(rl.RuleID), Type: rl.Type, Language: rl.Language,
			Severity: rl.Severity, Status: string(rl.Status), Reason: rl.Reason, Loaded: true, Stat: stats[rl.RuleID]}
		if rl.Status == rule.StatusError && len(rl.Errors) > 0 {
			row.Reason = rl.Errors[0].Error()
		}
		if rl.RuleID == "" {
			row.URL = ""
		}
		p.Counts[row.Status]++
		p.Rows = append(p.Rows, row)
	}
	for id, st := range stats {
		if !seen[id] {
			p.Counts["not loaded"]++
			p.Rows = append(p.Rows, ruleRow{ID: id, Name: st.Name, URL: ruleURL(id), Status: "not loaded",
				Reason: "alerts of a rule the UI has not loaded", Stat: st})
		}
	}
	if want != "" {
		p.Rows = slices.DeleteFunc(p.Rows, func(r ruleRow) bool { return r.Status != want })
	}
	for i := range p.Rows {
		p.Rows[i].AlertsURL = "/ui/alerts?" + filterForm{Rule: p.Rows[i].ID}.query("")
	}
	slices.SortFunc(p.Rows, func(a, b ruleRow) int {
		return cmp.Or(cmp.Compare(b.Stat.Alerts, a.Stat.Alerts), strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID))
	})
	s.render(w, r, "rules", p)
}

type rulePage struct {
	Title, Nav string
	Rule       *rule.Rule
	ID, Name   string
	Stat       state.RuleStat
	Tags       []string
	Threat     []threatView
	Note       template.HTML
	Setup      template.HTML
	Errors     []*rule.Error
	Warnings   []*rule.Error
	AlertsURL  string
}

func (s *Server) rule(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	stats, err := s.opts.Triage.RuleStats(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	rl := s.ruleByID(id)
	st, has := stats[id]
	if rl == nil && !has {
		s.fail(w, r, http.StatusNotFound, "No loaded rule and no stored alert has the rule_id "+id+".")
		return
	}
	p := rulePage{Title: "Rule", Nav: "rules", Rule: rl, ID: id, Name: st.Name, Stat: st,
		AlertsURL: "/ui/alerts?" + filterForm{Rule: id}.query("")}
	if rl != nil {
		p.Name = rl.Name
		p.Tags = rl.Tags
		p.Note, p.Setup = markdown(rl.Note), markdown(rl.Setup)
		p.Errors, p.Warnings = rl.Errors, rl.Warnings
		var th []any
		for _, t := range rl.Threat {
			tm := map[string]any{"tactic": map[string]any{"id": t.Tactic.ID, "name": t.Tactic.Name}}
			var techs []any
			for _, te := range t.Technique {
				var subs []any
				for _, su := range te.Subtechnique {
					subs = append(subs, map[string]any{"id": su.ID, "name": su.Name})
				}
				techs = append(techs, map[string]any{"id": te.ID, "name": te.Name, "subtechnique": subs})
			}
			tm["technique"] = techs
			th = append(th, tm)
		}
		p.Threat = threats(th)
	}
	p.Title = "Rule: " + p.Name
	s.render(w, r, "rule", p)
}
