package azure

import (
	"strings"

	"github.com/vigil-project/vigil/internal/match"
)

// streamOrigin describes how one stream's normalizer fills the fields of
// its documents (see Origin): what is constant, what is copied from the
// record's strings (whole, a substring, or with its case changed), and the
// prefixes of everything it can write; the rest of what it writes is
// Derived, and what it cannot write is Absent.
type streamOrigin struct {
	constants   map[string]string
	copied      map[string]bool
	copiedUnder []string // prefixes of copied fields
	derivedIn   []string // fields under copiedUnder that are Derived after all
	written     []string // prefixes (or whole names) of every field written
}

// common are the constants of every stream but activity logs, with the
// dataset to fill in.
func commonConstants(s Stream) map[string]string {
	return map[string]string{
		"ecs.version": "8.11.0", "event.dataset": s.Dataset(), "event.module": "azure",
		"data_stream.type": "logs", "data_stream.dataset": s.Dataset(), "data_stream.namespace": "default",
		"cloud.provider": "azure",
	}
}

// sharedCopied are the fields the shared pipeline copies from the record
// (the resource id and its parts, the subscription or tenant id).
var sharedCopied = []string{"azure.resource.", "azure.subscription_id", "azure.tenant_id", "cloud.account.id", "azure.correlation_id"}

// sharedWritten are the fields every stream's shared steps can write.
var sharedWritten = []string{
	"@timestamp", "ecs.", "event.", "data_stream.", "cloud.", "azure.resource.", "azure.subscription_id",
	"azure.tenant_id", "azure.correlation_id", "source.ip", "source.address", "client.ip", "related.", "error.", "tags",
}

var streamOrigins = map[Stream]*streamOrigin{}

func init() {
	add := func(s Stream, consts map[string]string, copied []string, copiedUnder, derivedIn, written []string) {
		c := commonConstants(s)
		for k, v := range consts {
			c[k] = v
		}
		o := &streamOrigin{constants: c, copied: map[string]bool{}, derivedIn: derivedIn}
		for _, f := range copied {
			o.copied[f] = true
		}
		o.copiedUnder = append([]string{s.Root() + "."}, copiedUnder...)
		o.copiedUnder = append(o.copiedUnder, sharedCopied...)
		o.written = append(append([]string{s.Root() + "."}, sharedWritten...), written...)
		streamOrigins[s] = o
	}
	// Of user_agent.*, only user_agent.original is written: Elastic's
	// user_agent processor's parsed fields are not (docs/azure.md), so
	// a rule on user_agent.name cannot match a raw record's document.
	add(SignInLogs, nil,
		[]string{"event.action", "event.id", "user.name", "user.email", "user.full_name", "user.id", "related.user",
			"related.entity", "service.name", "user_agent.original", "source.address", "log.level",
			"geo.country_iso_code", "geo.city_name", "geo.region_name"},
		[]string{"geo.location."}, nil,
		[]string{"geo.", "user.", "user_agent.original", "service.", "message", "source.geo.", "source.as."})
	add(AuditLogs, map[string]string{"event.kind": "event"},
		[]string{"event.action", "related.entity", "source.address", "log.level", "event.outcome"},
		nil, nil,
		[]string{"source.geo.", "source.as."})
	add(IdentityProtection, map[string]string{"event.kind": "event"},
		[]string{"event.action", "user.name", "user.email", "user.full_name", "user.id", "related.user", "source.address"},
		nil,
		[]string{"azure.identityprotection.properties.last_updated_datetime", "azure.identityprotection.properties.risk_last_updated_datetime",
			"azure.identityprotection.properties.activity_datetime", "azure.identityprotection.properties.detected_datetime"},
		[]string{"user.", "source.geo.", "source.as."})
	add(GraphActivityLogs, map[string]string{"cloud.service.name": "Microsoft Graph"},
		[]string{"event.action", "user.id", "client.user.id", "related.user", "source.address", "log.level",
			"http.request.id", "http.request.method", "http.response.bytes", "http.response.status_code",
			"user_agent.original", "destination.geo.region_name", "cloud.region", "url.original",
			"url.path", "url.domain", "url.query", "url.fragment", "url.scheme", "url.username", "url.password",
			"url.user_info", "url.extension", "url.port"},
		nil,
		[]string{"azure.graphactivitylogs.properties.token_issued_at", "azure.graphactivitylogs.properties.time_generated",
			"azure.graphactivitylogs.properties.is_billable"},
		[]string{"user.", "client.user.", "http.", "url.", "user_agent.original", "destination.", "source.geo.", "source.as."})
	add(AADGraphActivityLogs, map[string]string{"cloud.service.name": "Azure AD Graph"},
		[]string{"user.id", "client.user.id", "related.user", "source.address", "service.id", "device.id", "session.id",
			"http.request.id", "event.id", "http.request.method", "http.response.bytes", "http.response.status_code",
			"user_agent.original", "destination.geo.region_name", "cloud.region", "url.original",
			"url.path", "url.domain", "url.query", "url.fragment", "url.scheme", "url.username", "url.password",
			"url.user_info", "url.extension", "url.port"},
		nil,
		[]string{"azure.aadgraphactivitylogs.properties.token_issued_at", "azure.aadgraphactivitylogs.properties.time_generated",
			"azure.aadgraphactivitylogs.properties.is_billable"},
		[]string{"user.", "client.user.", "http.", "url.", "user_agent.original", "destination.", "service.", "device.", "session.",
			"source.geo.", "source.as."})
	add(PlatformLogs, map[string]string{"event.kind": "event"},
		[]string{"event.action", "source.address", "log.level", "geo.name", "message"},
		nil,
		[]string{"azure.platformlogs.event_category"},
		[]string{"geo.", "message", "source.geo.", "source.as."})
}

