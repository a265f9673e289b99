package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/alert"
	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/normalize"
	"github.com/vigil-project/vigil/internal/rule"
	"github.com/vigil-project/vigil/internal/ruleset"
	"github.com/vigil-project/vigil/internal/state"
)

const huntSynopsis = `hunt [--rules PATH]... [--mapping FILE]... [--index NAME] [--format table|ndjson|json|csv] [--columns C,...]
       [--out FILE] [--color auto|always|never] [--db FILE] [--since T] [--until T] [--glob PATTERN]...
       [--severity LEVELS] [--tags TAG]... [--rule-id ID]... [--exclude-rule ID]... [--tactic T]... [--technique T]...
       [--replay [--replay-every D]] [--exceptions FILE]... [--value-list ID=FILE]...
       [--indicators FILE]... [--geoip-db FILE]... [--geoip-ecs] [--explain-rule ID] PATH...

Runs detection rules over event files and prints the alerts Elastic would create.
PATH is a file (NDJSON, JSON array, Azure {"records":[...]} export, gzip), '-' for stdin, or a
directory, walked recursively for the files --glob selects (default *.json, *.ndjson, *.jsonl and
their .gz). A PATH that does not exist is an input error: reported, counted, exit status 1.
--since/--until take dates (2026-03-14), RFC 3339 times or Elastic date math (now-24h).
--severity, --tags, --rule-id, --exclude-rule, --tactic and --technique select the rules run.
Raw Azure activity logs are normalized to ECS on the way in; with --geoip-db, their source.ip
is looked up as Elastic's pipeline does (source.geo.*, source.as.*).
ES|QL rules run their query once per scheduled execution (every interval, over its look-back) of the
data's span: an alert per result row, or per document with METADATA _id, with Kibana's alert
ids, suppressed as Kibana does with alert_suppression; the literals of a query's leading WHERE
feed the line filter. A rule whose look-back spans more than 12 intervals holds its documents in
a scratch database in $TMPDIR, removed at the end, and runs each execution from it (docs/esql.md).
EQL sequence and sample rules run too: the events their steps select are held (512 MiB in
memory, past that sorted through files in $TMPDIR, removed at the end), sorted by time, and each
sequence or sample found gives Kibana's alerts, a building block per event and a shell alert
grouping them (suppressed as Kibana does, see docs/eql.md); with --replay, one EQL search per
execution over its window, as Kibana runs them.

Examples:
  vigil hunt testdata/sample/azure-activity.json
  vigil hunt --rules ~/detection-rules/rules/integrations/azure --format ndjson logs/*.json.gz
  vigil hunt --replay --db vigil.db export.json
  vigil hunt --severity '>=high' --since now-24h --format csv --out alerts.csv exports/
  vigil hunt --glob '**/PT1H.json' --technique T1059 insights-logs/`

