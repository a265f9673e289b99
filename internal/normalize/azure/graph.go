package azure

import (
	"path"
	"strconv"
	"strings"
)

// Graph maps a Microsoft Graph activity record (category
// MicrosoftGraphActivityLogs) as the integration's
// azure.graphactivitylogs pipeline does: keys in snake case under
// azure.graphactivitylogs, the request as http.* and url.*, the caller's
// address, user and user agent, the tenant as cloud.account.id, then the
// shared pipeline, and empty values dropped.
func Graph(rec map[string]any, raw []byte, opts Options) (map[string]any, []string, error) {
	return graphLike(GraphActivityLogs, "Microsoft Graph", rec, raw, opts)
}

func graphLike(st Stream, service string, rec map[string]any, raw []byte, opts Options) (map[string]any, []string, error) {
	g, _ := snakeKeys(copyRecord(rec), true).(map[string]any)
	d := begin(st, raw, opts)
	d.set("event.type", []any{"access"})
	// The pipeline takes `"":"",` out of the text before parsing it.
	if len(raw) > 0 {
		d.set("event.original", strings.ReplaceAll(string(raw), `"":"",`, ""))
	}
	props := sub(g, "properties")
	var warnings []string
	if v, ok := take(g, "time"); ok && v != nil {
		warnings = timestamp(d, v, true)
	}
	if props != nil {
		if v, ok := props["token_issued_at"]; ok && v != nil {
			if t, ok := isoDate(v); ok {
				props["token_issued_at"] = t
			} else {
				d.appendUnique("error.message", "Processor date with tag date-token_issued_at failed: unable to parse date ["+mustache(v)+"]")
			}
		}
	}
	resourceID, _ := take(g, "resource_id")
	ip := g["caller_ip_address"]
	from := "caller_ip_address"
	if ip == nil && props != nil {
		ip, from = props["ip_address"], "ip_address"
	}
	if ip != nil {
		warnings = append(warnings, sourceIP(d, ip, opts.GeoIP, false)...)
		if _, ok := d.get("source.ip"); ok {
			delete(g, "caller_ip_address")
			delete(props, "ip_address")
		} else if from == "caller_ip_address" {
			delete(g, "caller_ip_address")
		} else {
			delete(props, "ip_address")
		}
	}
	if v, ok := take(g, "level"); ok && v != nil {
		d.set("log.level", mustache(v))
	}
	dur, ok := take(g, "duration_ms")
	if !ok && props != nil {
		dur, ok = take(props, "duration_ms")
	}
	if ok {
		if ns, ok := durationValue(dur); ok {
			d.set("event.duration", ns)
		}
	}
	if v, ok := take(g, "location"); ok && v != nil {
		d.set("destination.geo.region_name", v)
	} else if props != nil && props["location"] != nil {
		d.set("destination.geo.region_name", props["location"])
		delete(props, "location")
	}
	if v, ok := g["operation_name"]; ok && v != nil {
		d.set("event.action", mustache(v))
	}
	if v, ok := take(g, "tenant_id"); ok && v != nil {
		d.set("azure.tenant_id", v)
		delete(props, "tenant_id")
	} else if props != nil && props["tenant_id"] != nil {
		d.set("azure.tenant_id", props["tenant_id"])
		delete(props, "tenant_id")
	}
	if v, ok := take(g, "correlation_id"); ok {
		d.set("azure.correlation_id", v)
	}
	if props != nil {
		if v, ok := take(props, "request_id"); ok {
			d.set("http.request.id", v)
		}
		if v, ok := take(props, "request_method"); ok {
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
		if v, ok := take(props, "response_status_code"); ok {
			d.set("http.response.status_code", v)
		}
		for _, k := range []string{"roles", "scopes", "wids"} {
			if s, ok := props[k].(string); ok && s != "" {
				parts := strings.Split(s, " ")
				l := make([]any, len(parts))
				for i, p := range parts {
					l[i] = p
				}
				props[k] = l
			}
		}
		if ua, ok := props["user_agent"].(string); ok && ua != "" {
			d.set("user_agent.original", ua)
			delete(props, "user_agent")
		}
		if v := props["user_id"]; v != nil && v != "" {
			d.set("user.id", mustache(v))
			d.set("client.user.id", mustache(v))
			d.appendUnique("related.user", mustache(v))
			delete(props, "user_id")
		}
		rename(props, "_billed_size", "billed_size")
		rename(props, "_is_billable", "is_billable")
		if s, ok := props["is_billable"].(string); ok {
			if b, err := strconv.ParseBool(strings.ToLower(s)); err == nil {
				props["is_billable"] = b
			}
		}
		if s, ok := props["client_auth_method"].(string); ok {
			if n, err := strconv.Atoi(s); err == nil {
				props["client_auth_method"] = n
			}
		}
		if v, ok := props["time_generated"]; ok && v != nil {
			if t, ok := isoDate(v); ok {
				props["time_generated"] = t
			}
		}
	}
	d.set(st.Root(), g)
	shared(d, resourceID)
	if v, ok := d.get("azure.tenant_id"); ok && mustache(v) != "" {
		d.set("cloud.account.id", mustache(v))
	}
	if v, ok := d.get("destination.geo.region_name"); ok && mustache(v) != "" {
		d.set("cloud.region", mustache(v))
	}
	d.set("cloud.service.name", service)
	compact(d.m)
	if _, bad := d.get("error.message"); bad {
		d.set("event.kind", "pipeline_error")
	}
	return d.m, warnings, nil
}

// uriParts does what Elasticsearch's uri_parts processor (keep_original)
// does: url.original, scheme, domain, port, path, extension, query,
// fragment, username and password, each a part of the text as written.
// A path alone (the AAD Graph's requestUri) gives url.original and
// url.path, as in Elastic's expected documents. false: not a URI.
func uriParts(d doc0, s string) bool {
	if s == "" || strings.ContainsAny(s, " \t\n\r") {
		return false
	}
	rest := s
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		if frag := rest[i+1:]; frag != "" {
			d.set("url.fragment", frag)
		}
		rest = rest[:i]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		if q := rest[i+1:]; q != "" {
			d.set("url.query", q)
		}
		rest = rest[:i]
	}
	if i := strings.Index(rest, "://"); i > 0 {
		scheme := rest[:i]
		for _, c := range scheme {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
				return false
			}
		}
		d.set("url.scheme", scheme)
		rest = rest[i+3:]
		auth := rest
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			auth, rest = rest[:j], rest[j:]
		} else {
			rest = ""
		}
		if at := strings.LastIndexByte(auth, '@'); at >= 0 {
			info := auth[:at]
			d.set("url.user_info", info)
			user, pw, hasPW := strings.Cut(info, ":")
			d.set("url.username", user)
			if hasPW {
				d.set("url.password", pw)
			}
			auth = auth[at+1:]
		}
		host := auth
		if j := strings.LastIndexByte(auth, ':'); j >= 0 && !strings.HasSuffix(auth, "]") {
			host = auth[:j]
			if n, err := strconv.Atoi(auth[j+1:]); err == nil {
				d.set("url.port", n)
			} else if auth[j+1:] != "" {
				return false
			}
		}
		if host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"); host != "" {
			d.set("url.domain", host)
		}
	} else if !strings.HasPrefix(rest, "/") {
		return false
	}
	d.set("url.original", s)
	if rest != "" {
		d.set("url.path", rest)
		if ext := path.Ext(rest); len(ext) > 1 && !strings.Contains(ext, "/") {
			d.set("url.extension", ext[1:])
		}
	}
	return true
}
