package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/esql"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/input"
)

// runSearchESQL runs an ES|QL query over the events and prints its result
// table as NDJSON: one object per row, keys the columns in order.
func runSearchESQL(env *Env, query string, paths []string, index string, mappings []string, schema *ecs.Schema, kqlOnly bool) int {
	if kqlOnly {
		fmt.Fprintln(env.Stderr, "vigil search: --count, --explain and --exceptions are for KQL and EQL; an ES|QL query counts with STATS n = COUNT(*)")
		return exitUsage
	}
	q, err := esql.Parse(query)
	if err != nil {
		searchQueryError(env, query, err)
		return exitUsage
	}
	// FROM's columns: the fields the query names, and those of --mapping.
	var fields []string
	for _, f := range mappings {
		data, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil search: mapping: %v\n", err)
			return exitFailure
		}
		fs, err := ecs.ParseMapping(f, data)
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil search: mapping %v\n", err)
			return exitFailure
		}
		for name, fd := range fs {
			if fd.Type != ecs.Object && fd.Type != ecs.Nested {
				fields = append(fields, name)
			}
		}
	}
	sort.Strings(fields)
	now := env.Now()
	if index == "" {
		if from, ok := q.Source.(*esql.From); ok {
			schema = schema.ForIndices(from.Indices)
		}
	}
	opts := esql.Options{Schema: schema, Fields: fields, Now: func() time.Time { return now }}
	prog, err := esql.Compile(q, opts)
	// A result that shows FROM's columns beyond those named (no KEEP or
	// STATS, or KEEP process.*) shows, as Elasticsearch's mapping would,
	// the fields the documents have: a first pass over the files finds them
	// (not over stdin, which cannot be read twice).
	if err == nil && prog.WantsAllFields() && len(paths) > 0 && !slices.Contains(paths, "-") {
		found, ok := discoverFields(env, paths)
		if ok {
			opts.Fields = append(slices.Clone(fields), found...)
			prog, err = esql.Compile(q, opts)
		}
	}
	if err != nil {
		var qe *esql.Error
		if errors.As(err, &qe) {
			fmt.Fprintf(env.Stderr, "vigil search: query:%s\n", qe.Detail())
		} else {
			fmt.Fprintf(env.Stderr, "vigil search: query: %v\n", err)
		}
		return exitUsage
	}
	// With --index, the events are that index's: a FROM naming other
	// indices selects none of them.
	selected := index == "" || q.Source == nil || prog.Indices() == nil || prog.Selects(index)
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	run := prog.Start()
	if _, isRow := q.Source.(*esql.Row); isRow {
		paths = nil // ROW reads no documents
	}
	events, bad := 0, 0
	pl := &pipeline{
		env: env, cmd: "search", jobs: 1, plan: prog.Plan(),
		record: func(w *worker, c *chunk, rec input.Record) {
			if !w.toECS(c, rec) {
				return
			}
			c.events++
			if selected && !run.Done() {
				run.Add(esql.Doc{Event: w.ev, Index: index, ID: rec.Location()})
			}
		},
		onChunk: func(c *chunk) error {
			events += c.events
			for _, o := range c.outcomes {
				if o.problem != "" {
					bad++
					fmt.Fprintf(env.Stderr, "vigil search: %s\n", o.problem)
				}
			}
			if run.Done() {
				return errESQLDone // LIMIT reached: no more input is needed
			}
			return nil
		},
	}
	if len(paths) == 0 {
		// nothing to read
	} else if err := pl.run(paths); err != nil && !errors.Is(err, errESQLDone) {
		fmt.Fprintf(env.Stderr, "vigil search: %v\n", err)
		return exitFailure
	}
	res := run.Finish()
	if err := run.Err(); err != nil {
		// An incomplete aggregate is a wrong answer: print none.
		fmt.Fprintf(env.Stderr, "vigil search: query stopped: %v\n", err)
		return exitFailure
	}
	for _, w := range res.Warnings {
		if !env.quiet {
			fmt.Fprintf(env.Stderr, "vigil search: warning: %s\n", w)
		}
	}
	out := bufio.NewWriter(env.Stdout)
	for _, row := range res.Rows {
		writeESQLRow(out, res.Columns, row)
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintf(env.Stderr, "vigil search: writing the results: %v\n", err)
		return exitFailure
	}
	if bad > 0 {
		if !env.quiet {
			fmt.Fprintf(env.Stderr, "vigil search: searched %s in %s: %s\n",
				plural(events, "event"), plural(len(paths), "file"), plural(bad, "bad record"))
		}
		return exitFailure
	}
	return exitOK
}

// maxDiscovered bounds the fields discoverFields collects.
const maxDiscovered = 10000

// discoverFields reads the files once and returns the leaf field paths of
// their documents (after normalization), sorted; false when the files
// cannot be read (the search then reports it).
func discoverFields(env *Env, paths []string) ([]string, bool) {
	var mu sync.Mutex
	seen := map[string]bool{}
	pl := &pipeline{
		env: env, cmd: "search", jobs: 1, plan: event.NewPlan(),
		record: func(w *worker, c *chunk, rec input.Record) {
			if !w.toECS(c, rec) {
				return
			}
			doc, err := w.ev.Map()
			if err != nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			leafPaths(doc, "", seen)
		},
		onChunk: func(*chunk) error { return nil },
	}
	if err := pl.run(paths); err != nil {
		return nil, false
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, true
}

// leafPaths adds the dotted paths of v's leaf values to seen.
func leafPaths(v any, prefix string, seen map[string]bool) {
	if len(seen) >= maxDiscovered {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			leafPaths(e, p, seen)
		}
	case []any:
		for _, e := range x {
			leafPaths(e, prefix, seen)
		}
	case nil:
	default:
		if prefix != "" {
			seen[prefix] = true
		}
	}
}

// errESQLDone stops reading the input once the query's LIMIT is reached.
var errESQLDone = errors.New("the query needs no more input")

// writeESQLRow writes one result row as a JSON object, keys in column
// order.
func writeESQLRow(w *bufio.Writer, cols []esql.ColumnInfo, row []any) {
	w.WriteByte('{')
	for i, c := range cols {
		if i > 0 {
			w.WriteByte(',')
		}
		k, _ := json.Marshal(c.Name)
		w.Write(k)
		w.WriteByte(':')
		v, err := json.Marshal(esql.JSONValue(row[i], c.Type))
		if err != nil {
			v = []byte("null")
		}
		w.Write(v)
	}
	w.WriteString("}\n")
}