func runHunt(env *Env, args []string) int {
	fs := newFlagSet(env, "hunt", huntSynopsis)
	var rulePaths, exceptionFiles, valueLists, indicatorFiles stringList
	fs.Var(&rulePaths, "rules", "rule file or directory (repeatable; default: the built-in pack)")
	fs.Var(&indicatorFiles, "indicators", "threat intelligence documents for threat_match rules: NDJSON, JSON or an Elasticsearch export (repeatable; see docs/threat-match.md)")
	fs.Var(&exceptionFiles, "exceptions", "exception lists: Vigil's TOML form or a Kibana NDJSON export (repeatable; see docs/exceptions.md)")
	fs.Var(&valueLists, "value-list", "a value list for 'is in list' exceptions, as ID=FILE, one value per line (repeatable)")
	var mappings stringList
	fs.Var(&mappings, "mapping", "an Elasticsearch index mapping `FILE` (PUT index body or GET _mapping answer) giving the types of the events' fields over the built-in ones (repeatable)")
	index := fs.String("index", "", "index name of every event (default: resolved per event from data_stream.*)")
	var of outputFlags
	addOutputFlags(fs, &of)
	format := &of.format
	var sel ruleSelection
	addRuleSelectionFlags(fs, &sel)
	var globs stringList
	fs.Var(&globs, "glob", "in a directory PATH, read the files this `PATTERN` selects (repeatable; on the base name, or with '/' on the path below PATH, '**' any directories; default *.json, *.ndjson, *.jsonl and their .gz)")
	out := fs.String("out", "", "write alerts to FILE instead of stdout")
	dbPath := fs.String("db", "", "keep alerts in the SQLite database FILE; re-runs add only new alerts")
	since := fs.String("since", "", "only events at or after `T`: a date (2026-03-14), RFC 3339 (2026-03-14T09:00:00Z), epoch ms or date math (now-24h, now/d)")
	until := fs.String("until", "", "only events at or before `T`, as --since; a date includes its whole day")
	replay := fs.Bool("replay", false, "simulate Kibana's schedule: alert what a scheduled rule would (interval, look-back, max_signals, gaps)")
	replayEvery := fs.Duration("replay-every", 0, "with --replay: how often Kibana ran the rules (default: each rule's interval); larger values show gaps")
	quiet := fs.Bool("quiet", false, "print nothing on stderr but errors: no summary, no progress, no notes on skipped rules")
	jobs := fs.Int("jobs", runtime.GOMAXPROCS(0), "records evaluated in parallel by N workers (output order does not depend on N)")
	explainRule := fs.String("explain-rule", "", "say on stderr, event by event, what rule ID (a rule_id or name) made of it: no match and why, alert, duplicate, suppressed...")
	buildingBlocks := fs.Bool("building-blocks", false, "show building-block rules' alerts in the table (Kibana hides them by default; NDJSON, JSON and CSV always have them)")
	prefilter := fs.Bool("prefilter", true, "skip lines no rule could match, judged from their text: not parsed (ECS) or not normalized (raw Azure) (false: parse and normalize every line, reporting every malformed one)")
	var geo geoipFlags
	addGeoIPFlags(fs, &geo)
	progress := fs.Bool("progress", true, "a progress bar on stderr when it is a terminal: bytes read of the total, %, time left, events/s, alerts so far (never on a pipe)")
	paths, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	if len(paths) == 0 {
		fmt.Fprintln(env.Stderr, "vigil hunt: no input: name one or more files, or '-' for stdin")
		fs.Usage()
		return exitUsage
	}
	if err := errors.Join(of.check(), sel.compile(), checkGlobs(globs)); err != nil {
		fmt.Fprintf(env.Stderr, "vigil hunt: %v\n", err)
		return exitUsage
	}
	if *replayEvery != 0 && !*replay {
		fmt.Fprintln(env.Stderr, "vigil hunt: --replay-every needs --replay")
		return exitUsage
	}
	now := env.Now()
	var bounds [2]time.Time
	for i, s := range []string{*since, *until} {
		if s == "" {
			continue
		}
		t, err := parseTimeBound(s, now, i == 1)
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil hunt: --%s %q: %v; write a date (2026-03-14), an RFC 3339 time (2026-03-14T09:00:00Z) or date math (now-24h)\n", []string{"since", "until"}[i], s, err)
			return exitUsage
		}
		bounds[i] = t
	}
	if !bounds[0].IsZero() && !bounds[1].IsZero() && bounds[0].After(bounds[1]) {
		fmt.Fprintf(env.Stderr, "vigil hunt: --since %s is after --until %s: no event could be kept; swap them\n",
			bounds[0].UTC().Format(time.RFC3339Nano), bounds[1].UTC().Format(time.RFC3339Nano))
		return exitUsage
	}
	inputs := &inputFiles{globs: globs, report: func(msg string) { fmt.Fprintf(env.Stderr, "vigil hunt: %s\n", msg) }}
	paths = inputs.expand(paths)
	if len(paths) == 0 {
		fmt.Fprintln(env.Stderr, "vigil hunt: no input left to read")
		return exitFailure
	}

	dbs, err := geo.load()
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil hunt: %v\n", err)
		return exitUsage
	}
	defer dbs.Close()

	batchGC()
	loaded := loadingGC()
	defer loaded()
	plan := event.NewPlan()
	clock := func() time.Time { return now }
	schema, err := loadMappings(mappings)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil hunt: %v\n", err)
		return exitFailure
	}
	set, err := ruleset.LoadSetOptions(rulePaths, rule.LoadOptions{Plan: plan, Now: clock, Schema: schema, RunESQL: true})
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil hunt: %v\n", err)
		return exitFailure
	}
	if sel.active() && !selectRules(env, "hunt", &sel, set, *quiet) {
		return exitUsage
	}
	rules, problems := ruleset.Runnable(set)
	// Collections resume before exceptions' value lists and indicator
	// files, whose size has no bound, are read.
	loaded()
	if len(exceptionFiles) > 0 || len(valueLists) > 0 {
		ex, err := ruleset.LoadExceptions(exceptionFiles, valueLists)
		if err == nil {
			err = ex.Apply(set, rules, plan, clock)
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil hunt: %v\n", err)
			return exitFailure
		}
	}
	if *quiet {
		env = quietEnv(env)
	}
	src, err := loadIndicators(env, "hunt", indicatorFiles, rules)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil hunt: %v\n", err)
		return exitFailure
	}
	printRuleProblems(env, "hunt", problems, len(rules) == 0) // skipped rules: in the summary
	// Unreadable indicator records fail the run as bad events do: the
	// threat_match rules ran without them.
	failed := len(problems.Errors) > 0 || src != nil && src.Set().Bad > 0
	if len(rules) == 0 {
		fmt.Fprintln(env.Stderr, "vigil hunt: no runnable rules: check them with 'vigil rules validate'")
		return exitFailure
	}

	w := env.Stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil hunt: %v\n", err)
			return exitFailure
		}
		defer f.Close()
		w = f
	}
	table := *format == "table" || (*format == "" && env.IsTerminal && *out == "")
	if !table && *format == "" {
		*format = "ndjson"
	}

	ctx := context.Background()
	var store *state.Store
	if *dbPath != "" {
		store, err = state.Open(ctx, *dbPath)
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil hunt: %v\n", err)
			return exitFailure
		}
		defer store.Close()
	}

	var explained *engine.Rule
	if *explainRule != "" {
		for _, r := range rules {
			if r.ID == *explainRule || r.Alert.Name == *explainRule {
				explained = r
			}
		}
		if explained == nil {
			hint := "see 'vigil rules list'"
			if sel.active() {
				hint += " and the rule selection flags"
			}
			fmt.Fprintf(env.Stderr, "vigil hunt: --explain-rule %q: no runnable rule has that rule_id or name (%s)\n", *explainRule, hint)
			return exitUsage
		}
	}
	if src == nil {
		// Without indicators a threat_match rule cannot alert (said
		// above): it is not run, unless it is the one explained, so that
		// its query matches cost nothing and keep no raw record from the
		// prefilter.
		rules = slices.DeleteFunc(rules, func(r *engine.Rule) bool { return r.Threat != nil && r != explained })
	}
	// VIGIL_RULE_INDEX=off: the benchmark's measure of the rule index.
	eng := engine.New(engine.Options{Rules: rules, Plan: plan, NoRuleIndex: os.Getenv("VIGIL_RULE_INDEX") == "off"})
	explainLine := func(where, verdict string) {
		fmt.Fprintf(env.Stderr, "explain %s: %s\n", where, strings.ReplaceAll(strings.TrimRight(verdict, "\n"), "\n", "\n    "))
	}
	sink := &huntSink{w: w, table: table, store: store, ctx: ctx, showBBR: *buildingBlocks, cols: of.cols(table)}
	if table {
		sink.color = stdoutColor(of.color, env, *out == "")
	} else {
		sink.stream = newAlertStream(*format, w, sink.cols)
	}
	hunt := engine.NewHunt(engine.HuntOptions{
		Engine: eng, Index: *index, Since: bounds[0], Until: bounds[1],
		Replay: *replay, RunEvery: *replayEvery, Now: func() time.Time { return now }, Emit: sink.emit,
		ExplainRule: explained, Explain: explainLine,
	})

	var st huntCounts
	prog := newProgress(env, *progress && !*quiet, paths)
	var rawFilter *engine.AzureRawFilter
	var lineFilter *engine.RawFilter
	if *prefilter && explained == nil {
		// One filter per Azure data stream: a raw record is checked
		// against the rules of the stream its category routes it to.
		rawFilter = engine.NewAzureRawFilter(rules, *index, dbs != nil)
		var derived func(string) bool
		if *geo.ecs {
			derived = normalize.EnrichesECS
		}
		shapes := append(engine.AzureShapes(*index, dbs != nil), engine.Shape{Index: *index, Origin: engine.ECSOrigin(derived)})
		lineFilter = engine.NewLineFilter(rules, shapes...)
		// VIGIL_LINE_FILTER=off: the benchmark's measure of the line
		// filter alone (raw records are still filtered).
		if lineFilter.All() || os.Getenv("VIGIL_LINE_FILTER") == "off" {
			lineFilter = nil
		}
	}
	pl := &pipeline{
		env: env, cmd: "hunt", jobs: *jobs, plan: plan, explain: explained, azure: rawFilter, lines: lineFilter, coverage: &engine.Coverage{GeoIP: dbs != nil},
		geoip: dbs, geoipECS: *geo.ecs,
		eval: &engine.Evaluator{Engine: eng, Index: *index, Now: func() time.Time { return now }},
		onChunk: func(c *chunk) error {
			st.events += c.events
			for _, o := range c.outcomes {
				if o.explain != "" {
					prog.clear()
					explainLine(o.where, o.explain)
					continue
				}
				if o.problem != "" {
					st.bad++
					prog.clear()
					fmt.Fprintf(env.Stderr, "vigil hunt: %s\n", o.problem)
					continue
				}
				if err := hunt.Add(o.match); err != nil {
					return err
				}
			}
			prog.update(c.bytes, st.events, sink.alerts())
			return sink.flushOut()
		},
	}
	st.files, st.inputErrs = len(paths), inputs.errors
	defer hunt.Close() // the sequence rules' run files, when the hunt stops early
	runErr := pl.run(paths)
	prog.clear()
	if runErr != nil {
		fmt.Fprintf(env.Stderr, "vigil hunt: writing alerts: %v\n", runErr)
		return exitFailure
	}
	stats, err := hunt.Finish()
	if err == nil {
		err = sink.flush()
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil hunt: writing alerts: %v\n", err)
		return exitFailure
	}
	if !*quiet {
		printHuntSummary(env.Stderr, huntSummary{counts: st, stats: stats, sink: sink, replay: *replay,
			eng: eng, coverage: pl.coverage, kinds: countRuleKinds(set, rules, problems)})
	}
	if failed || st.bad > 0 || st.inputErrs > 0 {
		return exitFailure
	}
	return exitOK
}

