package alert

import (
	"encoding/json"
	"strconv"
	"testing"
)

// TestEventIDStable pins the ids of events whose sender gave none: they
// are stored (alert ids, de-duplication across runs), so the canonical
// form they hash must never change. The documents cover what it leaves
// out (event.ingested and event.original, dotted or nested, and the same
// names elsewhere, which stay), key order, arrays, numbers, and strings
// encoding/json escapes.
func TestEventIDStable(t *testing.T) {
	for _, c := range []struct{ doc, id string }{
		{`{"b":1,"a":[1,2.5,"x"],"event":{"ingested":"2026-01-01","original":"raw","kind":"event"}}`, "414e22b3261b544b420213ee12e8b73f5b64ef8281524dd8dfbdd3b0956e67c3"},
		{`{"event.ingested":"x","event.original":"y","host":{"event":{"ingested":"kept"}}}`, "900a0ce093ef3570aa0c41f034e911b1f478982beddfb54bb3cca2c8d24e6a76"},
		{`{"":{"event.ingested":"z","a":1},"msg":"<a href=\"x\">&amp;</a>\u2028 é \t"}`, "152a4e00d80fce423f551b73ea118b61f9bd9282d6f3ac4559b69f6fe7af7e0f"},
		{`{"list":[{"event":{"original":"kept"}}],"event":[{"ingested":"dropped?"}],"n":null,"t":true,"big":12345678901234567890}`, "2c78c46e95ec12fd7c213f7dd87f67e972350d5e98000afa5aaba50c52b9ce9b"},
		{`{"process":{"command_line":"C:\\Windows\\system32\\cmd.exe /c \"whoami\"","args":["a","b"]}}`, "554a5b3a413c8f8e26917deb6128a257b5f2be59b94b44b971722376866efd01"},
	} {
		var doc map[string]any
		if err := json.Unmarshal([]byte(c.doc), &doc); err != nil {
			t.Fatal(err)
		}
		if got := EventID(doc); got != c.id {
			t.Errorf("EventID(%s) = %s, want %s (the ids of stored events would change)", c.doc, got, c.id)
		}
	}
}

// TestPlainQuote checks that the keys plainQuote lets through are quoted
// by strconv.Quote as they are, and that it lets through ordinary keys.
func TestPlainQuote(t *testing.T) {
	for c := 0; c < 256; c++ {
		for _, k := range []string{string(rune(c)), "a" + string([]byte{byte(c)}) + "b"} {
			if plainQuote(k) && strconv.Quote(k) != `"`+k+`"` {
				t.Errorf("plainQuote(%q) is true, but strconv.Quote gives %s", k, strconv.Quote(k))
			}
		}
	}
	for _, k := range []string{"@timestamp", "event.ingested", "kibana.alert.rule.name", "a b~c"} {
		if !plainQuote(k) {
			t.Errorf("plainQuote(%q) = false", k)
		}
	}
}
