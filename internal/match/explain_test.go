package match

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-project/vigil/internal/event"
)

func explain(t *testing.T, query, doc string) *Explanation {
	t.Helper()
	m := compile(t, typesSchema, query)
	return m.Explain(event.New([]byte(doc), m.Plan()))
}

func TestExplainReasons(t *testing.T) {
	tests := []struct {
		query, doc string
		match      bool
		reason     string // a part of the root's reason
	}{
		{`kw:Success`, `{"kw":"success"}`, false, `keyword is case-sensitive: got "success"`},
		{`kw:Success`, `{"kw":"Success"}`, true, `keyword field, exact, case-sensitive: got "Success"`},
		{`kw:Succ*`, `{"kw":"success"}`, false, `keyword is case-sensitive: got "success"`},
		{`kw:Success`, `{}`, false, `field missing`},
		{`kw:a`, `{"kw":["b","c"]}`, false, `no array element matched: keyword field, exact, case-sensitive: got ["b", "c"]`},
		{`kw:a`, `{"kw":["A","c"]}`, false, `no array element matched (keyword is case-sensitive: got "A")`},
		{`kw:a`, `{"kw":"` + strings.Repeat("a", 1100) + `"}`, false, `ignore_above (1024)`},
		{`l >= 400`, `{"l":"404"}`, true, `long field, compared numerically: got "404"`},
		{`l:1`, `{"l":"abc"}`, false, `"abc" is not a long: not indexed`},
		{`dt:2024-05-01`, `{"dt":"2024-05-02T00:00:00Z"}`, false, `compared as dates in [2024-05-01T00:00:00.000Z, 2024-05-01T23:59:59.999Z]`},
		{`dt:2024-05-01`, `{"dt":"yesterday"}`, false, `"yesterday" is not a date: not indexed`},
		{`ip:10.0.0.0/8`, `{"ip":"8.8.8.8"}`, false, `in network 10.0.0.0/8`},
		{`ip:10.0.0.0/8`, `{"ip":"x"}`, false, `"x" is not an IP address`},
		{`txt:"failed login"`, `{"txt":"login failed"}`, false, `analyzed: the phrase "failed login"`},
		{`kw:*`, `{}`, false, `field missing`},
		{`kw:*`, `{"kw":""}`, true, `field has a value`},
		{`obj:x`, `{"obj":{"a":"x"}}`, false, `obj is an object: it holds sub-fields`},
		{`user.*:bob`, `{"user":{"name":"bob"}}`, true, `found in user.name (keyword) = "bob", user.name.text (match_only_text) = "bob"`},
		{`zzz`, `{"kw":"a"}`, false, `every field, each by its own type (free text): no field matched`},
		{`not kw:a`, `{}`, true, `a missing field counts`},
		{`nest:{ x:a and y:2 }`, `{"nest":[{"x":"a","y":1},{"x":"b","y":2}]}`, false, `none of the 2 objects of nest satisfies the whole group by itself`},
		{`nest:{ x:b }`, `{"nest":[{"x":"a"},{"x":"b"}]}`, true, `object 1 of nest satisfies the whole group`},
		{`*:*`, `{}`, true, `matches every event`},
	}
	for _, tt := range tests {
		x := explain(t, tt.query, tt.doc)
		if x.Match != tt.match || !strings.Contains(x.Reason, tt.reason) {
			t.Errorf("Explain(%s) on %.60s = %v (%s); want %v with reason %q", tt.query, tt.doc, x.Match, x.Reason, tt.match, tt.reason)
		}
	}
}

func TestExplainString(t *testing.T) {
	x := explain(t, `kw:Success and not l > 5 and ck:(a or b)`, `{"kw":"success","l":3}`)
	want := `no   kw:Success and not l > 5 and ck:(a or b)  (all must match)
  no   kw:Success  (keyword is case-sensitive: got "success")
  yes  not l > 5  (the clause below does not match (a missing field counts))
    no   l > 5  (long field, compared numerically: got 3)
  no   ck:(a or b)  (any may match)
    no   ck:a  (field missing)
    no   ck:b  (field missing)
`
	if diff := cmp.Diff(want, x.String()); diff != "" {
		t.Errorf("String (-want +got):\n%s", diff)
	}
}

func TestExplainAgreesWithMatch(t *testing.T) {
	queries := []string{`kw:a or (l:1 and not b:true)`, `nest:{ x:a } or user.*:b*`, `txt:x* and dt < now`}
	docs := []string{`{}`, `{"kw":"a"}`, `{"l":1,"b":false}`, `{"nest":[{"x":"a"}]}`, `{"user":{"id":"bb"}}`, `{"txt":"X1","dt":"2020-01-01"}`}
	for _, q := range queries {
		m := compile(t, typesSchema, q)
		for _, d := range docs {
			ev := event.New([]byte(d), m.Plan())
			if got, want := m.Explain(ev).Match, m.Match(ev); got != want {
				t.Errorf("%s on %s: Explain %v, Match %v", q, d, got, want)
			}
		}
	}
}

// TestExplainNestedClauses checks the texts of nested clauses, printed
// from the query when explained: ANDs, ORs and NOTs, and value lists
// under their field.
func TestExplainNestedClauses(t *testing.T) {
	x := explain(t, `(kw:(a or (b and not c)) or not (l > 5 and ck:d)) and kw:*`, `{"kw":"b","l":3}`)
	want := `yes  (kw:(a or b and not c) or not (l > 5 and ck:d)) and kw:*  (all must match)
  yes  kw:(a or b and not c) or not (l > 5 and ck:d)  (any may match)
    yes  kw:(a or b and not c)  (any may match)
      no   kw:a  (keyword field, exact, case-sensitive: got "b")
      yes  kw:(b and not c)  (all must match)
        yes  kw:b  (keyword field, exact, case-sensitive: got "b")
        yes  kw:(not c)  (the clause below does not match (a missing field counts))
          no   kw:c  (keyword field, exact, case-sensitive: got "b")
    yes  not (l > 5 and ck:d)  (the clause below does not match (a missing field counts))
      no   l > 5 and ck:d  (all must match)
        no   l > 5  (long field, compared numerically: got 3)
        no   ck:d  (field missing)
  yes  kw:*  (field has a value)
`
	if diff := cmp.Diff(want, x.String()); diff != "" {
		t.Errorf("String (-want +got):\n%s", diff)
	}
}
