// Package azure maps raw Azure records to the ECS documents Elastic's
// Azure integration (ECS 8.11) indexes, field by field, so rules written
// for Elastic match exactly as they would there: activity logs (this
// file), and the sign-in, audit, identity-protection, Graph, AAD Graph and
// platform-log data streams a record's category routes it to (stream.go,
// Route). Two record shapes are read: the resource-log schema of
// diagnostic-settings exports (Event Hub, storage account) and the Activity
// Log REST schema of `az monitor activity-log list` and portal exports,
// which is first rewritten to the former.
package azure

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-project/vigil/internal/geoip"
)

// Options control a normalization.
type Options struct {
	// Ingested sets event.ingested; zero leaves it out (batch mode never
	// invents it, so rules fall back to @timestamp).
	Ingested time.Time
	// GeoIP, when set, fills geo.*, source.geo.* and source.as.* from
	// source.ip as the integration's geoip processors do (see Enrich).
	GeoIP *geoip.Databases
}

// IsActivity reports whether a decoded record looks like an activity-log
// record in either shape.
func IsActivity(rec map[string]any) bool {
	_, op := rec["operationName"]
	_, res := rec["resourceId"]
	_, ts := rec["time"]
	_, ets := rec["eventTimestamp"]
	return op && (res || ts || ets)
}

// recordKeys are the top-level keys of an activity-log record that
// Activity reads: the resource-log schema's, and the REST schema's
// eventTimestamp (its other fields come with an operationName object).
var recordKeys = []string{
	"time", "resourceId", "operationName", "operationVersion", "category", "resultType", "resultSignature",
	"durationMs", "callerIpAddress", "correlationId", "identity", "level", "Level", "location", "properties",
	"tenantId", "eventTimestamp",
}

// HasRecordField reports whether a decoded record has at least one field
// of an activity-log record. It is the test for records of a source named
// as Azure activity logs: Elastic's integration makes a document of every
// record its Event Hub delivers, operationName or not (its pipeline test
// test-time-formats-corner-cases.log holds records of only time and
// category), and Activity does the same; a record with none of these
// fields (an ECS document, {}) is refused rather than turned into a
// document of constants.
func HasRecordField(rec map[string]any) bool {
	for _, k := range recordKeys {
		if _, ok := rec[k]; ok {
			return true
		}
	}
	return false
}

// Activity maps one record (decoded with json.Number numbers) to ECS. raw
// is the record's JSON text, kept in event.original. Warnings report
// values the pipeline would drop silently (an unparsable time).
func Activity(rec map[string]any, raw []byte, opts Options) (doc map[string]any, warnings []string, err error) {
	if _, rest := rec["operationName"].(map[string]any); rest {
		rec = fromREST(rec)
	}
	d := doc0{}
	d.set("ecs.version", "8.11.0")
	d.set("event.kind", "event")
	d.set("event.dataset", "azure.activitylogs")
	d.set("event.module", "azure")
	d.set("data_stream.type", "logs")
	d.set("data_stream.dataset", "azure.activitylogs")
	d.set("data_stream.namespace", "default")
	d.set("cloud.provider", "azure")
	if len(raw) > 0 {
		d.set("event.original", strings.ReplaceAll(string(raw), `"":"",`, ""))
	}
	if !opts.Ingested.IsZero() {
		d.set("event.ingested", opts.Ingested.UTC().Format("2006-01-02T15:04:05.000000000Z"))
	}

	if s, ok := rec["time"].(string); ok {
		if t, ok := parseTime(s); ok {
			d.set("@timestamp", t.UTC().Format("2006-01-02T15:04:05.000Z"))
		} else {
			warnings = append(warnings, fmt.Sprintf("time %q is in no known format; @timestamp left out", s))
		}
	}
	if s, ok := rec["resourceId"].(string); ok {
		d.set("azure.resource.id", s)
		d.set("cloud.resource_id", s)
		d.appendUnique("related.entity", s)
		splitResourceID(d, s)
		if sub, ok := d.get("azure.subscription_id"); ok {
			d.set("cloud.account.id", sub)
		}
		if m := tenantRE.FindStringSubmatch(s); m != nil {
			d.set("azure.tenant_id", m[1])
		}
	}
	if s, ok := rec["operationName"].(string); ok {
		d.set("azure.activitylogs.operation_name", s)
		d.set("event.action", s)
	}
	if s, ok := rec["operationVersion"].(string); ok {
		d.set("azure.activitylogs.operation_version", s)
	}
	if s, ok := rec["category"].(string); ok {
		d.set("azure.activitylogs.category", s)
		switch strings.ToLower(s) {
		case "write", "action":
			d.set("event.type", []any{"change"})
		case "read":
			d.set("event.type", []any{"access"})
		case "delete":
			d.set("event.type", []any{"deletion"})
		}
	}
	if s, ok := rec["resultType"].(string); ok {
		d.set("azure.activitylogs.result_type", s)
		if l := strings.ToLower(s); l == "success" || l == "failure" {
			d.set("event.outcome", l)
		}
	}
	if s, ok := rec["resultSignature"].(string); ok {
		d.set("azure.activitylogs.result_signature", s)
	}
	if dur, ok := durationNS(rec["durationMs"]); ok {
		d.set("event.duration", dur)
	}
	if s, ok := rec["durationMs"].(string); ok {
		d.set("azure.activitylogs.durationMs", s)
	}
	if s, ok := rec["correlationId"].(string); ok {
		d.set("azure.correlation_id", s)
	}
	if s, ok := rec["tenantId"].(string); ok {
		d.set("azure.activitylogs.tenant_id", s)
	}
	if s, ok := rec["level"].(string); ok {
		d.set("log.level", s)
	}
	if n, ok := rec["Level"].(json.Number); ok {
		if v, err := n.Int64(); err == nil {
			d.set("azure.activitylogs.level", v)
		}
	}
	if s, ok := rec["location"].(string); ok {
		d.set("geo.name", s)
	}
	if ip, ok := rec["callerIpAddress"].(string); ok && ip != "" {
		if a, err := netip.ParseAddr(ip); err == nil {
			d.set("source.ip", a.String())
			d.set("client.ip", a.String())
			d.appendUnique("related.ip", a.String())
			if opts.GeoIP != nil {
				warnings = append(warnings, enrich(d, a, opts.GeoIP)...)
			}
		} else {
			d.set("source.address", ip)
		}
	}
	identity(d, rec["identity"])
	properties(d, rec)
	return d.m, warnings, nil
}

