package exception

import (
	"testing"
	"unicode/utf8"

	"github.com/vigil-project/vigil/internal/kql"
)

func TestEntryKQL(t *testing.T) {
	for _, tt := range []struct {
		e    Entry
		want string
	}{
		{Entry{Field: "user.name", Type: TypeMatch, Operator: Included, Value: "svc"}, `user.name:"svc"`},
		{Entry{Field: "user.name", Type: TypeMatch, Operator: Excluded, Value: "svc"}, `not user.name:"svc"`},
		{Entry{Field: "file.path", Type: TypeMatch, Operator: Included, Value: `C:\temp\"x"`}, `file.path:"C:\\temp\\\"x\""`},
		{Entry{Field: "a", Type: TypeMatchAny, Operator: Included, Values: []string{"x", "y z"}}, `a:("x" or "y z")`},
		{Entry{Field: "a", Type: TypeMatchAny, Operator: Excluded, Values: []string{"or"}}, `not a:("or")`},
		{Entry{Field: "@timestamp", Type: TypeExists, Operator: Included}, `@timestamp:*`},
		{Entry{Field: "a", Type: TypeExists, Operator: Excluded}, `not a:*`},
		{Entry{Field: "labels.cost center", Type: TypeExists, Operator: Included}, `"labels.cost center":*`},
		{Entry{Field: "process.*", Type: TypeExists, Operator: Included}, `"process.*":*`},
		{Entry{Field: "null", Type: TypeMatch, Operator: Included, Value: "x"}, `"null":"x"`},
		{Entry{Field: "NOT", Type: TypeMatch, Operator: Included, Value: "x"}, `"NOT":"x"`},
		{Entry{Field: "p", Type: TypeNested, Entries: []Entry{
			{Field: "a", Type: TypeMatch, Operator: Included, Value: "1"},
			{Field: "p.b", Type: TypeExists, Operator: Excluded},
		}}, `p:{ a:"1" and not b:* }`},
	} {
		got, ok := entryKQL(&tt.e)
		if !ok || got != tt.want {
			t.Errorf("entryKQL(%+v) = %q, %v; want %q", tt.e, got, ok, tt.want)
		}
		if _, err := kql.Parse(got); err != nil {
			t.Errorf("%s does not parse: %v", got, err)
		}
	}
	for _, typ := range []string{TypeWildcard, TypeList} {
		if q, ok := entryKQL(&Entry{Field: "a", Type: typ, Operator: Included, Value: "x"}); ok {
			t.Errorf("entryKQL wrote %s entry as %q; KQL cannot express it", typ, q)
		}
	}
	if got := osKQL([]string{"windows", "linux"}); got != `(host.os.type:"windows" or host.os.name.caseless:"windows" or host.os.type:"linux" or host.os.name.caseless:"linux")` {
		t.Errorf("osKQL = %s", got)
	}
}

// checkQuoting writes field:"value" and checks that KQL reads back exactly
// that field (never a pattern) and that value (never a wildcard).
func checkQuoting(t *testing.T, field, value string) {
	t.Helper()
	q, _ := entryKQL(&Entry{Field: field, Type: TypeMatch, Operator: Included, Value: value})
	n, err := kql.Parse(q)
	if err != nil {
		t.Fatalf("field %q value %q: %s does not parse: %v", field, value, q, err)
	}
	m, ok := n.(*kql.Match)
	if !ok {
		t.Fatalf("field %q value %q: %s parses as %T, want a field match", field, value, q, n)
	}
	lit, ok := m.Value.(*kql.Literal)
	if !ok || !lit.Quoted || lit.IsWildcard() {
		t.Fatalf("field %q value %q: %s: the value is not one quoted literal", field, value, q)
	}
	if m.IsFreeText() || (!m.Field.Quoted && m.Field.IsWildcard()) {
		t.Fatalf("field %q: %s: the field is free text or a pattern", field, q)
	}
	wantField, wantValue := toValid(field), toValid(value)
	if got := m.Field.Text(); got != wantField {
		t.Fatalf("field %q: %s reads back the field %q", field, q, got)
	}
	if got := lit.Text(); got != wantValue {
		t.Fatalf("value %q: %s reads back the value %q", value, q, got)
	}
}

// toValid is the text the KQL lexer reads from s: invalid UTF-8 bytes become
// U+FFFD.
func toValid(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var out []rune
	for _, r := range s {
		out = append(out, r)
	}
	return string(out)
}

func TestQuotingRoundTrip(t *testing.T) {
	for _, s := range []string{``, `a`, `"`, `\`, `\"`, `\\`, `a\tb`, "a\tb", "a\nb", `\u0041`, `C:\temp`, `x*y`, `(a or b)`,
		`not x`, `a:b`, `{}`, `<>`, ` lead`, `trail `, "\u00a0", "é", "\xff\xfe", `"quoted"`, `f:"x" or g:*`} {
		checkQuoting(t, "user.name", s)
		if s != "" {
			checkQuoting(t, s, "v")
		}
	}
}

// FuzzQuoting checks that any field and value survive the trip through KQL.
func FuzzQuoting(f *testing.F) {
	for _, s := range []string{`a`, `\"`, "a\\tb", `x*`, `not y`, "\xff"} {
		f.Add("user.name", s)
		f.Add(s, "v")
	}
	f.Fuzz(func(t *testing.T, field, value string) {
		if field == "" {
			return
		}
		checkQuoting(t, field, value)
	})
}
