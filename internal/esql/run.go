package esql

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/event"
)

// Doc is one source document with its metadata.
type Doc struct {
	Event   *event.Event
	ID      string // _id
	Index   string // _index
	Version int64  // _version (1 when unknown)
}

// Result is a query's answer: its columns and rows (values as described
// at Type), and the warnings evaluation raised, as Elasticsearch words them.
type Result struct {
	Columns  []ColumnInfo
	Rows     [][]any
	Warnings []string
}

// stage is a compiled command; newOp makes its state for one run.
type stage interface {
	newOp() op
}

// op processes rows one at a time: push takes a row and emits the rows it
// makes; finish emits what a blocking command held back.
type op interface {
	push(r *Run, row []any, emit func([]any) bool) bool
	finish(r *Run, emit func([]any) bool)
}

// Run is one evaluation of a program over a set of documents. Memory: a
// run holds no document; it holds one state per group for STATS (one value
// set per group for VALUES and COUNT_DISTINCT), the rows of the current
// window for INLINE STATS and for a SORT that no LIMIT follows, the LIMIT's
// rows for SORT ... LIMIT n (a top-n), and the result rows.
type Run struct {
	p        *Program
	ops      []op
	emits    []func([]any) bool
	rows     [][]any
	doc      *event.Event // the document being added, for KQL() and MATCH
	warnings []string
	failures map[*cexpr]int
	nfail    int        // failures recorded (Shared tells a head that warned by it)
	memo     []any      // the values of the deferred WHERE's memos (compiler.memo) being evaluated
	consts   []runValue // per expression evaluated once per run (compiler.perRun)
	done     bool
	nowMs    int64
	rowBuf   []any // the reused FROM row (Program.reuseRow)
	err      error // a memory bound was passed: the run stopped
}

// runValue is the value of an expression evaluated once per run, once
// evaluated (ok).
type runValue struct {
	v  any
	ok bool
}

// Err returns why the run stopped early (a memory bound passed), or nil.
// The result is then incomplete.
func (r *Run) Err() error { return r.err }

// stop ends the run with err.
func (r *Run) stop(err error) {
	if r.err == nil {
		r.err = err
	}
	r.done = true
}

// Start begins a run. now() is read once per run, as Elasticsearch does
// per query.
func (p *Program) Start() *Run {
	r := &Run{p: p, failures: map[*cexpr]int{}, nowMs: p.now().UnixMilli(), consts: make([]runValue, p.runConsts)}
	r.ops = make([]op, len(p.stages))
	for i, s := range p.stages {
		r.ops[i] = s.newOp()
	}
	r.emits = make([]func([]any) bool, len(p.stages)+1)
	r.emits[len(p.stages)] = func(row []any) bool {
		out := make([]any, len(p.out))
		for i, c := range p.out {
			if c.slot < len(row) {
				out[i] = row[c.slot]
			}
		}
		r.rows = append(r.rows, out)
		return true
	}
	for i := len(p.stages) - 1; i >= 0; i-- {
		o, next := r.ops[i], r.emits[i+1]
		r.emits[i] = func(row []any) bool { return o.push(r, row, next) }
	}
	return r
}

// Add runs one document through the query's streaming commands.
func (r *Run) Add(d Doc) {
	if r.done || r.p.row != nil {
		return
	}
	var row []any
	if r.p.reuseRow {
		if r.rowBuf == nil {
			r.rowBuf = make([]any, r.p.openWidth)
		}
		row = r.rowBuf
	} else {
		row = make([]any, r.p.openWidth)
	}
	r.p.read(row, d)
	r.doc = d.Event
	if !r.emits[0](row) {
		r.done = true
	}
	r.doc = nil
}

// read fills row (FROM's columns, openWidth slots) from d.
func (p *Program) read(row []any, d Doc) {
	clear(row)
	for _, s := range p.sources {
		switch s.meta {
		case "":
			if d.Event != nil && s.typ == GeoPoint {
				row[s.slot] = readGeoPoint(d.Event, s.path)
			} else if d.Event != nil {
				var vs []event.Value
				if d.Event.Plan() == p.plan {
					vs = d.Event.Values(s.id)
				} else {
					vs = d.Event.Get(s.path)
				}
				row[s.slot] = toValue(vs, s.typ)
				switch s.esType {
				case ecs.Float:
					row[s.slot] = mapValues(row[s.slot], func(v any) any { return float64(float32(v.(float64))) })
				case ecs.HalfFloat:
					row[s.slot] = mapValues(row[s.slot], func(v any) any { return halfFloat(v.(float64)) })
				}
			}
		case "_id":
			row[s.slot] = nilIfEmpty(d.ID)
		case "_index":
			row[s.slot] = nilIfEmpty(d.Index)
		case "_source":
			if d.Event != nil {
				var b bytes.Buffer
				if json.Compact(&b, d.Event.Raw()) == nil {
					row[s.slot] = b.String()
				}
			}
		case "_version":
			v := d.Version
			if v == 0 {
				v = 1
			}
			row[s.slot] = v
		}
	}
}

