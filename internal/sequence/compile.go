package sequence

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/eql"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/kql"
	"github.com/vigil-project/vigil/internal/match"
)

// Defaults of Options.
const (
	DefaultTimestampField = "@timestamp"
	DefaultMaxKeys        = 1 << 20
	DefaultMaxPending     = 1 << 20
)

// Options configure Compile. The zero value works: ECS field types,
// @timestamp, no tiebreaker, event.category, a million keys and a million
// pending sequences at most.
type Options struct {
	// Schema gives the field types (ecs.Default() when nil).
	Schema *ecs.Schema
	// Plan collects the fields the query reads (a new one when nil); events
	// given to the matchers must be built with Query.Plan.
	Plan *event.Plan
	// CategoryField is what a step's category is compared with
	// (event.category when empty; a rule's event_category_override).
	CategoryField string
	// TimestampField orders events (@timestamp when empty).
	TimestampField string
	// TiebreakerField orders events of equal timestamps ("" for none: they
	// keep their arrival order).
	TiebreakerField string
	// MaxKeys bounds the join-key values a matcher tracks at once
	// (DefaultMaxKeys when 0). Past it, events of new keys are dropped and
	// counted in Stats.Dropped.
	MaxKeys int
	// MaxPending bounds the sequences a matcher holds at once, pending or
	// waiting for a trailing missing-event step (DefaultMaxPending when 0).
	// Past it, new sequences are dropped and counted in Stats.Dropped.
	MaxPending int
	// MaxSamplesPerKey is how many samples a key may give (1 when 0), as
	// Elasticsearch's max_samples_per_key.
	MaxSamplesPerKey int
}

// Query is a compiled sequence or sample. It is immutable and safe for
// concurrent use; each matcher made from it holds its own state.
type Query struct {
	sample   bool
	steps    []*step // runs expanded
	until    *step
	maxSpan  int64 // nanoseconds, 0: none
	ts, tb   *match.KeyExpr
	plan     *event.Plan
	pipes    []match.Limit
	opts     Options
	firstPos int // first and last positive steps (-1: none)
	lastPos  int
	hasMiss  bool
	written  int     // steps as written, before runs are expanded
	written1 []*step // the first of each step as written (runs expanded after it)
}

// step is one step of the query, with its join keys: the query's own
// (sequence by / sample by) followed by the step's.
type step struct {
	index    int
	src      int // the step as written (runs share it), for evaluating it once an event
	m        *match.Matcher
	keys     []*match.KeyExpr
	optional []bool
	missing  bool
	selector int // the index of m in Query.Selectors
}

// IsSample reports whether the query is a sample (else a sequence).
func (q *Query) IsSample() bool { return q.sample }

// Steps is the number of steps, runs expanded: the length of a result's
// Events.
func (q *Query) Steps() int { return len(q.steps) }

// MaxSpan is the sequence's maxspan in nanoseconds (0: none).
func (q *Query) MaxSpan() int64 { return q.maxSpan }

// Plan returns the plan events must be built with.
func (q *Query) Plan() *event.Plan { return q.plan }

