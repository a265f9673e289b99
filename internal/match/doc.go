// Package match compiles a KQL query and the fields' Elasticsearch types into
// a matcher: a tree of small nodes that gives, per event, the verdict
// Elasticsearch gives when Kibana's detection engine runs the query with
// field types known (spec §2.1–2.3).
//
// Per field type, a `field:value` clause means:
//
//   - keyword (and fields the schema does not know): the whole value is one
//     term, exact and case-sensitive; numbers and booleans in the event compare
//     by their JSON text (404 matches "404", the KQL literal true matches
//     "true"). A wildcard value is Elasticsearch's wildcard query: `*` is any
//     run of characters, `?` is literal, spaces are literal. Values longer
//     than ignore_above (1024 characters, ECS's setting) are not indexed and
//     match nothing, not even `field:*`.
//   - constant_keyword, wildcard and flattened leaves: exact and
//     case-sensitive too, without ignore_above. Kibana sends a wildcard value
//     on these types as a query_string query, which splits the pattern at
//     whitespace into alternatives: `f:*a b*` means `f:*a or f:b*`.
//   - keyword with the lowercase normalizer (Elastic Defend's .caseless
//     multi-fields): exact after lower-casing the value and the query alike.
//     A multi-field (process.name.caseless, user.name.text) reads its
//     parent's value.
//   - text and match_only_text: analyzed by the field's analyzer (see
//     eachToken for the approximation of the standard analyzer; whitespace,
//     simple, keyword and the PowerShell pattern analyzer in analyzer.go). An unquoted value matches if any of its
//     tokens is a token of the field; a quoted value is a phrase (its tokens
//     adjacent, in order). A wildcard applies to each token, lower-cased,
//     after the same whitespace split.
//   - long, integer, short, byte, unsigned_long, double, float, half_float,
//     scaled_float: the query value must be a number (else a compile error, as
//     Elasticsearch fails the search); numeric strings in events are coerced;
//     integer fields truncate decimals in the event (1.9 is indexed as 1) and
//     a decimal query value matches no integer; float fields compare in 32-bit
//     precision. Wildcards are compile errors.
//   - date and date_nanos: ISO dates, epoch milliseconds and date math (see
//     package datemath). `@timestamp:2024-05-01` is the range gte..lte of that
//     value, so a whole day. Event values are ISO strings or epoch millis;
//     date fields keep milliseconds.
//   - ip: an address, or a CIDR network; event values that are not IPs match
//     nothing. On other fields a CIDR is just text.
//   - boolean: true or false (the literal, or the strings "true"/"false").
//   - object and nested paths hold sub-fields, not values: a term on them
//     matches nothing (`field:*` asks whether a sub-field has a value).
//
// Ranges (`f >= v`) compare numbers numerically, dates with date math and
// Elasticsearch's rounding (gt and lte round up, gte and lt down), IPs by
// address, booleans false < true, and keyword-like and text fields by bytes
// (text: each token).
//
// Across types: a clause on an array matches if any element does, `not`
// only if none does; `f:(a and b)` needs each value somewhere in the array;
// a missing field fails positive clauses and satisfies `not`. `f:*` is true
// for any non-null value, "" included. Dotted keys and nested objects are
// the same path.
//
// Wildcard field names (`user.*:bob`) and free text (`bob`, `"failed
// login"`) expand over the event's own leaves, each judged by its own type
// and leniently (a value its type cannot take is skipped, as multi_match and
// query_string do with lenient); the `.text` multi-fields the schema defines
// (user.name.text) are searched too, as Elasticsearch indexes them from the
// parent value.
//
// `f:{ query }` is a nested query: the inner query (paths relative to f) must
// hold within one object of f. Kibana rejects `{}` on a field it knows is not
// nested, and a nested field queried outside its `{}` group: both are
// compile errors here when the schema knows the field; on fields the schema
// does not know, `{}` is taken as written.
//
// Compile once, evaluate many times: every literal field path is registered
// in an event.Plan so evaluation reads only the referenced fields in one pass
// over the JSON; lower-case forms, numbers, dates, CIDRs and wildcard
// patterns are prepared at compile time, and an OR of more than four
// constants on one exact field becomes a set lookup. Only wildcard field
// names, free text and nested queries decode the whole document.
package match
