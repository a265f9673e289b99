package azure

import (
	"strings"
)

// restResult shortens the REST status values to the resultType values of
// the resource-log schema.
var restResult = map[string]string{
	"Started": "Start", "Accepted": "Accept", "Succeeded": "Success", "Failed": "Failure",
	"Active": "Active", "Resolved": "Resolved", "In Progress": "InProgress", "Updated": "Updated",
}

// fromREST rewrites an Activity Log REST record (`az monitor activity-log
// list`, the portal's JSON export, Get-AzLog) into the resource-log schema
// of diagnostic-settings exports, following Microsoft's mapping between the
// two. The operation name and the resource id are upper-cased, as the
// Event Hub export presents ARM operations and as Elastic's rules are
// written; see docs/azure.md.
func fromREST(r map[string]any) map[string]any {
	out := map[string]any{}
	val := func(k string) (string, bool) {
		switch t := r[k].(type) {
		case string:
			return t, true
		case map[string]any:
			s, ok := t["value"].(string)
			return s, ok
		}
		return "", false
	}
	if s, ok := val("operationName"); ok {
		out["operationName"] = strings.ToUpper(s)
	}
	if s, ok := val("resourceId"); ok {
		out["resourceId"] = upperResourceID(s)
	}
	if s, ok := val("eventTimestamp"); ok {
		out["time"] = s
	}
	if s, ok := val("status"); ok {
		if short, ok := restResult[s]; ok {
			s = short
		}
		out["resultType"] = s
	}
	if s, ok := val("subStatus"); ok && s != "" {
		out["resultSignature"] = s
	}
	if s, ok := val("category"); ok {
		out["category"] = s
	}
	if s, ok := val("level"); ok {
		out["level"] = s
	}
	if s, ok := val("correlationId"); ok {
		out["correlationId"] = s
	}
	if s, ok := val("tenantId"); ok && s != "" {
		out["tenantId"] = s
	}
	if s, ok := val("description"); ok && s != "" {
		out["resultDescription"] = s
	}
	if h, ok := r["httpRequest"].(map[string]any); ok {
		if ip, ok := h["clientIpAddress"].(string); ok {
			out["callerIpAddress"] = ip
		}
	}
	id := map[string]any{}
	if a, ok := r["authorization"].(map[string]any); ok {
		id["authorization"] = a
	}
	if c, ok := r["claims"].(map[string]any); ok {
		id["claims"] = c
	}
	if len(id) > 0 {
		out["identity"] = id
	}
	props := map[string]any{}
	if p, ok := r["properties"].(map[string]any); ok {
		for k, v := range p {
			props[k] = v
		}
	}
	if s, ok := val("category"); ok {
		props["eventCategory"] = s
	}
	if len(props) > 0 {
		out["properties"] = props
	}
	out["durationMs"] = "0"
	return out
}

// upperResourceID upper-cases a resource id the way the Event Hub export
// does: everything but the subscription GUID, whose case is kept.
func upperResourceID(s string) string {
	parts := strings.Split(s, "/")
	for i, p := range parts {
		if i > 0 && strings.EqualFold(parts[i-1], "subscriptions") {
			continue
		}
		parts[i] = strings.ToUpper(p)
	}
	return strings.Join(parts, "/")
}