// Compile compiles a sequence or sample statement. Each step's condition
// compiles with match.CompileEQL, its join keys with match.CompileEQLKey.
// The pipes head and tail are kept for Selection. Errors are
// *match.CompileError with the statement's positions.
func Compile(st *eql.Statement, opts Options) (*Query, error) {
	if st == nil {
		return nil, errors.New("compile eql sequence: no statement")
	}
	if opts.Schema == nil {
		opts.Schema = ecs.Default()
	}
	if opts.Plan == nil {
		opts.Plan = event.NewPlan()
	}
	if opts.TimestampField == "" {
		opts.TimestampField = DefaultTimestampField
	}
	if opts.MaxKeys <= 0 {
		opts.MaxKeys = DefaultMaxKeys
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = DefaultMaxPending
	}
	if opts.MaxSamplesPerKey <= 0 {
		opts.MaxSamplesPerKey = 1
	}
	q := &Query{plan: opts.Plan, opts: opts, firstPos: -1, lastPos: -1}
	mopts := match.EQLOptions{Options: match.Options{Schema: opts.Schema, Plan: opts.Plan}, CategoryField: opts.CategoryField}
	var by []eql.Expr
	var steps []*eql.Step
	switch x := st.Query.(type) {
	case *eql.Sequence:
		by, steps = x.By, x.Steps
		if x.MaxSpan != nil {
			ns, err := spanNanos(x.MaxSpan)
			if err != nil {
				return nil, err
			}
			q.maxSpan = ns
		}
		if x.Until != nil {
			s, err := compileStep(x.Until, by, mopts)
			if err != nil {
				return nil, err
			}
			s.index = -1
			q.until = s
		}
	case *eql.Sample:
		q.sample = true
		by, steps = x.By, x.Steps
	default:
		return nil, compileErr(st.Query.Pos(), "a single-event query is not a sequence or a sample")
	}
	nkeys := -1
	for src, s := range steps {
		if q.sample && (s.Missing || s.Runs > 0) {
			return nil, compileErr(s.At, "a sample step cannot be a missing event or have runs")
		}
		cs, err := compileStep(s, by, mopts)
		if err != nil {
			return nil, err
		}
		if nkeys >= 0 && len(cs.keys) != nkeys {
			return nil, compileErr(s.At, fmt.Sprintf("inconsistent number of join keys: %d here, %d in the first step", len(cs.keys), nkeys))
		}
		nkeys = len(cs.keys)
		cs.src = src
		q.written = len(steps)
		for r := range max(s.Runs, 1) {
			c := *cs
			c.index = len(q.steps)
			q.steps = append(q.steps, &c)
			if r == 0 {
				q.written1 = append(q.written1, &c)
			}
		}
	}
	if x, ok := st.Query.(*eql.Sequence); ok && q.until != nil && len(q.until.keys) != nkeys {
		return nil, compileErr(x.Until.At, fmt.Sprintf("inconsistent number of join keys: %d in until, %d in the steps", len(q.until.keys), nkeys))
	}
	sels := q.Selectors()
	for _, s := range q.selecting() {
		s.selector = slices.Index(sels, s.m)
	}
	for i, s := range q.steps {
		if s.missing {
			q.hasMiss = true
			continue
		}
		if q.firstPos < 0 {
			q.firstPos = i
		}
		q.lastPos = i
	}
	if q.firstPos < 0 {
		return nil, compileErr(st.Query.Pos(), "a sequence needs at least one step that is not a missing event")
	}
	// A sample does not need the order (its candidates come in any
	// order), but a caller may sort its events for a result that does
	// not depend on the input's order (Order).
	tf := &eql.Field{Path: []string{opts.TimestampField}}
	ts, tsErr := match.CompileEQLKey(tf, mopts)
	if tsErr == nil {
		q.ts = ts
	}
	if !q.sample {
		if tsErr != nil {
			return nil, fmt.Errorf("timestamp field %s: %w", opts.TimestampField, tsErr)
		}
		if opts.TiebreakerField != "" {
			tb, err := match.CompileEQLKey(&eql.Field{Path: []string{opts.TiebreakerField}}, mopts)
			if err != nil {
				return nil, fmt.Errorf("tiebreaker field %s: %w", opts.TiebreakerField, err)
			}
			q.tb = tb
		}
	}
	limits, err := match.EQLLimits(st)
	if err != nil {
		return nil, err
	}
	for i, l := range limits {
		if q.sample && l.Tail {
			return nil, compileErr(st.Pipes[i].At, "pipe tail is not supported on samples")
		}
	}
	q.pipes = limits
	return q, nil
}

func kind(q *Query) string {
	if q.sample {
		return "sample"
	}
	return "sequence"
}

func compileStep(s *eql.Step, by []eql.Expr, mopts match.EQLOptions) (*step, error) {
	m, err := match.CompileEQL(&eql.Statement{Query: s.Query}, mopts)
	if err != nil {
		return nil, err
	}
	cs := &step{m: m, missing: s.Missing}
	for _, k := range append(append([]eql.Expr(nil), by...), s.By...) {
		ke, err := match.CompileEQLKey(k, mopts)
		if err != nil {
			return nil, err
		}
		f, isField := k.(*eql.Field)
		cs.keys = append(cs.keys, ke)
		cs.optional = append(cs.optional, isField && f.Optional)
	}
	return cs, nil
}

// spanNanos converts a maxspan to nanoseconds.
func spanNanos(t *eql.TimeSpan) (int64, error) {
	unit := map[string]int64{"": 1e6, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9, "d": 86400e9}[t.Unit]
	if unit == 0 {
		return 0, compileErr(t.At, "unknown maxspan unit "+strconv.Quote(t.Unit)+" (use ms, s, m, h or d)")
	}
	if t.Value < 0 || t.Value > (1<<62)/unit {
		return 0, compileErr(t.At, "maxspan out of range")
	}
	return t.Value * unit, nil
}

func compileErr(p eql.Pos, msg string) error {
	return &match.CompileError{Pos: kql.Pos{Offset: p.Offset, Line: p.Line, Col: p.Col}, Msg: msg}
}

// Order reads an event's place in the order sequences need: its timestamp
// (nanoseconds) and tiebreaker value (nil without one). ok is false when the
// event has no readable timestamp. Callers that sort events before pushing
// them sort by (time, tiebreaker with null last, arrival): see Hit.Compare.
func (q *Query) Order(ev *event.Event) (ns int64, tiebreaker any, ok bool) {
	return q.OrderMemo(ev, nil)
}

