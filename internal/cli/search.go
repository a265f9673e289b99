package cli

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/eql"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/exception"
	"github.com/vigil-project/vigil/internal/input"
	"github.com/vigil-project/vigil/internal/kql"
	"github.com/vigil-project/vigil/internal/match"
	"github.com/vigil-project/vigil/internal/querytext"
	"github.com/vigil-project/vigil/internal/ruleset"
)

const searchSynopsis = `search [--count] [--explain] [--index NAME] [--mapping FILE]... 'KQL' [PATH...]
       [--exceptions FILE]... [--value-list ID=FILE]... [--glob PATTERN]... (flags go before the query)
       search --language eql [--size N] [--result-position tail|head] [--timestamp-field F]
       [--tiebreaker-field F] [--event-category-field F] 'EQL' [PATH...]
       search --language esql [--index NAME] [--mapping FILE]... 'ES|QL' [PATH...]

Prints the events that match a KQL query, one compact JSON object a line (NDJSON), like grep
for KQL. Matching is Elasticsearch's, per field type from ECS and the integrations' mappings:
keyword fields are exact and case-sensitive, text fields analyzed, numbers, dates (with date
math such as now-1h) and IPs (with CIDRs) compare by value. --index NAME picks the types the
integrations map that index with; --mapping FILE (an Elasticsearch index mapping) gives the
types of your own fields. A field neither knows is typed (KQL, EQL) from the first records of
the first file as a logs-* index would type it: whole numbers long, fractions float, true/false
boolean, strings keyword (stdin is not sampled). Raw Azure activity records are
normalized to ECS first; ECS documents are searched as they are. PATH '-' (or none) is stdin;
NDJSON, JSON arrays, {"records":[...]} envelopes and .gz files are read. A directory PATH is
walked recursively for the files --glob selects (default *.json, *.ndjson, *.jsonl and their .gz);
a PATH that does not exist is reported and makes the exit status 1.

Exit status: 0 when every record was read, 1 when some could not be (each is reported on
stderr with file:line:col, the rest are still searched), 2 for a bad query or bad flags.

With --language eql the query is an Elasticsearch EQL event query (category where condition), and
the result is Elasticsearch's _eql/search one: the matching events that have the timestamp field,
ordered by it (then by the tiebreaker field), the last --size of them (--result-position tail, the
default) or the first (head); the pipes | head N and | tail N work as Elasticsearch's (the first pipe
says which end, --size a limit beneath it). A sequence or sample query prints one line per sequence (sample),
the objects of Elasticsearch's hits.sequences: {"join_keys":[...],"events":[{"_source":{...}} or
{"missing":true}]}, ordered by their last event (samples by join key), --size of them at the
--result-position; --count prints how many were found. Input order is not time order: search
sorts the events the steps select by timestamp first, in memory up to 256 MiB of them, past that
through sorted runs in $TMPDIR (removed at the end).

With --language esql the query is an ES|QL query (FROM ... | WHERE ... | STATS ... BY ...); the
result table is printed as NDJSON, one object per row with the columns in order (multi-values as
arrays, null as null, dates as ISO-8601 strings). FROM's index patterns pick the field types; with
--index NAME the events are that index's (a FROM that does not match it selects none). FROM's
columns are the fields the query names and those of the --mapping files, and, when the result
shows more (no KEEP or STATS), the fields the files' documents have. See docs/esql.md.

Examples:
  vigil search 'event.outcome:success and azure.resource.name:WEB-VM-*' events.ndjson
  vigil search --language eql 'process where process.name : "whoami.exe"' events.ndjson
  vigil search --language eql 'sequence by host.id with maxspan=1m [process where true] [network where true]' events.ndjson
  vigil search --language esql 'FROM logs-* | STATS n = COUNT(*) BY user.name | SORT n DESC' events.ndjson
  vigil search --count 'source.ip:10.0.0.0/8 and not event.outcome:failure' logs/*.json.gz
  vigil search --explain 'event.outcome:(Success or success)' events.ndjson`

