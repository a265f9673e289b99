package rule

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/sharedtestdata"
)

func parseFile(t *testing.T, path string) *Rule {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := Parse(path, data, LoadOptions{Plan: event.NewPlan(), Now: fixedNow})
	if len(r.Errors) > 0 {
		t.Fatalf("%s: %v", path, r.Errors)
	}
	return r
}

func intPtr(n int) *int { return &n }

// typedView is the part of a Rule the typed parsing fills.
type typedView struct {
	ExceptionsList                                         []ExceptionListRef
	AlertSuppression                                       *AlertSuppression
	RiskScoreMapping                                       []RiskScoreMapping
	SeverityMapping                                        []SeverityMapping
	RelatedIntegrations                                    []RelatedIntegration
	RequiredFields                                         []RequiredField
	InvestigationFields                                    []string
	Threshold                                              *Threshold
	NewTerms                                               *NewTerms
	ThreatIndex                                            []string
	ThreatQuery, ThreatLanguage, ThreatIndicatorPath       string
	ThreatFilters                                          int // how many
	ThreatMapping                                          []ThreatMappingGroup
	ConcurrentSearches, ItemsPerSearch                     int
	TimestampField, EventCategoryOverride, TiebreakerField string
	AnomalyThreshold                                       int
	MachineLearningJobID                                   []string
	SavedID                                                string
}

func viewOf(r *Rule) typedView {
	return typedView{
		ExceptionsList: r.ExceptionsList, AlertSuppression: r.AlertSuppression,
		RiskScoreMapping: r.RiskScoreMapping, SeverityMapping: r.SeverityMapping,
		RelatedIntegrations: r.RelatedIntegrations, RequiredFields: r.RequiredFields,
		InvestigationFields: r.InvestigationFields, Threshold: r.Threshold, NewTerms: r.NewTerms,
		ThreatIndex: r.ThreatIndex, ThreatQuery: r.ThreatQuery, ThreatLanguage: r.ThreatLanguage,
		ThreatIndicatorPath: r.ThreatIndicatorPath, ThreatFilters: len(r.ThreatFilters),
		ThreatMapping: r.ThreatMapping, ConcurrentSearches: r.ConcurrentSearches, ItemsPerSearch: r.ItemsPerSearch,
		TimestampField: r.TimestampField, EventCategoryOverride: r.EventCategoryOverride,
		TiebreakerField: r.TiebreakerField, AnomalyThreshold: r.AnomalyThreshold,
		MachineLearningJobID: r.MachineLearningJobID, SavedID: r.SavedID,
	}
}

