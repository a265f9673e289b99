package engine

import (
	"testing"

	"github.com/vigil-project/vigil/internal/normalize"
	"github.com/vigil-project/vigil/internal/normalize/azure"
)

// TestActivityByText checks the text-only answer of IndexOf against
// normalize.StreamOf: it may only say "activity logs" where StreamOf does,
// and says it for the common records.
func TestActivityByText(t *testing.T) {
	for _, c := range []struct {
		raw  string
		fast bool // activityByText answers true
	}{
		{`{"operationName":"X","category":"Administrative"}`, true},
		{`{"operationName":"X","Category" : "Policy","properties":{"category":"Security"}}`, true},
		{`{"operationName":"X"}`, true},
		{`{"operationName":"X","tags":["category"]}`, true},
		{`{"operationName":"X","xcategory":"SignInLogs","category":"Administrative"}`, true},
		{`{"operationName":"X","category":"SignInLogs"}`, false},
		{`{"operationName":"X","category":"Administrative","properties":{"category":"AuditLogs"}}`, false},
		{`{"operationName":"X","properties":{"category":"AuditLogs"}}`, false},
		{`{"operationName":"X","category":null,"Category":"AuditLogs"}`, false},
		{`{"operationName":"X","category":{"value":"AuditLogs"}}`, false},
		{`{"operationName":"X","category":"Audit\u004cogs"}`, false},
		{`{"operationName":"X","a":"\"category":"AuditLogs"}`, false},
		{`{"operationName":"X","category":"AuditLogs`, false},
		{`{"operationName":"X","category":"FunctionAppLogs"}`, false},
	} {
		got := activityByText([]byte(c.raw))
		if got != c.fast {
			t.Errorf("activityByText(%s) = %v, want %v", c.raw, got, c.fast)
		}
		if got && normalize.StreamOf([]byte(c.raw)) != azure.ActivityLogs {
			t.Errorf("activityByText(%s) = true, StreamOf says %v", c.raw, normalize.StreamOf([]byte(c.raw)))
		}
	}
	f := NewAzureRawFilter(nil, "", false)
	for _, raw := range []string{`{"operationName":"X","category":"Administrative"}`, `{"operationName":"X","category":"SignInLogs"}`, `{"operationName":"X","category":"AuditLogs"}`} {
		want := f.index[normalize.StreamOf([]byte(raw))]
		if got := f.IndexOf([]byte(raw)); got != want {
			t.Errorf("IndexOf(%s) = %q, want %q", raw, got, want)
		}
	}
}
