package azure

import (
	"strings"

	"github.com/vigil-project/vigil/internal/match"
)

// Index is the index of the documents Activity makes: their data stream.
const Index = "logs-azure.activitylogs-default"

// constants are the fields Activity sets to one value in every document.
var constants = map[string]string{
	"ecs.version":           "8.11.0",
	"event.kind":            "event",
	"event.dataset":         "azure.activitylogs",
	"event.module":          "azure",
	"data_stream.type":      "logs",
	"data_stream.dataset":   "azure.activitylogs",
	"data_stream.namespace": "default",
	"cloud.provider":        "azure",
}

// implied are the fields whose few possible values each imply a literal
// of the record: event.outcome is success or failure, from a resultType
// Success or Failure, or a REST status Succeeded or Failed.
var implied = map[string]string{
	"event.outcome": "success=succe;failure=fail",
}

// copied are the fields whose values Activity takes from a string of the
// record, whole or as a substring, keeping it or changing its case
// (strings.ToUpper: a record holding U+0131 or U+017F must be let through,
// as they upper-case to ASCII letters).
var copied = map[string]bool{
	"azure.resource.id": true, "cloud.resource_id": true, "related.entity": true,
	"azure.subscription_id": true, "cloud.account.id": true, "azure.tenant_id": true,
	"azure.activitylogs.operation_name": true, "event.action": true,
	"azure.activitylogs.operation_version": true, "azure.activitylogs.category": true,
	"azure.activitylogs.result_signature": true, "azure.correlation_id": true,
	"azure.activitylogs.tenant_id": true, "log.level": true, "geo.name": true, "source.address": true,
	"azure.activitylogs.identity_name": true, "message": true,
	"user.full_name": true, "user.name": true, "user.domain": true, "user.email": true, "related.user": true,
}

// copiedUnder are prefixes of fields copied from the record.
var copiedUnder = []string{
	"azure.resource.", // parts of resourceId
	"azure.activitylogs.identity.authorization.",
	"azure.activitylogs.identity.claims.",
	"azure.activitylogs.identity.claims_initiated_by_user.",
	"azure.activitylogs.properties.", // properties, including the JSON of responseBody/requestBody
}

// writtenUnder are the prefixes of every field Activity can write (a test
// checks it over Elastic's pipeline tests and the sample): a field outside
// them is Absent.
var writtenUnder = []string{
	"@timestamp", "ecs.", "event.", "data_stream.", "cloud.", "azure.resource.", "azure.subscription_id",
	"azure.tenant_id", "azure.correlation_id", "azure.activitylogs.", "related.", "source.", "client.",
	"geo.", "log.level", "user.", "message",
}

// enrichedUnder are prefixes Elastic's ingest pipeline fills from GeoIP and
// ASN databases: its geoip processors on source.ip write geo (the whole
// object), source.geo and source.as. Without databases Activity never
// writes source.geo or source.as; with them it may (Derived).
var enrichedUnder = []string{"source.geo.", "source.as."}

// notWrittenUnder are prefixes Activity never writes, databases or not:
// the integration does not look client.ip up.
var notWrittenUnder = []string{"client.geo.", "client.as."}

// claimsSchema is the one field under copiedUnder the normalizer does not
// copy.
const claimsSchema = "azure.activitylogs.identity.claims_initiated_by_user.schema"

// patternOrigin is the origin of the fields a wildcard field name can name:
// Copied when its literal head lies under one of copiedUnder (prefixes
// ending in '.') and no entry of others (fields or prefixes that are not
// copied there) shares a prefix with the head; Derived otherwise.
func patternOrigin(pattern string, copiedUnder, others []string) match.OriginKind {
	head := pattern[:strings.IndexByte(pattern, '*')]
	under := false
	for _, p := range copiedUnder {
		under = under || strings.HasSuffix(p, ".") && strings.HasPrefix(head, p)
	}
	if !under {
		return match.Derived
	}
	for _, e := range others {
		if strings.HasPrefix(e, head) || strings.HasPrefix(head, e) {
			return match.Derived
		}
	}
	return match.Copied
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Origin classifies the fields of the documents Activity makes without
// GeoIP databases, for prefilters that skip raw records no rule could
// match (match.Prefilter). It is conservative: a field it does not know to
// be copied is Derived.
// A wildcard field name asks for every field it can name (patternOrigin).
func Origin(field string) (match.OriginKind, string) { return origin(field, false) }

// EnrichedOrigin is Origin for documents made with GeoIP databases
// (Options.GeoIP): the fields of source.geo and source.as are Derived,
// whichever databases are loaded.
func EnrichedOrigin(field string) (match.OriginKind, string) { return origin(field, true) }

// OriginFor returns EnrichedOrigin when enriched, else Origin.
func OriginFor(enriched bool) match.Origin {
	if enriched {
		return EnrichedOrigin
	}
	return Origin
}

func origin(field string, enriched bool) (match.OriginKind, string) {
	if strings.Contains(field, "*") {
		others := append(append(append([]string{claimsSchema}, notWrittenUnder...), enrichedUnder...), keys(constants)...)
		return patternOrigin(field, copiedUnder, append(others, keys(implied)...)), ""
	}
	if c, ok := constants[field]; ok {
		return match.Constant, c
	}
	if c, ok := implied[field]; ok {
		return match.Implied, c
	}
	if copied[field] {
		return match.Copied, ""
	}
	for _, p := range copiedUnder {
		if strings.HasPrefix(field, p) && field != claimsSchema {
			return match.Copied, ""
		}
	}
	for _, p := range notWrittenUnder {
		if strings.HasPrefix(field, p) {
			return match.Absent, ""
		}
	}
	for _, p := range enrichedUnder {
		if strings.HasPrefix(field, p) && !enriched {
			return match.Absent, ""
		}
	}
	for _, p := range writtenUnder {
		if field == p || strings.HasPrefix(field, p) && (strings.HasSuffix(p, ".") || field[len(p)] == '.') {
			return match.Derived, ""
		}
	}
	return match.Absent, ""
}