// TestTypedFixtures checks every typed value read from the good fixtures.
func TestTypedFixtures(t *testing.T) {
	for _, tc := range []struct {
		file string
		want typedView
	}{
		{"threshold.toml", typedView{
			Threshold: &Threshold{Field: []string{"user.name", "cloud.account.id"}, Value: 25,
				Cardinality: []Cardinality{{Field: "source.ip", Value: 3}}},
			AlertSuppression: &AlertSuppression{Duration: &Duration{Value: 1, Unit: "h"}},
		}},
		{"new_terms.toml", typedView{
			NewTerms: &NewTerms{Fields: []string{"azure.activitylogs.identity.claims_initiated_by_user.name", "azure.activitylogs.operation_name"},
				HistoryWindowStart: "now-14d"},
			AlertSuppression: &AlertSuppression{GroupBy: []string{"azure.activitylogs.identity.claims_initiated_by_user.name"},
				MissingFieldsStrategy: "suppress"},
		}},
		{"new_terms_api.toml", typedView{
			NewTerms: &NewTerms{Fields: []string{"host.name", "destination.geo.country_iso_code"}, HistoryWindowStart: "now-7d"},
		}},
		{"threat_match.toml", typedView{
			ThreatIndex: []string{"logs-ti_*"}, ThreatQuery: `@timestamp >= "now-30d/d" and threat.indicator.ip:*`,
			ThreatLanguage: "kuery", ThreatIndicatorPath: "threat.indicator", ThreatFilters: 1,
			ConcurrentSearches: 2, ItemsPerSearch: 5000,
			ThreatMapping: []ThreatMappingGroup{
				{Entries: []ThreatMappingEntry{{Field: "source.ip", Type: "mapping", Value: "threat.indicator.ip"}}},
				{Entries: []ThreatMappingEntry{
					{Field: "destination.ip", Type: "mapping", Value: "threat.indicator.ip"},
					{Field: "destination.port", Type: "mapping", Value: "threat.indicator.port", Negate: true},
				}},
			},
		}},
		{"extras.toml", typedView{
			ExceptionsList: []ExceptionListRef{
				{ID: "endpoint_list", ListID: "endpoint_list", NamespaceType: "agnostic", Type: "endpoint"},
				{ID: "9f0e53e0-0000-4000-8000-000000000001", ListID: "azure-known-scanners", NamespaceType: "single", Type: "detection"},
			},
			AlertSuppression: &AlertSuppression{GroupBy: []string{"azure.resource.id", "azure.activitylogs.operation_name"},
				Duration: &Duration{Value: 30, Unit: "m"}, MissingFieldsStrategy: "doNotSuppress"},
			SeverityMapping: []SeverityMapping{
				{Field: "azure.activitylogs.properties.severity", Operator: "equals", Value: "High", Severity: "high"},
				{Field: "azure.activitylogs.properties.severity", Operator: "equals", Value: "Informational", Severity: "low"},
			},
			RiskScoreMapping:    []RiskScoreMapping{{Field: "event.risk_score", Operator: "equals", Value: ""}},
			RelatedIntegrations: []RelatedIntegration{{Package: "azure", Version: "^1.0.0", Integration: "activitylogs"}},
			RequiredFields: []RequiredField{
				{Name: "event.dataset", Type: "keyword", ECS: true},
				{Name: "azure.activitylogs.category", Type: "keyword"},
			},
			InvestigationFields: []string{"azure.resource.id", "user.name", "source.ip"},
		}},
	} {
		r := parseFile(t, filepath.Join("testdata", "good", tc.file))
		if diff := cmp.Diff(tc.want, viewOf(r)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.file, diff)
		}
	}
}

