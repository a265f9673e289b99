package rule

import (
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

func TestPosIndex(t *testing.T) {
	src := `# comment [not.a.table]
top = 1
[rule]
query = '''
[rule.threshold]
value = 99
'''
note = """ a "quoted" \""" text
field = 1 """
tags = ["a", # comment
  "b"]
"quoted.key" = 'x'
dotted.inner = 2
inline = {a = 1, b = {c = "}"}, d = [1, {e = 2}]}

[rule.threshold]
value = 3   # trailing comment

[[rule.threshold.cardinality]]
field = "f0"

[[rule.threshold.cardinality]]
  field = "f1"

[[rule.threat_mapping]]
[[rule.threat_mapping.entries]]
field = "a"
[[rule.threat_mapping.entries]]
field = "b"
[[rule.threat_mapping]]
[[rule.threat_mapping.entries]]
field = "c"
[rule.threat_mapping.meta]
x = {s = "é", t = 1}
`
	var doc map[string]any
	if _, err := toml.Decode(src, &doc); err != nil {
		t.Fatalf("the test document is not TOML: %v", err)
	}
	idx := indexPositions(src)
	for _, tc := range []struct {
		path string // as tablePath reads it, a key after the last dot
		line int
		col  int
	}{
		{"top", 2, 1},
		{"rule", 3, 1},
		{"rule.query", 4, 1},
		{"rule.note", 8, 1},
		{"rule.tags", 10, 1},
		{"rule.tags[0]", 10, 9},
		{"rule.tags[1]", 11, 3},
		{"rule.dotted", 13, 1},
		{"rule.dotted.inner", 13, 1},
		{"rule.inline", 14, 1},
		{"rule.inline.a", 14, 11},
		{"rule.inline.b.c", 14, 23},
		{"rule.inline.d", 14, 33},
		{"rule.inline.d[1]", 14, 41},
		{"rule.inline.d[1].e", 14, 42},
		{"rule.threshold", 16, 1},
		{"rule.threshold.value", 17, 1},
		{"rule.threshold.cardinality", 19, 1},
		{"rule.threshold.cardinality[0]", 19, 1},
		{"rule.threshold.cardinality[0].field", 20, 1},
		{"rule.threshold.cardinality[1]", 22, 1},
		{"rule.threshold.cardinality[1].field", 23, 3},
		{"rule.threat_mapping[0].entries[0].field", 27, 1},
		{"rule.threat_mapping[0].entries[1].field", 29, 1},
		{"rule.threat_mapping[1]", 30, 1},
		{"rule.threat_mapping[1].entries[0].field", 32, 1},
		{"rule.threat_mapping[1].meta.x", 34, 1},
		{"rule.threat_mapping[1].meta.x.t", 34, 15}, // columns count characters
	} {
		off, ok := idx.at[pathKey(tablePath(tc.path))]
		p := idx.pos(off)
		if !ok || p.line != tc.line || p.col != tc.col {
			t.Errorf("%s: at %d:%d (found %v), want %d:%d", tc.path, p.line, p.col, ok, tc.line, tc.col)
		}
	}
	// A quoted key with dots is one segment.
	if p, _ := idx.lookup([]string{"rule", "quoted.key"}); p.line != 12 || p.col != 1 {
		t.Errorf("quoted key at %d:%d, want 12:1", p.line, p.col)
	}
	// Text inside multi-line strings defines nothing.
	if _, ok := idx.at[pathKey([]string{"rule", "threshold", "value"})]; !ok {
		t.Fatal("rule.threshold.value not indexed")
	}
	if p, _ := idx.lookup([]string{"rule", "threshold", "value"}); p.line == 6 {
		t.Error("a line inside a multi-line string was read as a key")
	}
	if _, ok := idx.at[pathKey([]string{"rule", "field"})]; ok {
		t.Error("a line inside a multi-line basic string was read as a key")
	}
	// A missing path falls back to its closest ancestor.
	if p, ok := idx.lookup(tablePath("rule.threshold.cardinality[1].value")); !ok || p.line != 22 {
		t.Errorf("fallback for a missing key: %v %v, want line 22", p, ok)
	}
}

// TestPosIndexNeverPanics feeds broken and odd text: the scanner must
// terminate and not panic.
func TestPosIndexNeverPanics(t *testing.T) {
	for _, src := range []string{
		"", "[", "[[", "[[a", "a", "a =", "a = [", "a = {", `a = "`, `a = """`, "a = '''x", `a = "\`,
		"[a]\nb = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
		"a = {b = {c = {d = ",
		"= 1\n]]]\n}}}\n",
		"a = [1,,2]\nb = {,}\n",
		strings.Repeat("[", 10000),
		strings.Repeat("a = {b = ", 1000),
		"a = [" + strings.Repeat("1, ", 300000) + "]", // linear: positions are resolved on lookup only
	} {
		indexPositions(src)
	}
}

func TestTablePath(t *testing.T) {
	for in, want := range map[string]string{
		"":                                  "",
		"rule":                              "rule",
		"rule.threshold.cardinality[0]":     "rule|threshold|cardinality|[0]",
		"rule.threat_mapping[1].entries[2]": "rule|threat_mapping|[1]|entries|[2]",
	} {
		if got := strings.Join(tablePath(in), "|"); got != want {
			t.Errorf("tablePath(%q) = %q, want %q", in, got, want)
		}
	}
}
