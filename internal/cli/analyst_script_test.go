package cli

import "testing"

// TestAnalystScripts runs the scripts of testdata/analyst: what an analyst
// meets around a hunt (summary, --quiet, progress, version, completion,
// rules show by name, error positions).
func TestAnalystScripts(t *testing.T) { runScripts(t, "testdata/analyst") }
