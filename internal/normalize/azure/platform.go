package azure

import (
	"encoding/json"
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

// platformRenames are the keys the platform-logs pipeline renames at the
// top of the record.
var platformRenames = [][2]string{
	{"resultType", "result_type"}, {"operationName", "operation_name"}, {"resultSignature", "result_signature"},
	{"Status", "status"}, {"resultDescription", "result_description"},
}

var platformRenameSet = newRenameSet(platformRenames)

var (
	platformRenameKeys       = renameKeys(platformRenames)
	platformStatusRenameKeys = renameKeys([][2]string{{"statusCode", "status_code"}})
)

// platform is Platform written from the record's bytes (AppendStream).
func (f *fastDoc) platform(opts Options) bool {
	var plain xform
	top, ok := f.record(plain)
	if !ok {
		return false
	}
	if f.clash(top, platformRenameKeys) {
		return false // a renamed key meeting its new name: map order decides
	}
	if _, ok := f.find(top, "event_category"); ok {
		return false
	}
	if v, ok := f.find(top, "EventProperties"); ok && f.raw[v.s] == '"' {
		return false // properties given as a JSON string: the general path
	}
	f.begin(PlatformLogs, opts, true)
	if v, ok := f.find(top, "time"); ok && !f.putTimestamp(v) {
		return false
	}
	if v, ok := f.find(top, "EventTimeString"); ok && f.raw[v.s] == '"' {
		s, _ := f.str(v, true)
		if t, ok := parseTime(s); ok {
			at := len(f.arena)
			f.arena = appendTimestamp(f.arena, t)
			f.put("@timestamp", at)
		}
	}
	if v, ok := f.find(top, "Region"); ok {
		if f.raw[v.s] == '"' {
			s, _ := f.str(v, true)
			if s = strings.ToLower(strings.Join(strings.Fields(s), "")); s != "global" {
				f.putString("cloud.region", s)
			}
		} else {
			f.putValue("cloud.region", v, plain)
		}
	}
	props, hasProps, ok := f.properties(top, plain)
	if !ok {
		return false
	}
	relIP := f.related(0, "related.ip", false)
	if v, ok := f.find(top, "callerIpAddress"); ok && !f.isNull(v) {
		if f.raw[v.s] == '"' {
			if s, _ := f.str(v, true); s != "" {
				f.sourceIP(s, relIP)
			}
		} else {
			f.putValue("source.address", v, plain)
		}
	}
	if v, ok := f.find(top, "level"); ok {
		f.putValue("log.level", v, plain)
	}
	if v, ok := f.find(top, "durationMs"); ok && f.raw[v.s] == '"' && !f.putDuration(v) {
		return false
	}
	if v, ok := f.find(top, "location"); ok {
		f.putValue("geo.name", v, plain)
	}
	// The pipeline reads operation_name and result_type after renaming:
	// a record may hold either spelling (both: declined above).
	if v, ok := f.findEither(top, "operationName", "operation_name"); ok && !f.isNull(v) {
		s, ok := f.mustache(v)
		if !ok {
			return false
		}
		f.putString("event.action", s)
	} else if v, ok := f.find(top, "EventName"); ok {
		f.putValue("event.action", v, plain)
	}
	cat := "Administrative"
	if v, ok := f.find(props, "eventCategory"); ok && !f.isNull(v) {
		if cat, ok = f.mustache(v); !ok {
			return false
		}
	} else if v, ok := f.find(props, "policies"); ok && !f.isNull(v) {
		cat = "Policy"
	}
	outcome := ""
	if v, ok := f.findEither(top, "resultType", "result_type"); ok && f.raw[v.s] == '"' {
		if s, _ := f.str(v, true); strings.EqualFold(s, "success") || strings.EqualFold(s, "failure") {
			outcome = s
		}
	}
	if v, ok := f.find(props, "result"); outcome == "" && ok && f.raw[v.s] == '"' {
		if s, _ := f.str(v, true); s == "success" || s == "failure" || s == "unknown" {
			outcome = s
		}
	}
	if v, ok := f.find(top, "Status"); outcome == "" && ok && f.raw[v.s] == '"' {
		switch s, _ := f.str(v, true); s {
		case "success", "failure", "unknown", "Succeeded", "Failed":
			outcome = s
		}
	}
	if outcome != "" {
		f.putString("event.outcome", strings.ToLower(outcome))
	}
	if s, ok := f.stringOf(top, wCategory); ok {
		f.putEventType(s)
	}
	tenant, hasTenant := "", false // the platform pipeline sets no azure.tenant_id of its own
	if v, ok := f.find(top, "correlationId"); ok {
		f.putValue("azure.correlation_id", v, plain)
	}
	f.putRelated(relIP, true)

	// azure.platformlogs: the record, renamed, without what went to ECS.
	const root = "azure.platformlogs."
	at := len(f.arena)
	f.arena = appendJSONString(f.arena, cat)
	f.putKey(root, "event_category", at, false)
	for _, m := range top.ms {
		switch m.key {
		case "time", "resourceId", "Region", "EventName", "callerIpAddress", "level", "durationMs", "location", "correlationId":
			continue
		case "properties":
			if hasProps {
				continue
			}
		}
		if !f.putValueKey(root, platformRenameSet.of(m.key), m.v, plain) {
			return false
		}
	}
	if hasProps {
		const prefix = root + "properties."
		if f.clash(props, platformStatusRenameKeys) {
			return false
		}
		n := 0
		for _, m := range props.ms {
			n++
			key := m.key
			switch key {
			case "statusCode":
				key = "status_code"
			case "log":
				if f.raw[m.v.s] == '"' {
					moved, ok := f.platformLog(prefix, m.v)
					if !ok {
						return false
					}
					if moved {
						n--
					}
					continue
				}
			}
			if !f.putValueKey(prefix, key, m.v, plain) {
				return false
			}
		}
		if n == 0 {
			f.putEmptyObject(root + "properties")
		}
	}
	rid, hasRID := f.find(top, "resourceId")
	return f.sharedFast(rid, hasRID, tenant, hasTenant, false, false)
}

// platformLog puts properties.log, a string: parsed when it holds one
// JSON value (AKS kube-audit events), else (or when that value is a
// string) as message; moved reports the latter. false: the general path
// must decide (a text the pipeline's parser would read differently).
func (f *fastDoc) platformLog(prefix string, v span) (moved, ok bool) {
	s, ok := f.str(v, true)
	if !ok {
		return false, false
	}
	text := []byte(s)
	if !json.Valid(text) {
		var x any
		if dec(s, &x) == nil {
			return false, false // a value followed by more text: the decoder takes the first
		}
		f.putString("message", s)
		return true, true
	}
	i := skipWS(text, 0)
	if text[i] == '"' {
		var inner string
		if json.Unmarshal(text, &inner) != nil {
			return false, false
		}
		f.putString("message", inner)
		return true, true
	}
	return false, f.parsedString(prefix, "log", v)
}
