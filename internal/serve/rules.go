package serve

import (
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/geoip"
	"github.com/vigil-project/vigil/internal/rule"
	"github.com/vigil-project/vigil/internal/ruleset"
	"github.com/vigil-project/vigil/internal/threatintel"
)

// RuleLoader loads the rule files of serve and reloads them when they
// change. A rule file that fails validation after a change is reported and
// its previous good version stays in force; a new file that fails is
// reported and skipped.
type RuleLoader struct {
	// Paths are rule files and directories (recursively *.toml, leaving
	// out *.test.toml). Without paths, the built-in pack is loaded once.
	Paths   []string
	Now     func() time.Time
	Logger  *slog.Logger
	Metrics *Metrics
	// Install receives each new generation of runnable rules.
	Install func(rules []*engine.Rule, plan *event.Plan)
	// Exceptions, when set, are attached to the rules they apply to.
	Exceptions *ruleset.Exceptions
	// Indicators, when set, feed the threat_match rules; Watch reads
	// their files again when they change.
	Indicators *threatintel.Source
	// GeoIP, when set, is read again when its database files change.
	GeoIP *geoip.Source
	// Schema gives field types (the built-in ones with the user's index
	// mappings over them); nil means ecs.Default().
	Schema *ecs.Schema

	mu       sync.Mutex
	lastGood map[string][]byte // file -> content of its last version without errors
	print    [32]byte
	status   LoadStatus
}

// LoadStatus describes the rules in force.
type LoadStatus struct {
	Files, Runnable, Unsupported, Errors int
	LoadedAt                             time.Time
	Problems                             []string
}

// Status returns what the last load found.
func (l *RuleLoader) Status() LoadStatus {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.status
}

// Load loads the rules now and installs them. It fails only when the
// paths cannot be read or no rule at all can run.
func (l *RuleLoader) Load() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.Logger == nil {
		l.Logger = slog.New(slog.DiscardHandler)
	}
	if l.Now == nil {
		l.Now = time.Now
	}
	if l.lastGood == nil {
		l.lastGood = map[string][]byte{}
	}
	plan := event.NewPlan()
	opts := rule.LoadOptions{Plan: plan, Now: l.Now, Schema: l.Schema, RunESQL: true}
	var set *rule.Set
	if len(l.Paths) == 0 {
		var err error
		if set, err = rule.Builtin(opts); err != nil {
			return err
		}
	} else {
		files, err := ruleFiles(l.Paths)
		if err != nil {
			return err
		}
		set = &rule.Set{}
		print := newFingerprint()
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return fmt.Errorf("rules: %w", err)
			}
			print.add(f, data)
			r := rule.Parse(f, data, opts)
			if r.Status == rule.StatusError {
				for _, e := range r.Errors {
					l.Logger.Error("rule file has errors", "error", e.Error(), "detail", e.Detail, "hint", e.Hint)
				}
				if prev, ok := l.lastGood[f]; ok {
					l.Logger.Warn("keeping the previous version of the rule", "file", f)
					r = rule.Parse(f, prev, opts)
				}
			} else {
				l.lastGood[f] = data
			}
			set.Rules = append(set.Rules, r)
		}
		// What was parsed, not what a later look finds: an edit made
		// during this load is seen by the next check.
		l.print = print.sum()
	}
	rules, problems := ruleset.Runnable(set)
	if err := l.Exceptions.Apply(set, rules, plan, l.Now); err != nil {
		return err
	}
	if l.Indicators != nil {
		threatintel.Attach(rules, l.Indicators)
	} else if n := threatintel.Count(rules); n > 0 {
		l.Logger.Warn("threat_match rules have no indicators and raise no alert: set indicators in the configuration", "rules", n)
	}
	if len(rules) == 0 {
		return fmt.Errorf("no runnable rule in %s: check them with 'vigil rules validate'", strings.Join(l.Paths, ", "))
	}
	unsupported := 0
	for _, n := range problems.Unsupported {
		unsupported += n
	}
	l.status = LoadStatus{Files: len(set.Rules), Runnable: len(rules), Unsupported: unsupported,
		Errors: len(problems.Errors), LoadedAt: l.Now(), Problems: problems.Lines()}
	if l.Metrics != nil {
		l.Metrics.Counter("vigil_rule_loads_total", "Rule (re)loads.").Add(1)
	}
	l.Logger.Info("rules loaded", "runnable", len(rules), "unsupported", unsupported, "errors", len(problems.Errors))
	l.Install(rules, plan)
	return nil
}

