package cli

import "fmt"

func runNormalize(env *Env, args []string) int {
	fmt.Fprintln(env.Stderr, "vigil normalize: not built yet")
	return exitUsage
}
