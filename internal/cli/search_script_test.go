package cli

import "testing"

// TestSearchScripts runs the `vigil search` scripts.
func TestSearchScripts(t *testing.T) { runScripts(t, "testdata/search") }
