package cli

import "fmt"

func runHunt(env *Env, args []string) int {
	fmt.Fprintln(env.Stderr, "vigil hunt: not built yet")
	return exitUsage
}
