package rule

import "fmt"

// ThreatMappingGroup is one [[rule.threat_mapping]] group: an event matches
// an indicator when all its entries do; groups are OR-ed.
type ThreatMappingGroup struct {
	Entries []ThreatMappingEntry
}

// ThreatMappingEntry is one [[rule.threat_mapping.entries]]: the event's
// Field must hold the indicator's Value field (or, with Negate, must not;
// Kibana 9.2+). A group needs at least one entry that is not negated.
type ThreatMappingEntry struct {
	Field  string // field of the source events
	Type   string // always "mapping"
	Value  string // field of the indicator documents
	Negate bool
}

// Defaults of threat_match rules.
const (
	DefaultThreatLanguage      = "kuery"
	DefaultThreatIndicatorPath = "threat.indicator"
)

var (
	threatMappingGroupKeys = []string{"entries"}
	threatMappingEntryKeys = []string{"field", "type", "value", "negate"}
)

// threatMatch reads a threat_match rule's indicator settings.
func (v *validator) threatMatch(t map[string]any) {
	r := v.r
	isTM := r.Type == "threat_match"
	if isTM {
		r.ThreatLanguage = DefaultThreatLanguage
		r.ThreatIndicatorPath = DefaultThreatIndicatorPath
	}
	index, ok := v.fieldList(t, "rule", "threat_index", false)
	if _, present := t["threat_index"]; ok && present && len(index) == 0 {
		v.errKey("rule", "threat_index", "rule.threat_index is empty", `name the indicator indices, e.g. threat_index = ["logs-ti_*"]`)
	} else if !present && isTM {
		v.missing("rule", "threat_index", `name the indicator indices, e.g. threat_index = ["logs-ti_*"]`)
	}
	r.ThreatIndex = index
	r.ThreatQuery = v.str(t, "rule", "threat_query", isTM)
	if _, present := t["threat_language"]; present {
		r.ThreatLanguage = v.enum(t, "rule", "threat_language", false, "kuery", "lucene")
	}
	if _, present := t["threat_indicator_path"]; present {
		r.ThreatIndicatorPath = v.nonEmptyStr(t, "rule", "threat_indicator_path", false)
	}
	if x, present := t["threat_filters"]; present {
		if _, ok := v.tableList(t, "rule", "threat_filters"); ok {
			if arr, isArr := x.([]any); isArr {
				r.ThreatFilters = arr
			} else {
				for _, m := range tables(x) {
					r.ThreatFilters = append(r.ThreatFilters, m)
				}
			}
		}
	}
	if n, ok := v.atLeast(t, "rule", "concurrent_searches", false, 1); ok {
		r.ConcurrentSearches = n
	}
	if n, ok := v.atLeast(t, "rule", "items_per_search", false, 1); ok {
		r.ItemsPerSearch = n
	}
	v.threatMapping(t, isTM)
}

// threatMapping reads [[rule.threat_mapping]] and its entries.
func (v *validator) threatMapping(t map[string]any, required bool) {
	groups, ok := v.tableList(t, "rule", "threat_mapping")
	if !ok {
		if _, present := t["threat_mapping"]; !present && required {
			v.missing("rule", "threat_mapping", `add [[rule.threat_mapping]] with [[rule.threat_mapping.entries]] field = "<event field>", type = "mapping", value = "<indicator field>"`)
		}
		return
	}
	if len(groups) == 0 {
		v.errKey("rule", "threat_mapping", "rule.threat_mapping is empty", "add at least one [[rule.threat_mapping]] group")
		return
	}
	var out []ThreatMappingGroup
	for i, g := range groups {
		gt := fmt.Sprintf("rule.threat_mapping[%d]", i)
		v.onlyKeys(g, gt, threatMappingGroupKeys)
		entries, ok := v.tableList(g, gt, "entries")
		if !ok {
			if _, present := g["entries"]; !present {
				v.missing(gt, "entries", `add [[rule.threat_mapping.entries]] with field, type = "mapping" and value`)
			}
			continue
		}
		if len(entries) == 0 {
			v.errKey(gt, "entries", gt+".entries is empty", `add [[rule.threat_mapping.entries]] with field, type = "mapping" and value`)
			continue
		}
		var group ThreatMappingGroup
		matches := false
		for j, e := range entries {
			et := fmt.Sprintf("%s.entries[%d]", gt, j)
			v.onlyKeys(e, et, threatMappingEntryKeys)
			entry := ThreatMappingEntry{
				Field: v.nonEmptyStr(e, et, "field", true),
				Type:  v.enum(e, et, "type", true, "mapping"),
				Value: v.nonEmptyStr(e, et, "value", true),
			}
			entry.Negate, _ = v.boolean(e, et, "negate")
			matches = matches || !entry.Negate
			group.Entries = append(group.Entries, entry)
		}
		if !matches {
			v.errKey(gt, "entries", gt+" has only negated entries",
				"Kibana refuses a group of DOES NOT MATCH conditions alone (it would match nearly every event): add an entry with negate = false")
		}
		out = append(out, group)
	}
	v.r.ThreatMapping = out
}
