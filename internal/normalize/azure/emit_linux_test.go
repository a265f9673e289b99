package azure

import "testing"

// TestEmitRunsStayInBounds is TestEmitRunsIsEmitWords with the plan's
// text, the record and the arena each ending where a page no one may
// read begins (the text and the arena with only the room their callers
// make sure of): emitRun reads no byte past them.
func TestEmitRunsStayInBounds(t *testing.T) {
	testEmitRuns(t, 300, guarded)
}