// Watch reloads the rules whenever their files change, checking every
// interval, until ctx is done.
func (l *RuleLoader) Watch(ctx context.Context, every time.Duration) {
	if (len(l.Paths) == 0 && l.Indicators == nil && l.GeoIP == nil) || every <= 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		l.reloadIndicators()
		l.reloadGeoIP()
		if len(l.Paths) == 0 {
			continue
		}
		print, err := readFingerprint(l.Paths)
		l.mu.Lock()
		same := err == nil && print == l.print
		l.mu.Unlock()
		if err != nil {
			l.Logger.Error("rules: cannot read the rule paths; keeping the rules in force", "error", err)
			continue
		}
		if same {
			continue
		}
		if err := l.Load(); err != nil {
			l.Logger.Error("rules: reload failed; keeping the rules in force", "error", err)
		}
	}
}

// ruleFiles lists the rule files under paths, sorted.
func ruleFiles(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(path, ".toml") && !strings.HasSuffix(path, ".test.toml") {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
	}
	sort.Strings(files)
	return files, nil
}

// fingerprint hashes the names and contents of the rule files. Contents,
// not sizes and modification times: an edit that keeps the size within the
// file system's timestamp granularity (a second on some), or a tool that
// restores the time, would go unseen until the next unrelated change. Rule
// files are small; reading them every reload interval costs little.
type fingerprint struct{ h hash.Hash }

func newFingerprint() fingerprint { return fingerprint{sha256.New()} }

func (p fingerprint) add(name string, data []byte) {
	fmt.Fprintf(p.h, "%s\x00%d\x00", name, len(data))
	p.h.Write(data)
}

func (p fingerprint) sum() [32]byte {
	var sum [32]byte
	copy(sum[:], p.h.Sum(nil))
	return sum
}

// readFingerprint reads the rule files under paths and fingerprints them.
func readFingerprint(paths []string) ([32]byte, error) {
	files, err := ruleFiles(paths)
	if err != nil {
		return [32]byte{}, err
	}
	print := newFingerprint()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return [32]byte{}, fmt.Errorf("rules: %w", err)
		}
		print.add(f, data)
	}
	return print.sum(), nil
}

// reloadIndicators reads the indicator files again if they changed; the
// threat_match rules see the new set from their next event on.
func (l *RuleLoader) reloadIndicators() {
	if l.Indicators == nil {
		return
	}
	changed, err := l.Indicators.Reload()
	switch {
	case err != nil:
		l.Logger.Error("indicators: cannot read the files; keeping the indicators in force", "error", err)
	case changed:
		set := l.Indicators.Set()
		l.Logger.Info("indicators reloaded", "indicators", len(set.Items), "unreadable", set.Bad)
		for _, p := range set.Problems {
			l.Logger.Warn("indicators: record skipped", "error", p.Error())
		}
		if l.Metrics != nil {
			l.Metrics.Counter("vigil_indicator_loads_total", "Indicator file (re)loads.").Add(1)
		}
	}
}

// reloadGeoIP reads the GeoIP databases again if a file changed; batches
// started after it use the new ones.
func (l *RuleLoader) reloadGeoIP() {
	if l.GeoIP == nil {
		return
	}
	changed, err := l.GeoIP.Reload()
	switch {
	case err != nil:
		l.Logger.Error("geoip: cannot read the databases; keeping the databases in force", "error", err)
	case changed:
		for _, db := range l.GeoIP.Databases().List() {
			l.Logger.Info("geoip database reloaded", "path", db.Path, "type", db.Type)
		}
		if l.Metrics != nil {
			l.Metrics.Counter("vigil_geoip_loads_total", "GeoIP database set (re)loads.").Add(1)
		}
	}
}