// Shared evaluates a program's head (FROM's columns, then the leading
// commands whose rows depend on the document alone: WHERE, EVAL, KEEP,
// DROP, RENAME, DISSECT and GROK without NOW(), KQL() or MATCH) once per
// document, for several runs of the program over overlapping sets of
// documents (the executions of a rule whose look-back spans several
// intervals): each run's AddShared takes the head's row and goes on from
// there, with the result Add would give. A WHERE of the head whose
// condition reads the clock (WHERE @timestamp > NOW() - 1 hour) is
// deferred: the head goes on past it, and each run evaluates it over the
// row it would have seen. A document for which the head records an
// evaluation failure is run whole by each run (Add), so that every run
// holds its own warnings (the head's commands after a deferred WHERE may
// have been evaluated for a row the WHERE drops in every run: their
// failures are Add's only if the runs say so). A Shared is for one
// goroutine.
type Shared struct {
	p     *Program
	run   *Run // evaluates the head
	doc   Doc
	row   []any   // the head's row; nil: the head dropped the document
	whole bool    // the runs must evaluate the document whole (Add)
	proj  [][]any // per head stage: a KEEP's reused row
	at    [][]any // per deferred WHERE: the row it reads
	memo  [][]any // and the values of its memos
	next  []any   // the row a head stage emitted
	emit  func([]any) bool
}

// Share returns a Shared for the program's runs.
func (p *Program) Share() *Shared {
	s := &Shared{p: p, run: &Run{p: p, failures: map[*cexpr]int{}}, proj: make([][]any, p.head)}
	s.run.rowBuf = make([]any, p.openWidth)
	s.emit = func(out []any) bool { s.next = out; return true }
	return s
}

// Reset evaluates the head over d, for the AddShared calls that follow.
func (s *Shared) Reset(d Doc) {
	s.doc, s.row, s.whole, s.at = d, nil, false, s.at[:0]
	if s.p.row != nil {
		return
	}
	r := s.run
	row := r.rowBuf
	s.p.read(row, d)
	r.doc = d.Event
	for i, st := range s.p.stages[:s.p.head] {
		if ps, ok := st.(*projectStage); ok {
			// The head's rows are not kept past the runs' pushes: a
			// KEEP writes into the same row for each document.
			out := s.proj[i]
			if out == nil {
				out = make([]any, len(ps.slots), *ps.width)
				s.proj[i] = out
			}
			ps.project(out, row)
			row = out
			continue
		}
		if w, ok := st.(*whereStage); ok && w.clock {
			// The runs evaluate it on this row, which the commands
			// after it leave as it is (an EVAL adds columns, a KEEP
			// makes another row), with the values of its memos (all
			// evaluated: one a run would not evaluate cannot differ
			// from the run's, unless it fails, and then the runs
			// evaluate the document whole).
			d := len(s.at)
			s.at = append(s.at, row)
			if d == len(s.memo) {
				s.memo = append(s.memo, nil)
			}
			s.memo[d] = s.memo[d][:0]
			for _, m := range w.memos {
				s.memo[d] = append(s.memo[d], m.ev(r, row))
			}
			continue
		}
		s.next = nil
		st.newOp().push(r, row, s.emit)
		if row = s.next; row == nil {
			break // dropped by a WHERE
		}
	}
	r.doc, s.next = nil, nil
	if r.nfail > 0 {
		// The head warned: each run must record the warnings as its
		// own, and does so evaluating the document whole.
		s.whole = true
		r.nfail = 0
		clear(r.failures)
		r.warnings = r.warnings[:0]
		return
	}
	s.row = row
}

