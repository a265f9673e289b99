package alert

import (
	"encoding/json"
	"strings"
	"testing"
)

// getter resolves paths over a decoded document like lodash get: a literal
// dotted key first, else nested objects.
func getter(t *testing.T, doc string) func(string) (any, bool) {
	t.Helper()
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(doc))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return func(path string) (any, bool) { return Lookup(m, path) }
}

func TestReason(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"all fields", `{"event":{"category":"test"},"process":{"name":"a.exe","parent":{"name":"b.exe"}},"file":{"name":"f"},
			"source":{"ip":"1.1.1.1","port":"1234"},"destination":{"ip":"9.9.9.9","port":"80"},"user":{"name":"u"},"host":{"name":"h"}}`,
			"test event with process a.exe, parent process b.exe, file f, source 1.1.1.1:1234, destination 9.9.9.9:80, by u on h created medium alert R."},
		{"category and user", `{"event":{"category":"test"},"user":{"name":"u"}}`, "test event by u created medium alert R."},
		{"source without port", `{"source":{"ip":"1.1.1.1"},"destination":{"ip":"9.9.9.9"}}`,
			"event with source 1.1.1.1 destination 9.9.9.9 created medium alert R."},
		{"azure activity", `{"source":{"ip":"203.0.113.5"},"user":{"name":"alice@contoso.com"}}`,
			"event with source 203.0.113.5 by alice@contoso.com created medium alert R."},
		{"numeric port is dropped as in Kibana", `{"source":{"ip":"1.1.1.1","port":443}}`, "event with source 1.1.1.1 created medium alert R."},
		{"array values joined", `{"event":{"category":["iam","configuration"]},"user":{"name":["a","b"]}}`,
			"iam, configuration event by a, b created medium alert R."},
		{"dash and empty dropped", `{"event":{"category":["-"]},"user":{"name":""},"host":{"name":[]}}`, "event created medium alert R."},
		{"dotted keys", `{"user.name":"u","source.ip":"1.1.1.1"}`, "event with source 1.1.1.1 by u created medium alert R."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Reason(getter(t, tt.doc), "medium", "R"); got != tt.want {
				t.Errorf("Reason =\n %q\nwant\n %q", got, tt.want)
			}
		})
	}
}

func TestIDsAreStable(t *testing.T) {
	a := map[string]any{"b": "x", "a": []any{json.Number("1"), "y"}, "event": map[string]any{"ingested": "2026-01-01T00:00:00Z", "action": "z"}}
	b := map[string]any{"a": []any{json.Number("1"), "y"}, "event": map[string]any{"action": "z", "ingested": "2026-02-02T00:00:00Z"}, "b": "x"}
	if EventID(a) != EventID(b) {
		t.Error("EventID differs for the same event delivered twice (only event.ingested differs)")
	}
	c := map[string]any{"b": "x2", "a": []any{json.Number("1"), "y"}}
	if EventID(a) == EventID(c) {
		t.Error("EventID equal for different events")
	}
	if got := EventID(map[string]any{"_id": "abc", "x": 1}); got != "abc" {
		t.Errorf("EventID with _id = %q", got)
	}
	id1 := ID("logs-azure.activitylogs-default", "e1", "default", "r1")
	if len(id1) != 64 || id1 != ID("logs-azure.activitylogs-default", "e1", "default", "r1") {
		t.Errorf("ID not stable: %s", id1)
	}
	if id1 == ID("logs-azure.activitylogs-default", "e1", "default", "r2") {
		t.Error("ID ignores the rule")
	}
}