func runSearch(env *Env, args []string) int {
	fs := newFlagSet(env, "search", searchSynopsis)
	count := fs.Bool("count", false, "print only the number of matching events")
	explain := fs.Bool("explain", false, "print, for every event, its location, the verdict and each clause's verdict with the reason")
	index := fs.String("index", "", "the index `NAME` the events belong to: the integration fields take the types that index maps them with (shown by --explain; search applies no index patterns)")
	var mappings stringList
	fs.Var(&mappings, "mapping", "an Elasticsearch index mapping `FILE` (PUT index body or GET _mapping answer) giving the types of the events' fields over the built-in ones (repeatable)")
	language := fs.String("language", "kuery", "the query language: kuery (KQL), eql or esql")
	size := fs.Int("size", 10, "eql: how many events to print at most")
	position := fs.String("result-position", "tail", "eql: print the last (tail) or the first (head) --size events, in time order")
	tsField := fs.String("timestamp-field", "@timestamp", "eql: the `FIELD` events are ordered by; events without it are left out")
	tieField := fs.String("tiebreaker-field", "", "eql: the `FIELD` that orders events of the same timestamp")
	catField := fs.String("event-category-field", "event.category", "eql: the `FIELD` an event query's category is compared with")
	var exceptionFiles, valueLists stringList
	fs.Var(&exceptionFiles, "exceptions", "leave out events an item of these exception lists covers (every list applies; repeatable)")
	fs.Var(&valueLists, "value-list", "a value list for 'is in list' exceptions, as ID=FILE (repeatable)")
	var globs stringList
	fs.Var(&globs, "glob", "in a directory PATH, search the files this `PATTERN` selects (repeatable; as hunt's --glob)")
	quiet := fs.Bool("quiet", false, "print nothing on stderr but errors: no progress bar, no closing count after bad records, no ES|QL warnings")
	progressBar := fs.Bool("progress", true, "KQL and EQL event queries: a progress bar on stderr when it is a terminal (bytes read of the total, %, time left, events/s, matches so far)")
	args, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	if *quiet {
		env = quietEnv(env)
	}
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, "vigil search: no query: give a KQL query, then the files to search")
		fs.Usage()
		return exitUsage
	}
	query, paths := args[0], args[1:]
	if err := checkGlobs(globs); err != nil {
		fmt.Fprintf(env.Stderr, "vigil search: %v\n", err)
		return exitUsage
	}
	inputs := &inputFiles{globs: globs, report: func(msg string) { fmt.Fprintf(env.Stderr, "vigil search: %s\n", msg) }}
	if len(paths) > 0 {
		if paths = inputs.expand(paths); len(paths) == 0 {
			fmt.Fprintln(env.Stderr, "vigil search: no input left to read")
			return exitFailure
		}
	}
	// An input missing or unreadable makes the exit code 1, the rest read.
	withInputs := func(code int) int {
		if code == exitOK && inputs.errors > 0 {
			return exitFailure
		}
		return code
	}
	schema, err := loadMappings(mappings)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil search: %v\n", err)
		return exitFailure
	}
	if schema == nil {
		schema = ecs.Default()
	}
	if *index != "" {
		schema = schema.ForIndex(*index)
	}
	var m *match.Matcher
	ok := false
	var eqlOut *eqlResults
	switch *language {
	case "kuery", "kql":
		m, ok = compileSearch(env, query, dynamicSchema(schema, paths))
	case "esql":
		return withInputs(runSearchESQL(env, query, paths, *index, mappings, schema, *count || *explain || len(exceptionFiles) > 0))
	case "eql":
		if *size < 1 || *position != "tail" && *position != "head" {
			fmt.Fprintln(env.Stderr, "vigil search: --size must be at least 1 and --result-position tail or head")
			return exitUsage
		}
		schema = dynamicSchema(schema, paths)
		if st, isSeq := isSequenceQuery(query); isSeq {
			return withInputs(runSequenceSearch(env, &seqSearch{env: env, query: query, st: st, schema: schema, size: *size,
				tail: *position == "tail", tsField: *tsField, tieField: *tieField, catField: *catField, count: *count},
				*explain, exceptionFiles, valueLists, paths))
		}
		var limits []match.Limit
		m, limits, ok = compileSearchEQL(env, query, *catField, schema)
		if ok {
			// With pipes, Elasticsearch puts a limit of --size in the first
			// pipe's direction under that pipe: the pipe, not
			// --result-position, says which end is kept.
			first, rest := match.FirstLimit(limits, *size, *position == "tail")
			eqlOut = &eqlResults{size: first.N, head: !first.Tail, rest: rest,
				ts: m.Plan().Add(*tsField), tie: -1}
			if *tieField != "" {
				eqlOut.tie = m.Plan().Add(*tieField)
			}
		}
	default:
		fmt.Fprintf(env.Stderr, "vigil search: --language %q: use kuery, eql or esql\n", *language)
		return exitUsage
	}
	if !ok {
		return exitUsage
	}
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	var filter *exception.Filter
	if len(exceptionFiles) > 0 {
		ex, err := ruleset.LoadExceptions(exceptionFiles, valueLists)
		if err == nil {
			filter, err = exception.Compile(ex.Lists, exception.CompileOptions{Plan: m.Plan(), Now: env.Now, ValueLists: ex.ValueLists})
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil search: %v\n", err)
			return exitFailure
		}
	}
	s := &searcher{env: env, m: m, out: bufio.NewWriter(env.Stdout),
		count: *count, explain: *explain, index: *index, filter: filter, eql: eqlOut}
	// Raw Azure records the query could not match are not normalized, as
	// in hunt (--explain tells every record, so it needs them all).
	var raw *engine.AzureRawFilter
	if !s.explain {
		raw = engine.NewAzureRawFilter([]*engine.Rule{{AllIndices: true, Prefilter: m.Prefilter}}, "", false)
	}
	bad := 0
	prog := newProgress(env, *progressBar && !*quiet, paths)
	prog.noun = "match"
	// The hunt's pipeline: records validated, normalized and matched on
	// every core, results written in input order.
	pl := &pipeline{
		env: env, cmd: "search", jobs: runtime.GOMAXPROCS(0), plan: m.Plan(), azure: raw, record: s.record,
		onChunk: func(c *chunk) error {
			prog.clear()
			defer func() {
				if prog.active() && s.writeErr == nil {
					s.writeErr = s.out.Flush() // before the bar, on the same terminal
				}
				prog.update(c.bytes, s.events, s.matched)
			}()
			s.events += c.events
			for _, o := range c.outcomes {
				if o.problem != "" {
					bad++
					fmt.Fprintf(env.Stderr, "vigil search: %s\n", o.problem)
					continue
				}
				if o.hit {
					s.matched++
				}
				if s.eql != nil && o.hit && !s.count && !s.explain {
					s.eql.add(o)
					continue
				}
				if o.out != nil {
					s.write(o.out)
				}
			}
			return s.writeErr
		},
	}
	if err := pl.run(paths); err != nil && s.writeErr == nil {
		s.writeErr = err
	}
	prog.clear()
	if s.count {
		fmt.Fprintln(s.out, s.matched)
	}
	if s.eql != nil && !s.count && !s.explain {
		for _, r := range s.eql.results() {
			s.write(r.out)
		}
	}
	if err := s.out.Flush(); err != nil && s.writeErr == nil {
		s.writeErr = err
	}
	if s.writeErr != nil {
		fmt.Fprintf(env.Stderr, "vigil search: writing the results: %v\n", s.writeErr)
		return exitFailure
	}
	if bad > 0 || inputs.errors > 0 {
		if !env.quiet {
			fmt.Fprintf(env.Stderr, "vigil search: searched %s in %s: %d matched", plural(s.events, "event"), plural(len(paths), "file"), s.matched)
			if bad > 0 {
				fmt.Fprintf(env.Stderr, ", %s", plural(bad, "bad record"))
			}
			if inputs.errors > 0 {
				fmt.Fprintf(env.Stderr, ", %s", plural(inputs.errors, "input error"))
			}
			fmt.Fprintln(env.Stderr)
		}
		return exitFailure
	}
	return exitOK
}

