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
			if uriParts(&d, u) {
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
// url.path, as in Elastic's expected documents. false: not a URI (some
// fields may have been set then). d is a document (doc0) or a byte-level
// writer's urlFields.
func uriParts(d urlSetter, s string) bool {
	if s == "" || strings.ContainsAny(s, " \t\n\r") {
		return false
	}
	rest := s
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		if frag := rest[i+1:]; frag != "" {
			d.setString("url.fragment", frag)
		}
		rest = rest[:i]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		if q := rest[i+1:]; q != "" {
			d.setString("url.query", q)
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
		d.setString("url.scheme", scheme)
		rest = rest[i+3:]
		auth := rest
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			auth, rest = rest[:j], rest[j:]
		} else {
			rest = ""
		}
		if at := strings.LastIndexByte(auth, '@'); at >= 0 {
			info := auth[:at]
			d.setString("url.user_info", info)
			user, pw, hasPW := strings.Cut(info, ":")
			d.setString("url.username", user)
			if hasPW {
				d.setString("url.password", pw)
			}
			auth = auth[at+1:]
		}
		host := auth
		if j := strings.LastIndexByte(auth, ':'); j >= 0 && !strings.HasSuffix(auth, "]") {
			host = auth[:j]
			if n, err := strconv.Atoi(auth[j+1:]); err == nil {
				d.setInt("url.port", n)
			} else if auth[j+1:] != "" {
				return false
			}
		}
		if host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"); host != "" {
			d.setString("url.domain", host)
		}
	} else if !strings.HasPrefix(rest, "/") {
		return false
	}
	d.setString("url.original", s)
	if rest != "" {
		d.setString("url.path", rest)
		if ext := path.Ext(rest); len(ext) > 1 && !strings.Contains(ext, "/") {
			d.setString("url.extension", ext[1:])
		}
	}
	return true
}