// AddShared is Add of the document s was last Reset to, taking the head's
// row from s.
func (r *Run) AddShared(s *Shared) {
	if r.done || r.p.row != nil {
		return
	}
	if s.p != r.p {
		panic("esql: AddShared with another program's Shared")
	}
	if s.whole {
		r.Add(s.doc)
		return
	}
	r.doc = s.doc.Event
	defer func() { r.doc = nil }()
	// The deferred WHEREs before the command that dropped the row, if
	// one did, are evaluated all the same: Add would have, and recorded
	// their failures.
	for i, w := range r.p.deferred[:len(s.at)] {
		r.memo = s.memo[i]
		v, ok := w.cond.ev(r, s.at[i]).(bool)
		r.memo = nil
		if !ok || !v {
			return
		}
	}
	if s.row == nil {
		return
	}
	row := s.row
	if !r.p.reuseRow {
		// The commands after the head may keep the row (SORT, the
		// result): each run gets its own.
		row = slices.Clone(row)
	}
	if !r.emits[r.p.head](row) {
		r.done = true
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Done reports whether more documents can no longer change the result
// (a LIMIT was reached before any blocking command).
func (r *Run) Done() bool { return r.done }

// Finish flushes the blocking commands and returns the result (incomplete
// when Err is set).
func (r *Run) Finish() *Result {
	if r.p.row != nil {
		row := make([]any, r.p.openWidth)
		for i, e := range r.p.row {
			row[i] = e.ev(r, row)
		}
		r.emits[0](row)
	}
	for i, o := range r.ops {
		o.finish(r, r.emits[i+1])
	}
	return &Result{Columns: r.p.Columns(), Rows: r.rows, Warnings: r.warnings}
}

// maxFailures is how many failures of one expression are recorded.
const maxFailures = 20

// fail records an evaluation failure of e (the value becomes null), in
// Elasticsearch's words.
func (r *Run) fail(e *cexpr, msg string) {
	n := r.failures[e]
	r.failures[e] = n + 1
	r.nfail++
	if n == 0 {
		r.warnings = append(r.warnings, fmt.Sprintf("Line %d:%d: evaluation of [%s] failed, treating result as null. Only first %d failures recorded.",
			e.pos.Line, e.pos.Col, e.text, maxFailures))
	}
	if n < maxFailures {
		// Elasticsearch sends warnings as response headers, and a header
		// value already sent is not repeated: each message appears once.
		w := fmt.Sprintf("Line %d:%d: %s", e.pos.Line, e.pos.Col, msg)
		if !slices.Contains(r.warnings, w) {
			r.warnings = append(r.warnings, w)
		}
	}
}

const mvWarning = "java.lang.IllegalArgumentException: single-value function encountered multi-value"

// grow returns row with at least n slots.
func grow(row []any, n int) []any {
	if len(row) >= n {
		return row
	}
	return append(row, make([]any, n-len(row))...)
}

type whereStage struct {
	cond  cexpr
	clock bool // cond reads the run's clock (NOW(), KQL()...)
	// memos are the parts of cond that read no clock, beside parts that
	// do: Shared evaluates them once (see compiler.memo).
	memos []cexpr
}

func (s *whereStage) newOp() op { return s }
func (s *whereStage) push(r *Run, row []any, emit func([]any) bool) bool {
	if v, ok := s.cond.ev(r, row).(bool); ok && v {
		return emit(row)
	}
	return true
}
func (s *whereStage) finish(*Run, func([]any) bool) {}

type evalStage struct {
	exprs []cexpr
	slots []int
	width *int
}

func (s *evalStage) newOp() op { return s }
func (s *evalStage) push(r *Run, row []any, emit func([]any) bool) bool {
	row = grow(row, *s.width)
	for i, e := range s.exprs {
		row[s.slots[i]] = e.ev(r, row)
	}
	return emit(row)
}
func (s *evalStage) finish(*Run, func([]any) bool) {}

type projectStage struct {
	slots []int
	width *int // the slots the rows after it take (EVAL adds to them)
}

func (s *projectStage) newOp() op { return s }
func (s *projectStage) push(r *Run, row []any, emit func([]any) bool) bool {
	out := make([]any, len(s.slots), *s.width)
	s.project(out, row)
	return emit(out)
}

// project copies the kept columns of row into out.
func (s *projectStage) project(out, row []any) {
	for i, sl := range s.slots {
		if sl < len(row) {
			out[i] = row[sl]
		} else {
			out[i] = nil
		}
	}
}
func (s *projectStage) finish(*Run, func([]any) bool) {}

type limitStage struct{ n int }

type limitOp struct {
	n, seen int
	first   bool
}

func (s *limitStage) newOp() op { return &limitOp{n: s.n} }
func (o *limitOp) push(r *Run, row []any, emit func([]any) bool) bool {
	if o.seen >= o.n {
		return false
	}
	o.seen++
	return emit(row) && o.seen < o.n
}
func (o *limitOp) finish(*Run, func([]any) bool) {}

type mvExpandStage struct{ slot int }

func (s *mvExpandStage) newOp() op { return s }
func (s *mvExpandStage) push(r *Run, row []any, emit func([]any) bool) bool {
	mv, ok := row[s.slot].([]any)
	if !ok {
		return emit(row)
	}
	for _, v := range mv {
		out := slices.Clone(row)
		out[s.slot] = v
		if !emit(out) {
			return false
		}
	}
	return true
}
func (s *mvExpandStage) finish(*Run, func([]any) bool) {}

type sortKey struct {
	e          cexpr
	desc       bool
	nullsFirst bool
}

type sortStage struct {
	keys  []sortKey
	limit int // keep only this many rows (a following LIMIT); -1 for all
}

type sortOp struct {
	s    *sortStage
	rows []sortRow
	seq  int
}

type sortRow struct {
	keys []any
	row  []any
	seq  int
}

func (s *sortStage) newOp() op { return &sortOp{s: s} }

func (o *sortOp) push(r *Run, row []any, emit func([]any) bool) bool {
	keys := make([]any, len(o.s.keys))
	for i, k := range o.s.keys {
		keys[i] = k.e.ev(r, row)
	}
	if o.s.limit < 0 && len(o.rows) >= r.p.maxHeld {
		r.stop(fmt.Errorf("SORT without LIMIT holds more than %d rows: add a LIMIT after it, or narrow the query", r.p.maxHeld))
		return false
	}
	o.rows = append(o.rows, sortRow{keys: keys, row: row, seq: o.seq})
	o.seq++
	// A top-n: keep at most twice the limit, trimming as they come.
	if o.s.limit >= 0 && len(o.rows) >= 2*o.s.limit+64 {
		o.sort()
		o.rows = slices.Clone(o.rows[:o.s.limit])
	}
	return true
}

func (o *sortOp) sort() {
	slices.SortStableFunc(o.rows, func(a, b sortRow) int {
		for i, k := range o.s.keys {
			if c := compareSortValues(a.keys[i], b.keys[i], k); c != 0 {
				return c
			}
		}
		return a.seq - b.seq
	})
}

// compareSortValues orders two values for SORT: nulls first or last;
// multi-values by their minimum ascending, their maximum descending.
func compareSortValues(a, b any, k sortKey) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		if k.nullsFirst {
			return -1
		}
		return 1
	case b == nil:
		if k.nullsFirst {
			return 1
		}
		return -1
	}
	a, b = sortRepresentative(a, k.desc, k.e.typ), sortRepresentative(b, k.desc, k.e.typ)
	c := compareTyped(a, b, k.e.typ)
	if k.desc {
		return -c
	}
	return c
}

