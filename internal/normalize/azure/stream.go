package azure

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/geoip"
)

// Stream is a data stream of Elastic's Azure integration that Vigil
// writes: the index a raw record's document lands in, and the pipeline
// that makes it.
type Stream int

// Streams. NoStream is a category the integration routes to a stream Vigil
// does not write (Application Gateway, Firewall, Spring Apps, provisioning).
const (
	ActivityLogs Stream = iota
	SignInLogs
	AuditLogs
	IdentityProtection
	GraphActivityLogs
	AADGraphActivityLogs
	PlatformLogs
	NoStream
)

// Streams is the number of streams Vigil writes (NoStream excluded).
const Streams = int(NoStream)

var streamInfo = [...]struct{ dataset, root, source string }{
	ActivityLogs:         {"azure.activitylogs", "activitylogs", "azure-activity"},
	SignInLogs:           {"azure.signinlogs", "signinlogs", "azure-signinlogs"},
	AuditLogs:            {"azure.auditlogs", "auditlogs", "azure-auditlogs"},
	IdentityProtection:   {"azure.identity_protection", "identityprotection", "azure-identity-protection"},
	GraphActivityLogs:    {"azure.graphactivitylogs", "graphactivitylogs", "azure-graphactivitylogs"},
	AADGraphActivityLogs: {"azure.aadgraphactivitylogs", "aadgraphactivitylogs", "azure-aadgraphactivitylogs"},
	PlatformLogs:         {"azure.platformlogs", "platformlogs", "azure-platformlogs"},
}

// Dataset is the stream's event.dataset and data_stream.dataset.
func (s Stream) Dataset() string {
	if s < 0 || s >= NoStream {
		return ""
	}
	return streamInfo[s].dataset
}

// Index is the data stream (namespace default) the stream's documents
// land in.
func (s Stream) Index() string {
	if s < 0 || s >= NoStream {
		return ""
	}
	return "logs-" + streamInfo[s].dataset + "-default"
}

// Root is the object under azure. that holds the record's own fields
// (identity_protection writes azure.identityprotection).
func (s Stream) Root() string {
	if s < 0 || s >= NoStream {
		return ""
	}
	return "azure." + streamInfo[s].root
}

// SourceName is the stream's --source name (azure-signinlogs, ...).
func (s Stream) SourceName() string {
	if s < 0 || s >= NoStream {
		return ""
	}
	return streamInfo[s].source
}

func (s Stream) String() string {
	if s == NoStream {
		return "none"
	}
	return s.Dataset()
}

// activityCategories are the categories the integration's events data
// stream routes to azure.activitylogs.
var activityCategories = map[string]bool{
	"Administrative": true, "Security": true, "ServiceHealth": true, "Alert": true,
	"Recommendation": true, "Policy": true, "Autoscale": true, "ResourceHealth": true,
}

// otherStreams are the categories routed to streams Vigil does not write.
var otherStreams = map[string]bool{
	"ApplicationGatewayFirewallLog": true, "ApplicationGatewayAccessLog": true,
	"AzureFirewallApplicationRule": true, "AzureFirewallNetworkRule": true, "AzureFirewallDnsProxy": true,
	"AZFWApplicationRule": true, "AZFWNetworkRule": true, "AZFWNatRule": true, "AZFWDnsQuery": true,
	"ProvisioningLogs":   true,
	"ApplicationConsole": true, "SystemLogs": true, "IngressLogs": true, "BuildLogs": true, "ContainerEventLogs": true,
}

