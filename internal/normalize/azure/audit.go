package azure

import (
	"fmt"
	"strconv"
	"strings"
)

// Audit maps an Entra ID audit record (category AuditLogs) as the
// integration's azure.auditlogs pipeline does: the record under
// azure.auditlogs with its top-level and main property names in snake
// case (initiatedBy's content keeps Microsoft's names), target resources
// and their modified properties as objects keyed by position ("0", "1",
// ...), the caller's address, the result as outcome, related entities,
// then the shared pipeline.
func Audit(rec map[string]any, raw []byte, opts Options) (map[string]any, []string, error) {
	a, _ := copyRecord(rec).(map[string]any)
	if cat, _ := a["category"].(string); cat != "AuditLogs" {
		return nil, nil, fmt.Errorf("not an audit record: category %q is not AuditLogs (Elastic's pipeline drops it)", cat)
	}
	d := begin(AuditLogs, raw, opts)
	var warnings []string
	if v, ok := take(a, "time"); ok {
		warnings = timestamp(d, v, false)
	}
	resourceID, _ := take(a, "resourceId")
	if v, ok := take(a, "durationMs"); ok {
		if dur, ok := durationValue(v); ok {
			d.set("event.duration", dur)
		}
	}
	props := sub(a, "properties")
	if props != nil {
		if r, ok := props["result"].(string); ok {
			if l := strings.ToLower(r); l == "success" || l == "failure" {
				delete(props, "result")
				d.set("event.outcome", r)
			}
		}
	}
	if v, ok := take(a, "level"); ok {
		d.set("log.level", v)
	}
	if v, ok := a["operationName"]; ok && v != nil {
		d.set("event.action", mustache(v))
	}
	rename(a, "operationName", "operation_name")
	rename(a, "resultSignature", "result_signature")
	rename(a, "operationVersion", "operation_version")
	rename(a, "resultType", "result_type")
	rename(a, "resultDescription", "result_description")
	if v, ok := take(a, "tenantId"); ok {
		d.set("azure.tenant_id", v)
	}
	if v, ok := take(a, "correlationId"); ok {
		d.set("azure.correlation_id", v)
	}
	if ip, ok := a["callerIpAddress"]; ok {
		warnings = append(warnings, sourceIP(d, ip, opts.GeoIP, false)...)
		if _, isIP := d.get("source.ip"); isIP {
			delete(a, "callerIpAddress")
		} else if _, addr := d.get("source.address"); addr {
			delete(a, "callerIpAddress")
		}
	}
	rename(a, "Level", "level")
	d.set("related.entity", []any{})
	if props != nil {
		rename(props, "activityDisplayName", "activity_display_name")
		rename(props, "activityDateTime", "activity_datetime")
		rename(props, "additionalDetails", "additional_details")
		rename(props, "resultReason", "result_reason")
		rename(props, "correlationId", "correlation_id")
		rename(props, "loggedByService", "logged_by_service")
		rename(props, "operationType", "operation_type")
		if ib, ok := take(props, "initiatedBy"); ok {
			dropNulls(ib)
			props["initiated_by"] = ib
			if m, ok := ib.(map[string]any); ok {
				if v := mustache(sub(m, "app")["servicePrincipalId"]); v != "" {
					d.appendUnique("related.entity", v)
				}
				if v := mustache(sub(m, "user")["id"]); v != "" {
					d.appendUnique("related.entity", v)
				}
			}
		}
		if props["userAgent"] == nil {
			delete(props, "userAgent")
		}
		if list, ok := take(props, "targetResources"); ok {
			if l, ok := list.([]any); ok {
				tr := map[string]any{}
				for i, x := range l {
					t, _ := x.(map[string]any)
					o := map[string]any{}
					if t["displayName"] != nil {
						o["display_name"] = t["displayName"]
					}
					if t["id"] != nil {
						o["id"] = t["id"]
						if v := mustache(t["id"]); v != "" {
							d.appendUnique("related.entity", v)
						}
					}
					if t["type"] != nil {
						o["type"] = t["type"]
					}
					if t["ipAddress"] != nil {
						o["ip_address"] = t["ipAddress"]
					}
					if t["userPrincipalName"] != nil {
						o["user_principal_name"] = t["userPrincipalName"]
					}
					mp := map[string]any{}
					if ml, ok := t["modifiedProperties"].([]any); ok {
						for j, y := range ml {
							p, _ := y.(map[string]any)
							po := map[string]any{}
							if p["displayName"] != nil {
								po["display_name"] = p["displayName"]
							}
							if p["newValue"] != nil {
								po["new_value"] = p["newValue"]
							}
							if p["oldValue"] != nil {
								po["old_value"] = p["oldValue"]
							}
							mp[strconv.Itoa(j)] = po
						}
					}
					o["modified_properties"] = mp
					tr[strconv.Itoa(i)] = o
				}
				props["target_resources"] = tr
			} else {
				props["targetResources"] = list
			}
		}
	}
	d.set("azure.auditlogs", a)
	shared(d, resourceID)
	return d.m, warnings, nil
}

// dropNulls removes null values from maps, recursively.
func dropNulls(x any) {
	switch t := x.(type) {
	case map[string]any:
		for k, v := range t {
			if v == nil {
				delete(t, k)
				continue
			}
			dropNulls(v)
		}
	case []any:
		for _, v := range t {
			dropNulls(v)
		}
	}
}
