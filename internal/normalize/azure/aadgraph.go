package azure

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
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
		if uriParts(&d, u) {
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

// anyTime is anyDate's time, not yet written (appendTimestamp writes it
// as anyDate does).
func anyTime(s string) (time.Time, bool) {
	if t, ok := isoTime(s); ok {
		return t, true
	}
	return parseTime(s)
}

// graphAction derives the AAD Graph pipeline's event.action from a
// request path and method: the directory collection (the third part of
// /v2/{tenant}/{collection}/..., else the second), without a leading $,
// camelCase hyphenated and lower-cased, then a verb for the method:
// GET /v2/t/servicePrincipals is service-principals-read.
func graphAction(path, method string) string {
	return string(appendGraphAction(nil, path, method))
}

// appendGraphAction appends graphAction's action to dst (dst unchanged
// when there is none).
func appendGraphAction(dst []byte, path, method string) []byte {
	// The parts strings.Split(path, "/") would give: [0] before the first
	// slash, [1], [2], [3] after it.
	_, rest, ok := strings.Cut(path, "/")
	if !ok {
		return dst
	}
	p1, rest, ok := strings.Cut(rest, "/")
	if !ok {
		return dst // fewer than three parts
	}
	coll, rest, more := strings.Cut(rest, "/")
	if more && p1 == "v2" {
		coll, _, _ = strings.Cut(rest, "/")
	}
	coll = strings.TrimPrefix(coll, "$")
	if coll == "" {
		return dst
	}
	// rune by rune as []rune(coll) reads it (U+FFFD for each invalid
	// byte).
	prevUpper := false
	for i, r := range coll {
		up := unicode.IsUpper(r)
		if i > 0 && up && !prevUpper {
			dst = append(dst, '-')
		}
		prevUpper = up
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
	}
	dst = append(dst, '-')
	switch method {
	case "GET", "HEAD":
		return append(dst, "read"...)
	case "POST":
		return append(dst, "execute"...)
	case "PATCH", "PUT":
		return append(dst, "update"...)
	case "DELETE":
		return append(dst, "delete"...)
	}
	return append(dst, strings.ToLower(method)...)
}

// aadGraph is AADGraph written from the record's bytes (AppendStream).
// It declines (false) what it does not write as AADGraph does: a time
// or token date in no known format, a requestUri uri_parts fails on (the
// pipeline's errors), a value that mustache would write as JSON (objects
// and lists where a field takes a value's text), a float duration, a
// renamed key meeting its new name, and whatever the shared reading
// leaves to the general path (keys with escapes or dots, repeated keys,
// keys the snake case makes one).
func (f *fastDoc) aadGraph(opts Options) bool {
	t := xform{snake: true, dropUnderscore: true, compact: true}
	top, ok := f.record(t)
	if !ok {
		return false
	}
	f.begin(AADGraphActivityLogs, opts, false)
	props, hasProps, ok := f.properties(top, t)
	if !ok {
		return false
	}
	if f.clash(props, aadGraphRenameKeys) {
		return false // rename's overwrite: left to the general path
	}
	// @timestamp from properties.timeGenerated, else the record's time;
	// one in no known format fails the pipeline.
	if v, ok := f.find(props, "time_generated"); ok && !f.isNull(v) {
		if !f.putTimestamp(v) {
			return false
		}
	} else if v, ok := f.find(top, "time"); ok && !f.putTimestamp(v) {
		return false
	}
	issued, hasIssued := f.findEither(props, "issued_at", "token_issued_at")
	var issuedAt time.Time
	hasIssuedAt := false
	if hasIssued && !f.isNull(issued) {
		s, isString := f.str(issued, f.raw[issued.s] == '"')
		d, ok := anyTime(s)
		if !isString || !ok {
			return false // the pipeline's error: the general path
		}
		issuedAt, hasIssuedAt = d, true
	}
	// Properties that go elsewhere (taken: left out of the copy below).
	var callerTaken, durationTaken, locationTaken, tenantTaken, uriTaken, agentTaken, userTaken bool
	relIP := f.related(0, "related.ip", false)
	if v, ok := f.find(props, "caller_ip_address"); ok && !f.isNull(v) {
		if f.raw[v.s] == '"' {
			if s, _ := f.str(v, true); s != "" {
				f.sourceIP(s, relIP)
			}
		} else if !f.putValue("source.address", v, t) {
			return false
		}
		callerTaken = true
	}
	var user span
	hasUser := false
	if v, ok := f.find(props, "service_principal_id"); ok && !f.isEmpty(v) {
		if !f.scalar(v) {
			return false // client.user.id would be its JSON text
		}
		f.putValue("service.id", v, t)
		f.putValue("user.id", v, t)
		user, hasUser = v, true
	}
	for _, m := range [][2]string{{"device_id", "device.id"}, {"session_id", "session.id"}} {
		if v, ok := f.find(props, m[0]); ok && !f.isEmpty(v) && !f.putValue(m[1], v, t) {
			return false
		}
	}
	dur, ok := f.find(top, "duration_ms")
	if !ok || f.isNull(dur) {
		dur, ok = f.find(props, "duration_ms")
	}
	if ok && !f.isNull(dur) {
		ns, has, ok := f.durationValue(dur)
		if !ok {
			return false // a float: encoded its own way
		}
		if has {
			f.putInt("event.duration", ns)
			durationTaken = true
		}
	}
	region := ""
	loc, ok := f.find(top, "location")
	if !ok || f.isNull(loc) {
		loc, ok = f.find(props, "location")
	}
	if ok && !f.isNull(loc) {
		if region, ok = f.mustache(loc); !ok {
			return false
		}
		f.putValue("destination.geo.region_name", loc, t)
		locationTaken = true
	}
	if !f.putAction(top, wOperationName, true) {
		return false
	}
	tenant := ""
	tn, ok := f.find(top, "tenant_id")
	if !ok || f.isNull(tn) {
		tn, ok = f.find(props, "tenant_id")
	}
	if ok && !f.isNull(tn) {
		if tenant, ok = f.mustache(tn); !ok {
			return false
		}
		f.putValue("azure.tenant_id", tn, t)
		tenantTaken = true
	}
	if v, ok := f.find(props, "request_id"); ok {
		if !f.putValue("http.request.id", v, t) {
			return false
		}
		if !f.isEmpty(v) {
			f.putValue("event.id", v, t)
		}
	}
	method, hasMethod := f.find(props, "http_method")
	if hasMethod && !f.putValue("http.request.method", method, t) {
		return false
	}
	urlPath := ""
	if v, ok := f.find(props, "request_uri"); ok && f.raw[v.s] == '"' {
		u, _ := f.str(v, true)
		if urlPath, ok = f.putURI(u); !ok {
			return false // the pipeline's error: the general path
		}
		uriTaken = true
	}
	if v, ok := f.find(props, "response_size_bytes"); ok && !f.putValue("http.response.bytes", v, t) {
		return false
	}
	if v, ok := f.find(props, "http_status_code"); ok {
		if !f.putValue("http.response.status_code", v, t) {
			return false
		}
		if n, ok := f.number(v); ok {
			if x, err := strconv.ParseFloat(n, 64); err == nil {
				switch {
				case x >= 200 && x < 300:
					f.putJSON("event.outcome", `"success"`)
				case x >= 400:
					f.putJSON("event.outcome", `"failure"`)
				case x >= 300:
					f.putJSON("event.outcome", `"unknown"`)
				}
			}
		}
	}
	if v, ok := f.find(props, "user_agent"); ok && f.raw[v.s] == '"' && !f.isEmpty(v) {
		f.putValue("user_agent.original", v, t)
		agentTaken = true
	}
	if v, ok := f.find(props, "user_id"); ok && !f.isEmpty(v) {
		if !f.scalar(v) {
			return false
		}
		f.putValue("user.id", v, t)
		user, hasUser, userTaken = v, true, true
	}
	relUser := f.related(1, "related.user", false)
	if hasUser {
		if s, _ := f.mustache(user); s != "" {
			f.putString("client.user.id", s)
			relUser.add(s)
		}
	}
	f.putJSON("event.category", `["iam","web"]`)
	m := ""
	switch {
	case !hasMethod || f.isNull(method):
		f.putJSON("event.type", `["access","info"]`)
	case f.raw[method.s] == '"':
		m, _ = f.str(method, true)
		switch m {
		case "GET", "HEAD":
			f.putJSON("event.type", `["access","info"]`)
		case "POST", "PATCH", "PUT":
			f.putJSON("event.type", `["access","change"]`)
		case "DELETE":
			f.putJSON("event.type", `["access","deletion"]`)
		default:
			f.putJSON("event.type", `["access"]`)
		}
	default:
		f.putJSON("event.type", `["access"]`)
	}
	if v, ok := f.find(props, "app_id"); ok && !f.isEmpty(v) {
		s, ok := f.mustache(v)
		if !ok {
			return false
		}
		relUser.add(s)
	}
	if urlPath != "" && m != "" {
		if f.scratch = appendGraphAction(f.scratch[:0], urlPath, m); len(f.scratch) > 0 {
			f.putString("event.action", unsafeString(f.scratch))
		}
	}
	f.putRelated(relIP, true)
	f.putRelated(relUser, true)

	// The record, in snake case, without what went to ECS.
	const root = "azure.aadgraphactivitylogs."
	for _, m := range top.ms {
		switch m.key {
		case "time", "location", "tenant_id":
			continue
		case "duration_ms":
			if durationTaken {
				continue
			}
		case "properties":
			if hasProps {
				continue
			}
		}
		if !f.putValueKey(root, m.key, m.v, t) {
			return false
		}
	}
	if hasProps {
		prefix := root + "properties."
		for _, m := range props.ms {
			key := m.key
			switch key {
			case "__udi_required_fields_event_time", "__udi_required_fields_region_scope",
				"__udi_required_fields_tenant_id", "__udi_required_fields_unique_id",
				"issued_at", "token_issued_at",
				"request_id", "http_method", "response_size_bytes", "http_status_code":
				continue
			case "caller_ip_address":
				if callerTaken {
					continue
				}
			case "duration_ms":
				if durationTaken {
					continue
				}
			case "location":
				if locationTaken {
					continue
				}
			case "tenant_id":
				if tenantTaken {
					continue
				}
			case "request_uri":
				if uriTaken {
					continue
				}
			case "user_agent":
				if agentTaken {
					continue
				}
			case "user_id":
				if userTaken {
					continue
				}
			case "_billed_size":
				key = "billed_size"
			case "_is_billable":
				key = "is_billable"
			}
			if f.raw[m.v.s] == '"' {
				written, ok := f.aadGraphString(prefix, key, m.v)
				if !ok {
					return false
				}
				if written {
					continue
				}
			}
			if !f.putValueKey(prefix, key, m.v, t) {
				return false
			}
		}
		if hasIssuedAt {
			at := len(f.arena)
			f.arena = appendTimestamp(f.arena, issuedAt)
			f.putKey(prefix, "token_issued_at", at, false)
		}
	}
	if tenant != "" {
		f.putString("cloud.account.id", tenant)
	}
	if region != "" {
		f.putString("cloud.region", region)
	}
	f.putString("cloud.service.name", "Azure AD Graph")
	return true
}

// aadGraphString writes the properties the AAD Graph pipeline rewrites
// when they are strings: roles and wids split at commas, scopes at spaces,
// is_billable as a boolean, client_auth_method as a number (an empty one
// too: the encoder writes json.Number("") as 0), time_generated as a
// date; the others' empty strings stay (compact drops them). written
// false: key is none of them (or its value stays as it is); ok false: the
// general path must take the record.
func (f *fastDoc) aadGraphString(prefix, key string, v span) (written, ok bool) {
	if f.isEmpty(v) && key != "client_auth_method" {
		return false, true
	}
	switch key {
	case "roles", "wids":
		s, _ := f.str(v, true)
		f.putCommaList(prefix, key, s)
		return true, true
	case "scopes":
		s, _ := f.str(v, true)
		return true, f.putSplit(prefix, key, s)
	case "is_billable":
		s, _ := f.str(v, true)
		var b bool
		switch strings.ToLower(s) {
		case "true":
			b = true
		case "false":
		default:
			return false, true
		}
		at := len(f.arena)
		f.arena = strconv.AppendBool(f.arena, b)
		f.putKey(prefix, key, at, false)
		return true, true
	case "client_auth_method":
		// json.Number(s), which the encoder writes as it is: a text that
		// is no JSON value would make no JSON document.
		s, _ := f.str(v, true)
		if s == "" {
			s = "0"
		} else if !json.Valid(unsafeBytes(s)) {
			return false, false
		}
		at := len(f.arena)
		f.arena = append(f.arena, s...)
		f.putKey(prefix, key, at, false)
		return true, true
	case "time_generated":
		s, _ := f.str(v, true)
		d, ok := anyTime(s)
		if !ok {
			return false, true
		}
		at := len(f.arena)
		f.arena = appendTimestamp(f.arena, d)
		f.putKey(prefix, key, at, false)
		return true, true
	}
	return false, true
}

// putCommaList puts the list AADGraph makes of roles and wids: s trimmed
// of commas and white space (unicode.IsSpace) at its ends, split at
// commas with the white space around them (commaSep's \s: tab, newline,
// form feed, carriage return, space), empty parts left out as compact
// leaves them out; none left: the key is dropped.
func (f *fastDoc) putCommaList(prefix, key, s string) {
	s = strings.TrimFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	at := len(f.arena)
	f.arena = append(f.arena, '[')
	n := 0
	for i := 0; ; i++ {
		part, rest, more := strings.Cut(s, ",")
		if i > 0 {
			part = strings.TrimLeft(part, "\t\n\f\r ")
		}
		if more {
			part = strings.TrimRight(part, "\t\n\f\r ")
		}
		if part != "" {
			if n > 0 {
				f.arena = append(f.arena, ',')
			}
			n++
			f.arena = appendJSONString(f.arena, part)
		}
		if !more {
			break
		}
		s = rest
	}
	f.arena = append(f.arena, ']')
	if n == 0 {
		f.arena = f.arena[:at]
		f.putKey(prefix, key, at, true)
		return
	}
	f.putKey(prefix, key, at, false)
}

// scalar reports a value that is neither an object nor a list.
func (f *fastDoc) scalar(v span) bool {
	c := f.raw[v.s]
	return c != '{' && c != '['
}

// aadGraphRenameKeys are the properties the AAD Graph pipeline renames.
var aadGraphRenameKeys = renameKeys([][2]string{{"issued_at", "token_issued_at"}, {"_billed_size", "billed_size"}, {"_is_billable", "is_billable"}})
