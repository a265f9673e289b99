package rule

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/sharedtestdata"
)

// TestCorpusESQL checks the corpus's esql rules as vigil hunt, test and
// rules validate load them (RunESQL): every one but the 7 COMPLETION rules
// is runnable, whatever its look-back (a hunt holds the documents of the
// 21 whose look-back spans more than engine.MaxFedESQLWindows intervals
// on disk).
func TestCorpusESQL(t *testing.T) {
	root := sharedtestdata.Dir(t, "detection-rules")
	set, err := LoadPaths([]string{filepath.Join(root, "rules"), filepath.Join(root, "rules_building_block")},
		LoadOptions{Plan: event.NewPlan(), Now: fixedNow, RunESQL: true})
	if err != nil {
		t.Fatal(err)
	}
	total, runnable, completion, long := 0, 0, 0, 0
	for _, r := range set.Rules {
		if r.Type != "esql" {
			continue
		}
		total++
		interval := r.Interval
		if interval <= 0 {
			interval = 5 * time.Minute
		}
		switch {
		case r.Status == StatusOK:
			runnable++
			if (r.Lookback+interval-1)/interval > 12 {
				long++
			}
		case r.Status == StatusUnsupported && strings.Contains(r.Reason, "COMPLETION is not supported"):
			completion++
		default:
			t.Errorf("%s: %s %s %v", r.File, r.Status, r.Reason, r.Errors)
		}
	}
	if total != 209 || runnable != 202 || completion != 7 || long != 21 {
		t.Errorf("%d ES|QL rules: %d runnable (%d with a look-back of more than 12 intervals), %d COMPLETION; want 209: 202 (21), 7", total, runnable, long, completion)
	}
}