type huntCounts struct {
	files, events, bad int
	inputErrs          int // inputs missing or unreadable (not read)
}

// huntSink writes alerts as they come (NDJSON, JSON, CSV), or collects
// them for a table, and stores them in the database when there is one.
type huntSink struct {
	w       io.Writer
	stream  alertStream // alerts written as they come, flushed after each chunk of input
	cols    []alertColumn
	color   bool // the table's severities coloured
	table   bool
	showBBR bool // building-block alerts in the table too
	hidden  int  // building-block alerts left out of the table
	store   *state.Store
	ctx     context.Context
	rows    []engine.Alert
	tally   alertTally // for the summary
	written int
	old     int // already in the database
}

func (s *huntSink) emit(a engine.Alert) error {
	s.tally.add(a)
	if s.store != nil {
		b, err := engine.MarshalAlert(a.Doc)
		if err != nil {
			return err
		}
		name, severity, risk := alert.Headline(a.Doc)
		added, err := s.store.AddAlerts(s.ctx, []state.Alert{{
			ID: a.ID, RuleID: a.Rule.Alert.RuleID, RuleName: name, Severity: severity,
			RiskScore: risk, EventTime: a.EventTime, CreatedAt: parseAlertTime(a.Doc), Doc: b,
		}})
		if err != nil {
			return err
		}
		if !added[0] {
			s.old++
			return nil
		}
	}
	s.written++
	if s.table {
		s.rows = append(s.rows, a)
		return nil
	}
	return s.stream.write(a)
}

// flushOut writes the alerts buffered so far.
func (s *huntSink) flushOut() error {
	if s.stream == nil {
		return nil
	}
	return s.stream.flush()
}

func parseAlertTime(doc map[string]any) time.Time {
	s, _ := doc["@timestamp"].(string)
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func (s *huntSink) flush() error {
	if !s.table {
		return s.stream.close()
	}
	if s.emptyTable() {
		return nil // nothing new: no table (the summary says why)
	}
	sort.SliceStable(s.rows, func(i, j int) bool { return s.rows[i].EventTime.Before(s.rows[j].EventTime) })
	var err error
	s.hidden, err = writeAlertTable(s.w, s.rows, s.cols, s.showBBR, s.color)
	return err
}

// field returns the first of paths present in doc, as text ("-" if none).
func field(doc map[string]any, paths ...string) string {
	for _, p := range paths {
		v, ok := alert.Lookup(doc, p)
		if !ok {
			continue
		}
		switch t := v.(type) {
		case string:
			return t
		case []any:
			var parts []string
			for _, el := range t {
				parts = append(parts, fmt.Sprint(el))
			}
			return strings.Join(parts, ", ")
		case json.Number:
			return t.String()
		default:
			return fmt.Sprint(t)
		}
	}
	return "-"
}
