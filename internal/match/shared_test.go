package match

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
)

// sharedTestdata returns ../shared/testdata beside the repository root, or
// skips the test when it is absent.
func sharedTestdata(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("no go.mod above the test: cannot find ../shared/testdata")
		}
		dir = parent
	}
	shared := filepath.Join(dir, "..", "shared", "testdata")
	if _, err := os.Stat(shared); err != nil {
		t.Skipf("shared test data not found at %s (it lives beside the repository): %v", shared, err)
	}
	return shared
}

// TestSeedQueryOnSyntheticRunCommand runs the seed rule's query, with the
// built-in ECS and Azure types, over the expected ECS documents of the
// shared synthetic Run Command example (dotted keys throughout): of the
// three records (Start, Accept, Success), only the successful one matches.
func TestSeedQueryOnSyntheticRunCommand(t *testing.T) {
	path := filepath.Join(sharedTestdata(t), "azure", "synthetic", "runcommand-action.expected-ecs.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("synthetic example not found: %v", err)
	}
	var file struct {
		Expected []json.RawMessage `json:"expected"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(file.Expected) != 3 {
		t.Fatalf("%s: %d expected documents, want 3", path, len(file.Expected))
	}
	m := compile(t, ecs.Default(), seedQuery)
	var got []bool
	for _, doc := range file.Expected {
		ev := event.New(doc, m.Plan())
		got = append(got, m.Match(ev))
		if x := m.Explain(ev); x.Match != got[len(got)-1] {
			t.Errorf("Explain disagrees with Match:\n%s", x)
		}
	}
	if !(!got[0] && !got[1] && got[2]) {
		t.Errorf("verdicts %v; want only the third (Success) record to match", got)
	}
}
