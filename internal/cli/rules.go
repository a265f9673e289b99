package cli

import "fmt"

func runRules(env *Env, args []string) int {
	fmt.Fprintln(env.Stderr, "vigil rules: not built yet")
	return exitUsage
}