// StreamOrigin classifies the fields of the documents the stream's
// normalizer makes, for prefilters on raw records (match.Prefilter), as
// Origin does for activity logs; enriched is for documents made with
// GeoIP databases (source.geo, source.as and, for platform logs, geo are
// then Derived rather than Absent or copied).
func StreamOrigin(s Stream, enriched bool) match.Origin {
	o, ok := streamOrigins[s]
	if !ok {
		return OriginFor(enriched)
	}
	return func(field string) (match.OriginKind, string) { return o.origin(field, enriched) }
}

func (o *streamOrigin) origin(field string, enriched bool) (match.OriginKind, string) {
	if strings.Contains(field, "*") {
		// A pattern (a wildcard field name): Copied when every field it
		// can name is copied or never written.
		others := append(append([]string{"source.geo.", "source.as.", "client.geo.", "client.as.", "geo."}, o.derivedIn...), keys(o.constants)...)
		return patternOrigin(field, o.copiedUnder, others), ""
	}
	if c, ok := o.constants[field]; ok {
		return match.Constant, c
	}
	under := func(prefixes []string) bool {
		for _, p := range prefixes {
			if field == strings.TrimSuffix(p, ".") || strings.HasPrefix(field, p) && strings.HasSuffix(p, ".") ||
				strings.HasPrefix(field, p) && len(field) > len(p) && field[len(p)] == '.' {
				return true
			}
		}
		return false
	}
	if strings.HasPrefix(field, "source.geo.") || strings.HasPrefix(field, "source.as.") ||
		strings.HasPrefix(field, "client.geo.") || strings.HasPrefix(field, "client.as.") {
		if !enriched {
			return match.Absent, ""
		}
		return match.Derived, ""
	}
	if enriched && strings.HasPrefix(field, "geo.") {
		return match.Derived, "" // the platform pipeline's geoip replaces geo
	}
	if under(o.derivedIn) {
		return match.Derived, ""
	}
	if o.copied[field] || under(o.copiedUnder) {
		return match.Copied, ""
	}
	if under(o.written) {
		return match.Derived, ""
	}
	return match.Absent, ""
}

// AnyOrigin is the origin of the documents of all the streams together,
// for questions about raw Azure records of any category ("could the
// normalizers write this field?"): a field is Absent when no stream's
// normalizer writes it, Derived otherwise.
func AnyOrigin(enriched bool) match.Origin {
	return func(field string) (match.OriginKind, string) {
		if k, _ := OriginFor(enriched)(field); k != match.Absent {
			return match.Derived, ""
		}
		for s := SignInLogs; s < NoStream; s++ {
			if k, _ := StreamOrigin(s, enriched)(field); k != match.Absent {
				return match.Derived, ""
			}
		}
		return match.Absent, ""
	}
}