// Route returns the stream the integration's events data stream sends a
// record of this category to (its pipeline compares the values exactly):
// activity-log categories to activity logs, the Entra ID and Graph
// categories to theirs, any other category to platform logs. A record
// without a category (has false) stays an activity-log record, as Vigil
// has always read such records; Elastic's events stream would leave it in
// azure.events (docs/azure.md).
func Route(category string, has bool) Stream {
	switch {
	case !has || activityCategories[category]:
		return ActivityLogs
	case strings.HasSuffix(category, "SignInLogs") && (category == "SignInLogs" || category == "NonInteractiveUserSignInLogs" ||
		category == "ServicePrincipalSignInLogs" || category == "ManagedIdentitySignInLogs"):
		return SignInLogs
	case category == "AuditLogs":
		return AuditLogs
	case category == "MicrosoftGraphActivityLogs":
		return GraphActivityLogs
	case category == "AzureADGraphActivityLogs":
		return AADGraphActivityLogs
	case category == "RiskyUsers" || category == "UserRiskEvents":
		return IdentityProtection
	case otherStreams[category]:
		return NoStream
	}
	return PlatformLogs
}

// RecordCategory returns a decoded record's category (key category, else
// Category, as the events pipeline renames it) as routing reads it: a
// string (the value of the REST shape's {"value": ...}), or has false.
func RecordCategory(rec map[string]any) (string, bool) {
	v, ok := rec["category"]
	if !ok || v == nil {
		v, ok = rec["Category"]
	}
	if !ok || v == nil {
		return "", false
	}
	switch t := v.(type) {
	case string:
		return t, true
	case map[string]any:
		// The Activity Log REST shape: {"value": ..., "localizedValue": ...}.
		if s, ok := t["value"].(string); ok {
			return s, true
		}
	}
	return fmt.Sprint(v), true
}

// Normalize maps one record (decoded with json.Number numbers) with the
// stream's pipeline. raw is the record's JSON text, kept in
// event.original. A record the stream's pipeline drops (a sign-in stream
// record whose category is not a sign-in category, say) is an error.
func Normalize(s Stream, rec map[string]any, raw []byte, opts Options) (map[string]any, []string, error) {
	switch s {
	case ActivityLogs:
		return Activity(rec, raw, opts)
	case SignInLogs:
		return SignIn(rec, raw, opts)
	case AuditLogs:
		return Audit(rec, raw, opts)
	case IdentityProtection:
		return Identity(rec, raw, opts)
	case GraphActivityLogs:
		return Graph(rec, raw, opts)
	case AADGraphActivityLogs:
		return AADGraph(rec, raw, opts)
	case PlatformLogs:
		return Platform(rec, raw, opts)
	}
	return nil, nil, fmt.Errorf("no normalizer for this record's stream")
}

// begin starts a document of stream s: the fields every document of the
// stream has.
func begin(s Stream, raw []byte, opts Options) doc0 {
	d := doc0{}
	d.set("ecs.version", "8.11.0")
	d.set("event.kind", "event")
	d.set("event.dataset", s.Dataset())
	d.set("event.module", "azure")
	d.set("data_stream.type", "logs")
	d.set("data_stream.dataset", s.Dataset())
	d.set("data_stream.namespace", "default")
	d.set("cloud.provider", "azure")
	if len(raw) > 0 {
		d.set("event.original", string(raw))
	}
	if !opts.Ingested.IsZero() {
		d.set("event.ingested", opts.Ingested.UTC().Format("2006-01-02T15:04:05.000000000Z"))
	}
	return d
}

// failed does what the pipelines' on_failure handlers do: the document is
// kept, marked event.kind pipeline_error, with the processor's message in
// error.message and the original preserved.
func failed(d doc0, msg string) {
	d.set("event.kind", "pipeline_error")
	d.appendUnique("error.message", msg)
	d.appendUnique("tags", "preserve_original_event")
}

// timestamp parses the record's time into @timestamp with the stream's
// formats; a time in none of them fails the pipeline (when fail) or is
// left out with a warning.
func timestamp(d doc0, v any, fail bool) (warnings []string) {
	if v == nil {
		return nil
	}
	s, ok := v.(string)
	if ok {
		if t, ok := parseTime(s); ok {
			d.set("@timestamp", t.UTC().Format("2006-01-02T15:04:05.000Z"))
			return nil
		}
	} else {
		s = fmt.Sprint(v)
	}
	if fail {
		failed(d, fmt.Sprintf("Processor 'date' failed with message 'unable to parse date [%s]'", s))
	}
	return []string{fmt.Sprintf("time %q is in no known format; @timestamp left out", s)}
}

