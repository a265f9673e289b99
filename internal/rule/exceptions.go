package rule

import "fmt"

// ExceptionListRef links a rule to an exception container, one entry of
// rule.exceptions_list. The container's items live in Kibana (its lists
// API); the rule file only names them.
type ExceptionListRef struct {
	ID            string // the container's saved-object id
	ListID        string // the container's list_id
	NamespaceType string // "single" (one space) or "agnostic" (all spaces)
	Type          string // "detection", "endpoint" or "rule_default"
}

var exceptionRefKeys = []string{"id", "list_id", "namespace_type", "type"}

// exceptionsList reads [[rule.exceptions_list]].
func (v *validator) exceptionsList(t map[string]any) {
	list, ok := v.tableList(t, "rule", "exceptions_list")
	if !ok {
		return
	}
	for i, m := range list {
		table := fmt.Sprintf("rule.exceptions_list[%d]", i)
		v.onlyKeys(m, table, exceptionRefKeys)
		v.r.ExceptionsList = append(v.r.ExceptionsList, ExceptionListRef{
			ID:            v.nonEmptyStr(m, table, "id", true),
			ListID:        v.nonEmptyStr(m, table, "list_id", true),
			NamespaceType: v.enum(m, table, "namespace_type", true, "single", "agnostic"),
			Type:          v.enum(m, table, "type", true, "detection", "endpoint", "rule_default"),
		})
	}
}
