package alert

import (
	"encoding/json"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/vigil-project/vigil/internal/event"
)

// Rule is what an alert document copies of the rule that raised it.
type Rule struct {
	UUID        string // kibana.alert.rule.uuid (Kibana's saved-object id; Vigil uses the rule_id)
	RuleID      string
	Name        string
	Description string
	Type        string
	Severity    string
	RiskScore   int
	Tags        []string
	References  []string
	Author      []string
	License     string
	Note        string
	Interval    string
	From, To    string
	Index       []string
	MaxSignals  int
	Version     int
	Threat      any // the [[rule.threat]] entries in Kibana's JSON shape
	// ThreatOf, when set, gives Threat instead: called when the rule's
	// first alert is made (once, for a prepared rule), so that a rule that
	// never alerts never shapes its entries.
	ThreatOf func() any
	// Params are the rule's parameters (kibana.alert.rule.parameters): a
	// map, or its JSON (json.RawMessage, or a value that encodes itself
	// for event.AppendJSON and encoding/json), encoded once for all the
	// rule's alerts.
	Params any
	// BuildingBlockType is "default" for building-block rules, else empty.
	BuildingBlockType string
	TimestampOverride string
	FalsePositives    []string
	// Overrides compute the alert's severity, risk score and rule name
	// from the event (severity_mapping, risk_score_mapping,
	// rule_name_override); the rule's own values stay in its parameters.
	Overrides Overrides

	prepared *prepared // by Prepare, made at the rule's first alert
}

// prepared is what Build reuses across a rule's alerts, made once, at the
// first (most rules of a corpus never alert, and its investigation
// guides are most of what encoding costs): the constFields' values
// encoded, and the template of the fields every alert of the rule has the
// same (setRuleFields), which Build clones (one copy of the map's table)
// rather than setting them one by one.
type prepared struct {
	once     sync.Once
	rule     Rule // as Prepare had it
	encoded  map[string]json.RawMessage
	template map[string]any
}

// get makes p's parts, the first time.
func (p *prepared) get() *prepared {
	p.once.Do(func() {
		r := &p.rule
		encoded := make(map[string]json.RawMessage, len(constFields))
		for _, f := range constFields {
			b, err := event.AppendJSON(nil, f.value(r))
			if err != nil {
				return // strings and lists of them always encode
			}
			encoded[f.key] = b
		}
		p.encoded = encoded
		// Room for the event's fields and the alert's own (about 80 in
		// all), which a clone keeps.
		p.template = make(map[string]any, 128)
		setRuleFields(p.template, r, encoded)
	})
	return p
}

// constFields are the alert fields whose values are the rule's text and
// lists as they are: the same in each of its alerts.
var constFields = []struct {
	key   string
	value func(r *Rule) any
}{
	{"kibana.alert.rule.description", func(r *Rule) any { return r.Description }},
	{"kibana.alert.rule.note", func(r *Rule) any { return r.Note }},
	{"kibana.alert.rule.license", func(r *Rule) any { return r.License }},
	{"kibana.alert.rule.tags", func(r *Rule) any { return strs(r.Tags) }},
	{"kibana.alert.rule.references", func(r *Rule) any { return strs(r.References) }},
	{"kibana.alert.rule.author", func(r *Rule) any { return strs(r.Author) }},
	{"kibana.alert.rule.false_positives", func(r *Rule) any { return strs(r.FalsePositives) }},
	{"kibana.alert.rule.indices", func(r *Rule) any { return strs(r.Index) }},
}

// Prepare returns r with the values of constFields encoded once: Build
// then puts their JSON (json.RawMessage) in the documents instead of the
// values, which event.AppendJSON and encoding/json write as the same
// bytes. Without it, encoding each alert quotes the rule's investigation
// guide and description (2 to 10 KB) again.
func Prepare(r Rule) Rule {
	r.prepared = &prepared{rule: r}
	return r
}

// Event is the source event of an alert.
type Event struct {
	Doc   map[string]any // the event's _source
	Index string         // the index it was read from (or resolved for it)
	ID    string         // EventID(Doc) unless the document has an _id
}