// identity maps the caller's identity: authorization (action, scope,
// evidence in snake_case), token claims (dots in keys become underscores,
// the name claims are pulled out as the initiating user), or a plain
// string identity (sign-in-shaped records).
func identity(d doc0, x any) {
	switch id := x.(type) {
	case string:
		d.set("azure.activitylogs.identity_name", id)
	case map[string]any:
		if auth, ok := id["authorization"].(map[string]any); ok {
			for _, k := range []string{"action", "scope"} {
				if v, ok := auth[k]; ok {
					d.set("azure.activitylogs.identity.authorization."+k, v)
				}
			}
			if ev, ok := auth["evidence"].(map[string]any); ok {
				for k, v := range ev {
					d.set("azure.activitylogs.identity.authorization.evidence."+snake(k), v)
				}
				if p, ok := ev["principalId"].(string); ok && p != "" {
					d.appendUnique("related.entity", p)
				}
			}
		}
		claims, ok := id["claims"].(map[string]any)
		if !ok {
			return
		}
		const schema = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims"
		out := map[string]any{}
		for k, v := range claims {
			switch k {
			case "name":
				d.set("azure.activitylogs.identity.claims_initiated_by_user.fullname", v)
				if s, ok := v.(string); ok {
					d.set("user.full_name", s)
				}
			case schema + "/name":
				d.set("azure.activitylogs.identity.claims_initiated_by_user.name", v)
				d.set("azure.activitylogs.identity.claims_initiated_by_user.schema", schema)
				if s, ok := v.(string); ok {
					userName(d, s)
				}
			case schema + "/givenname":
				d.set("azure.activitylogs.identity.claims_initiated_by_user.givenname", v)
			case schema + "/surname":
				d.set("azure.activitylogs.identity.claims_initiated_by_user.surname", v)
			default:
				out[strings.ReplaceAll(k, ".", "_")] = v
			}
		}
		if len(out) > 0 {
			d.set("azure.activitylogs.identity.claims", out)
		}
	}
}

var userAtDomain = regexp.MustCompile(`^([^@]+)@(.+)$`)

func userName(d doc0, s string) {
	if m := userAtDomain.FindStringSubmatch(s); m != nil {
		d.set("user.name", m[1])
		d.set("user.domain", m[2])
		d.set("user.email", s)
	} else {
		d.set("user.name", s)
	}
	d.appendUnique("related.user", s)
}

// properties maps the record's properties: eventCategory to event_category,
// statusMessage to message, statusCode/serviceRequestId renamed, JSON
// strings in responseBody/requestBody parsed, the rest kept as is.
func properties(d doc0, rec map[string]any) {
	p, ok := rec["properties"].(map[string]any)
	if s, isStr := rec["properties"].(string); isStr {
		var m map[string]any
		if dec(s, &m) == nil {
			p, ok = m, true
		}
	}
	cat := "Administrative"
	if ok {
		if s, has := p["eventCategory"].(string); has {
			cat = s
		} else if _, pol := p["policies"]; pol {
			cat = "Policy"
		}
	}
	d.set("azure.activitylogs.event_category", cat)
	if !ok {
		return
	}
	out := map[string]any{}
	for k, v := range p {
		switch k {
		case "eventCategory":
		case "statusMessage":
			d.set("message", v)
		case "statusCode":
			out["status_code"] = v
		case "serviceRequestId":
			out["service_request_id"] = v
		case "responseBody", "requestBody":
			if s, isStr := v.(string); isStr {
				var parsed any
				if dec(s, &parsed) == nil {
					if _, obj := parsed.(map[string]any); obj {
						v = parsed
					}
				}
			}
			out[k] = v
		default:
			out[k] = v
		}
	}
	if len(out) > 0 {
		d.set("azure.activitylogs.properties", out)
	}
}

