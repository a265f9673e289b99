// Package sharedtestdata finds the read-only reference data that lies
// beside the project (../shared/testdata: Elastic's rule corpus, pipeline
// tests, ECS, spec tests), for tests that read it without copying it.
package sharedtestdata

import (
	"os"
	"path/filepath"
	"testing"
)

// Find returns ../shared/testdata/sub beside the module root (the first
// directory above the working directory holding go.mod), and whether it
// exists.
func Find(sub string) (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
	path := filepath.Join(dir, "..", "shared", "testdata", sub)
	if _, err := os.Stat(path); err != nil {
		return "", false
	}
	return path, true
}

// Dir is Find for tests that need the data: it skips the test when the
// data is absent.
func Dir(t testing.TB, sub string) string {
	t.Helper()
	path, ok := Find(sub)
	if !ok {
		t.Skipf("../shared/testdata/%s not found (run from a checkout with shared/ beside it)", sub)
	}
	return path
}
