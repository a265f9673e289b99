package rule

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-project/vigil/internal/event"
)

// TestFixtures loads testdata/good (must be runnable, or unsupported when
// the file says so) and testdata/bad,
// whose files name their expected errors in `# want: ` lines (a substring
// of "line:col: message" or of the hint).
func TestFixtures(t *testing.T) {
	good, _ := filepath.Glob("testdata/good/*.toml")
	for _, f := range good {
		data, _ := os.ReadFile(f)
		r := Parse(f, data, LoadOptions{Plan: event.NewPlan(), Now: fixedNow})
		// A good file is runnable, unless it says otherwise in a
		// `# want-status: unsupported: <reason substring>` line.
		wantStatus, wantReason := StatusOK, ""
		for _, line := range strings.Split(string(data), "\n") {
			if w, ok := strings.CutPrefix(line, "# want-status: "); ok {
				st, reason, _ := strings.Cut(w, ": ")
				wantStatus, wantReason = Status(st), reason
			}
		}
		if len(r.Errors) > 0 || r.Status != wantStatus || !strings.Contains(r.Reason, wantReason) {
			t.Errorf("%s: status %s %q %v, want %s %q", f, r.Status, r.Reason, r.Errors, wantStatus, wantReason)
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
