package match

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
)

// testOrigin: event.dataset is constant, the operation name and properties
// copied, source.ip derived, azure.signinlogs.* never written.
func testOrigin(field string) (OriginKind, string) {
	switch {
	case field == "event.dataset":
		return Constant, "azure.activitylogs"
	case field == "azure.activitylogs.operation_name", strings.HasPrefix(field, "azure.activitylogs.properties."):
		return Copied, ""
	case strings.HasPrefix(field, "azure.signinlogs."):
		return Absent, ""
	case field == "event.outcome":
		return Implied, "success=succe;failure=fail"
	}
	return Derived, ""
}

func TestPrefilter(t *testing.T) {
	const op = "azure.activitylogs.operation_name"
	for _, tc := range []struct {
		query string
		never bool
		lits  []string // nil: nothing known
	}{
		{`event.dataset:azure.activitylogs and ` + op + `:"MICROSOFT.COMPUTE/X/ACTION" and event.outcome:success`, false, []string{"microsoft.compute/x/action"}},
		{`event.dataset:azure.signinlogs and ` + op + `:"A/B"`, true, nil},
		{op + `:"AAA/B" or ` + op + `:"CCC/D"`, false, []string{"aaa/b", "ccc/d"}},
		{op + `:("AAA/B" or "CCC/D" or "EEE/F" or "GGG/H")`, false, []string{"aaa/b", "ccc/d", "eee/f", "ggg/h"}},
		{op + `:"AAA/B" or source.ip:*`, false, nil},
		{op + `:MICROSOFT.KEYVAULT/VAULTS/*`, false, []string{"microsoft.keyvault/vaults/"}},
		{op + `:*/A`, false, nil},
		{`not ` + op + `:"AAA/B"`, false, nil},
		{`azure.signinlogs.properties.x:* and ` + op + `:"AAA/B"`, true, nil},
		{`(event.dataset:(azure.activitylogs or azure.signinlogs) and azure.signinlogs.properties.p:deviceCode) or azure.activitylogs.properties.appId:29d9ed98`, false, []string{"29d9ed98"}},
		{op + `:"with \"quote\""`, false, nil},
		{`event.dataset:azure.activitylogs`, false, nil},
		// A wildcard field name: a run of four letters or more of the
		// value, when the origin says every field it names is copied.
		{`azure.activitylogs.properties.*.new_value:"\"Global Administrator\""`, false, []string{"administrator"}},
		{`azure.activitylogs.properties.*.old_value:*Guest*`, false, []string{"guest"}},
		{`azure.activitylogs.properties.*.n:"2024-01-01T00:00:00Z"`, false, nil},
		{`azure.activitylogs.properties.*.n:"abc def"`, false, nil},
		{`source.*:"Global Administrator"`, false, nil},
		{`*:"Global Administrator"`, false, nil},
		// The most selective operand of an AND is kept.
		{`azure.activitylogs.properties.a:xyz and ` + op + `:"LONGER/OPERATION"`, false, []string{"longer/operation"}},
	} {
		n, err := kql.Parse(tc.query)
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		m, err := Compile(n, Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		p := m.Prefilter(testOrigin)
		if p.Never != tc.never || !slices.Equal(p.Literals, tc.lits) || (tc.lits == nil) != (p.Literals == nil) {
			t.Errorf("%s:\n got never=%v literals=%q\nwant never=%v literals=%q", tc.query, p.Never, p.Literals, tc.never, tc.lits)
		}
	}
}

// Every operand of an AND is a condition: the others come in And; an
// Implied field's values give their literals, a value it never takes
// makes the term false.
func TestPrefilterAnd(t *testing.T) {
	const op = "azure.activitylogs.operation_name"
	for _, tc := range []struct {
		query string
		never bool
		lits  []string
		and   [][]string
	}{
		{op + `:"MICROSOFT.COMPUTE/X/ACTION" and event.outcome:(Success or success)`, false,
			[]string{"microsoft.compute/x/action"}, [][]string{{"succe"}}},
		{op + `:"A/B/C" and azure.activitylogs.properties.k:xyz`, false, []string{"a/b/c"}, [][]string{{"xyz"}}},
		{`event.outcome:(success or failure)`, false, []string{"succe", "fail"}, nil},
		{`event.outcome:unknown and ` + op + `:"A/B/C"`, true, nil, nil},
		{`event.outcome:Success`, true, nil, nil}, // keyword: the normalizer writes lower case only
		{`(` + op + `:"A/B/C" and event.outcome:success) or ` + op + `:"D/E/F"`, false, []string{"a/b/c", "d/e/f"}, nil},
	} {
		n, err := kql.Parse(tc.query)
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		m, err := Compile(n, Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		p := m.Prefilter(testOrigin)
		if p.Never != tc.never || !slices.Equal(p.Literals, tc.lits) || !slices.EqualFunc(p.And, tc.and, slices.Equal) {
			t.Errorf("%s:\n got never=%v literals=%q and=%q\nwant never=%v literals=%q and=%q", tc.query, p.Never, p.Literals, p.And, tc.never, tc.lits, tc.and)
		}
	}
}

// TestPatternPrefilterIsNecessary checks the word a wildcard field name's
// term gives the prefilter on documents of every field type: when the
// query matches a document whose fields are all copied, the document's
// text holds the word, ASCII case aside.
func TestPatternPrefilterIsNecessary(t *testing.T) {
	schema := ecs.NewSchema(map[string]ecs.Type{
		"p.kw": ecs.Keyword, "p.wc": ecs.Wildcard, "p.txt": ecs.Text, "p.mot": ecs.MatchOnlyText,
		"p.l": ecs.Long, "p.dt": ecs.Date, "p.ip": ecs.IP, "p.b": ecs.Boolean,
	})
	copied := func(string) (OriginKind, string) { return Copied, "" }
	values := []string{`"Global Administrator"`, `"\"Global Administrator\""`, `"global  ADMINISTRATOR"`, `"xMemberx"`,
		`"Membership"`, `"member"`, `"2024-01-01T00:00:00Z"`, `"2024-01-01"`, `"10.0.0.1"`, `12345`, `"12345"`,
		`true`, `"True"`, `"Guest user"`, `"guests"`, `["a","Global Administrator"]`}
	queries := []string{`"Global Administrator"`, `"\"Global Administrator\""`, `*Member*`, `Member*`, `*ember`,
		`2024-01-01`, `"2024-01-01T00:00:00Z"`, `10.0.0.1`, `12345`, `true`, `Guest*`, `"guest user"`, `administrator`}
	fields := []string{"kw", "wc", "txt", "mot", "l", "dt", "ip", "b"}
	r := rand.New(rand.NewPCG(15, 16))
	matched, worded := 0, 0
	for _, q := range queries {
		m := compile(t, schema, `p.*:`+q)
		p := m.Prefilter(copied)
		if p.Literals != nil {
			worded++
		}
		for range 300 {
			var b strings.Builder
			b.WriteString(`{"p":{`)
			for i, f := range fields {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(`"` + f + `":` + values[r.IntN(len(values))])
			}
			b.WriteString(`}}`)
			doc := b.String()
			if !m.Match(event.New([]byte(doc), m.Plan())) {
				continue
			}
			matched++
			for _, g := range append([][]string{p.Literals}, p.And...) {
				if g != nil && !slices.ContainsFunc(g, func(l string) bool { return strings.Contains(strings.ToLower(doc), l) }) {
					t.Fatalf("p.*:%s matches %s, whose text holds none of %q", q, doc, g)
				}
			}
		}
	}
	t.Logf("%d documents matched, %d of %d queries gave a word", matched, worded, len(queries))
	if matched == 0 || worded == 0 {
		t.Fatalf("%d documents matched, %d queries gave a word: the test proves nothing", matched, worded)
	}
}
