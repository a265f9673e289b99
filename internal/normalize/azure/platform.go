package azure

import (
	"slices"
	"strings"
)

// Platform maps a resource ("platform") log record, any category the
// integration's events stream does not route elsewhere (kube-audit,
// FunctionAppLogs, ...), as the azure.platformlogs pipeline does: the
// record under azure.platformlogs with Microsoft's names, the properties'
// log parsed when it is JSON (AKS kube-audit events), the caller's
// address, level, duration, location, outcome and action in ECS, the
// category as event.type, then the shared pipeline.
func Platform(rec map[string]any, raw []byte, opts Options) (map[string]any, []string, error) {
	p, _ := copyRecord(rec).(map[string]any)
	d := begin(PlatformLogs, raw, opts)
	if len(raw) > 0 {
		d.set("event.original", strings.ReplaceAll(string(raw), `"":"",`, ""))
	}
	var warnings []string
	if v, ok := take(p, "time"); ok {
		warnings = timestamp(d, v, false)
	}
	if v, ok := p["EventTimeString"].(string); ok {
		if t, ok := parseTime(v); ok {
			d.set("@timestamp", t.UTC().Format("2006-01-02T15:04:05.000Z"))
		}
	}
	resourceID, _ := take(p, "resourceId")
	if v, ok := take(p, "Region"); ok {
		d.set("cloud.region", v)
	}
	if s, ok := p["EventProperties"].(string); ok {
		var parsed any
		if dec(s, &parsed) == nil {
			p["properties"] = parsed
			delete(p, "EventProperties")
		}
	}
	props := sub(p, "properties")
	if props != nil {
		if s, ok := props["log"].(string); ok {
			var parsed any
			if dec(s, &parsed) == nil {
				props["log"] = parsed
			}
		}
		if s, ok := props["log"].(string); ok {
			d.set("message", s)
			delete(props, "log")
		}
	}
	if v, ok := take(p, "EventName"); ok {
		d.set("event.action", v)
	}
	if ip, ok := p["callerIpAddress"]; ok {
		warnings = append(warnings, sourceIP(d, ip, opts.GeoIP, true)...)
		delete(p, "callerIpAddress")
	}
	if v, ok := take(p, "level"); ok {
		d.set("log.level", v)
	}
	if v, ok := take(p, "durationMs"); ok {
		if s, isStr := v.(string); isStr {
			if dur, ok := durationValue(s); ok {
				d.set("event.duration", dur)
			}
		}
	}
	if v, ok := take(p, "location"); ok {
		d.set("geo.name", v)
	}
	cat := "Administrative"
	if props != nil {
		if v, ok := props["eventCategory"]; ok && v != nil {
			cat = mustache(v)
		} else if props["policies"] != nil {
			cat = "Policy"
		}
	}
	p["event_category"] = cat
	rename(p, "resultType", "result_type")
	if s, ok := p["result_type"].(string); ok && (strings.EqualFold(s, "success") || strings.EqualFold(s, "failure")) {
		d.set("event.outcome", s)
	} else if s, ok := props["result"].(string); ok && slices.Contains([]string{"success", "failure", "unknown"}, s) {
		d.set("event.outcome", s)
	} else if s, ok := p["Status"].(string); ok && slices.Contains([]string{"success", "failure", "unknown", "Succeeded", "Failed"}, s) {
		d.set("event.outcome", s)
	}
	rename(p, "operationName", "operation_name")
	if v, ok := p["operation_name"]; ok && v != nil {
		d.set("event.action", mustache(v))
	}
	rename(p, "resultSignature", "result_signature")
	if v, ok := take(p, "correlationId"); ok {
		d.set("azure.correlation_id", v)
	}
	if props != nil {
		rename(props, "statusCode", "status_code")
	}
	rename(p, "Status", "status")
	if c, ok := p["category"].(string); ok {
		switch strings.ToLower(c) {
		case "write", "action":
			d.set("event.type", []any{"change"})
		case "read":
			d.set("event.type", []any{"access"})
		case "delete":
			d.set("event.type", []any{"deletion"})
		}
	}
	rename(p, "resultDescription", "result_description")
	d.set("azure.platformlogs", p)
	shared(d, resourceID)
	return d.m, warnings, nil
}
