package cli

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// versionText is what `vigil version`, `vigil --version` and `vigil -v`
// print: the module version (the -ldflags Version when set, else the one
// the Go toolchain recorded: a tag for `go install ...@v1.2.3`, "(devel)"
// for a build from a checkout), the commit and its time, and whether the
// tree had changes.
func versionText() string {
	v := Version
	var commit, when string
	modified := false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "dev" && bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "vigil %s", v)
	if commit == "" {
		b.WriteString(" (commit unknown: built without version control information)")
		return b.String()
	}
	if len(commit) > 12 {
		commit = commit[:12]
	}
	fmt.Fprintf(&b, " (commit %s", commit)
	if when != "" {
		fmt.Fprintf(&b, ", %s", when)
	}
	if modified {
		b.WriteString(", with uncommitted changes")
	}
	b.WriteString(")")
	return b.String()
}

func runVersion(env *Env, args []string) int {
	fs := newFlagSet(env, "version", "version\n\nPrints Vigil's version and the commit it was built from (also: vigil --version, vigil -v).")
	pos, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(env.Stderr, "vigil version: unexpected argument %q: the command takes none\n", pos[0])
		return exitUsage
	}
	fmt.Fprintln(env.Stdout, versionText())
	return exitOK
}
