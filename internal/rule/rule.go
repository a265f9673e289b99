// Package rule reads Elastic Security detection rules in the TOML format of
// the elastic/detection-rules repository ([metadata], [rule], [transform]),
// applies Kibana's defaults, validates them with positioned errors, compiles
// their KQL queries, and tells per rule whether Vigil can run it.
//
// Besides the common keys, a Rule holds typed forms of the type-specific
// settings ([rule.threshold], [rule.new_terms], the threat_match, eql and
// machine_learning keys) and of the optional lists every type may carry
// (alert_suppression, exceptions_list, severity and risk score mappings,
// related integrations, required and investigation fields). Errors point at
// the offending key, also inside sub-tables, arrays of tables and inline
// tables; docs/rules.md lists what is checked.
package rule

import (
	"fmt"
	"time"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/match"
	"github.com/vigil-project/vigil/internal/sequence"
)

// Status says whether Vigil can run a rule.
type Status string

// Rule statuses.
const (
	StatusOK          Status = "ok"
	StatusUnsupported Status = "unsupported"
	StatusError       Status = "error"
)

// Error is a problem in a rule file, with its position.
type Error struct {
	File      string
	Line, Col int
	Msg, Hint string
	Detail    string // e.g. the query line with a caret under the fault
}

func (e *Error) Error() string {
	pos := e.File
	if e.Line > 0 {
		pos = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Col)
	}
	return pos + ": " + e.Msg
}

// Metadata is the [metadata] table.
type Metadata struct {
	CreationDate     string   `toml:"creation_date"`
	UpdatedDate      string   `toml:"updated_date"`
	DeprecationDate  string   `toml:"deprecation_date"`
	Maturity         string   `toml:"maturity"`
	Integration      []string `toml:"-"`
	MinStackVersion  string   `toml:"min_stack_version"`
	MinStackComments string   `toml:"min_stack_comments"`
	OSTypeList       []string `toml:"os_type_list"`
}

// Threat is one [[rule.threat]] entry (MITRE ATT&CK or ATLAS).
type Threat struct {
	Framework string      `toml:"framework" json:"framework"`
	Tactic    ThreatRef   `toml:"tactic" json:"tactic"`
	Technique []Technique `toml:"technique" json:"technique,omitempty"`
}

// ThreatRef is a tactic, technique or subtechnique reference.
type ThreatRef struct {
	ID        string `toml:"id" json:"id"`
	Name      string `toml:"name" json:"name"`
	Reference string `toml:"reference" json:"reference"`
}

// Technique is a technique with its subtechniques.
type Technique struct {
	ThreatRef
	Subtechnique []ThreatRef `toml:"subtechnique" json:"subtechnique,omitempty"`
}

// Rule is one loaded rule: its fields as written (with Kibana's defaults
// applied), its compiled query, and its status.
type Rule struct {
	File     string
	Metadata Metadata

	RuleID, Name, Description, Type, Language, Query string
	Index                                            []string
	DataViewID                                       string
	From, To                                         string        // date math; defaults now-6m and now
	Interval                                         time.Duration // default 5m
	Lookback                                         time.Duration // to - from
	MaxSignals                                       int           // default 100
	TimestampOverride                                string
	TimestampOverrideFallbackDisabled                bool
	Severity                                         string
	RiskScore                                        int
	Author, Tags, References, FalsePositives         []string
	License, Note, Setup                             string
	BuildingBlockType, RuleNameOverride              string
	Version                                          int
	Enabled                                          bool
	Threat                                           []Threat

	// Optional settings common to all rule types; empty when not set.
	ExceptionsList      []ExceptionListRef
	AlertSuppression    *AlertSuppression // nil: no suppression
	RiskScoreMapping    []RiskScoreMapping
	SeverityMapping     []SeverityMapping
	RelatedIntegrations []RelatedIntegration
	RequiredFields      []RequiredField
	InvestigationFields []string // [rule.investigation_fields] field_names

	// Type-specific settings, set only on rules of their type.
	Threshold *Threshold // threshold rules
	NewTerms  *NewTerms  // new_terms rules

	// threat_match rules.
	ThreatIndex         []string
	ThreatQuery         string
	ThreatLanguage      string // default kuery
	ThreatIndicatorPath string // default threat.indicator
	ThreatFilters       []any  // Kibana filter objects, as decoded
	ThreatMapping       []ThreatMappingGroup
	ConcurrentSearches  int // 0: not set (Kibana's default)
	ItemsPerSearch      int // 0: not set (Kibana's default)

	// eql rules; empty: not set.
	TimestampField, EventCategoryOverride, TiebreakerField string

	// machine_learning rules.
	AnomalyThreshold     int
	MachineLearningJobID []string

	// SavedID is the Kibana saved query of saved_query rules (query,
	// threshold and threat_match rules may also name one).
	SavedID string

	// Raw is the whole [rule] table as decoded: Params() and the fields
	// Vigil carries without a typed form (filters, threat, meta, actions...).
	Raw       map[string]any
	Transform map[string]any

	Status Status
	Reason string
	Errors []*Error
	// Warnings are problems that do not stop the rule: fields its query
	// reads whose type no built-in table or mapping gives, taken as
	// keyword (Untyped lists them).
	Warnings []*Error
	// Untyped are the fields of the query of unknown type, sorted.
	Untyped []string

	matcher *match.Matcher
	byIndex []indexMatcher // the query compiled per index where types differ (see MatchIndex)
	filters []filter
	threat  *threatQuery // threat_match rules
	esql    *ESQL        // runnable ES|QL rules
	// sequence is an eql sequence rule's compiled query: Match then
	// selects the events one of its steps (or until) selects.
	sequence *sequence.Query
}

