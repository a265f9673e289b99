package azure

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// SignIn maps an Entra ID sign-in record (categories SignInLogs,
// NonInteractiveUserSignInLogs, ServicePrincipalSignInLogs,
// ManagedIdentitySignInLogs) as the integration's azure.signinlogs
// pipeline does: keys in snake case under azure.signinlogs, the sign-in's
// createdDateTime as @timestamp, the client address, the user, the
// status as outcome and message, related entities, then the shared
// pipeline, and empty values dropped.
func SignIn(rec map[string]any, raw []byte, opts Options) (map[string]any, []string, error) {
	s, _ := snakeKeys(copyRecord(rec), false).(map[string]any)
	cat, _ := s["category"].(string)
	if !strings.HasSuffix(cat, "SignInLogs") {
		return nil, nil, fmt.Errorf("not a sign-in record: category %q does not end in SignInLogs (Elastic's pipeline drops it)", cat)
	}
	d := begin(SignInLogs, raw, opts)
	d.set("event.category", []any{"authentication"})
	d.set("event.type", []any{"info"})
	props := sub(s, "properties")

	if s["time"] == nil {
		if v, ok := take(s, "created_date_time"); ok {
			s["time"] = v
		}
	}
	if v := props["created_date_time"]; v != nil && v != "" {
		s["time"] = v
	}
	var warnings []string
	if v, ok := take(s, "time"); ok {
		warnings = timestamp(d, v, true)
	}
	resourceID, _ := take(s, "resource_id")

	addr := ""
	if props != nil {
		for _, k := range []string{"ipaddress", "ip_address"} {
			if a := mustache(props[k]); addr == "" && a != "" {
				addr = a
			}
			delete(props, k)
		}
	}
	if addr != "" {
		d.set("source.address", addr)
		warnings = append(warnings, sourceIPOnly(d, addr, opts)...)
	}
	if v, ok := take(s, "level"); ok && v != nil {
		d.set("log.level", mustache(v))
	}
	if v, ok := take(s, "duration_ms"); ok {
		if dur, ok := durationValue(v); ok {
			d.set("event.duration", dur)
		}
	}
	if v, ok := take(s, "location"); ok {
		d.set("geo.country_iso_code", v)
	}
	if v, ok := s["operation_name"]; ok && v != nil {
		d.set("event.action", mustache(v))
	}
	if v, ok := take(s, "tenant_id"); ok {
		d.set("azure.tenant_id", v)
	}
	if v, ok := take(s, "correlation_id"); ok {
		d.set("azure.correlation_id", v)
	}
	outcome := "success"
	if props != nil {
		rename(props, "created_date_time", "created_at")
		rename(props, "processing_time_in_milliseconds", "processing_time_ms")
		rename(props, "risk_level_during_sign_in", "risk_level_during_signin")
		if st := sub(props, "status"); st != nil {
			reason, r := st["failure_reason"].(string)
			details, dt := st["additional_details"].(string)
			switch {
			case r && dt:
				d.set("message", reason+" ("+details+")")
			case r:
				d.set("message", reason)
			case dt:
				d.set("message", details)
			}
			delete(st, "failure_reason")
			delete(st, "additional_details")
			if n, ok := st["error_code"].(json.Number); ok {
				if f, err := n.Float64(); err == nil && f != 0 {
					outcome = ""
					if f > 0 {
						outcome = "failure"
					}
				}
			}
		}
		if loc := sub(props, "location"); loc != nil {
			if v, ok := loc["city"]; ok {
				d.set("geo.city_name", v)
			}
			if v, ok := loc["state"]; ok {
				d.set("geo.region_name", v)
			}
			if gc := sub(loc, "geo_coordinates"); gc != nil {
				if v, ok := gc["latitude"]; ok {
					d.set("geo.location.lat", v)
				}
				if v, ok := gc["longitude"]; ok {
					d.set("geo.location.lon", v)
				}
			}
		}
		delete(props, "location")
		if list, ok := props["authentication_processing_details"].([]any); ok {
			m := map[string]any{}
			for _, it := range list {
				if kv, ok := it.(map[string]any); ok {
					m[mustache(kv["key"])] = kv["value"]
				}
			}
			props["authentication_processing_details"] = m
		}
	}
	if outcome != "" {
		d.set("event.outcome", outcome)
	}
	if props != nil {
		if id := mustache(props["id"]); id != "" {
			d.set("event.id", id)
		}
		if v := props["user_principal_name"]; v != nil && v != "" {
			d.set("user.name", v)
			if n, ok := v.(string); ok && strings.IndexByte(n, '@') > 0 {
				d.set("user.email", n)
			}
		}
		if v := props["user_display_name"]; v != nil {
			d.set("user.full_name", mustache(v))
		}
		if props["user_id"] == nil {
			delete(props, "user_id")
		} else {
			d.set("user.id", mustache(props["user_id"]))
		}
		for _, f := range []string{"user.id", "user.name", "user.full_name"} {
			if v, ok := d.get(f); ok {
				d.appendUnique("related.user", mustache(v))
			}
		}
		if ua, ok := take(props, "user_agent"); ok {
			d.set("user_agent.original", ua)
		}
		for _, k := range []string{"app_id", "resource_id"} {
			if v := mustache(props[k]); v != "" {
				d.appendUnique("related.entity", v)
			}
		}
		if v := props["service_principal_name"]; v != nil && v != "" {
			d.set("service.name", v)
		}
		for _, k := range []string{"service_principal_id", "service_principal_credential_key_id", "user_id"} {
			if v := mustache(props[k]); v != "" {
				d.appendUnique("related.entity", v)
			}
		}
		if dd := sub(props, "device_detail"); dd != nil {
			if v := mustache(dd["device_id"]); v != "" {
				d.appendUnique("related.entity", v)
			}
		}
	}
	d.set("azure.signinlogs", s)
	shared(d, resourceID)
	compact(d.m)
	return d.m, warnings, nil
}

