// Package cli implements the vigil command line: subcommands, flags, and the
// wiring of inputs, rules, the engine and sinks. It is the only package that
// reads the wall clock or the process environment.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/rule"
	"golang.org/x/term"
)

// Exit codes shared by every subcommand.
const (
	exitOK      = 0 // ran (alerts or not)
	exitFailure = 1 // some input or rule failed; the rest still ran
	exitUsage   = 2 // the command line is wrong
)

// Env is what a command may touch of the outside world.
type Env struct {
	Stdin      io.Reader
	Stdout     io.Writer
	Stderr     io.Writer
	Now        func() time.Time
	IsTerminal bool // stdout is a terminal: table output by default
	// StderrIsTerminal allows progress lines on stderr.
	StderrIsTerminal bool
	// quiet: --quiet was given; notes that are not errors are not printed.
	quiet bool
	// onFlagSet, when set, receives each flag set a command defines
	// (completion scripts are generated from them).
	onFlagSet func(*flag.FlagSet)
}

// StdEnv is the process's own environment.
func StdEnv() *Env {
	return &Env{
		Stdin:      os.Stdin,
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		Now:        time.Now,
		IsTerminal: isTerminal(os.Stdout),

		StderrIsTerminal: isTerminal(os.Stderr),
	}
}

// isTerminal reports whether f is a terminal (not merely a character
// device: /dev/null is one, and output sent there is not for a person).
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

type command struct {
	name    string
	summary string
	run     func(env *Env, args []string) int
}

// commands is the one table of subcommands.
func commands() []command {
	return []command{
		{"hunt", "run rules over event files and print the alerts", runHunt},
		{"search", "print the events that match a KQL query", runSearch},
		{"normalize", "turn raw cloud logs into ECS NDJSON", runNormalize},
		{"rules", "validate, list and show rules", runRules},
		{"serve", "run rules continuously over live events", runServe},
		{"test", "run rule tests: sample events and the alerts they must raise", runTest},
		{"ui", "serve the triage web UI over a database of alerts", runUI},
		{"version", "print the version and commit (also --version, -v)", runVersion},
		{"completion", "print a shell completion script: bash, zsh or fish", runCompletion},
	}
}

// Version is set at build time with -ldflags "-X ...cli.Version=v1.2.3".
var Version = "dev"

// Main runs the command line args and returns the exit code.
func Main(args []string, env *Env) int {
	if len(args) == 0 {
		usage(env.Stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		usage(env.Stdout)
		return exitOK
	case "--version", "-version", "-v":
		return runVersion(env, args[1:])
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(env, args[1:])
		}
	}
	fmt.Fprintf(env.Stderr, "vigil: unknown command %q\n", name)
	if s := suggest(name, commandNames()); s != "" {
		fmt.Fprintf(env.Stderr, "did you mean %q?\n", s)
	}
	fmt.Fprintln(env.Stderr, "run 'vigil help' for the list of commands")
	return exitUsage
}

func commandNames() []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return names
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "vigil runs Elastic Security detection rules over logs, without Elasticsearch.")
	fmt.Fprintln(w, "\nUsage: vigil <command> [flags] [args]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'vigil <command> -h' for a command's flags.")
}

// newFlagSet returns a flag set that prints its usage to env.Stderr with a
// synopsis line.
func newFlagSet(env *Env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	if env.onFlagSet != nil {
		env.onFlagSet(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: vigil %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, interleaving flags and positional arguments (so
// `vigil hunt file.json --format ndjson` works). It returns the positional
// arguments, or a non-negative exit code when the command should stop.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, int) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK
			}
			return nil, exitUsage
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, -1
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), -1
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// suggest returns the candidate closest to s, if it is close enough to be a
// likely typo.
func suggest(s string, candidates []string) string { return rule.Closest(s, candidates) }

// batchGC lets a batch command's heap grow to five times its live data
// between collections (GOGC=400) unless the GOGC environment variable says
// otherwise: hunt and normalize keep little live data (tens of MB), and a
// hunt that allocates much (Elastic's corpus) runs 12% faster so. Memory
// stays proportional to the live data, not to the input. serve keeps the
// default.
func batchGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(400)
	}
}

// loadingGC stops collections while a batch command loads its rules
// (unless the GOGC environment variable is set): loading allocates mostly
// what it keeps (the rules, their compiled queries), and the collections
// in the middle of it were about a seventh of loading Elastic's corpus,
// for little memory. The function it returns, called once the rules are
// loaded (and deferred, for the other ways out; it does nothing the second
// time), resumes collections where batchGC's GOGC=400 would have them
// after a collection at that point: at five times the heap then. Before
// its first collection the runtime's goal is a minimum heap of 4 MiB
// times GOGC/100, so a percentage putting it there is set, and 400 again
// once that first collection is done.
func loadingGC() (loaded func()) {
	if _, set := os.LookupEnv("GOGC"); set {
		return func() {}
	}
	prev := debug.SetGCPercent(-1)
	// A bound all the same: a rule set so large that loading it leaves
	// loadingLimit of garbage is collected as it loads.
	prevLimit := debug.SetMemoryLimit(-1)
	debug.SetMemoryLimit(min(prevLimit, loadingLimit))
	done := false
	return func() {
		if done {
			return
		}
		done = true
		debug.SetMemoryLimit(prevLimit)
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		if m.NumGC > 0 || prev != 400 {
			// The runtime's goal follows the last collection's heap:
			// back to what was set.
			debug.SetGCPercent(prev)
			return
		}
		debug.SetGCPercent(max(prev, int(5*100*m.HeapAlloc/(4<<20))))
		runtime.AddCleanup(new(gcSentinel), func(prev int) { debug.SetGCPercent(prev) }, prev)
	}
}

// loadingLimit is the memory at which a collection runs while rules load
// (loadingGC), where none would otherwise: Elastic's corpus of 1,600 rules
// allocates about 75 MiB.
const loadingLimit = 1 << 30

// gcSentinel is an object that becomes garbage at once: its cleanup runs
// after the next collection.
type gcSentinel struct{ _ *int }
