package rule

import (
	"fmt"
	"strconv"
	"strings"
)

// Threshold is [rule.threshold]: alert when at least Value events (and, with
// a Cardinality, at least that many distinct values of its field) share the
// values of Field. No Field: one group over all matching events.
type Threshold struct {
	Field       []string      // 0 to 3 fields (5 from Kibana 9.2)
	Value       int           // at least 1
	Cardinality []Cardinality // at most 1
}

// Cardinality is a [[rule.threshold.cardinality]] condition: the group
// needs at least Value distinct values of Field.
type Cardinality struct {
	Field string
	Value int // at least 1
}

// threshold reads [rule.threshold], required by threshold rules.
func (v *validator) threshold(t map[string]any) {
	const table = "rule.threshold"
	m, ok := v.subTable(t, "rule", "threshold")
	if !ok {
		if _, present := t["threshold"]; !present && v.r.Type == "threshold" {
			v.missing("rule", "threshold", "add [rule.threshold] with field (the fields to group by) and value (the event count)")
		}
		return
	}
	v.onlyKeys(m, table, []string{"field", "value", "cardinality"})
	th := &Threshold{}
	valid := true
	fields, ok := v.fieldList(m, table, "field", true)
	switch {
	case !ok:
		valid = false
	case len(fields) > 5:
		v.errKey(table, "field", fmt.Sprintf("%s.field has %d fields, at most 5 are allowed", table, len(fields)), "group by fewer fields")
		valid = false
	case len(fields) > 3 && stackBefore(v.r.Metadata.MinStackVersion, 9, 2):
		v.errKey(table, "field", fmt.Sprintf("%s.field has %d fields, but min_stack_version %s allows at most 3", table, len(fields), v.r.Metadata.MinStackVersion),
			"Kibana groups a threshold by up to 5 fields from 9.2: raise metadata.min_stack_version to 9.2.0, or group by fewer fields")
		valid = false
	}
	th.Field = fields
	n, ok := v.atLeast(m, table, "value", true, 1)
	valid = valid && ok
	th.Value = n
	if list, ok := v.tableList(m, table, "cardinality"); ok {
		if len(list) > 1 {
			v.errElem(table, "cardinality", 1, fmt.Sprintf("%s.cardinality has %d entries, at most 1 is allowed", table, len(list)), "keep one [[rule.threshold.cardinality]]")
			valid = false
		}
		for i, c := range list {
			ct := fmt.Sprintf("%s.cardinality[%d]", table, i)
			v.onlyKeys(c, ct, []string{"field", "value"})
			card := Cardinality{Field: v.nonEmptyStr(c, ct, "field", true)}
			n, ok := v.atLeast(c, ct, "value", true, 1)
			valid = valid && ok && card.Field != ""
			card.Value = n
			th.Cardinality = append(th.Cardinality, card)
		}
	} else if _, present := m["cardinality"]; present {
		valid = false
	}
	if valid {
		v.r.Threshold = th
	}
}

// stackBefore reports whether a min_stack_version ("8.19.0") is set and
// older than major.minor.
func stackBefore(version string, major, minor int) bool {
	if version == "" {
		return false
	}
	parts := strings.SplitN(version, ".", 3)
	maj, err := strconv.Atoi(parts[0])
	if err != nil {
		return false
	}
	mnr := 0
	if len(parts) > 1 {
		mnr, _ = strconv.Atoi(parts[1])
	}
	return maj < major || maj == major && mnr < minor
}

// ThresholdSettings is a threshold rule's configuration flattened for the
// engine: at least Value matching events sharing the values of Fields and,
// with a CardinalityField, at least CardinalityValue distinct values of it.
type ThresholdSettings struct {
	Fields           []string
	Value            int
	CardinalityField string
	CardinalityValue int
}

// ThresholdConfig returns the rule's validated threshold (Rule.Threshold)
// flattened, or the reason it has none.
func (r *Rule) ThresholdConfig() (th ThresholdSettings, reason string) {
	if r.Threshold == nil {
		return th, "a threshold rule needs a valid [rule.threshold] table"
	}
	th.Fields = r.Threshold.Field
	th.Value = r.Threshold.Value
	if len(r.Threshold.Cardinality) > 0 {
		th.CardinalityField = r.Threshold.Cardinality[0].Field
		th.CardinalityValue = r.Threshold.Cardinality[0].Value
	}
	return th, ""
}
