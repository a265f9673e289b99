package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/eql"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/exception"
	"github.com/vigil-project/vigil/internal/input"
	"github.com/vigil-project/vigil/internal/ruleset"
	"github.com/vigil-project/vigil/internal/sequence"
)

// seqSortMemory bounds the memory a sequence search sorts in: input order
// is not time order, so the events a sequence's steps select are gathered,
// sorted by timestamp, tiebreaker and input order, then matched; past this
// many bytes of them, sorted runs are written to a temporary directory and
// merged at the end.
const seqSortMemory = 256 << 20

// seqSearch is `vigil search --language eql` for sequences and samples.
type seqSearch struct {
	env      *Env
	query    string
	st       *eql.Statement
	schema   *ecs.Schema
	size     int
	tail     bool
	tsField  string
	tieField string
	catField string
	count    bool
	filter   func(plan *event.Plan) (*exception.Filter, error) // nil: no exceptions
}

// isSequenceQuery tells a sequence or sample query (which search runs with
// runSequenceSearch) from an event query.
func isSequenceQuery(query string) (*eql.Statement, bool) {
	st, err := eql.Parse(query)
	if err != nil {
		return nil, false
	}
	switch st.Query.(type) {
	case *eql.Sequence, *eql.Sample:
		return st, true
	}
	return nil, false
}

// run searches paths and prints one line per sequence or sample, as
// Elasticsearch's hits.sequences: {"join_keys":[...],"events":[{"_source":
// {...}} or {"missing":true}, ...]}.
func (s *seqSearch) run(paths []string) int {
	env := s.env
	q, err := sequence.Compile(s.st, sequence.Options{Schema: s.schema, CategoryField: s.catField,
		TimestampField: s.tsField, TiebreakerField: s.tieField})
	if err != nil {
		searchQueryError(env, s.query, err)
		return exitUsage
	}
	var filter *exception.Filter
	if s.filter != nil {
		if filter, err = s.filter(q.Plan()); err != nil {
			fmt.Fprintf(env.Stderr, "vigil search: %v\n", err)
			return exitFailure
		}
	}
	sel := q.NewSelection(s.size, s.tail)
	var sampler *sequence.Sampler
	if q.IsSample() {
		sampler, _ = q.NewSampler()
	}
	sorted := &sequence.Sorter{MemBytes: seqSortMemory}
	defer sorted.Close()
	events, bad := 0, 0
	var n uint64
	ev := event.New(nil, q.Plan())
	pl := &pipeline{
		env: env, cmd: "search", jobs: runtime.GOMAXPROCS(0), plan: q.Plan(),
		record: func(w *worker, c *chunk, rec input.Record) {
			if !w.toECS(c, rec) {
				return
			}
			c.events++
			if !q.Relevant(w.ev) {
				return
			}
			if filter != nil {
				if excluded, _ := filter.Excludes(w.ev); excluded {
					return
				}
			}
			var buf bytes.Buffer
			if err := json.Compact(&buf, w.ev.Raw()); err != nil {
				buf.Reset()
				buf.Write(bytes.TrimSpace(w.ev.Raw()))
			}
			c.outcomes = append(c.outcomes, outcome{hit: true, out: buf.Bytes()})
		},
		onChunk: func(c *chunk) error {
			events += c.events
			for _, o := range c.outcomes {
				if o.problem != "" {
					bad++
					fmt.Fprintf(env.Stderr, "vigil search: %s\n", o.problem)
					continue
				}
				if !o.hit {
					continue
				}
				ev.Reset(o.out)
				if sampler != nil {
					sampler.Push(ev, nil)
					continue
				}
				// Elasticsearch's EQL search leaves out events without a
				// timestamp.
				t, tie, ok := q.Order(ev)
				if !ok {
					continue
				}
				if err := sorted.Add(sequence.Sorted{Raw: o.out, Time: t, Tiebreaker: tie, Arrival: n}); err != nil {
					return err
				}
				n++
			}
			return nil
		},
	}
	if err := pl.run(paths); err != nil {
		fmt.Fprintf(env.Stderr, "vigil search: %v\n", err)
		return exitFailure
	}
	if sampler != nil {
		sel.Add(sampler.Flush()...)
		if st := sampler.Stats(); st.Dropped > 0 && !env.quiet {
			fmt.Fprintf(env.Stderr, "vigil search: %d events or keys dropped at the sampler's bounds (%d keys at most, 65,536 search steps per key)\n",
				st.Dropped, sequence.DefaultMaxKeys)
		}
	} else {
		m, _ := q.NewSequenceMatcher()
		err := sorted.Each(func(h *sequence.Sorted) error {
			ev.Reset(h.Raw)
			rs, err := m.Push(ev, nil)
			if err == nil { // sorted: never out of order; no event without a timestamp is held
				sel.Add(rs...)
			}
			return nil
		})
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil search: %v\n", err)
			return exitFailure
		}
		sel.Add(m.Flush()...)
		if st := m.Stats(); st.Dropped > 0 && !env.quiet {
			fmt.Fprintf(env.Stderr, "vigil search: %d events or sequences dropped at the matcher's bounds (%d keys, %d pending sequences at most)\n",
				st.Dropped, sequence.DefaultMaxKeys, sequence.DefaultMaxPending)
		}
	}
	out := bufio.NewWriter(env.Stdout)
	if s.count {
		fmt.Fprintln(out, sel.Seen())
	} else {
		for _, r := range sel.Results() {
			out.Write(sequenceJSON(r))
		}
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintf(env.Stderr, "vigil search: writing the results: %v\n", err)
		return exitFailure
	}
	if bad > 0 {
		if !env.quiet {
			fmt.Fprintf(env.Stderr, "vigil search: searched %s in %s: %s, %s\n",
				plural(events, "event"), plural(len(paths), "file"), plural(sel.Seen(), kindName(q)), plural(bad, "bad record"))
		}
		return exitFailure
	}
	return exitOK
}

func kindName(q *sequence.Query) string {
	if q.IsSample() {
		return "sample"
	}
	return "sequence"
}

// sequenceJSON renders a result as an object of Elasticsearch's
// hits.sequences, one line.
func sequenceJSON(r *sequence.Result) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	if len(r.JoinKeys) > 0 {
		b.WriteString(`"join_keys":`)
		keys, _ := json.Marshal(r.JoinKeys)
		b.Write(keys)
		b.WriteByte(',')
	}
	b.WriteString(`"events":[`)
	for i, h := range r.Events {
		if i > 0 {
			b.WriteByte(',')
		}
		if h == nil {
			b.WriteString(`{"missing":true}`)
			continue
		}
		b.WriteString(`{"_source":`)
		b.Write(h.Raw)
		b.WriteByte('}')
	}
	b.WriteString("]}\n")
	return b.Bytes()
}

// runSequenceSearch runs a sequence or sample search, refusing what it
// cannot do with one.
func runSequenceSearch(env *Env, s *seqSearch, explain bool, exceptionFiles, valueLists []string, paths []string) int {
	if explain {
		fmt.Fprintln(env.Stderr, "vigil search: --explain explains event queries, not sequences or samples: search each step's query alone")
		return exitUsage
	}
	if len(exceptionFiles) > 0 {
		s.filter = func(plan *event.Plan) (*exception.Filter, error) {
			ex, err := ruleset.LoadExceptions(exceptionFiles, valueLists)
			if err != nil {
				return nil, err
			}
			return exception.Compile(ex.Lists, exception.CompileOptions{Plan: plan, Now: s.env.Now, ValueLists: ex.ValueLists})
		}
	}
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	return s.run(paths)
}
