package kql

import (
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/vigil-project/vigil/internal/sharedtestdata"
)

// FuzzParse checks that Parse never panics, that errors point inside the
// query, and that whatever parses prints to a query that parses back to the
// same tree and prints the same again.
func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(tt.query)
	}
	for _, tt := range errorTests {
		f.Add(tt.query)
	}
	if root, ok := sharedtestdata.Find("detection-rules"); ok {
		for _, c := range readCorpus(f, root) {
			f.Add(c.query)
		}
	}
	f.Fuzz(func(t *testing.T, q string) {
		n, err := Parse(q)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) returned %T, want *Error", q, err)
			}
			if e.Pos.Offset < 0 || e.Pos.Offset > len(q) || e.Pos.Line < 1 || e.Pos.Col < 1 {
				t.Fatalf("Parse(%q) error position %+v outside the query", q, e.Pos)
			}
			if d := e.Detail(); !utf8.ValidString(d) {
				t.Fatalf("Detail is not valid UTF-8: %q", d)
			}
			return
		}
		s := n.String()
		m, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q) printed as %q, which does not parse: %s", q, s, detail(err))
		}
		if diff := cmp.Diff(n, m, ignorePos); diff != "" {
			t.Fatalf("Parse(%q) printed as %q, which parses differently (-first +second):\n%s", q, s, diff)
		}
		if s2 := m.String(); s2 != s {
			t.Fatalf("printing is not stable for %q: %q then %q", q, s, s2)
		}
	})
}
