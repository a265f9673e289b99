// Command vigil-bench is Vigil's reproducible benchmark, in one command:
//
//	go run ./bench/cmd/vigil-bench [-events N] [-md FILE]      (or bench/run)
//
// It builds vigil and the baseline scanner once, generates a seeded data
// set (bench/gen), then runs and measures, on the same files and in one
// run:
//
//	a   vigil-scan: the plain JSON scan, one field per line (the baseline)
//	b   vigil hunt --rules rules/azure/execution_vm_run_command.toml (the seed rule)
//	c   vigil hunt (the built-in pack)
//	d   vigil hunt --rules <detection-rules>/rules (Elastic's corpus; skipped when absent)
//	e0  vigil-scan over the raw Azure file (the baseline of e)
//	e   vigil normalize over the raw Azure file (e1: GOMAXPROCS=1)
//	es0, es, es1  the same over raw Entra ID sign-in records
//	ea0, ea, ea1  the same over raw Entra ID audit records
//	f1  c over the same events split into 4 files, GOMAXPROCS=1
//	f2  the same with GOMAXPROCS=2
//	m   c over one of those files (a quarter of the input): peak memory
//	j   c over the same events as one top-level JSON array (compared with c)
//	k   c over the same events as one {"records":[...]} envelope (compared with c)
//
// Each step is a child process: wall time around it, CPU time and peak RSS
// from its rusage, allocations from the line VIGIL_RUNTIME_STATS=1 makes it
// print. It prints a table and checks the project's targets; -md writes the
// same as markdown.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-project/vigil/bench/gen"
)

const seedRule = "rules/azure/execution_vm_run_command.toml"

type config struct {
	events    int
	rawEvents int
	seed      uint64
	count     int
	corpus    string
	md        string
	dir       string
	gzip      bool
	only      map[string]bool
	before    string // another vigil binary: its hunt and normalize steps run too, as <id>@before
}

func main() {
	var c config
	defEvents := 1_000_000
	if s := os.Getenv("VIGIL_BENCH_EVENTS"); s != "" {
		n, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
		if err != nil || n <= 0 {
			fatalf("VIGIL_BENCH_EVENTS=%q: want a positive number of events", s)
		}
		defEvents = n
	}
	flag.IntVar(&c.events, "events", defEvents, "events in the generated data set (or env VIGIL_BENCH_EVENTS)")
	flag.IntVar(&c.rawEvents, "raw-events", 0, "raw Azure records for the normalize step (default: events/20)")
	flag.Uint64Var(&c.seed, "seed", 1, "seed of the generator")
	flag.IntVar(&c.count, "count", 1, "run each step N times and keep the fastest run")
	flag.StringVar(&c.corpus, "corpus", "", "rules directory of Elastic's detection-rules for step d (default: env VIGIL_DETECTION_RULES, else a known location; 'none' skips d)")
	flag.StringVar(&c.md, "md", "", "also write the results as markdown to FILE")
	flag.StringVar(&c.dir, "dir", "", "write the binaries and data sets to DIR and keep them (default: a temporary directory, removed)")
	flag.BoolVar(&c.gzip, "gzip", false, "generate gzip-compressed input (MB/s then counts compressed bytes)")
	flag.StringVar(&c.before, "before", "", "another `vigil` binary (an earlier build): each hunt and normalize step selected runs with it too, as step <id>@before, for before/after ratios in one run")
	steps := flag.String("steps", "", "comma-separated step ids to run (default: all); a runs anyway, being the baseline")
	flag.Parse()
	if flag.NArg() > 0 {
		fatalf("unexpected arguments %q", flag.Args())
	}
	if c.events < 4 || c.count < 1 {
		fatalf("-events must be at least 4 and -count at least 1")
	}
	if c.rawEvents <= 0 {
		c.rawEvents = max(c.events/20, 1)
	}
	if *steps != "" {
		c.only = map[string]bool{"a": true}
		for _, s := range strings.Split(*steps, ",") {
			c.only[strings.TrimSpace(s)] = true
		}
	}
	if err := run(c); err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "vigil-bench: "+format+"\n", args...)
	os.Exit(1)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "vigil-bench: "+format+"\n", args...)
}

