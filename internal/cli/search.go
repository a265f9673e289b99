package cli

import "fmt"

func runSearch(env *Env, args []string) int {
	fmt.Fprintln(env.Stderr, "vigil search: not built yet")
	return exitUsage
}
