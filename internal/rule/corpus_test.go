package rule

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/sharedtestdata"
)

var fixedNow = func() time.Time { return time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC) }

// TestCorpus loads Elastic's whole prebuilt rule corpus: nothing may crash
// or be reported as an error, every kuery query rule must be runnable and
// and so must every new_terms, threshold and threat_match rule; every
// other rule must say why it is not.
func TestCorpus(t *testing.T) {
	root := sharedtestdata.Dir(t, "detection-rules")
	set, err := LoadPaths([]string{filepath.Join(root, "rules"), filepath.Join(root, "rules_building_block")},
		LoadOptions{Plan: event.NewPlan(), Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	reasons := map[string]int{}
	for _, r := range set.Rules {
		counts[string(r.Status)]++
		switch r.Status {
		case StatusError:
			for _, e := range r.Errors {
				t.Errorf("%v (hint: %s)", e, e.Hint)
			}
		case StatusUnsupported:
			if r.Reason == "" {
				t.Errorf("%s: unsupported without a reason", r.File)
			}
			reasons[r.Reason]++
		}
		if r.Type == "query" && r.Language == "kuery" && r.Status != StatusOK {
			t.Errorf("%s: kuery query rule has status %s: %s", r.File, r.Status, r.Reason)
		}
		switch r.Type {
		case "new_terms", "threshold", "threat_match":
			if r.Status != StatusOK {
				t.Errorf("%s: %s rule has status %s: %s", r.File, r.Type, r.Status, r.Reason)
			}
		}
	}
	if len(set.Rules) != 2068 {
		t.Errorf("loaded %d rules, want 2068", len(set.Rules))
	}
	t.Logf("statuses: %v", counts)
	var rs []string
	for r := range reasons {
		rs = append(rs, r)
	}
	sort.Strings(rs)
	for _, r := range rs {
		t.Logf("unsupported: %4d  %s", reasons[r], r)
	}
}

// TestCorpusEQL checks the corpus's eql rules: each single-event query,
// sequence and sample runs (a sequence the matcher cannot run is
// unsupported, naming the construct), and none is an error.
func TestCorpusEQL(t *testing.T) {
	root := sharedtestdata.Dir(t, "detection-rules")
	set, err := LoadPaths([]string{filepath.Join(root, "rules"), filepath.Join(root, "rules_building_block")},
		LoadOptions{Plan: event.NewPlan(), Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, r := range set.Rules {
		if r.Type != "eql" {
			continue
		}
		q := strings.TrimSpace(stripComments(r.Query))
		single := !strings.HasPrefix(q, "sequence") && !strings.HasPrefix(q, "sample")
		switch {
		case r.Status == StatusError:
			for _, e := range r.Errors {
				t.Errorf("%v\n%s", e, e.Detail)
			}
		case r.Status == StatusOK:
			counts["runnable"]++
		case r.Status == StatusUnsupported:
			counts["unsupported: "+r.Reason]++
			if single && !strings.HasPrefix(r.Reason, "from ") {
				t.Errorf("%s: single-event query unsupported: %s", r.File, r.Reason)
			}
			if !single && !strings.HasPrefix(r.Reason, "eql sequence") && !strings.HasPrefix(r.Reason, "eql sample") {
				t.Errorf("%s: unsupported for %q, want the construct named", r.File, r.Reason)
			}
		}
	}
	t.Logf("eql rules: %v", counts)
	// 823 single-event queries, 197 of the 198 sequences (one reads a
	// text field without a keyword subfield, which Elasticsearch refuses)
	// and the 3 samples.
	if counts["runnable"] != 1023 {
		t.Errorf("%d runnable eql rules, want 1023 (the corpus's single-event queries, sequences and samples)", counts["runnable"])
	}
}

// stripComments drops leading // and /* */ comments and blank lines.
func stripComments(q string) string {
	for {
		q = strings.TrimSpace(q)
		switch {
		case strings.HasPrefix(q, "//"):
			if i := strings.IndexByte(q, '\n'); i >= 0 {
				q = q[i+1:]
				continue
			}
			return ""
		case strings.HasPrefix(q, "/*"):
			if i := strings.Index(q, "*/"); i >= 0 {
				q = q[i+2:]
				continue
			}
			return ""
		}
		return q
	}
}