// TimeMemo holds the time an event's timestamp field reads as, for the
// sequence rules it matches, which mostly order by the same field
// (@timestamp): it is parsed once. A TimeMemo serves one event.
type TimeMemo struct {
	field event.FieldID
	ns    int64
	ok    bool
	set   bool
}

// OrderMemo is Order, reading the timestamp through memo (nil: none).
func (q *Query) OrderMemo(ev *event.Event, memo *TimeMemo) (ns int64, tiebreaker any, ok bool) {
	if q.ts == nil {
		return 0, nil, false
	}
	id, plain := q.ts.Field()
	switch {
	case memo != nil && plain && memo.set && memo.field == id:
		ns, ok = memo.ns, memo.ok
	default:
		ns, ok = q.ts.Time(ev)
		if memo != nil && plain {
			*memo = TimeMemo{field: id, ns: ns, ok: ok, set: true}
		}
	}
	if q.tb != nil {
		tiebreaker = q.tb.Value(ev)
	}
	return ns, tiebreaker, ok
}

// Relevant reports whether ev can take part in the query: one of its steps
// (missing-event steps and until included) selects it. A search keeps only
// these events to sort them.
func (q *Query) Relevant(ev *event.Event) bool {
	for _, s := range q.steps {
		if s.m.Match(ev) {
			return true
		}
	}
	return q.until != nil && q.until.m.Match(ev)
}

// Selectors returns the matchers of the steps Relevant evaluates, each
// once: Relevant holds exactly when one of them matches. The rule index
// keys each on its own requirements (Required is their disjunction).
func (q *Query) Selectors() []*match.Matcher {
	var out []*match.Matcher
	for _, s := range q.selecting() {
		if !slices.Contains(out, s.m) {
			out = append(out, s.m)
		}
	}
	return out
}

// selecting returns the steps whose events the query must see: every
// step (missing-event steps too) and until.
func (q *Query) selecting() []*step {
	if q.until == nil {
		return q.steps
	}
	return append(q.steps[:len(q.steps):len(q.steps)], q.until)
}

// Required returns a necessary condition of Relevant for a rule index:
// one requirement whose alternatives are, for each step (until and
// missing-event steps included), the alternatives of one of the step's
// own requirements. None when a step has no requirement.
func (q *Query) Required() []match.Requirement {
	var any []match.Requirement
	for _, s := range q.selecting() {
		req := s.m.Required()
		if len(req) == 0 {
			return nil
		}
		best := req[0]
		for _, r := range req[1:] {
			if selectivity(r) > selectivity(best) {
				best = r
			}
		}
		if len(best.Any) > 0 {
			any = append(any, best.Any...)
		} else {
			any = append(any, best)
		}
	}
	if len(any) == 1 {
		return any
	}
	return []match.Requirement{{Any: any}}
}

// Prefilter is Relevant's condition on raw records of a normalizer (see
// match.Matcher.Prefilter): one of the literals of one of the steps;
// Never when no step can match there; no condition (nil Literals) when a
// step that can match has none.
func (q *Query) Prefilter(o match.Origin) match.Prefilter {
	var lits []string
	never := true
	for _, s := range q.selecting() {
		p := s.m.Prefilter(o)
		if p.Never {
			continue
		}
		never = false
		if p.Literals == nil {
			return match.Prefilter{}
		}
		lits = append(lits, p.Literals...)
	}
	if never {
		return match.Prefilter{Never: true}
	}
	return match.Prefilter{Literals: lits}
}

// OrderFields returns the fields that order the query's events: the
// timestamp field and the tiebreaker field ("" without one). Queries with
// the same order fields can be fed one sorted stream.
func (q *Query) OrderFields() (timestamp, tiebreaker string) {
	return q.opts.TimestampField, q.opts.TiebreakerField
}

// selectivity ranks a step's requirements for the rule index: a plain
// requirement on a field other than the event's category or type (which
// most events of a kind share) first, fewer values first; that a field
// has a value (Requirement.Exists) last.
func selectivity(r match.Requirement) int {
	if r.Exists {
		return 0 // a value, any: the last resort
	}
	if r.Prefix {
		return 500 - min(len(r.Values), 499) // below values, above a value
	}
	if len(r.Any) > 0 {
		// As selective as its least selective alternative.
		least := -1
		for _, alt := range r.Any {
			if s := selectivity(alt); least < 0 || s < least {
				least = s
			}
		}
		return least
	}
	switch r.Field {
	case "event.category", "event.type", "event.kind", "event.dataset", "data_stream.dataset", "host.os.type":
		return 1
	}
	return 1000 - min(len(r.Values), 999)
}
