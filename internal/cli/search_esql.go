package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/esql"
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
	prog, err := esql.Compile(q, esql.Options{Schema: schema, Fields: fields, Now: func() time.Time { return now }})
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
		fmt.Fprintf(env.Stderr, "vigil search: warning: %s\n", w)
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
		fmt.Fprintf(env.Stderr, "vigil search: searched %s in %s: %s\n",
			plural(events, "event"), plural(len(paths), "file"), plural(bad, "bad record"))
		return exitFailure
	}
	return exitOK
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
