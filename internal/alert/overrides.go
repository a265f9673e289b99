package alert

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// SeverityMapping is one severity_mapping entry: when the event's Field
// equals Value, the alert's severity is Severity.
type SeverityMapping struct {
	Field, Value, Severity string
}

// Overrides are a rule's per-alert overrides of severity, risk score and
// name, computed from the event (spec §5). Zero values override nothing.
type Overrides struct {
	SeverityMapping []SeverityMapping
	// RiskScoreField is the field of the first risk_score_mapping entry
	// (Kibana uses only the first).
	RiskScoreField string
	// RuleNameOverride names a field whose string value replaces the rule
	// name in the alert.
	RuleNameOverride string
}

var severityRank = map[string]int{"low": 0, "medium": 1, "high": 2, "critical": 3}

// severity returns the mapped severity, or def. Entries are tried in
// order of their severity, low to critical, and the last match wins: the
// highest matching severity.
func (o *Overrides) severity(doc map[string]any, def string) string {
	best, bestRank := def, -1
	for _, m := range o.SeverityMapping {
		rank, ok := severityRank[m.Severity]
		if !ok || rank < bestRank {
			continue
		}
		v, ok := Lookup(doc, m.Field)
		if !ok {
			continue
		}
		if anyValue(v, func(x any) bool { return severityEquals(m.Field, x, m.Value) }) {
			best, bestRank = m.Severity, rank
		}
	}
	return best
}

// severityEquals compares one event value with a mapping value as Kibana
// does: for event.severity, safe integers against floor(Number(value));
// for other fields, strings and safe integers as text.
func severityEquals(field string, x any, value string) bool {
	if field == "event.severity" {
		n, ok := safeInteger(x)
		if !ok {
			return false
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return false
		}
		return n == math.Floor(f)
	}
	switch t := x.(type) {
	case string:
		return t == value
	default:
		n, ok := safeInteger(x)
		return ok && strconv.FormatFloat(n, 'f', -1, 64) == value
	}
}

// riskScore returns the highest candidate of the mapped field (finite
// numbers in [0,100], or strings parsing to such numbers as JavaScript's
// Number() does), or def.
func (o *Overrides) riskScore(doc map[string]any, def int) int {
	if o.RiskScoreField == "" {
		return def
	}
	v, ok := Lookup(doc, o.RiskScoreField)
	if !ok {
		return def
	}
	best, found := 0.0, false
	anyValue(v, func(x any) bool {
		var n float64
		switch t := x.(type) {
		case string:
			s := strings.TrimSpace(t)
			if s == "" {
				n = 0 // Number("") is 0
			} else if f, err := strconv.ParseFloat(s, 64); err == nil {
				n = f
			} else {
				return false
			}
		default:
			f, ok := number(x)
			if !ok {
				return false
			}
			n = f
		}
		if math.IsNaN(n) || math.IsInf(n, 0) || n < 0 || n > 100 {
			return false
		}
		if !found || n > best {
			best, found = n, true
		}
		return false
	})
	if !found {
		return def
	}
	return int(best)
}

// ruleName returns the override field's string value, or def.
func (o *Overrides) ruleName(doc map[string]any, def string) string {
	if o.RuleNameOverride == "" {
		return def
	}
	if s, ok := func() (string, bool) {
		v, ok := Lookup(doc, o.RuleNameOverride)
		if !ok {
			return "", false
		}
		s, ok := v.(string)
		return s, ok && s != ""
	}(); ok {
		return s
	}
	return def
}

// anyValue calls fn on v, or on each element when v is an array, and
// reports whether fn returned true for one.
func anyValue(v any, fn func(any) bool) bool {
	if arr, ok := v.([]any); ok {
		for _, x := range arr {
			if fn(x) {
				return true
			}
		}
		return false
	}
	return fn(v)
}

func number(x any) (float64, bool) {
	switch t := x.(type) {
	case float64:
		return t, true
	case int:
		return float64(t), true
	case int64:
		return float64(t), true
	case json.Number:
		f, err := t.Float64()
		return f, err == nil
	}
	return 0, false
}

func safeInteger(x any) (float64, bool) {
	n, ok := number(x)
	if !ok || n != math.Trunc(n) || math.Abs(n) > 1<<53-1 {
		return 0, false
	}
	return n, true
}

// Headline returns the rule name, severity and risk score an alert
// document shows (after overrides).
func Headline(doc map[string]any) (ruleName, severity string, riskScore int) {
	ruleName, _ = doc["kibana.alert.rule.name"].(string)
	severity, _ = doc["kibana.alert.severity"].(string)
	if n, ok := number(doc["kibana.alert.risk_score"]); ok {
		riskScore = int(n)
	}
	return ruleName, severity, riskScore
}