// sourceIPOnly is sourceIP for the sign-in pipeline, which takes the
// address from source.address (already set) and enriches source.geo and
// source.as only.
func sourceIPOnly(d doc0, addr string, opts Options) []string {
	w := sourceIP(d, addr, opts.GeoIP, false)
	if _, ok := d.get("source.ip"); !ok {
		d.set("source.address", addr)
	}
	return w
}

// rename moves m[from] to m[to] when present.
func rename(m map[string]any, from, to string) {
	if v, ok := m[from]; ok {
		delete(m, from)
		m[to] = v
	}
}

// signIn is SignIn written from the record's bytes (AppendStream).
func (f *fastDoc) signIn(opts Options) bool {
	t := xform{snake: true, compact: true}
	top, ok := f.record(t)
	if !ok {
		return false
	}
	if cat, ok := f.stringOf(top, wCategory); !ok || !strings.HasSuffix(cat, "SignInLogs") {
		return false // the pipeline drops it: an error, from the general path
	}
	f.begin(SignInLogs, opts, false)
	// Constants of the stream: the shape's plan holds them (putLit).
	f.putLit("event.category", `["authentication"]`)
	f.putLit("event.type", `["info"]`)
	props, hasProps, ok := f.properties(top, t)
	if !ok {
		return false
	}

	timeV, hasTime := f.findK(top, wTime)
	takeCreated := false
	if !hasTime || f.isNull(timeV) {
		if v, ok := f.findK(top, wCreatedDateTime); ok {
			timeV, hasTime, takeCreated = v, true, true
		}
	}
	if v, ok := f.findK(props, wCreatedDateTime); ok && !f.isEmpty(v) {
		timeV, hasTime = v, true
	}
	if hasTime && !f.putTimestamp(timeV) {
		return false
	}
	addr := ""
	for _, k := range [...]wkey{wIPAddress, wIPAddressSnake} {
		v, ok := f.findK(props, k)
		if !ok {
			continue
		}
		a, ok := f.mustache(v)
		if !ok {
			return false
		}
		if addr == "" && a != "" {
			addr = a
		}
	}
	relIP := f.related(0, "related.ip", false)
	if addr != "" {
		f.putString("source.address", addr)
		f.sourceIP(addr, relIP)
	}
	if v, ok := f.findK(top, wLevel); ok && !f.isNull(v) {
		s, ok := f.mustache(v)
		if !ok {
			return false
		}
		f.plainScalar(v)
		f.putNonEmpty("log.level", s)
	}
	if v, ok := f.findK(top, wDurationMs); ok && !f.putDuration(v) {
		return false
	}
	if v, ok := f.findK(top, wLocation); ok && !f.putValue("geo.country_iso_code", v, t) {
		return false
	}
	if !f.putAction(top, wOperationName, true) {
		return false
	}
	tn, ok := f.putTenantAndCorrelation(top, wTenantID, wCorrelationID, t)
	if !ok {
		return false
	}
	outcome := "success"
	var status obj
	hasStatus := false
	if hasProps {
		// Renamed keys must not meet their new names: map order decides.
		if f.clash(props, signInRenameKeys) {
			return false
		}
		if v, ok := f.findK(props, wStatus); ok && f.raw[v.s] == '{' {
			if status, ok = f.object(v, t); !ok {
				return false
			}
			hasStatus = true
			rv, r := f.findK(status, wFailureReason)
			dv, dt := f.findK(status, wAdditionalDetails)
			reason, r := f.str(rv, r && f.raw[rv.s] == '"')
			details, dt := f.str(dv, dt && f.raw[dv.s] == '"')
			switch {
			case r && dt:
				f.putString("message", reason+" ("+details+")")
			case r:
				f.putNonEmpty("message", reason)
			case dt:
				f.putNonEmpty("message", details)
			}
			if v, ok := f.findK(status, wErrorCode); ok {
				if n, isNum := f.number(v); isNum {
					if x, err := strconv.ParseFloat(n, 64); err == nil && x != 0 {
						outcome = ""
						if x > 0 {
							outcome = "failure"
						}
					}
				}
			}
		}
		if v, ok := f.findK(props, wLocation); ok && f.raw[v.s] == '{' {
			loc, ok := f.object(v, t)
			if !ok {
				return false
			}
			if v, ok := f.findK(loc, wCity); ok && !f.putValue("geo.city_name", v, t) {
				return false
			}
			if v, ok := f.findK(loc, wState); ok && !f.putValue("geo.region_name", v, t) {
				return false
			}
			if v, ok := f.findK(loc, wGeoCoordinates); ok && f.raw[v.s] == '{' {
				gc, ok := f.object(v, t)
				if !ok {
					return false
				}
				if v, ok := f.findK(gc, wLatitude); ok && !f.putValue("geo.location.lat", v, t) {
					return false
				}
				if v, ok := f.findK(gc, wLongitude); ok && !f.putValue("geo.location.lon", v, t) {
					return false
				}
			}
		}
	}
	switch outcome {
	case "success":
		f.putJSON("event.outcome", `"success"`)
	case "failure":
		f.putJSON("event.outcome", `"failure"`)
	}
	relUser := f.related(1, "related.user", false)
	relEntity := f.related(2, "related.entity", false)
	if hasProps {
		if v, ok := f.findK(props, wID); ok {
			id, ok := f.mustache(v)
			if !ok {
				return false
			}
			f.putNonEmpty("event.id", id)
		}
		var userID, userName, fullName string
		hasID, hasName, hasFull := false, false, false
		if v, ok := f.findK(props, wUserPrincipalName); ok && !f.isEmpty(v) {
			if userName, ok = f.mustache(v); !ok {
				return false
			}
			hasName = true
			f.putValue("user.name", v, t)
			if f.raw[v.s] == '"' && strings.IndexByte(userName, '@') > 0 {
				f.putString("user.email", userName)
			}
		}
		if v, ok := f.findK(props, wUserDisplayName); ok && !f.isNull(v) {
			if fullName, ok = f.mustache(v); !ok {
				return false
			}
			hasFull = true
			f.putNonEmpty("user.full_name", fullName)
		}
		userIDV, hasUserID := f.findK(props, wUserID)
		if hasUserID && !f.isNull(userIDV) {
			if userID, ok = f.mustache(userIDV); !ok {
				return false
			}
			hasID = true
			f.putNonEmpty("user.id", userID)
		}
		relUser.addIf(userID, hasID)
		relUser.addIf(userName, hasName)
		relUser.addIf(fullName, hasFull)
		if v, ok := f.findK(props, wUserAgent); ok && !f.putValue("user_agent.original", v, t) {
			return false
		}
		for _, k := range [...]wkey{wAppID, wResourceID} {
			if !f.addMustacheK(relEntity, props, k) {
				return false
			}
		}
		if v, ok := f.findK(props, wServicePrincipalName); ok && !f.isEmpty(v) && !f.putValue("service.name", v, t) {
			return false
		}
		for _, k := range [...]wkey{wServicePrincipalID, wServicePrincipalCredentialKeyID, wUserID} {
			if !f.addMustacheK(relEntity, props, k) {
				return false
			}
		}
		if v, ok := f.findK(props, wDeviceDetail); ok && f.raw[v.s] == '{' {
			dd, ok := f.object(v, t)
			if !ok || !f.addMustacheK(relEntity, dd, wDeviceID) {
				return false
			}
		}
	}
	f.putRelated(relIP, true)
	f.putRelated(relUser, true)
	f.putRelated(relEntity, true)

	// azure.signinlogs: the record in snake case, without what went to ECS.
	for i := range top.ms {
		m := &top.ms[i]
		switch m.key {
		case "time", "resource_id", "level", "duration_ms", "location", "tenant_id", "correlation_id":
			continue
		case "created_date_time":
			if takeCreated {
				continue
			}
		case "properties":
			if hasProps {
				continue
			}
		}
		// The commonest value, the record's text as it is, put here
		// without putValueKey's call (recValue inlined).
		if f.recValue(m.v) {
			f.putRecKey("azure.signinlogs.", m.key, m.v.s, m.v.e)
		} else if !f.putValueKey("azure.signinlogs.", m.key, m.v, t) {
			return false
		}
	}
	if hasProps {
		const prefix = "azure.signinlogs.properties."
		for i := range props.ms {
			m := &props.ms[i]
			key := m.key
			switch key {
			case "ipaddress", "ip_address", "location", "user_agent":
				continue
			case "user_id":
				if f.isNull(m.v) {
					continue
				}
			case "status":
				if hasStatus {
					for j := range status.ms {
						m := &status.ms[j]
						if m.key != "failure_reason" && m.key != "additional_details" && !f.putValueKey(prefix+"status.", m.key, m.v, t) {
							return false
						}
					}
					continue
				}
			case "authentication_processing_details":
				if f.raw[m.v.s] == '[' {
					if !f.keyValueList(prefix+key, m.v, t) {
						return false
					}
					continue
				}
			}
			key = signInRenameSet.of(key)
			if f.recValue(m.v) {
				f.putRecKey(prefix, key, m.v.s, m.v.e)
			} else if !f.putValueKey(prefix, key, m.v, t) {
				return false
			}
		}
	}
	rid, hasRID := f.findK(top, wResourceID)
	return f.sharedFast(rid, hasRID, tn.value, tn.set, tn.isString, true)
}

