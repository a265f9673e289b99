package querytext

import "testing"

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