// compileSearch parses and compiles the query, reporting a fault with the
// query line and a caret under it.
func compileSearch(env *Env, query string, schema *ecs.Schema) (*match.Matcher, bool) {
	q, err := kql.Parse(query)
	if err != nil {
		searchQueryError(env, query, err)
		return nil, false
	}
	now := env.Now()
	m, err := match.Compile(q, match.Options{Schema: schema, Now: func() time.Time { return now }})
	if err != nil {
		searchQueryError(env, query, err)
		return nil, false
	}
	return m, true
}

// searchQueryError reports a query that does not parse or compile, with
// the caret under the fault when the error has a position.
func searchQueryError(env *Env, query string, err error) {
	var se *querytext.Error
	var ce *match.CompileError
	switch {
	case errors.As(err, &se):
		fmt.Fprintf(env.Stderr, "vigil search: query:%s\n", se.Detail())
	case errors.As(err, &ce):
		fmt.Fprintf(env.Stderr, "vigil search: query:%s\n", ce.Detail(query))
	default:
		fmt.Fprintf(env.Stderr, "vigil search: query: %v\n", err)
	}
}

// compileSearchEQL parses and compiles a single-event EQL query, with its
// head and tail pipes as limits.
func compileSearchEQL(env *Env, query, categoryField string, schema *ecs.Schema) (*match.Matcher, []match.Limit, bool) {
	st, err := eql.Parse(query)
	if err != nil {
		searchQueryError(env, query, err)
		return nil, nil, false
	}
	limits, err := match.EQLLimits(st)
	if err != nil {
		searchQueryError(env, query, err)
		return nil, nil, false
	}
	event := *st
	event.Pipes = nil
	if c := match.Construct(&event); c != "" {
		fmt.Fprintf(env.Stderr, "vigil search: query: eql %s is not supported yet; search runs event queries (category where condition)\n", c)
		return nil, nil, false
	}
	now := env.Now()
	m, err := match.CompileEQL(&event, match.EQLOptions{Options: match.Options{Schema: schema, Now: func() time.Time { return now }}, CategoryField: categoryField})
	if err != nil {
		searchQueryError(env, query, err)
		return nil, nil, false
	}
	return m, limits, true
}

