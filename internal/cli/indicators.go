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
			what := "1 threat_match rule has no indicators and raises"
			if n != 1 {
				what = fmt.Sprintf("%d threat_match rules have no indicators and raise", n)
			}
			fmt.Fprintf(env.Stderr, "vigil %s: %s no alert: name indicator files with --indicators FILE (see docs/threat-match.md)\n", cmd, what)
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
	fmt.Fprintf(env.Stderr, "vigil %s: indicators: %s not be read and skipped; fix them and run again:\n", cmd, pluralVerb(set.Bad, "record", "could", "could"))
	for _, p := range set.Problems {
		fmt.Fprintf(env.Stderr, "  %v\n", p)
	}
	if set.Bad > len(set.Problems) {
		fmt.Fprintf(env.Stderr, "  ... and %d more\n", set.Bad-len(set.Problems))
	}
}
