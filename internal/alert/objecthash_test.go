package alert

import (
	"testing"
	"time"
)

// The want values are what Kibana's object-hash library (3.0.0, its
// defaults) returns for the same JavaScript values.
func TestObjectHash(t *testing.T) {
	for _, c := range []struct {
		name string
		v    any
		want string
	}{
		{"aggregating parts of Kibana's generateAlertId test", []any{"2010-10-20T04:10:12.000Z2010-10-20T04:43:12.000Z", "from auditbeat*", "default:test_alert_id", 10}, "d9f76b09fa0304b46f161a6d22a5bb2c5ad361b6"},
		{"document parts, version undefined", []any{"test_id", Undefined, "test_index", "default:test_alert_id"}, "8dc16b1901df0d5e0f9ba68b626eec91016ed405"},
		{"document parts, version 2", []any{"test_id", 2, "test_index", "default:test_alert_id"}, "12807c34ba6cee74182ae676d6bfec5004ad9afa"},
		{"every scalar kind, UTF-16 lengths", []any{"id-1", Undefined, "logs-azure.signinlogs-default", "default:3b5f6c8e-1e1e-4d4d-9c9c-0a0a0a0a0a0a", "héllo €𝄞", 0, nil, true, 1.5, -3, 1e21, 1e-7, int64(123456789012)}, "80cb8435e5d18f6e4f13f700e8110d0a1b1d57c6"},
		{"empty array", []any{}, "989db2448f309bfdd99b513f37c84b8f5794d2b5"},
		{"nested array", []any{"x", []any{"a", "b"}, "y"}, "d64c0a1d67733e8e4683933257ab1bd886d05a9b"},
	} {
		if got := ObjectHash(c.v); got != c.want {
			t.Errorf("%s: ObjectHash = %s, want %s", c.name, got, c.want)
		}
	}
}

func TestJSNumber(t *testing.T) {
	for f, want := range map[float64]string{0: "0", 10: "10", -3: "-3", 1.5: "1.5", 1e21: "1e+21", 1e-7: "1e-7", 1e-6: "0.000001", 1.5e-8: "1.5e-8", 123456789012: "123456789012", 2.5e22: "2.5e+22"} {
		if got := jsNumber(f); got != want {
			t.Errorf("jsNumber(%v) = %q, want %q", f, got, want)
		}
	}
}

// Kibana's generate_alert_id tests: what an ES|QL alert id depends on.
func TestESQLIDs(t *testing.T) {
	from := time.Date(2010, 10, 20, 4, 10, 12, 0, time.UTC)
	to := time.Date(2010, 10, 20, 4, 43, 12, 0, time.UTC)
	agg := ESQLAggregatingID(from, to, "from auditbeat*", "default", "test_alert_id", 10)
	if agg != "d9f76b09fa0304b46f161a6d22a5bb2c5ad361b6" {
		t.Errorf("aggregating id = %s", agg)
	}
	for name, other := range map[string]string{
		"time range": ESQLAggregatingID(from.Add(10*time.Minute), to, "from auditbeat*", "default", "test_alert_id", 10),
		"row index":  ESQLAggregatingID(from, to, "from auditbeat*", "default", "test_alert_id", 11),
		"space":      ESQLAggregatingID(from, to, "from auditbeat*", "test-1", "test_alert_id", 10),
		"rule":       ESQLAggregatingID(from, to, "from auditbeat*", "default", "another-alert-id", 10),
		"query":      ESQLAggregatingID(from, to, "from packetbeat*", "default", "test_alert_id", 10),
	} {
		if other == agg {
			t.Errorf("aggregating id does not depend on the %s", name)
		}
	}
	doc := ESQLDocumentID("test_id", "test_index", "default", "test_alert_id", nil)
	if doc != "8dc16b1901df0d5e0f9ba68b626eec91016ed405" {
		t.Errorf("document id = %s", doc)
	}
	for name, other := range map[string]string{
		"_id":            ESQLDocumentID("another-id", "test_index", "default", "test_alert_id", nil),
		"_index":         ESQLDocumentID("test_id", "packetbeat-*", "default", "test_alert_id", nil),
		"space":          ESQLDocumentID("test_id", "test_index", "test-1", "test_alert_id", nil),
		"rule":           ESQLDocumentID("test_id", "test_index", "default", "another-alert-id", nil),
		"expanded value": ESQLDocumentID("test_id", "test_index", "default", "test_alert_id", []any{"a"}),
	} {
		if other == doc {
			t.Errorf("document id does not depend on the %s", name)
		}
	}
	// Falsy expanded values are left out, as filter(Boolean) does.
	if got := ESQLDocumentID("test_id", "test_index", "default", "test_alert_id", []any{nil, "", 0, false}); got != doc {
		t.Errorf("falsy expanded values changed the id: %s", got)
	}
}