// isoDate reformats an ISO 8601 time as Elasticsearch's date processor
// writes it (milliseconds, UTC); ok false when it is not one.
func isoDate(v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		return "", false
	}
	t, ok := isoTime(s)
	if !ok {
		return "", false
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z"), true
}

// isoTime is isoDate's time, not yet written.
func isoTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		// yyyy-MM-dd'T'H:mm:ss.SSS'Z': hours without a leading zero.
		if t, err = time.Parse("2006-01-02T15:04:05.000Z", s); err != nil {
			if t, err = time.Parse("2006-01-02T3:04:05.000Z", s); err != nil {
				if t, err = time.Parse("2006-01-02T15:04:05.999999999", s); err != nil {
					return time.Time{}, false
				}
			}
		}
	}
	return t, true
}

// shared does the integration's shared Azure pipeline
// (azure-shared-pipeline): cloud.provider, the parts of the resource id
// (subscription, group, provider, name; a tenant-scoped id's tenant), the
// id itself to azure.resource.id, event.outcome lower-cased,
// cloud.account.id from the subscription or tenant, cloud.region as a
// slug.
func shared(d doc0, resourceID any) {
	d.set("cloud.provider", "azure")
	if id, ok := resourceID.(string); ok {
		splitResourceID(d, id)
		_, sub := d.get("azure.subscription_id")
		_, ten := d.get("azure.tenant_id")
		if !sub && !ten {
			if m := tenantProviderRE.FindStringSubmatch(id); m != nil {
				d.set("azure.tenant_id", m[1])
				d.set("azure.resource.provider", m[2])
			}
		}
		d.set("azure.resource.id", id)
	}
	if o, ok := d.get("event.outcome"); ok {
		if s, ok := o.(string); ok {
			d.set("event.outcome", strings.ToLower(s))
		}
	}
	if v, ok := d.get("azure.subscription_id"); ok && v != "" {
		d.set("cloud.account.id", v)
	} else if v, ok := d.get("azure.tenant_id"); ok && v != "" {
		d.set("cloud.account.id", v)
	}
	if v, ok := d.get("cloud.region"); ok {
		if s, ok := v.(string); ok {
			s = strings.ToLower(strings.Join(strings.Fields(s), ""))
			if s == "global" {
				d.del("cloud.region")
			} else {
				d.set("cloud.region", s)
			}
		}
	}
}

// sourceIP sets source.ip (or source.address for a value that is not an
// address), client.ip and related.ip from an address field, as the
// pipelines' convert/rename/append steps do, and looks the address up
// when databases are given.
func sourceIP(d doc0, v any, dbs *geoip.Databases, topGeo bool) (warnings []string) {
	s, ok := v.(string)
	if !ok || s == "" {
		if v != nil && !ok {
			d.set("source.address", v)
		}
		return nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		d.set("source.address", s)
		return nil
	}
	d.set("source.ip", a.String())
	d.set("client.ip", a.String())
	d.appendUnique("related.ip", a.String())
	if dbs != nil {
		warnings = enrichSource(d, a, dbs, topGeo)
	}
	return warnings
}

