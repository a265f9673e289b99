package rule

import (
	"fmt"
	"strings"
)

// ruleTypes are the valid values of rule.type.
var ruleTypes = []string{"query", "saved_query", "eql", "esql", "threshold", "threat_match", "new_terms", "machine_learning"}

// typeOnly names the [rule] keys that only some rule types use (Kibana's
// per-type rule schemas) and those types.
var typeOnly = map[string][]string{
	"threshold":               {"threshold"},
	"new_terms":               {"new_terms"},
	"new_terms_fields":        {"new_terms"},
	"history_window_start":    {"new_terms"},
	"threat_index":            {"threat_match"},
	"threat_query":            {"threat_match"},
	"threat_language":         {"threat_match"},
	"threat_indicator_path":   {"threat_match"},
	"threat_filters":          {"threat_match"},
	"threat_mapping":          {"threat_match"},
	"concurrent_searches":     {"threat_match"},
	"items_per_search":        {"threat_match"},
	"timestamp_field":         {"eql"},
	"event_category_override": {"eql"},
	"tiebreaker_field":        {"eql"},
	"anomaly_threshold":       {"machine_learning"},
	"machine_learning_job_id": {"machine_learning"},
	"saved_id":                {"query", "saved_query", "threshold", "threat_match"},
}

// typed reads the typed settings beyond the common keys: type-specific
// sub-tables and keys, and the optional lists every type may have.
// A type-specific key on a rule of another type is an error and is not
// read further.
func (v *validator) typed(t map[string]any) {
	known := contains(ruleTypes, v.r.Type)
	use := t
	for k := range t {
		if types, only := typeOnly[k]; only && known && !contains(types, v.r.Type) {
			use = v.typeOnly(t, known)
			break
		}
	}
	v.exceptionsList(use)
	v.alertSuppression(use)
	v.riskScoreMapping(use)
	v.severityMapping(use)
	v.relatedIntegrations(use)
	v.requiredFields(use)
	v.investigationFields(use)
	if !known {
		return
	}
	v.threshold(use)
	v.newTerms(use)
	v.threatMatch(use)
	v.eqlSettings(use)
	v.mlSettings(use)
	v.savedID(use)
}

// typeOnly reports, in key order, the keys of t that are for other rule
// types than the rule's, and returns t without them.
func (v *validator) typeOnly(t map[string]any, known bool) map[string]any {
	use := map[string]any{}
	for _, k := range sortedKeys(t) {
		types, only := typeOnly[k]
		if !only {
			use[k] = t[k]
			continue
		}
		if !known || contains(types, v.r.Type) {
			use[k] = t[k]
			continue
		}
		name := "rule." + k
		if _, isTable := t[k].(map[string]any); isTable {
			name = "[rule." + k + "]"
		}
		users := strings.Join(types, ", ")
		if len(types) > 1 {
			users = strings.Join(types[:len(types)-1], ", ") + " and " + types[len(types)-1]
		}
		v.errKey("rule", k, fmt.Sprintf("%s is for %s rules, not %s rules", name, users, v.r.Type),
			fmt.Sprintf("remove it, or set type = %q if that is the rule you meant", types[0]))
	}
	return use
}

// eqlSettings reads an eql rule's timestamp_field, event_category_override
// and tiebreaker_field.
func (v *validator) eqlSettings(t map[string]any) {
	r := v.r
	r.TimestampField = v.nonEmptyStr(t, "rule", "timestamp_field", false)
	r.EventCategoryOverride = v.nonEmptyStr(t, "rule", "event_category_override", false)
	r.TiebreakerField = v.nonEmptyStr(t, "rule", "tiebreaker_field", false)
}

// mlSettings reads a machine_learning rule's anomaly_threshold and
// machine_learning_job_id (one id or a list).
func (v *validator) mlSettings(t map[string]any) {
	r := v.r
	required := r.Type == "machine_learning"
	if n, ok := v.integer(t, "rule", "anomaly_threshold", required); ok {
		if n < 0 || n > 100 {
			v.errKey("rule", "anomaly_threshold", fmt.Sprintf("rule.anomaly_threshold = %d is out of range", n), "anomaly scores run from 0 to 100")
		} else {
			r.AnomalyThreshold = n
		}
	}
	ids, ok := v.fieldList(t, "rule", "machine_learning_job_id", true)
	if ok && len(ids) == 0 && required {
		if _, present := t["machine_learning_job_id"]; present {
			v.errKey("rule", "machine_learning_job_id", "rule.machine_learning_job_id names no job", "write the anomaly detection job's id, or a list of ids")
		} else {
			v.missing("rule", "machine_learning_job_id", "write the anomaly detection job's id, or a list of ids")
		}
	}
	r.MachineLearningJobID = ids
}

// savedID reads saved_id, required by saved_query rules.
func (v *validator) savedID(t map[string]any) {
	v.r.SavedID = v.nonEmptyStr(t, "rule", "saved_id", v.r.Type == "saved_query")
}
