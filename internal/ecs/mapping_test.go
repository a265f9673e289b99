package ecs

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseMapping(t *testing.T) {
	body := `{"properties": {
  "message": {"type": "match_only_text"},
  "script": {"type": "text", "analyzer": "ps"},
  "note": {"type": "text", "analyzer": "whitespace", "fields": {"raw": {"type": "keyword"}}},
  "user": {"properties": {"name": {"type": "keyword", "normalizer": "lc", "fields": {"text": {"type": "text"}}}}},
  "labels": {"type": "flattened"},
  "bytes": {"type": "long"}, "ratio": {"type": "double"}, "ok": {"type": "boolean"},
  "addr": {"type": "ip"}, "seen": {"type": "date"}, "cmd": {"type": "wildcard"},
  "deltas": {"type": "nested", "properties": {"action": {"type": "keyword"}}},
  "a.b": {"type": "keyword"}
}}`
	want := map[string]Field{
		"message":        {Type: MatchOnlyText},
		"script":         {Type: Text, Analyzer: PowerShellAnalyzer},
		"note":           {Type: Text, Analyzer: "whitespace"},
		"note.raw":       {Type: Keyword, Parent: "note"},
		"user":           {Type: Object},
		"user.name":      {Type: Keyword, Normalizer: "lowercase"},
		"user.name.text": {Type: Text, Parent: "user.name"},
		"labels":         {Type: Flattened},
		"bytes":          {Type: Long}, "ratio": {Type: Double}, "ok": {Type: Boolean},
		"addr": {Type: IP}, "seen": {Type: Date}, "cmd": {Type: Wildcard},
		"deltas": {Type: Nested}, "deltas.action": {Type: Keyword},
		"a.b": {Type: Keyword},
	}
	settings := `"settings": {"analysis": {"analyzer": {"ps": {"type": "pattern", "pattern": "[\\W&&[^-]]+"}}, "normalizer": {"lc": {"type": "custom", "filter": ["lowercase"]}}}}`
	for name, doc := range map[string]string{
		"PUT body":     `{` + settings + `, "mappings": ` + body + `}`,
		"GET _mapping": `{"my-index": {` + settings + `, "mappings": ` + body + `}}`,
	} {
		got, err := ParseMapping(name, []byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", name, diff)
		}
	}
	// Properties alone: no settings, so "ps" is an analyzer Vigil does
	// not know (evaluated as standard).
	got, err := ParseMapping("props", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if got["script"].Analyzer != "ps" || got["user.name"].Normalizer != "lc" {
		t.Errorf("without settings: script %+v, user.name %+v", got["script"], got["user.name"])
	}
}

func TestParseMappingErrors(t *testing.T) {
	tests := []struct{ doc, want string }{
		{`{"properties": {"a": {"type": "keyword"},}}`, `m.json:1:42: invalid JSON`},
		{"{\"properties\": {\n  \"a\": {\"type\": \"strnig\"}}}", `m.json:2:17: a: "strnig" is not an Elasticsearch field type`},
		{`{"properties": {"a": "keyword"}}`, `m.json:1:22: a: a field definition must be an object`},
		{`{"properties": {"a": {"type": "keyword"}}`, `m.json:1:42: unexpected end of the file`},
		{`[1]`, `m.json:1:1: a mapping is a JSON object`},
		{`{"idx": {"settings": {}}}`, `m.json:1:9: "idx" has no "mappings"`},
	}
	for _, tt := range tests {
		_, err := ParseMapping("m.json", []byte(tt.doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseMapping(%s) = %v, want an error containing %q", tt.doc, err, tt.want)
		}
	}
}

func TestWithMapping(t *testing.T) {
	fields, err := ParseMapping("m", []byte(`{"properties": {"powershell.file.script_block_text": {"type": "keyword"}, "custom": {"properties": {"n": {"type": "long"}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	s := Default().WithMapping(fields).ForIndices([]string{"logs-windows.*"})
	if f, _ := s.Field("powershell.file.script_block_text"); f.Type != Keyword {
		t.Errorf("the mapping does not override the built-in type: %+v", f)
	}
	if f, _ := s.Field("custom.n"); f.Type != Long {
		t.Errorf("custom.n = %+v", f)
	}
	if f, _ := s.Field("event.action"); f.Type != Keyword {
		t.Errorf("ECS lost: event.action = %+v", f)
	}
}
