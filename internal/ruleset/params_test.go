package ruleset

import (
	"encoding/json"
	"testing"

	"github.com/vigil-project/vigil/internal/event"
)

// TestParamsEncodedLazily: a rule's kibana.alert.rule.parameters, encoded
// on first use, are the JSON of its Params through event.AppendJSON and
// through encoding/json as its JSON would, in an alert document as on their own.
func TestParamsEncodedLazily(t *testing.T) {
	set, err := LoadSet(nil, event.NewPlan(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Rules) == 0 {
		t.Fatal("the built-in pack is empty")
	}
	for _, r := range set.Rules {
		want, err := event.AppendJSON(nil, r.Params())
		if err != nil {
			t.Fatal(err)
		}
		p := EngineRule(r).Alert.Params
		doc := map[string]any{"kibana.alert.rule.parameters": p}
		got, err := event.AppendJSON(nil, doc)
		if err != nil {
			t.Fatal(err)
		}
		viaJSON, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		wantDoc := `{"kibana.alert.rule.parameters":` + string(want) + `}`
		if string(got) != wantDoc {
			t.Errorf("%s: parameters encode as\n%s\nwant\n%s", r.File, got, wantDoc)
		}
		// encoding/json escapes HTML (&) in them, as in the JSON they were.
		wantJSON, _ := json.Marshal(map[string]any{"kibana.alert.rule.parameters": json.RawMessage(want)})
		if string(viaJSON) != string(wantJSON) {
			t.Errorf("%s: parameters encode (encoding/json) as\n%s\nwant\n%s", r.File, viaJSON, wantJSON)
		}
	}
}
