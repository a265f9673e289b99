package rule

import "fmt"

// RelatedIntegration is one [[rule.related_integrations]] entry: a Fleet
// package (and optionally one of its integrations) the rule's data comes
// from, with the package versions it works with.
type RelatedIntegration struct {
	Package     string // e.g. "azure"
	Version     string // a semver range, e.g. "^1.0.0"
	Integration string // optional, e.g. "activitylogs"
}

// RequiredField is one [[rule.required_fields]] entry: a field the rule's
// query needs, its type and whether it is an ECS field.
type RequiredField struct {
	Name string
	Type string
	ECS  bool
}

var (
	relatedIntegrationKeys = []string{"package", "version", "integration"}
	requiredFieldKeys      = []string{"name", "type", "ecs"}
)

// relatedIntegrations reads [[rule.related_integrations]].
func (v *validator) relatedIntegrations(t map[string]any) {
	list, ok := v.tableList(t, "rule", "related_integrations")
	if !ok {
		return
	}
	for i, m := range list {
		table := fmt.Sprintf("rule.related_integrations[%d]", i)
		v.onlyKeys(m, table, relatedIntegrationKeys)
		v.r.RelatedIntegrations = append(v.r.RelatedIntegrations, RelatedIntegration{
			Package:     v.nonEmptyStr(m, table, "package", true),
			Version:     v.nonEmptyStr(m, table, "version", true),
			Integration: v.nonEmptyStr(m, table, "integration", false),
		})
	}
}

// requiredFields reads [[rule.required_fields]].
func (v *validator) requiredFields(t map[string]any) {
	list, ok := v.tableList(t, "rule", "required_fields")
	if !ok {
		return
	}
	for i, m := range list {
		table := fmt.Sprintf("rule.required_fields[%d]", i)
		v.onlyKeys(m, table, requiredFieldKeys)
		f := RequiredField{
			Name: v.nonEmptyStr(m, table, "name", true),
			Type: v.nonEmptyStr(m, table, "type", true),
		}
		f.ECS, _ = v.boolean(m, table, "ecs")
		v.r.RequiredFields = append(v.r.RequiredFields, f)
	}
}

// investigationFields reads [rule.investigation_fields] field_names.
func (v *validator) investigationFields(t map[string]any) {
	const table = "rule.investigation_fields"
	if _, isArr := t["investigation_fields"].([]any); isArr {
		v.errKey("rule", "investigation_fields", "rule.investigation_fields must be a table with field_names, not an array",
			"write investigation_fields = {field_names = [...]} (the list form is Kibana 8.10's)")
		return
	}
	m, ok := v.subTable(t, "rule", "investigation_fields")
	if !ok {
		return
	}
	v.onlyKeys(m, table, []string{"field_names"})
	names, ok := v.fieldList(m, table, "field_names", false)
	if !ok {
		return
	}
	if len(names) == 0 {
		if _, present := m["field_names"]; present {
			v.errKey(table, "field_names", table+".field_names is empty", "name at least one field, or remove [rule.investigation_fields]")
		} else {
			v.missing(table, "field_names", `e.g. field_names = ["user.name", "source.ip"]`)
		}
		return
	}
	v.r.InvestigationFields = names
}
