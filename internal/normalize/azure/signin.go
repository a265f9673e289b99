package azure

import (
	"encoding/json"
	"fmt"
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
