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
	Fields             []string // 1 to 3 fields
	HistoryWindowStart string
}

// NewTermsConfig returns the rule's validated new terms settings
// (Rule.NewTerms), or the reason Vigil cannot run them.
func (r *Rule) NewTermsConfig() (nt NewTerms, reason string) {
	if r.NewTerms == nil {
		return nt, "the rule has no valid new_terms settings (fields and history_window_start)"
	}
	nt = *r.NewTerms
	if reason := historyReason(nt.HistoryWindowStart); reason != "" {
		return nt, reason
	}
	return nt, ""
}

// historyReason says why Vigil cannot run a history window start that is
// valid date math, "" if it can.
func historyReason(s string) string {
	e, err := datemath.Parse(s)
	switch {
	case err != nil:
		return fmt.Sprintf("new_terms history_window_start %q is not date math", s)
	case !e.IsNowRelative():
		return fmt.Sprintf("new_terms history_window_start %q is an absolute date; Vigil needs date math relative to now (e.g. now-14d)", s)
	case rounds(e):
		return fmt.Sprintf("new_terms history_window_start %q rounds the time (/unit), so the history's length changes with the execution time; Vigil needs now-<n><unit>", s)
	}
	return ""
}

// newTerms reads the new terms settings, in the repository's TOML shape:
//
//	[rule.new_terms]
//	field = "new_terms_fields"
//	value = ["user.name"]
//	[[rule.new_terms.history_window_start]]
//	field = "history_window_start"
//	value = "now-14d"
//
// or the Kibana API's: new_terms_fields and history_window_start in [rule].
func (v *validator) newTerms(t map[string]any) {
	const table = "rule.new_terms"
	nt := &NewTerms{}
	valid := true
	var fieldsAt, historyAt [2]string // table and key holding each setting, for errors
	historySet := false               // a history_window_start string was read
	_, apiFields := t["new_terms_fields"]
	_, apiHistory := t["history_window_start"]
	m, repo := v.subTable(t, "rule", "new_terms")
	if _, present := t["new_terms"]; present && !repo {
		return
	}
	switch {
	case repo && (apiFields || apiHistory):
		k := "new_terms_fields"
		if !apiFields {
			k = "history_window_start"
		}
		v.errKey("rule", k, fmt.Sprintf("rule.%s and [rule.new_terms] both set the new terms", k),
			"keep one form: [rule.new_terms] (the detection-rules repository's) or new_terms_fields and history_window_start (Kibana's API)")
		return
	case repo:
		v.onlyKeys(m, table, []string{"field", "value", "history_window_start"})
		if _, present := m["field"]; present {
			v.enum(m, table, "field", false, "new_terms_fields")
		}
		fieldsAt = [2]string{table, "value"}
		fields, ok := v.fieldList(m, table, "value", false)
		if _, present := m["value"]; !present {
			v.missing(table, "value", `name 1 to 3 fields, e.g. value = ["user.name"]`)
			ok = false
		}
		nt.Fields, valid = fields, ok
		historyAt = [2]string{table, "history_window_start"}
		switch h := m["history_window_start"].(type) {
		case nil:
			v.missing(table, "history_window_start", `add [[rule.new_terms.history_window_start]] with field = "history_window_start" and value = "now-14d"`)
			valid = false
		case string:
			nt.HistoryWindowStart, historySet = h, true
		default:
			list, ok := v.tableList(m, table, "history_window_start")
			if !ok {
				valid = false
				break
			}
			if len(list) != 1 {
				v.errKey(table, "history_window_start", fmt.Sprintf("%s.history_window_start has %d entries, it needs exactly 1", table, len(list)), "keep one [[rule.new_terms.history_window_start]]")
				valid = false
				break
			}
			ht := table + ".history_window_start[0]"
			v.onlyKeys(list[0], ht, []string{"field", "value"})
			if _, present := list[0]["field"]; present {
				v.enum(list[0], ht, "field", false, "history_window_start")
			}
			historyAt = [2]string{ht, "value"}
			if _, present := list[0]["value"]; !present {
				v.missing(ht, "value", `e.g. value = "now-14d"`)
				valid = false
				break
			}
			nt.HistoryWindowStart = v.str(list[0], ht, "value", true)
			_, historySet = list[0]["value"].(string)
		}
	case apiFields || apiHistory:
		fieldsAt = [2]string{"rule", "new_terms_fields"}
		fields, ok := v.fieldList(t, "rule", "new_terms_fields", false)
		if !apiFields {
			v.missing("rule", "new_terms_fields", `name 1 to 3 fields, e.g. new_terms_fields = ["user.name"]`)
			ok = false
		}
		nt.Fields, valid = fields, ok
		historyAt = [2]string{"rule", "history_window_start"}
		if !apiHistory {
			v.missing("rule", "history_window_start", `e.g. history_window_start = "now-14d"`)
			valid = false
		}
		nt.HistoryWindowStart = v.str(t, "rule", "history_window_start", false)
		_, historySet = t["history_window_start"].(string)
	default:
		if v.r.Type == "new_terms" {
			v.missing("rule", "new_terms", `add [rule.new_terms] with field = "new_terms_fields", value = [fields], and a [[rule.new_terms.history_window_start]]`)
		}
		return
	}
	if valid && (len(nt.Fields) == 0 || len(nt.Fields) > 3) {
		v.errKey(fieldsAt[0], fieldsAt[1], fmt.Sprintf("%s.%s has %d fields, it needs 1 to 3", fieldsAt[0], fieldsAt[1], len(nt.Fields)), "watch 1 to 3 fields for new values")
		valid = false
	}
	if !historySet || !v.historyStart(historyAt[0], historyAt[1], nt.HistoryWindowStart) {
		valid = false
	}
	if valid {
		v.r.NewTerms = nt
	}
}

// historyStart checks a history_window_start: valid date math, before the
// rule's from. An absolute or rounded start is valid in Kibana; Vigil
// reports the rule unsupported (see historyReason).
func (v *validator) historyStart(table, key, s string) bool {
	if strings.TrimSpace(s) == "" {
		v.errKey(table, key, fmt.Sprintf("%s.%s is empty", table, key), `write date math, e.g. "now-14d"`)
		return false
	}
	h, err := datemath.Parse(s)
	if err != nil {
		v.errKey(table, key, fmt.Sprintf("%s.%s = %q is not date math", table, key, s), dateMathHint(s, err, "now-14d"))
		return false
	}
	if reason := historyReason(s); reason != "" {
		v.unsupported(reason)
		return true
	}
	from, err := datemath.Parse(v.r.From)
	if err != nil || !from.IsNowRelative() {
		return true // reported with rule.from
	}
	if !h.Resolve(refInstant, false).Before(from.Resolve(refInstant, false)) {
		v.errKey(table, key, fmt.Sprintf("%s.%s = %q is not before rule.from = %q", table, key, s, v.r.From),
			"the history ends where the rule's window starts: start it earlier, e.g. \"now-14d\"")
		return false
	}
	return true
}
