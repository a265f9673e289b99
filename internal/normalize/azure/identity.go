package azure

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
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

// identityTopRenames are the keys of the record the pipeline renames.
var identityTopRenames = [][2]string{
	{"operationName", "operation_name"}, {"operationVersion", "operation_version"}, {"resultSignature", "result_signature"},
}

var (
	identityRenameSet     = newRenameSet(identityRenames)
	identityTopRenameSet  = newRenameSet(identityTopRenames)
	identityRenameKeys    = renameKeys(identityRenames)
	identityTopRenameKeys = renameKeys(identityTopRenames)
)

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

// identity is Identity written from the record's bytes (AppendStream).
func (f *fastDoc) identity(opts Options) bool {
	var plain xform
	top, ok := f.record(plain)
	if !ok {
		return false
	}
	if cat, ok := f.stringOf(top, wCategory); !ok || cat != "RiskyUsers" && cat != "UserRiskEvents" {
		return false // the pipeline drops it: an error, from the general path
	}
	if f.clash(top, identityTopRenameKeys) {
		return false // a renamed key meeting its new name: map order decides
	}
	f.begin(IdentityProtection, opts, false)
	if v, ok := f.find(top, "time"); ok && !f.putTimestamp(v) {
		return false
	}
	props, hasProps, ok := f.properties(top, plain)
	if !ok {
		return false
	}
	relIP := f.related(0, "related.ip", false)
	// The address: callerIpAddress, else (absent, null or "") the
	// property ipAddress; source.address keeps callerIpAddress when it is
	// no address.
	ip, hasIP := f.find(top, "callerIpAddress")
	if !hasIP || f.isEmpty(ip) {
		var has bool
		if ip, has = f.find(props, "ipAddress"); !has {
			ip = span{-1, -1}
		}
	}
	if ip.s >= 0 && !f.isNull(ip) {
		ipSet := false
		if f.raw[ip.s] == '"' {
			if s, _ := f.str(ip, true); s != "" {
				f.sourceIP(s, relIP)
				ipSet = len(relIP.vals) > 0
			}
		} else {
			f.putValue("source.address", ip, plain)
		}
		if !ipSet && hasIP {
			f.putValue("source.address", ip, plain)
		}
	}
	if v, ok := f.find(top, "durationMs"); ok && !f.putDuration(v) {
		return false
	}
	// Read after the rename: either spelling (both: declined above).
	if _, ok := f.findK(top, wOperationNameCamel); ok && !f.putAction(top, wOperationNameCamel, false) ||
		!ok && !f.putAction(top, wOperationName, false) {
		return false
	}
	tn, ok := f.putTenantAndCorrelation(top, wTenantIDCamel, wCorrelationIDCamel, plain)
	if !ok {
		return false
	}
	relUser := f.related(1, "related.user", false)
	if hasProps {
		if f.clash(props, identityRenameKeys) {
			return false
		}
		for _, r := range identityDates {
			_, to := f.find(props, r[1])
			if to {
				return false
			}
		}
		if _, ok := f.find(props, "additional_info"); ok {
			return false
		}
		var userID, userName, fullName string
		hasID, hasName, hasFull := false, false, false
		if v, ok := f.findEither(props, "userId", "user_id"); ok && !f.isEmpty(v) {
			if userID, ok = f.mustache(v); !ok {
				return false
			}
			hasID = true
			f.putString("user.id", userID)
		}
		if v, ok := f.findEither(props, "userPrincipalName", "user_principal_name"); ok && !f.isEmpty(v) {
			if userName, ok = f.mustache(v); !ok {
				return false
			}
			hasName = true
			f.putString("user.name", userName)
			if strings.IndexByte(userName, '@') > 0 {
				f.putString("user.email", userName)
			}
		}
		if v, ok := f.findEither(props, "userDisplayName", "user_display_name"); ok && !f.isEmpty(v) {
			if fullName, ok = f.mustache(v); !ok {
				return false
			}
			hasFull = true
			f.putString("user.full_name", fullName)
		}
		relUser.addIf(userID, hasID)
		relUser.addIf(userName, hasName)
		relUser.addIf(fullName, hasFull)
	}
	f.putRelated(relIP, true)
	f.putRelated(relUser, false)

	// azure.identityprotection: the record, renamed, without what went to
	// ECS or was dropped.
	const root = "azure.identityprotection."
	for _, m := range top.ms {
		key := m.key
		switch key {
		case "time", "resourceId", "callerIpAddress", "durationMs", "tenantId", "identity", "Level", "location", "correlationId":
			continue
		case "properties":
			if hasProps {
				continue
			}
		}
		key = identityTopRenameSet.of(key)
		if !f.putValueKey(root, key, m.v, plain) {
			return false
		}
	}
	if hasProps {
		const prefix = root + "properties."
		n := 0
		for _, m := range props.ms {
			key := m.key
			switch key {
			case "resourceTenantId", "homeTenantId", "crossTenantAccessType":
				continue
			case "additionalInfo":
				if f.raw[m.v.s] == '"' {
					n++
					if !f.parsedString(prefix, "additional_info", m.v) {
						return false
					}
					continue
				}
			}
			if date, ok := identityDate(key); ok {
				s, _ := f.str(m.v, f.raw[m.v.s] == '"')
				t, ok := isoDate(any(s))
				if f.raw[m.v.s] != '"' || !ok {
					continue // not a date: the step drops it
				}
				n++
				at := len(f.arena)
				f.arena = appendJSONString(f.arena, t)
				f.putKey(prefix, date, at, false)
				continue
			}
			n++
			if !f.putValueKey(prefix, identityRenameSet.of(key), m.v, plain) {
				return false
			}
		}
		if n == 0 {
			f.putEmptyObject(root + "properties")
		}
	}
	rid, hasRID := f.find(top, "resourceId")
	return f.sharedFast(rid, hasRID, tn.value, tn.set, tn.isString, false)
}

// identityDate returns the new name of a date property.
func identityDate(key string) (string, bool) {
	for _, d := range identityDates {
		if d[0] == key {
			return d[1], true
		}
	}
	return "", false
}

// parsedString puts a string of the record that holds a JSON text (such
// as additionalInfo), parsed, as the field prefix+key; false when the
// text is not exactly one JSON value (the general path decides).
func (f *fastDoc) parsedString(prefix, key string, v span) bool {
	s, ok := f.str(v, true)
	if !ok {
		return false
	}
	text := []byte(s)
	if !json.Valid(text) || !utf8.Valid(text) {
		return false
	}
	saved := f.raw
	f.raw = text
	at := len(f.arena)
	i := skipWS(text, 0)
	f.arena = f.canon(f.arena, span{i, valueEnd(text, i)})
	f.raw = saved
	f.putKey(prefix, key, at, false)
	return true
}
