package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"vigil": func() { os.Exit(Main(os.Args[1:], StdEnv())) },
	})
}

// runScripts runs the txtar scripts in dir with a `vigil` command and
// $SAMPLE naming the bundled sample export.
func runScripts(t *testing.T, dir string) {
	t.Helper()
	sample, err := filepath.Abs("../../testdata/sample/azure-activity.json")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: dir,
		Setup: func(env *testscript.Env) error {
			env.Setenv("SAMPLE", sample)
			return nil
		},
	})
}

func TestScripts(t *testing.T) { runScripts(t, "testdata/scripts") }
