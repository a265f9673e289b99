package rule

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-project/vigil/internal/event"
)

// TestFixtures loads testdata/good (must be runnable) and testdata/bad,
// whose files name their expected errors in `# want: ` lines (a substring
// of "line:col: message" or of the hint).
func TestFixtures(t *testing.T) {
	good, _ := filepath.Glob("testdata/good/*.toml")
	for _, f := range good {
		data, _ := os.ReadFile(f)
		r := Parse(f, data, LoadOptions{Plan: event.NewPlan(), Now: fixedNow})
		if r.Status != StatusOK {
			t.Errorf("%s: status %s %s %v", f, r.Status, r.Reason, r.Errors)
		}
	}
	bad, _ := filepath.Glob("testdata/bad/*.toml")
	if len(bad) == 0 {
		t.Fatal("no bad fixtures")
	}
	for _, f := range bad {
		data, _ := os.ReadFile(f)
		r := Parse(f, data, LoadOptions{Plan: event.NewPlan(), Now: fixedNow})
		if r.Status != StatusError {
			t.Errorf("%s: status %s, want error", f, r.Status)
			continue
		}
		var got []string
		for _, e := range r.Errors {
			got = append(got, strings.TrimPrefix(e.Error(), f+":")+" | "+e.Hint)
		}
		for _, line := range strings.Split(string(data), "\n") {
			want, ok := strings.CutPrefix(line, "# want: ")
			if !ok {
				continue
			}
			found := false
			for _, g := range got {
				if strings.Contains(g, want) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: no error like %q; got:\n  %s", f, want, strings.Join(got, "\n  "))
			}
		}
	}
}