// graph is Graph written from the record's bytes (AppendStream).
func (f *fastDoc) graph(opts Options) bool {
	t := xform{snake: true, dropUnderscore: true, compact: true}
	top, ok := f.record(t)
	if !ok {
		return false
	}
	f.begin(GraphActivityLogs, opts, true)
	f.putJSON("event.type", `["access"]`)
	props, hasProps, ok := f.properties(top, t)
	if !ok {
		return false
	}
	if v, ok := f.find(top, "time"); ok && !f.isNull(v) && !f.putTimestamp(v) {
		return false
	}
	// Properties that go elsewhere (or are rewritten): left out of the
	// copy below.
	skip := map[string]bool{}
	var issued string
	if v, ok := f.find(props, "token_issued_at"); ok && !f.isNull(v) {
		s, _ := f.str(v, f.raw[v.s] == '"')
		d, ok := isoDate(any(s))
		if f.raw[v.s] != '"' || !ok {
			return false // the pipeline's error: the general path
		}
		issued = d
		skip["token_issued_at"] = true
	}
	relIP := f.related(0, "related.ip", false)
	ip, hasCaller := f.find(top, "caller_ip_address")
	fromCaller := hasCaller && !f.isNull(ip)
	dropCaller := false
	if !fromCaller && hasProps {
		var has bool
		if ip, has = f.find(props, "ip_address"); !has {
			ip = span{-1, -1}
		}
	} else if !fromCaller {
		ip = span{-1, -1}
	}
	if ip.s >= 0 && !f.isNull(ip) {
		isIP := false
		if f.raw[ip.s] == '"' {
			if s, _ := f.str(ip, true); s != "" {
				f.sourceIP(s, relIP)
				isIP = len(relIP.vals) > 0
			}
		} else {
			f.putValue("source.address", ip, t)
		}
		switch {
		case isIP:
			dropCaller, skip["ip_address"] = true, true
		case fromCaller:
			dropCaller = true
		default:
			skip["ip_address"] = true
		}
	}
	if v, ok := f.find(top, "level"); ok && !f.isNull(v) {
		s, ok := f.mustache(v)
		if !ok {
			return false
		}
		f.putNonEmpty("log.level", s)
	}
	if v, ok := f.find(top, "duration_ms"); ok {
		if !f.putDuration(v) {
			return false
		}
	} else if v, ok := f.find(props, "duration_ms"); ok {
		skip["duration_ms"] = true
		if !f.putDuration(v) {
			return false
		}
	}
	region := ""
	if v, ok := f.find(top, "location"); ok && !f.isNull(v) {
		if region, ok = f.mustache(v); !ok {
			return false
		}
		f.putValue("destination.geo.region_name", v, t)
	} else if v, ok := f.find(props, "location"); ok && !f.isNull(v) {
		if region, ok = f.mustache(v); !ok {
			return false
		}
		f.putValue("destination.geo.region_name", v, t)
		skip["location"] = true
	}
	if !f.putAction(top, wOperationName, true) {
		return false
	}
	tenant, tenantSet := "", false
	for _, ms := range [...]obj{top, props} {
		if v, ok := f.find(ms, "tenant_id"); ok && !f.isNull(v) {
			if tenant, ok = f.mustache(v); !ok {
				return false
			}
			f.putValue("azure.tenant_id", v, t)
			skip["tenant_id"], tenantSet = true, true
			break
		}
	}
	if v, ok := f.find(top, "correlation_id"); ok {
		f.putValue("azure.correlation_id", v, t)
	}
	relUser := f.related(1, "related.user", false)
	for _, m := range [][2]string{{"request_id", "http.request.id"}, {"request_method", "http.request.method"},
		{"response_size_bytes", "http.response.bytes"}, {"response_status_code", "http.response.status_code"}} {
		if v, ok := f.find(props, m[0]); ok {
			f.putValue(m[1], v, t)
			skip[m[0]] = true
		}
	}
	if v, ok := f.find(props, "request_uri"); ok && f.raw[v.s] == '"' {
		u, _ := f.str(v, true)
		if _, ok := f.putURI(u); !ok {
			return false // the pipeline's error: the general path
		}
		skip["request_uri"] = true
	}
	if v, ok := f.find(props, "user_agent"); ok && f.raw[v.s] == '"' && !f.isEmpty(v) {
		f.putValue("user_agent.original", v, t)
		skip["user_agent"] = true
	}
	if v, ok := f.find(props, "user_id"); ok && !f.isEmpty(v) {
		s, ok := f.mustache(v)
		if !ok {
			return false
		}
		f.putNonEmpty("user.id", s)
		f.putNonEmpty("client.user.id", s)
		relUser.add(s)
		skip["user_id"] = true
	}
	f.putRelated(relIP, true)
	f.putRelated(relUser, true)

	// The record, in snake case, without what went to ECS.
	const root = "azure.graphactivitylogs."
	for _, m := range top.ms {
		switch m.key {
		case "time", "resource_id", "level", "duration_ms", "location", "tenant_id", "correlation_id":
			continue
		case "caller_ip_address":
			if dropCaller {
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
		if f.clash(props, graphBilledRenameKeys) {
			return false
		}
		for _, m := range props.ms {
			key := m.key
			if skip[key] {
				continue
			}
			switch key {
			case "_billed_size":
				key = "billed_size"
			case "_is_billable":
				key = "is_billable"
			}
			switch key {
			case "roles", "scopes", "wids":
				if f.raw[m.v.s] == '"' && !f.isEmpty(m.v) {
					s, _ := f.str(m.v, true)
					if !f.putSplit(prefix, key, s) {
						return false
					}
					continue
				}
			case "is_billable":
				if f.raw[m.v.s] == '"' {
					s, _ := f.str(m.v, true)
					if b, err := strconv.ParseBool(strings.ToLower(s)); err == nil {
						at := len(f.arena)
						f.arena = strconv.AppendBool(f.arena, b)
						f.putKey(prefix, key, at, false)
						continue
					}
				}
			case "client_auth_method":
				if f.raw[m.v.s] == '"' {
					s, _ := f.str(m.v, true)
					if n, err := strconv.Atoi(s); err == nil {
						at := len(f.arena)
						f.arena = strconv.AppendInt(f.arena, int64(n), 10)
						f.putKey(prefix, key, at, false)
						continue
					}
				}
			case "time_generated":
				if f.raw[m.v.s] == '"' {
					s, _ := f.str(m.v, true)
					if d, ok := isoDate(any(s)); ok {
						at := len(f.arena)
						f.arena = appendJSONString(f.arena, d)
						f.putKey(prefix, key, at, false)
						continue
					}
				}
			}
			if !f.putValueKey(prefix, key, m.v, t) {
				return false
			}
		}
		if issued != "" {
			at := len(f.arena)
			f.arena = appendJSONString(f.arena, issued)
			f.putKey(prefix, "token_issued_at", at, false)
		}
	}
	rid, hasRID := f.find(top, "resource_id")
	if !f.sharedFast(rid, hasRID, tenant, tenantSet, true, true) {
		return false
	}
	if tenant != "" {
		f.putString("cloud.account.id", tenant)
	}
	if region != "" {
		f.putString("cloud.region", region)
	}
	f.putString("cloud.service.name", "Microsoft Graph")
	return true
}

// urlSetter sets uriParts's fields (strings, and the port): typed, so
// that a byte-level writer's values are not boxed in interfaces.
type urlSetter interface {
	setString(path, v string)
	setInt(path string, v int)
}

func (d *doc0) setString(path, v string)  { d.set(path, v) }
func (d *doc0) setInt(path string, v int) { d.set(path, v) }

// urlFields puts the url fields uriParts sets as fields of a byte-level
// writer's document (empty strings left out, as compact drops them), and
// keeps url.path.
type urlFields struct {
	f    *fastDoc
	path string
}

func (u *urlFields) setString(path, v string) {
	u.f.putNonEmpty(path, v)
	if path == "url.path" {
		u.path = v
	}
}

func (u *urlFields) setInt(path string, v int) { u.f.putInt(path, int64(v)) }

// putURI puts the url fields of u as uriParts makes them; path is
// url.path (empty when there is none); false: u is no URI (the pipeline's
// error), and the record must take the general path.
func (f *fastDoc) putURI(u string) (path string, ok bool) {
	f.url = urlFields{f: f}
	ok = uriParts(&f.url, u)
	path = f.url.path
	f.url = urlFields{}
	return path, ok
}

// putSplit puts a list of the space-separated words of s (the pipeline's
// split), empty words left out as dropEmptyFields leaves them.
func (f *fastDoc) putSplit(prefix, key, s string) bool {
	at := len(f.arena)
	f.arena = append(f.arena, '[')
	n := 0
	for {
		// The words strings.Split(s, " ") gives, without its slice.
		w, rest, more := strings.Cut(s, " ")
		if w != "" {
			if n > 0 {
				f.arena = append(f.arena, ',')
			}
			n++
			f.arena = appendJSONString(f.arena, w)
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
		return true
	}
	f.putKey(prefix, key, at, false)
	return true
}

// graphBilledRenameKeys are the billing properties the Graph pipelines
// rename.
var graphBilledRenameKeys = renameKeys([][2]string{{"_billed_size", "billed_size"}, {"_is_billable", "is_billable"}})
