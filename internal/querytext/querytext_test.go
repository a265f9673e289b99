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
