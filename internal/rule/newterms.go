package rule

import (
	"fmt"
	"strings"

	"github.com/vigil-project/vigil/internal/datemath"
)

// NewTerms is a new_terms rule's configuration: the fields whose value
// combinations are watched and the start of the history they are compared
// with (date math relative to now, e.g. "now-14d").
type NewTerms struct {
	Fields             []string
	HistoryWindowStart string
}

// NewTermsConfig reads the rule's new terms settings, in the repository's
// TOML shape ([rule.new_terms] field = "new_terms_fields", value = [...],
// [[rule.new_terms.history_window_start]] value = "now-14d") or the Kibana
// API's (new_terms_fields, history_window_start). The reason says what is
// wrong when ok is false.
func (r *Rule) NewTermsConfig() (nt NewTerms, reason string) {
	if t, ok := r.Raw["new_terms"].(map[string]any); ok {
		nt.Fields = stringList(t["value"])
		for _, h := range tables(t["history_window_start"]) {
			if s, ok := h["value"].(string); ok {
				nt.HistoryWindowStart = s
			}
		}
		if s, ok := t["history_window_start"].(string); ok {
			nt.HistoryWindowStart = s
		}
	}
	if f := stringList(r.Raw["new_terms_fields"]); len(f) > 0 {
		nt.Fields = f
	}
	if s, ok := r.Raw["history_window_start"].(string); ok {
		nt.HistoryWindowStart = s
	}
	switch {
	case len(nt.Fields) == 0 || len(nt.Fields) > 3:
		return nt, fmt.Sprintf("new_terms needs 1 to 3 fields, it has %d", len(nt.Fields))
	case nt.HistoryWindowStart == "":
		return nt, "new_terms needs a history_window_start (e.g. now-14d)"
	}
	e, err := datemath.Parse(nt.HistoryWindowStart)
	if err != nil || !e.IsNowRelative() {
		return nt, fmt.Sprintf("new_terms history_window_start %q is not date math relative to now (e.g. now-14d)", nt.HistoryWindowStart)
	}
	return nt, ""
}

func stringList(x any) []string {
	var out []string
	switch t := x.(type) {
	case []any:
		for _, e := range t {
			if s, ok := e.(string); ok && strings.TrimSpace(s) != "" {
				out = append(out, s)
			}
		}
	case []string:
		out = t
	case string:
		if t != "" {
			out = []string{t}
		}
	}
	return out
}
