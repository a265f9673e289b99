package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBuildSequence: building blocks and shell as Kibana builds them: ids
// from all the events, the shell's common fields, ancestors and group id.
func TestBuildSequence(t *testing.T) {
	evs := []Event{
		{Index: "logs-a", ID: "e1", Doc: map[string]any{
			"@timestamp": "2026-03-14T09:00:00Z", "host": map[string]any{"id": "h1", "name": "web"},
			"process": map[string]any{"name": "curl", "pid": float64(7)}, "tags": []any{"x", "y"}, "user": "u1"}},
		{Index: "logs-b", ID: "e2", Doc: map[string]any{
			"@timestamp": "2026-03-14T09:00:10Z", "host": map[string]any{"id": "h1", "name": "web"},
			"process": map[string]any{"name": "curl", "pid": float64(8)}, "tags": "y", "user": "u2"}},
	}
	r := Rule{UUID: "rule-1", Name: "R", Severity: "low", Type: "eql"}
	docs := BuildSequence(evs, r, Options{})
	if len(docs) != 3 {
		t.Fatalf("%d documents, want 2 building blocks and a shell", len(docs))
	}
	sum := func(parts ...string) string {
		h := sha256.New()
		for _, p := range parts {
			h.Write([]byte(p))
		}
		return hex.EncodeToString(h.Sum(nil))
	}
	base := "e1" + "logs-a" + "rule-1" + "e2" + "logs-b" + "rule-1"
	ids := []string{sum(base, "0"), sum(base, "1")}
	group := sum("e1", "logs-a", ids[0], "", "e2", "logs-b", ids[1], "", "rule-1")
	for i, b := range docs[:2] {
		if b["kibana.alert.uuid"] != ids[i] || b["kibana.alert.group.id"] != group || b["kibana.alert.group.index"] != i ||
			b["kibana.alert.building_block_type"] != "default" {
			t.Errorf("block %d: uuid %v group %v index %v", i, b["kibana.alert.uuid"], b["kibana.alert.group.id"], b["kibana.alert.group.index"])
		}
	}
	shell := docs[2]
	if shell["kibana.alert.uuid"] != group || shell["kibana.alert.group.id"] != group || shell["kibana.alert.depth"] != 2 {
		t.Errorf("shell: uuid %v group %v depth %v", shell["kibana.alert.uuid"], shell["kibana.alert.group.id"], shell["kibana.alert.depth"])
	}
	if _, ok := shell["kibana.alert.building_block_type"]; ok {
		t.Error("the shell is a building block")
	}
	wantAnc := []any{
		map[string]any{"id": "e1", "index": "logs-a", "type": "event", "depth": 0},
		map[string]any{"id": ids[0], "index": "", "type": "signal", "depth": 1, "rule": "rule-1"},
		map[string]any{"id": "e2", "index": "logs-b", "type": "event", "depth": 0},
		map[string]any{"id": ids[1], "index": "", "type": "signal", "depth": 1, "rule": "rule-1"},
	}
	if d := cmp.Diff(wantAnc, shell["kibana.alert.ancestors"]); d != "" {
		t.Errorf("shell ancestors (-want +got):\n%s", d)
	}
	// Common fields only: equal values, arrays' common elements, objects
	// recursively.
	if d := cmp.Diff(map[string]any{"id": "h1", "name": "web"}, shell["host"]); d != "" {
		t.Errorf("shell host:\n%s", d)
	}
	if d := cmp.Diff(map[string]any{"name": "curl"}, shell["process"]); d != "" {
		t.Errorf("shell process:\n%s", d)
	}
	if d := cmp.Diff([]any{"y"}, shell["tags"]); d != "" {
		t.Errorf("shell tags:\n%s", d)
	}
	if _, ok := shell["user"]; ok {
		t.Error("the shell has user, which differs between the events")
	}
	if got := shell["kibana.alert.reason"]; got != "event with process curl, on web created low alert R." {
		t.Errorf("shell reason %q", got)
	}
	// Deterministic: the same sequence gives the same ids.
	again := BuildSequence(evs, r, Options{})
	for i := range docs {
		if again[i]["kibana.alert.uuid"] != docs[i]["kibana.alert.uuid"] {
			t.Errorf("document %d: id differs on a second build", i)
		}
	}
}