// eqlResults keeps the events an EQL search prints: ordered by timestamp,
// then tiebreaker, then input order; the first or last size of them.
type eqlResults struct {
	size    int
	head    bool
	rest    []match.Limit // the pipes after the first, applied to the kept events
	ts, tie event.FieldID // tie < 0: no tiebreaker
	kept    []outcome
	seq     int
}

// add keeps a matching event (its out copied: the chunk's buffer is reused).
func (r *eqlResults) add(o outcome) {
	o.out = append([]byte(nil), o.out...)
	o.where = strconv.Itoa(r.seq) // input order, for ties
	r.seq++
	r.kept = append(r.kept, o)
	if len(r.kept) >= 4*r.size+64 {
		r.kept = r.trim()
	}
}

func (r *eqlResults) sort() {
	slices.SortStableFunc(r.kept, func(a, b outcome) int {
		if c := cmp.Compare(a.at, b.at); c != 0 {
			return c
		}
		return strings.Compare(a.tie, b.tie)
	})
}

// trim sorts the kept events and keeps the size that can still be printed.
func (r *eqlResults) trim() []outcome {
	r.sort()
	if len(r.kept) <= r.size {
		return r.kept
	}
	if r.head {
		return slices.Clone(r.kept[:r.size])
	}
	return slices.Clone(r.kept[len(r.kept)-r.size:])
}

// results returns the events to print, in time order.
func (r *eqlResults) results() []outcome {
	r.kept = r.trim()
	from, to := match.CutLimits(len(r.kept), r.rest)
	return r.kept[from:to]
}

// tieKey renders a tiebreaker value so that comparing keys as strings
// orders values as Elasticsearch sorts the field: numbers by value (before
// any text), text by its bytes. A missing tiebreaker is "", first.
func tieKey(v event.Value) string {
	if v.Kind == event.KindNumber {
		bits := math.Float64bits(v.Num)
		if v.Num < 0 {
			bits = ^bits
		} else {
			bits |= 1 << 63
		}
		return fmt.Sprintf("\x01%016x", bits)
	}
	return "\x02" + v.String()
}

