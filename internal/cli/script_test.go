package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run the vigil command in-process: a script's
// `exec vigil ...` calls Main with the process's own environment.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"vigil": func() { os.Exit(Main(os.Args[1:], StdEnv())) },
	})
}

// runScripts runs the testscript (.txtar) scripts in dir, relative to this
// package. Each script can run `vigil`, and sees:
//
//	$ROOT    the repository root (the directory holding go.mod)
//	$SAMPLE  the bundled sample export, testdata/sample/azure-activity.json
//	$SHARED  ../shared/testdata beside the repository (see [shared])
//
// and the condition [shared], true when $SHARED exists: guard scripts or
// lines that read it with `[!shared] skip 'needs ../shared/testdata'`.
//
// Each command's scripts live in their own directory (testdata/search,
// testdata/hunt, ...) with a test calling runScripts on it.
func runScripts(t *testing.T, dir string) {
	t.Helper()
	root := repoRoot(t)
	shared := filepath.Join(root, "..", "shared", "testdata")
	_, err := os.Stat(shared)
	haveShared := err == nil
	testscript.Run(t, testscript.Params{
		Dir: dir,
		Setup: func(env *testscript.Env) error {
			env.Setenv("ROOT", root)
			env.Setenv("SAMPLE", filepath.Join(root, "testdata", "sample", "azure-activity.json"))
			env.Setenv("SHARED", shared)
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond == "shared" {
				return haveShared, nil
			}
			return false, &unknownCondition{cond}
		},
	})
}

type unknownCondition struct{ name string }

func (e *unknownCondition) Error() string { return "unknown condition " + e.name }

// repoRoot walks up from the working directory to the directory holding
// go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// TestScripts runs the scripts of testdata/scripts (hunt, replay, rules,
// written before the per-command directories).
func TestScripts(t *testing.T) { runScripts(t, "testdata/scripts") }
