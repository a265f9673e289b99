package cli

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/vigil-project/vigil/internal/alert"
	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/normalize/azure"
	"github.com/vigil-project/vigil/internal/rule"
	"github.com/vigil-project/vigil/internal/ruleset"
)

// The hunt's summary on stderr: alerts per severity and per rule (sorted
// by severity, then by count), each with the time of its first and last
// event and how many distinct users and hosts it involves; why the other
// rules gave nothing; the rules loaded and skipped, by kind.

const (
	// summaryNameWidth is the widest a rule name gets in the summary's
	// table; longer names end with "…".
	summaryNameWidth = 48
	// distinctCap bounds the distinct users (hosts) a summary row counts,
	// so that memory stays bounded whatever the alerts: past it the row
	// says "10000+".
	distinctCap = 10000
)

// severityRank orders Elastic's severities, most severe first; others
// come after, by name.
func severityRank(s string) int {
	if l, ok := severityLevel[s]; ok {
		return 4 - l
	}
	return 4
}

// tallyRow counts the alerts of one rule at one severity (severity_mapping
// can give a rule's alerts several), or of one severity (rule nil).
type tallyRow struct {
	rule        *engine.Rule
	name        string
	severity    string
	alerts      int
	first, last time.Time
	users       map[string]struct{}
	hosts       map[string]struct{}
	rules       map[*engine.Rule]struct{} // a severity row's rules
}

func newTallyRow(r *engine.Rule, name, severity string) *tallyRow {
	return &tallyRow{rule: r, name: name, severity: severity,
		users: map[string]struct{}{}, hosts: map[string]struct{}{}, rules: map[*engine.Rule]struct{}{}}
}

func (t *tallyRow) add(a engine.Alert) {
	t.alerts++
	if at := a.EventTime; !at.IsZero() {
		if t.first.IsZero() || at.Before(t.first) {
			t.first = at
		}
		if t.last.IsZero() || at.After(t.last) {
			t.last = at
		}
	}
	addDistinct(t.users, a.Doc, "user.name")
	addDistinct(t.hosts, a.Doc, "host.name")
	if len(t.rules) < distinctCap {
		t.rules[a.Rule] = struct{}{}
	}
}

// addDistinct adds the values of the alert's field to set, up to
// distinctCap of them (one past it marks the overflow).
func addDistinct(set map[string]struct{}, doc map[string]any, path string) {
	v, ok := alert.Lookup(doc, path)
	if !ok {
		return
	}
	vs, isList := v.([]any)
	if !isList {
		vs = []any{v}
	}
	for _, el := range vs {
		if len(set) > distinctCap {
			return
		}
		s, ok := el.(string)
		if !ok {
			s = fmt.Sprint(el)
		}
		if _, seen := set[s]; !seen && s != "" {
			set[strings.Clone(s)] = struct{}{} // not a view of a buffer reused
		}
	}
}

func distinctText(set map[string]struct{}) string {
	if len(set) > distinctCap {
		return strconv.Itoa(distinctCap) + "+"
	}
	return strconv.Itoa(len(set))
}

// alertTally gathers what the summary tells of the alerts, as the hunt
// emits them.
type alertTally struct {
	bySeverity map[string]*tallyRow
	byRule     map[tallyKey]*tallyRow
}

type tallyKey struct {
	rule           *engine.Rule
	name, severity string
}

func (t *alertTally) add(a engine.Alert) {
	if t.byRule == nil {
		t.bySeverity = map[string]*tallyRow{}
		t.byRule = map[tallyKey]*tallyRow{}
	}
	name, severity, _ := alert.Headline(a.Doc)
	if name == "" {
		name = a.Rule.Alert.Name
	}
	k := tallyKey{a.Rule, name, severity}
	row := t.byRule[k]
	if row == nil {
		row = newTallyRow(a.Rule, name, severity)
		t.byRule[k] = row
	}
	row.add(a)
	sev := t.bySeverity[severity]
	if sev == nil {
		sev = newTallyRow(nil, "", severity)
		t.bySeverity[severity] = sev
	}
	sev.add(a)
}

// sortRows orders rows by severity, then by alerts (most first), then by
// name.
func sortRows(rows []*tallyRow) {
	slices.SortStableFunc(rows, func(a, b *tallyRow) int {
		if c := cmp.Compare(severityRank(a.severity), severityRank(b.severity)); c != 0 {
			return c
		}
		if c := cmp.Compare(a.severity, b.severity); c != 0 {
			return c
		}
		if c := cmp.Compare(b.alerts, a.alerts); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
}

// fitColumn shortens s to at most width characters, ending it with "…"
// when it was cut.
func fitColumn(s string, width int) string {
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:width-1]), " ") + "…"
}

func summaryTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// ruleKinds tells the rules a hunt loaded and those it skipped, by kind
// (rule type), and why the skipped were skipped.
type ruleKinds struct {
	loaded   map[string]int
	skipped  map[string]int
	problems ruleset.Problems
}

// countRuleKinds counts the runnable rules by type and the others of set
// (unsupported or in error) by type.
func countRuleKinds(set *rule.Set, runnable []*engine.Rule, problems ruleset.Problems) ruleKinds {
	k := ruleKinds{loaded: map[string]int{}, skipped: map[string]int{}, problems: problems}
	for _, r := range runnable {
		k.loaded[r.Alert.Type]++
	}
	for _, r := range set.Rules {
		if r.Status != rule.StatusOK {
			k.skipped[cmp.Or(r.Type, "unknown type")]++
		}
	}
	return k
}

// kindsText renders counts by kind, largest first: "7 query, 1 eql".
func kindsText(m map[string]int) (string, int) {
	keys := make([]string, 0, len(m))
	total := 0
	for k, n := range m {
		keys = append(keys, k)
		total += n
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", m[k], k)
	}
	return strings.Join(parts, ", "), total
}

// huntSummary is what printHuntSummary reports.
type huntSummary struct {
	counts   huntCounts
	stats    []*engine.RuleStats
	sink     *huntSink
	replay   bool
	eng      *engine.Engine
	coverage *engine.Coverage
	kinds    ruleKinds
}

func printHuntSummary(w io.Writer, s huntSummary) {
	st, sink := s.counts, s.sink
	fmt.Fprintf(w, "vigil hunt: read %s from %s", plural(st.events, "event"), plural(st.files, "file"))
	if st.bad > 0 {
		fmt.Fprintf(w, ", %s skipped", plural(st.bad, "bad record"))
	}
	if st.inputErrs > 0 {
		fmt.Fprintf(w, ", %s", plural(st.inputErrs, "input error"))
	}
	fmt.Fprintf(w, "; %s", plural(sink.written+sink.old, "alert"))
	if sink.old > 0 {
		fmt.Fprintf(w, ": %d new, %d already in the database", sink.written, sink.old)
	}
	if sink.hidden > 0 {
		fmt.Fprintf(w, " (%d from building-block rules not in the table: --building-blocks shows them)", sink.hidden)
	}
	fmt.Fprintln(w)

	tally := &sink.tally
	if len(tally.bySeverity) > 0 {
		sevs := make([]*tallyRow, 0, len(tally.bySeverity))
		for _, r := range tally.bySeverity {
			sevs = append(sevs, r)
		}
		sortRows(sevs)
		tw := newSummaryTable(w)
		fmt.Fprintln(tw, "  SEVERITY\tALERTS\tRULES\tFIRST EVENT\tLAST EVENT\tUSERS\tHOSTS")
		for _, r := range sevs {
			fmt.Fprintf(tw, "  %s\t%6d\t%5d\t%s\t%s\t%5s\t%5s\n", cmp.Or(r.severity, "-"), r.alerts, len(r.rules),
				summaryTime(r.first), summaryTime(r.last), distinctText(r.users), distinctText(r.hosts))
		}
		tw.Flush()
	}
	printRuleTable(w, s)
	printSilentRules(w, st.events, s.stats, s.eng, s.coverage)
	printRuleKinds(w, s.kinds)
}

// printRuleTable prints a row per rule (and severity) that alerted or has
// something to say (matches removed, suppressed, capped...), then the
// rules' warnings.
func printRuleTable(w io.Writer, s huntSummary) {
	stats := map[*engine.Rule]*engine.RuleStats{}
	for _, st := range s.stats {
		stats[st.Rule] = st
	}
	var rows []*tallyRow
	alerted := map[*engine.Rule]bool{}
	for _, r := range s.sink.tally.byRule {
		rows = append(rows, r)
		alerted[r.rule] = true
	}
	for _, st := range s.stats {
		if !alerted[st.Rule] {
			rows = append(rows, newTallyRow(st.Rule, st.Rule.Alert.Name, st.Rule.Alert.Severity))
		}
	}
	if len(rows) == 0 {
		return
	}
	sortRows(rows)
	tw := newSummaryTable(w)
	fmt.Fprintln(tw, "  SEVERITY\tALERTS\tRULE\tFIRST EVENT\tLAST EVENT\tUSERS\tHOSTS\tNOTES")
	noted := map[*engine.Rule]bool{}
	for _, r := range rows {
		notes := ""
		if st := stats[r.rule]; st != nil && !noted[r.rule] {
			noted[r.rule] = true
			notes = strings.Join(ruleNotes(st, s.replay, s.eng, s.coverage), ", ")
		}
		fmt.Fprintf(tw, "  %s\t%6d\t%s\t%s\t%s\t%5s\t%5s\t%s\n", cmp.Or(r.severity, "-"), r.alerts,
			fitColumn(r.name, summaryNameWidth), summaryTime(r.first), summaryTime(r.last),
			distinctText(r.users), distinctText(r.hosts), notes)
	}
	tw.Flush()
	for _, st := range s.stats {
		for _, warn := range st.Warnings {
			fmt.Fprintf(w, "  warning: %s: %s\n", st.Rule.Alert.Name, warn)
		}
	}
}

