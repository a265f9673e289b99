package cli

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/vigil-project/vigil/internal/ruletest"
	"github.com/vigil-project/vigil/rules"
)

const testSynopsis = `test [-v] [PATH...]

Runs rule tests: each NAME.test.toml beside a rule NAME.toml holds cases of
sample events and the alerts the rule must (not) raise on them. PATH is a
test file or a directory searched recursively; without PATH, the tests of the
built-in rule pack run. Output is like go test's; the exit code is 1 when a
case fails. See docs/testing-rules.md for the format.

Examples:
  vigil test
  vigil test rules/
  vigil test -v my-rules/azure/run_command.test.toml`

func runTest(env *Env, args []string) int {
	flags := newFlagSet(env, "test", testSynopsis)
	verbose := flags.Bool("v", false, "print every case, not only failures")
	paths, code := parseFlags(flags, args)
	if code >= 0 {
		return code
	}
	type target struct {
		fsys  fs.FS
		root  string
		shown string // how paths are shown: the root as given
	}
	var targets []target
	if len(paths) == 0 {
		targets = append(targets, target{fsys: rules.FS, root: ".", shown: "builtin:"})
	}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil test: %v\n", err)
			return exitFailure
		}
		if st, err := os.Stat(abs); err != nil {
			fmt.Fprintf(env.Stderr, "vigil test: %v\n", err)
			return exitFailure
		} else if st.IsDir() {
			targets = append(targets, target{fsys: os.DirFS(abs), root: ".", shown: filepath.Clean(p)})
		} else {
			targets = append(targets, target{fsys: os.DirFS(filepath.Dir(abs)), root: filepath.Base(abs), shown: filepath.Dir(filepath.Clean(p))})
		}
	}
	start := time.Now()
	files, passed, failed, broken := 0, 0, 0, 0
	for _, t := range targets {
		list, err := ruletest.Find(t.fsys, t.root)
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil test: %v\n", err)
			broken++
			continue
		}
		for _, f := range list {
			files++
			name := filepath.Join(t.shown, f)
			if t.shown == "builtin:" {
				name = "builtin:" + f
			}
			results, err := ruletest.Run(t.fsys, f)
			if err != nil {
				broken++
				fmt.Fprintf(env.Stdout, "--- FAIL: %s\n    %v\n", name, err)
				continue
			}
			for _, r := range results {
				if r.Pass {
					passed++
					if *verbose {
						fmt.Fprintf(env.Stdout, "--- PASS: %s: %s (%s, %.2fs)\n", name, r.Case, plural(r.Alerts, "alert"), r.Elapsed.Seconds())
					}
					continue
				}
				failed++
				fmt.Fprintf(env.Stdout, "--- FAIL: %s: %s (%.2fs)\n", name, r.Case, r.Elapsed.Seconds())
				for _, line := range r.Failures {
					fmt.Fprintf(env.Stdout, "    %s\n", line)
				}
			}
		}
	}
	elapsed := time.Since(start).Seconds()
	if files == 0 && broken == 0 {
		fmt.Fprintln(env.Stderr, "vigil test: no *.test.toml files found: write NAME.test.toml beside NAME.toml (see docs/testing-rules.md)")
		return exitFailure
	}
	if failed > 0 || broken > 0 {
		fmt.Fprintf(env.Stdout, "FAIL\t%d of %s failed, %s unusable (%.2fs)\n", failed, plural(failed+passed, "case"), plural(broken, "test file"), elapsed)
		return exitFailure
	}
	fmt.Fprintf(env.Stdout, "ok\t%s in %s passed (%.2fs)\n", plural(passed, "case"), plural(files, "file"), elapsed)
	return exitOK
}
