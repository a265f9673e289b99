package azure

import (
	"encoding/json"
	"regexp"
	"strings"
	"unicode"
)

// AADGraph maps an Azure AD Graph activity record (category
// AzureADGraphActivityLogs) as the integration's
// azure.aadgraphactivitylogs pipeline does: keys in snake case under
// azure.aadgraphactivitylogs, @timestamp from properties.timeGenerated,
// the caller (properties.callerIpAddress), service principal, device and
// session in ECS, the request as http.* and url.*, event.type and
// event.outcome from the method and status, event.action derived from the
// method and the directory collection of the request path, the tenant as
// cloud.account.id, then the shared pipeline, and empty values dropped.
func AADGraph(rec map[string]any, raw []byte, opts Options) (map[string]any, []string, error) {
	g, _ := snakeKeys(copyRecord(rec), true).(map[string]any)
	d := begin(AADGraphActivityLogs, raw, opts)
	d.set("event.type", []any{"access"})
	props := sub(g, "properties")
	if props == nil {
		props = map[string]any{}
	}
	for _, k := range []string{"event_time", "region_scope", "tenant_id", "unique_id"} {
		delete(props, "__udi_required_fields_"+k)
	}
	var warnings []string
	if v, ok := props["time_generated"]; ok && v != nil {
		warnings = timestamp(d, v, true)
	} else if v, ok := g["time"]; ok && v != nil {
		// Not in Elastic's pipeline, which takes @timestamp from
		// timeGenerated only: a record without it keeps its time.
		warnings = timestamp(d, v, true)
	}
	delete(g, "time")
	rename(props, "issued_at", "token_issued_at")
	if v, ok := props["token_issued_at"]; ok && v != nil {
		if t, ok := anyDate(v); ok {
			props["token_issued_at"] = t
		} else {
			d.appendUnique("error.message", "Processor date with tag date-token_issued_at failed: unable to parse date ["+mustache(v)+"]")
		}
	}
	if ip, ok := props["caller_ip_address"]; ok && ip != nil {
		warnings = append(warnings, sourceIP(d, ip, opts.GeoIP, false)...)
		delete(props, "caller_ip_address")
	}
	if v := props["service_principal_id"]; v != nil && v != "" {
		d.set("service.id", v)
		d.set("user.id", v)
	}
	if v := props["device_id"]; v != nil && v != "" {
		d.set("device.id", v)
	}
	if v := props["session_id"]; v != nil && v != "" {
		d.set("session.id", v)
	}
	dur, ok := g["duration_ms"]
	if !ok || dur == nil {
		dur, ok = props["duration_ms"]
	}
	if ok && dur != nil {
		if ns, ok := durationValue(dur); ok {
			d.set("event.duration", ns)
			delete(g, "duration_ms")
			delete(props, "duration_ms")
		}
	}
	if v, ok := take(g, "location"); ok && v != nil {
		d.set("destination.geo.region_name", v)
		delete(props, "location")
	} else if v := props["location"]; v != nil {
		d.set("destination.geo.region_name", v)
		delete(props, "location")
	}
	if v, ok := g["operation_name"]; ok && v != nil {
		d.set("event.action", mustache(v))
	}
	if v, ok := take(g, "tenant_id"); ok && v != nil {
		d.set("azure.tenant_id", v)
		delete(props, "tenant_id")
	} else if v := props["tenant_id"]; v != nil {
		d.set("azure.tenant_id", v)
		delete(props, "tenant_id")
	}
	if v, ok := take(props, "request_id"); ok {
		d.set("http.request.id", v)
	}
	if v, ok := take(props, "http_method"); ok {
		d.set("http.request.method", v)
	}
	if u, ok := props["request_uri"].(string); ok {
		if uriParts(d, u) {
			delete(props, "request_uri")
		} else {
			d.appendUnique("error.message", "Processor uri_parts with tag uri_parts-properties-request_uri failed: unable to parse URI ["+u+"]")
		}
	}
	if v, ok := take(props, "response_size_bytes"); ok {
		d.set("http.response.bytes", v)
	}
	if v, ok := take(props, "http_status_code"); ok {
		d.set("http.response.status_code", v)
	}
	for _, k := range []string{"roles", "wids"} {
		if s, ok := props[k].(string); ok && s != "" {
			s = strings.TrimFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
			props[k] = strList(commaSep.Split(s, -1))
		}
	}
	if s, ok := props["scopes"].(string); ok && s != "" {
		props["scopes"] = strList(strings.Split(s, " "))
	}
	if ua, ok := props["user_agent"].(string); ok && ua != "" {
		d.set("user_agent.original", ua)
		delete(props, "user_agent")
	}
	if v := props["user_id"]; v != nil && v != "" {
		d.set("user.id", v)
		delete(props, "user_id")
	}
	if v, ok := d.get("user.id"); ok && mustache(v) != "" {
		d.set("client.user.id", mustache(v))
		d.appendUnique("related.user", mustache(v))
	}
	rename(props, "_billed_size", "billed_size")
	rename(props, "_is_billable", "is_billable")
	if s, ok := props["is_billable"].(string); ok {
		switch strings.ToLower(s) {
		case "true":
			props["is_billable"] = true
		case "false":
			props["is_billable"] = false
		}
	}
	if s, ok := props["client_auth_method"].(string); ok {
		props["client_auth_method"] = json.Number(s)
	}
	if v, ok := props["time_generated"]; ok && v != nil {
		if t, ok := anyDate(v); ok {
			props["time_generated"] = t
		}
	}
	d.set("event.category", []any{"iam", "web"})
	method, _ := d.get("http.request.method")
	switch method {
	case nil, "GET", "HEAD":
		d.set("event.type", []any{"access", "info"})
	case "POST", "PATCH", "PUT":
		d.set("event.type", []any{"access", "change"})
	case "DELETE":
		d.set("event.type", []any{"access", "deletion"})
	}
	if sc, ok := d.get("http.response.status_code"); ok {
		if n, ok := sc.(json.Number); ok {
			if f, err := n.Float64(); err == nil {
				switch {
				case f >= 200 && f < 300:
					d.set("event.outcome", "success")
				case f >= 400:
					d.set("event.outcome", "failure")
				case f >= 300:
					d.set("event.outcome", "unknown")
				}
			}
		}
	}
	if v, ok := d.get("http.request.id"); ok && v != nil && v != "" {
		d.set("event.id", v)
	}
	if v := props["app_id"]; v != nil && v != "" {
		d.appendUnique("related.user", mustache(v))
	}
	p, _ := d.get("url.path")
	m, _ := method.(string)
	if ps, ok := p.(string); ok && m != "" {
		if a := graphAction(ps, m); a != "" {
			d.set("event.action", a)
		}
	}
	if len(props) > 0 {
		g["properties"] = props
	}
	d.set("azure.aadgraphactivitylogs", g)
	shared(d, nil)
	if v, ok := d.get("azure.tenant_id"); ok && mustache(v) != "" {
		d.set("cloud.account.id", mustache(v))
	}
	if v, ok := d.get("destination.geo.region_name"); ok && mustache(v) != "" {
		d.set("cloud.region", mustache(v))
	}
	d.set("cloud.service.name", "Azure AD Graph")
	compact(d.m)
	if _, bad := d.get("error.message"); bad {
		d.set("event.kind", "pipeline_error")
		d.appendUnique("tags", "preserve_original_event")
	}
	return d.m, warnings, nil
}