// signInRenames are the properties the sign-in pipeline renames.
var signInRenames = [][2]string{
	{"created_date_time", "created_at"},
	{"processing_time_in_milliseconds", "processing_time_ms"},
	{"risk_level_during_sign_in", "risk_level_during_signin"},
}

var signInRenameSet = newRenameSet(signInRenames)

// signInRenameKeys are signInRenames by the keys' fixed numbers.
var signInRenameKeys = renameKeys(signInRenames)

// addMustache adds the mustache of ms[key] to r unless it is empty; false
// for an object or a list.
func (f *fastDoc) addMustache(r *related, ms obj, key string) bool {
	v, ok := f.find(ms, key)
	return f.addMustacheOf(r, v, ok)
}

// addMustacheK is addMustache for a fixed key.
func (f *fastDoc) addMustacheK(r *related, ms obj, k wkey) bool {
	v, ok := f.findK(ms, k)
	return f.addMustacheOf(r, v, ok)
}

// addMustacheOf adds the mustache of v (if has) to r unless it is empty;
// false for an object or a list.
func (f *fastDoc) addMustacheOf(r *related, v span, has bool) bool {
	if !has {
		return true
	}
	s, ok := f.mustache(v)
	if !ok {
		return false
	}
	if s != "" {
		r.add(s)
	}
	return true
}