// eventNanos reads an event time: ISO 8601 text or epoch milliseconds.
func eventNanos(vs []event.Value) (int64, bool) {
	if len(vs) == 0 {
		return 0, false
	}
	v := vs[0]
	switch v.Kind {
	case event.KindNumber:
		return int64(v.Num * 1e6), true
	case event.KindString:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
			if t, err := time.Parse(layout, v.Str); err == nil {
				return t.UnixNano(), true
			}
		}
		if ms, err := strconv.ParseInt(v.Str, 10, 64); err == nil {
			return ms * 1e6, true
		}
	}
	return 0, false
}

// searcher matches records and writes the results.
type searcher struct {
	eql     *eqlResults // --language eql: the ordered, bounded result
	env     *Env
	m       *match.Matcher
	out     *bufio.Writer
	count   bool
	explain bool
	index   string
	filter  *exception.Filter // exceptions, or nil

	events, matched int
	writeErr        error
}

// record searches one valid record, on a pipeline worker (w.ev holds it):
// a raw Azure activity record is normalized to ECS first, as Elastic's
// integration would index it; ECS documents are searched as they are.
func (s *searcher) record(w *worker, c *chunk, rec input.Record) {
	if !w.toECS(c, rec) {
		return
	}
	data := w.ev.Raw()
	c.events++
	ok := s.m.Match(w.ev)
	excludedBy := ""
	if ok && s.filter != nil {
		if excluded, item := s.filter.Excludes(w.ev); excluded {
			ok, excludedBy = false, item.Name
			if excludedBy == "" {
				excludedBy = item.ItemID
			}
		}
	}
	if ok && s.eql != nil {
		// Elasticsearch's EQL search leaves out events without a timestamp.
		at, has := eventNanos(w.ev.Values(s.eql.ts))
		if !has {
			ok = false
		}
		o := outcome{hit: ok, at: at}
		if s.eql.tie >= 0 {
			if vs := w.ev.Values(s.eql.tie); len(vs) > 0 {
				o.tie = tieKey(vs[0])
			}
		}
		if ok && !s.count && !s.explain {
			var buf bytes.Buffer
			if err := json.Compact(&buf, data); err != nil {
				buf.Reset()
				buf.Write(bytes.TrimSpace(data))
			}
			buf.WriteByte('\n')
			o.out = buf.Bytes()
			c.outcomes = append(c.outcomes, o)
			return
		}
	}
	o := outcome{hit: ok}
	switch {
	case s.explain:
		o.out = s.explanation(w.ev, rec, ok, excludedBy)
	case ok && !s.count:
		var buf bytes.Buffer
		if err := json.Compact(&buf, data); err != nil {
			buf.Reset()
			buf.Write(bytes.TrimSpace(data))
		}
		buf.WriteByte('\n')
		o.out = buf.Bytes()
	}
	if o.hit || o.out != nil {
		c.outcomes = append(c.outcomes, o)
	}
}

// explanation says why the event matched or not, clause by clause.
func (s *searcher) explanation(ev *event.Event, rec input.Record, ok bool, excludedBy string) []byte {
	verdict := "no match"
	switch {
	case ok:
		verdict = "MATCH"
	case excludedBy != "":
		verdict = fmt.Sprintf("matches, but the exception item %q removes it", excludedBy)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", rec.Location(), verdict)
	if s.index != "" {
		fmt.Fprintf(&b, " (index %s)", s.index)
	}
	b.WriteByte('\n')
	for _, line := range strings.SplitAfter(strings.TrimRight(s.m.Explain(ev).String(), "\n"), "\n") {
		b.WriteString("  ")
		b.WriteString(line)
	}
	b.WriteString("\n\n")
	return []byte(b.String())
}

func (s *searcher) write(p []byte) {
	if s.writeErr != nil {
		return
	}
	if _, err := s.out.Write(p); err != nil {
		s.writeErr = err
	}
}

// plural renders "1 event", "2 events", "2 matches".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	for _, end := range []string{"s", "x", "ch", "sh"} {
		if strings.HasSuffix(noun, end) {
			return fmt.Sprintf("%d %ses", n, noun)
		}
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
