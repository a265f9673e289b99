package bulk

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParseBulk checks that no body makes the parser panic, that every item
// it accepts carries a JSON object from the body and an index, and that
// every refused item says which line was wrong.
func FuzzParseBulk(f *testing.F) {
	for _, seed := range []string{
		"{\"index\":{\"_index\":\"a\",\"_id\":\"1\"}}\n{\"msg\":\"ok\"}\n",
		"{\"create\":{}}\n{\"a\":1}\n{\"delete\":{\"_id\":\"x\"}}\n{\"update\":{\"_id\":\"y\"}}\n{\"doc\":{}}\n",
		"{\"index\":{\"_index\":\"a\"}\n{\"x\":1}\nnot json\n{\"frob\":{}}\n[1]\n",
		"{\"index\":{\"_index\":5,\"_id\":[1]}}\n{}\r\n\n\n{\"index\":null}\n{\"index\":{}, \"create\":{}}\n",
		"{\"index\":{\"_id\":-12.5e3}}\n{\"a\":{\"b\":[1,2,{\"c\":null}]}}",
		"\n\n{\"index\":{}}",
		"{\"index\":{\"_index\":\"\\u00e9\\\"x\"}}\n{\"a\":\"\\ud800\"}\n",
	} {
		f.Add([]byte(seed), "p")
		f.Add([]byte(seed), "")
	}
	f.Fuzz(func(t *testing.T, body []byte, pathIndex string) {
		items := parseBulk(body, pathIndex, "")
		if lines := bytes.Count(body, []byte("\n")) + 1; len(items) > lines {
			t.Fatalf("%d items from %d lines", len(items), lines)
		}
		for i, it := range items {
			if it.err != nil {
				if it.doc != nil {
					t.Errorf("item %d refused but carries a document", i)
				}
				if !strings.HasPrefix(it.err.reason, "line ") || it.err.status != 400 || it.err.typ == "" {
					t.Errorf("item %d: error %+v", i, it.err)
				}
				continue
			}
			if it.action != "index" && it.action != "create" {
				t.Errorf("item %d: accepted action %q", i, it.action)
			}
			if it.index == "" {
				t.Errorf("item %d accepted without an index", i)
			}
			var obj map[string]any
			if err := json.Unmarshal(it.doc, &obj); err != nil {
				t.Errorf("item %d: accepted document %q is not a JSON object: %v", i, it.doc, err)
			}
			if !bytes.Contains(body, it.doc) || cap(it.doc) != len(it.doc) {
				t.Errorf("item %d: document not a capped slice of the body", i)
			}
		}
	})
}
