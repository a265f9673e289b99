package cli

import "testing"

func TestMatchGlob(t *testing.T) {
	for _, c := range []struct {
		pattern, rel string
		want         bool
	}{
		{"*.json", "a.json", true},
		{"*.json", "x/y/a.json", true}, // no '/': the base name
		{"*.json", "a.json.gz", false},
		{"sub/*.json", "sub/a.json", true},
		{"sub/*.json", "sub/x/a.json", false},
		{"**/*.json", "a.json", true}, // ** matches no directory too
		{"**/*.json", "x/y/a.json", true},
		{"x/**/a.json", "x/a.json", true},
		{"x/**/a.json", "x/1/2/a.json", true},
		{"x/**/a.json", "y/1/a.json", false},
		{"x/**", "x/1/2/a.json", true},
		{"./sub/*.log", "sub/d.log", true},
		{"PT1H.json", "resourceId=/SUBSCRIPTIONS/y=2026/m=03/PT1H.json", true},
	} {
		if got := matchGlob(c.pattern, c.rel); got != c.want {
			t.Errorf("matchGlob(%q, %q) = %v, want %v", c.pattern, c.rel, got, c.want)
		}
	}
	if err := checkGlobs([]string{"a/[b-/*.json"}); err == nil {
		t.Error("checkGlobs accepted a malformed pattern")
	}
}
