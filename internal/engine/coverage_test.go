package engine

import (
	"fmt"
	"testing"

	"github.com/vigil-project/vigil/internal/event"
)

// An input naming a new index per event keeps the coverage bounded: past
// maxIndices it stops remembering them and no rule is said to select none.
func TestCoverageIndicesAreBounded(t *testing.T) {
	plan := event.NewPlan()
	r := testRule(plan, "aws", "event.action", "RUN", []string{"logs-aws*"})
	c := NewCoverage()
	ev := event.New([]byte(`{}`), plan)
	c.note("logs-azure-0", ev)
	if c.selects(r) {
		t.Fatal("logs-aws* selects logs-azure-0")
	}
	for i := range 10 * maxIndices {
		c.note(fmt.Sprintf("logs-azure-%d", i), ev)
	}
	if len(c.indices) > maxIndices || !c.tooMany {
		t.Errorf("%d indices remembered (bound %d), tooMany %v", len(c.indices), maxIndices, c.tooMany)
	}
	if !c.selects(r) {
		t.Error("past the bound, a rule is said to select none of the indices")
	}
	m := NewCoverage()
	m.Merge(c)
	if !m.tooMany || len(m.indices) > maxIndices {
		t.Errorf("merge: %d indices, tooMany %v", len(m.indices), m.tooMany)
	}
}