// ruleNotes says what else happened to a rule's matches.
func ruleNotes(s *engine.RuleStats, replay bool, eng *engine.Engine, cov *engine.Coverage) []string {
	var notes []string
	if s.Alerts == 0 {
		if why := eng.WhyNoAlert(s.Rule, s, cov, azure.AnyOrigin(cov.GeoIP)).Why; why != "" {
			notes = append(notes, "no alert: "+why)
		}
	}
	if s.Duplicates > 0 {
		notes = append(notes, plural(s.Duplicates, "duplicate event"))
	}
	if s.Excluded > 0 {
		notes = append(notes, fmt.Sprintf("%d removed by exceptions", s.Excluded))
	}
	if s.NoIndicator > 0 {
		notes = append(notes, fmt.Sprintf("%d matched the query but no indicator", s.NoIndicator))
	}
	if s.NotNew > 0 {
		notes = append(notes, fmt.Sprintf("%s with terms already seen in the history window", plural(s.NotNew, "match")))
	}
	if sup := s.Rule.Suppression; sup != nil && s.Suppressed > 0 {
		per := "per rule execution"
		if sup.Duration > 0 {
			per = "per " + sup.Duration.String()
		}
		notes = append(notes, fmt.Sprintf("%d suppressed by %s %s", s.Suppressed, strings.Join(sup.GroupBy, ", "), per))
	}
	if s.Capped > 0 {
		if replay {
			notes = append(notes, fmt.Sprintf("%d dropped by max_signals", s.Capped))
		} else {
			notes = append(notes, fmt.Sprintf("a scheduled rule would have dropped %d (max_signals %d)", s.Capped, s.Rule.Window.MaxSignals))
		}
	}
	if s.NeverSearched > 0 {
		notes = append(notes, fmt.Sprintf("%d in schedule gaps", s.NeverSearched))
	}
	if s.NoTime > 0 {
		notes = append(notes, fmt.Sprintf("%d without a timestamp", s.NoTime))
	}
	if s.OutOfRange > 0 {
		notes = append(notes, fmt.Sprintf("%d outside --since/--until", s.OutOfRange))
	}
	if replay {
		notes = append(notes, plural(s.Executions, "scheduled run"))
	}
	return notes
}

// printRuleKinds prints the rules loaded, by kind, on one line, and the
// rules skipped on another, with a line per reason under it.
func printRuleKinds(w io.Writer, k ruleKinds) {
	if text, n := kindsText(k.loaded); n > 0 {
		fmt.Fprintf(w, "  rules loaded: %d (%s)\n", n, text)
	}
	text, n := kindsText(k.skipped)
	if n == 0 {
		return
	}
	fmt.Fprintf(w, "  rules skipped: %d (%s)\n", n, text)
	if len(k.problems.Errors) > 0 {
		fmt.Fprintf(w, "    %s: see the rule errors above ('vigil rules validate' lists them)\n", plural(len(k.problems.Errors), "error"))
	}
	reasons := make([]string, 0, len(k.problems.Unsupported))
	for r := range k.problems.Unsupported {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		fmt.Fprintf(w, "    %d: %s\n", k.problems.Unsupported[r], r)
	}
}

// printRuleProblems prints the rules that could not be loaded (errors,
// shown even with --quiet) and, with skipped (when no rule can run, there
// will be no summary), why the others were skipped.
func printRuleProblems(env *Env, cmd string, p ruleset.Problems, skipped bool) {
	for _, line := range p.Lines() {
		if skipped || strings.HasPrefix(line, "rule error: ") {
			fmt.Fprintf(env.Stderr, "vigil %s: %s\n", cmd, line)
		}
	}
}

