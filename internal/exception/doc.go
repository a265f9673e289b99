// Package exception reads Elastic Security exception lists and compiles them
// into the exclusion filter Kibana's detection engine adds to a rule's
// search: an event is left out when any item of the rule's lists matches it
// (OR across items and lists), an item matching when all its entries do
// (AND), as Elasticsearch judges them per field type.
//
// Lists come from Kibana's NDJSON export (ParseKibana: a shared exception
// list export, or a rules export with the lists its rules use) or from
// Vigil's TOML form, written by hand with the UI's operator words
// (ParseTOML; docs/exceptions.md has the format). Value lists, for "is in
// list" entries, are text files of one value per line (LoadValueList).
//
// Compile turns lists into a Filter. Entries of type match, match_any,
// exists and nested are written as KQL (`f:"v"`, `f:("a" or "b")`, `f:*`,
// `p:{ ... }`, negated with `not`) and compiled by package match, so that
// quoted values have match_phrase semantics on every field type: exact and
// case-sensitive on keyword, phrases on text, numeric on numbers, addresses
// and CIDRs on ip, date ranges on dates. Wildcard entries (`*` and `?`, which
// KQL lacks) and list entries (any size, one lookup per value) are
// evaluated here, reading the fields the Filter registered in the engine's
// event.Plan. Negated entries ("is not", "does not exist", "is not one of",
// "is not in list", "does not match") are true for events without the field,
// as Elasticsearch's must_not is: an item {user.name is not "svc"} excludes
// every event that has no user.name.
//
// Items past their expire_time are ignored; os_types add the condition
// host.os.type or host.os.name.caseless is one of them; the Endpoint list
// (endpoint_list) is skipped, as Kibana does. Select picks the lists that
// apply to a rule.
package exception