// enrichSource fills source.geo and source.as (and the top-level geo when
// topGeo, as the platform-logs pipeline does) from an address.
func enrichSource(d doc0, ip netip.Addr, dbs *geoip.Databases, topGeo bool) (warnings []string) {
	g, ok, err := dbs.Geo(ip)
	if err != nil {
		warnings = append(warnings, fmt.Sprintf("geoip: %v", err))
	}
	if ok {
		if topGeo {
			d.set("geo", g.Object())
		}
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

// mustache renders a value as the pipelines' {{{field}}} templates do.
func mustache(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		return strconv.FormatBool(t)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// durationValue is durationMs in nanoseconds, as the pipelines' convert
// and multiply steps leave it (a number, or a numeric string).
func durationValue(v any) (any, bool) {
	switch t := v.(type) {
	case json.Number:
		if n, err := t.Int64(); err == nil {
			return n * 1_000_000, true
		}
		if f, err := t.Float64(); err == nil {
			return f * 1e6, true
		}
	case string:
		if n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64); err == nil {
			return n * 1_000_000, true
		}
	}
	return nil, false
}

// snakeKeys turns the keys of maps (and of maps in lists), recursively,
// into snake case as the pipelines' keysToSnakeCase scripts do: an
// underscore between a lower-case ASCII letter and the upper-case run
// after it, then all lower-cased. dropUnderscore is the graph pipelines'
// variant, whose pattern also takes an underscore before the lower-case
// letter away.
//
// Two keys that become one (aB and a_b): the one that sorts last in byte
// order wins, so that the document does not depend on the map's order
// (the byte-level writers leave such records to this path).
func snakeKeys(x any, dropUnderscore bool) any {
	switch t := x.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, v := range t {
			sk := snakeKey(k, dropUnderscore)
			if _, dup := out[sk]; dup {
				return snakeKeysSorted(t, dropUnderscore)
			}
			out[sk] = snakeKeys(v, dropUnderscore)
		}
		return out
	case []any:
		for i, v := range t {
			if m, ok := v.(map[string]any); ok {
				t[i] = snakeKeys(m, dropUnderscore)
			}
		}
		return t
	}
	return x
}

// snakeKeysSorted is snakeKeys of a map whose keys meet in snake case:
// its keys taken in byte order, the last one winning.
func snakeKeysSorted(m map[string]any, dropUnderscore bool) map[string]any {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make(map[string]any, len(m))
	for _, k := range keys {
		out[snakeKey(k, dropUnderscore)] = snakeKeys(m[k], dropUnderscore)
	}
	return out
}

func snakeKey(k string, dropUnderscore bool) string {
	var b strings.Builder
	for i := 0; i < len(k); i++ {
		c := k[i]
		if 'a' <= c && c <= 'z' && i+1 < len(k) && 'A' <= k[i+1] && k[i+1] <= 'Z' {
			if dropUnderscore && i > 0 && k[i-1] == '_' {
				s := b.String()
				b.Reset()
				b.WriteString(s[:len(s)-1])
			}
			b.WriteByte(c)
			b.WriteByte('_')
			continue
		}
		b.WriteByte(c)
	}
	return strings.ToLower(b.String())
}

// dropEmpty removes null and empty-string values, then emptied maps and
// lists, recursively, as the pipelines' dropEmptyFields scripts do; it
// reports whether x itself is empty.
func dropEmpty(x any) bool {
	switch t := x.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case map[string]any:
		for k, v := range t {
			if dropEmpty(v) {
				delete(t, k)
			}
		}
		return len(t) == 0
	case []any:
		return false // lists are compacted by their parent
	}
	return false
}

// compact is dropEmpty for a whole document, lists included.
func compact(m map[string]any) {
	for k, v := range m {
		switch t := v.(type) {
		case []any:
			out := t[:0]
			for _, e := range t {
				if mm, ok := e.(map[string]any); ok {
					compact(mm)
					if len(mm) == 0 {
						continue
					}
				} else if dropEmpty(e) {
					continue
				}
				out = append(out, e)
			}
			if len(out) == 0 {
				delete(m, k)
			} else {
				m[k] = out
			}
		case map[string]any:
			compact(t)
			if len(t) == 0 {
				delete(m, k)
			}
		default:
			if dropEmpty(v) {
				delete(m, k)
			}
		}
	}
}

// take removes key from m and returns its value.
func take(m map[string]any, key string) (any, bool) {
	v, ok := m[key]
	if ok {
		delete(m, key)
	}
	return v, ok
}

// sub returns m[key] as a map, or nil.
func sub(m map[string]any, key string) map[string]any {
	if m == nil {
		return nil
	}
	s, _ := m[key].(map[string]any)
	return s
}

// copyRecord returns a deep copy of a decoded record, so that a
// normalizer may take fields out of it.
func copyRecord(x any) any {
	switch t := x.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, v := range t {
			out[k] = copyRecord(v)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, v := range t {
			out[i] = copyRecord(v)
		}
		return out
	}
	return x
}
