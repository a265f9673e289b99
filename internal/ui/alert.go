package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/vigil-project/vigil/internal/state"
)

type field struct{ Name, Value string }

type threatView struct {
	Tactic     mitreRef
	Techniques []mitreRef
}

type mitreRef struct {
	ID, Name, URL string // URL "" when the id is not ATT&CK's
	Sub           []mitreRef
}

type relatedView struct {
	Title, Field, Value string
	KQL, Search         string
	Rows                []state.TriageRow
	More                string // the alerts list filtered on the value
}

type alertPage struct {
	Title, Nav string
	A          state.TriageAlert
	RuleName   string
	RuleURL    string
	RuleLoaded bool
	Threat     []threatView
	Note       template.HTML
	Setup      template.HTML
	Fields     []field
	Special    []field // suppression, exceptions, building block, threshold
	Raw        string
	Related    []relatedView
	Group      *relatedView
	History    []state.Workflow
	Statuses   []string
	Reasons    []string
	CSRF       string
	Self       string
}

var (
	techniqueID = regexp.MustCompile(`^T[0-9]{4}(\.[0-9]{3})?$`)
	tacticID    = regexp.MustCompile(`^TA[0-9]{4}$`)
)

// mitreURL is ATT&CK's page for a tactic or technique id, built from the
// id alone (never a URL from the data).
func mitreURL(id string) string {
	switch {
	case tacticID.MatchString(id):
		return "https://attack.mitre.org/tactics/" + id + "/"
	case techniqueID.MatchString(id):
		return "https://attack.mitre.org/techniques/" + strings.ReplaceAll(id, ".", "/") + "/"
	}
	return ""
}

func (s *Server) alert(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	a, ok, err := s.opts.Triage.Alert(ctx, id)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if !ok {
		s.fail(w, r, http.StatusNotFound, "No alert has the id "+id+" in this store.")
		return
	}
	var doc map[string]any
	if err := json.Unmarshal(a.Doc, &doc); err != nil {
		doc = map[string]any{}
	}
	p := alertPage{Title: "Alert: " + a.RuleName, Nav: "alerts", A: a, RuleName: a.RuleName, RuleURL: ruleURL(a.RuleID),
		Statuses: state.WorkflowStatuses, Reasons: state.CloseReasons, CSRF: s.csrf, Self: alertURL(a.ID)}
	rl := s.ruleByID(a.RuleID)
	p.RuleLoaded = rl != nil
	p.Threat = threats(doc["kibana.alert.rule.threat"])
	note, setup := str(doc["kibana.alert.rule.note"]), ""
	if params, ok := doc["kibana.alert.rule.parameters"].(map[string]any); ok {
		setup = str(params["setup"])
		if note == "" {
			note = str(params["note"])
		}
	}
	if rl != nil {
		if note == "" {
			note = rl.Note
		}
		if setup == "" {
			setup = rl.Setup
		}
	}
	p.Note, p.Setup = markdown(note), markdown(setup)
	flat := map[string]any{}
	flatten("", doc, flat)
	for k, v := range flat {
		f := field{Name: k, Value: valueText(v)}
		p.Fields = append(p.Fields, f)
		if l, ok := v.([]any); ok && len(l) == 0 {
			continue
		}
		if strings.HasPrefix(k, "kibana.alert.suppression.") || strings.HasPrefix(k, "kibana.alert.threshold_result.") ||
			k == "kibana.alert.building_block_type" || strings.HasPrefix(k, "kibana.alert.rule.exceptions_list") ||
			k == "kibana.alert.group.id" || k == "kibana.alert.group.index" {
			p.Special = append(p.Special, f)
		}
	}
	slices.SortFunc(p.Fields, func(x, y field) int { return strings.Compare(x.Name, y.Name) })
	slices.SortFunc(p.Special, func(x, y field) int { return strings.Compare(x.Name, y.Name) })
	var raw bytes.Buffer
	if err := json.Indent(&raw, a.Doc, "", "  "); err != nil {
		raw.Reset()
		raw.Write(a.Doc)
	}
	p.Raw = raw.String()
	for _, rel := range []struct{ title, field, ecs, value string }{
		{"Same user", "user", "user.name", a.User},
		{"Same host", "host", "host.name", a.Host},
		{"Same source address", "source.ip", "source.ip", a.SourceIP},
		{"Same resource", "resource", "", a.Resource},
	} {
		if rel.value == "" {
			continue
		}
		rows, err := s.opts.Triage.Related(ctx, rel.field, rel.value, a.ID, 10)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		v := relatedView{Title: rel.title, Field: rel.ecs, Value: rel.value, Rows: rows}
		if rel.ecs != "" {
			v.KQL = rel.ecs + ":" + kqlQuote(rel.value)
			v.Search = "vigil search " + shellQuote(v.KQL) + " FILE..."
		}
		g := filterForm{Text: rel.value}
		v.More = "/ui/alerts?" + g.query("")
		p.Related = append(p.Related, v)
	}
	if a.Group != "" {
		rows, err := s.opts.Triage.Related(ctx, "group", a.Group, a.ID, 100)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		p.Group = &relatedView{Title: "The sequence's other alerts", Value: a.Group, Rows: rows}
	}
	if p.History, err = s.opts.Triage.History(ctx, a.ID); err != nil {
		s.internal(w, r, err)
		return
	}
	s.render(w, r, "alert", p)
}

func threats(v any) []threatView {
	list, _ := v.([]any)
	var out []threatView
	for _, t := range list {
		m, _ := t.(map[string]any)
		if m == nil {
			continue
		}
		var tv threatView
		if tac, ok := m["tactic"].(map[string]any); ok {
			tv.Tactic = ref(tac)
		}
		techs, _ := m["technique"].([]any)
		for _, te := range techs {
			tm, _ := te.(map[string]any)
			if tm == nil {
				continue
			}
			r := ref(tm)
			subs, _ := tm["subtechnique"].([]any)
			for _, su := range subs {
				if sm, ok := su.(map[string]any); ok {
					r.Sub = append(r.Sub, ref(sm))
				}
			}
			tv.Techniques = append(tv.Techniques, r)
		}
		out = append(out, tv)
	}
	return out
}

func ref(m map[string]any) mitreRef {
	id := str(m["id"])
	return mitreRef{ID: id, Name: str(m["name"]), URL: mitreURL(id)}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// flatten writes the leaves of v into out under dotted names; arrays are
// leaves.
func flatten(prefix string, v any, out map[string]any) {
	m, ok := v.(map[string]any)
	if !ok || (len(m) == 0 && prefix != "") {
		out[prefix] = v
		return
	}
	for k, val := range m {
		name := k
		if prefix != "" {
			name = prefix + "." + k
		}
		flatten(name, val, out)
	}
}

func valueText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// kqlQuote quotes a value for KQL: a phrase with its quotes and
// backslashes escaped.
func kqlQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
