package rule

import (
	"testing"

	"github.com/vigil-project/vigil/internal/event"
)

// TestSequenceParts: a sequence rule's parts are its steps (and until),
// each with the rule's filters; Match holds exactly when one part does,
// and each part carries its own step's requirements.
func TestSequenceParts(t *testing.T) {
	plan := event.NewPlan()
	r := Parse("seq.toml", []byte(`[metadata]
creation_date = "2026/01/01"
updated_date = "2026/01/01"

[rule]
author = ["T"]
description = "d"
name = "n"
risk_score = 1
rule_id = "r"
severity = "low"
type = "eql"
language = "eql"
index = ["logs-endpoint.events.*"]
query = '''
sequence by host.id
  [process where host.os.type == "windows" and process.name == "wmic.exe"]
  [library where host.os.type == "windows" and dll.name == "jscript.dll"]
until [process where event.type == "end" and process.name == "explorer.exe"]
'''

[[rule.filters]]
[rule.filters.meta]
negate = true
[rule.filters.query.match_phrase]
"user.name" = "svc"
`), LoadOptions{Plan: plan, Now: fixedNow})
	if r.Status != StatusOK {
		t.Fatalf("status %s: %s %v", r.Status, r.Reason, r.Errors)
	}
	parts := r.SequenceParts()
	if len(parts) != 3 {
		t.Fatalf("%d parts, want 3 (two steps and until)", len(parts))
	}
	wantFields := []string{"process.name", "dll.name", "process.name"}
	for i, p := range parts {
		found := false
		for _, req := range p.Required {
			found = found || req.Field == wantFields[i]
		}
		if !found {
			t.Errorf("part %d requires %+v, want a requirement on %s", i, p.Required, wantFields[i])
		}
	}
	matched := 0
	for _, doc := range []string{
		`{"host":{"id":"h","os":{"type":"windows"}},"event":{"category":"process"},"process":{"name":"wmic.exe"}}`,
		`{"host":{"id":"h","os":{"type":"windows"}},"event":{"category":"process"},"process":{"name":"wmic.exe"},"user":{"name":"svc"}}`,
		`{"host":{"id":"h","os":{"type":"windows"}},"event":{"category":"library"},"dll":{"name":"jscript.dll"}}`,
		`{"host":{"id":"h","os":{"type":"linux"}},"event":{"category":"library"},"dll":{"name":"jscript.dll"}}`,
		`{"host":{"id":"h"},"event":{"category":"process","type":"end"},"process":{"name":"explorer.exe"}}`,
		`{"host":{"id":"h"},"event":{"category":"process","type":"start"},"process":{"name":"explorer.exe"}}`,
	} {
		ev := event.New([]byte(doc), plan)
		any := false
		for _, p := range parts {
			any = any || p.Match(ev)
		}
		if want := r.Match(ev); any != want {
			t.Errorf("%s: parts say %v, Match %v", doc, any, want)
		}
		if any {
			matched++
		}
	}
	if matched != 3 {
		t.Errorf("%d events matched, want 3 (wmic.exe, jscript.dll on windows, explorer.exe ending)", matched)
	}
}