func dec(s string, v any) error {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	return d.Decode(v)
}

// splitResourceID fills azure.subscription_id and azure.resource.* from a
// resource id, keeping its case, as the integration's grok chain does: only
// the all-caps and the camelCase spellings of the keywords are recognised.
func splitResourceID(d doc0, id string) {
	for _, kv := range resourceParts(id) {
		d.set(kv[0], kv[1])
	}
}

// resourceParts returns the fields of a resource id. Logs name the same
// resources over and over, so the regular expressions run once per distinct
// id: the results are cached (up to resourceCacheSize ids, then the cache
// starts over).
func resourceParts(id string) [][2]string {
	resourceCache.RLock()
	parts, ok := resourceCache.m[id]
	resourceCache.RUnlock()
	if ok {
		return parts
	}
	id = strings.Clone(id) // the caller's string may alias its record
	parts = matchResourceID(id)
	resourceCache.Lock()
	if len(resourceCache.m) >= resourceCacheSize {
		resourceCache.m = map[string][][2]string{}
	}
	resourceCache.m[id] = parts
	resourceCache.Unlock()
	return parts
}

const resourceCacheSize = 50_000

var resourceCache = struct {
	sync.RWMutex
	m map[string][][2]string
}{m: map[string][][2]string{}}

// matchResourceID is parseResourceID into a slice of its own: nil when no
// pattern matches.
func matchResourceID(id string) [][2]string { return parseResourceID(nil, id) }

var tenantRE = regexp.MustCompile(`(?i)^/tenants/([^/]+)`)

const guid = `\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?`

// durationNS converts durationMs (number or numeric string) to
// nanoseconds, in 64 bits (the old Filebeat pipeline overflowed here).
func durationNS(x any) (int64, bool) {
	var s string
	switch t := x.(type) {
	case json.Number:
		s = t.String()
	case string:
		s = t
	default:
		return 0, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n * 1_000_000, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return int64(f * 1e6), true
	}
	return 0, false
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"1/2/2006 3:04:05 PM -07:00",
	"1/2/2006 3:04:05 PM Z07:00",
	"1/2/2006 3:04:05 PM",
	"1/2/2006 15:04:05",
	"01/02/2006 03:04:05 PM",
	"01/02/2006 15:04:05",
	"2006-01-02T15:04:05.000Z",
}

func parseTime(s string) (time.Time, bool) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// doc0 builds a nested document from dotted paths.
type doc0 struct{ m map[string]any }

func (d *doc0) set(path string, v any) {
	if d.m == nil {
		d.m = map[string]any{}
	}
	cur := d.m
	for {
		p, rest, more := strings.Cut(path, ".")
		if !more {
			cur[p] = v
			return
		}
		next, ok := cur[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[p] = next
		}
		cur, path = next, rest
	}
}

func (d *doc0) get(path string) (any, bool) {
	var cur any = d.m
	for {
		p, rest, more := strings.Cut(path, ".")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
		if !more {
			return cur, true
		}
		path = rest
	}
}

func (d *doc0) appendUnique(path string, s string) {
	cur := d.m
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, _ := cur[p].(map[string]any)
		if next == nil {
			d.set(path, []any{s})
			return
		}
		cur = next
	}
	list, _ := cur[parts[len(parts)-1]].([]any)
	for _, x := range list {
		if x == s {
			return
		}
	}
	cur[parts[len(parts)-1]] = append(list, s)
}

// enrich does what the integration's three geoip processors on source.ip
// do: the City database's fields replace the whole top-level geo object
// (geo.name from location goes when the address is found, as in Elastic's
// expected documents) and fill source.geo; the ASN database's asn and
// organization_name, renamed, fill source.as.number and
// source.as.organization.name. An address without a record (a private
// one) changes nothing. client.ip, a copy of source.ip, is not looked up.
func enrich(d doc0, ip netip.Addr, dbs *geoip.Databases) (warnings []string) {
	g, ok, err := dbs.Geo(ip)
	if err != nil {
		warnings = append(warnings, fmt.Sprintf("geoip: %v", err))
	}
	if ok {
		d.set("geo", g.Object())
		d.set("source.geo", g.Object())
	}
	a, ok, err := dbs.AS(ip)
	if err != nil {
		warnings = append(warnings, fmt.Sprintf("geoip: %v", err))
	}
	if ok {
		d.set("source.as", a.Object())
	}
	return warnings
}

func (d *doc0) del(path string) {
	parent, last := d.m, path
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		p, ok := d.get(path[:i])
		if !ok {
			return
		}
		parent, _ = p.(map[string]any)
		last = path[i+1:]
	}
	delete(parent, last)
}

// tenantProviderRE is the shared pipeline's grok for tenant-scoped
// resource ids (/tenants/<guid>/providers/<provider>).
var tenantProviderRE = regexp.MustCompile(`(?i)/tenants/(` + guid + `)/providers/(.+)`)