// Options are the per-alert settings.
type Options struct {
	Space string    // Kibana space; "default" if empty
	Now   time.Time // the alert's creation time (@timestamp)
}

// Build returns the alert document Kibana's detection engine writes for a
// query-rule match (spec: the event's source with kibana.* keys removed,
// event.* copied to kibana.alert.original_event.*, event.kind "signal", and
// the kibana.alert.* fields). kibana.* fields are flat dotted keys, as in
// Kibana's alerts index; the event's own fields keep their shape.
func Build(ev Event, r Rule, opts Options) map[string]any {
	space := opts.Space
	if space == "" {
		space = "default"
	}
	// Kibana's fields (about 55) and the event's event.* and data_stream.*
	// copied: sized for them at once, not grown on the way. The rule's
	// own fields come with the template, when Prepare made one.
	var doc map[string]any
	if p := r.prepared; p != nil && p.get().template != nil {
		doc = maps.Clone(p.template)
	} else {
		doc = make(map[string]any, len(ev.Doc)+80)
		setRuleFields(doc, &r, nil)
	}
	for k, v := range ev.Doc {
		if strings.HasPrefix(k, "kibana") || strings.HasPrefix(k, "signal") || strings.HasPrefix(k, "threshold_result") || k == "_id" {
			continue
		}
		doc[k] = v
	}
	// kibana.alert.original_event.* and original_data_stream.*
	copyPrefixed(doc, ev.Doc, "event", "kibana.alert.original_event.")
	copyPrefixed(doc, ev.Doc, "data_stream", "kibana.alert.original_data_stream.")
	setEventKind(doc)

	id := ID(ev.Index, ev.ID, space, r.UUID)
	getter := func(path string) (any, bool) { return Lookup(ev.Doc, path) }
	now := opts.Now.UTC().Format("2006-01-02T15:04:05.000Z")

	doc["@timestamp"] = now
	set := func(k string, v any) { doc[k] = v }
	set("kibana.alert.uuid", id)
	set("kibana.alert.ancestors", []any{map[string]any{"id": ev.ID, "index": ev.Index, "type": "event", "depth": 0}})
	severity := r.Overrides.severity(ev.Doc, r.Severity)
	riskScore := r.Overrides.riskScore(ev.Doc, r.RiskScore)
	name := r.Overrides.ruleName(ev.Doc, r.Name)
	set("kibana.alert.reason", Reason(getter, severity, name))
	set("kibana.alert.severity", severity)
	set("kibana.alert.risk_score", riskScore)
	set("kibana.alert.start", now)
	set("kibana.alert.last_detected", now)
	set("kibana.alert.intended_timestamp", now)
	if ts, ok := Lookup(ev.Doc, "@timestamp"); ok {
		set("kibana.alert.original_time", ts)
	}
	set("kibana.alert.rule.name", name)
	set("kibana.space_ids", []any{space})
	return doc
}

