package rule

import "fmt"

// RiskScoreMapping is one [[rule.risk_score_mapping]] entry: the alert's
// risk score is read from Field of the event (Kibana uses the first entry
// only; Value is "" in practice).
type RiskScoreMapping struct {
	Field     string
	Operator  string // always "equals"
	Value     string
	RiskScore *int // optional, 0 to 100
}

// SeverityMapping is one [[rule.severity_mapping]] entry: an alert whose
// event has Value in Field gets Severity instead of the rule's severity.
type SeverityMapping struct {
	Field    string
	Operator string // always "equals"
	Value    string
	Severity string // low, medium, high or critical
}

var (
	riskScoreMappingKeys = []string{"field", "operator", "value", "risk_score"}
	severityMappingKeys  = []string{"field", "operator", "value", "severity"}
	severities           = []string{"low", "medium", "high", "critical"}
)

// riskScoreMapping reads [[rule.risk_score_mapping]].
func (v *validator) riskScoreMapping(t map[string]any) {
	list, ok := v.tableList(t, "rule", "risk_score_mapping")
	if !ok {
		return
	}
	for i, m := range list {
		table := fmt.Sprintf("rule.risk_score_mapping[%d]", i)
		v.onlyKeys(m, table, riskScoreMappingKeys)
		rm := RiskScoreMapping{
			Field:    v.nonEmptyStr(m, table, "field", true),
			Operator: v.enum(m, table, "operator", true, "equals"),
			Value:    v.str(m, table, "value", true),
		}
		if n, ok := v.integer(m, table, "risk_score", false); ok {
			if n < 0 || n > 100 {
				v.errKey(table, "risk_score", fmt.Sprintf("%s.risk_score = %d is out of range", table, n), "use 0 to 100")
			} else {
				rm.RiskScore = &n
			}
		}
		v.r.RiskScoreMapping = append(v.r.RiskScoreMapping, rm)
	}
}

// severityMapping reads [[rule.severity_mapping]].
func (v *validator) severityMapping(t map[string]any) {
	list, ok := v.tableList(t, "rule", "severity_mapping")
	if !ok {
		return
	}
	for i, m := range list {
		table := fmt.Sprintf("rule.severity_mapping[%d]", i)
		v.onlyKeys(m, table, severityMappingKeys)
		v.r.SeverityMapping = append(v.r.SeverityMapping, SeverityMapping{
			Field:    v.nonEmptyStr(m, table, "field", true),
			Operator: v.enum(m, table, "operator", true, "equals"),
			Value:    v.str(m, table, "value", true),
			Severity: v.enum(m, table, "severity", true, severities...),
		})
	}
}
