package querytext

import (
	"strings"
	"testing"
)

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"", "abc", 3}, {"abc", "", 3}, {"process.name", "process.name", 0},
		{"proces.name", "process.name", 1}, {"event.actoin", "event.action", 2}, {"kitten", "sitting", 3},
		{string(make([]byte, 65)), "a", 99},
	} {
		if got := EditDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestSkipBlank(t *testing.T) {
	for _, tc := range []struct {
		src      string
		off, end int
		ok       bool
	}{
		{"  x", 0, 2, true}, {"x", 0, 0, true}, {"// c\n x", 0, 6, true}, {"// c", 0, 4, true},
		{"/* a */\tx", 0, 8, true}, {"a /* open", 1, 2, false}, {"", 0, 0, true},
	} {
		if end, ok := SkipBlank(tc.src, tc.off); end != tc.end || ok != tc.ok {
			t.Errorf("SkipBlank(%q, %d) = %d, %v; want %d, %v", tc.src, tc.off, end, ok, tc.end, tc.ok)
		}
	}
}

// TestDetailCaret checks that the caret falls under the fault on the
// error's line of a multi-line query, whatever comes before it on that
// line: tabs, accented letters, wide (CJK) characters, combining marks.
func TestDetailCaret(t *testing.T) {
	for _, tc := range []struct {
		query string
		line  int
		col   int
		want  string // the caret line
	}{
		{"a:1 and\n  b:(", 2, 5, " |     ^"},
		{"a:1\n\tb:(", 2, 4, " | \t  ^"},
		{"x\n\"éé\" and (", 2, 10, " |          ^"},
		{"x\n\"日本\" and (", 2, 10, " |            ^"},
		{"x\n\"e\u0301\" (", 2, 6, " |     ^"},
	} {
		e := &Error{Pos: Pos{Line: tc.line, Col: tc.col}, Msg: "m", Query: tc.query}
		lines := strings.Split(e.Detail(), "\n")
		if len(lines) < 3 || lines[2] != tc.want {
			t.Errorf("Detail of %q at %d:%d:\n%s\nwant the caret line %q", tc.query, tc.line, tc.col, e.Detail(), tc.want)
		}
	}
}
