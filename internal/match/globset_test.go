package match

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vigil-project/vigil/internal/ecs"
)

// TestFoldGlobSet checks an OR of many wildcards on a lowercase normalized
// field, tested as one set, against each wildcard alone (an OR of fewer
// than setThreshold terms, which stays an OR of terms).
func TestFoldGlobSet(t *testing.T) {
	s := ecs.Default().ForIndices([]string{"logs-endpoint.events.process-*"})
	patterns := []string{"AA_v*.exe", "*VIEWER*", "screen*", "Ultra*Vnc*.EXE", "zoho*service.exe", "*.scr", "x", `"Exact.exe"`, "a*", "ab*c", "é*", "?x*"}
	set := "process.name.caseless:(" + strings.Join(patterns, " or ") + ")"
	grouped := false
	if or, ok := compile(t, s, set).root.(*orNode); ok {
		for _, k := range or.kids {
			if tn, ok := k.(*termNode); ok {
				_, isSet := tn.vm.(*foldGlobSetMatcher)
				grouped = grouped || isSet
			}
		}
	}
	if !grouped {
		t.Fatalf("%s: the wildcards are not one set", set)
	}
	values := []string{"aa_v1.exe", "AA_V2.EXE", "aa_v.ex", "TeamViewer.exe", "screenconnect", "ScReEn", "ultravnc.exe", "UltraXVncY.exe",
		"zohoURSservice.exe", "zoho.exe", "evil.SCR", "x", "X", "exact.EXE", "exact.ex", "b", "abc", "ABxC", "É", "éa", "?X", "?xy", "",
		strings.Repeat("a", 2000), "Ab" + strings.Repeat("é", 300) + "c"}
	for _, v := range values {
		raw, _ := json.Marshal(map[string]any{"process": map[string]any{"name": []any{"zzz", v}}})
		doc := string(raw)
		want := false
		for _, p := range patterns {
			if verdict(t, s, "process.name.caseless:"+p, doc) {
				want = true
			}
		}
		if got := verdict(t, s, set, doc); got != want {
			t.Errorf("%s on %q = %v, want %v", set, v, got, want)
		}
	}
}
