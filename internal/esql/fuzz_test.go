package esql

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigil-project/vigil/internal/sharedtestdata"
)

// FuzzParse checks that Parse never panics, that errors point inside the
// query, that whatever parses prints to a query that parses to the same
// print, and that compiling and running it on a row never panics.
func FuzzParse(f *testing.F) {
	for _, tt := range evalTests {
		f.Add(tt.query)
	}
	for _, tt := range newFunctionTests {
		f.Add(tt.query)
	}
	f.Add("FROM logs | WHERE KQL(\"a:b\") | STATS c = COUNT(*) BY x | SORT c DESC | LIMIT 3")
	f.Add("from a metadata _id | dissect m \"%{a} %{+a/2}\" | grok m \"%{IP:ip}\" | mv_expand ip")
	if root, ok := sharedtestdata.Find("detection-rules"); ok {
		for _, r := range readCorpus(f, root) {
			f.Add(r.query)
		}
	}
	f.Fuzz(func(t *testing.T, q string) {
		parsed, err := Parse(q)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) returned %T, want *Error", q, err)
			}
			if e.Pos.Offset < 0 || e.Pos.Offset > len(q) || e.Pos.Line < 1 || e.Pos.Col < 1 {
				t.Fatalf("Parse(%q) error position %+v outside the query", q, e.Pos)
			}
			if d := e.Detail(); utf8.ValidString(q) && !utf8.ValidString(d) {
				t.Fatalf("Detail is not valid UTF-8: %q", d)
			}
			return
		}
		printed := parsed.String()
		again, err := Parse(printed)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but its print %q does not parse: %v", q, printed, err)
		}
		if again.String() != printed {
			t.Fatalf("print of %q is not stable:\n%s\n---\n%s", q, printed, again.String())
		}
		// Chained MV_EXPANDs multiply rows (as in Elasticsearch): keep the
		// fuzzer's runs short.
		if strings.Count(strings.ToUpper(q), "MV_EXPAND") > 2 || strings.Contains(strings.ToUpper(q), "REPEAT") {
			return
		}
		p, err := Compile(parsed, Options{Now: func() time.Time { return testNow }, Limit: 50})
		if err != nil {
			return
		}
		r := p.Start()
		r.Finish()
	})
}