func run(c config) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	dir := c.dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "vigil-bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	start, loadBefore, rev := time.Now(), loadAverage(), revision(root)

	// Build once.
	vigil, scan := filepath.Join(dir, "vigil"), filepath.Join(dir, "vigil-scan")
	for _, b := range [][2]string{{vigil, "./cmd/vigil"}, {scan, "./bench/cmd/vigil-scan"}} {
		cmd := exec.Command("go", "build", "-o", b[0], b[1])
		cmd.Dir, cmd.Stdout, cmd.Stderr = root, os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build %s: %w", b[1], err)
		}
	}
	logf("built vigil and vigil-scan in %s", time.Since(start).Round(time.Millisecond))

	// Generate.
	ext := ".ndjson"
	if c.gzip {
		ext += ".gz"
	}
	events, raw := filepath.Join(dir, "events"+ext), filepath.Join(dir, "azure-raw"+ext)
	t0 := time.Now()
	st, err := gen.WriteFile(events, gen.Options{Seed: c.seed, Events: c.events})
	if err != nil {
		return err
	}
	rawSt, err := gen.WriteFile(raw, gen.Options{Seed: c.seed, Events: c.rawEvents, Raw: true})
	if err != nil {
		return err
	}
	// Raw Entra ID sign-in and audit records, for their normalize steps.
	r := &runner{c: c, root: root, vigil: vigil, scan: scan}
	for _, k := range []struct {
		stream, step string
		path         *string
		st           *gen.Stats
	}{{gen.RawSignIn, "es", &r.rawSignIn, &r.rawSignInSt}, {gen.RawAudit, "ea", &r.rawAudit, &r.rawAuditSt}} {
		h := "h" + k.step[1:] // hs, ha: the hunt steps over the same records
		if c.only != nil && !c.only[k.step] && !c.only[k.step+"0"] && !c.only[k.step+"1"] && !c.only[h] && !c.only[h+"e"] {
			continue
		}
		*k.path = filepath.Join(dir, "azure-raw-"+k.stream+ext)
		if *k.st, err = gen.WriteFile(*k.path, gen.Options{Seed: c.seed, Events: c.rawEvents, Raw: true, RawStream: k.stream}); err != nil {
			return err
		}
	}
	logf("generated %d events (%.0f MB, %.0f bytes/event) and %d raw Azure records in %s",
		st.Events, float64(st.Bytes)/1e6, float64(st.Bytes)/float64(st.Events), rawSt.Events, time.Since(t0).Round(time.Millisecond))
	shards, err := split(events, dir, 4)
	if err != nil {
		return err
	}
	var docs []string
	if c.only == nil || c.only["j"] || c.only["k"] {
		array, envelope, err := documents(events, dir)
		if err != nil {
			return err
		}
		docs = []string{array, envelope}
	}

	corpus, corpusNote := findCorpus(c.corpus, root)
	if corpus != "" {
		r.corpusRules = r.countRunnable(corpus)
	}
	r.steps(events, raw, shards, docs, corpus, corpusNote, st, rawSt)

	rep := report{
		machine: readMachine(), cfg: c, gen: st, raw: rawSt, results: r.results,
		seedPlanted: st.Planted[seedRule], corpusRules: r.corpusRules, corpus: corpus,
		took: time.Since(start), loadBefore: loadBefore, loadAfter: loadAverage(), revision: rev,
	}
	rep.print(os.Stdout)
	if c.md != "" {
		if err := os.WriteFile(c.md, []byte(rep.markdown()), 0o644); err != nil {
			return err
		}
		logf("wrote %s", c.md)
	}
	return nil
}

// repoRoot is the directory of the main module's go.mod.
func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("run vigil-bench inside the vigil repository (no go.mod found)")
	}
	return filepath.Dir(mod), nil
}

// findCorpus locates the rules directory of a detection-rules checkout.
func findCorpus(flagValue, root string) (path, why string) {
	if flagValue == "none" {
		return "", "skipped (-corpus none)"
	}
	candidates := []string{flagValue}
	if flagValue == "" {
		candidates = []string{
			os.Getenv("VIGIL_DETECTION_RULES"),
			"/work/shared/testdata/detection-rules/rules",
			filepath.Join(root, "..", "shared", "testdata", "detection-rules", "rules"),
			filepath.Join(root, "..", "detection-rules", "rules"),
		}
	}
	for _, p := range candidates {
		if p == "" {
			continue
		}
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			return p, ""
		}
	}
	if flagValue != "" {
		return "", fmt.Sprintf("skipped: %s is not a directory", flagValue)
	}
	return "", "skipped: no detection-rules checkout found; clone github.com/elastic/detection-rules and pass -corpus <clone>/rules"
}