// setRuleFields sets the alert fields that come from the rule alone, the
// same in each of its alerts; those of constFields from encoded when it
// has them.
func setRuleFields(doc map[string]any, r *Rule, encoded map[string]json.RawMessage) {
	set := func(k string, v any) { doc[k] = v }
	set("kibana.alert.status", "active")
	set("kibana.alert.workflow_status", "open")
	set("kibana.alert.workflow_tags", []any{})
	set("kibana.alert.workflow_assignee_ids", []any{})
	set("kibana.alert.depth", 1)
	set("kibana.alert.rule.execution.type", "scheduled")
	if r.BuildingBlockType != "" {
		set("kibana.alert.building_block_type", r.BuildingBlockType)
	}
	set("kibana.alert.rule.uuid", r.UUID)
	set("kibana.alert.rule.rule_id", r.RuleID)
	set("kibana.alert.rule.type", r.Type)
	typeID, category := "siem.queryRule", "Custom Query Rule"
	switch r.Type {
	case "new_terms":
		typeID, category = "siem.newTermsRule", "New Terms Rule"
	case "threshold":
		typeID, category = "siem.thresholdRule", "Threshold Rule"
	case "threat_match":
		typeID, category = "siem.indicatorRule", "Indicator Match Rule"
	case "eql":
		typeID, category = "siem.eqlRule", "Event Correlation Rule"
	case "esql":
		typeID, category = "siem.esqlRule", "ES|QL Rule"
	}
	set("kibana.alert.rule.rule_type_id", typeID)
	set("kibana.alert.rule.consumer", "siem")
	set("kibana.alert.rule.producer", "siem")
	set("kibana.alert.rule.category", category)
	set("kibana.alert.rule.enabled", true)
	set("kibana.alert.rule.immutable", false)
	set("kibana.alert.rule.from", r.From)
	set("kibana.alert.rule.to", r.To)
	set("kibana.alert.rule.interval", r.Interval)
	set("kibana.alert.rule.max_signals", r.MaxSignals)
	set("kibana.alert.rule.risk_score", r.RiskScore)
	set("kibana.alert.rule.severity", r.Severity)
	set("kibana.alert.rule.version", r.Version)
	for _, f := range constFields {
		if b, ok := encoded[f.key]; ok {
			set(f.key, b)
		} else {
			set(f.key, f.value(r))
		}
	}
	set("kibana.alert.rule.exceptions_list", []any{})
	if r.TimestampOverride != "" {
		set("kibana.alert.rule.timestamp_override", r.TimestampOverride)
	}
	threat := r.Threat
	if r.ThreatOf != nil {
		threat = r.ThreatOf()
	}
	if threat != nil {
		set("kibana.alert.rule.threat", threat)
	} else {
		set("kibana.alert.rule.threat", []any{})
	}
	if r.Params != nil {
		set("kibana.alert.rule.parameters", r.Params)
	}
}

func strs(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// copyPrefixed copies every leaf under top-level key top (nested or as
// dotted keys "top.x") to flat keys prefix+rest.
func copyPrefixed(dst, src map[string]any, top, prefix string) {
	for k, v := range src {
		switch {
		case k == top:
			if m, ok := v.(map[string]any); ok {
				flatten(dst, m, prefix)
			}
		case strings.HasPrefix(k, top+"."):
			flattenValue(dst, v, prefix+k[len(top)+1:])
		}
	}
}

func flatten(dst map[string]any, m map[string]any, prefix string) {
	for k, v := range m {
		flattenValue(dst, v, prefix+k)
	}
}

func flattenValue(dst map[string]any, v any, key string) {
	if m, ok := v.(map[string]any); ok {
		flatten(dst, m, key+".")
		return
	}
	dst[key] = v
}

// setEventKind sets event.kind to "signal" wherever the event keeps it.
func setEventKind(doc map[string]any) {
	if _, ok := doc["event.kind"]; ok {
		doc["event.kind"] = "signal"
		return
	}
	ev, ok := doc["event"].(map[string]any)
	if !ok {
		doc["event"] = map[string]any{"kind": "signal"}
		return
	}
	cp := make(map[string]any, len(ev)+1)
	for k, v := range ev {
		cp[k] = v
	}
	cp["kind"] = "signal"
	doc["event"] = cp
}

// AddEnrichments appends a threat_match alert's indicator matches to its
// threat.enrichments, after those the event itself carried, as Kibana
// does. The event's own objects are not modified.
func AddEnrichments(doc map[string]any, enrichments []any) {
	if existing, ok := doc["threat.enrichments"]; ok { // a flattened event
		doc["threat.enrichments"] = append(asList(existing), enrichments...)
		return
	}
	threat, _ := doc["threat"].(map[string]any)
	t := make(map[string]any, len(threat)+1)
	for k, v := range threat {
		t[k] = v
	}
	t["enrichments"] = append(asList(t["enrichments"]), enrichments...)
	doc["threat"] = t
}

// asList returns v as a new list: a list's elements, or v alone.
func asList(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return append([]any(nil), x...)
	}
	return []any{v}
}