// TestTypedCorpus reads typed values from real rules of Elastic's corpus.
func TestTypedCorpus(t *testing.T) {
	root := sharedtestdata.Dir(t, "detection-rules")
	rule := func(rel string) *Rule {
		t.Helper()
		return parseFile(t, filepath.Join(root, "rules", rel))
	}

	r := rule("network/discovery_potential_syn_port_scan_detected.toml")
	if diff := cmp.Diff(&Threshold{Field: []string{"destination.ip", "source.ip"}, Value: 1,
		Cardinality: []Cardinality{{Field: "destination.port", Value: 250}}}, r.Threshold); diff != "" {
		t.Errorf("threshold (-want +got):\n%s", diff)
	}
	th, reason := r.ThresholdConfig()
	if reason != "" || th.CardinalityField != "destination.port" || th.CardinalityValue != 250 || len(th.Fields) != 2 {
		t.Errorf("ThresholdConfig = %+v, %q", th, reason)
	}

	r = rule("integrations/azure/impact_azure_storage_account_deletion.toml")
	if diff := cmp.Diff(&NewTerms{Fields: []string{"azure.activitylogs.identity.claims_initiated_by_user.name"},
		HistoryWindowStart: "now-7d"}, r.NewTerms); diff != "" {
		t.Errorf("new terms (-want +got):\n%s", diff)
	}
	if nt, reason := r.NewTermsConfig(); reason != "" || nt.HistoryWindowStart != "now-7d" {
		t.Errorf("NewTermsConfig = %+v, %q", nt, reason)
	}

	r = rule("promotions/m365_defender_alert_external_alerts.toml")
	wantSup := &AlertSuppression{GroupBy: []string{"m365_defender.alert.id", "m365_defender.alert.tenant_id"},
		Duration: &Duration{Value: 24, Unit: "h"}, MissingFieldsStrategy: DoNotSuppress}
	if diff := cmp.Diff(wantSup, r.AlertSuppression); diff != "" {
		t.Errorf("alert suppression (-want +got):\n%s", diff)
	}
	if d := r.AlertSuppression.Duration.TimeDuration(); d != 24*time.Hour {
		t.Errorf("suppression duration %v, want 24h", d)
	}
	if len(r.SeverityMapping) != 4 || r.SeverityMapping[0] != (SeverityMapping{Field: "m365_defender.alert.severity", Operator: "equals", Value: "informational", Severity: "low"}) {
		t.Errorf("severity mapping %+v", r.SeverityMapping)
	}

	r = rule("threat_intel/threat_intel_rapid7_threat_command.toml")
	if r.ThreatIndicatorPath != "rapid7.tc.vulnerability" || r.ThreatLanguage != "kuery" ||
		!cmp.Equal(r.ThreatIndex, []string{"logs-ti_rapid7_threat_command_latest.vulnerability"}) ||
		len(r.ThreatMapping) != 1 || r.ThreatMapping[0].Entries[0] != (ThreatMappingEntry{Field: "vulnerability.id", Type: "mapping", Value: "vulnerability.id"}) {
		t.Errorf("threat match: path %q language %q index %v mapping %+v", r.ThreatIndicatorPath, r.ThreatLanguage, r.ThreatIndex, r.ThreatMapping)
	}

	r = rule("ml/persistence_ml_rare_process_by_host_linux.toml")
	if r.AnomalyThreshold != 50 || !cmp.Equal(r.MachineLearningJobID, []string{"v3_rare_process_by_host_linux_ea"}) {
		t.Errorf("ml: threshold %d jobs %v", r.AnomalyThreshold, r.MachineLearningJobID)
	}

	r = rule("integrations/endpoint/execution_elastic_malicious_file_detected.toml")
	if diff := cmp.Diff([]ExceptionListRef{{ID: "endpoint_list", ListID: "endpoint_list", NamespaceType: "agnostic", Type: "endpoint"}}, r.ExceptionsList); diff != "" {
		t.Errorf("exceptions list (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]RiskScoreMapping{{Field: "event.risk_score", Operator: "equals", Value: ""}}, r.RiskScoreMapping); diff != "" {
		t.Errorf("risk score mapping (-want +got):\n%s", diff)
	}

	r = rule("integrations/azure/credential_access_azure_aks_coredns_configmap_modified.toml")
	if n := len(r.InvestigationFields); n != 11 || r.InvestigationFields[0] != "@timestamp" || r.InvestigationFields[10] != "azure.platformlogs.properties.log.responseStatus.code" {
		t.Errorf("investigation fields %v", r.InvestigationFields)
	}
}

// parseText parses a rule made of a common head and the given [rule] tail.
func parseText(tail string) *Rule { return parseRule("", tail) }

// parseRule is parseText with extra [metadata] lines.
func parseRule(meta, tail string) *Rule {
	head := `[metadata]
creation_date = "2026/01/01"
updated_date = "2026/01/01"
` + meta + `
[rule]
author = ["T"]
description = "d"
name = "n"
risk_score = 1
rule_id = "r"
severity = "low"
`
	return Parse("t.toml", []byte(head+tail), LoadOptions{Plan: event.NewPlan(), Now: fixedNow})
}

func errorsText(r *Rule) string {
	var b strings.Builder
	for _, e := range r.Errors {
		b.WriteString(e.Error() + " | " + e.Hint + "\n")
	}
	return b.String()
}

// TestWindow checks from/to through date math and the look-back they make.
func TestWindow(t *testing.T) {
	for _, tc := range []struct {
		from, to string
		lookback time.Duration
		status   Status
		errText  string
	}{
		{"", "", 6 * time.Minute, StatusOK, ""},
		{"now-9m", "", 9 * time.Minute, StatusOK, ""},
		{"now-2h", "now-1h", time.Hour, StatusOK, ""},
		{"now-1d-30m", "", 24*time.Hour + 30*time.Minute, StatusOK, ""},
		{"now-1M", "", 30 * 24 * time.Hour, StatusOK, ""},
		{"now-1y", "", 365 * 24 * time.Hour, StatusOK, ""},
		{"now-7205m", "", 7205 * time.Minute, StatusOK, ""},
		{"now-1h", "now+5m", 65 * time.Minute, StatusOK, ""},
		{"now/d", "", 0, StatusUnsupported, ""},
		{"now-1m", "now-5m", 0, StatusError, `rule.from "now-1m" is not before rule.to "now-5m"`},
		{"now-5q", "", 0, StatusError, `unknown unit "q"`},
		{"2026-01-01", "", 0, StatusError, `rule.from = "2026-01-01" is not date math relative to now`},
		{"yesterday", "", 0, StatusError, `write date math relative to now, e.g. "now-9m"`},
	} {
		tail := `type = "query"` + "\nquery = \"a:b\"\n"
		if tc.from != "" {
			tail += "from = \"" + tc.from + "\"\n"
		}
		if tc.to != "" {
			tail += "to = \"" + tc.to + "\"\n"
		}
		r := parseText(tail)
		if r.Status != tc.status {
			t.Errorf("from %q to %q: status %s (%s), want %s\n%s", tc.from, tc.to, r.Status, r.Reason, tc.status, errorsText(r))
			continue
		}
		if tc.status == StatusOK && r.Lookback != tc.lookback {
			t.Errorf("from %q to %q: look-back %v, want %v", tc.from, tc.to, r.Lookback, tc.lookback)
		}
		if tc.errText != "" && !strings.Contains(errorsText(r), tc.errText) {
			t.Errorf("from %q to %q: errors\n%s\nwant %q", tc.from, tc.to, errorsText(r), tc.errText)
		}
	}
}

// TestTypedValidation covers rules beyond the fixtures: each snippet's
// [rule] tail and the status, reason or error text it must give.
func TestTypedValidation(t *testing.T) {
	for _, tc := range []struct {
		name, tail string
		status     Status
		text       string // in the errors (status error) or the reason
	}{
		{"threshold single string field", `type = "threshold"
query = "a:b"
[rule.threshold]
field = "user.name"
value = 3
`, StatusOK, ""},
		{"threshold empty string field", `type = "threshold"
query = "a:b"
[rule.threshold]
field = ""
value = 3
`, StatusOK, ""},
		{"threshold 5 fields", `type = "threshold"
query = "a:b"
[rule.threshold]
field = ["a", "b", "c", "d", "e"]
value = 3
`, StatusOK, ""},
		{"threshold 6 fields", `type = "threshold"
query = "a:b"
[rule.threshold]
field = ["a", "b", "c", "d", "e", "f"]
value = 3
`, StatusError, "15:1: rule.threshold.field has 6 fields, at most 5 are allowed"},
		{"threshold 4 fields on an old stack", `type = "threshold"
query = "a:b"
[rule.threshold]
field = ["a", "b", "c", "d"]
value = 3
`, StatusError, "min_stack_version 8.19.0 allows at most 3"},
		{"threshold missing", `type = "threshold"
query = "a:b"
`, StatusError, `[rule] lacks the required key "threshold"`},
		{"threshold empty field name", `type = "threshold"
query = "a:b"
[rule.threshold]
field = ["a", ""]
value = 3
`, StatusError, "15:15: rule.threshold.field has an empty name at element 2"},
		{"threshold as a string", `type = "threshold"
query = "a:b"
threshold = "user.name"
`, StatusError, "rule.threshold must be a table, not a string"},
		{"new terms absolute history", `type = "new_terms"
query = "a:b"
new_terms_fields = ["user.name"]
history_window_start = "2026-01-01"
`, StatusUnsupported, "absolute date"},
		{"new terms both shapes", `type = "new_terms"
query = "a:b"
new_terms_fields = ["user.name"]
[rule.new_terms]
value = ["user.name"]
history_window_start = "now-7d"
`, StatusError, "keep one form"},
		{"new terms missing", `type = "new_terms"
query = "a:b"
`, StatusError, `[rule] lacks the required key "new_terms"`},
		{"new terms unknown key", `type = "new_terms"
query = "a:b"
[rule.new_terms]
value = ["user.name"]
hitsory_window_start = "now-7d"
`, StatusError, `did you mean "history_window_start"?`},
		{"suppression on eql", `type = "eql"
language = "eql"
query = "process where true"
[rule.alert_suppression]
group_by = ["host.name"]
`, StatusOK, ""},
		{"suppression without group_by", `type = "query"
query = "a:b"
[rule.alert_suppression]
missing_fields_strategy = "suppress"
`, StatusError, `14:1: [rule.alert_suppression] lacks the required key "group_by"`},
		{"suppression inline duration", `type = "query"
query = "a:b"
alert_suppression = {group_by = ["a"], duration = {value = 5, unit = "x"}}
`, StatusError, `14:63: rule.alert_suppression.duration.unit = "x"`},
		{"threat match defaults", `type = "threat_match"
query = "a:b"
threat_index = ["logs-ti_*"]
threat_query = "*:*"
threat_mapping = [{entries = [{field = "source.ip", type = "mapping", value = "threat.indicator.ip"}]}]
`, StatusOK, ""},
		{"threat query broken", `type = "threat_match"
query = "a:b"
threat_index = ["logs-ti_*"]
threat_query = "threat.indicator.ip:(1.2.3.4"
threat_mapping = [{entries = [{field = "source.ip", type = "mapping", value = "threat.indicator.ip"}]}]
`, StatusError, `15:45: threat_query: missing ")"`},
		{"threat language lucene", `type = "threat_match"
query = "a:b"
threat_index = ["logs-ti_*"]
threat_language = "lucene"
threat_query = "*:*"
threat_mapping = [{entries = [{field = "source.ip", type = "mapping", value = "threat.indicator.ip"}]}]
`, StatusUnsupported, "threat_language lucene"},
		{"threat mapping unknown key", `type = "threat_match"
query = "a:b"
threat_index = ["logs-ti_*"]
threat_query = "*:*"
[[rule.threat_mapping]]
[[rule.threat_mapping.entries]]
field = "source.ip"
type = "mapping"
value = "threat.indicator.ip"
negated = true
`, StatusError, `21:1: unknown key "negated" in [rule.threat_mapping[0].entries[0]]`},
		{"ml job id list", `type = "machine_learning"
anomaly_threshold = 75
machine_learning_job_id = ["a", "b"]
`, StatusUnsupported, "anomaly detection jobs"},
		{"ml missing", `type = "machine_learning"
`, StatusError, `lacks the required key "anomaly_threshold"`},
		{"eql settings", `type = "eql"
language = "eql"
query = "process where true"
timestamp_field = "event.ingested"
event_category_override = "event.type"
tiebreaker_field = "event.sequence"
`, StatusOK, ""},
		{"eql sequence", `type = "eql"
language = "eql"
query = "sequence by host.id [process where true] [network where true]"
`, StatusOK, ""},
		{"eql sequence with alert suppression", `type = "eql"
language = "eql"
query = "sequence by host.id [process where true] [network where true]"
[rule.alert_suppression]
group_by = ["host.name"]
`, StatusOK, ""},
		{"eql sample", `type = "eql"
language = "eql"
query = "sample by host.id [process where true] [network where true]"
`, StatusOK, ""},
		{"eql pipe", `type = "eql"
language = "eql"
query = "process where true | head 5"
`, StatusUnsupported, "eql pipe head is not supported yet"},
		{"eql syntax error", `type = "eql"
language = "eql"
query = "process where a = 1"
`, StatusError, `query: "=" is not a comparison operator`},
		{"eql unknown function", `type = "eql"
language = "eql"
query = "process where foo(process.name)"
`, StatusError, `query: unknown function [foo]`},
		{"eql language kuery", `type = "eql"
language = "kuery"
query = "process where true"
`, StatusError, `an eql rule's language must be "eql"`},
		{"eql empty setting", `type = "eql"
language = "eql"
query = "process where true"
tiebreaker_field = ""
`, StatusError, "rule.tiebreaker_field is empty"},
		{"saved id on a query rule", `type = "query"
query = "a:b"
saved_id = "q"
`, StatusOK, ""},
		{"interval too long", `type = "query"
query = "a:b"
interval = "99999999999999999999m"
`, StatusError, "too long"},
		{"exceptions list not tables", `type = "query"
query = "a:b"
exceptions_list = ["endpoint_list"]
`, StatusError, "14:20: rule.exceptions_list[0] must be a table, not a string"},
		{"required field name missing", `type = "query"
query = "a:b"
[[rule.required_fields]]
type = "keyword"
`, StatusError, `14:1: [rule.required_fields[0]] lacks the required key "name"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			meta := ""
			if strings.Contains(tc.name, "old stack") {
				meta = "min_stack_version = \"8.19.0\"\n"
			}
			r := parseRule(meta, tc.tail)
			if r.Status != tc.status {
				t.Fatalf("status %s (%s), want %s\n%s", r.Status, r.Reason, tc.status, errorsText(r))
			}
			got := r.Reason
			if r.Status == StatusError {
				got = errorsText(r)
			}
			if !strings.Contains(got, tc.text) {
				t.Errorf("got\n%s\nwant %q", got, tc.text)
			}
		})
	}
}

func TestThreatMatchDefaults(t *testing.T) {
	r := parseText(`type = "threat_match"
query = "a:b"
threat_index = ["logs-ti_*"]
threat_query = "*:*"
threat_mapping = [{entries = [{field = "source.ip", type = "mapping", value = "threat.indicator.ip"}]}]
`)
	if len(r.Errors) > 0 {
		t.Fatal(errorsText(r))
	}
	if r.ThreatLanguage != "kuery" || r.ThreatIndicatorPath != "threat.indicator" || r.ConcurrentSearches != 0 {
		t.Errorf("defaults: language %q path %q concurrent %d", r.ThreatLanguage, r.ThreatIndicatorPath, r.ConcurrentSearches)
	}
	q := parseText("type = \"query\"\nquery = \"a:b\"\n")
	if q.ThreatLanguage != "" || q.ThreatIndicatorPath != "" || q.AlertSuppression != nil || q.Threshold != nil {
		t.Errorf("a query rule got threat match or other type settings: %+v", viewOf(q))
	}
}

func TestDurationTimeDuration(t *testing.T) {
	for _, tc := range []struct {
		d    *Duration
		want time.Duration
	}{
		{nil, 0},
		{&Duration{Value: 30, Unit: "s"}, 30 * time.Second},
		{&Duration{Value: 5, Unit: "m"}, 5 * time.Minute},
		{&Duration{Value: 6, Unit: "h"}, 6 * time.Hour},
		{&Duration{Value: 1, Unit: "d"}, 0},
		{&Duration{Value: math.MaxInt / 2, Unit: "h"}, time.Duration(math.MaxInt64)}, // past time.Duration on 64-bit; on 32-bit too, in hours
	} {
		if got := tc.d.TimeDuration(); got != tc.want {
			t.Errorf("%+v: %v, want %v", tc.d, got, tc.want)
		}
	}
}
