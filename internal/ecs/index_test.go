package ecs

import (
	"slices"
	"testing"
)

func TestIntegrationTypes(t *testing.T) {
	tests := []struct {
		patterns []string
		path     string
		want     Field
	}{
		{nil, "powershell.file.script_block_text", Field{Type: Text, Analyzer: PowerShellAnalyzer}},
		{[]string{"winlogbeat-*", "logs-windows.powershell*"}, "powershell.file.script_block_text", Field{Type: Text, Analyzer: PowerShellAnalyzer}},
		{[]string{"logs-endpoint.events.library-*"}, "dll.Ext.relative_file_creation_time", Field{Type: Double}},
		{[]string{"logs-github.audit-*"}, "github.repository_public", Field{Type: Boolean}},
		{[]string{"logs-github.audit-*"}, "github.actor_ip", Field{Type: IP}},
		{[]string{"logs-endpoint.events.process-*"}, "process.name.caseless", Field{Type: Keyword, Normalizer: "lowercase", Parent: "process.name"}},
		{[]string{"auditbeat-*"}, "auditd.data.a0", Field{Type: Keyword}},
		{[]string{"logs-auditd_manager.auditd-*"}, "auditd.data.a0", Field{Type: Flattened}},
		{[]string{"logs-auditd_manager.auditd-*"}, "auditd.data.not_in_any_rule", Field{Type: Flattened}},
		{[]string{"logs-kubernetes.audit_logs-*"}, "kubernetes.audit.user.groups", Field{Type: Text}}, // the package's, over non-ecs-schema's keyword
		{nil, "process.name.text", Field{Type: MatchOnlyText, Parent: "process.name"}},
		{nil, "github.operation_type", Field{Type: Keyword}}, // from the supplement
	}
	for _, tt := range tests {
		got, ok := Default().ForIndices(tt.patterns).Field(tt.path)
		if !ok || got != tt.want {
			t.Errorf("ForIndices(%q).Field(%s) = %+v, %v; want %+v", tt.patterns, tt.path, got, ok, tt.want)
		}
	}
	// A rule on Auditbeat does not see auditd_manager's flattened field.
	if _, ok := Default().ForIndices([]string{"auditbeat-*"}).Field("auditd.data.not_in_any_rule"); ok {
		t.Error("auditbeat-* knows auditd.data.not_in_any_rule")
	}
	if _, ok := Default().ForIndices([]string{"logs-okta*"}).Field("powershell.file.script_block_text"); ok {
		t.Error("logs-okta* knows powershell.file.script_block_text")
	}
}

func TestIndexGroups(t *testing.T) {
	s := Default().ForIndices([]string{"auditbeat-*", "logs-auditd_manager.auditd-*"})
	got := s.IndexGroups([]string{"auditd.data.a0", "event.action"})
	if !slices.Contains(got, "logs-auditd_manager.auditd-*,metrics-auditd_manager.auditd-*") {
		t.Errorf("IndexGroups = %q, want *-auditd_manager.auditd-* among them", got)
	}
	if got := Default().ForIndices([]string{"winlogbeat-*", "logs-windows.*"}).IndexGroups([]string{"powershell.file.script_block_text"}); got != nil {
		t.Errorf("IndexGroups(script_block_text) = %q, want none: both analyze alike", got)
	}
	if !IndexMatches("logs-auditd_manager.auditd-*,metrics-auditd_manager.auditd-*", ".ds-logs-auditd_manager.auditd-default-2026.01.01-000001") {
		t.Error("IndexMatches: backing index")
	}
}

func TestGlobsOverlap(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"logs-*", "logs-windows.*,metrics-windows.*", true},
		{"logs-windows.powershell*", "logs-windows.*,metrics-windows.*", true},
		{"winlogbeat-*", "logs-windows.*,metrics-windows.*", false},
		{"logs-okta*", "logs-windows.*", false},
		{"logs-okta*", "winlogbeat-*", false},
		{"auditbeat-*", "logs-auditd_manager.auditd-*", false},
		{"logs-endpoint.events.process-*", "logs-endpoint.events.library-*", false},
		{"*", "logs-endpoint.events.library-*", true},
		{"abc", "abc", true},
		{"abc", "abd", false},
	}
	for _, tt := range tests {
		if got := globsOverlap(tt.a, tt.b); got != tt.want {
			t.Errorf("globsOverlap(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