// Match reports whether ev matches the rule's query and filters. Only
// runnable (StatusOK) rules match anything. Fields whose types differ
// across the rule's index patterns take those of the first pattern that
// maps them (MatchIndex evaluates with the event's own index).
func (r *Rule) Match(ev *event.Event) bool { return r.MatchIndex(ev, "") }

// MatchIndex is Match for an event read from the concrete index: where
// the rule's fields have different types in different indices (a text
// field in one integration, keyword in a Beat's index), the query is
// evaluated with the types of the event's index, as Elasticsearch
// evaluates each index of a search with its own mapping. A query that
// index's types make invalid matches nothing there (Elasticsearch fails
// that index's shards). An unknown index ("") or one no definition
// matches uses Match's types.
func (r *Rule) MatchIndex(ev *event.Event, index string) bool {
	if r.Status != StatusOK {
		return false
	}
	m := r.matcher
	if index != "" {
		for _, im := range r.byIndex {
			if ecs.IndexMatches(im.pattern, index) {
				if im.m == nil {
					return false
				}
				m = im.m
				break
			}
		}
	}
	if m != nil && !m.Match(ev) {
		return false
	}
	if r.sequence != nil && !r.sequence.Relevant(ev) {
		return false
	}
	for _, f := range r.filters {
		if !f.match(ev) {
			return false
		}
	}
	return true
}

// Part is one of the conditions a rule's verdict is the disjunction of:
// Match holds for an event exactly when one of the rule's parts does.
type Part struct {
	Match    func(*event.Event) bool
	Required []match.Requirement // necessary conditions of this part
}

// SequenceParts returns the parts of a runnable eql sequence rule: one per
// step it selects events by (the step's query and the rule's filters),
// nil for other rules. The rule index keys each part on its own step's
// requirements, where Match's are only their disjunction.
func (r *Rule) SequenceParts() []Part {
	if r.Status != StatusOK || r.sequence == nil || r.matcher != nil {
		return nil
	}
	var parts []Part
	for _, m := range r.sequence.Selectors() {
		parts = append(parts, Part{Required: m.Required(), Match: func(ev *event.Event) bool {
			if !m.Match(ev) {
				return false
			}
			for _, f := range r.filters {
				if !f.match(ev) {
					return false
				}
			}
			return true
		}})
	}
	return parts
}

// Sequence returns an eql sequence rule's compiled query, nil for the
// other rules.
func (r *Rule) Sequence() *sequence.Query { return r.sequence }

// Matcher returns the compiled query, nil if the rule has none.
func (r *Rule) Matcher() *match.Matcher { return r.matcher }

// TypesVaryByIndex reports whether the rule's fields have different types
// in some of the indices its patterns select: its verdict then depends on
// the event's index (MatchIndex), and the necessary conditions of Matcher
// hold only for the indices of the first pattern.
func (r *Rule) TypesVaryByIndex() bool { return len(r.byIndex) > 0 }

// Params returns the rule's parameters as kibana.alert.rule.parameters
// holds them (snake_case, defaults applied).
func (r *Rule) Params() map[string]any {
	p := map[string]any{}
	for k, v := range r.Raw {
		p[k] = v
	}
	p["rule_id"] = r.RuleID
	p["type"] = r.Type
	p["from"] = r.From
	p["to"] = r.To
	if _, ok := p["interval"]; !ok {
		p["interval"] = "5m"
	}
	p["max_signals"] = r.MaxSignals
	p["severity"] = r.Severity
	p["risk_score"] = r.RiskScore
	if r.Language != "" {
		p["language"] = r.Language
	}
	return p
}