var commaSep = regexp.MustCompile(`\s*,\s*`)

func strList(parts []string) []any {
	l := make([]any, len(parts))
	for i, p := range parts {
		l[i] = p
	}
	return l
}

// anyDate reads the date formats of the Graph pipelines (ISO 8601 and
// the M/d/yyyy ones) and writes the time as the date processor does.
func anyDate(v any) (string, bool) {
	if t, ok := isoDate(v); ok {
		return t, true
	}
	s, ok := v.(string)
	if !ok {
		return "", false
	}
	t, ok := parseTime(s)
	if !ok {
		return "", false
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z"), true
}

// graphAction derives the AAD Graph pipeline's event.action from a
// request path and method: the directory collection (the third part of
// /v2/{tenant}/{collection}/..., else the second), without a leading $,
// camelCase hyphenated and lower-cased, then a verb for the method:
// GET /v2/t/servicePrincipals is service-principals-read.
func graphAction(path, method string) string {
	parts := strings.Split(path, "/")
	if len(parts) < 3 {
		return ""
	}
	coll := parts[2]
	if len(parts) >= 4 && parts[1] == "v2" {
		coll = parts[3]
	}
	coll = strings.TrimPrefix(coll, "$")
	if coll == "" {
		return ""
	}
	var b strings.Builder
	rs := []rune(coll)
	for i, r := range rs {
		if i > 0 && unicode.IsUpper(r) && !unicode.IsUpper(rs[i-1]) {
			b.WriteByte('-')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	verb := strings.ToLower(method)
	switch method {
	case "GET", "HEAD":
		verb = "read"
	case "POST":
		verb = "execute"
	case "PATCH", "PUT":
		verb = "update"
	case "DELETE":
		verb = "delete"
	}
	return b.String() + "-" + verb
}