// printSilentRules says why the rules that matched nothing gave nothing,
// a line per reason: their index patterns select none of the indices read,
// they need fields no event had (the fields most needed named), or no event
// matched their query. A reason of a few rules names them.
func printSilentRules(w io.Writer, events int, stats []*engine.RuleStats, eng *engine.Engine, cov *engine.Coverage) {
	matched := map[*engine.Rule]bool{}
	for _, s := range stats {
		matched[s.Rule] = true
	}
	type group struct {
		why    string
		names  []string
		fields map[string]int
	}
	groups := map[engine.NoAlertKind]*group{}
	n := 0
	for _, r := range eng.Rules() {
		if matched[r] {
			continue
		}
		na := eng.WhyNoAlert(r, nil, cov, azure.AnyOrigin(cov.GeoIP))
		g := groups[na.Kind]
		if g == nil {
			g = &group{why: na.Why, fields: map[string]int{}}
			groups[na.Kind] = g
		}
		g.names = append(g.names, r.Alert.Name)
		for _, f := range na.Fields {
			g.fields[f]++
		}
		if na.Kind == engine.NeedsField && len(g.names) > 1 {
			g.why = "" // several rules: summarized below
		}
		n++
	}
	if n == 0 {
		return
	}
	fmt.Fprintf(w, "  no alert from %s (--explain-rule ID says why, event by event):\n", plural(n, "other rule"))
	if cov.Unparsed > 0 {
		fmt.Fprintf(w, "    (of the events read, %d held none of the terms the rules require and were not parsed: what follows is of the %d others; --prefilter=false parses every event)\n",
			cov.Unparsed, events-cov.Unparsed)
	}
	for _, kind := range []engine.NoAlertKind{engine.NoIndex, engine.NeedsField, engine.NoMatch} {
		g := groups[kind]
		if g == nil {
			continue
		}
		why := g.why
		if why == "" {
			fs := make([]string, 0, len(g.fields))
			for f := range g.fields {
				fs = append(fs, f)
			}
			sort.Slice(fs, func(i, j int) bool {
				if g.fields[fs[i]] != g.fields[fs[j]] {
					return g.fields[fs[i]] > g.fields[fs[j]]
				}
				return fs[i] < fs[j]
			})
			parts := make([]string, 0, 4)
			for i, f := range fs {
				if i == 4 {
					parts = append(parts, fmt.Sprintf("%d more", len(fs)-4))
					break
				}
				parts = append(parts, fmt.Sprintf("%s (%d)", f, g.fields[f]))
			}
			why = "need fields no event had: " + strings.Join(parts, ", ")
		}
		if len(g.names) <= 5 {
			why += ": " + strings.Join(g.names, "; ")
		}
		fmt.Fprintf(w, "    %d: %s\n", len(g.names), why)
	}
}

// emptyTable tells a table that would have no row (no new alert, or only
// building-block ones hidden), counting those hidden: such a table is not
// printed at all.
func (s *huntSink) emptyTable() bool {
	if s.showBBR {
		return len(s.rows) == 0
	}
	for _, a := range s.rows {
		if _, bbr := a.Doc["kibana.alert.building_block_type"]; !bbr {
			return false
		}
	}
	s.hidden += len(s.rows)
	return true
}

// quietEnv is env for a --quiet run: notes (not errors) that helpers print
// on stderr are left out.
func quietEnv(env *Env) *Env {
	q := *env
	q.quiet = true
	return &q
}

// summaryTable aligns a summary table's columns and writes its lines
// without trailing blanks (an empty last column leaves none).
type summaryTable struct {
	*tabwriter.Writer
	w   io.Writer
	buf strings.Builder
}

func newSummaryTable(w io.Writer) *summaryTable {
	t := &summaryTable{w: w}
	t.Writer = tabwriter.NewWriter(&t.buf, 0, 0, 2, ' ', 0)
	return t
}

// Flush writes the table.
func (t *summaryTable) Flush() error {
	if err := t.Writer.Flush(); err != nil {
		return err
	}
	for _, line := range strings.SplitAfter(t.buf.String(), "\n") {
		if line == "" {
			continue
		}
		if _, err := io.WriteString(t.w, strings.TrimRight(line, " \n")+"\n"); err != nil {
			return err
		}
	}
	t.buf.Reset()
	return nil
}

// alerts is how many alerts the hunt raised so far, new or already in the
// database.
func (s *huntSink) alerts() int { return s.written + s.old }

// pluralVerb renders "1 rule has", "2 rules have".
func pluralVerb(n int, noun, one, many string) string {
	if n == 1 {
		return plural(n, noun) + " " + one
	}
	return plural(n, noun) + " " + many
}