func sortRepresentative(v any, desc bool, t Type) any {
	mv, ok := v.([]any)
	if !ok {
		return v
	}
	best := mv[0]
	for _, x := range mv[1:] {
		c := compareTyped(x, best, t)
		if desc && c > 0 || !desc && c < 0 {
			best = x
		}
	}
	return best
}

// compareTyped orders two single values of type t.
func compareTyped(a, b any, t Type) int {
	if t == Version {
		return compareVersion(a.(string), b.(string))
	}
	return compareValues(a, b)
}

func (o *sortOp) finish(r *Run, emit func([]any) bool) {
	o.sort()
	for _, sr := range o.rows {
		if !emit(sr.row) {
			break
		}
	}
	o.rows = nil
}

type dissectStage struct {
	in    cexpr
	d     *dissector
	slots []int
	width *int
}

func (s *dissectStage) newOp() op { return s }
func (s *dissectStage) push(r *Run, row []any, emit func([]any) bool) bool {
	row = grow(row, *s.width)
	v := s.in.ev(r, row)
	// A multi-valued input is parsed value by value; the outputs collect
	// the values of every match.
	cols := make([][]any, len(s.slots))
	for _, x := range values(v) {
		res := s.d.parse(x.(string))
		if res == nil {
			continue
		}
		for i := range s.slots {
			cols[i] = append(cols[i], res[i])
		}
	}
	for i, sl := range s.slots {
		row[sl] = mvOf(cols[i])
	}
	return emit(row)
}
func (s *dissectStage) finish(*Run, func([]any) bool) {}

type grokStage struct {
	in    cexpr
	groks []*grok
	names []string
	types []Type
	slots []int
	width *int
}

func (s *grokStage) newOp() op { return s }
func (s *grokStage) push(r *Run, row []any, emit func([]any) bool) bool {
	row = grow(row, *s.width)
	v := s.in.ev(r, row)
	cols := make([][]any, len(s.slots))
	for _, x := range values(v) {
		var got map[string]any
		for _, g := range s.groks {
			if got = g.match(x.(string)); got != nil {
				break
			}
		}
		for i := range s.slots {
			if got != nil {
				cols[i] = append(cols[i], values(got[s.names[i]])...)
			}
		}
	}
	for i, sl := range s.slots {
		row[sl] = mvOf(cols[i])
	}
	return emit(row)
}
func (s *grokStage) finish(*Run, func([]any) bool) {}

// halfFloat rounds a double to the nearest IEEE half-precision value, as a
// half_float field stores it.
func halfFloat(f float64) float64 {
	if f == 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return f
	}
	exp := math.Floor(math.Log2(math.Abs(f)))
	if exp < -14 {
		exp = -14 // subnormals
	}
	if exp > 15 {
		return math.Copysign(math.Inf(1), f)
	}
	step := math.Pow(2, exp-10)
	return math.RoundToEven(f/step) * step
}
