package rule

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/rules"
)

// FuzzLoad: no rule file, however broken, makes the loader panic, and a
// rule is runnable only when it has no errors.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("../../rules/azure/*.toml")
	fixtures, _ := filepath.Glob("testdata/*/*.toml")
	seeds = append(seeds, fixtures...)
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	if b, err := rules.FS.ReadFile("azure/execution_vm_run_command.toml"); err == nil {
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte("[rule]\nquery = '''a:(b'''\n"))
	f.Add([]byte("[metadata]\n[rule]\nrisk_score = \"x\"\nthreat = 5\nfilters = [{query={bool={should=[1]}}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := Parse("fuzz.toml", data, LoadOptions{Plan: event.NewPlan(), Now: fixedNow})
		if r.Status == StatusOK && len(r.Errors) > 0 {
			t.Fatalf("status ok with errors %v", r.Errors)
		}
		if r.Status == StatusError && len(r.Errors) == 0 {
			t.Fatal("status error without errors")
		}
		r.Match(event.New([]byte(`{"a":"b"}`), nil))
	})
}
