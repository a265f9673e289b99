package cli

import (
	"fmt"

	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/threatintel"
)

// loadIndicators reads the indicator files of a command and gives them to
// its threat_match rules, reporting unreadable records (counted, with
// their file, line and column) and rules left without indicators. It
// returns nil and no error when no file is named.
func loadIndicators(env *Env, cmd string, files []string, rules []*engine.Rule) (*threatintel.Source, error) {
	n := threatintel.Count(rules)
	if len(files) == 0 {
		if n > 0 && !env.quiet {
			fmt.Fprintf(env.Stderr, "vigil %s: %d threat_match rule(s) have no indicators and raise no alert: name indicator files with --indicators FILE (see docs/threat-match.md)\n", cmd, n)
		}
		return nil, nil
	}
	src, err := threatintel.NewSource(files)
	if err != nil {
		return nil, err
	}
	reportIndicators(env, cmd, src.Set())
	threatintel.Attach(rules, src)
	return src, nil
}

// reportIndicators prints what could not be read of an indicator set.
func reportIndicators(env *Env, cmd string, set *threatintel.Set) {
	if set.Bad == 0 {
		return
	}
	fmt.Fprintf(env.Stderr, "vigil %s: indicators: %d record(s) could not be read and were skipped; fix them and run again:\n", cmd, set.Bad)
	for _, p := range set.Problems {
		fmt.Fprintf(env.Stderr, "  %v\n", p)
	}
	if set.Bad > len(set.Problems) {
		fmt.Fprintf(env.Stderr, "  ... and %d more\n", set.Bad-len(set.Problems))
	}
}
