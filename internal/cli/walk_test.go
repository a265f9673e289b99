package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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

func TestInputFilesUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files whatever their mode")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "secret.json")
	if err := os.WriteFile(p, []byte("{}\n"), 0o000); err != nil {
		t.Fatal(err)
	}
	var msgs []string
	in := &inputFiles{report: func(m string) { msgs = append(msgs, m) }}
	if files := in.expand([]string{p, dir}); len(files) != 0 {
		t.Errorf("expand gave %q, want nothing readable", files)
	}
	if in.errors != 2 || len(msgs) != 2 || !strings.Contains(msgs[0], "permission denied: check its permissions") {
		t.Errorf("%d errors, messages %q; want 2, permission denied", in.errors, msgs)
	}
}