// keyValueList puts a list of {"key": k, "value": v} objects as the
// object {k: v, ...} (the sign-in pipeline's
// authentication_processing_details script), the last of repeated keys
// kept, elements that are no object left out.
func (f *fastDoc) keyValueList(path string, v span, t xform) bool {
	raw := f.raw
	pairs := f.pairs[:0]
	good := true
	f.elements(raw, v, func(x span) bool {
		if raw[x.s] != '{' {
			return true
		}
		el, ok := f.object(x, t)
		key := ""
		if kv, has := f.findK(el, wKey); ok && has {
			key, ok = f.mustache(kv)
		}
		if !ok {
			good = false
			return false
		}
		val, has := f.findK(el, wValue)
		if !has {
			val = span{-1, -1} // nil
		}
		pairs = append(pairs, tkv{key: key, v: val})
		return true
	})
	f.pairs = pairs[:0]
	if !good {
		return false
	}
	ms := pairs
	slices.SortStableFunc(ms, func(a, b tkv) int { return strings.Compare(a.key, b.key) })
	s := len(f.arena)
	f.arena = append(f.arena, '{')
	first := true
	for j := 0; j < len(ms); j++ {
		if j+1 < len(ms) && ms[j+1].key == ms[j].key {
			continue
		}
		if ms[j].v.s < 0 {
			continue // a missing value: nil, dropped
		}
		at := len(f.arena)
		if !first {
			f.arena = append(f.arena, ',')
		}
		f.arena = appendJSONString(f.arena, ms[j].key)
		f.arena = append(f.arena, ':')
		out, empty, ok := f.canonT(f.arena, ms[j].v, t)
		if !ok {
			return false
		}
		f.arena = out
		if empty {
			f.arena = f.arena[:at]
			continue
		}
		first = false
	}
	if first {
		f.arena = f.arena[:s]
		return true
	}
	f.arena = append(f.arena, '}')
	f.put(path, s)
	return true
}
