package normalize

import (
	"testing"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/normalize/azure"
)

// TestStreamOf: the data stream a raw record goes to, read from its bytes,
// is the one its decoded category routes it to, as the integration's
// events data stream decides (exact values; Category when category is
// absent or null; the REST shape's {"value": ...}).
func TestStreamOf(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want azure.Stream
	}{
		{`{"operationName":"x","category":"SignInLogs"}`, azure.SignInLogs},
		{`{"operationName":"x","category":"NonInteractiveUserSignInLogs"}`, azure.SignInLogs},
		{`{"operationName":"x","category":"ServicePrincipalSignInLogs"}`, azure.SignInLogs},
		{`{"operationName":"x","category":"ManagedIdentitySignInLogs"}`, azure.SignInLogs},
		{`{"operationName":"x","category":"MicrosoftServicePrincipalSignInLogs"}`, azure.PlatformLogs},
		{`{"operationName":"x","Category":"AuditLogs"}`, azure.AuditLogs},
		{`{"operationName":"x","category":null,"Category":"RiskyUsers"}`, azure.IdentityProtection},
		{`{"operationName":"x","category":"UserRiskEvents"}`, azure.IdentityProtection},
		{`{"operationName":"x","category":"MicrosoftGraphActivityLogs"}`, azure.GraphActivityLogs},
		{`{"operationName":"x","category":"AzureADGraphActivityLogs"}`, azure.AADGraphActivityLogs},
		{`{"operationName":"x","category":"kube-audit"}`, azure.PlatformLogs},
		{`{"operationName":"x","category":"auditlogs"}`, azure.PlatformLogs}, // values compare exactly
		{`{"operationName":"x","category":"Administrative"}`, azure.ActivityLogs},
		{`{"operationName":"x","category":"ResourceHealth"}`, azure.ActivityLogs},
		{`{"operationName":"x"}`, azure.ActivityLogs},
		{`{"operationName":"x","category":{"value":"Administrative"}}`, azure.ActivityLogs},
		{`{"operationName":"x","category":"Sign\u0049nLogs"}`, azure.SignInLogs},
		{`{"operationName":"x","category":"AZFWNatRule"}`, azure.NoStream},
		{`{"operationName":"x","category":"ProvisioningLogs"}`, azure.NoStream},
		{`{"operationName":"x","properties":{"category":"AuditLogs"}}`, azure.ActivityLogs},
		{`{"operationName":"x","category":5}`, azure.PlatformLogs},
	} {
		if got := StreamOf([]byte(c.raw)); got != c.want {
			t.Errorf("%s: StreamOf %v, want %v", c.raw, got, c.want)
		}
		rec, err := event.New([]byte(c.raw), nil).Map()
		if err != nil {
			t.Fatal(err)
		}
		if got := azure.Route(azure.RecordCategory(rec)); got != c.want {
			t.Errorf("%s: Route %v, want %v", c.raw, got, c.want)
		}
	}
}

// TestSourceNames: every --source value parses and prints back.
func TestSourceNames(t *testing.T) {
	for _, name := range []string{"auto", "ecs", "azure", "azure-activity", "azure-signinlogs", "azure-auditlogs",
		"azure-identity-protection", "azure-graphactivitylogs", "azure-aadgraphactivitylogs", "azure-platformlogs"} {
		src, err := ParseSource(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if src.String() != name {
			t.Errorf("%s parses to %v", name, src)
		}
	}
	if _, err := ParseSource("azure-sigin"); err == nil {
		t.Error("a misspelt source is accepted")
	}
}

// TestUnwrittenStreams: a record of a category routed to a stream Vigil
// does not write is kept as it is when detected (a mixed export), with a
// warning, and refused when the source is named.
func TestUnwrittenStreams(t *testing.T) {
	raw := []byte(`{"operationName":"AzureFirewallNetworkRuleLog","time":"2026-03-14T08:00:00Z","resourceId":"/SUBSCRIPTIONS/X","category":"AzureFirewallNetworkRule"}`)
	out, warnings, err := Normalize(raw, Auto, Options{})
	if err != nil || string(out) != string(raw) || len(warnings) != 1 {
		t.Errorf("auto: %s, %q, %v", out, warnings, err)
	}
	if _, _, err := Normalize(raw, Azure, Options{}); err == nil {
		t.Error("--source azure: no error")
	}
}
