package azure

import (
	"fmt"
	"strings"
)

// identityRenames are the properties the identity-protection pipeline
// renames to snake case (the others keep Microsoft's names).
var identityRenames = [][2]string{
	{"isDeleted", "is_deleted"}, {"isGuest", "is_guest"}, {"isProcessing", "is_processing"},
	{"riskType", "risk_type"}, {"riskEventType", "risk_event_type"}, {"riskState", "risk_state"},
	{"riskLevel", "risk_level"}, {"riskDetail", "risk_detail"}, {"userId", "user_id"},
	{"userDisplayName", "user_display_name"}, {"userPrincipalName", "user_principal_name"},
	{"userType", "user_type"}, {"detectionTimingType", "detection_timing_type"}, {"requestId", "request_id"},
	{"correlationId", "correlation_id"}, {"tokenIssuerType", "token_issuer_type"}, {"ipAddress", "ip_address"},
}

// identityDates are the properties the pipeline parses as dates.
var identityDates = [][2]string{
	{"lastUpdatedDateTime", "last_updated_datetime"}, {"riskLastUpdatedDateTime", "risk_last_updated_datetime"},
	{"activityDateTime", "activity_datetime"}, {"detectedDateTime", "detected_datetime"},
}

// Identity maps an Entra ID Identity Protection record (categories
// RiskyUsers and UserRiskEvents) as the integration's
// azure.identity_protection pipeline does: the record under
// azure.identityprotection, the risk properties in snake case, their
// dates reformatted, additionalInfo parsed, the address and the user in
// ECS, then the shared pipeline.
func Identity(rec map[string]any, raw []byte, opts Options) (map[string]any, []string, error) {
	a, _ := copyRecord(rec).(map[string]any)
	if cat, _ := a["category"].(string); cat != "RiskyUsers" && cat != "UserRiskEvents" {
		return nil, nil, fmt.Errorf("not an identity-protection record: category %q is neither RiskyUsers nor UserRiskEvents (Elastic's pipeline drops it)", cat)
	}
	d := begin(IdentityProtection, raw, opts)
	var warnings []string
	if v, ok := take(a, "time"); ok {
		warnings = timestamp(d, v, false)
	}
	resourceID, _ := take(a, "resourceId")
	props := sub(a, "properties")
	ip, hasIP := take(a, "callerIpAddress")
	if !hasIP || ip == nil || ip == "" {
		ip = props["ipAddress"]
	}
	if ip != nil {
		warnings = append(warnings, sourceIP(d, ip, opts.GeoIP, false)...)
		if _, ok := d.get("source.ip"); !ok && hasIP {
			d.set("source.address", ip)
		}
	}
	if v, ok := take(a, "durationMs"); ok {
		if dur, ok := durationValue(v); ok {
			d.set("event.duration", dur)
		}
	}
	rename(a, "operationName", "operation_name")
	if v, ok := a["operation_name"]; ok && v != nil {
		d.set("event.action", mustache(v))
	}
	rename(a, "operationVersion", "operation_version")
	if v, ok := take(a, "tenantId"); ok {
		d.set("azure.tenant_id", v)
	}
	delete(a, "identity")
	delete(a, "Level")
	delete(a, "location")
	rename(a, "resultSignature", "result_signature")
	if v, ok := take(a, "correlationId"); ok {
		d.set("azure.correlation_id", v)
	}
	if props != nil {
		for _, r := range identityRenames {
			rename(props, r[0], r[1])
		}
		for _, r := range identityDates {
			if v, ok := take(props, r[0]); ok {
				if t, ok := isoDate(v); ok {
					props[r[1]] = t
				}
			}
		}
		if s, ok := props["additionalInfo"].(string); ok {
			var parsed any
			if dec(s, &parsed) == nil {
				props["additional_info"] = parsed
				delete(props, "additionalInfo")
			}
		}
		delete(props, "resourceTenantId")
		delete(props, "homeTenantId")
		delete(props, "crossTenantAccessType")
		if v := props["user_id"]; v != nil && v != "" {
			d.set("user.id", mustache(v))
		}
		if v := props["user_principal_name"]; v != nil && v != "" {
			d.set("user.name", mustache(v))
			if n := mustache(v); strings.IndexByte(n, '@') > 0 {
				d.set("user.email", n)
			}
		}
		if v := props["user_display_name"]; v != nil && v != "" {
			d.set("user.full_name", mustache(v))
		}
		for _, f := range []string{"user.id", "user.name", "user.full_name"} {
			if v, ok := d.get(f); ok {
				d.appendUnique("related.user", mustache(v))
			}
		}
	}
	d.set("azure.identityprotection", a)
	shared(d, resourceID)
	return d.m, warnings, nil
}
